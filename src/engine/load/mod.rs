//! Load against any server: many connections, a closed loop (a depth of
//! frames in flight on each) or an open loop (a rate of frames a second in
//! all), the frames built with payload variables or replayed from a log,
//! replies checked, latency in a histogram.
//!
//! A run has threads of its own, apart from the engine's runtime: a
//! controller that resolves the target, keeps time and publishes progress
//! once a second, and workers, each a single-threaded runtime that drives
//! its share of the connections (see `connection`), optionally pinned to a
//! core. Counters are added once per batch, latency is recorded into one
//! histogram per worker, so a run costs its load a share of a system call
//! per frame and little else.

mod connection;
pub(super) mod control;
pub(super) mod cpu;
mod datagram;
mod payload;
mod recording;
mod report;
mod sequence;
mod tally;

use std::net::SocketAddr;
use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::Duration;

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::engine::load::cpu::ThreadCpu;
use crate::engine::net::target::{Target, TargetError};
use crate::engine::net::tls::{self, ClientTls, ClientTlsContext, Stream, TlsError};
use crate::engine::protocol::profile::Profile;
use crate::engine::record::stats::latency_histogram;
use crate::engine::record::vocabulary::Transport;
use connection::{Connection, Plan, repeated_frame};
use tally::{Tally, ThreadLatency};

pub use payload::{Payload, PayloadError};
pub use recording::LoadRecorder;
pub use report::{ConnectionCounts, LoadReport, Percentiles, ReportError};
pub use sequence::{SEQ_KEY, SequenceStamp, StampError};
pub use tally::{DatagramCounts, Totals};

/// Most connections one run opens.
pub const MAX_LOAD_CONNECTIONS: usize = 10_000;
/// How long one connection may take to open.
pub const LOAD_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections opening at once on each worker, when no rate is asked.
const CONNECTS_IN_FLIGHT: usize = 256;
/// How often progress is published.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// How often the controller looks for a stop or the end.
const TICK: Duration = Duration::from_millis(50);
/// How long workers may take to stop.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Closed or open loop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "loop", rename_all = "snake_case")]
pub enum Pacing {
    /// Every connection keeps `depth` frames in flight.
    Closed {
        /// Frames in flight on each connection.
        depth: usize,
    },
    /// `rate` frames a second in all, spread over the connections, each
    /// due at its time whatever the server does.
    Open {
        /// Frames a second, all connections together.
        rate: f64,
    },
}

/// How replies are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verify {
    /// Replies are counted, not compared.
    #[default]
    None,
    /// Every reply must be as long as the frame it answers.
    Length,
    /// As `Length`, and one reply in 16 compared byte for byte.
    Sample,
    /// Every reply compared byte for byte.
    All,
}

impl FromStr for Verify {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "length" => Ok(Self::Length),
            "sample" => Ok(Self::Sample),
            "all" => Ok(Self::All),
            _ => Err(format!(
                "\"{text}\" is not a way to verify: none, length, sample or all"
            )),
        }
    }
}

/// Everything a load run is asked to do.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Where to connect.
    pub target: Target,
    /// Connections, 1 to [`MAX_LOAD_CONNECTIONS`].
    pub connections: usize,
    /// Connections opened per second; `None` opens them as fast as they go.
    pub connect_rate: Option<f64>,
    /// How long to measure, after the warm-up.
    pub duration: Duration,
    /// How long to run before measuring.
    pub warmup: Duration,
    /// Closed or open loop.
    pub pacing: Pacing,
    /// What each connection sends.
    pub payload: Payload,
    /// Frames of the protocol (true) or raw bytes.
    pub framed: bool,
    /// The profile whose frames are sent and whose framing cuts the
    /// replies, when not the JSON header's (nor raw bytes).
    pub profile: Option<Arc<Profile>>,
    /// How replies are checked.
    pub verify: Verify,
    /// Worker threads; 0 picks one per core (at most one per connection).
    pub threads: usize,
    /// Cores the workers are pinned to, in turn; empty leaves them free.
    pub cores: Vec<usize>,
    /// Where each connection records what it sends and reads; `None` (the
    /// command line) records nothing and costs nothing.
    pub recorder: Option<LoadRecorder>,
    /// TLS settings; `None` connects plain TCP.
    pub tls: Option<ClientTls>,
    /// TCP connections, or UDP sockets (each frame one datagram, carrying
    /// its sequence number).
    pub transport: Transport,
    /// Over UDP: how long a datagram is waited for before it counts as
    /// lost.
    pub loss_timeout: Duration,
}

/// How long a datagram of a UDP run is waited for unless asked otherwise.
pub const DEFAULT_LOSS_TIMEOUT: Duration = Duration::from_secs(1);

/// A run's settings as a result file records them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadSettings {
    /// The target as given.
    pub target: String,
    /// Connections asked for.
    pub connections: usize,
    /// Connections opened per second, if limited.
    pub connect_rate: Option<f64>,
    /// Seconds measured, as asked.
    pub duration_s: f64,
    /// Seconds of warm-up.
    pub warmup_s: f64,
    /// Closed or open loop.
    pub pacing: Pacing,
    /// Frames or raw bytes.
    pub framed: bool,
    /// The profile the frames kept, when not the JSON header's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// How replies were checked.
    pub verify: Verify,
    /// What was sent, in words.
    pub payload: String,
    /// Worker threads.
    pub threads: usize,
    /// Whether the connections spoke TLS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// TCP or UDP.
    #[serde(default)]
    pub transport: Transport,
}

/// Why a run cannot start or finish.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The settings are out of range.
    #[error("{0}")]
    Settings(String),
    /// The target cannot be resolved.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// The TLS settings cannot be used (a bad CA, certificate or key file).
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// No connection could be opened.
    #[error("no connection to {target} opened: {first_error}")]
    NoConnection {
        /// The target.
        target: String,
        /// Why the first failed.
        first_error: String,
    },
    /// A thread could not be started.
    #[error("cannot start the load's threads: {0}")]
    Threads(std::io::Error),
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum LoadPhase {
    /// Looking the target up.
    #[default]
    Resolving,
    /// Running, not measured yet.
    Warmup,
    /// Running and measured.
    Measuring,
    /// Done.
    Finished,
}

/// A run's progress, published once a second.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadProgress {
    /// Where the run is.
    pub phase: LoadPhase,
    /// Time since the run began (warm-up included).
    pub elapsed: Duration,
    /// The run's whole length (warm-up included).
    pub total: Duration,
    /// Connections open now.
    pub open: u64,
    /// Connections asked for.
    pub asked: u64,
    /// Errors so far.
    pub errors: u64,
    /// Replies per second over the last second.
    pub frames_per_s: f64,
    /// Megabytes received per second over the last second.
    pub megabytes_per_s: f64,
    /// Median round trip over the last second, µs (0 before measuring).
    pub p50_us: u64,
    /// 99th percentile over the last second, µs.
    pub p99_us: u64,
    /// Replies so far, the whole run.
    pub frames_received: u64,
}

impl LoadProgress {
    /// The share of the run done, 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.phase == LoadPhase::Finished {
            return 1.0;
        }
        (self.elapsed.as_secs_f64() / self.total.as_secs_f64().max(1e-9)).clamp(0.0, 1.0) as f32
    }
}

/// A load run under way on threads of its own.
#[derive(Debug)]
pub struct LoadRun {
    stop: CancellationToken,
    progress: Arc<Mutex<LoadProgress>>,
    controller: JoinHandle<Result<LoadReport, LoadError>>,
}

impl LoadRun {
    /// Checks `spec` and starts the run; `on_progress` is called about once
    /// a second from the run's controller thread, and once at the end.
    pub fn start(
        spec: LoadSpec,
        on_progress: impl FnMut(&LoadProgress) + Send + 'static,
    ) -> Result<Self, LoadError> {
        check(&spec)?;
        let stop = CancellationToken::new();
        let progress = Arc::new(Mutex::new(LoadProgress {
            total: spec.warmup + spec.duration,
            asked: spec.connections as u64,
            ..LoadProgress::default()
        }));
        let controller = {
            let (stop, progress) = (stop.clone(), progress.clone());
            std::thread::Builder::new()
                .name("load-control".into())
                .spawn(move || control(spec, stop, progress, on_progress))
                .map_err(LoadError::Threads)?
        };
        Ok(Self {
            stop,
            progress,
            controller,
        })
    }

    /// Ends the run now; what was measured so far is its result.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// A token that stops the run when cancelled (for a signal handler).
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// The latest progress.
    pub fn progress(&self) -> LoadProgress {
        self.progress.lock().clone()
    }

    /// Whether the run has ended.
    pub fn is_finished(&self) -> bool {
        self.controller.is_finished()
    }

    /// Waits for the end and returns the result.
    pub fn wait(self) -> Result<LoadReport, LoadError> {
        self.controller
            .join()
            .unwrap_or_else(|_| Err(LoadError::Settings("the load's controller panicked".into())))
    }
}

/// Refuses settings that cannot run.
fn check(spec: &LoadSpec) -> Result<(), LoadError> {
    let bad = |what: String| Err(LoadError::Settings(what));
    if !(1..=MAX_LOAD_CONNECTIONS).contains(&spec.connections) {
        return bad(format!(
            "--connections must be 1 to {MAX_LOAD_CONNECTIONS}, not {}",
            spec.connections
        ));
    }
    match spec.pacing {
        Pacing::Closed { depth: 0 } => return bad("--depth must be at least 1".into()),
        Pacing::Open { rate } if !(rate.is_finite() && rate > 0.0) => {
            return bad(format!(
                "--rate must be a positive number of frames a second, not {rate}"
            ));
        }
        _ => {}
    }
    if spec
        .connect_rate
        .is_some_and(|r| !(r.is_finite() && r > 0.0))
    {
        return bad("--connect-rate must be a positive number of connections a second".into());
    }
    if spec.duration.is_zero() {
        return bad("--duration must be more than 0 seconds".into());
    }
    if spec.transport.is_udp() {
        if spec.tls.is_some() {
            return bad("TLS is for TCP: a UDP run sends in the clear".into());
        }
        if let Some(profile) = &spec.profile {
            return bad(format!(
                "a UDP run with profile {} is not offered yet: its frames have no place for the datagram's sequence number (raw and the JSON header's frames have)",
                profile.name()
            ));
        }
        if !(spec.framed
            || spec
                .payload
                .fixed()
                .is_some_and(|b| b.len() >= sequence::RAW_SEQ_LEN))
        {
            return bad(format!(
                "a raw UDP run sends at least {} bytes a datagram: its first {} carry its sequence number",
                sequence::RAW_SEQ_LEN,
                sequence::RAW_SEQ_LEN
            ));
        }
        if spec.loss_timeout.is_zero() {
            return bad("--loss-timeout must be more than 0 seconds".into());
        }
    }
    Ok(())
}

impl LoadSpec {
    /// The settings a result file records.
    pub fn settings(&self) -> LoadSettings {
        LoadSettings {
            target: self.target.to_string(),
            connections: self.connections,
            connect_rate: self.connect_rate,
            duration_s: self.duration.as_secs_f64(),
            warmup_s: self.warmup.as_secs_f64(),
            pacing: self.pacing,
            framed: self.framed,
            profile: self.profile.as_ref().map(|p| p.name().to_owned()),
            verify: self.verify,
            payload: match &self.payload {
                Payload::Fixed(bytes) => format!("one frame of {} bytes", bytes.len()),
                Payload::Templated(_) | Payload::Fields(_) => {
                    "a frame with payload variables".into()
                }
                Payload::Sequence(frames) => format!("{} frames replayed from a log", frames.len()),
            },
            threads: self.worker_threads(),
            tls: self.tls.is_some(),
            transport: self.transport,
        }
    }

    /// Worker threads to run.
    fn worker_threads(&self) -> usize {
        let wanted = if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            self.threads
        };
        wanted.clamp(1, self.connections.max(1))
    }
}

/// What the workers share.
struct Run {
    plan: Plan,
    tally: Tally,
    addrs: Vec<SocketAddr>,
    target: Target,
    tls: Option<ClientTlsContext>,
    stop: CancellationToken,
    connect_rate: Option<f64>,
    recorder: Option<LoadRecorder>,
    /// TCP, or UDP (with where datagrams carry their numbers, and how long
    /// each is waited for).
    datagrams: Option<(SequenceStamp, Duration)>,
    /// Connections that have opened or failed to.
    connects_done: AtomicU64,
    /// The workers' threads, to read their CPU time (where measured).
    worker_cpu: Mutex<Vec<ThreadCpu>>,
}

impl Run {
    /// The workers' CPU time so far, all together, where measured.
    fn workers_cpu_time(&self) -> Option<Duration> {
        let workers = self.worker_cpu.lock();
        if workers.is_empty() {
            return None;
        }
        workers.iter().map(ThreadCpu::time).sum()
    }
}

/// The controller: resolve, start the workers, keep time, publish
/// progress, stop, and sum up.
fn control(
    spec: LoadSpec,
    stop: CancellationToken,
    progress: Arc<Mutex<LoadProgress>>,
    mut on_progress: impl FnMut(&LoadProgress),
) -> Result<LoadReport, LoadError> {
    let clock = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LoadError::Threads)?;
    let settings = spec.settings();
    let tls = spec.tls.as_ref().map(ClientTls::build).transpose()?;
    let addrs = clock.block_on(spec.target.resolve_within(LOAD_CONNECT_TIMEOUT))?;
    let threads = spec.worker_threads();
    let run = Arc::new(Run {
        plan: Plan {
            payload: spec.payload.clone(),
            pacing: spec.pacing,
            verify: spec.verify,
            framed: spec.framed,
            profile: spec.profile.clone(),
            connections: spec.connections,
            repeated: spec.payload.fixed().map(|frame| repeated_frame(frame)),
        },
        tally: Tally::default(),
        addrs,
        target: spec.target.clone(),
        tls,
        stop: stop.clone(),
        connect_rate: spec.connect_rate,
        recorder: spec.recorder.clone(),
        datagrams: spec.transport.is_udp().then(|| {
            let stamp = if spec.framed {
                SequenceStamp::JsonHeader
            } else {
                SequenceStamp::Raw
            };
            (stamp, spec.loss_timeout)
        }),
        connects_done: AtomicU64::new(0),
        worker_cpu: Mutex::new(Vec::new()),
    });
    let latencies: Vec<Arc<ThreadLatency>> = (0..threads).map(|_| Arc::default()).collect();
    let began = Instant::now();
    let mut workers = Vec::with_capacity(threads);
    for (worker, latency) in latencies.iter().enumerate() {
        let indices: Vec<u32> = (1..=spec.connections as u32)
            .filter(|i| (*i as usize - 1) % threads == worker)
            .collect();
        let core = (!spec.cores.is_empty()).then(|| spec.cores[worker % spec.cores.len()]);
        let (run, latency) = (run.clone(), latency.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("load-{worker}"))
            .spawn(move || work(&run, &latency, &indices, core, began));
        match spawned {
            Ok(handle) => workers.push(handle),
            Err(error) => {
                stop.cancel();
                return Err(LoadError::Threads(error));
            }
        }
    }

    let measure_from = began + spec.warmup;
    let end = measure_from + spec.duration;
    let mut window_start = None;
    let mut last = (began, run.tally.totals());
    let mut next_progress = began + PROGRESS_EVERY;
    let mut recent = latency_histogram();
    let mut no_connection = None;
    let mut window_cpu = None;
    loop {
        let now = Instant::now();
        if window_start.is_none() && now >= measure_from {
            for latency in &latencies {
                latency.drain_recent_into(&mut recent);
            }
            recent.reset();
            run.tally.measuring.store(true, Relaxed);
            window_start = Some((now, run.tally.totals()));
            window_cpu = run.workers_cpu_time();
        }
        let all_failed = run.connects_done.load(Relaxed) == spec.connections as u64
            && run.tally.open.load(Relaxed) == 0;
        if all_failed {
            no_connection = (run.tally.opened.load(Relaxed) == 0).then(|| run.tally.first_errors());
        }
        if now >= end || stop.is_cancelled() || all_failed {
            break;
        }
        if now >= next_progress {
            let totals = run.tally.totals();
            for latency in &latencies {
                latency.drain_recent_into(&mut recent);
            }
            let seconds = (now - last.0).as_secs_f64().max(1e-9);
            let since = totals.since(&last.1);
            let published = LoadProgress {
                phase: if window_start.is_some() {
                    LoadPhase::Measuring
                } else {
                    LoadPhase::Warmup
                },
                elapsed: now - began,
                total: spec.warmup + spec.duration,
                open: run.tally.open.load(Relaxed),
                asked: spec.connections as u64,
                errors: totals.errors,
                frames_per_s: since.frames_received as f64 / seconds,
                megabytes_per_s: since.bytes_received as f64 / 1e6 / seconds,
                p50_us: if recent.is_empty() {
                    0
                } else {
                    recent.value_at_quantile(0.5)
                },
                p99_us: if recent.is_empty() {
                    0
                } else {
                    recent.value_at_quantile(0.99)
                },
                frames_received: totals.frames_received,
            };
            recent.reset();
            *progress.lock() = published.clone();
            on_progress(&published);
            last = (now, totals);
            next_progress += PROGRESS_EVERY;
        }
        clock.block_on(async {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        });
    }
    let stopped_early = Instant::now() < end;
    run.tally.measuring.store(false, Relaxed);
    let finished_at = Instant::now();
    let window_totals = run.tally.totals();
    let cpu_used = window_cpu
        .zip(run.workers_cpu_time())
        .map(|(start, end)| end.saturating_sub(start));
    stop.cancel();
    let deadline = std::time::Instant::now() + STOP_GRACE;
    for worker in workers {
        while !worker.is_finished() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if worker.is_finished() {
            let _ = worker.join();
        }
    }
    if let Some(errors) = no_connection {
        return Err(LoadError::NoConnection {
            target: spec.target.to_string(),
            first_error: errors.first().cloned().unwrap_or_default(),
        });
    }
    let mut histogram = latency_histogram();
    for latency in &latencies {
        latency.add_whole_into(&mut histogram);
    }
    let (window_began, window_first) = window_start.unwrap_or((finished_at, window_totals));
    let seconds = (finished_at - window_began).as_secs_f64();
    let window = window_totals.since(&window_first);
    let mut report = summarize(&run, settings, &histogram, window, seconds, stopped_early);
    report.datagrams = run
        .datagrams
        .is_some()
        .then(|| run.tally.datagrams.counts());
    report.load_busy = cpu_used.map(|cpu| cpu.as_secs_f64() / (seconds * threads as f64).max(1e-9));
    let done = LoadProgress {
        phase: LoadPhase::Finished,
        elapsed: finished_at - began,
        ..progress.lock().clone()
    };
    *progress.lock() = done.clone();
    on_progress(&done);
    Ok(report)
}

/// The result of a finished run.
fn summarize(
    run: &Run,
    settings: LoadSettings,
    histogram: &Histogram<u64>,
    window: Totals,
    seconds: f64,
    stopped_early: bool,
) -> LoadReport {
    let per_s = |n: u64| {
        if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        }
    };
    let totals = run.tally.totals();
    let opened = run.tally.opened.load(Relaxed);
    LoadReport {
        frames_per_s: per_s(window.frames_received),
        errors: totals.errors,
        megabytes_per_s: per_s(window.bytes_received) / 1e6,
        sent_per_s: per_s(window.frames_sent),
        seconds,
        agents: 1,
        stopped_early,
        connections: ConnectionCounts {
            asked: settings.connections as u64,
            opened,
            failed: run.connects_done.load(Relaxed).saturating_sub(opened),
        },
        settings,
        window,
        run: totals,
        latency_us: Percentiles::of(histogram),
        latency_histogram: report::encode_histogram(histogram),
        first_errors: run.tally.first_errors(),
        load_busy: None,
        datagrams: None,
    }
}

/// One worker thread: opens its connections and drives them until the run
/// stops.
fn work(
    run: &Arc<Run>,
    latency: &Arc<ThreadLatency>,
    indices: &[u32],
    core: Option<usize>,
    began: Instant,
) {
    if let Some(id) = core {
        core_affinity::set_for_current(core_affinity::CoreId { id });
    }
    if let Some(cpu) = ThreadCpu::current() {
        run.worker_cpu.lock().push(cpu);
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        run.tally
            .error(|| "a load worker could not start its runtime".into());
        return;
    };
    let local = tokio::task::LocalSet::new();
    let gate = Rc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
    local.block_on(&runtime, async {
        let tasks: Vec<_> = indices
            .iter()
            .map(|&index| {
                let (run, latency, gate) = (run.clone(), latency.clone(), gate.clone());
                tokio::task::spawn_local(async move {
                    open_and_drive(&run, &latency, &gate, index, began).await;
                })
            })
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    });
}

/// Connects to the run's target and, when the run speaks TLS, shakes hands;
/// the stream and its peer, or why not, in words.
async fn open_stream(run: &Run) -> Result<(Stream, Ends), String> {
    let stream = run
        .target
        .connect_any(&run.addrs, LOAD_CONNECT_TIMEOUT)
        .await
        .map_err(|error| error.to_string())?;
    let ends = (stream.local_addr().ok(), stream.peer_addr().ok());
    let stream = match &run.tls {
        None => Stream::Plain(stream),
        Some(context) => {
            tls::connect(context, stream, run.target.host())
                .await
                .map_err(|failure| format!("TLS handshake failed: {failure}"))?
                .0
        }
    };
    Ok((stream, ends))
}

/// A connection's own address and its peer's, when known.
type Ends = (Option<SocketAddr>, Option<SocketAddr>);

/// Opens connection `index` (at its time, when a connect rate is asked)
/// and drives it until the run stops or it fails.
async fn open_and_drive(
    run: &Run,
    latency: &ThreadLatency,
    gate: &Semaphore,
    index: u32,
    began: Instant,
) {
    if let Some(rate) = run.connect_rate {
        let at = began + Duration::from_secs_f64(f64::from(index - 1) / rate);
        tokio::select! {
            _ = run.stop.cancelled() => return,
            _ = tokio::time::sleep_until(at) => {}
        }
    }
    // The connect and, over TLS, the handshake, within one of the gate's
    // permits: a connection counts as done (opened or failed) only after
    // both, and its error is kept before it counts, so the controller never
    // sees every connect done with none open while handshakes are under way.
    if let Some((stamp, loss_timeout)) = run.datagrams {
        return drive_socket(run, latency, index, (stamp, loss_timeout)).await;
    }
    let opened = {
        let _permit = gate.acquire().await;
        tokio::select! {
            _ = run.stop.cancelled() => return,
            opened = open_stream(run) => opened,
        }
    };
    let (stream, ends) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            run.tally.error(|| format!("connection {index}: {error}"));
            run.connects_done.fetch_add(1, Relaxed);
            return;
        }
    };
    run.tally.opened.fetch_add(1, Relaxed);
    run.tally.open.fetch_add(1, Relaxed);
    run.connects_done.fetch_add(1, Relaxed);
    let recording = run
        .recorder
        .as_ref()
        .map(|recorder| recorder.connection(ends, Transport::Tcp));
    let connection = Connection {
        index,
        plan: &run.plan,
        tally: &run.tally,
        latency,
        stop: &run.stop,
        recording: recording.as_ref(),
    };
    if let Err(failed) = connection.drive(stream).await {
        run.tally.error(|| failed.0);
    }
    run.tally.open.fetch_sub(1, Relaxed);
}

/// Opens UDP socket `index`, connected to the run's first address, and
/// drives it until the run stops and its answers are in.
async fn drive_socket(
    run: &Run,
    latency: &ThreadLatency,
    index: u32,
    (stamp, loss_timeout): (SequenceStamp, Duration),
) {
    let target = run.addrs[0];
    let opened = async {
        let socket = crate::engine::net::datagram::bind(
            crate::engine::net::datagram::any_local_for(target),
        )?;
        socket.connect(target).await?;
        Ok::<_, std::io::Error>(socket)
    }
    .await;
    run.connects_done.fetch_add(1, Relaxed);
    let socket = match opened {
        Ok(socket) => socket,
        Err(error) => {
            run.tally
                .error(|| format!("socket {index}: cannot open a UDP socket to {target}: {error}"));
            return;
        }
    };
    let socket = match crate::engine::net::batch_udp::BatchSocket::new(socket, target) {
        Ok(socket) => socket,
        Err(error) => {
            run.tally
                .error(|| format!("socket {index}: cannot set up batched sends: {error}"));
            return;
        }
    };
    run.tally.opened.fetch_add(1, Relaxed);
    run.tally.open.fetch_add(1, Relaxed);
    let ends = (socket.local_addr().ok(), Some(target));
    let recording = run
        .recorder
        .as_ref()
        .map(|recorder| recorder.connection(ends, Transport::Udp));
    let driven = datagram::DatagramSocket {
        index,
        plan: &run.plan,
        tally: &run.tally,
        latency,
        stop: &run.stop,
        recording: recording.as_ref(),
        stamp,
        loss_timeout,
    };
    if let Err(failed) = driven.drive(socket).await {
        run.tally.error(|| failed.0);
    }
    run.tally.open.fetch_sub(1, Relaxed);
}
