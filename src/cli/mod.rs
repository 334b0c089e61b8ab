//! The command line: no subcommand opens the window; `serve`, `send`,
//! `load`, `merge`, `export`, `demo` and `bench` run the same engine
//! headless; `run` runs scenario files; `profiles` and `profile` list and
//! check the protocols a profile describes; `dissector` writes a Wireshark
//! dissector for one.

mod bench;
mod demo;
mod dissector;
mod export;
mod junit;
mod load;
mod merge;
mod message;
mod printer;
mod profile;
mod relay;
mod run;
mod send;
mod serve;
mod tls_args;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::engine::tls::{ClientTls, ServerTls};
use crate::engine::{
    CONNECT_TIMEOUT, CONNECTS_IN_FLIGHT, Capture, ClientMode, Command, CommandOutcome,
    ConnectReport, Engine, EngineError, Event, JournalLimits, Limits, MulticastJoin, Profile,
    SendReport, SendTarget, ServerMode, Target, Transport,
};

/// framescope: see what really crosses the wire of a TCP service.
#[derive(Debug, Parser)]
#[command(name = "framescope", version, about)]
pub struct Cli {
    /// What to run; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Print diagnostics on standard error (-v: info, -vv: debug). RUST_LOG,
    /// when set, chooses instead (e.g. RUST_LOG=framescope=debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The headless subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run the embedded server until Ctrl-C, printing a line per connection and frame.
    Serve(serve::ServeArgs),
    /// Listen and forward every connection to a target, printing both legs
    /// of each conversation (frames decoded and checked, or --raw bytes).
    Relay(relay::RelayArgs),
    /// Open connections, send frames (or raw bytes) and print the replies.
    Send(send::SendArgs),
    /// Start a frame-echo server and 10 clients in one process, send a frame
    /// from each, and print the hex dumps of what went each way.
    Demo,
    /// Load any server: many connections, a closed loop (--depth) or an
    /// open loop (--rate), a progress line a second, a summary, and the
    /// result with its latency histogram as JSON (--json FILE).
    Load(load::LoadArgs),
    /// Merge the JSON results of load agents that ran side by side into one
    /// (histograms merged, not percentiles averaged).
    Merge(merge::MergeArgs),
    /// Write a saved log as a pcapng capture for Wireshark (synthetic TCP
    /// per connection; Follow TCP Stream shows the journal's bytes), or as
    /// text with hex dumps.
    Export(export::ExportArgs),
    /// Run scenario files: each step's result, and what was expected beside
    /// what came on a failure. Exits 0 when all pass, 1 when one fails, 2
    /// when a file is invalid or a connection cannot be made.
    Run(run::RunArgs),
    /// Measure framescope's server and client pool against a minimal tokio
    /// echo server and the seed's Python server, side by side.
    Bench(bench::BenchArgs),
    /// List the built-in profiles: the protocols framescope knows by name.
    Profiles,
    /// Check a profile file, or print a built-in's TOML.
    Profile(profile::ProfileArgs),
    /// Write a Wireshark dissector (Lua) for a profile: each field by name,
    /// enums named, frames reassembled across TCP segments, checksums
    /// checked; for the pcapng that `export` writes.
    Dissector(dissector::DissectorArgs),
}

/// Why a command failed: one clear line for the user.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The engine could not start.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The server could not start.
    #[error("{0}")]
    Server(String),
    /// The message given on the command line is not valid.
    #[error("{0}")]
    Message(String),
    /// Connections could not be opened.
    #[error("{0}")]
    Connect(String),
    /// The run finished, but not as asked (missing replies, errors).
    #[error("{0}")]
    Incomplete(String),
    /// A load run could not start or finish.
    #[error("{0}")]
    Load(String),
    /// The log could not be saved.
    #[error("{0}")]
    Log(String),
    /// The window could not open.
    #[error("cannot open the window: {0}")]
    Window(String),
    /// Input that cannot be used: a profile that does not compile, a frame
    /// that does not keep its profile (exit code 2).
    #[error("{0}")]
    Invalid(String),
    /// This build has no window.
    #[error(
        "this build of framescope has no window (built without the \"gui\" feature); run a subcommand, see --help"
    )]
    NoWindow,
}

/// Parses the arguments and runs; the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_diagnostics(cli.verbose, cli.command.is_none());
    let result = match cli.command {
        None => open_window(),
        Some(CliCommand::Serve(args)) => serve::run(args),
        Some(CliCommand::Relay(args)) => relay::run(args),
        Some(CliCommand::Send(args)) => send::run(args),
        Some(CliCommand::Load(args)) => load::run(args),
        Some(CliCommand::Merge(args)) => merge::run(args),
        Some(CliCommand::Export(args)) => export::run(args),
        Some(CliCommand::Demo) => demo::run(),
        Some(CliCommand::Bench(args)) => bench::run(args),
        Some(CliCommand::Profiles) => profile::list(),
        Some(CliCommand::Profile(args)) => profile::run(args),
        Some(CliCommand::Dissector(args)) => dissector::run(args),
        // Its exit code says more than pass or fail.
        Some(CliCommand::Run(args)) => return run::main(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ CliError::Invalid(_)) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the window, in a build that has one.
fn open_window() -> Result<(), CliError> {
    #[cfg(feature = "gui")]
    {
        crate::app::run().map_err(CliError::Window)
    }
    #[cfg(not(feature = "gui"))]
    {
        Err(CliError::NoWindow)
    }
}

/// Turns diagnostics on, on standard error so output stays clean: the
/// window says its own warnings (a font it looked for and did not find),
/// the subcommands are quiet unless asked with -v or RUST_LOG.
fn init_diagnostics(verbose: u8, window: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match (std::env::var("RUST_LOG"), verbose) {
        (Ok(spec), _) if !spec.is_empty() => EnvFilter::new(spec),
        (_, 0) if window => EnvFilter::new("framescope=warn"),
        (_, 0) => return,
        (_, 1) => EnvFilter::new("framescope=info"),
        _ => EnvFilter::new("framescope=debug"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Reads a duration given on the command line: seconds (`1`, `0.25`,
/// `2s`) or milliseconds (`200ms`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix("ms") {
        Some(millis) => (millis, 1e-3),
        None => (trimmed.strip_suffix('s').unwrap_or(trimmed), 1.0),
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|value| Duration::try_from_secs_f64(value * scale).ok())
        .ok_or_else(|| {
            format!(
                "\"{text}\" is not a duration: give seconds (2, 0.5, 2s) or milliseconds (200ms)"
            )
        })
}

/// How much the journal keeps: the same flags on every subcommand that
/// records.
#[derive(Debug, Clone, clap::Args)]
pub struct JournalArgs {
    /// How much of each frame the journal keeps: full, headers or off.
    #[arg(long, default_value = "full")]
    pub capture: Capture,
    /// Most records the journal holds (the oldest fall out, counted).
    #[arg(long, default_value_t = JournalLimits::default().max_records)]
    pub journal_records: usize,
    /// Most captured bytes the journal holds.
    #[arg(long, default_value_t = JournalLimits::default().max_bytes)]
    pub journal_bytes: usize,
}

impl JournalArgs {
    /// The journal's bounds these flags ask for.
    pub fn limits(&self) -> JournalLimits {
        JournalLimits {
            max_records: self.journal_records.max(1),
            max_bytes: self.journal_bytes.max(1),
        }
    }

    /// An engine with these journal settings and `limits`.
    pub fn engine(&self, limits: Limits) -> Result<Engine, CliError> {
        let engine = Engine::with_config(limits, self.limits())?;
        engine.command(Command::SetCapture(self.capture));
        Ok(engine)
    }
}

/// Sends `bytes` to `target` at once, and says where it was queued.
fn send_to(engine: &Engine, target: SendTarget, bytes: &bytes::Bytes) -> SendReport {
    match engine.command(Command::Send {
        target,
        bytes: bytes.clone(),
    }) {
        CommandOutcome::Sent(report) => report,
        CommandOutcome::Queued | CommandOutcome::Busy | CommandOutcome::Refused(_) => {
            SendReport::default()
        }
    }
}

/// How long to wait for the engine to answer a start or save.
const ENGINE_ANSWER: Duration = Duration::from_secs(10);

/// Starts the embedded server and waits until it listens.
fn start_server(
    engine: &Engine,
    addr: SocketAddr,
    mode: ServerMode,
) -> Result<SocketAddr, CliError> {
    start_server_with(
        engine,
        addr,
        (mode, None, (Transport::Tcp, None)),
        None,
        None,
    )
}

/// Starts the embedded server, over TLS when `tls` is given and relaying
/// to `upstream` in a relay mode, and waits until it listens (a bad
/// certificate or key file fails it first).
fn start_server_with(
    engine: &Engine,
    addr: SocketAddr,
    (mode, profile, (transport, join)): (
        ServerMode,
        Option<Arc<Profile>>,
        (Transport, Option<MulticastJoin>),
    ),
    tls: Option<ServerTls>,
    upstream: Option<Target>,
) -> Result<SocketAddr, CliError> {
    engine.command(crate::engine::Command::StartServer {
        join,
        addr,
        mode,
        tls,
        upstream,
        profile,
        transport,
    });
    wait_for(engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(Ok(addr)),
        Event::ServerFailed(error) => Some(Err(CliError::Server(error.to_string()))),
        _ => None,
    })
    .unwrap_or_else(|| Err(CliError::Server("the server did not start in time".into())))
}

/// Opens `count` client connections (the engine looks a name up first) and
/// waits until each is open or failed.
fn connect(
    engine: &Engine,
    target: Target,
    count: usize,
    mode: ClientMode,
) -> Result<ConnectReport, CliError> {
    connect_with(
        engine,
        target,
        count,
        (mode, None, (Transport::Tcp, false)),
        None,
    )
}

/// [`connect`], over TLS when `tls` is given (a bad CA, certificate or
/// key file fails it before any connect).
fn connect_with(
    engine: &Engine,
    target: Target,
    count: usize,
    (mode, profile, (transport, broadcast)): (ClientMode, Option<Arc<Profile>>, (Transport, bool)),
    tls: Option<ClientTls>,
) -> Result<ConnectReport, CliError> {
    engine.command(crate::engine::Command::Connect {
        broadcast,
        target,
        count,
        mode,
        tls,
        profile,
        transport,
    });
    // The lookup, then connects a few hundred at a time, each allowed the
    // connect timeout.
    let rounds = count.div_ceil(CONNECTS_IN_FLIGHT).max(1) as u32;
    wait_for_within(
        engine,
        CONNECT_TIMEOUT * (rounds + 1) + ENGINE_ANSWER,
        |event| match event {
            Event::ConnectFinished { report, .. } => Some(Ok(report)),
            Event::ConnectFailed(error) => Some(Err(CliError::Connect(error.to_string()))),
            _ => None,
        },
    )
    .unwrap_or_else(|| {
        Err(CliError::Connect(
            "connecting did not finish in time".into(),
        ))
    })
}

/// Saves the journal to `path` and waits for the result.
fn save_log(engine: &Engine, path: PathBuf) -> Result<(), CliError> {
    let format = crate::engine::LogFormat::from_path(&path);
    engine.command(crate::engine::Command::SaveLog { path, format });
    match wait_for(engine, |event| match event {
        Event::Saved { path, result } => Some((path, result)),
        _ => None,
    }) {
        Some((path, Ok(summary))) => {
            println!("saved {} records to {}", summary.records, path.display());
            Ok(())
        }
        Some((_, Err(error))) => Err(CliError::Log(error.to_string())),
        None => Err(CliError::Log("saving did not finish in time".into())),
    }
}

/// Waits for the first event `pick` accepts, skipping others.
fn wait_for<T>(engine: &Engine, pick: impl FnMut(Event) -> Option<T>) -> Option<T> {
    wait_for_within(engine, ENGINE_ANSWER, pick)
}

/// Waits up to `limit` for the first event `pick` accepts.
fn wait_for_within<T>(
    engine: &Engine,
    limit: Duration,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        if let Some(found) = engine.wait_event(left).and_then(&mut pick) {
            return Some(found);
        }
    }
    None
}

/// A flag that turns true on Ctrl-C, or on SIGTERM where there is one (a
/// container's stop), so a long-running subcommand ends as it would on Ctrl-C.
fn stop_signal(engine: &Engine) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    engine.spawn(async move {
        wait_for_stop().await;
        flag.store(true, Ordering::Relaxed);
    });
    stop
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
pub(crate) async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Warns on standard error when an address listens on every interface.
fn warn_if_all_interfaces(addr: &SocketAddr) {
    if crate::engine::is_all_interfaces(addr) {
        eprintln!(
            "warning: listening on all interfaces ({addr}): any host that can reach this machine can connect"
        );
    }
}
