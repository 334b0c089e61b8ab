//! Payload variables: `{{seq}}`, `{{conn}}`, `{{uuid}}`, `{{now}}`,
//! `{{now_us}}` and `{{random:A:B}}` in header values and text content,
//! expanded for every frame a load or a scenario sends; a scenario adds
//! named variables of its own (captured values, CSV columns, a repeat's
//! counter), resolved to slots when the template is parsed.
//!
//! A template is parsed once into literal pieces and variable slots, so
//! expanding it is a copy of each piece and a few formatted numbers; a
//! frame with no variables is built once and never expanded at all. Every
//! value a variable expands to is made of digits, letters, `-`, `:`, `.`
//! and `+`, so it needs no escaping inside a JSON string (a named variable
//! expands to whatever it holds).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// One variable of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// The frame's number on its connection, from 1.
    Seq,
    /// The connection's number, from 1.
    Conn,
    /// A random (version 4) UUID.
    Uuid,
    /// The time the frame is built, ISO 8601 in UTC with microseconds.
    Now,
    /// The time the frame is built, in microseconds since the Unix epoch.
    NowUs,
    /// A whole number from the first bound to the second, both included.
    Random(i64, i64),
    /// The frame's content length (used inside frame headers only).
    ContentLength,
    /// A named variable of the caller's: its index in [`Expansion::named`].
    Named(usize),
}

/// The names a person may write, for error messages.
pub const VARIABLE_NAMES: &str = "{{seq}}, {{conn}}, {{uuid}}, {{now}}, {{now_us}}, {{random:A:B}}";

/// Why a template cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` with no `}}` after it.
    #[error("\"{{{{\" at byte {0} is never closed with \"}}}}\"")]
    Unclosed(usize),
    /// A name that is not a variable.
    #[error("{{{{{0}}}}} is not a payload variable (there are {VARIABLE_NAMES})")]
    Unknown(String),
    /// `{{random:A:B}}` with bounds that are not whole numbers A ≤ B.
    #[error("{{{{{0}}}}}: write random:A:B with whole numbers A ≤ B")]
    BadRandom(String),
}

/// One part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Slot(Variable),
}

/// Bytes with variables in them, parsed once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// What a frame's variables expand to: the frame's place, and a random
/// number source of its connection's own.
#[derive(Debug)]
pub struct Expansion<'a> {
    /// The connection's number, from 1.
    pub conn: u32,
    /// The frame's number on its connection, from 1.
    pub seq: u64,
    /// The content's length, for the header's `content-length`.
    pub content_len: usize,
    /// The connection's random numbers.
    pub rng: &'a mut fastrand::Rng,
    /// The values of the named variables, by the index
    /// [`Template::parse_with_names`] gave them.
    pub named: &'a [String],
}

impl Template {
    /// Parses `bytes`, finding every `{{name}}`.
    pub fn parse(bytes: &[u8]) -> Result<Self, TemplateError> {
        Self::parse_with_names(bytes, &|_| None)
    }

    /// Parses `bytes` where, beside the payload variables, a name that
    /// `named` gives an index for is a named variable (expanded from
    /// [`Expansion::named`]); any other name is an error.
    pub fn parse_with_names(
        bytes: &[u8],
        named: &dyn Fn(&str) -> Option<usize>,
    ) -> Result<Self, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at..].starts_with(b"{{") {
                let close = find(&bytes[at + 2..], b"}}").ok_or(TemplateError::Unclosed(at))?;
                let name = String::from_utf8_lossy(&bytes[at + 2..at + 2 + close]);
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                let name = name.trim();
                let slot = match named(name) {
                    Some(index) => Variable::Named(index),
                    None => variable(name)?,
                };
                pieces.push(Piece::Slot(slot));
                at += close + 4;
            } else {
                literal.push(bytes[at]);
                at += 1;
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Self { pieces })
    }

    /// A template of these bytes alone, with no variables read in them.
    pub fn literal(bytes: &[u8]) -> Self {
        Self {
            pieces: vec![Piece::Literal(bytes.to_vec())],
        }
    }

    /// Whether any variable appears.
    pub fn has_variables(&self) -> bool {
        self.pieces.iter().any(|p| matches!(p, Piece::Slot(_)))
    }

    /// The template with every `"{{marker}}"` (quotes included) replaced by
    /// `variable`: how a frame's header gets its content-length slot.
    pub(in crate::engine) fn with_quoted_marker(
        bytes: &[u8],
        marker: &str,
        variable: Variable,
    ) -> Result<Self, TemplateError> {
        let quoted = format!("\"{marker}\"");
        let mut pieces = Vec::new();
        let mut rest = bytes;
        while let Some(at) = find(rest, quoted.as_bytes()) {
            pieces.extend(Self::parse(&rest[..at])?.pieces);
            pieces.push(Piece::Slot(variable));
            rest = &rest[at + quoted.len()..];
        }
        pieces.extend(Self::parse(rest)?.pieces);
        Ok(Self { pieces })
    }

    /// Appends the expansion to `out`.
    pub fn expand_into(&self, out: &mut Vec<u8>, values: &mut Expansion<'_>) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.extend_from_slice(bytes),
                Piece::Slot(variable) => expand_variable(*variable, out, values),
            }
        }
    }
}

/// Writes one variable's value.
fn expand_variable(variable: Variable, out: &mut Vec<u8>, values: &mut Expansion<'_>) {
    let mut text = itoa::Buffer::new();
    match variable {
        Variable::Named(index) => {
            if let Some(value) = values.named.get(index) {
                out.extend_from_slice(value.as_bytes());
            }
        }
        Variable::Seq => out.extend_from_slice(text.format(values.seq).as_bytes()),
        Variable::Conn => out.extend_from_slice(text.format(values.conn).as_bytes()),
        Variable::ContentLength => {
            out.extend_from_slice(text.format(values.content_len).as_bytes())
        }
        Variable::Random(low, high) => {
            out.extend_from_slice(text.format(values.rng.i64(low..=high)).as_bytes())
        }
        Variable::NowUs => out.extend_from_slice(text.format(now_us()).as_bytes()),
        Variable::Now => {
            let mut stamp = String::with_capacity(27);
            let now = chrono::DateTime::from_timestamp_micros(now_us() as i64).unwrap_or_default();
            let _ = write!(stamp, "{}", now.format("%Y-%m-%dT%H:%M:%S%.6fZ"));
            out.extend_from_slice(stamp.as_bytes());
        }
        Variable::Uuid => {
            let uuid =
                uuid::Builder::from_random_bytes(values.rng.u128(..).to_le_bytes()).into_uuid();
            out.extend_from_slice(
                uuid.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    .as_bytes(),
            );
        }
    }
}

/// Microseconds since the Unix epoch.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The variable a name stands for.
fn variable(name: &str) -> Result<Variable, TemplateError> {
    Ok(match name {
        "seq" => Variable::Seq,
        "conn" => Variable::Conn,
        "uuid" => Variable::Uuid,
        "now" => Variable::Now,
        "now_us" => Variable::NowUs,
        _ => match name.strip_prefix("random:") {
            Some(bounds) => {
                let bad = || TemplateError::BadRandom(name.to_owned());
                let (low, high) = bounds.split_once(':').ok_or_else(bad)?;
                let low: i64 = low.trim().parse().map_err(|_| bad())?;
                let high: i64 = high.trim().parse().map_err(|_| bad())?;
                if low > high {
                    return Err(bad());
                }
                Variable::Random(low, high)
            }
            None => return Err(TemplateError::Unknown(name.to_owned())),
        },
    })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(template: &str, conn: u32, seq: u64) -> String {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut out = Vec::new();
        Template::parse(template.as_bytes()).unwrap().expand_into(
            &mut out,
            &mut Expansion {
                conn,
                seq,
                content_len: 0,
                rng: &mut rng,
                named: &[],
            },
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn seq_and_conn_are_the_frame_and_connection_numbers() {
        assert_eq!(expand("c{{conn}}-f{{seq}}", 3, 17), "c3-f17");
        assert_eq!(expand("{{ seq }}{{seq}}", 1, 2), "22");
        assert_eq!(expand("no variables", 1, 1), "no variables");
    }

    #[test]
    fn random_stays_within_its_bounds_and_uuid_is_a_v4_uuid() {
        for seq in 0..200 {
            let n: i64 = expand("{{random:-3:5}}", 1, seq).parse().unwrap();
            assert!((-3..=5).contains(&n), "{n}");
        }
        let uuid = uuid::Uuid::parse_str(&expand("{{uuid}}", 1, 1)).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert_ne!(
            expand("{{uuid}}{{uuid}}", 1, 1)[..36],
            expand("{{uuid}}{{uuid}}", 1, 1)[36..]
        );
    }

    #[test]
    fn now_is_iso_8601_in_utc_and_now_us_is_close_to_it() {
        let now = expand("{{now}}", 1, 1);
        let parsed = chrono::DateTime::parse_from_rfc3339(&now).expect(&now);
        let now_us: i64 = expand("{{now_us}}", 1, 1).parse().unwrap();
        assert!((now_us - parsed.timestamp_micros()).abs() < 5_000_000);
        assert!(now.ends_with('Z'));
    }

    #[test]
    fn mistakes_are_named() {
        let error = |t: &str| Template::parse(t.as_bytes()).unwrap_err().to_string();
        assert!(error("a {{seq").contains("never closed"));
        assert!(error("{{sequence}}").contains("{{sequence}} is not a payload variable"));
        assert!(error("{{random:5:1}}").contains("A ≤ B"));
        assert!(error("{{random:x:1}}").contains("random:A:B"));
    }

    #[test]
    fn a_quoted_marker_becomes_a_slot() {
        let t = Template::with_quoted_marker(
            br#"{"content-length": "@len@", "id": "{{seq}}"}"#,
            "@len@",
            Variable::ContentLength,
        )
        .unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        let mut out = Vec::new();
        t.expand_into(
            &mut out,
            &mut Expansion {
                conn: 1,
                seq: 9,
                content_len: 42,
                rng: &mut rng,
                named: &[],
            },
        );
        assert_eq!(out, br#"{"content-length": 42, "id": "9"}"#);
    }
}
