//! `framescope relay`: listen, forward every connection to a target, and
//! print both legs of each conversation as `serve` prints its connections,
//! until Ctrl-C or SIGTERM.

use clap::Args;

use super::CliError;
use super::profile;
use super::serve::{ListenArgs, run_server};
use crate::engine::{ServerMode, Target};

/// Options of `relay`.
#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    /// Where to forward every connection: host:port (a name is looked up
    /// for each connection).
    #[arg(long, value_name = "ADDR")]
    pub to: Target,
    /// Forward bytes as they come instead of decoding each frame.
    #[arg(long, conflicts_with = "profile")]
    pub raw: bool,
    /// The protocol both legs speak: a built-in profile's name or a profile
    /// file (see `framescope profiles`). Requests are read as its frames
    /// going to the target, replies coming back; a frame that breaks it is
    /// an error row naming the field, and is forwarded all the same.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Where to listen, what to print, limits, journal and TLS.
    #[command(flatten)]
    pub listen: ListenArgs,
}

/// Relays until Ctrl-C.
pub fn run(args: RelayArgs) -> Result<(), CliError> {
    let mode = if args.raw {
        ServerMode::RawRelay
    } else {
        ServerMode::Relay
    };
    let profile = args.profile.as_deref().map(profile::load).transpose()?;
    let engine = args.listen.engine()?;
    let what = match &profile {
        Some(profile) => format!("{mode} to {}, profile {}", args.to, profile.name()),
        None => format!("{mode} to {}", args.to),
    };
    run_server(
        &engine,
        &args.listen,
        (mode, profile),
        Some(args.to),
        &what,
        |_| {},
    )
}
