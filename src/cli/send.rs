//! `framescope send`: open connections, send frames, print the replies.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::message::MessageArgs;
use super::printer::Printer;
use super::{CliError, connect, save_log};
use crate::engine::stats::CounterSnapshot;
use crate::engine::{ClientMode, Command, ConnState, Engine, SendTarget};

/// How often progress is checked and output brought up to date.
const POLL: Duration = Duration::from_millis(20);

/// Options of `send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Address to connect to.
    #[arg(long)]
    pub to: SocketAddr,
    /// How many connections to open at once (1 to 10,000).
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// How many frames each connection sends.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// The message.
    #[command(flatten)]
    pub message: MessageArgs,
    /// Send the content as raw bytes, with no framing.
    #[arg(long)]
    pub raw: bool,
    /// Print a hex dump of every frame.
    #[arg(long)]
    pub hexdump: bool,
    /// Save the log of everything sent and received (.jsonl, or .txt for text).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Seconds to wait for the replies.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
}

/// Sends and waits for the replies.
pub fn run(args: SendArgs) -> Result<(), CliError> {
    let bytes = if args.raw {
        args.message.content()?
    } else {
        let builder = args.message.builder()?;
        builder
            .build()
            .map_err(|e| CliError::Message(e.to_string()))?
    };
    let timeout = Duration::try_from_secs_f64(args.timeout).map_err(|_| {
        CliError::Message(format!(
            "--timeout {} is not a number of seconds",
            args.timeout
        ))
    })?;
    let engine = Engine::new()?;
    let mut printer = Printer::new(engine.shared(), args.hexdump);
    let mut out = std::io::stdout().lock();
    let mode = if args.raw {
        ClientMode::Raw
    } else {
        ClientMode::Framed
    };
    let report = connect(&engine, args.to, args.connections, mode)?;
    if report.opened == 0 {
        let reason = engine
            .pool()
            .summaries()
            .first()
            .map(|c| c.state.to_string())
            .unwrap_or_default();
        return Err(CliError::Connect(format!(
            "no connection to {} opened ({reason})",
            args.to
        )));
    }
    for _ in 0..args.count {
        engine.command(Command::Send {
            target: SendTarget::All,
            bytes: bytes.clone(),
        });
    }
    let expected = CounterSnapshot {
        frames_sent: (report.opened * args.count) as u64,
        bytes_sent: (report.opened * args.count * bytes.len()) as u64,
        ..CounterSnapshot::default()
    };
    let deadline = Instant::now() + timeout;
    let totals = loop {
        let _ = printer.print_new(engine.shared(), &mut out);
        let totals = engine.shared().stats.client.snapshot();
        let replied = if args.raw {
            totals.bytes_received >= expected.bytes_sent
        } else {
            totals.frames_received >= expected.frames_sent
        };
        let all_closed = engine
            .pool()
            .summaries()
            .iter()
            .all(|c| matches!(c.state, ConnState::Closed(_)));
        if (totals.frames_sent >= expected.frames_sent && replied)
            || all_closed
            || Instant::now() >= deadline
        {
            break totals;
        }
        std::thread::sleep(POLL);
    };
    engine.command(Command::DisconnectAll);
    std::thread::sleep(POLL);
    let _ = printer.print_new(engine.shared(), &mut out);
    let latency = engine.shared().stats.latency.summary();
    println!(
        "{} connections ({} failed); sent {} frames, {} bytes; received {} frames, {} bytes; {} errors",
        report.opened,
        report.failed,
        totals.frames_sent,
        totals.bytes_sent,
        totals.frames_received,
        totals.bytes_received,
        totals.errors
    );
    if latency.count > 0 {
        println!(
            "round trip: p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            latency.p50_us, latency.p90_us, latency.p99_us, latency.max_us
        );
    }
    if let Some(path) = args.log {
        save_log(&engine, path)?;
    }
    let replies_missing = if args.raw {
        totals.bytes_received < expected.bytes_sent
    } else {
        totals.frames_received < expected.frames_sent
    };
    if report.failed > 0 || totals.errors > 0 || replies_missing {
        return Err(CliError::Incomplete(format!(
            "{} connections failed, {} errors, {} of {} replies",
            report.failed,
            totals.errors,
            if args.raw {
                totals.bytes_received
            } else {
                totals.frames_received
            },
            if args.raw {
                expected.bytes_sent
            } else {
                expected.frames_sent
            }
        )));
    }
    Ok(())
}
