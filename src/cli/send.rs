//! `framescope send`: open connections, send frames, print the replies.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use bytes::Bytes;

use super::message::MessageArgs;
use super::printer::{Printer, zone};
use super::profile;
use super::tls_args::ClientTlsArgs;
use super::{CliError, JournalArgs, connect_with, save_log, send_to};
use crate::engine::hexdump::parse_hex;
use crate::engine::{
    ClientMode, Command, ConnState, ConnectionSummary, Limits, Profile, Role, SendTarget, Target,
    Transport,
};

/// How often progress is checked and output brought up to date.
const POLL: Duration = Duration::from_millis(20);

/// Options of `send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Where to connect: HOST:PORT, an address (127.0.0.1:8800, [::1]:8800)
    /// or a name (localhost:8800), looked up when connecting.
    #[arg(long, value_name = "HOST:PORT")]
    pub to: Target,
    /// How many connections to open at once (1 to 10,000); over UDP, how
    /// many sockets, each with a local port of its own.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Send over UDP: each frame one datagram, each datagram back one reply.
    #[arg(long)]
    pub udp: bool,
    /// With --udp: the target is a broadcast address (255.255.255.255:PORT,
    /// or a network's): any host may answer, and each answering address
    /// is a peer of its own. A multicast group needs no flag.
    #[arg(long, requires = "udp")]
    pub broadcast: bool,
    /// How many frames each connection sends.
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// The message.
    #[command(flatten)]
    pub message: MessageArgs,
    /// Send the content as raw bytes, with no framing (the same as
    /// `--profile raw`).
    #[arg(long)]
    pub raw: bool,
    /// The protocol: a built-in profile's name or a profile file (see
    /// `framescope profiles`). With it, --hex is whole frames, cut by the
    /// profile, and replies are read as its frames and printed field by field.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// With --profile: a field of the frame to send, NAME=VALUE (repeat for
    /// more). Constants, lengths and checksums are computed unless given;
    /// fields not given are zero or empty. VALUE is a number (12, -5, 0x1F),
    /// an enum name, hex bytes (0x0102, "01 02") or text.
    #[arg(long = "field", value_name = "NAME=VALUE", requires = "profile")]
    pub fields: Vec<String>,
    /// With --profile: reply frames to wait for on each connection
    /// (default: one per frame sent).
    #[arg(long, value_name = "N", requires = "profile")]
    pub replies: Option<u64>,
    /// With --profile: send frames that do not keep the profile, as given.
    #[arg(long, requires = "profile")]
    pub malformed: bool,
    /// Print a hex dump of every frame.
    #[arg(long)]
    pub hexdump: bool,
    /// Print times in UTC rather than local time.
    #[arg(long)]
    pub utc: bool,
    /// Save the log of everything sent and received (.jsonl, or .txt for text).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// How long to wait for the replies.
    #[arg(long, default_value = "10", value_parser = super::parse_seconds)]
    pub timeout: Duration,
    /// With --raw: a reply is complete once the peer has been quiet this
    /// long (200ms, 1s), since raw bytes carry no length.
    #[arg(long, value_name = "DURATION", default_value = "200ms", value_parser = super::parse_seconds)]
    pub idle: Duration,
    /// What the journal keeps.
    #[command(flatten)]
    pub journal: JournalArgs,
    /// TLS.
    #[command(flatten)]
    pub tls: ClientTlsArgs,
}

/// Sends and waits for the replies.
pub fn run(mut args: SendArgs) -> Result<(), CliError> {
    let profile = args.profile.as_deref().map(profile::load).transpose()?;
    if profile.as_ref().is_some_and(|p| p.is_raw()) {
        args.raw = true;
    }
    let frames: Vec<Bytes> = match &profile {
        Some(profile) if !args.raw => profile_frames(profile, &args)?,
        _ if args.raw => vec![args.message.content()?],
        _ => {
            let builder = args.message.builder()?;
            vec![
                builder
                    .build()
                    .map_err(|e| CliError::Message(e.to_string()))?,
            ]
        }
    };
    let engine = args.journal.engine(Limits::default())?;
    let mut printer = Printer::new(&engine, args.hexdump, zone(args.utc));
    let mut out = std::io::stdout().lock();
    let mode = if args.raw {
        ClientMode::Raw
    } else {
        ClientMode::Framed
    };
    let report = connect_with(
        &engine,
        args.to.clone(),
        args.connections,
        (
            mode,
            profile.clone(),
            (Transport::udp_if(args.udp), args.broadcast),
        ),
        args.tls.settings(),
    )?;
    if report.opened == 0 {
        let reason = engine
            .fresh_view()
            .connections
            .first()
            .map(|c| c.state.to_string())
            .unwrap_or_default();
        return Err(CliError::Connect(format!(
            "no connection to {} opened ({reason})",
            args.to
        )));
    }
    // Framed replies are counted: one per frame sent (or --replies). Raw
    // bytes carry no length, so a raw reply is complete once every
    // connection has had some and the peer has then been quiet for `idle`.
    // Under a profile, a reply that breaks it is a reply all the same.
    let per_connection = args.replies.unwrap_or((args.count * frames.len()) as u64);
    let wanted = report.opened as u64 * per_connection;
    let messages: Vec<Bytes> = (0..args.count).flat_map(|_| frames.clone()).collect();
    let mut quiet = Quiet::new(args.idle);
    let deadline = Instant::now() + args.timeout;
    // What each open connection still has to send. Each queues a bounded
    // number of messages: the queues are fed as they drain, never overfilled.
    let mut to_send: Vec<(u32, usize)> = engine
        .fresh_view()
        .connections
        .iter()
        .filter(|c| c.state == ConnState::Open)
        .map(|c| (c.id, messages.len()))
        .collect();
    let totals = loop {
        for (id, left) in &mut to_send {
            while *left > 0 {
                let message = &messages[messages.len() - *left];
                let report = send_to(&engine, SendTarget::One(*id), message);
                if report.queued == 1 {
                    *left -= 1;
                } else {
                    // A full queue waits for the next round; a closed connection gives up.
                    *left = if report.not_open > 0 { 0 } else { *left };
                    break;
                }
            }
        }
        to_send.retain(|(_, left)| *left > 0);
        let _ = printer.print_new(&engine, &mut out);
        let view = engine.fresh_view();
        let totals = view.client_counters;
        let all_closed = view.pool.live() == 0;
        let replied = if args.raw {
            quiet.heard(totals.bytes_received, Instant::now()) && unanswered(&view.connections) == 0
        } else if profile.is_some() || args.udp {
            // A datagram that is not a whole frame, or a refusal, is an
            // answer too.
            totals.frames_received + totals.errors >= wanted
        } else {
            totals.frames_received >= wanted
        };
        if (to_send.is_empty() && replied) || all_closed || Instant::now() >= deadline {
            break totals;
        }
        std::thread::sleep(POLL);
    };
    engine.command(Command::DisconnectAll);
    std::thread::sleep(POLL);
    let _ = printer.print_new(&engine, &mut out);
    let view = engine.fresh_view();
    let latency = view.latency.summary;
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
    let missing = if args.raw {
        unanswered(&view.connections)
    } else {
        wanted.saturating_sub(totals.frames_received) as usize
    };
    if report.failed > 0 || totals.errors > 0 || missing > 0 {
        let (what, of) = if args.raw {
            ("connections had no reply", report.opened)
        } else {
            ("reply frames missing", wanted as usize)
        };
        return Err(CliError::Incomplete(format!(
            "{} connections failed, {} errors, {missing} of {of} {what}",
            report.failed, totals.errors,
        )));
    }
    Ok(())
}

/// The frames to send under `profile`: built from `--field` values, or
/// `--hex` bytes cut into frames. Bytes that do not keep the profile are
/// refused unless `--malformed`.
fn profile_frames(profile: &Profile, args: &SendArgs) -> Result<Vec<Bytes>, CliError> {
    let bytes = if !args.fields.is_empty() {
        let pairs = profile::field_pairs(&args.fields)?;
        profile
            .encode(&pairs, Role::Request)
            .map_err(|e| CliError::Invalid(format!("--field: {e}")))?
    } else if let Some(hex) = &args.message.hex {
        parse_hex(hex).map_err(|e| CliError::Invalid(format!("--hex: {e}")))?
    } else {
        return Err(CliError::Invalid(format!(
            "with --profile {}, give the frame as --hex bytes or --field values",
            profile.name()
        )));
    };
    match profile.cut_frames(&bytes, Role::Request) {
        Ok(frames) => Ok(frames.into_iter().map(Bytes::from).collect()),
        Err(_) if args.malformed => Ok(vec![Bytes::from(bytes)]),
        Err(problem) => Err(CliError::Invalid(format!(
            "the frame does not keep profile {}: {problem} (--malformed sends it anyway)",
            profile.name()
        ))),
    }
}

/// How many of the connections opened have received nothing.
fn unanswered(connections: &[ConnectionSummary]) -> usize {
    connections
        .iter()
        .filter(|c| c.counters.bytes_received == 0)
        .count()
}

/// Whether the peer has been quiet long enough since the last bytes came.
#[derive(Debug)]
struct Quiet {
    idle: Duration,
    received: u64,
    since: Option<Instant>,
}

impl Quiet {
    fn new(idle: Duration) -> Self {
        Self {
            idle,
            received: 0,
            since: None,
        }
    }

    /// Takes the bytes received so far, at `now`: true once some came and
    /// none have come for `idle`.
    fn heard(&mut self, received: u64, now: Instant) -> bool {
        if received != self.received {
            self.received = received;
            self.since = Some(now);
        }
        self.since
            .is_some_and(|since| now.duration_since(since) >= self.idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_reply_is_complete_after_quiet_following_some_bytes() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut quiet = Quiet::new(Duration::from_millis(200));
        assert!(!quiet.heard(0, at(0)), "nothing yet");
        assert!(
            !quiet.heard(0, at(500)),
            "silence before any reply is no reply"
        );
        assert!(!quiet.heard(5, at(510)));
        assert!(!quiet.heard(5, at(700)));
        assert!(
            !quiet.heard(9, at(705)),
            "more came: the quiet starts again"
        );
        assert!(!quiet.heard(9, at(900)));
        assert!(quiet.heard(9, at(905)));
    }
}
