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

use crate::engine::protocol::frame::{FrameBuilder, PROTO_HEADER_LEN, header_end};

use crate::engine::protocol::template::{Expansion, Template};
use crate::engine::record::journal::RecordView;
use crate::engine::record::vocabulary::{Direction, RecordKind};
use crate::engine::render::hexdump::to_hex;
use crate::engine::script::send::{ContentPlan, JsonTemplate};

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
            (Direction::Sent, RecordKind::Frame) => send_frame(&record.bytes),
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
    let header_end = header_end(bytes)?;
    let header: Map<String, Value> =
        serde_json::from_slice(bytes.get(PROTO_HEADER_LEN..header_end)?).ok()?;
    let declared = header.get("content-length").and_then(Value::as_u64);
    let content = bytes.slice(header_end..);
    (declared == Some(content.len() as u64)).then_some((header, content))
}

/// A `send` that builds this frame again, byte for byte: the content as a
/// TOML table when it is JSON that one writes back the same (as
/// `examples/tutorial.toml` does), as JSON text or text when it is text,
/// else as hex; then the header fields the step would not write by itself
/// (the length is worked out again). None for bytes that are not a frame.
fn send_frame(bytes: &Bytes) -> Option<String> {
    let (header, content) = frame_parts(bytes)?;
    let (mut out, plan) = send_content(&content);
    // Recorded content has no variables: nothing here is expanded.
    let mut rng = fastrand::Rng::with_seed(0);
    let mut values = Expansion {
        conn: 1,
        seq: 1,
        content_len: content.len(),
        rng: &mut rng,
        named: &[],
    };
    let base = plan.frame(&mut values);
    let defaults = base.header();
    let changed: Vec<_> = header
        .iter()
        .filter(|(key, value)| *key != "content-length" && defaults.get(*key) != Some(value))
        .collect();
    let rebuilt = changed
        .iter()
        .fold(base, |builder, (key, value)| {
            builder.field(key, (*value).clone())
        })
        .build();
    // Fields left at their defaults are left out, unless that changes the
    // frame (a key order of the sender's own, say).
    let fields = if rebuilt.as_ref().ok() == Some(bytes) {
        changed
    } else {
        header
            .iter()
            .filter(|(key, _)| *key != "content-length")
            .collect()
    };
    for (key, value) in fields {
        let _ = writeln!(out, "send.header.{} = {}", key_text(key), toml_value(value));
    }
    Some(out)
}

/// The `send` line for `content`, and the content as the step it writes
/// reads it back (so the frame it starts from is the scenario's own).
fn send_content(content: &Bytes) -> (String, ContentPlan) {
    let Ok(text) = std::str::from_utf8(content) else {
        return (
            format!("send.hex = {}\n", quote(&to_hex(content))),
            ContentPlan::Binary(content.clone()),
        );
    };
    match serde_json::from_str::<Value>(text) {
        Ok(value) => match json_as_table(&value, content) {
            Some(table) => (
                format!("send.json = {table}\n"),
                ContentPlan::Json(JsonTemplate::Fixed(value)),
            ),
            None => (
                format!("send.json = {}\n", quote(text)),
                ContentPlan::JsonText(Template::literal(content)),
            ),
        },
        Err(_) => (
            format!("send.text = {}\n", quote(text)),
            ContentPlan::Text(Template::literal(content)),
        ),
    }
}

/// `value` as a TOML table or array that a scenario reads back as JSON
/// content equal to `content`; none when it would not be (JSON's null,
/// which TOML lacks, other spacing than Python's, a string that reads as
/// a variable).
fn json_as_table(value: &Value, content: &[u8]) -> Option<String> {
    if !(value.is_object() || value.is_array()) || content.windows(2).any(|w| w == b"{{") {
        return None;
    }
    let table = toml_value(value);
    #[derive(serde::Deserialize)]
    struct Read {
        json: Value,
    }
    let read: Read = toml::from_str(&format!("json = {table}")).ok()?;
    (FrameBuilder::json(&read.json).content_bytes() == content).then_some(table)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::tutorial_app::CLIENT_BINARY_TYPE;

    fn frame(builder: FrameBuilder) -> Bytes {
        builder.build().unwrap()
    }

    #[test]
    fn json_content_is_written_as_a_table_and_default_header_fields_are_left_out() {
        let request = serde_json::json!({"action": "search", "value": "你好 🐰", "n": 7});
        let step = send_frame(&frame(FrameBuilder::json(&request))).unwrap();
        assert_eq!(
            step,
            "send.json = { action = \"search\", value = \"你好 🐰\", n = 7 }\n"
        );
    }

    #[test]
    fn header_fields_that_differ_from_the_defaults_are_kept() {
        let request = serde_json::json!({"action": "search"});
        let bytes = frame(
            FrameBuilder::json(&request)
                .field("content-encoding", "gbk")
                .field("request-id", 9),
        );
        let step = send_frame(&bytes).unwrap();
        assert!(
            step.starts_with("send.json = { action = \"search\" }\n"),
            "{step}"
        );
        assert!(
            step.contains("send.header.content-encoding = \"gbk\"\n"),
            "{step}"
        );
        assert!(step.contains("send.header.request-id = 9\n"), "{step}");
        assert!(!step.contains("byteorder"), "{step}");
        assert!(!step.contains("content-type"), "{step}");
    }

    #[test]
    fn json_that_a_table_would_change_stays_text() {
        // TOML has no null, and compact JSON is not how a table is written back.
        for text in [
            r#"{"a": null}"#,
            r#"{"a":1}"#,
            r#""just a string""#,
            r#"{"t": "{{seq}}"}"#,
        ] {
            let bytes = frame(FrameBuilder::new().content(Bytes::from(text)));
            let step = send_frame(&bytes).unwrap();
            assert_eq!(step, format!("send.json = {}\n", quote(text)), "{text}");
        }
    }

    #[test]
    fn text_and_binary_content_keep_their_own_steps() {
        let text = frame(
            FrameBuilder::new()
                .field("content-type", "text/plain")
                .content(Bytes::from_static(b"hello")),
        );
        assert_eq!(send_frame(&text).unwrap(), "send.text = \"hello\"\n");
        let binary = frame(FrameBuilder::binary(
            CLIENT_BINARY_TYPE,
            Bytes::from_static(b"\x00\xff"),
        ));
        assert_eq!(send_frame(&binary).unwrap(), "send.hex = \"00 ff\"\n");
    }
}
