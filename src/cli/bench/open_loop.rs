//! The open loop's accuracy: `framescope load` at a set rate against the
//! reference echo, at shares of the most its closed loop reaches there.

use std::time::Duration;

use bytes::Bytes;

use super::baseline::start_reference;
use super::{LOAD_CORE, SERVER_CORE, runtime};
use crate::cli::CliError;
use crate::engine::FrameBuilder;
use crate::engine::load::{LoadReport, LoadRun, LoadSpec, Pacing, Payload, Verify};
use crate::engine::tutorial_app::CLIENT_BINARY_TYPE;

/// Connections of every run here.
const CONNECTIONS: usize = 50;
/// The closed loop's depth that finds the maximum.
const DEPTH: usize = 16;
/// Content bytes per frame.
const CONTENT: usize = 64;
/// The shares of the maximum asked for.
const SHARES: [f64; 3] = [0.2, 0.5, 0.8];

/// One open-loop run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpenLoopRow {
    /// The share of the closed loop's maximum asked for.
    pub share: f64,
    /// Frames a second asked for.
    pub asked: f64,
    /// Frames a second sent.
    pub sent: f64,
    /// Replies a second.
    pub achieved: f64,
    /// Median latency from when each frame was due, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
}

/// The closed loop's maximum and the open-loop rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpenLoopResult {
    /// Replies a second of the closed loop.
    pub closed_loop_max: f64,
    /// One row per share.
    pub rows: Vec<OpenLoopRow>,
}

/// Measures the closed loop's maximum, then the open loop at each share.
pub fn run(seconds: Duration) -> Result<OpenLoopResult, CliError> {
    let server_rt = runtime("bench-server", SERVER_CORE)?;
    let (reference, _task) = server_rt
        .block_on(start_reference())
        .map_err(|e| CliError::Server(format!("reference server: {e}")))?;
    let frame = FrameBuilder::binary(CLIENT_BINARY_TYPE, vec![0x5a; CONTENT])
        .build()
        .map_err(|e| CliError::Message(e.to_string()))?;
    let run = |pacing: Pacing| -> Result<LoadReport, CliError> {
        eprintln!("open loop · {pacing:?} · {CONNECTIONS} conns · {CONTENT} B");
        LoadRun::start(
            spec(reference.into(), pacing, frame.clone(), seconds),
            |_| {},
        )
        .and_then(LoadRun::wait)
        .map_err(|e| CliError::Load(e.to_string()))
    };
    let closed_loop_max = run(Pacing::Closed { depth: DEPTH })?.frames_per_s;
    let mut rows = Vec::new();
    for share in SHARES {
        let asked = (closed_loop_max * share).round();
        let report = run(Pacing::Open { rate: asked })?;
        rows.push(OpenLoopRow {
            share,
            asked,
            sent: report.sent_per_s,
            achieved: report.frames_per_s,
            p50_us: report.latency_us.p50,
            p99_us: report.latency_us.p99,
        });
    }
    Ok(OpenLoopResult {
        closed_loop_max,
        rows,
    })
}

/// One run's settings: one worker on the load's core.
fn spec(
    target: crate::engine::Target,
    pacing: Pacing,
    frame: Bytes,
    seconds: Duration,
) -> LoadSpec {
    LoadSpec {
        transport: crate::engine::Transport::Tcp,
        loss_timeout: crate::engine::load::DEFAULT_LOSS_TIMEOUT,
        target,
        connections: CONNECTIONS,
        connect_rate: None,
        duration: seconds,
        warmup: Duration::from_millis(300),
        pacing,
        payload: Payload::Fixed(frame),
        framed: true,
        profile: None,
        verify: Verify::Length,
        threads: 1,
        cores: vec![LOAD_CORE],
        recorder: None,
        tls: None,
    }
}

/// Prints the table.
pub fn print(result: &OpenLoopResult) {
    println!(
        "\nOpen loop against the reference echo ({CONNECTIONS} conns, {CONTENT} B content): \
         the closed loop (depth {DEPTH}) reaches {:.0} frames/s\n",
        result.closed_loop_max
    );
    println!(
        "| share of max | asked frames/s | sent | achieved | achieved / asked | p50 µs | p99 µs |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for row in &result.rows {
        println!(
            "| {:.0} % | {:.0} | {:.0} | {:.0} | {:.4} | {} | {} |",
            row.share * 100.0,
            row.asked,
            row.sent,
            row.achieved,
            row.achieved / row.asked.max(1e-9),
            row.p50_us,
            row.p99_us
        );
    }
}
