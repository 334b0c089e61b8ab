//! `framescope bench`: framescope's server and client pool measured side by
//! side, in one run, against a minimal tokio echo server (the practical
//! limit) and the seed's Python selectors server; over UDP, against a bare
//! tokio UDP echo and a batching UDP load.

mod baseline;
mod journal_cost;
mod matrix;
mod open_loop;
mod scale;
mod serve_memory;
mod tls;
mod udp;

use std::path::PathBuf;

use clap::Args;

use super::CliError;

/// Options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Connection counts to measure.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 50, 1000])]
    pub connections: Vec<usize>,
    /// Pipeline depths (frames in flight per connection).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 16])]
    pub depth: Vec<usize>,
    /// Content sizes in bytes.
    #[arg(long, value_delimiter = ',', default_values_t = [64usize, 65536])]
    pub size: Vec<usize>,
    /// Seconds measured per row (after a short warm-up).
    #[arg(long, default_value = "1", value_parser = crate::cli::parse_seconds)]
    pub seconds: std::time::Duration,
    /// Rounds per cell; each row reports the round with the median frames/s.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Leave out the Python seed server rows.
    #[arg(long)]
    pub no_python: bool,
    /// Leave out the open-loop accuracy and serve's memory.
    #[arg(long)]
    pub no_open_loop: bool,
    /// Connections for the scale test (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    pub scale_connections: usize,
    /// TLS connections whose memory `serve --tls` is measured with (0
    /// skips it); the TLS throughput rows run unless --no-tls.
    #[arg(long, default_value_t = 10_000)]
    pub tls_connections: usize,
    /// Leave out TLS: its throughput rows and its memory.
    #[arg(long)]
    pub no_tls: bool,
    /// Leave out UDP: serve --udp and load --udp beside their references,
    /// and the loss at each rate.
    #[arg(long)]
    pub no_udp: bool,
    /// Records for the journal test (0 skips it).
    #[arg(long, default_value_t = 1_000_000)]
    pub journal_records: usize,
    /// Also write every result as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// Everything one run measured.
#[derive(Debug, serde::Serialize)]
pub struct BenchResults {
    /// Echo throughput rows, and framescope load beside the reference load.
    pub echo: Vec<matrix::EchoRow>,
    /// The open loop's achieved rate at shares of the closed loop's maximum.
    pub open_loop: Option<open_loop::OpenLoopResult>,
    /// `serve --capture off`'s resident memory under load.
    pub serve_memory: Option<serve_memory::ServeMemory>,
    /// Many connections at once.
    pub scale: Option<Vec<scale::ScaleResult>>,
    /// The journal's cost per record and its saving speed.
    pub journal: Option<journal_cost::JournalResult>,
    /// Frame-echo over TLS beside plain, and TLS connections' memory.
    pub tls: Option<tls::TlsResult>,
    /// UDP beside its references, and the loss at each rate.
    pub udp: Option<udp::UdpResult>,
}

/// Runs the benchmark, printing progress to stderr and the tables to stdout.
pub fn run(args: BenchArgs) -> Result<(), CliError> {
    let seconds = args.seconds;
    if args.connections.contains(&0) || args.depth.contains(&0) {
        return Err(CliError::Message(
            "--connections and --depth must be at least 1".into(),
        ));
    }
    crate::engine::raise_fd_limit();
    let echo = matrix::run(&args, seconds)?;
    matrix::print(&echo);
    let open_loop = (!args.no_open_loop)
        .then(|| open_loop::run(seconds))
        .transpose()?;
    if let Some(open_loop) = &open_loop {
        open_loop::print(open_loop);
    }
    let serve_memory = (!args.no_open_loop)
        .then(|| serve_memory::run(seconds))
        .transpose()?;
    if let Some(serve_memory) = &serve_memory {
        serve_memory::print(serve_memory);
    }
    let scale = (args.scale_connections > 0)
        .then(|| scale::run(args.scale_connections))
        .transpose()?;
    if let Some(scale) = &scale {
        scale::print(scale);
    }
    let journal = (args.journal_records > 0)
        .then(|| journal_cost::run(args.journal_records))
        .transpose()?;
    if let Some(journal) = &journal {
        journal_cost::print(journal);
    }
    let tls = (!args.no_tls)
        .then(|| tls::run(seconds, args.tls_connections))
        .transpose()?;
    if let Some(tls) = &tls {
        tls::print(tls);
    }
    let udp = (!args.no_udp).then(|| udp::run(seconds)).transpose()?;
    if let Some(udp) = &udp {
        udp::print(udp);
    }
    let results = BenchResults {
        echo,
        open_loop,
        serve_memory,
        scale,
        journal,
        tls,
        udp,
    };
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results)
            .map_err(|e| CliError::Incomplete(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::Log(format!("{}: {e}", path.display())))?;
        eprintln!("results written to {}", path.display());
    }
    Ok(())
}

/// The core the servers under test run on, and the core the load runs on.
const SERVER_CORE: usize = 0;
const LOAD_CORE: usize = 1;

/// Pins the calling thread to `core`, where the machine has it; the
/// scheduler moving the server and the load onto one core would otherwise
/// halve a row's numbers at random.
fn pin_to(core: usize) {
    if let Some(id) =
        core_affinity::get_core_ids().and_then(|ids| ids.into_iter().find(|c| c.id == core))
    {
        core_affinity::set_for_current(id);
    }
}

/// A tokio runtime for one role in the benchmark, on one worker thread
/// pinned to `core`: the server under test gets one core and the load the
/// other, as the single-threaded Python server does.
fn runtime(name: &str, core: usize) -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_start(move || pin_to(core))
        .enable_all()
        .thread_name(name)
        .build()
        .map_err(|e| CliError::Incomplete(format!("cannot start a runtime: {e}")))
}

/// Reads this process's resident memory.
///
/// On Linux it reads `/proc/self/status` through a file opened once, so a
/// reading still works when every other descriptor is in use (the scale
/// test opens as many connections as the limit allows). Elsewhere the
/// `memory-stats` crate asks the system (a call, not a file), which
/// needs no descriptor either.
struct ResidentMemory {
    #[cfg(target_os = "linux")]
    status: Option<std::fs::File>,
}

impl ResidentMemory {
    #[cfg(target_os = "linux")]
    fn open() -> Self {
        Self {
            status: std::fs::File::open("/proc/self/status").ok(),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn open() -> Self {
        Self {}
    }

    /// Another process's resident memory, where it can be read (Linux).
    #[cfg(target_os = "linux")]
    fn of_process(pid: u32) -> Option<Self> {
        Some(Self {
            status: Some(std::fs::File::open(format!("/proc/{pid}/status")).ok()?),
        })
    }

    /// Not read off Linux.
    #[cfg(not(target_os = "linux"))]
    fn of_process(_pid: u32) -> Option<Self> {
        None
    }

    /// Resident bytes now (the `VmRSS` line), if known.
    #[cfg(target_os = "linux")]
    fn bytes(&self) -> Option<u64> {
        use std::os::unix::fs::FileExt;
        let mut text = vec![0u8; 8192];
        let len = self.status.as_ref()?.read_at(&mut text, 0).ok()?;
        let text = std::str::from_utf8(&text[..len]).ok()?;
        let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// Resident bytes now (the working set on Windows), if known.
    #[cfg(not(target_os = "linux"))]
    fn bytes(&self) -> Option<u64> {
        memory_stats::memory_stats().map(|stats| stats.physical_mem as u64)
    }
}
