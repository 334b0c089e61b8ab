//! A scenario ready to run: every regex built, every template parsed,
//! every file named in it read. [`super::compile`] makes it from the TOML.

use crate::engine::net::tls::ClientTlsContext;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::engine::net::target::Target;
use crate::engine::protocol::profile::Profile;
use crate::engine::script::capture::VariableCapture;
use crate::engine::script::predicate::FramePredicate;
use crate::engine::script::problem::Location;
use crate::engine::script::send::SendPlan;

/// A file's scenarios.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    /// The file they came from.
    pub path: PathBuf,
    /// The scenarios, in order.
    pub scenarios: Vec<Scenario>,
}

/// One scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// Where it starts in the file.
    pub location: Location,
    /// Where `connect` steps connect unless they say.
    pub target: Option<Target>,
    /// The steps.
    pub steps: Vec<Step>,
    /// The names of its variables (captures, CSV columns, repeat
    /// counters), by the index templates and captures use.
    pub variables: Vec<String>,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where it is in the file.
    pub location: Location,
    /// The step as written, in a line.
    pub description: String,
    /// Which connection it acts on (`None`: the last opened).
    pub conn: Option<usize>,
    /// What it does.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Open `count` connections.
    Connect {
        /// Where (`None`: the scenario's target).
        target: Option<Target>,
        /// How many.
        count: usize,
        /// Raw bytes rather than frames.
        raw: bool,
        /// UDP sockets rather than TCP connections.
        udp: bool,
        /// TLS over the connection, ready to connect; `None`: plain TCP.
        tls: Option<ClientTlsContext>,
        /// The profile its frames keep; `None`: the JSON header's.
        profile: Option<Arc<Profile>>,
    },
    /// Close the connection.
    Close,
    /// Close its sending side.
    HalfClose,
    /// Wait.
    Sleep(Duration),
    /// Send a frame.
    Send(Box<SendPlan>),
    /// Wait for something to arrive (or not).
    Expect {
        /// What should arrive.
        expectation: Box<Expectation>,
        /// How long to wait for it.
        within: Duration,
    },
    /// Keep values of the last frame an `expect` matched.
    Capture(Vec<VariableCapture>),
    /// Run a block several times.
    Repeat {
        /// How many times.
        times: usize,
        /// The variable that holds the round's number.
        counter: Option<usize>,
        /// The block.
        steps: Vec<Step>,
    },
    /// Run a block for each row of a CSV file.
    ForEach {
        /// The file.
        path: PathBuf,
        /// The variable of each column.
        columns: Vec<usize>,
        /// The rows.
        rows: Vec<Vec<String>>,
        /// The block.
        steps: Vec<Step>,
    },
}

/// What an `expect` waits for.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// A frame (or a decode error, or raw bytes) the predicate accepts.
    Frame(FramePredicate),
    /// The peer closes at a frame boundary.
    Closed,
    /// The peer resets the connection.
    Reset,
    /// Nothing arrives for this long.
    Nothing(Duration),
}
