//! The reference echo server: the cheapest server a benchmark can load,
//! so that the batching load's rate against it is the load's ceiling.
//!
//! It parses nothing: each connection reads up to 64 KiB and writes back
//! what it read, so a batch of frames that arrives in one read leaves in one
//! write, and a batching load is met by a server that batches just as well.
//! It runs on its own thread, optionally pinned to a core, with a tokio
//! current-thread runtime, listens on 127.0.0.1 on a port the system
//! chooses, and stops when dropped.
//!
//! A benchmark includes it with
//! `#[path = "support/reference_echo.rs"] mod reference_echo;`.

// Each benchmark that includes this file uses the part it needs.
#![allow(dead_code, reason = "a support module shared by several benchmarks")]

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Bytes asked for in each read.
const READ_CHUNK: usize = 64 * 1024;

/// How long the accept loop rests after a failed accept (out of
/// descriptors, say) instead of spinning on the error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// A bare tokio echo server on its own thread; dropping it stops the
/// server, closes every connection and joins the thread.
#[derive(Debug)]
pub struct ReferenceEcho {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ReferenceEcho {
    /// Binds 127.0.0.1 on a free port and starts serving on a new thread,
    /// pinned to `core` unless it is `None`. Returns once the thread is
    /// pinned and the runtime built, so a failure of either is reported
    /// here.
    pub fn start(core: Option<usize>) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let (ready, started) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("reference-echo".into())
            .spawn(move || {
                let runtime = match prepare(core) {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let listener = match runtime.block_on(async { TcpListener::from_std(listener) }) {
                    Ok(listener) => listener,
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                let _ = ready.send(Ok(()));
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, serve(listener, stopped));
                // Dropping the runtime and the task set drops every
                // connection still open.
            })?;
        let outcome = started
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the echo thread ended at start")));
        if let Err(e) = outcome {
            let _ = thread.join();
            return Err(e);
        }
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on (127.0.0.1 and the port chosen).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ReferenceEcho {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Pins the thread to `core` (if given) and builds its runtime.
fn prepare(core: Option<usize>) -> io::Result<tokio::runtime::Runtime> {
    if let Some(core) = core {
        let id = core_affinity::get_core_ids()
            .and_then(|ids| ids.into_iter().find(|id| id.id == core))
            .ok_or_else(|| io::Error::other(format!("core {core} is not available")))?;
        if !core_affinity::set_for_current(id) {
            return Err(io::Error::other(format!("cannot pin to core {core}")));
        }
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Accepts connections until `stopped` fires (or its sender is dropped).
async fn serve(listener: TcpListener, mut stopped: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::task::spawn_local(echo(stream));
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
        }
    }
}

/// Writes back every read until the peer closes; then closes its side.
async fn echo(mut stream: TcpStream) {
    // Nagle off, as any echo server measured for latency would have it.
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = stream.shutdown().await;
}
