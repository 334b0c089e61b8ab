//! The client pool over UDP: each "connection" is a socket with a local
//! port of its own, connected to the target, so its replies are its own.
//! Each message is sent as one datagram; each datagram that comes back is
//! one record (a frame, a chunk, or an error row when it is not one whole
//! frame or was cut). An ICMP "port unreachable" for a datagram sent is an
//! error row, and the socket stays open: a server started later is heard.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::{
    ClientConn, ClientMode, Resolved, SEND_QUEUE, Stamps, WRITE_BATCH, next_batch,
    record_round_trips,
};
use crate::engine::net::datagram::{self, DatagramBuffer, DatagramFraming, Message};
use crate::engine::net::limits::Limits;
use crate::engine::net::read_error::ReadReason;
use crate::engine::protocol::profile::Role;
use crate::engine::record::vocabulary::{
    CloseReason, ConnState, Direction, RecordKind, Side, Transport,
};
use crate::engine::recorder::Recorder;
use crate::engine::shared::Shared;

/// Opens one UDP socket to the first address the target resolved to and
/// starts its tasks; false if no socket could be made.
pub(super) async fn open_socket(
    conn: Arc<ClientConn>,
    (resolved, broadcast): (&Resolved, bool),
    limits: Limits,
    shared: Arc<Shared>,
) -> bool {
    let target = resolved.addrs[0];
    // A broadcast or multicast target is answered by other addresses: the
    // socket stays unconnected, and each answering address is a peer.
    let many = broadcast || target.ip().is_multicast();
    let socket = match socket_for(target, many).await {
        Ok(socket) => socket,
        Err(error) => {
            conn.close(CloseReason::from_io(&error));
            shared.stats.client.count_error();
            shared.mark_changed();
            return false;
        }
    };
    let local = socket.local_addr().ok();
    let recorder = Recorder::new(
        shared.clone(),
        conn.id,
        Side::Client,
        (local, target),
        conn.counters.clone(),
    )
    .keeping(conn.profile.clone())
    .over(Transport::Udp);
    if conn.cancel.is_cancelled() {
        return false;
    }
    recorder.opened();
    let (tx, rx) = mpsc::channel(SEND_QUEUE);
    conn.set_open(local, target, tx);
    shared.mark_changed();
    let socket = Arc::new(socket);
    let stamps: Stamps = Arc::new(Mutex::new(VecDeque::new()));
    let to = many.then_some(target);
    tokio::spawn(write_loop(
        conn.clone(),
        (socket.clone(), to),
        rx,
        recorder.clone(),
        stamps.clone(),
    ));
    tokio::spawn(read_loop(conn, (socket, many), limits, recorder, stamps));
    true
}

/// A socket on a free local port of `target`'s family: connected to it,
/// or, when `many` may answer (a broadcast or multicast target), allowed
/// to broadcast and left unconnected.
async fn socket_for(target: SocketAddr, many: bool) -> std::io::Result<UdpSocket> {
    let socket = datagram::bind(datagram::any_local_for(target))?;
    if many {
        if target.is_ipv4() {
            socket.set_broadcast(true)?;
        }
        return Ok(socket);
    }
    socket.connect(target).await?;
    Ok(socket)
}

/// Sends each queued message as one datagram.
async fn write_loop(
    conn: Arc<ClientConn>,
    (socket, to): (Arc<UdpSocket>, Option<SocketAddr>),
    mut rx: mpsc::Receiver<Bytes>,
    recorder: Recorder,
    stamps: Stamps,
) {
    let kind = conn.sent_kind();
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    while next_batch(&conn, &mut rx, &mut batch, &stamps).await {
        recorder.sent_all(kind, &batch);
        for message in &batch {
            let sent = match to {
                Some(to) => socket.send_to(message, to).await,
                None => socket.send(message).await,
            };
            match sent {
                Ok(_) => {}
                // The peer's port was unreachable for an earlier datagram:
                // said on this socket's next call, which was this send.
                Err(error) if datagram::is_unreachable(&error) => {
                    unreachable_row(&recorder);
                }
                Err(error) => {
                    conn.close(CloseReason::from_io(&error));
                    recorder.mark_changed();
                    return;
                }
            }
        }
    }
}

/// Reads datagrams until the socket is closed or fails.
async fn read_loop(
    conn: Arc<ClientConn>,
    (socket, many): (Arc<UdpSocket>, bool),
    limits: Limits,
    recorder: Recorder,
    stamps: Stamps,
) {
    let mut answerers = Answerers::new(recorder.clone());
    let reason = tokio::select! {
        _ = conn.cancel.cancelled() => match conn.state() {
            ConnState::Closed(reason) => reason,
            _ => CloseReason::ClosedByUser,
        },
        reason = read_datagrams(&conn, (&socket, many), limits, &mut answerers, &stamps) => reason,
    };
    answerers.close_all(&reason);
    recorder.closed(&reason);
    conn.close(reason);
}

/// The peers an unconnected socket hears from: the target's datagrams
/// are the socket's own records; any other address's (a host answering a
/// broadcast, a multicast group's members) are records of a peer of its
/// own (an id of its own, on the socket's local address), so each record
/// says who sent it.
struct Answerers {
    socket: Recorder,
    others: std::collections::HashMap<SocketAddr, Recorder>,
}

impl Answerers {
    fn new(socket: Recorder) -> Self {
        Self {
            socket,
            others: std::collections::HashMap::new(),
        }
    }

    /// The recorder of what `peer` sends.
    fn of(&mut self, peer: SocketAddr) -> &Recorder {
        if peer == self.socket.peer() {
            return &self.socket;
        }
        let socket = &self.socket;
        self.others.entry(peer).or_insert_with(|| {
            let answerer = socket.answered_by(peer);
            answerer.opened();
            answerer
        })
    }

    fn close_all(&self, reason: &CloseReason) {
        for answerer in self.others.values() {
            answerer.closed(reason);
        }
    }
}

async fn read_datagrams(
    conn: &ClientConn,
    (socket, many): (&UdpSocket, bool),
    limits: Limits,
    answerers: &mut Answerers,
    stamps: &Stamps,
) -> CloseReason {
    let framing = DatagramFraming::of(
        conn.profile.as_ref(),
        Role::Reply,
        conn.mode == ClientMode::Raw,
        limits.max_content_length,
    );
    let mut buffer = DatagramBuffer::new(limits.datagram_buffer);
    let peer = answerers.socket.peer();
    loop {
        let received = if many {
            buffer.recv_from(socket).await
        } else {
            buffer.recv(socket, peer).await
        };
        let received = match received {
            Ok(received) => received,
            Err(error) if datagram::is_unreachable(&error) => {
                unreachable_row(&answerers.socket);
                continue;
            }
            Err(error) => return CloseReason::from_io(&error),
        };
        let recorder = answerers.of(received.peer);
        if received.truncated {
            recorder.error(datagram::truncated(buffer.limit()), &received.bytes);
            record_round_trips(recorder, stamps, 1);
            continue;
        }
        match framing.read(received.bytes) {
            Message::Frame(frame) => {
                recorder.received_all(std::slice::from_ref(&frame));
                record_round_trips(recorder, stamps, 1);
            }
            Message::Chunk(bytes) => {
                recorder.bytes(Direction::Received, RecordKind::Chunk, &bytes);
            }
            Message::Rejected(bytes, error) => {
                recorder.error(error, &bytes);
                record_round_trips(recorder, stamps, 1);
            }
        }
    }
}

/// The error row for an ICMP "port unreachable": nothing listens at the
/// target (yet).
fn unreachable_row(recorder: &Recorder) {
    let error = datagram::datagram_error(ReadReason::Unreachable {
        peer: recorder.peer().to_string(),
    });
    recorder.error(error, &Bytes::new());
}
