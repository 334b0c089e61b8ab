//! Many connections at once: the client pool opens them all to the embedded
//! server in one process, each echoes a frame, and memory is measured.

use std::time::{Duration, Instant};

use crate::cli::CliError;
use crate::engine::{
    ClientMode, Command, Direction, Engine, FrameBuilder, JournalLimits, Limits, SendTarget,
    ServerMode, Side,
};

use super::resident_bytes;
use crate::cli::{connect, start_server};

/// How long the echoes may take once every connection is open.
const ECHO_DEADLINE: Duration = Duration::from_secs(30);

/// What the scale test measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleResult {
    /// Connections asked for.
    pub connections: usize,
    /// Connections that opened.
    pub opened: usize,
    /// Seconds until every connection was open.
    pub open_seconds: f64,
    /// Connections whose echo matched byte for byte.
    pub exact_echoes: usize,
    /// Resident memory before, bytes.
    pub rss_before: u64,
    /// Resident memory with every connection open and echoed, bytes.
    pub rss_after: u64,
    /// (after - before) / connections; each connection here is two sockets
    /// (client and server end) and their tasks.
    pub bytes_per_connection: u64,
}

/// Runs it.
pub fn run(connections: usize) -> Result<ScaleResult, CliError> {
    eprintln!("scale: opening {connections} connections to the embedded server");
    let limits = Limits {
        max_connections: connections.max(1),
        ..Limits::default()
    };
    let engine = Engine::with_config(limits, JournalLimits::default())?;
    let addr = start_server(&engine, ([127, 0, 0, 1], 0).into(), ServerMode::FrameEcho)?;
    let rss_before = resident_bytes().unwrap_or(0);
    let started = Instant::now();
    let report = connect(&engine, addr, connections, ClientMode::Framed)?;
    let open_seconds = started.elapsed().as_secs_f64();
    for summary in engine.pool().summaries() {
        let frame = FrameBuilder::new()
            .content(format!("{{\"conn\": {}}}", summary.id))
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?;
        engine.send(SendTarget::One(summary.id), &frame);
    }
    let deadline = Instant::now() + ECHO_DEADLINE;
    while engine.shared().stats.client.snapshot().frames_received < report.opened as u64
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let rss_after = resident_bytes().unwrap_or(0);
    let exact_echoes = {
        let journal = engine.shared().journal();
        let client: Vec<_> = (journal.first_seq()..journal.next_seq())
            .filter_map(|s| journal.view(s))
            .filter(|v| v.side == Side::Client)
            .collect();
        let mut sent: std::collections::HashMap<u32, bytes::Bytes> =
            std::collections::HashMap::new();
        for view in client.iter().filter(|v| v.direction == Direction::Sent) {
            sent.insert(view.conn, view.bytes.clone());
        }
        client
            .iter()
            .filter(|v| v.direction == Direction::Received && sent.get(&v.conn) == Some(&v.bytes))
            .count()
    };
    engine.command(Command::DisconnectAll);
    Ok(ScaleResult {
        connections,
        opened: report.opened,
        open_seconds,
        exact_echoes,
        rss_before,
        rss_after,
        bytes_per_connection: rss_after.saturating_sub(rss_before) / connections.max(1) as u64,
    })
}

/// Prints the result.
pub fn print(result: &ScaleResult) {
    println!(
        "\nScale: {} connections from the client pool to the embedded frame-echo server, one process\n",
        result.connections
    );
    println!(
        "| opened | all open after | exact echoes | RSS before | RSS after | bytes per connection |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.2} s | {} | {:.1} MB | {:.1} MB | {} |",
        result.opened,
        result.open_seconds,
        result.exact_echoes,
        result.rss_before as f64 / 1e6,
        result.rss_after as f64 / 1e6,
        result.bytes_per_connection
    );
}
