//! `framescope run`: runs scenario files, prints each step as it ends, and
//! exits 0 when every scenario passes, 1 when one fails, 2 when a file is
//! invalid or a connection cannot be made. Every file is checked before
//! anything is sent.

use super::tls_args::ClientTlsArgs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::junit::{self, FileReport};
use crate::engine::Target;
use crate::engine::scenario::failure_text;
use crate::engine::scenario::{
    RunSettings, ScenarioFile, ScenarioOutcome, StepOutcome, StepReport, load, run_scenario,
};

/// Options of `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Where to connect, overriding the files' targets.
    #[arg(long, value_name = "HOST:PORT")]
    pub target: Option<Target>,
    /// Write a JUnit XML report here (a test suite per file, a test case per scenario).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write every step's result as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// UDP sockets for every connect step: each frame one datagram.
    #[arg(long)]
    pub udp: bool,
    /// TLS for every connect step that does not say otherwise.
    #[command(flatten)]
    pub tls: ClientTlsArgs,
}

/// Exit code: every scenario passed.
const PASSED: u8 = 0;
/// Exit code: a scenario failed.
const FAILED: u8 = 1;
/// Exit code: a file is invalid, a connection could not be made, or a
/// report could not be written.
const INVALID: u8 = 2;

/// Runs the files; the process's exit code.
pub fn main(args: RunArgs) -> ExitCode {
    let mut files = Vec::new();
    let mut invalid = false;
    for path in &args.files {
        match load(path) {
            Ok(file) => files.push(file),
            Err(error) => {
                eprintln!("error: {error}");
                invalid = true;
            }
        }
    }
    if invalid {
        return ExitCode::from(INVALID);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(INVALID);
        }
    };
    let tls = match args.tls.settings().map(|tls| tls.build()).transpose() {
        Ok(tls) => tls,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(INVALID);
        }
    };
    if args.udp && tls.is_some() {
        eprintln!("error: --udp and --tls: TLS is for TCP, a UDP socket sends in the clear");
        return ExitCode::from(INVALID);
    }
    let settings = RunSettings {
        target: args.target.clone(),
        tls,
        udp: args.udp,
        ..RunSettings::default()
    };
    let reports: Vec<FileReport> = files
        .iter()
        .map(|file| runtime.block_on(run_file(file, &settings)))
        .collect();
    let scenarios = || reports.iter().flat_map(|file| &file.scenarios);
    let count = |outcome| scenarios().filter(|s| s.outcome == outcome).count();
    let (passed, failed, errors) = (
        count(ScenarioOutcome::Passed),
        count(ScenarioOutcome::Failed),
        count(ScenarioOutcome::Error),
    );
    println!(
        "{} scenarios: {passed} passed, {failed} failed, {errors} errors",
        passed + failed + errors
    );
    let mut code = if errors > 0 {
        INVALID
    } else if failed > 0 {
        FAILED
    } else {
        PASSED
    };
    if let Some(path) = &args.junit
        && let Err(error) = junit::write(path, &reports)
    {
        eprintln!("error: cannot write {}: {error}", path.display());
        code = INVALID;
    }
    if let Some(path) = &args.json
        && let Err(error) = write_json(path, &reports)
    {
        eprintln!("error: cannot write {}: {error}", path.display());
        code = INVALID;
    }
    ExitCode::from(code)
}

/// Runs a file's scenarios in order, printing as they go.
async fn run_file(file: &ScenarioFile, settings: &RunSettings) -> FileReport {
    println!("{}", file.path.display());
    let mut scenarios = Vec::new();
    for scenario in &file.scenarios {
        println!("  {}", scenario.name);
        let mut print_step = |step: &StepReport| {
            let mut out = std::io::stdout().lock();
            let _ = write_step(&mut out, step);
            let _ = out.flush();
        };
        let report = run_scenario(scenario, settings, &mut print_step).await;
        let verdict = match report.outcome {
            ScenarioOutcome::Passed => "PASS",
            ScenarioOutcome::Failed => "FAIL",
            ScenarioOutcome::Error => "ERROR",
        };
        println!(
            "  {verdict} {} ({} steps, {:.1} ms)",
            report.name,
            report.steps.len(),
            report.duration_ms
        );
        scenarios.push(report);
    }
    FileReport {
        path: file.path.clone(),
        scenarios,
    }
}

/// One step's line, and on a failure what was expected beside what came.
fn write_step(out: &mut impl Write, step: &StepReport) -> std::io::Result<()> {
    let verdict = match step.outcome {
        StepOutcome::Passed => "ok",
        StepOutcome::Failed(_) => "FAIL",
        StepOutcome::Error { .. } => "ERROR",
    };
    let context = if step.context.is_empty() {
        String::new()
    } else {
        format!("[{}] ", step.context)
    };
    writeln!(
        out,
        "    {verdict:<5} {:>4}  {context}{}  ({:.1} ms)",
        step.location.line, step.description, step.duration_ms
    )?;
    for line in failure_text(step).lines() {
        writeln!(out, "          {line}")?;
    }
    Ok(())
}

fn write_json(path: &PathBuf, reports: &[FileReport]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(reports).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}
