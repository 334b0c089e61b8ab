//! The journal: a bounded record of every frame or chunk sent and received.
//!
//! Records are small fixed-size entries; their bytes live in large shared
//! arena chunks, so a million 200-byte frames cost little more than their
//! bytes. The journal is bounded by records and by bytes; what falls out of
//! the front is counted, never silently lost. Capture can keep whole
//! frames, headers only, or nothing at all (counters still run).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};

use super::codec::DecodeError;
use super::frame::PROTO_HEADER_LEN;

/// Peers of the newest connections always kept, recorded or not: more than
/// the connection cap, so no live connection loses its peer. The map is
/// pruned when it holds twice this beyond the records, so pruning is rare.
const RECENT_PEERS_KEPT: usize = 16_384;
/// Size of one arena chunk that small frames are copied into.
const ARENA_CHUNK: usize = 1 << 20;
/// Frames at least this large keep their own buffer instead of being copied.
const OWN_CHUNK_THRESHOLD: usize = ARENA_CHUNK / 8;
/// Bytes kept of a chunk or error record when capturing headers only.
const HEADERS_ONLY_PREFIX: usize = 64;

/// Which side of the harness a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The embedded server.
    Server,
    /// The client pool.
    Client,
}

/// Which way the bytes went, seen from framescope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// framescope wrote them.
    Sent,
    /// framescope read them.
    Received,
}

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// A whole, valid frame.
    Frame,
    /// A raw chunk: one read or write in raw mode.
    Chunk,
    /// A rejected frame: the bytes that arrived, and the decode error.
    Error,
}

/// How much of each frame the journal keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capture {
    /// Every byte.
    #[default]
    Full,
    /// The proto-header and header of frames; the first bytes of chunks.
    HeadersOnly,
    /// Nothing: counters and latency only, for load runs.
    Off,
}

/// Bounds on what the journal holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JournalLimits {
    /// Most records held at once.
    pub max_records: usize,
    /// Most captured bytes held at once.
    pub max_bytes: usize,
}

impl Default for JournalLimits {
    fn default() -> Self {
        Self {
            max_records: 2_000_000,
            max_bytes: 1 << 30,
        }
    }
}

/// Where a record's bytes lie: a chunk and a range within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ByteRef {
    chunk: u32,
    offset: u32,
    len: u32,
}

/// One entry of the journal (its bytes are in the journal's arena).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    bytes: ByteRef,
    /// The decode error, for error records.
    pub error: Option<Box<DecodeError>>,
}

/// What a connection task hands the journal.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Connection id.
    pub conn: u32,
    /// Server or client.
    pub side: Side,
    /// Sent or received.
    pub direction: Direction,
    /// Frame, chunk or error.
    pub kind: RecordKind,
    /// The bytes that crossed the wire.
    pub bytes: &'a Bytes,
    /// The decode error, for error records.
    pub error: Option<DecodeError>,
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
    pub error: Option<DecodeError>,
}

impl Record {
    /// This record as a viewer sees it, given its number, peer and bytes.
    fn view(&self, seq: u64, peer: Option<SocketAddr>, bytes: Bytes) -> RecordView {
        RecordView {
            seq,
            time_us: self.time_us,
            conn: self.conn,
            peer,
            side: self.side,
            direction: self.direction,
            kind: self.kind,
            wire_len: self.wire_len,
            bytes,
            error: self.error.as_deref().cloned(),
        }
    }
}

impl RecordView {
    /// Whether every byte that crossed the wire was captured.
    pub fn is_complete(&self) -> bool {
        self.bytes.len() as u64 == u64::from(self.wire_len)
    }
}

/// The bounded journal.
#[derive(Debug)]
pub struct Journal {
    records: VecDeque<Record>,
    first_seq: u64,
    chunks: VecDeque<Bytes>,
    first_chunk: u32,
    current: BytesMut,
    bytes_held: usize,
    limits: JournalLimits,
    capture: Capture,
    dropped_records: u64,
    dropped_bytes: u64,
    peers: HashMap<u32, SocketAddr>,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(JournalLimits::default())
    }
}

impl Journal {
    /// An empty journal with these bounds, capturing everything.
    pub fn new(limits: JournalLimits) -> Self {
        Self {
            records: VecDeque::new(),
            first_seq: 0,
            chunks: VecDeque::new(),
            first_chunk: 0,
            current: BytesMut::new(),
            bytes_held: 0,
            limits,
            capture: Capture::Full,
            dropped_records: 0,
            dropped_bytes: 0,
            peers: HashMap::new(),
        }
    }

    /// The capture mode.
    pub fn capture(&self) -> Capture {
        self.capture
    }

    /// Changes the capture mode for records appended from now on.
    pub fn set_capture(&mut self, capture: Capture) {
        self.capture = capture;
    }

    /// The bounds.
    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    /// Records held now.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Sequence number of the oldest record held.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.first_seq + self.records.len() as u64
    }

    /// Captured bytes held now.
    pub fn bytes_held(&self) -> usize {
        self.bytes_held
    }

    /// Records that fell out of the front to respect the bounds.
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    /// Captured bytes that fell out with them.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// Remembers a connection's peer address, shown and saved with its records.
    /// The map stays bounded: once it outgrows the records by far, peers of
    /// connections with no record left are forgotten, except the newest
    /// registrations (live connections that have not sent anything yet).
    pub fn register_peer(&mut self, conn: u32, peer: SocketAddr) {
        self.peers.insert(conn, peer);
        if self.peers.len() > 2 * self.records.len() + 2 * RECENT_PEERS_KEPT {
            let recorded: std::collections::HashSet<u32> =
                self.records.iter().map(|r| r.conn).collect();
            let recent_from = conn.saturating_sub(RECENT_PEERS_KEPT as u32);
            self.peers
                .retain(|id, _| *id >= recent_from || recorded.contains(id));
        }
    }

    /// The peer of a connection, if registered.
    pub fn peer(&self, conn: u32) -> Option<SocketAddr> {
        self.peers.get(&conn).copied()
    }

    /// Appends a record now, unless capture is off.
    pub fn append(&mut self, entry: Entry<'_>) {
        let wire_len = u32::try_from(entry.bytes.len()).unwrap_or(u32::MAX);
        self.restore(now_us(), wire_len, entry);
    }

    /// Numbers the next record `seq`; only while the journal is empty (a log
    /// read back starts at its first good line's number and counts on from
    /// there).
    pub fn start_at(&mut self, seq: u64) {
        if self.records.is_empty() {
            self.first_seq = seq;
        }
    }

    /// Appends a record as it was recorded earlier: its time and how many
    /// bytes crossed the wire (for logs read back from a file).
    pub fn restore(&mut self, time_us: u64, wire_len: u32, entry: Entry<'_>) {
        let keep = match (self.capture, entry.kind) {
            (Capture::Off, _) => return,
            (Capture::Full, _) => entry.bytes.len(),
            (Capture::HeadersOnly, RecordKind::Frame) => headers_len(entry.bytes),
            (Capture::HeadersOnly, _) => entry.bytes.len().min(HEADERS_ONLY_PREFIX),
        };
        let bytes = self.store(entry.bytes, keep);
        self.bytes_held += keep;
        self.records.push_back(Record {
            time_us,
            conn: entry.conn,
            wire_len: wire_len.max(keep as u32),
            side: entry.side,
            direction: entry.direction,
            kind: entry.kind,
            bytes,
            error: entry.error.map(Box::new),
        });
        self.enforce_limits();
    }

    /// Copies (or, for large frames, shares) the first `keep` bytes into the arena.
    fn store(&mut self, bytes: &Bytes, keep: usize) -> ByteRef {
        let len = keep as u32;
        if keep >= OWN_CHUNK_THRESHOLD {
            self.seal_current();
            self.chunks.push_back(bytes.slice(..keep));
            let chunk = self.first_chunk + self.chunks.len() as u32 - 1;
            self.current = BytesMut::new();
            return ByteRef {
                chunk,
                offset: 0,
                len,
            };
        }
        if self.current.capacity() - self.current.len() < keep {
            self.seal_current();
            self.current = BytesMut::with_capacity(ARENA_CHUNK);
        }
        let offset = self.current.len() as u32;
        self.current.extend_from_slice(&bytes[..keep]);
        ByteRef {
            chunk: self.current_chunk_id(),
            offset,
            len,
        }
    }

    /// Id of the chunk being filled: the one after the last sealed chunk.
    fn current_chunk_id(&self) -> u32 {
        self.first_chunk + self.chunks.len() as u32
    }

    /// Moves the filled part of the current chunk into the sealed list, so
    /// records in it can be handed out as shared `Bytes`.
    fn seal_current(&mut self) {
        let filled = self.current.split().freeze();
        self.chunks.push_back(filled);
    }

    fn enforce_limits(&mut self) {
        while self.records.len() > self.limits.max_records
            || (self.bytes_held > self.limits.max_bytes && self.records.len() > 1)
        {
            let Some(record) = self.records.pop_front() else {
                break;
            };
            self.first_seq += 1;
            self.bytes_held -= record.bytes.len as usize;
            self.dropped_records += 1;
            self.dropped_bytes += u64::from(record.bytes.len);
        }
        let oldest_chunk = self
            .records
            .front()
            .map_or(self.current_chunk_id(), |r| r.bytes.chunk);
        while self.first_chunk < oldest_chunk && !self.chunks.is_empty() {
            self.chunks.pop_front();
            self.first_chunk += 1;
        }
    }

    /// Forgets every record (the drop counters too).
    pub fn clear(&mut self) {
        let capture = self.capture;
        let peers = std::mem::take(&mut self.peers);
        let next = self.next_seq();
        *self = Self::new(self.limits);
        self.capture = capture;
        self.peers = peers;
        self.first_seq = next;
    }

    /// The record with sequence number `seq`, if still held.
    pub fn record(&self, seq: u64) -> Option<&Record> {
        let index = usize::try_from(seq.checked_sub(self.first_seq)?).ok()?;
        self.records.get(index)
    }

    /// A record's captured bytes.
    pub fn bytes_of(&self, record: &Record) -> Bytes {
        self.bytes_of_ref(record, usize::MAX)
    }

    fn bytes_of_ref(&self, record: &Record, limit: usize) -> Bytes {
        let ByteRef { chunk, offset, len } = record.bytes;
        let len = (len as usize).min(limit);
        let (start, end) = (offset as usize, offset as usize + len);
        if chunk == self.current_chunk_id() {
            return Bytes::copy_from_slice(self.current.get(start..end).unwrap_or_default());
        }
        slice_chunk(
            self.chunks
                .get(chunk.wrapping_sub(self.first_chunk) as usize),
            start..end,
        )
    }

    /// The first `limit` captured bytes of a record, without copying a large frame.
    pub fn prefix_of(&self, record: &Record, limit: usize) -> Bytes {
        self.bytes_of_ref(record, limit)
    }

    /// The record with sequence number `seq`, with everything a viewer needs.
    pub fn view(&self, seq: u64) -> Option<RecordView> {
        let record = self.record(seq)?;
        Some(record.view(seq, self.peer(record.conn), self.bytes_of(record)))
    }

    /// Every record held, oldest first.
    pub fn views(&self) -> impl Iterator<Item = RecordView> + '_ {
        (self.first_seq..self.next_seq()).filter_map(|seq| self.view(seq))
    }

    /// A copy of everything held, cheap to take (bytes are shared, not
    /// copied), to save without holding the journal's lock.
    pub fn snapshot(&mut self) -> JournalSnapshot {
        self.seal_current();
        JournalSnapshot {
            records: self.records.iter().cloned().collect(),
            first_seq: self.first_seq,
            chunks: self.chunks.iter().cloned().collect(),
            first_chunk: self.first_chunk,
            peers: self.peers.clone(),
        }
    }
}

/// A slice of an arena chunk; empty if the chunk is gone (never a panic).
fn slice_chunk(chunk: Option<&Bytes>, range: std::ops::Range<usize>) -> Bytes {
    chunk
        .and_then(|c| (range.end <= c.len()).then(|| c.slice(range)))
        .unwrap_or_default()
}

/// Length of a frame's proto-header plus header, at most the whole buffer.
fn headers_len(bytes: &[u8]) -> usize {
    match bytes {
        [a, b, ..] => {
            (PROTO_HEADER_LEN + usize::from(u16::from_be_bytes([*a, *b]))).min(bytes.len())
        }
        _ => bytes.len(),
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// A frozen copy of a journal's records, for saving in the background.
#[derive(Debug, Clone)]
pub struct JournalSnapshot {
    records: Vec<Record>,
    first_seq: u64,
    chunks: Vec<Bytes>,
    first_chunk: u32,
    peers: HashMap<u32, SocketAddr>,
}

impl JournalSnapshot {
    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Its records, oldest first, ready to show or save.
    pub fn views(&self) -> impl Iterator<Item = RecordView> + '_ {
        self.records.iter().enumerate().map(|(index, record)| {
            let ByteRef { chunk, offset, len } = record.bytes;
            let range = offset as usize..offset as usize + len as usize;
            let chunk = self
                .chunks
                .get(chunk.wrapping_sub(self.first_chunk) as usize);
            let peer = self.peers.get(&record.conn).copied();
            record.view(
                self.first_seq + index as u64,
                peer,
                slice_chunk(chunk, range),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(bytes: &Bytes) -> Entry<'_> {
        Entry {
            conn: 1,
            side: Side::Server,
            direction: Direction::Received,
            kind: RecordKind::Chunk,
            bytes,
            error: None,
        }
    }

    #[test]
    fn keeps_bytes_and_sequence_numbers() {
        let mut journal = Journal::default();
        for i in 0..1000u32 {
            journal.append(entry(&Bytes::from(i.to_string())));
        }
        assert_eq!(journal.len(), 1000);
        assert_eq!(journal.view(999).unwrap().bytes, Bytes::from("999"));
        let big = Bytes::from(vec![7u8; OWN_CHUNK_THRESHOLD * 2]);
        journal.append(entry(&big));
        assert_eq!(journal.view(1000).unwrap().bytes, big);
        assert_eq!(journal.view(5).unwrap().bytes, Bytes::from("5"));
    }

    #[test]
    fn peers_of_connections_without_records_are_forgotten_in_a_flood() {
        let mut journal = Journal::default();
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        journal.register_peer(1, peer);
        journal.append(entry(&Bytes::from("kept")));
        for conn in 2..=(4 * RECENT_PEERS_KEPT as u32) {
            journal.register_peer(conn, peer);
        }
        assert!(
            journal.peers.len() <= 2 + 2 * RECENT_PEERS_KEPT + 1,
            "{}",
            journal.peers.len()
        );
        assert_eq!(
            journal.peer(1),
            Some(peer),
            "a recorded connection keeps its peer"
        );
        assert_eq!(
            journal.peer(4 * RECENT_PEERS_KEPT as u32),
            Some(peer),
            "the newest keep theirs"
        );
        assert_eq!(journal.peer(2), None);
    }

    #[test]
    fn bounds_drop_the_oldest_and_count_them() {
        let mut journal = Journal::new(JournalLimits {
            max_records: 10,
            max_bytes: 1 << 20,
        });
        for i in 0..25u32 {
            journal.append(entry(&Bytes::from(format!("{i:04}"))));
        }
        assert_eq!(
            (
                journal.len(),
                journal.first_seq(),
                journal.dropped_records()
            ),
            (10, 15, 15)
        );
        assert_eq!(journal.dropped_bytes(), 60);
        assert_eq!(journal.view(15).unwrap().bytes, Bytes::from("0015"));
        assert!(journal.view(14).is_none());

        let mut by_bytes = Journal::new(JournalLimits {
            max_records: 100,
            max_bytes: 100,
        });
        for _ in 0..30 {
            by_bytes.append(entry(&Bytes::from(vec![1u8; 10])));
        }
        assert_eq!(by_bytes.len(), 10);
        assert_eq!(by_bytes.bytes_held(), 100);
    }

    #[test]
    fn headers_only_and_off_capture() {
        let frame = crate::engine::frame::FrameBuilder::new()
            .content(vec![0u8; 1000])
            .build()
            .unwrap();
        let mut journal = Journal::default();
        journal.set_capture(Capture::HeadersOnly);
        journal.append(Entry {
            kind: RecordKind::Frame,
            ..entry(&frame)
        });
        let view = journal.view(0).unwrap();
        assert_eq!(view.wire_len as usize, frame.len());
        assert_eq!(view.bytes.len(), frame.len() - 1000);
        assert!(!view.is_complete());
        journal.set_capture(Capture::Off);
        journal.append(entry(&frame));
        assert_eq!(journal.len(), 1);
    }

    #[test]
    fn snapshot_sees_every_record_and_later_appends_do_not_disturb_it() {
        let mut journal = Journal::default();
        journal.register_peer(1, "127.0.0.1:9".parse().unwrap());
        journal.append(entry(&Bytes::from("a")));
        let snapshot = journal.snapshot();
        journal.append(entry(&Bytes::from("b")));
        let views: Vec<_> = snapshot.views().collect();
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].bytes, Bytes::from("a"));
        assert_eq!(views[0].peer, Some("127.0.0.1:9".parse().unwrap()));
        assert_eq!(journal.view(1).unwrap().bytes, Bytes::from("b"));
        assert_eq!(journal.view(0).unwrap().bytes, Bytes::from("a"));
    }
}
