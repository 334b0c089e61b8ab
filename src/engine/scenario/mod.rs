//! Scenarios: steps written in TOML (connect, send, expect, capture, ...)
//! that run over connections of their own and pass or fail.
//!
//! The parts, in the order a file goes through them: [`spec`] is the TOML
//! shape; [`compile()`] checks and compiles it into a [`ScenarioFile`]
//! (every error with its file, line and column, before anything is sent);
//! [`run_scenario`] runs one scenario and reports each step as it ends.
//! [`predicate`] judges one frame, and is meant for anything else that
//! judges frames too.

mod compile;
mod connection;
pub(super) mod control;
mod error;
mod plan;
pub(in crate::engine) mod predicate;
pub mod record;
mod recording;
mod report;
mod runner;
pub(in crate::engine) mod spec;

pub(crate) use compile::{check_variable_name, compile_capture, compile_send};
pub use compile::{compile, load};
pub use error::{FileProblem, Location, ScenarioFileError};
pub use plan::{
    Action, CaptureSource, ContentPlan, Expectation, JsonTemplate, RegexGroup, Scenario,
    ScenarioFile, SendPlan, Step, VariableCapture,
};
pub(crate) use recording::ScenarioRecorder;
pub use report::{
    ScenarioOutcome, ScenarioReport, StepFailure, StepOutcome, StepReport, failure_text,
};
pub use runner::{RunSettings, run_scenario};
