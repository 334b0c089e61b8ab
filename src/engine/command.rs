//! What goes in and out of the engine: the [`Command`]s a viewer or the
//! command line sends, what a command did ([`CommandOutcome`]), and the
//! [`Event`]s that come back.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;

use super::protocol::profile::Profile;
use super::{
    Capture, ClientMode, ConnectReport, JournalFileError, JournalLimits, LoadOutcome, LoadRefused,
    LoadedLog, LogFormat, MulticastJoin, PoolError, SaveSummary, ScenarioRefused, ScenarioRunEnd,
    SendReport, SendTarget, ServerError, ServerMode, Target, Transport, load, relay, rules,
    scenario, tls,
};

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
        /// The profile its frames keep; `None` for the JSON header's. So
        /// far frame-echo (and raw-echo, under `raw`) takes one.
        profile: Option<Arc<Profile>>,
        /// TCP, or UDP (raw-echo, frame-echo and rules; each datagram one
        /// message, each peer address a session).
        transport: Transport,
        /// Over UDP: a multicast group to join, and on which interface.
        join: Option<MulticastJoin>,
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
        /// The profile its frames keep; `None` for the JSON header's.
        /// A raw profile reads chunks, as [`ClientMode::Raw`] does.
        profile: Option<Arc<Profile>>,
        /// TCP connections, or UDP sockets (each with its own local port,
        /// connected to the target: one datagram per message).
        transport: Transport,
        /// Over UDP: the target is a broadcast address, so answers may come
        /// from any host (the socket is not connected; each answering
        /// address is a peer of its own). A multicast target is taken so
        /// without being told.
        broadcast: bool,
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
