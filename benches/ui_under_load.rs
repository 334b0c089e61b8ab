//! The window while the engine is busy: frame times of the real app with
//! its embedded frame-echo server under a batching load, and the server's
//! frames/s with the window open beside the same server headless
//! (`framescope serve --quiet`) in the same run; then frame times with
//! 10,000 client connections listed; then how long saving 2,000,000
//! records keeps the journal's lock from a connection that appends.
//!
//! Run with `cargo bench --bench ui_under_load`. The server (the engine's
//! runtime, embedded, or `serve` headless) runs on core 0; the load runs on
//! core 1. The window's UI thread runs on core 1 too: this machine has two
//! cores, the load leaves a good share of its core idle (the table shows
//! how busy it was), and the question asked is what the window costs the
//! server through the engine (publishing, snapshots, the journal's lock),
//! not how two busy threads share one core. Under load the window is
//! painted twice over: as a real window is while a user watches, when the
//! app asks for a repaint (egui's repaint callback, which a window's event
//! loop waits on; live traffic asks within 33 ms), and every frame, as
//! while a user moves the mouse; at most 60 frames a second either way.
//! With 10,000 connections it is painted every frame. Each frame is what
//! eframe does for a window's frame on its UI thread, short of the GPU: the
//! app's `logic` and `ui` in one egui pass, then the shapes tessellated (see
//! [`Window`]). Its wall time, the UI thread's CPU time, and how long the
//! UI thread waited in its core's run queue (on Linux, from the scheduler's
//! per-thread statistics) are reported: wall time is about CPU time plus
//! that wait, which is the load's thread holding the shared core, not the
//! engine's locks. Targets:
//! p99 < 8 ms and max < 16 ms; frames/s with the window open ≥ 0.9× headless
//! (the median of three rounds each, the rounds interleaved);
//! saving 2,000,000 records holds the journal's lock no longer than 1 ms
//! (its one snapshot), with the slowest append during the save shown beside
//! the slowest of as many appends while the other core only spins.
//!
//! Name parts to run only those: `cargo bench --bench ui_under_load -- many
//! save` (the parts are `load`, `many` and `save`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "support/bench_process.rs"]
mod bench_process;

use bytes::Bytes;
use eframe::App as _;
use framescope::app::{FramescopeApp, Settings};
use framescope::engine::{
    ClientMode, Command, Direction, Engine, Entry, Event, FrameBuilder, LogFormat, Origin,
    RecordKind, SendTarget, ServerMode, Side,
};

use bench_process::pin_to;
use framescope::engine::reference::batch_load::{self, BatchLoadReport, BatchLoadSpec};

const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;
/// Where the window's UI thread runs (see the top of the file).
const UI_CORE: usize = LOAD_CORE;
const CONNECTIONS: usize = 50;
const DEPTH: usize = 16;
const CONTENT_LEN: usize = 64;
const WARMUP: Duration = Duration::from_secs(1);
const MEASURED: Duration = Duration::from_secs(4);
/// Rounds of (headless, window), interleaved; the ratio is of medians.
const ROUNDS: usize = 3;
/// A real window's frame pace.
const FRAME_PACE: Duration = Duration::from_micros(16_667);
const MANY_CONNECTIONS: usize = 10_000;
const SAVED_RECORDS: u32 = 2_000_000;

/// The window's size, in points.
const WINDOW_SIZE: egui::Vec2 = egui::vec2(1600.0, 1000.0);

fn frame() -> Bytes {
    FrameBuilder::new()
        .content(vec![b'x'; CONTENT_LEN])
        .build()
        .expect("frame")
}

fn load(addr: SocketAddr, frame: &Bytes) -> Loaded {
    let before = CoreTicks::read(LOAD_CORE);
    let report = batch_load::run(BatchLoadSpec {
        addr,
        connections: CONNECTIONS,
        depth: DEPTH,
        frame: frame.clone(),
        profile: None,
        duration: MEASURED,
        warmup: WARMUP,
        core: Some(LOAD_CORE),
    })
    .expect("the load runs");
    let core_busy = before
        .zip(CoreTicks::read(LOAD_CORE))
        .map(|(before, after)| after.busy_share_since(&before));
    Loaded { report, core_busy }
}

/// A load run, and how busy the load's core was in all meanwhile.
struct Loaded {
    report: BatchLoadReport,
    /// The share of the run (warm-up too) the load's core was not idle:
    /// the load, the UI beside it, and the network's interrupt work, which
    /// no thread's CPU time counts.
    core_busy: Option<f64>,
}

/// One core's time so far, in the system's ticks, from `/proc/stat`.
struct CoreTicks {
    busy: u64,
    idle: u64,
}

impl CoreTicks {
    /// The core's ticks now (Linux; elsewhere not measured).
    fn read(core: usize) -> Option<Self> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat
            .lines()
            .find(|line| line.split_whitespace().next() == Some(&format!("cpu{core}")))?;
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map_while(|field| field.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...
        let idle = ticks.get(3)? + ticks.get(4)?;
        let busy = ticks.iter().take(8).sum::<u64>() - idle;
        Some(Self { busy, idle })
    }

    /// The share of the ticks since `before` the core was busy.
    fn busy_share_since(&self, before: &Self) -> f64 {
        let busy = self.busy.saturating_sub(before.busy) as f64;
        let idle = self.idle.saturating_sub(before.idle) as f64;
        busy / (busy + idle).max(1.0)
    }
}

/// The app painted as eframe paints a window's frame on its UI thread,
/// short of the GPU: `logic` and `ui` in one egui pass, then the pass's
/// shapes tessellated into meshes. Like a window with no assistive
/// technology listening, it builds no AccessKit tree; egui_kittest builds
/// one every frame and walks it for its queries, which here cost a fifth of
/// its frames' time and no window pays.
struct Window {
    ctx: egui::Context,
    app: FramescopeApp,
    frame: eframe::Frame,
    opened: Instant,
}

impl Window {
    fn open(engine: Engine) -> Self {
        Self {
            ctx: egui::Context::default(),
            app: FramescopeApp::with_engine(engine, Settings::default()),
            frame: eframe::Frame::_new_kittest(),
            opened: Instant::now(),
        }
    }

    fn state(&self) -> &FramescopeApp {
        &self.app
    }

    /// One frame: the egui pass, then its shapes tessellated.
    fn step(&mut self) {
        let Self {
            ctx, app, frame, ..
        } = self;
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, WINDOW_SIZE)),
            time: Some(self.opened.elapsed().as_secs_f64()),
            predicted_dt: FRAME_PACE.as_secs_f32(),
            ..Default::default()
        };
        let output = ctx.run_ui(input, |ui| {
            app.logic(ui.ctx(), frame);
            app.ui(ui, frame);
        });
        let meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        std::hint::black_box(meshes);
    }
}

/// Steps until `done` holds, paced as a window.
fn settle(h: &mut Window, limit: Duration, mut done: impl FnMut(&FramescopeApp) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "the window did not settle");
        h.step();
        std::thread::sleep(FRAME_PACE);
    }
}

/// Wall and CPU time of frames, and how long each waited for its core.
#[derive(Default)]
struct FrameTimes {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    /// Time the UI thread was ready to run but waited in its core's run
    /// queue while another thread (the load, on this machine) ran.
    waiting: Vec<Duration>,
    /// Each run's share of the UI core the UI thread kept busy while its
    /// frames were timed.
    busy_shares: Vec<f64>,
}

impl FrameTimes {
    fn extend(&mut self, other: FrameTimes) {
        self.wall.extend(other.wall);
        self.cpu.extend(other.cpu);
        self.waiting.extend(other.waiting);
        self.busy_shares.extend(other.busy_shares);
    }
}

/// When the app next wants to be repainted, as a window's event loop
/// hears it: through egui's repaint callback.
#[derive(Clone, Default)]
struct RepaintDue(Arc<Mutex<Option<Instant>>>);

impl RepaintDue {
    /// Listens to the app's repaint requests from now on.
    fn listen(h: &Window) -> Self {
        let due = Self::default();
        let heard = due.clone();
        h.ctx.set_request_repaint_callback(move |info| {
            if let Some(at) = Instant::now().checked_add(info.delay) {
                heard.ask(at);
            }
        });
        due
    }

    /// A repaint wanted at `at` (the earliest request wins).
    fn ask(&self, at: Instant) {
        let mut due = self.0.lock().expect("repaint time");
        *due = Some(due.map_or(at, |earlier| earlier.min(at)));
    }

    /// When the next repaint is wanted, if one is.
    fn when(&self) -> Option<Instant> {
        *self.0.lock().expect("repaint time")
    }

    /// Takes the wanted repaint, to be painted now.
    fn take(&self) {
        *self.0.lock().expect("repaint time") = None;
    }
}

/// The longest the paced loop sleeps before it looks again for a repaint
/// asked for meanwhile (an event loop would be woken at once).
const REPAINT_POLL: Duration = Duration::from_millis(2);

/// When the window is painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Painting {
    /// When the app asks for a repaint (a user watching).
    AsAsked,
    /// Every frame, as input repaints it (a user moving the mouse).
    EveryFrame,
}

impl Painting {
    fn label(self) -> &'static str {
        match self {
            Painting::AsAsked => "painted as it asks",
            Painting::EveryFrame => "painted every frame",
        }
    }
}

/// Steps the window, on the UI core, while `busy` holds, as a real window
/// is painted: when the app asked for a repaint (or, `EveryFrame`, always),
/// at most 60 times a second; the times of frames after `skip`.
fn paced_frames(
    h: &mut Window,
    painting: Painting,
    skip: Duration,
    mut busy: impl FnMut() -> bool,
) -> FrameTimes {
    pin_to(UI_CORE);
    let due = RepaintDue::listen(h);
    due.ask(Instant::now());
    let started = Instant::now();
    let mut last_frame: Option<Instant> = None;
    let mut times = FrameTimes::default();
    // From when frames are timed: the wall clock and the thread's CPU time.
    let mut timed_since: Option<(Instant, Duration)> = None;
    while busy() {
        let now = Instant::now();
        let paced_at = last_frame.map_or(now, |last| last + FRAME_PACE);
        let asked = match painting {
            Painting::AsAsked => due.when(),
            Painting::EveryFrame => Some(paced_at),
        };
        let paint_at = asked.map(|at| at.max(paced_at));
        if paint_at.is_none_or(|at| at > now) {
            let wake = paint_at.map_or(REPAINT_POLL, |at| at - now);
            std::thread::sleep(wake.min(REPAINT_POLL));
            continue;
        }
        due.take();
        last_frame = Some(now);
        // The run-queue figures are read before the frame's clock starts, so
        // reading them is not counted as the frame's time.
        let before = batch_load::thread_sched_times();
        let frame_started = Instant::now();
        h.step();
        let took = frame_started.elapsed();
        if started.elapsed() > skip {
            if timed_since.is_none() {
                timed_since = batch_load::thread_cpu_time().map(|cpu| (Instant::now(), cpu));
            }
            times.wall.push(took);
            if let (Some(before), Some(after)) = (before, batch_load::thread_sched_times()) {
                times.cpu.push(after.on_cpu.saturating_sub(before.on_cpu));
                times
                    .waiting
                    .push(after.waiting.saturating_sub(before.waiting));
            }
        }
    }
    if let (Some((since, cpu_then)), Some(cpu_now)) = (timed_since, batch_load::thread_cpu_time()) {
        let wall = since.elapsed().as_secs_f64().max(1e-9);
        times
            .busy_shares
            .push(cpu_now.saturating_sub(cpu_then).as_secs_f64() / wall);
    }
    pin_to(SERVER_CORE);
    times
}

/// Mean, p99 and max, in ms.
fn frame_stats(times: &mut [Duration]) -> (f64, f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len().max(1) as f64;
    let p99 = times
        .get((times.len() * 99 / 100).min(times.len().saturating_sub(1)))
        .map_or(0.0, |d| ms(*d));
    let max = times.last().map_or(0.0, |d| ms(*d));
    (mean, p99, max)
}

/// The embedded server with the window open, under the load.
fn window_under_load(frame: &Bytes, painting: Painting) -> (Loaded, FrameTimes) {
    let mut h = Window::open(Engine::new().expect("engine"));
    h.state().engine().command(Command::StartServer {
        join: None,
        addr: ([127, 0, 0, 1], 0).into(),
        mode: ServerMode::FrameEcho,
        tls: None,
        upstream: None,
        profile: None,
        transport: framescope::engine::Transport::Tcp,
    });
    settle(&mut h, Duration::from_secs(5), |app| {
        app.engine().view().server.listening.is_some()
    });
    let addr = h
        .state()
        .engine()
        .view()
        .server
        .listening
        .expect("listening");
    let load_frame = frame.clone();
    let loader = std::thread::spawn(move || load(addr, &load_frame));
    let times = paced_frames(&mut h, painting, WARMUP, || !loader.is_finished());
    let report = loader.join().expect("the load thread");
    (report, times)
}

/// The same server headless, under the same load.
fn headless_under_load(frame: &Bytes) -> Loaded {
    let (_child, addr) =
        bench_process::serve(env!("CARGO_BIN_EXE_framescope"), &["--mode", "frame-echo"]);
    load(addr, frame)
}

/// Frame times with 10,000 client connections listed (and one send to all).
fn many_connections(frame: &Bytes) -> (usize, FrameTimes) {
    let (child, addr) = bench_process::serve(
        env!("CARGO_BIN_EXE_framescope"),
        &["--capture", "off", "--max-connections", "10000"],
    );
    let mut h = Window::open(Engine::new().expect("engine"));
    h.state().engine().command(Command::Connect {
        broadcast: false,
        target: addr.into(),
        count: MANY_CONNECTIONS,
        mode: ClientMode::Framed,
        tls: None,
        profile: None,
        transport: framescope::engine::Transport::Tcp,
    });
    settle(&mut h, Duration::from_secs(60), |app| {
        let pool = app.engine().view().pool;
        pool.connecting == 0 && pool.open + pool.closed >= MANY_CONNECTIONS
    });
    let open = h.state().engine().view().pool.open;
    h.state().engine().command(Command::Send {
        target: SendTarget::All,
        bytes: frame.clone(),
    });
    let until = Instant::now() + Duration::from_secs(3);
    // Idle connections change little: painted every frame, as when a user
    // scrolls the list, so there are frames to time.
    let times = paced_frames(&mut h, Painting::EveryFrame, Duration::ZERO, || {
        Instant::now() < until
    });
    h.state().engine().command(Command::DisconnectAll);
    drop(h);
    drop(child);
    (open, times)
}

/// What saving 2,000,000 records cost the appends beside it.
struct SaveReport {
    /// The longest a snapshot held the journal's lock (worst of 5).
    snapshot_hold: Duration,
    /// The slowest append while the save ran.
    longest_append: Duration,
    /// The slowest of as many appends again while the engine's core spins
    /// with no save: what two busy cores on this machine cost an append.
    longest_append_spinning: Duration,
    /// How long the save took.
    save_time: Duration,
    /// Appends made while it ran.
    appends: u64,
}

/// Whose records the appends here make.
static BENCH_ORIGIN: Origin = Origin {
    conn: 1,
    side: Side::Server,
    peer: Some(SocketAddr::new(
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        9,
    )),
    local: None,
    link: None,
    profile: None,
    transport: framescope::engine::Transport::Tcp,
};

/// The record every append here makes.
fn bench_entry(bytes: &Bytes) -> Entry<'_> {
    Entry {
        origin: &BENCH_ORIGIN,
        direction: Direction::Received,
        kind: RecordKind::Frame,
        bytes,
        error: None,
    }
}

/// Appends until `done` says so (asked every 256 appends, with the events
/// polled); the number made and the slowest.
fn timed_appends(
    engine: &Engine,
    frame: &Bytes,
    mut done: impl FnMut(u64, Vec<Event>) -> bool,
) -> (u64, Duration) {
    let mut slowest = Duration::ZERO;
    let mut appends = 0u64;
    loop {
        let append = Instant::now();
        engine.record(bench_entry(frame));
        slowest = slowest.max(append.elapsed());
        appends += 1;
        if appends.is_multiple_of(256) && done(appends, engine.poll_events()) {
            return (appends, slowest);
        }
    }
}

/// How long a snapshot of 2,000,000 records holds the lock, and the longest
/// an append waited while they were saved; beside it, the longest of as
/// many appends while a thread spins on the engine's core (no save, no
/// lock, no memory): the stall this virtual machine adds when both of its
/// cores are busy.
fn save_lock(frame: &Bytes) -> SaveReport {
    let engine = Engine::new().expect("engine");
    for _ in 0..SAVED_RECORDS {
        engine.record(bench_entry(frame));
    }
    let snapshot_hold = (0..5)
        .map(|_| {
            let started = Instant::now();
            let snapshot = engine.snapshot();
            let took = started.elapsed();
            assert_eq!(snapshot.len(), SAVED_RECORDS as usize);
            took
        })
        .max()
        .unwrap_or_default();
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The save runs on the engine's core; the appends here on the other, so
    // an append waits only for the journal's lock, never for a time slice.
    pin_to(UI_CORE);
    let started = Instant::now();
    engine.command(Command::SaveLog {
        path: dir.path().join("two-million.jsonl"),
        format: LogFormat::JsonLines,
    });
    let (appends, longest_append) = timed_appends(&engine, frame, |_, events| {
        events.into_iter().any(|event| match event {
            Event::Saved { result, .. } => {
                result.expect("the save succeeds");
                true
            }
            _ => false,
        })
    });
    let save_time = started.elapsed();
    let spinning = Arc::new(AtomicBool::new(true));
    let spinner = {
        let spinning = spinning.clone();
        std::thread::spawn(move || {
            pin_to(SERVER_CORE);
            while spinning.load(Relaxed) {
                std::hint::spin_loop();
            }
        })
    };
    let (_, longest_append_spinning) = timed_appends(&engine, frame, |n, _| n >= appends);
    spinning.store(false, Relaxed);
    spinner.join().expect("the spinning thread");
    pin_to(SERVER_CORE);
    SaveReport {
        snapshot_hold,
        longest_append,
        longest_append_spinning,
        save_time,
        appends,
    }
}

/// Whether the part named `part` runs: all of them unless the command line
/// names some (`cargo bench --bench ui_under_load -- many save`).
fn wanted(part: &str) -> bool {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    named.is_empty() || named.iter().any(|n| n == part)
}

fn main() {
    // Threads and processes started from here on inherit the server's core;
    // the load pins its own thread to the other.
    pin_to(SERVER_CORE);
    let frame = frame();
    if wanted("load") {
        under_load(&frame);
    }
    if wanted("many") {
        eprintln!("10,000 connections listed");
        let (open, mut times) = many_connections(&frame);
        print_frame_times_header();
        print_frame_times("10,000 client connections listed", &mut times);
        println!("\n{open} of {MANY_CONNECTIONS} client connections open while listed");
    }
    if wanted("save") {
        eprintln!("saving {SAVED_RECORDS} records");
        let report = save_lock(&frame);
        println!(
            "\nsaving {SAVED_RECORDS} records: snapshot under the lock {:.3} ms (worst of 5); \
             save {:.2} s; {} appends meanwhile, the slowest {:.3} ms; \
             as many appends with the engine's core spinning and no save, the slowest {:.3} ms",
            report.snapshot_hold.as_secs_f64() * 1e3,
            report.save_time.as_secs_f64(),
            report.appends,
            report.longest_append.as_secs_f64() * 1e3,
            report.longest_append_spinning.as_secs_f64() * 1e3,
        );
    }
}

/// The embedded server with the window open beside the same server headless.
fn under_load(frame: &Bytes) {
    const PAINTINGS: [Painting; 2] = [Painting::AsAsked, Painting::EveryFrame];
    let mut headless = Vec::new();
    let mut windows: [Vec<Loaded>; 2] = Default::default();
    let mut frame_times: [FrameTimes; 2] = Default::default();
    for round in 1..=ROUNDS {
        eprintln!("round {round}/{ROUNDS}: headless serve");
        headless.push(headless_under_load(frame));
        for (index, painting) in PAINTINGS.into_iter().enumerate() {
            eprintln!(
                "round {round}/{ROUNDS}: the window with its embedded server, {}",
                painting.label()
            );
            let (report, times) = window_under_load(frame, painting);
            windows[index].push(report);
            frame_times[index].extend(times);
        }
    }
    println!(
        "\nframe-echo under a batching load ({CONNECTIONS} conns × {DEPTH} in flight, {} B frames), server on core {SERVER_CORE}, load on core {LOAD_CORE}\n",
        frame.len()
    );
    println!(
        "| run | frames/s | load thread busy | window's UI thread busy | core {LOAD_CORE} busy in all | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let percent =
        |share: Option<f64>| share.map_or("?".to_owned(), |s| format!("{:.0} %", s * 100.0));
    // Each run with the share of the load's core the window's UI thread took.
    let headless_runs: Vec<Run> = headless
        .iter()
        .map(|loaded| Run {
            loaded,
            ui_share: None,
        })
        .collect();
    let window_runs: Vec<Vec<Run>> = windows
        .iter()
        .zip(&frame_times)
        .map(|(reports, times)| {
            reports
                .iter()
                .enumerate()
                .map(|(round, loaded)| Run {
                    loaded,
                    ui_share: times.busy_shares.get(round).copied(),
                })
                .collect()
        })
        .collect();
    let window_rows = PAINTINGS
        .iter()
        .zip(&window_runs)
        .map(|(painting, runs)| (format!("window open, {}", painting.label()), runs));
    let rows = std::iter::once(("serve --quiet".to_owned(), &headless_runs)).chain(window_rows);
    for (name, runs) in rows {
        for run in runs {
            println!(
                "| {name} | {:.0} | {} | {} | {} | {} |",
                run.loaded.report.frames_per_s(),
                percent(run.loaded.report.load_cpu_share()),
                run.ui_share
                    .map_or("–".to_owned(), |s| format!("{:.0} %", s * 100.0)),
                percent(run.loaded.core_busy),
                run.loaded.report.errors
            );
        }
    }
    println!();
    let headless_median = Run::median(&headless_runs);
    for (painting, runs) in PAINTINGS.iter().zip(&window_runs) {
        let window_median = Run::median(runs);
        let saturated = window_median
            .loaded
            .core_busy
            .is_some_and(|share| share >= batch_load::LOAD_BOUND_SHARE);
        println!(
            "window open ({}) / headless, median rounds: {:.2}{}",
            painting.label(),
            window_median.loaded.report.frames_per_s()
                / headless_median.loaded.report.frames_per_s().max(1.0),
            if saturated {
                format!(
                    " (core {LOAD_CORE}, the load's and the UI's, was {} busy in that round: the load may have set the rate)",
                    percent(window_median.loaded.core_busy)
                )
            } else {
                String::new()
            }
        );
    }
    print_frame_times_header();
    for (painting, times) in PAINTINGS.iter().zip(&mut frame_times) {
        let state = format!("embedded server under load, {}", painting.label());
        print_frame_times(&state, times);
    }
}

/// One run of the load, and the share of the load's core the window's UI
/// thread took meanwhile (none headless).
struct Run<'a> {
    loaded: &'a Loaded,
    ui_share: Option<f64>,
}

impl Run<'_> {
    /// The run of median frames/s: a noisy machine slows single rounds by
    /// a quarter now and then, and a mean would carry that into the ratio.
    fn median<'r, 'a>(runs: &'r [Run<'a>]) -> &'r Run<'a> {
        let mut by_rate: Vec<&Run> = runs.iter().collect();
        by_rate.sort_by(|a, b| {
            a.loaded
                .report
                .frames_per_s()
                .total_cmp(&b.loaded.report.frames_per_s())
        });
        by_rate[by_rate.len() / 2]
    }
}

/// The head of the frame-time table.
fn print_frame_times_header() {
    println!(
        "\n| window state | frames timed | mean | p99 | max | CPU mean | CPU p99 | CPU max | waiting for the core: mean | p99 | max |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}

/// One row of the frame-time table.
fn print_frame_times(what: &str, times: &mut FrameTimes) {
    let (mean, p99, max) = frame_stats(&mut times.wall);
    let (cpu_mean, cpu_p99, cpu_max) = frame_stats(&mut times.cpu);
    let (wait_mean, wait_p99, wait_max) = frame_stats(&mut times.waiting);
    println!(
        "| {what} | {} | {mean:.2} ms | {p99:.2} ms | {max:.2} ms | {cpu_mean:.2} ms | {cpu_p99:.2} ms | {cpu_max:.2} ms | {wait_mean:.2} ms | {wait_p99:.2} ms | {wait_max:.2} ms |",
        times.wall.len()
    );
}
