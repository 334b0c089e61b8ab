//! A journal as a pcapng capture for Wireshark: every connection becomes a
//! TCP stream of synthetic Ethernet, IPv4 or IPv6 and TCP packets, with a
//! three-way handshake, consistent sequence and acknowledgement numbers,
//! the journal's timestamps, segments no larger than a real MSS, and a FIN
//! at the end, so that "Follow TCP Stream" shows exactly the bytes the
//! journal holds. Packets are built by `etherparse` and the file is written
//! by `pcap-file`.
//!
//! A UDP record is one datagram, and becomes one UDP packet: no
//! handshake, no acknowledgement, no FIN.
//!
//! Both ends of a connection seen twice (the embedded server and the
//! client pool talking over loopback) would make one TCP stream twice: the
//! second side of a stream already written is left out. A record whose
//! capture kept fewer bytes than crossed the wire becomes packets cut short
//! (their original length says how long they were), with the sequence
//! numbers of the whole.

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use crate::engine::record::journal::RecordView;
use crate::engine::record::vocabulary::{Direction, RecordKind, Side, Transport};

/// The largest TCP payload of one packet over IPv4 (Ethernet's MTU less
/// the IP and TCP headers).
const MSS_V4: usize = 1460;
/// The same over IPv6.
const MSS_V6: usize = 1440;
/// The window every synthetic segment advertises.
const WINDOW: u16 = 65_535;
/// Nanoseconds: the timestamp resolution `pcap-file` writes.
const NANOSECOND_RESOLUTION: u8 = 9;

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcapSummary {
    /// TCP streams (connections) and UDP flows (sockets, sessions).
    pub streams: u64,
    /// Packets, handshakes and acknowledgements included.
    pub packets: u64,
    /// Records left out: the other side of a stream already written, or
    /// rejected bytes that never formed a frame.
    pub skipped_records: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    /// The file could not be written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A block could not be written.
    #[error("cannot write the capture: {0}")]
    Pcap(String),
    /// A packet could not be built.
    #[error("cannot build a packet: {0}")]
    Packet(String),
}

/// The two ends of a stream, the client's first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StreamKey {
    client: SocketAddr,
    server: SocketAddr,
}

/// One TCP stream being written.
#[derive(Debug)]
struct Stream {
    key: StreamKey,
    /// The journal's connection the stream was made from.
    owner: (Side, u32),
    /// The next sequence number the client and the server send.
    client_seq: u32,
    server_seq: u32,
    /// When its last packet went.
    last_us: u64,
    /// A UDP flow: datagrams, with no handshake or close.
    udp: bool,
}

/// Writes `records` (in journal order) as pcapng to `out`.
pub fn write_pcapng(
    records: impl IntoIterator<Item = RecordView>,
    out: impl Write,
) -> Result<PcapSummary, PcapError> {
    let mut writer = PcapNgWriter::new(out).map_err(|e| PcapError::Pcap(e.to_string()))?;
    let interface = InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![InterfaceDescriptionOption::IfTsResol(NANOSECOND_RESOLUTION)],
    };
    writer
        .write_pcapng_block(interface)
        .map_err(|e| PcapError::Pcap(e.to_string()))?;
    let mut capture = Capture {
        writer,
        streams: HashMap::new(),
        owners: HashMap::new(),
        summary: PcapSummary::default(),
        latest_us: 0,
    };
    for record in records {
        capture.record(&record)?;
    }
    capture.close_all()?;
    Ok(capture.summary)
}

/// The writer and the streams so far.
struct Capture<W: Write> {
    writer: PcapNgWriter<W>,
    streams: HashMap<StreamKey, Stream>,
    /// Which stream each journal connection writes to (none: left out).
    owners: HashMap<(Side, u32), Option<StreamKey>>,
    summary: PcapSummary,
    /// The latest timestamp written: no packet is stamped before it, so
    /// the file reads in time order (a handshake made up just before a
    /// stream's first bytes, or the FINs written at the end, never go
    /// back in time).
    latest_us: u64,
}

impl<W: Write> Capture<W> {
    /// Adds one record: the stream's handshake first if it is new, then
    /// its bytes as segments and the other end's acknowledgement.
    fn record(&mut self, record: &RecordView) -> Result<(), PcapError> {
        // A TLS handshake record describes the handshake (its bytes never
        // crossed the wire as such), a note is framescope's own remark, and
        // an error with no bytes carried none.
        if matches!(record.kind, RecordKind::Handshake | RecordKind::Note)
            || (record.kind == RecordKind::Error && record.bytes.is_empty())
        {
            self.summary.skipped_records += 1;
            return Ok(());
        }
        let Some(key) = self.stream_for(record)? else {
            self.summary.skipped_records += 1;
            return Ok(());
        };
        let from_client = match (record.side, record.direction) {
            (Side::Client, Direction::Sent) | (Side::Server, Direction::Received) => true,
            (Side::Client, Direction::Received) | (Side::Server, Direction::Sent) => false,
        };
        let time_us = record.time_us;
        if record.transport == Transport::Udp {
            return self.datagram(key, from_client, record);
        }
        let stream = self
            .streams
            .get_mut(&key)
            .expect("the stream was just made");
        let (seq, ack) = if from_client {
            (stream.client_seq, stream.server_seq)
        } else {
            (stream.server_seq, stream.client_seq)
        };
        let (src, dst) = if from_client {
            (key.client, key.server)
        } else {
            (key.server, key.client)
        };
        let wire_len = (record.wire_len as usize).max(record.bytes.len());
        let mss = if key.client.is_ipv4() { MSS_V4 } else { MSS_V6 };
        let mut offset = 0;
        let mut packets = Vec::new();
        while offset < wire_len {
            let end = (offset + mss).min(wire_len);
            let kept = record
                .bytes
                .get(offset..end.min(record.bytes.len()))
                .unwrap_or(&[]);
            let header = Segment {
                src,
                dst,
                seq: seq.wrapping_add(offset as u32),
                ack: Some(ack),
                flags: Flags {
                    psh: end == wire_len,
                    ..Flags::default()
                },
            };
            packets.push((header, kept.to_vec(), end - offset));
            offset = end;
        }
        for (segment, kept, len) in packets {
            self.write(time_us, &segment, &kept, len)?;
        }
        let stream = self.streams.get_mut(&key).expect("the stream exists");
        if from_client {
            stream.client_seq = stream.client_seq.wrapping_add(wire_len as u32);
        } else {
            stream.server_seq = stream.server_seq.wrapping_add(wire_len as u32);
        }
        stream.last_us = time_us;
        let (next_seq, next_ack) = if from_client {
            (stream.server_seq, stream.client_seq)
        } else {
            (stream.client_seq, stream.server_seq)
        };
        let acknowledgement = Segment {
            src: dst,
            dst: src,
            seq: next_seq,
            ack: Some(next_ack),
            flags: Flags::default(),
        };
        self.write(time_us, &acknowledgement, &[], 0)
    }

    /// One UDP packet for a datagram record.
    fn datagram(
        &mut self,
        key: StreamKey,
        from_client: bool,
        record: &RecordView,
    ) -> Result<(), PcapError> {
        let (src, dst) = if from_client {
            (key.client, key.server)
        } else {
            (key.server, key.client)
        };
        let wire_len = (record.wire_len as usize).max(record.bytes.len());
        let packet = build_udp(src, dst, &record.bytes)?;
        self.streams.get_mut(&key).expect("the flow exists").last_us = record.time_us;
        self.write_packet(record.time_us, packet, wire_len - record.bytes.len())
    }

    /// The stream a record belongs to, made (with its handshake) on the
    /// connection's first record; `None` when the record is left out.
    fn stream_for(&mut self, record: &RecordView) -> Result<Option<StreamKey>, PcapError> {
        let owner = (record.side, record.conn);
        if let Some(known) = self.owners.get(&owner) {
            return Ok(*known);
        }
        let (local, peer) = endpoints(record);
        let key = match record.side {
            Side::Client => StreamKey {
                client: local,
                server: peer,
            },
            Side::Server => StreamKey {
                client: peer,
                server: local,
            },
        };
        let chosen = match self.streams.entry(key) {
            // The same stream, seen from its other end: already written.
            MapEntry::Occupied(existing) if existing.get().owner != owner => None,
            MapEntry::Occupied(_) => Some(key),
            MapEntry::Vacant(slot) => {
                // Initial sequence numbers told apart by connection, as a
                // real stack's would be.
                let isn = record.conn.wrapping_mul(0x9E37_79B9);
                let udp = record.transport == Transport::Udp;
                slot.insert(Stream {
                    key,
                    owner,
                    client_seq: isn,
                    server_seq: isn ^ 0x5555_5555,
                    last_us: record.time_us,
                    udp,
                });
                if udp {
                    self.summary.streams += 1;
                } else {
                    self.handshake(key, record.time_us)?;
                }
                Some(key)
            }
        };
        self.owners.insert(owner, chosen);
        Ok(chosen)
    }

    /// SYN, SYN-ACK and ACK, just before `time_us`.
    fn handshake(&mut self, key: StreamKey, time_us: u64) -> Result<(), PcapError> {
        self.summary.streams += 1;
        let stream = &self.streams[&key];
        let (client_isn, server_isn) = (stream.client_seq, stream.server_seq);
        let at = time_us.saturating_sub(3);
        let syn = Segment {
            src: key.client,
            dst: key.server,
            seq: client_isn,
            ack: None,
            flags: Flags {
                syn: true,
                ..Flags::default()
            },
        };
        let syn_ack = Segment {
            src: key.server,
            dst: key.client,
            seq: server_isn,
            ack: Some(client_isn.wrapping_add(1)),
            flags: Flags {
                syn: true,
                ..Flags::default()
            },
        };
        let ack = Segment {
            src: key.client,
            dst: key.server,
            seq: client_isn.wrapping_add(1),
            ack: Some(server_isn.wrapping_add(1)),
            flags: Flags::default(),
        };
        self.write(at, &syn, &[], 0)?;
        self.write(at + 1, &syn_ack, &[], 0)?;
        self.write(at + 2, &ack, &[], 0)?;
        let stream = self.streams.get_mut(&key).expect("the stream exists");
        stream.client_seq = client_isn.wrapping_add(1);
        stream.server_seq = server_isn.wrapping_add(1);
        Ok(())
    }

    /// Every stream's close: FIN from the client, FIN-ACK, ACK.
    fn close_all(&mut self) -> Result<(), PcapError> {
        let mut streams: Vec<(StreamKey, u32, u32, u64)> = self
            .streams
            .values()
            .filter(|s| !s.udp)
            .map(|s| (s.key, s.client_seq, s.server_seq, s.last_us))
            .collect();
        streams.sort_by_key(|s| s.3);
        for (key, client_seq, server_seq, last_us) in streams {
            let fin = |src, dst, seq: u32, ack: u32| Segment {
                src,
                dst,
                seq,
                ack: Some(ack),
                flags: Flags {
                    fin: true,
                    ..Flags::default()
                },
            };
            self.write(
                last_us + 1,
                &fin(key.client, key.server, client_seq, server_seq),
                &[],
                0,
            )?;
            self.write(
                last_us + 2,
                &fin(
                    key.server,
                    key.client,
                    server_seq,
                    client_seq.wrapping_add(1),
                ),
                &[],
                0,
            )?;
            let last_ack = Segment {
                src: key.client,
                dst: key.server,
                seq: client_seq.wrapping_add(1),
                ack: Some(server_seq.wrapping_add(1)),
                flags: Flags::default(),
            };
            self.write(last_us + 3, &last_ack, &[], 0)?;
        }
        Ok(())
    }

    /// Writes one packet carrying `kept` of its `len` payload bytes.
    fn write(
        &mut self,
        time_us: u64,
        segment: &Segment,
        kept: &[u8],
        len: usize,
    ) -> Result<(), PcapError> {
        let packet = segment.build(kept)?;
        self.write_packet(time_us, packet, len - kept.len())
    }

    /// Writes one built packet, `left_out` payload bytes short of the
    /// packet that crossed the wire.
    fn write_packet(
        &mut self,
        time_us: u64,
        packet: Vec<u8>,
        left_out: usize,
    ) -> Result<(), PcapError> {
        let original_len = packet.len() + left_out;
        let time_us = time_us.max(self.latest_us);
        self.latest_us = time_us;
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_micros(time_us),
            original_len: original_len as u32,
            data: packet.into(),
            options: Vec::new(),
        };
        self.writer
            .write_pcapng_block(block)
            .map_err(|e| PcapError::Pcap(e.to_string()))?;
        self.summary.packets += 1;
        Ok(())
    }
}

/// TCP flags of a segment besides ACK (set whenever there is an
/// acknowledgement number).
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    syn: bool,
    fin: bool,
    psh: bool,
}

/// One segment to build.
#[derive(Debug, Clone, Copy)]
struct Segment {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: Option<u32>,
    flags: Flags,
}

impl Segment {
    /// The whole packet, Ethernet to payload.
    fn build(&self, payload: &[u8]) -> Result<Vec<u8>, PcapError> {
        let mut tcp = TcpHeader::new(self.src.port(), self.dst.port(), self.seq, WINDOW);
        tcp.syn = self.flags.syn;
        tcp.fin = self.flags.fin;
        tcp.psh = self.flags.psh;
        if let Some(ack) = self.ack {
            tcp.ack = true;
            tcp.acknowledgment_number = ack;
        }
        let ethernet = PacketBuilder::ethernet2(mac(self.src), mac(self.dst));
        let builder = match (self.src.ip(), self.dst.ip()) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => ethernet.ipv4(src.octets(), dst.octets(), 64),
            (src, dst) => ethernet.ipv6(v6(src).octets(), v6(dst).octets(), 64),
        }
        .tcp_header(tcp);
        let mut packet = Vec::with_capacity(builder.size(payload.len()));
        builder
            .write(&mut packet, payload)
            .map_err(|e| PcapError::Packet(e.to_string()))?;
        Ok(packet)
    }
}

/// A whole UDP packet, Ethernet to payload.
fn build_udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Result<Vec<u8>, PcapError> {
    let ethernet = PacketBuilder::ethernet2(mac(src), mac(dst));
    let builder = match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ethernet.ipv4(s.octets(), d.octets(), 64),
        (s, d) => ethernet.ipv6(v6(s).octets(), v6(d).octets(), 64),
    }
    .udp(src.port(), dst.port());
    let mut packet = Vec::with_capacity(builder.size(payload.len()));
    builder
        .write(&mut packet, payload)
        .map_err(|e| PcapError::Packet(e.to_string()))?;
    Ok(packet)
}

/// A made-up but stable MAC address for an endpoint: locally administered,
/// from its address.
fn mac(addr: SocketAddr) -> [u8; 6] {
    let octets = match addr.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets()[12..].to_vec(),
    };
    [0x02, 0x00, octets[0], octets[1], octets[2], octets[3]]
}

/// An address as IPv6 (IPv4 mapped), for a stream that mixes families.
fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// This end and the other of a record's connection. An end the journal
/// does not know is made up: the loopback address of the other end's
/// family, on a port told apart by connection.
fn endpoints(record: &RecordView) -> (SocketAddr, SocketAddr) {
    let made_up = |family_of: Option<SocketAddr>, port: u16| {
        let ip = match family_of {
            Some(SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        SocketAddr::new(ip, port)
    };
    let ephemeral = 40_000 + (record.conn % 20_000) as u16;
    let peer = record.peer.unwrap_or_else(|| {
        made_up(
            record.local,
            match record.side {
                Side::Client => 8800,
                Side::Server => ephemeral,
            },
        )
    });
    let local = record.local.unwrap_or_else(|| {
        made_up(
            Some(peer),
            match record.side {
                Side::Client => ephemeral,
                Side::Server => 8800,
            },
        )
    });
    (local, peer)
}
