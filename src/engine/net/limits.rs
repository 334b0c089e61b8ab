//! Limits every connection enforces, with the defaults a user would expect.

use std::time::Duration;

/// The largest content a frame may announce unless configured otherwise: 16 MiB.
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 16 * 1024 * 1024;
/// How long a frame may take to arrive once its first byte has: 30 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How many connections the server and the client pool each allow: 10,000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Limits on frames and connections, enforced with a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// The largest `content-length` accepted; a frame over it is rejected
    /// from its header, before any content is buffered.
    pub max_content_length: u64,
    /// How long a frame may stall between its first and last byte.
    pub read_timeout: Duration,
    /// How many connections may be open at once (server side or pool side).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_content_length: DEFAULT_MAX_CONTENT_LENGTH,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}
