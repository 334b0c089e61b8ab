//! Server rules: an ordered list of rules that answer frames, first match
//! wins, with a default for frames no rule matches.
//!
//! A rule's `when` is the scenario engine's frame predicate (what an
//! `expect` takes) plus the frame's number on its connection; its `then`
//! is a list of actions: reply with a frame built from a template (values
//! captured from the request and payload variables allowed, broken on
//! purpose if asked), echo, wait, close, reset or drop. [`spec`] is the
//! TOML shape, [`compile()`] checks it and makes a [`RuleSet`] (every error
//! with its line and column, before the server listens), and the server's
//! `rules` mode serves each connection with the set in force.

mod compile;
pub mod edit;
mod error;
mod serve;
mod set;
pub(in crate::engine) mod spec;

pub use compile::{compile, load};
pub use error::{RuleProblem, RulesFileError};
pub(crate) use serve::{Answerer, Incoming, RulesEnd, serve_connection};
pub use set::{Decision, FrameRange, Rule, RuleAction, RuleIndex, RuleSet};
