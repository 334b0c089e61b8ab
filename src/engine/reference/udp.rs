//! The references a UDP benchmark measures against: the barest tokio UDP
//! echo (a datagram read, the same datagram sent back), and a batching UDP
//! load cheap enough never to be the bottleneck.
//!
//! The load keeps `depth` datagrams in flight on each of its sockets and
//! moves them in batches through [`BatchSocket`]: the datagrams owed go
//! out in one segmented send, and one call reads the echoes waiting (one
//! `recvmmsg`, GRO's coalesced datagrams), so a datagram costs the load a
//! share of a system call while the echo spends two on it. Echoes are
//! counted, never compared; a socket that hears nothing for a while puts
//! its datagrams back in flight, so a datagram the kernel dropped (a full
//! receive buffer) cannot stall it, and counts them lost.

use std::cell::Cell;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use super::batch_load::{BatchLoadReport, run_pinned, thread_cpu_time};
use crate::engine::net::batch_udp::{BatchSocket, ReceiveBatch};

/// How long a socket hears nothing before it sends its whole depth again.
const STALL: Duration = Duration::from_millis(100);

/// A bare tokio UDP echo on its own thread; dropping it stops it.
#[derive(Debug)]
pub struct UdpReferenceEcho {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl UdpReferenceEcho {
    /// Binds 127.0.0.1 on a free port and echoes on a new thread with a
    /// current-thread runtime, pinned to `core` unless it is `None`.
    pub fn start(core: Option<usize>) -> io::Result<Self> {
        // Its socket buffers as framescope's own UDP sockets ask: the same
        // room for bursts on both sides of a comparison.
        let socket = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        socket.set_nonblocking(true)?;
        let buffers = socket2::SockRef::from(&socket);
        let _ = buffers.set_recv_buffer_size(crate::engine::net::datagram::SOCKET_BUFFER);
        let _ = buffers.set_send_buffer_size(crate::engine::net::datagram::SOCKET_BUFFER);
        let addr = socket.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let (ready, started) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("reference-udp-echo".into())
            .spawn(move || {
                if let Some(core) = core {
                    core_affinity::set_for_current(core_affinity::CoreId { id: core });
                }
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let socket = match UdpSocket::from_std(socket) {
                        Ok(socket) => socket,
                        Err(error) => {
                            let _ = ready.send(Err(error));
                            return;
                        }
                    };
                    let _ = ready.send(Ok(()));
                    tokio::select! {
                        _ = stopped => {}
                        _ = echo(&socket) => {}
                    }
                });
            })?;
        started
            .recv()
            .map_err(|_| io::Error::other("the echo thread ended before it started"))??;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for UdpReferenceEcho {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A datagram read, the same datagram sent back, for ever.
async fn echo(socket: &UdpSocket) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let _ = socket.send_to(&buf[..len], peer).await;
    }
}

/// What a batching UDP load run does.
#[derive(Debug, Clone)]
pub struct UdpLoadSpec {
    /// The echo to load; it must be on loopback.
    pub addr: SocketAddr,
    /// Sockets, each with a port of its own.
    pub sockets: usize,
    /// Datagrams in flight on each socket.
    pub depth: usize,
    /// Bytes of each datagram.
    pub size: usize,
    /// How long to count, after the warm-up.
    pub duration: Duration,
    /// How long to run before counting.
    pub warmup: Duration,
    /// The core the load's thread is pinned to.
    pub core: Option<usize>,
}

/// What the sockets counted together.
#[derive(Default)]
struct Counts {
    echoes: Cell<u64>,
    bytes: Cell<u64>,
    lost: Cell<u64>,
    stop: Cell<bool>,
}

/// Runs the load on a new thread and returns what its window counted
/// (`errors` counts the datagrams taken for lost).
pub fn run_udp_load(spec: UdpLoadSpec) -> io::Result<BatchLoadReport> {
    if !spec.addr.ip().is_loopback() || spec.sockets == 0 || spec.depth == 0 || spec.size == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a loopback address, and at least one socket, one datagram in flight and one byte",
        ));
    }
    run_pinned("udp-batch-load", spec.core, move || drive(spec))
}

async fn drive(spec: UdpLoadSpec) -> io::Result<BatchLoadReport> {
    let counts = Rc::new(Counts::default());
    let mut tasks = Vec::with_capacity(spec.sockets);
    let mut flights = Vec::with_capacity(spec.sockets);
    for _ in 0..spec.sockets {
        let socket = crate::engine::net::datagram::bind((Ipv4Addr::LOCALHOST, 0).into())?;
        socket.connect(spec.addr).await?;
        let socket = BatchSocket::new(socket, spec.addr)?;
        let (counts, flight) = (counts.clone(), Rc::new(SocketFlight::default()));
        flights.push(flight.clone());
        let (depth, size) = (spec.depth, spec.size);
        tasks.push(tokio::task::spawn_local(async move {
            keep_in_flight(socket, depth, size, &counts, &flight).await
        }));
    }
    tokio::task::spawn_local(watch_stalls(Rc::new(flights), counts.clone()));
    tokio::time::sleep(spec.warmup).await;
    let (echoes0, bytes0, lost0) = (counts.echoes.get(), counts.bytes.get(), counts.lost.get());
    let cpu0 = thread_cpu_time();
    let started = Instant::now();
    tokio::time::sleep(spec.duration).await;
    let (echoes1, bytes1, lost1) = (counts.echoes.get(), counts.bytes.get(), counts.lost.get());
    let cpu1 = thread_cpu_time();
    let elapsed = started.elapsed();
    counts.stop.set(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
    }
    Ok(BatchLoadReport {
        frames: echoes1 - echoes0,
        bytes: bytes1 - bytes0,
        elapsed,
        errors: lost1 - lost0,
        load_cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
    })
}

/// One socket: `depth` datagrams in flight, each echo answered by another.
/// A datagram dropped on the way is noticed by `watch_stalls`, which puts
/// the socket's whole depth back in flight.
async fn keep_in_flight(
    socket: BatchSocket,
    depth: usize,
    size: usize,
    counts: &Counts,
    flight: &SocketFlight,
) -> io::Result<()> {
    let per_send = socket.segments_per_send(size);
    let sendbuf = vec![0x5a; size * per_send];
    let mut receive = ReceiveBatch::new();
    flight.owed.set(depth);
    while !counts.stop.get() {
        while flight.owed.get() > 0 {
            let count = flight.owed.get().min(per_send);
            match socket.try_send(&sendbuf[..count * size], size) {
                Ok(()) => {
                    flight.owed.set(flight.owed.get() - count);
                    flight.in_flight.set(flight.in_flight.get() + count);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if flight.owed.get() > 0 {
            tokio::select! {
                ready = socket.readable() => ready?,
                ready = socket.writable() => ready?,
                _ = flight.wake.notified() => {}
            }
        } else {
            tokio::select! {
                ready = socket.readable() => ready?,
                _ = flight.wake.notified() => {}
            }
        }
        let (mut echoes, mut bytes) = (0u64, 0u64);
        loop {
            match socket.try_recv(&mut receive, |datagram| {
                echoes += 1;
                bytes += datagram.len() as u64;
            }) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        if echoes > 0 {
            flight.heard.set(true);
            counts.echoes.set(counts.echoes.get() + echoes);
            counts.bytes.set(counts.bytes.get() + bytes);
            let echoes = (echoes as usize).min(flight.in_flight.get());
            flight.in_flight.set(flight.in_flight.get() - echoes);
            flight.owed.set(flight.owed.get() + echoes);
        }
    }
    Ok(())
}

/// One socket's datagrams owed and in flight, and whether it heard
/// anything since the watch last looked.
#[derive(Default)]
struct SocketFlight {
    owed: Cell<usize>,
    in_flight: Cell<usize>,
    heard: Cell<bool>,
    wake: tokio::sync::Notify,
}

/// Every `STALL`, puts back in flight the datagrams of each socket that
/// heard nothing since the last look (they were dropped), counting them
/// lost.
async fn watch_stalls(flights: Rc<Vec<Rc<SocketFlight>>>, counts: Rc<Counts>) {
    while !counts.stop.get() {
        tokio::time::sleep(STALL).await;
        for flight in flights.iter() {
            if !flight.heard.replace(false) && flight.in_flight.get() > 0 {
                counts
                    .lost
                    .set(counts.lost.get() + flight.in_flight.get() as u64);
                flight.owed.set(flight.owed.get() + flight.in_flight.get());
                flight.in_flight.set(0);
                flight.wake.notify_one();
            }
        }
    }
}
