//! `framescope export`: a saved log in another format: a pcapng capture
//! for Wireshark, or text with hex dumps.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::engine::{LogFormat, load_log, save_log};

/// Options of `export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// A log saved as JSON Lines (`send --log`, the window's Save log).
    #[arg(value_name = "IN.jsonl")]
    pub input: PathBuf,
    /// Where to write: `.pcapng` for Wireshark, `.txt` for text with hex
    /// dumps, `.jsonl` for JSON Lines. Written whole or not at all.
    #[arg(value_name = "OUT.pcapng")]
    pub output: PathBuf,
}

/// Reads the log and writes it in the format the output's name asks for.
pub fn run(args: ExportArgs) -> Result<(), CliError> {
    let log = load_log(&args.input).map_err(|e| CliError::Log(e.to_string()))?;
    if !log.bad_lines.is_empty() {
        eprintln!(
            "warning: {} lines of {} could not be read and are left out (the first: line {}: {})",
            log.bad_lines.len(),
            args.input.display(),
            log.bad_lines[0].line,
            log.bad_lines[0].reason
        );
    }
    let format = LogFormat::from_path(&args.output);
    let summary = save_log(&log.records, &args.output, format, |_, _| {})
        .map_err(|e| CliError::Log(e.to_string()))?;
    println!(
        "wrote {} records to {}",
        summary.records,
        args.output.display()
    );
    Ok(())
}
