//! The engine at the limit: `framescope serve --mode frame-echo` headless
//! at each capture mode (off, headers, full) against the bare reference
//! echo, under the same batching load, in one run.
//!
//! Run with `cargo bench --bench engine_limit`. Servers run on core 0 (the
//! reference echo on a pinned thread, `serve` as a child process started
//! while this process is pinned there); the load runs on core 1: 50
//! connections each keeping 16 frames in flight, 64 bytes of content.
//! Rounds are interleaved (reference, off, headers, full, then again) and
//! each row reports the round with the median frames/s, and its ratio to
//! the reference's median. Targets: ≥ 0.8× with capture off, ≥ 0.7× with
//! headers only, ≥ 0.5× with full capture.
//!
//! Set `FRAMESCOPE_COMPARE` to another build of `framescope` (an older one,
//! say) to measure its `serve` in the same rounds, rows marked `compare`.
//! Name rows to run only those, by a part of their name (`cargo bench
//! --bench engine_limit -- full`; the reference always runs), and set
//! `ENGINE_LIMIT_SECONDS` to measure longer (to profile a server, say).

#[path = "support/bench_process.rs"]
mod bench_process;
#[path = "support/reference_echo.rs"]
mod reference_echo;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use framescope::engine::FrameBuilder;

use bench_process::{pin_to, serve};
use framescope::engine::reference::batch_load::{self, BatchLoadReport, BatchLoadSpec};
use reference_echo::ReferenceEcho;

const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;
const CONNECTIONS: usize = 50;
const DEPTH: usize = 16;
const CONTENT_LEN: usize = 64;
const WARMUP: Duration = Duration::from_millis(500);
/// How long each round counts, unless `ENGINE_LIMIT_SECONDS` says.
const MEASURED: Duration = Duration::from_secs(2);
/// Rounds of every server, interleaved.
const ROUNDS: usize = 3;
/// The capture modes measured.
const CAPTURES: [&str; 3] = ["off", "headers", "full"];

fn frame() -> Bytes {
    FrameBuilder::new()
        .content(vec![b'x'; CONTENT_LEN])
        .build()
        .expect("frame")
}

fn load(addr: SocketAddr, frame: &Bytes) -> BatchLoadReport {
    let report = batch_load::run(BatchLoadSpec {
        addr,
        connections: CONNECTIONS,
        depth: DEPTH,
        frame: frame.clone(),
        duration: measured(),
        warmup: WARMUP,
        core: Some(LOAD_CORE),
    })
    .expect("the load runs");
    assert_eq!(report.errors, 0, "the load saw errors");
    report
}

fn measured() -> Duration {
    std::env::var("ENGINE_LIMIT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(MEASURED, Duration::from_secs_f64)
}

/// Whether the command line asks for the row `name` (no names: every row).
fn wanted(name: &str) -> bool {
    let names: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    names.is_empty() || names.iter().any(|n| name.contains(n.as_str()))
}

/// One row of the table: a server and its frames/s in every round.
struct Row {
    name: String,
    rates: Vec<f64>,
}

impl Row {
    fn median(&self) -> f64 {
        let mut sorted = self.rates.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    }
}

/// The servers measured: (row name, binary, capture); `None` is the reference.
fn servers() -> Vec<(String, Option<(String, &'static str)>)> {
    let mut servers = vec![("reference echo".to_owned(), None)];
    let mut binaries = vec![(
        "serve".to_owned(),
        env!("CARGO_BIN_EXE_framescope").to_owned(),
    )];
    if let Ok(other) = std::env::var("FRAMESCOPE_COMPARE") {
        binaries.push(("compare".to_owned(), other));
    }
    for (label, exe) in binaries {
        for capture in CAPTURES {
            let name = format!("{label} --capture {capture}");
            if wanted(&name) {
                servers.push((name, Some((exe.clone(), capture))));
            }
        }
    }
    servers
}

fn main() {
    pin_to(SERVER_CORE);
    let frame = frame();
    let servers = servers();
    let mut rows: Vec<Row> = servers
        .iter()
        .map(|(name, _)| Row {
            name: name.clone(),
            rates: Vec::new(),
        })
        .collect();
    for _ in 0..ROUNDS {
        for (row, (_, server)) in rows.iter_mut().zip(&servers) {
            let report = match server {
                None => {
                    let echo = ReferenceEcho::start(Some(SERVER_CORE)).expect("reference echo");
                    load(echo.addr(), &frame)
                }
                Some((exe, capture)) => {
                    let (_child, addr) =
                        serve(exe, &["--mode", "frame-echo", "--capture", capture]);
                    load(addr, &frame)
                }
            };
            row.rates.push(report.frames_per_s());
        }
    }
    let reference = rows[0].median();
    println!(
        "frame-echo under the batching load: {CONNECTIONS} connections x depth {DEPTH}, \
         {}-byte frames, server on core {SERVER_CORE}, load on core {LOAD_CORE}, \
         median of {ROUNDS} rounds",
        frame.len()
    );
    for row in &rows {
        println!(
            "  {:<26} {:>10.0} frames/s  {:.2}x",
            row.name,
            row.median(),
            row.median() / reference
        );
    }
}
