//! UDP beside TCP: the embedded server over UDP (echo and rules, a session
//! per peer, the session cap and idle time), framescope's UDP sockets, and
//! datagrams that are empty, as large as UDP allows, too large for the
//! buffer or not a frame, each one row. Python's `socket` is the peer both
//! ways, and dnsmasq answers DNS over UDP under the `dns` profile.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use framescope::engine::{
    ClientMode, CloseReason, Command, Engine, FrameBuilder, JournalLimits, Limits, Profile,
    RecordKind, RecordView, SendTarget, ServerMode, Side, Transport,
};

use crate::common::log::{labelled, named, received_frames, sent_frames};
use crate::common::{
    connect_over, eventually, framescope, printed, python_server, real_servers, records,
    send_profile, start_server_over, text,
};

/// An engine whose server listens over UDP on `addr` (port 0).
fn udp_server(
    limits: Limits,
    mode: ServerMode,
    profile: Option<Arc<Profile>>,
    addr: &str,
) -> (Engine, SocketAddr) {
    let engine = Engine::with_config(limits, JournalLimits::default()).unwrap();
    let addr = start_server_over(&engine, mode, profile, Transport::Udp, addr);
    (engine, addr)
}

/// A plain socket on `addr`'s loopback family, which gives up after 5 s.
fn peer_socket(addr: SocketAddr) -> UdpSocket {
    let local = if addr.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let socket = UdpSocket::bind(local).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket
}

/// The server's records, once `count` of them are in the journal.
fn server_records(engine: &Engine, count: usize) -> Vec<RecordView> {
    let server = |engine: &Engine| -> Vec<RecordView> {
        records(engine)
            .into_iter()
            .filter(|r| r.side == Side::Server)
            .collect()
    };
    assert!(
        eventually(|| server(engine).len() >= count),
        "{count} server records: {:#?}",
        server(engine)
    );
    server(engine)
}

/// The tutorial's request: {"action": "search", "value": VALUE}.
fn frame(value: &str) -> Bytes {
    FrameBuilder::json(&serde_json::json!({"action": "search", "value": value}))
        .build()
        .unwrap()
}

/// A Python client: from each of `sockets` sockets, sends the frame given
/// in hex to HOST PORT and prints the reply in hex and its local port.
const PYTHON_CLIENT: &str = r#"
import socket, sys
host, port, frame, sockets = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
for _ in range(sockets):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(frame, (host, port))
    data, sender = s.recvfrom(65535)
    print(data.hex(), s.getsockname()[1], sender[1])
"#;

#[test]
fn frame_echo_over_udp_answers_python_sockets_on_both_families() {
    for listen in ["127.0.0.1:0", "[::1]:0"] {
        let (engine, addr) = udp_server(Limits::default(), ServerMode::FrameEcho, None, listen);
        let sent = frame("你好");
        let host = addr.ip().to_string();
        let output = std::process::Command::new("python3")
            .args(["-c", PYTHON_CLIENT, &host, &addr.port().to_string()])
            .arg(hex(&sent))
            .arg("2")
            .output()
            .expect("python3 runs");
        assert!(output.status.success(), "{}", printed(&output));
        let lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let mut ports = Vec::new();
        for line in &lines {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(
                parts[0],
                hex(&sent),
                "the echo is the datagram, byte for byte"
            );
            assert_eq!(
                parts[2],
                addr.port().to_string(),
                "it comes from the server's port"
            );
            ports.push(parts[1].parse::<u16>().unwrap());
        }
        // Two sockets, two sessions: each received frame and its echo,
        // recorded as UDP with both addresses.
        let server = server_records(&engine, 4);
        let sessions: std::collections::BTreeSet<u32> = server.iter().map(|r| r.conn).collect();
        assert_eq!(sessions.len(), 2, "{server:#?}");
        for record in &server {
            assert_eq!(record.transport, Transport::Udp);
            assert_eq!(record.kind, RecordKind::Frame);
            assert_eq!(record.bytes, sent);
            assert_eq!(record.local, Some(addr));
            let peer = record.peer.expect("a peer");
            assert!(ports.contains(&peer.port()), "{peer} is one of {ports:?}");
            assert_eq!(peer.is_ipv6(), addr.is_ipv6());
        }
        let view = engine.fresh_view();
        assert_eq!(view.server.transport, Transport::Udp);
        assert_eq!(view.server.accepted, 2);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Python UDP server that reads each datagram as the tutorial's
/// request (2-byte header length, JSON header, content in the header's
/// encoding) and answers with a frame of its own: {"result": "Got VALUE"}.
const PYTHON_SERVER: &str = r#"
import json, socket, struct, sys
family = socket.AF_INET6 if sys.argv[1] == "::1" else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
print("listening on", s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(65535)
    (header_len,) = struct.unpack(">H", data[:2])
    header = json.loads(data[2:2 + header_len].decode("utf-8"))
    content = data[2 + header_len:2 + header_len + header["content-length"]]
    request = json.loads(content.decode(header["content-encoding"]))
    answer = json.dumps({"result": "Got " + request["value"]}, ensure_ascii=False).encode("utf-8")
    reply_header = json.dumps({"byteorder": sys.byteorder, "content-type": "text/json",
                               "content-encoding": "utf-8", "content-length": len(answer)}).encode("utf-8")
    s.sendto(struct.pack(">H", len(reply_header)) + reply_header + answer, peer)
"#;

#[test]
fn framescope_sockets_talk_to_a_python_udp_server_on_both_families() {
    for host in ["127.0.0.1", "::1"] {
        let mut python = std::process::Command::new("python3");
        python.args(["-c", PYTHON_SERVER, host]);
        let (mut server, port) = python_server(python);
        let to = SocketAddr::new(host.parse().unwrap(), port).to_string();
        let output = framescope(&[
            "send",
            "--udp",
            "--to",
            &to,
            "--connections",
            "3",
            "--json",
            r#"{"action": "search", "value": "你好"}"#,
            "--timeout",
            "10",
        ]);
        let _ = server.kill();
        let _ = server.wait();
        assert!(output.status.success(), "{}", printed(&output));
        let out = text(&output.stdout);
        assert_eq!(out.matches("Got 你好").count(), 3, "{out}");
        assert!(
            out.contains("3 connections (0 failed); sent 3 frames")
                && out.contains("received 3 frames"),
            "{out}"
        );
    }
}

#[test]
fn a_send_to_a_port_nobody_listens_on_reports_the_refusal() {
    // A port that was free a moment ago, on each family.
    for local in ["127.0.0.1:0", "[::1]:0"] {
        let to = UdpSocket::bind(local)
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string();
        let output = framescope(&[
            "send",
            "--udp",
            "--to",
            &to,
            "--text",
            "anyone?",
            "--timeout",
            "5",
        ]);
        assert!(!output.status.success(), "{}", printed(&output));
        let out = text(&output.stdout);
        assert!(
            out.contains(&format!("port unreachable: nothing listens at {to}")),
            "{}",
            printed(&output)
        );
    }
}

#[test]
fn dnsmasq_answers_a_dns_query_over_udp_under_the_dns_profile() {
    let dns = real_servers::dnsmasq();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dns.jsonl");
    // fs.test, type A, class IN: with no length before it.
    let question = "02 66 73 04 74 65 73 74 00 00 01 00 01";
    let output = send_profile(
        "dns",
        dns.port,
        &log,
        &[
            "--udp",
            "--field",
            "id=0x4321",
            "--field",
            "rd=1",
            "--field",
            "qdcount=1",
            "--field",
            &format!("body={question}"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0]["wire_len"], 25,
        "12 header bytes and the question: no length"
    );
    assert_eq!(sent[0]["transport"], "udp");
    let replies = received_frames(&log);
    assert_eq!(replies.len(), 1, "{replies:?}");
    let reply = &replies[0];
    assert_eq!(reply["transport"], "udp");
    assert_eq!(reply["profile"], "dns");
    assert_eq!(named(reply, "id").0, 0x4321);
    assert_eq!(named(reply, "qr"), labelled(1, "response"));
    assert_eq!(named(reply, "rcode"), labelled(0, "noerror"));
    assert_eq!(named(reply, "ancount").0, 1);
    let body = named(reply, "body").0;
    let body = body.as_str().unwrap().to_owned();
    assert!(body.starts_with(question), "{body}");
    assert!(
        body.ends_with("00 04 7f 00 00 07"),
        "127.0.0.7 answered: {body}"
    );
}

#[test]
fn empty_largest_cut_and_broken_datagrams_are_one_row_each() {
    let limits = Limits {
        datagram_buffer: 1024,
        ..Limits::default()
    };
    // Raw echo with a 1024-byte buffer: an empty datagram is an empty
    // chunk (echoed), one of 2000 bytes is an error row of its first 1024.
    let (engine, addr) = udp_server(limits, ServerMode::RawEcho, None, "127.0.0.1:0");
    let socket = peer_socket(addr);
    socket.send_to(&[], addr).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        socket.recv(&mut buf).unwrap(),
        0,
        "the empty datagram is echoed"
    );
    socket.send_to(&[0xAB; 2000], addr).unwrap();
    let rows = server_records(&engine, 3);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!((rows[0].kind, rows[0].bytes.len()), (RecordKind::Chunk, 0));
    assert_eq!((rows[1].kind, rows[1].bytes.len()), (RecordKind::Chunk, 0));
    assert_eq!(rows[2].kind, RecordKind::Error);
    assert_eq!(rows[2].bytes.len(), 1024);
    let why = rows[2].error.as_ref().unwrap().to_string();
    assert!(why.contains("truncated") && why.contains("1024"), "{why}");
    drop(engine);

    // Frame echo with the whole of UDP: the largest IPv4 datagram (65,507
    // bytes) is one frame, echoed whole; an empty one and one that is not
    // a frame are one error row each.
    let (engine, addr) = udp_server(
        Limits::default(),
        ServerMode::FrameEcho,
        None,
        "127.0.0.1:0",
    );
    let socket = peer_socket(addr);
    let header_only = FrameBuilder::new().build().unwrap().len();
    let largest = FrameBuilder::new()
        .content(vec![b'x'; 65_507 - header_only - 5])
        .build()
        .unwrap();
    let largest = if largest.len() != 65_507 {
        // The header's content-length grew by digits: fit it again.
        let content = 65_507 - (largest.len() - (65_507 - header_only - 5));
        FrameBuilder::new()
            .content(vec![b'x'; content])
            .build()
            .unwrap()
    } else {
        largest
    };
    assert_eq!(largest.len(), 65_507);
    socket.send_to(&largest, addr).unwrap();
    let mut back = vec![0u8; 70_000];
    let got = socket.recv(&mut back).unwrap();
    assert_eq!(&back[..got], &largest[..], "echoed whole");
    socket.send_to(&[], addr).unwrap();
    socket.send_to(b"not a frame at all", addr).unwrap();
    let rows = server_records(&engine, 4);
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert_eq!(rows[0].bytes.len(), 65_507);
    assert_eq!(rows[0].kind, RecordKind::Frame);
    assert_eq!(rows[1].kind, RecordKind::Frame);
    assert_eq!(rows[2].kind, RecordKind::Error);
    assert!(
        rows[2]
            .error
            .as_ref()
            .unwrap()
            .to_string()
            .contains("datagram of 0 bytes")
    );
    assert_eq!(rows[3].kind, RecordKind::Error);
    assert_eq!(&rows[3].bytes[..], b"not a frame at all");
}

#[test]
fn a_profile_decides_each_datagram() {
    let modbus = Profile::builtin("modbus-tcp").unwrap();
    let (engine, addr) = udp_server(
        Limits::default(),
        ServerMode::FrameEcho,
        Some(modbus.clone()),
        "[::1]:0",
    );
    let socket = peer_socket(addr);
    let good = modbus
        .encode(
            &[
                ("transaction".into(), "7".into()),
                ("unit".into(), "1".into()),
                ("function".into(), "read-holding-registers".into()),
                ("address".into(), "0".into()),
                ("quantity".into(), "2".into()),
            ],
            framescope::engine::Role::Request,
        )
        .unwrap();
    let mut wrong_protocol = good.clone();
    wrong_protocol[3] = 1;
    socket.send_to(&good, addr).unwrap();
    let mut buf = [0u8; 64];
    let got = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..got], &good[..]);
    socket.send_to(&wrong_protocol, addr).unwrap();
    let rows = server_records(&engine, 3);
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!(
        rows[0].profile.as_ref().map(|p| p.name()),
        Some("modbus-tcp")
    );
    assert_eq!(rows[2].kind, RecordKind::Error);
    let why = rows[2].error.as_ref().unwrap().to_string();
    assert!(why.contains("protocol"), "{why}");
}

#[test]
fn sessions_past_the_cap_evict_the_idlest_and_idle_ones_close() {
    let limits = Limits {
        max_connections: 3,
        udp_idle: Duration::from_millis(400),
        ..Limits::default()
    };
    let (engine, addr) = udp_server(limits, ServerMode::RawEcho, None, "127.0.0.1:0");
    let mut events = engine.subscribe_connections();
    let sockets: Vec<UdpSocket> = (0..5).map(|_| peer_socket(addr)).collect();
    for (index, socket) in sockets.iter().enumerate() {
        socket
            .send_to(format!("peer {index}").as_bytes(), addr)
            .unwrap();
        let mut buf = [0u8; 16];
        socket.recv(&mut buf).unwrap();
    }
    let view = engine.fresh_view();
    assert_eq!(view.server.open_connections, 3);
    assert_eq!(view.server.accepted, 5);
    assert_eq!(view.server.evicted, 2);
    // The first two peers were idle longest: they were evicted. The
    // others close after the idle time.
    assert!(eventually(
        || engine.fresh_view().server.open_connections == 0
    ));
    let mut closed = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Some(reason) = event.closed {
            closed.push((event.peer, reason));
        }
    }
    let peer_of = |index: usize| sockets[index].local_addr().unwrap();
    assert_eq!(closed.len(), 5, "{closed:?}");
    assert_eq!(closed[0], (peer_of(0), CloseReason::Evicted));
    assert_eq!(closed[1], (peer_of(1), CloseReason::Evicted));
    for (peer, reason) in &closed[2..] {
        assert!([peer_of(2), peer_of(3), peer_of(4)].contains(peer));
        assert_eq!(*reason, CloseReason::Idle { after_ms: 400 });
    }
    // A peer heard again after its session closed opens a new one.
    sockets[0].send_to(b"back", addr).unwrap();
    assert!(eventually(|| engine.fresh_view().server.accepted == 6));
}

#[test]
fn udp_client_sockets_each_get_their_own_replies() {
    let (engine, addr) = udp_server(
        Limits::default(),
        ServerMode::FrameEcho,
        None,
        "127.0.0.1:0",
    );
    let report = connect_over(&engine, addr, 5, ClientMode::Framed, Transport::Udp);
    assert_eq!(report.opened, 5);
    let message = frame("to every socket");
    let outcome = engine.command(Command::Send {
        target: SendTarget::All,
        bytes: message.clone(),
    });
    assert!(matches!(outcome, framescope::engine::CommandOutcome::Sent(r) if r.queued == 5));
    assert!(eventually(|| engine
        .fresh_view()
        .client_counters
        .frames_received
        == 5));
    let view = engine.fresh_view();
    let locals: std::collections::BTreeSet<SocketAddr> =
        view.connections.iter().filter_map(|c| c.local).collect();
    assert_eq!(locals.len(), 5, "a local port each");
    for summary in view.connections.iter() {
        assert_eq!(summary.transport, Transport::Udp);
        assert_eq!(summary.counters.frames_sent, 1);
        assert_eq!(
            summary.counters.frames_received, 1,
            "its own echo came back to it"
        );
    }
    assert_eq!(view.server.accepted, 5, "five sessions");
    // Ten rows on each side: five datagrams each way.
    let all = records(&engine);
    assert_eq!(all.iter().filter(|r| r.side == Side::Client).count(), 10);
    assert_eq!(all.iter().filter(|r| r.side == Side::Server).count(), 10);
}

#[test]
fn rules_answer_datagrams_and_a_close_rule_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
when.json."/action" = "quit"
then.close = true

[[rule]]
when.json."/action" = "search"
capture.value = { json = "/value" }
then.reply.json = { result = "found {{value}}" }
"#,
    )
    .unwrap();
    let set = framescope::engine::rules::load(&rules).unwrap();
    let engine = Engine::with_config(Limits::default(), JournalLimits::default()).unwrap();
    engine.command(Command::SetRules(Some(Arc::new(set))));
    let addr = start_server_over(
        &engine,
        ServerMode::Rules,
        None,
        Transport::Udp,
        "127.0.0.1:0",
    );
    let socket = peer_socket(addr);
    socket.send_to(&frame("cats"), addr).unwrap();
    let mut buf = [0u8; 1024];
    let got = socket.recv(&mut buf).unwrap();
    let reply = String::from_utf8_lossy(&buf[..got]).into_owned();
    assert!(reply.contains("found cats"), "{reply}");
    let quit = FrameBuilder::json(&serde_json::json!({"action": "quit"}))
        .build()
        .unwrap();
    socket.send_to(&quit, addr).unwrap();
    assert!(eventually(|| {
        let view = engine.fresh_view();
        view.server.accepted == 1 && records(&engine).len() == 3
    }));
    // The next datagram from the same peer opens a session of its own.
    socket.send_to(&frame("dogs"), addr).unwrap();
    let got = socket.recv(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..got]).contains("found dogs"));
    assert_eq!(engine.fresh_view().server.accepted, 2);
}

/// A UDP echo peer in Python that, of every ten datagrams (counted from
/// 0), drops the tenth, echoes the fourth twice, and echoes the seventh
/// before the sixth: one lost, one duplicated and one reordered in ten.
const PYTHON_UNRELIABLE_ECHO: &str = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("listening on", s.getsockname()[1], flush=True)
n, held = 0, None
while True:
    data, peer = s.recvfrom(65535)
    i, n = n % 10, n + 1
    if i == 9:
        continue
    if i == 5:
        held = data
        continue
    s.sendto(data, peer)
    if i == 3:
        s.sendto(data, peer)
    if i == 6 and held is not None:
        s.sendto(held, peer)
        held = None
"#;

/// `framescope load --udp ARGS… --json -`: the result.
fn load_udp(to: &str, args: &[&str]) -> framescope::engine::load::LoadReport {
    let mut all = vec!["load", "--udp", "--to", to, "--quiet", "--json", "-"];
    all.extend(args);
    let output = framescope(&all);
    assert!(output.status.success(), "{}", printed(&output));
    framescope::engine::load::LoadReport::from_json(&text(&output.stdout))
        .unwrap_or_else(|e| panic!("{e}: {}", printed(&output)))
}

#[test]
fn load_counts_the_datagrams_an_unreliable_peer_loses_repeats_and_reorders() {
    let mut python = std::process::Command::new("python3");
    python.args(["-c", PYTHON_UNRELIABLE_ECHO]);
    let (mut peer, port) = python_server(python);
    let to = format!("127.0.0.1:{port}");
    // One socket, open loop: the seventh goes out before the sixth is
    // answered, so the peer can answer them the other way round.
    let report = load_udp(
        &to,
        &[
            "--rate",
            "500",
            "--duration",
            "2",
            "--warmup",
            "0",
            "--loss-timeout",
            "0.5",
        ],
    );
    let _ = peer.kill();
    let _ = peer.wait();
    let d = report.datagrams.expect("a UDP run counts its datagrams");
    assert!(d.sent >= 900, "{d:?}");
    let tenths = d.sent / 10;
    // The last group of ten may stop anywhere: within one of a tenth each.
    let near = |count: u64| count.abs_diff(tenths) <= 1;
    assert!(near(d.lost), "lost a tenth: {d:?}");
    assert!(near(d.duplicated), "one in ten twice: {d:?}");
    assert!(near(d.reordered), "one in ten late: {d:?}");
    assert_eq!(d.received + d.lost, d.sent, "{d:?}");
    assert_eq!(report.settings.transport, Transport::Udp);
}

#[test]
fn load_at_a_set_rate_against_serve_udp_loses_nothing() {
    use std::io::{BufRead, BufReader};
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_framescope"))
        .args([
            "serve",
            "--udp",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--capture",
            "off",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("not a listening line: {line}"))
        .to_owned();
    let framed = load_udp(
        &addr,
        &[
            "--connections",
            "4",
            "--rate",
            "4000",
            "--duration",
            "2",
            "--warmup",
            "0.5",
            "--verify",
            "all",
        ],
    );
    let _ = serve.kill();
    let _ = serve.wait();
    let d = framed.datagrams.unwrap();
    assert!(d.sent >= 9_000, "{d:?}");
    assert_eq!((d.lost, d.duplicated, d.reordered), (0, 0, 0), "{d:?}");
    assert_eq!(d.received, d.sent);
    assert_eq!(framed.errors, 0, "{:?}", framed.first_errors);
    assert!(framed.latency_us.count > 0);
}

#[test]
fn a_raw_udp_load_needs_room_for_its_sequence_and_tls_is_refused() {
    for (args, words) in [
        (
            &["--raw", "--text", "abc"][..],
            "first 8 carry its sequence number",
        ),
        (&["--tls"][..], "TLS is for TCP"),
    ] {
        let mut all = vec!["load", "--udp", "--to", "127.0.0.1:9"];
        all.extend(args);
        let output = framescope(&all);
        assert!(!output.status.success(), "{}", printed(&output));
        assert!(text(&output.stderr).contains(words), "{}", printed(&output));
    }
}

/// A scenario file over UDP against a frame-echo server over UDP: a
/// search, its echo matched by fields, a datagram that is not a frame
/// seen as a decode error, and the socket reading on.
const UDP_SCENARIO: &str = r#"
[[scenario]]
name = "over udp"

[[scenario.step]]
connect = { udp = true }

[[scenario.step]]
send.json = { action = "search", value = "morpheus" }

[[scenario.step]]
expect.json."/value" = "morpheus"

[[scenario.step]]
send.json = { action = "search", value = "trinity" }

[[scenario.step]]
expect.json."/value" = "trinity"
"#;

#[test]
fn a_scenario_runs_over_udp_and_expect_closed_is_refused_at_its_line() {
    let (engine, addr) = udp_server(
        Limits::default(),
        ServerMode::FrameEcho,
        None,
        "127.0.0.1:0",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("udp.toml");
    std::fs::write(&file, UDP_SCENARIO).unwrap();
    let output = framescope(&["run", file.to_str().unwrap(), "--target", &addr.to_string()]);
    assert!(output.status.success(), "{}", printed(&output));
    assert!(
        text(&output.stdout).contains("1 scenarios: 1 passed"),
        "{}",
        printed(&output)
    );
    // Two datagrams each way, each a session's record on the server.
    let server = server_records(&engine, 4);
    assert!(server.iter().all(|r| r.transport == Transport::Udp));
    assert_eq!(
        engine.fresh_view().server.accepted,
        1,
        "one socket, one session"
    );

    // `run --udp` makes a file's plain connect a UDP socket.
    let plain = UDP_SCENARIO.replace("connect = { udp = true }", "connect = {}");
    std::fs::write(&file, &plain).unwrap();
    let output = framescope(&[
        "run",
        file.to_str().unwrap(),
        "--udp",
        "--target",
        &addr.to_string(),
    ]);
    assert!(output.status.success(), "{}", printed(&output));
    assert_eq!(engine.fresh_view().server.accepted, 2);

    // A peer closing a UDP socket means nothing: refused before anything runs.
    let closed = format!("{UDP_SCENARIO}\n[[scenario.step]]\nexpect.closed = true\n");
    std::fs::write(&file, &closed).unwrap();
    let output = framescope(&["run", file.to_str().unwrap(), "--target", &addr.to_string()]);
    assert_eq!(output.status.code(), Some(2), "{}", printed(&output));
    let said = text(&output.stderr);
    // The step's line: the [[scenario.step]] before expect.closed.
    let line = closed[..closed.find("expect.closed").unwrap()]
        .lines()
        .count();
    assert!(
        said.contains(&format!(":{line}:1:"))
            && said.contains("expect.closed has no meaning over UDP"),
        "{said}"
    );
    assert_eq!(engine.fresh_view().server.accepted, 2, "nothing was sent");
}

/// An engine relaying over UDP, from a port of its own to `target`.
fn udp_relay(target: SocketAddr) -> (Engine, SocketAddr) {
    let engine = Engine::new().unwrap();
    engine.command(Command::StartServer {
        join: None,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode: ServerMode::Relay,
        tls: None,
        upstream: Some(target.into()),
        profile: None,
        transport: Transport::Udp,
    });
    let addr = crate::common::wait_event(&engine, |event| match event {
        framescope::engine::Event::ServerStarted { addr, .. } => Some(addr),
        framescope::engine::Event::ServerFailed(error) => panic!("{error}"),
        _ => None,
    });
    (engine, addr)
}

#[test]
fn relay_over_udp_carries_a_python_exchange_and_holds_a_datagram_for_intercept() {
    let mut python = std::process::Command::new("python3");
    python.args(["-c", PYTHON_SERVER, "127.0.0.1"]);
    let (mut target, port) = python_server(python);
    let target_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let (relay, addr) = udp_relay(target_addr);
    let client = peer_socket(addr);
    client.send_to(&frame("你好"), addr).unwrap();
    let mut buf = [0u8; 2048];
    let got = client.recv(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..got]).into_owned();
    assert!(answer.contains("Got 你好"), "{answer}");

    // Both legs recorded, each naming the other, as UDP.
    let rows = records(&relay);
    let client_leg: Vec<&RecordView> = rows.iter().filter(|r| r.side == Side::Server).collect();
    let target_leg: Vec<&RecordView> = rows.iter().filter(|r| r.side == Side::Client).collect();
    assert_eq!(client_leg.len(), 2, "{rows:#?}");
    assert_eq!(target_leg.len(), 2, "{rows:#?}");
    assert!(rows.iter().all(|r| r.transport == Transport::Udp));
    assert_eq!(client_leg[0].link, Some(target_leg[0].conn));
    assert_eq!(target_leg[0].link, Some(client_leg[0].conn));
    assert_eq!(target_leg[0].peer, Some(target_addr));
    assert_eq!(target_leg[0].bytes, frame("你好"), "sent on as it came");

    // Intercept: a datagram toward the server waits, is edited, goes on.
    relay.command(Command::SetHold(framescope::engine::relay::HoldSettings {
        toward_server: true,
        ..Default::default()
    }));
    client.send_to(&frame("original"), addr).unwrap();
    assert!(eventually(|| relay.fresh_view().relay.held.len() == 1));
    let held = relay.fresh_view().relay.held[0].clone();
    assert_eq!(held.toward, framescope::engine::relay::Toward::Server);
    assert_eq!(held.bytes, frame("original"));
    relay.command(Command::Release {
        id: held.id,
        release: framescope::engine::relay::Release::Replace(frame("edited")),
    });
    let got = client.recv(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..got]).into_owned();
    assert!(answer.contains("Got edited"), "{answer}");
    let _ = target.kill();
    let _ = target.wait();
}

/// Sends one datagram to a multicast group from Python, with a hop limit
/// of 0 so it never leaves this host (the sending interface loops it back).
const PYTHON_MULTICAST_SENDER: &str = r#"
import socket, sys
group, port, index = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if ":" in group:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 0)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    s.sendto(b"to the group", (group, port, 0, index))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
    s.sendto(b"to the group", (group, port))
"#;

/// The index of an interface that can carry multicast (the first up, not
/// loopback one, which is what the system's default choice would be), if
/// the machine has one.
fn multicast_interface_index() -> Option<u32> {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import socket\nfor i, name in socket.if_nameindex():\n    if name != 'lo' and open(f'/sys/class/net/{name}/operstate').read().strip() == 'up':\n        print(i); break",
        ])
        .output()
        .ok()?;
    text(&output.stdout).trim().parse().ok()
}

#[test]
fn a_udp_server_joins_a_multicast_group_and_hears_it_on_both_families() {
    use framescope::engine::{MulticastInterface, MulticastJoin};
    let Some(index) = multicast_interface_index() else {
        eprintln!("skipped: this machine has no interface up that carries multicast");
        return;
    };
    for (listen, group, interface) in [
        ("239.255.77.1:0", "239.255.77.1", MulticastInterface::Any),
        ("[::]:0", "ff02::7761", MulticastInterface::V6(index)),
    ] {
        let engine = Engine::new().unwrap();
        let join = MulticastJoin::new(group.parse().unwrap(), interface).unwrap();
        engine.command(Command::StartServer {
            addr: listen.parse().unwrap(),
            mode: ServerMode::RawEcho,
            tls: None,
            upstream: None,
            profile: None,
            transport: Transport::Udp,
            join: Some(join),
        });
        let addr = crate::common::wait_event(&engine, |event| match event {
            framescope::engine::Event::ServerStarted { addr, .. } => Some(Ok(addr)),
            framescope::engine::Event::ServerFailed(error) => Some(Err(error.to_string())),
            _ => None,
        });
        let addr = match addr {
            Ok(addr) => addr,
            Err(why) => {
                eprintln!("skipped {group}: the group cannot be joined here: {why}");
                continue;
            }
        };
        let sent = std::process::Command::new("python3")
            .args(["-c", PYTHON_MULTICAST_SENDER, group])
            .arg(addr.port().to_string())
            .arg(index.to_string())
            .output()
            .unwrap();
        assert!(sent.status.success(), "{}", printed(&sent));
        let rows = server_records(&engine, 1);
        assert_eq!(&rows[0].bytes[..], b"to the group", "{group}");
        assert_eq!(rows[0].transport, Transport::Udp);
    }
    // Over the command line, an address that is no group is refused.
    let output = framescope(&[
        "serve",
        "--udp",
        "--multicast",
        "10.0.0.1",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("10.0.0.1 is not a multicast group"),
        "{}",
        printed(&output)
    );
}

#[test]
fn a_broadcast_on_loopback_is_answered_and_the_answer_names_who_answered() {
    // A raw echo bound to every address on a free port, as a host on the
    // network would be: it hears the loopback network's broadcast.
    const ECHO: &str = "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 0))\nprint('listening on', s.getsockname()[1], flush=True)\nwhile True:\n    data, peer = s.recvfrom(65535)\n    s.sendto(data, peer)\n";
    let mut python = std::process::Command::new("python3");
    python.args(["-c", ECHO]);
    let (mut echo, port) = python_server(python);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("broadcast.jsonl");
    let to = format!("127.255.255.255:{port}");
    let output = framescope(&[
        "send",
        "--udp",
        "--broadcast",
        "--raw",
        "--text",
        "anyone there?",
        "--to",
        &to,
        "--timeout",
        "5",
        "--log",
        log.to_str().unwrap(),
    ]);
    let _ = echo.kill();
    let _ = echo.wait();
    if text(&output.stdout).contains("Permission denied")
        || text(&output.stderr).contains("Permission denied")
    {
        eprintln!(
            "skipped: this platform refuses a broadcast on loopback: {}",
            printed(&output)
        );
        return;
    }
    assert!(output.status.success(), "{}", printed(&output));
    let rows = crate::common::log::records(&log);
    let sent: Vec<_> = rows.iter().filter(|r| r["direction"] == "sent").collect();
    let answers: Vec<_> = rows
        .iter()
        .filter(|r| r["direction"] == "received")
        .collect();
    assert_eq!(sent.len(), 1, "{rows:#?}");
    assert_eq!(sent[0]["peer"], to.as_str());
    assert_eq!(answers.len(), 1, "{rows:#?}");
    assert_eq!(
        answers[0]["peer"],
        format!("127.0.0.1:{port}").as_str(),
        "who answered"
    );
    assert_ne!(
        answers[0]["conn"], sent[0]["conn"],
        "an answering address is a peer of its own"
    );
    assert_eq!(answers[0]["content"], "anyone there?");
}

#[test]
fn raw_echo_rules_and_relay_serve_udp_on_both_families() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nwhen.json.\"/action\" = \"search\"\nthen.reply.text = \"found\"\n",
    )
    .unwrap();
    let set = Arc::new(framescope::engine::rules::load(&rules).unwrap());
    for (listen, family) in [("127.0.0.1:0", "IPv4"), ("[::1]:0", "IPv6")] {
        // Raw echo: the datagram back as it came.
        let (engine, addr) = udp_server(Limits::default(), ServerMode::RawEcho, None, listen);
        let socket = peer_socket(addr);
        socket.send_to(b"\x00\x01 raw bytes", addr).unwrap();
        let mut buf = [0u8; 2048];
        let got = socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..got], b"\x00\x01 raw bytes", "{family} raw echo");
        drop(engine);

        // Rules: the rule's reply.
        let engine = Engine::new().unwrap();
        engine.command(Command::SetRules(Some(set.clone())));
        let addr = start_server_over(&engine, ServerMode::Rules, None, Transport::Udp, listen);
        let socket = peer_socket(addr);
        socket.send_to(&frame("x"), addr).unwrap();
        let got = socket.recv(&mut buf).unwrap();
        assert!(
            String::from_utf8_lossy(&buf[..got]).ends_with("found"),
            "{family} rules"
        );
        drop(engine);

        // Relay: to a frame echo of the same family, and back.
        let (target, target_addr) =
            udp_server(Limits::default(), ServerMode::FrameEcho, None, listen);
        let relay = Engine::new().unwrap();
        relay.command(Command::StartServer {
            addr: listen.parse().unwrap(),
            mode: ServerMode::Relay,
            tls: None,
            upstream: Some(target_addr.into()),
            profile: None,
            transport: Transport::Udp,
            join: None,
        });
        let addr = crate::common::wait_event(&relay, |event| match event {
            framescope::engine::Event::ServerStarted { addr, .. } => Some(addr),
            framescope::engine::Event::ServerFailed(error) => panic!("{error}"),
            _ => None,
        });
        let socket = peer_socket(addr);
        socket.send_to(&frame("relayed"), addr).unwrap();
        let got = socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..got], &frame("relayed")[..], "{family} relay");
        assert!(records(&relay).iter().all(|r| r.transport == Transport::Udp
            && r.peer.is_some_and(|p| p.is_ipv6() == addr.is_ipv6())));
        drop((relay, target));
    }
}
