//! Helpers shared by the integration tests: an engine with a server on a
//! free loopback port, and bounded waits.

#![allow(dead_code)]

pub mod log;
pub mod real_servers;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use framescope::engine::{
    ClientMode, Command, ConnectReport, Engine, Event, RecordView, ServerMode, Target, Transport,
};

/// Runs the framescope binary with `args` and waits for it.
pub fn framescope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_framescope"))
        .args(args)
        .output()
        .expect("framescope runs")
}

/// `framescope send --profile PROFILE --to 127.0.0.1:PORT --timeout 10
/// --log LOG ARGS…`.
pub fn send_profile(
    profile: &str,
    port: u16,
    log: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    let to = format!("127.0.0.1:{port}");
    let mut all = vec!["send", "--profile", profile, "--to", to.as_str()];
    all.extend(["--timeout", "10", "--log", log.to_str().unwrap()]);
    all.extend(args);
    framescope(&all)
}

/// The `--field` arguments of a modbus-tcp request reading two holding
/// registers from `address` (transaction 1, unit 1).
pub fn read_holding_registers_args(address: &str) -> Vec<String> {
    [
        "transaction=1".to_owned(),
        "unit=1".to_owned(),
        "function=read-holding-registers".to_owned(),
        format!("address={address}"),
        "quantity=2".to_owned(),
    ]
    .into_iter()
    .flat_map(|field| ["--field".to_owned(), field])
    .collect()
}

/// What a run printed, for failure messages.
pub fn printed(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// Bytes a process printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Longest any wait in the tests may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// Polls `condition` until it holds or `WAIT` passes; returns whether it held.
pub fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    condition()
}

/// Waits for the first event `pick` accepts.
pub fn wait_event<T>(engine: &Engine, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(found) = engine.wait_event(left).and_then(&mut pick) {
            return found;
        }
    }
    panic!("no matching event within {WAIT:?}");
}

/// Starts the embedded server on a free loopback port.
pub fn start_server(engine: &Engine, mode: ServerMode) -> SocketAddr {
    start_server_with(engine, mode, None)
}

/// As [`start_server`], the server's frames keeping `profile`.
pub fn start_server_with(
    engine: &Engine,
    mode: ServerMode,
    profile: Option<std::sync::Arc<framescope::engine::Profile>>,
) -> SocketAddr {
    start_server_over(engine, mode, profile, Transport::Tcp, "127.0.0.1:0")
}

/// As [`start_server_with`], over `transport`, listening at `addr`.
pub fn start_server_over(
    engine: &Engine,
    mode: ServerMode,
    profile: Option<std::sync::Arc<framescope::engine::Profile>>,
    transport: Transport,
    addr: &str,
) -> SocketAddr {
    engine.command(Command::StartServer {
        join: None,
        transport,
        addr: addr.parse().unwrap(),
        mode,
        tls: None,
        upstream: None,
        profile,
    });
    wait_event(engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(addr),
        Event::ServerFailed(error) => panic!("server failed: {error}"),
        _ => None,
    })
}

/// Opens `count` client connections to an address or a name, and waits
/// for the report.
pub fn connect(
    engine: &Engine,
    target: impl Into<Target>,
    count: usize,
    mode: ClientMode,
) -> ConnectReport {
    connect_over(engine, target, count, mode, Transport::Tcp)
}

/// As [`connect`], over `transport` (UDP: `count` sockets).
pub fn connect_over(
    engine: &Engine,
    target: impl Into<Target>,
    count: usize,
    mode: ClientMode,
    transport: Transport,
) -> ConnectReport {
    engine.command(Command::Connect {
        broadcast: false,
        transport,
        target: target.into(),
        count,
        mode,
        tls: None,
        profile: None,
    });
    wait_event(engine, |event| match event {
        Event::ConnectFinished { report, .. } => Some(report),
        Event::ConnectFailed(error) => panic!("connect failed: {error}"),
        _ => None,
    })
}

/// Every record the journal holds.
pub fn records(engine: &Engine) -> Vec<RecordView> {
    let journal = engine.snapshot();
    journal.views().collect()
}

/// Frames the client pool has received so far (the echoes, against an echo server).
pub fn frames_echoed(engine: &Engine) -> u64 {
    engine.fresh_view().client_counters.frames_received
}

/// A Python peer from `peers/`, run with python3 (arguments to add).
pub fn python_peer(script: &str) -> std::process::Command {
    let mut process = std::process::Command::new("python3");
    process.arg(format!("{}/peers/{script}", env!("CARGO_MANIFEST_DIR")));
    process
}

/// Starts a Python peer server from `peers/` that prints "listening on
/// PORT" once bound; the running process and its port.
pub fn python_server(mut peer: std::process::Command) -> (std::process::Child, u16) {
    use std::io::{BufRead, BufReader};
    let mut server = peer
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs the peer");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("its output"))
        .read_line(&mut line)
        .expect("its first line");
    let port = line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("\"{line}\" does not end in the port"));
    (server, port)
}

/// The one JSON line a peer client printed, after checking it succeeded
/// (its error output is the failure message).
pub fn json_reply(output: std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON line")
}
