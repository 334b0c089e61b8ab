//! One frame of the JSON-header protocol, and a builder that makes frames,
//! well-formed or broken on purpose.
//!
//! A frame is a 2-byte big-endian proto-header giving the header's length, a
//! UTF-8 JSON object (the header), and `content-length` bytes of content.
//! [`Frame`] keeps the bytes exactly as they crossed the wire and parses the
//! header only when asked, so recording and echoing a frame costs no JSON
//! work beyond the validation the decoder already did.

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Map, Value};

use crate::engine::protocol::pyjson::to_python_json;
use crate::engine::protocol::text_encoding::{TextEncoding, Unencodable};

/// Length of the proto-header: a big-endian `u16`.
pub const PROTO_HEADER_LEN: usize = 2;
/// The largest header a proto-header can describe.
pub const MAX_HEADER_LEN: usize = u16::MAX as usize;
/// The header length that the proto-header at the start of `bytes`
/// declares; none while its two bytes have not all arrived. The one reader
/// of the proto-header: whatever needs to know where a header ends asks
/// here (or [`header_end`]).
#[inline]
pub fn declared_header_len(bytes: &[u8]) -> Option<usize> {
    let &[high, low] = bytes.first_chunk::<PROTO_HEADER_LEN>()?;
    Some(usize::from(u16::from_be_bytes([high, low])))
}

/// Where the header of the frame at the start of `bytes` ends (after its
/// proto-header and header), by its proto-header; none while the
/// proto-header has not all arrived. The header itself may still be
/// arriving.
#[inline]
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    declared_header_len(bytes).map(|len| PROTO_HEADER_LEN + len)
}

/// Where the headers (proto-header and header) of the frame at the start
/// of `bytes` end, at most where the bytes do; all of the bytes while the
/// proto-header has not all arrived.
#[inline]
pub fn header_end_within(bytes: &[u8]) -> usize {
    header_end(bytes).map_or(bytes.len(), |end| end.min(bytes.len()))
}

/// The keys every header must carry, in the order the tutorial writes them.
pub const REQUIRED_KEYS: [&str; 4] = [
    "byteorder",
    "content-type",
    "content-encoding",
    "content-length",
];

/// A JSON header: an object whose keys keep the order they arrived in.
pub type Header = Map<String, Value>;

/// A decoded, validated frame: the raw bytes plus where each part lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    raw: Bytes,
    header_len: usize,
}

impl Frame {
    /// Wraps bytes already known to hold one valid frame with a header of
    /// `header_len` bytes (the decoder's job).
    pub(crate) fn from_validated(raw: Bytes, header_len: usize) -> Self {
        Self { raw, header_len }
    }

    /// The whole frame exactly as it crossed the wire.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Length of the JSON header in bytes (the proto-header's value).
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The header's UTF-8 JSON text as received (empty for a frame of
    /// another profile: the header and content are the JSON header's).
    pub fn header_bytes(&self) -> &[u8] {
        self.raw
            .get(PROTO_HEADER_LEN..PROTO_HEADER_LEN + self.header_len)
            .unwrap_or_default()
    }

    /// The parsed header, keys in their original order.
    pub fn header(&self) -> Header {
        serde_json::from_slice(self.header_bytes()).unwrap_or_default()
    }

    /// Byte range of the content within [`Frame::raw`].
    pub fn content_range(&self) -> Range<usize> {
        (PROTO_HEADER_LEN + self.header_len).min(self.raw.len())..self.raw.len()
    }

    /// The content (a cheap slice of the raw bytes).
    pub fn content(&self) -> Bytes {
        self.raw.slice(self.content_range())
    }

    /// The header's `content-type`, if it is a string.
    pub fn content_type(&self) -> Option<String> {
        self.header()
            .get("content-type")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// What `content-length` a built frame declares.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ContentLength {
    /// The true length of the content (a well-formed frame).
    #[default]
    Computed,
    /// Any JSON value instead, to send a deliberately wrong frame.
    Override(Value),
    /// Leave the key out altogether.
    Omit,
}

/// Why a frame could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The serialised header does not fit a 2-byte proto-header.
    #[error("the header is {0} bytes; a proto-header can describe at most 65,535")]
    HeaderTooLong(usize),
}

/// Builds frames from header fields and content.
///
/// By default the result is a well-formed frame whose header lists
/// `byteorder`, `content-type`, `content-encoding` and `content-length` in
/// the tutorial's order, serialised as Python's `json.dumps` would. Every
/// part can also be made wrong on purpose, to play a broken peer.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameBuilder {
    fields: Header,
    content_length: ContentLength,
    content: Bytes,
    proto_header: Option<u16>,
    truncate_to: Option<usize>,
}

/// A frame's bytes, exactly as they crossed the wire.
impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.raw
    }
}

/// Why text content cannot be written in the encoding its header names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentEncodingError {
    /// The header names no encoding framescope knows.
    #[error(
        "content-encoding \"{0}\" is not a text encoding framescope knows (utf-8, gbk, gb18030, big5, shift_jis, euc-kr, utf-16le, utf-16be, windows-1252, latin-1, ascii, or another name Python accepts; binary for bytes)"
    )]
    Unknown(String),
    /// The text has a character the encoding cannot write.
    #[error("content: {0}")]
    Unencodable(#[from] Unencodable),
    /// The content given as text is not UTF-8 text.
    #[error("the content is not text to re-encode")]
    NotText,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameBuilder {
    /// A `text/json`, `utf-8` frame with this machine's byte order and no content.
    pub fn new() -> Self {
        let mut fields = Header::new();
        fields.insert("byteorder".into(), Value::from(native_byteorder()));
        fields.insert("content-type".into(), Value::from("text/json"));
        fields.insert("content-encoding".into(), Value::from("utf-8"));
        Self {
            fields,
            content_length: ContentLength::Computed,
            content: Bytes::new(),
            proto_header: None,
            truncate_to: None,
        }
    }

    /// A `text/json` request whose content is `value`, serialised like Python.
    pub fn json(value: &Value) -> Self {
        Self::new().content(to_python_json(value))
    }

    /// A binary frame of the given content type (`content-encoding: binary`).
    pub fn binary(content_type: &str, content: impl Into<Bytes>) -> Self {
        Self::new()
            .field("content-type", content_type)
            .field("content-encoding", "binary")
            .content(content)
    }

    /// Sets a header field (replacing it in place if present, else appending).
    /// Setting `content-length` here is the same as [`ContentLength::Override`].
    pub fn field(mut self, key: &str, value: impl Into<Value>) -> Self {
        if key == "content-length" {
            self.content_length = ContentLength::Override(value.into());
        } else {
            self.fields.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Removes a header field (a required one too, to build a broken frame).
    pub fn without_field(mut self, key: &str) -> Self {
        if key == "content-length" {
            self.content_length = ContentLength::Omit;
        } else {
            self.fields.shift_remove(key);
        }
        self
    }

    /// Sets the content.
    pub fn content(mut self, content: impl Into<Bytes>) -> Self {
        self.content = content.into();
        self
    }

    /// The builder with its text content, given as UTF-8 text, written in
    /// the encoding its header's `content-encoding` names (`gbk`,
    /// `utf-16le` ...), so the content-length counts those bytes. Binary
    /// content, and UTF-8, are left as they are.
    pub fn in_named_encoding(mut self) -> Result<Self, ContentEncodingError> {
        let Some(encoding) = self.named_text_encoding()? else {
            return Ok(self);
        };
        if encoding.is_utf8() {
            return Ok(self);
        }
        let text = std::str::from_utf8(&self.content)
            .map_err(|_| ContentEncodingError::NotText)?
            .to_owned();
        self.content = encoding.encode(&text)?.into();
        Ok(self)
    }

    /// The text encoding the header names for text content: `None` for
    /// binary content (a content-type not `text/…`, or a content-encoding
    /// of `binary`).
    fn named_text_encoding(&self) -> Result<Option<TextEncoding>, ContentEncodingError> {
        let text = self
            .fields
            .get("content-type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("text/"));
        let named = self.fields.get("content-encoding").and_then(Value::as_str);
        match named {
            Some(name) if text && name != "binary" => TextEncoding::named(name)
                .map(Some)
                .ok_or_else(|| ContentEncodingError::Unknown(name.to_owned())),
            _ => Ok(None),
        }
    }

    /// The content as set.
    pub fn content_bytes(&self) -> Bytes {
        self.content.clone()
    }

    /// Chooses what `content-length` the header declares.
    pub fn content_length(mut self, content_length: ContentLength) -> Self {
        self.content_length = content_length;
        self
    }

    /// Writes this value as the proto-header instead of the header's length.
    pub fn proto_header(mut self, value: u16) -> Self {
        self.proto_header = Some(value);
        self
    }

    /// Cuts the built frame to its first `len` bytes.
    pub fn truncate_to(mut self, len: usize) -> Self {
        self.truncate_to = Some(len);
        self
    }

    /// The header exactly as it will be serialised.
    pub fn header(&self) -> Header {
        let mut header = Header::with_capacity(self.fields.len() + 1);
        for (key, value) in &self.fields {
            header.insert(key.clone(), value.clone());
            if key == "content-encoding" {
                self.insert_content_length(&mut header);
            }
        }
        if !header.contains_key("content-length") {
            self.insert_content_length(&mut header);
        }
        header
    }

    fn insert_content_length(&self, header: &mut Header) {
        match &self.content_length {
            ContentLength::Computed => {
                header.insert("content-length".into(), Value::from(self.content.len()));
            }
            ContentLength::Override(value) => {
                header.insert("content-length".into(), value.clone());
            }
            ContentLength::Omit => {}
        }
    }

    /// Serialises the frame.
    pub fn build(&self) -> Result<Bytes, BuildError> {
        let header = to_python_json(&self.header());
        let proto_header = match self.proto_header {
            Some(value) => value,
            None => {
                u16::try_from(header.len()).map_err(|_| BuildError::HeaderTooLong(header.len()))?
            }
        };
        let mut out = BytesMut::with_capacity(PROTO_HEADER_LEN + header.len() + self.content.len());
        out.put_u16(proto_header);
        out.put_slice(&header);
        out.put_slice(&self.content);
        if let Some(len) = self.truncate_to {
            out.truncate(len);
        }
        Ok(out.freeze())
    }
}

/// This machine's byte order as Python's `sys.byteorder` names it.
pub fn native_byteorder() -> &'static str {
    if cfg!(target_endian = "big") {
        "big"
    } else {
        "little"
    }
}

/// A header value typed by a person: JSON if it reads as JSON (`7`, `true`,
/// `"x"`, `{..}`), otherwise the text as a string.
pub fn header_value_from_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_the_tutorial_request_byte_for_byte() {
        let frame = FrameBuilder::json(&json!({"action": "search", "value": "morpheus"}))
            .field("byteorder", "little")
            .build()
            .unwrap();
        let header = br#"{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 41}"#;
        assert_eq!(&frame[..2], &(header.len() as u16).to_be_bytes());
        assert_eq!(&frame[2..2 + header.len()], header);
        assert_eq!(
            &frame[2 + header.len()..],
            br#"{"action": "search", "value": "morpheus"}"#
        );
    }

    #[test]
    fn custom_fields_follow_the_required_ones_and_overrides_stay_in_place() {
        let builder = FrameBuilder::new()
            .field("request-id", 7)
            .field("content-type", "binary/x");
        let keys: Vec<_> = builder.header().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "byteorder",
                "content-type",
                "content-encoding",
                "content-length",
                "request-id"
            ]
        );
    }

    #[test]
    fn builds_broken_frames_on_purpose() {
        let omitted = FrameBuilder::new().without_field("content-length").header();
        assert!(!omitted.contains_key("content-length"));
        let wrong = FrameBuilder::new()
            .content("abc")
            .content_length(ContentLength::Override(json!(-1)));
        assert_eq!(wrong.header()["content-length"], json!(-1));
        let zero = FrameBuilder::new().proto_header(0).build().unwrap();
        assert_eq!(&zero[..2], &[0, 0]);
        let cut = FrameBuilder::new()
            .content("hello")
            .truncate_to(5)
            .build()
            .unwrap();
        assert_eq!(cut.len(), 5);
    }

    #[test]
    fn refuses_a_header_too_long_for_the_proto_header() {
        let long = FrameBuilder::new().field("pad", "x".repeat(70_000));
        assert!(matches!(long.build(), Err(BuildError::HeaderTooLong(_))));
    }
}
