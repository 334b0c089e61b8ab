//! A scenario ready to run: every regex built, every template parsed,
//! every file named in it read. [`super::compile`] makes it from the TOML.

use crate::engine::net::tls::ClientTlsContext;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use regex::Regex;
use serde_json::Value;

use super::error::Location;
use super::predicate::{FramePredicate, Mismatch, show_bytes};
use crate::engine::net::target::Target;
use crate::engine::protocol::frame::{BuildError, FrameBuilder, Header};
use crate::engine::protocol::template::{Expansion, Template};
use crate::engine::protocol::tutorial_app::CLIENT_BINARY_TYPE;

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
        /// TLS over the connection, ready to connect; `None`: plain TCP.
        tls: Option<ClientTlsContext>,
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

/// A frame to build and send.
#[derive(Debug, Clone)]
pub struct SendPlan {
    /// The content.
    pub content: ContentPlan,
    /// Header fields to set, in order.
    pub header: Vec<(String, JsonTemplate)>,
    /// Header keys to leave out.
    pub omit: Vec<String>,
    /// A proto-header to write instead of the true one.
    pub proto_header: Option<u16>,
    /// Send only this many bytes of the frame.
    pub truncate: Option<usize>,
}

/// A send's content.
#[derive(Debug, Clone)]
pub enum ContentPlan {
    /// No content.
    Empty,
    /// JSON given as TOML, with variables in its strings.
    Json(JsonTemplate),
    /// JSON given as text, with variables in it.
    JsonText(Template),
    /// Text.
    Text(Template),
    /// Bytes (hex, or a file).
    Binary(Bytes),
}

/// A JSON value whose strings may hold variables.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    /// A value with no variables.
    Fixed(Value),
    /// A string with variables.
    Text(Template),
    /// An array with variables somewhere inside.
    Array(Vec<JsonTemplate>),
    /// An object with variables somewhere inside.
    Object(Vec<(String, JsonTemplate)>),
}

/// One value to capture.
#[derive(Debug, Clone)]
pub struct VariableCapture {
    /// The variable's index.
    pub variable: usize,
    /// The variable's name.
    pub name: String,
    /// Where the value comes from.
    pub source: CaptureSource,
}

/// Where a captured value comes from.
#[derive(Debug, Clone)]
pub enum CaptureSource {
    /// A header field.
    Header(String),
    /// A JSON pointer into the content.
    Json(String),
    /// The content's first N bytes (as text; bytes that are not UTF-8
    /// become U+FFFD).
    FirstBytes(usize),
    /// A regex group over the content as text.
    Regex {
        /// The expression.
        regex: Regex,
        /// The group: by number or by name.
        group: RegexGroup,
    },
}

/// A regex group.
#[derive(Debug, Clone)]
pub enum RegexGroup {
    /// By number.
    Number(usize),
    /// By name.
    Name(String),
}

impl SendPlan {
    /// The bytes this send puts on the wire: a frame (broken as the plan
    /// says), or on a raw connection the content alone. `values` expand
    /// the templates.
    pub fn build(&self, raw: bool, values: &mut Expansion<'_>) -> Result<Bytes, BuildError> {
        let mut builder = self.content.frame(values);
        if raw {
            let mut content = builder.content_bytes();
            if let Some(len) = self.truncate {
                content.truncate(len);
            }
            return Ok(content);
        }
        for (key, template) in &self.header {
            builder = builder.field(key, template.expand(values));
        }
        for key in &self.omit {
            builder = builder.without_field(key);
        }
        if let Some(value) = self.proto_header {
            builder = builder.proto_header(value);
        }
        if let Some(len) = self.truncate {
            builder = builder.truncate_to(len);
        }
        builder.build()
    }
}

impl ContentPlan {
    /// The frame a send of this content starts from, before the step's
    /// own header fields: the content, and the content-type (and encoding)
    /// its kind implies.
    pub fn frame(&self, values: &mut Expansion<'_>) -> FrameBuilder {
        match self {
            ContentPlan::Empty => FrameBuilder::new(),
            ContentPlan::Json(template) => FrameBuilder::json(&template.expand(values)),
            ContentPlan::JsonText(template) => {
                FrameBuilder::new().content(expand(template, values))
            }
            ContentPlan::Text(template) => FrameBuilder::new()
                .field("content-type", "text/plain")
                .content(expand(template, values)),
            ContentPlan::Binary(bytes) => FrameBuilder::binary(CLIENT_BINARY_TYPE, bytes.clone()),
        }
    }
}

impl JsonTemplate {
    /// The value with its variables expanded.
    pub fn expand(&self, values: &mut Expansion<'_>) -> Value {
        match self {
            JsonTemplate::Fixed(value) => value.clone(),
            JsonTemplate::Text(text) => {
                Value::from(String::from_utf8_lossy(&expand(text, values)).into_owned())
            }
            JsonTemplate::Array(items) => items.iter().map(|i| i.expand(values)).collect(),
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, item)| (key.clone(), item.expand(values)))
                    .collect(),
            ),
        }
    }
}

fn expand(template: &Template, values: &mut Expansion<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    template.expand_into(&mut out, values);
    out
}

impl CaptureSource {
    /// The text this source takes from a frame's header (`None`: raw
    /// bytes, with no header) and content; a mismatch when it is not there.
    pub fn take(&self, header: Option<&Header>, content: &[u8]) -> Result<String, Mismatch> {
        let as_text = |value: &Value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        match self {
            CaptureSource::Header(key) => {
                let header = header.ok_or_else(|| {
                    Mismatch::new(format!("header \"{key}\""), "raw bytes, with no header")
                })?;
                header.get(key).map(as_text).ok_or_else(|| {
                    Mismatch::new(
                        format!("header \"{key}\""),
                        format!("a header without it: {}", Value::Object(header.clone())),
                    )
                })
            }
            CaptureSource::Json(pointer) => {
                let document: Value = serde_json::from_slice(content).map_err(|error| {
                    Mismatch::new(
                        "JSON content",
                        format!(
                            "content that is not JSON ({error}): {}",
                            show_bytes(content)
                        ),
                    )
                })?;
                document.pointer(pointer).map(as_text).ok_or_else(|| {
                    Mismatch::new(
                        format!("a value at json \"{pointer}\""),
                        format!("nothing there in {document}"),
                    )
                })
            }
            CaptureSource::FirstBytes(count) => {
                Ok(String::from_utf8_lossy(&content[..content.len().min(*count)]).into_owned())
            }
            CaptureSource::Regex { regex, group } => {
                let text = String::from_utf8_lossy(content);
                let found = regex.captures(&text).and_then(|captures| match group {
                    RegexGroup::Number(n) => captures.get(*n),
                    RegexGroup::Name(name) => captures.name(name),
                });
                found.map(|m| m.as_str().to_owned()).ok_or_else(|| {
                    Mismatch::new(
                        format!("content matching /{}/", regex.as_str()),
                        format!("content {}", show_bytes(content)),
                    )
                })
            }
        }
    }
}
