//! One socket of a load run over UDP: each frame one datagram, stamped
//! with its sequence number (see `sequence`), so each answer is matched to
//! the datagram it answers whatever order answers come in.
//!
//! Closed loop: `depth` datagrams in flight; a datagram unanswered for the
//! loss timeout is given up on, and another goes in its place (were it
//! not, one lost datagram would stall the socket for good). Open loop:
//! datagram `n` is due at a fixed time, as over TCP, and latency counts
//! from when it was due.
//!
//! When the run ends the socket stops sending and waits up to the loss
//! timeout for the answers still in flight; what was never answered is
//! lost. Each answer is counted once (a second is a duplicate), and one
//! that comes after the answer to a later datagram is reordered.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::connection::{ConnectionFailed, IDLE_SLEEP, Plan, Schedule};
use super::recording::ConnectionRecording;
use super::sequence::SequenceStamp;
use super::tally::{Tally, ThreadLatency};
use super::{Pacing, Verify};
use crate::engine::net::batch_udp::{BatchSocket, ReceiveBatch};
use crate::engine::protocol::template::Expansion;
use crate::engine::record::vocabulary::{Direction, RecordKind};
use tokio_util::sync::CancellationToken;

/// Most datagrams one socket keeps in flight; past it the oldest is given
/// up on.
const MAX_IN_FLIGHT: usize = 65_536;
/// Most datagrams sent or read in one turn before the socket looks at its
/// other duties.
const TURN: usize = 256;

/// Which datagrams of a socket have been answered: one bit each, from
/// number 0.
#[derive(Debug, Default)]
struct Answered {
    bits: Vec<u64>,
    /// The highest number answered so far.
    highest: Option<u64>,
}

/// What one answer was.
#[derive(Debug, PartialEq, Eq)]
enum Arrival {
    /// The first answer to its datagram, in order or after a later one's.
    First { reordered: bool },
    /// A second answer to a datagram.
    Duplicate,
}

impl Answered {
    /// Notes the answer to datagram `seq` (one that was sent).
    fn note(&mut self, seq: u64) -> Arrival {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & (1 << bit) != 0 {
            return Arrival::Duplicate;
        }
        self.bits[word] |= 1 << bit;
        let reordered = self.highest.is_some_and(|h| seq < h);
        if !reordered {
            self.highest = Some(seq);
        }
        Arrival::First { reordered }
    }
}

/// Datagrams sent and not yet answered nor given up on, by number from
/// `base`: when each was sent (or due).
#[derive(Debug, Default)]
struct InFlight {
    base: u64,
    slots: VecDeque<Option<Instant>>,
    waiting: usize,
}

impl InFlight {
    /// Datagram `base + len` went out.
    fn push(&mut self, due: Instant) {
        self.slots.push_back(Some(due));
        self.waiting += 1;
    }

    /// The answer to `seq` came: when it was sent, if it was still waited for.
    fn take(&mut self, seq: u64) -> Option<Instant> {
        let index = usize::try_from(seq.checked_sub(self.base)?).ok()?;
        let due = self.slots.get_mut(index)?.take()?;
        self.waiting -= 1;
        self.settle();
        Some(due)
    }

    /// Gives up on the oldest datagram if it went out before `before`;
    /// whether it did.
    fn give_up_before(&mut self, before: Instant) -> bool {
        match self.slots.front() {
            Some(Some(due)) if *due < before => {
                self.slots.pop_front();
                self.base += 1;
                self.waiting -= 1;
                self.settle();
                true
            }
            _ => false,
        }
    }

    /// Drops the answered slots at the front.
    fn settle(&mut self) {
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
    }

    /// When the oldest datagram still waited for went out.
    fn oldest(&self) -> Option<Instant> {
        self.slots.front().copied().flatten()
    }
}

/// One socket's part of a run.
pub(super) struct DatagramSocket<'a> {
    /// The socket's number, from 1.
    pub(super) index: u32,
    pub(super) plan: &'a Plan,
    pub(super) tally: &'a Tally,
    pub(super) latency: &'a ThreadLatency,
    pub(super) stop: &'a CancellationToken,
    pub(super) recording: Option<&'a ConnectionRecording<'a>>,
    /// Where datagrams carry their numbers.
    pub(super) stamp: SequenceStamp,
    /// How long a datagram is waited for before it counts as lost.
    pub(super) loss_timeout: Duration,
}

/// What a socket keeps between turns.
struct State {
    in_flight: InFlight,
    answered: Answered,
    /// Datagrams sent so far (the next one's number).
    sent: u64,
    received: u64,
    credit: usize,
    /// Datagrams of one size laid end to end, to go in one send, and how
    /// many there are; `pending` when built but refused by a full socket
    /// buffer, to be sent first when the socket can take them.
    batch: Vec<u8>,
    segment: usize,
    in_batch: u64,
    pending: bool,
    /// A datagram built after the batch whose size differs from it: the
    /// next batch's first.
    carry: Option<Vec<u8>>,
    /// The datagram being built, and scratch room.
    out: Vec<u8>,
    frame: Vec<u8>,
    scratch: Vec<u8>,
    rng: fastrand::Rng,
    latencies: Vec<u64>,
}

/// What one turn of reading found, counted once for the turn.
#[derive(Default)]
struct ReadTurn {
    count: u64,
    bytes: u64,
    records: Vec<Bytes>,
}

impl DatagramSocket<'_> {
    /// Sends and reads until the run ends, then waits for the answers in
    /// flight and counts what became of every datagram.
    pub(super) async fn drive(&self, socket: BatchSocket) -> Result<(), ConnectionFailed> {
        let schedule = Schedule::new(self.plan, self.index, Instant::now());
        let mut state = State {
            in_flight: InFlight::default(),
            answered: Answered::default(),
            sent: 0,
            received: 0,
            credit: match self.plan.pacing {
                Pacing::Closed { depth } => depth.max(1),
                Pacing::Open { .. } => 0,
            },
            batch: Vec::with_capacity(64 * 1024),
            segment: 0,
            in_batch: 0,
            pending: false,
            carry: None,
            out: Vec::with_capacity(2048),
            frame: Vec::with_capacity(2048),
            scratch: Vec::new(),
            rng: fastrand::Rng::new(),
            latencies: Vec::new(),
        };
        let mut receive = ReceiveBatch::new();
        let mut cancelled = std::pin::pin!(self.stop.cancelled());
        let timer = tokio::time::sleep(IDLE_SLEEP);
        let mut timer = std::pin::pin!(timer);
        let outcome = loop {
            if let Err(failed) = self.send_owed(&socket, &mut state, schedule.as_ref()) {
                break Err(failed);
            }
            let next_due = schedule
                .as_ref()
                .map(|s| s.due(state.sent + 1))
                .filter(|_| !state.pending);
            let give_up_at = state.in_flight.oldest().map(|t| t + self.loss_timeout);
            let wake = [next_due, give_up_at]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(|| Instant::now() + IDLE_SLEEP);
            if timer.deadline() != wake {
                timer.as_mut().reset(wake);
            }
            tokio::select! {
                biased;
                _ = &mut cancelled => break Ok(()),
                readable = socket.readable() => {
                    if let Err(error) = readable {
                        break Err(self.failed(format!("read failed: {error}")));
                    }
                    if let Err(failed) = self.read_ready(&socket, &mut state, &mut receive) {
                        break Err(failed);
                    }
                }
                _ = socket.writable(), if state.pending => {}
                _ = &mut timer => self.give_up_overdue(&mut state),
            }
        };
        // The answers still in flight, for up to the loss timeout.
        let drain_until = Instant::now() + self.loss_timeout;
        while state.in_flight.waiting > 0 {
            tokio::select! {
                _ = tokio::time::sleep_until(drain_until) => break,
                readable = socket.readable() => {
                    if readable.is_err()
                        || self.read_ready(&socket, &mut state, &mut receive).is_err()
                    {
                        break;
                    }
                }
            }
        }
        let datagrams = &self.tally.datagrams;
        datagrams.sent.fetch_add(state.sent, Relaxed);
        datagrams.received.fetch_add(state.received, Relaxed);
        datagrams
            .lost
            .fetch_add(state.sent.saturating_sub(state.received), Relaxed);
        outcome
    }

    /// An error of this socket, in words.
    fn failed(&self, what: String) -> ConnectionFailed {
        ConnectionFailed(format!("socket {}: {what}", self.index))
    }

    /// Sends every datagram owed now, a batch a call, until the socket's
    /// buffer is full or a turn's worth has gone.
    fn send_owed(
        &self,
        socket: &BatchSocket,
        state: &mut State,
        schedule: Option<&Schedule>,
    ) -> Result<(), ConnectionFailed> {
        let (mut sent_now, mut bytes_now) = (0u64, 0u64);
        let mut records = Vec::new();
        while sent_now < TURN as u64 {
            if !state.pending {
                self.fill_batch(socket, state, schedule)?;
                if state.in_batch == 0 {
                    break;
                }
                state.pending = true;
            }
            match socket.try_send(&state.batch, state.segment) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                // The peer's port was unreachable for an earlier datagram:
                // these went nowhere either; they count as sent and lost.
                Err(error) if is_refusal(&error) => {
                    self.tally
                        .error(|| format!("socket {}: {}", self.index, refusal(&error)));
                }
                Err(error) => return Err(self.failed(format!("send failed: {error}"))),
            }
            state.pending = false;
            let now = Instant::now();
            for _ in 0..state.in_batch {
                let seq = state.sent;
                state.sent += 1;
                if state.in_flight.slots.len() >= MAX_IN_FLIGHT {
                    state.in_flight.give_up_before(now + IDLE_SLEEP);
                }
                state
                    .in_flight
                    .push(schedule.map_or(now, |s| s.due(seq + 1)));
            }
            if schedule.is_none() {
                state.credit -= state.in_batch as usize;
            }
            sent_now += state.in_batch;
            bytes_now += state.batch.len() as u64;
            if self.recording.is_some() {
                records.extend(
                    state
                        .batch
                        .chunks(state.segment.max(1))
                        .map(Bytes::copy_from_slice),
                );
            }
        }
        if sent_now > 0 {
            self.tally.frames_sent.fetch_add(sent_now, Relaxed);
            self.tally.bytes_sent.fetch_add(bytes_now, Relaxed);
            if let Some(recording) = self.recording {
                recording.record(Direction::Sent, self.record_kind(), &records);
            }
        }
        Ok(())
    }

    /// Builds the next batch: the datagrams owed now, of one size, as many
    /// as one send carries.
    fn fill_batch(
        &self,
        socket: &BatchSocket,
        state: &mut State,
        schedule: Option<&Schedule>,
    ) -> Result<(), ConnectionFailed> {
        state.batch.clear();
        state.in_batch = 0;
        let owed = match schedule {
            None => state.credit as u64,
            Some(schedule) => schedule.owed(state.sent, Instant::now()),
        };
        let mut most = owed;
        while state.in_batch < most {
            let datagram = match state.carry.take() {
                Some(carried) => carried,
                None => {
                    self.build(state, state.sent + state.in_batch)?;
                    std::mem::take(&mut state.out)
                }
            };
            if state.in_batch == 0 {
                state.segment = datagram.len();
                most = most.min(socket.segments_per_send(datagram.len()) as u64);
            } else if datagram.len() != state.segment {
                state.carry = Some(datagram);
                break;
            }
            state.batch.extend_from_slice(&datagram);
            state.in_batch += 1;
            state.out = datagram;
        }
        Ok(())
    }

    /// Builds datagram `seq` into `state.out`.
    fn build(&self, state: &mut State, seq: u64) -> Result<(), ConnectionFailed> {
        state.frame.clear();
        self.plan
            .payload
            .write(
                &mut state.frame,
                &mut state.scratch,
                &mut Expansion {
                    conn: self.index,
                    seq: seq + 1,
                    content_len: 0,
                    rng: &mut state.rng,
                    named: &[],
                },
            )
            .map_err(|e| self.failed(format!("datagram {seq} cannot be built: {e}")))?;
        state.out.clear();
        self.stamp
            .stamp(&state.frame, seq, &mut state.out)
            .map_err(|e| self.failed(e.to_string()))
    }

    /// What the journal calls one datagram of this run.
    fn record_kind(&self) -> RecordKind {
        if self.plan.framed {
            RecordKind::Frame
        } else {
            RecordKind::Chunk
        }
    }

    /// Reads the answers waiting, a few calls' worth.
    fn read_ready(
        &self,
        socket: &BatchSocket,
        state: &mut State,
        receive: &mut ReceiveBatch,
    ) -> Result<(), ConnectionFailed> {
        state.latencies.clear();
        let measuring = self.tally.measuring.load(Relaxed);
        let mut turn = ReadTurn::default();
        while turn.count < TURN as u64 {
            let read = socket.try_recv(receive, |answer| {
                self.take_answer(state, answer, measuring, &mut turn);
            });
            match read {
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if is_refusal(&error) => {
                    self.tally
                        .error(|| format!("socket {}: {}", self.index, refusal(&error)));
                }
                Err(error) => return Err(self.failed(format!("read failed: {error}"))),
            }
        }
        if turn.count > 0 || turn.bytes > 0 {
            self.tally.frames_received.fetch_add(turn.count, Relaxed);
            self.tally.bytes_received.fetch_add(turn.bytes, Relaxed);
        }
        if !state.latencies.is_empty() {
            self.latency.record(&state.latencies);
        }
        if let Some(recording) = self.recording {
            recording.record(Direction::Received, self.record_kind(), &turn.records);
        }
        Ok(())
    }

    /// One answer: matched to its datagram by its number, counted once.
    fn take_answer(&self, state: &mut State, answer: &[u8], measuring: bool, turn: &mut ReadTurn) {
        if self.recording.is_some() {
            turn.records.push(Bytes::copy_from_slice(answer));
        }
        turn.bytes += answer.len() as u64;
        let Some(seq) = self.stamp.read(answer).filter(|seq| *seq < state.sent) else {
            self.tally.error(|| {
                format!(
                    "socket {}: an answer of {} bytes carries no sequence number of a datagram sent",
                    self.index,
                    answer.len()
                )
            });
            return;
        };
        match state.answered.note(seq) {
            Arrival::Duplicate => {
                self.tally.datagrams.duplicated.fetch_add(1, Relaxed);
                return;
            }
            Arrival::First { reordered: true } => {
                self.tally.datagrams.reordered.fetch_add(1, Relaxed);
            }
            Arrival::First { reordered: false } => {}
        }
        state.received += 1;
        turn.count += 1;
        self.verify(seq, answer);
        if let Some(due) = state.in_flight.take(seq) {
            if self.plan.pacing_is_closed() {
                state.credit += 1;
            }
            if measuring {
                state
                    .latencies
                    .push(Instant::now().saturating_duration_since(due).as_micros() as u64);
            }
        }
    }

    /// Checks an answer as `--verify` asks: its length, or (a fixed
    /// payload) its bytes, against the datagram it answers.
    fn verify(&self, seq: u64, answer: &[u8]) {
        let compare = match self.plan.verify {
            Verify::None => return,
            Verify::Length => false,
            Verify::Sample => seq.is_multiple_of(super::connection::SAMPLE_EVERY),
            Verify::All => true,
        };
        let Some(fixed) = self.plan.payload.fixed() else {
            return;
        };
        let mut expected = Vec::with_capacity(answer.len());
        if self.stamp.stamp(fixed, seq, &mut expected).is_err() {
            return;
        }
        let differs = if compare {
            expected != answer
        } else {
            expected.len() != answer.len()
        };
        if differs {
            self.tally.mismatches.fetch_add(1, Relaxed);
            self.tally.error(|| {
                format!(
                    "socket {}: the answer to datagram {seq} differs from it ({} bytes sent, {} back)",
                    self.index,
                    expected.len(),
                    answer.len()
                )
            });
        }
    }

    /// Gives up on datagrams waited for past the loss timeout; in a closed
    /// loop, each is replaced.
    fn give_up_overdue(&self, state: &mut State) {
        let before = Instant::now() - self.loss_timeout;
        while state.in_flight.give_up_before(before) {
            if self.plan.pacing_is_closed() {
                state.credit += 1;
            }
        }
    }
}

/// Whether a socket error is the peer's port refusing (an ICMP "port
/// unreachable" for an earlier datagram).
fn is_refusal(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

/// A refusal in words.
fn refusal(error: &io::Error) -> String {
    format!("port unreachable: nothing listens at the target ({error})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_counted_once_and_late_ones_as_reordered() {
        let mut answered = Answered::default();
        assert_eq!(answered.note(0), Arrival::First { reordered: false });
        assert_eq!(answered.note(2), Arrival::First { reordered: false });
        assert_eq!(answered.note(1), Arrival::First { reordered: true });
        assert_eq!(answered.note(2), Arrival::Duplicate);
        assert_eq!(answered.note(200), Arrival::First { reordered: false });
        assert_eq!(answered.note(199), Arrival::First { reordered: true });
        assert_eq!(answered.note(199), Arrival::Duplicate);
    }

    #[test]
    fn datagrams_in_flight_are_answered_in_any_order_and_given_up_in_order() {
        let start = Instant::now();
        let mut in_flight = InFlight::default();
        for i in 0..4 {
            in_flight.push(start + Duration::from_millis(i));
        }
        assert_eq!(in_flight.take(2), Some(start + Duration::from_millis(2)));
        assert_eq!(in_flight.take(2), None, "answered once");
        assert_eq!(in_flight.take(0), Some(start));
        assert_eq!(in_flight.base, 1, "the answered front is dropped");
        assert!(in_flight.give_up_before(start + Duration::from_millis(5)));
        assert_eq!(in_flight.base, 3, "1 given up, 2 already answered");
        assert_eq!(in_flight.waiting, 1);
        assert!(!in_flight.give_up_before(start + Duration::from_millis(3)));
        assert_eq!(in_flight.take(3), Some(start + Duration::from_millis(3)));
        assert_eq!(in_flight.waiting, 0);
        assert_eq!(in_flight.take(1), None, "given up on: no latency");
    }
}
