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

mod actor;
mod client;
mod command;
pub mod load;
mod net;
mod notify;
mod protocol;
mod record;
mod recorder;
pub mod reference;
pub mod relay;
mod render;
pub mod rules;
pub mod scenario;
mod script;
mod server;
mod shared;
mod view;

pub use net::tls;
pub use protocol::tutorial_app;
pub use render::{describe, follow, hexdump};

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::runtime::Runtime;
use tokio::sync::{broadcast, mpsc};

pub use client::{
    CONNECT_TIMEOUT, CONNECTS_IN_FLIGHT, ClientMode, ConnectReport, ConnectionSummary, PoolCounts,
    PoolError, SendReport, SendTarget,
};
pub use command::{Command, CommandOutcome, Event};
pub use load::control::{LoadOutcome, LoadRefused, LoadSample, LoadView};
pub use net::datagram::{JoinError, MulticastInterface, MulticastJoin};
pub use net::fdlimit::raise as raise_fd_limit;
pub use net::limits::{DEFAULT_MAX_CONTENT_LENGTH, Limits};
pub use net::read_error::{ReadError, ReadReason};
pub use net::target::{Target, TargetError};
pub use protocol::codec::{CodecError, DecodeError, DecodeReason, FrameCodec, FramePart};
pub use protocol::frame::{
    BuildError, ContentEncodingError, ContentLength, Frame, FrameBuilder, Header, PROTO_HEADER_LEN,
    REQUIRED_KEYS, declared_header_len, header_end, header_end_within, header_value_from_text,
};
pub use protocol::profile::{
    BUILTIN_NAMES, DecodedField, EncodeError, FieldFault, FieldProblem, FormField, Framing,
    Profile, ProfileCheck, ProfileError, ProfileProblem, Role, Value,
};
pub use protocol::text_encoding::{
    DecodedText, OFFERED as TEXT_ENCODINGS, TextEncoding, Unencodable,
};
pub use record::journal::{
    Entry, Journal, JournalLimits, JournalSnapshot, Origin, Record, RecordRef, RecordView, now_us,
};
pub use record::stats::{CounterSnapshot, LatencySummary, RATE_WINDOW};
pub use record::vocabulary::{
    Capture, CloseReason, ConnState, ConnectionEvent, Direction, RecordKind, Side, Transport,
};
pub use render::dissector::{DissectorError, lua_dissector};
pub use render::journal_file::{
    JournalFileError, LineError, LoadedLog, LogFormat, SaveSummary, load as load_log,
    save as save_log,
};
pub use render::pcapng::{PcapError, PcapSummary, write_pcapng};
pub use scenario::control::{
    ScenarioCounts, ScenarioProgress, ScenarioRefused, ScenarioRunEnd, ScenarioRunView,
};
pub use script::profile_ref::load_profile;
pub use server::{DEFAULT_LISTEN, ServerError, ServerMode, is_all_interfaces};
pub use view::{EngineView, LatencyView, RulesStatus, ServerStatus};

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
    actor: actor::Actor,
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
        net::fdlimit::raise();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("framescope-engine")
            .build()?;
        let shared = shared::Shared::new(journal_limits);
        let pool = client::ClientPool::new();
        let publisher = Arc::new(view::Publisher::new(limits, journal_limits));
        let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (event_tx, events) = std_mpsc::sync_channel(EVENT_QUEUE);
        let actor = actor::Actor {
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
