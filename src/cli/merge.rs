//! `framescope merge`: one result from the results of load agents that ran
//! side by side, their histograms merged.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use super::load::{summary, write_report};
use crate::engine::load::LoadReport;

/// Options of `merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Result files written by `framescope load --json`.
    #[arg(required = true, value_name = "RESULT.json")]
    pub files: Vec<PathBuf>,
    /// Write the merged result to this JSON file.
    #[arg(long = "json", value_name = "FILE")]
    pub json_out: Option<PathBuf>,
}

/// Reads, merges, prints and writes.
pub fn run(args: MergeArgs) -> Result<(), CliError> {
    let mut reports = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Load(format!("cannot read {}: {e}", path.display())))?;
        let report = LoadReport::from_json(&text)
            .map_err(|e| CliError::Load(format!("{}: {e}", path.display())))?;
        reports.push(report);
    }
    let merged = LoadReport::merge(&reports).map_err(|e| CliError::Load(e.to_string()))?;
    print!("{}", summary(&merged));
    if let Some(path) = &args.json_out {
        write_report(path, &merged)?;
    }
    Ok(())
}
