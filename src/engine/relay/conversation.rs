//! One relayed conversation: reach the target, then four loops side by
//! side (a reader and a writer on each leg) until both directions are
//! over, and each leg's end passed through to the other.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::super::client::{CONNECT_TIMEOUT, close_reason};
use super::super::recorder::Recorder;
use super::super::shared::Shared;
use super::Toward;
use super::hub::{Hub, Outgoing, Writer};
use crate::engine::net::limits::Limits;
use crate::engine::net::reader::{Batch, BatchEnd, FrameReader, READ_BUFFER};
use crate::engine::net::target::{Target, TargetError};
use crate::engine::net::tls::{self, ReadHalf, Stream, WriteHalf};
use crate::engine::net::writer::write_all_batched;
use crate::engine::protocol::profile::Profile;
use crate::engine::record::stats::Counters;
use crate::engine::record::vocabulary::{CloseReason, Direction, RecordKind, Side};

/// Frames read from one side and not yet written to the other (held ones
/// included) before the reader waits: a slow leg slows its sender down.
const IN_FLIGHT: usize = 1024;
/// Most queued messages one write sends together.
const WRITE_BATCH: usize = 64;

/// What every relayed conversation of one relay shares.
#[derive(Debug, Clone)]
pub(crate) struct RelayContext {
    /// Where every conversation is forwarded.
    pub(crate) upstream: Target,
    /// Frames (decoded and checked) or raw chunks.
    pub(crate) kind: RecordKind,
    /// The read limits, on both legs.
    pub(crate) limits: Limits,
    /// The profile both legs' frames keep; `None` for the JSON header's.
    pub(crate) profile: Option<Arc<Profile>>,
    /// The journal, the counters and the hub.
    pub(crate) shared: Arc<Shared>,
}

/// Marks the conversation closed if it is abandoned half-way (the server
/// stopped and dropped it): the hub lets its held frames go and the
/// target's leg says it closed.
struct Abandoned<'a> {
    hub: &'a Hub,
    id: u32,
    upstream_leg: Option<Recorder>,
    finished: bool,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.hub.close(self.id, &CloseReason::ServerStopped);
            if let Some(leg) = &self.upstream_leg {
                leg.closed(&CloseReason::ServerStopped);
            }
        }
    }
}

/// Relays one accepted connection (past any TLS handshake) to the target.
/// `client_leg` records the client's connection (opened, and linked to
/// `upstream_conn`); returns why the client's leg closed.
pub(crate) async fn relay_connection(
    client: Stream,
    client_leg: &Recorder,
    upstream_conn: u32,
    context: &RelayContext,
) -> CloseReason {
    let hub = &context.shared.relay;
    let id = client_leg.conn();
    hub.register(client_leg, upstream_conn, context.kind);
    let mut guard = Abandoned {
        hub,
        id,
        upstream_leg: None,
        finished: false,
    };
    let reason = match context.upstream.connect(CONNECT_TIMEOUT).await {
        Ok(upstream) => {
            let _ = upstream.set_nodelay(true);
            let upstream_leg = Recorder::new(
                context.shared.clone(),
                upstream_conn,
                Side::Client,
                (
                    upstream.local_addr().ok(),
                    upstream
                        .peer_addr()
                        .unwrap_or_else(|_| context.upstream_addr()),
                ),
                Arc::new(Counters::default()),
            )
            .linked_to(id)
            .keeping(context.profile.clone());
            upstream_leg.opened();
            guard.upstream_leg = Some(upstream_leg.clone());
            let (client_reason, upstream_reason) = relay_both_ways(
                client,
                Stream::Plain(upstream),
                client_leg,
                &upstream_leg,
                context,
            )
            .await;
            upstream_leg.closed(&upstream_reason);
            client_reason
        }
        Err(error) => unreachable_target(client, client_leg, &context.upstream, &error),
    };
    guard.finished = true;
    hub.close(id, &reason);
    reason
}

impl RelayContext {
    /// The target as an address, for a leg whose socket cannot say.
    fn upstream_addr(&self) -> std::net::SocketAddr {
        self.upstream
            .ip_addr()
            .unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], self.upstream.port())))
    }
}

/// The target could not be reached: a note on the client's leg, and the
/// client's connection ends the way the target's did (a reset for a
/// refusal or a reset, a close otherwise).
fn unreachable_target(
    client: Stream,
    client_leg: &Recorder,
    target: &Target,
    error: &TargetError,
) -> CloseReason {
    client_leg.note(
        Direction::Sent,
        &format!("relay: cannot reach the target {target}: {error}"),
    );
    let upstream = close_reason(error);
    if matches!(upstream, CloseReason::Refused | CloseReason::Reset) {
        let _ = client.tcp().set_zero_linger();
    }
    CloseReason::OtherLeg(Box::new(upstream))
}

/// How a writer loop ended.
#[derive(Debug)]
enum WriterEnd {
    /// It wrote everything and closed its side, as the other side had.
    ShutDown,
    /// Writing failed: the leg it writes to is gone.
    Failed(CloseReason),
    /// The conversation was stopped.
    Stopped,
}

/// Runs both directions until both are over; returns why each leg closed
/// (the client's, the target's), after passing a reset through.
async fn relay_both_ways(
    client: Stream,
    upstream: Stream,
    client_leg: &Recorder,
    upstream_leg: &Recorder,
    context: &RelayContext,
) -> (CloseReason, CloseReason) {
    let hub = &context.shared.relay;
    let id = client_leg.conn();
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    let (to_server, to_server_queue) = mpsc::unbounded_channel();
    let (to_client, to_client_queue) = mpsc::unbounded_channel();
    // The hub's copies of the writers' queues let held and injected
    // frames in; the readers' own copies close their side.
    hub.connected(id, upstream_leg, [to_server.clone(), to_client.clone()]);
    let stop = CancellationToken::new();
    let up = pump(
        client_read,
        client_leg,
        (id, Toward::Server),
        to_server,
        context,
        &stop,
    );
    let down = pump(
        upstream_read,
        upstream_leg,
        (id, Toward::Client),
        to_client,
        context,
        &stop,
    );
    let write_up = write_out(
        upstream_write,
        to_server_queue,
        upstream_leg,
        context.kind,
        &stop,
    );
    let write_down = write_out(
        client_write,
        to_client_queue,
        client_leg,
        context.kind,
        &stop,
    );
    let ((client_read, read_client), (upstream_read, read_upstream), up_end, down_end) =
        tokio::join!(up, down, write_up, write_down);
    let (client_write, wrote_client) = down_end;
    let (upstream_write, wrote_upstream) = up_end;
    // A leg's own end: its reader's, unless that was a clean close and
    // writing to it failed.
    let client_own = own_end(read_client, wrote_client);
    let upstream_own = own_end(read_upstream, wrote_upstream);
    if upstream_own == Some(CloseReason::Reset) {
        reset(client_read, client_write);
    }
    if client_own == Some(CloseReason::Reset) {
        reset(upstream_read, upstream_write);
    }
    let client_reason = leg_reason(&client_own, &upstream_own);
    let upstream_reason = leg_reason(&upstream_own, &client_own);
    (client_reason, upstream_reason)
}

/// What ended a leg by itself, if anything did other than a clean close.
fn own_end(read: Option<CloseReason>, write: WriterEnd) -> Option<CloseReason> {
    match (read, write) {
        (Some(reason), _) if reason != CloseReason::ClosedByPeer => Some(reason),
        (_, WriterEnd::Failed(reason)) => Some(reason),
        _ => None,
    }
}

/// Why a leg closed: its own trouble, else the other leg's, else a close.
fn leg_reason(own: &Option<CloseReason>, other: &Option<CloseReason>) -> CloseReason {
    match (own, other) {
        (Some(reason), _) => reason.clone(),
        (None, Some(reason)) => CloseReason::OtherLeg(Box::new(reason.clone())),
        (None, None) => CloseReason::ClosedByPeer,
    }
}

/// Resets a leg: SO_LINGER 0, then close, so its peer reads a reset.
fn reset(read: ReadHalf, write: WriteHalf) {
    if let Some(stream) = tls::unsplit(read, write) {
        let _ = stream.tcp().set_zero_linger();
    }
}

/// Reads one leg until it ends, handing each frame (or chunk) to the hub
/// going `toward` in conversation `id`. A clean close lets that
/// direction's held frames go and closes the other leg's sending side;
/// anything else stops the whole conversation. Returns the reading half and why it ended (`None`:
/// stopped from outside).
async fn pump(
    mut read: ReadHalf,
    source: &Recorder,
    (id, toward): (u32, Toward),
    writer: Writer,
    context: &RelayContext,
    stop: &CancellationToken,
) -> (ReadHalf, Option<CloseReason>) {
    let feed = Feed {
        hub: &context.shared.relay,
        id,
        toward,
        source,
        kind: context.kind,
        room: Arc::new(Semaphore::new(IN_FLIGHT)),
    };
    let end = tokio::select! {
        _ = stop.cancelled() => None,
        end = async {
            match context.kind {
                RecordKind::Chunk => feed.chunks(&mut read).await,
                _ => feed.frames(&mut read, context).await,
            }
        } => Some(end),
    };
    match &end {
        Some(CloseReason::ClosedByPeer) => {
            feed.hub.release_direction(feed.id, toward);
            let _ = writer.send(Outgoing::Shutdown);
        }
        Some(_) => stop.cancel(),
        None => {}
    }
    (read, end)
}

/// Where one reader's frames go.
struct Feed<'a> {
    hub: &'a Hub,
    id: u32,
    toward: Toward,
    source: &'a Recorder,
    kind: RecordKind,
    room: Arc<Semaphore>,
}

impl Feed<'_> {
    /// Records one message as received and hands it on, once there is room.
    async fn hand_on(&self, bytes: Bytes) {
        let seq = self.source.received_numbered(self.kind, &bytes);
        let permit = self.room.clone().acquire_owned().await.ok();
        self.hub.offer(self.id, self.toward, bytes, seq, permit);
    }

    /// Frames until the leg ends; a bad frame is an error row on this leg.
    /// Under a profile, requests go toward the target and replies toward
    /// the client; a frame that breaks the profile but whose end is known
    /// is an error row, and is handed on all the same (the relay shows
    /// what the two ends say, it does not correct them).
    async fn frames(&self, read: &mut ReadHalf, context: &RelayContext) -> CloseReason {
        let limits = &context.limits;
        let mut reader = match &context.profile {
            Some(profile) => {
                FrameReader::with_profile(profile.clone(), self.toward.role(), limits.read_timeout)
            }
            None => FrameReader::new(limits.max_content_length, limits.read_timeout),
        };
        let mut batch = Batch::default();
        loop {
            let end = reader.next_batch(read, &mut batch).await;
            for frame in batch.frames() {
                self.hand_on(frame.raw().clone()).await;
            }
            if let Some((bytes, error)) = batch.rejected() {
                self.source.error(error.clone().into(), bytes);
                let permit = self.room.clone().acquire_owned().await.ok();
                self.hub
                    .offer(self.id, self.toward, bytes.clone(), None, permit);
            }
            match end {
                BatchEnd::More => {}
                BatchEnd::Closed => return CloseReason::ClosedByPeer,
                BatchEnd::Failed(failure) => return self.source.failure(*failure),
            }
        }
    }

    /// Raw chunks, one per read, until the leg ends.
    async fn chunks(&self, read: &mut ReadHalf) -> CloseReason {
        let mut buf = BytesMut::with_capacity(READ_BUFFER);
        loop {
            buf.reserve(READ_BUFFER);
            match read.read_buf(&mut buf).await {
                Ok(0) => return CloseReason::ClosedByPeer,
                Err(error) => return CloseReason::from_io(&error),
                Ok(_) => self.hand_on(buf.split().freeze()).await,
            }
        }
    }
}

/// Writes what the hub queues for one leg, recording each message as sent
/// on it, until the other side closed (then closes this side too), a write
/// fails, or the conversation stops. Returns the writing half.
async fn write_out(
    mut write: WriteHalf,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    destination: &Recorder,
    kind: RecordKind,
    stop: &CancellationToken,
) -> (WriteHalf, WriterEnd) {
    let end = tokio::select! {
        _ = stop.cancelled() => WriterEnd::Stopped,
        end = write_queue(&mut write, &mut queue, destination, kind) => end,
    };
    if matches!(end, WriterEnd::Failed(_)) {
        stop.cancel();
    }
    // Closing the queue makes later sends to it fail, so a frame released
    // after this is noted as discarded rather than lost in silence.
    queue.close();
    (write, end)
}

async fn write_queue(
    write: &mut WriteHalf,
    queue: &mut mpsc::UnboundedReceiver<Outgoing>,
    destination: &Recorder,
    kind: RecordKind,
) -> WriterEnd {
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    let mut room = Vec::with_capacity(WRITE_BATCH);
    let mut scratch = Vec::new();
    loop {
        let Some(first) = queue.recv().await else {
            return WriterEnd::ShutDown;
        };
        let mut shutdown = false;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Outgoing::Data(bytes, permit) => {
                    batch.push(bytes);
                    room.extend(permit);
                }
                Outgoing::Shutdown => {
                    shutdown = true;
                    break;
                }
            }
            if batch.len() < WRITE_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            if let Err(error) = write_all_batched(write, &batch, &mut scratch).await {
                return WriterEnd::Failed(CloseReason::from_io(&error));
            }
            destination.sent_all(kind, &batch);
            batch.clear();
            room.clear();
        }
        if shutdown {
            let _ = write.shutdown().await;
            return WriterEnd::ShutDown;
        }
    }
}
