//! Many connections at once: the client pool opens them all to a framescope
//! frame-echo server, each echoes a frame, and memory is measured.
//!
//! Two layouts: the server embedded in the same process (each connection is
//! then two descriptors, so the count is capped by the open-file limit and
//! the cap is reported), and the server as a second framescope process, so
//! the client side alone can be measured at the full count.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::cli::CliError;
use crate::cli::{connect, send_to, start_server};
use crate::engine::{
    ClientMode, Command, Direction, Engine, FrameBuilder, JournalLimits, Limits, SendTarget,
    ServerMode, Side,
};

use super::ResidentMemory;
use super::baseline::ChildServer;

/// How long the echoes may take once every connection is open.
const ECHO_DEADLINE: Duration = Duration::from_secs(30);
/// Descriptors kept free for the runtime, stdio, the listener and files.
const SPARE_DESCRIPTORS: u64 = 64;

/// What one layout measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleResult {
    /// Where the server ran.
    pub layout: String,
    /// Connections asked for.
    pub asked: usize,
    /// Connections attempted (fewer than asked when the open-file limit caps them).
    pub connections: usize,
    /// Connections that opened.
    pub opened: usize,
    /// Seconds until every connection was open.
    pub open_seconds: f64,
    /// Connections whose echo matched byte for byte.
    pub exact_echoes: usize,
    /// Resident memory of this process before, bytes.
    pub rss_before: u64,
    /// Resident memory of this process with every connection open and echoed, bytes.
    pub rss_after: u64,
    /// (after - before) / connections.
    pub bytes_per_connection: u64,
}

/// Runs both layouts.
pub fn run(asked: usize) -> Result<Vec<ScaleResult>, CliError> {
    let limit = crate::engine::raise_fd_limit().unwrap_or(u64::MAX);
    let fits_in_one =
        usize::try_from(limit.saturating_sub(SPARE_DESCRIPTORS) / 2).unwrap_or(usize::MAX);
    let server = server_process(asked)?;
    let two_processes = measure(asked, asked, Some(server.addr))?;
    drop(server);
    let one_process = measure(asked, asked.min(fits_in_one), None)?;
    Ok(vec![one_process, two_processes])
}

/// Opens `connections` to the embedded server (or to `external`), echoes a
/// frame on each, and measures.
fn measure(
    asked: usize,
    connections: usize,
    external: Option<SocketAddr>,
) -> Result<ScaleResult, CliError> {
    let layout = if external.is_some() {
        "server in a second process"
    } else {
        "server embedded, one process"
    };
    eprintln!("scale: {connections} connections, {layout}");
    let limits = Limits {
        max_connections: connections.max(1),
        ..Limits::default()
    };
    let engine = Engine::with_config(limits, JournalLimits::default())?;
    let addr = match external {
        Some(addr) => addr,
        None => start_server(&engine, ([127, 0, 0, 1], 0).into(), ServerMode::FrameEcho)?,
    };
    let memory = ResidentMemory::open();
    let rss_before = memory.bytes().unwrap_or(0);
    let started = Instant::now();
    let report = connect(&engine, addr.into(), connections, ClientMode::Framed)?;
    let open_seconds = started.elapsed().as_secs_f64();
    for summary in engine.fresh_view().connections.iter() {
        let frame = FrameBuilder::new()
            .content(format!("{{\"conn\": {}}}", summary.id))
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?;
        send_to(&engine, SendTarget::One(summary.id), &frame);
    }
    let deadline = Instant::now() + ECHO_DEADLINE;
    while engine.fresh_view().client_counters.frames_received < report.opened as u64
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let rss_after = memory.bytes().unwrap_or(0);
    let exact_echoes = exact_echoes(&engine);
    engine.command(Command::DisconnectAll);
    Ok(ScaleResult {
        layout: layout.into(),
        asked,
        connections,
        opened: report.opened,
        open_seconds,
        exact_echoes,
        rss_before,
        rss_after,
        bytes_per_connection: rss_after.saturating_sub(rss_before) / connections.max(1) as u64,
    })
}

/// Client connections whose echo equals what they sent.
fn exact_echoes(engine: &Engine) -> usize {
    let journal = engine.snapshot();
    let client: Vec<_> = journal.views().filter(|v| v.side == Side::Client).collect();
    let sent: HashMap<u32, &Bytes> = client
        .iter()
        .filter(|v| v.direction == Direction::Sent)
        .map(|v| (v.conn, &v.bytes))
        .collect();
    client
        .iter()
        .filter(|v| v.direction == Direction::Received && sent.get(&v.conn) == Some(&&v.bytes))
        .count()
}

/// `framescope serve` in a child process, quiet, taking `connections`.
fn server_process(connections: usize) -> Result<ChildServer, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::Server(e.to_string()))?;
    let mut command = Process::new(exe);
    let cap = connections.to_string();
    command.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--mode",
        "frame-echo",
        "--max-connections",
        &cap,
        "--quiet",
    ]);
    ChildServer::spawn(command, "a server process", None).map_err(CliError::Server)
}

/// Prints the results.
pub fn print(results: &[ScaleResult]) {
    println!("\nScale: the client pool's connections to a framescope frame-echo server\n");
    println!(
        "| layout | asked | attempted | opened | all open after | exact echoes | RSS before | RSS after | bytes per connection |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {} | {} | {} | {:.2} s | {} | {:.1} MB | {:.1} MB | {} |",
            r.layout,
            r.asked,
            r.connections,
            r.opened,
            r.open_seconds,
            r.exact_echoes,
            r.rss_before as f64 / 1e6,
            r.rss_after as f64 / 1e6,
            r.bytes_per_connection
        );
    }
}
