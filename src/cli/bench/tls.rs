//! TLS beside plain TCP: `serve --mode frame-echo` as a process of its own
//! (one core), loaded by framescope's load (the other core) at 50
//! connections with 64 B and 64 KiB frames, with and without `--tls`; then
//! the resident memory of `serve --tls` holding many TLS connections.

use std::process::Command;
use std::time::Duration;

use super::baseline::ChildServer;
use super::{LOAD_CORE, ResidentMemory, SERVER_CORE, pin_to};
use crate::cli::CliError;
use crate::engine::FrameBuilder;
use crate::engine::load::{LoadRun, LoadSpec, Pacing, Payload, Verify};
use crate::engine::tls::{ClientTls, Verification};
use crate::engine::tutorial_app::CLIENT_BINARY_TYPE;

/// Connections of each throughput row.
const CONNECTIONS: usize = 50;
/// Content sizes of the throughput rows.
const SIZES: [usize; 2] = [64, 64 * 1024];

/// One row: plain or TLS, one content size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsRow {
    /// Whether the connections spoke TLS.
    pub tls: bool,
    /// Content bytes per frame.
    pub content: usize,
    /// Frames echoed a second.
    pub frames_per_s: f64,
    /// Megabytes a second, each way.
    pub megabytes_per_s: f64,
    /// Round trip, median and 99th percentile, in µs.
    pub p50_us: u64,
    /// Round trip, 99th percentile, in µs.
    pub p99_us: u64,
    /// Errors seen.
    pub errors: u64,
}

/// Resident memory of `serve --tls` with many connections open.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsMemory {
    /// Connections asked for.
    pub connections: usize,
    /// Connections that opened (handshake done).
    pub opened: u64,
    /// The server's resident bytes with them open, where readable (Linux).
    pub resident_bytes: Option<u64>,
    /// The server's resident bytes before any connection.
    pub idle_bytes: Option<u64>,
}

/// Everything this part measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsResult {
    /// Throughput rows.
    pub rows: Vec<TlsRow>,
    /// Memory of many TLS connections, when asked for.
    pub memory: Option<TlsMemory>,
}

/// `serve --mode frame-echo --capture off`, with `--tls` when asked, on
/// the servers' core.
fn serve(tls: bool) -> Result<ChildServer, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Server(format!("cannot find framescope itself: {e}")))?;
    std::thread::spawn(move || {
        pin_to(SERVER_CORE);
        let mut command = Command::new(exe);
        command.args([
            "serve",
            "--mode",
            "frame-echo",
            "--capture",
            "off",
            "--quiet",
        ]);
        command.args(["--listen", "127.0.0.1:0", "--max-connections", "100000"]);
        if tls {
            command.arg("--tls");
        }
        ChildServer::spawn(command, "framescope serve", None)
    })
    .join()
    .unwrap_or_else(|_| Err("the thread starting serve panicked".into()))
    .map_err(CliError::Server)
}

/// A closed-loop load of `connections` against `server`, started.
fn start_load(
    server: &ChildServer,
    tls: bool,
    connections: usize,
    content: usize,
    seconds: Duration,
) -> Result<LoadRun, CliError> {
    let frame = FrameBuilder::binary(CLIENT_BINARY_TYPE, vec![0x5a; content]);
    let spec = LoadSpec {
        transport: crate::engine::Transport::Tcp,
        loss_timeout: crate::engine::load::DEFAULT_LOSS_TIMEOUT,
        target: server.addr.into(),
        connections,
        connect_rate: None,
        duration: seconds,
        warmup: Duration::from_millis(300),
        pacing: Pacing::Closed { depth: 1 },
        payload: Payload::frame(&frame).map_err(|e| CliError::Message(e.to_string()))?,
        framed: true,
        profile: None,
        verify: Verify::Length,
        threads: 1,
        cores: vec![LOAD_CORE],
        recorder: None,
        tls: tls.then(|| ClientTls {
            verification: Verification::Insecure,
            ..ClientTls::default()
        }),
    };
    LoadRun::start(spec, |_| {}).map_err(|e| CliError::Load(e.to_string()))
}

/// A closed-loop load of `connections` against `server`, to its end.
fn load(
    server: &ChildServer,
    tls: bool,
    connections: usize,
    content: usize,
    seconds: Duration,
) -> Result<crate::engine::load::LoadReport, CliError> {
    start_load(server, tls, connections, content, seconds)?
        .wait()
        .map_err(|e| CliError::Load(e.to_string()))
}

/// Measures the rows, then (when `memory_connections` > 0) the memory.
pub fn run(seconds: Duration, memory_connections: usize) -> Result<TlsResult, CliError> {
    let mut rows = Vec::new();
    for content in SIZES {
        for tls in [false, true] {
            let server = serve(tls)?;
            let kind = if tls { "TLS" } else { "plain" };
            eprintln!("frame-echo {kind} · {CONNECTIONS} conns · {content} B");
            let report = load(&server, tls, CONNECTIONS, content, seconds)?;
            rows.push(TlsRow {
                tls,
                content,
                frames_per_s: report.frames_per_s,
                megabytes_per_s: report.megabytes_per_s,
                p50_us: report.latency_us.p50,
                p99_us: report.latency_us.p99,
                errors: report.errors,
            });
        }
    }
    let memory = (memory_connections > 0)
        .then(|| {
            let server = serve(true)?;
            let idle_bytes = ResidentMemory::of_process(server.pid()).and_then(|m| m.bytes());
            eprintln!("serve --tls · {memory_connections} TLS connections");
            let reading = ResidentMemory::of_process(server.pid());
            // A run long enough to open them all; read while it holds them.
            let run = start_load(
                &server,
                true,
                memory_connections,
                64,
                Duration::from_secs(60),
            )?;
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let mut progress = run.progress();
            while progress.open + progress.errors < memory_connections as u64
                && !run.is_finished()
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(100));
                progress = run.progress();
            }
            std::thread::sleep(Duration::from_millis(500));
            let resident_bytes = reading.and_then(|m| m.bytes());
            let opened = run.progress().open;
            run.stop();
            run.wait().map_err(|e| CliError::Load(e.to_string()))?;
            Ok::<_, CliError>(TlsMemory {
                connections: memory_connections,
                opened,
                resident_bytes,
                idle_bytes,
            })
        })
        .transpose()?;
    Ok(TlsResult { rows, memory })
}

fn megabytes(bytes: Option<u64>) -> String {
    bytes.map_or("not measured here".to_owned(), |b| {
        format!("{:.1} MB", b as f64 / 1e6)
    })
}

/// Prints the table and the memory line.
pub fn print(result: &TlsResult) {
    println!(
        "\nframe-echo over TLS beside plain TCP (serve on one core, framescope load on the other, \
         {CONNECTIONS} connections, depth 1)\n"
    );
    println!("| transport | content | frames/s | MB/s | p50 µs | p99 µs | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in &result.rows {
        println!(
            "| {} | {} | {:.0} | {:.1} | {} | {} | {} |",
            if row.tls { "TLS" } else { "plain" },
            row.content,
            row.frames_per_s,
            row.megabytes_per_s,
            row.p50_us,
            row.p99_us,
            row.errors
        );
    }
    if let Some(memory) = &result.memory {
        println!(
            "\nserve --tls with {} of {} TLS connections open: resident memory {} (idle {})",
            memory.opened,
            memory.connections,
            megabytes(memory.resident_bytes),
            megabytes(memory.idle_bytes),
        );
    }
}
