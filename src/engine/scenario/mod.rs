//! Scenarios: steps written in TOML (connect, send, expect, capture, ...)
//! that run over connections of their own and pass or fail.
//!
//! The parts, in the order a file goes through them: [`spec`] is the TOML
//! shape; [`compile()`] checks and compiles it into a [`ScenarioFile`]
//! (every error with its file, line and column, before anything is sent);
//! [`run_scenario`] runs one scenario and reports each step as it ends.
//! What rules files share with scenarios (predicates, sends, captures) is
//! the engine's `script` layer.

mod compile;
mod connection;
pub(super) mod control;
mod error;
mod plan;
pub mod record;
mod recording;
mod report;
mod runner;
mod spec;

pub use crate::engine::script::capture::{CaptureSource, RegexGroup, VariableCapture};
pub use crate::engine::script::problem::{FileProblem, Location};
pub use crate::engine::script::send::{ContentPlan, JsonTemplate, SendPlan};
pub use compile::{compile, load};
pub use error::ScenarioFileError;
pub use plan::{Action, Expectation, Scenario, ScenarioFile, Step};
pub(crate) use recording::ScenarioRecorder;
pub use report::{
    ScenarioOutcome, ScenarioReport, StepFailure, StepOutcome, StepReport, failure_text,
};
pub use runner::{RunSettings, run_scenario};
