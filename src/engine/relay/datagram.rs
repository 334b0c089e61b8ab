//! A relayed conversation over UDP: each client address the UDP server
//! hears from is a session, and each session gets a socket of its own
//! toward the target, so the target's answers find their way back to the
//! right client.
//!
//! Each datagram is one message: recorded as received on the leg it came
//! in on, handed to the hub (which holds it when intercept says so), and
//! sent on as one datagram on the other leg, recorded there. A datagram
//! that is not a whole frame is an error row, and is sent on all the same,
//! as over TCP. The session ends when the server closes it (idle, evicted
//! at the cap, the server stopped); its target leg ends with it.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::super::client::CONNECT_TIMEOUT;
use super::super::recorder::Recorder;
use super::Toward;
use super::conversation::RelayContext;
use super::hub::{Hub, Outgoing};
use crate::engine::net::datagram::{self, DatagramBuffer, DatagramFraming, Message};
use crate::engine::record::stats::Counters;
use crate::engine::record::vocabulary::{CloseReason, Direction, RecordKind, Side, Transport};

/// Datagrams from the client that may wait for the session's task.
const INCOMING_QUEUE: usize = 1024;

/// The server's side of one relayed UDP session.
#[derive(Debug)]
pub(crate) struct RelaySession {
    /// Where the client's datagrams go.
    pub(crate) incoming: mpsc::Sender<Bytes>,
    /// Why the session ended, set by the server before it cancels.
    end: Arc<Mutex<Option<CloseReason>>>,
    cancel: CancellationToken,
}

impl RelaySession {
    /// Ends the session: its target leg closes saying the client's leg
    /// ended as `reason` says.
    pub(crate) fn close(&self, reason: &CloseReason) {
        *self.end.lock() = Some(reason.clone());
        self.cancel.cancel();
    }
}

/// Starts relaying the session `client_leg` records (the client at `peer`,
/// heard on `server`) to the relay's target; its target leg is
/// `upstream_conn`. The task runs on `tracker`.
pub(crate) fn start_session(
    server: Arc<UdpSocket>,
    peer: SocketAddr,
    (client_leg, upstream_conn): (Recorder, u32),
    context: RelayContext,
    tracker: &TaskTracker,
) -> RelaySession {
    let (incoming, queue) = mpsc::channel(INCOMING_QUEUE);
    let end = Arc::new(Mutex::new(None));
    let cancel = CancellationToken::new();
    let session = Session {
        server,
        peer,
        client_leg,
        upstream_conn,
        context,
        end: end.clone(),
        cancel: cancel.clone(),
    };
    tracker.spawn(session.run(queue));
    RelaySession {
        incoming,
        end,
        cancel,
    }
}

/// Everything one session's task holds.
struct Session {
    server: Arc<UdpSocket>,
    peer: SocketAddr,
    client_leg: Recorder,
    upstream_conn: u32,
    context: RelayContext,
    end: Arc<Mutex<Option<CloseReason>>>,
    cancel: CancellationToken,
}

impl Session {
    async fn run(self, mut queue: mpsc::Receiver<Bytes>) {
        let hub = &self.context.shared.relay;
        let id = self.client_leg.conn();
        hub.register(&self.client_leg, self.upstream_conn, self.context.kind);
        let upstream = match self.open_upstream().await {
            Ok(upstream) => upstream,
            Err(why) => {
                self.client_leg.note(
                    Direction::Sent,
                    &format!(
                        "relay: cannot reach the target {}: {why}",
                        self.context.upstream
                    ),
                );
                hub.close(
                    id,
                    &CloseReason::Io {
                        kind: std::io::ErrorKind::Other,
                        message: why,
                    },
                );
                return;
            }
        };
        let target = upstream.peer_addr().unwrap_or(self.peer);
        let upstream_leg = Recorder::new(
            self.context.shared.clone(),
            self.upstream_conn,
            Side::Client,
            (upstream.local_addr().ok(), target),
            Arc::new(Counters::default()),
        )
        .linked_to(id)
        .keeping(self.context.profile.clone())
        .over(Transport::Udp);
        upstream_leg.opened();
        let (to_server, to_server_queue) = mpsc::unbounded_channel();
        let (to_client, to_client_queue) = mpsc::unbounded_channel();
        hub.connected(id, &upstream_leg, [to_server, to_client]);
        let upstream = Arc::new(upstream);
        let raw = self.context.kind == RecordKind::Chunk;
        let max = self.context.limits.max_content_length;
        let framing = |toward: Toward| {
            DatagramFraming::of(self.context.profile.as_ref(), toward.role(), raw, max)
        };
        let from_client = async {
            let framing = framing(Toward::Server);
            while let Some(bytes) = queue.recv().await {
                offer(hub, (id, Toward::Server), &self.client_leg, &framing, bytes);
            }
        };
        let from_target = async {
            let framing = framing(Toward::Client);
            let mut buffer = DatagramBuffer::new(self.context.limits.datagram_buffer);
            loop {
                match buffer.recv(&upstream, target).await {
                    Ok(received) if received.truncated => {
                        upstream_leg.error(datagram::truncated(buffer.limit()), &received.bytes)
                    }
                    Ok(received) => offer(
                        hub,
                        (id, Toward::Client),
                        &upstream_leg,
                        &framing,
                        received.bytes,
                    ),
                    Err(error) if datagram::is_unreachable(&error) => upstream_leg.error(
                        datagram::datagram_error(
                            crate::engine::net::read_error::ReadReason::Unreachable {
                                peer: target.to_string(),
                            },
                        ),
                        &Bytes::new(),
                    ),
                    Err(_) => return,
                }
            }
        };
        let to_target = send_out(to_server_queue, &upstream_leg, self.context.kind, |bytes| {
            let upstream = upstream.clone();
            async move { upstream.send(&bytes).await.map(|_| ()) }
        });
        let server = self.server.clone();
        let peer = self.peer;
        let to_back = send_out(
            to_client_queue,
            &self.client_leg,
            self.context.kind,
            |bytes| {
                let server = server.clone();
                async move { server.send_to(&bytes, peer).await.map(|_| ()) }
            },
        );
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = async { tokio::join!(from_client, from_target, to_target, to_back) } => {}
        }
        let reason = self.end.lock().take().unwrap_or(CloseReason::ClosedByPeer);
        hub.close(id, &reason);
        upstream_leg.closed(&CloseReason::OtherLeg(Box::new(reason)));
    }

    /// A socket of the session's own, connected to the target's first
    /// address; or why there is none, in words.
    async fn open_upstream(&self) -> Result<UdpSocket, String> {
        let addrs = self
            .context
            .upstream
            .resolve_within(CONNECT_TIMEOUT)
            .await
            .map_err(|error| error.to_string())?;
        let to = addrs[0];
        let socket = datagram::bind(datagram::any_local_for(to)).map_err(|e| e.to_string())?;
        socket.connect(to).await.map_err(|e| e.to_string())?;
        Ok(socket)
    }
}

/// Records one datagram as received on `source`, then hands it to the hub
/// going `toward`: a whole frame as a frame, anything else as an error row
/// (and on all the same).
fn offer(
    hub: &Hub,
    (id, toward): (u32, Toward),
    source: &Recorder,
    framing: &DatagramFraming,
    bytes: Bytes,
) {
    match framing.read(bytes) {
        Message::Frame(frame) => {
            let seq = source.received_numbered(RecordKind::Frame, frame.raw());
            hub.offer(id, toward, frame.raw().clone(), seq, None);
        }
        Message::Chunk(bytes) => {
            let seq = source.received_numbered(RecordKind::Chunk, &bytes);
            hub.offer(id, toward, bytes, seq, None);
        }
        Message::Rejected(bytes, error) => {
            source.error(error, &bytes);
            hub.offer(id, toward, bytes, None, None);
        }
    }
}

/// Sends what the hub queues for one leg, each message one datagram,
/// recorded as sent on `destination`.
async fn send_out<F, Fut>(
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    destination: &Recorder,
    kind: RecordKind,
    send: F,
) where
    F: Fn(Bytes) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    while let Some(message) = queue.recv().await {
        let Outgoing::Data(bytes, _room) = message else {
            // No sending side closes over UDP.
            continue;
        };
        match send(bytes.clone()).await {
            Ok(()) => destination.sent_all(kind, std::slice::from_ref(&bytes)),
            Err(error) => destination.note(
                Direction::Sent,
                &format!("relay: a datagram could not be sent on: {error}"),
            ),
        }
    }
}
