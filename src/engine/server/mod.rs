//! The embedded server: an accept loop and one task per connection.
//!
//! Modes: `raw-echo` (the seed's echo server: bytes back as they came),
//! `frame-echo` (validate each frame and echo it byte for byte) and `app`
//! (the tutorial's request/response server: one reply, then close) and
//! `rules` (the rules in force answer each frame; see [`super::rules`]). As in
//! mini-redis, accept errors back off instead of spinning, a cap limits
//! connections, and shutdown is a cancellation plus a tracker that says
//! when every task has finished.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::recorder::Recorder;
use super::relay::{RelayContext, relay_connection};
use super::rules;
use super::shared::Shared;
use crate::engine::net::limits::Limits;
use crate::engine::net::read_error::{ReadError, ReadReason};
use crate::engine::net::reader::{Batch, BatchEnd, FrameReader, READ_BUFFER};
use crate::engine::net::target::Target;
use crate::engine::net::tls::{self, Fingerprint, ServerTls, ServerTlsContext, Stream, TlsError};
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::protocol::tutorial_app;
use crate::engine::record::stats::Counters;
use crate::engine::record::vocabulary::{CloseReason, Direction, RecordKind, Side, Transport};

pub(crate) mod udp;

/// The default address: the seed's port, on loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8800";
/// How long `stop` waits for connection tasks before giving up on them.
const STOP_GRACE: Duration = Duration::from_secs(1);
/// Longest pause after repeated accept errors.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// The listen backlog, so that thousands of simultaneous connects queue.
const LISTEN_BACKLOG: u32 = 4096;

/// What the embedded server does with what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerMode {
    /// Echo bytes as they came, with no framing (the seed's first server).
    RawEcho,
    /// Decode and validate each frame, echo it back byte for byte.
    #[default]
    FrameEcho,
    /// The tutorial's request/response app: one reply, then close.
    App,
    /// Each frame answered by the first server rule that matches it.
    Rules,
    /// Each connection forwarded to a target, frame by frame (each frame
    /// decoded and checked on the way), both legs recorded.
    Relay,
    /// Each connection forwarded to a target, bytes as they come.
    RawRelay,
}

impl ServerMode {
    /// Every mode, for pickers.
    pub const ALL: [ServerMode; 6] = [
        ServerMode::RawEcho,
        ServerMode::FrameEcho,
        ServerMode::App,
        ServerMode::Rules,
        ServerMode::Relay,
        ServerMode::RawRelay,
    ];

    /// The mode's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ServerMode::RawEcho => "raw-echo",
            ServerMode::FrameEcho => "frame-echo",
            ServerMode::App => "app",
            ServerMode::Rules => "rules",
            ServerMode::Relay => "relay",
            ServerMode::RawRelay => "raw-relay",
        }
    }

    /// Whether it forwards to a target (and needs one).
    pub fn is_relay(self) -> bool {
        self.relayed_kind().is_some()
    }

    /// What a relay mode records each message as: frames or raw chunks.
    pub(crate) fn relayed_kind(self) -> Option<RecordKind> {
        match self {
            ServerMode::Relay => Some(RecordKind::Frame),
            ServerMode::RawRelay => Some(RecordKind::Chunk),
            _ => None,
        }
    }
}

impl std::fmt::Display for ServerMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ServerMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|mode| mode.name() == text)
            .ok_or_else(|| {
                format!(
                    "unknown mode \"{text}\": use raw-echo, frame-echo, app, rules, relay or raw-relay"
                )
            })
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding or listening failed (the port is in use, say).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A server is already running.
    #[error("the server is already running on {0}")]
    AlreadyRunning(SocketAddr),
    /// Rules mode with no rules given.
    #[error("rules mode needs rules: load a rules file first")]
    NoRules,
    /// A relay mode with no target to forward to.
    #[error("relay mode needs a target to forward to")]
    NoRelayTarget,
    /// The TLS settings cannot be used (a bad certificate or key file, say).
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A mode UDP does not serve (yet).
    #[error(
        "{mode} mode is not served over UDP: use raw-echo, frame-echo, rules, relay or raw-relay"
    )]
    UdpMode {
        /// The mode asked for.
        mode: ServerMode,
    },
    /// A multicast group asked for over TCP.
    #[error("a multicast group is joined over UDP (--udp), not TCP")]
    TcpMulticast,
    /// The multicast group cannot be joined.
    #[error(transparent)]
    Join(#[from] crate::engine::net::datagram::JoinError),
    /// TLS asked for over UDP.
    #[error("TLS is for TCP: UDP is served in the clear (DTLS is not offered)")]
    UdpTls,
    /// A profile whose frames are whole datagrams, asked for over TCP.
    #[error("profile {profile} frames whole datagrams: serve it over UDP (--udp)")]
    NeedsUdp {
        /// The profile's name.
        profile: String,
    },
    /// A mode that does not take a profile yet, given one.
    #[error(
        "{mode} mode does not take a profile yet: use frame-echo, rules or relay (or raw-echo and raw-relay with raw)"
    )]
    ProfileMode {
        /// The mode asked for.
        mode: ServerMode,
    },
}

/// Whether an address listens on every interface (and deserves a warning).
pub fn is_all_interfaces(addr: &SocketAddr) -> bool {
    addr.ip().is_unspecified()
}

/// Counters the server keeps about itself.
#[derive(Debug, Default)]
pub struct ServerCounters {
    /// Connections open now.
    pub open: AtomicUsize,
    /// Connections accepted since start.
    pub accepted: AtomicU64,
    /// Connections closed at once because the cap was reached.
    pub refused_at_cap: AtomicU64,
    /// Failed accepts (too many open files, say); over UDP, failed reads.
    pub accept_errors: AtomicU64,
    /// UDP sessions closed to make room for a new peer at the cap.
    pub evicted: AtomicU64,
}

/// A running server.
#[derive(Debug)]
pub(crate) struct ServerHandle {
    local_addr: SocketAddr,
    mode: ServerMode,
    /// TCP or UDP.
    transport: Transport,
    /// The certificate's fingerprint, when it serves TLS.
    tls: Option<Fingerprint>,
    /// Where a relay forwards to.
    upstream: Option<Target>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    counters: Arc<ServerCounters>,
}

/// Everything a connection task needs.
#[derive(Debug, Clone)]
struct ConnectionContext {
    mode: ServerMode,
    tls: Option<ServerTlsContext>,
    limits: Limits,
    shared: Arc<Shared>,
    counters: Arc<ServerCounters>,
    cancel: CancellationToken,
    /// What a relay mode forwards to, and how.
    relay: Option<RelayContext>,
    /// The profile its frames keep; `None` for the JSON header's.
    profile: Option<Arc<Profile>>,
}

/// Binds `addr` and starts serving in `mode`, over TLS when `tls` is
/// given, on the current tokio runtime; a relay mode forwards to
/// `upstream`. TLS files are read (or the certificate generated) before
/// the port is bound.
pub(crate) async fn start(
    addr: SocketAddr,
    (mode, profile): (ServerMode, Option<Arc<Profile>>),
    tls: Option<&ServerTls>,
    upstream: Option<Target>,
    limits: Limits,
    shared: Arc<Shared>,
) -> Result<ServerHandle, ServerError> {
    // The JSON header's profile is the modes' own protocol; a raw one
    // echoes chunks.
    let (mode, profile) = match profile {
        None => (mode, None),
        Some(p) if p.needs_datagrams() => {
            return Err(ServerError::NeedsUdp {
                profile: p.name().to_owned(),
            });
        }
        Some(p) if p.is_json_header() => (mode, None),
        Some(p) if p.is_raw() && matches!(mode, ServerMode::RawEcho | ServerMode::FrameEcho) => {
            (ServerMode::RawEcho, None)
        }
        Some(p) if p.is_raw() && matches!(mode, ServerMode::Relay | ServerMode::RawRelay) => {
            (ServerMode::RawRelay, None)
        }
        Some(p)
            if matches!(
                mode,
                ServerMode::FrameEcho | ServerMode::Rules | ServerMode::Relay
            ) =>
        {
            (mode, Some(p))
        }
        Some(_) => return Err(ServerError::ProfileMode { mode }),
    };
    let relay = relay_context(mode, upstream.clone(), (limits, profile.clone()), &shared)?;
    let tls = tls.map(|settings| settings.build(addr)).transpose()?;
    let fingerprint = tls.as_ref().map(ServerTlsContext::fingerprint);
    let listener = listen(addr).map_err(|source| ServerError::Bind { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let counters = Arc::new(ServerCounters::default());
    let context = ConnectionContext {
        mode,
        tls,
        limits,
        shared,
        counters: counters.clone(),
        cancel: cancel.clone(),
        relay,
        profile,
    };
    tracing::info!(%local_addr, %mode, tls = fingerprint.is_some(), "server listening");
    tracker.spawn(accept_loop(listener, context, tracker.clone()));
    Ok(ServerHandle {
        local_addr,
        mode,
        transport: Transport::Tcp,
        tls: fingerprint,
        upstream: upstream.filter(|_| mode.is_relay()),
        cancel,
        tracker,
        counters,
    })
}

/// What a relay mode forwards to and how (`None` for the other modes),
/// after checking that the mode has what it needs: rules in force for
/// rules mode, a target for a relay. TCP and UDP alike.
fn relay_context(
    mode: ServerMode,
    upstream: Option<Target>,
    (limits, profile): (Limits, Option<Arc<Profile>>),
    shared: &Arc<Shared>,
) -> Result<Option<RelayContext>, ServerError> {
    if mode == ServerMode::Rules && shared.rules.load().is_none() {
        return Err(ServerError::NoRules);
    }
    match (mode.relayed_kind(), upstream) {
        (Some(kind), Some(upstream)) => Ok(Some(RelayContext {
            upstream,
            kind,
            limits,
            profile,
            shared: shared.clone(),
        })),
        (Some(_), None) => Err(ServerError::NoRelayTarget),
        (None, _) => Ok(None),
    }
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

impl ServerHandle {
    /// The address it listens on (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The mode it serves.
    pub fn mode(&self) -> ServerMode {
        self.mode
    }

    /// TCP or UDP.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The certificate's fingerprint, when it serves TLS.
    pub fn tls(&self) -> Option<Fingerprint> {
        self.tls
    }

    /// Where it forwards to, in a relay mode.
    pub fn upstream(&self) -> Option<&Target> {
        self.upstream.as_ref()
    }

    /// Its own counters.
    pub fn counters(&self) -> &Arc<ServerCounters> {
        &self.counters
    }

    /// Closes the listener at once and every connection within a second.
    pub async fn stop(&self) {
        tracing::info!(local_addr = %self.local_addr, "server stopping");
        self.cancel.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(STOP_GRACE, self.tracker.wait()).await;
    }
}

async fn accept_loop(listener: TcpListener, context: ConnectionContext, tracker: TaskTracker) {
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = tokio::select! {
            _ = context.cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                if context.counters.open.load(Relaxed) >= context.limits.max_connections {
                    context.counters.refused_at_cap.fetch_add(1, Relaxed);
                    tracing::warn!(
                        %peer,
                        cap = context.limits.max_connections,
                        "connection refused: the server is at its connection cap"
                    );
                    refuse(stream, peer, &context);
                    continue;
                }
                context.counters.open.fetch_add(1, Relaxed);
                context.counters.accepted.fetch_add(1, Relaxed);
                tracker.spawn(run_connection(stream, peer, context.clone()));
            }
            Err(error) => {
                context.counters.accept_errors.fetch_add(1, Relaxed);
                tracing::warn!(%error, backoff_ms = backoff.as_millis() as u64, "accept failed; backing off");
                tokio::select! {
                    _ = context.cancel.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
            }
        }
    }
}

/// Turns a connection away at the cap. It is closed at once, so the peer
/// sees an orderly close rather than a connection that hangs, and recorded
/// as an error on a connection id of its own: the journal (and a saved log)
/// then says who was refused and when, not only a counter. It counts once
/// in the server's error counter and in `refused_at_cap`.
fn refuse(stream: TcpStream, peer: SocketAddr, context: &ConnectionContext) {
    let recorder = recorder_for(&stream, peer, context);
    drop(stream);
    let error = ReadError::before_any_frame(ReadReason::OverConnectionCap {
        limit: context.limits.max_connections,
    });
    recorder.error(error, &Bytes::new());
}

/// The recorder of an accepted connection, with a connection id of its own.
fn recorder_for(stream: &TcpStream, peer: SocketAddr, context: &ConnectionContext) -> Recorder {
    Recorder::new(
        context.shared.clone(),
        context.shared.next_connection_id(),
        Side::Server,
        (stream.local_addr().ok(), peer),
        Arc::new(Counters::default()),
    )
    .keeping(connection_profile(context))
}

/// The profile a new connection's frames keep: the server's own, else (in
/// rules mode) the one the rules file in force names.
fn connection_profile(context: &ConnectionContext) -> Option<Arc<Profile>> {
    context.profile.clone().or_else(|| {
        (context.mode == ServerMode::Rules)
            .then(|| context.shared.rules.load_full())
            .flatten()
            .and_then(|set| set.profile().cloned())
    })
}

async fn run_connection(stream: TcpStream, peer: SocketAddr, context: ConnectionContext) {
    let _ = stream.set_nodelay(true);
    let mut recorder = recorder_for(&stream, peer, &context);
    // A relayed connection's other leg gets its id now, so every record
    // of this leg can name it.
    let upstream_conn = context.relay.as_ref().map(|_| {
        let upstream_conn = context.shared.next_connection_id();
        recorder = recorder.clone().linked_to(upstream_conn);
        upstream_conn
    });
    recorder.opened();
    let reason = tokio::select! {
        _ = context.cancel.cancelled() => CloseReason::ServerStopped,
        reason = handshake_and_serve(stream, &context, &recorder, upstream_conn) => reason,
    };
    context.counters.open.fetch_sub(1, Relaxed);
    recorder.closed(&reason);
}

/// Runs the TLS handshake first when the server speaks TLS (a failure is
/// an error row and the end of this connection), then the mode.
async fn handshake_and_serve(
    stream: TcpStream,
    context: &ConnectionContext,
    recorder: &Recorder,
    upstream_conn: Option<u32>,
) -> CloseReason {
    let stream = match &context.tls {
        None => Stream::Plain(stream),
        Some(tls) => match tls::accept(tls, stream).await {
            Ok((stream, info)) => {
                recorder.handshake(&info);
                stream
            }
            Err((failure, seen)) => return recorder.handshake_failed(failure, &seen),
        },
    };
    if let (Some(relay), Some(upstream_conn)) = (&context.relay, upstream_conn) {
        return relay_connection(stream, recorder, upstream_conn, relay).await;
    }
    serve(stream, context, recorder).await
}

async fn serve(stream: Stream, context: &ConnectionContext, recorder: &Recorder) -> CloseReason {
    match context.mode {
        ServerMode::RawEcho => raw_echo(stream, recorder).await,
        ServerMode::FrameEcho => frame_echo(stream, context, recorder).await,
        ServerMode::App => app(stream, &context.limits, recorder).await,
        ServerMode::Rules => by_rules(stream, context, recorder).await,
        ServerMode::Relay | ServerMode::RawRelay => {
            unreachable!(
                "`start` gives a relay mode its relay context, and `handshake_and_serve` relays"
            )
        }
    }
}

/// Answers each frame as the rules in force say.
async fn by_rules(stream: Stream, context: &ConnectionContext, recorder: &Recorder) -> CloseReason {
    // Halves that can be put back together, for a reset over TLS too.
    let (mut read_half, mut write_half) = tokio::io::split(stream);
    let profile = connection_profile(context);
    let end = rules::serve_connection(
        &mut read_half,
        &mut write_half,
        &context.limits,
        recorder,
        &context.shared.rules,
        profile.as_ref(),
    )
    .await;
    match end {
        rules::RulesEnd::Over(reason) => reason,
        rules::RulesEnd::Closed => CloseReason::ClosedByRule,
        rules::RulesEnd::Reset => {
            // SO_LINGER 0, then close: the peer reads a reset, not an end.
            let stream = read_half.unsplit(write_half);
            let _ = stream.tcp().set_zero_linger();
            CloseReason::ResetByRule
        }
    }
}

/// Echoes every read back as it came; each read and write is one chunk.
async fn raw_echo(mut stream: Stream, recorder: &Recorder) -> CloseReason {
    let mut buf = BytesMut::with_capacity(READ_BUFFER);
    loop {
        buf.reserve(READ_BUFFER);
        match stream.read_buf(&mut buf).await {
            Ok(0) => return CloseReason::ClosedByPeer,
            Err(error) => return CloseReason::from_io(&error),
            Ok(_) => {
                let chunk = buf.split().freeze();
                recorder.bytes(Direction::Received, RecordKind::Chunk, &chunk);
                if let Err(error) = stream.write_all(&chunk).await {
                    return CloseReason::from_io(&error);
                }
                recorder.bytes(Direction::Sent, RecordKind::Chunk, &chunk);
            }
        }
    }
}

/// Echoes each valid frame byte for byte; a bad frame closes this
/// connection, except a frame that breaks its profile with its extent
/// known, which is an error row, not echoed, while reading goes on. The
/// frames that one read completes are recorded together (one time, one
/// take of the journal's lock) and answered with one write.
async fn frame_echo(
    stream: Stream,
    context: &ConnectionContext,
    recorder: &Recorder,
) -> CloseReason {
    let (mut read_half, mut write_half) = stream.into_split();
    let limits = &context.limits;
    let mut reader = match &context.profile {
        Some(profile) => {
            FrameReader::with_profile(profile.clone(), Role::Request, limits.read_timeout)
        }
        None => FrameReader::new(limits.max_content_length, limits.read_timeout),
    };
    let mut batch = Batch::default();
    loop {
        let end = reader.next_batch(&mut read_half, &mut batch).await;
        // Recorded before the write, so a peer that has its echo finds the
        // frames in the journal; good frames that arrived in the same read
        // as a bad one are echoed before the connection closes. They lie
        // back to back as they arrived, so the echo is one write of the
        // bytes read, with no copy.
        if !batch.frames().is_empty() {
            recorder.echoed(batch.frames());
            if let Err(error) = write_half.write_all(batch.bytes()).await {
                return CloseReason::from_io(&error);
            }
        }
        if let Some((bytes, error)) = batch.rejected() {
            recorder.error(error.clone().into(), bytes);
        }
        match end {
            BatchEnd::More => {}
            BatchEnd::Closed => return CloseReason::ClosedByPeer,
            BatchEnd::Failed(failure) => return recorder.failure(*failure),
        }
    }
}

/// Answers one request as the tutorial's server does, then closes.
async fn app(stream: Stream, limits: &Limits, recorder: &Recorder) -> CloseReason {
    let (mut read_half, mut write_half) = stream.into_split();
    let mut reader = FrameReader::new(limits.max_content_length, limits.read_timeout);
    let request = match reader.next(&mut read_half).await {
        Ok(Some(request)) => request,
        Ok(None) => return CloseReason::ClosedByPeer,
        Err(failure) => return recorder.failure(*failure),
    };
    recorder.frame(Direction::Received, &request);
    let reply: Bytes = tutorial_app::respond(&request);
    if let Err(error) = write_half.write_all(&reply).await {
        return CloseReason::from_io(&error);
    }
    recorder.bytes(Direction::Sent, RecordKind::Frame, &reply);
    let _ = write_half.shutdown().await;
    CloseReason::Answered
}
