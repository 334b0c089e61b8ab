//! The client pool over UDP: each "connection" is a socket with a local
//! port of its own, connected to the target, so its replies are its own.
//! Each message is sent as one datagram; each datagram that comes back is
//! one record (a frame, a chunk, or an error row when it is not one whole
//! frame or was cut). An ICMP "port unreachable" for a datagram sent is an
//! error row, and the socket stays open: a server started later is heard.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{
    ClientConn, ClientMode, Resolved, SEND_QUEUE, Stamps, WRITE_BATCH, record_round_trips,
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
    resolved: &Resolved,
    limits: Limits,
    shared: Arc<Shared>,
) -> bool {
    let target = resolved.addrs[0];
    let socket = match connected_socket(target).await {
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
    tokio::spawn(write_loop(
        conn.clone(),
        socket.clone(),
        rx,
        recorder.clone(),
        stamps.clone(),
    ));
    tokio::spawn(read_loop(conn, socket, limits, recorder, stamps));
    true
}

/// A socket on a free local port of `target`'s family, connected to it.
async fn connected_socket(target: std::net::SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = datagram::bind(datagram::any_local_for(target))?;
    socket.connect(target).await?;
    Ok(socket)
}

/// What a message sent is recorded as.
fn sent_kind(conn: &ClientConn) -> RecordKind {
    match conn.mode {
        ClientMode::Framed => RecordKind::Frame,
        ClientMode::Raw => RecordKind::Chunk,
    }
}

/// Sends each queued message as one datagram.
async fn write_loop(
    conn: Arc<ClientConn>,
    socket: Arc<UdpSocket>,
    mut rx: mpsc::Receiver<Bytes>,
    recorder: Recorder,
    stamps: Stamps,
) {
    let kind = sent_kind(&conn);
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    loop {
        batch.clear();
        let received = tokio::select! {
            _ = conn.cancel.cancelled() => return,
            received = rx.recv_many(&mut batch, WRITE_BATCH) => received,
        };
        if received == 0 {
            return;
        }
        if conn.mode == ClientMode::Framed {
            let now = Instant::now();
            stamps.lock().extend(std::iter::repeat_n(now, batch.len()));
        }
        recorder.sent_all(kind, &batch);
        for message in &batch {
            match socket.send(message).await {
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
    socket: Arc<UdpSocket>,
    limits: Limits,
    recorder: Recorder,
    stamps: Stamps,
) {
    let reason = tokio::select! {
        _ = conn.cancel.cancelled() => match conn.state() {
            ConnState::Closed(reason) => reason,
            _ => CloseReason::ClosedByUser,
        },
        reason = read_datagrams(&conn, &socket, limits, &recorder, &stamps) => reason,
    };
    recorder.closed(&reason);
    conn.close(reason);
}

async fn read_datagrams(
    conn: &ClientConn,
    socket: &UdpSocket,
    limits: Limits,
    recorder: &Recorder,
    stamps: &Stamps,
) -> CloseReason {
    let framing = DatagramFraming::of(
        conn.profile.as_ref(),
        Role::Reply,
        conn.mode == ClientMode::Raw,
        limits.max_content_length,
    );
    let mut buffer = DatagramBuffer::new(limits.datagram_buffer);
    let peer = recorder.peer();
    loop {
        let received = match buffer.recv(socket, peer).await {
            Ok(received) => received,
            Err(error) if datagram::is_unreachable(&error) => {
                unreachable_row(recorder);
                continue;
            }
            Err(error) => return CloseReason::from_io(&error),
        };
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
