//! The engine over loopback: echo servers, the app, stop, limits.

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command as Process;
use std::time::Duration;

use bytes::Bytes;
use common::{connect, eventually, frames_echoed, records, start_server, wait_event};
use framescope::engine::tutorial_app::{binary_request, search_request};
use framescope::engine::{
    ClientMode, CloseReason, Command, ConnState, Direction, Engine, Event, FrameBuilder,
    JournalLimits, Limits, PoolError, ReadReason, RecordKind, SendTarget, ServerError, ServerMode,
    Side, Target, TargetError,
};

#[test]
fn frame_echo_returns_every_frame_byte_exact_to_100_clients_x_100_frames() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let report = connect(&engine, addr, 100, ClientMode::Framed);
    assert_eq!((report.opened, report.failed), (100, 0));
    let ids: Vec<u32> = engine
        .fresh_view()
        .connections
        .iter()
        .map(|c| c.id)
        .collect();
    for round in 0..100 {
        for &id in &ids {
            let frame = FrameBuilder::binary("binary/x", format!("conn {id} frame {round}"))
                .field("round", round)
                .build()
                .unwrap();
            engine.command(Command::Send {
                target: SendTarget::One(id),
                bytes: frame,
            });
        }
    }
    assert!(eventually(|| frames_echoed(&engine) == 10_000));
    let all = records(&engine);
    for &id in &ids {
        let sent: Vec<&Bytes> = all
            .iter()
            .filter(|r| r.conn == id && r.direction == Direction::Sent)
            .map(|r| &r.bytes)
            .collect();
        let echoed: Vec<&Bytes> = all
            .iter()
            .filter(|r| r.conn == id && r.direction == Direction::Received)
            .map(|r| &r.bytes)
            .collect();
        assert_eq!(sent.len(), 100);
        assert_eq!(
            sent, echoed,
            "connection {id}: echoes differ from what was sent"
        );
    }
    let server = engine.fresh_view().server_counters;
    assert_eq!(
        (server.frames_received, server.frames_sent, server.errors),
        (10_000, 10_000, 0)
    );
    assert_eq!(engine.fresh_view().latency.summary.count, 10_000);
}

/// Sends one request to an app server over a plain socket; returns the reply and whether the server closed after it.
fn ask_app(addr: std::net::SocketAddr, request: Bytes) -> (framescope::engine::Frame, bool) {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.write_all(&request).unwrap();
    let mut reply = Vec::new();
    socket.read_to_end(&mut reply).unwrap();
    let mut buf = bytes::BytesMut::from(&reply[..]);
    let frame = tokio_util::codec::Decoder::decode(
        &mut framescope::engine::FrameCodec::new(1 << 20),
        &mut buf,
    )
    .unwrap()
    .unwrap();
    (frame, buf.is_empty())
}

#[test]
fn app_mode_answers_each_case_as_the_tutorial_does_and_closes() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::App);
    for (value, answer) in [
        ("morpheus", "Follow the white rabbit. 🐰"),
        ("ring", "In the caves beneath the Misty Mountains. 💍"),
        ("🐶", "🐾 Playing ball! 🏐"),
        ("nobody", "No match for 'nobody'."),
    ] {
        let (reply, only_one) = ask_app(addr, search_request(value).build().unwrap());
        assert!(only_one);
        assert_eq!(reply.content_type().as_deref(), Some("text/json"));
        let expected = format!("{{\"result\": \"{}\"}}", answer.replace('"', "\\\""));
        assert_eq!(std::str::from_utf8(&reply.content()).unwrap(), expected);
    }
    let bad_action = FrameBuilder::json(&serde_json::json!({"action": "steal", "value": "x"}))
        .build()
        .unwrap();
    let (reply, _) = ask_app(addr, bad_action);
    assert_eq!(
        &reply.content()[..],
        "{\"result\": \"Error: invalid action 'steal'.\"}".as_bytes()
    );
    let (reply, _) = ask_app(
        addr,
        binary_request(&b"\x00\x01binary-payload"[..])
            .build()
            .unwrap(),
    );
    assert_eq!(
        reply.content_type().as_deref(),
        Some("binary/custom-server-binary-type")
    );
    assert_eq!(
        &reply.content()[..],
        b"First 10 bytes of request: \x00\x01binary-p"
    );
    assert!(eventually(
        || engine.fresh_view().server.open_connections == 0
    ));
}

#[test]
fn the_client_pool_sees_the_app_server_close_as_a_normal_close() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::App);
    connect(&engine, addr, 3, ClientMode::Framed);
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: search_request("ring").build().unwrap(),
    });
    assert!(eventually(|| engine.fresh_view().connections.iter().all(
        |c| c.state == ConnState::Closed(CloseReason::ClosedByPeer)
    )));
    assert_eq!(frames_echoed(&engine), 3);
    assert_eq!(engine.fresh_view().client_counters.errors, 0);
}

#[test]
fn raw_echo_returns_bytes_as_chunks() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::RawEcho);
    connect(&engine, addr, 2, ClientMode::Raw);
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: Bytes::from_static(b"message 1 from client"),
    });
    assert!(eventually(|| engine
        .fresh_view()
        .client_counters
        .bytes_received
        == 42));
    let chunks: Vec<_> = records(&engine)
        .into_iter()
        .filter(|r| r.side == Side::Client && r.direction == Direction::Received)
        .collect();
    assert!(chunks.iter().all(|r| r.kind == RecordKind::Chunk));
    let echoed: Vec<u8> = chunks
        .iter()
        .filter(|r| r.conn == chunks[0].conn)
        .flat_map(|r| r.bytes.to_vec())
        .collect();
    assert_eq!(echoed, b"message 1 from client");
}

#[test]
fn stop_closes_connections_and_frees_the_port_at_once() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    connect(&engine, addr, 5, ClientMode::Framed);
    assert!(eventually(
        || engine.fresh_view().server.open_connections == 5
    ));
    engine.command(Command::StopServer);
    wait_event(&engine, |event| {
        matches!(event, Event::ServerStopped).then_some(())
    });
    assert!(eventually(|| engine
        .fresh_view()
        .connections
        .iter()
        .all(|c| matches!(c.state, ConnState::Closed(_)))));
    TcpListener::bind(addr).expect("the port is free again right after stop");
}

#[test]
fn a_second_server_on_a_used_port_fails_with_a_clear_error() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let engine = Engine::new().unwrap();
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: holder.local_addr().unwrap(),
        mode: ServerMode::FrameEcho,
        tls: None,
        upstream: None,
        profile: None,
    });
    let error = wait_event(&engine, |event| match event {
        Event::ServerFailed(error) => Some(error),
        _ => None,
    });
    match &error {
        ServerError::Bind { source, .. } => {
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse, "{error}")
        }
        other => panic!("expected a bind error, got {other}"),
    }
    assert!(error.to_string().contains("cannot listen on"), "{error}");
}

#[test]
fn connecting_where_nothing_listens_is_refused() {
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let engine = Engine::new().unwrap();
    let report = connect(&engine, free, 2, ClientMode::Framed);
    assert_eq!((report.opened, report.failed), (0, 2));
    assert!(
        engine
            .fresh_view()
            .connections
            .iter()
            .all(|c| c.state == ConnState::Closed(CloseReason::Refused))
    );
}

#[test]
fn a_frame_that_stalls_past_the_read_timeout_closes_with_an_error() {
    let limits = Limits {
        read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let engine = Engine::with_config(limits, JournalLimits::default()).unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let mut socket = TcpStream::connect(addr).unwrap();
    let frame = FrameBuilder::new().content("abc").build().unwrap();
    socket.write_all(&frame[..5]).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = socket.read_to_end(&mut rest);
    assert!(rest.is_empty(), "nothing is echoed of a stalled frame");
    let error = records(&engine)
        .into_iter()
        .find_map(|r| r.error)
        .expect("the stall is recorded");
    assert!(
        matches!(error.reason, ReadReason::Timeout { received: 5, .. }),
        "{error}"
    );
}

/// `localhost:PORT` for a port on loopback.
fn localhost(port: u16) -> Target {
    format!("localhost:{port}").parse().unwrap()
}

#[test]
fn a_host_name_is_looked_up_and_its_connections_open() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let report = connect(&engine, localhost(addr.port()), 3, ClientMode::Framed);
    assert_eq!((report.opened, report.failed), (3, 0));
    // Whatever localhost resolves to first, the connections reached the
    // listener, and each shows the address that accepted.
    assert!(
        engine
            .fresh_view()
            .connections
            .iter()
            .all(|c| c.target == addr && c.state == ConnState::Open)
    );
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: search_request("ring").build().unwrap(),
    });
    assert!(eventually(|| frames_echoed(&engine) == 3));
}

#[test]
fn a_name_that_does_not_resolve_fails_the_connect_and_names_the_host() {
    let engine = Engine::new().unwrap();
    engine.command(Command::Connect {
        broadcast: false,
        transport: framescope::engine::Transport::Tcp,
        target: "nosuchhost.invalid:80".parse().unwrap(),
        count: 2,
        mode: ClientMode::Framed,
        tls: None,
        profile: None,
    });
    let error = wait_event(&engine, |event| match event {
        Event::ConnectFailed(error) => Some(error),
        Event::ConnectFinished { .. } => panic!("a name under .invalid resolved"),
        _ => None,
    });
    assert!(
        matches!(
            &error,
            PoolError::Lookup(TargetError::Resolve { name, .. }) if name == "nosuchhost.invalid"
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("cannot resolve nosuchhost.invalid: "),
        "{error}"
    );
    assert!(
        engine.fresh_view().connections.is_empty(),
        "no connection is attempted"
    );
}

/// Runs `framescope send` with `args`; its exit status, stdout and stderr.
fn framescope_send(args: &[&str]) -> (bool, String, String) {
    let output = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .arg("send")
        .args(args)
        .args(["--timeout", "5"])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn send_on_the_command_line_connects_by_host_name() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let to = format!("localhost:{}", addr.port());
    let (ok, stdout, stderr) = framescope_send(&["--to", &to, "--count", "2"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("1 connections (0 failed); sent 2 frames"),
        "{stdout}"
    );
    assert!(eventually(|| engine
        .fresh_view()
        .server_counters
        .frames_received
        == 2));
}

#[test]
fn send_to_a_name_that_does_not_resolve_or_refuses_is_one_line_and_a_failure() {
    let (ok, _, stderr) = framescope_send(&["--to", "nosuchhost.invalid:80"]);
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: cannot resolve nosuchhost.invalid: "),
        "{stderr}"
    );

    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let to = format!("localhost:{free}");
    let (ok, _, stderr) = framescope_send(&["--to", &to]);
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("no connection to {to} opened")) && stderr.contains("refused"),
        "{stderr}"
    );
}

/// A server that reads one request, answers `reply` (nothing if empty),
/// then holds the connection open and silent for `hold`.
fn short_then_silent(reply: &'static [u8], hold: Duration) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut request = [0u8; 64];
        let _ = socket.read(&mut request);
        socket.write_all(reply).unwrap();
        std::thread::sleep(hold);
    });
    addr
}

/// Runs `framescope send` with `args` and no default timeout; its exit
/// status, stdout, stderr and how long it took.
fn framescope_send_timed(args: &[&str]) -> (bool, String, String, Duration) {
    let start = std::time::Instant::now();
    let output = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .arg("send")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn a_raw_send_ends_once_a_short_reply_is_followed_by_quiet() {
    // As redis-server answers SET: 5 bytes for 13, then nothing.
    let addr = short_then_silent(b"+OK\r\n", Duration::from_secs(8)).to_string();
    let (ok, stdout, stderr, took) = framescope_send_timed(&[
        "--raw",
        "--to",
        &addr,
        "--text",
        "SET k hello\r\n",
        "--timeout",
        "6",
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("received 1 frames, 5 bytes"), "{stdout}");
    assert!(
        took < Duration::from_secs(3),
        "waited {took:?}: the reply was complete after 200 ms of quiet"
    );

    let addr = short_then_silent(b"+OK\r\n", Duration::from_secs(8)).to_string();
    let (ok, stdout, _, took) = framescope_send_timed(&[
        "--raw",
        "--to",
        &addr,
        "--text",
        "PING\r\n",
        "--idle",
        "1.5s",
        "--timeout",
        "6",
    ]);
    assert!(ok, "{stdout}");
    assert!(
        took >= Duration::from_millis(1500),
        "--idle is waited out: {took:?}"
    );
}

#[test]
fn a_raw_send_with_no_reply_within_the_timeout_fails_saying_so() {
    let addr = short_then_silent(b"", Duration::from_secs(5)).to_string();
    let (ok, stdout, stderr, _) =
        framescope_send_timed(&["--raw", "--to", &addr, "--text", "hello?", "--timeout", "1"]);
    assert!(!ok, "{stdout}");
    assert!(
        stderr.contains("1 of 1 connections had no reply"),
        "{stderr}"
    );
}

#[test]
fn a_raw_send_to_redis_returns_with_its_reply_well_within_the_timeout() {
    let redis = common::real_servers::redis_server();
    let to = format!("127.0.0.1:{}", redis.port);
    let (ok, stdout, stderr, took) = framescope_send_timed(&[
        "--raw",
        "--to",
        &to,
        "--text",
        "SET k hello\r\n",
        "--timeout",
        "10",
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("+OK"), "{stdout}");
    assert!(stdout.contains("received 1 frames, 5 bytes"), "{stdout}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let (ok, stdout, stderr, _) = framescope_send_timed(&[
        "--raw",
        "--to",
        &to,
        "--text",
        "GET k\r\n",
        "--timeout",
        "10",
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("$5") && stdout.contains("hello"),
        "{stdout}"
    );
}
