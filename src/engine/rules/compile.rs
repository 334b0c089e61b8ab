//! From TOML to a [`RuleSet`]: the text parsed, each rule's predicate,
//! captures and actions compiled with the scenario engine's own pieces,
//! and every error given its line and column.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde_json::Value;
use toml::Spanned;

use super::error::{Location, RuleProblem, RulesFileError};
use super::set::{FrameRange, Rule, RuleAction, RuleSet};
use super::spec::{ActionSpec, FrameNumberSpec, RulesFileSpec, ThenSpec, WhenSpec};
use crate::engine::protocol::profile::Profile;
use crate::engine::script::capture::{VariableCapture, check_variable_name, compile_capture};
use crate::engine::script::predicate::FramePredicate;
use crate::engine::script::problem::FileProblem;
use crate::engine::script::profile_ref::load_profile;
use crate::engine::script::send::compile_send;
use crate::engine::script::{capture::CaptureSpec, send::SendSpec};

/// Reads and compiles the rules file at `path`.
pub fn load(path: &Path) -> Result<RuleSet, RulesFileError> {
    let source = std::fs::read_to_string(path).map_err(|error| RulesFileError {
        path: path.to_owned(),
        location: None,
        problem: FileProblem::Read(error).into(),
    })?;
    compile(path, &source)
}

/// Compiles `source`, the text of the rules file at `path` (files a reply
/// names are read relative to `path`'s folder).
pub fn compile(path: &Path, source: &str) -> Result<RuleSet, RulesFileError> {
    let error = |span: Range<usize>, problem: RuleProblem| RulesFileError {
        path: path.to_owned(),
        location: Some(Location::of_offset(source, span.start)),
        problem,
    };
    let spec: RulesFileSpec = toml::from_str(source).map_err(|e| {
        error(
            e.span().unwrap_or(0..0),
            FileProblem::Syntax(e.message().trim().to_owned()).into(),
        )
    })?;
    if spec.rules.is_empty() && spec.default.is_none() {
        return Err(error(0..0, RuleProblem::Empty));
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let profile = match &spec.profile {
        Some(name) => Some(
            load_profile(name.get_ref(), folder)
                .map_err(|why| error(name.span(), RuleProblem::Profile(why)))?,
        ),
        None => None,
    };
    let compiler = RuleCompiler {
        source,
        folder,
        profile: profile.as_deref(),
    };
    let mut rules = Vec::new();
    for rule in &spec.rules {
        let inner = rule.get_ref();
        let compiled = compiler
            .rule(
                rule.span(),
                Some(&inner.when),
                &inner.capture,
                &inner.then,
                inner.name.clone(),
            )
            .map_err(|(span, problem)| error(span, problem))?;
        rules.push(compiled);
    }
    let default = spec
        .default
        .as_ref()
        .map(|default| {
            let inner = default.get_ref();
            compiler.rule(
                default.span(),
                None,
                &inner.capture,
                &inner.then,
                Some("default".to_owned()),
            )
        })
        .transpose()
        .map_err(|(span, problem)| error(span, problem))?;
    Ok(RuleSet::new(path.to_owned(), rules, default, profile))
}

/// A problem and where.
type Located = (Range<usize>, RuleProblem);

struct RuleCompiler<'a> {
    source: &'a str,
    folder: &'a Path,
    profile: Option<&'a Profile>,
}

impl RuleCompiler<'_> {
    /// That `name` is a field of the file's profile.
    fn check_field(&self, name: &str, span: Range<usize>) -> Result<(), Located> {
        let Some(profile) = self.profile else {
            return Err((span, RuleProblem::FieldWithoutProfile(name.to_owned())));
        };
        if profile.has_field(name) {
            return Ok(());
        }
        Err((
            span,
            RuleProblem::NoSuchField {
                name: name.to_owned(),
                profile: profile.name().to_owned(),
                fields: profile.field_names().join(", "),
            },
        ))
    }

    fn rule(
        &self,
        span: Range<usize>,
        when: Option<&WhenSpec>,
        captures: &BTreeMap<String, Spanned<CaptureSpec>>,
        then: &Spanned<ThenSpec>,
        name: Option<String>,
    ) -> Result<Rule, Located> {
        let mut names = Vec::new();
        let mut compiled_captures = Vec::new();
        for (name, capture) in captures {
            let at = |problem: FileProblem| (capture.span(), RuleProblem::from(problem));
            let source = compile_capture(capture.get_ref()).map_err(at)?;
            check_variable_name(name).map_err(at)?;
            names.push(name.clone());
            compiled_captures.push(VariableCapture {
                variable: names.len() - 1,
                name: name.clone(),
                source,
            });
        }
        let lookup = |wanted: &str| names.iter().position(|known| known == wanted);
        if let Some(when) = when {
            for (name, spec) in &when.field {
                self.check_field(name, spec.span())?;
            }
        }
        let (frames, predicate) = match when {
            Some(when) => (
                frame_range(when.frame.as_ref())?,
                when.frame_predicate()
                    .compile(&|_| None)
                    .map_err(|e| (e.span, FileProblem::Predicate(e.problem).into()))?,
            ),
            None => (FrameRange::default(), FramePredicate::default()),
        };
        let actions_spec: Vec<(Range<usize>, &ActionSpec)> = match then.get_ref() {
            ThenSpec::One(action) => vec![(then.span(), action.as_ref())],
            ThenSpec::Many(list) => list.iter().map(|a| (a.span(), a.get_ref())).collect(),
        };
        if actions_spec.is_empty() {
            return Err((then.span(), RuleProblem::NoActions));
        }
        let mut actions = Vec::new();
        for (at, spec) in &actions_spec {
            if matches!(actions.last(), Some(RuleAction::Close | RuleAction::Reset)) {
                return Err((at.clone(), RuleProblem::AfterEnd));
            }
            let action = self.action(at.clone(), spec, &lookup)?;
            if matches!(action, RuleAction::Echo) && predicate.wants_decode_error() {
                return Err((at.clone(), RuleProblem::EchoWithoutFrame));
            }
            actions.push(action);
        }
        Ok(Rule {
            name,
            location: Location::of_offset(self.source, span.start),
            when_text: when.map_or_else(|| "no other rule matched".to_owned(), describe_when),
            then_text: actions_spec
                .iter()
                .map(|(_, spec)| describe_action(spec))
                .collect::<Vec<_>>()
                .join("; "),
            frames,
            predicate,
            captures: compiled_captures,
            variables: names.len(),
            actions,
        })
    }

    fn action(
        &self,
        span: Range<usize>,
        spec: &ActionSpec,
        names: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<RuleAction, Located> {
        let kinds: Vec<&str> = [
            ("reply", spec.reply.is_some()),
            ("echo", spec.echo.is_some()),
            ("wait", spec.wait.is_some()),
            ("close", spec.close.is_some()),
            ("reset", spec.reset.is_some()),
            ("drop", spec.drop.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect();
        match kinds.len() {
            0 => return Err((span, RuleProblem::NoActionKind)),
            1 => {}
            _ => return Err((span, RuleProblem::TwoActionKinds(kinds.join(" and ")))),
        }
        Ok(if let Some(reply) = &spec.reply {
            for (name, value) in &reply.field {
                self.check_field(name, value.span())?;
            }
            let plan = compile_send(reply, names, self.folder, span)
                .map_err(|(span, problem)| (span, RuleProblem::from(problem)))?;
            RuleAction::Reply(Box::new(plan))
        } else if spec.echo.is_some() {
            RuleAction::Echo
        } else if let Some(wait) = spec.wait {
            RuleAction::Wait(wait.0)
        } else if spec.close.is_some() {
            RuleAction::Close
        } else if spec.reset.is_some() {
            RuleAction::Reset
        } else {
            RuleAction::Drop
        })
    }
}

fn frame_range(spec: Option<&Spanned<FrameNumberSpec>>) -> Result<FrameRange, Located> {
    let Some(spec) = spec else {
        return Ok(FrameRange::default());
    };
    let range = match *spec.get_ref() {
        FrameNumberSpec::Exact(n) => FrameRange { from: n, to: n },
        FrameNumberSpec::Range { from, to } => FrameRange {
            from: from.unwrap_or(1),
            to: to.unwrap_or(u64::MAX),
        },
    };
    if range.from == 0 || range.from > range.to {
        return Err((spec.span(), RuleProblem::BadFrameRange));
    }
    Ok(range)
}

/// A `when` in a line: `frame 1 · header content-type = "text/json" · …`.
fn describe_when(when: &WhenSpec) -> String {
    let mut parts = Vec::new();
    if let Some(frame) = &when.frame {
        parts.push(match *frame.get_ref() {
            FrameNumberSpec::Exact(n) => format!("frame {n}"),
            FrameNumberSpec::Range { from, to } => format!(
                "frames {}–{}",
                from.unwrap_or(1),
                to.map_or_else(String::new, |to| to.to_string())
            ),
        });
    }
    for (name, matcher) in &when.field {
        parts.push(format!("field {name} {}", show_matcher(matcher.get_ref())));
    }
    for (key, matcher) in &when.header {
        parts.push(format!("header {key} {}", show_matcher(matcher.get_ref())));
    }
    for (pointer, matcher) in &when.json {
        parts.push(format!(
            "json {pointer} {}",
            show_matcher(matcher.get_ref())
        ));
    }
    if let Some(text) = &when.text {
        parts.push(format!("text {}", show_matcher(text.get_ref())));
    }
    if let Some(bytes) = &when.bytes {
        parts.push(format!("bytes {}", show_matcher(bytes.get_ref())));
    }
    if when.decode_error.is_some() {
        parts.push("a decode error".to_owned());
    }
    if parts.is_empty() {
        return "any frame".to_owned();
    }
    parts.join(" · ")
}

fn show_matcher(value: &Value) -> String {
    match value {
        Value::Object(operations) => operations
            .iter()
            .map(|(operation, operand)| format!("{operation} {operand}"))
            .collect::<Vec<_>>()
            .join(", "),
        plain => format!("= {plain}"),
    }
}

/// An action in a few words: `reply json {…}`, `echo`, `wait 100 ms`.
fn describe_action(spec: &ActionSpec) -> String {
    if let Some(reply) = &spec.reply {
        return describe_reply(reply);
    }
    if let Some(wait) = spec.wait {
        return format!("wait {} ms", wait.0.as_millis());
    }
    [
        ("echo", spec.echo.is_some()),
        ("close", spec.close.is_some()),
        ("reset", spec.reset.is_some()),
        ("drop", spec.drop.is_some()),
    ]
    .into_iter()
    .find_map(|(name, present)| present.then(|| name.to_owned()))
    .unwrap_or_default()
}

fn describe_reply(reply: &SendSpec) -> String {
    let mut text = if let Some(json) = &reply.json {
        format!("reply json {}", json.get_ref())
    } else if let Some(body) = &reply.text {
        format!("reply text {:?}", body.get_ref())
    } else if let Some(hex) = &reply.hex {
        format!("reply hex {}", hex.get_ref())
    } else if let Some(file) = &reply.file {
        format!("reply file {}", file.get_ref())
    } else if !reply.field.is_empty() {
        let fields: Vec<String> = reply
            .field
            .iter()
            .map(|(name, value)| format!("{name} = {}", value.get_ref()))
            .collect();
        format!("reply fields {}", fields.join(", "))
    } else {
        "reply (no content)".to_owned()
    };
    for (key, value) in &reply.header {
        text.push_str(&format!(", {key} = {}", value.get_ref()));
    }
    if !reply.omit.is_empty() {
        text.push_str(&format!(", without {}", reply.omit.join(" and ")));
    }
    if let Some(proto) = reply.proto_header {
        text.push_str(&format!(", proto-header {proto}"));
    }
    if let Some(len) = reply.truncate {
        text.push_str(&format!(", cut to {len} bytes"));
    }
    text
}
