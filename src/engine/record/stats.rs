//! Counters, rates and the latency histogram.
//!
//! The hot path only increments relaxed atomics; readers take snapshots.
//! Round-trip latency goes into sharded HDR histograms that the engine's
//! sampler collects; viewers read what the sampler published.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use hdrhistogram::Histogram;
use parking_lot::Mutex;

use crate::engine::record::vocabulary::Direction;

/// Frames, bytes and errors for one connection or one side.
#[derive(Debug, Default)]
pub struct Counters {
    frames_sent: AtomicU64,
    frames_received: AtomicU64,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    errors: AtomicU64,
}

/// A point-in-time copy of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CounterSnapshot {
    /// Frames (or raw chunks) written.
    pub frames_sent: u64,
    /// Frames (or raw chunks) read.
    pub frames_received: u64,
    /// Bytes written.
    pub bytes_sent: u64,
    /// Bytes read.
    pub bytes_received: u64,
    /// Decode and socket errors.
    pub errors: u64,
}

impl Counters {
    /// Counts one frame (or chunk) of `bytes` bytes going `direction`.
    pub fn count(&self, direction: Direction, bytes: usize) {
        let (frames, total) = match direction {
            Direction::Sent => (&self.frames_sent, &self.bytes_sent),
            Direction::Received => (&self.frames_received, &self.bytes_received),
        };
        frames.fetch_add(1, Relaxed);
        total.fetch_add(bytes as u64, Relaxed);
    }

    /// Counts `frames` frames (or chunks) of `bytes` bytes in all going
    /// `direction`, as one update per counter.
    pub fn count_many(&self, direction: Direction, frames: u64, bytes: u64) {
        let (frame_total, byte_total) = match direction {
            Direction::Sent => (&self.frames_sent, &self.bytes_sent),
            Direction::Received => (&self.frames_received, &self.bytes_received),
        };
        frame_total.fetch_add(frames, Relaxed);
        byte_total.fetch_add(bytes, Relaxed);
    }

    /// Counts bytes that arrived without completing a frame.
    pub fn count_bytes(&self, direction: Direction, bytes: usize) {
        let total = match direction {
            Direction::Sent => &self.bytes_sent,
            Direction::Received => &self.bytes_received,
        };
        total.fetch_add(bytes as u64, Relaxed);
    }

    /// Counts one error.
    pub fn count_error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            frames_sent: self.frames_sent.load(Relaxed),
            frames_received: self.frames_received.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            bytes_received: self.bytes_received.load(Relaxed),
            errors: self.errors.load(Relaxed),
        }
    }
}

/// Percentiles of round-trip latency, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LatencySummary {
    /// How many round trips were measured.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest.
    pub max_us: u64,
}

/// The slowest round trip a histogram tells apart: one hour.
const MAX_LATENCY_US: u64 = 3_600_000_000;
/// Histograms the hot path records into, chosen by connection, so that
/// connections on different worker threads rarely meet on one lock.
const LATENCY_SHARDS: usize = 8;

/// An empty histogram spanning 1 µs to an hour at 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant histogram bounds are valid")
}

/// Round-trip latencies of echoed frames, recorded by connection tasks into
/// shards and collected by the engine's sampler, never read by a viewer.
#[derive(Debug)]
pub struct Latency {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Default for Latency {
    fn default() -> Self {
        Self {
            shards: (0..LATENCY_SHARDS)
                .map(|_| Mutex::new(latency_histogram()))
                .collect(),
        }
    }
}

impl Latency {
    /// Records many round trips of connection `conn` under one take of its
    /// shard's lock.
    pub fn record_all(&self, conn: u32, rtts: impl IntoIterator<Item = Duration>) {
        let shard = &self.shards[conn as usize % LATENCY_SHARDS];
        let mut shard = shard.lock();
        for rtt in rtts {
            let micros = (rtt.as_micros() as u64).clamp(1, MAX_LATENCY_US);
            let _ = shard.record(micros);
        }
    }

    /// Moves every sample recorded since the last call into `into`; whether
    /// there was any.
    pub fn drain_into(&self, into: &mut Histogram<u64>) -> bool {
        let mut any = false;
        for shard in &self.shards {
            let mut shard = shard.lock();
            if !shard.is_empty() {
                let _ = into.add(&*shard);
                shard.reset();
                any = true;
            }
        }
        any
    }

    /// Forgets every sample not yet collected.
    pub fn reset(&self) {
        for shard in &self.shards {
            shard.lock().reset();
        }
    }
}

/// Bucketed counts for a chart: (upper bound in µs, count), about `buckets` of them.
pub fn latency_buckets(histogram: &Histogram<u64>, buckets: usize) -> Vec<(u64, u64)> {
    if histogram.is_empty() {
        return Vec::new();
    }
    let step = (histogram.max() / buckets.max(1) as u64).max(1);
    histogram
        .iter_linear(step)
        .map(|v| (v.value_iterated_to(), v.count_since_last_iteration()))
        .collect()
}

/// Percentiles of a histogram.
pub fn summarize(histogram: &Histogram<u64>) -> LatencySummary {
    LatencySummary {
        count: histogram.len(),
        p50_us: histogram.value_at_quantile(0.50),
        p90_us: histogram.value_at_quantile(0.90),
        p99_us: histogram.value_at_quantile(0.99),
        max_us: histogram.max(),
    }
}

/// Frames per second, sampled once a second, over the last minute.
#[derive(Debug, Default, Clone)]
pub struct RateHistory {
    last_total: Option<u64>,
    rates: VecDeque<f64>,
}

/// How many one-second samples the rate history keeps.
pub const RATE_WINDOW: usize = 60;

impl RateHistory {
    /// Takes a sample: `total` frames so far, `elapsed` since the last sample.
    pub fn sample(&mut self, total: u64, elapsed: Duration) {
        if let Some(last) = self.last_total {
            let rate = total.saturating_sub(last) as f64 / elapsed.as_secs_f64().max(1e-3);
            self.rates.push_back(rate);
            if self.rates.len() > RATE_WINDOW {
                self.rates.pop_front();
            }
        }
        self.last_total = Some(total);
    }

    /// The samples, oldest first.
    pub fn rates(&self) -> Vec<f64> {
        self.rates.iter().copied().collect()
    }
}

/// Everything the engine counts.
#[derive(Debug, Default)]
pub struct Stats {
    /// The embedded server's connections, all together.
    pub server: Counters,
    /// The client pool's connections, all together.
    pub client: Counters,
    /// Both legs of every relayed conversation, all together.
    pub relay: Counters,
    /// Round trips the client pool measured, not yet collected.
    pub latency: Latency,
}

impl Stats {
    /// Frames moved so far, every side and direction.
    pub fn total_frames(&self) -> u64 {
        [&self.server, &self.client, &self.relay]
            .map(Counters::snapshot)
            .iter()
            .map(|side| side.frames_sent + side.frames_received)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_percentiles() {
        let counters = Counters::default();
        counters.count(Direction::Sent, 10);
        counters.count(Direction::Received, 7);
        counters.count_error();
        let snap = counters.snapshot();
        assert_eq!(
            (
                snap.frames_sent,
                snap.bytes_sent,
                snap.frames_received,
                snap.bytes_received,
                snap.errors
            ),
            (1, 10, 1, 7, 1)
        );

        let latency = Latency::default();
        for micros in 1..=100 {
            latency.record_all(micros as u32, [Duration::from_micros(micros)]);
        }
        let mut all = latency_histogram();
        assert!(latency.drain_into(&mut all));
        assert!(!latency.drain_into(&mut all), "drained once");
        let summary = summarize(&all);
        assert_eq!(
            (
                summary.count,
                summary.p50_us,
                summary.p99_us,
                summary.max_us
            ),
            (100, 50, 99, 100)
        );
        assert!(!latency_buckets(&all, 10).is_empty());
    }

    #[test]
    fn rates_are_differences_per_second() {
        let mut history = RateHistory::default();
        history.sample(0, Duration::from_secs(1));
        history.sample(500, Duration::from_secs(1));
        history.sample(600, Duration::from_millis(500));
        assert_eq!(history.rates(), vec![500.0, 200.0]);
    }
}
