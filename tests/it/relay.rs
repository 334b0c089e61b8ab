//! The relay: both legs recorded and linked, closes and resets passed
//! through, intercept (hold, edit, drop, inject), an unreachable target,
//! a bad frame on one leg, and `framescope relay` between the Python
//! tutorial client and server.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::{eventually, records, start_server, wait_event};
use framescope::engine::relay::{HoldSettings, InterceptError, Release, Toward};
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{
    CloseReason, Command, CommandOutcome, Direction, Engine, Event, RecordKind, RecordView,
    ServerMode, Side, Target,
};

/// How long a test waits for bytes that should come.
const READ_WAIT: Duration = Duration::from_secs(10);

/// Starts a relay in `mode` on a free loopback port, forwarding to `to`.
fn start_relay(engine: &Engine, mode: ServerMode, to: SocketAddr) -> SocketAddr {
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode,
        tls: None,
        upstream: Some(Target::from(to)),
        profile: None,
    });
    wait_event(engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(addr),
        Event::ServerFailed(error) => panic!("relay failed: {error}"),
        _ => None,
    })
}

/// A frame-echo server in an engine of its own, and a relay to it.
fn relay_to_echo(mode: ServerMode) -> (Engine, Engine, SocketAddr) {
    let target = Engine::new().unwrap();
    let echo_mode = match mode {
        ServerMode::RawRelay => ServerMode::RawEcho,
        _ => ServerMode::FrameEcho,
    };
    let target_addr = start_server(&target, echo_mode);
    let relay = Engine::new().unwrap();
    let addr = start_relay(&relay, mode, target_addr);
    (relay, target, addr)
}

fn client(addr: SocketAddr) -> TcpStream {
    let socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(READ_WAIT)).unwrap();
    socket
}

fn frame(value: &str) -> Vec<u8> {
    search_request(value).build().unwrap().to_vec()
}

/// The records of one side, in order, that are frames or chunks.
fn traffic(records: &[RecordView], side: Side) -> Vec<&RecordView> {
    records
        .iter()
        .filter(|r| r.side == side && matches!(r.kind, RecordKind::Frame | RecordKind::Chunk))
        .collect()
}

/// Waits until the relay's journal holds at least `count` frames or chunks.
fn wait_for_traffic(engine: &Engine, count: usize) -> Vec<RecordView> {
    assert!(
        eventually(|| {
            records(engine)
                .iter()
                .filter(|r| matches!(r.kind, RecordKind::Frame | RecordKind::Chunk))
                .count()
                >= count
        }),
        "the journal never held {count} frames: {:#?}",
        records(engine)
    );
    records(engine)
}

#[test]
fn each_frame_is_recorded_once_per_leg_and_the_legs_name_each_other() {
    for mode in [ServerMode::Relay, ServerMode::RawRelay] {
        let (relay, _target, addr) = relay_to_echo(mode);
        let mut socket = client(addr);
        let request = frame("morpheus");
        socket.write_all(&request).unwrap();
        let mut echo = vec![0; request.len()];
        socket.read_exact(&mut echo).unwrap();
        assert_eq!(
            echo, request,
            "{mode}: the echo came back through the relay"
        );

        let records = wait_for_traffic(&relay, 4);
        let client_leg = traffic(&records, Side::Server);
        let upstream_leg = traffic(&records, Side::Client);
        assert_eq!(client_leg.len(), 2, "{mode}: {records:#?}");
        assert_eq!(upstream_leg.len(), 2, "{mode}: {records:#?}");
        let (client_conn, upstream_conn) = (client_leg[0].conn, upstream_leg[0].conn);
        assert_ne!(client_conn, upstream_conn);
        // In the order the bytes went: client → relay, relay → server,
        // server → relay, relay → client; each leg's bytes the same.
        let order: Vec<_> = records
            .iter()
            .filter(|r| matches!(r.kind, RecordKind::Frame | RecordKind::Chunk))
            .map(|r| (r.conn, r.direction))
            .collect();
        assert_eq!(
            order,
            [
                (client_conn, Direction::Received),
                (upstream_conn, Direction::Sent),
                (upstream_conn, Direction::Received),
                (client_conn, Direction::Sent),
            ],
            "{mode}"
        );
        for record in client_leg.iter().chain(&upstream_leg) {
            assert_eq!(
                &record.bytes[..],
                &request[..],
                "{mode}: byte-exact on each leg"
            );
        }
        assert!(client_leg.iter().all(|r| r.link == Some(upstream_conn)));
        assert!(upstream_leg.iter().all(|r| r.link == Some(client_conn)));
        let expected_kind = match mode {
            ServerMode::RawRelay => RecordKind::Chunk,
            _ => RecordKind::Frame,
        };
        assert!(records.iter().all(|r| r.kind == expected_kind));

        let conversation = relay.fresh_view().relay.conversation(client_conn).cloned();
        let conversation = conversation.expect("the conversation is listed");
        assert_eq!(conversation.upstream_conn, upstream_conn);
        assert_eq!(conversation.forwarded, [1, 1]);
        // Both legs count as the relay's, not as the server's or a client's.
        let view = relay.fresh_view();
        assert_eq!(
            (
                view.relay_counters.frames_received,
                view.relay_counters.frames_sent
            ),
            (2, 2),
            "{mode}"
        );
        assert_eq!(view.server_counters.frames_received, 0);
        assert_eq!(view.client_counters.frames_sent, 0);
    }
}

#[test]
fn a_half_close_passes_through_and_the_reply_still_arrives() {
    // A target that reads to the end, then answers and closes.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = target.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = target.accept().unwrap();
        socket.set_read_timeout(Some(READ_WAIT)).unwrap();
        let mut request = Vec::new();
        socket.read_to_end(&mut request).unwrap();
        socket.write_all(&request).unwrap();
        request
    });
    let relay = Engine::new().unwrap();
    let addr = start_relay(&relay, ServerMode::Relay, target_addr);
    let mut socket = client(addr);
    let request = frame("neo");
    socket.write_all(&request).unwrap();
    socket.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    socket.read_to_end(&mut reply).unwrap();
    assert_eq!(
        reply, request,
        "the answer after the half-close, then an end"
    );
    assert_eq!(server.join().unwrap(), request);
    assert!(eventually(
        || !relay.fresh_view().relay.conversations[0].is_open()
    ));
}

#[test]
fn a_reset_on_one_leg_resets_the_other() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = target.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut socket, _) = target.accept().unwrap();
        socket.set_read_timeout(Some(READ_WAIT)).unwrap();
        let mut buf = [0; 64];
        // The client's reset reaches the target as a reset, not an end.
        loop {
            match socket.read(&mut buf) {
                Ok(0) => return Err("a clean end".to_owned()),
                Ok(_) => continue,
                Err(error) => return Ok(error.kind()),
            }
        }
    });
    let relay = Engine::new().unwrap();
    let addr = start_relay(&relay, ServerMode::RawRelay, target_addr);
    let socket = client(addr);
    (&socket).write_all(b"hello").unwrap();
    wait_for_traffic(&relay, 2);
    socket2::SockRef::from(&socket)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(socket);
    assert_eq!(server.join().unwrap(), Ok(ErrorKind::ConnectionReset));
    assert!(eventually(|| {
        relay
            .fresh_view()
            .relay
            .conversations
            .first()
            .is_some_and(|c| !c.is_open())
    }));
}

#[test]
fn a_reset_from_the_target_resets_the_client() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let target_addr = target.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (socket, _) = target.accept().unwrap();
        let mut buf = [0; 5];
        (&socket).read_exact(&mut buf).unwrap();
        socket2::SockRef::from(&socket)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    let relay = Engine::new().unwrap();
    let addr = start_relay(&relay, ServerMode::RawRelay, target_addr);
    let mut socket = client(addr);
    socket.write_all(b"hello").unwrap();
    server.join().unwrap();
    let mut buf = [0; 16];
    let end = loop {
        match socket.read(&mut buf) {
            Ok(0) => break Err("a clean end".to_owned()),
            Ok(_) => continue,
            Err(error) => break Ok(error.kind()),
        }
    };
    assert_eq!(end, Ok(ErrorKind::ConnectionReset));
}

#[test]
fn an_unreachable_target_costs_its_conversation_with_the_reason() {
    // A port nothing listens on: bind one, then free it.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let relay = Engine::new().unwrap();
    let mut events = relay.subscribe_connections();
    let addr = start_relay(&relay, ServerMode::Relay, free);
    let mut socket = client(addr);
    let _ = socket.write_all(&frame("anyone?"));
    let mut buf = Vec::new();
    let end = socket.read_to_end(&mut buf);
    assert!(
        matches!(&end, Err(e) if e.kind() == ErrorKind::ConnectionReset) || buf.is_empty(),
        "the client's side ends as the target's did: {end:?}"
    );
    assert!(eventually(|| records(&relay).iter().any(|r| {
        r.kind == RecordKind::Note && String::from_utf8_lossy(&r.bytes).contains("cannot reach")
    })));
    let mut closed = None;
    assert!(eventually(|| {
        while let Ok(event) = events.try_recv() {
            closed = closed.take().or(event.closed);
        }
        closed.is_some()
    }));
    assert_eq!(
        closed,
        Some(CloseReason::OtherLeg(Box::new(CloseReason::Refused)))
    );
    // The relay goes on: the next conversation is its own.
    assert!(relay.fresh_view().server.listening.is_some());
}

#[test]
fn a_bad_frame_on_one_leg_is_an_error_row_there_and_ends_that_conversation_only() {
    let (relay, _target, addr) = relay_to_echo(ServerMode::Relay);
    let mut good = client(addr);
    let mut bad = client(addr);
    bad.write_all(b"\x00\x05{oops}garbage").unwrap();
    let mut rest = Vec::new();
    let _ = bad.read_to_end(&mut rest);
    assert!(rest.is_empty(), "nothing was forwarded of a bad frame");
    assert!(eventually(|| records(&relay)
        .iter()
        .any(|r| r.kind == RecordKind::Error && r.side == Side::Server)));
    let request = frame("still here");
    good.write_all(&request).unwrap();
    let mut echo = vec![0; request.len()];
    good.read_exact(&mut echo).unwrap();
    assert_eq!(echo, request, "the other conversation goes on");
}

/// Holds frames toward the server, with a long time-out.
fn hold_toward_server(engine: &Engine) {
    engine.command(Command::SetHold(HoldSettings {
        toward_server: true,
        ..HoldSettings::default()
    }));
}

/// Waits until `count` frames are held; returns their ids.
fn held(engine: &Engine, count: usize) -> Vec<u64> {
    assert!(
        eventually(|| engine.fresh_view().relay.held.len() == count),
        "{count} frames held"
    );
    engine
        .fresh_view()
        .relay
        .held
        .iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn intercept_holds_then_forwards_an_edited_frame_drops_one_and_injects_one() {
    let (relay, _target, addr) = relay_to_echo(ServerMode::Relay);
    hold_toward_server(&relay);
    let mut socket = client(addr);
    socket.write_all(&frame("original")).unwrap();
    let ids = held(&relay, 1);
    let view = relay.fresh_view();
    let held_frame = &view.relay.held[0];
    assert_eq!(held_frame.toward, Toward::Server);
    assert!(
        held_frame.seq.is_some_and(|seq| view.relay.is_held(seq)),
        "its arrival's record is marked held"
    );

    // Nothing in its place is refused, and it stays held.
    assert_eq!(
        relay.command(Command::Release {
            id: ids[0],
            release: Release::Replace(bytes::Bytes::new()),
        }),
        CommandOutcome::Refused(InterceptError::Empty)
    );
    assert_eq!(held(&relay, 1), ids);

    // Edited: the echo that comes back is of the edited frame.
    let edited = frame("edited");
    let outcome = relay.command(Command::Release {
        id: ids[0],
        release: Release::Replace(edited.clone().into()),
    });
    assert_eq!(outcome, CommandOutcome::Queued);
    let mut echo = vec![0; edited.len()];
    socket.read_exact(&mut echo).unwrap();
    assert_eq!(echo, edited, "the edited frame arrived, not the original");
    assert!(records(&relay).iter().any(|r| r.kind == RecordKind::Note
        && String::from_utf8_lossy(&r.bytes).contains("edited and forwarded")));
    // A frame released already cannot be released again.
    assert_eq!(
        relay.command(Command::Release {
            id: ids[0],
            release: Release::Forward,
        }),
        CommandOutcome::Refused(InterceptError::NotHeld(ids[0]))
    );

    // Dropped: it never arrives.
    socket.write_all(&frame("dropped")).unwrap();
    let ids = held(&relay, 1);
    relay.command(Command::Release {
        id: ids[0],
        release: Release::Drop,
    });
    assert!(relay.fresh_view().relay.held.is_empty());

    // Injected toward the client: it arrives, and nothing else before it.
    let conversation = relay.fresh_view().relay.conversations[0].id;
    let injected = frame("injected");
    let outcome = relay.command(Command::Inject {
        conversation,
        toward: Toward::Client,
        bytes: injected.clone().into(),
    });
    assert_eq!(outcome, CommandOutcome::Queued);
    let mut got = vec![0; injected.len()];
    socket.read_exact(&mut got).unwrap();
    assert_eq!(got, injected, "the dropped frame's echo never came");

    // Holding off: what is held goes on in order.
    socket.write_all(&frame("one")).unwrap();
    socket.write_all(&frame("two")).unwrap();
    held(&relay, 2);
    relay.command(Command::SetHold(HoldSettings::default()));
    let both = [frame("one"), frame("two")].concat();
    let mut got = vec![0; both.len()];
    socket.read_exact(&mut got).unwrap();
    assert_eq!(got, both);
}

/// A relay to a frame-echo server that holds frames toward the server for
/// 300 ms, then forwards them; and a client connected to it.
fn relay_holding_briefly() -> (Engine, Engine, TcpStream) {
    let (relay, target, addr) = relay_to_echo(ServerMode::Relay);
    relay.command(Command::SetHold(HoldSettings {
        toward_server: true,
        timeout: Duration::from_millis(300),
        on_timeout: framescope::engine::relay::HeldFate::Forward,
        ..HoldSettings::default()
    }));
    (relay, target, client(addr))
}

#[test]
fn a_held_frame_whose_time_is_up_meets_its_fate_with_a_note() {
    let (relay, _target, mut socket) = relay_holding_briefly();
    let request = frame("patience");
    socket.write_all(&request).unwrap();
    let mut echo = vec![0; request.len()];
    socket.read_exact(&mut echo).unwrap();
    assert_eq!(echo, request, "forwarded when its time was up");
    assert!(records(&relay).iter().any(|r| r.kind == RecordKind::Note
        && String::from_utf8_lossy(&r.bytes).contains("its time was up")));
}

#[test]
fn a_pinned_frame_waits_past_the_time_out_until_unpinned() {
    let (relay, _target, mut socket) = relay_holding_briefly();
    let request = frame("pinned");
    socket.write_all(&request).unwrap();
    let id = held(&relay, 1)[0];
    assert_eq!(
        relay.command(Command::PinHeld { id, pinned: true }),
        CommandOutcome::Queued
    );
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(held(&relay, 1), [id], "kept three time-outs long");
    relay.command(Command::PinHeld { id, pinned: false });
    let mut echo = vec![0; request.len()];
    socket.read_exact(&mut echo).unwrap();
    assert_eq!(echo, request, "the time-out ran again once unpinned");
    assert_eq!(
        relay.command(Command::PinHeld { id, pinned: true }),
        CommandOutcome::Refused(InterceptError::NotHeld(id))
    );
}

#[test]
fn a_closed_conversation_discards_what_it_held_with_a_note() {
    let (relay, _target, addr) = relay_to_echo(ServerMode::Relay);
    relay.command(Command::SetHold(HoldSettings {
        toward_client: true,
        ..HoldSettings::default()
    }));
    let mut socket = client(addr);
    socket.write_all(&frame("echo held")).unwrap();
    held(&relay, 1);
    socket2::SockRef::from(&socket)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(socket);
    assert!(eventually(|| relay.fresh_view().relay.held.is_empty()));
    assert!(eventually(|| records(&relay)
        .iter()
        .any(|r| r.kind == RecordKind::Note
            && String::from_utf8_lossy(&r.bytes).contains("discarded"))));
}

#[test]
fn a_relay_can_take_tls_from_its_clients_and_forward_plain_frames() {
    use framescope::engine::tls::{ClientTls, ServerTls, Verification};
    use framescope::engine::{ClientMode, SendTarget};

    let target = Engine::new().unwrap();
    let target_addr = start_server(&target, ServerMode::FrameEcho);
    let relay = Engine::new().unwrap();
    relay.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode: ServerMode::Relay,
        tls: Some(ServerTls::default()),
        upstream: Some(Target::from(target_addr)),
        profile: None,
    });
    let addr = wait_event(&relay, |event| match event {
        Event::ServerStarted { addr, .. } => Some(addr),
        Event::ServerFailed(error) => panic!("relay failed: {error}"),
        _ => None,
    });
    let fingerprint = relay.fresh_view().server.tls.expect("a TLS relay");

    let clients = Engine::new().unwrap();
    clients.command(Command::Connect {
        broadcast: false,
        transport: framescope::engine::Transport::Tcp,
        target: addr.into(),
        count: 1,
        mode: ClientMode::Framed,
        tls: Some(ClientTls {
            verification: Verification::Pin(fingerprint),
            ..ClientTls::default()
        }),
        profile: None,
    });
    let report = wait_event(&clients, |event| match event {
        Event::ConnectFinished { report, .. } => Some(report),
        _ => None,
    });
    assert_eq!(report.opened, 1);
    let request = frame("over tls");
    clients.command(Command::Send {
        target: SendTarget::All,
        bytes: request.clone().into(),
    });
    assert!(eventually(|| records(&clients).iter().any(|r| r.direction
        == Direction::Received
        && r.bytes[..] == request[..])));
    // The target saw the frame in plain TCP, as the relay forwarded it.
    assert!(
        records(&target)
            .iter()
            .any(|r| r.direction == Direction::Received && r.bytes[..] == request[..])
    );
    let relayed = records(&relay);
    assert!(
        relayed
            .iter()
            .any(|r| r.kind == RecordKind::Handshake && r.side == Side::Server)
    );
    assert_eq!(traffic(&relayed, Side::Client).len(), 2, "{relayed:#?}");
}

/// `framescope relay` between the Python tutorial client and server (its
/// stop is a SIGTERM, so Unix only).
#[cfg(unix)]
mod python_peers {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command as Process, Stdio};

    use super::common::{json_reply, python_peer};
    use framescope::engine::{Direction, RecordKind, RecordView, Side};

    /// The first line a child prints, without its newline.
    fn first_line(out: &mut impl BufRead) -> String {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }

    #[test]
    fn the_python_tutorial_client_gets_its_answers_through_framescope_relay() {
        let mut server = python_peer("tutorial_server.py")
            .args(["127.0.0.1", "0", "2"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let line = first_line(&mut BufReader::new(server.stdout.take().unwrap()));
        let server_port: u16 = line.rsplit(' ').next().unwrap().parse().unwrap();

        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("relay.jsonl");
        let mut relay = Process::new(env!("CARGO_BIN_EXE_framescope"))
            .args(["relay", "--listen", "127.0.0.1:0", "--to"])
            .arg(format!("127.0.0.1:{server_port}"))
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut relay_out = BufReader::new(relay.stdout.take().unwrap());
        let listening = first_line(&mut relay_out);
        let relay_addr = listening
            .strip_prefix("listening on ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("not a listening line: {listening}"));
        let relay_port = relay_addr.rsplit(':').next().unwrap();
        assert!(listening.contains("relay to 127.0.0.1:"), "{listening}");

        for (value, expected) in [
            ("morpheus", "{\"result\": \"Follow the white rabbit. 🐰\"}"),
            ("🐶", "{\"result\": \"🐾 Playing ball! 🏐\"}"),
        ] {
            let reply = json_reply(
                python_peer("tutorial_client.py")
                    .args(["127.0.0.1", relay_port, "search", value])
                    .output()
                    .unwrap(),
            );
            assert_eq!(reply["content"], expected);
            assert_eq!(
                reply["closed_after_reply"], true,
                "the server's close passed through"
            );
        }
        assert!(server.wait().unwrap().success());

        let status = Process::new("kill")
            .args(["-TERM", &relay.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut printed = String::new();
        relay_out.read_to_string(&mut printed).unwrap();
        assert!(relay.wait().unwrap().success());
        assert!(
            printed.contains("(↔ "),
            "legs are printed with their link:\n{printed}"
        );

        let loaded = framescope::engine::load_log(&log).unwrap();
        let records: Vec<RecordView> = loaded.records.views().collect();
        let frames: Vec<&RecordView> = records
            .iter()
            .filter(|r| r.kind == RecordKind::Frame)
            .collect();
        assert_eq!(
            frames.len(),
            8,
            "four legs of two conversations: {records:#?}"
        );
        for client_leg in frames.iter().filter(|r| r.side == Side::Server) {
            let other = client_leg.link.expect("a relayed leg names its other leg");
            // What the client sent went to the server as it was, and what the
            // server answered went back to the client as it was.
            let opposite = match client_leg.direction {
                Direction::Received => Direction::Sent,
                Direction::Sent => Direction::Received,
            };
            let twin = frames
                .iter()
                .find(|r| r.conn == other && r.direction == opposite)
                .expect("the same frame on the other leg");
            assert_eq!(twin.bytes, client_leg.bytes);
            assert_eq!(twin.link, Some(client_leg.conn));
        }
    }
}
