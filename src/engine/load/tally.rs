//! What a load run has counted so far, shared by its connections and read
//! by its controller: counters added once per read or write batch (never
//! per frame), per-thread latency histograms, and the first errors in
//! words.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use crate::engine::record::stats::latency_histogram;

/// Errors kept in words; beyond them errors are only counted.
const ERRORS_KEPT: usize = 20;

/// Counters of a whole run.
#[derive(Debug, Default)]
pub struct Tally {
    /// Frames written.
    pub frames_sent: AtomicU64,
    /// Bytes written.
    pub bytes_sent: AtomicU64,
    /// Replies completed.
    pub frames_received: AtomicU64,
    /// Bytes read.
    pub bytes_received: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections that opened at some point.
    pub opened: AtomicU64,
    /// Errors of every kind (failed connects, broken connections, replies
    /// that differ or cannot be read).
    pub errors: AtomicU64,
    /// Replies that differed from what was sent (also counted in `errors`).
    pub mismatches: AtomicU64,
    /// Whether latency is being recorded (after the warm-up).
    pub measuring: AtomicBool,
    /// Over UDP: what became of the datagrams, counted as each socket ends.
    pub datagrams: DatagramTally,
    /// The first errors, in words.
    first_errors: Mutex<Vec<String>>,
}

/// What became of a UDP run's datagrams, all sockets together.
#[derive(Debug, Default)]
pub struct DatagramTally {
    /// Datagrams sent.
    pub sent: AtomicU64,
    /// Datagrams answered (each counted once).
    pub received: AtomicU64,
    /// Datagrams never answered, by the end of the run's drain.
    pub lost: AtomicU64,
    /// Answers to a datagram already answered.
    pub duplicated: AtomicU64,
    /// Answers that came after an answer to a later datagram.
    pub reordered: AtomicU64,
}

impl DatagramTally {
    /// The counts now.
    pub fn counts(&self) -> DatagramCounts {
        DatagramCounts {
            sent: self.sent.load(Relaxed),
            received: self.received.load(Relaxed),
            lost: self.lost.load(Relaxed),
            duplicated: self.duplicated.load(Relaxed),
            reordered: self.reordered.load(Relaxed),
        }
    }
}

/// What became of a UDP run's datagrams (the whole run, warm-up included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DatagramCounts {
    /// Datagrams sent.
    pub sent: u64,
    /// Datagrams answered, each counted once.
    pub received: u64,
    /// Datagrams never answered.
    pub lost: u64,
    /// Answers to a datagram already answered.
    pub duplicated: u64,
    /// Answers that came after an answer to a later datagram.
    pub reordered: u64,
}

impl DatagramCounts {
    /// The sum of two agents' counts.
    pub fn plus(&self, other: &DatagramCounts) -> DatagramCounts {
        DatagramCounts {
            sent: self.sent + other.sent,
            received: self.received + other.received,
            lost: self.lost + other.lost,
            duplicated: self.duplicated + other.duplicated,
            reordered: self.reordered + other.reordered,
        }
    }

    /// The share of datagrams sent that were lost, 0 to 1.
    pub fn loss(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.lost as f64 / self.sent as f64
        }
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    /// Frames written.
    pub frames_sent: u64,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Replies completed.
    pub frames_received: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Errors of every kind.
    pub errors: u64,
    /// Replies that differed from what was sent.
    pub mismatches: u64,
}

impl Totals {
    /// What was counted between `earlier` and `self`.
    pub fn since(&self, earlier: &Totals) -> Totals {
        Totals {
            frames_sent: self.frames_sent.saturating_sub(earlier.frames_sent),
            bytes_sent: self.bytes_sent.saturating_sub(earlier.bytes_sent),
            frames_received: self.frames_received.saturating_sub(earlier.frames_received),
            bytes_received: self.bytes_received.saturating_sub(earlier.bytes_received),
            errors: self.errors.saturating_sub(earlier.errors),
            mismatches: self.mismatches.saturating_sub(earlier.mismatches),
        }
    }

    /// The sum of two agents' counts.
    pub fn plus(&self, other: &Totals) -> Totals {
        Totals {
            frames_sent: self.frames_sent + other.frames_sent,
            bytes_sent: self.bytes_sent + other.bytes_sent,
            frames_received: self.frames_received + other.frames_received,
            bytes_received: self.bytes_received + other.bytes_received,
            errors: self.errors + other.errors,
            mismatches: self.mismatches + other.mismatches,
        }
    }
}

impl Tally {
    /// The counters now.
    pub fn totals(&self) -> Totals {
        Totals {
            frames_sent: self.frames_sent.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            frames_received: self.frames_received.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
            errors: self.errors.load(Relaxed),
            mismatches: self.mismatches.load(Relaxed),
        }
    }

    /// Counts an error and keeps its words if it is among the first.
    pub fn error(&self, what: impl FnOnce() -> String) {
        self.errors.fetch_add(1, Relaxed);
        let mut kept = self.first_errors.lock();
        if kept.len() < ERRORS_KEPT {
            kept.push(what());
        }
    }

    /// The first errors, in words.
    pub fn first_errors(&self) -> Vec<String> {
        self.first_errors.lock().clone()
    }
}

/// One worker thread's latency samples: the run's whole histogram and the
/// samples since the controller last looked (for the progress line).
#[derive(Debug)]
pub struct ThreadLatency {
    inner: Mutex<(Histogram<u64>, Histogram<u64>)>,
}

impl Default for ThreadLatency {
    fn default() -> Self {
        Self {
            inner: Mutex::new((latency_histogram(), latency_histogram())),
        }
    }
}

impl ThreadLatency {
    /// Records a batch of round trips, in microseconds.
    pub fn record(&self, micros: &[u64]) {
        if micros.is_empty() {
            return;
        }
        let mut inner = self.inner.lock();
        let (whole, recent) = &mut *inner;
        for &us in micros {
            let us = us.clamp(1, whole.high());
            let _ = whole.record(us);
            let _ = recent.record(us);
        }
    }

    /// Adds the samples since the last call to `into`, and forgets them.
    pub fn drain_recent_into(&self, into: &mut Histogram<u64>) {
        let mut inner = self.inner.lock();
        let _ = into.add(&inner.1);
        inner.1.reset();
    }

    /// Adds every sample of the run to `into`.
    pub fn add_whole_into(&self, into: &mut Histogram<u64>) {
        let _ = into.add(&self.inner.lock().0);
    }
}
