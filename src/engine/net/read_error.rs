//! Why reading a frame from a connection stopped: the frame broke the
//! protocol (a [`DecodeError`]), or the transport failed under it (a stall
//! past the read timeout, a socket error, the server's connection cap, a
//! TLS handshake). This is what the journal records for an error row.
//!
//! Its serialized form is the one journal files have always had: the
//! transport's reasons beside the protocol's, under one `kind`.

use crate::engine::net::tls::HandshakeFailure;
use crate::engine::protocol::codec::{DecodeError, DecodeReason, FramePart};

/// Why a read failed, beside the protocol's own reasons.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReadReason {
    /// The frame stalled longer than the read timeout.
    #[error("frame stalled: {received} bytes in {timeout_ms} ms, the read timeout")]
    Timeout {
        /// Bytes of the frame that did arrive.
        received: u64,
        /// The read timeout in milliseconds.
        timeout_ms: u64,
    },
    /// The socket failed mid-frame (reset, for example).
    #[error("{detail}")]
    Io {
        /// The operating system's description.
        detail: String,
    },
    /// The server turned the connection away before reading a byte: as many
    /// connections as its cap allows were open.
    #[error("connection refused: {limit} connections were open, the server's cap")]
    OverConnectionCap {
        /// The cap.
        limit: usize,
    },
    /// A datagram larger than the receive buffer: the record holds its
    /// first `kept` bytes, and says so (the rest was never read).
    #[error(
        "datagram truncated: longer than the {kept}-byte receive buffer, only its first {kept} bytes were read"
    )]
    DatagramTruncated {
        /// Bytes kept: the buffer's size.
        kept: u64,
    },
    /// A datagram that ends inside its frame.
    #[error("datagram of {len} bytes ends inside a frame")]
    DatagramShort {
        /// The datagram's size.
        len: u64,
    },
    /// A datagram with bytes after its frame's end (one datagram is one frame).
    #[error("{extra} bytes after the frame's end ({frame} bytes): a datagram is one frame")]
    DatagramExtra {
        /// The frame's size.
        frame: u64,
        /// Bytes after it.
        extra: u64,
    },
    /// An ICMP "port unreachable" came back for a datagram sent: nothing
    /// listens at the address.
    #[error("port unreachable: nothing listens at {peer} (ICMP)")]
    Unreachable {
        /// The address sent to.
        peer: String,
    },
    /// The TLS handshake failed, before any frame.
    #[error("TLS handshake failed: {0}")]
    Handshake(HandshakeFailure),
    /// The bytes broke the protocol.
    #[error(transparent)]
    #[serde(untagged)]
    Decode(DecodeReason),
}

impl From<DecodeReason> for ReadReason {
    fn from(reason: DecodeReason) -> Self {
        ReadReason::Decode(reason)
    }
}

/// A read that failed: where its frame began, which part failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReadError {
    /// Offset in the connection's byte stream where the frame started.
    pub offset: u64,
    /// The part of the frame that failed.
    pub part: FramePart,
    /// The reason.
    pub reason: ReadReason,
}

impl ReadError {
    /// A failure before any frame: the handshake, or the server's cap.
    pub fn before_any_frame(reason: ReadReason) -> Self {
        ReadError {
            offset: 0,
            part: FramePart::ProtoHeader,
            reason,
        }
    }
}

impl From<DecodeError> for ReadError {
    fn from(error: DecodeError) -> Self {
        ReadError {
            offset: error.offset,
            part: error.part,
            reason: ReadReason::Decode(error.reason),
        }
    }
}

/// Where the frame began and which part failed, then why; a failed TLS
/// handshake came before any frame, so it is its reason alone.
impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            // Before any frame, or about a datagram as a whole: the
            // reason alone.
            ReadReason::Handshake(_)
            | ReadReason::DatagramTruncated { .. }
            | ReadReason::DatagramShort { .. }
            | ReadReason::DatagramExtra { .. }
            | ReadReason::Unreachable { .. } => write!(f, "{}", self.reason),
            reason => write!(
                f,
                "frame at stream offset {}: {}: {reason}",
                self.offset, self.part
            ),
        }
    }
}

impl std::error::Error for ReadError {}
