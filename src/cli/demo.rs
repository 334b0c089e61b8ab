//! `framescope demo`: the whole engine in one process, no display needed.
//!
//! Starts the embedded frame-echo server on a free loopback port, opens 10
//! client connections to it, sends one frame from each, and prints the hex
//! dump of every frame that went each way.

use std::time::{Duration, Instant};

use super::printer::print_record;
use super::{CliError, connect, start_server};
use crate::clock::Zone;
use crate::engine::tutorial_app::search_request;
use crate::engine::{ClientMode, Command, Engine, SendTarget, ServerMode, Side};

/// Connections the demo opens.
const CONNECTIONS: usize = 10;
/// How long the demo waits for every echo.
const DEMO_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the demo.
pub fn run() -> Result<(), CliError> {
    let engine = Engine::new()?;
    let addr = start_server(
        &engine,
        "127.0.0.1:0"
            .parse()
            .map_err(|_| CliError::Server("bad address".into()))?,
        ServerMode::FrameEcho,
    )?;
    println!("frame-echo server listening on {addr}");
    let report = connect(&engine, addr.into(), CONNECTIONS, ClientMode::Framed)?;
    println!("{} client connections open", report.opened);
    for (index, connection) in engine.fresh_view().connections.iter().enumerate() {
        let frame = search_request(&format!("client {}", index + 1)).field("client", index + 1);
        let bytes = frame
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?;
        engine.command(Command::Send {
            target: SendTarget::One(connection.id),
            bytes,
        });
    }
    let deadline = Instant::now() + DEMO_TIMEOUT;
    while engine.fresh_view().client_counters.frames_received < CONNECTIONS as u64
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    engine.command(Command::DisconnectAll);
    let views: Vec<_> = engine.snapshot().views().collect();
    let mut out = std::io::stdout().lock();
    for view in &views {
        print_record(view, true, Zone::Local, &mut out)
            .map_err(|e| CliError::Incomplete(e.to_string()))?;
    }
    let view = engine.fresh_view();
    let (client, server) = (view.client_counters, view.server_counters);
    println!(
        "client: {} frames sent, {} echoes received; server: {} frames received, {} echoed; {} records",
        client.frames_sent,
        client.frames_received,
        server.frames_received,
        server.frames_sent,
        views.len()
    );
    let echoes_exact = views.iter().filter(|v| v.side == Side::Client).all(|v| {
        views.iter().any(|w| {
            w.side == Side::Client
                && w.conn == v.conn
                && w.direction != v.direction
                && w.bytes == v.bytes
        })
    });
    if client.frames_received != CONNECTIONS as u64 || !echoes_exact {
        return Err(CliError::Incomplete(format!(
            "{} of {CONNECTIONS} echoes arrived byte-exact",
            client.frames_received
        )));
    }
    println!("every echo matched its frame byte for byte");
    Ok(())
}
