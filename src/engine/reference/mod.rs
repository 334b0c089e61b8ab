//! Building blocks the benchmark runs outside an [`Engine`](super::Engine):
//! it pins the server under test and the load to runtimes of their own, one
//! core each, which an engine's own runtime would not allow.

use std::net::SocketAddr;

use bytes::Bytes;

use super::Engine;
use super::server::{ServerError, ServerHandle, ServerMode, start};
use super::shared::Shared;
use crate::engine::net::limits::Limits;
use crate::engine::record::journal::{Entry, JournalLimits, Origin};
use crate::engine::record::vocabulary::Capture;
use crate::engine::record::vocabulary::{Direction, RecordKind};

pub mod batch_load;
pub mod udp;

pub(crate) use crate::engine::load::cpu::SchedTimes;

/// Records `count` copies of `bytes` straight into the engine's journal, as
/// frames sent by client connections 0 to 6 in turn: the journal a long
/// load run leaves, made in a moment, for measuring and testing the window.
pub fn fill_journal(engine: &Engine, count: u32, bytes: &Bytes) {
    for i in 0..count {
        engine.record(Entry {
            origin: &Origin::client(i % 7, None, None),
            direction: Direction::Sent,
            kind: RecordKind::Frame,
            bytes,
            error: None,
        });
    }
}

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
        let handle = start(addr, (mode, None), None, None, Limits::default(), shared).await?;
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
