//! The echo matrix: every server at every connection count, depth and size.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use crate::engine::load::{LoadRun, LoadSpec, Pacing, Payload, Verify};
use crate::engine::reference::BenchServer;
use crate::engine::reference::batch_load::{self, BatchLoadReport, BatchLoadSpec};
use crate::engine::tutorial_app::CLIENT_BINARY_TYPE;
use crate::engine::{Capture, FrameBuilder, JournalLimits, ServerMode};

use super::baseline::{ChildServer, start_reference};
use super::{BenchArgs, LOAD_CORE, SERVER_CORE, pin_to, runtime};
use crate::cli::CliError;

/// Warm-up before each measured window.
const WARMUP: Duration = Duration::from_millis(300);
/// The bounded journal for the full-capture rows.
const FULL_CAPTURE_BOUNDS: JournalLimits = JournalLimits {
    max_records: 1_000_000,
    max_bytes: 256 << 20,
};

/// What one round of one row measured.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Measured {
    /// Frames echoed per second.
    pub frames_per_s: f64,
    /// Megabytes (10^6) echoed per second.
    pub megabytes_per_s: f64,
    /// The share of its core the load used, where measured (Linux).
    pub load_busy: Option<f64>,
    /// Errors the load met.
    pub errors: u64,
}

impl From<&BatchLoadReport> for Measured {
    fn from(report: &BatchLoadReport) -> Self {
        Self {
            frames_per_s: report.frames_per_s(),
            megabytes_per_s: report.bytes_per_s() / 1e6,
            load_busy: report.load_cpu_share(),
            errors: report.errors,
        }
    }
}

impl Measured {
    /// Whether the load's core was saturated, so that the load may have set
    /// the rate rather than the server.
    pub fn load_bound(&self) -> bool {
        self.load_busy
            .is_some_and(|busy| busy >= batch_load::LOAD_BOUND_SHARE)
    }
}

/// One measured echo row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EchoRow {
    /// Which server, loaded by which load.
    pub server: String,
    /// Connections.
    pub connections: usize,
    /// Frames in flight per connection.
    pub depth: usize,
    /// Content bytes per frame.
    pub content: usize,
    /// The round with the median frames/s.
    pub measured: Measured,
    /// frames/s over the reference row's in the same round, the median over
    /// the rounds; `None` where the load was saturated (the row is
    /// load-bound, not the server's rate).
    pub ratio: Option<f64>,
}

/// The rows of each cell, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Row {
    /// The reference echo under the reference load: the load's headroom.
    Reference,
    /// framescope's frame-echo under the reference load.
    Framescope(Capture),
    /// The seed's Python server under the reference load.
    Python,
    /// The reference echo under `framescope load`.
    FramescopeLoad,
}

impl Row {
    fn name(self) -> String {
        match self {
            Row::Reference => "reference echo · reference load".into(),
            Row::Framescope(Capture::Off) => "frame-echo, capture off".into(),
            Row::Framescope(Capture::HeadersOnly) => "frame-echo, headers only".into(),
            Row::Framescope(Capture::Full) => "frame-echo, full capture".into(),
            Row::Python => "seed Python selectors".into(),
            Row::FramescopeLoad => "reference echo · framescope load".into(),
        }
    }
}

/// Runs every cell; returns its rows.
pub fn run(args: &BenchArgs, seconds: Duration) -> Result<Vec<EchoRow>, CliError> {
    let servers_rt = runtime("bench-server", SERVER_CORE)?;
    let python = if args.no_python {
        None
    } else {
        // Started from a thread on the servers' core, whose affinity it inherits.
        match std::thread::spawn(|| {
            pin_to(SERVER_CORE);
            ChildServer::python_seed()
        })
        .join()
        .unwrap_or_else(|_| Err("the thread starting python3 panicked".into()))
        {
            Ok(server) => Some(server),
            Err(why) => {
                eprintln!("skipping the Python rows: {why}");
                None
            }
        }
    };
    let (reference, _reference_task) = servers_rt
        .block_on(start_reference())
        .map_err(|e| CliError::Server(format!("reference server: {e}")))?;
    let mut rows = vec![
        Row::Reference,
        Row::Framescope(Capture::Off),
        Row::Framescope(Capture::HeadersOnly),
        Row::Framescope(Capture::Full),
    ];
    if python.is_some() {
        rows.push(Row::Python);
    }
    rows.push(Row::FramescopeLoad);
    let cells: Vec<(usize, usize, usize)> = args
        .connections
        .iter()
        .flat_map(|&c| {
            args.depth
                .iter()
                .flat_map(move |&d| args.size.iter().map(move |&s| (c, d, s)))
        })
        .collect();
    let total = cells.len() * rows.len() * args.repeat.max(1);
    let mut done = 0;
    let mut echo = Vec::new();
    for (connections, depth, content) in cells {
        let frame = FrameBuilder::binary(CLIENT_BINARY_TYPE, vec![0x5a; content])
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?;
        let cell = Cell {
            connections,
            depth,
            frame,
            seconds,
        };
        // Every row runs once per round, rounds interleaved, so slow phases
        // of a noisy machine fall on all of them alike.
        let mut runs: Vec<Vec<Measured>> = vec![Vec::new(); rows.len()];
        for _ in 0..args.repeat.max(1) {
            for (index, &row) in rows.iter().enumerate() {
                done += 1;
                eprintln!(
                    "[{done}/{total}] {} · {connections} conns · depth {depth} · {content} B",
                    row.name()
                );
                runs[index].push(match row {
                    Row::Reference => cell.batch_load(reference)?,
                    Row::Framescope(capture) => {
                        let bounds = if capture == Capture::Full {
                            FULL_CAPTURE_BOUNDS
                        } else {
                            JournalLimits::default()
                        };
                        let server = servers_rt
                            .block_on(BenchServer::start(
                                SocketAddr::from(([127, 0, 0, 1], 0)),
                                ServerMode::FrameEcho,
                                capture,
                                bounds,
                            ))
                            .map_err(|e| CliError::Server(e.to_string()))?;
                        let measured = cell.batch_load(server.local_addr());
                        servers_rt.block_on(server.stop());
                        measured?
                    }
                    Row::Python => match &python {
                        Some(python) => cell.batch_load(python.addr)?,
                        None => continue,
                    },
                    Row::FramescopeLoad => cell.framescope_load(reference)?,
                });
            }
        }
        let reference_runs = &runs[0];
        for (row, row_runs) in rows.iter().zip(&runs) {
            let measured = median(row_runs);
            let ratio = (!measured.load_bound() || *row == Row::FramescopeLoad)
                .then(|| paired_ratio(row_runs, reference_runs));
            echo.push(EchoRow {
                server: row.name(),
                connections,
                depth,
                content,
                measured,
                ratio,
            });
        }
    }
    Ok(echo)
}

/// One cell's load: connections, depth and frame.
struct Cell {
    connections: usize,
    depth: usize,
    frame: Bytes,
    seconds: Duration,
}

impl Cell {
    /// The reference batching load on the load's core against `addr`.
    fn batch_load(&self, addr: SocketAddr) -> Result<Measured, CliError> {
        batch_load::run(BatchLoadSpec {
            addr,
            connections: self.connections,
            depth: self.depth,
            frame: self.frame.clone(),
            profile: None,
            duration: self.seconds,
            warmup: WARMUP,
            core: Some(LOAD_CORE),
        })
        .map(|report| Measured::from(&report))
        .map_err(|e| CliError::Incomplete(format!("the reference load against {addr}: {e}")))
    }

    /// `framescope load` (one worker on the load's core, replies read as
    /// frames) against `addr`.
    fn framescope_load(&self, addr: SocketAddr) -> Result<Measured, CliError> {
        let spec = LoadSpec {
            transport: crate::engine::Transport::Tcp,
            loss_timeout: crate::engine::load::DEFAULT_LOSS_TIMEOUT,
            target: addr.into(),
            connections: self.connections,
            connect_rate: None,
            duration: self.seconds,
            warmup: WARMUP,
            pacing: Pacing::Closed { depth: self.depth },
            payload: Payload::Fixed(self.frame.clone()),
            framed: true,
            profile: None,
            verify: Verify::Length,
            threads: 1,
            cores: vec![LOAD_CORE],
            recorder: None,
            tls: None,
        };
        let report = LoadRun::start(spec, |_| {})
            .and_then(LoadRun::wait)
            .map_err(|e| CliError::Load(e.to_string()))?;
        Ok(Measured {
            frames_per_s: report.frames_per_s,
            megabytes_per_s: report.megabytes_per_s,
            load_busy: report.load_busy,
            errors: report.errors,
        })
    }
}

/// The median, over rounds, of a row's frames/s over the reference row's
/// in the same round. Rows of one round run back to back, so they share
/// the machine's slow and fast phases, which move whole rounds by a
/// quarter on this kind of machine; a ratio of medians taken from
/// different rounds would carry those phases into it.
fn paired_ratio(runs: &[Measured], reference: &[Measured]) -> f64 {
    let mut ratios: Vec<f64> = runs
        .iter()
        .zip(reference)
        .map(|(run, reference)| run.frames_per_s / reference.frames_per_s.max(1e-9))
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios.get(ratios.len() / 2).copied().unwrap_or(0.0)
}

/// The round with the median frames/s.
fn median(runs: &[Measured]) -> Measured {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.frames_per_s.total_cmp(&b.frames_per_s));
    sorted[sorted.len() / 2]
}

/// Prints the table.
pub fn print(echo: &[EchoRow]) {
    println!(
        "\nEcho servers under the reference batching load, and framescope load beside it \
         (ratio: frames/s over the reference row's in the same round, the median over rounds; \
         load-bound: the load's core was at least {:.0} % busy)\n",
        batch_load::LOAD_BOUND_SHARE * 100.0
    );
    println!("| row | conns | depth | content | frames/s | MB/s | load core busy | ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in echo {
        let m = &row.measured;
        let errors = if m.errors > 0 {
            format!(" ({} errors)", m.errors)
        } else {
            String::new()
        };
        println!(
            "| {}{errors} | {} | {} | {} | {:.0} | {:.1} | {} | {} |",
            row.server,
            row.connections,
            row.depth,
            row.content,
            m.frames_per_s,
            m.megabytes_per_s,
            m.load_busy
                .map_or("?".to_owned(), |b| format!("{:.0} %", b * 100.0)),
            row.ratio
                .map_or("load-bound".to_owned(), |r| format!("{r:.2}")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(frames_per_s: f64) -> Measured {
        Measured {
            frames_per_s,
            megabytes_per_s: 0.0,
            load_busy: None,
            errors: 0,
        }
    }

    #[test]
    fn a_ratio_pairs_each_round_with_the_reference_of_the_same_round() {
        // Rounds two and three ran in fast phases of the machine, the third
        // for the row alone. Paired, two rounds of three say one half;
        // medians from different rounds would say two thirds.
        let reference = [at(100.0), at(200.0), at(150.0)];
        let row = [at(50.0), at(100.0), at(140.0)];
        assert_eq!(paired_ratio(&row, &reference), 0.5);
        assert_eq!(
            median(&row).frames_per_s / median(&reference).frames_per_s,
            100.0 / 150.0
        );
    }
}
