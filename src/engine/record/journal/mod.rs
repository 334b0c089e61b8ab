//! The journal: a bounded record of every frame or chunk sent and received.
//!
//! It is a log of segments. Sealed segments (records, the bytes they point
//! into, the peers of their connections) never change and are shared by
//! `Arc`; only the open tail is written. A [`JournalSnapshot`] is the list
//! of segments plus a frozen copy of the tail, so readers (the window, a
//! save) work with no lock held while connection tasks keep appending.
//!
//! Small frames are copied into large arena chunks, so a million 200-byte
//! frames cost little more than their bytes; large frames keep their own
//! buffer. The journal is bounded by records and by bytes; what falls out of
//! the front is counted, never silently lost.

mod live;
mod segment;
mod snapshot;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};

use crate::engine::net::read_error::ReadError;
use crate::engine::protocol::profile::Profile;
use crate::engine::record::vocabulary::{Direction, RecordKind, Side, Transport};
use segment::{ByteRef, Segment};

pub(crate) use live::LiveJournal;
#[cfg(test)]
use live::RECORDS_PER_LOCK;
pub use segment::{Record, RecordRef, RecordView};
pub use snapshot::JournalSnapshot;

/// Records in one segment before it is sealed.
const SEGMENT_RECORDS: usize = 4096;
/// Bytes in one segment before it is sealed.
const SEGMENT_BYTES: usize = 1 << 20;
/// Size of one arena chunk that small frames are copied into.
const ARENA_CHUNK: usize = 1 << 20;
/// Frames at least this large keep their own buffer instead of being copied.
const OWN_PIECE_THRESHOLD: usize = ARENA_CHUNK / 8;

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

impl JournalLimits {
    /// No bound at all (for a log read back from a file).
    pub const UNBOUNDED: Self = Self {
        max_records: usize::MAX,
        max_bytes: usize::MAX,
    };
}

/// The two ends of a connection, as the journal keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoints {
    /// The other end.
    pub(crate) peer: SocketAddr,
    /// This end, when known.
    pub(crate) local: Option<SocketAddr>,
    /// The other leg of a relayed conversation, when it is one.
    pub(crate) link: Option<u32>,
    /// The profile its frames keep, when not the JSON header's.
    pub(crate) profile: Option<Arc<Profile>>,
    /// TCP or UDP.
    pub(crate) transport: Transport,
}

/// Whose records these are: one connection's identity, the same in each
/// of its records. A batch of records shares one, so what a record of it
/// carries is a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Connection id.
    pub conn: u32,
    /// Server or client.
    pub side: Side,
    /// The connection's peer, when known.
    pub peer: Option<SocketAddr>,
    /// This end's address, when known.
    pub local: Option<SocketAddr>,
    /// The connection id of the other leg, when this connection is one leg
    /// of a relayed conversation.
    pub link: Option<u32>,
    /// The profile its frames keep, when not the JSON header's.
    pub profile: Option<Arc<Profile>>,
    /// TCP or UDP.
    pub transport: Transport,
}

impl Origin {
    /// A client connection of a load or scenario run (never one leg of a
    /// relay).
    pub(crate) fn client(conn: u32, local: Option<SocketAddr>, peer: Option<SocketAddr>) -> Self {
        Self {
            conn,
            side: Side::Client,
            peer,
            local,
            link: None,
            profile: None,
            transport: Transport::Tcp,
        }
    }
}

/// What a connection task hands the journal.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Whose record it is.
    pub origin: &'a Origin,
    /// Sent or received.
    pub direction: Direction,
    /// Frame, chunk or error.
    pub kind: RecordKind,
    /// The bytes that crossed the wire.
    pub bytes: &'a Bytes,
    /// The decode error, for error records (boxed: they are rare, and
    /// entries are moved about by the thousand).
    pub error: Option<Box<ReadError>>,
}

/// The segment being written.
#[derive(Debug, Default)]
struct Tail {
    first_seq: u64,
    records: Vec<Record>,
    /// Decode errors by record index (see `Segment::errors`).
    errors: Vec<(u32, ReadError)>,
    pieces: Vec<Bytes>,
    /// Where small frames are copied; it becomes piece number `pieces.len()`.
    arena: BytesMut,
    peers: HashMap<u32, Endpoints>,
    /// The connection whose peer was noted last: a batch of one
    /// connection's records looks its peer up once, not once a record.
    last_peer_conn: Option<u32>,
    /// Captured bytes in this segment.
    bytes: usize,
    /// Where the bytes stored last lie: a record whose captured bytes are
    /// the same shares them instead of storing them again (an echo's
    /// received and sent records of one frame; a load's frames, which
    /// repeat, and their headers more so).
    last_copy: Option<ByteRef>,
}

impl Tail {
    /// An empty tail numbered from `first_seq`, with room for a whole
    /// segment's records (growing by doubling would copy them, and fault
    /// in fresh pages, several times a segment).
    fn starting_at(first_seq: u64) -> Self {
        Self {
            first_seq,
            records: Vec::with_capacity(SEGMENT_RECORDS),
            ..Self::default()
        }
    }

    /// Moves the filled part of the arena into the pieces (no copy), so the
    /// records in it can be handed out as shared `Bytes`.
    fn freeze_arena(&mut self) {
        if !self.arena.is_empty() {
            self.pieces.push(self.arena.split().freeze());
        }
    }

    /// Stores the first `keep` bytes: copied into the arena, or (large
    /// frames) shared with the buffer they came in. Bytes the same as those
    /// stored last share their place instead: the very same buffer (large
    /// frames are compared by address only: the piece holding it keeps it
    /// alive, so the address is not reused), or for a copy the same bytes.
    fn store(&mut self, bytes: &Bytes, keep: usize) -> ByteRef {
        let len = keep as u32;
        let kept = &bytes[..keep];
        if let Some(last) = self.last_copy
            && last.len == len
        {
            let stored = self.stored(last);
            if stored.as_ptr() == kept.as_ptr() || (keep < OWN_PIECE_THRESHOLD && stored == kept) {
                return last;
            }
        }
        let at = if keep >= OWN_PIECE_THRESHOLD {
            self.freeze_arena();
            self.pieces.push(bytes.slice(..keep));
            ByteRef {
                piece: self.pieces.len() as u32 - 1,
                offset: 0,
                len,
            }
        } else {
            self.copy(kept)
        };
        self.last_copy = Some(at);
        at
    }

    /// Copies `kept` into the arena.
    fn copy(&mut self, kept: &[u8]) -> ByteRef {
        let keep = kept.len();
        if self.arena.capacity() - self.arena.len() < keep {
            self.freeze_arena();
            self.arena = BytesMut::with_capacity(ARENA_CHUNK);
        }
        let offset = self.arena.len() as u32;
        self.arena.extend_from_slice(kept);
        ByteRef {
            piece: self.pieces.len() as u32,
            offset,
            len: keep as u32,
        }
    }

    /// The bytes copied to `at`: in a piece, or in the arena not yet frozen
    /// (which becomes piece number `pieces.len()`).
    fn stored(&self, at: ByteRef) -> &[u8] {
        let range = at.offset as usize..(at.offset + at.len) as usize;
        match self.pieces.get(at.piece as usize) {
            Some(piece) => &piece[range],
            None => &self.arena[range],
        }
    }

    /// Notes the peer of `conn`, unless its record just before did.
    fn note_peer(&mut self, conn: u32, ends: Endpoints) {
        if self.last_peer_conn != Some(conn) {
            self.peers.entry(conn).or_insert(ends);
            self.last_peer_conn = Some(conn);
        }
    }

    fn is_full(&self) -> bool {
        self.records.len() >= SEGMENT_RECORDS || self.bytes >= SEGMENT_BYTES
    }

    /// A frozen copy of what it holds now.
    fn freeze(&mut self) -> Segment {
        self.freeze_arena();
        Segment {
            first_seq: self.first_seq,
            captured: self.bytes,
            records: self.records.clone(),
            errors: self.errors.clone(),
            pieces: self.pieces.clone(),
            peers: sorted_peers(&self.peers),
        }
    }

    /// Hands over everything as a sealed segment and starts afresh after it.
    fn seal(&mut self) -> Segment {
        self.freeze_arena();
        let next = self.first_seq + self.records.len() as u64;
        // The arena's spare room carries over to the next segment.
        let arena = std::mem::take(&mut self.arena);
        let mut sealed = std::mem::replace(self, Tail::starting_at(next));
        self.arena = arena;
        // Sealed early by its bytes (large frames): give back the room.
        if sealed.records.len() < sealed.records.capacity() / 2 {
            sealed.records.shrink_to_fit();
        }
        Segment {
            first_seq: sealed.first_seq,
            captured: sealed.bytes,
            records: sealed.records,
            errors: sealed.errors,
            pieces: sealed.pieces,
            peers: sorted_peers(&sealed.peers),
        }
    }
}

fn sorted_peers(peers: &HashMap<u32, Endpoints>) -> Vec<(u32, Endpoints)> {
    let mut sorted: Vec<_> = peers.iter().map(|(c, p)| (*c, p.clone())).collect();
    sorted.sort_unstable_by_key(|(conn, _)| *conn);
    sorted
}

/// The bounded journal. The engine's live one sits behind a lock (see
/// `LiveJournal`); a log read back from a file is owned by its viewer.
#[derive(Debug)]
pub struct Journal {
    sealed: VecDeque<Arc<Segment>>,
    tail: Tail,
    /// The tail as the last snapshot froze it, until the next append.
    frozen_tail: Option<Arc<Segment>>,
    /// Sequence number of the oldest record held (older ones were evicted).
    first_seq: u64,
    /// Captured bytes of the records held, and of the evicted ones from
    /// `counted_to` on, whose bytes are not counted off yet.
    bytes_held: usize,
    /// Evicted records before this have their bytes counted off
    /// `bytes_held` and into `dropped_bytes`; those from here to
    /// `first_seq` not yet. Eviction under the count bound is lazy: the
    /// records that fall out are not read then (they are the coldest
    /// memory the journal has), but when their segment goes, by its
    /// total, or when an exact figure is needed (see [`Journal::settle`]).
    counted_to: u64,
    /// Bytes already counted off of the records of the oldest segment held
    /// (or of the tail, when no sealed segment is left).
    front_counted: usize,
    limits: JournalLimits,
    dropped_records: u64,
    dropped_bytes: u64,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(JournalLimits::default())
    }
}

impl Journal {
    /// An empty journal with these bounds.
    pub fn new(limits: JournalLimits) -> Self {
        Self {
            sealed: VecDeque::new(),
            tail: Tail::starting_at(0),
            frozen_tail: None,
            first_seq: 0,
            bytes_held: 0,
            counted_to: 0,
            front_counted: 0,
            limits,
            dropped_records: 0,
            dropped_bytes: 0,
        }
    }

    /// The bounds.
    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    /// Changes the bounds; records beyond the new ones fall out at once.
    pub fn set_limits(&mut self, limits: JournalLimits) {
        self.limits = limits;
        self.enforce_limits();
    }

    /// Records held now.
    pub fn len(&self) -> usize {
        (self.next_seq() - self.first_seq) as usize
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sequence number of the oldest record held.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.tail.first_seq + self.tail.records.len() as u64
    }

    /// Captured bytes held now.
    pub fn bytes_held(&self) -> usize {
        self.bytes_held - self.uncounted_bytes()
    }

    /// Records that fell out of the front to respect the bounds.
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    /// Captured bytes that fell out with them.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes + self.uncounted_bytes() as u64
    }

    /// Appends a whole record now.
    pub fn append(&mut self, entry: Entry<'_>) {
        let wire_len = u32::try_from(entry.bytes.len()).unwrap_or(u32::MAX);
        let keep = entry.bytes.len();
        self.push(now_us(), wire_len, entry, keep);
    }

    /// Numbers the next record `seq`; only while the journal is empty (a log
    /// read back starts at its first good line's number and counts on from
    /// there).
    pub fn start_at(&mut self, seq: u64) {
        if self.is_empty() && self.sealed.is_empty() && self.tail.records.is_empty() {
            self.first_seq = seq;
            self.counted_to = seq;
            self.tail.first_seq = seq;
        }
    }

    /// Appends a record as it was recorded earlier: its time and how many
    /// bytes crossed the wire (for logs read back from a file).
    pub fn restore(&mut self, time_us: u64, wire_len: u32, entry: Entry<'_>) {
        let keep = entry.bytes.len();
        self.push(time_us, wire_len, entry, keep);
    }

    /// Appends a record keeping the first `keep` of its bytes.
    pub(crate) fn push(&mut self, time_us: u64, wire_len: u32, entry: Entry<'_>, keep: usize) {
        self.push_in_batch(time_us, wire_len, entry, keep);
        self.enforce_limits();
    }

    /// Appends a record of a batch, keeping the first `keep` of its bytes
    /// (copied, or shared with the record before it when they are the same:
    /// see `Tail::store`). The bounds are the caller's to enforce, once the
    /// batch (or the part of it appended under one take of the lock) is
    /// in: see [`Journal::enforce_limits`].
    pub(crate) fn push_in_batch(
        &mut self,
        time_us: u64,
        wire_len: u32,
        entry: Entry<'_>,
        keep: usize,
    ) {
        let keep = keep.min(entry.bytes.len());
        let bytes = self.tail.store(entry.bytes, keep);
        let origin = entry.origin;
        if let Some(peer) = origin.peer
            && self.tail.last_peer_conn != Some(origin.conn)
        {
            let ends = Endpoints {
                peer,
                local: origin.local,
                link: origin.link,
                profile: origin.profile.clone(),
                transport: origin.transport,
            };
            self.tail.note_peer(origin.conn, ends);
        }
        if let Some(error) = entry.error {
            let index = self.tail.records.len() as u32;
            self.tail.errors.push((index, *error));
        }
        self.tail.records.push(Record {
            time_us,
            conn: origin.conn,
            wire_len: wire_len.max(keep as u32),
            side: origin.side,
            direction: entry.direction,
            kind: entry.kind,
            bytes,
        });
        self.tail.bytes += keep;
        self.bytes_held += keep;
        self.frozen_tail = None;
        if self.tail.is_full() {
            self.seal_tail();
        }
    }

    /// Seals the full tail into a segment. Once every few thousand
    /// records: kept out of line, so the append it follows stays small.
    #[cold]
    #[inline(never)]
    fn seal_tail(&mut self) {
        let sealed = self.tail.seal();
        self.sealed.push_back(Arc::new(sealed));
        self.drop_evicted_segments();
    }

    /// Lets the oldest records fall out until the journal is within its
    /// bounds: those over the count bound at once, without a look at them;
    /// then, while the bytes are over theirs, one at a time, counted.
    pub(crate) fn enforce_limits(&mut self) {
        let over = self.len().saturating_sub(self.limits.max_records);
        if over > 0 {
            self.evict(over);
        }
        // `bytes_held` may still count evicted records: when it is over,
        // the exact figure decides.
        if self.bytes_held > self.limits.max_bytes {
            self.settle();
            while self.bytes_held > self.limits.max_bytes && self.len() > 1 {
                self.evict(1);
                self.settle();
            }
        }
    }

    /// Lets the `count` oldest records fall out; their bytes are counted
    /// off later (see `counted_to`).
    fn evict(&mut self, count: usize) {
        let count = count.min(self.len()) as u64;
        self.first_seq += count;
        self.dropped_records += count;
        self.drop_evicted_segments();
    }

    /// The records evicted and not yet counted off: they all lie in the
    /// oldest segment held (a segment wholly evicted is dropped and
    /// counted at once), or in the tail when no sealed segment is left.
    fn uncounted(&self) -> &[Record] {
        let (records, first) = match self.sealed.front() {
            Some(segment) => (&segment.records, segment.first_seq),
            None => (&self.tail.records, self.tail.first_seq),
        };
        let index = |seq: u64| usize::try_from(seq.saturating_sub(first)).unwrap_or(usize::MAX);
        let (from, to) = (index(self.counted_to), index(self.first_seq));
        records.get(from..to).unwrap_or_default()
    }

    fn uncounted_bytes(&self) -> usize {
        self.uncounted().iter().map(Record::captured_len).sum()
    }

    /// Counts off the bytes of every record evicted so far, reading them.
    fn settle(&mut self) {
        let bytes = self.uncounted_bytes();
        self.bytes_held -= bytes;
        self.dropped_bytes += bytes as u64;
        self.front_counted += bytes;
        self.counted_to = self.first_seq;
    }

    /// Drops sealed segments whose every record fell out (snapshots that
    /// hold them keep them alive), counting off by the segment's total
    /// whatever of its bytes was not counted yet.
    fn drop_evicted_segments(&mut self) {
        while let Some(segment) = self.sealed.front()
            && segment.end_seq() <= self.first_seq
        {
            let uncounted = segment.captured - self.front_counted;
            self.bytes_held -= uncounted;
            self.dropped_bytes += uncounted as u64;
            self.counted_to = self.counted_to.max(segment.end_seq());
            self.front_counted = 0;
            self.sealed.pop_front();
        }
    }

    /// Forgets every record (the drop counters too); numbering goes on.
    pub fn clear(&mut self) {
        let next = self.next_seq();
        *self = Self::new(self.limits);
        self.first_seq = next;
        self.counted_to = next;
        self.tail.first_seq = next;
    }

    /// Everything held now, readable with no lock (bytes shared, not copied).
    pub fn snapshot(&mut self) -> JournalSnapshot {
        self.settle();
        let mut segments: Vec<Arc<Segment>> = self.sealed.iter().cloned().collect();
        if !self.tail.records.is_empty() {
            let tail = match &self.frozen_tail {
                Some(frozen) => frozen.clone(),
                None => {
                    let frozen = Arc::new(self.tail.freeze());
                    self.frozen_tail = Some(frozen.clone());
                    frozen
                }
            };
            segments.push(tail);
        }
        JournalSnapshot {
            segments,
            first_seq: self.first_seq,
            next_seq: self.next_seq(),
            bytes_held: self.bytes_held,
            dropped_records: self.dropped_records,
            dropped_bytes: self.dropped_bytes,
            limits: self.limits,
        }
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

#[cfg(test)]
mod tests;
