//! State every connection task shares: the journal, the counters, and the
//! wake-up that tells a viewer something changed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{Notify, broadcast};

use super::client::CloseReason;
use super::codec::DecodeError;
use super::frame::Frame;
use super::journal::{Capture, Direction, Entry, Journal, JournalLimits, RecordKind, Side};
use super::reader::ReadFailure;
use super::stats::{Counters, Stats};

/// The journal, counters and change signal shared by all connection tasks.
#[derive(Debug)]
pub struct Shared {
    journal: Mutex<Journal>,
    capture: AtomicU8,
    /// Every counter and the latency histogram.
    pub stats: Stats,
    next_conn: AtomicU32,
    changed: Notify,
    dirty: AtomicBool,
    connection_events: broadcast::Sender<ConnectionEvent>,
}

/// Connection events kept for a slow listener before it starts missing some.
const CONNECTION_EVENT_BACKLOG: usize = 4096;

/// A connection opened or closed, for listeners such as the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEvent {
    /// Connection id.
    pub conn: u32,
    /// Server or client.
    pub side: Side,
    /// The peer.
    pub peer: SocketAddr,
    /// `None` when it opened; the reason when it closed.
    pub closed: Option<CloseReason>,
}

impl Shared {
    /// Fresh shared state with a journal of these bounds.
    pub fn new(limits: JournalLimits) -> Arc<Self> {
        Arc::new(Self {
            journal: Mutex::new(Journal::new(limits)),
            capture: AtomicU8::new(capture_code(Capture::Full)),
            stats: Stats::default(),
            next_conn: AtomicU32::new(1),
            changed: Notify::new(),
            dirty: AtomicBool::new(false),
            connection_events: broadcast::channel(CONNECTION_EVENT_BACKLOG).0,
        })
    }

    /// Locks the journal (briefly: never across I/O).
    pub fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sets the capture mode for records from now on.
    pub fn set_capture(&self, capture: Capture) {
        self.capture.store(capture_code(capture), Relaxed);
        self.journal().set_capture(capture);
    }

    /// The capture mode.
    pub fn capture(&self) -> Capture {
        match self.capture.load(Relaxed) {
            0 => Capture::Full,
            1 => Capture::HeadersOnly,
            _ => Capture::Off,
        }
    }

    /// A fresh connection id, unique across server and client.
    pub fn next_connection_id(&self) -> u32 {
        self.next_conn.fetch_add(1, Relaxed)
    }

    /// Says that something a viewer shows has changed.
    pub fn mark_changed(&self) {
        if !self.dirty.swap(true, Relaxed) {
            self.changed.notify_one();
        }
    }

    /// Listens to connections opening and closing from now on.
    pub fn subscribe_connections(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.connection_events.subscribe()
    }

    /// Waits until something changed since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await;
        self.dirty.store(false, Relaxed);
    }
}

fn capture_code(capture: Capture) -> u8 {
    match capture {
        Capture::Full => 0,
        Capture::HeadersOnly => 1,
        Capture::Off => 2,
    }
}

/// Records what one connection sends and receives: counters, journal, wake-up.
#[derive(Debug, Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
    conn: u32,
    side: Side,
    counters: Arc<Counters>,
    peer: SocketAddr,
}

impl Recorder {
    /// A recorder for connection `conn` on `side`, whose peer is `peer`.
    pub fn new(
        shared: Arc<Shared>,
        conn: u32,
        side: Side,
        peer: SocketAddr,
        counters: Arc<Counters>,
    ) -> Self {
        shared.journal().register_peer(conn, peer);
        Self {
            shared,
            conn,
            side,
            counters,
            peer,
        }
    }

    /// The shared state.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Says the connection opened.
    pub fn opened(&self) {
        self.announce(None);
    }

    /// Says the connection closed, and why.
    pub fn closed(&self, reason: &CloseReason) {
        self.announce(Some(reason.clone()));
    }

    fn announce(&self, closed: Option<CloseReason>) {
        let event = ConnectionEvent {
            conn: self.conn,
            side: self.side,
            peer: self.peer,
            closed,
        };
        // Nobody listening is fine: the event is for optional observers.
        let _ = self.shared.connection_events.send(event);
        self.shared.mark_changed();
    }

    /// Records a frame that could not be read, and returns why the connection ends.
    pub fn failure(&self, failure: ReadFailure) -> CloseReason {
        let reason = match failure.io_kind {
            // Keep the operating system's own words for what the kind does not name.
            Some(kind) => match CloseReason::from_io(&kind.into()) {
                CloseReason::Failed(_) => CloseReason::Failed(failure.error.reason.to_string()),
                named => named,
            },
            None => CloseReason::ProtocolError(failure.error.reason.to_string()),
        };
        self.error(failure.error, &failure.partial);
        reason
    }

    fn side_counters(&self) -> &Counters {
        match self.side {
            Side::Server => &self.shared.stats.server,
            Side::Client => &self.shared.stats.client,
        }
    }

    fn append(
        &self,
        direction: Direction,
        kind: RecordKind,
        bytes: &Bytes,
        error: Option<DecodeError>,
    ) {
        if self.shared.capture() != Capture::Off {
            self.shared.journal().append(Entry {
                conn: self.conn,
                side: self.side,
                direction,
                kind,
                bytes,
                error,
            });
        }
        self.shared.mark_changed();
    }

    /// A whole frame went `direction`.
    pub fn frame(&self, direction: Direction, frame: &Frame) {
        self.bytes(direction, RecordKind::Frame, frame.raw());
    }

    /// Bytes went `direction` as one frame (`kind` Frame) or raw chunk.
    pub fn bytes(&self, direction: Direction, kind: RecordKind, bytes: &Bytes) {
        self.counters.count(direction, bytes.len());
        self.side_counters().count(direction, bytes.len());
        self.append(direction, kind, bytes, None);
    }

    /// A frame was rejected; `partial` holds the bytes of it that arrived.
    pub fn error(&self, error: DecodeError, partial: &Bytes) {
        self.counters
            .count_bytes(Direction::Received, partial.len());
        self.side_counters()
            .count_bytes(Direction::Received, partial.len());
        self.counters.count_error();
        self.side_counters().count_error();
        self.append(Direction::Received, RecordKind::Error, partial, Some(error));
    }
}
