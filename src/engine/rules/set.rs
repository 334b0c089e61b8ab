//! A rule set ready to serve: every predicate compiled, every reply
//! template parsed, and a hit counter per rule that connection tasks bump
//! and the engine's publisher reads.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::Profile;
use crate::engine::script::capture::VariableCapture;
use crate::engine::script::predicate::{FramePredicate, Observed};
use crate::engine::script::problem::Location;
use crate::engine::script::send::SendPlan;

/// A compiled rule set: rules in order, a default, and their hit counts.
#[derive(Debug)]
pub struct RuleSet {
    id: u64,
    path: PathBuf,
    rules: Vec<Rule>,
    default: Option<Rule>,
    /// One counter per rule, then one for the default.
    hits: Box<[AtomicU64]>,
    /// The profile its frames keep, when the file names one.
    profile: Option<Arc<Profile>>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Where it starts in the file.
    pub location: Location,
    /// Its `when`, in a line.
    pub when_text: String,
    /// Its `then`, in a line.
    pub then_text: String,
    pub(super) frames: FrameRange,
    pub(super) predicate: FramePredicate,
    pub(super) captures: Vec<VariableCapture>,
    pub(super) variables: usize,
    pub(super) actions: Vec<RuleAction>,
}

/// Which frame numbers a rule matches, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRange {
    /// The first (from 1).
    pub from: u64,
    /// The last.
    pub to: u64,
}

impl Default for FrameRange {
    fn default() -> Self {
        Self {
            from: 1,
            to: u64::MAX,
        }
    }
}

impl FrameRange {
    /// Whether frame `number` is in the range.
    pub fn contains(self, number: u64) -> bool {
        (self.from..=self.to).contains(&number)
    }
}

/// What a rule does with a frame.
#[derive(Debug, Clone)]
pub enum RuleAction {
    /// Send a frame built from a template (broken on purpose if it says).
    Reply(Box<SendPlan>),
    /// Send the frame back byte for byte.
    Echo,
    /// Wait, then go on.
    Wait(Duration),
    /// Close the connection.
    Close,
    /// Reset the connection.
    Reset,
    /// Do nothing.
    Drop,
}

/// Which rule answered a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleIndex {
    /// A rule, by its place in the list (from 0).
    Rule(usize),
    /// The default.
    Default,
}

/// A rule chosen for a frame: its actions and the values captured.
#[derive(Debug)]
pub struct Decision<'a> {
    /// Which rule.
    pub index: RuleIndex,
    /// Its actions, in order.
    pub actions: &'a [RuleAction],
    /// The captured values, by the index the reply's templates use.
    pub values: Vec<String>,
}

impl RuleSet {
    pub(super) fn new(
        path: PathBuf,
        rules: Vec<Rule>,
        default: Option<Rule>,
        profile: Option<Arc<Profile>>,
    ) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let hits = (0..=rules.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            id: NEXT_ID.fetch_add(1, Relaxed),
            path,
            rules,
            default,
            hits,
            profile,
        }
    }

    /// The profile the file names, which the server's rules mode then
    /// frames by (unless the server was given one of its own).
    pub fn profile(&self) -> Option<&Arc<Profile>> {
        self.profile.as_ref()
    }

    /// A number no other rule set compiled in this process has.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The file the rules came from.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The default, if there is one.
    pub fn default_rule(&self) -> Option<&Rule> {
        self.default.as_ref()
    }

    /// Hits so far: one count per rule, in order, then the default's.
    pub fn hits(&self) -> Vec<u64> {
        self.hits.iter().map(|hit| hit.load(Relaxed)).collect()
    }

    /// Chooses the rule for frame `number` of a connection (from 1), or
    /// for a frame that could not be decoded, and counts the hit: the
    /// first rule whose frame numbers, predicate and captures all hold,
    /// else the default (for a whole frame only). `None`: nothing
    /// answers, the frame is dropped.
    pub fn decide(&self, observed: Observed<'_>, number: u64) -> Option<Decision<'_>> {
        let frame = match observed {
            Observed::Frame(frame) => Some(frame),
            _ => None,
        };
        let whole = matches!(observed, Observed::Frame(_) | Observed::Fields { .. });
        let chosen = self.rules.iter().enumerate().find_map(|(at, rule)| {
            if !rule.frames.contains(number)
                || rule.predicate.wants_decode_error() == whole
                || rule.predicate.evaluate(observed, &[]).is_err()
            {
                return None;
            }
            let values = rule.capture(frame)?;
            Some((RuleIndex::Rule(at), rule, values))
        });
        let (index, rule, values) = match chosen {
            Some(found) => found,
            None => {
                let default = self.default.as_ref().filter(|_| whole)?;
                let values = default
                    .capture(frame)
                    .unwrap_or_else(|| vec![String::new(); default.variables]);
                (RuleIndex::Default, default, values)
            }
        };
        let slot = match index {
            RuleIndex::Rule(at) => at,
            RuleIndex::Default => self.rules.len(),
        };
        self.hits[slot].fetch_add(1, Relaxed);
        Some(Decision {
            index,
            actions: &rule.actions,
            values,
        })
    }
}

impl Rule {
    /// The rule's captured values from `frame`; `None` when one is not there.
    fn capture(&self, frame: Option<&Frame>) -> Option<Vec<String>> {
        let mut values = vec![String::new(); self.variables];
        if self.captures.is_empty() {
            return Some(values);
        }
        // Captures read a JSON header; a frame of a profile has none yet.
        let frame = frame?;
        let header = frame.header();
        let content = frame.content();
        for capture in &self.captures {
            values[capture.variable] = capture.source.take(Some(&header), &content).ok()?;
        }
        Some(values)
    }

    /// Its actions, in order.
    pub fn actions(&self) -> &[RuleAction] {
        &self.actions
    }
}
