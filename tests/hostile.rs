//! Hostile peers against the embedded server (each mode where a case
//! applies) and the client pool, over loopback.
//!
//! After every case: the journal holds the error on the right connection
//! (part, offset, reason), the connection closed for the right reason, no
//! engine task panicked, and a well-behaved client is still served.
//!
//! Hostile peers are plain blocking sockets. Tests that measure the whole
//! process (open file descriptors, resident memory) take [`PROCESS`]
//! exclusively so that no other test's sockets or buffers blur the figure;
//! they read /proc, so they run on Linux only.

// A test binary of its own: the process-wide measures below (open file
// descriptors, resident memory) must not see other subjects' tests.
#[path = "it/common/mod.rs"]
mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once, RwLock, RwLockReadGuard};
use std::thread;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::{WAIT, connect, eventually, frames_echoed, records, start_server, wait_event};
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{
    ClientMode, CloseReason, Command, ConnState, ConnectionEvent, ContentLength, DecodeReason,
    Engine, Event, Frame, FrameBuilder, FrameCodec, FramePart, JournalLimits, Limits, PoolError,
    Profile, ReadError, ReadReason, RecordKind, Role, SendTarget, ServerMode, Side,
};
use serde_json::json;
use tokio::sync::broadcast::{self, error::TryRecvError};

/// Held shared by ordinary tests, exclusively by those that measure the process.
static PROCESS: RwLock<()> = RwLock::new(());
/// Panics on the engine's threads (a connection task that panicked).
static ENGINE_PANICS: AtomicUsize = AtomicUsize::new(0);

/// The engine's runtime names its threads so.
const ENGINE_THREAD: &str = "framescope-engine";
/// Longest a blocking read in these tests may wait.
const READ_WAIT: Duration = Duration::from_secs(10);
/// The modes that need nothing but a mode to start (rules mode needs a
/// rule set, and has tests of its own in tests/it/rules.rs).
const BUILT_IN_MODES: [ServerMode; 3] =
    [ServerMode::RawEcho, ServerMode::FrameEcho, ServerMode::App];

fn watch_engine_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if thread::current()
                .name()
                .is_some_and(|name| name.starts_with(ENGINE_THREAD))
            {
                ENGINE_PANICS.fetch_add(1, SeqCst);
            }
            default(info);
        }));
    });
}

fn shared_run() -> RwLockReadGuard<'static, ()> {
    watch_engine_panics();
    PROCESS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(target_os = "linux")]
fn exclusive_run() -> std::sync::RwLockWriteGuard<'static, ()> {
    watch_engine_panics();
    PROCESS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn assert_no_engine_panic() {
    assert_eq!(
        ENGINE_PANICS.load(SeqCst),
        0,
        "an engine task panicked (its message is above)"
    );
}

/// A frame a well-behaved peer sends.
fn good_frame() -> Bytes {
    FrameBuilder::binary("binary/x", "well-behaved")
        .field("request-id", 1)
        .build()
        .unwrap()
}

/// A frame whose header is `header`, verbatim.
fn header_frame(header: &[u8]) -> Bytes {
    let mut out = (header.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(header);
    Bytes::from(out)
}

/// A header announcing `length` bytes of content.
fn announcing(length: impl std::fmt::Display) -> Bytes {
    header_frame(
        format!(
            r#"{{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary", "content-length": {length}}}"#
        )
        .as_bytes(),
    )
}

/// 65,535 bytes of printable garbage (deterministic), not JSON.
fn garbage_header() -> Bytes {
    let mut state: u32 = 0x2545_f491;
    let mut header: Vec<u8> = (0..u16::MAX)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            b'!' + (state >> 24) as u8 % 94
        })
        .collect();
    header[0] = b'x';
    header_frame(&header)
}

fn decode_one(bytes: &[u8]) -> Frame {
    let mut buf = BytesMut::from(bytes);
    FrameCodec::new(1 << 20)
        .decode(&mut buf)
        .expect("a valid frame")
        .expect("a whole frame")
}

/// Whether two reasons agree (serde's wording of a JSON error aside).
fn same_reason(found: &ReadReason, expected: &ReadReason) -> bool {
    match (found, expected) {
        (
            ReadReason::Decode(DecodeReason::NotJson { .. }),
            ReadReason::Decode(DecodeReason::NotJson { .. }),
        ) => true,
        (ReadReason::Io { detail }, ReadReason::Io { .. }) => {
            detail.to_lowercase().contains("reset")
        }
        // One byte every 100 ms against a 1 s timeout: about ten bytes
        // (fewer when a busy machine overruns the sleeps; at least three, so
        // the frame is inside its header).
        (
            ReadReason::Timeout {
                received,
                timeout_ms,
            },
            ReadReason::Timeout {
                timeout_ms: expected,
                ..
            },
        ) => (3..=13).contains(received) && timeout_ms == expected,
        _ => found == expected,
    }
}

fn not_json() -> ReadReason {
    ReadReason::Decode(DecodeReason::NotJson {
        detail: String::new(),
    })
}

/// One way of breaking a frame: the bytes, and what the receiver must report.
struct Case {
    name: &'static str,
    bytes: Bytes,
    part: FramePart,
    reason: ReadReason,
}

/// Every malformed-frame case of the issue, each a frame on its own.
fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case {
            name: "proto-header 0",
            bytes: Bytes::from_static(&[0, 0]),
            part: FramePart::ProtoHeader,
            reason: ReadReason::Decode(DecodeReason::EmptyHeader),
        },
        Case {
            name: "65,535-byte header of garbage",
            bytes: garbage_header(),
            part: FramePart::Header,
            reason: not_json(),
        },
        Case {
            name: "header not UTF-8",
            bytes: header_frame(b"{\"byteorder\": \"\xff\"}"),
            part: FramePart::Header,
            reason: ReadReason::Decode(DecodeReason::NotUtf8 { valid_up_to: 15 }),
        },
        Case {
            name: "header not JSON",
            bytes: header_frame(b"{byteorder: little}"),
            part: FramePart::Header,
            reason: not_json(),
        },
        Case {
            name: "header a JSON array",
            bytes: header_frame(b"[\"byteorder\", \"little\"]"),
            part: FramePart::Header,
            reason: ReadReason::Decode(DecodeReason::NotObject {
                found: "array".into(),
            }),
        },
        Case {
            name: "header a JSON string",
            bytes: header_frame(b"\"byteorder\""),
            part: FramePart::Header,
            reason: ReadReason::Decode(DecodeReason::NotObject {
                found: "string".into(),
            }),
        },
    ];
    for key in [
        "byteorder",
        "content-type",
        "content-encoding",
        "content-length",
    ] {
        cases.push(Case {
            name: "a required key missing",
            bytes: FrameBuilder::new().without_field(key).build().unwrap(),
            part: FramePart::Header,
            reason: ReadReason::Decode(DecodeReason::MissingKey { key: key.into() }),
        });
    }
    for (value, shown) in [
        (json!(-1), "-1"),
        (json!(1.5), "1.5"),
        (json!("10"), "\"10\""),
        (json!(null), "null"),
    ] {
        cases.push(Case {
            name: "content-length of the wrong type",
            bytes: FrameBuilder::new()
                .content_length(ContentLength::Override(value))
                .build()
                .unwrap(),
            part: FramePart::Header,
            reason: wrong_length(shown),
        });
    }
    cases.push(Case {
        name: "content-length 2^64",
        bytes: announcing("18446744073709551616"),
        part: FramePart::Header,
        reason: wrong_length("18446744073709551616"),
    });
    cases.push(Case {
        name: "content-length over the limit",
        bytes: announcing(4u64 << 30),
        part: FramePart::Header,
        reason: ReadReason::Decode(DecodeReason::ContentTooLong {
            length: 4 << 30,
            limit: Limits::default().max_content_length,
        }),
    });
    let whole = FrameBuilder::new().content("0123456789").build().unwrap();
    let header_len = whole.len() - 2 - 10;
    for (cut, part, received, expected) in [
        (1, FramePart::ProtoHeader, 1, 2),
        (2 + 5, FramePart::Header, 5, header_len),
        (whole.len() - 3, FramePart::Content, 7, 10),
    ] {
        cases.push(Case {
            name: "a frame cut off, then the connection closed",
            bytes: whole.slice(..cut),
            part,
            reason: ReadReason::Decode(DecodeReason::Truncated {
                part,
                received: received as u64,
                expected: expected as u64,
            }),
        });
    }
    cases
}

fn wrong_length(found: &str) -> ReadReason {
    ReadReason::Decode(DecodeReason::WrongType {
        key: "content-length".into(),
        expected: "a non-negative integer".into(),
        found: found.into(),
    })
}

/// An engine with its server on a free loopback port, and a view of its
/// connections closing.
struct Server {
    engine: Engine,
    addr: SocketAddr,
    mode: ServerMode,
    events: broadcast::Receiver<ConnectionEvent>,
}

impl Server {
    fn start(mode: ServerMode, limits: Limits) -> Self {
        let engine = Engine::with_config(limits, JournalLimits::default()).unwrap();
        let events = engine.subscribe_connections();
        let addr = start_server(&engine, mode);
        Self {
            engine,
            addr,
            mode,
            events,
        }
    }

    /// Error records of the server connection whose peer is `peer`.
    fn errors_from(&self, peer: SocketAddr) -> Vec<(u32, ReadError)> {
        records(&self.engine)
            .into_iter()
            .filter(|r| r.side == Side::Server && r.peer == Some(peer))
            .filter(|r| r.kind == RecordKind::Error)
            .map(|r| (r.conn, r.error.expect("an error record carries its error")))
            .collect()
    }

    /// The one error recorded for `peer`'s connection, once it is there.
    fn error_from(&self, peer: SocketAddr) -> ReadError {
        assert!(
            eventually(|| !self.errors_from(peer).is_empty()),
            "no error recorded for {peer}"
        );
        let errors = self.errors_from(peer);
        assert_eq!(errors.len(), 1, "one error for {peer}: {errors:?}");
        let conn = errors[0].0;
        let on_conn = records(&self.engine)
            .into_iter()
            .filter(|r| r.conn == conn && r.kind == RecordKind::Error)
            .count();
        assert_eq!(
            on_conn, 1,
            "the error is recorded on connection {conn} only"
        );
        errors[0].1.clone()
    }

    /// Every error record in the journal.
    fn error_count(&self) -> usize {
        records(&self.engine)
            .iter()
            .filter(|r| r.kind == RecordKind::Error)
            .count()
    }

    /// Why the server's connection from `peer` closed.
    fn close_reason(&mut self, peer: SocketAddr) -> CloseReason {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.events.try_recv() {
                Ok(ConnectionEvent {
                    peer: from,
                    closed: Some(reason),
                    ..
                }) if from == peer => return reason,
                Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty) => {
                    assert!(
                        Instant::now() < deadline,
                        "{peer}'s connection never closed"
                    );
                    thread::sleep(Duration::from_millis(2));
                }
                Err(TryRecvError::Closed) => panic!("the engine is gone"),
            }
        }
    }

    /// A well-behaved client still gets a correct answer, and nothing panicked.
    fn still_serves(&self) {
        let mut socket = TcpStream::connect(self.addr).unwrap();
        socket.set_read_timeout(Some(READ_WAIT)).unwrap();
        match self.mode {
            ServerMode::FrameEcho => {
                let frame = good_frame();
                socket.write_all(&frame).unwrap();
                let mut echo = vec![0; frame.len()];
                socket.read_exact(&mut echo).unwrap();
                assert_eq!(echo, frame, "a well-behaved client gets its echo");
            }
            ServerMode::App => {
                socket
                    .write_all(&search_request("morpheus").build().unwrap())
                    .unwrap();
                let mut reply = Vec::new();
                socket.read_to_end(&mut reply).unwrap();
                let reply = decode_one(&reply);
                assert_eq!(
                    &reply.content()[..],
                    "{\"result\": \"Follow the white rabbit. 🐰\"}".as_bytes()
                );
            }
            ServerMode::RawEcho => {
                socket.write_all(b"still there?").unwrap();
                let mut echo = [0; 12];
                socket.read_exact(&mut echo).unwrap();
                assert_eq!(&echo, b"still there?");
            }
            ServerMode::Rules => unreachable!("rules mode is tested in tests/it/rules.rs"),
            ServerMode::Relay | ServerMode::RawRelay => {
                unreachable!("relay modes are tested in tests/it/relay.rs")
            }
        }
        assert_no_engine_panic();
    }
}

/// Connects, writes `bytes`, half-closes, and reads until the server closes
/// (a reset after the last byte counts as closed); returns the local
/// address and what came back.
fn send_and_half_close(addr: SocketAddr, bytes: &[u8]) -> (SocketAddr, Vec<u8>) {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(READ_WAIT)).unwrap();
    let local = socket.local_addr().unwrap();
    socket.write_all(bytes).unwrap();
    socket.shutdown(Shutdown::Write).unwrap();
    (local, read_until_closed(&mut socket))
}

fn read_until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut reply = Vec::new();
    let mut chunk = [0; 64 * 1024];
    loop {
        match socket.read(&mut chunk) {
            Ok(0) => return reply,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::ConnectionReset => return reply,
            Err(error) => panic!("the server did not close the connection: {error}"),
        }
    }
}

/// Drops `socket` with an RST instead of a FIN.
fn reset(socket: TcpStream) {
    socket2::SockRef::from(&socket)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(socket);
}

/// This process's resident memory, in bytes (from /proc).
#[cfg(target_os = "linux")]
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS in kB");
    kib * 1024
}

/// How many file descriptors this process has open (from /proc).
#[cfg(target_os = "linux")]
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Runs every malformed-frame case against a decoding server (frame-echo or
/// app); in frame-echo a good frame goes first on the same connection, so
/// the error's offset is that frame's length and the good frame is echoed.
fn malformed_frames_against(mode: ServerMode) {
    let _run = shared_run();
    let mut server = Server::start(mode, Limits::default());
    let good = good_frame();
    for (done, case) in cases().into_iter().enumerate() {
        let (bytes, offset) = match mode {
            ServerMode::FrameEcho => ([good.clone(), case.bytes.clone()].concat(), good.len()),
            _ => (case.bytes.to_vec(), 0),
        };
        let (peer, reply) = send_and_half_close(server.addr, &bytes);
        let error = server.error_from(peer);
        let name = case.name;
        assert_eq!(error.part, case.part, "{name}: {error}");
        assert_eq!(error.offset, offset as u64, "{name}: {error}");
        assert!(same_reason(&error.reason, &case.reason), "{name}: {error}");
        assert_eq!(
            server.close_reason(peer),
            CloseReason::Protocol(error.reason.clone()),
            "{name}"
        );
        match mode {
            ServerMode::FrameEcho => assert_eq!(reply, good, "{name}: the good frame is echoed"),
            _ => assert!(reply.is_empty(), "{name}: nothing answers a bad request"),
        }
        server.still_serves();
        assert_eq!(
            server.error_count(),
            done + 1,
            "{name}: only the hostile peer's error"
        );
    }
}

#[test]
fn frame_echo_records_each_malformed_frame_and_keeps_serving() {
    malformed_frames_against(ServerMode::FrameEcho);
}

#[test]
fn app_records_each_malformed_request_and_keeps_serving() {
    malformed_frames_against(ServerMode::App);
}

#[test]
fn raw_echo_returns_malformed_frames_as_bytes() {
    let _run = shared_run();
    let server = Server::start(ServerMode::RawEcho, Limits::default());
    for case in cases() {
        let (_, reply) = send_and_half_close(server.addr, &case.bytes);
        assert_eq!(
            reply, case.bytes,
            "{}: raw echo has no frames to reject",
            case.name
        );
        server.still_serves();
    }
    assert_eq!(server.error_count(), 0);
}

#[test]
fn a_reset_mid_frame_is_recorded_in_every_mode() {
    let _run = shared_run();
    let good = good_frame();
    let partial = FrameBuilder::new().content("0123456789").build().unwrap();
    let partial = partial.slice(..2 + 5);
    for mode in BUILT_IN_MODES {
        let mut server = Server::start(mode, Limits::default());
        let mut socket = TcpStream::connect(server.addr).unwrap();
        socket.set_read_timeout(Some(READ_WAIT)).unwrap();
        let peer = socket.local_addr().unwrap();
        match mode {
            ServerMode::App => {
                socket.write_all(&partial).unwrap();
                // Nothing comes back to show the server has read the bytes: give it a moment.
                thread::sleep(Duration::from_millis(100));
            }
            _ => {
                // One write, read at once: the echo of the good frame shows the
                // partial frame behind it is in the server's buffer.
                socket
                    .write_all(&[good.clone(), partial.clone()].concat())
                    .unwrap();
                let mut echo = vec![0; good.len()];
                socket.read_exact(&mut echo).unwrap();
                assert_eq!(echo, good);
            }
        }
        reset(socket);
        assert_eq!(server.close_reason(peer), CloseReason::Reset, "{mode}");
        if mode == ServerMode::RawEcho {
            // Raw echo has no frames: the reset is the connection's close reason only.
            assert!(server.errors_from(peer).is_empty());
        } else {
            let error = server.error_from(peer);
            let offset = if mode == ServerMode::FrameEcho {
                good.len()
            } else {
                0
            };
            assert_eq!(
                (error.part, error.offset),
                (FramePart::Header, offset as u64),
                "{mode}: {error}"
            );
            assert!(
                matches!(&error.reason, ReadReason::Io { detail } if detail.contains("reset")),
                "{mode}: {error}"
            );
        }
        server.still_serves();
    }
}

/// Sends a frame one byte every 100 ms; the server's 1 s read timeout must
/// close the connection after about ten bytes.
fn trickle_against(mode: ServerMode) {
    let _run = shared_run();
    let limits = Limits {
        read_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let mut server = Server::start(mode, limits);
    let frame = good_frame();
    let mut socket = TcpStream::connect(server.addr).unwrap();
    let peer = socket.local_addr().unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while server.errors_from(peer).is_empty() {
        assert!(sent < 60, "the read timeout never fired");
        if socket.write_all(&frame[sent..sent + 1]).is_err() {
            break;
        }
        sent += 1;
        thread::sleep(Duration::from_millis(100));
    }
    let error = server.error_from(peer);
    let took = started.elapsed();
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(5)).contains(&took),
        "{took:?}"
    );
    assert_eq!(
        (error.part, error.offset),
        (FramePart::Header, 0),
        "{error}"
    );
    assert!(
        matches!(
            error.reason,
            ReadReason::Timeout {
                received: 3..=13,
                timeout_ms: 1000
            }
        ),
        "{error}"
    );
    assert_eq!(
        server.close_reason(peer),
        CloseReason::Protocol(error.reason.clone())
    );
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    match socket.read(&mut [0; 16]) {
        Ok(0) => {}
        Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("the server left the trickling connection open: {other:?}"),
    }
    server.still_serves();
}

#[test]
fn frame_echo_closes_a_trickle_at_the_read_timeout() {
    trickle_against(ServerMode::FrameEcho);
}

#[test]
fn app_closes_a_trickle_at_the_read_timeout() {
    trickle_against(ServerMode::App);
}

fn ten_thousand_frames() -> (Vec<u8>, Bytes) {
    let frames: Vec<Bytes> = (0..10_000)
        .map(|i| {
            FrameBuilder::binary("binary/x", format!("frame {i}"))
                .build()
                .unwrap()
        })
        .collect();
    (frames.concat(), frames[0].clone())
}

#[test]
fn ten_thousand_frames_in_one_write_in_every_mode() {
    let _run = shared_run();
    let (stream, first) = ten_thousand_frames();
    for mode in BUILT_IN_MODES {
        let mut server = Server::start(mode, Limits::default());
        let socket = TcpStream::connect(server.addr).unwrap();
        socket.set_read_timeout(Some(READ_WAIT)).unwrap();
        let peer = socket.local_addr().unwrap();
        let mut writer = socket.try_clone().unwrap();
        let bytes = stream.clone();
        let writing = thread::spawn(move || {
            // The app answers the first request and closes: the rest may not be taken.
            if writer.write_all(&bytes).is_ok() {
                let _ = writer.shutdown(Shutdown::Write);
            }
        });
        let reply = read_until_closed(&mut { socket });
        writing.join().unwrap();
        match mode {
            ServerMode::App => {
                let answer = decode_one(&reply);
                assert_eq!(
                    &answer.content()[..],
                    &b"First 10 bytes of request: frame 0"[..]
                );
                assert_eq!(decode_one(&first).content(), "frame 0");
                assert_eq!(server.close_reason(peer), CloseReason::Answered);
            }
            _ => {
                assert!(
                    reply == stream,
                    "{mode}: the echo differs from the 10,000 frames"
                );
                assert_eq!(server.close_reason(peer), CloseReason::ClosedByPeer);
            }
        }
        if mode == ServerMode::FrameEcho {
            let counters = server.engine.fresh_view().server_counters;
            assert_eq!(
                (counters.frames_received, counters.frames_sent),
                (10_000, 10_000)
            );
        }
        assert_eq!(server.error_count(), 0, "{mode}");
        server.still_serves();
    }
}

#[test]
fn a_half_close_after_sending_still_gets_the_reply_in_every_mode() {
    let _run = shared_run();
    for mode in BUILT_IN_MODES {
        let mut server = Server::start(mode, Limits::default());
        let request = search_request("ring").build().unwrap();
        let (peer, reply) = send_and_half_close(server.addr, &request);
        match mode {
            ServerMode::App => {
                let answer = decode_one(&reply);
                assert_eq!(
                    &answer.content()[..],
                    "{\"result\": \"In the caves beneath the Misty Mountains. 💍\"}".as_bytes()
                );
                assert_eq!(server.close_reason(peer), CloseReason::Answered);
            }
            _ => {
                assert_eq!(reply, request, "{mode}");
                assert_eq!(server.close_reason(peer), CloseReason::ClosedByPeer);
            }
        }
        assert_eq!(server.error_count(), 0);
        server.still_serves();
    }
}

#[test]
fn the_connection_cap_refuses_the_next_connection_at_once_and_records_it() {
    let _run = shared_run();
    let limits = Limits {
        max_connections: 3,
        ..Limits::default()
    };
    for mode in BUILT_IN_MODES {
        let server = Server::start(mode, limits);
        let mut held: Vec<TcpStream> = (0..3)
            .map(|_| TcpStream::connect(server.addr).unwrap())
            .collect();
        assert!(eventually(|| server
            .engine
            .fresh_view()
            .server
            .open_connections
            == 3));

        let mut refused = TcpStream::connect(server.addr).unwrap();
        let peer = refused.local_addr().unwrap();
        refused.set_read_timeout(Some(READ_WAIT)).unwrap();
        let started = Instant::now();
        match refused.read(&mut [0; 16]) {
            Ok(0) => {}
            Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
            other => panic!("{mode}: the refused connection was left open: {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{mode}: refused at once"
        );
        assert_eq!(server.engine.fresh_view().server.refused_at_cap, 1);
        let error = server.error_from(peer);
        assert_eq!(
            (error.part, error.offset),
            (FramePart::ProtoHeader, 0),
            "{error}"
        );
        assert_eq!(error.reason, ReadReason::OverConnectionCap { limit: 3 });

        // The connections under the cap are untouched.
        let mut first = held.remove(0);
        first.set_read_timeout(Some(READ_WAIT)).unwrap();
        match mode {
            ServerMode::App => {
                first
                    .write_all(&search_request("🐶").build().unwrap())
                    .unwrap();
                let answer = decode_one(&read_until_closed(&mut first));
                assert_eq!(
                    &answer.content()[..],
                    "{\"result\": \"🐾 Playing ball! 🏐\"}".as_bytes()
                );
            }
            _ => {
                let frame = good_frame();
                first.write_all(&frame).unwrap();
                let mut echo = vec![0; frame.len()];
                first.read_exact(&mut echo).unwrap();
                assert_eq!(echo, frame);
            }
        }
        drop(first);
        assert!(eventually(|| server
            .engine
            .fresh_view()
            .server
            .open_connections
            < 3));
        server.still_serves();
        assert_eq!(server.error_count(), 1, "{mode}");
    }
}

#[test]
#[cfg(target_os = "linux")]
fn ten_thousand_connects_and_closes_leave_no_file_descriptor_behind() {
    let _run = exclusive_run();
    for mode in BUILT_IN_MODES {
        let server = Server::start(mode, Limits::default());
        let round = || drop(TcpStream::connect(server.addr).unwrap());
        // Warm up, so whatever the runtime opens once is in the baseline.
        (0..100).for_each(|_| round());
        assert!(eventually(|| server
            .engine
            .fresh_view()
            .server
            .open_connections
            == 0));
        let before = open_fds();
        let started = Instant::now();
        (0..10_000).for_each(|_| round());
        assert!(eventually(|| {
            let status = server.engine.fresh_view().server.clone();
            status.accepted == 10_100 && status.open_connections == 0
        }));
        let took = started.elapsed();
        // Nothing is opened per connection that outlives it; the slack of 2
        // is for an fd the runtime might open lazily once (none is expected
        // after the warm-up). A leak of one per connection would be 10,000.
        assert!(
            eventually(|| open_fds() <= before + 2),
            "{mode}: {before} fds before, {} after 10,000 connections",
            open_fds()
        );
        eprintln!(
            "{mode}: 10,000 connect/close rounds in {took:?}, fds {before} -> {}",
            open_fds()
        );
        assert_eq!(server.error_count(), 0);
        server.still_serves();
    }
}

#[test]
#[cfg(target_os = "linux")]
fn content_over_the_limit_is_refused_without_allocating_it() {
    let _run = exclusive_run();
    let server = Server::start(ServerMode::FrameEcho, Limits::default());
    server.still_serves();
    let before = resident_bytes();
    let started = Instant::now();
    let mut socket = TcpStream::connect(server.addr).unwrap();
    let peer = socket.local_addr().unwrap();
    socket.write_all(&announcing(4u64 << 30)).unwrap();
    let error = server.error_from(peer);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the error comes at once"
    );
    assert_eq!(
        error.reason,
        ReadReason::Decode(DecodeReason::ContentTooLong {
            length: 4 << 30,
            limit: 16 << 20
        })
    );
    let grew = resident_bytes().saturating_sub(before);
    assert!(grew < 8 << 20, "resident memory grew by {grew} bytes");
    server.still_serves();
}

#[test]
#[cfg(target_os = "linux")]
fn a_huge_limit_never_reserves_what_a_peer_announces() {
    let _run = exclusive_run();
    // The command line lets a user raise the limit as far as u64::MAX.
    let limits = Limits {
        max_content_length: u64::MAX,
        ..Limits::default()
    };
    let server = Server::start(ServerMode::FrameEcho, limits);
    server.still_serves();
    let before = resident_bytes();
    let content = vec![7u8; 64 * 1024];
    let (peer, _) = send_and_half_close(
        server.addr,
        &[&announcing(1u64 << 40)[..], &content].concat(),
    );
    let error = server.error_from(peer);
    assert_eq!(error.part, FramePart::Content, "{error}");
    assert_eq!(
        error.reason,
        ReadReason::Decode(DecodeReason::Truncated {
            part: FramePart::Content,
            received: 64 * 1024,
            expected: 1 << 40
        })
    );
    let grew = resident_bytes().saturating_sub(before);
    assert!(grew < 8 << 20, "resident memory grew by {grew} bytes");

    // A length no buffer could ever hold is over the limit, whatever the limit.
    let (peer, _) = send_and_half_close(server.addr, &announcing(u64::MAX));
    let error = server.error_from(peer);
    assert!(
        matches!(error.reason, ReadReason::Decode(DecodeReason::ContentTooLong { length: u64::MAX, limit }) if limit < u64::MAX),
        "{error}"
    );
    server.still_serves();
}

/// A one-connection server in a thread that treats its peer as `script` says.
fn hostile_server(
    script: impl FnOnce(TcpStream) + Send + 'static,
) -> (SocketAddr, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        script(socket)
    });
    (addr, handle)
}

/// Writes `bytes` and closes.
fn sends(bytes: Bytes) -> impl FnOnce(TcpStream) + Send + 'static {
    move |mut socket| {
        let _ = socket.write_all(&bytes);
        let _ = socket.shutdown(Shutdown::Write);
        // Wait for the client to close, so no unread byte turns the close into a reset.
        let _ = socket.set_read_timeout(Some(READ_WAIT));
        let _ = socket.read_to_end(&mut Vec::new());
    }
}

/// A hostile server's behaviour, and the error the pool must record for it.
struct ServerCase {
    name: &'static str,
    script: Box<dyn FnOnce(TcpStream) + Send>,
    part: FramePart,
    offset: u64,
    reason: ReadReason,
}

/// The pool connection to `addr`, once it has closed, and why.
fn pool_close(engine: &Engine, addr: SocketAddr) -> (u32, CloseReason) {
    let mut found = None;
    assert!(eventually(|| {
        // The newest: a port a finished hostile server used may be handed out again.
        found = engine
            .fresh_view()
            .connections
            .iter()
            .rev()
            .find(|c| c.target == addr)
            .and_then(|c| match &c.state {
                ConnState::Closed(reason) => Some((c.id, reason.clone())),
                _ => None,
            });
        found.is_some()
    }));
    found.unwrap()
}

fn pool_errors(engine: &Engine, conn: u32) -> Vec<ReadError> {
    records(engine)
        .into_iter()
        .filter(|r| r.conn == conn && r.side == Side::Client && r.kind == RecordKind::Error)
        .filter_map(|r| r.error)
        .collect()
}

#[test]
fn the_client_pool_survives_hostile_servers_and_its_other_connections_keep_working() {
    let _run = shared_run();
    let limits = Limits {
        read_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let engine = Engine::with_config(limits, JournalLimits::default()).unwrap();
    let echo = start_server(&engine, ServerMode::FrameEcho);
    connect(&engine, echo, 1, ClientMode::Framed);
    let witness = engine.fresh_view().connections[0].id;
    let good = good_frame();
    let whole = FrameBuilder::new().content("0123456789").build().unwrap();

    let protocol = |reason: &ReadReason| CloseReason::Protocol(reason.clone());
    let cases = vec![
        ServerCase {
            name: "proto-header 0",
            script: Box::new(sends(Bytes::from_static(&[0, 0]))),
            part: FramePart::ProtoHeader,
            offset: 0,
            reason: ReadReason::Decode(DecodeReason::EmptyHeader),
        },
        ServerCase {
            name: "header not JSON",
            script: Box::new(sends(header_frame(b"{byteorder: little}"))),
            part: FramePart::Header,
            offset: 0,
            reason: not_json(),
        },
        ServerCase {
            name: "content-length over the limit",
            script: Box::new(sends(announcing(4u64 << 30))),
            part: FramePart::Header,
            offset: 0,
            reason: ReadReason::Decode(DecodeReason::ContentTooLong {
                length: 4 << 30,
                limit: 16 << 20,
            }),
        },
        ServerCase {
            name: "a good frame, then one cut in its content",
            script: Box::new(sends(
                [good.clone(), whole.slice(..whole.len() - 3)]
                    .concat()
                    .into(),
            )),
            part: FramePart::Content,
            offset: good.len() as u64,
            reason: ReadReason::Decode(DecodeReason::Truncated {
                part: FramePart::Content,
                received: 7,
                expected: 10,
            }),
        },
        ServerCase {
            name: "a reset mid-frame",
            script: Box::new({
                let partial = whole.slice(..2 + 5);
                move |mut socket: TcpStream| {
                    socket.write_all(&partial).unwrap();
                    // Nothing comes back to show the client has read the bytes: give it a moment.
                    thread::sleep(Duration::from_millis(100));
                    reset(socket);
                }
            }),
            part: FramePart::Header,
            offset: 0,
            reason: ReadReason::Io {
                detail: String::new(),
            },
        },
        ServerCase {
            name: "one byte every 100 ms",
            script: Box::new({
                let frame = good.clone();
                move |mut socket: TcpStream| {
                    for byte in frame.iter() {
                        if socket.write_all(&[*byte]).is_err() {
                            return;
                        }
                        thread::sleep(Duration::from_millis(100));
                    }
                }
            }),
            part: FramePart::Header,
            offset: 0,
            reason: ReadReason::Timeout {
                received: 10,
                timeout_ms: 1000,
            },
        },
    ];
    let count = cases.len();
    for ServerCase {
        name,
        script,
        part,
        offset,
        reason,
    } in cases
    {
        let (addr, peer) = hostile_server(script);
        assert_eq!(
            connect(&engine, addr, 1, ClientMode::Framed).opened,
            1,
            "{name}"
        );
        let (conn, closed) = pool_close(&engine, addr);
        assert!(
            eventually(|| !pool_errors(&engine, conn).is_empty()),
            "{name}: no error recorded"
        );
        let errors = pool_errors(&engine, conn);
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        let error = &errors[0];
        assert_eq!(
            (error.part, error.offset),
            (part, offset),
            "{name}: {error}"
        );
        assert!(same_reason(&error.reason, &reason), "{name}: {error}");
        let expected_close = match reason {
            ReadReason::Io { .. } => CloseReason::Reset,
            _ => protocol(&error.reason),
        };
        assert_eq!(closed, expected_close, "{name}");
        peer.join().unwrap();
        if offset > 0 {
            let frames = engine
                .fresh_view()
                .connections
                .iter()
                .find(|c| c.id == conn)
                .unwrap()
                .counters
                .frames_received;
            assert_eq!(
                frames, 1,
                "{name}: the good frame before the bad one was taken"
            );
        }
        assert_no_engine_panic();
    }

    // A server that floods 10,000 frames at once, and one that half-closes
    // after its reply: both are normal closes, every frame taken.
    let (stream, _) = ten_thousand_frames();
    for (name, bytes, frames) in [
        ("10,000 frames in one write", Bytes::from(stream), 10_000),
        ("a half-close after the reply", good.clone(), 1),
    ] {
        let (addr, peer) = hostile_server(sends(bytes));
        connect(&engine, addr, 1, ClientMode::Framed);
        let (conn, closed) = pool_close(&engine, addr);
        assert_eq!(closed, CloseReason::ClosedByPeer, "{name}");
        let summary = engine
            .fresh_view()
            .connections
            .iter()
            .find(|c| c.id == conn)
            .cloned()
            .unwrap();
        assert_eq!(summary.counters.frames_received, frames, "{name}");
        assert!(pool_errors(&engine, conn).is_empty(), "{name}");
        peer.join().unwrap();
    }

    // The connection to the well-behaved server was never disturbed.
    let before = engine.fresh_view().latency.summary.count;
    engine.command(Command::Send {
        target: SendTarget::One(witness),
        bytes: good.clone(),
    });
    assert!(eventually(
        || engine.fresh_view().latency.summary.count == before + 1
    ));
    let summary = engine
        .fresh_view()
        .connections
        .iter()
        .find(|c| c.id == witness)
        .cloned()
        .unwrap();
    assert_eq!(summary.state, ConnState::Open);
    let errors = records(&engine)
        .iter()
        .filter(|r| r.kind == RecordKind::Error)
        .count();
    assert_eq!(
        errors, count,
        "one error per hostile server, none elsewhere"
    );
    assert_no_engine_panic();
}

#[test]
fn the_client_pool_refuses_connections_over_its_cap_cleanly() {
    let _run = shared_run();
    let limits = Limits {
        max_connections: 3,
        ..Limits::default()
    };
    let engine = Engine::with_config(limits, JournalLimits::default()).unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    assert_eq!(connect(&engine, addr, 3, ClientMode::Framed).opened, 3);
    engine.command(Command::Connect {
        broadcast: false,
        transport: framescope::engine::Transport::Tcp,
        target: addr.into(),
        count: 1,
        mode: ClientMode::Framed,
        tls: None,
        profile: None,
    });
    let error = wait_event(&engine, |event| match event {
        Event::ConnectFailed(error) => Some(error),
        Event::ConnectFinished { .. } => panic!("a fourth connection opened past the cap of 3"),
        _ => None,
    });
    assert!(
        matches!(
            error,
            PoolError::OverCap {
                open: 3,
                max: 3,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(engine.fresh_view().pool.live(), 3);
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: good_frame(),
    });
    assert!(eventually(|| frames_echoed(&engine) == 3));
    assert_no_engine_panic();
}

#[test]
#[cfg(target_os = "linux")]
fn ten_thousand_pool_connections_opened_and_closed_leave_no_file_descriptor_behind() {
    let _run = exclusive_run();
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let round = || {
        assert_eq!(connect(&engine, addr, 100, ClientMode::Framed).opened, 100);
        engine.command(Command::DisconnectAll);
        assert!(eventually(|| engine.fresh_view().pool.live() == 0));
        engine.command(Command::ClearClosed);
        assert!(eventually(|| engine.fresh_view().connections.is_empty()));
    };
    round();
    assert!(eventually(
        || engine.fresh_view().server.open_connections == 0
    ));
    let before = open_fds();
    let started = Instant::now();
    (0..100).for_each(|_| round());
    assert!(eventually(
        || engine.fresh_view().server.open_connections == 0
    ));
    // As above: the slack of 2 is for a runtime-internal fd opened once.
    assert!(
        eventually(|| open_fds() <= before + 2),
        "{before} fds before, {} after 10,000 pool connections",
        open_fds()
    );
    eprintln!(
        "pool: 10,000 connections in {:?}, fds {before} -> {}",
        started.elapsed(),
        open_fds()
    );
    assert_eq!(engine.fresh_view().server.accepted, 10_100);
    let errors = records(&engine)
        .iter()
        .filter(|r| r.kind == RecordKind::Error)
        .count();
    assert_eq!(errors, 0);
    assert_no_engine_panic();
}

/// A profile whose length field is a u64, as a user may write one: what a
/// peer claims in it is bounded by `max_frame` (16 MiB by default), and
/// never reserved.
const U64_LENGTH_PROFILE: &str = r#"[profile]
name = "u64-length"

[[field]]
name = "len"
type = "u64"
length_of = ["payload"]

[[field]]
name = "payload"
type = "bytes"
"#;

/// A frame-echo server under `profile`.
fn profile_server(profile: Arc<Profile>) -> (Engine, SocketAddr) {
    let engine = Engine::new().unwrap();
    let addr = common::start_server_with(&engine, ServerMode::FrameEcho, Some(profile));
    (engine, addr)
}

#[test]
#[cfg(target_os = "linux")]
fn a_profiles_u64_length_claiming_2_to_the_63_is_refused_at_once_and_memory_stays_flat() {
    let _run = exclusive_run();
    let profile =
        Arc::new(Profile::compile(U64_LENGTH_PROFILE, "u64-length.toml").expect("it compiles"));
    let (engine, addr) = profile_server(profile.clone());
    let good = profile
        .encode(&[("payload".into(), "well-behaved".into())], Role::Request)
        .unwrap();
    let still_serves = || {
        let mut socket = TcpStream::connect(addr).unwrap();
        socket.set_read_timeout(Some(READ_WAIT)).unwrap();
        socket.write_all(&good).unwrap();
        let mut echo = vec![0; good.len()];
        socket.read_exact(&mut echo).unwrap();
        assert_eq!(echo, good);
    };
    still_serves();
    let before = resident_bytes();

    // 2^63 bytes claimed: refused at once, naming the field.
    let started = Instant::now();
    let mut socket = TcpStream::connect(addr).unwrap();
    let peer = socket.local_addr().unwrap();
    socket.write_all(&(1u64 << 63).to_be_bytes()).unwrap();
    let error_of = |peer: SocketAddr| {
        records(&engine)
            .into_iter()
            .find(|r| r.peer == Some(peer) && r.kind == RecordKind::Error)
            .and_then(|r| r.error)
    };
    assert!(eventually(|| error_of(peer).is_some()), "no error row");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the error comes at once"
    );
    let error = error_of(peer).unwrap().to_string();
    assert!(
        error.contains("len") && error.contains("over the limit of 16777216"),
        "{error}"
    );

    // A hundred peers each claiming just under the limit (1.6 GB in all)
    // and sending 64 KiB of it: nothing reserves what they claim.
    let claim = (16u64 << 20) - 8;
    let mut open = Vec::new();
    for _ in 0..100 {
        let mut socket = TcpStream::connect(addr).unwrap();
        socket.write_all(&claim.to_be_bytes()).unwrap();
        socket.write_all(&vec![7u8; 64 * 1024]).unwrap();
        open.push(socket);
    }
    // Partial frames are counted only when they end: give the server a
    // moment to read what arrived.
    std::thread::sleep(Duration::from_secs(1));
    let grew = resident_bytes().saturating_sub(before);
    assert!(grew < 48 << 20, "resident memory grew by {grew} bytes");
    drop(open);
    still_serves();
    assert_no_engine_panic();
}

/// A flood of new UDP peers (twenty thousand source addresses, each one
/// datagram) is bounded by the session cap: at most `cap` sessions open,
/// the rest evicted and counted, and memory grows only by what the cap
/// allows (and the journal's own records), while the server still echoes.
#[test]
#[cfg(target_os = "linux")]
fn a_flood_of_udp_peers_is_bounded_by_the_session_cap() {
    let _run = exclusive_run();
    const PEERS: usize = 20_000;
    const CAP: usize = 500;
    let limits = Limits {
        max_connections: CAP,
        ..Limits::default()
    };
    let engine = Engine::with_config(limits, JournalLimits::default()).unwrap();
    let addr = common::start_server_over(
        &engine,
        ServerMode::RawEcho,
        None,
        framescope::engine::Transport::Udp,
        "127.0.0.1:0",
    );
    let before = resident_bytes();
    // Every address of 127.0.0.0/8 is this host's: each peer a source
    // address of its own.
    for i in 0..PEERS {
        let source = std::net::Ipv4Addr::new(
            127,
            1 + (i / 60_000) as u8,
            ((i / 250) % 240) as u8,
            (i % 250 + 1) as u8,
        );
        let socket = std::net::UdpSocket::bind((source, 0)).unwrap();
        socket.send_to(b"knock", addr).unwrap();
        // In steps the server's socket buffer holds: what this measures is
        // the sessions, not the kernel dropping a burst.
        if (i + 1) % 1000 == 0 {
            assert!(
                eventually(|| engine.fresh_view().server.accepted == (i + 1) as u64),
                "{} peers heard: {:?}",
                i + 1,
                engine.fresh_view().server
            );
        }
    }
    assert!(
        eventually(|| engine.fresh_view().server.accepted == PEERS as u64),
        "every peer heard: {:?}",
        engine.fresh_view().server
    );
    let server = engine.fresh_view().server.clone();
    assert_eq!(
        server.open_connections, CAP,
        "never more sessions than the cap"
    );
    assert_eq!(
        server.evicted,
        (PEERS - CAP) as u64,
        "the rest evicted, counted"
    );
    let grew = resident_bytes().saturating_sub(before);
    assert!(grew < 64 << 20, "resident memory grew by {grew} bytes");
    // And it still echoes.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket.send_to(b"still there?", addr).unwrap();
    let mut buf = [0u8; 64];
    let len = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"still there?");
    assert_no_engine_panic();
}
