//! The JUnit XML report CI systems read: a `<testsuite>` per scenario
//! file, a `<testcase>` per scenario, and for a scenario that did not pass
//! a `<failure>` (or `<error>`, for one that could not run) whose message is
//! the step's and whose text is what was expected, what came, and the frames.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

use crate::engine::scenario::{ScenarioOutcome, ScenarioReport, StepOutcome, failure_text};

/// One file's results.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Each scenario's result, in order.
    pub scenarios: Vec<ScenarioReport>,
}

/// Writes the report for `files` to `path`.
pub fn write(path: &Path, files: &[FileReport]) -> std::io::Result<()> {
    std::fs::write(path, render(files)?)
}

/// The report as XML text.
pub fn render(files: &[FileReport]) -> std::io::Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let all = || files.iter().flat_map(|file| &file.scenarios);
    let (tests, failures, errors, time) = totals(all());
    writer
        .create_element("testsuites")
        .with_attribute(("name", "framescope run"))
        .with_attribute(("tests", tests.as_str()))
        .with_attribute(("failures", failures.as_str()))
        .with_attribute(("errors", errors.as_str()))
        .with_attribute(("time", time.as_str()))
        .write_inner_content(|writer| {
            for file in files {
                write_suite(writer, file)?;
            }
            Ok(())
        })?;
    Ok(writer.into_inner())
}

fn write_suite(writer: &mut Writer<Vec<u8>>, file: &FileReport) -> std::io::Result<()> {
    let name = file.path.display().to_string();
    let (tests, failures, errors, time) = totals(file.scenarios.iter());
    writer
        .create_element("testsuite")
        .with_attribute(("name", name.as_str()))
        .with_attribute(("tests", tests.as_str()))
        .with_attribute(("failures", failures.as_str()))
        .with_attribute(("errors", errors.as_str()))
        .with_attribute(("skipped", "0"))
        .with_attribute(("time", time.as_str()))
        .write_inner_content(|writer| {
            for scenario in &file.scenarios {
                write_case(writer, &name, scenario)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(
    writer: &mut Writer<Vec<u8>>,
    suite: &str,
    scenario: &ScenarioReport,
) -> std::io::Result<()> {
    let time = seconds(scenario.duration_ms);
    let case = writer
        .create_element("testcase")
        .with_attribute(("name", scenario.name.as_str()))
        .with_attribute(("classname", suite))
        .with_attribute(("time", time.as_str()));
    let Some(step) = scenario.failed_step() else {
        case.write_empty()?;
        return Ok(());
    };
    let element = match step.outcome {
        StepOutcome::Error { .. } => "error",
        _ => "failure",
    };
    let message = match &step.outcome {
        StepOutcome::Failed(failure) => failure.message.clone(),
        StepOutcome::Error { message } => message.clone(),
        StepOutcome::Passed => String::new(),
    };
    let message = format!("line {}: {message}", step.location.line);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "step at line {}: {}",
        step.location.line, step.description
    );
    if !step.context.is_empty() {
        let _ = writeln!(body, "in {}", step.context);
    }
    body.push_str(&failure_text(step));
    case.write_inner_content(|writer| {
        writer
            .create_element(element)
            .with_attribute(("message", message.as_str()))
            .with_attribute(("type", element))
            .write_text_content(BytesText::new(&body))?;
        Ok(())
    })?;
    Ok(())
}

/// Tests, failures, errors and time in seconds, as attribute text.
fn totals<'a>(
    scenarios: impl Iterator<Item = &'a ScenarioReport>,
) -> (String, String, String, String) {
    let (mut tests, mut failures, mut errors, mut ms) = (0, 0, 0, 0.0);
    for scenario in scenarios {
        tests += 1;
        ms += scenario.duration_ms;
        match scenario.outcome {
            ScenarioOutcome::Passed => {}
            ScenarioOutcome::Failed => failures += 1,
            ScenarioOutcome::Error => errors += 1,
        }
    }
    (
        tests.to_string(),
        failures.to_string(),
        errors.to_string(),
        seconds(ms),
    )
}

fn seconds(ms: f64) -> String {
    format!("{:.3}", ms / 1000.0)
}
