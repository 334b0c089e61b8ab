//! `framescope profiles` lists the built-in profiles; `framescope profile
//! check FILE` validates one; `framescope profile show NAME` prints a
//! built-in's TOML to copy and change. Also where every subcommand's
//! `--profile NAME|FILE` is read.

use std::path::Path;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::CliError;
use crate::engine::{BUILTIN_NAMES, Profile, load_profile};

/// Options of `profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// What to do with a profile.
    #[command(subcommand)]
    pub action: ProfileAction,
}

/// What `profile` does.
#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// Check a profile file (or a built-in by name): exit 0 when it
    /// compiles, 2 with FILE:LINE:COLUMN and the problem when it does not.
    Check {
        /// The file, or a built-in's name.
        file: String,
    },
    /// Print a built-in profile's TOML, to copy and change.
    Show {
        /// The built-in's name (see `framescope profiles`).
        name: String,
    },
}

/// Lists the built-in profiles.
pub fn list() -> Result<(), CliError> {
    let width = BUILTIN_NAMES.iter().map(|n| n.len()).max().unwrap_or(0);
    for name in BUILTIN_NAMES {
        let profile = Profile::builtin(name).expect("a built-in compiles");
        println!("{name:width$}  {}", profile.description());
    }
    Ok(())
}

/// Runs `profile check` or `profile show`.
pub fn run(args: ProfileArgs) -> Result<(), CliError> {
    match args.action {
        ProfileAction::Check { file } => {
            let profile = load(&file)?;
            println!(
                "{file}: ok: profile {}, {} fields",
                profile.name(),
                profile.field_names().len()
            );
            Ok(())
        }
        ProfileAction::Show { name } => {
            let profile = Profile::builtin(&name).ok_or_else(|| not_builtin(&name))?;
            print!("{}", profile.text());
            Ok(())
        }
    }
}

fn not_builtin(name: &str) -> CliError {
    CliError::Invalid(format!(
        "no built-in profile \"{name}\" (built-ins: {})",
        BUILTIN_NAMES.join(", ")
    ))
}

/// The profile `--profile` names: a built-in, or a TOML file. A file that
/// does not compile is refused with its line and column.
pub fn load(name_or_path: &str) -> Result<Arc<Profile>, CliError> {
    load_profile(name_or_path, Path::new("")).map_err(CliError::Invalid)
}

/// `--field NAME=VALUE` options as `(name, value)` pairs.
pub fn field_pairs(fields: &[String]) -> Result<Vec<(String, String)>, CliError> {
    fields
        .iter()
        .map(|field| {
            field
                .split_once('=')
                .map(|(name, value)| (name.trim().to_owned(), value.to_owned()))
                .ok_or_else(|| CliError::Invalid(format!("--field {field}: expected NAME=VALUE")))
        })
        .collect()
}
