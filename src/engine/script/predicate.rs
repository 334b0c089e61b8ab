//! What a frame should look like: predicates read from TOML, compiled once
//! (regular expressions built, JSON pointers and hex checked) and evaluated
//! against one observed frame, raw bytes or decode error.
//!
//! A scenario's `expect` step uses them, and so can anything else that
//! judges frames (a server's rules, say): [`FramePredicateSpec`] is the
//! TOML, [`FramePredicate`] the compiled form, and a failed
//! [`FramePredicate::evaluate`] is a [`Mismatch`] that shows what was
//! expected beside what came.
//!
//! A value matcher is a plain value (the value must equal it) or a table of
//! operations that must all hold: `equals`, `contains`, `matches` (a regular
//! expression), `starts-with` and `exists` (false: the value is missing).
//! A string operand of `equals`, `contains` or `starts-with` may hold the
//! caller's named variables (`{{token}}`), resolved at compile time to
//! slots and expanded from the values given to [`FramePredicate::evaluate`].

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::engine::net::read_error::ReadError;
use crate::engine::protocol::codec::FramePart;
use crate::engine::protocol::frame::Frame;
use crate::engine::protocol::profile::DecodedField;
use crate::engine::protocol::template::{Expansion, Template, TemplateError};
use crate::engine::render::hexdump::{parse_hex, to_hex};

/// A value matcher as written, with where it was written.
pub type MatcherSpec = Spanned<Value>;

/// A frame predicate as written in TOML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FramePredicateSpec {
    /// Header fields by key.
    #[serde(default)]
    pub header: BTreeMap<String, MatcherSpec>,
    /// Values inside the JSON content, by JSON pointer (`/result`).
    #[serde(default)]
    pub json: BTreeMap<String, MatcherSpec>,
    /// The content as UTF-8 text.
    pub text: Option<MatcherSpec>,
    /// The content's bytes (a raw connection: the bytes received), as hex.
    pub bytes: Option<MatcherSpec>,
    /// A frame that could not be decoded.
    pub decode_error: Option<Spanned<DecodeErrorSpec>>,
    /// Fields of a frame of a profile, by name (a bits sub-field by its
    /// own): a number, or the name an enum gives it.
    #[serde(default)]
    pub field: BTreeMap<String, MatcherSpec>,
}

/// A decode error as written: any of its part, its reason's kind and words
/// in its message.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DecodeErrorSpec {
    /// The part that failed.
    pub part: Option<FramePart>,
    /// The reason's kind, as in logs: `missing-key`, `not-json`, ...
    pub reason: Option<String>,
    /// Text the error's message contains.
    pub contains: Option<String>,
}

/// Why a predicate cannot be compiled; `span` is where, in the source.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{problem}")]
pub struct PredicateError {
    /// Byte range in the TOML source.
    pub span: std::ops::Range<usize>,
    /// What is wrong.
    pub problem: PredicateProblem,
}

/// What is wrong with a predicate.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PredicateProblem {
    /// A regular expression that does not compile.
    #[error("bad regular expression: {0}")]
    BadRegex(#[from] regex::Error),
    /// A JSON pointer that is not one.
    #[error("\"{0}\" is not a JSON pointer: write \"\" or /key/0/... (~0 for ~, ~1 for /)")]
    BadPointer(String),
    /// Hex that is not hex.
    #[error("bad hex: {0}")]
    BadHex(String),
    /// A matcher table with an operation that does not exist.
    #[error("unknown operation \"{0}\": use equals, contains, matches, starts-with or exists")]
    UnknownOperation(String),
    /// An operation given a value of the wrong kind.
    #[error("\"{operation}\" takes {wanted}")]
    WrongOperand {
        /// The operation.
        operation: String,
        /// What it takes.
        wanted: &'static str,
    },
    /// An empty matcher table.
    #[error("an empty table matches nothing: use equals, contains, matches, starts-with or exists")]
    Empty,
    /// A decode-error reason that does not exist.
    #[error("unknown decode error reason \"{0}\" (there are {REASON_NAMES})")]
    UnknownReason(String),
    /// An operand with a malformed or unknown variable.
    #[error("{0}")]
    Template(#[from] TemplateError),
    /// `decode-error` beside predicates on a frame's parts.
    #[error("decode-error cannot be combined with header, json, text or bytes")]
    DecodeErrorAndFrame,
}

/// The kinds of decode error a predicate can name.
pub const REASON_NAMES: &str = "empty-header, not-utf8, not-json, not-object, missing-key, \
wrong-type, content-too-long, truncated, timeout, io, over-connection-cap";

/// One operation on a value.
#[derive(Debug, Clone)]
enum Operation {
    Equals(Operand),
    Contains(Operand),
    Matches(Regex),
    StartsWith(Operand),
    Exists(bool),
}

/// An operation's value: fixed, or a string with variables.
#[derive(Debug, Clone)]
enum Operand {
    Fixed(Value),
    Template(Template),
}

/// Names a predicate may use as variables: a name's index, or `None`.
pub type VariableNames<'a> = &'a dyn Fn(&str) -> Option<usize>;

impl Operand {
    fn compile(value: &Value, names: VariableNames<'_>) -> Result<Self, PredicateProblem> {
        match value {
            Value::String(text) if text.contains("{{") => {
                let template = Template::parse_with_names(text.as_bytes(), names)?;
                Ok(Self::Template(template))
            }
            other => Ok(Self::Fixed(other.clone())),
        }
    }

    fn resolve(&self, variables: &[String]) -> Value {
        match self {
            Self::Fixed(value) => value.clone(),
            Self::Template(template) => {
                let mut rng = fastrand::Rng::with_seed(0);
                let mut out = Vec::new();
                template.expand_into(
                    &mut out,
                    &mut Expansion {
                        conn: 0,
                        seq: 0,
                        content_len: 0,
                        rng: &mut rng,
                        named: variables,
                    },
                );
                Value::from(String::from_utf8_lossy(&out).into_owned())
            }
        }
    }
}

/// A compiled value matcher: every operation must hold.
#[derive(Debug, Clone)]
pub struct ValueMatcher {
    operations: Vec<Operation>,
}

/// A compiled bytes matcher.
#[derive(Debug, Clone)]
enum BytesOperation {
    Equals(Vec<u8>),
    StartsWith(Vec<u8>),
}

/// A compiled decode error matcher.
#[derive(Debug, Clone)]
struct DecodeErrorMatcher {
    part: Option<FramePart>,
    reason: Option<String>,
    contains: Option<String>,
}

/// A compiled frame predicate.
#[derive(Debug, Clone, Default)]
pub struct FramePredicate {
    field: Vec<(String, ValueMatcher)>,
    header: Vec<(String, ValueMatcher)>,
    json: Vec<(String, ValueMatcher)>,
    text: Option<ValueMatcher>,
    bytes: Vec<BytesOperation>,
    decode_error: Option<DecodeErrorMatcher>,
}

/// What arrived, for a predicate to judge.
#[derive(Debug, Clone, Copy)]
pub enum Observed<'a> {
    /// A whole frame.
    Frame(&'a Frame),
    /// Bytes received on a raw connection.
    Raw(&'a [u8]),
    /// A frame that could not be decoded.
    ReadError(&'a ReadError),
    /// A whole frame of a profile, and its fields.
    Fields {
        /// The frame's bytes.
        bytes: &'a [u8],
        /// Its fields, decoded by its profile.
        fields: &'a [DecodedField],
    },
}

/// A predicate that did not hold: what it wanted beside what it found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// What was expected.
    pub expected: String,
    /// What was found instead.
    pub actual: String,
}

impl Mismatch {
    /// A mismatch from two descriptions.
    pub fn new(expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Self {
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

impl FramePredicateSpec {
    /// Whether nothing at all is asked (any frame will do).
    pub fn is_empty(&self) -> bool {
        self.header.is_empty()
            && self.field.is_empty()
            && self.json.is_empty()
            && self.text.is_none()
            && self.bytes.is_none()
            && self.decode_error.is_none()
    }

    /// Compiles the predicate: every regex built, pointer and hex checked,
    /// variables in operands resolved through `names`.
    pub fn compile(&self, names: VariableNames<'_>) -> Result<FramePredicate, PredicateError> {
        let mut header = Vec::new();
        for (key, spec) in &self.header {
            header.push((key.clone(), ValueMatcher::compile(spec, names)?));
        }
        let mut field = Vec::new();
        for (name, spec) in &self.field {
            field.push((name.clone(), ValueMatcher::compile(spec, names)?));
        }
        let mut json = Vec::new();
        for (pointer, spec) in &self.json {
            check_pointer(pointer).map_err(|problem| PredicateError {
                span: spec.span(),
                problem,
            })?;
            json.push((pointer.clone(), ValueMatcher::compile(spec, names)?));
        }
        let text = self
            .text
            .as_ref()
            .map(|spec| ValueMatcher::compile(spec, names))
            .transpose()?;
        let bytes = match &self.bytes {
            Some(spec) => compile_bytes(spec)?,
            None => Vec::new(),
        };
        let decode_error = match &self.decode_error {
            Some(spec) => {
                if !(header.is_empty()
                    && field.is_empty()
                    && json.is_empty()
                    && text.is_none()
                    && bytes.is_empty())
                {
                    return Err(PredicateError {
                        span: spec.span(),
                        problem: PredicateProblem::DecodeErrorAndFrame,
                    });
                }
                Some(DecodeErrorMatcher::compile(spec)?)
            }
            None => None,
        };
        Ok(FramePredicate {
            field,
            header,
            json,
            text,
            bytes,
            decode_error,
        })
    }
}

impl FramePredicate {
    /// Whether a decode error is what this predicate wants.
    pub fn wants_decode_error(&self) -> bool {
        self.decode_error.is_some()
    }

    /// Judges one observation: `Ok` when every part holds, else the first
    /// part that does not. `variables` are the values of the names the
    /// predicate was compiled with.
    pub fn evaluate(&self, observed: Observed<'_>, variables: &[String]) -> Result<(), Mismatch> {
        match (observed, &self.decode_error) {
            (Observed::ReadError(error), Some(matcher)) => matcher.evaluate(error),
            (Observed::ReadError(error), None) => Err(Mismatch::new(
                "a frame",
                format!("a decode error in the {}: {}", error.part, error.reason),
            )),
            (Observed::Frame(_) | Observed::Raw(_) | Observed::Fields { .. }, Some(matcher)) => {
                Err(Mismatch::new(
                    matcher.describe(),
                    "a well-formed frame (no decode error)",
                ))
            }
            (Observed::Fields { .. }, None) if self.needs_frames() => Err(Mismatch::new(
                "a frame with a JSON header",
                "a frame of a profile (use field.NAME)",
            )),
            (Observed::Fields { bytes, fields }, None) => {
                self.evaluate_fields(fields, variables)?;
                self.evaluate_content(bytes, "the frame", variables)
            }
            (Observed::Frame(_) | Observed::Raw(_), None) if !self.field.is_empty() => {
                Err(Mismatch::new(
                    "a frame of a profile, with fields",
                    "a frame with no profile (set one to match field.NAME)",
                ))
            }
            (Observed::Frame(frame), None) => self.evaluate_frame(frame, variables),
            (Observed::Raw(bytes), None) if self.needs_frames() => Err(Mismatch::new(
                "a frame with a header",
                format!("raw bytes (the connection is raw): {}", show_bytes(bytes)),
            )),
            (Observed::Raw(bytes), None) => {
                self.evaluate_content(bytes, "the bytes received", variables)
            }
        }
    }

    /// Each field matcher against the field of that name: its value, or
    /// the name its enum gives the value.
    fn evaluate_fields(
        &self,
        fields: &[DecodedField],
        variables: &[String],
    ) -> Result<(), Mismatch> {
        for (name, matcher) in &self.field {
            let what = format!("field {name}");
            let Some(found) = fields.iter().find(|f| f.name == *name) else {
                matcher.evaluate(&what, None, variables)?;
                continue;
            };
            let value = found.value.to_json();
            let by_value = matcher.evaluate(&what, Some(&value), variables);
            match (&found.label, by_value) {
                (Some(label), Err(mismatch)) => {
                    let label = Value::from(label.as_str());
                    matcher
                        .evaluate(&what, Some(&label), variables)
                        .map_err(|_| mismatch)?;
                }
                (_, outcome) => outcome?,
            }
        }
        Ok(())
    }

    fn evaluate_frame(&self, frame: &Frame, variables: &[String]) -> Result<(), Mismatch> {
        let header = frame.header();
        for (key, matcher) in &self.header {
            matcher.evaluate(&format!("header \"{key}\""), header.get(key), variables)?;
        }
        let content = frame.content();
        if !self.json.is_empty() {
            let document: Value = serde_json::from_slice(&content).map_err(|error| {
                Mismatch::new(
                    "JSON content",
                    format!(
                        "content that is not JSON ({error}): {}",
                        show_bytes(&content)
                    ),
                )
            })?;
            for (pointer, matcher) in &self.json {
                matcher.evaluate(
                    &format!("json \"{pointer}\""),
                    document.pointer(pointer),
                    variables,
                )?;
            }
        }
        self.evaluate_content(&content, "content", variables)
    }

    /// The names of the fields it asks about.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.field.iter().map(|(name, _)| name.as_str())
    }

    fn evaluate_content(
        &self,
        content: &[u8],
        what: &str,
        variables: &[String],
    ) -> Result<(), Mismatch> {
        if let Some(matcher) = &self.text {
            let text = Value::from(String::from_utf8_lossy(content).into_owned());
            matcher.evaluate(&format!("{what} as text"), Some(&text), variables)?;
        }
        for operation in &self.bytes {
            let (holds, expected) = match operation {
                BytesOperation::Equals(want) => (content == want.as_slice(), "equal to"),
                BytesOperation::StartsWith(want) => (content.starts_with(want), "starting with"),
            };
            if !holds {
                let want = match operation {
                    BytesOperation::Equals(want) | BytesOperation::StartsWith(want) => want,
                };
                return Err(Mismatch::new(
                    format!("{what} {expected} {}", hex(want)),
                    format!("{what}: {}", hex(content)),
                ));
            }
        }
        Ok(())
    }

    /// Whether this predicate asks about a frame's header or JSON content,
    /// which raw bytes do not have.
    pub fn needs_frames(&self) -> bool {
        !self.header.is_empty() || !self.json.is_empty()
    }
}

impl ValueMatcher {
    /// Compiles a plain value (equals) or a table of operations.
    pub fn compile(spec: &MatcherSpec, names: VariableNames<'_>) -> Result<Self, PredicateError> {
        let fail = |problem| PredicateError {
            span: spec.span(),
            problem,
        };
        let table = match spec.get_ref() {
            Value::Object(table) => table,
            plain => {
                return Ok(Self {
                    operations: vec![Operation::Equals(
                        Operand::compile(plain, names).map_err(fail)?,
                    )],
                });
            }
        };
        if table.is_empty() {
            return Err(fail(PredicateProblem::Empty));
        }
        let mut operations = Vec::new();
        for (name, operand) in table {
            let text = || {
                operand
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| PredicateProblem::WrongOperand {
                        operation: name.clone(),
                        wanted: "a string",
                    })
            };
            let text_operand = || text().and_then(|t| Operand::compile(&Value::from(t), names));
            let operation = match name.as_str() {
                "equals" => Operation::Equals(Operand::compile(operand, names).map_err(fail)?),
                "contains" => Operation::Contains(text_operand().map_err(fail)?),
                "starts-with" => Operation::StartsWith(text_operand().map_err(fail)?),
                "matches" => Operation::Matches(
                    Regex::new(&text().map_err(fail)?)
                        .map_err(|error| fail(PredicateProblem::BadRegex(error)))?,
                ),
                "exists" => Operation::Exists(operand.as_bool().ok_or_else(|| {
                    fail(PredicateProblem::WrongOperand {
                        operation: name.clone(),
                        wanted: "true or false",
                    })
                })?),
                other => return Err(fail(PredicateProblem::UnknownOperation(other.to_owned()))),
            };
            operations.push(operation);
        }
        Ok(Self { operations })
    }

    /// Judges `value` (`None`: absent), called `what` in a mismatch;
    /// `variables` hold the values of the operands' variables.
    pub fn evaluate(
        &self,
        what: &str,
        value: Option<&Value>,
        variables: &[String],
    ) -> Result<(), Mismatch> {
        for operation in &self.operations {
            let holds = match (operation, value) {
                (Operation::Exists(wanted), found) => *wanted == found.is_some(),
                (_, None) => false,
                (Operation::Equals(want), Some(found)) => want.resolve(variables) == *found,
                (Operation::Contains(part), Some(found)) => {
                    as_text(found).contains(as_text(&part.resolve(variables)).as_str())
                }
                (Operation::StartsWith(part), Some(found)) => {
                    as_text(found).starts_with(as_text(&part.resolve(variables)).as_str())
                }
                (Operation::Matches(regex), Some(found)) => regex.is_match(&as_text(found)),
            };
            if !holds {
                let actual = match value {
                    Some(found) => format!("{what} is {}", show_value(found)),
                    None => format!("{what} is missing"),
                };
                return Err(Mismatch::new(
                    format!("{what} {}", describe(operation, variables)),
                    actual,
                ));
            }
        }
        Ok(())
    }
}

impl DecodeErrorMatcher {
    fn compile(spec: &Spanned<DecodeErrorSpec>) -> Result<Self, PredicateError> {
        let inner = spec.get_ref();
        if let Some(reason) = &inner.reason
            && !REASON_NAMES.split(", ").any(|name| name == reason)
        {
            return Err(PredicateError {
                span: spec.span(),
                problem: PredicateProblem::UnknownReason(reason.clone()),
            });
        }
        Ok(Self {
            part: inner.part,
            reason: inner.reason.clone(),
            contains: inner.contains.clone(),
        })
    }

    fn describe(&self) -> String {
        let mut text = "a decode error".to_owned();
        if let Some(part) = self.part {
            text.push_str(&format!(" in the {part}"));
        }
        if let Some(reason) = &self.reason {
            text.push_str(&format!(", reason {reason}"));
        }
        if let Some(words) = &self.contains {
            text.push_str(&format!(", saying \"{words}\""));
        }
        text
    }

    fn evaluate(&self, error: &ReadError) -> Result<(), Mismatch> {
        let kind = reason_kind(error);
        let message = error.reason.to_string();
        let holds = self.part.is_none_or(|part| part == error.part)
            && self.reason.as_ref().is_none_or(|reason| *reason == kind)
            && self
                .contains
                .as_ref()
                .is_none_or(|words| message.contains(words.as_str()));
        if holds {
            Ok(())
        } else {
            Err(Mismatch::new(
                self.describe(),
                format!(
                    "a decode error in the {}, reason {kind}: {message}",
                    error.part
                ),
            ))
        }
    }
}

/// The kind of a decode error's reason, as its JSON form names it.
pub fn reason_kind(error: &ReadError) -> String {
    serde_json::to_value(&error.reason)
        .ok()
        .and_then(|value| value.get("kind").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

fn compile_bytes(spec: &MatcherSpec) -> Result<Vec<BytesOperation>, PredicateError> {
    let fail = |problem| PredicateError {
        span: spec.span(),
        problem,
    };
    let parse = |value: &Value, operation: &str| -> Result<Vec<u8>, PredicateError> {
        let text = value.as_str().ok_or_else(|| {
            fail(PredicateProblem::WrongOperand {
                operation: operation.to_owned(),
                wanted: "hex text such as \"00 1a ff\"",
            })
        })?;
        parse_hex(text).map_err(|error| fail(PredicateProblem::BadHex(error.to_string())))
    };
    match spec.get_ref() {
        Value::Object(table) => {
            if table.is_empty() {
                return Err(fail(PredicateProblem::Empty));
            }
            table
                .iter()
                .map(|(name, operand)| match name.as_str() {
                    "equals" => Ok(BytesOperation::Equals(parse(operand, name)?)),
                    "starts-with" => Ok(BytesOperation::StartsWith(parse(operand, name)?)),
                    other => Err(fail(PredicateProblem::UnknownOperation(other.to_owned()))),
                })
                .collect()
        }
        plain => Ok(vec![BytesOperation::Equals(parse(plain, "bytes")?)]),
    }
}

/// Checks a JSON pointer's syntax (RFC 6901).
pub fn check_pointer(pointer: &str) -> Result<(), PredicateProblem> {
    let bad = || PredicateProblem::BadPointer(pointer.to_owned());
    if pointer.is_empty() {
        return Ok(());
    }
    if !pointer.starts_with('/') {
        return Err(bad());
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(bad());
        }
    }
    Ok(())
}

/// A value as a matcher reads it: a string's own text, else its JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn describe(operation: &Operation, variables: &[String]) -> String {
    match operation {
        Operation::Equals(value) => format!("equal to {}", show_value(&value.resolve(variables))),
        Operation::Contains(part) => format!("containing {}", show_value(&part.resolve(variables))),
        Operation::StartsWith(part) => {
            format!("starting with {}", show_value(&part.resolve(variables)))
        }
        Operation::Matches(regex) => format!("matching /{}/", regex.as_str()),
        Operation::Exists(true) => "present".to_owned(),
        Operation::Exists(false) => "missing".to_owned(),
    }
}

/// A value as JSON text, non-ASCII kept, shortened past 200 characters.
fn show_value(value: &Value) -> String {
    shorten(&value.to_string(), 200)
}

/// Bytes as text when they are printable UTF-8 (quoted with escapes when
/// they hold control characters), else as hex.
pub fn show_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok("") => "(none)".to_owned(),
        Ok(text) if !text.chars().any(char::is_control) => shorten(text, 400),
        Ok(text) => shorten(&format!("{text:?}"), 400),
        Err(_) => hex(bytes),
    }
}

/// Bytes as spaced hex, shortened past 64 bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut text = to_hex(&bytes[..bytes.len().min(64)]);
    if bytes.len() > 64 {
        text.push_str(&format!(" … ({} bytes)", bytes.len()));
    }
    if bytes.is_empty() {
        text.push_str("(none)");
    }
    text
}

fn shorten(text: &str, chars: usize) -> String {
    let mut short: String = text.chars().take(chars).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::codec::FrameCodec;
    use crate::engine::protocol::frame::FrameBuilder;
    use bytes::BytesMut;

    fn predicate(toml_text: &str) -> Result<FramePredicate, PredicateError> {
        toml::from_str::<FramePredicateSpec>(toml_text)
            .unwrap()
            .compile(&|_| None)
    }

    fn frame(builder: FrameBuilder) -> Frame {
        FrameCodec::new(1 << 20)
            .decode(&mut BytesMut::from(&builder.build().unwrap()[..]))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn header_json_and_text_matchers_judge_a_frame() {
        let reply = frame(
            FrameBuilder::json(&serde_json::json!({"result": "Follow the white rabbit. 🐰"}))
                .field("id", 7),
        );
        let pass = predicate(
            r#"
            header.content-type = "text/json"
            header.id = { equals = 7 }
            header.missing = { exists = false }
            json."/result" = { starts-with = "Follow", matches = "rabbit\\. .$" }
            text = { contains = "white" }
            "#,
        )
        .unwrap();
        assert_eq!(pass.evaluate(Observed::Frame(&reply), &[]), Ok(()));
        let fail = predicate(r#"json."/result" = "No match""#).unwrap();
        let mismatch = fail.evaluate(Observed::Frame(&reply), &[]).unwrap_err();
        assert_eq!(mismatch.expected, r#"json "/result" equal to "No match""#);
        assert_eq!(
            mismatch.actual,
            r#"json "/result" is "Follow the white rabbit. 🐰""#
        );
    }

    #[test]
    fn mistakes_are_found_when_compiling() {
        let problem = |text: &str| predicate(text).unwrap_err().problem.to_string();
        assert!(problem(r#"text = { matches = "(" }"#).contains("regular expression"));
        assert!(problem(r#"json."result" = 1"#).contains("not a JSON pointer"));
        assert!(problem(r#"json."/a~2" = 1"#).contains("not a JSON pointer"));
        assert!(problem(r#"bytes = "zz""#).contains("bad hex"));
        assert!(problem(r#"text = { like = "x" }"#).contains("unknown operation"));
        assert!(problem(r#"decode-error = { reason = "odd" }"#).contains("unknown decode"));
    }
}
