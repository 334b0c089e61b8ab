//! A load run's records in the engine's journal: each connection of the
//! run writes what it sends and what it reads, a batch at a time, with the
//! run's own capture mode (the journal's mode is left alone). The command
//! line passes no recorder, and its connections skip all of this.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use super::super::shared::Shared;
use crate::engine::record::journal::{Entry, Origin};
use crate::engine::record::vocabulary::{Capture, Direction, RecordKind, Transport};

/// Where a load run records: the engine's journal, with a capture mode of
/// the run's own. Made by the engine (see `Command::StartLoad`).
#[derive(Clone)]
pub struct LoadRecorder {
    shared: Arc<Shared>,
    capture: Capture,
}

impl std::fmt::Debug for LoadRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadRecorder")
            .field("capture", &self.capture)
            .finish_non_exhaustive()
    }
}

impl LoadRecorder {
    /// A recorder into `shared`'s journal keeping what `capture` says.
    pub(crate) fn new(shared: Arc<Shared>, capture: Capture) -> Self {
        Self { shared, capture }
    }

    /// How much of each frame the run's records keep.
    pub fn capture(&self) -> Capture {
        self.capture
    }

    /// The recorder of one connection of the run, with an id of its own
    /// (from the engine's one sequence, so it never meets a pool's or the
    /// server's).
    pub(crate) fn connection(
        &self,
        (local, peer): (Option<SocketAddr>, Option<SocketAddr>),
        transport: Transport,
    ) -> ConnectionRecording<'_> {
        ConnectionRecording {
            recorder: self,
            conn: self.shared.next_connection_id(),
            peer,
            local,
            transport,
        }
    }
}

/// What one connection of a load run records into.
#[derive(Debug)]
pub(crate) struct ConnectionRecording<'a> {
    recorder: &'a LoadRecorder,
    conn: u32,
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    /// TCP, or UDP (each record one datagram).
    transport: Transport,
}

impl ConnectionRecording<'_> {
    /// Records `pieces` (frames, or raw chunks when `kind` says so), all
    /// gone `direction`, under one lock.
    pub(crate) fn record(&self, direction: Direction, kind: RecordKind, pieces: &[Bytes]) {
        if pieces.is_empty() {
            return;
        }
        let shared = &self.recorder.shared;
        let origin = Origin {
            transport: self.transport,
            ..Origin::client(self.conn, self.local, self.peer)
        };
        shared.journal.append_all_with(
            self.recorder.capture,
            pieces.iter().map(|bytes| Entry {
                origin: &origin,
                direction,
                kind,
                bytes,
                error: None,
            }),
        );
        shared.mark_changed();
    }
}
