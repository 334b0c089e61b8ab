//! Why a scenario file is rejected: the file, the line and column, and what
//! is wrong there. Every such error is found before anything is sent.

use std::fmt;

use crate::engine::script::problem::{FileProblem, Location};
use std::path::PathBuf;

/// A scenario file that cannot be run.
#[derive(Debug, thiserror::Error)]
pub struct ScenarioFileError {
    /// The file.
    pub path: PathBuf,
    /// Where in it (`None`: the file as a whole, e.g. unreadable).
    pub location: Option<Location>,
    /// What is wrong.
    pub problem: FileProblem,
}

impl fmt::Display for ScenarioFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(at) => write!(f, "{}:{at}: {}", self.path.display(), self.problem),
            None => write!(f, "{}: {}", self.path.display(), self.problem),
        }
    }
}
