//! The protocol as a `tokio_util` codec: frames in, frames out.
//!
//! Like mini-redis's `Frame::check`, decoding first asks whether a whole part
//! is buffered and only then looks at it; a short buffer is "read more", not
//! an error. The header is validated as soon as it is complete, so a frame
//! that announces too much content is rejected before any of it is buffered.
//! Every error names the part that failed and the stream offset where the
//! frame began.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio_util::codec::{Decoder, Encoder};

use crate::engine::protocol::flat_header;
use std::sync::Arc;

use crate::engine::protocol::frame::{
    Frame, MAX_HEADER_LEN, PROTO_HEADER_LEN, declared_header_len,
};
use crate::engine::protocol::profile::{FieldFault, FrontScan, Profile, ProfileCheck, Role};

/// The three parts of a frame, for error reports and highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FramePart {
    /// The 2-byte length prefix.
    ProtoHeader,
    /// The JSON header.
    Header,
    /// The content.
    Content,
    /// A frame of a profile other than the JSON header's (the field at
    /// fault is in the reason).
    Frame,
}

impl std::fmt::Display for FramePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FramePart::ProtoHeader => "proto-header",
            FramePart::Header => "header",
            FramePart::Content => "content",
            FramePart::Frame => "frame",
        })
    }
}

/// Why a frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DecodeReason {
    /// The proto-header is 0.
    #[error("proto-header is 0: the frame has no header")]
    EmptyHeader,
    /// The header bytes are not UTF-8.
    #[error("header is not valid UTF-8 (bad byte at header offset {valid_up_to})")]
    NotUtf8 {
        /// How many leading bytes were valid.
        valid_up_to: usize,
    },
    /// The header is not JSON at all.
    #[error("header is not valid JSON: {detail}")]
    NotJson {
        /// serde_json's description of the problem.
        detail: String,
    },
    /// The header is JSON, but not an object.
    #[error("header is a JSON {found}, not an object")]
    NotObject {
        /// What it is instead (array, string, ...).
        found: String,
    },
    /// A required key is absent.
    #[error("required key \"{key}\" is missing")]
    MissingKey {
        /// The missing key.
        key: String,
    },
    /// A required key has a value of the wrong type.
    #[error("\"{key}\" must be {expected}, found {found}")]
    WrongType {
        /// The key.
        key: String,
        /// What was expected.
        expected: String,
        /// The value found, as JSON text (shortened).
        found: String,
    },
    /// `content-length` is over the configured limit.
    #[error("content-length {length} is over the limit of {limit} bytes")]
    ContentTooLong {
        /// The announced length.
        length: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A frame that breaks its profile: the field at fault, where, why.
    #[error("{0}")]
    Field(FieldFault),
    /// The connection closed before the frame was complete.
    #[error("connection closed after {received} of {expected} bytes of the {part}")]
    Truncated {
        /// The part that was cut short.
        part: FramePart,
        /// Bytes of that part that did arrive.
        received: u64,
        /// Bytes that part should have had.
        expected: u64,
    },
}

/// A rejected frame: where it began, which part failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DecodeError {
    /// Offset in the connection's byte stream where the frame started.
    pub offset: u64,
    /// The part of the frame that failed.
    pub part: FramePart,
    /// The reason.
    pub reason: DecodeReason,
}

/// Where the frame began and which part failed, then why.
impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "frame at stream offset {}: {}: {}",
            self.offset, self.part, self.reason
        )
    }
}

impl std::error::Error for DecodeError {}

/// The most the decoder reserves ahead of the bytes that have arrived. A
/// frame's buffer grows with what its peer really sends, never with what its
/// header announces: a peer announcing a terabyte under a raised limit must
/// not make the process ask for a terabyte (the allocation fails and aborts
/// the whole process, every connection with it).
const MAX_RESERVE_AHEAD: usize = 64 * 1024;

/// The largest content a frame in memory can have: with its proto-header
/// and the longest header, the frame's length must still fit a `usize`.
/// Without this bound a limit of `u64::MAX` let a `content-length` near it
/// overflow the frame's length.
const MAX_ADDRESSABLE_CONTENT: u64 = (usize::MAX - PROTO_HEADER_LEN - MAX_HEADER_LEN) as u64;

/// What is known of the frame at the front of a stream: nothing yet, the
/// length of its header, or (its header checked) the lengths of its header
/// and content. A frame that takes several reads keeps this between them,
/// so its header is checked once, not once a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameSoFar {
    /// Waiting for the 2-byte proto-header.
    #[default]
    Nothing,
    /// The header (of this many bytes) is being buffered.
    HeaderLen(usize),
    /// The header was valid; the content is being buffered.
    Lengths {
        /// The header's length.
        header_len: usize,
        /// The content's length, as the header declares it.
        content_len: usize,
    },
}

impl FrameSoFar {
    /// The part of the frame still arriving.
    fn part(self) -> FramePart {
        match self {
            FrameSoFar::Nothing => FramePart::ProtoHeader,
            FrameSoFar::HeaderLen(_) => FramePart::Header,
            FrameSoFar::Lengths { .. } => FramePart::Content,
        }
    }
}

/// Where the frame at the front of some bytes stands (see [`check_frame`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameCheck {
    /// It is whole: `len` bytes, its header `header_len` of them.
    Whole {
        /// The whole frame's length.
        len: usize,
        /// Its header's length.
        header_len: usize,
    },
    /// It is not whole yet.
    Wanting {
        /// How many more bytes are worth making room for (0 while the
        /// proto-header is not all there; never more than 64 KiB ahead).
        more: usize,
        /// What is known of it so far, to give the next check.
        known: FrameSoFar,
    },
}

/// The protocol's one frame check: whether `bytes` begin with a whole
/// frame and how long it is, or what is known of it so far. `known` is
/// what an earlier check of the same frame found ([`FrameSoFar::Nothing`] for
/// bytes seen for the first time). A frame that breaks the protocol is the
/// part at fault and why; content over `max_content_length` is rejected
/// from the header, before any of it is buffered.
pub fn check_frame(
    bytes: &[u8],
    mut known: FrameSoFar,
    max_content_length: u64,
) -> Result<FrameCheck, (FramePart, DecodeReason)> {
    loop {
        match known {
            FrameSoFar::Nothing => {
                let Some(header_len) = declared_header_len(bytes) else {
                    return Ok(FrameCheck::Wanting { more: 0, known });
                };
                if header_len == 0 {
                    return Err((FramePart::ProtoHeader, DecodeReason::EmptyHeader));
                }
                known = FrameSoFar::HeaderLen(header_len);
            }
            FrameSoFar::HeaderLen(header_len) => {
                let header_end = PROTO_HEADER_LEN + header_len;
                let Some(header) = bytes.get(PROTO_HEADER_LEN..header_end) else {
                    let more = header_end - bytes.len();
                    return Ok(FrameCheck::Wanting { more, known });
                };
                let max = max_content_length.min(MAX_ADDRESSABLE_CONTENT);
                let content_len = validate_header_bytes(header, max)
                    .map_err(|reason| (FramePart::Header, reason))?;
                known = FrameSoFar::Lengths {
                    header_len,
                    content_len,
                };
            }
            FrameSoFar::Lengths {
                header_len,
                content_len,
            } => {
                let len = PROTO_HEADER_LEN + header_len + content_len;
                if bytes.len() < len {
                    let more = (len - bytes.len()).min(MAX_RESERVE_AHEAD);
                    return Ok(FrameCheck::Wanting { more, known });
                }
                return Ok(FrameCheck::Whole { len, header_len });
            }
        }
    }
}

/// Where the frame at the front of a buffer stands (see
/// [`FrameCodec::front_frame`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Progress {
    /// It is whole: `len` bytes, its header `header_len` of them.
    Whole { len: usize, header_len: usize },
    /// It is not whole yet; this many more bytes are worth making room for.
    Wanting(usize),
    /// A whole frame of `len` bytes that breaks its profile; the stream
    /// goes on after it.
    Rejected { len: usize, error: DecodeError },
}

/// Decodes and encodes frames; one per connection, since it tracks the
/// stream offset.
#[derive(Debug, Clone)]
pub struct FrameCodec {
    max_content_length: u64,
    state: FrameSoFar,
    stream_offset: u64,
    /// A profile other than the JSON header's, and what is known of the
    /// frame now arriving under it.
    profile: Option<ProfileFraming>,
}

/// Framing by a profile: the profile, which way the frames go, and what a
/// check of the frame now arriving keeps for the next.
#[derive(Debug, Clone)]
struct ProfileFraming {
    profile: Arc<Profile>,
    role: Role,
    /// The fewest bytes the frame now arriving can have.
    wanted: usize,
    scan: FrontScan,
}

impl FrameCodec {
    /// A codec that rejects content longer than `max_content_length`, or
    /// than any frame in memory could hold, whichever is less.
    pub fn new(max_content_length: u64) -> Self {
        Self {
            max_content_length: max_content_length.min(MAX_ADDRESSABLE_CONTENT),
            state: FrameSoFar::Nothing,
            stream_offset: 0,
            profile: None,
        }
    }

    /// A codec that frames by `profile`, its frames going the way `role`
    /// says. The JSON-header profile keeps the protocol's own fast check.
    pub fn with_profile(profile: Arc<Profile>, role: Role) -> Self {
        let mut codec = Self::new(profile.max_frame());
        if !profile.is_json_header() {
            codec.profile = Some(ProfileFraming {
                profile,
                role,
                wanted: 0,
                scan: FrontScan::default(),
            });
        }
        codec
    }

    /// The error for a connection that ended (or stalled) with `buffered`
    /// bytes of the current frame received; `None` at a frame boundary.
    pub fn incomplete(&self, buffered: usize) -> Option<DecodeError> {
        if buffered == 0 {
            return None;
        }
        if let Some(framing) = &self.profile {
            let part = FramePart::Frame;
            return Some(self.error(
                part,
                DecodeReason::Truncated {
                    part,
                    received: buffered as u64,
                    expected: framing.wanted.max(buffered + 1) as u64,
                },
            ));
        }
        let (part, received, expected) = match self.state {
            FrameSoFar::Nothing => (FramePart::ProtoHeader, buffered, PROTO_HEADER_LEN),
            FrameSoFar::HeaderLen(header_len) => {
                (FramePart::Header, buffered - PROTO_HEADER_LEN, header_len)
            }
            FrameSoFar::Lengths {
                header_len,
                content_len,
            } => (
                FramePart::Content,
                buffered - PROTO_HEADER_LEN - header_len,
                content_len,
            ),
        };
        Some(self.error(
            part,
            DecodeReason::Truncated {
                part,
                received: received as u64,
                expected: expected as u64,
            },
        ))
    }

    /// Where the frame now arriving began in the stream, and the part of
    /// it still arriving: where a stall or a socket error struck.
    pub fn position(&self) -> (u64, FramePart) {
        (self.stream_offset, self.current_part())
    }

    fn current_part(&self) -> FramePart {
        if self.profile.is_some() {
            return FramePart::Frame;
        }
        self.state.part()
    }

    fn error(&self, part: FramePart, reason: DecodeReason) -> DecodeError {
        DecodeError {
            offset: self.stream_offset,
            part,
            reason,
        }
    }

    /// Where the frame at the start of `bytes` stands: whole (and then
    /// taken: the next call looks at the frame after it), or wanting more
    /// bytes. A frame that takes several reads keeps its progress here, so
    /// its header is checked once, not once a read; `bytes` must start
    /// where the last call's frame did, or after the last whole one.
    pub(crate) fn front_frame(&mut self, bytes: &[u8]) -> Result<Progress, DecodeError> {
        if self.profile.is_some() {
            return self.front_profile_frame(bytes);
        }
        match check_frame(bytes, self.state, self.max_content_length) {
            Ok(FrameCheck::Whole { len, header_len }) => {
                self.state = FrameSoFar::Nothing;
                self.stream_offset += len as u64;
                Ok(Progress::Whole { len, header_len })
            }
            Ok(FrameCheck::Wanting { more, known }) => {
                self.state = known;
                Ok(Progress::Wanting(more))
            }
            Err((part, reason)) => {
                // A header at fault was being read: its length is known.
                if part == FramePart::Header
                    && let Some(header_len) = declared_header_len(bytes)
                {
                    self.state = FrameSoFar::HeaderLen(header_len);
                }
                Err(self.error(part, reason))
            }
        }
    }
}

impl FrameCodec {
    /// [`FrameCodec::front_frame`] under a profile.
    fn front_profile_frame(&mut self, bytes: &[u8]) -> Result<Progress, DecodeError> {
        let framing = self.profile.as_mut().expect("called with a profile");
        let checked = framing.scan.check(&framing.profile, bytes, framing.role);
        let offset = self.stream_offset;
        let error = |fault| DecodeError {
            offset,
            part: FramePart::Frame,
            reason: DecodeReason::Field(fault),
        };
        match checked {
            ProfileCheck::Whole { len } => {
                framing.wanted = 0;
                self.stream_offset += len as u64;
                // A header is the JSON-header protocol's: none here.
                Ok(Progress::Whole { len, header_len: 0 })
            }
            ProfileCheck::Wanting { more } => {
                framing.wanted = bytes.len() + more.max(1);
                Ok(Progress::Wanting(more))
            }
            ProfileCheck::Rejected { len, fault } => {
                framing.wanted = 0;
                self.stream_offset += len as u64;
                Ok(Progress::Rejected {
                    len,
                    error: error(fault),
                })
            }
            ProfileCheck::Broken { fault } => Err(error(fault)),
        }
    }
}

/// The required keys, borrowed as raw JSON so validation allocates nothing.
#[derive(Deserialize)]
struct RequiredKeys<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    byteorder: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present", rename = "content-type")]
    content_type: Option<&'a RawValue>,
    #[serde(
        borrow,
        default,
        deserialize_with = "present",
        rename = "content-encoding"
    )]
    content_encoding: Option<&'a RawValue>,
    #[serde(
        borrow,
        default,
        deserialize_with = "present",
        rename = "content-length"
    )]
    content_length: Option<&'a RawValue>,
}

/// A key that is present, even as `null` (plain `Option` would read null as absent).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Checks a header's bytes and returns its `content-length`.
///
/// A header of the common shape (a flat object of plain strings and
/// integers) is read by a scan of its bytes, [`flat_header`], with no
/// separate UTF-8 check. Any other is read once by [`read_well_formed`],
/// which decodes every value and picks out the required keys in the same
/// pass. Only a header neither accepts (or whose content is too long) is
/// read again, by [`explain_rejection`], which finds the exact reason (and
/// accepts nothing the single pass would reject).
fn validate_header_bytes(bytes: &[u8], max_content_length: u64) -> Result<usize, DecodeReason> {
    let flat = flat_header::content_length(bytes);
    if let Some(length) = flat.and_then(|length| within(length, max_content_length)) {
        return Ok(length);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeReason::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    match flat
        .or_else(|| read_well_formed(text))
        .and_then(|length| within(length, max_content_length))
    {
        Some(length) => Ok(length),
        None => explain_rejection(text, max_content_length),
    }
}

/// A `content-length` as a `usize`, if it is within the limit (and fits).
fn within(length: u64, max_content_length: u64) -> Option<usize> {
    if length <= max_content_length {
        usize::try_from(length).ok()
    } else {
        None
    }
}

/// The `content-length` of a header that is one JSON object, read to the
/// end as a full parse reads it, with each required key exactly once, the
/// three string keys strings and `content-length` a non-negative integer;
/// `None` for anything else (which [`explain_rejection`] then explains).
pub(super) fn read_well_formed(text: &str) -> Option<u64> {
    serde_json::from_str::<WellFormed>(text).ok()?.0
}

/// Checks a header's text the long way, in two passes: the required keys
/// first (for the reason a key is missing or mistyped), then every value
/// (for what the first pass skips). It gives the reason for each rejected
/// header; [`validate_header_bytes`] calls it only for headers the single pass
/// did not accept.
fn explain_rejection(text: &str, max_content_length: u64) -> Result<usize, DecodeReason> {
    // serde would read a JSON array into the struct too: only an object will do.
    if !text.trim_start().starts_with('{') {
        return Err(describe_non_object(text));
    }
    let keys: RequiredKeys = match serde_json::from_str(text) {
        Ok(keys) => keys,
        Err(error) => {
            return Err(DecodeReason::NotJson {
                detail: error.to_string(),
            });
        }
    };
    require_string("byteorder", keys.byteorder)?;
    require_string("content-type", keys.content_type)?;
    require_string("content-encoding", keys.content_encoding)?;
    let raw = keys
        .content_length
        .ok_or_else(|| missing("content-length"))?;
    let length = match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::Number(n)) if n.is_u64() => n.as_u64().unwrap_or(u64::MAX),
        _ => return Err(wrong_type("content-length", "a non-negative integer", raw)),
    };
    if length > max_content_length {
        return Err(DecodeReason::ContentTooLong {
            length,
            limit: max_content_length,
        });
    }
    let length = usize::try_from(length).map_err(|_| DecodeReason::ContentTooLong {
        length,
        limit: max_content_length,
    })?;
    // The pass above skips the values it does not keep without decoding
    // them, so it let through what `Frame::header` cannot read: a lone
    // surrogate escape (`"\ud83d"`), a number out of range (`1e400`),
    // nesting deeper than 128. Such a frame was echoed and logged as valid
    // with an empty header. This second pass reads every value the way the
    // full parse does, keeping nothing.
    serde_json::from_str::<ValueKind>(text).map_err(|error| DecodeReason::NotJson {
        detail: error.to_string(),
    })?;
    Ok(length)
}

/// A header read in one pass: its `content-length` if it is well formed
/// (see [`read_well_formed`]), `None` if it is JSON but not well formed.
struct WellFormed(Option<u64>);

impl<'de> Deserialize<'de> for WellFormed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WellFormedVisitor)
    }
}

/// The required keys as the single pass finds them.
#[derive(Default)]
struct Found {
    byteorder: Option<ValueKind>,
    content_type: Option<ValueKind>,
    content_encoding: Option<ValueKind>,
    content_length: Option<ValueKind>,
}

impl Found {
    /// Keeps the value of a required key; false if the key came before.
    fn keep(slot: &mut Option<ValueKind>, value: ValueKind) -> bool {
        slot.replace(value).is_none()
    }

    /// The `content-length`, when every required key has the right type.
    fn length(&self) -> Option<u64> {
        let strings = [&self.byteorder, &self.content_type, &self.content_encoding];
        if !strings
            .iter()
            .all(|kind| matches!(kind, Some(ValueKind::String)))
        {
            return None;
        }
        match self.content_length {
            Some(ValueKind::Unsigned(length)) => Some(length),
            _ => None,
        }
    }
}

struct WellFormedVisitor;

impl<'de> serde::de::Visitor<'de> for WellFormedVisitor {
    type Value = WellFormed;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<WellFormed, A::Error> {
        let mut found = Found::default();
        let mut once = true;
        while let Some(key) = map.next_key::<HeaderKey>()? {
            let value = map.next_value::<ValueKind>()?;
            let slot = match key {
                HeaderKey::Byteorder => &mut found.byteorder,
                HeaderKey::ContentType => &mut found.content_type,
                HeaderKey::ContentEncoding => &mut found.content_encoding,
                HeaderKey::ContentLength => &mut found.content_length,
                HeaderKey::Other => continue,
            };
            once &= Found::keep(slot, value);
        }
        Ok(WellFormed(found.length().filter(|_| once)))
    }
}

/// A header key: one of the required ones, or another.
enum HeaderKey {
    Byteorder,
    ContentType,
    ContentEncoding,
    ContentLength,
    Other,
}

impl<'de> Deserialize<'de> for HeaderKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(HeaderKeyVisitor)
    }
}

struct HeaderKeyVisitor;

impl<'de> serde::de::Visitor<'de> for HeaderKeyVisitor {
    type Value = HeaderKey;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a header key")
    }

    fn visit_str<E>(self, key: &str) -> Result<HeaderKey, E> {
        Ok(match key {
            "byteorder" => HeaderKey::Byteorder,
            "content-type" => HeaderKey::ContentType,
            "content-encoding" => HeaderKey::ContentEncoding,
            "content-length" => HeaderKey::ContentLength,
            _ => HeaderKey::Other,
        })
    }
}

/// A JSON value read to the end as a full parse reads it (escapes decoded,
/// numbers in range, nesting bounded), of which only its kind is kept
/// (and a non-negative integer's value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// A string.
    String,
    /// A non-negative integer that fits a `u64`.
    Unsigned(u64),
    /// Anything else.
    Other,
}

impl<'de> Deserialize<'de> for ValueKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueKindVisitor)
    }
}

struct ValueKindVisitor;

impl<'de> serde::de::Visitor<'de> for ValueKindVisitor {
    type Value = ValueKind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<ValueKind, E> {
        Ok(ValueKind::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<ValueKind, E> {
        Ok(ValueKind::Other)
    }

    fn visit_u64<E>(self, value: u64) -> Result<ValueKind, E> {
        Ok(ValueKind::Unsigned(value))
    }

    fn visit_f64<E>(self, _: f64) -> Result<ValueKind, E> {
        Ok(ValueKind::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<ValueKind, E> {
        Ok(ValueKind::String)
    }

    fn visit_unit<E>(self) -> Result<ValueKind, E> {
        Ok(ValueKind::Other)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ValueKind, A::Error> {
        while seq.next_element::<ValueKind>()?.is_some() {}
        Ok(ValueKind::Other)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ValueKind, A::Error> {
        while map.next_entry::<ValueKind, ValueKind>()?.is_some() {}
        Ok(ValueKind::Other)
    }
}

fn describe_non_object(text: &str) -> DecodeReason {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => DecodeReason::NotObject {
            found: json_kind(&value).to_owned(),
        },
        Err(error) => DecodeReason::NotJson {
            detail: error.to_string(),
        },
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

fn missing(key: &str) -> DecodeReason {
    DecodeReason::MissingKey {
        key: key.to_owned(),
    }
}

fn wrong_type(key: &str, expected: &str, raw: &RawValue) -> DecodeReason {
    let mut found: String = raw.get().chars().take(40).collect();
    if found.len() < raw.get().len() {
        found.push('…');
    }
    DecodeReason::WrongType {
        key: key.to_owned(),
        expected: expected.to_owned(),
        found,
    }
}

fn require_string(key: &str, raw: Option<&RawValue>) -> Result<(), DecodeReason> {
    let raw = raw.ok_or_else(|| missing(key))?;
    if raw.get().starts_with('"') {
        Ok(())
    } else {
        Err(wrong_type(key, "a string", raw))
    }
}

/// Decoding by hand: the same as the [`Decoder`] impl, with the protocol's
/// own error.
impl FrameCodec {
    /// The next whole frame in `buf` (taken from it), `None` until one is
    /// whole, or the error of the frame at its front.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
        match self.front_frame(buf)? {
            Progress::Whole { len, header_len } => {
                let raw = buf.split_to(len).freeze();
                Ok(Some(Frame::from_validated(raw, header_len)))
            }
            Progress::Wanting(more) => {
                buf.reserve(more);
                Ok(None)
            }
            Progress::Rejected { len, error } => {
                buf.advance(len);
                Err(error)
            }
        }
    }

    /// As [`FrameCodec::decode`], at the end of the stream: bytes left
    /// over are a frame cut short.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => match self.incomplete(buf.len()) {
                Some(error) => {
                    buf.advance(buf.len());
                    Err(error)
                }
                None => Ok(None),
            },
        }
    }
}

/// What the codec fails with as a [`Decoder`] (read through tokio-util's
/// `FramedRead`, say): a frame that breaks the protocol, or the stream's
/// own error, which the protocol cannot name.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The frame at the front broke the protocol.
    #[error(transparent)]
    Frame(#[from] DecodeError),
    /// The stream under the codec failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(FrameCodec::decode(self, buf)?)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(FrameCodec::decode_eof(self, buf)?)
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = std::io::Error;

    /// Frames are built whole (see `FrameBuilder`); encoding copies them out.
    fn encode(&mut self, frame: Bytes, dst: &mut BytesMut) -> Result<(), std::io::Error> {
        dst.put_slice(&frame);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 37}"#;

    fn two_frames() -> (Vec<u8>, usize) {
        let first = crate::engine::FrameBuilder::new()
            .content("hello")
            .build()
            .unwrap();
        let second = crate::engine::FrameBuilder::new()
            .content("again")
            .build()
            .unwrap();
        ([&first[..], &second[..]].concat(), first.len())
    }

    #[test]
    fn the_frame_check_finds_the_first_whole_frame_among_several() {
        let (bytes, first) = two_frames();
        let header_len = declared_header_len(&bytes).unwrap();
        assert_eq!(
            check_frame(&bytes, FrameSoFar::Nothing, 100),
            Ok(FrameCheck::Whole {
                len: first,
                header_len
            })
        );
    }

    #[test]
    fn the_frame_check_carries_what_it_knows_from_read_to_read() {
        let (bytes, first) = two_frames();
        let header_len = declared_header_len(&bytes).unwrap();
        let mut known = FrameSoFar::Nothing;
        let mut seen = Vec::new();
        for end in 0..first {
            match check_frame(&bytes[..end], known, 100).unwrap() {
                FrameCheck::Wanting { more, known: now } => {
                    seen.push((end, more));
                    known = now;
                }
                whole => panic!("whole at {end} of {first}: {whole:?}"),
            }
        }
        assert_eq!(
            known,
            FrameSoFar::Lengths {
                header_len,
                content_len: 5
            },
            "the header was checked once it was all there"
        );
        // Nothing, then the rest of the header, then the content.
        assert_eq!(seen[0], (0, 0));
        assert_eq!(seen[2], (2, header_len));
        assert_eq!(seen[first - 1], (first - 1, 1));
        assert_eq!(
            check_frame(&bytes[..first], known, 100),
            Ok(FrameCheck::Whole {
                len: first,
                header_len
            })
        );
    }

    #[test]
    fn the_frame_check_names_the_part_at_fault() {
        assert_eq!(
            check_frame(&[0, 0, b'{'], FrameSoFar::Nothing, 100),
            Err((FramePart::ProtoHeader, DecodeReason::EmptyHeader))
        );
        let (bytes, _) = two_frames();
        let (part, reason) = check_frame(&bytes, FrameSoFar::Nothing, 4).unwrap_err();
        assert_eq!(part, FramePart::Header);
        assert!(reason.to_string().contains("content-length"), "{reason}");
    }

    /// The single pass accepts a header only if the two-pass check accepts
    /// it with the same length.
    fn agrees(text: &str) {
        if let Some(length) = read_well_formed(text) {
            assert_eq!(
                explain_rejection(text, u64::MAX),
                usize::try_from(length).map_err(|_| DecodeReason::ContentTooLong {
                    length,
                    limit: u64::MAX
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_plain_header_is_read_in_one_pass() {
        assert_eq!(read_well_formed(GOOD), Some(37));
        assert_eq!(validate_header_bytes(GOOD.as_bytes(), 1024), Ok(37));
        let escaped = r#"{"byte\u006frder": "\u00e9", "content-type": "", "content-encoding": "x", "content-length": 0, "extra": [1, {"a": null}]}"#;
        assert_eq!(read_well_formed(escaped), Some(0));
    }

    #[test]
    fn what_the_single_pass_refuses_goes_the_long_way() {
        let refused = [
            r#"[1]"#,
            r#"{"byteorder": "little", "byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": 1}"#,
            r#"{"byteorder": 1, "content-type": "a", "content-encoding": "b", "content-length": 1}"#,
            r#"{"byteorder": "l", "content-type": "a", "content-encoding": "b", "content-length": -1}"#,
            r#"{"byteorder": "l", "content-type": "a", "content-encoding": "b", "content-length": 1.0}"#,
            r#"{"byteorder": "l", "content-type": "a", "content-encoding": "b", "content-length": -0}"#,
            r#"{"byteorder": "l", "content-type": "a", "content-encoding": "b", "content-length": 1e400}"#,
            r#"{"byteorder": "\ud83d", "content-type": "a", "content-encoding": "b", "content-length": 1}"#,
            r#"{"byteorder": "l", "content-type": "a", "content-encoding": "b", "content-length": 1} x"#,
            r#"{"byteorder": "l", "content-type": "a", "content-encoding": "b"}"#,
        ];
        for text in refused {
            assert_eq!(read_well_formed(text), None, "{text:?}");
            assert!(
                validate_header_bytes(text.as_bytes(), u64::MAX).is_err(),
                "{text:?}"
            );
        }
        assert!(matches!(
            validate_header_bytes(GOOD.as_bytes(), 36),
            Err(DecodeReason::ContentTooLong {
                length: 37,
                limit: 36
            })
        ));
    }

    #[test]
    fn the_single_pass_never_accepts_more_than_the_long_way() {
        let bytes = GOOD.as_bytes();
        let replacements = b" \"\\{}[],:0-1e.xu\t";
        for at in 0..bytes.len() {
            for &byte in replacements {
                let mut changed = bytes.to_vec();
                changed[at] = byte;
                agrees(std::str::from_utf8(&changed).expect("ASCII"));
                changed.remove(at);
                agrees(std::str::from_utf8(&changed).expect("ASCII"));
            }
        }
    }

    /// As a tokio-util `Decoder` the codec gives the same frames and, for
    /// a bad one, the protocol's error inside its own; a stream's own
    /// failure (which `FramedRead` hands it) is the other case.
    #[test]
    fn as_a_decoder_it_wraps_the_decode_error() {
        let good = crate::engine::FrameBuilder::new()
            .content("hi")
            .build()
            .unwrap();
        let mut buf = BytesMut::from(&good[..]);
        buf.extend_from_slice(&[0, 0]);
        let mut codec = FrameCodec::new(1024);
        let first = Decoder::decode(&mut codec, &mut buf)
            .expect("a good frame")
            .expect("a whole frame");
        assert_eq!(&first.content()[..], b"hi");
        match Decoder::decode(&mut codec, &mut buf) {
            Err(CodecError::Frame(error)) => {
                assert_eq!(error.reason, DecodeReason::EmptyHeader);
                assert_eq!(error.offset, good.len() as u64);
            }
            other => panic!("expected the empty header, got {other:?}"),
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(matches!(CodecError::from(reset), CodecError::Io(_)));
    }
}
