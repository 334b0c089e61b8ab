//! A rules file as written: the TOML shape, read with serde, every rule
//! with its place in the source. [`super::compile`] turns it into a
//! [`super::RuleSet`].
//!
//! ```toml
//! [[rule]]
//! name = "morpheus"                       # optional
//! when.frame = 1                          # or { from = 2, to = 5 }
//! when.header.content-type = "text/json"
//! when.json."/value" = "morpheus"
//! # under `profile = "modbus-tcp"` (top of the file): when.field.function = 3
//! capture.action = { json = "/action" }   # usable as {{action}} below
//! then = [
//!   { reply.json = { result = "Follow the white rabbit. 🐰" } },
//!   { close = true },
//! ]
//!
//! [default]
//! then.echo = true
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::engine::script::predicate::{DecodeErrorSpec, FramePredicateSpec, MatcherSpec};
use crate::engine::script::{capture::CaptureSpec, duration::DurationSpec, send::SendSpec};

/// A whole rules file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesFileSpec {
    /// The profile the frames keep: a built-in's name, or a profile file
    /// (relative to the rules file). `when.field` and `reply.field` name
    /// its fields.
    pub profile: Option<Spanned<String>>,
    /// The rules, in order: the first that matches a frame answers it.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RuleSpec>>,
    /// What answers a frame no rule matches (none: the frame is dropped).
    pub default: Option<Spanned<DefaultSpec>>,
}

/// One rule: when it matches, values to capture, and what it does.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSpec {
    /// A name to show beside its hit count.
    pub name: Option<String>,
    /// Which frames it matches (nothing asked: every frame).
    #[serde(default)]
    pub when: WhenSpec,
    /// Values of the matching frame, by variable name, for the reply.
    #[serde(default)]
    pub capture: BTreeMap<String, Spanned<CaptureSpec>>,
    /// What it does, in order.
    pub then: Spanned<ThenSpec>,
}

/// The rule for frames no other rule matches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DefaultSpec {
    /// Values of the frame, by variable name, for the reply.
    #[serde(default)]
    pub capture: BTreeMap<String, Spanned<CaptureSpec>>,
    /// What it does, in order.
    pub then: Spanned<ThenSpec>,
}

/// `when`: a frame predicate, as `expect` takes, and the frame's number on
/// its connection.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WhenSpec {
    /// The frame's number on its connection, from 1: one number or a range.
    pub frame: Option<Spanned<FrameNumberSpec>>,
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
    /// A frame that could not be decoded (its actions run, then the
    /// connection closes: the stream has lost its place).
    pub decode_error: Option<Spanned<DecodeErrorSpec>>,
    /// Fields of a frame of the rules' profile, by name.
    #[serde(default)]
    pub field: BTreeMap<String, MatcherSpec>,
}

impl WhenSpec {
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

/// A frame number (`3`) or a range (`{ from = 2, to = 5 }`, either bound
/// left out for no bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FrameNumberSpec {
    /// Exactly this frame.
    Exact(u64),
    /// Frames in a range, both ends included.
    Range {
        /// The first (default 1).
        from: Option<u64>,
        /// The last (default: no end).
        to: Option<u64>,
    },
}

/// `then`: one action, or a list of them run in order.
#[derive(Debug, Clone)]
pub enum ThenSpec {
    /// One action table (its place is the `then`'s own).
    One(Box<ActionSpec>),
    /// A list of actions, each with its place.
    Many(Vec<Spanned<ActionSpec>>),
}

impl Default for ThenSpec {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<'de> Deserialize<'de> for ThenSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ThenSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an action table or a list of them")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ThenSpec, A::Error> {
                ActionSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|action| ThenSpec::One(Box::new(action)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<ThenSpec, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(ThenSpec::Many)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One action: exactly one of these.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ActionSpec {
    /// Send a frame built from a template, as a scenario's `send` is
    /// (header fields, content, and the switches that break a frame:
    /// `header.content-length`, `omit`, `proto-header`, `truncate`).
    pub reply: Option<SendSpec>,
    /// Send the frame back byte for byte.
    pub echo: Option<bool>,
    /// Wait, then go on with the next action.
    pub wait: Option<DurationSpec>,
    /// Close the connection (the peer reads an end of stream).
    pub close: Option<bool>,
    /// Reset the connection (SO_LINGER 0, then close: the peer reads a reset).
    pub reset: Option<bool>,
    /// Do nothing with the frame.
    pub drop: Option<bool>,
}
