//! The window while the engine is busy: frame times of the real app with
//! its embedded frame-echo server under a batching load, and the server's
//! frames/s with the window open beside the same server headless
//! (`framescope serve --quiet`) in the same run; then frame times with
//! 10,000 client connections listed; then how long saving 2,000,000
//! records keeps the journal's lock from a connection that appends.
//!
//! Run with `cargo bench --bench ui_under_load`. The server (the engine's
//! runtime, embedded, or `serve` headless) runs on core 0; the load runs on
//! core 1. The window's UI thread runs on core 1 too: this machine has two
//! cores, the load leaves a good share of its core idle (the table shows
//! how busy it was), and the question asked is what the window costs the
//! server through the engine (publishing, snapshots, the journal's lock),
//! not how two busy threads share one core. The UI is paced at 60 frames a
//! second as a real window is; each frame is laid out and tessellated by
//! egui_kittest (no GPU), and both its wall time and the UI thread's CPU
//! time are reported. Targets:
//! p99 < 8 ms and max < 16 ms; frames/s with the window open ≥ 0.9× headless;
//! no append waits more than 1 ms while 2,000,000 records are saved.

#[path = "support/batch_load.rs"]
mod batch_load;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use egui_kittest::Harness;
use framescope::app::{FramescopeApp, Settings};
use framescope::engine::{
    ClientMode, Command, Direction, Engine, Entry, Event, FrameBuilder, LogFormat, RecordKind,
    SendTarget, ServerMode, Side,
};

use batch_load::{BatchLoadReport, BatchLoadSpec};

const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;
/// Where the window's UI thread runs (see the top of the file).
const UI_CORE: usize = LOAD_CORE;
const CONNECTIONS: usize = 50;
const DEPTH: usize = 16;
const CONTENT_LEN: usize = 64;
const WARMUP: Duration = Duration::from_secs(1);
const MEASURED: Duration = Duration::from_secs(4);
/// Rounds of (headless, window), interleaved.
const ROUNDS: usize = 2;
/// A real window's frame pace.
const FRAME_PACE: Duration = Duration::from_micros(16_667);
const MANY_CONNECTIONS: usize = 10_000;
const SAVED_RECORDS: u32 = 2_000_000;

type App = Harness<'static, FramescopeApp>;

/// Pins the calling thread to `core` (named directly: a thread pinned to one
/// core may still move itself to another).
fn pin_to(core: usize) {
    assert!(
        core_affinity::set_for_current(core_affinity::CoreId { id: core }),
        "cannot pin to core {core}"
    );
}

fn frame() -> Bytes {
    FrameBuilder::new()
        .content(vec![b'x'; CONTENT_LEN])
        .build()
        .expect("frame")
}

fn load(addr: SocketAddr, frame: &Bytes) -> BatchLoadReport {
    batch_load::run(BatchLoadSpec {
        addr,
        connections: CONNECTIONS,
        depth: DEPTH,
        frame: frame.clone(),
        duration: MEASURED,
        warmup: WARMUP,
        core: Some(LOAD_CORE),
    })
    .expect("the load runs")
}

/// A child process that is killed when dropped, even when the benchmark
/// panics, so no server outlives it.
struct ChildServer(Child);

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `framescope serve` as a child process (on the cores this process may
/// use when it starts: the server's), and the address it listens on.
fn serve(args: &[&str]) -> (ChildServer, SocketAddr) {
    let mut child = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["serve", "--quiet", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("framescope serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let child = ChildServer(child);
    let addr = line
        .split_whitespace()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (child, addr)
}

fn app(engine: Engine) -> App {
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |_cc| FramescopeApp::with_engine(engine, Settings::default()))
}

/// Steps until `done` holds, paced as a window.
fn settle(h: &mut App, limit: Duration, mut done: impl FnMut(&FramescopeApp) -> bool) {
    let deadline = Instant::now() + limit;
    while !done(h.state()) {
        assert!(Instant::now() < deadline, "the window did not settle");
        h.step();
        std::thread::sleep(FRAME_PACE);
    }
}

/// Wall and CPU time of frames.
#[derive(Default)]
struct FrameTimes {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

/// Steps the window at 60 frames a second, on the UI core, while `busy`
/// holds; the times of frames after `skip`.
fn paced_frames(h: &mut App, skip: Duration, mut busy: impl FnMut() -> bool) -> FrameTimes {
    pin_to(UI_CORE);
    let started = Instant::now();
    let mut times = FrameTimes::default();
    while busy() {
        let frame = Instant::now();
        let cpu = batch_load::thread_cpu_time();
        h.step();
        let took = frame.elapsed();
        if started.elapsed() > skip {
            times.wall.push(took);
            if let (Some(before), Some(after)) = (cpu, batch_load::thread_cpu_time()) {
                times.cpu.push(after.saturating_sub(before));
            }
        }
        std::thread::sleep(FRAME_PACE.saturating_sub(took));
    }
    pin_to(SERVER_CORE);
    times
}

/// Mean, p99 and max, in ms.
fn frame_stats(times: &mut [Duration]) -> (f64, f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len().max(1) as f64;
    let p99 = times
        .get((times.len() * 99 / 100).min(times.len().saturating_sub(1)))
        .map_or(0.0, |d| ms(*d));
    let max = times.last().map_or(0.0, |d| ms(*d));
    (mean, p99, max)
}

/// The embedded server with the window open, under the load.
fn window_under_load(frame: &Bytes) -> (BatchLoadReport, FrameTimes) {
    let mut h = app(Engine::new().expect("engine"));
    h.state().engine().command(Command::StartServer {
        addr: ([127, 0, 0, 1], 0).into(),
        mode: ServerMode::FrameEcho,
    });
    settle(&mut h, Duration::from_secs(5), |app| {
        app.engine().view().server.listening.is_some()
    });
    let addr = h
        .state()
        .engine()
        .view()
        .server
        .listening
        .expect("listening");
    let load_frame = frame.clone();
    let loader = std::thread::spawn(move || load(addr, &load_frame));
    let times = paced_frames(&mut h, WARMUP, || !loader.is_finished());
    let report = loader.join().expect("the load thread");
    (report, times)
}

/// The same server headless, under the same load.
fn headless_under_load(frame: &Bytes) -> BatchLoadReport {
    let (_child, addr) = serve(&["--mode", "frame-echo"]);
    load(addr, frame)
}

/// Frame times with 10,000 client connections listed (and one send to all).
fn many_connections(frame: &Bytes) -> (usize, FrameTimes) {
    let (child, addr) = serve(&["--capture", "off", "--max-connections", "10000"]);
    let mut h = app(Engine::new().expect("engine"));
    h.state().engine().command(Command::Connect {
        target: addr,
        count: MANY_CONNECTIONS,
        mode: ClientMode::Framed,
    });
    settle(&mut h, Duration::from_secs(60), |app| {
        let pool = app.engine().view().pool;
        pool.connecting == 0 && pool.open + pool.closed >= MANY_CONNECTIONS
    });
    let open = h.state().engine().view().pool.open;
    h.state().engine().command(Command::Send {
        target: SendTarget::All,
        bytes: frame.clone(),
    });
    let until = Instant::now() + Duration::from_secs(3);
    let times = paced_frames(&mut h, Duration::ZERO, || Instant::now() < until);
    h.state().engine().command(Command::DisconnectAll);
    drop(h);
    drop(child);
    (open, times)
}

/// How long a snapshot of 2,000,000 records holds the lock, and the longest
/// an append waited while they were saved.
fn save_lock(frame: &Bytes) -> (Duration, Duration, Duration, u64) {
    let engine = Engine::new().expect("engine");
    let entry = |bytes| Entry {
        conn: 1,
        peer: Some(([127, 0, 0, 1], 9).into()),
        side: Side::Server,
        direction: Direction::Received,
        kind: RecordKind::Frame,
        bytes,
        error: None,
    };
    for _ in 0..SAVED_RECORDS {
        engine.record(entry(frame));
    }
    let snapshot_hold = (0..5)
        .map(|_| {
            let started = Instant::now();
            let snapshot = engine.snapshot();
            let took = started.elapsed();
            assert_eq!(snapshot.len(), SAVED_RECORDS as usize);
            took
        })
        .max()
        .unwrap_or_default();
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The save runs on the engine's core; the appends here on the other, so
    // an append waits only for the journal's lock, never for a time slice.
    pin_to(UI_CORE);
    let started = Instant::now();
    engine.command(Command::SaveLog {
        path: dir.path().join("two-million.jsonl"),
        format: LogFormat::JsonLines,
    });
    let mut longest_append = Duration::ZERO;
    let mut appends = 0u64;
    let saved = loop {
        let append = Instant::now();
        engine.record(entry(frame));
        longest_append = longest_append.max(append.elapsed());
        appends += 1;
        if appends.is_multiple_of(256)
            && let Some(Event::Saved { result, .. }) = engine
                .poll_events()
                .into_iter()
                .find(|e| matches!(e, Event::Saved { .. }))
        {
            result.expect("the save succeeds");
            break started.elapsed();
        }
    };
    pin_to(SERVER_CORE);
    (snapshot_hold, longest_append, saved, appends)
}

fn main() {
    // Threads and processes started from here on inherit the server's core;
    // the load pins its own thread to the other.
    pin_to(SERVER_CORE);
    let frame = frame();
    let mut headless = Vec::new();
    let mut window = Vec::new();
    let mut frame_times = FrameTimes::default();
    for round in 1..=ROUNDS {
        eprintln!("round {round}/{ROUNDS}: headless serve");
        headless.push(headless_under_load(&frame));
        eprintln!("round {round}/{ROUNDS}: the window with its embedded server");
        let (report, times) = window_under_load(&frame);
        window.push(report);
        frame_times.wall.extend(times.wall);
        frame_times.cpu.extend(times.cpu);
    }
    eprintln!("10,000 connections listed");
    let (open, mut many_times) = many_connections(&frame);
    eprintln!("saving {SAVED_RECORDS} records");
    let (snapshot_hold, longest_append, save_time, appends) = save_lock(&frame);

    println!(
        "\nframe-echo under a batching load ({CONNECTIONS} conns × {DEPTH} in flight, {} B frames), server on core {SERVER_CORE}, load on core {LOAD_CORE}\n",
        frame.len()
    );
    println!("| run | frames/s | load core busy | errors |");
    println!("|---|---:|---:|---:|");
    for (name, reports) in [("serve --quiet", &headless), ("window open", &window)] {
        for report in reports {
            println!(
                "| {name} | {:.0} | {} | {} |",
                report.frames_per_s(),
                report
                    .load_cpu_share()
                    .map_or("?".to_owned(), |s| format!("{:.0} %", s * 100.0)),
                report.errors
            );
        }
    }
    let mean = |reports: &[BatchLoadReport]| {
        reports.iter().map(|r| r.frames_per_s()).sum::<f64>() / reports.len() as f64
    };
    println!(
        "\nwindow open / headless: {:.2}",
        mean(&window) / mean(&headless).max(1.0)
    );
    println!("\n| window state | frames timed | mean | p99 | max | CPU mean | CPU p99 | CPU max |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (what, times) in [
        ("embedded server under load", &mut frame_times),
        ("10,000 client connections listed", &mut many_times),
    ] {
        let (mean, p99, max) = frame_stats(&mut times.wall);
        let (cpu_mean, cpu_p99, cpu_max) = frame_stats(&mut times.cpu);
        println!(
            "| {what} | {} | {mean:.2} ms | {p99:.2} ms | {max:.2} ms | {cpu_mean:.2} ms | {cpu_p99:.2} ms | {cpu_max:.2} ms |",
            times.wall.len()
        );
    }
    println!("\n{open} of {MANY_CONNECTIONS} client connections open while listed");
    println!(
        "\nsaving {SAVED_RECORDS} records: snapshot under the lock {:.3} ms (worst of 5); \
         save {:.2} s; {appends} appends meanwhile, the slowest {:.3} ms",
        snapshot_hold.as_secs_f64() * 1e3,
        save_time.as_secs_f64(),
        longest_append.as_secs_f64() * 1e3
    );
}
