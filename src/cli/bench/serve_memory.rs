//! `framescope serve --capture off`, as a process of its own, under the
//! reference batching load at 50 connections: its resident memory.

use std::process::Command;
use std::time::Duration;

use super::baseline::ChildServer;
use super::{LOAD_CORE, ResidentMemory, SERVER_CORE, pin_to};
use crate::cli::CliError;
use crate::engine::FrameBuilder;
use crate::engine::reference::batch_load::{self, BatchLoadSpec};
use crate::engine::tutorial_app::CLIENT_BINARY_TYPE;

/// Connections of the run.
const CONNECTIONS: usize = 50;
/// Frames in flight on each.
const DEPTH: usize = 16;
/// Content bytes per frame.
const CONTENT: usize = 64;

/// What the run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServeMemory {
    /// Resident bytes after the load, where readable (Linux).
    pub resident_bytes: Option<u64>,
    /// Frames a second it echoed.
    pub frames_per_s: f64,
}

/// Starts `serve`, loads it, and reads its resident memory.
pub fn run(seconds: Duration) -> Result<ServeMemory, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Server(format!("cannot find framescope itself: {e}")))?;
    // Started from a thread on the servers' core, whose affinity it inherits.
    let server = std::thread::spawn(move || {
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
        command.args(["--listen", "127.0.0.1:0"]);
        ChildServer::spawn(command, "framescope serve", None)
    })
    .join()
    .unwrap_or_else(|_| Err("the thread starting serve panicked".into()))
    .map_err(CliError::Server)?;
    eprintln!("serve --capture off · {CONNECTIONS} conns · depth {DEPTH} · {CONTENT} B");
    let frame = FrameBuilder::binary(CLIENT_BINARY_TYPE, vec![0x5a; CONTENT])
        .build()
        .map_err(|e| CliError::Message(e.to_string()))?;
    let report = batch_load::run(BatchLoadSpec {
        addr: server.addr,
        connections: CONNECTIONS,
        depth: DEPTH,
        frame,
        profile: None,
        duration: seconds,
        warmup: Duration::from_millis(300),
        core: Some(LOAD_CORE),
    })
    .map_err(|e| CliError::Incomplete(format!("the load against serve: {e}")))?;
    let resident_bytes = ResidentMemory::of_process(server.pid()).and_then(|m| m.bytes());
    Ok(ServeMemory {
        resident_bytes,
        frames_per_s: report.frames_per_s(),
    })
}

/// Prints the line.
pub fn print(result: &ServeMemory) {
    println!(
        "\nserve --capture off under {CONNECTIONS} conns × {DEPTH} in flight: {:.0} frames/s, resident memory {}",
        result.frames_per_s,
        result
            .resident_bytes
            .map_or("not measured here".to_owned(), |b| format!(
                "{:.1} MB",
                b as f64 / 1e6
            ))
    );
}
