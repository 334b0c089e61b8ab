//! Limits every connection enforces, with the defaults a user would expect.

use std::time::Duration;

/// The largest content a frame may announce unless configured otherwise: 16 MiB.
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 16 * 1024 * 1024;
/// How long a frame may take to arrive once its first byte has: 30 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How many connections the server and the client pool each allow: 10,000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How long a UDP session lives with nothing from its peer: 60 s.
pub const DEFAULT_UDP_IDLE: Duration = Duration::from_secs(60);
/// The receive buffer for one datagram: the largest UDP payload IPv6
/// carries (65,535 less the 8-byte UDP header), so that nothing that
/// arrives is cut unless a smaller buffer is asked for.
pub const DEFAULT_DATAGRAM_BUFFER: usize = 65_527;

/// Limits on frames and connections, enforced with a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// The largest `content-length` accepted; a frame over it is rejected
    /// from its header, before any content is buffered.
    pub max_content_length: u64,
    /// How long a frame may stall between its first and last byte.
    pub read_timeout: Duration,
    /// How many connections may be open at once (server side or pool side);
    /// for a UDP server, how many peer sessions.
    pub max_connections: usize,
    /// How long a UDP server's session lasts with no datagram from its peer.
    #[serde(default = "default_udp_idle")]
    pub udp_idle: Duration,
    /// The most bytes of one datagram read; a longer one is recorded as
    /// truncated, with what was read.
    #[serde(default = "default_datagram_buffer")]
    pub datagram_buffer: usize,
}

fn default_udp_idle() -> Duration {
    DEFAULT_UDP_IDLE
}

fn default_datagram_buffer() -> usize {
    DEFAULT_DATAGRAM_BUFFER
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_content_length: DEFAULT_MAX_CONTENT_LENGTH,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            udp_idle: DEFAULT_UDP_IDLE,
            datagram_buffer: DEFAULT_DATAGRAM_BUFFER,
        }
    }
}
