//! One connection of a load run: one loop that sends every frame owed in
//! one write and reads up to 64 KiB at a time, completing the replies in
//! each read.
//!
//! Closed loop: the connection starts with `depth` frames and sends as many
//! more as each read completes. Open loop: frame `n` of a connection is due
//! at a fixed time; every frame due so far goes out in one write, and
//! latency counts from when a frame was due, not from when it went out, so
//! a server that stalls the load shows in the latency instead of hiding
//! behind it.
//!
//! Writing and reading wait together (the write first: it normally
//! completes at once), so a batch too large for the socket's buffers never
//! stops replies from being read, which would deadlock against a server
//! blocked writing them back.
//!
//! Replies of framed connections are read as frames: an echo of what was
//! sent is recognised by its header bytes (no JSON read); any other reply
//! by its header's content-length. Under a profile, replies are cut by the
//! profile's framing, and one that breaks it is counted as an error.
//! Replies of raw connections are taken to be echoes, as long as what was
//! sent.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::recording::ConnectionRecording;
use super::tally::{Tally, ThreadLatency};
use super::{Pacing, Payload, Verify};
use crate::engine::net::tls::Stream;
use crate::engine::protocol::codec::{FrameCheck, FrameSoFar, check_frame};
use crate::engine::protocol::frame::{PROTO_HEADER_LEN, header_end};
use crate::engine::protocol::profile::{FrontScan, Profile, ProfileCheck, Role};
use crate::engine::protocol::template::Expansion;
use crate::engine::record::vocabulary::{Direction, RecordKind};

/// Bytes asked for in each read.
const READ_CHUNK: usize = 64 * 1024;
/// A read shorter than this is one of small replies, whose next read is
/// best put back at the start of the buffer.
const SMALL_READ: usize = 16 * 1024;
/// Most frames an open-loop connection keeps in flight; past it sending
/// waits (the frames then go late, and their latency shows it).
const OPEN_LOOP_IN_FLIGHT: usize = 4096;
/// With `--verify sample`, one reply in this many is compared byte for byte.
pub const SAMPLE_EVERY: u64 = 16;
/// How far ahead an open-loop connection with nothing due may sleep.
pub(super) const IDLE_SLEEP: Duration = Duration::from_secs(3600);

/// What every connection of a run shares.
#[derive(Debug)]
pub struct Plan {
    /// What is sent.
    pub payload: Payload,
    /// Closed or open loop.
    pub pacing: Pacing,
    /// How replies are checked.
    pub verify: Verify,
    /// Frames (true) or raw bytes.
    pub framed: bool,
    /// The profile replies are framed by, when not the JSON header's (nor
    /// raw bytes).
    pub profile: Option<Arc<Profile>>,
    /// Connections in the run (to spread an open-loop rate).
    pub connections: usize,
    /// A fixed payload repeated, shared by every connection: owed fixed
    /// frames are written as a slice of it, never copied (see
    /// [`repeated_frame`]).
    pub repeated: Option<Bytes>,
}

impl Plan {
    /// Whether it is a closed loop (answers give credit to send more).
    pub fn pacing_is_closed(&self) -> bool {
        matches!(self.pacing, Pacing::Closed { .. })
    }
}

/// Bytes of repeated frames a connection writes at most in one call.
const REPEATED_BYTES: usize = 256 * 1024;

/// `frame` repeated enough times that any run of owed frames up to
/// [`REPEATED_BYTES`], starting anywhere inside a frame, is one slice of it.
pub fn repeated_frame(frame: &[u8]) -> Bytes {
    let copies = (REPEATED_BYTES / frame.len().max(1)).max(1) + 1;
    Bytes::from(frame.repeat(copies))
}

/// Frames sent and not yet answered: a run of `count` frames numbered on
/// from `seq`, each `len` bytes and due at `due`. Its fields describe the
/// run's first frame; a frame whose bytes are kept is a run of its own.
#[derive(Debug)]
struct InFlight {
    /// When it was due (open loop) or sent (closed loop).
    due: Instant,
    /// Its number on the connection, from 1.
    seq: u64,
    /// Frames in the run.
    count: u64,
    /// Its length.
    len: usize,
    /// Its bytes, kept when they are compared with the reply or used to
    /// recognise an echo and the payload is not fixed.
    kept: Option<Bytes>,
}

/// The frames of a connection sent and not yet answered, oldest first, as
/// runs: frames that follow each other with one length and one due time
/// and no bytes kept are one entry. A closed loop's batch is then one
/// entry, and answering a read's replies reads one or two entries instead
/// of one per frame (with 1,000 connections, entries that were cold memory
/// on every read).
#[derive(Debug, Default)]
struct InFlightQueue {
    runs: VecDeque<InFlight>,
    frames: usize,
}

impl InFlightQueue {
    /// Frames in flight.
    fn len(&self) -> usize {
        self.frames
    }

    /// The oldest frame in flight (the first of its run).
    fn front(&self) -> Option<&InFlight> {
        self.runs.front()
    }

    /// Frame `seq` went out (or fell due): joins the run before it when it
    /// can.
    fn push(&mut self, due: Instant, seq: u64, len: usize, kept: Option<Bytes>) {
        self.frames += 1;
        if kept.is_none()
            && let Some(last) = self.runs.back_mut()
            && last.kept.is_none()
            && last.due == due
            && last.len == len
            && last.seq + last.count == seq
        {
            last.count += 1;
            return;
        }
        self.runs.push_back(InFlight {
            due,
            seq,
            count: 1,
            len,
            kept,
        });
    }

    /// Takes the oldest frame as answered; when it was due.
    fn pop_front(&mut self) -> Option<Instant> {
        let first = self.runs.front_mut()?;
        self.frames -= 1;
        let due = first.due;
        if first.count > 1 {
            first.count -= 1;
            first.seq += 1;
        } else {
            self.runs.pop_front();
        }
        Some(due)
    }
}

/// Why a connection ended early.
#[derive(Debug)]
pub struct ConnectionFailed(pub String);

/// One connection's part of a run.
pub struct Connection<'a> {
    /// The connection's number, from 1.
    pub index: u32,
    /// The run's plan.
    pub plan: &'a Plan,
    /// The run's counters.
    pub tally: &'a Tally,
    /// This thread's latency histograms.
    pub latency: &'a ThreadLatency,
    /// Cancelled when the run ends.
    pub stop: &'a CancellationToken,
    /// Where what it sends and reads is recorded, if anywhere (the window
    /// records a run; the command line does not).
    pub recording: Option<&'a ConnectionRecording<'a>>,
}

/// What a connection keeps between two turns of its loop.
struct Wire {
    /// Frames sent and not yet answered, oldest first.
    in_flight: InFlightQueue,
    /// Bytes owed to the socket; `out[written..]` is still to go.
    out: Vec<u8>,
    written: usize,
    /// Bytes of fixed frames owed after `out` (the first perhaps partly
    /// written), sent as slices of the plan's repeated frame.
    fixed_unsent: usize,
    /// Bytes read and not yet taken as replies.
    received: BytesMut,
    /// Bytes still to come of a reply whose length is known and whose
    /// bytes are not kept.
    skipping: Option<usize>,
    /// Frames sent so far.
    seq: u64,
    /// Frames the closed loop owes the server.
    credit: usize,
    scratch: Vec<u8>,
    rng: fastrand::Rng,
    latencies: Vec<u64>,
    /// Where each frame of the last batch starts, and the replies of the
    /// last read: kept only to record them.
    starts: Vec<usize>,
    replies: Vec<Bytes>,
    /// Under a profile: what checking the reply at the front keeps.
    scan: FrontScan,
}

impl Connection<'_> {
    /// Sends and reads until the run ends or the connection fails.
    pub async fn drive(&self, stream: Stream) -> Result<(), ConnectionFailed> {
        let _ = stream.tcp().set_nodelay(true);
        let (mut reader, mut writer) = stream.into_split();
        let schedule = Schedule::new(self.plan, self.index, Instant::now());
        let mut wire = Wire {
            in_flight: InFlightQueue::default(),
            out: Vec::with_capacity(READ_CHUNK),
            written: 0,
            fixed_unsent: 0,
            received: BytesMut::with_capacity(READ_CHUNK),
            skipping: None,
            seq: 0,
            credit: match self.plan.pacing {
                Pacing::Closed { depth } => depth.max(1),
                Pacing::Open { .. } => 0,
            },
            scratch: Vec::new(),
            rng: fastrand::Rng::new(),
            latencies: Vec::new(),
            starts: Vec::new(),
            replies: Vec::new(),
            scan: FrontScan::default(),
        };
        // One cancellation future and one timer for the connection's life:
        // making them anew for every wait would register them every time.
        let mut cancelled = std::pin::pin!(self.stop.cancelled());
        let timer = tokio::time::sleep(IDLE_SLEEP);
        let mut timer = std::pin::pin!(timer);
        loop {
            if wire.written == wire.out.len() {
                self.queue_owed(&mut wire, schedule.as_ref())?;
            }
            if let Some(schedule) = &schedule {
                let next = schedule.due(wire.seq + 1);
                if timer.deadline() != next {
                    timer.as_mut().reset(next);
                }
            }
            let (owed, from_out) = if wire.written < wire.out.len() {
                (&wire.out[wire.written..], true)
            } else {
                (self.fixed_owed(wire.fixed_unsent), false)
            };
            if !owed.is_empty() {
                tokio::select! {
                    biased;
                    _ = &mut cancelled => return Ok(()),
                    written = writer.write(owed) => {
                        let written = written.map_err(|e| self.failed(format!("write failed: {e}")))?;
                        if written == 0 {
                            return Err(self.failed("the socket took no bytes".into()));
                        }
                        if from_out {
                            wire.written += written;
                        } else {
                            wire.fixed_unsent -= written;
                        }
                        continue;
                    }
                    read = reader.read_buf(&mut wire.received) => {
                        self.take_read(read, &mut wire)?;
                    }
                }
            } else {
                tokio::select! {
                    biased;
                    _ = &mut cancelled => return Ok(()),
                    read = reader.read_buf(&mut wire.received) => {
                        self.take_read(read, &mut wire)?;
                    }
                    _ = &mut timer, if schedule.is_some() => {}
                }
            }
        }
    }

    /// An error of this connection, in words.
    fn failed(&self, what: String) -> ConnectionFailed {
        ConnectionFailed(format!("connection {}: {what}", self.index))
    }

    /// The next slice of fixed frames to write, `unsent` bytes of them
    /// owed (empty when none are).
    fn fixed_owed(&self, unsent: usize) -> &[u8] {
        let (Some(repeated), Some(frame)) = (&self.plan.repeated, self.plan.payload.fixed()) else {
            return &[];
        };
        if unsent == 0 {
            return &[];
        }
        let start = (frame.len() - unsent % frame.len()) % frame.len();
        &repeated[start..start + unsent.min(repeated.len() - start)]
    }

    /// Queues every frame owed now: fixed frames as a count of bytes owed
    /// (when nothing records them), others built into `wire.out`, in one
    /// batch.
    fn queue_owed(
        &self,
        wire: &mut Wire,
        schedule: Option<&Schedule>,
    ) -> Result<(), ConnectionFailed> {
        let count = match schedule {
            None => std::mem::take(&mut wire.credit),
            Some(schedule) => {
                let room = OPEN_LOOP_IN_FLIGHT.saturating_sub(wire.in_flight.len());
                schedule.owed(wire.seq, Instant::now()).min(room as u64) as usize
            }
        };
        if count == 0 {
            return Ok(());
        }
        if self.recording.is_none()
            && self.plan.repeated.is_some()
            && let Some(frame) = self.plan.payload.fixed()
        {
            let now = Instant::now();
            for _ in 0..count {
                wire.seq += 1;
                let due = schedule.map_or(now, |s| s.due(wire.seq));
                wire.in_flight.push(due, wire.seq, frame.len(), None);
            }
            wire.fixed_unsent += count * frame.len();
            self.tally.frames_sent.fetch_add(count as u64, Relaxed);
            self.tally
                .bytes_sent
                .fetch_add((count * frame.len()) as u64, Relaxed);
            return Ok(());
        }
        wire.out.clear();
        wire.written = 0;
        wire.starts.clear();
        let now = Instant::now();
        for _ in 0..count {
            wire.seq += 1;
            let seq = wire.seq;
            let start = wire.out.len();
            if self.recording.is_some() {
                wire.starts.push(start);
            }
            self.plan
                .payload
                .write(
                    &mut wire.out,
                    &mut wire.scratch,
                    &mut Expansion {
                        conn: self.index,
                        seq,
                        content_len: 0,
                        rng: &mut wire.rng,
                        named: &[],
                    },
                )
                .map_err(|e| self.failed(format!("frame {seq} cannot be built: {e}")))?;
            let kept = self
                .keeps(seq)
                .then(|| Bytes::copy_from_slice(&wire.out[start..]));
            let due = schedule.map_or(now, |s| s.due(seq));
            wire.in_flight.push(due, seq, wire.out.len() - start, kept);
        }
        self.tally.frames_sent.fetch_add(count as u64, Relaxed);
        self.tally
            .bytes_sent
            .fetch_add(wire.out.len() as u64, Relaxed);
        if let Some(recording) = self.recording {
            let frames = split(&wire.out, &wire.starts);
            recording.record(Direction::Sent, self.record_kind(), &frames);
        }
        Ok(())
    }

    /// What the journal calls one frame of this run.
    fn record_kind(&self) -> RecordKind {
        if self.plan.framed {
            RecordKind::Frame
        } else {
            RecordKind::Chunk
        }
    }

    /// Takes what one read brought: completes the replies in it, records
    /// their latency, and (closed loop) owes as many frames again.
    fn take_read(
        &self,
        read: std::io::Result<usize>,
        wire: &mut Wire,
    ) -> Result<(), ConnectionFailed> {
        let read = read.map_err(|e| self.failed(format!("read failed: {e}")))?;
        if read == 0 {
            return Err(self.failed(format!(
                "the server closed it with {} frames unanswered",
                wire.in_flight.len()
            )));
        }
        if wire.received.capacity() - wire.received.len() < READ_CHUNK / 2 {
            wire.received.reserve(READ_CHUNK);
        }
        let now = Instant::now();
        self.tally.bytes_received.fetch_add(read as u64, Relaxed);
        wire.latencies.clear();
        let measuring = self.tally.measuring.load(Relaxed);
        let (mut answered, mut unasked) = (0usize, 0u64);
        loop {
            // The rest of a reply whose length is known and whose bytes
            // nobody needs goes by without being kept.
            if let Some(rest) = wire.skipping {
                let take = rest.min(wire.received.len());
                wire.received.advance(take);
                if take < rest {
                    wire.skipping = Some(rest - take);
                    break;
                }
                wire.skipping = None;
                self.complete(wire, now, measuring, &mut answered, &mut unasked);
                continue;
            }
            let Some(len) =
                self.next_reply_len(&wire.received, wire.in_flight.front(), &mut wire.scan)?
            else {
                break;
            };
            let front = wire.in_flight.front();
            if wire.received.len() < len {
                if self.may_skip(front) {
                    if let Some(sent) = front {
                        self.check(len, None, sent);
                    }
                    wire.skipping = Some(len - wire.received.len());
                    wire.received.clear();
                }
                break;
            }
            if let Some(sent) = front {
                self.check(len, Some(&wire.received[..len]), sent);
            }
            if self.recording.is_some() {
                wire.replies.push(wire.received.split_to(len).freeze());
            } else {
                wire.received.advance(len);
            }
            self.complete(wire, now, measuring, &mut answered, &mut unasked);
        }
        if let Some(recording) = self.recording {
            recording.record(Direction::Received, self.record_kind(), &wire.replies);
            wire.replies.clear();
        }
        if wire.received.is_empty() && read < SMALL_READ && self.recording.is_none() {
            // A small read, all of it taken (and nothing holds on to it):
            // the next read lands at the start of the buffer again, in
            // bytes still in cache, not further on through 64 KiB that a
            // thousand connections' reads would long have pushed out of it.
            // Large reads go on as they were, through a buffer grown for them.
            wire.received.reserve(READ_CHUNK);
        }
        if let Pacing::Closed { .. } = self.plan.pacing {
            wire.credit += answered;
        }
        if answered as u64 + unasked > 0 {
            self.tally
                .frames_received
                .fetch_add(answered as u64 + unasked, Relaxed);
            self.latency.record(&wire.latencies);
        }
        Ok(())
    }

    /// Takes the reply to the oldest frame in flight (or one the server
    /// sent of its own accord) as complete.
    fn complete(
        &self,
        wire: &mut Wire,
        now: Instant,
        measuring: bool,
        answered: &mut usize,
        unasked: &mut u64,
    ) {
        match wire.in_flight.pop_front() {
            Some(due) => {
                if measuring {
                    wire.latencies
                        .push(now.saturating_duration_since(due).as_micros() as u64);
                }
                *answered += 1;
            }
            None => *unasked += 1,
        }
    }

    /// Whether the reply to `front` may go by unkept once its length is
    /// known: nothing records it and nothing compares its bytes.
    fn may_skip(&self, front: Option<&InFlight>) -> bool {
        self.recording.is_none()
            && match self.plan.verify {
                Verify::None | Verify::Length => true,
                Verify::Sample => front.is_none_or(|f| !f.seq.is_multiple_of(SAMPLE_EVERY)),
                Verify::All => front.is_none(),
            }
    }

    /// Whether frame `seq`'s bytes are kept until its reply: to compare
    /// them, or to recognise an echo, when the payload is not one fixed
    /// frame (whose bytes are at hand anyway).
    fn keeps(&self, seq: u64) -> bool {
        if self.plan.payload.fixed().is_some() {
            return false;
        }
        match self.plan.verify {
            Verify::All => true,
            Verify::Sample => seq.is_multiple_of(SAMPLE_EVERY),
            Verify::None | Verify::Length => false,
        }
    }

    /// The length of the reply at the start of `received`, once enough of
    /// it is there to tell; `None` while more is needed.
    fn next_reply_len(
        &self,
        received: &[u8],
        front: Option<&InFlight>,
        scan: &mut FrontScan,
    ) -> Result<Option<usize>, ConnectionFailed> {
        if let Some(profile) = &self.plan.profile {
            return self.profile_reply_len(profile, received, front, scan);
        }
        if !self.plan.framed {
            return match front {
                Some(sent) => Ok(Some(sent.len)),
                None if received.is_empty() => Ok(None),
                None => Err(ConnectionFailed(format!(
                    "connection {}: {} bytes came back that were never sent",
                    self.index,
                    received.len()
                ))),
            };
        }
        let Some(header_end) = header_end(received) else {
            return Ok(None);
        };
        if received.len() < header_end {
            return Ok(None);
        }
        // An echo of what was sent is recognised by its header bytes.
        let sent = front
            .and_then(|f| f.kept.as_ref())
            .or(self.plan.payload.fixed());
        if let Some(sent) = sent
            && sent.len() >= header_end
            && sent[..header_end] == received[..header_end]
        {
            return Ok(Some(sent.len()));
        }
        let header_len = header_end - PROTO_HEADER_LEN;
        match check_frame(received, FrameSoFar::HeaderLen(header_len), u64::MAX) {
            Ok(FrameCheck::Whole { len, .. }) => Ok(Some(len)),
            Ok(FrameCheck::Wanting {
                known: FrameSoFar::Lengths { content_len, .. },
                ..
            }) => Ok(Some(header_end + content_len)),
            Ok(FrameCheck::Wanting { .. }) => Ok(None),
            Err((part, why)) => Err(ConnectionFailed(format!(
                "connection {}: reply {} is not a frame: its {part}: {why}",
                self.index,
                front.map_or(0, |f| f.seq)
            ))),
        }
    }

    /// The length of the reply at the start of `received` under `profile`.
    /// A reply that breaks the profile but whose end is known counts as a
    /// reply and an error; one with no end to find ends the connection.
    fn profile_reply_len(
        &self,
        profile: &Profile,
        received: &[u8],
        front: Option<&InFlight>,
        scan: &mut FrontScan,
    ) -> Result<Option<usize>, ConnectionFailed> {
        let seq = front.map_or(0, |f| f.seq);
        match scan.check(profile, received, Role::Reply) {
            ProfileCheck::Whole { len } => Ok(Some(len)),
            ProfileCheck::Wanting { .. } => Ok(None),
            ProfileCheck::Rejected { len, fault } => {
                self.tally.mismatches.fetch_add(1, Relaxed);
                self.tally.error(|| {
                    format!(
                        "connection {}, frame {seq}: the reply breaks profile {}: {fault}",
                        self.index,
                        profile.name()
                    )
                });
                Ok(Some(len))
            }
            ProfileCheck::Broken { fault } => Err(self.failed(format!(
                "reply {seq} cannot be framed by profile {}: {fault}",
                profile.name()
            ))),
        }
    }

    /// Compares a reply of `len` bytes (its bytes, when kept) with the
    /// frame it answers, as `--verify` asks.
    fn check(&self, len: usize, reply: Option<&[u8]>, sent: &InFlight) {
        let compare = match self.plan.verify {
            Verify::None => return,
            Verify::Length => false,
            Verify::Sample => sent.seq.is_multiple_of(SAMPLE_EVERY),
            Verify::All => true,
        };
        let expected = sent.kept.as_ref().or(self.plan.payload.fixed());
        let differs = if len != sent.len {
            Some(format!("is {len} bytes, the frame sent {}", sent.len))
        } else if compare && let (Some(reply), Some(expected)) = (reply, expected) {
            reply
                .iter()
                .zip(expected.iter())
                .position(|(a, b)| a != b)
                .map(|at| {
                    format!(
                        "differs from the frame sent at byte {at} (0x{:02x}, sent 0x{:02x})",
                        reply[at], expected[at]
                    )
                })
        } else {
            None
        };
        if let Some(how) = differs {
            self.tally.mismatches.fetch_add(1, Relaxed);
            self.tally.error(|| {
                format!(
                    "connection {}, frame {}: the reply {how}",
                    self.index, sent.seq
                )
            });
        }
    }
}

/// When an open-loop connection's frames are due.
#[derive(Debug)]
pub(super) struct Schedule {
    first: Instant,
    interval: Duration,
}

impl Schedule {
    /// The schedule of connection `index` (from 1), its first frame due a
    /// share of one interval after `started`, so that connections do not
    /// all send at the same instant; `None` in a closed loop.
    pub(super) fn new(plan: &Plan, index: u32, started: Instant) -> Option<Self> {
        let Pacing::Open { rate } = plan.pacing else {
            return None;
        };
        let interval = Duration::from_secs_f64(plan.connections as f64 / rate.max(1e-9));
        let phase = interval.mul_f64(f64::from(index - 1) / plan.connections.max(1) as f64);
        Some(Self {
            first: started + phase,
            interval,
        })
    }

    /// When frame `seq` (from 1) is due.
    pub(super) fn due(&self, seq: u64) -> Instant {
        self.first + self.interval.mul_f64(seq.saturating_sub(1) as f64)
    }

    /// How many frames are due by `now` beyond the `sent` already sent.
    pub(super) fn owed(&self, sent: u64, now: Instant) -> u64 {
        if now < self.first {
            return 0;
        }
        let due = ((now - self.first).as_secs_f64() / self.interval.as_secs_f64()) as u64 + 1;
        due.saturating_sub(sent)
    }
}

/// The frames of a batch as shared pieces of one copy of it; `starts` are
/// where each begins.
fn split(batch: &[u8], starts: &[usize]) -> Vec<Bytes> {
    let batch = Bytes::copy_from_slice(batch);
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(batch.len());
            batch.slice(start..end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_in_flight_are_runs_answered_one_frame_at_a_time_in_order() {
        let start = Instant::now();
        let later = start + Duration::from_millis(5);
        let mut queue = InFlightQueue::default();
        // A batch of three, then one whose bytes are kept, then two more
        // of another length, then one due later.
        for seq in 1..=3 {
            queue.push(start, seq, 10, None);
        }
        queue.push(start, 4, 10, Some(Bytes::from_static(b"kept")));
        queue.push(start, 5, 12, None);
        queue.push(start, 6, 12, None);
        queue.push(later, 7, 12, None);
        assert_eq!((queue.len(), queue.runs.len()), (7, 4));

        let mut answered = Vec::new();
        while let Some(front) = queue.front() {
            let (seq, len, kept) = (front.seq, front.len, front.kept.clone());
            let due = queue.pop_front().unwrap();
            answered.push((seq, len, kept.is_some(), due == later));
        }
        assert_eq!(
            answered,
            [
                (1, 10, false, false),
                (2, 10, false, false),
                (3, 10, false, false),
                (4, 10, true, false),
                (5, 12, false, false),
                (6, 12, false, false),
                (7, 12, false, true),
            ]
        );
        assert_eq!((queue.len(), queue.pop_front()), (0, None));
    }
}
