//! What a run found: each step's result and time, and on a failure what
//! was expected beside what came. Serialisable, for `--json`.

use std::time::Duration;

use serde::Serialize;

use crate::engine::script::problem::Location;

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// Where the step is in the file.
    pub location: Location,
    /// The step, in a line.
    pub description: String,
    /// Where in a block it ran (`repeat 2/3`, `row 1 of data.csv`), or empty.
    pub context: String,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
    /// Passed, failed or could not run.
    pub outcome: StepOutcome,
    /// The journal id of the connection it acted on, when the run was
    /// recorded (in the window); a window shows the step's frames by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_conn: Option<u32>,
}

/// How a step ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum StepOutcome {
    /// It did what it should.
    Passed,
    /// What arrived was not what was expected.
    Failed(StepFailure),
    /// It could not run at all (a connection that could not be made).
    Error {
        /// Why.
        message: String,
    },
}

/// A failed step: what was wanted, what came, and the frames seen.
#[derive(Debug, Clone, Serialize)]
pub struct StepFailure {
    /// What went wrong, in a line.
    pub message: String,
    /// What was expected.
    pub expected: String,
    /// What came instead.
    pub actual: String,
    /// The frames (or bytes, or decode error) the step saw, as text.
    pub frames: Vec<String>,
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioOutcome {
    /// Every step passed.
    Passed,
    /// A step failed.
    Failed,
    /// A step could not run.
    Error,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub name: String,
    /// Where it starts in the file.
    pub location: Location,
    /// Its outcome.
    pub outcome: ScenarioOutcome,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
    /// Each step that ran, in order (the steps after a failure do not run).
    pub steps: Vec<StepReport>,
}

impl ScenarioReport {
    /// The step that failed or could not run, if one did.
    pub fn failed_step(&self) -> Option<&StepReport> {
        self.steps
            .iter()
            .find(|step| !matches!(step.outcome, StepOutcome::Passed))
    }
}

/// A failed step's message, expected beside actual, and the frames seen;
/// empty for a step that passed.
pub fn failure_text(step: &StepReport) -> String {
    match &step.outcome {
        StepOutcome::Passed => String::new(),
        StepOutcome::Error { message } => message.clone(),
        StepOutcome::Failed(failure) => {
            let mut text = failure.message.clone();
            if !failure.expected.is_empty() {
                text.push_str(&format!("\nexpected: {}", failure.expected));
                text.push_str(&format!("\nactual:   {}", failure.actual));
            }
            for frame in &failure.frames {
                let mut lines = frame.lines();
                if let Some(first) = lines.next() {
                    text.push_str(&format!("\nreceived: {first}"));
                }
                for line in lines {
                    text.push_str(&format!("\n          {line}"));
                }
            }
            text
        }
    }
}

/// A duration in milliseconds, as reports give it.
pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
