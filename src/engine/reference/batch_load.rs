//! The reference batching load generator: a closed-loop load that is cheap
//! enough never to be the bottleneck of a benchmark.
//!
//! framescope's own load mode decodes every echo and sends one frame per
//! echo, so with small frames it spends a read and a write system call per
//! frame and its single core saturates long before a fast server does. This
//! load instead keeps `depth` frames in flight on each connection and moves
//! them in batches: the first `depth` frames go out in one write, and every
//! read (up to 64 KiB) that completes some echoed frames is answered by one
//! write of that many frames, sliced from a buffer built once. The cost per
//! frame is then a share of a system call, so a benchmark can show the
//! load's headroom against a bare echo server and know that its ratios
//! measure the server, not the load.
//!
//! It does not decode replies. The server under test must echo exactly the
//! bytes it receives, so every echoed frame is `frame.len()` bytes and the
//! frames received are the bytes received divided by `frame.len()`. The
//! frame itself is parsed once, at the start, to check that it is one whole
//! frame of the protocol (2-byte big-endian header length, a JSON header
//! whose `content-length` gives the content's length, the content), or of
//! the profile given; a reply is never compared with what was sent.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::SchedTimes;
use crate::engine::protocol::codec::{FrameCheck, FrameSoFar, check_frame};
use crate::engine::protocol::profile::{FrontScan, Profile, ProfileCheck, Role};
use std::sync::Arc;

/// Bytes asked for in each read.
const READ_CHUNK: usize = 64 * 1024;

/// How long opening one connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the connections may take, once the window closes, to receive
/// the frames still in flight and close; a connection still busy then is
/// abandoned and counted as an error.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The share of the measured window above which the load thread counts as
/// saturated: the load may then have set the rate, not the server.
pub const LOAD_BOUND_SHARE: f64 = 0.9;

/// What a batching load run does.
#[derive(Debug, Clone)]
pub struct BatchLoadSpec {
    /// The echo server to load; it must be on loopback.
    pub addr: SocketAddr,
    /// Connections opened before the load starts, at least one.
    pub connections: usize,
    /// Frames kept in flight on each connection, at least one.
    pub depth: usize,
    /// One whole frame of the protocol, sent over and over.
    pub frame: Bytes,
    /// The profile the frame keeps; `None`: the JSON-header protocol's.
    pub profile: Option<Arc<Profile>>,
    /// How long to count, after the warm-up.
    pub duration: Duration,
    /// How long to run before counting starts.
    pub warmup: Duration,
    /// The core the load thread is pinned to; `None` leaves it unpinned.
    pub core: Option<usize>,
}

/// What a batching load run counted in its measured window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchLoadReport {
    /// Whole frames echoed back in the window.
    pub frames: u64,
    /// Bytes echoed back in the window.
    pub bytes: u64,
    /// The window's measured length.
    pub elapsed: Duration,
    /// Connections that failed to open, broke, received bytes never sent,
    /// or did not drain in time, over the whole run.
    pub errors: u64,
    /// CPU time the load thread used in the window (user and system), where
    /// the platform gives it cheaply (Linux); `None` elsewhere.
    pub load_cpu: Option<Duration>,
}

impl BatchLoadReport {
    /// Frames echoed per second of the window.
    pub fn frames_per_s(&self) -> f64 {
        self.frames as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Bytes echoed per second of the window.
    pub fn bytes_per_s(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The load thread's CPU time over the window's length: 1.0 means its
    /// core was busy all the time.
    pub fn load_cpu_share(&self) -> Option<f64> {
        let cpu = self.load_cpu?;
        Some(cpu.as_secs_f64() / self.elapsed.as_secs_f64().max(1e-9))
    }

    /// Whether the load thread was saturated (busy at least
    /// [`LOAD_BOUND_SHARE`] of the window), so that the load may have set
    /// the rate; `None` where CPU time is not measured. In a closed loop
    /// where the server's core is saturated too, both limit the rate: the
    /// load's CPU time per frame, set beside the server's, tells which has
    /// room to spare.
    pub fn load_bound(&self) -> Option<bool> {
        self.load_cpu_share().map(|share| share >= LOAD_BOUND_SHARE)
    }
}

/// Runs the load on one new thread, pinned to `spec.core`, with a tokio
/// current-thread runtime, and returns when it has stopped: after the
/// warm-up and the window, once every connection has received what it had
/// in flight and closed (or the drain timeout passed).
///
/// Fails if the spec is unusable (no connections, depth 0, a frame that is
/// not one whole frame, an address off loopback), if the core cannot be
/// pinned, or if no connection could be opened.
pub fn run(spec: BatchLoadSpec) -> io::Result<BatchLoadReport> {
    check_spec(&spec)?;
    run_pinned("batch-load", spec.core, move || drive(spec))
}

/// Runs what `drive` makes on a new thread named `name`, pinned to `core`
/// (unless `None`), with a tokio current-thread runtime and a local task
/// set, and returns its result once it has stopped. Fails if the core
/// cannot be pinned.
pub(crate) fn run_pinned<T, F>(
    name: &str,
    core: Option<usize>,
    drive: impl FnOnce() -> F + Send + 'static,
) -> io::Result<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = io::Result<T>> + 'static,
{
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if let Some(core) = core {
                pin_to(core)?;
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, drive())
        })?;
    thread
        .join()
        .map_err(|_| io::Error::other("the load thread panicked"))?
}

/// Refuses a spec the load cannot run as asked.
fn check_spec(spec: &BatchLoadSpec) -> io::Result<()> {
    let invalid = |reason: String| Err(io::Error::new(io::ErrorKind::InvalidInput, reason));
    if !spec.addr.ip().is_loopback() {
        return invalid(format!("{} is not a loopback address", spec.addr));
    }
    if spec.connections == 0 || spec.depth == 0 {
        return invalid("connections and depth must be at least 1".into());
    }
    let whole = whole_frame_len(&spec.frame, spec.profile.as_deref())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("not a frame: {e}")))?;
    if whole != spec.frame.len() {
        return invalid(format!(
            "the frame is {} bytes but its headers describe {whole}",
            spec.frame.len()
        ));
    }
    Ok(())
}

/// The length of the frame at the start of `bytes`, by the protocol's
/// frame check or `profile`'s.
fn whole_frame_len(bytes: &[u8], profile: Option<&Profile>) -> Result<usize, String> {
    if let Some(profile) = profile {
        return match FrontScan::default().check(profile, bytes, Role::Request) {
            ProfileCheck::Whole { len } => Ok(len),
            ProfileCheck::Wanting { .. } => Err("shorter than its fields describe".into()),
            ProfileCheck::Rejected { fault, .. } | ProfileCheck::Broken { fault } => {
                Err(fault.to_string())
            }
        };
    }
    match check_frame(bytes, FrameSoFar::Nothing, u64::MAX) {
        Ok(FrameCheck::Whole { len, .. }) => Ok(len),
        Ok(FrameCheck::Wanting { .. }) => Err("shorter than its headers describe".into()),
        Err((part, why)) => Err(format!("its {part}: {why}")),
    }
}

/// Pins the calling thread to `core`. The core is named directly, not
/// looked up among the calling thread's own cores: a benchmark pins its
/// main thread (and so the server it starts) to one core and must still
/// be able to put the load on another.
fn pin_to(core: usize) -> io::Result<()> {
    if core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
        Ok(())
    } else {
        Err(io::Error::other(format!("cannot pin to core {core}")))
    }
}

/// Totals every connection adds to. The runtime has one thread, so plain
/// cells suffice, and reading them between two awaits is a consistent
/// snapshot.
#[derive(Debug, Default)]
struct Totals {
    frames: Cell<u64>,
    bytes: Cell<u64>,
    stop: Cell<bool>,
}

/// The run on the load thread: connect, warm up, count the window, stop.
async fn drive(spec: BatchLoadSpec) -> io::Result<BatchLoadReport> {
    let mut errors = 0u64;
    let mut streams = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        match connect(spec.addr).await {
            Ok(stream) => streams.push(stream),
            Err(_) => errors += 1,
        }
    }
    if streams.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("no connection to {} could be opened", spec.addr),
        ));
    }

    // All connections share one buffer of `depth + 1` frames: any run of
    // owed bytes, even one that starts inside a frame, is a slice of it.
    let frame_len = spec.frame.len();
    let sendbuf: Rc<[u8]> = spec.frame.repeat(spec.depth + 1).into();
    let totals = Rc::new(Totals::default());
    let tasks: Vec<JoinHandle<io::Result<()>>> = streams
        .into_iter()
        .map(|stream| {
            let connection = Connection {
                sendbuf: Rc::clone(&sendbuf),
                frame_len,
                depth: spec.depth,
                totals: Rc::clone(&totals),
            };
            tokio::task::spawn_local(connection.run(stream))
        })
        .collect();

    tokio::time::sleep(spec.warmup).await;
    let (frames0, bytes0) = (totals.frames.get(), totals.bytes.get());
    let cpu0 = thread_cpu_time();
    let started = Instant::now();
    tokio::time::sleep(spec.duration).await;
    let (frames1, bytes1) = (totals.frames.get(), totals.bytes.get());
    let cpu1 = thread_cpu_time();
    let elapsed = started.elapsed();
    totals.stop.set(true);

    let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
    for mut task in tasks {
        match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(_) => errors += 1,
            Err(_) => {
                task.abort();
                errors += 1;
            }
        }
    }

    Ok(BatchLoadReport {
        frames: frames1 - frames0,
        bytes: bytes1 - bytes0,
        elapsed,
        errors,
        load_cpu: cpu0.zip(cpu1).map(|(a, b)| b.saturating_sub(a)),
    })
}

/// Opens one connection with Nagle off: the batches are already as large
/// as they can be, and holding them back would only add latency.
async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One connection's closed loop.
struct Connection {
    sendbuf: Rc<[u8]>,
    frame_len: usize,
    depth: usize,
    totals: Rc<Totals>,
}

impl Connection {
    /// Keeps `depth` frames in flight until told to stop, then lets what is
    /// in flight come back and closes.
    ///
    /// Reading and writing wait together, so a batch that does not fit in
    /// the socket's buffers never stops the echoes from being read (which
    /// would deadlock against a server blocked writing them back).
    async fn run(self, mut stream: TcpStream) -> io::Result<()> {
        let frame_len = self.frame_len;
        let mut readbuf = vec![0u8; READ_CHUNK];
        // Bytes owed to the socket: whole frames, except that the first may
        // have been partly written already.
        let mut unsent = self.depth * frame_len;
        // Bytes written and not yet echoed back.
        let mut in_flight = 0usize;
        // Bytes of the echoed frame not yet complete.
        let mut partial = 0usize;
        let mut stopping = false;
        let (mut reader, mut writer) = stream.split();

        loop {
            if !stopping && self.totals.stop.get() {
                // Finish only the frame that is partly written, so the
                // server is left with whole frames.
                stopping = true;
                unsent %= frame_len;
            }
            if stopping && unsent == 0 && in_flight == 0 {
                break;
            }
            let read = if unsent > 0 {
                let start = (frame_len - unsent % frame_len) % frame_len;
                let owed = &self.sendbuf[start..start + unsent];
                // The write goes first: it normally completes at once, so a
                // batch costs one write and the next read.
                tokio::select! {
                    biased;
                    written = writer.write(owed) => {
                        let written = written?;
                        if written == 0 {
                            return Err(io::ErrorKind::WriteZero.into());
                        }
                        unsent -= written;
                        in_flight += written;
                        continue;
                    }
                    read = reader.read(&mut readbuf) => read?,
                }
            } else {
                reader.read(&mut readbuf).await?
            };
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
            if read > in_flight {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the server sent bytes that were never sent to it",
                ));
            }
            in_flight -= read;
            partial += read;
            let frames = partial / frame_len;
            partial %= frame_len;
            self.totals
                .frames
                .set(self.totals.frames.get() + frames as u64);
            self.totals.bytes.set(self.totals.bytes.get() + read as u64);
            if !stopping {
                unsent += frames * frame_len;
            }
        }

        writer.shutdown().await?;
        // Wait for the server's close, so neither end is left with unread
        // bytes (which would reset the connection instead of closing it).
        match reader.read(&mut readbuf).await? {
            0 => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the server sent bytes after echoing all it was sent",
            )),
        }
    }
}

/// The calling thread's CPU time so far (user and system), where measured.
pub fn thread_cpu_time() -> Option<Duration> {
    crate::engine::load::cpu::current_thread_time()
}

/// The calling thread's CPU time and run-queue wait so far, where measured.
pub fn thread_sched_times() -> Option<SchedTimes> {
    crate::engine::load::cpu::current_thread_times()
}
