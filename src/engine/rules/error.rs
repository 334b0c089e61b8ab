//! Why a rules file is rejected: the file, the line and column, and what
//! is wrong there. Every such error is found before the server listens.

use std::fmt;
use std::path::PathBuf;

use crate::engine::script::problem::FileProblem;
pub use crate::engine::script::problem::Location;

/// A rules file that cannot be served.
#[derive(Debug, thiserror::Error)]
pub struct RulesFileError {
    /// The file.
    pub path: PathBuf,
    /// Where in it (`None`: the file as a whole, e.g. unreadable).
    pub location: Option<Location>,
    /// What is wrong.
    pub problem: RuleProblem,
}

impl fmt::Display for RulesFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(at) => write!(f, "{}:{at}: {}", self.path.display(), self.problem),
            None => write!(f, "{}: {}", self.path.display(), self.problem),
        }
    }
}

/// What is wrong with a rules file.
#[derive(Debug, thiserror::Error)]
pub enum RuleProblem {
    /// What scenario files and rules files can both get wrong: the TOML,
    /// a predicate, a template, a capture, a reply's content.
    #[error("{0}")]
    File(#[from] FileProblem),
    /// Neither a rule nor a default.
    #[error("no [[rule]] and no [default] in the file")]
    Empty,
    /// An action with no kind.
    #[error("an action needs one of {ACTION_KINDS}")]
    NoActionKind,
    /// An action with two kinds.
    #[error("one action, one kind: this action has {0}; make it a list of two")]
    TwoActionKinds(String),
    /// A `then` with no action.
    #[error("then needs at least one action ({ACTION_KINDS})")]
    NoActions,
    /// A frame number range that holds no frame.
    #[error("frames are numbered from 1, and a range's from cannot pass its to")]
    BadFrameRange,
    /// An action after one that ends the connection.
    #[error("nothing can follow close or reset: the connection is gone")]
    AfterEnd,
    /// A rule that matches decode errors and echoes (there is no frame).
    #[error("a decode-error rule has no frame to echo")]
    EchoWithoutFrame,
    /// The profile the file names cannot be used.
    #[error("profile: {0}")]
    Profile(String),
    /// `field.NAME` with no profile to give fields.
    #[error("field.{0} needs a profile: put profile = \"NAME or FILE\" at the top of the file")]
    FieldWithoutProfile(String),
    /// `field.NAME` naming no field of the profile.
    #[error("profile {profile} has no field \"{name}\" (fields: {fields})")]
    NoSuchField {
        /// The name given.
        name: String,
        /// The profile.
        profile: String,
        /// Its fields.
        fields: String,
    },
}

/// The action kinds, for error messages.
pub const ACTION_KINDS: &str = "reply, echo, wait, close, reset, drop";
