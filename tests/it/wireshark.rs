//! The pcapng export read back by Wireshark's own `tshark`: each
//! connection's reassembled TCP stream ("Follow TCP Stream") is exactly the
//! journal's bytes in each direction, for framed and raw traffic over IPv4
//! and IPv6 and for both legs of a relay; and the Lua dissector
//! (`assets/wireshark/framescope.lua`), loaded into `tshark`, decodes each
//! frame's header fields and content, a frame split across segments and
//! several frames in one segment too. Over UDP, each datagram is one UDP
//! packet of exactly its bytes, which the dissector decodes as a frame.
//!
//! `tshark` must be installed (Debian: `apt-get install tshark`; `.ci/run`
//! installs it). Without it these tests fail, unless
//! `FRAMESCOPE_SKIP_TSHARK=1` is set: then each says it was skipped.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{connect, eventually, records, wait_event};
use framescope::engine::{
    ClientMode, Command, CommandOutcome, Direction, Engine, Event, FrameBuilder, LogFormat,
    RecordKind, RecordView, SendTarget, ServerMode, Side, Target, write_pcapng,
};

/// Longest one `tshark` run may take (a run over these captures takes
/// well under a second).
const TSHARK_WAIT: Duration = Duration::from_secs(60);

/// The largest TCP payload of one exported packet over IPv4 and over IPv6
/// (as `src/engine/render/pcapng.rs` segments).
const MSS_V4: usize = 1460;
const MSS_V6: usize = 1440;

/// The dissector, as shipped.
fn dissector() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/wireshark/framescope.lua")
}

/// Whether `tshark` is there to run. When it is not, the test fails with
/// what to install, unless `FRAMESCOPE_SKIP_TSHARK=1` says to skip it.
pub(crate) fn tshark_available(test: &str) -> bool {
    let found = Process::new("tshark")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match found {
        Ok(status) if status.success() => true,
        outcome => {
            let why = match outcome {
                Ok(status) => format!("`tshark --version` failed ({status})"),
                Err(error) => format!("`tshark` cannot be run ({error})"),
            };
            if std::env::var("FRAMESCOPE_SKIP_TSHARK").as_deref() == Ok("1") {
                eprintln!("{test}: skipped: {why} and FRAMESCOPE_SKIP_TSHARK=1");
                return false;
            }
            panic!(
                "{why}: this test reads the pcapng export back with Wireshark's tshark. \
                 Install it (Debian: `apt-get install tshark`), or set \
                 FRAMESCOPE_SKIP_TSHARK=1 to skip the tshark tests"
            );
        }
    }
}

/// Runs `tshark -n` with `args` in `dir` and returns its standard output;
/// fails the test when it fails or takes longer than `TSHARK_WAIT`.
///
/// `HOME` and `XDG_CONFIG_HOME` point into `dir`, so that the user's own
/// Wireshark preferences and personal plugins (this very dissector,
/// perhaps, installed as the README says, which would then be registered
/// twice) do not change what is decoded.
pub(crate) fn tshark(dir: &Path, args: &[&str]) -> String {
    let home = dir.join("tshark-home");
    std::fs::create_dir_all(&home).unwrap();
    let (out_path, err_path) = (dir.join("tshark.out"), dir.join("tshark.err"));
    let mut child = Process::new("tshark")
        .arg("-n")
        .args(args)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("tshark starts");
    let deadline = Instant::now() + TSHARK_WAIT;
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tshark {args:?} took longer than {TSHARK_WAIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let out = std::fs::read_to_string(&out_path).unwrap();
    let err = std::fs::read_to_string(&err_path).unwrap();
    assert!(status.success(), "tshark {args:?}: {status}\n{err}");
    // tshark reports a Lua script that fails to load on standard error and
    // carries on (a dissector that throws is an expert item in the packet,
    // which `assert_no_packet` looks for).
    assert!(
        !err.to_lowercase().contains("lua"),
        "tshark {args:?} complained about Lua:\n{err}"
    );
    out
}

/// Starts the engine's server on `addr` (port 0: a free one), forwarding
/// to `upstream` in a relay mode.
fn start_server_at(
    engine: &Engine,
    addr: &str,
    mode: ServerMode,
    upstream: Option<SocketAddr>,
) -> SocketAddr {
    engine.command(Command::StartServer {
        join: None,
        addr: addr.parse().unwrap(),
        mode,
        tls: None,
        upstream: upstream.map(Target::from),
        profile: None,
        transport: framescope::engine::Transport::Tcp,
    });
    wait_event(engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(addr),
        Event::ServerFailed(error) => panic!("server on {addr} failed: {error}"),
        _ => None,
    })
}

/// Sends `message` on every client connection of `engine`.
fn send_all(engine: &Engine, message: &Bytes, connections: usize) {
    let outcome = engine.command(Command::Send {
        target: SendTarget::All,
        bytes: message.clone(),
    });
    match outcome {
        CommandOutcome::Sent(report) => assert_eq!(report.queued, connections, "{report:?}"),
        other => panic!("send: {other:?}"),
    }
}

/// Saves `engine`'s journal as pcapng at `path`, as the window's Save log
/// does.
fn save_pcapng(engine: &Engine, path: &Path) {
    engine.command(Command::SaveLog {
        path: path.to_owned(),
        format: LogFormat::Pcapng,
    });
    let saved = wait_event(engine, |event| match event {
        Event::Saved { result, .. } => Some(result),
        _ => None,
    });
    saved.expect("the capture is saved");
}

/// One journal connection (one side's view of one TCP connection) as the
/// export writes it: its two ends and what went each way.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Flow {
    side: Option<Side>,
    client: Option<SocketAddr>,
    server: Option<SocketAddr>,
    to_server: Vec<u8>,
    to_client: Vec<u8>,
    link: Option<u32>,
}

impl Flow {
    fn ends(&self) -> (SocketAddr, SocketAddr) {
        (self.client.unwrap(), self.server.unwrap())
    }
}

/// Each journal connection's flow, by connection id (an engine's ids are
/// unique, whichever side they are on). Records that never carried bytes
/// over the wire (notes, TLS handshakes, errors with no bytes) are left
/// out, as the export leaves them out.
fn journal_flows(records: &[RecordView]) -> BTreeMap<u32, Flow> {
    let mut flows: BTreeMap<u32, Flow> = BTreeMap::new();
    for record in records {
        if matches!(record.kind, RecordKind::Note | RecordKind::Handshake)
            || record.bytes.is_empty()
        {
            continue;
        }
        assert!(record.is_complete(), "full capture: {record:?}");
        let (local, peer) = (record.local, record.peer);
        assert!(
            local.is_some() && peer.is_some(),
            "a live connection knows both ends: {record:?}"
        );
        let flow = flows.entry(record.conn).or_default();
        flow.side = Some(record.side);
        let (client, server) = match record.side {
            Side::Client => (local, peer),
            Side::Server => (peer, local),
        };
        flow.client = client;
        flow.server = server;
        flow.link = record.link;
        let toward_server = matches!(
            (record.side, record.direction),
            (Side::Client, Direction::Sent) | (Side::Server, Direction::Received)
        );
        if toward_server {
            flow.to_server.extend_from_slice(&record.bytes);
        } else {
            flow.to_client.extend_from_slice(&record.bytes);
        }
    }
    flows
}

/// One TCP stream as `tshark -z follow,tcp,raw` reassembles it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Followed {
    index: u32,
    client: SocketAddr,
    server: SocketAddr,
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

/// Every TCP stream in the capture, reassembled by `tshark`, by its ends
/// (client first: the end that sent the SYN).
fn tshark_streams(dir: &Path, capture: &Path) -> BTreeMap<(SocketAddr, SocketAddr), Followed> {
    let capture = capture.to_str().unwrap();
    // Who opened each stream: the SYN's source is the client.
    let syns = tshark(
        dir,
        &[
            "-r",
            capture,
            "-Y",
            "tcp.flags.syn == 1 && tcp.flags.ack == 0",
            "-T",
            "fields",
            "-E",
            "separator=/t",
            "-e",
            "tcp.stream",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "tcp.srcport",
        ],
    );
    let mut clients = BTreeMap::new();
    for line in syns.lines().filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let index: u32 = cells[0].parse().unwrap();
        let ip = if cells[1].is_empty() {
            cells[2]
        } else {
            cells[1]
        };
        let client = SocketAddr::new(ip.parse().unwrap(), cells[3].parse().unwrap());
        assert!(
            clients.insert(index, client).is_none(),
            "one SYN per stream: {syns}"
        );
    }
    // Every stream followed in one run (several -z follow are allowed;
    // tshark prints them in no particular order, each naming its stream).
    let follow: Vec<String> = clients
        .keys()
        .map(|index| format!("follow,tcp,raw,{index}"))
        .collect();
    let mut args = vec!["-r", capture, "-q"];
    for z in &follow {
        args.extend(["-z", z.as_str()]);
    }
    let out = tshark(dir, &args);
    let followed = parse_follow(&out);
    assert_eq!(
        followed.len(),
        clients.len(),
        "every stream followed:\n{out}"
    );
    followed
        .into_iter()
        .map(|f| {
            let client = clients[&f.index];
            let ((from_node0, node0), (from_node1, node1)) = f.nodes;
            let (server, to_server, to_client) = if node0 == client {
                (node1, from_node0, from_node1)
            } else {
                assert_eq!(node1, client, "stream {}: {out}", f.index);
                (node0, from_node1, from_node0)
            };
            let stream = Followed {
                index: f.index,
                client,
                server,
                to_server,
                to_client,
            };
            ((client, server), stream)
        })
        .collect()
}

/// One block of `-z follow,tcp,raw` output: the stream, and each node's
/// address with the bytes it sent.
struct FollowBlock {
    index: u32,
    nodes: ((Vec<u8>, SocketAddr), (Vec<u8>, SocketAddr)),
}

/// Reads `-z follow,tcp,raw` blocks: a "Filter: tcp.stream eq N" line,
/// "Node 0: ADDR" and "Node 1: ADDR", then one hex line per segment, node
/// 1's indented by a tab, up to a line of `=`.
fn parse_follow(out: &str) -> Vec<FollowBlock> {
    let mut blocks = Vec::new();
    let mut lines = out.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(index) = line.strip_prefix("Filter: tcp.stream eq ") else {
            continue;
        };
        let index: u32 = index.trim().parse().unwrap();
        let node = |line: Option<&str>, n: u8| -> SocketAddr {
            let line = line.unwrap_or_default();
            let addr = line
                .strip_prefix(&format!("Node {n}: "))
                .unwrap_or_else(|| panic!("stream {index}: no node {n} in {line:?}"));
            addr.parse()
                .unwrap_or_else(|e| panic!("stream {index}: node {n} {addr:?}: {e}"))
        };
        let node0 = node(lines.next(), 0);
        let node1 = node(lines.next(), 1);
        let (mut from0, mut from1) = (Vec::new(), Vec::new());
        for line in lines.by_ref() {
            if line.starts_with("====") {
                break;
            }
            let (into, hex) = match line.strip_prefix('\t') {
                Some(hex) => (&mut from1, hex),
                None => (&mut from0, line),
            };
            into.extend(from_hex(hex.trim()));
        }
        blocks.push(FollowBlock {
            index,
            nodes: ((from0, node0), (from1, node1)),
        });
    }
    blocks
}

fn from_hex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex: {hex:?}");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_else(|e| panic!("{hex}: {e}")))
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where two byte strings first differ, with a few bytes of each from
/// there, in hex.
fn first_difference(tshark_has: &[u8], journal_has: &[u8]) -> String {
    let at = tshark_has
        .iter()
        .zip(journal_has)
        .position(|(a, b)| a != b)
        .unwrap_or(tshark_has.len().min(journal_has.len()));
    let window = |bytes: &[u8]| to_hex(&bytes[at.min(bytes.len())..(at + 16).min(bytes.len())]);
    format!(
        "first difference at byte {at}: tshark {}, journal {}",
        window(tshark_has),
        window(journal_has)
    )
}

/// Checks that every journal connection of `engine` is one TCP stream of
/// the capture `tshark` reads back, carrying exactly the journal's bytes
/// each way, that both sides of one loopback connection are the same
/// stream, and that the capture holds no other stream. Returns the
/// journal's flows and the streams.
fn assert_streams_are_the_journals(
    dir: &Path,
    capture: &Path,
    records: &[RecordView],
) -> (
    BTreeMap<u32, Flow>,
    BTreeMap<(SocketAddr, SocketAddr), Followed>,
) {
    let flows = journal_flows(records);
    let streams = tshark_streams(dir, capture);
    let mut used = BTreeSet::new();
    for (conn, flow) in &flows {
        let side = flow.side.unwrap();
        let ends = flow.ends();
        let stream = streams.get(&ends).unwrap_or_else(|| {
            panic!(
                "{side:?} connection {conn} ({ends:?}) is no stream tshark sees: {:?}",
                streams.keys().collect::<Vec<_>>()
            )
        });
        for (way, tshark_has, journal_has) in [
            ("client to server", &stream.to_server, &flow.to_server),
            ("server to client", &stream.to_client, &flow.to_client),
        ] {
            assert!(
                tshark_has == journal_has,
                "{side:?} connection {conn}, stream {}, {way}: tshark has {} bytes, the \
                 journal {}; {}",
                stream.index,
                tshark_has.len(),
                journal_has.len(),
                first_difference(tshark_has, journal_has),
            );
        }
        used.insert(ends);
    }
    assert_eq!(
        used,
        streams.keys().copied().collect::<BTreeSet<_>>(),
        "every stream in the capture is a journal connection"
    );
    (flows, streams)
}

/// Waits until `engine`'s journal shows, for every connection it holds,
/// `expected` bytes gone each way (the echo of all of it back), so that
/// nothing is still on its way when the journal is saved.
fn wait_until_echoed(engine: &Engine, expected: usize, connections: usize) -> Vec<RecordView> {
    let settled = eventually(|| {
        let flows = journal_flows(&records(engine));
        flows.len() == connections
            && flows
                .values()
                .all(|f| f.to_server.len() == expected && f.to_client.len() == expected)
    });
    let records = records(engine);
    assert!(
        settled,
        "the journal never held {connections} connections with {expected} bytes each way: {:#?}",
        journal_flows(&records)
            .iter()
            .map(|(k, f)| (k, f.to_server.len(), f.to_client.len()))
            .collect::<Vec<_>>()
    );
    records
}

/// Text content longer than three MSSs, so the frame is split across
/// several segments.
fn long_text() -> String {
    (0..6_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

/// The frames the framed tests send, in order: a small JSON request, one
/// larger than an MSS, and binary content.
fn framed_messages() -> Vec<FrameBuilder> {
    vec![
        FrameBuilder::new().content("{\"action\": \"search\", \"value\": \"ring\"}"),
        FrameBuilder::new()
            .field("content-type", "text/plain")
            .content(long_text()),
        FrameBuilder::binary(
            "binary/test",
            (0..=255u8).cycle().take(700).collect::<Vec<_>>(),
        ),
    ]
}

/// Framed clients against a frame-echo server on `listen`'s address
/// family: the journal, saved as pcapng, and the server's address.
fn framed_capture(
    listen: &str,
    dir: &Path,
    connections: usize,
) -> (Vec<RecordView>, PathBuf, SocketAddr) {
    let engine = Engine::new().unwrap();
    let addr = start_server_at(&engine, listen, ServerMode::FrameEcho, None);
    let report = connect(&engine, addr, connections, ClientMode::Framed);
    assert_eq!(report.opened, connections, "{report:?}");
    let mut total = 0;
    for frame in framed_messages() {
        let frame = frame.build().unwrap();
        total += frame.len();
        send_all(&engine, &frame, connections);
    }
    // Both sides of each connection, client and server.
    let records = wait_until_echoed(&engine, total, 2 * connections);
    let capture = dir.join("framed.pcapng");
    save_pcapng(&engine, &capture);
    (records, capture, addr)
}

#[test]
fn framed_streams_read_back_by_tshark_are_the_journals_bytes() {
    if !tshark_available("framed_streams_read_back_by_tshark_are_the_journals_bytes") {
        return;
    }
    for listen in ["127.0.0.1:0", "[::1]:0"] {
        let dir = tempfile::tempdir().unwrap();
        let (records, capture, addr) = framed_capture(listen, dir.path(), 2);
        let (flows, streams) = assert_streams_are_the_journals(dir.path(), &capture, &records);
        assert_eq!(streams.len(), 2, "{listen}: one stream per connection");
        assert_eq!(flows.len(), 4, "{listen}: each seen from both sides");
        let sent: Vec<u8> = framed_messages()
            .iter()
            .flat_map(|f| f.build().unwrap().to_vec())
            .collect();
        for stream in streams.values() {
            assert_eq!(stream.server, addr);
            assert_eq!(stream.client.is_ipv6(), addr.is_ipv6());
            assert_eq!(stream.to_server, sent, "{listen}: the frames, in order");
            assert_eq!(stream.to_client, sent, "{listen}: their echoes");
        }
    }
}

#[test]
fn raw_streams_read_back_by_tshark_are_the_journals_bytes() {
    if !tshark_available("raw_streams_read_back_by_tshark_are_the_journals_bytes") {
        return;
    }
    // Bytes that are no frame: a line of text, every byte value, and a
    // chunk longer than several MSSs.
    let messages: Vec<Bytes> = vec![
        Bytes::from_static(b"no frame here\r\n"),
        (0..=255u8).collect::<Vec<_>>().into(),
        (0..7_000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<_>>()
            .into(),
    ];
    let total: usize = messages.iter().map(Bytes::len).sum();
    for listen in ["127.0.0.1:0", "[::1]:0"] {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new().unwrap();
        let addr = start_server_at(&engine, listen, ServerMode::RawEcho, None);
        let report = connect(&engine, addr, 2, ClientMode::Raw);
        assert_eq!(report.opened, 2, "{report:?}");
        for message in &messages {
            send_all(&engine, message, 2);
        }
        let records = wait_until_echoed(&engine, total, 4);
        assert!(
            records
                .iter()
                .all(|r| matches!(r.kind, RecordKind::Chunk | RecordKind::Note)),
            "{listen}: raw chunks only"
        );
        let capture = dir.path().join("raw.pcapng");
        save_pcapng(&engine, &capture);
        let (_, streams) = assert_streams_are_the_journals(dir.path(), &capture, &records);
        assert_eq!(streams.len(), 2, "{listen}: one stream per connection");
        let sent: Vec<u8> = messages.iter().flat_map(|m| m.to_vec()).collect();
        for stream in streams.values() {
            assert_eq!(stream.server, addr);
            assert_eq!(stream.to_server, sent, "{listen}");
            assert_eq!(stream.to_client, sent, "{listen}");
        }
    }
}

#[test]
fn both_legs_of_a_relayed_conversation_are_streams_of_their_own() {
    if !tshark_available("both_legs_of_a_relayed_conversation_are_streams_of_their_own") {
        return;
    }
    // The relay listens on IPv4 and forwards to a frame-echo server on
    // IPv6, in an engine of its own: each leg in its own family.
    let target = Engine::new().unwrap();
    let target_addr = start_server_at(&target, "[::1]:0", ServerMode::FrameEcho, None);
    let relay = Engine::new().unwrap();
    let relay_addr = start_server_at(&relay, "127.0.0.1:0", ServerMode::Relay, Some(target_addr));
    // The relay engine's own client pool talks through it, so its journal
    // holds the client's view of the first leg as well as the relay's.
    let report = connect(&relay, relay_addr, 1, ClientMode::Framed);
    assert_eq!(report.opened, 1, "{report:?}");
    let mut total = 0;
    for frame in framed_messages() {
        let frame = frame.build().unwrap();
        total += frame.len();
        send_all(&relay, &frame, 1);
    }
    // The pool's connection, the relay's leg from it and the relay's leg
    // to the target.
    let records = wait_until_echoed(&relay, total, 3);
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("relay.pcapng");
    save_pcapng(&relay, &capture);
    let (flows, streams) = assert_streams_are_the_journals(dir.path(), &capture, &records);
    assert_eq!(streams.len(), 2, "two legs: {:?}", streams.keys());

    let (&inbound, inbound_leg) = flows
        .iter()
        .find(|(_, f)| f.side == Some(Side::Server) && f.link.is_some())
        .expect("the relay's leg from the client");
    let (&outbound, outbound_leg) = flows
        .iter()
        .find(|(_, f)| f.side == Some(Side::Client) && f.link.is_some())
        .expect("the relay's leg to the target");
    assert_eq!(inbound_leg.link, Some(outbound));
    assert_eq!(outbound_leg.link, Some(inbound));
    let first = &streams[&inbound_leg.ends()];
    let second = &streams[&outbound_leg.ends()];
    assert_ne!(first.index, second.index);
    assert_eq!(first.server, relay_addr);
    assert!(first.client.is_ipv4());
    assert_eq!(second.server, target_addr);
    assert!(second.client.is_ipv6());
    let sent: Vec<u8> = framed_messages()
        .iter()
        .flat_map(|f| f.build().unwrap().to_vec())
        .collect();
    for leg in [first, second] {
        assert_eq!(leg.to_server, sent, "each leg carries the frames");
        assert_eq!(leg.to_client, sent, "and their echoes");
    }

    // The target's own capture holds the second leg, the same bytes on
    // the same ends, from the other side.
    let target_records = wait_until_echoed(&target, total, 1);
    let target_capture = dir.path().join("target.pcapng");
    save_pcapng(&target, &target_capture);
    let (_, target_streams) =
        assert_streams_are_the_journals(dir.path(), &target_capture, &target_records);
    let seen_by_target = &target_streams[&(second.client, second.server)];
    assert_eq!(seen_by_target.to_server, second.to_server);
    assert_eq!(seen_by_target.to_client, second.to_client);
}

/// One frame as the Lua dissector decoded it, with the packet it was
/// decoded in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decoded {
    packet: u32,
    stream: u32,
    src_port: u16,
    /// The TCP segments the packet's PDU was reassembled from (none: the
    /// packet's own payload).
    segments: Option<usize>,
    proto_header: u16,
    header: String,
    byteorder: String,
    content_type: String,
    content_encoding: String,
    content_length: usize,
    content: Vec<u8>,
}

/// The fields `-T fields` prints, in the order `decode` reads them. Every
/// frame has each of them, but for `content` in a frame with none.
const DECODED_FIELDS: [&str; 11] = [
    "frame.number",
    "tcp.stream",
    "tcp.srcport",
    "tcp.segment.count",
    "framescope.proto_header",
    "framescope.header",
    "framescope.byteorder",
    "framescope.content_type",
    "framescope.content_encoding",
    "framescope.content_length",
    "framescope.content",
];

/// `tshark`'s arguments to load the dissector, reassemble TCP (the
/// default, said anyway) and read `capture`.
fn dissector_args(capture: &Path) -> Vec<String> {
    vec![
        "-X".into(),
        format!("lua_script:{}", dissector().display()),
        "-o".into(),
        "tcp.desegment_tcp_streams:TRUE".into(),
        "-r".into(),
        capture.to_str().unwrap().into(),
    ]
}

/// Every frame the Lua dissector decodes in the packets `filter` keeps, in
/// packet order; `extra` chooses the port (`-o framescope.port:N`).
fn decode(dir: &Path, capture: &Path, filter: &str, extra: &[&str]) -> Vec<Decoded> {
    let common = dissector_args(capture);
    let mut args: Vec<&str> = common.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    // Several frames in one packet: each field's occurrences joined by
    // '|', which none of the tests' headers or contents holds.
    args.extend([
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "aggregator=|",
        "-E",
        "occurrence=a",
    ]);
    for field in DECODED_FIELDS {
        args.extend(["-e", field]);
    }
    let out = tshark(dir, &args);
    let mut decoded = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), DECODED_FIELDS.len(), "{line}");
        let each = |i: usize| -> Vec<&str> { cells[i].split('|').collect() };
        let headers = each(5);
        for (n, header) in headers.iter().enumerate() {
            let nth = |i: usize| -> String {
                each(i)
                    .get(n)
                    .unwrap_or_else(|| panic!("{}: no occurrence {n} in {line}", DECODED_FIELDS[i]))
                    .to_string()
            };
            decoded.push(Decoded {
                packet: cells[0].parse().unwrap(),
                stream: cells[1].parse().unwrap(),
                src_port: cells[2].parse().unwrap(),
                segments: (!cells[3].is_empty()).then(|| cells[3].parse().unwrap()),
                proto_header: nth(4).parse().unwrap(),
                header: header.to_string(),
                byteorder: nth(6),
                content_type: nth(7),
                content_encoding: nth(8),
                content_length: nth(9).parse().unwrap(),
                content: from_hex(each(10).get(n).copied().unwrap_or_default()),
            });
        }
    }
    decoded
}

/// Asserts that the dissector, with `extra` arguments, leaves no packet of
/// `capture` that `filter` keeps.
fn assert_no_packet(dir: &Path, capture: &Path, extra: &[&str], filter: &str) {
    let common = dissector_args(capture);
    let mut args: Vec<&str> = common.iter().map(String::as_str).collect();
    args.extend_from_slice(extra);
    args.extend(["-Y", filter]);
    let out = tshark(dir, &args);
    assert!(out.trim().is_empty(), "packets with {filter}:\n{out}");
}

/// A Lua error thrown by the dissector, or a packet it left malformed (or
/// flagged as such).
const DISSECTOR_FAILED: &str = "_ws.lua.error || _ws.malformed";

/// Asserts that `decoded` is the frame `built` is, field by field.
fn assert_decodes_as(decoded: &Decoded, built: &Bytes, what: &str) {
    let header_len = u16::from_be_bytes([built[0], built[1]]);
    let header = std::str::from_utf8(&built[2..2 + usize::from(header_len)]).unwrap();
    let value: serde_json::Value = serde_json::from_str(header).unwrap();
    let text = |key: &str| value[key].as_str().unwrap().to_owned();
    assert_eq!(decoded.proto_header, header_len, "{what}: proto-header");
    assert_eq!(decoded.header, header, "{what}: the JSON header");
    assert_eq!(decoded.byteorder, text("byteorder"), "{what}");
    assert_eq!(decoded.content_type, text("content-type"), "{what}");
    assert_eq!(decoded.content_encoding, text("content-encoding"), "{what}");
    assert_eq!(
        decoded.content_length,
        value["content-length"].as_u64().unwrap() as usize,
        "{what}"
    );
    assert!(
        decoded.content == built[2 + usize::from(header_len)..],
        "{what}: the content, {} bytes decoded of {}",
        decoded.content.len(),
        built.len() - 2 - usize::from(header_len)
    );
}

#[test]
fn the_lua_dissector_decodes_live_frames_and_one_split_across_segments() {
    if !tshark_available("the_lua_dissector_decodes_live_frames_and_one_split_across_segments") {
        return;
    }
    let frames: Vec<Bytes> = framed_messages()
        .iter()
        .map(|f| f.build().unwrap())
        .collect();
    for (listen, mss) in [("127.0.0.1:0", MSS_V4), ("[::1]:0", MSS_V6)] {
        let dir = tempfile::tempdir().unwrap();
        let (_, capture, addr) = framed_capture(listen, dir.path(), 1);
        // The server's port is a free one, not 8800: the dissector's own
        // preference points it there.
        let port = format!("framescope.port:{}", addr.port());
        let decoded = decode(dir.path(), &capture, "framescope", &["-o", &port]);
        assert_no_packet(
            dir.path(),
            &capture,
            &["-o", &port],
            &format!("{DISSECTOR_FAILED} || _ws.expert.severity == error"),
        );
        let to_server: Vec<&Decoded> = decoded
            .iter()
            .filter(|d| d.src_port != addr.port())
            .collect();
        let to_client: Vec<&Decoded> = decoded
            .iter()
            .filter(|d| d.src_port == addr.port())
            .collect();
        for (direction, seen) in [("to the server", &to_server), ("back", &to_client)] {
            assert_eq!(
                seen.len(),
                frames.len(),
                "{listen} {direction}: every frame decoded once: {decoded:#?}"
            );
            for (n, (decoded, built)) in seen.iter().zip(&frames).enumerate() {
                let what = format!("{listen} {direction}, frame {n}");
                assert_decodes_as(decoded, built, &what);
                // Each frame is one record, written as segments of at most
                // an MSS; a frame longer than that is reassembled from them.
                let segments = built.len().div_ceil(mss);
                if segments > 1 {
                    assert_eq!(decoded.segments, Some(segments), "{what}: reassembled");
                } else {
                    assert_eq!(decoded.segments, None, "{what}: one segment");
                }
            }
        }
        assert!(
            frames[1].len() > 4 * mss,
            "the long frame spans five segments"
        );
    }
}

/// A record of connection 1, a client on 127.0.0.1:40001 talking to the
/// dissector's default port, 8800.
fn record(direction: Direction, time_us: u64, bytes: &[u8]) -> RecordView {
    RecordView {
        seq: 0,
        time_us,
        conn: 1,
        peer: Some("127.0.0.1:8800".parse().unwrap()),
        local: Some("127.0.0.1:40001".parse().unwrap()),
        link: None,
        side: Side::Client,
        direction,
        kind: RecordKind::Chunk,
        wire_len: bytes.len() as u32,
        bytes: Bytes::copy_from_slice(bytes),
        error: None,
        profile: None,
        transport: framescope::engine::Transport::Tcp,
    }
}

#[test]
fn the_lua_dissector_decodes_frames_sharing_a_segment_and_frames_cut_anywhere() {
    if !tshark_available(
        "the_lua_dissector_decodes_frames_sharing_a_segment_and_frames_cut_anywhere",
    ) {
        return;
    }
    let text = |content: &str| {
        FrameBuilder::new()
            .field("content-type", "text/plain")
            .content(content.to_owned())
            .build()
            .unwrap()
    };
    let (first, second) = (text("first"), text("second"));
    let third = text("third, cut inside its header");
    let fourth = FrameBuilder::new()
        .field("note", "a field of its own")
        .content("{\"cut\": \"inside the content\"}")
        .build()
        .unwrap();
    let long = FrameBuilder::binary(
        "binary/test",
        (0..5_000u32).map(|i| i as u8).collect::<Vec<_>>(),
    )
    .build()
    .unwrap();
    let headless = FrameBuilder::new()
        .without_field("content-length")
        .build()
        .unwrap();
    // Raw chunks, each written as one segment (the long one as several):
    // two frames in one; a frame cut inside its header, the rest of it
    // with the start of the next, cut inside its content; the rest of
    // that; a long frame back; and a header with no content-length.
    let mut both = first.to_vec();
    both.extend_from_slice(&second);
    let mut middle = third[5..].to_vec();
    middle.extend_from_slice(&fourth[..fourth.len() - 10]);
    let records = vec![
        record(Direction::Sent, 1_000_000, &both),
        record(Direction::Sent, 1_000_100, &third[..5]),
        record(Direction::Sent, 1_000_200, &middle),
        record(Direction::Sent, 1_000_300, &fourth[fourth.len() - 10..]),
        record(Direction::Received, 1_000_400, &long),
        record(Direction::Sent, 1_000_500, &headless),
    ];
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("cut.pcapng");
    write_pcapng(records, File::create(&capture).unwrap()).unwrap();

    // No port preference given: the dissector's default, 8800.
    let decoded = decode(dir.path(), &capture, "framescope.content_length", &[]);
    assert_no_packet(
        dir.path(),
        &capture,
        &[],
        // The header with no content-length is flagged, as an error of
        // the malformed group (which `_ws.malformed` matches too): it is
        // looked at on its own below.
        "_ws.lua.error \
         || ((_ws.malformed || _ws.expert.severity == error) && !framescope.bad_header)",
    );
    let to_server: Vec<&Decoded> = decoded.iter().filter(|d| d.src_port == 40001).collect();
    let to_client: Vec<&Decoded> = decoded.iter().filter(|d| d.src_port == 8800).collect();
    assert_eq!(to_server.len(), 4, "{decoded:#?}");
    assert_eq!(to_client.len(), 1, "{decoded:#?}");
    let sent = [&first, &second, &third, &fourth];
    for (n, (decoded, built)) in to_server.iter().zip(sent).enumerate() {
        assert_decodes_as(decoded, built, &format!("frame {n} to the server"));
    }
    assert_decodes_as(to_client[0], &long, "the long frame back");

    let [first, second, third, fourth] = [to_server[0], to_server[1], to_server[2], to_server[3]];
    assert_eq!(first.packet, second.packet, "two frames in one segment");
    assert_eq!((first.segments, second.segments), (None, None));
    assert_eq!(third.segments, Some(2), "cut in its header: two segments");
    assert_eq!(fourth.segments, Some(2), "cut in its content: two segments");
    assert!(first.packet < third.packet && third.packet < fourth.packet);
    assert_eq!(
        to_client[0].segments,
        Some(long.len().div_ceil(MSS_V4)),
        "the long frame, from every segment"
    );

    // Text content is shown as text too, in the order it came.
    let common = dissector_args(&capture);
    let mut args: Vec<&str> = common.iter().map(String::as_str).collect();
    args.extend(["-Y", "framescope.content_text", "-T", "fields"]);
    args.extend(["-E", "aggregator=|", "-e", "framescope.content_text"]);
    let texts: Vec<String> = tshark(dir.path(), &args)
        .lines()
        .flat_map(|line| line.split('|').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert_eq!(
        texts,
        [
            "first",
            "second",
            "third, cut inside its header",
            "{\"cut\": \"inside the content\"}"
        ]
    );

    // A segment that only starts a frame keeps TCP's summary in the Info
    // column, as the segments after it do: the one cut in a header, and
    // the long frame's first three.
    let mut args: Vec<&str> = common.iter().map(String::as_str).collect();
    args.extend(["-Y", "tcp.len > 0 && !framescope", "-T", "fields"]);
    args.extend(["-e", "tcp.srcport", "-e", "_ws.col.Info"]);
    let segments = tshark(dir.path(), &args);
    let segments: Vec<&str> = segments.lines().collect();
    assert_eq!(segments.len(), 4, "{segments:#?}");
    for line in segments {
        let (port, info) = line.split_once('\t').unwrap();
        assert!(
            info.starts_with(port) && info.contains("[TCP segment of a reassembled PDU]"),
            "TCP's Info: {line}"
        );
    }

    // A header with no content-length is flagged, and taken alone.
    let mut args: Vec<&str> = common.iter().map(String::as_str).collect();
    args.extend(["-Y", "framescope.bad_header", "-T", "fields"]);
    args.extend(["-e", "tcp.srcport", "-e", "framescope.header"]);
    let flagged = tshark(dir.path(), &args);
    let header = std::str::from_utf8(&headless[2..]).unwrap();
    assert_eq!(flagged.trim_end(), format!("40001\t{header}"));
}

/// Framed UDP sockets against a frame-echo server over UDP on `listen`'s
/// family, `sockets` of them each sending every message of
/// [`framed_messages`]: the journal, saved as pcapng, and the server's
/// address.
fn udp_capture(listen: &str, dir: &Path, sockets: usize) -> (Vec<RecordView>, PathBuf, SocketAddr) {
    let engine = Engine::new().unwrap();
    let addr = common::start_server_over(
        &engine,
        ServerMode::FrameEcho,
        None,
        framescope::engine::Transport::Udp,
        listen,
    );
    let report = common::connect_over(
        &engine,
        addr,
        sockets,
        ClientMode::Framed,
        framescope::engine::Transport::Udp,
    );
    assert_eq!(report.opened, sockets);
    let messages = framed_messages();
    for message in &messages {
        send_all(&engine, &message.build().unwrap(), sockets);
    }
    let expected = messages.len() * sockets;
    assert!(eventually(
        || common::frames_echoed(&engine) == expected as u64
    ));
    // Each datagram twice on each side: sent and received.
    assert!(eventually(|| records(&engine).len() == expected * 4));
    let capture = dir.join("udp.pcapng");
    save_pcapng(&engine, &capture);
    (records(&engine), capture, addr)
}

#[test]
fn udp_datagrams_are_udp_packets_that_the_lua_dissector_decodes() {
    if !tshark_available("udp_datagrams_are_udp_packets_that_the_lua_dissector_decodes") {
        return;
    }
    let frames: Vec<Bytes> = framed_messages()
        .iter()
        .map(|f| f.build().unwrap())
        .collect();
    for listen in ["127.0.0.1:0", "[::1]:0"] {
        let dir = tempfile::tempdir().unwrap();
        let (journal, capture, addr) = udp_capture(listen, dir.path(), 2);
        // One packet per datagram: the clients' side of each flow (the
        // server's sees the same datagrams and is left out), in order.
        let written: Vec<(u16, Vec<u8>)> = tshark(
            dir.path(),
            &[
                "-r",
                capture.to_str().unwrap(),
                "-Y",
                "udp",
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-e",
                "udp.srcport",
                "-e",
                "udp.payload",
            ],
        )
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (port, payload) = line.split_once('\t').unwrap();
            (port.parse().unwrap(), from_hex(payload))
        })
        .collect();
        let client_side: Vec<(u16, Vec<u8>)> = journal
            .iter()
            .filter(|r| r.side == Side::Client)
            .map(|r| {
                let from = match r.direction {
                    Direction::Sent => r.local.unwrap().port(),
                    Direction::Received => r.peer.unwrap().port(),
                };
                (from, r.bytes.to_vec())
            })
            .collect();
        assert_eq!(
            written.len(),
            client_side.len(),
            "{listen}: one packet a datagram"
        );
        assert!(
            written == client_side,
            "{listen}: the packets are the journal's datagrams"
        );
        assert!(
            tshark(dir.path(), &["-r", capture.to_str().unwrap(), "-Y", "tcp"])
                .trim()
                .is_empty(),
            "{listen}: no TCP at all"
        );
        // The dissector, on the server's port over UDP, decodes every
        // datagram as the frame it is.
        let port = format!("framescope.port:{}", addr.port());
        let mut args = dissector_args(&capture);
        args.extend(["-o".into(), port.clone(), "-Y".into(), "framescope".into()]);
        args.extend(
            [
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-e",
                "udp.srcport",
                "-e",
                "framescope.header",
                "-e",
                "framescope.content",
            ]
            .map(String::from),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let decoded = tshark(dir.path(), &args);
        let lines: Vec<&str> = decoded.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), frames.len() * 2 * 2, "{listen}: {decoded}");
        for line in lines {
            let cells: Vec<&str> = line.split('\t').collect();
            let content = from_hex(cells[2]);
            let built = frames
                .iter()
                .find(|f| f.ends_with(&content) && !content.is_empty())
                .unwrap_or_else(|| panic!("{listen}: {line} is none of the frames sent"));
            let header_len = usize::from(u16::from_be_bytes([built[0], built[1]]));
            assert_eq!(
                cells[1],
                std::str::from_utf8(&built[2..2 + header_len]).unwrap()
            );
        }
        assert_no_packet(
            dir.path(),
            &capture,
            &["-o", &port],
            &format!("{DISSECTOR_FAILED} || _ws.expert.severity == error"),
        );
    }
}
