//! A variable captured from a frame (`capture`): a header field, a JSON
//! pointer, the first bytes, or a regex group; as written and as it runs.

use regex::Regex;

use crate::engine::protocol::frame::Header;
use crate::engine::script::predicate::PredicateProblem;
use serde::Deserialize;
use serde_json::Value;

use crate::engine::script::predicate::{Mismatch, check_pointer, show_bytes};
use crate::engine::script::problem::FileProblem;

/// `capture`: where a variable's value comes from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CaptureSpec {
    /// A header field.
    pub header: Option<String>,
    /// A JSON pointer into the content.
    pub json: Option<String>,
    /// The content's first N bytes.
    pub first_bytes: Option<usize>,
    /// A regular expression on the content as text.
    pub regex: Option<String>,
    /// The regex's group: a number or a name (default: 1 if it has groups, else the whole match).
    pub group: Option<GroupSpec>,
}

/// A regex group, by number or name.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum GroupSpec {
    /// By number (0: the whole match).
    Number(usize),
    /// By name.
    Name(String),
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

/// Checks that `name` can name a variable: letters, digits, `_` and `-`,
/// not starting with a digit, and none of the payload variables' names.
pub(crate) fn check_variable_name(name: &str) -> Result<(), FileProblem> {
    let reserved = ["seq", "conn", "uuid", "now", "now_us", "random"];
    let well_formed = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !well_formed || reserved.contains(&name) {
        return Err(FileProblem::BadVariableName(name.to_owned()));
    }
    Ok(())
}

/// Compiles a capture's source: its regex built and group checked, its
/// JSON pointer checked.
pub(crate) fn compile_capture(spec: &CaptureSpec) -> Result<CaptureSource, FileProblem> {
    match (&spec.header, &spec.json, &spec.regex) {
        _ if spec.first_bytes.is_some() => match (&spec.header, &spec.json, &spec.regex) {
            (None, None, None) => Ok(CaptureSource::FirstBytes(spec.first_bytes.unwrap_or(0))),
            _ => Err(FileProblem::CaptureSource),
        },
        (Some(key), None, None) => Ok(CaptureSource::Header(key.clone())),
        (None, Some(pointer), None) => {
            check_pointer(pointer)?;
            Ok(CaptureSource::Json(pointer.clone()))
        }
        (None, None, Some(pattern)) => {
            let regex = Regex::new(pattern).map_err(PredicateProblem::BadRegex)?;
            let group = match &spec.group {
                Some(GroupSpec::Number(n)) if *n < regex.captures_len() => RegexGroup::Number(*n),
                Some(GroupSpec::Number(n)) => {
                    return Err(FileProblem::NoSuchGroup(n.to_string()));
                }
                Some(GroupSpec::Name(name)) if regex.capture_names().any(|n| n == Some(name)) => {
                    RegexGroup::Name(name.clone())
                }
                Some(GroupSpec::Name(name)) => {
                    return Err(FileProblem::NoSuchGroup(name.clone()));
                }
                None => RegexGroup::Number(usize::from(regex.captures_len() > 1)),
            };
            Ok(CaptureSource::Regex { regex, group })
        }
        _ => Err(FileProblem::CaptureSource),
    }
}
