//! The client pool's load mode: closed-loop load for benchmarks.
//!
//! Each connection keeps `depth` frames in flight: it sends one more each
//! time an echo comes back, decoded and checked by the same `FrameReader`
//! the pool's connections use, and records every round trip. A writer task
//! and a reader task per connection share a semaphore of `depth` permits, so
//! large frames can never deadlock against a server's send buffer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::Bytes;
use hdrhistogram::Histogram;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::reader::FrameReader;
use super::stats::{LatencySummary, summarize};

/// One echo in this many is compared byte for byte (the others by length).
const VERIFY_EVERY: u64 = 16;

/// What a load run does.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The echo server to load.
    pub target: SocketAddr,
    /// Connections, all at once.
    pub connections: usize,
    /// Frames in flight on each connection.
    pub depth: usize,
    /// The frame every connection sends, over and over.
    pub frame: Bytes,
    /// How long to measure, after a short warm-up.
    pub duration: Duration,
    /// The warm-up, not measured.
    pub warmup: Duration,
}

/// What a load run measured.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LoadReport {
    /// Echoes received in the measured window.
    pub frames: u64,
    /// Bytes echoed in the measured window.
    pub bytes: u64,
    /// The measured window.
    pub seconds: f64,
    /// Round trips in the measured window.
    pub latency: LatencySummary,
    /// Echoes that differed from the frame sent.
    pub mismatches: u64,
    /// Connections that failed to open or broke.
    pub failed_connections: u64,
}

impl LoadReport {
    /// Echoes per second.
    pub fn frames_per_second(&self) -> f64 {
        self.frames as f64 / self.seconds.max(1e-9)
    }

    /// Megabytes (10^6) echoed per second.
    pub fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }
}

/// Counters every connection of a run shares.
#[derive(Debug, Default)]
struct RunState {
    measuring: AtomicBool,
    stop: CancellationToken,
    frames: AtomicU64,
    bytes: AtomicU64,
    mismatches: AtomicU64,
    failed: AtomicU64,
}

/// How a connection reads echoes: decoded as frames, or (for a baseline)
/// counted as raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoReader {
    /// framescope's own path: every echo decoded and compared.
    Frames,
    /// A minimal client: bytes counted, nothing parsed.
    RawBytes,
}

/// Runs a closed-loop load and reports what it measured.
pub async fn run(spec: LoadSpec, reader: EchoReader) -> LoadReport {
    let state = Arc::new(RunState::default());
    let mut histograms = Vec::with_capacity(spec.connections);
    let mut tasks = Vec::with_capacity(spec.connections);
    let gate = Arc::new(Semaphore::new(super::client::CONNECTS_IN_FLIGHT));
    for _ in 0..spec.connections {
        let (spec, state, gate) = (spec.clone(), state.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let stream = {
                let _permit = gate.acquire().await;
                TcpStream::connect(spec.target).await
            };
            match stream {
                Ok(stream) => drive(stream, &spec, &state, reader).await,
                Err(_) => {
                    state.failed.fetch_add(1, Relaxed);
                    None
                }
            }
        }));
    }
    tokio::time::sleep(spec.warmup).await;
    state.measuring.store(true, Relaxed);
    let started = Instant::now();
    tokio::time::sleep(spec.duration).await;
    state.measuring.store(false, Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let (frames, bytes) = (state.frames.load(Relaxed), state.bytes.load(Relaxed));
    state.stop.cancel();
    for task in tasks {
        if let Ok(Some(histogram)) = task.await {
            histograms.push(histogram);
        }
    }
    let mut latency = new_histogram();
    for histogram in &histograms {
        let _ = latency.add(histogram);
    }
    LoadReport {
        frames,
        bytes,
        seconds,
        latency: summarize(&latency),
        mismatches: state.mismatches.load(Relaxed),
        failed_connections: state.failed.load(Relaxed),
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant histogram bounds are valid")
}

/// One connection's closed loop; returns its latency histogram.
async fn drive(
    stream: TcpStream,
    spec: &LoadSpec,
    state: &RunState,
    reader: EchoReader,
) -> Option<Histogram<u64>> {
    let _ = stream.set_nodelay(true);
    let (mut read_half, mut write_half) = stream.into_split();
    let permits = Arc::new(Semaphore::new(spec.depth));
    let (stamps, mut stamps_rx) = mpsc::channel::<Instant>(spec.depth.max(1));
    let frame = spec.frame.clone();
    let writer_permits = permits.clone();
    let writer = async move {
        loop {
            let Ok(permit) = writer_permits.acquire().await else {
                return;
            };
            permit.forget();
            if stamps.send(Instant::now()).await.is_err()
                || write_half.write_all(&frame).await.is_err()
            {
                return;
            }
        }
    };
    let frame_len = spec.frame.len();
    let mut histogram = new_histogram();
    let reading = async {
        let histogram = &mut histogram;
        let mut frames = FrameReader::new(u64::MAX, Duration::from_secs(60));
        let mut raw = bytes::BytesMut::with_capacity(64 * 1024);
        let mut raw_pending = 0usize;
        let mut echoes = 0u64;
        loop {
            let echoed = match reader {
                EchoReader::Frames => match frames.next(&mut read_half).await {
                    Ok(Some(echo)) => {
                        // Every echo is decoded and its length checked; one in
                        // VERIFY_EVERY is compared byte for byte, so checking
                        // 64 KiB frames does not become the load's bottleneck.
                        echoes += 1;
                        let wrong = if echoes.is_multiple_of(VERIFY_EVERY) {
                            echo.raw() != &spec.frame
                        } else {
                            echo.raw().len() != frame_len
                        };
                        if wrong {
                            state.mismatches.fetch_add(1, Relaxed);
                        }
                        1
                    }
                    _ => break,
                },
                EchoReader::RawBytes => {
                    raw.clear();
                    match tokio::io::AsyncReadExt::read_buf(&mut read_half, &mut raw).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            raw_pending += n;
                            let whole = raw_pending / frame_len;
                            raw_pending %= frame_len;
                            whole
                        }
                    }
                }
            };
            for _ in 0..echoed {
                let Some(sent) = stamps_rx.recv().await else {
                    return;
                };
                if state.measuring.load(Relaxed) {
                    state.frames.fetch_add(1, Relaxed);
                    state.bytes.fetch_add(frame_len as u64, Relaxed);
                    let _ =
                        histogram.record((sent.elapsed().as_micros() as u64).clamp(1, 60_000_000));
                }
            }
            permits.add_permits(echoed);
        }
    };
    // The run's end stops every connection wherever it waits: a server that
    // stops echoing cannot hold the benchmark.
    tokio::select! {
        _ = state.stop.cancelled() => Some(histogram),
        _ = reading => {
            state.failed.fetch_add(1, Relaxed);
            None
        }
        _ = writer => {
            state.failed.fetch_add(1, Relaxed);
            None
        }
    }
}
