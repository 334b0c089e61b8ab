//! A scenario file as written: the TOML shape, read with serde, every step
//! with its place in the source. [`super::compile`] turns it into what runs.
//!
//! ```toml
//! target = "127.0.0.1:8800"   # optional; `framescope run --target` overrides
//! timeout = "5s"              # optional; how long an expect waits by default
//!
//! [[scenario]]
//! name = "search for morpheus"
//!
//! [[scenario.step]]
//! connect = {}
//!
//! [[scenario.step]]
//! send.json = { action = "search", value = "morpheus" }
//!
//! [[scenario.step]]
//! expect.json."/result" = "Follow the white rabbit. 🐰"
//!
//! [[scenario.step]]
//! expect.closed = true
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::engine::script::capture::CaptureSpec;
use crate::engine::script::duration::DurationSpec;
use crate::engine::script::send::SendSpec;

use crate::engine::script::predicate::{DecodeErrorSpec, FramePredicateSpec, MatcherSpec};

/// A whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileSpec {
    /// Where `connect` steps connect unless they or the command line say.
    pub target: Option<Spanned<String>>,
    /// How long an `expect` waits unless it says (default 5 s).
    pub timeout: Option<DurationSpec>,
    /// The profile its connections' frames keep unless a `connect` says: a
    /// built-in's name or a profile file beside this one.
    pub profile: Option<Spanned<String>>,
    /// The scenarios, in order.
    #[serde(default, rename = "scenario")]
    pub scenarios: Vec<Spanned<ScenarioSpec>>,
}

/// One scenario: a name and its steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScenarioSpec {
    /// What it checks, in a sentence.
    pub name: String,
    /// Where its `connect` steps connect, overriding the file's target.
    pub target: Option<Spanned<String>>,
    /// The steps.
    #[serde(default, rename = "step")]
    pub steps: Vec<Spanned<StepSpec>>,
}

/// One step: exactly one of the step kinds, and on which connection.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StepSpec {
    /// The connection the step acts on: its number in the order the
    /// scenario opened them, from 1. Default: the last one opened.
    pub conn: Option<usize>,
    /// Open connections.
    pub connect: Option<ConnectSpec>,
    /// Close the connection.
    pub close: Option<bool>,
    /// Close the connection's sending side (the peer reads an end of stream).
    pub half_close: Option<bool>,
    /// Wait.
    pub sleep: Option<DurationSpec>,
    /// Send a frame (or raw bytes on a raw connection).
    pub send: Option<SendSpec>,
    /// Wait for what the connection should receive next.
    pub expect: Option<ExpectSpec>,
    /// Keep values of the frame the last `expect` matched, by variable name.
    pub capture: Option<BTreeMap<String, Spanned<CaptureSpec>>>,
    /// Run a block of steps N times.
    pub repeat: Option<RepeatSpec>,
    /// Run a block of steps once for each row of a CSV file.
    pub for_each: Option<ForEachSpec>,
}

/// `connect`: where, how many, framed or raw.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConnectSpec {
    /// Where (default: the scenario's, the file's or the command line's).
    pub target: Option<Spanned<String>>,
    /// How many connections (default 1).
    pub count: Option<usize>,
    /// Raw bytes, no framing (default false).
    #[serde(default)]
    pub raw: bool,
    /// UDP sockets rather than TCP connections (default false): each frame
    /// one datagram.
    #[serde(default)]
    pub udp: bool,
    /// TLS: `tls = true` (the system's roots), or a table of options.
    pub tls: Option<Spanned<TlsSpec>>,
    /// The profile these connections' frames keep (default: the file's).
    pub profile: Option<Spanned<String>>,
}

/// `tls` on a `connect` step.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TlsSpec {
    /// On (checked against the system's roots) or off.
    On(bool),
    /// On, with options.
    With(TlsOptions),
}

/// How a scenario's TLS connection checks the server, and what it offers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TlsOptions {
    /// Accept any certificate (encrypted, not authenticated).
    #[serde(default)]
    pub insecure: bool,
    /// Accept exactly the certificate with this SHA-256 fingerprint.
    pub pin: Option<String>,
    /// Check against the CAs in this PEM file (relative to the scenario).
    pub ca: Option<String>,
    /// The server name sent and checked (default: the target's host).
    pub sni: Option<String>,
    /// ALPN protocols offered.
    #[serde(default)]
    pub alpn: Vec<String>,
}

/// `expect`: a frame predicate, or the connection closed or reset, or
/// silence; within a time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExpectSpec {
    /// Header fields by key.
    #[serde(default)]
    pub header: BTreeMap<String, MatcherSpec>,
    /// Values inside the JSON content, by JSON pointer.
    #[serde(default)]
    pub json: BTreeMap<String, MatcherSpec>,
    /// The content as text.
    pub text: Option<MatcherSpec>,
    /// The content's bytes as hex.
    pub bytes: Option<MatcherSpec>,
    /// A frame that could not be decoded.
    pub decode_error: Option<Spanned<DecodeErrorSpec>>,
    /// Fields of a frame of the connection's profile, by name.
    #[serde(default)]
    pub field: BTreeMap<String, MatcherSpec>,
    /// The peer closed the connection (an end of stream at a frame boundary).
    pub closed: Option<bool>,
    /// The peer reset the connection.
    pub reset: Option<bool>,
    /// No frame at all for this long.
    pub nothing_for: Option<DurationSpec>,
    /// How long to wait (default: the file's timeout).
    pub within: Option<DurationSpec>,
}

impl ExpectSpec {
    /// The frame predicate part.
    pub fn frame_predicate(&self) -> FramePredicateSpec {
        FramePredicateSpec {
            header: self.header.clone(),
            json: self.json.clone(),
            text: self.text.clone(),
            bytes: self.bytes.clone(),
            decode_error: self.decode_error.clone(),
            field: self.field.clone(),
        }
    }
}

/// `repeat`: a block run N times.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RepeatSpec {
    /// How many times.
    pub times: usize,
    /// A variable holding the round's number, from 1.
    #[serde(rename = "as")]
    pub counter: Option<String>,
    /// The block.
    #[serde(default, rename = "step")]
    pub steps: Vec<Spanned<StepSpec>>,
}

/// `for-each`: a block run for each row of a CSV file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ForEachSpec {
    /// The CSV file (its first line names the columns), relative to the
    /// scenario file. Each column is a variable.
    pub csv: Spanned<String>,
    /// The block.
    #[serde(default, rename = "step")]
    pub steps: Vec<Spanned<StepSpec>>,
}
