//! Datagrams: a UDP socket for an address, one datagram read with any
//! truncation known, and a datagram read as one message of its protocol.
//!
//! Over UDP a datagram is the unit: one datagram is one frame (or, raw,
//! one chunk), never part of one and never two. A datagram that holds less
//! than its frame, or more, is an error row of its own, and the next
//! datagram is read as if nothing had happened.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::net::UdpSocket;

use crate::engine::net::read_error::{ReadError, ReadReason};
use crate::engine::protocol::codec::{DecodeReason, FrameCodec, FramePart, Progress};
use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::{Profile, Role};

/// The socket buffers a UDP socket asks for, each way: room for a burst of
/// a few thousand datagrams, where the default (about 200 KB on Linux)
/// drops them past a few hundred. The system caps what it grants (Linux:
/// `net.core.rmem_max`); asking is best effort.
pub(crate) const SOCKET_BUFFER: usize = 4 << 20;

/// Binds a UDP socket at `addr` (port 0: any free port), with socket
/// buffers as large as the system grants up to [`SOCKET_BUFFER`].
pub(crate) fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = std::net::UdpSocket::bind(addr)?;
    socket.set_nonblocking(true)?;
    let buffers = socket2::SockRef::from(&socket);
    let _ = buffers.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = buffers.set_send_buffer_size(SOCKET_BUFFER);
    UdpSocket::from_std(socket)
}

/// The address a client socket binds to reach `target`: any port on the
/// unspecified address of its family.
pub(crate) fn any_local_for(target: SocketAddr) -> SocketAddr {
    match target {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    }
}

/// A multicast group a UDP server joins, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MulticastJoin {
    /// The group's address (IPv4 224.0.0.0/4, or IPv6 ff00::/8).
    pub group: IpAddr,
    /// Over IPv4, the interface's address (unspecified: the system's
    /// choice); over IPv6, the interface's index (0: the system's choice).
    pub interface: MulticastInterface,
}

/// The interface a multicast group is joined on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MulticastInterface {
    /// The system chooses.
    Any,
    /// An IPv4 interface, by its address.
    V4(Ipv4Addr),
    /// An IPv6 interface, by its index.
    V6(u32),
}

/// Why a multicast group cannot be joined as asked.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The address is no multicast group.
    #[error("{0} is not a multicast group (IPv4 224.0.0.0/4 or IPv6 ff00::/8)")]
    NotMulticast(IpAddr),
    /// An interface of the other family.
    #[error("interface {interface} is not of the group's family ({group})")]
    Family {
        /// The group.
        group: IpAddr,
        /// The interface, as given.
        interface: String,
    },
    /// The system refused.
    #[error("cannot join {group}: {source}")]
    Join {
        /// The group.
        group: IpAddr,
        /// The system's error.
        source: io::Error,
    },
}

impl MulticastJoin {
    /// Joins the group on `socket`, bound to the group's port.
    pub(crate) fn join(&self, socket: &UdpSocket) -> Result<(), JoinError> {
        let failed = |source| JoinError::Join {
            group: self.group,
            source,
        };
        match (self.group, self.interface) {
            (IpAddr::V4(group), MulticastInterface::Any) => socket
                .join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
                .map_err(failed),
            (IpAddr::V4(group), MulticastInterface::V4(interface)) => {
                socket.join_multicast_v4(group, interface).map_err(failed)
            }
            (IpAddr::V6(group), MulticastInterface::Any) => {
                socket.join_multicast_v6(&group, 0).map_err(failed)
            }
            (IpAddr::V6(group), MulticastInterface::V6(index)) => {
                socket.join_multicast_v6(&group, index).map_err(failed)
            }
            (group, interface) => Err(JoinError::Family {
                group,
                interface: format!("{interface:?}"),
            }),
        }
    }

    /// A group, checked to be one.
    pub fn new(group: IpAddr, interface: MulticastInterface) -> Result<Self, JoinError> {
        if !group.is_multicast() {
            return Err(JoinError::NotMulticast(group));
        }
        Ok(Self { group, interface })
    }
}

/// One datagram as read.
#[derive(Debug)]
pub(crate) struct Received {
    /// Its bytes (the first `limit` of them when it was truncated).
    pub(crate) bytes: Bytes,
    /// Who sent it.
    pub(crate) peer: SocketAddr,
    /// Whether it was longer than the buffer, and so cut.
    pub(crate) truncated: bool,
}

/// Room for one datagram of at most `limit` bytes, reused from one to the
/// next. One byte more than the limit is offered to the system, so a
/// datagram longer than the limit shows as one, on every platform that
/// cuts silently.
#[derive(Debug)]
pub(crate) struct DatagramBuffer {
    buf: BytesMut,
    limit: usize,
}

impl DatagramBuffer {
    /// Room for datagrams of up to `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(limit + 1),
            limit,
        }
    }

    /// The next datagram and who sent it.
    pub(crate) async fn recv_from(&mut self, socket: &UdpSocket) -> io::Result<Received> {
        self.buf.clear();
        self.buf.reserve(self.limit + 1);
        let (_, peer) = socket.recv_buf_from(&mut self.buf).await?;
        Ok(self.take(peer))
    }

    /// The next datagram on a connected socket (from its peer, `peer`).
    pub(crate) async fn recv(
        &mut self,
        socket: &UdpSocket,
        peer: SocketAddr,
    ) -> io::Result<Received> {
        self.buf.clear();
        self.buf.reserve(self.limit + 1);
        socket.recv_buf(&mut self.buf).await?;
        Ok(self.take(peer))
    }

    fn take(&mut self, peer: SocketAddr) -> Received {
        let truncated = self.buf.len() > self.limit;
        self.buf.truncate(self.limit);
        Received {
            bytes: self.buf.split().freeze(),
            peer,
            truncated,
        }
    }

    /// The most bytes of a datagram it keeps.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }
}

/// What one datagram is, read by its protocol.
#[derive(Debug)]
pub(crate) enum Message {
    /// One whole frame, exactly the datagram.
    Frame(Frame),
    /// Raw bytes, unframed.
    Chunk(Bytes),
    /// A datagram that is not one whole frame, and why.
    Rejected(Bytes, ReadError),
}

/// How the datagrams of a socket or session are read: raw, as the JSON
/// header's frames, or as a profile's.
#[derive(Debug, Clone)]
pub(crate) enum DatagramFraming {
    /// Each datagram a raw chunk.
    Raw,
    /// The tutorial's frames, content up to this many bytes.
    JsonHeader(u64),
    /// A profile's frames, going the way the role says.
    Profile(Arc<Profile>, Role),
}

impl DatagramFraming {
    /// The framing for `profile` (raw and the JSON header by their own
    /// rules), frames going the way `role` says; with no profile, the JSON
    /// header's, or raw when `raw`.
    pub(crate) fn of(
        profile: Option<&Arc<Profile>>,
        role: Role,
        raw: bool,
        max_content_length: u64,
    ) -> Self {
        match profile {
            Some(p) if p.is_raw() => Self::Raw,
            Some(p) if p.is_json_header() => Self::JsonHeader(max_content_length),
            Some(p) => Self::Profile(p.clone(), role),
            None if raw => Self::Raw,
            None => Self::JsonHeader(max_content_length),
        }
    }

    /// The datagram `bytes` read as one message.
    pub(crate) fn read(&self, bytes: Bytes) -> Message {
        let mut codec = match self {
            Self::Raw => return Message::Chunk(bytes),
            Self::JsonHeader(max) => FrameCodec::new(*max),
            Self::Profile(profile, role) => FrameCodec::with_profile(profile.clone(), *role),
        };
        let error = match codec.front_frame(&bytes) {
            Ok(Progress::Whole { len, header_len }) if len == bytes.len() => {
                return Message::Frame(Frame::from_validated(bytes, header_len));
            }
            Ok(Progress::Whole { len, .. }) => datagram_error(ReadReason::DatagramExtra {
                frame: len as u64,
                extra: (bytes.len() - len) as u64,
            }),
            Ok(Progress::Wanting(_)) => self.short(&bytes),
            Ok(Progress::Rejected { error, .. }) | Err(error) => error.into(),
        };
        Message::Rejected(bytes, error)
    }

    /// Why a datagram that ends inside its frame is wrong: under a
    /// profile, the field it ends in.
    fn short(&self, bytes: &[u8]) -> ReadError {
        if let Self::Profile(profile, role) = self
            && let (_, Some(fault)) = profile.decode(bytes, *role)
        {
            return ReadError {
                offset: 0,
                part: FramePart::Frame,
                reason: ReadReason::Decode(DecodeReason::Field(fault)),
            };
        }
        datagram_error(ReadReason::DatagramShort {
            len: bytes.len() as u64,
        })
    }
}

/// An error about a datagram as a whole.
pub(crate) fn datagram_error(reason: ReadReason) -> ReadError {
    ReadError {
        offset: 0,
        part: FramePart::Frame,
        reason,
    }
}

/// The error row for a datagram cut at `limit` bytes.
pub(crate) fn truncated(limit: usize) -> ReadError {
    datagram_error(ReadReason::DatagramTruncated { kept: limit as u64 })
}

/// Whether a socket error is an ICMP "port unreachable" reported on a
/// connected UDP socket (Linux and macOS: connection refused; Windows:
/// connection reset).
pub(crate) fn is_unreachable(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::frame::FrameBuilder;

    fn json_frame() -> Bytes {
        FrameBuilder::new().field("value", "hi").build().unwrap()
    }

    #[test]
    fn a_datagram_of_one_frame_is_that_frame() {
        let framing = DatagramFraming::JsonHeader(1 << 20);
        let frame = json_frame();
        match framing.read(frame.clone()) {
            Message::Frame(read) => assert_eq!(read.raw(), &frame),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_datagram_with_more_than_its_frame_is_rejected_whole() {
        let framing = DatagramFraming::JsonHeader(1 << 20);
        let mut two = json_frame().to_vec();
        two.extend_from_slice(b"xyz");
        match framing.read(Bytes::from(two.clone())) {
            Message::Rejected(bytes, error) => {
                assert_eq!(bytes.len(), two.len());
                assert!(error.to_string().contains("3 bytes after"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_datagram_that_ends_inside_its_frame_names_where() {
        let json = DatagramFraming::JsonHeader(1 << 20);
        let frame = json_frame();
        let short = frame.slice(..frame.len() - 1);
        match json.read(short) {
            Message::Rejected(_, error) => {
                assert!(error.to_string().contains("ends inside a frame"), "{error}")
            }
            other => panic!("{other:?}"),
        }
        let dns = Profile::builtin("dns").unwrap();
        let framing = DatagramFraming::of(Some(&dns), Role::Request, false, 1 << 20);
        match framing.read(Bytes::from_static(&[0x12, 0x34, 0x01])) {
            Message::Rejected(_, error) => assert!(error.to_string().contains("flags"), "{error}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_datagram_profile_reads_a_message_with_no_length_before_it() {
        let dns = Profile::builtin("dns").unwrap();
        let framing = DatagramFraming::of(Some(&dns), Role::Request, false, 1 << 20);
        let query: &[u8] = &[
            0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 2, b'f', b's', 4, b't', b'e', b's',
            b't', 0, 0, 1, 0, 1,
        ];
        match framing.read(Bytes::from_static(query)) {
            Message::Frame(frame) => assert_eq!(frame.raw().len(), query.len()),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_datagram_longer_than_the_buffer_is_known_as_truncated() {
        let server = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let client = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let to = server.local_addr().unwrap();
        client.send_to(&[7u8; 100], to).await.unwrap();
        client.send_to(&[8u8; 64], to).await.unwrap();
        let mut buffer = DatagramBuffer::new(64);
        let first = buffer.recv_from(&server).await.unwrap();
        assert!(first.truncated);
        assert_eq!(first.bytes.len(), 64);
        let second = buffer.recv_from(&server).await.unwrap();
        assert!(!second.truncated, "exactly the limit is whole");
        assert_eq!(&second.bytes[..], &[8u8; 64][..]);
        assert_eq!(second.peer, client.local_addr().unwrap());
    }
}
