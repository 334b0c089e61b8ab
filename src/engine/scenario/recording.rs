//! A scenario's traffic in the engine's journal: each connection a run
//! opens gets a journal id of its own (from the engine's one sequence, so
//! it never meets a pool's, a load run's or the server's), and records
//! what it sends and reads there, so a window can show a step's frames.
//! The command line passes no recorder, and its runs skip all of this.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::engine::net::read_error::ReadError;
use crate::engine::record::journal::{Entry, Origin};
use crate::engine::record::vocabulary::{Direction, RecordKind, Transport};
use crate::engine::shared::Shared;

/// Where a scenario run records: the engine's journal, with the journal's
/// own capture mode. Made by the engine (see `Command::RunScenario`).
#[derive(Clone)]
pub struct ScenarioRecorder {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ScenarioRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioRecorder").finish_non_exhaustive()
    }
}

impl ScenarioRecorder {
    /// A recorder into `shared`'s journal.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The recording of one new connection between `local` and `peer`.
    pub(crate) fn connection(
        &self,
        local: Option<SocketAddr>,
        peer: Option<SocketAddr>,
    ) -> Recording {
        Recording {
            shared: self.shared.clone(),
            conn: self.shared.next_connection_id(),
            local,
            peer,
            transport: Transport::Tcp,
        }
    }
}

/// What one connection of a scenario run records into.
#[derive(Debug, Clone)]
pub(crate) struct Recording {
    shared: Arc<Shared>,
    /// The connection's id in the journal.
    pub(crate) conn: u32,
    local: Option<SocketAddr>,
    peer: Option<SocketAddr>,
    transport: Transport,
}

impl Recording {
    /// The same recording, of a UDP socket (each record one datagram).
    pub(crate) fn over_udp(mut self) -> Self {
        self.transport = Transport::Udp;
        self
    }

    /// Records `bytes` gone `direction` as `kind`, with the decode error
    /// for an error record.
    pub(crate) fn record(
        &self,
        direction: Direction,
        kind: RecordKind,
        bytes: &Bytes,
        error: Option<ReadError>,
    ) {
        let origin = Origin {
            transport: self.transport,
            ..Origin::client(self.conn, self.local, self.peer)
        };
        self.shared.journal.append(Entry {
            origin: &origin,
            direction,
            kind,
            bytes,
            error: error.map(Box::new),
        });
        self.shared.mark_changed();
    }
}
