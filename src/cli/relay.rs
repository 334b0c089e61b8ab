//! `framescope relay`: listen, forward every connection to a target, and
//! print both legs of each conversation as `serve` prints its connections,
//! until Ctrl-C or SIGTERM.

use clap::Args;

use super::CliError;
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
    #[arg(long)]
    pub raw: bool,
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
    let engine = args.listen.engine()?;
    let what = format!("{mode} to {}", args.to);
    run_server(
        &engine,
        &args.listen,
        (mode, None),
        Some(args.to),
        &what,
        |_| {},
    )
}
