//! Building blocks the benchmark runs outside an [`Engine`](super::Engine):
//! it pins the server under test and the load to runtimes of their own, one
//! core each, which an engine's own runtime would not allow.

use std::net::SocketAddr;

use super::journal::JournalLimits;
use super::limits::Limits;
use super::server::{ServerError, ServerHandle, ServerMode, start};
use super::shared::Shared;
use super::vocabulary::Capture;

pub mod batch_load;

pub use super::thread_cpu::SchedTimes;
pub use super::tutorial_app::respond as tutorial_respond;

/// The embedded server, with a journal of its own, on the current runtime.
#[derive(Debug)]
pub struct BenchServer {
    handle: ServerHandle,
}

impl BenchServer {
    /// Starts serving `mode` on `addr` with this capture and these bounds.
    pub async fn start(
        addr: SocketAddr,
        mode: ServerMode,
        capture: Capture,
        journal_limits: JournalLimits,
    ) -> Result<Self, ServerError> {
        let shared = Shared::new(journal_limits);
        shared.journal.set_capture(capture);
        let handle = start(addr, mode, None, None, Limits::default(), shared).await?;
        Ok(Self { handle })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Stops it and waits for its connections to close.
    pub async fn stop(self) {
        self.handle.stop().await;
    }
}
