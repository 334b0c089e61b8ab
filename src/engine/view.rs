//! The published view: everything a viewer shows about the engine's state,
//! built by the engine (at most once per notify tick) and handed out as an
//! `Arc`. A viewer reads the latest one and never locks the pool, the
//! server or the latency histogram.
//!
//! The connection list is rebuilt only when the pool changed (a connect, a
//! close, a clear) or, while traffic flows, at most four times a second for
//! the per-connection counters; latency is collected from the recording
//! shards at the same pace, and the frame rate once a second. Server rules'
//! hit counts are read from their atomics on every publish.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use hdrhistogram::Histogram;
use parking_lot::Mutex;

use super::client::{ClientPool, ConnectionSummary, PoolCounts};
use super::relay::RelayView;
use super::server::{ServerHandle, ServerMode};
use super::shared::Shared;
use crate::engine::load::control::LoadView;
use crate::engine::net::limits::Limits;
use crate::engine::net::target::Target;
use crate::engine::net::tls::Fingerprint;
use crate::engine::record::journal::JournalLimits;
use crate::engine::record::stats::{
    CounterSnapshot, LatencySummary, RateHistory, latency_buckets, latency_histogram, summarize,
};
use crate::engine::record::vocabulary::{Capture, Transport};
use crate::engine::scenario::control::ScenarioRunView;

/// How often, at most, counters that change with every frame are refreshed.
const SLOW_REFRESH: Duration = Duration::from_millis(250);
/// Bars in the latency chart.
const LATENCY_BUCKETS: usize = 24;

/// The running server, as a viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerStatus {
    /// Where it listens, if running.
    pub listening: Option<SocketAddr>,
    /// Its mode, if running.
    pub mode: Option<ServerMode>,
    /// TCP or UDP.
    pub transport: Transport,
    /// The SHA-256 fingerprint of its certificate, when it serves TLS.
    pub tls: Option<Fingerprint>,
    /// Where it forwards to, in a relay mode.
    pub upstream: Option<Target>,
    /// Connections open now.
    pub open_connections: usize,
    /// Connections accepted since it started.
    pub accepted: u64,
    /// Connections refused at the cap.
    pub refused_at_cap: u64,
    /// Failed accepts (over UDP, failed receives).
    pub accept_errors: u64,
    /// UDP sessions evicted at the session cap.
    pub evicted: u64,
}

impl ServerStatus {
    /// The status of a running server.
    fn of(handle: &ServerHandle) -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        let counters = handle.counters();
        Self {
            listening: Some(handle.local_addr()),
            mode: Some(handle.mode()),
            transport: handle.transport(),
            tls: handle.tls(),
            upstream: handle.upstream().cloned(),
            open_connections: counters.open.load(Relaxed),
            accepted: counters.accepted.load(Relaxed),
            refused_at_cap: counters.refused_at_cap.load(Relaxed),
            accept_errors: counters.accept_errors.load(Relaxed),
            evicted: counters.evicted.load(Relaxed),
        }
    }
}

/// The server rules in force, as a viewer sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesStatus {
    /// Which set ([`super::rules::RuleSet::id`]).
    pub set_id: u64,
    /// Hits so far: one count per rule, in order, then the default's.
    pub hits: Arc<[u64]>,
}

/// Latency of the client pool's round trips, as the sampler last computed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyView {
    /// Percentiles.
    pub summary: LatencySummary,
    /// Bars for a chart: (upper bound in µs, count).
    pub buckets: Arc<[(u64, u64)]>,
}

/// Everything a viewer shows about the engine, as of one moment.
#[derive(Debug, Clone, Default)]
pub struct EngineView {
    /// Bumped every time a view is published.
    pub version: u64,
    /// The embedded server.
    pub server: ServerStatus,
    /// The client pool's connections, in the order they were opened.
    pub connections: Arc<[ConnectionSummary]>,
    /// Changes whenever `connections` was rebuilt.
    pub connections_version: u64,
    /// How many connections are in each state.
    pub pool: PoolCounts,
    /// The embedded server's connections, all together.
    pub server_counters: CounterSnapshot,
    /// The client pool's connections, all together.
    pub client_counters: CounterSnapshot,
    /// Both legs of every relayed conversation, all together.
    pub relay_counters: CounterSnapshot,
    /// Frames per second over the last minute, both sides together.
    pub rates: Arc<[f64]>,
    /// Round-trip latency.
    pub latency: LatencyView,
    /// The capture mode.
    pub capture: Capture,
    /// The journal's bounds.
    pub journal_limits: JournalLimits,
    /// The limits servers and connections start with.
    pub limits: Limits,
    /// The load run under way, or the last one (none before the first).
    pub load: Option<Arc<LoadView>>,
    /// The server rules in force and their hit counts, if any.
    pub rules: Option<RulesStatus>,
    /// The scenario run under way, or the last one (none before the first).
    pub scenario: Option<Arc<ScenarioRunView>>,
    /// The relay's conversations and held frames.
    pub relay: Arc<RelayView>,
}

impl EngineView {
    /// The connection with this id, if the pool lists it (the list is in
    /// the order connections were made, so by rising id).
    pub fn connection(&self, id: u32) -> Option<&ConnectionSummary> {
        self.connections
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|index| &self.connections[index])
    }
}

/// What the publisher keeps between two views.
#[derive(Debug)]
struct PublisherState {
    pool_version: Option<u64>,
    connections_built: Instant,
    latency: Histogram<u64>,
    latency_collected: Instant,
    /// The histogram was reset: the next view shows it whatever arrives.
    latency_reset: bool,
    rates: RateHistory,
    last_rate_sample: Instant,
}

/// Builds views and hands out the latest one.
#[derive(Debug)]
pub(crate) struct Publisher {
    latest: ArcSwap<EngineView>,
    state: Mutex<PublisherState>,
}

/// What the publisher reads to build a view.
pub(crate) struct Sources<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) pool: &'a ClientPool,
    pub(crate) server: Option<&'a ServerHandle>,
    pub(crate) limits: Limits,
    pub(crate) load: Option<Arc<LoadView>>,
    pub(crate) scenario: Option<Arc<ScenarioRunView>>,
}

impl Publisher {
    /// A publisher whose first view is empty.
    pub(crate) fn new(limits: Limits, journal_limits: JournalLimits) -> Self {
        let now = Instant::now();
        Self {
            latest: ArcSwap::from_pointee(EngineView {
                limits,
                journal_limits,
                ..EngineView::default()
            }),
            state: Mutex::new(PublisherState {
                pool_version: None,
                connections_built: now,
                latency: latency_histogram(),
                latency_collected: now,
                latency_reset: false,
                rates: RateHistory::default(),
                last_rate_sample: now,
            }),
        }
    }

    /// The latest view (a pointer copy, no lock).
    pub(crate) fn latest(&self) -> Arc<EngineView> {
        self.latest.load_full()
    }

    /// Builds and publishes a view. `force` refreshes everything now (for the
    /// command line and tests, which want the state as of this moment).
    pub(crate) fn publish(&self, sources: &Sources<'_>, force: bool) -> Arc<EngineView> {
        let mut state = self.state.lock();
        let previous = self.latest();
        let now = Instant::now();
        let slow_due = force || now - state.connections_built >= SLOW_REFRESH;

        let pool_version = sources.pool.version();
        // The counts change only with the list, so they are counted only
        // when it is rebuilt, not on every publish.
        let (connections, connections_version, pool) =
            if force || state.pool_version != Some(pool_version) || slow_due {
                state.pool_version = Some(pool_version);
                state.connections_built = now;
                let list: Arc<[ConnectionSummary]> = sources.pool.summaries().into();
                let counts = PoolCounts::of(&list);
                (list, previous.connections_version + 1, counts)
            } else {
                (
                    previous.connections.clone(),
                    previous.connections_version,
                    previous.pool,
                )
            };

        let latency = if force || now - state.latency_collected >= SLOW_REFRESH {
            state.latency_collected = now;
            let drained = sources.shared.stats.latency.drain_into(&mut state.latency);
            if drained || std::mem::take(&mut state.latency_reset) {
                LatencyView {
                    summary: summarize(&state.latency),
                    buckets: latency_buckets(&state.latency, LATENCY_BUCKETS).into(),
                }
            } else {
                previous.latency.clone()
            }
        } else {
            previous.latency.clone()
        };

        let view = Arc::new(EngineView {
            version: previous.version + 1,
            server: sources.server.map(ServerStatus::of).unwrap_or_default(),
            pool,
            connections,
            connections_version,
            server_counters: sources.shared.stats.server.snapshot(),
            client_counters: sources.shared.stats.client.snapshot(),
            relay_counters: sources.shared.stats.relay.snapshot(),
            rates: state.rates.rates().into(),
            latency,
            capture: sources.shared.journal.capture(),
            journal_limits: sources.shared.journal.limits(),
            limits: sources.limits,
            load: sources.load.clone(),
            rules: sources.shared.rules.load().as_ref().map(|set| RulesStatus {
                set_id: set.id(),
                hits: set.hits().into(),
            }),
            scenario: sources.scenario.clone(),
            relay: sources.shared.relay.view(force),
        });
        self.latest.store(view.clone());
        view
    }

    /// Takes the once-a-second frame rate sample.
    pub(crate) fn sample_rate(&self, total_frames: u64) {
        let mut state = self.state.lock();
        let now = Instant::now();
        let elapsed = now - state.last_rate_sample;
        state.last_rate_sample = now;
        state.rates.sample(total_frames, elapsed);
    }

    /// Forgets the latency collected so far.
    pub(crate) fn reset_latency(&self) {
        let mut state = self.state.lock();
        state.latency.reset();
        state.latency_reset = true;
    }
}
