//! The client pool: N connections to any target, each with its own state
//! and counters, to which frames (or raw bytes) are sent one or all at once.
//!
//! A connect request looks its target's name up once; each of its
//! connections then tries every address found, in turn.
//!
//! Over UDP a "connection" is a socket of its own, connected to the
//! target, one datagram per message (see `udp`).
//!
//! Each connection has a reader task and a writer task, so a peer that
//! echoes slowly can never deadlock a large send. The writer stamps each
//! frame it sends; the reader matches echoes to stamps in order and records
//! the round trip.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::recorder::Recorder;
use super::shared::Shared;
use crate::engine::net::limits::Limits;
use crate::engine::net::reader::{Batch, BatchEnd, FrameReader, READ_BUFFER};
use crate::engine::net::target::{Target, TargetError};
use crate::engine::net::tls::{
    self, ClientTls, ClientTlsContext, ReadHalf, Stream, TlsError, WriteHalf,
};
use crate::engine::net::writer::write_all_batched;
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::record::stats::{CounterSnapshot, Counters};
use crate::engine::record::vocabulary::{
    CloseReason, ConnState, Direction, RecordKind, Side, Transport,
};

mod udp;

/// How long a name lookup, or a connect to one address, may take before it
/// counts as timed out.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connects in flight at once, so thousands queue instead of flooding the backlog.
pub const CONNECTS_IN_FLIGHT: usize = 256;
/// Messages that may wait in one connection's send queue.
const SEND_QUEUE: usize = 1024;
/// Most queued messages sent with one write: every one waiting, up to this.
const WRITE_BATCH: usize = 256;

/// Whether a connection speaks the frame protocol or raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientMode {
    /// Replies are decoded as frames; round trips are measured.
    #[default]
    Framed,
    /// Every read is recorded as a raw chunk.
    Raw,
}

/// What may change in a connection's life, under one lock.
#[derive(Debug)]
struct ConnInner {
    state: ConnState,
    /// The address that accepted; until then, the first one to be tried.
    peer: SocketAddr,
    local: Option<SocketAddr>,
    sender: Option<mpsc::Sender<Bytes>>,
}

/// One client connection as the pool tracks it.
#[derive(Debug)]
struct ClientConn {
    id: u32,
    mode: ClientMode,
    /// The profile its frames keep; `None` for the JSON header's.
    profile: Option<Arc<Profile>>,
    tls: bool,
    transport: Transport,
    inner: Mutex<ConnInner>,
    counters: Arc<Counters>,
    cancel: CancellationToken,
    /// The pool's change counter, bumped on every change of state.
    pool_version: Arc<AtomicU64>,
}

impl ClientConn {
    /// What a message it sends is recorded as: a frame, or a raw chunk.
    fn sent_kind(&self) -> RecordKind {
        match self.mode {
            ClientMode::Framed => RecordKind::Frame,
            ClientMode::Raw => RecordKind::Chunk,
        }
    }

    fn state(&self) -> ConnState {
        self.inner.lock().state.clone()
    }

    fn is_closed(&self) -> bool {
        self.inner.lock().state.is_closed()
    }

    /// Marks it open, connected from `local` to `peer`, sending through `sender`.
    fn set_open(&self, local: Option<SocketAddr>, peer: SocketAddr, sender: mpsc::Sender<Bytes>) {
        let mut inner = self.inner.lock();
        if !inner.state.is_closed() {
            inner.state = ConnState::Open;
            inner.peer = peer;
            inner.local = local;
            inner.sender = Some(sender);
            self.pool_version.fetch_add(1, Relaxed);
        }
    }

    fn close(&self, reason: CloseReason) {
        {
            let mut inner = self.inner.lock();
            inner.sender = None;
            if !inner.state.is_closed() {
                inner.state = ConnState::Closed(reason);
                self.pool_version.fetch_add(1, Relaxed);
            }
        }
        self.cancel.cancel();
    }

    fn summary(&self) -> ConnectionSummary {
        let inner = self.inner.lock();
        ConnectionSummary {
            id: self.id,
            target: inner.peer,
            local: inner.local,
            mode: self.mode,
            tls: self.tls,
            transport: self.transport,
            state: inner.state.clone(),
            counters: self.counters.snapshot(),
        }
    }
}

/// A connection's state and counters, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// Connection id (as in the journal).
    pub id: u32,
    /// The address connected to: the one that accepted, or (while
    /// connecting, or when every address failed) the first one tried.
    pub target: SocketAddr,
    /// The local address, once connected.
    pub local: Option<SocketAddr>,
    /// Framed or raw.
    pub mode: ClientMode,
    /// Whether it speaks TLS.
    pub tls: bool,
    /// A TCP connection, or a UDP socket.
    pub transport: Transport,
    /// Where it is in its life.
    pub state: ConnState,
    /// Its counters.
    pub counters: CounterSnapshot,
}

/// Which connections a send goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SendTarget {
    /// Every open connection.
    All,
    /// The connection with this id.
    One(u32),
}

/// What became of a send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Connections the message was queued on.
    pub queued: usize,
    /// Connections whose send queue was full.
    pub queue_full: usize,
    /// Targeted connections that were not open.
    pub not_open: usize,
}

/// How many of the pool's connections are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Connects in progress.
    pub connecting: usize,
    /// Open connections.
    pub open: usize,
    /// Closed connections not yet cleared.
    pub closed: usize,
}

impl PoolCounts {
    /// The counts of these summaries.
    pub fn of(summaries: &[ConnectionSummary]) -> Self {
        let mut counts = Self::default();
        for summary in summaries {
            match summary.state {
                ConnState::Connecting => counts.connecting += 1,
                ConnState::Open => counts.open += 1,
                ConnState::Closed(_) => counts.closed += 1,
            }
        }
        counts
    }

    /// Connections not closed.
    pub fn live(&self) -> usize {
        self.connecting + self.open
    }
}

/// What became of a connect request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectReport {
    /// Connections opened.
    pub opened: usize,
    /// Connections that failed (see each one's state for why).
    pub failed: usize,
}

/// Why connections could not even be attempted.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Asked for zero connections or more than the cap.
    #[error("connection count must be between 1 and {max}, not {asked}")]
    BadCount {
        /// The count asked for.
        asked: usize,
        /// The cap.
        max: usize,
    },
    /// The new connections would take the pool over the cap.
    #[error("{open} connections are open; {asked} more would pass the cap of {max}")]
    OverCap {
        /// Open now.
        open: usize,
        /// Asked for.
        asked: usize,
        /// The cap.
        max: usize,
    },
    /// The target's host name could not be looked up (the error names it,
    /// and says why).
    #[error(transparent)]
    Lookup(TargetError),
    /// The TLS settings cannot be used (a bad CA, certificate or key file).
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// TLS asked for over UDP.
    #[error("TLS is for TCP: UDP sockets send in the clear (DTLS is not offered)")]
    UdpTls,
    /// A profile whose frames are whole datagrams, asked for over TCP.
    #[error("profile {profile} frames whole datagrams: connect over UDP")]
    NeedsUdp {
        /// The profile's name.
        profile: String,
    },
}

/// A connect request's target and every address its name resolved to,
/// shared by the request's connections.
#[derive(Debug)]
struct Resolved {
    target: Target,
    addrs: Vec<SocketAddr>,
    tls: Option<ClientTlsContext>,
}

/// The pool of client connections.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientPool {
    conns: Arc<Mutex<Vec<Arc<ClientConn>>>>,
    /// Bumped whenever a connection is added, changes state or is forgotten,
    /// so the publisher rebuilds the summaries only when they changed.
    version: Arc<AtomicU64>,
}

impl ClientPool {
    /// An empty pool.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn conns(&self) -> Vec<Arc<ClientConn>> {
        self.conns.lock().clone()
    }

    /// A number that changes whenever the list or a connection's state does.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Relaxed)
    }

    /// Every connection's state and counters, in the order they were opened.
    pub(crate) fn summaries(&self) -> Vec<ConnectionSummary> {
        self.conns().iter().map(|c| c.summary()).collect()
    }

    /// Opens `count` connections to `target`, at most a few hundred connects
    /// in flight at once; returns when every one is open or has failed. The
    /// name is looked up once, whatever the count.
    pub(crate) async fn connect(
        &self,
        target: Target,
        count: usize,
        (mode, profile, transport, broadcast): (ClientMode, Option<Arc<Profile>>, Transport, bool),
        tls: Option<&ClientTls>,
        limits: Limits,
        shared: Arc<Shared>,
    ) -> Result<ConnectReport, PoolError> {
        if transport.is_udp() && tls.is_some() {
            return Err(PoolError::UdpTls);
        }
        if let Some(p) = profile.as_ref().filter(|p| p.needs_datagrams())
            && !transport.is_udp()
        {
            return Err(PoolError::NeedsUdp {
                profile: p.name().to_owned(),
            });
        }
        // A raw profile reads chunks; the JSON header's is the frame
        // protocol's own fast check.
        let (mode, profile) = match profile {
            Some(p) if p.is_raw() => (ClientMode::Raw, None),
            Some(p) if p.is_json_header() => (ClientMode::Framed, None),
            Some(p) => (ClientMode::Framed, Some(p)),
            None => (mode, None),
        };
        let max = limits.max_connections;
        if count == 0 || count > max {
            return Err(PoolError::BadCount { asked: count, max });
        }
        // Every file is read before the first connect.
        let tls = tls.map(ClientTls::build).transpose()?;
        if tls.as_ref().is_some_and(ClientTlsContext::is_insecure) {
            tracing::warn!(%target, "TLS with any certificate accepted: encrypted, not authenticated");
        }
        let addrs = target
            .resolve_within(CONNECT_TIMEOUT)
            .await
            .map_err(PoolError::Lookup)?;
        // `resolve` never answers an empty list; were it to, say so.
        let Some(&first) = addrs.first() else {
            return Err(PoolError::Lookup(TargetError::NoAddress(
                target.host().to_owned(),
            )));
        };
        let resolved = Arc::new(Resolved { target, addrs, tls });
        let new: Vec<Arc<ClientConn>> = {
            // The cap is checked and the new connections listed under one
            // lock, so two connect requests at once cannot both pass it.
            let mut conns = self.conns.lock();
            let open = conns.iter().filter(|c| !c.is_closed()).count();
            if open + count > max {
                return Err(PoolError::OverCap {
                    open,
                    asked: count,
                    max,
                });
            }
            let new: Vec<Arc<ClientConn>> = (0..count)
                .map(|_| {
                    Arc::new(ClientConn {
                        id: shared.next_connection_id(),
                        mode,
                        profile: profile.clone(),
                        tls: resolved.tls.is_some(),
                        transport,
                        inner: Mutex::new(ConnInner {
                            state: ConnState::Connecting,
                            peer: first,
                            local: None,
                            sender: None,
                        }),
                        counters: Arc::new(Counters::default()),
                        cancel: CancellationToken::new(),
                        pool_version: self.version.clone(),
                    })
                })
                .collect();
            conns.extend(new.iter().cloned());
            self.version.fetch_add(1, Relaxed);
            new
        };
        shared.mark_changed();
        let gate = Arc::new(Semaphore::new(CONNECTS_IN_FLIGHT));
        let attempts: Vec<_> = new
            .into_iter()
            .map(|conn| {
                let (gate, shared, resolved) = (gate.clone(), shared.clone(), resolved.clone());
                tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await;
                    match transport {
                        Transport::Tcp => open_connection(conn, &resolved, limits, shared).await,
                        Transport::Udp => {
                            udp::open_socket(conn, (&resolved, broadcast), limits, shared).await
                        }
                    }
                })
            })
            .collect();
        let mut report = ConnectReport::default();
        for attempt in attempts {
            match attempt.await {
                Ok(true) => report.opened += 1,
                _ => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Queues `bytes` on the targeted connections without waiting.
    pub(crate) fn send(&self, target: SendTarget, bytes: &Bytes) -> SendReport {
        let mut report = SendReport::default();
        let conns = self.conns.lock();
        let targets = conns.iter().filter(|conn| match target {
            SendTarget::All => true,
            SendTarget::One(id) => conn.id == id,
        });
        for conn in targets {
            let (sender, open) = {
                let inner = conn.inner.lock();
                (inner.sender.clone(), inner.state == ConnState::Open)
            };
            match sender.map(|s| s.try_send(bytes.clone())) {
                Some(Ok(())) => report.queued += 1,
                Some(Err(mpsc::error::TrySendError::Full(_))) => report.queue_full += 1,
                _ if matches!(target, SendTarget::One(_)) || open => report.not_open += 1,
                _ => {}
            }
        }
        report
    }

    /// Closes every connection.
    pub(crate) fn disconnect_all(&self) {
        for conn in self.conns() {
            conn.close(CloseReason::ClosedByUser);
        }
    }

    /// Forgets closed connections.
    pub(crate) fn clear_closed(&self) {
        self.conns.lock().retain(|c| !c.is_closed());
        self.version.fetch_add(1, Relaxed);
    }
}

/// Connects one connection (to the first of the resolved addresses that
/// accepts) and starts its tasks; false if the connect failed.
async fn open_connection(
    conn: Arc<ClientConn>,
    resolved: &Resolved,
    limits: Limits,
    shared: Arc<Shared>,
) -> bool {
    let connect = resolved
        .target
        .connect_any(&resolved.addrs, CONNECT_TIMEOUT)
        .await;
    let stream = match connect {
        Ok(stream) => stream,
        Err(error) => {
            conn.close(close_reason(&error));
            shared.stats.client.count_error();
            shared.mark_changed();
            return false;
        }
    };
    let _ = stream.set_nodelay(true);
    let peer = stream
        .peer_addr()
        .unwrap_or_else(|_| conn.inner.lock().peer);
    let recorder = Recorder::new(
        shared.clone(),
        conn.id,
        Side::Client,
        (stream.local_addr().ok(), peer),
        conn.counters.clone(),
    )
    .keeping(conn.profile.clone());
    // Disconnected while connecting: the connection never counts as opened.
    if conn.cancel.is_cancelled() {
        return false;
    }
    recorder.opened();
    let local = stream.local_addr().ok();
    let stream = match &resolved.tls {
        None => Stream::Plain(stream),
        Some(context) => {
            let handshake = tokio::select! {
                _ = conn.cancel.cancelled() => return false,
                handshake = tls::connect(context, stream, resolved.target.host()) => handshake,
            };
            match handshake {
                Ok((stream, info)) => {
                    recorder.handshake(&info);
                    stream
                }
                Err(failure) => {
                    let reason = recorder.handshake_failed(failure, &Bytes::new());
                    recorder.closed(&reason);
                    conn.close(reason);
                    return false;
                }
            }
        }
    };
    let (tx, rx) = mpsc::channel(SEND_QUEUE);
    conn.set_open(local, peer, tx);
    shared.mark_changed();
    let (read_half, write_half) = stream.into_split();
    let stamps = Arc::new(Mutex::new(VecDeque::new()));
    tokio::spawn(write_loop(
        conn.clone(),
        write_half,
        rx,
        recorder.clone(),
        stamps.clone(),
    ));
    tokio::spawn(read_loop(conn, read_half, limits, recorder, stamps));
    true
}

/// Why a connection that reached none of its addresses is closed: the
/// reason every address gave, or, when they differ, each one's in words.
pub(crate) fn close_reason(error: &TargetError) -> CloseReason {
    let attempts = match error {
        TargetError::Connect { attempts, .. } => attempts.as_slice(),
        _ => &[],
    };
    match attempts {
        [.., (_, last)] if attempts.iter().all(|(_, e)| e.kind() == last.kind()) => {
            CloseReason::from_io(last)
        }
        [.., (_, last)] => CloseReason::Io {
            kind: last.kind(),
            message: error.to_string(),
        },
        [] => CloseReason::Io {
            kind: std::io::ErrorKind::Other,
            message: error.to_string(),
        },
    }
}

type Stamps = Arc<Mutex<VecDeque<Instant>>>;

/// Waits for the next messages queued on `conn` (as many as wait, up to a
/// batch) and stamps them for the round trips; false once the connection
/// is closed or its queue is.
async fn next_batch(
    conn: &ClientConn,
    rx: &mut mpsc::Receiver<Bytes>,
    batch: &mut Vec<Bytes>,
    stamps: &Stamps,
) -> bool {
    batch.clear();
    let received = tokio::select! {
        _ = conn.cancel.cancelled() => return false,
        received = rx.recv_many(batch, WRITE_BATCH) => received,
    };
    if received == 0 {
        return false;
    }
    if conn.mode == ClientMode::Framed {
        let now = Instant::now();
        stamps.lock().extend(std::iter::repeat_n(now, batch.len()));
    }
    true
}

async fn write_loop(
    conn: Arc<ClientConn>,
    mut socket: WriteHalf,
    mut rx: mpsc::Receiver<Bytes>,
    recorder: Recorder,
    stamps: Stamps,
) {
    let kind = conn.sent_kind();
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut scratch = Vec::new();
    while next_batch(&conn, &mut rx, &mut batch, &stamps).await {
        // Recorded as the write starts, so the journal never shows an echo
        // before the frame it answers; a failed write closes the connection
        // with the reason.
        recorder.sent_all(kind, &batch);
        if let Err(error) = write_all_batched(&mut socket, &batch, &mut scratch).await {
            conn.close(CloseReason::from_io(&error));
            recorder.mark_changed();
            return;
        }
    }
}

async fn read_loop(
    conn: Arc<ClientConn>,
    mut socket: ReadHalf,
    limits: Limits,
    recorder: Recorder,
    stamps: Stamps,
) {
    let reason = tokio::select! {
        // Cancelled by a user's disconnect, or by the writer after a failed
        // write: the reason already set wins.
        _ = conn.cancel.cancelled() => match conn.state() {
            ConnState::Closed(reason) => reason,
            _ => CloseReason::ClosedByUser,
        },
        reason = read_until_closed(&conn, &mut socket, limits, &recorder, &stamps) => reason,
    };
    recorder.closed(&reason);
    conn.close(reason);
}

async fn read_until_closed(
    conn: &ClientConn,
    socket: &mut ReadHalf,
    limits: Limits,
    recorder: &Recorder,
    stamps: &Stamps,
) -> CloseReason {
    if conn.mode == ClientMode::Raw {
        let mut buf = BytesMut::with_capacity(READ_BUFFER);
        loop {
            buf.reserve(READ_BUFFER);
            match socket.read_buf(&mut buf).await {
                Ok(0) => return CloseReason::ClosedByPeer,
                Ok(_) => recorder.bytes(
                    Direction::Received,
                    RecordKind::Chunk,
                    &buf.split().freeze(),
                ),
                Err(error) => return CloseReason::from_io(&error),
            }
        }
    }
    let mut reader = match &conn.profile {
        Some(profile) => {
            FrameReader::with_profile(profile.clone(), Role::Reply, limits.read_timeout)
        }
        None => FrameReader::new(limits.max_content_length, limits.read_timeout),
    };
    let mut batch = Batch::default();
    loop {
        let end = reader.next_batch(socket, &mut batch).await;
        if !batch.frames().is_empty() {
            recorder.received_all(batch.frames());
            record_round_trips(recorder, stamps, batch.frames().len());
        }
        // A frame that broke its profile is a row of its own; its extent
        // was known, so the stream reads on. It answers a frame sent all
        // the same.
        if let Some((bytes, error)) = batch.rejected() {
            recorder.error(error.clone().into(), bytes);
            record_round_trips(recorder, stamps, 1);
        }
        match end {
            BatchEnd::More => {}
            BatchEnd::Closed => return CloseReason::ClosedByPeer,
            BatchEnd::Failed(failure) => return recorder.failure(*failure),
        }
    }
}

/// The round trips of `echoes` frames that one read completed: each
/// matched, in order, with the stamp of a frame sent, and all timed at one
/// reading of the clock, since they arrived together.
fn record_round_trips(recorder: &Recorder, stamps: &Stamps, echoes: usize) {
    let now = Instant::now();
    let sent: Vec<Instant> = {
        let mut stamps = stamps.lock();
        let matched = echoes.min(stamps.len());
        stamps.drain(..matched).collect()
    };
    recorder.round_trips(
        sent.into_iter()
            .map(|sent| now.saturating_duration_since(sent)),
    );
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::*;

    fn failed_everywhere(kinds: &[ErrorKind]) -> TargetError {
        TargetError::Connect {
            name: "localhost:9".to_owned(),
            attempts: kinds
                .iter()
                .enumerate()
                .map(|(i, &kind)| {
                    (
                        SocketAddr::from(([127, 0, 0, 1 + i as u8], 9)),
                        Error::from(kind),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn addresses_that_fail_alike_give_that_reason() {
        let refused = failed_everywhere(&[ErrorKind::ConnectionRefused; 2]);
        assert_eq!(close_reason(&refused), CloseReason::Refused);
        let timed_out = failed_everywhere(&[ErrorKind::TimedOut]);
        assert_eq!(close_reason(&timed_out), CloseReason::TimedOut);
    }

    #[test]
    fn addresses_that_fail_differently_are_each_named() {
        let error = failed_everywhere(&[ErrorKind::AddrNotAvailable, ErrorKind::ConnectionRefused]);
        let reason = close_reason(&error);
        assert!(
            matches!(&reason, CloseReason::Io { kind: ErrorKind::ConnectionRefused, message }
                if message.contains("127.0.0.1:9") && message.contains("127.0.0.2:9")),
            "{reason}"
        );
    }
}
