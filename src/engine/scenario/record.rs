//! Record: a scenario written from traffic that already crossed the wire.
//! Each frame a client connection sent becomes a `send` step (its header
//! fields and its content, byte for byte), each frame it received an
//! `expect` step (every header field and the whole content equal), in the
//! order they were recorded; each connection opens with a `connect` step.
//! The result is TOML text to edit and save, which compiles as it is.

use std::collections::HashMap;
use std::fmt::Write;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::engine::frame::PROTO_HEADER_LEN;
use crate::engine::hexdump::to_hex;
use crate::engine::journal::RecordView;
use crate::engine::vocabulary::{Direction, RecordKind};

/// What a recording made of the records it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The scenario file's text.
    pub text: String,
    /// `send` steps written.
    pub sends: usize,
    /// `expect` steps written.
    pub expects: usize,
}

/// Writes a scenario named `name` from `records` (one side's, in journal
/// order); `target` becomes the file's target.
pub fn scenario_from_records(
    records: impl IntoIterator<Item = RecordView>,
    name: &str,
    target: Option<&str>,
) -> Recorded {
    let mut out = String::from(
        "# Recorded by framescope: each frame sent is a send step, each reply\n# an expect step. Edit, then save and run.\n\n",
    );
    if let Some(target) = target {
        let _ = writeln!(out, "target = {}\n", quote(target));
    }
    let _ = writeln!(out, "[[scenario]]\nname = {}", quote(name));
    let mut numbers: HashMap<u32, usize> = HashMap::new();
    let (mut sends, mut expects) = (0, 0);
    let mut steps = Vec::new();
    let mut notes = String::new();
    for record in records {
        let opened = numbers.len();
        let number = *numbers.entry(record.conn).or_insert(opened + 1);
        if number > opened {
            let raw = record.kind == RecordKind::Chunk;
            steps.push((None, connect_step(raw)));
        }
        let step = match (record.direction, record.kind) {
            (Direction::Sent, RecordKind::Frame) => frame_parts(&record.bytes).map(send_frame),
            (Direction::Sent, RecordKind::Chunk) => {
                Some(format!("send.hex = {}\n", quote(&to_hex(&record.bytes))))
            }
            (Direction::Received, RecordKind::Frame) => {
                frame_parts(&record.bytes).map(expect_frame)
            }
            (Direction::Received, RecordKind::Chunk) => Some(format!(
                "expect.bytes = {}\n",
                quote(&to_hex(&record.bytes))
            )),
            // A TLS handshake is the connection's, not a step.
            (_, RecordKind::Handshake | RecordKind::Note) => None,
            (_, RecordKind::Error) => {
                let why = record
                    .error
                    .as_ref()
                    .map_or_else(|| "no detail".to_owned(), ToString::to_string);
                let _ = writeln!(
                    notes,
                    "# Left out: a frame on connection {number} that could not be decoded ({why})."
                );
                None
            }
        };
        let Some(step) = step else { continue };
        match record.direction {
            Direction::Sent => sends += 1,
            Direction::Received => expects += 1,
        }
        steps.push((Some(number), step));
    }
    out.push_str(&notes);
    let several = numbers.len() > 1;
    let mut connects = 0;
    for (number, step) in steps {
        out.push_str("\n[[scenario.step]]\n");
        match number {
            Some(number) if several => {
                let _ = writeln!(out, "conn = {number}");
            }
            None => connects += 1,
            _ => {}
        }
        out.push_str(&step);
    }
    if connects == 0 {
        out.push_str("\n# Nothing was sent or received since Record was pressed.\n[[scenario.step]]\nconnect = {}\n");
    }
    Recorded {
        text: out,
        sends,
        expects,
    }
}

fn connect_step(raw: bool) -> String {
    if raw {
        "connect = { raw = true }\n".to_owned()
    } else {
        "connect = {}\n".to_owned()
    }
}

/// A whole frame's header (as an object) and content; none for bytes
/// that are not one (a record captured headers only, say).
fn frame_parts(bytes: &Bytes) -> Option<(Map<String, Value>, Bytes)> {
    let len = usize::from(u16::from_be_bytes(
        bytes.get(..PROTO_HEADER_LEN)?.try_into().ok()?,
    ));
    let header_end = PROTO_HEADER_LEN + len;
    let header: Map<String, Value> =
        serde_json::from_slice(bytes.get(PROTO_HEADER_LEN..header_end)?).ok()?;
    let declared = header.get("content-length").and_then(Value::as_u64);
    let content = bytes.slice(header_end..);
    (declared == Some(content.len() as u64)).then_some((header, content))
}

/// A `send` of this header and content: the content as JSON text when it
/// is JSON, as text when it is text, else as hex; the header fields on
/// top (the length is worked out again).
fn send_frame((header, content): (Map<String, Value>, Bytes)) -> String {
    let mut out = String::new();
    match std::str::from_utf8(&content) {
        Ok(text) if serde_json::from_str::<Value>(text).is_ok() => {
            let _ = writeln!(out, "send.json = {}", quote(text));
        }
        Ok(text) => {
            let _ = writeln!(out, "send.text = {}", quote(text));
        }
        Err(_) => {
            let _ = writeln!(out, "send.hex = {}", quote(&to_hex(&content)));
        }
    }
    for (key, value) in &header {
        if key != "content-length" {
            let _ = writeln!(out, "send.header.{} = {}", key_text(key), toml_value(value));
        }
    }
    out
}

/// An `expect` of a frame equal to this one: every header field, and the
/// content as text or as hex.
fn expect_frame((header, content): (Map<String, Value>, Bytes)) -> String {
    let mut out = String::new();
    for (key, value) in &header {
        let _ = writeln!(
            out,
            "expect.header.{} = {}",
            key_text(key),
            toml_value(value)
        );
    }
    match std::str::from_utf8(&content) {
        Ok(text) => {
            let _ = writeln!(out, "expect.text = {}", quote(text));
        }
        Err(_) => {
            let _ = writeln!(out, "expect.bytes = {}", quote(&to_hex(&content)));
        }
    }
    out
}

/// A TOML string literal.
fn quote(text: &str) -> String {
    toml_value(&Value::String(text.to_owned()))
}

/// A key as TOML writes it: bare when it may be, quoted otherwise.
fn key_text(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { key.to_owned() } else { quote(key) }
}

/// A JSON value as a TOML value (null, which TOML lacks, as the text "null").
fn toml_value(value: &Value) -> String {
    match value {
        Value::Null => "\"null\"".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(text) => {
            let mut out = String::from("\"");
            for c in text.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c.is_control() => {
                        let _ = write!(out, "\\u{:04X}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{} = {}", key_text(k), toml_value(v)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    }
}
