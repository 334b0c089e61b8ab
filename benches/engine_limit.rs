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
//! One row more frames by a profile, not the JSON header: `serve --profile
//! length-prefixed` (`support/length-prefixed.toml`: a u32 length, then the
//! payload) with capture off, sent frames of that profile as long as the
//! JSON-header ones, so the reference row stands for both. Target: ≥ 0.8×.
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

use std::sync::Arc;

use bytes::Bytes;
use framescope::engine::{FrameBuilder, Profile};

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

/// The length-prefixed profile's file.
const LENGTH_PREFIXED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/support/length-prefixed.toml"
);

/// The length-prefixed profile, and one of its frames `len` bytes long.
fn length_prefixed_frame(len: usize) -> (Arc<Profile>, Bytes) {
    let text = std::fs::read_to_string(LENGTH_PREFIXED).expect("the profile file");
    let profile = Arc::new(Profile::compile(&text, LENGTH_PREFIXED).expect("the profile"));
    let payload = "78".repeat(len - 4);
    let frame = profile
        .encode(
            &[("payload".to_owned(), format!("0x{payload}"))],
            framescope::engine::Role::Request,
        )
        .expect("a frame");
    assert_eq!(frame.len(), len);
    (profile, frame.into())
}

/// What a row's server is sent.
#[derive(Clone, Copy, PartialEq)]
enum Frames {
    JsonHeader,
    LengthPrefixed,
}

fn load(addr: SocketAddr, frame: &Bytes, profile: Option<Arc<Profile>>) -> BatchLoadReport {
    let report = batch_load::run(BatchLoadSpec {
        addr,
        connections: CONNECTIONS,
        depth: DEPTH,
        frame: frame.clone(),
        profile,
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

/// One row of the table: a server, its frames/s in every round, and the
/// share of its core the load used in each (its headroom: a load busy all
/// the time may have set the rate itself).
struct Row {
    name: String,
    rates: Vec<f64>,
    load_busy: Vec<f64>,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

impl Row {
    fn median(&self) -> f64 {
        median(&self.rates)
    }
}

/// A row's server: `None` is the reference; else the binary, the arguments
/// after `serve --mode frame-echo`, and the frames it is sent.
type Server = Option<(String, Vec<&'static str>, Frames)>;

/// The servers measured, by row name.
fn servers() -> Vec<(String, Server)> {
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
                let args = vec!["--capture", capture];
                servers.push((name, Some((exe.clone(), args, Frames::JsonHeader))));
            }
        }
    }
    let name = "serve --profile length-prefixed --capture off".to_owned();
    if wanted(&name) {
        let exe = env!("CARGO_BIN_EXE_framescope").to_owned();
        let args = vec!["--capture", "off", "--profile", LENGTH_PREFIXED];
        servers.push((name, Some((exe, args, Frames::LengthPrefixed))));
    }
    servers
}

fn main() {
    pin_to(SERVER_CORE);
    let frame = frame();
    let (profile, binary_frame) = length_prefixed_frame(frame.len());
    let servers = servers();
    let mut rows: Vec<Row> = servers
        .iter()
        .map(|(name, _)| Row {
            name: name.clone(),
            rates: Vec::new(),
            load_busy: Vec::new(),
        })
        .collect();
    for _ in 0..ROUNDS {
        for (row, (_, server)) in rows.iter_mut().zip(&servers) {
            let report = match server {
                None => {
                    let echo = ReferenceEcho::start(Some(SERVER_CORE)).expect("reference echo");
                    load(echo.addr(), &frame, None)
                }
                Some((exe, args, frames)) => {
                    let mut all = vec!["--mode", "frame-echo"];
                    all.extend(args);
                    let (_child, addr) = serve(exe, &all);
                    match frames {
                        Frames::JsonHeader => load(addr, &frame, None),
                        Frames::LengthPrefixed => load(addr, &binary_frame, Some(profile.clone())),
                    }
                }
            };
            row.rates.push(report.frames_per_s());
            if let Some(busy) = report.load_cpu_share() {
                row.load_busy.push(busy);
            }
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
            "  {:<46} {:>10.0} frames/s  {:.2}x  load core busy {:>3.0}%",
            row.name,
            row.median(),
            row.median() / reference,
            median(&row.load_busy) * 100.0
        );
    }
}
