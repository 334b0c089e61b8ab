//! The message being composed, as plain data: every header field, custom
//! fields, and the content as text, JSON, hex or a file. Turning a draft into
//! the exact bytes to send (with the engine's `FrameBuilder`) and saying what
//! is wrong with it lives here too, away from any widget, so it can be tested
//! on its own.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::i18n::{tr, tr_with};
use crate::engine::DEFAULT_MAX_CONTENT_LENGTH;
use crate::engine::describe::{self, value_text};
use crate::engine::hexdump::{parse_hex, to_hex};
use crate::engine::tutorial_app::{self, CLIENT_BINARY_TYPE, TEXT_JSON};
use crate::engine::{ContentLength, FrameBuilder};
use crate::engine::{REQUIRED_KEYS, header_end_within, header_value_from_text};

/// Content types offered in the picker (any other can be typed).
pub const CONTENT_TYPES: [&str; 3] = [
    TEXT_JSON,
    CLIENT_BINARY_TYPE,
    tutorial_app::SERVER_BINARY_TYPE,
];
/// Content encodings offered in the picker (any other can be typed).
pub static CONTENT_ENCODINGS: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        crate::engine::TEXT_ENCODINGS
            .iter()
            .copied()
            .chain(["binary"])
            .collect()
    });
/// The search the tutorial's client makes.
pub const SEARCH_VALUE: &str = "morpheus";
/// Content of the binary request preset.
pub const BINARY_PRESET: &[u8] = b"\x00\x01\x02\x03binary request\xfe\xff";

/// How the content is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentKind {
    /// UTF-8 text, sent as typed.
    Text,
    /// JSON text, validated, sent as typed.
    Json,
    /// Hex digits, whitespace allowed between bytes.
    Hex,
    /// The bytes of a file.
    File,
}

impl ContentKind {
    /// Every kind, for pickers.
    pub const ALL: [ContentKind; 4] = [
        ContentKind::Text,
        ContentKind::Json,
        ContentKind::Hex,
        ContentKind::File,
    ];

    /// The name shown on its button, in the window's language.
    pub fn label(self) -> String {
        tr(match self {
            ContentKind::Text => "composer-kind-text",
            ContentKind::Json => "composer-kind-json",
            ContentKind::Hex => "composer-kind-hex",
            ContentKind::File => "composer-kind-file",
        })
    }
}

/// A header field beyond the four required ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustomField {
    /// The key.
    pub key: String,
    /// The value: JSON if it parses as JSON, else a string.
    pub value: String,
}

/// Everything the composer remembers about the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    /// `"little"` or `"big"`.
    pub byteorder: String,
    /// The `content-type` field.
    pub content_type: String,
    /// The `content-encoding` field.
    pub content_encoding: String,
    /// Send `length_value` as `content-length` instead of the true length.
    pub override_length: bool,
    /// The overriding `content-length`: JSON if it parses, else a string.
    pub length_value: String,
    /// Further header fields, in order.
    pub custom: Vec<CustomField>,
    /// How the content is written.
    pub kind: ContentKind,
    /// The content for text, JSON and hex.
    pub text: String,
    /// The file whose bytes are the content, for [`ContentKind::File`].
    pub file: Option<std::path::PathBuf>,
    /// Send even when the message has problems.
    pub send_malformed: bool,
    /// Field values typed under a profile, by field name (empty: zero,
    /// or computed).
    pub fields: std::collections::BTreeMap<String, String>,
}

impl Default for Draft {
    fn default() -> Self {
        Self::search_request()
    }
}

/// A draft turned into bytes, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// The bytes to send, when they can be built at all.
    pub bytes: Option<Bytes>,
    /// The length of the content within `bytes`.
    pub content_len: usize,
    /// Mistakes that block Send unless "send malformed" is ticked.
    pub problems: Vec<String>,
    /// Deliberate oddities worth a reminder (an overridden length).
    pub notes: Vec<String>,
}

impl Message {
    /// Whether Send may go ahead (given an open connection).
    pub fn sendable(&self, send_malformed: bool) -> bool {
        self.bytes.is_some() && (self.problems.is_empty() || send_malformed)
    }
}

impl Draft {
    /// The tutorial's search request for "morpheus".
    pub fn search_request() -> Self {
        let mut draft = Self::from_builder(&tutorial_app::search_request(SEARCH_VALUE));
        draft.kind = ContentKind::Json;
        draft
    }

    /// The tutorial's binary request, its content as hex.
    pub fn binary_request() -> Self {
        let mut draft = Self::from_builder(&tutorial_app::binary_request(BINARY_PRESET));
        draft.kind = ContentKind::Hex;
        draft.text = to_hex(BINARY_PRESET);
        draft
    }

    /// A draft holding what `builder` would build (its content as text).
    fn from_builder(builder: &FrameBuilder) -> Self {
        let header = builder.header();
        let field = |key: &str| {
            header
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let built = builder.build().unwrap_or_default();
        let content = &built[header_end_within(&built)..];
        Self {
            byteorder: field("byteorder"),
            content_type: field("content-type"),
            content_encoding: field("content-encoding"),
            override_length: false,
            length_value: content.len().to_string(),
            custom: Vec::new(),
            kind: ContentKind::Text,
            text: String::from_utf8_lossy(content).into_owned(),
            file: None,
            send_malformed: false,
            fields: Default::default(),
        }
    }

    /// A draft holding the frame `bytes` (a held frame, say, to edit):
    /// its header fields, `content-length` overridden only when it is not
    /// the true length, further fields as custom fields in their order,
    /// and the content as JSON, text or hex, whichever shows it exactly.
    /// Values of the three string fields that are not strings are kept as
    /// their JSON text. Fails when the bytes hold no JSON header object.
    pub fn of_frame(bytes: &[u8]) -> Result<Self, String> {
        let header_text =
            describe::header_text(bytes).ok_or_else(|| tr("composer-frame-header-cut"))?;
        let header: serde_json::Map<String, Value> =
            serde_json::from_str(header_text).map_err(|error| {
                tr_with(
                    "composer-frame-header-not-json",
                    &[("error", error.to_string().into())],
                )
            })?;
        let content = describe::content(bytes);
        let field = |key: &str| header.get(key).map(value_text).unwrap_or_default();
        let content_type = field("content-type");
        let (kind, text) = content_as_text(content, content_type.contains("json"));
        let (override_length, length_value) = match header.get("content-length") {
            Some(value) if value.as_u64() == Some(content.len() as u64) => {
                (false, content.len().to_string())
            }
            Some(value) => (true, typed_text(value)),
            None => (true, String::new()),
        };
        let custom = header
            .iter()
            .filter(|(key, _)| !REQUIRED_KEYS.contains(&key.as_str()))
            .map(|(key, value)| CustomField {
                key: key.clone(),
                value: typed_text(value),
            })
            .collect();
        Ok(Self {
            byteorder: field("byteorder"),
            content_type,
            content_encoding: field("content-encoding"),
            override_length,
            length_value,
            custom,
            kind,
            text,
            file: None,
            send_malformed: false,
            fields: Default::default(),
        })
    }

    /// `self` with `bytes` as its content (a held raw chunk, say, to edit),
    /// as text when they are plain text, else as hex.
    pub fn with_raw_content(&self, bytes: &[u8]) -> Self {
        let (kind, text) = content_as_text(bytes, false);
        Self {
            kind,
            text,
            file: None,
            ..self.clone()
        }
    }

    /// The content bytes, or why there are none (bad hex, no file yet).
    /// `file` is the loaded file's bytes for [`ContentKind::File`].
    pub fn content(&self, file: Option<&Bytes>) -> Result<Bytes, String> {
        match self.kind {
            ContentKind::Text | ContentKind::Json => Ok(Bytes::from(self.text.clone())),
            ContentKind::Hex => parse_hex(&self.text)
                .map(Bytes::from)
                .map_err(|e| e.to_string()),
            ContentKind::File => file
                .cloned()
                .ok_or_else(|| tr("composer-choose-file-for-content")),
        }
    }

    /// The bytes to send: a whole frame, or in raw mode the content only.
    pub fn message(&self, file: Option<&Bytes>, raw: bool) -> Message {
        let mut message = Message::default();
        let content = match self.content(file) {
            Ok(content) => content,
            Err(problem) => {
                message.problems.push(problem);
                return message;
            }
        };
        message.content_len = content.len();
        if self.kind == ContentKind::Json
            && let Err(error) = serde_json::from_slice::<Value>(&content)
        {
            message.problems.push(tr_with(
                "composer-invalid-json",
                &[("error", error.to_string().into())],
            ));
        }
        if content.len() as u64 > DEFAULT_MAX_CONTENT_LENGTH {
            message.problems.push(tr_with(
                "composer-content-over-limit",
                &[
                    ("length", content.len().into()),
                    ("limit", (DEFAULT_MAX_CONTENT_LENGTH >> 20).into()),
                ],
            ));
        }
        if raw {
            message.bytes = Some(content);
            return message;
        }
        message.problems.extend(self.header_problems());
        if self.override_length {
            let value = header_value_from_text(&self.length_value);
            if value != content.len() {
                message.notes.push(tr_with(
                    "composer-length-overridden",
                    &[
                        ("value", value.to_string().into()),
                        ("length", content.len().into()),
                    ],
                ));
            }
        }
        // Text content is written in the encoding the header names; one
        // it cannot be written in is a problem, sent as UTF-8 only when
        // malformed frames are asked for.
        let builder = self.builder(content);
        let builder = match builder.clone().in_named_encoding() {
            Ok(encoded) => {
                message.content_len = encoded.content_bytes().len();
                encoded
            }
            Err(error) => {
                message.problems.push(error.to_string());
                builder
            }
        };
        match builder.build() {
            Ok(bytes) => message.bytes = Some(bytes),
            Err(error) => message.problems.push(error.to_string()),
        }
        message
    }

    /// The frame these fields describe around `content` (what
    /// [`Draft::message`] builds; a load run builds it again per frame to
    /// fill in payload variables).
    pub fn builder(&self, content: Bytes) -> FrameBuilder {
        let mut builder = FrameBuilder::new()
            .field("byteorder", self.byteorder.as_str())
            .field("content-type", self.content_type.as_str())
            .field("content-encoding", self.content_encoding.as_str())
            .content(content);
        for field in &self.custom {
            if !field.key.is_empty() && !REQUIRED_KEYS.contains(&field.key.as_str()) {
                builder = builder.field(&field.key, header_value_from_text(&field.value));
            }
        }
        if self.override_length {
            let value = header_value_from_text(&self.length_value);
            builder = builder.content_length(ContentLength::Override(value));
        }
        builder
    }

    /// Mistakes in the header fields.
    fn header_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.content_type.trim().is_empty() {
            problems.push(tr("composer-content-type-empty"));
        }
        if self.content_encoding.trim().is_empty() {
            problems.push(tr("composer-content-encoding-empty"));
        }
        for (index, field) in self.custom.iter().enumerate() {
            let key = field.key.as_str();
            if key.is_empty() {
                problems.push(tr_with(
                    "composer-custom-no-key",
                    &[("index", (index + 1).into())],
                ));
            } else if REQUIRED_KEYS.contains(&key) {
                problems.push(tr_with("composer-custom-required", &[("key", key.into())]));
            } else if self.custom[..index].iter().any(|f| f.key == key) {
                problems.push(tr_with("composer-custom-twice", &[("key", key.into())]));
            }
        }
        problems
    }
}

/// How content is best written to come back byte for byte: JSON when it
/// is meant to be (`json`) and parses, text when it is UTF-8 with no
/// control characters but line breaks and tabs, hex otherwise.
fn content_as_text(content: &[u8], json: bool) -> (ContentKind, String) {
    match std::str::from_utf8(content) {
        Ok(text)
            if !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t')) =>
        {
            let kind = if json && serde_json::from_str::<Value>(text).is_ok() {
                ContentKind::Json
            } else {
                ContentKind::Text
            };
            (kind, text.to_owned())
        }
        _ => (ContentKind::Hex, to_hex(content)),
    }
}

/// A header value as the composer's fields take it back (see
/// [`header_value_from_text`]): a string as itself unless it would read as
/// JSON (then quoted), anything else as JSON.
fn typed_text(value: &Value) -> String {
    match value {
        Value::String(text) if serde_json::from_str::<Value>(text).is_err() => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_preset_builds_the_tutorial_request() {
        let draft = Draft::search_request();
        assert_eq!(draft.text, r#"{"action": "search", "value": "morpheus"}"#);
        let message = draft.message(None, false);
        assert!(message.problems.is_empty(), "{:?}", message.problems);
        let expected = tutorial_app::search_request(SEARCH_VALUE).build().unwrap();
        assert_eq!(message.bytes.unwrap(), expected);
    }

    #[test]
    fn the_binary_preset_round_trips_through_hex() {
        let draft = Draft::binary_request();
        let expected = tutorial_app::binary_request(BINARY_PRESET).build().unwrap();
        assert_eq!(draft.message(None, false).bytes.unwrap(), expected);
        assert_eq!(&draft.message(None, true).bytes.unwrap()[..], BINARY_PRESET);
    }

    #[test]
    fn custom_fields_are_json_when_they_parse() {
        let mut draft = Draft::search_request();
        draft.custom = vec![
            CustomField {
                key: "n".into(),
                value: "42".into(),
            },
            CustomField {
                key: "who".into(),
                value: "neo".into(),
            },
        ];
        let bytes = draft.message(None, false).bytes.unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(r#""n": 42, "who": "neo"}"#), "{text}");
    }

    #[test]
    fn problems_block_and_notes_do_not() {
        let mut draft = Draft::search_request();
        draft.text = "{not json".into();
        let message = draft.message(None, false);
        assert!(message.problems[0].contains("not valid JSON"));
        assert!(!message.sendable(false));
        assert!(message.sendable(true));

        let mut draft = Draft::search_request();
        draft.override_length = true;
        draft.length_value = "-1".into();
        let message = draft.message(None, false);
        assert!(message.problems.is_empty());
        assert!(message.notes[0].contains("overridden to -1"));
        let text = String::from_utf8_lossy(message.bytes.as_ref().unwrap()).into_owned();
        assert!(text.contains(r#""content-length": -1"#));

        let mut draft = Draft::search_request();
        draft.custom.push(CustomField {
            key: "content-type".into(),
            value: "x".into(),
        });
        draft.custom.push(CustomField::default());
        assert_eq!(draft.message(None, false).problems.len(), 2);
    }

    #[test]
    fn hex_is_parsed_leniently_and_explained_when_wrong() {
        let mut draft = Draft::binary_request();
        draft.text = "0".into();
        assert!(draft.message(None, false).bytes.is_none());
    }

    #[test]
    fn file_content_needs_a_file() {
        let mut draft = Draft::search_request();
        draft.kind = ContentKind::File;
        assert!(draft.message(None, false).problems[0].contains("choose a file"));
        let file = Bytes::from_static(b"abc");
        assert_eq!(&draft.message(Some(&file), true).bytes.unwrap()[..], b"abc");
    }

    #[test]
    fn a_frame_loads_back_into_a_draft_that_builds_it_again() {
        for draft in [Draft::search_request(), Draft::binary_request()] {
            let bytes = draft.message(None, false).bytes.unwrap();
            let loaded = Draft::of_frame(&bytes).unwrap();
            assert_eq!(loaded.kind, draft.kind);
            assert!(!loaded.override_length);
            assert_eq!(loaded.message(None, false).bytes.unwrap(), bytes);
        }
    }

    #[test]
    fn odd_fields_and_lengths_survive_loading() {
        let bytes = FrameBuilder::new()
            .field("byteorder", "big")
            .field("n", 42)
            .field("quoted", "42")
            .field("who", "neo")
            .content(&b"line one\nline two"[..])
            .content_length(ContentLength::Override(Value::from("abc")))
            .build()
            .unwrap();
        let draft = Draft::of_frame(&bytes).unwrap();
        assert_eq!(draft.byteorder, "big");
        assert_eq!(draft.kind, ContentKind::Text);
        assert!(draft.override_length);
        assert_eq!(draft.length_value, "abc");
        let custom: Vec<_> = draft
            .custom
            .iter()
            .map(|f| (f.key.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(custom, [("n", "42"), ("quoted", "\"42\""), ("who", "neo")]);
        assert_eq!(draft.message(None, false).bytes.unwrap(), bytes);
        assert!(Draft::of_frame(b"\x00\x02{x").is_err());
    }

    #[test]
    fn raw_content_loads_as_text_or_hex() {
        let base = Draft::search_request();
        let text = base.with_raw_content(b"hello\n");
        assert_eq!(
            (text.kind, text.text.as_str()),
            (ContentKind::Text, "hello\n")
        );
        let binary = base.with_raw_content(&[0, 1, 0xff]);
        assert_eq!(
            (binary.kind, binary.text.as_str()),
            (ContentKind::Hex, "00 01 ff")
        );
        assert_eq!(&binary.message(None, true).bytes.unwrap()[..], [0, 1, 0xff]);
    }
}
