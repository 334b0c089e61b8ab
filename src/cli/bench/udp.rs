//! UDP beside its references, in one run, the servers on one core and the
//! load on the other:
//!
//! - the bare tokio UDP echo under the batching UDP load: the reference,
//!   with the load's own core use (its headroom);
//! - `serve --udp --mode raw-echo --capture off` under the same load
//!   (target: at least 0.8 of the reference);
//! - `framescope load --udp` (closed loop, one thread) against the bare
//!   echo (target: at least 0.8 of the batching load's rate);
//! - `framescope load --udp` in an open loop against `serve --udp` at
//!   shares of what serve reached, with the datagrams lost at each rate.
//!
//! Rounds are interleaved and each row gives its median round.

use std::process::Command;
use std::time::Duration;

use super::baseline::ChildServer;
use super::{LOAD_CORE, SERVER_CORE, pin_to};
use crate::cli::CliError;
use crate::engine::FrameBuilder;
use crate::engine::load::{LoadReport, LoadRun, LoadSpec, Pacing, Payload, Verify};
use crate::engine::reference::batch_load::BatchLoadReport;
use crate::engine::reference::udp::{UdpLoadSpec, UdpReferenceEcho, run_udp_load};
use crate::engine::tutorial_app::CLIENT_BINARY_TYPE;
use crate::units::thousands;

/// Sockets of every load.
const SOCKETS: usize = 8;
/// Datagrams in flight on each socket, closed loop: in all, well within
/// the server socket's receive buffer.
const DEPTH: usize = 16;
/// Content bytes of framescope's frames (the datagram is the frame with
/// its `seq` key); the reference load's datagrams are as long.
const CONTENT: usize = 64;
/// Rounds of every closed-loop row.
const ROUNDS: usize = 3;
/// Shares of serve's closed-loop rate the open-loop rows ask for.
const RATE_SHARES: [f64; 4] = [0.25, 0.5, 0.9, 1.5];

/// One closed-loop row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UdpRow {
    /// What ran, in words.
    pub what: String,
    /// Datagrams echoed a second (median round).
    pub datagrams_per_s: f64,
    /// Against the row it is measured beside.
    pub ratio: Option<f64>,
    /// The load thread's share of its core, where measured.
    pub load_busy: Option<f64>,
    /// The servers' core's busy share over the rounds (all its threads and
    /// its share of the kernel's packet work), where measured (Linux).
    pub server_core_busy: Option<f64>,
    /// Datagrams taken for lost over the window.
    pub lost: u64,
}

/// One open-loop row: a rate asked, what was reached and what was lost.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LossRow {
    /// Datagrams a second asked for.
    pub rate: f64,
    /// Answers a second reached.
    pub answered_per_s: f64,
    /// Datagrams sent over the run.
    pub sent: u64,
    /// Of them, never answered.
    pub lost: u64,
    /// Round trip, median and 99th percentile, in µs.
    pub p50_us: u64,
    /// Round trip, 99th percentile, in µs.
    pub p99_us: u64,
}

/// Everything this part measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UdpResult {
    /// Closed-loop rows.
    pub rows: Vec<UdpRow>,
    /// Open-loop rows.
    pub loss: Vec<LossRow>,
}

/// The datagram framescope's load sends: a frame with 64 bytes of content
/// and its 16-digit `seq` key.
fn frame() -> FrameBuilder {
    FrameBuilder::binary(CLIENT_BINARY_TYPE, vec![0x5a; CONTENT])
}

/// `serve --udp --mode raw-echo --capture off` on the servers' core.
fn serve_udp() -> Result<ChildServer, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Server(format!("cannot find framescope itself: {e}")))?;
    std::thread::spawn(move || {
        pin_to(SERVER_CORE);
        let mut command = Command::new(exe);
        command.args(["serve", "--udp", "--mode", "raw-echo", "--capture", "off"]);
        command.args(["--quiet", "--listen", "127.0.0.1:0"]);
        ChildServer::spawn(command, "framescope serve --udp", None)
    })
    .join()
    .unwrap_or_else(|_| Err("the thread starting serve panicked".into()))
    .map_err(CliError::Server)
}

/// The batching load against `addr` for `seconds`.
fn batching(
    addr: std::net::SocketAddr,
    size: usize,
    seconds: Duration,
) -> Result<BatchLoadReport, CliError> {
    run_udp_load(UdpLoadSpec {
        addr,
        sockets: SOCKETS,
        depth: DEPTH,
        size,
        duration: seconds,
        warmup: Duration::from_millis(300),
        core: Some(LOAD_CORE),
    })
    .map_err(|e| CliError::Load(format!("the batching UDP load: {e}")))
}

/// framescope's load over UDP against `addr`.
fn framescope_load(
    addr: std::net::SocketAddr,
    pacing: Pacing,
    seconds: Duration,
) -> Result<LoadReport, CliError> {
    let spec = LoadSpec {
        transport: crate::engine::Transport::Udp,
        loss_timeout: Duration::from_millis(500),
        target: addr.into(),
        connections: SOCKETS,
        connect_rate: None,
        duration: seconds,
        warmup: Duration::from_millis(300),
        pacing,
        payload: Payload::frame(&frame()).map_err(|e| CliError::Message(e.to_string()))?,
        framed: true,
        profile: None,
        verify: Verify::None,
        threads: 1,
        cores: vec![LOAD_CORE],
        recorder: None,
        tls: None,
    };
    LoadRun::start(spec, |_| {})
        .and_then(LoadRun::wait)
        .map_err(|e| CliError::Load(e.to_string()))
}

/// The median of `values` (the upper one of an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Measures every row.
pub fn run(seconds: Duration) -> Result<UdpResult, CliError> {
    let echo = UdpReferenceEcho::start(Some(SERVER_CORE))
        .map_err(|e| CliError::Server(format!("the reference UDP echo: {e}")))?;
    let serve = serve_udp()?;
    // The reference load's datagrams are as long as framescope's.
    let mut stamped = Vec::new();
    crate::engine::load::SequenceStamp::JsonHeader
        .stamp(
            &frame()
                .build()
                .map_err(|e| CliError::Message(e.to_string()))?,
            0,
            &mut stamped,
        )
        .map_err(|e| CliError::Message(e.to_string()))?;
    let size = stamped.len();
    let mut reference = Vec::new();
    let mut served = Vec::new();
    let mut loaded = Vec::new();
    let mut core_busy: [Vec<f64>; 3] = Default::default();
    for round in 0..ROUNDS {
        eprintln!("udp: round {} of {ROUNDS}", round + 1);
        let busy_from = CoreBusy::now(SERVER_CORE);
        reference.push(batching(echo.addr(), size, seconds)?);
        let busy_from = busy_from.share_until_now(&mut core_busy[0]);
        served.push(batching(serve.addr, size, seconds)?);
        let busy_from = busy_from.share_until_now(&mut core_busy[1]);
        loaded.push(framescope_load(
            echo.addr(),
            Pacing::Closed { depth: DEPTH },
            seconds,
        )?);
        busy_from.share_until_now(&mut core_busy[2]);
    }
    let [reference_core, served_core, loaded_core] =
        core_busy.map(|mut shares| (!shares.is_empty()).then(|| median(&mut shares)));
    let rate = |reports: &[BatchLoadReport]| {
        median(
            &mut reports
                .iter()
                .map(BatchLoadReport::frames_per_s)
                .collect::<Vec<_>>(),
        )
    };
    let busy = |reports: &[BatchLoadReport]| {
        let mut shares: Vec<f64> = reports
            .iter()
            .filter_map(BatchLoadReport::load_cpu_share)
            .collect();
        (!shares.is_empty()).then(|| median(&mut shares))
    };
    let reference_rate = rate(&reference);
    let served_rate = rate(&served);
    let loaded_rate = median(&mut loaded.iter().map(|r| r.frames_per_s).collect::<Vec<_>>());
    let ratio = |value: f64| (reference_rate > 0.0).then(|| value / reference_rate);
    let rows = vec![
        UdpRow {
            what: "reference UDP echo ← batching UDP load".into(),
            datagrams_per_s: reference_rate,
            ratio: Some(1.0),
            load_busy: busy(&reference),
            server_core_busy: reference_core,
            lost: reference.iter().map(|r| r.errors).sum(),
        },
        UdpRow {
            what: "serve --udp --mode raw-echo --capture off ← batching UDP load".into(),
            datagrams_per_s: served_rate,
            ratio: ratio(served_rate),
            load_busy: busy(&served),
            server_core_busy: served_core,
            lost: served.iter().map(|r| r.errors).sum(),
        },
        UdpRow {
            what: "reference UDP echo ← framescope load --udp".into(),
            datagrams_per_s: loaded_rate,
            ratio: ratio(loaded_rate),
            load_busy: median(
                &mut loaded
                    .iter()
                    .filter_map(|r| r.load_busy)
                    .collect::<Vec<_>>(),
            )
            .into(),
            server_core_busy: loaded_core,
            lost: loaded
                .iter()
                .filter_map(|r| r.datagrams.map(|d| d.lost))
                .sum(),
        },
    ];
    let mut loss = Vec::new();
    for share in RATE_SHARES {
        let asked = (served_rate * share).max(100.0);
        eprintln!("udp: open loop at {} datagrams/s", thousands(asked as u64));
        let report = framescope_load(serve.addr, Pacing::Open { rate: asked }, seconds)?;
        let datagrams = report.datagrams.unwrap_or_default();
        loss.push(LossRow {
            rate: asked,
            answered_per_s: report.frames_per_s,
            sent: datagrams.sent,
            lost: datagrams.lost,
            p50_us: report.latency_us.p50,
            p99_us: report.latency_us.p99,
        });
    }
    Ok(UdpResult { rows, loss })
}

/// Prints the rows.
pub fn print(result: &UdpResult) {
    println!();
    println!(
        "UDP (servers on core {SERVER_CORE}, load on core {LOAD_CORE}; {SOCKETS} sockets × {DEPTH} in flight)"
    );
    println!(
        "{:<66} {:>12} {:>6} {:>10} {:>12} {:>6}",
        "row", "datagrams/s", "ratio", "load busy", "server core", "lost"
    );
    let share =
        |share: Option<f64>| share.map_or_else(|| "-".into(), |b| format!("{:.0} %", b * 100.0));
    for row in &result.rows {
        println!(
            "{:<66} {:>12} {:>6} {:>10} {:>12} {:>6}",
            row.what,
            thousands(row.datagrams_per_s.round() as u64),
            row.ratio.map_or_else(|| "-".into(), |r| format!("{r:.2}×")),
            share(row.load_busy),
            share(row.server_core_busy),
            thousands(row.lost),
        );
    }
    println!("framescope load --udp, open loop, against serve --udp:");
    println!(
        "{:>14} {:>14} {:>12} {:>10} {:>9} {:>9} {:>9}",
        "asked/s", "answered/s", "sent", "lost", "loss", "p50 µs", "p99 µs"
    );
    for row in &result.loss {
        let share = if row.sent == 0 {
            0.0
        } else {
            row.lost as f64 / row.sent as f64
        };
        println!(
            "{:>14} {:>14} {:>12} {:>10} {:>8.3}% {:>9} {:>9}",
            thousands(row.rate.round() as u64),
            thousands(row.answered_per_s.round() as u64),
            thousands(row.sent),
            thousands(row.lost),
            share * 100.0,
            row.p50_us,
            row.p99_us,
        );
    }
}

/// A core's busy and total time so far, from `/proc/stat` (Linux).
struct CoreBusy {
    core: usize,
    times: Option<(u64, u64)>,
}

impl CoreBusy {
    /// The core's times now.
    fn now(core: usize) -> Self {
        Self {
            core,
            times: core_times(core),
        }
    }

    /// Pushes the core's busy share since `self` onto `shares` (where
    /// measured), and starts anew from now.
    fn share_until_now(self, shares: &mut Vec<f64>) -> Self {
        let now = Self::now(self.core);
        if let (Some((busy0, total0)), Some((busy1, total1))) = (self.times, now.times)
            && total1 > total0
        {
            shares.push((busy1 - busy0) as f64 / (total1 - total0) as f64);
        }
        now
    }
}

/// A core's busy and total jiffies (idle and I/O wait are not busy).
#[cfg(target_os = "linux")]
fn core_times(core: usize) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat
        .lines()
        .find(|line| line.starts_with(&format!("cpu{core} ")))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Not measured off Linux.
#[cfg(not(target_os = "linux"))]
fn core_times(_core: usize) -> Option<(u64, u64)> {
    None
}
