//! A segment: a run of consecutive records with the bytes they point into
//! and the peers of their connections. A sealed segment never changes, so
//! any number of readers share it through an `Arc` without a lock.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use super::Endpoints;
use crate::engine::net::read_error::ReadError;
use crate::engine::protocol::profile::Profile;
use crate::engine::record::vocabulary::{Direction, RecordKind, Side, Transport};

/// Where a record's bytes lie: one of its segment's pieces, and a range in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ByteRef {
    pub(super) piece: u32,
    pub(super) offset: u32,
    pub(super) len: u32,
}

/// One entry of the journal (its bytes live in its segment's pieces, its
/// decode error, if any, beside them: see [`RecordRef::error`]). It owns
/// nothing, so a segment of thousands of them is freed at once, without a
/// look at each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Microseconds since the Unix epoch.
    pub time_us: u64,
    /// Connection id (unique within the engine, server and client alike).
    pub conn: u32,
    /// How many bytes crossed the wire (may exceed what was captured).
    pub wire_len: u32,
    /// Server or client.
    pub side: Side,
    /// Sent or received.
    pub direction: Direction,
    /// Frame, chunk or error.
    pub kind: RecordKind,
    pub(super) bytes: ByteRef,
}

impl Record {
    /// How many bytes of it were captured.
    pub fn captured_len(&self) -> usize {
        self.bytes.len as usize
    }
}

/// Consecutive records, numbered from `first_seq`, with their bytes.
#[derive(Debug, Default)]
pub(super) struct Segment {
    /// Sequence number of `records[0]`.
    pub(super) first_seq: u64,
    /// Captured bytes of all its records.
    pub(super) captured: usize,
    pub(super) records: Vec<Record>,
    /// Frozen stretches of arena, and large frames kept whole.
    pub(super) pieces: Vec<Bytes>,
    /// The decode errors of its error records, by record index, in order.
    pub(super) errors: Vec<(u32, ReadError)>,
    /// The peer of every connection with a record here, sorted by connection.
    pub(super) peers: Vec<(u32, Endpoints)>,
}

impl Segment {
    /// Sequence number after its last record.
    pub(super) fn end_seq(&self) -> u64 {
        self.first_seq + self.records.len() as u64
    }

    /// The record numbered `seq`, if it is in this segment.
    pub(super) fn get(&self, seq: u64) -> Option<&Record> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.records.get(index)
    }

    /// The decode error of the record at `index`, if it is an error record.
    fn error(&self, index: u32) -> Option<&ReadError> {
        self.errors
            .binary_search_by_key(&index, |(at, _)| *at)
            .ok()
            .map(|found| &self.errors[found].1)
    }

    /// The first `limit` captured bytes of `record` (shared, never copied).
    pub(super) fn bytes_of(&self, record: &Record, limit: usize) -> Bytes {
        let ByteRef { piece, offset, len } = record.bytes;
        let start = offset as usize;
        let end = start + (len as usize).min(limit);
        self.pieces
            .get(piece as usize)
            .and_then(|p| (end <= p.len()).then(|| p.slice(start..end)))
            .unwrap_or_default()
    }

    /// The ends of connection `conn`, if one of its records is here.
    fn endpoints(&self, conn: u32) -> Option<&Endpoints> {
        self.peers
            .binary_search_by_key(&conn, |(id, _)| *id)
            .ok()
            .map(|index| &self.peers[index].1)
    }

    /// The profile connection `conn`'s frames keep, when not the JSON header's.
    pub(super) fn profile(&self, conn: u32) -> Option<Arc<Profile>> {
        self.endpoints(conn).and_then(|ends| ends.profile.clone())
    }

    /// The peer of connection `conn`, if one of its records is here.
    pub(super) fn peer(&self, conn: u32) -> Option<SocketAddr> {
        self.endpoints(conn).map(|ends| ends.peer)
    }

    /// The own address of connection `conn`, if known here.
    pub(super) fn local(&self, conn: u32) -> Option<SocketAddr> {
        self.endpoints(conn).and_then(|ends| ends.local)
    }

    /// What carried connection `conn` (TCP unless its records say UDP).
    pub(super) fn transport(&self, conn: u32) -> Transport {
        self.endpoints(conn)
            .map_or(Transport::Tcp, |ends| ends.transport)
    }

    /// The other leg of connection `conn`, if it is one leg of a relay.
    pub(super) fn link(&self, conn: u32) -> Option<u32> {
        self.endpoints(conn).and_then(|ends| ends.link)
    }
}

/// A record with its sequence number, bytes and peer, ready to show or save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    /// Position in the journal's whole history.
    pub seq: u64,
    /// Microseconds since the Unix epoch.
    pub time_us: u64,
    /// Connection id.
    pub conn: u32,
    /// The connection's peer, when known.
    pub peer: Option<SocketAddr>,
    /// This end's address, when known.
    pub local: Option<SocketAddr>,
    /// The other leg's connection id, when this is one leg of a relay.
    pub link: Option<u32>,
    /// TCP or UDP (a UDP record is one datagram).
    pub transport: Transport,
    /// Server or client.
    pub side: Side,
    /// Sent or received.
    pub direction: Direction,
    /// Frame, chunk or error.
    pub kind: RecordKind,
    /// Bytes on the wire.
    pub wire_len: u32,
    /// The captured bytes (all of them under full capture).
    pub bytes: Bytes,
    /// The decode error, for error records.
    pub error: Option<ReadError>,
    /// The profile its connection's frames keep, when not the JSON header's.
    pub profile: Option<Arc<Profile>>,
}

impl RecordView {
    /// Whether every byte that crossed the wire was captured.
    pub fn is_complete(&self) -> bool {
        self.bytes.len() as u64 == u64::from(self.wire_len)
    }
}

/// A record borrowed from a snapshot: its fields at once, its bytes and
/// peer on demand.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    seq: u64,
    record: &'a Record,
    segment: &'a Segment,
}

impl<'a> RecordRef<'a> {
    pub(super) fn new(seq: u64, record: &'a Record, segment: &'a Segment) -> Self {
        Self {
            seq,
            record,
            segment,
        }
    }

    /// Its position in the journal's whole history.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Its fields.
    pub fn record(&self) -> &'a Record {
        self.record
    }

    /// Its captured bytes (shared with the journal, not copied).
    pub fn bytes(&self) -> Bytes {
        self.segment.bytes_of(self.record, usize::MAX)
    }

    /// Its first `limit` captured bytes, without touching the rest of a large frame.
    pub fn prefix(&self, limit: usize) -> Bytes {
        self.segment.bytes_of(self.record, limit)
    }

    /// Its decode error, for an error record.
    pub fn error(&self) -> Option<&'a ReadError> {
        let index = u32::try_from(self.seq - self.segment.first_seq).ok()?;
        self.segment.error(index)
    }

    /// Its connection's peer, when known.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.segment.peer(self.record.conn)
    }

    /// Its connection's own address, when known.
    pub fn local(&self) -> Option<SocketAddr> {
        self.segment.local(self.record.conn)
    }

    /// The other leg's connection id, when its connection is one leg of a
    /// relayed conversation.
    pub fn link(&self) -> Option<u32> {
        self.segment.link(self.record.conn)
    }

    /// What carried its connection: TCP, or UDP (one datagram a record).
    pub fn transport(&self) -> Transport {
        self.segment.transport(self.record.conn)
    }

    /// The profile its connection's frames keep, when not the JSON header's.
    pub fn profile(&self) -> Option<Arc<Profile>> {
        self.segment.profile(self.record.conn)
    }

    /// Everything a viewer needs, owned.
    pub fn view(&self) -> RecordView {
        let record = self.record;
        RecordView {
            seq: self.seq,
            time_us: record.time_us,
            conn: record.conn,
            peer: self.peer(),
            local: self.local(),
            link: self.link(),
            transport: self.transport(),
            side: record.side,
            direction: record.direction,
            kind: record.kind,
            wire_len: record.wire_len,
            bytes: self.bytes(),
            error: self.error().cloned(),
            profile: self.segment.profile(record.conn),
        }
    }
}
