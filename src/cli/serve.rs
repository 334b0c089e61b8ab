//! `framescope serve`: the embedded server, headless, until Ctrl-C or SIGTERM.
//! In rules mode the rules file is read and checked before it listens, and
//! each rule's hit count is printed when it stops. The listening options and
//! the loop that prints until a stop are shared with `relay`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::Args;

use super::printer::{Printer, zone};
use super::profile;
use super::tls_args::ServerTlsArgs;
use super::{
    CliError, JournalArgs, save_log, start_server_with, stop_signal, warn_if_all_interfaces,
};
use crate::engine::rules::RuleSet;
use crate::engine::{
    Command, DEFAULT_LISTEN, Engine, Limits, MulticastInterface, MulticastJoin, Profile,
    ServerMode, Target, Transport,
};

/// How often the output is brought up to date.
const PRINT_INTERVAL: Duration = Duration::from_millis(50);

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// raw-echo, frame-echo, app or rules.
    #[arg(long, default_value = "frame-echo")]
    pub mode: ServerMode,
    /// The rules file rules mode serves (TOML: [[rule]] when/then, [default]).
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// The protocol: a built-in profile's name or a profile file (see
    /// `framescope profiles`). frame-echo echoes each whole frame that keeps
    /// it and records the rest as errors naming their field.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Where to listen, what to print, limits, journal and TLS.
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// What `serve` and `relay` share: where to listen, what to print, the
/// limits, the journal and TLS.
#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// Address to listen on (0.0.0.0 listens on every interface: asked for only).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
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
    /// Most connections open at once (over UDP: peer sessions; a new peer
    /// at the cap evicts the session idle longest).
    #[arg(long, default_value_t = Limits::default().max_connections)]
    pub max_connections: usize,
    /// Serve UDP: each datagram one frame (raw-echo: one chunk), each peer
    /// address a session.
    #[arg(long)]
    pub udp: bool,
    /// With --udp: join this multicast group (IPv4 224.0.0.0/4, IPv6
    /// ff00::/8); listen on the group's port (--listen 0.0.0.0:PORT or
    /// [::]:PORT).
    #[arg(long, value_name = "GROUP", requires = "udp")]
    pub multicast: Option<std::net::IpAddr>,
    /// With --multicast: the interface to join on: its IPv4 address, or
    /// an IPv6 interface's index (default: the system's choice).
    #[arg(long, value_name = "ADDRESS|INDEX", requires = "multicast")]
    pub interface: Option<String>,
    /// Seconds a UDP session lasts with nothing from its peer.
    #[arg(long, default_value = "60", value_parser = super::parse_seconds, value_name = "SECONDS")]
    pub udp_idle: Duration,
    /// Most bytes of one datagram read; a longer one is recorded as truncated.
    #[arg(long, default_value_t = Limits::default().datagram_buffer, value_name = "BYTES")]
    pub datagram_buffer: usize,
    /// Save the log of everything recorded when it stops (.jsonl, .txt, or
    /// .pcapng for Wireshark).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// What the journal keeps.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// TLS.
    #[command(flatten)]
    pub tls: ServerTlsArgs,
}

impl ListenArgs {
    /// The limits asked for.
    fn limits(&self) -> Limits {
        Limits {
            max_content_length: self.max_content,
            read_timeout: self.read_timeout,
            max_connections: self.max_connections,
            udp_idle: self.udp_idle,
            datagram_buffer: self.datagram_buffer,
        }
    }

    /// The multicast group asked for, checked.
    fn multicast_join(&self) -> Result<Option<MulticastJoin>, CliError> {
        let Some(group) = self.multicast else {
            return Ok(None);
        };
        let interface = match (&self.interface, group) {
            (None, _) => MulticastInterface::Any,
            (Some(text), std::net::IpAddr::V4(_)) => {
                MulticastInterface::V4(text.parse().map_err(|_| {
                    CliError::Invalid(format!(
                        "--interface {text}: an IPv4 address, for an IPv4 group"
                    ))
                })?)
            }
            (Some(text), std::net::IpAddr::V6(_)) => {
                MulticastInterface::V6(text.parse().map_err(|_| {
                    CliError::Invalid(format!(
                        "--interface {text}: an interface index, for an IPv6 group"
                    ))
                })?)
            }
        };
        MulticastJoin::new(group, interface)
            .map(Some)
            .map_err(|e| CliError::Invalid(format!("--multicast: {e}")))
    }

    /// An engine with the limits and journal asked for.
    pub(super) fn engine(&self) -> Result<Engine, CliError> {
        self.journal.engine(self.limits())
    }
}

/// Runs the server until Ctrl-C.
pub fn run(args: ServeArgs) -> Result<(), CliError> {
    if args.mode.is_relay() {
        return Err(CliError::Server(format!(
            "--mode {} forwards to a target: run framescope relay --listen ADDR --to ADDR",
            args.mode
        )));
    }
    let profile = args.profile.as_deref().map(profile::load).transpose()?;
    let rules = rule_set(&args)?;
    let engine = args.listen.engine()?;
    if let Some(rules) = &rules {
        engine.command(Command::SetRules(Some(rules.clone())));
    }
    let what = match &profile {
        Some(profile) => format!("{}, profile {}", args.mode, profile.name()),
        None => args.mode.to_string(),
    };
    let mode = (args.mode, profile);
    run_server(&engine, &args.listen, mode, None, &what, |out| {
        if let Some(rules) = &rules {
            let _ = print_hits(rules, out);
        }
    })
}

/// Starts the server in `mode` (relaying to `upstream`), says where it
/// listens (`what` it serves), prints what happens until Ctrl-C or
/// SIGTERM, then calls `at_end` and saves the log if one was asked for.
pub(super) fn run_server(
    engine: &Engine,
    args: &ListenArgs,
    mode: (ServerMode, Option<Arc<Profile>>),
    upstream: Option<Target>,
    what: &str,
    at_end: impl FnOnce(&mut dyn Write),
) -> Result<(), CliError> {
    let mut printer = Printer::new(engine, args.hexdump, zone(args.utc));
    let (mode, profile) = mode;
    let transport = Transport::udp_if(args.udp);
    let join = args.multicast_join()?;
    let addr = start_server_with(
        engine,
        args.listen,
        (mode, profile, (transport, join)),
        args.tls.settings(),
        upstream,
    )?;
    warn_if_all_interfaces(&addr);
    // Ctrl-C and SIGTERM are caught before the listening line says the
    // server is up: a signal sent as soon as it is read still stops it
    // cleanly, with its hits and log.
    let stop = stop_signal(engine);
    match engine.fresh_view().server.tls {
        Some(fingerprint) => {
            println!("listening on {addr} ({what}, TLS); Ctrl-C stops");
            println!("certificate SHA-256 {fingerprint}");
        }
        None if transport.is_udp() => println!("listening on {addr} (UDP, {what}); Ctrl-C stops"),
        None => println!("listening on {addr} ({what}); Ctrl-C stops"),
    }
    // The listening line must reach a reader waiting for it, even in a pipe.
    let _ = std::io::stdout().flush();
    let mut out = std::io::stdout().lock();
    while !stop.load(Ordering::Relaxed) {
        // Nowhere to report a closed stdout: stop quietly, as a pipe reader would expect.
        if !args.quiet && printer.print_new(engine, &mut out).is_err() {
            return Ok(());
        }
        std::thread::sleep(PRINT_INTERVAL);
    }
    engine.command(Command::StopServer);
    if !args.quiet {
        let _ = printer.print_new(engine, &mut out);
    }
    at_end(&mut out);
    let _ = writeln!(out, "stopped");
    drop(out);
    match &args.log {
        Some(path) => save_log(engine, path.clone()),
        None => Ok(()),
    }
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
fn print_hits(rules: &RuleSet, out: &mut dyn Write) -> std::io::Result<()> {
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
