//! What is wrong at a place in a rules or scenario file: the line and
//! column, and the problem there.

use std::ops::Range;
use std::path::PathBuf;

use crate::engine::net::target::TargetError;
pub use crate::engine::protocol::source::Location;
use crate::engine::protocol::template::TemplateError;
use crate::engine::render::hexdump::HexError;
use crate::engine::script::predicate::PredicateProblem;

/// What is wrong with a scenario file.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    /// The file cannot be read.
    #[error("cannot read the file: {0}")]
    Read(#[source] std::io::Error),
    /// The TOML does not parse, or does not fit the scenario shape
    /// (an unknown step kind or key among them).
    #[error("{0}")]
    Syntax(String),
    /// The profile the file names cannot be used.
    #[error("profile: {0}")]
    Profile(String),
    /// `field.NAME` on a connection that speaks no profile.
    #[error(
        "field.{name}: connection {conn} has no profile (give the file profile = \"NAME\", or connect = {{ profile = \"NAME\" }})"
    )]
    FieldWithoutProfile {
        /// The name given.
        name: String,
        /// The connection, from 1.
        conn: usize,
    },
    /// An `expect` or `half_close` that has no meaning on a UDP socket.
    #[error(
        "{what} has no meaning over UDP: connection {conn} is a UDP socket, which no peer closes (expect nothing_for, or a frame, instead)"
    )]
    NotOverUdp {
        /// What was asked (`expect.closed`, ...).
        what: &'static str,
        /// The connection, from 1.
        conn: usize,
    },
    /// `field.NAME` naming no field of the connection's profile.
    #[error(
        "field.{name}: profile {} has no such field (fields: {})",
        profile.name(),
        profile.field_names().join(", ")
    )]
    NoSuchField {
        /// The name given.
        name: String,
        /// The profile.
        profile: std::sync::Arc<crate::engine::protocol::profile::Profile>,
    },
    /// The file has no `[[scenario]]`.
    #[error("no [[scenario]] in the file")]
    NoScenarios,
    /// A step with no step kind.
    #[error("a step needs one of {STEP_KINDS}")]
    NoStepKind,
    /// A step with two kinds.
    #[error("one step, one kind: this step has {0}; split it in two")]
    TwoStepKinds(String),
    /// An `expect` that mixes what cannot go together.
    #[error(
        "an expect is a frame predicate, closed, reset or nothing-for: one of them, not several"
    )]
    MixedExpect,
    /// A predicate that does not compile.
    #[error("{0}")]
    Predicate(#[from] PredicateProblem),
    /// A template with an unknown variable or a malformed one.
    #[error("{0} (nor a variable captured, a CSV column or a repeat counter defined before)")]
    Template(#[from] TemplateError),
    /// A target that is not one.
    #[error("{0}")]
    Target(#[from] TargetError),
    /// Hex content that is not hex.
    #[error("tls: {0}")]
    Tls(String),
    /// Bytes written as hex that are not.
    #[error("bad hex: {0}")]
    Hex(#[from] HexError),
    /// JSON text that is not JSON.
    #[error("not valid JSON: {0}")]
    Json(String),
    /// More than one kind of content in one send.
    #[error("a send has one content: json, text, hex or file")]
    TwoContents,
    /// A file named in the scenario that cannot be read.
    #[error("cannot read {path}: {source}")]
    DataFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A CSV file that cannot be read as CSV.
    #[error("{path}: {detail}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV reader's words.
        detail: String,
    },
    /// A capture with no source, or with several.
    #[error("a capture takes one of header, json, first-bytes or regex")]
    CaptureSource,
    /// A capture's regex group that the regex does not have.
    #[error("the regex has no group {0}")]
    NoSuchGroup(String),
    /// A variable name that cannot be one.
    #[error(
        "\"{0}\" cannot name a variable: use letters, digits, _ and -, and none of seq, conn, uuid, now, now_us, random"
    )]
    BadVariableName(String),
    /// A connection number of 0.
    #[error("connections are numbered from 1")]
    ConnZero,
}

/// The step kinds, for error messages.
pub const STEP_KINDS: &str =
    "connect, close, half-close, sleep, send, expect, capture, repeat, for-each";

/// A problem and the byte range of the file it is about.
pub(crate) type Located = (Range<usize>, FileProblem);
