//! The command line: no subcommand opens the window; `serve`, `send`,
//! `demo` and `bench` run the same engine headless.

mod bench;
mod demo;
mod message;
mod printer;
mod send;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::engine::client::{CONNECT_TIMEOUT, CONNECTS_IN_FLIGHT};
use crate::engine::{ClientMode, ConnectReport, Engine, EngineError, Event, ServerMode};

/// framescope: see what really crosses the wire of a TCP service.
#[derive(Debug, Parser)]
#[command(name = "framescope", version, about)]
pub struct Cli {
    /// What to run; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

/// The headless subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run the embedded server until Ctrl-C, printing a line per connection and frame.
    Serve(serve::ServeArgs),
    /// Open connections, send frames (or raw bytes) and print the replies.
    Send(send::SendArgs),
    /// Start a frame-echo server and 10 clients in one process, send a frame
    /// from each, and print the hex dumps of what went each way.
    Demo,
    /// Measure framescope's server and client pool against a minimal tokio
    /// echo server and the seed's Python server, side by side.
    Bench(bench::BenchArgs),
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
    /// The log could not be saved.
    #[error("{0}")]
    Log(String),
    /// The window could not open.
    #[error("cannot open the window: {0}")]
    Window(String),
}

/// Parses the arguments and runs; the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => crate::app::run().map_err(CliError::Window),
        Some(CliCommand::Serve(args)) => serve::run(args),
        Some(CliCommand::Send(args)) => send::run(args),
        Some(CliCommand::Demo) => demo::run(),
        Some(CliCommand::Bench(args)) => bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a number of seconds (`1`, `0.25`) given on the command line.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("\"{text}\" is not a number of seconds"))
}

/// How long to wait for the engine to answer a start or save.
const ENGINE_ANSWER: Duration = Duration::from_secs(10);

/// Starts the embedded server and waits until it listens.
fn start_server(
    engine: &Engine,
    addr: SocketAddr,
    mode: ServerMode,
) -> Result<SocketAddr, CliError> {
    engine.command(crate::engine::Command::StartServer { addr, mode });
    wait_for(engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(Ok(addr)),
        Event::ServerFailed(error) => Some(Err(CliError::Server(error))),
        _ => None,
    })
    .unwrap_or_else(|| Err(CliError::Server("the server did not start in time".into())))
}

/// Opens `count` client connections and waits until each is open or failed.
fn connect(
    engine: &Engine,
    target: SocketAddr,
    count: usize,
    mode: ClientMode,
) -> Result<ConnectReport, CliError> {
    engine.command(crate::engine::Command::Connect {
        target,
        count,
        mode,
    });
    // Connects go a few hundred at a time, each allowed the connect timeout.
    let rounds = count.div_ceil(CONNECTS_IN_FLIGHT).max(1) as u32;
    wait_for_within(
        engine,
        CONNECT_TIMEOUT * rounds + ENGINE_ANSWER,
        |event| match event {
            Event::Connected { report, .. } => Some(Ok(report)),
            Event::ConnectFailed(error) => Some(Err(CliError::Connect(error))),
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
        Some((_, Err(error))) => Err(CliError::Log(error)),
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

/// Warns on standard error when an address listens on every interface.
fn warn_if_all_interfaces(addr: &SocketAddr) {
    if crate::engine::server::is_all_interfaces(addr) {
        eprintln!(
            "warning: listening on all interfaces ({addr}): any host that can reach this machine can connect"
        );
    }
}
