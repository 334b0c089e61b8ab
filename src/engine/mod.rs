//! The shared async engine: protocol, embedded server, client pool, journal.
//!
//! It knows nothing of egui. [`Engine`] owns a multi-thread tokio runtime,
//! takes [`Command`]s from any thread without blocking, and hands back
//! [`Event`]s; the journal and counters are read directly, under short locks.

pub mod client;
pub mod codec;
pub mod describe;
pub mod fdlimit;
pub mod frame;
pub mod hexdump;
pub mod journal;
pub mod journal_file;
pub mod limits;
pub mod load;
pub mod pyjson;
pub mod reader;
pub mod server;
pub mod shared;
pub mod stats;
pub mod tutorial_app;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

pub use client::{
    ClientMode, ClientPool, CloseReason, ConnState, ConnectReport, ConnectionSummary, SendReport,
    SendTarget,
};
pub use codec::{DecodeError, DecodeReason, FrameCodec, FramePart};
pub use frame::{ContentLength, Frame, FrameBuilder, Header};
pub use journal::{Capture, Direction, Journal, JournalLimits, RecordKind, RecordView, Side};
pub use journal_file::{LineError, LoadedLog, LogFormat, SaveSummary};
pub use limits::Limits;
pub use server::{ServerError, ServerMode};
pub use shared::{ConnectionEvent, Shared};

/// Most repaint requests a viewer gets: about 60 a second.
const NOTIFY_INTERVAL: Duration = Duration::from_millis(16);
/// Commands that may wait for the engine.
const COMMAND_QUEUE: usize = 1024;
/// Events that may wait for the viewer before new ones are dropped.
const EVENT_QUEUE: usize = 4096;

/// What the engine is asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Start the embedded server.
    StartServer {
        /// Where to listen.
        addr: SocketAddr,
        /// What to serve.
        mode: ServerMode,
    },
    /// Stop the embedded server.
    StopServer,
    /// Open `count` client connections to `target`.
    Connect {
        /// Where to connect.
        target: SocketAddr,
        /// How many connections.
        count: usize,
        /// Framed or raw.
        mode: ClientMode,
    },
    /// Close every client connection.
    DisconnectAll,
    /// Forget closed client connections.
    ClearClosed,
    /// Send bytes (a built frame, or raw bytes) to one client connection or all.
    Send {
        /// Which connections.
        target: SendTarget,
        /// What to send.
        bytes: Bytes,
    },
    /// Save the journal.
    SaveLog {
        /// Where.
        path: PathBuf,
        /// JSON Lines or text.
        format: LogFormat,
    },
    /// Read a saved log (it arrives as [`Event::LogLoaded`]).
    LoadLog {
        /// Which file.
        path: PathBuf,
    },
    /// Forget every journal record.
    ClearLog,
    /// Change the capture mode.
    SetCapture(Capture),
    /// Change the limits for servers and connections started from now on.
    SetLimits(Limits),
}

/// What the engine reports back.
#[derive(Debug)]
pub enum Event {
    /// The server is listening.
    ServerStarted {
        /// The real address (with the port given when 0 was asked).
        addr: SocketAddr,
        /// Its mode.
        mode: ServerMode,
    },
    /// The server could not start.
    ServerFailed(String),
    /// The server stopped and its port is free.
    ServerStopped,
    /// A connect request finished.
    Connected {
        /// Where to.
        target: SocketAddr,
        /// How many opened and failed.
        report: ConnectReport,
    },
    /// A connect request was refused before any attempt.
    ConnectFailed(String),
    /// Saving made progress.
    SaveProgress {
        /// Records written.
        done: usize,
        /// Records to write.
        total: usize,
    },
    /// Saving finished.
    Saved {
        /// The file.
        path: PathBuf,
        /// What was written, or why not.
        result: Result<SaveSummary, String>,
    },
    /// A log was read.
    LogLoaded {
        /// The file.
        path: PathBuf,
        /// The log, or why it could not be read.
        result: Result<LoadedLog, String>,
    },
}

/// The running server, as a viewer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerStatus {
    /// Where it listens, if running.
    pub listening: Option<SocketAddr>,
    /// Its mode, if running.
    pub mode: Option<ServerMode>,
    /// Connections open now.
    pub open_connections: usize,
    /// Connections accepted since it started.
    pub accepted: u64,
    /// Connections refused at the cap.
    pub refused_at_cap: u64,
    /// Failed accepts.
    pub accept_errors: u64,
}

/// A function the engine calls when something a viewer shows has changed.
pub type Notifier = Arc<dyn Fn() + Send + Sync>;

/// The engine: a tokio runtime, the server, the client pool and the journal.
pub struct Engine {
    runtime: Runtime,
    shared: Arc<Shared>,
    pool: ClientPool,
    server: Arc<Mutex<Option<Arc<server::ServerHandle>>>>,
    commands: mpsc::Sender<Command>,
    events: std_mpsc::Receiver<Event>,
    notifier: Arc<Mutex<Option<Notifier>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server", &self.server_status())
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
        let shared = Shared::new(journal_limits);
        let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (event_tx, events) = std_mpsc::sync_channel(EVENT_QUEUE);
        let engine = Self {
            runtime,
            shared,
            pool: ClientPool::new(),
            server: Arc::new(Mutex::new(None)),
            commands,
            events,
            notifier: Arc::new(Mutex::new(None)),
        };
        let actor = Actor {
            shared: engine.shared.clone(),
            pool: engine.pool.clone(),
            server: engine.server.clone(),
            events: event_tx,
            limits,
            notifier: engine.notifier.clone(),
        };
        engine.runtime.spawn(actor.clone().run(command_rx));
        engine.runtime.spawn(actor.clone().notify_loop());
        engine.runtime.spawn(actor.sample_rates());
        Ok(engine)
    }

    /// Sets the function called (at most ~60 times a second) when state changes.
    pub fn set_notifier(&self, notifier: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut slot) = self.notifier.lock() {
            *slot = Some(Arc::new(notifier));
        }
    }

    /// Queues a command; never blocks. Returns false if the queue is full.
    /// Sends skip the queue: they go straight to the connections' own queues.
    pub fn command(&self, command: Command) -> bool {
        match command {
            Command::Send { target, bytes } => {
                self.send(target, &bytes);
                true
            }
            command => self.commands.try_send(command).is_ok(),
        }
    }

    /// Queues `bytes` on the targeted client connections now, without waiting.
    pub fn send(&self, target: SendTarget, bytes: &Bytes) -> SendReport {
        let report = self.pool.send(target, bytes);
        self.shared.mark_changed();
        report
    }

    /// Every event reported since the last call.
    pub fn poll_events(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event (for tests and the command line).
    pub fn wait_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// The shared journal and counters.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The client pool.
    pub fn pool(&self) -> &ClientPool {
        &self.pool
    }

    /// The runtime, for callers that run their own async work beside the engine.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The server's state now.
    pub fn server_status(&self) -> ServerStatus {
        let Some(handle) = self.server.lock().ok().and_then(|s| s.clone()) else {
            return ServerStatus::default();
        };
        let counters = handle.counters();
        use std::sync::atomic::Ordering::Relaxed;
        ServerStatus {
            listening: Some(handle.local_addr()),
            mode: Some(handle.mode()),
            open_connections: counters.open.load(Relaxed),
            accepted: counters.accepted.load(Relaxed),
            refused_at_cap: counters.refused_at_cap.load(Relaxed),
            accept_errors: counters.accept_errors.load(Relaxed),
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.pool.disconnect_all();
    }
}

/// The engine's command loop and background duties, on the runtime.
#[derive(Clone)]
struct Actor {
    shared: Arc<Shared>,
    pool: ClientPool,
    server: Arc<Mutex<Option<Arc<server::ServerHandle>>>>,
    events: std_mpsc::SyncSender<Event>,
    limits: Limits,
    notifier: Arc<Mutex<Option<Notifier>>>,
}

impl Actor {
    fn emit(&self, event: Event) {
        let _ = self.events.try_send(event);
        self.shared.mark_changed();
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        while let Some(command) = commands.recv().await {
            self.handle(command).await;
        }
    }

    fn take_server(&self) -> Option<Arc<server::ServerHandle>> {
        self.server.lock().ok().and_then(|mut s| s.take())
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::StartServer { addr, mode } => self.start_server(addr, mode).await,
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
            } => {
                let this = self.clone();
                tokio::spawn(async move {
                    let event = match this
                        .pool
                        .connect(target, count, mode, this.limits, this.shared.clone())
                        .await
                    {
                        Ok(report) => Event::Connected { target, report },
                        Err(error) => Event::ConnectFailed(error.to_string()),
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
            // Never queued: `Engine::command` hands sends to the pool at once.
            Command::Send { target, bytes } => {
                self.pool.send(target, &bytes);
            }
            Command::SaveLog { path, format } => self.save_log(path, format),
            Command::LoadLog { path } => {
                let this = self.clone();
                tokio::task::spawn_blocking(move || {
                    let result = journal_file::load(&path).map_err(|e| e.to_string());
                    this.emit(Event::LogLoaded { path, result });
                });
            }
            Command::ClearLog => {
                self.shared.journal().clear();
                self.shared.stats.latency.reset();
                self.shared.mark_changed();
            }
            Command::SetCapture(capture) => self.shared.set_capture(capture),
            Command::SetLimits(limits) => self.limits = limits,
        }
    }

    async fn start_server(&self, addr: SocketAddr, mode: ServerMode) {
        let running = self
            .server
            .lock()
            .ok()
            .and_then(|s| s.as_ref().map(|h| h.local_addr()));
        if let Some(running) = running {
            return self.emit(Event::ServerFailed(
                ServerError::AlreadyRunning(running).to_string(),
            ));
        }
        match server::start(addr, mode, self.limits, self.shared.clone()).await {
            Ok(handle) => {
                let addr = handle.local_addr();
                if let Ok(mut slot) = self.server.lock() {
                    *slot = Some(Arc::new(handle));
                }
                self.emit(Event::ServerStarted { addr, mode });
            }
            Err(error) => self.emit(Event::ServerFailed(error.to_string())),
        }
    }

    fn save_log(&self, path: PathBuf, format: LogFormat) {
        let snapshot = self.shared.journal().snapshot();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let progress = |done, total| this.emit(Event::SaveProgress { done, total });
            let result =
                journal_file::save(&snapshot, &path, format, progress).map_err(|e| e.to_string());
            this.emit(Event::Saved { path, result });
        });
    }

    /// Calls the notifier when something changed, at most every 16 ms.
    async fn notify_loop(self) {
        loop {
            self.shared.changed().await;
            let notifier = self.notifier.lock().ok().and_then(|n| n.clone());
            if let Some(notifier) = notifier {
                notifier();
            }
            tokio::time::sleep(NOTIFY_INTERVAL).await;
        }
    }

    /// Samples the frame rate once a second for the rate chart.
    async fn sample_rates(self) {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        let mut last = tokio::time::Instant::now();
        loop {
            ticker.tick().await;
            let now = tokio::time::Instant::now();
            self.shared
                .stats
                .rates
                .sample(self.shared.stats.total_frames(), now - last);
            last = now;
            self.shared.mark_changed();
        }
    }
}
