//! `framescope dissector PROFILE --out FILE.lua`: a Wireshark dissector in
//! Lua for a profile (a built-in or a file), written whole or not at all.
//! Loaded into Wireshark or `tshark` with the pcapng of `framescope
//! export`, it shows each frame's fields by name, as framescope does.

use std::io::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::engine::lua_dissector;

/// Options of `dissector`.
#[derive(Debug, Clone, Args)]
pub struct DissectorArgs {
    /// The profile: a built-in's name (see `framescope profiles`) or a
    /// profile file.
    #[arg(value_name = "PROFILE")]
    pub profile: String,
    /// Where to write the dissector (Lua); written whole or not at all.
    #[arg(long, value_name = "FILE.lua")]
    pub out: PathBuf,
    /// The TCP port it decodes (default: the profile's `port`; without
    /// one, none until chosen in Wireshark's preferences or Decode As).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
}

/// Generates the dissector and writes it. A profile that does not compile,
/// or whose framing has no generated dissector, is refused (exit code 2).
pub fn run(args: DissectorArgs) -> Result<(), CliError> {
    let profile = super::profile::load(&args.profile)?;
    let lua =
        lua_dissector(&profile, args.port).map_err(|error| CliError::Invalid(error.to_string()))?;
    crate::write_whole::write_whole(&args.out, |file| file.write_all(lua.as_bytes()))
        .map_err(|e| CliError::Log(format!("cannot write {}: {e}", args.out.display())))?;
    println!(
        "wrote a Wireshark dissector for profile {} to {}",
        profile.name(),
        args.out.display()
    );
    Ok(())
}
