//! State every connection task shares: the live journal, the counters, the
//! server rules in force, the connection ids, and the wake-up that tells
//! the engine's publisher that something a viewer shows has changed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::Relaxed};

use arc_swap::ArcSwapOption;
use tokio::sync::{Notify, broadcast};

use super::relay::Hub;
use super::rules::RuleSet;
use crate::engine::record::journal::{JournalLimits, LiveJournal};
use crate::engine::record::stats::Stats;
use crate::engine::record::vocabulary::ConnectionEvent;

/// Connection events kept for a slow listener before it starts missing some.
const CONNECTION_EVENT_BACKLOG: usize = 4096;

/// The journal, counters and change signal shared by all connection tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Every record; appended by connection tasks, snapshotted by readers.
    pub(crate) journal: LiveJournal,
    /// Every counter and the latency shards.
    pub(crate) stats: Stats,
    /// The server rules in force (rules mode reads them for every frame).
    pub(crate) rules: ArcSwapOption<RuleSet>,
    /// The relay's conversations and held frames.
    pub(crate) relay: Hub,
    next_conn: AtomicU32,
    /// Wakes the publisher; `dirty` makes a burst of changes one wake-up.
    changed: Notify,
    dirty: AtomicBool,
    connection_events: broadcast::Sender<ConnectionEvent>,
}

impl Shared {
    /// Fresh shared state with a journal of these bounds.
    pub(crate) fn new(limits: JournalLimits) -> Arc<Self> {
        Arc::new(Self {
            journal: LiveJournal::new(limits),
            stats: Stats::default(),
            rules: ArcSwapOption::empty(),
            relay: Hub::default(),
            next_conn: AtomicU32::new(1),
            changed: Notify::new(),
            dirty: AtomicBool::new(false),
            connection_events: broadcast::channel(CONNECTION_EVENT_BACKLOG).0,
        })
    }

    /// A fresh connection id, unique across server and client.
    pub(crate) fn next_connection_id(&self) -> u32 {
        self.next_conn.fetch_add(1, Relaxed)
    }

    /// Says that something a viewer shows has changed.
    pub(crate) fn mark_changed(&self) {
        if !self.dirty.swap(true, Relaxed) {
            self.changed.notify_one();
        }
    }

    /// Listens to connections opening and closing from now on.
    pub(crate) fn subscribe_connections(&self) -> broadcast::Receiver<ConnectionEvent> {
        self.connection_events.subscribe()
    }

    /// Tells listeners a connection opened or closed (nobody listening is fine).
    pub(crate) fn announce(&self, event: ConnectionEvent) {
        let _ = self.connection_events.send(event);
        self.mark_changed();
    }

    /// Waits until something changed since the last call.
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
        self.dirty.store(false, Relaxed);
    }
}
