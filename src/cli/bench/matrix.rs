//! The echo matrix: every server at every connection count, depth and size.

use std::net::SocketAddr;
use std::time::Duration;

use crate::engine::bench_support::{BenchServer, run_load};
use crate::engine::tutorial_app::CLIENT_BINARY_TYPE;
use crate::engine::{
    Capture, EchoReader, FrameBuilder, JournalLimits, LoadReport, LoadSpec, ServerMode,
};

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

/// One measured echo row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EchoRow {
    /// Which server.
    pub server: String,
    /// Connections.
    pub connections: usize,
    /// Frames in flight per connection.
    pub depth: usize,
    /// Content bytes per frame.
    pub content: usize,
    /// What was measured.
    pub report: LoadReport,
    /// frames/s relative to the reference server in the same cell.
    pub ratio: f64,
}

/// framescope's client pool against a minimal client, on the reference server.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientRow {
    /// Connections.
    pub connections: usize,
    /// Frames in flight per connection.
    pub depth: usize,
    /// Content bytes per frame.
    pub content: usize,
    /// The minimal tokio client.
    pub minimal: LoadReport,
    /// framescope's load mode, decoding and checking every echo.
    pub framescope: LoadReport,
    /// framescope's frames/s over the minimal client's.
    pub ratio: f64,
}

/// The servers in each cell, in the order they run.
#[derive(Debug, Clone, Copy)]
enum Server {
    Reference,
    Framescope(Capture),
    Python,
}

impl Server {
    fn name(self) -> String {
        match self {
            Server::Reference => "reference tokio echo".into(),
            Server::Framescope(Capture::Off) => "framescope, capture off".into(),
            Server::Framescope(Capture::HeadersOnly) => "framescope, headers only".into(),
            Server::Framescope(Capture::Full) => "framescope, full capture".into(),
            Server::Python => "seed Python selectors".into(),
        }
    }
}

/// Runs every cell; returns the echo rows and the client comparison rows.
pub fn run(
    args: &BenchArgs,
    seconds: Duration,
) -> Result<(Vec<EchoRow>, Vec<ClientRow>), CliError> {
    let servers_rt = runtime("bench-server", SERVER_CORE)?;
    let load_rt = runtime("bench-load", LOAD_CORE)?;
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
    let mut servers = vec![
        Server::Reference,
        Server::Framescope(Capture::Off),
        Server::Framescope(Capture::HeadersOnly),
        Server::Framescope(Capture::Full),
    ];
    if python.is_some() {
        servers.push(Server::Python);
    }
    let cells: Vec<(usize, usize, usize)> = args
        .connections
        .iter()
        .flat_map(|&c| {
            args.depth
                .iter()
                .flat_map(move |&d| args.size.iter().map(move |&s| (c, d, s)))
        })
        .collect();
    let total = cells.len() * (servers.len() + 1) * args.repeat.max(1);
    let mut done = 0;
    let (mut echo, mut clients) = (Vec::new(), Vec::new());
    for (connections, depth, content) in cells {
        let frame = FrameBuilder::binary(CLIENT_BINARY_TYPE, vec![0x5a; content])
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?;
        let spec = |target| LoadSpec {
            target,
            connections,
            depth,
            frame: frame.clone(),
            duration: seconds,
            warmup: WARMUP,
        };
        // Every contender runs once per round, rounds interleaved, so slow
        // phases of a noisy machine fall on all of them alike.
        let mut runs: Vec<Vec<LoadReport>> = vec![Vec::new(); servers.len()];
        let mut minimal_runs = Vec::new();
        for _ in 0..args.repeat.max(1) {
            for (index, &server) in servers.iter().enumerate() {
                done += 1;
                eprintln!(
                    "[{done}/{total}] {} · {connections} conns · depth {depth} · {content} B",
                    server.name()
                );
                runs[index].push(match server {
                    Server::Reference => {
                        load_rt.block_on(run_load(spec(reference), EchoReader::Frames))
                    }
                    Server::Framescope(capture) => {
                        let bounds = if capture == Capture::Full {
                            FULL_CAPTURE_BOUNDS
                        } else {
                            JournalLimits::default()
                        };
                        measure_framescope(&servers_rt, &load_rt, capture, bounds, spec(reference))?
                    }
                    Server::Python => match &python {
                        Some(python) => {
                            load_rt.block_on(run_load(spec(python.addr), EchoReader::Frames))
                        }
                        None => continue,
                    },
                });
                if matches!(server, Server::Reference) {
                    // The minimal client right after framescope's client, on the same server.
                    done += 1;
                    eprintln!(
                        "[{done}/{total}] minimal tokio client · {connections} conns · depth {depth} · {content} B"
                    );
                    minimal_runs
                        .push(load_rt.block_on(run_load(spec(reference), EchoReader::RawBytes)));
                }
            }
        }
        let reference_report = median(&runs[0]);
        let reference_fps = reference_report.frames_per_second();
        for (server, reports) in servers.iter().zip(&runs) {
            let report = median(reports);
            let ratio = report.frames_per_second() / reference_fps.max(1e-9);
            echo.push(EchoRow {
                server: server.name(),
                connections,
                depth,
                content,
                report,
                ratio,
            });
        }
        let minimal = median(&minimal_runs);
        let ratio = reference_fps / minimal.frames_per_second().max(1e-9);
        clients.push(ClientRow {
            connections,
            depth,
            content,
            minimal,
            framescope: reference_report,
            ratio,
        });
    }
    Ok((echo, clients))
}

/// The run with the median frames/s.
fn median(reports: &[LoadReport]) -> LoadReport {
    let mut sorted = reports.to_vec();
    sorted.sort_by(|a, b| a.frames_per_second().total_cmp(&b.frames_per_second()));
    sorted[sorted.len() / 2]
}

/// Starts framescope's frame-echo server with its own journal and loads it.
fn measure_framescope(
    servers_rt: &tokio::runtime::Runtime,
    load_rt: &tokio::runtime::Runtime,
    capture: Capture,
    bounds: JournalLimits,
    spec_for_reference: LoadSpec,
) -> Result<LoadReport, CliError> {
    let any_port: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let handle = servers_rt
        .block_on(BenchServer::start(
            any_port,
            ServerMode::FrameEcho,
            capture,
            bounds,
        ))
        .map_err(|e| CliError::Server(e.to_string()))?;
    let spec = LoadSpec {
        target: handle.local_addr(),
        ..spec_for_reference
    };
    let report = load_rt.block_on(run_load(spec, EchoReader::Frames));
    servers_rt.block_on(handle.stop());
    Ok(report)
}

/// Prints both tables.
pub fn print(echo: &[EchoRow], clients: &[ClientRow]) {
    println!(
        "\nEcho servers, loaded by framescope's client pool (ratio: frames/s over the reference in the same cell)\n"
    );
    println!("| server | conns | depth | content | frames/s | MB/s | p50 µs | p99 µs | ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in echo {
        let r = &row.report;
        let flags = if r.mismatches > 0 || r.failed_connections > 0 {
            format!(
                " ({} mismatched, {} failed conns)",
                r.mismatches, r.failed_connections
            )
        } else {
            String::new()
        };
        println!(
            "| {}{flags} | {} | {} | {} | {:.0} | {:.1} | {} | {} | {:.2} |",
            row.server,
            row.connections,
            row.depth,
            row.content,
            r.frames_per_second(),
            r.megabytes_per_second(),
            r.latency.p50_us,
            r.latency.p99_us,
            row.ratio
        );
    }
    println!(
        "\nClients, driving the reference server (ratio: framescope's frames/s over the minimal client's)\n"
    );
    println!("| conns | depth | content | minimal frames/s | framescope frames/s | ratio |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for row in clients {
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.2} |",
            row.connections,
            row.depth,
            row.content,
            row.minimal.frames_per_second(),
            row.framescope.frames_per_second(),
            row.ratio
        );
    }
}
