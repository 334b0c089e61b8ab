//! The journal as pcapng: read back with a pcapng reader and a packet
//! parser, every stream's bytes in each direction are exactly the
//! journal's, after a three-way handshake, in segments no larger than an
//! MSS, and closed with FINs.

use crate::common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command as Process;

use bytes::Bytes;
use common::{connect, eventually, frames_echoed, start_server};
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use framescope::engine::{
    ClientMode, Command, Direction, Engine, Event, FrameBuilder, LogFormat, RecordKind, RecordView,
    SendTarget, ServerMode, Side, write_pcapng,
};
use pcap_file::pcapng::{Block, PcapNgReader};

/// One packet as read back.
#[derive(Debug)]
struct Packet {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    fin: bool,
    ack: bool,
    payload: Vec<u8>,
    time_us: u64,
    ipv6: bool,
}

fn read_packets(file: &[u8]) -> Vec<Packet> {
    let mut reader = PcapNgReader::new(file).expect("a pcapng file");
    let mut packets = Vec::new();
    while let Some(block) = reader.next_block() {
        let Block::EnhancedPacket(epb) = block.expect("a block") else {
            continue;
        };
        let sliced = SlicedPacket::from_ethernet(&epb.data).expect("an Ethernet frame");
        let (src_ip, dst_ip, ipv6) = match sliced.net.expect("an IP packet") {
            NetSlice::Ipv4(ip) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
                false,
            ),
            NetSlice::Ipv6(ip) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
                true,
            ),
            other => panic!("not IP: {other:?}"),
        };
        let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
            panic!("not TCP");
        };
        packets.push(Packet {
            src: SocketAddr::new(src_ip, tcp.source_port()),
            dst: SocketAddr::new(dst_ip, tcp.destination_port()),
            seq: tcp.sequence_number(),
            syn: tcp.syn(),
            fin: tcp.fin(),
            ack: tcp.ack(),
            payload: tcp.payload().to_vec(),
            time_us: epb.timestamp.as_micros() as u64,
            ipv6,
        });
    }
    packets
}

fn record(
    conn: u32,
    (local, peer): (&str, &str),
    direction: Direction,
    time_us: u64,
    bytes: Vec<u8>,
) -> RecordView {
    RecordView {
        seq: 0,
        time_us,
        conn,
        peer: Some(peer.parse().unwrap()),
        local: Some(local.parse().unwrap()),
        link: None,
        side: Side::Client,
        direction,
        kind: RecordKind::Frame,
        wire_len: bytes.len() as u32,
        bytes: Bytes::from(bytes),
        error: None,
        profile: None,
        transport: framescope::engine::Transport::Tcp,
    }
}

/// The payload each direction of each stream carried, in sequence order.
fn reassemble(packets: &[Packet]) -> BTreeMap<(SocketAddr, SocketAddr), Vec<u8>> {
    let mut by_direction: BTreeMap<(SocketAddr, SocketAddr), Vec<&Packet>> = BTreeMap::new();
    for packet in packets.iter().filter(|p| !p.payload.is_empty()) {
        by_direction
            .entry((packet.src, packet.dst))
            .or_default()
            .push(packet);
    }
    by_direction
        .into_iter()
        .map(|(key, mut segments)| {
            segments.sort_by_key(|p| p.seq);
            (
                key,
                segments.iter().flat_map(|p| p.payload.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn every_stream_carries_exactly_the_journals_bytes_after_a_handshake() {
    let ends = ("127.0.0.1:40001", "127.0.0.1:8800");
    let big = vec![0xab; 5000];
    let records = vec![
        record(1, ends, Direction::Sent, 1_000_000, b"hello".to_vec()),
        record(1, ends, Direction::Received, 1_000_100, b"HELLO".to_vec()),
        record(1, ends, Direction::Sent, 1_000_200, big.clone()),
        record(
            2,
            ("[::1]:40002", "[::1]:8800"),
            Direction::Sent,
            1_000_300,
            b"six".to_vec(),
        ),
    ];
    let mut file = Vec::new();
    let summary = write_pcapng(records, &mut file).unwrap();
    assert_eq!(summary.streams, 2);
    let packets = read_packets(&file);
    assert_eq!(packets.len() as u64, summary.packets);

    let client: SocketAddr = ends.0.parse().unwrap();
    let server: SocketAddr = ends.1.parse().unwrap();
    let first: Vec<&Packet> = packets
        .iter()
        .filter(|p| p.src == client || p.dst == client)
        .collect();
    assert!(first[0].syn && !first[0].ack && first[0].src == client);
    assert!(first[1].syn && first[1].ack && first[1].src == server);
    assert!(!first[2].syn && first[2].ack && first[2].payload.is_empty());
    assert!(first[first.len() - 3].fin && first[first.len() - 2].fin);
    assert!(first.iter().all(|p| p.payload.len() <= 1460));
    assert!(
        first.iter().filter(|p| p.payload.len() == 1460).count() >= 3,
        "the 5,000 bytes are split"
    );
    assert!(first.iter().all(|p| !p.ipv6));

    let streams = reassemble(&packets);
    let mut sent = b"hello".to_vec();
    sent.extend_from_slice(&big);
    assert_eq!(streams[&(client, server)], sent);
    assert_eq!(streams[&(server, client)], b"HELLO");
    let v6_client: SocketAddr = "[::1]:40002".parse().unwrap();
    let v6_server: SocketAddr = "[::1]:8800".parse().unwrap();
    assert_eq!(streams[&(v6_client, v6_server)], b"six");
    assert!(
        packets
            .iter()
            .filter(|p| p.src == v6_client)
            .all(|p| p.ipv6)
    );

    let hello = packets.iter().find(|p| p.payload == b"hello").unwrap();
    assert_eq!(hello.time_us, 1_000_000, "the journal's timestamps");
    assert!(
        packets.windows(2).all(|w| w[0].time_us <= w[1].time_us),
        "packets in time order, the FINs written last included"
    );
}

#[test]
fn both_ends_of_one_loopback_connection_make_one_stream_with_the_real_addresses() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let report = connect(&engine, addr, 2, ClientMode::Framed);
    assert_eq!(report.opened, 2);
    let frame = FrameBuilder::new().content("{\"n\": 1}").build().unwrap();
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: frame.clone(),
    });
    assert!(eventually(|| frames_echoed(&engine) == 2));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.pcapng");
    engine.command(Command::SaveLog {
        path: path.clone(),
        format: LogFormat::from_path(&path),
    });
    let saved = common::wait_event(&engine, |event| match event {
        Event::Saved { result, .. } => Some(result),
        _ => None,
    });
    saved.expect("saved");
    let packets = read_packets(&std::fs::read(&path).unwrap());
    let syns = packets.iter().filter(|p| p.syn && !p.ack).count();
    assert_eq!(syns, 2, "one stream per connection, not one per side");
    assert!(
        packets
            .iter()
            .filter(|p| p.syn && !p.ack)
            .all(|p| p.dst == addr)
    );
    let streams = reassemble(&packets);
    let to_server: Vec<&Vec<u8>> = streams
        .iter()
        .filter(|((_, dst), _)| *dst == addr)
        .map(|(_, bytes)| bytes)
        .collect();
    assert_eq!(to_server.len(), 2);
    assert!(to_server.iter().all(|bytes| **bytes == frame.to_vec()));
}

#[test]
fn export_turns_a_saved_log_into_a_capture_and_leaves_nothing_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.jsonl");
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let sent = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["send", "--to", &addr.to_string(), "--text", "to wireshark"])
        .args(["--log", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let capture = dir.path().join("run.pcapng");
    let exported = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["export", log.to_str().unwrap(), capture.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let packets = read_packets(&std::fs::read(&capture).unwrap());
    let expected = FrameBuilder::new()
        .field("content-type", "text/plain")
        .content("to wireshark")
        .build()
        .unwrap();
    let streams = reassemble(&packets);
    assert!(streams.values().any(|bytes| *bytes == expected.to_vec()));

    let unwritable = dir.path().join("no-such-dir").join("out.pcapng");
    let failed = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args([
            "export",
            log.to_str().unwrap(),
            unwritable.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("no-such-dir"));
    assert!(!dir.path().join("no-such-dir").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "no half-written file");
}

#[test]
fn a_load_run_can_be_logged_as_a_capture() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("load.pcapng");
    let output = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["load", "--to", &addr.to_string(), "--connections", "2"])
        .args([
            "--duration",
            "0.3",
            "--warmup",
            "0",
            "--quiet",
            "--text",
            "n={{seq}}",
        ])
        .args(["--log", capture.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let packets = read_packets(&std::fs::read(&capture).unwrap());
    assert_eq!(packets.iter().filter(|p| p.syn && !p.ack).count(), 2);
    let streams = reassemble(&packets);
    let to_server: Vec<&Vec<u8>> = streams
        .iter()
        .filter(|((_, dst), _)| *dst == addr)
        .map(|(_, bytes)| bytes)
        .collect();
    assert_eq!(to_server.len(), 2);
    let first = FrameBuilder::new()
        .field("content-type", "text/plain")
        .content("n=1")
        .build()
        .unwrap();
    assert!(to_server.iter().all(|bytes| bytes.starts_with(&first)));
}
