//! The embedded server over UDP: one socket, and each peer address a
//! session.
//!
//! A session opens with its peer's first datagram and closes after the
//! idle time with nothing from it. At most `max_connections` are open: a
//! new peer at the cap evicts the session idle longest, and the eviction
//! is counted, so a flood of new addresses costs memory only up to the cap.
//! Each datagram is one message: one chunk in raw-echo, one frame (of the
//! JSON header or the profile) in frame-echo and rules. Echoes are done on
//! the receive loop itself; rules, which may wait, answer in one task per
//! session, in order.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::AsyncWrite;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{ServerCounters, ServerError, ServerHandle, ServerMode};
use crate::engine::net::datagram::{
    self, DatagramBuffer, DatagramFraming, Message, MulticastJoin, Received,
};
use crate::engine::net::limits::Limits;
use crate::engine::net::target::Target;
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::record::stats::Counters;
use crate::engine::record::vocabulary::{CloseReason, Direction, RecordKind, Side, Transport};
use crate::engine::recorder::Recorder;
use crate::engine::relay::{RelayContext, RelaySession, start_datagram_session};
use crate::engine::rules::{Answerer, Incoming, RulesEnd};
use crate::engine::shared::Shared;

/// Datagrams that may wait for one session's rules before more are dropped.
const RULES_QUEUE: usize = 256;
/// Longest pause after repeated receive errors.
const MAX_ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Binds `addr` over UDP and serves `mode` (raw-echo, frame-echo or
/// rules) with `profile`'s frames (the JSON header's when `None`).
pub(crate) async fn start(
    addr: SocketAddr,
    (mode, profile, join): (ServerMode, Option<Arc<Profile>>, Option<MulticastJoin>),
    upstream: Option<Target>,
    limits: Limits,
    shared: Arc<Shared>,
) -> Result<ServerHandle, ServerError> {
    let mode = match (mode, &profile) {
        (ServerMode::FrameEcho, Some(p)) if p.is_raw() => ServerMode::RawEcho,
        (ServerMode::Relay, Some(p)) if p.is_raw() => ServerMode::RawRelay,
        (ServerMode::App, _) => return Err(ServerError::UdpMode { mode }),
        (mode, _) => mode,
    };
    let profile = profile.filter(|p| !p.is_raw() && !p.is_json_header());
    let relay = super::relay_context(mode, upstream, (limits, profile.clone()), &shared)?;
    let socket = datagram::bind(addr).map_err(|source| ServerError::Bind { addr, source })?;
    if let Some(join) = &join {
        join.join(&socket)?;
        tracing::info!(group = %join.group, "joined the multicast group");
    }
    let local_addr = socket
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let counters = Arc::new(ServerCounters::default());
    let server = UdpServer {
        socket: Arc::new(socket),
        local_addr,
        mode,
        profile,
        limits,
        shared,
        counters: counters.clone(),
        tracker: tracker.clone(),
        relay: relay.clone(),
    };
    tracing::info!(%local_addr, %mode, "server listening over UDP");
    tracker.spawn(server.run(cancel.clone()));
    Ok(ServerHandle {
        local_addr,
        mode,
        transport: Transport::Udp,
        tls: None,
        upstream: relay.map(|r| r.upstream),
        cancel,
        tracker,
        counters,
    })
}

/// The server's socket and what its sessions share.
struct UdpServer {
    socket: Arc<UdpSocket>,
    local_addr: SocketAddr,
    mode: ServerMode,
    profile: Option<Arc<Profile>>,
    limits: Limits,
    shared: Arc<Shared>,
    counters: Arc<ServerCounters>,
    tracker: TaskTracker,
    /// Where a relay mode forwards each session.
    relay: Option<RelayContext>,
}

/// One peer address's session.
struct Session {
    recorder: Recorder,
    /// How its datagrams are read (fixed when it opens: a rules file put
    /// in force later applies to new sessions' profile).
    framing: DatagramFraming,
    last_heard: Instant,
    /// Where its datagrams go to be answered, in rules mode.
    rules: Option<mpsc::Sender<Incoming>>,
    /// Where its datagrams go to be forwarded, in a relay mode.
    relay: Option<RelaySession>,
}

impl UdpServer {
    async fn run(self, cancel: CancellationToken) {
        let mut buffer = DatagramBuffer::new(self.limits.datagram_buffer);
        let mut sessions: HashMap<SocketAddr, Session> = HashMap::new();
        let mut sweep = tokio::time::interval(sweep_interval(self.limits.udp_idle));
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backoff = Duration::from_millis(10);
        loop {
            let received = tokio::select! {
                _ = cancel.cancelled() => break,
                _ = sweep.tick() => {
                    self.expire(&mut sessions, Instant::now());
                    continue;
                }
                received = buffer.recv_from(&self.socket) => received,
            };
            match received {
                Ok(received) => {
                    backoff = Duration::from_millis(10);
                    self.take(&mut sessions, received, buffer.limit()).await;
                }
                // Windows reports an ICMP error for an earlier send on the
                // next receive of an unconnected socket: it is no
                // datagram, and no reason to stop.
                Err(error) if datagram::is_unreachable(&error) => {}
                Err(error) => {
                    self.counters.accept_errors.fetch_add(1, Relaxed);
                    tracing::warn!(%error, "UDP receive failed; backing off");
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_ERROR_BACKOFF);
                }
            }
        }
        for (_, session) in sessions.drain() {
            self.close(session, &CloseReason::ServerStopped);
        }
    }

    /// Handles one datagram: its session found or opened, then echoed,
    /// recorded as an error, or handed to the session's rules.
    async fn take(
        &self,
        sessions: &mut HashMap<SocketAddr, Session>,
        received: Received,
        limit: usize,
    ) {
        let now = Instant::now();
        let peer = received.peer;
        let session = self.session_for(sessions, peer, now);
        session.last_heard = now;
        if received.truncated {
            session
                .recorder
                .error(datagram::truncated(limit), &received.bytes);
            return;
        }
        if let Some(relay) = &session.relay {
            if relay.incoming.try_send(received.bytes).is_err() {
                session.recorder.note(
                    Direction::Received,
                    "not relayed: this session's relay is behind, so the datagram was dropped",
                );
            }
            return;
        }
        let message = session.framing.read(received.bytes);
        if let Some(rules) = &session.rules {
            let incoming = match message {
                Message::Frame(frame) => Incoming::Frame(frame),
                Message::Chunk(bytes) => {
                    session
                        .recorder
                        .bytes(Direction::Received, RecordKind::Chunk, &bytes);
                    return;
                }
                Message::Rejected(bytes, error) => Incoming::Rejected(bytes, error),
            };
            if let Err(mpsc::error::TrySendError::Full(unanswered)) = rules.try_send(incoming) {
                // Its rules are behind (a long wait, say): the datagram is
                // recorded, and said to be unanswered, as a full socket
                // buffer would have dropped it.
                let recorder = &session.recorder;
                match unanswered {
                    Incoming::Frame(frame) => recorder.frame(Direction::Received, &frame),
                    Incoming::Rejected(bytes, error) => recorder.error(error, &bytes),
                }
                recorder.note(
                    Direction::Received,
                    "not answered: this session's rules are behind (a long wait?), so the datagram was dropped",
                );
            }
            return;
        }
        match message {
            Message::Chunk(bytes) => {
                session
                    .recorder
                    .bytes(Direction::Received, RecordKind::Chunk, &bytes);
                if self.send(&bytes, peer, &session.recorder).await {
                    session
                        .recorder
                        .bytes(Direction::Sent, RecordKind::Chunk, &bytes);
                }
            }
            Message::Frame(frame) => {
                // Recorded before the echo, so a peer that has its echo
                // finds the frame in the journal.
                session.recorder.echoed(std::slice::from_ref(&frame));
                self.send(frame.raw(), peer, &session.recorder).await;
            }
            Message::Rejected(bytes, error) => session.recorder.error(error, &bytes),
        }
    }

    /// The session of `peer`: the open one (one lookup to find it, one to
    /// borrow it), else a new one, made room for at the cap. A session its
    /// rules ended (a close or reset rule) is over: this datagram opens a
    /// new one.
    fn session_for<'s>(
        &self,
        sessions: &'s mut HashMap<SocketAddr, Session>,
        peer: SocketAddr,
        now: Instant,
    ) -> &'s mut Session {
        let rules_ended = sessions.get(&peer).map(Session::rules_ended);
        if rules_ended != Some(false) {
            if let Some(ended) = sessions.remove(&peer) {
                self.forget(ended);
            }
            if sessions.len() >= self.limits.max_connections {
                self.evict_one(sessions);
            }
            sessions.insert(peer, self.open(peer, now));
        }
        sessions.get_mut(&peer).expect("found or opened above")
    }

    /// Sends one datagram to `peer`; a failure is noted on its session.
    async fn send(&self, bytes: &[u8], peer: SocketAddr, recorder: &Recorder) -> bool {
        match self.socket.send_to(bytes, peer).await {
            Ok(_) => true,
            Err(error) => {
                recorder.note(Direction::Sent, &format!("send to {peer} failed: {error}"));
                false
            }
        }
    }

    /// A new session for `peer`.
    fn open(&self, peer: SocketAddr, now: Instant) -> Session {
        let profile = self.profile.clone().or_else(|| {
            (self.mode == ServerMode::Rules)
                .then(|| self.shared.rules.load_full())
                .flatten()
                .and_then(|set| set.profile().cloned())
        });
        let framing = DatagramFraming::of(
            profile.as_ref(),
            Role::Request,
            self.mode == ServerMode::RawEcho,
            self.limits.max_content_length,
        );
        let mut recorder = Recorder::new(
            self.shared.clone(),
            self.shared.next_connection_id(),
            Side::Server,
            (Some(self.local_addr), peer),
            Arc::new(Counters::default()),
        )
        .keeping(
            profile
                .clone()
                .filter(|p| !p.is_json_header() && !p.is_raw()),
        )
        .over(Transport::Udp);
        // A relayed session's target leg gets its id now, so every record
        // of this leg can name it.
        let upstream_conn = self.relay.as_ref().map(|_| {
            let upstream_conn = self.shared.next_connection_id();
            recorder = recorder.clone().linked_to(upstream_conn);
            upstream_conn
        });
        recorder.opened();
        let relay = self
            .relay
            .clone()
            .zip(upstream_conn)
            .map(|(context, upstream_conn)| {
                start_datagram_session(
                    self.socket.clone(),
                    peer,
                    (recorder.clone(), upstream_conn),
                    context,
                    &self.tracker,
                )
            });
        self.counters.open.fetch_add(1, Relaxed);
        self.counters.accepted.fetch_add(1, Relaxed);
        let rules = (self.mode == ServerMode::Rules).then(|| {
            let (tx, rx) = mpsc::channel(RULES_QUEUE);
            let answering = RulesSession {
                writer: DatagramWriter {
                    socket: self.socket.clone(),
                    peer,
                },
                recorder: recorder.clone(),
                limits: self.limits,
                shared: self.shared.clone(),
                profile,
            };
            self.tracker.spawn(answering.run(rx));
            tx
        });
        Session {
            recorder,
            framing,
            last_heard: now,
            rules,
            relay,
        }
    }

    /// Closes the session idle longest, to make room for a new peer.
    fn evict_one(&self, sessions: &mut HashMap<SocketAddr, Session>) {
        let oldest = sessions
            .iter()
            .min_by_key(|(_, session)| session.last_heard)
            .map(|(peer, _)| *peer);
        if let Some(session) = oldest.and_then(|peer| sessions.remove(&peer)) {
            self.counters.evicted.fetch_add(1, Relaxed);
            self.close(session, &CloseReason::Evicted);
        }
    }

    /// Closes every session idle for the idle time, and forgets those
    /// whose rules ended them.
    fn expire(&self, sessions: &mut HashMap<SocketAddr, Session>, now: Instant) {
        let idle = self.limits.udp_idle;
        let over: Vec<SocketAddr> = sessions
            .iter()
            .filter(|(_, s)| now.saturating_duration_since(s.last_heard) >= idle || s.rules_ended())
            .map(|(peer, _)| *peer)
            .collect();
        let reason = CloseReason::Idle {
            after_ms: idle.as_millis() as u64,
        };
        for peer in over {
            let Some(session) = sessions.remove(&peer) else {
                continue;
            };
            if session.rules_ended() {
                self.forget(session);
            } else {
                self.close(session, &reason);
            }
        }
    }

    /// Ends a session: said once, counted once. Its rules task, if any,
    /// ends when its queue closes.
    fn close(&self, session: Session, reason: &CloseReason) {
        if let Some(relay) = &session.relay {
            relay.close(reason);
        }
        session.recorder.closed(reason);
        self.counters.open.fetch_sub(1, Relaxed);
    }

    /// Forgets a session its rules already closed (and announced).
    fn forget(&self, _session: Session) {
        self.counters.open.fetch_sub(1, Relaxed);
    }
}

impl Session {
    /// Whether a rule closed or reset it (its rules task has ended).
    fn rules_ended(&self) -> bool {
        self.rules.as_ref().is_some_and(mpsc::Sender::is_closed)
    }
}

/// How often sessions are checked for idleness: a quarter of the idle
/// time, between 10 ms and a second.
fn sweep_interval(idle: Duration) -> Duration {
    (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(1))
}

/// One session's rules, answering its datagrams in order.
struct RulesSession {
    writer: DatagramWriter,
    recorder: Recorder,
    limits: Limits,
    shared: Arc<Shared>,
    profile: Option<Arc<Profile>>,
}

impl RulesSession {
    async fn run(mut self, mut incoming: mpsc::Receiver<Incoming>) {
        let profile = self.profile.clone();
        let mut answerer = Answerer::new(
            &self.limits,
            &self.recorder,
            &self.shared.rules,
            profile.as_ref(),
        );
        while let Some(message) = incoming.recv().await {
            let end = answerer.answer_message(message, &mut self.writer).await;
            let reason = match end {
                None => continue,
                Some(RulesEnd::Closed) => CloseReason::ClosedByRule,
                Some(RulesEnd::Reset) => CloseReason::ResetByRule,
                Some(RulesEnd::Over(reason)) => reason,
            };
            // The session is over: a later datagram from the peer opens
            // a new one.
            self.recorder.closed(&reason);
            return;
        }
    }
}

/// Writes to one peer through the server's socket: each write is one
/// datagram (a rule's reply, or an echo).
struct DatagramWriter {
    socket: Arc<UdpSocket>,
    peer: SocketAddr,
}

impl AsyncWrite for DatagramWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.socket.poll_send_to(cx, buf, self.peer)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
