//! The shared async engine: protocol, embedded server, client pool, journal.
//!
//! It knows nothing of egui. [`Engine`] owns a multi-thread tokio runtime
//! and has one narrow surface: [`Command`]s go in without blocking, and
//! what comes out is [`Event`]s, the latest published [`EngineView`], and
//! [`JournalSnapshot`]s that are read with no lock held.
//!
//! Inside, the imports point one way:
//! `frame`/`codec` → `vocabulary` → `journal`/`stats` → `shared`/`recorder`
//! → `client`/`server` → `view` → [`Engine`]. Stateful modules are
//! private and this file re-exports their surface once, so every type has
//! one path; the pure helpers over bytes and records (`hexdump`,
//! `describe`, `follow`) and the tutorial's protocol (`tutorial_app`) are
//! public namespaces of their own.

pub mod bench_support;
mod client;
mod codec;
pub mod describe;
mod fdlimit;
mod flat_header;
pub mod follow;
mod frame;
pub mod hexdump;
mod journal;
mod journal_file;
mod limits;
pub mod load;
mod load_control;
mod notify;
mod pcapng;
mod pyjson;
mod reader;
mod recorder;
pub mod relay;
pub mod rules;
pub mod scenario;
mod scenario_control;
mod server;
mod shared;
mod stats;
mod target;
pub mod template;
mod thread_cpu;
pub mod tls;
pub mod tutorial_app;
mod view;
mod vocabulary;
mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::runtime::Runtime;
use tokio::sync::{broadcast, mpsc};

pub use client::{
    CONNECT_TIMEOUT, CONNECTS_IN_FLIGHT, ClientMode, ConnectReport, ConnectionSummary, PoolCounts,
    PoolError, SendReport, SendTarget,
};
pub use codec::{
    DecodeError, DecodeReason, FrameCheck, FrameCodec, FramePart, FrameSoFar, check_frame,
    validate_header,
};
pub use fdlimit::raise as raise_fd_limit;
pub use frame::{
    BuildError, ContentLength, Frame, FrameBuilder, Header, PROTO_HEADER_LEN, REQUIRED_KEYS,
    declared_header_len, header_end, header_value_from_text,
};
pub use journal::{
    Entry, Journal, JournalLimits, JournalSnapshot, Origin, Record, RecordRef, RecordView, now_us,
};
pub use journal_file::{
    JournalFileError, LineError, LoadedLog, LogFormat, SaveSummary, load as load_log,
    save as save_log,
};
pub use limits::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONTENT_LENGTH, DEFAULT_READ_TIMEOUT, Limits,
};
pub use load_control::{LOAD_HISTORY, LoadOutcome, LoadRefused, LoadSample, LoadView};
pub use pcapng::{PcapError, PcapSummary, write_pcapng};
pub use scenario_control::{
    ScenarioCounts, ScenarioProgress, ScenarioRefused, ScenarioRunEnd, ScenarioRunView,
};
pub use server::{DEFAULT_LISTEN, ServerError, ServerMode, is_all_interfaces};
pub use stats::{CounterSnapshot, LatencySummary, RATE_WINDOW};
pub use target::{Target, TargetError};
pub use view::{EngineView, LatencyView, RulesStatus, ServerStatus};
pub use vocabulary::{
    Capture, CloseReason, ConnState, ConnectionEvent, Direction, RecordKind, Side,
};

/// Most repaint requests a viewer gets: about 60 a second.
const NOTIFY_INTERVAL: Duration = Duration::from_millis(16);
/// Commands that may wait for the engine.
const COMMAND_QUEUE: usize = 1024;
/// Events that may wait for the viewer before new ones are dropped.
const EVENT_QUEUE: usize = 4096;
/// How often held frames are checked for a time-out.
const HOLD_CHECK: Duration = Duration::from_millis(250);
/// A save slower than this is worth a line in the diagnostics.
const SLOW_SAVE: Duration = Duration::from_secs(1);

/// What the engine is asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Start the embedded server.
    StartServer {
        /// Where to listen.
        addr: SocketAddr,
        /// What to serve.
        mode: ServerMode,
        /// TLS settings; `None` serves plain TCP.
        tls: Option<tls::ServerTls>,
        /// Where a relay mode forwards every connection (ignored by the
        /// other modes).
        upstream: Option<Target>,
    },
    /// Stop the embedded server.
    StopServer,
    /// Put a rule set in force (`None`: none). The server's rules mode
    /// answers every frame from then on with it, a running server too.
    SetRules(Option<Arc<rules::RuleSet>>),
    /// Open `count` client connections to `target`, looking its name up
    /// once; each connection tries every address found, in turn.
    Connect {
        /// Where to connect: an address, or a name and a port.
        target: Target,
        /// How many connections.
        count: usize,
        /// Framed or raw.
        mode: ClientMode,
        /// TLS settings; `None` connects plain TCP.
        tls: Option<tls::ClientTls>,
    },
    /// Close every client connection.
    DisconnectAll,
    /// Forget closed client connections.
    ClearClosed,
    /// Send bytes (a built frame, or raw bytes) to one client connection or
    /// all. Done at once: [`Engine::command`] returns its [`SendReport`].
    Send {
        /// Which connections.
        target: SendTarget,
        /// What to send.
        bytes: Bytes,
    },
    /// Save the journal (progress and the result arrive as events).
    SaveLog {
        /// The file to write.
        path: PathBuf,
        /// JSON Lines or text.
        format: LogFormat,
    },
    /// Read a saved log (it arrives as [`Event::LogLoaded`]).
    LoadLog {
        /// The file to read.
        path: PathBuf,
    },
    /// Forget every journal record and the latency measured.
    ClearLog,
    /// Change how much of each frame the journal keeps, from now on.
    SetCapture(Capture),
    /// Change the journal's bounds; records beyond them fall out at once.
    SetJournalLimits(JournalLimits),
    /// Start a load run (one at a time: a second is refused with
    /// [`Event::LoadRefused`]); progress shows in [`EngineView::load`], the
    /// end arrives as [`Event::LoadFinished`].
    StartLoad {
        /// The run (its recorder is the engine's to set).
        spec: Box<load::LoadSpec>,
        /// How much of each frame the run's records keep in the journal;
        /// the journal's own capture mode is left as it is.
        capture: Capture,
    },
    /// Stop the load run under way; what it measured so far is its result.
    StopLoad,
    /// Run a scenario file's scenarios in order (one run at a time: a
    /// second is refused with [`Event::ScenarioRefused`]); each step shows
    /// in [`EngineView::scenario`] as it ends and its traffic in the
    /// journal under connection ids of its own; the end arrives as
    /// [`Event::ScenarioFinished`].
    RunScenario {
        /// The compiled file.
        file: Box<scenario::ScenarioFile>,
        /// Where to connect, overriding the file's targets.
        target: Option<Target>,
    },
    /// Stop the scenario run under way at once.
    StopScenario,
    /// Which directions the relay holds, for how long, and what a time-out
    /// does. Done at once; a direction no longer held lets its frames go.
    SetHold(relay::HoldSettings),
    /// Forward, edit or drop one held frame. Done at once:
    /// [`Engine::command`] returns [`CommandOutcome::Refused`] when it
    /// cannot be done.
    Release {
        /// The held frame ([`relay::HeldView::id`]).
        id: u64,
        /// What to do with it.
        release: relay::Release,
    },
    /// Keep a held frame past the hold's time-out (while it is edited, say),
    /// or let the time-out apply again, counted afresh. Done at once, as
    /// `Release` is.
    PinHeld {
        /// The held frame.
        id: u64,
        /// Kept (true) or under the time-out again (false).
        pinned: bool,
    },
    /// Send bytes into one direction of a relayed conversation, after what
    /// is queued that way. Done at once, as `Release` is.
    Inject {
        /// The conversation ([`relay::ConversationView::id`]).
        conversation: u32,
        /// Which way.
        toward: relay::Toward,
        /// What to send.
        bytes: Bytes,
    },
}

/// What became of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Queued for the engine; what it did arrives as events and in the view.
    Queued,
    /// A send, done: on how many connections it was queued.
    Sent(SendReport),
    /// The command queue is full; nothing was done.
    Busy,
    /// An intercept command that could not be done, and why.
    Refused(relay::InterceptError),
}

/// What the engine reports back.
#[derive(Debug)]
pub enum Event {
    /// The server is listening.
    ServerStarted {
        /// The real address (with the port given when 0 was asked).
        addr: SocketAddr,
        /// The mode it serves.
        mode: ServerMode,
    },
    /// The server could not start.
    ServerFailed(ServerError),
    /// The server stopped and its port is free.
    ServerStopped,
    /// A connect request finished (every connection opened or failed).
    ConnectFinished {
        /// The target as asked for.
        target: Target,
        /// How many opened and failed.
        report: ConnectReport,
    },
    /// A connect request was refused before any attempt (a bad count, the
    /// cap, or a name that could not be looked up).
    ConnectFailed(PoolError),
    /// Saving made progress.
    SaveProgress {
        /// Records written.
        done: usize,
        /// Records to write.
        total: usize,
    },
    /// Saving finished.
    Saved {
        /// The file written.
        path: PathBuf,
        /// What was written, or why not.
        result: Result<SaveSummary, JournalFileError>,
    },
    /// A log was read.
    LogLoaded {
        /// The file read.
        path: PathBuf,
        /// The log, or why it could not be read.
        result: Result<LoadedLog, JournalFileError>,
    },
    /// A load run was not started.
    LoadRefused(LoadRefused),
    /// A load run ended (once per run started): its report, or why it failed.
    LoadFinished(LoadOutcome),
    /// A scenario run was not started.
    ScenarioRefused(ScenarioRefused),
    /// A scenario run ended (once per run started).
    ScenarioFinished(ScenarioRunEnd),
}

pub use notify::Notifier;

/// The embedded server's slot: empty, or the running server.
type ServerSlot = Arc<Mutex<Option<Arc<server::ServerHandle>>>>;

/// The engine: a tokio runtime, the server, the client pool and the journal.
pub struct Engine {
    runtime: Runtime,
    /// The parts connection tasks share; here only to take snapshots and
    /// subscribe listeners.
    shared: Arc<shared::Shared>,
    /// Kept for `Drop` (disconnects everything) and for sends, which skip
    /// the command queue: they go straight to the connections' own queues.
    pool: client::ClientPool,
    publisher: Arc<view::Publisher>,
    /// Everything that acts on the engine's state, on the runtime.
    actor: Actor,
    commands: mpsc::Sender<Command>,
    events: std_mpsc::Receiver<Event>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server", &self.view().server)
            .finish_non_exhaustive()
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The tokio runtime could not be built.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

impl Engine {
    /// Starts an engine with default limits and journal bounds.
    pub fn new() -> Result<Self, EngineError> {
        Self::with_config(Limits::default(), JournalLimits::default())
    }

    /// Starts an engine.
    pub fn with_config(limits: Limits, journal_limits: JournalLimits) -> Result<Self, EngineError> {
        fdlimit::raise();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("framescope-engine")
            .build()?;
        let shared = shared::Shared::new(journal_limits);
        let pool = client::ClientPool::new();
        let publisher = Arc::new(view::Publisher::new(limits, journal_limits));
        let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (event_tx, events) = std_mpsc::sync_channel(EVENT_QUEUE);
        let actor = Actor {
            shared: shared.clone(),
            pool: pool.clone(),
            server: ServerSlot::default(),
            publisher: publisher.clone(),
            events: event_tx,
            limits,
            notifier: notify::NotifyWaker::start()?,
            load: Arc::default(),
            scenario: Arc::default(),
        };
        runtime.spawn(actor.clone().run(command_rx));
        runtime.spawn(actor.clone().notify_loop());
        runtime.spawn(actor.clone().sample_rates());
        runtime.spawn(actor.clone().expire_held());
        Ok(Self {
            runtime,
            shared,
            pool,
            publisher,
            actor,
            commands,
            events,
        })
    }

    /// Sets the function called (at most ~60 times a second) when the
    /// published view or the journal changed. It is called on a thread of
    /// its own, never on the runtime's workers, so it may block (a window's
    /// repaint request waits for the UI's lock) without stalling a socket.
    pub fn set_notifier(&self, notifier: impl Fn() + Send + Sync + 'static) {
        self.actor.notifier.set(Arc::new(notifier));
    }

    /// Acts on a command without blocking: a send is done at once and
    /// reports back; everything else is queued.
    pub fn command(&self, command: Command) -> CommandOutcome {
        match command {
            Command::Send { target, bytes } => {
                let report = self.pool.send(target, &bytes);
                self.shared.mark_changed();
                CommandOutcome::Sent(report)
            }
            Command::SetRules(set) => {
                self.shared.rules.store(set);
                self.shared.mark_changed();
                CommandOutcome::Queued
            }
            Command::SetHold(hold) => {
                self.shared.relay.set_hold(hold);
                self.shared.mark_changed();
                CommandOutcome::Queued
            }
            Command::Release { id, release } => {
                self.intercept_outcome(self.shared.relay.release(id, release))
            }
            Command::PinHeld { id, pinned } => {
                self.intercept_outcome(self.shared.relay.pin(id, pinned))
            }
            Command::Inject {
                conversation,
                toward,
                bytes,
            } => self.intercept_outcome(self.shared.relay.inject(conversation, toward, bytes)),
            command => match self.commands.try_send(command) {
                Ok(()) => CommandOutcome::Queued,
                Err(_) => CommandOutcome::Busy,
            },
        }
    }

    fn intercept_outcome(&self, result: Result<(), relay::InterceptError>) -> CommandOutcome {
        self.shared.mark_changed();
        match result {
            Ok(()) => CommandOutcome::Queued,
            Err(error) => CommandOutcome::Refused(error),
        }
    }

    /// Every event reported since the last call.
    pub fn poll_events(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event (for tests and the command line).
    pub fn wait_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// The latest published view (no lock; at most one notify tick old).
    pub fn view(&self) -> Arc<EngineView> {
        self.publisher.latest()
    }

    /// The view as of now, built at once (for the command line and tests;
    /// a window reads [`Engine::view`], which the engine keeps fresh).
    pub fn fresh_view(&self) -> Arc<EngineView> {
        self.actor.publish(true)
    }

    /// Every journal record held now, to read with no lock held. Costs a
    /// copy of the segment list and of the open tail's records, no bytes.
    pub fn snapshot(&self) -> JournalSnapshot {
        self.shared.journal.snapshot()
    }

    /// A recorder that puts a load run's frames (the command line's own run,
    /// with `--log`) into this engine's journal, keeping what `capture`
    /// says, on connection ids from the engine's one sequence.
    pub fn load_recorder(&self, capture: Capture) -> load::LoadRecorder {
        load::LoadRecorder::new(self.shared.clone(), capture)
    }

    /// Listens to connections opening and closing from now on.
    pub fn subscribe_connections(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.shared.subscribe_connections()
    }

    /// Appends a record to the live journal as a connection task would (for
    /// tests and benchmarks that need a large journal quickly).
    #[doc(hidden)]
    pub fn record(&self, entry: Entry<'_>) {
        self.shared.journal.append(entry);
        self.shared.mark_changed();
    }

    /// Runs `future` on the engine's runtime (for the command line's own
    /// waits, such as a stop signal, beside the engine).
    pub fn spawn<F>(&self, future: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.runtime.spawn(future);
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.pool.disconnect_all();
        self.actor.load.stop();
        self.actor.scenario.stop();
    }
}

/// The engine's command loop and background duties, on the runtime.
#[derive(Clone)]
struct Actor {
    shared: Arc<shared::Shared>,
    pool: client::ClientPool,
    server: ServerSlot,
    publisher: Arc<view::Publisher>,
    events: std_mpsc::SyncSender<Event>,
    limits: Limits,
    /// Calls the viewer's notifier on a thread of its own.
    notifier: notify::NotifyWaker,
    load: Arc<load_control::LoadSlot>,
    scenario: Arc<scenario_control::ScenarioSlot>,
}

impl Actor {
    /// Reports an event, after publishing a view that already shows its
    /// effect (a viewer reading the view on the event sees them agree).
    fn emit(&self, event: Event) {
        self.publish(false);
        if self.events.try_send(event).is_err() {
            tracing::warn!("event queue full: an event for the viewer was dropped");
        }
        self.shared.mark_changed();
    }

    async fn run(self, mut commands: mpsc::Receiver<Command>) {
        while let Some(command) = commands.recv().await {
            self.handle(command).await;
        }
    }

    fn take_server(&self) -> Option<Arc<server::ServerHandle>> {
        self.server.lock().take()
    }

    async fn handle(&self, command: Command) {
        match command {
            Command::StartServer {
                addr,
                mode,
                tls,
                upstream,
            } => self.start_server(addr, mode, tls.as_ref(), upstream).await,
            Command::SetRules(set) => {
                self.shared.rules.store(set);
                self.shared.mark_changed();
            }
            Command::StopServer => {
                if let Some(handle) = self.take_server() {
                    handle.stop().await;
                }
                self.emit(Event::ServerStopped);
            }
            Command::Connect {
                target,
                count,
                mode,
                tls,
            } => {
                let this = self.clone();
                tokio::spawn(async move {
                    let event = match this
                        .pool
                        .connect(
                            target.clone(),
                            count,
                            mode,
                            tls.as_ref(),
                            this.limits,
                            this.shared.clone(),
                        )
                        .await
                    {
                        Ok(report) => Event::ConnectFinished { target, report },
                        Err(error) => Event::ConnectFailed(error),
                    };
                    this.emit(event);
                });
            }
            Command::DisconnectAll => {
                self.pool.disconnect_all();
                self.shared.mark_changed();
            }
            Command::ClearClosed => {
                self.pool.clear_closed();
                self.shared.mark_changed();
            }
            Command::Send { target, bytes } => {
                self.pool.send(target, &bytes);
                self.shared.mark_changed();
            }
            Command::SaveLog { path, format } => self.save_log(path, format),
            Command::LoadLog { path } => {
                let this = self.clone();
                tokio::task::spawn_blocking(move || {
                    let result = journal_file::load(&path);
                    this.emit(Event::LogLoaded { path, result });
                });
            }
            Command::ClearLog => {
                self.shared.journal.clear();
                self.shared.stats.latency.reset();
                self.publisher.reset_latency();
                self.shared.mark_changed();
            }
            Command::SetCapture(capture) => {
                self.shared.journal.set_capture(capture);
                self.shared.mark_changed();
            }
            Command::SetJournalLimits(limits) => {
                self.shared.journal.set_limits(limits);
                self.shared.mark_changed();
            }
            Command::StartLoad { spec, capture } => self.start_load(*spec, capture),
            Command::StopLoad => {
                self.load.stop();
                self.shared.mark_changed();
            }
            Command::RunScenario { file, target } => {
                match self.scenario.start(*file, target, &self.shared) {
                    Ok(run) => {
                        let this = self.clone();
                        tokio::spawn(async move {
                            let end = run.await;
                            this.emit(Event::ScenarioFinished(end));
                        });
                    }
                    Err(refused) => self.emit(Event::ScenarioRefused(refused)),
                }
            }
            Command::StopScenario => {
                self.scenario.stop();
                self.shared.mark_changed();
            }
            // Done at once by `Engine::command`; here only when queued by
            // hand, with nobody to tell of a refusal.
            Command::SetHold(hold) => self.shared.relay.set_hold(hold),
            Command::Release { id, release } => {
                let _ = self.shared.relay.release(id, release);
            }
            Command::PinHeld { id, pinned } => {
                let _ = self.shared.relay.pin(id, pinned);
            }
            Command::Inject {
                conversation,
                toward,
                bytes,
            } => {
                let _ = self.shared.relay.inject(conversation, toward, bytes);
            }
        }
    }

    /// Starts a load run and waits for its end on a blocking thread, then
    /// reports it.
    fn start_load(&self, spec: load::LoadSpec, capture: Capture) {
        match self.load.start(spec, capture, &self.shared) {
            Ok(run) => {
                let this = self.clone();
                tokio::task::spawn_blocking(move || {
                    let outcome = this.load.finish(run.wait());
                    this.emit(Event::LoadFinished(outcome));
                });
            }
            Err(refused) => self.emit(Event::LoadRefused(refused)),
        }
    }

    async fn start_server(
        &self,
        addr: SocketAddr,
        mode: ServerMode,
        tls: Option<&tls::ServerTls>,
        upstream: Option<Target>,
    ) {
        let running = self.server.lock().as_ref().map(|h| h.local_addr());
        if let Some(running) = running {
            return self.emit(Event::ServerFailed(ServerError::AlreadyRunning(running)));
        }
        match server::start(addr, mode, tls, upstream, self.limits, self.shared.clone()).await {
            Ok(handle) => {
                let addr = handle.local_addr();
                *self.server.lock() = Some(Arc::new(handle));
                self.emit(Event::ServerStarted { addr, mode });
            }
            Err(error) => self.emit(Event::ServerFailed(error)),
        }
    }

    /// Saves from a snapshot on a blocking thread: no journal lock is held
    /// while writing, and no runtime worker waits on the disk.
    fn save_log(&self, path: PathBuf, format: LogFormat) {
        let snapshot = self.shared.journal.snapshot();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let progress = |done, total| this.emit(Event::SaveProgress { done, total });
            let result = journal_file::save(&snapshot, &path, format, progress);
            let took = started.elapsed();
            if took > SLOW_SAVE {
                tracing::info!(
                    path = %path.display(),
                    records = snapshot.len(),
                    seconds = took.as_secs_f64(),
                    "slow save"
                );
            }
            this.emit(Event::Saved { path, result });
        });
    }

    /// Builds and publishes a view of the state now.
    fn publish(&self, force: bool) -> Arc<EngineView> {
        let server = self.server.lock().clone();
        self.publisher.publish(
            &view::Sources {
                shared: &self.shared,
                pool: &self.pool,
                server: server.as_deref(),
                limits: self.limits,
                load: self.load.view(),
                scenario: self.scenario.view(),
            },
            force,
        )
    }

    /// When something changed: publishes a view, then calls the notifier;
    /// at most every 16 ms.
    async fn notify_loop(self) {
        loop {
            self.shared.changed().await;
            self.publish(false);
            self.notifier.wake();
            tokio::time::sleep(NOTIFY_INTERVAL).await;
        }
    }

    /// Decides the fate of held frames whose time is up, four times a second.
    async fn expire_held(self) {
        let mut ticker = tokio::time::interval(HOLD_CHECK);
        loop {
            ticker.tick().await;
            if self.shared.relay.expire(Instant::now()) > 0 {
                self.shared.mark_changed();
            }
        }
    }

    /// Samples the frame rate once a second for the rate chart.
    async fn sample_rates(self) {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticker.tick().await;
            self.publisher.sample_rate(self.shared.stats.total_frames());
            self.shared.mark_changed();
        }
    }
}
