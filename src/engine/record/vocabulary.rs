//! The words every other engine module shares: which side and direction a
//! record belongs to, what it holds, how much of it is captured, and how a
//! connection lives and ends.
//!
//! This module sits at the bottom of the engine, just above the protocol
//! (`frame`, `codec`), so the imports read one way: the journal, the stats,
//! the client pool and the server all speak these types, and none of them
//! has to borrow a type from a sibling.

use std::net::SocketAddr;

use crate::engine::net::read_error::ReadReason;
use crate::engine::protocol::frame::header_end_within;

/// Which side of the harness a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The embedded server.
    Server,
    /// The client pool.
    Client,
}

/// Which way the bytes went, seen from framescope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// framescope wrote them.
    Sent,
    /// framescope read them.
    Received,
}

/// What carries a connection's bytes: a stream, or datagrams.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// A TCP stream: frames are cut from the bytes as they arrive.
    #[default]
    Tcp,
    /// UDP: each datagram is one message. A "connection" is a client
    /// socket, or on the server side every datagram from one peer address
    /// (a session).
    Udp,
}

impl Transport {
    /// Both, for pickers.
    pub const ALL: [Transport; 2] = [Transport::Tcp, Transport::Udp];

    /// The word used in files and on the command line (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }

    /// Whether it is UDP.
    pub fn is_udp(self) -> bool {
        self == Transport::Udp
    }

    /// TCP unless `udp`.
    pub fn udp_if(udp: bool) -> Self {
        if udp { Transport::Udp } else { Transport::Tcp }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        })
    }
}

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// A whole, valid frame.
    Frame,
    /// A raw chunk: one read or write in raw mode.
    Chunk,
    /// A rejected frame: the bytes that arrived, and the decode error.
    Error,
    /// A TLS handshake that succeeded: what it agreed, as JSON
    /// ([`crate::engine::net::tls::HandshakeInfo`]).
    Handshake,
    /// framescope's own remark on a connection, as UTF-8 text: what the
    /// relay did with a held frame, or why it could not reach its target.
    /// No byte of it crossed the wire.
    Note,
}

impl Side {
    /// The word used in files and on the command line (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Server => "server",
            Side::Client => "client",
        }
    }
}

impl Direction {
    /// The word used in files and on the command line (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }
}

impl RecordKind {
    /// The word used in files and on the command line (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Frame => "frame",
            RecordKind::Chunk => "chunk",
            RecordKind::Error => "error",
            RecordKind::Handshake => "handshake",
            RecordKind::Note => "note",
        }
    }
}

/// How much of each frame the journal keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capture {
    /// Every byte.
    #[default]
    Full,
    /// The proto-header and header of frames; the first bytes of chunks.
    HeadersOnly,
    /// Nothing: counters and latency only, for load runs.
    Off,
}

/// Bytes kept of a chunk or error record when capturing headers only.
const HEADERS_ONLY_PREFIX: usize = 64;

impl Capture {
    /// Every mode, for pickers.
    pub const ALL: [Capture; 3] = [Capture::Full, Capture::HeadersOnly, Capture::Off];

    /// The mode's name on the command line and in settings.
    pub fn name(self) -> &'static str {
        match self {
            Capture::Full => "full",
            Capture::HeadersOnly => "headers",
            Capture::Off => "off",
        }
    }

    /// How many of `bytes` a record of `kind` keeps under this mode.
    pub fn keep(self, kind: RecordKind, bytes: &[u8]) -> usize {
        match (self, kind) {
            (Capture::Off, _) => 0,
            // A few hundred bytes per connection, and what a user opens
            // one to see: kept whole.
            (_, RecordKind::Handshake | RecordKind::Note) => bytes.len(),
            (Capture::Full, _) => bytes.len(),
            (Capture::HeadersOnly, RecordKind::Frame) => header_end_within(bytes),
            (Capture::HeadersOnly, _) => bytes.len().min(HEADERS_ONLY_PREFIX),
        }
    }

    /// The mode as one byte, for an atomic.
    pub(crate) fn code(self) -> u8 {
        match self {
            Capture::Full => 0,
            Capture::HeadersOnly => 1,
            Capture::Off => 2,
        }
    }

    /// The mode a byte from [`Capture::code`] stands for.
    pub(crate) fn from_code(code: u8) -> Self {
        match code {
            0 => Capture::Full,
            1 => Capture::HeadersOnly,
            _ => Capture::Off,
        }
    }
}

impl std::fmt::Display for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Capture {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.name() == text)
            .ok_or_else(|| format!("unknown capture \"{text}\": use full, headers or off"))
    }
}

/// Why a connection is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// Nothing listened at the address.
    Refused,
    /// The connect did not finish in time.
    TimedOut,
    /// The peer reset the connection.
    Reset,
    /// The peer closed it cleanly (as the tutorial's server does after a reply).
    ClosedByPeer,
    /// The user disconnected it.
    ClosedByUser,
    /// The peer sent a frame that failed to decode.
    Protocol(ReadReason),
    /// The embedded server answered (app mode) and closed, as the tutorial's does.
    Answered,
    /// The embedded server was stopped.
    ServerStopped,
    /// A server rule closed it.
    ClosedByRule,
    /// A server rule reset it.
    ResetByRule,
    /// One leg of a relayed conversation, closed because the other leg
    /// ended as this says.
    OtherLeg(Box<CloseReason>),
    /// A UDP session that heard nothing from its peer for this long.
    Idle {
        /// The idle time, in milliseconds.
        after_ms: u64,
    },
    /// A UDP session closed to make room for a new peer: the server was at
    /// its session cap, and this one had been idle longest.
    Evicted,
    /// Anything else the operating system reported: its kind, and its words.
    Io {
        /// The kind of error.
        kind: std::io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Refused => f.write_str("refused"),
            CloseReason::TimedOut => f.write_str("timed out"),
            CloseReason::Reset => f.write_str("reset by peer"),
            CloseReason::ClosedByPeer => f.write_str("closed by peer"),
            CloseReason::ClosedByUser => f.write_str("closed by user"),
            CloseReason::Protocol(reason) => write!(f, "protocol error: {reason}"),
            CloseReason::Answered => f.write_str("reply sent, closed"),
            CloseReason::ServerStopped => f.write_str("server stopped"),
            CloseReason::ClosedByRule => f.write_str("closed by a rule"),
            CloseReason::ResetByRule => f.write_str("reset by a rule"),
            CloseReason::OtherLeg(other) => write!(f, "the other leg: {other}"),
            CloseReason::Idle { after_ms } => {
                write!(f, "idle for {} s", *after_ms as f64 / 1000.0)
            }
            CloseReason::Evicted => f.write_str("evicted at the session cap"),
            CloseReason::Io { message, .. } => write!(f, "failed: {message}"),
        }
    }
}

impl CloseReason {
    /// The reason a socket error means.
    pub fn from_io(error: &std::io::Error) -> Self {
        Self::from_io_kind(error.kind(), error.to_string())
    }

    /// The reason a socket error of `kind` means; `message` says it in the
    /// operating system's words where the kind has no name of its own here.
    pub fn from_io_kind(kind: std::io::ErrorKind, message: String) -> Self {
        use std::io::ErrorKind;
        match kind {
            ErrorKind::ConnectionRefused => CloseReason::Refused,
            ErrorKind::TimedOut => CloseReason::TimedOut,
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => CloseReason::Reset,
            kind => CloseReason::Io { kind, message },
        }
    }
}

/// Where a connection is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    /// The connect is in progress.
    Connecting,
    /// Open and usable.
    Open,
    /// Closed, and why.
    Closed(CloseReason),
}

impl ConnState {
    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, ConnState::Closed(_))
    }
}

impl std::fmt::Display for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnState::Connecting => f.write_str("connecting"),
            ConnState::Open => f.write_str("open"),
            ConnState::Closed(reason) => write!(f, "closed: {reason}"),
        }
    }
}

/// A connection opened or closed, for listeners such as the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEvent {
    /// Connection id.
    pub conn: u32,
    /// Server or client.
    pub side: Side,
    /// The peer.
    pub peer: SocketAddr,
    /// `None` when it opened; the reason when it closed.
    pub closed: Option<CloseReason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_what_serde_writes() {
        for side in [Side::Server, Side::Client] {
            assert_eq!(
                serde_json::to_string(&side).unwrap(),
                format!("\"{}\"", side.as_str())
            );
        }
        for direction in [Direction::Sent, Direction::Received] {
            assert_eq!(
                serde_json::to_string(&direction).unwrap(),
                format!("\"{}\"", direction.as_str())
            );
        }
        for kind in [
            RecordKind::Frame,
            RecordKind::Chunk,
            RecordKind::Error,
            RecordKind::Note,
        ] {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        for capture in Capture::ALL {
            assert_eq!(capture.name().parse::<Capture>(), Ok(capture));
            assert_eq!(Capture::from_code(capture.code()), capture);
        }
        assert!("most".parse::<Capture>().is_err());
    }

    #[test]
    fn headers_only_keeps_the_headers_of_a_frame() {
        let frame = [0u8, 3, b'{', b'}', b' ', 1, 2, 3];
        assert_eq!(Capture::HeadersOnly.keep(RecordKind::Frame, &frame), 5);
        assert_eq!(Capture::Full.keep(RecordKind::Frame, &frame), 8);
        assert_eq!(Capture::Off.keep(RecordKind::Frame, &frame), 0);
        assert_eq!(Capture::HeadersOnly.keep(RecordKind::Chunk, &[0; 100]), 64);
    }

    #[test]
    fn socket_errors_become_reasons() {
        use std::io::{Error, ErrorKind};
        assert_eq!(
            CloseReason::from_io(&Error::from(ErrorKind::ConnectionRefused)),
            CloseReason::Refused
        );
        let other = CloseReason::from_io(&Error::other("disk on fire"));
        assert!(matches!(
            other,
            CloseReason::Io {
                kind: ErrorKind::Other,
                ..
            }
        ));
        assert_eq!(other.to_string(), "failed: disk on fire");
    }
}
