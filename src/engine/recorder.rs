//! The per-connection recorder: what one connection sends and receives goes
//! through it into the counters, the journal and the latency shards, and
//! its opening and closing go to the connection listeners.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::shared::Shared;
use crate::engine::net::read_error::{ReadError, ReadReason};
use crate::engine::net::reader::ReadFailure;
use crate::engine::net::tls::{HandshakeFailure, HandshakeInfo};
use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::Profile;
use crate::engine::record::journal::{Entry, Origin};
use crate::engine::record::stats::Counters;
use crate::engine::record::vocabulary::{
    CloseReason, ConnectionEvent, Direction, RecordKind, Side, Transport,
};

/// Records what one connection sends and receives: counters, journal, wake-up.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    shared: Arc<Shared>,
    conn: u32,
    side: Side,
    counters: Arc<Counters>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    /// The other leg, when this connection is one leg of a relay.
    link: Option<u32>,
    /// The profile its frames keep, when not the JSON header's.
    profile: Option<Arc<Profile>>,
    /// TCP, or UDP (each record one datagram).
    transport: Transport,
}

impl Recorder {
    /// A recorder for connection `conn` on `side`, between `local` (when
    /// known) and `peer`.
    pub(crate) fn new(
        shared: Arc<Shared>,
        conn: u32,
        side: Side,
        (local, peer): (Option<SocketAddr>, SocketAddr),
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            shared,
            conn,
            side,
            counters,
            peer,
            local,
            link: None,
            profile: None,
            transport: Transport::Tcp,
        }
    }

    /// The same recorder, saying in the journal that UDP carries it.
    pub(crate) fn over(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The same recorder, saying in the journal that its frames keep `profile`.
    pub(crate) fn keeping(mut self, profile: Option<Arc<Profile>>) -> Self {
        self.profile = profile;
        self
    }

    /// The same recorder, naming `other` as the other leg of its relayed
    /// conversation in every record.
    pub(crate) fn linked_to(mut self, other: u32) -> Self {
        self.link = Some(other);
        self
    }

    /// A recorder for what `peer` sends to this connection's socket (a
    /// host answering a broadcast, say): an id of its own, and the same
    /// local address, counters and profile.
    pub(crate) fn answered_by(&self, peer: SocketAddr) -> Self {
        Self {
            conn: self.shared.next_connection_id(),
            peer,
            ..self.clone()
        }
    }

    /// The connection's id.
    pub(crate) fn conn(&self) -> u32 {
        self.conn
    }

    /// Says that something a viewer shows has changed.
    pub(crate) fn mark_changed(&self) {
        self.shared.mark_changed();
    }

    /// Says the connection opened.
    pub(crate) fn opened(&self) {
        self.announce(None);
    }

    /// Says the connection closed, and why.
    pub(crate) fn closed(&self, reason: &CloseReason) {
        self.announce(Some(reason.clone()));
    }

    fn announce(&self, closed: Option<CloseReason>) {
        self.shared.announce(ConnectionEvent {
            conn: self.conn,
            side: self.side,
            peer: self.peer,
            closed,
        });
    }

    /// Records a frame that could not be read, and returns why the connection ends.
    pub(crate) fn failure(&self, failure: ReadFailure) -> CloseReason {
        let reason = match failure.io_kind {
            // Keep the operating system's own words for what the kind does not name.
            Some(kind) => CloseReason::from_io_kind(kind, failure.error.reason.to_string()),
            None => CloseReason::Protocol(failure.error.reason.clone()),
        };
        self.error(failure.error, &failure.partial);
        reason
    }

    /// The counters of its side: the server's, the client pool's, or
    /// (for either leg of a relayed conversation) the relay's.
    fn side_counters(&self) -> &Counters {
        match (self.side, self.link) {
            (_, Some(_)) => &self.shared.stats.relay,
            (Side::Server, None) => &self.shared.stats.server,
            (Side::Client, None) => &self.shared.stats.client,
        }
    }

    fn append(
        &self,
        direction: Direction,
        kind: RecordKind,
        bytes: &Bytes,
        error: Option<ReadError>,
    ) {
        self.shared.journal.append(Entry {
            origin: &self.origin(),
            direction,
            kind,
            bytes,
            error: error.map(Box::new),
        });
        self.shared.mark_changed();
    }

    /// A whole frame went `direction`.
    pub(crate) fn frame(&self, direction: Direction, frame: &Frame) {
        self.bytes(direction, RecordKind::Frame, frame.raw());
    }

    /// Frames read together and echoed: each recorded as received, then
    /// as sent, in order, with one time and one lock for the whole batch,
    /// and one update of each counter.
    pub(crate) fn echoed(&self, frames: &[Frame]) {
        let count = frames.len() as u64;
        let bytes: u64 = frames.iter().map(|frame| frame.raw().len() as u64).sum();
        for direction in [Direction::Received, Direction::Sent] {
            self.counters.count_many(direction, count, bytes);
            self.side_counters().count_many(direction, count, bytes);
        }
        let origin = self.origin();
        // Each frame twice, received then sent, by counting over the pairs:
        // a flat_map of two-entry arrays compiles to narrow stores read back
        // wide, a stall on every record (a third of the append's time).
        let entries = (0..frames.len() * 2).map(|index| {
            let direction = if index % 2 == 0 {
                Direction::Received
            } else {
                Direction::Sent
            };
            entry(
                &origin,
                direction,
                RecordKind::Frame,
                frames[index / 2].raw(),
            )
        });
        self.shared.journal.append_all(entries);
        self.shared.mark_changed();
    }

    /// Frames one read completed: recorded as received, in order, at one
    /// time, under one take of the lock, with one update of each counter.
    pub(crate) fn received_all(&self, frames: &[Frame]) {
        let bytes: u64 = frames.iter().map(|frame| frame.raw().len() as u64).sum();
        let count = frames.len() as u64;
        self.counters.count_many(Direction::Received, count, bytes);
        self.side_counters()
            .count_many(Direction::Received, count, bytes);
        let origin = self.origin();
        let entries = frames
            .iter()
            .map(|frame| entry(&origin, Direction::Received, RecordKind::Frame, frame.raw()));
        self.shared.journal.append_all(entries);
        self.shared.mark_changed();
    }

    /// Messages sent with one write, each one frame (`kind` Frame) or raw
    /// chunk: recorded in order at one time, under one take of the lock,
    /// with one update of each counter.
    pub(crate) fn sent_all(&self, kind: RecordKind, messages: &[Bytes]) {
        let bytes: u64 = messages.iter().map(|m| m.len() as u64).sum();
        let count = messages.len() as u64;
        self.counters.count_many(Direction::Sent, count, bytes);
        self.side_counters()
            .count_many(Direction::Sent, count, bytes);
        let origin = self.origin();
        let entries = messages
            .iter()
            .map(|message| entry(&origin, Direction::Sent, kind, message));
        self.shared.journal.append_all(entries);
        self.shared.mark_changed();
    }

    /// Whose records its records are.
    fn origin(&self) -> Origin {
        Origin {
            conn: self.conn,
            side: self.side,
            peer: Some(self.peer),
            local: self.local,
            link: self.link,
            profile: self.profile.clone(),
            transport: self.transport,
        }
    }

    /// A frame (`kind` Frame) or raw chunk was read: counted and recorded;
    /// returns its record's sequence number (`None` with capture off).
    pub(crate) fn received_numbered(&self, kind: RecordKind, bytes: &Bytes) -> Option<u64> {
        self.counters.count(Direction::Received, bytes.len());
        self.side_counters().count(Direction::Received, bytes.len());
        let seq = self.shared.journal.append_numbered(entry(
            &self.origin(),
            Direction::Received,
            kind,
            bytes,
        ));
        self.shared.mark_changed();
        seq
    }

    /// framescope's own remark on this connection (a note record: no
    /// counter moves, no byte crossed the wire).
    pub(crate) fn note(&self, direction: Direction, text: &str) {
        let bytes = Bytes::copy_from_slice(text.as_bytes());
        self.append(direction, RecordKind::Note, &bytes, None);
    }

    /// Its peer.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Bytes went `direction` as one frame (`kind` Frame) or raw chunk.
    pub(crate) fn bytes(&self, direction: Direction, kind: RecordKind, bytes: &Bytes) {
        self.counters.count(direction, bytes.len());
        self.side_counters().count(direction, bytes.len());
        self.append(direction, kind, bytes, None);
    }

    /// A frame was rejected; `partial` holds the bytes of it that arrived.
    pub(crate) fn error(&self, error: ReadError, partial: &Bytes) {
        self.counters
            .count_bytes(Direction::Received, partial.len());
        self.side_counters()
            .count_bytes(Direction::Received, partial.len());
        self.counters.count_error();
        self.side_counters().count_error();
        self.append(Direction::Received, RecordKind::Error, partial, Some(error));
    }

    /// A TLS handshake succeeded: one handshake record of what it agreed
    /// (not counted as bytes or frames: those are the application's).
    pub(crate) fn handshake(&self, info: &HandshakeInfo) {
        self.append(
            Direction::Received,
            RecordKind::Handshake,
            &info.to_bytes(),
            None,
        );
    }

    /// A TLS handshake failed: an error row with the reason (and, for a
    /// plaintext peer, its first bytes); returns why the connection ends.
    pub(crate) fn handshake_failed(&self, failure: HandshakeFailure, seen: &Bytes) -> CloseReason {
        let reason = ReadReason::Handshake(failure);
        let error = ReadError::before_any_frame(reason.clone());
        self.error(error, seen);
        CloseReason::Protocol(reason)
    }

    /// Round trips this connection measured together (one lock).
    pub(crate) fn round_trips(&self, rtts: impl IntoIterator<Item = Duration>) {
        self.shared.stats.latency.record_all(self.conn, rtts);
    }
}

/// A record of bytes that crossed the wire whole (no decode error).
fn entry<'a>(
    origin: &'a Origin,
    direction: Direction,
    kind: RecordKind,
    bytes: &'a Bytes,
) -> Entry<'a> {
    Entry {
        origin,
        direction,
        kind,
        bytes,
        error: None,
    }
}
