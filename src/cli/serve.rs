//! `framescope serve`: the embedded server, headless, until Ctrl-C or SIGTERM.
//! In rules mode the rules file is read and checked before it listens, and
//! each rule's hit count is printed when it stops.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;

use super::printer::{Printer, zone};
use super::tls_args::ServerTlsArgs;
use super::{CliError, JournalArgs, start_server_with, stop_signal, warn_if_all_interfaces};
use crate::engine::rules::RuleSet;
use crate::engine::{Command, DEFAULT_LISTEN, Limits, ServerMode};

/// How often the output is brought up to date.
const PRINT_INTERVAL: Duration = Duration::from_millis(50);

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (0.0.0.0 listens on every interface: asked for only).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// raw-echo, frame-echo, app or rules.
    #[arg(long, default_value = "frame-echo")]
    pub mode: ServerMode,
    /// The rules file rules mode serves (TOML: [[rule]] when/then, [default]).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Print a hex dump of every frame.
    #[arg(long)]
    pub hexdump: bool,
    /// Print times in UTC rather than local time.
    #[arg(long)]
    pub utc: bool,
    /// Print only the listening line (for load runs).
    #[arg(long, conflicts_with = "hexdump")]
    pub quiet: bool,
    /// Largest content-length accepted, in bytes.
    #[arg(long, default_value_t = Limits::default().max_content_length)]
    pub max_content: u64,
    /// Seconds a frame may take to arrive once it has begun.
    #[arg(long, default_value = "30", value_parser = super::parse_seconds)]
    pub read_timeout: Duration,
    /// Most connections open at once.
    #[arg(long, default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// What the journal keeps.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// TLS.
    #[command(flatten)]
    pub tls: ServerTlsArgs,
}

/// Runs the server until Ctrl-C.
pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let limits = Limits {
        max_content_length: args.max_content,
        read_timeout: args.read_timeout,
        max_connections: args.max_connections,
    };
    let rules = rule_set(&args)?;
    let engine = args.journal.engine(limits)?;
    if let Some(rules) = &rules {
        engine.command(Command::SetRules(Some(rules.clone())));
    }
    let mut printer = Printer::new(&engine, args.hexdump, zone(args.utc));
    let addr = start_server_with(&engine, args.listen, args.mode, args.tls.settings(), None)?;
    warn_if_all_interfaces(&addr);
    match engine.fresh_view().server.tls {
        Some(fingerprint) => {
            println!("listening on {addr} ({}, TLS); Ctrl-C stops", args.mode);
            println!("certificate SHA-256 {fingerprint}");
        }
        None => println!("listening on {addr} ({}); Ctrl-C stops", args.mode),
    }
    // The listening line must reach a reader waiting for it, even in a pipe.
    let _ = std::io::stdout().flush();
    let stop = stop_signal(&engine);
    let mut out = std::io::stdout().lock();
    while !stop.load(Ordering::Relaxed) {
        // Nowhere to report a closed stdout: stop quietly, as a pipe reader would expect.
        if !args.quiet && printer.print_new(&engine, &mut out).is_err() {
            return Ok(());
        }
        std::thread::sleep(PRINT_INTERVAL);
    }
    if !args.quiet {
        let _ = printer.print_new(&engine, &mut out);
    }
    if let Some(rules) = &rules {
        let _ = print_hits(rules, &mut out);
    }
    let _ = writeln!(out, "stopped");
    Ok(())
}

/// The rules file, read and checked, when the mode is rules.
fn rule_set(args: &ServeArgs) -> Result<Option<Arc<RuleSet>>, CliError> {
    match (args.mode, &args.rules) {
        (ServerMode::Rules, Some(path)) => crate::engine::rules::load(path)
            .map(|set| Some(Arc::new(set)))
            .map_err(|error| CliError::Server(error.to_string())),
        (ServerMode::Rules, None) => Err(CliError::Server(
            "--mode rules needs --rules FILE: the rules to serve".into(),
        )),
        (mode, Some(_)) => Err(CliError::Server(format!(
            "--rules is for --mode rules, not {mode}"
        ))),
        (_, None) => Ok(None),
    }
}

/// Each rule's hits, then the default's.
fn print_hits(rules: &RuleSet, out: &mut impl Write) -> std::io::Result<()> {
    let hits = rules.hits();
    writeln!(out, "rule hits:")?;
    for (index, rule) in rules.rules().iter().enumerate() {
        let name = rule.name.as_deref().unwrap_or(&rule.when_text);
        writeln!(
            out,
            "  {:>8}  #{} (line {}) {name}",
            hits[index],
            index + 1,
            rule.location.line
        )?;
    }
    if rules.default_rule().is_some() {
        writeln!(out, "  {:>8}  default", hits[rules.rules().len()])?;
    }
    Ok(())
}
