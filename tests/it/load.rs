//! `framescope load` and the engine's load runs, over loopback: payload
//! variables, replies checked, replay from a log, merging, the open loop's
//! rate, and clear failures.

use crate::common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command as Process, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::start_server;
use framescope::engine::load::{LoadReport, LoadRun, LoadSpec, Pacing, Payload, Verify};
use framescope::engine::{Engine, FrameBuilder, ServerMode};
use hdrhistogram::Histogram;

fn framescope(args: &[&str]) -> Output {
    Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(args)
        .output()
        .expect("framescope runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A frame-echo server of the engine's own, kept alive by the engine.
fn echo_server() -> (Engine, SocketAddr) {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    (engine, addr)
}

fn spec(addr: SocketAddr, payload: Payload) -> LoadSpec {
    LoadSpec {
        transport: framescope::engine::Transport::Tcp,
        loss_timeout: framescope::engine::load::DEFAULT_LOSS_TIMEOUT,
        target: addr.into(),
        connections: 2,
        connect_rate: None,
        duration: Duration::from_millis(500),
        warmup: Duration::from_millis(100),
        pacing: Pacing::Closed { depth: 1 },
        payload,
        framed: true,
        profile: None,
        verify: Verify::All,
        threads: 1,
        cores: Vec::new(),
        recorder: None,
        tls: None,
    }
}

/// A server that reads whole frames, keeps each connection's in order,
/// and echoes them (with one byte of content flipped when `flip`).
/// Each connection's frames, in the order they arrived.
type Seen = Arc<Mutex<Vec<Vec<Vec<u8>>>>>;

fn recording_server(flip: bool) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { return };
            let seen = kept.clone();
            std::thread::spawn(move || {
                let index = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(Vec::new());
                    seen.len() - 1
                };
                loop {
                    let mut proto = [0u8; 2];
                    if stream.read_exact(&mut proto).is_err() {
                        return;
                    }
                    let mut header = vec![0u8; u16::from_be_bytes(proto) as usize];
                    stream.read_exact(&mut header).unwrap();
                    let parsed: serde_json::Value = serde_json::from_slice(&header).unwrap();
                    let mut content =
                        vec![0u8; parsed["content-length"].as_u64().unwrap() as usize];
                    stream.read_exact(&mut content).unwrap();
                    let mut frame = proto.to_vec();
                    frame.extend_from_slice(&header);
                    frame.extend_from_slice(&content);
                    seen.lock().unwrap()[index].push(frame.clone());
                    if flip && let Some(last) = frame.last_mut() {
                        *last ^= 0xff;
                    }
                    if stream.write_all(&frame).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

fn header_of(frame: &[u8]) -> serde_json::Value {
    let len = u16::from_be_bytes([frame[0], frame[1]]) as usize;
    serde_json::from_slice(&frame[2..2 + len]).unwrap()
}

#[test]
fn variables_expand_per_connection_and_per_frame() {
    let (addr, seen) = recording_server(false);
    let builder = FrameBuilder::new()
        .field("content-type", "text/plain")
        .field("id", "{{conn}}/{{seq}}")
        .content("frame {{seq}} of {{conn}} at {{now_us}}");
    let report = LoadRun::start(spec(addr, Payload::frame(&builder).unwrap()), |_| {})
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let mut conns = Vec::new();
    for frames in seen.iter() {
        assert!(frames.len() > 10, "only {} frames", frames.len());
        let first = header_of(&frames[0]);
        let conn = first["id"]
            .as_str()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        for (n, frame) in frames.iter().enumerate() {
            let header = header_of(frame);
            let seq = n + 1;
            assert_eq!(header["id"], format!("{conn}/{seq}"));
            let content = std::str::from_utf8(
                &frame[frame.len() - header["content-length"].as_u64().unwrap() as usize..],
            )
            .unwrap();
            assert!(
                content.starts_with(&format!("frame {seq} of {conn} at ")),
                "{content}"
            );
        }
        conns.push(conn);
    }
    conns.sort();
    assert_eq!(conns, ["1", "2"]);
}

#[test]
fn verify_all_against_frame_echo_finds_nothing_wrong() {
    let (_engine, addr) = echo_server();
    let frame = FrameBuilder::new().content("{\"n\": 1}").build().unwrap();
    let mut spec = spec(addr, Payload::Fixed(frame));
    spec.pacing = Pacing::Closed { depth: 8 };
    let report = LoadRun::start(spec, |_| {}).unwrap().wait().unwrap();
    assert_eq!((report.errors, report.run.mismatches), (0, 0));
    assert!(report.window.frames_received > 100);
    assert_eq!(report.latency_us.count, report.histogram().unwrap().len());
}

#[test]
fn a_server_that_flips_a_byte_is_reported_with_the_connection_and_frame_and_fails_the_run() {
    let (addr, _) = recording_server(true);
    let to = addr.to_string();
    let output = framescope(&[
        "load",
        "--to",
        &to,
        "--connections",
        "1",
        "--duration",
        "0.3",
        "--warmup",
        "0",
        "--verify",
        "all",
        "--text",
        "hello",
    ]);
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("connection 1, frame 1: the reply differs from the frame sent at byte"),
        "{stdout}"
    );
    assert!(
        stderr(&output).contains("more than --max-errors 0"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn from_log_replays_a_saved_logs_frames_byte_for_byte() {
    let (_engine, echo) = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sent.jsonl");
    let echo = echo.to_string();
    let sent = framescope(&[
        "send",
        "--to",
        &echo,
        "--count",
        "3",
        "--text",
        "replay me",
        "--header",
        "n=7",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    let (addr, seen) = recording_server(false);
    let spec = spec(addr, Payload::from_log(&log).unwrap());
    let report = LoadRun::start(
        LoadSpec {
            transport: framescope::engine::Transport::Tcp,
            loss_timeout: framescope::engine::load::DEFAULT_LOSS_TIMEOUT,
            connections: 1,
            ..spec
        },
        |_| {},
    )
    .unwrap()
    .wait()
    .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    let expected = FrameBuilder::new()
        .field("content-type", "text/plain")
        .field("n", 7)
        .content("replay me")
        .build()
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen[0].len() >= 3);
    assert!(seen[0].iter().all(|f| f == &expected));
}

#[test]
fn merging_two_results_equals_one_histogram_of_all_samples() {
    let (_engine, addr) = echo_server();
    let frame = FrameBuilder::new().content("{}").build().unwrap();
    let reports: Vec<LoadReport> = (0..2)
        .map(|_| {
            LoadRun::start(spec(addr, Payload::Fixed(frame.clone())), |_| {})
                .unwrap()
                .wait()
                .unwrap()
        })
        .collect();
    let mut all: Histogram<u64> = Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    for report in &reports {
        all.add(report.histogram().unwrap()).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let path = dir.path().join(format!("agent{i}.json"));
            std::fs::write(&path, r.to_json()).unwrap();
            path.to_str().unwrap().to_owned()
        })
        .collect();
    let out = dir.path().join("merged.json");
    let merged = framescope(&[
        "merge",
        &paths[0],
        &paths[1],
        "--json",
        out.to_str().unwrap(),
    ]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let merged = LoadReport::from_json(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(merged.agents, 2);
    assert_eq!(merged.histogram().unwrap(), all);
    assert_eq!(merged.latency_us.p99, all.value_at_quantile(0.99));
    assert_eq!(merged.latency_us.count, all.len());
    let sum = reports[0].frames_per_s + reports[1].frames_per_s;
    assert!((merged.frames_per_s - sum).abs() < 1e-6);
}

#[test]
fn the_open_loop_keeps_its_rate() {
    let (_engine, addr) = echo_server();
    let frame = FrameBuilder::new().content("{}").build().unwrap();
    let mut spec = spec(addr, Payload::Fixed(frame));
    spec.pacing = Pacing::Open { rate: 2_000.0 };
    spec.connections = 4;
    spec.duration = Duration::from_secs(1);
    let report = LoadRun::start(spec, |_| {}).unwrap().wait().unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    // Loose bounds: the test checks the pacing, not this machine's timers.
    assert!(
        (1_800.0..2_200.0).contains(&report.sent_per_s),
        "sent {} frames/s, asked 2,000",
        report.sent_per_s
    );
}

#[test]
fn the_exact_interface_writes_frames_per_s_and_errors_at_the_top_of_the_json() {
    let (_engine, addr) = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("result.json");
    let to = format!("localhost:{}", addr.port());
    let output = framescope(&[
        "load",
        "--to",
        &to,
        "--connections",
        "3",
        "--depth",
        "2",
        "--size",
        "64",
        "--duration",
        "0.5",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(value["frames_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(value["errors"], 0);
    assert!(stderr(&output).contains("frames/s"), "a progress line");
}

#[test]
fn bad_input_is_one_clear_line_and_a_failing_exit() {
    let refused = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    for (args, says) in [
        (
            vec!["load", "--to", refused.as_str(), "--duration", "0.2"],
            "no connection to",
        ),
        (
            vec!["load", "--to", "nosuchhost.invalid:80", "--duration", "0.2"],
            "cannot resolve nosuchhost.invalid",
        ),
        (
            vec!["load", "--to", "127.0.0.1:9", "--connections", "0"],
            "--connections must be 1 to 10000",
        ),
        (
            vec!["load", "--to", "127.0.0.1:9", "--text", "{{nope}}"],
            "{{nope}} is not a payload variable",
        ),
        (
            vec!["load", "--to", "127.0.0.1:9", "--verify", "some"],
            "not a way to verify",
        ),
        (
            vec!["merge", "/nonexistent/a.json"],
            "cannot read /nonexistent/a.json",
        ),
    ] {
        let output = framescope(&args);
        assert!(!output.status.success(), "{args:?}");
        let text = stderr(&output);
        assert!(text.contains(says), "{args:?}: {text}");
        assert!(text.trim().lines().count() <= 3, "{args:?}: {text}");
    }
}

#[test]
fn json_to_standard_output_is_the_result_alone() {
    let (_engine, addr) = echo_server();
    let to = addr.to_string();
    let output = framescope(&[
        "load",
        "--to",
        &to,
        "--duration",
        "0.3",
        "--warmup",
        "0",
        "--quiet",
        "--json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = LoadReport::from_json(&String::from_utf8_lossy(&output.stdout)).unwrap();
    assert!(report.window.frames_received > 0);
}

#[cfg(unix)]
#[test]
fn sigterm_ends_the_run_early_with_its_result_written() {
    let (_engine, addr) = echo_server();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("stopped.json");
    let child = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args([
            "load",
            "--to",
            &addr.to_string(),
            "--duration",
            "30",
            "--warmup",
            "0.2",
        ])
        .args(["--json", json.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let status = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it stopped promptly"
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("(stopped early)"));
    let report = LoadReport::from_json(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report.stopped_early);
    assert!(report.seconds < 5.0 && report.window.frames_received > 0);
}

/// `framescope load --profile …` with a one-second run and a result file;
/// the result's JSON.
fn load_profile(port: u16, profile: &str, args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("result.json");
    let to = format!("127.0.0.1:{port}");
    let mut all = vec!["load", "--to", to.as_str(), "--profile", profile];
    all.extend(["--duration", "1", "--warmup", "0.2", "--quiet"]);
    all.extend([
        "--max-errors",
        "1000000000",
        "--json",
        json.to_str().unwrap(),
    ]);
    all.extend(args);
    let output = framescope(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

#[test]
fn load_under_a_profile_counts_a_real_modbus_servers_replies_by_their_framing() {
    // pymodbus answers only the first of two requests that arrive together:
    // one connection, one request in flight. Its replies (13 bytes) are not
    // as long as the requests (12), so only the profile can count them.
    let server = common::real_servers::modbus_server();
    let mut args = vec!["--connections", "1", "--depth", "1"];
    for field in [
        "transaction={{seq}}",
        "unit=1",
        "function=read-holding-registers",
        "address=0",
        "quantity=2",
    ] {
        args.extend(["--field", field]);
    }
    let result = load_profile(server.port, "modbus-tcp", &args);
    assert_eq!(result["errors"], 0, "{result:#}");
    assert_eq!(result["settings"]["profile"], "modbus-tcp");
    let run = &result["run"];
    let received = run["frames_received"].as_u64().unwrap();
    assert!(received > 10, "{result:#}");
    let per_frame = run["bytes_received"].as_u64().unwrap() as f64 / received as f64;
    assert!(
        (per_frame - 13.0).abs() < 0.5,
        "13-byte replies: {result:#}"
    );
}

#[test]
fn a_reply_that_breaks_the_profile_is_an_error_naming_its_field() {
    // A raw echo sends back each stx-crc frame as it went: a good CRC is a
    // reply that keeps the profile, a wrong one (given as a value) is not.
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::RawEcho);
    let profile = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stx-crc.toml");
    let good = load_profile(
        addr.port(),
        profile,
        &["--field", "payload=frame {{seq}}", "--depth", "4"],
    );
    assert_eq!(good["errors"], 0, "{good:#}");
    assert!(
        good["run"]["frames_received"].as_u64().unwrap() > 100,
        "{good:#}"
    );

    let bad = load_profile(
        addr.port(),
        profile,
        &["--field", "payload=frame {{seq}}", "--field", "crc=0"],
    );
    let received = bad["run"]["frames_received"].as_u64().unwrap();
    assert!(received > 10, "{bad:#}");
    // Every reply is an error; the counters are read one after the other
    // while the connection runs, so the last reply may be counted as
    // received and not yet as an error.
    assert!(bad["errors"].as_u64().unwrap() + 1 >= received, "{bad:#}");
    let first = bad["first_errors"].to_string();
    assert!(
        first.contains("crc") && first.contains("checksum"),
        "{first}"
    );
}

#[test]
fn load_refuses_field_values_its_profile_cannot_take_before_connecting() {
    let output = framescope(&[
        "load",
        "--to",
        "127.0.0.1:9",
        "--profile",
        "modbus-tcp",
        "--field",
        "nonesuch=1",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("nonesuch"), "{}", stderr(&output));
}
