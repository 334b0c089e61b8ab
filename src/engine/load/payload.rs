//! What every connection of a load sends: one fixed frame, a frame with
//! payload variables built anew for each send (a JSON-header frame, or a
//! profile's frame from field values), or the frames of a saved log in
//! order.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::engine::protocol::frame::{ContentLength, FrameBuilder, PROTO_HEADER_LEN};
use crate::engine::protocol::profile::{EncodeError, Profile, Role};
use crate::engine::protocol::template::{Expansion, Template, TemplateError, Variable};
use crate::engine::record::vocabulary::{Direction, RecordKind, Side};
use crate::engine::render::journal_file::{self, JournalFileError};

/// A marker the header's content-length holds while its template is made;
/// no header a person writes contains it.
const CONTENT_LENGTH_MARKER: &str = "@@framescope:content-length@@";

/// Why a payload cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// A header value or the content has a malformed variable.
    #[error("{0}")]
    Template(#[from] TemplateError),
    /// The frame cannot be built.
    #[error("{0}")]
    Build(String),
    /// The log to replay cannot be read.
    #[error("{0}")]
    Log(#[from] JournalFileError),
    /// The log has nothing a client sent.
    #[error("{0} holds no frames a client sent (nor any a server received)")]
    EmptyLog(String),
    /// A profile's frame cannot be built from the field values (as given,
    /// or as a frame's variables made them).
    #[error("{0}")]
    Fields(#[from] EncodeError),
    /// The log kept only part of a frame (saved with headers-only capture).
    #[error(
        "{path}: record {seq} keeps {kept} of its {wire} bytes; replaying needs a log saved with full capture"
    )]
    Incomplete {
        /// The log.
        path: String,
        /// The record.
        seq: u64,
        /// Bytes kept.
        kept: usize,
        /// Bytes that crossed the wire.
        wire: u32,
    },
}

/// What a connection sends, frame after frame.
#[derive(Debug, Clone)]
pub enum Payload {
    /// The same bytes every time (a frame, or raw bytes).
    Fixed(Bytes),
    /// A frame (or raw bytes) with payload variables, built for each send.
    Templated(Arc<PayloadTemplate>),
    /// Frames from a saved log, in order, starting again after the last.
    Sequence(Arc<[Bytes]>),
    /// A profile's frame from field values with payload variables, encoded
    /// for each send (lengths and checksums computed each time).
    Fields(Arc<FieldsTemplate>),
}

/// A profile's frame whose field values hold payload variables.
#[derive(Debug)]
pub struct FieldsTemplate {
    profile: Arc<Profile>,
    fields: Vec<(String, Template)>,
}

/// A frame whose header values and content hold payload variables.
#[derive(Debug)]
pub struct PayloadTemplate {
    /// The header's JSON text with a slot for content-length; `None` for
    /// raw bytes.
    header: Option<Template>,
    content: Template,
}

impl Payload {
    /// The frame `builder` describes, with the variables in its header
    /// values and (for text content) its content. Binary content is sent as
    /// it is. With no variables at all, the frame is built once.
    pub fn frame(builder: &FrameBuilder) -> Result<Self, PayloadError> {
        let content = builder.content_bytes();
        let content = if is_text(builder) {
            Template::parse(&content)?
        } else {
            Template::literal(&content)
        };
        let header_has_variables = builder
            .header()
            .values()
            .any(|v| v.as_str().is_some_and(|s| s.contains("{{")));
        if !content.has_variables() && !header_has_variables {
            return Ok(Self::Fixed(
                builder
                    .build()
                    .map_err(|e| PayloadError::Build(e.to_string()))?,
            ));
        }
        // The content-length a person did not set follows the content.
        let computed = builder.header().get("content-length")
            == Some(&Value::from(builder.content_bytes().len()));
        let with_marker = if computed {
            builder
                .clone()
                .content_length(ContentLength::Override(Value::from(CONTENT_LENGTH_MARKER)))
        } else {
            builder.clone()
        };
        let built = with_marker
            .content(Bytes::new())
            .build()
            .map_err(|e| PayloadError::Build(e.to_string()))?;
        let header = Template::with_quoted_marker(
            &built[PROTO_HEADER_LEN..],
            CONTENT_LENGTH_MARKER,
            Variable::ContentLength,
        )?;
        Ok(Self::Templated(Arc::new(PayloadTemplate {
            header: Some(header),
            content,
        })))
    }

    /// Raw bytes, with variables when `expand` (text given on the command
    /// line), else as they are.
    pub fn raw(bytes: Bytes, expand: bool) -> Result<Self, PayloadError> {
        if !expand {
            return Ok(Self::Fixed(bytes));
        }
        let content = Template::parse(&bytes)?;
        if !content.has_variables() {
            return Ok(Self::Fixed(bytes));
        }
        Ok(Self::Templated(Arc::new(PayloadTemplate {
            header: None,
            content,
        })))
    }

    /// A frame of `profile` from `(name, value)` pairs, as `send --field`
    /// takes them; values may hold payload variables. The frame is built
    /// once here (with the first connection's first values) so that a
    /// wrong name or value is refused before anything connects.
    pub fn fields(profile: Arc<Profile>, given: &[(String, String)]) -> Result<Self, PayloadError> {
        let fields = given
            .iter()
            .map(|(name, value)| Ok((name.clone(), Template::parse(value.as_bytes())?)))
            .collect::<Result<Vec<_>, TemplateError>>()?;
        if fields.iter().all(|(_, value)| !value.has_variables()) {
            return Ok(Self::Fixed(profile.encode(given, Role::Request)?.into()));
        }
        let template = FieldsTemplate { profile, fields };
        let mut rng = fastrand::Rng::with_seed(1);
        template.encode(
            &mut Vec::new(),
            &mut Expansion {
                conn: 1,
                seq: 1,
                content_len: 0,
                rng: &mut rng,
                named: &[],
            },
        )?;
        Ok(Self::Fields(Arc::new(template)))
    }

    /// The frames a client sent in the log at `path` (or, in a log of the
    /// embedded server, the frames it received), in order.
    pub fn from_log(path: &Path) -> Result<Self, PayloadError> {
        let log = journal_file::load(path)?;
        let name = path.display().to_string();
        let sent_by = |side, direction| {
            log.records
                .views()
                .filter(move |r| r.kind == RecordKind::Frame)
                .filter(move |r| r.side == side && r.direction == direction)
                .collect::<Vec<_>>()
        };
        let mut records = sent_by(Side::Client, Direction::Sent);
        if records.is_empty() {
            records = sent_by(Side::Server, Direction::Received);
        }
        if records.is_empty() {
            return Err(PayloadError::EmptyLog(name));
        }
        let mut frames = Vec::with_capacity(records.len());
        for record in records {
            if !record.is_complete() {
                return Err(PayloadError::Incomplete {
                    path: name,
                    seq: record.seq,
                    kept: record.bytes.len(),
                    wire: record.wire_len,
                });
            }
            frames.push(record.bytes);
        }
        Ok(Self::Sequence(frames.into()))
    }

    /// Appends frame number `values.seq` of connection `values.conn` to
    /// `out`; `scratch` is a buffer to reuse. Only a profile's frame can
    /// fail: a variable may make a value its field cannot hold (`{{seq}}`
    /// past 255 in a u8).
    pub fn write(
        &self,
        out: &mut Vec<u8>,
        scratch: &mut Vec<u8>,
        values: &mut Expansion<'_>,
    ) -> Result<(), EncodeError> {
        match self {
            Self::Fixed(bytes) => out.extend_from_slice(bytes),
            Self::Sequence(frames) => {
                let index = (values.seq.saturating_sub(1) % frames.len() as u64) as usize;
                out.extend_from_slice(&frames[index]);
            }
            Self::Templated(template) => template.write(out, scratch, values),
            Self::Fields(template) => out.extend_from_slice(&template.encode(scratch, values)?),
        }
        Ok(())
    }

    /// The bytes every send is, when they never change.
    pub fn fixed(&self) -> Option<&Bytes> {
        match self {
            Self::Fixed(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl PayloadTemplate {
    fn write(&self, out: &mut Vec<u8>, scratch: &mut Vec<u8>, values: &mut Expansion<'_>) {
        scratch.clear();
        self.content.expand_into(scratch, values);
        if let Some(header) = &self.header {
            values.content_len = scratch.len();
            let start = out.len();
            out.extend_from_slice(&[0, 0]);
            header.expand_into(out, values);
            // Variables expand to a few dozen bytes at most; a header that
            // grew past the proto-header's range is sent with the largest.
            let header_len =
                u16::try_from(out.len() - start - PROTO_HEADER_LEN).unwrap_or(u16::MAX);
            out[start..start + PROTO_HEADER_LEN].copy_from_slice(&header_len.to_be_bytes());
        }
        out.extend_from_slice(scratch);
    }
}

impl FieldsTemplate {
    /// The frame with this send's values.
    fn encode(
        &self,
        scratch: &mut Vec<u8>,
        values: &mut Expansion<'_>,
    ) -> Result<Vec<u8>, EncodeError> {
        let given: Vec<(String, String)> = self
            .fields
            .iter()
            .map(|(name, value)| {
                scratch.clear();
                value.expand_into(scratch, values);
                (name.clone(), String::from_utf8_lossy(scratch).into_owned())
            })
            .collect();
        self.profile.encode(&given, Role::Request)
    }
}

/// Whether the builder's content is text (where variables are read).
fn is_text(builder: &FrameBuilder) -> bool {
    builder
        .header()
        .get("content-type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("text/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::frame::REQUIRED_KEYS;

    fn try_nth(payload: &Payload, conn: u32, seq: u64) -> Result<Vec<u8>, EncodeError> {
        let mut rng = fastrand::Rng::with_seed(3);
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        payload.write(
            &mut out,
            &mut scratch,
            &mut Expansion {
                conn,
                seq,
                content_len: 0,
                rng: &mut rng,
                named: &[],
            },
        )?;
        Ok(out)
    }

    fn nth(payload: &Payload, conn: u32, seq: u64) -> Vec<u8> {
        try_nth(payload, conn, seq).unwrap()
    }

    fn pairs(given: &[(&str, &str)]) -> Vec<(String, String)> {
        given
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn a_profile_frame_without_variables_is_encoded_once() {
        let modbus = Profile::builtin("modbus-tcp").unwrap();
        let given = pairs(&[("transaction", "7"), ("unit", "1"), ("function", "3")]);
        let payload = Payload::fields(modbus.clone(), &given).unwrap();
        let expected = modbus.encode(&given, Role::Request).unwrap();
        assert_eq!(payload.fixed().map(|b| b.to_vec()), Some(expected));
    }

    #[test]
    fn variables_in_field_values_are_encoded_for_each_frame() {
        let modbus = Profile::builtin("modbus-tcp").unwrap();
        let given = pairs(&[
            ("transaction", "{{seq}}"),
            ("unit", "{{conn}}"),
            ("function", "3"),
        ]);
        let payload = Payload::fields(modbus.clone(), &given).unwrap();
        assert!(payload.fixed().is_none());
        let frame = nth(&payload, 4, 300);
        let expected = modbus
            .encode(
                &pairs(&[("transaction", "300"), ("unit", "4"), ("function", "3")]),
                Role::Request,
            )
            .unwrap();
        assert_eq!(frame, expected);
        // The length field follows what the frame holds.
        let (fields, fault) = modbus.decode(&frame, Role::Request);
        assert_eq!(fault, None);
        assert!(
            fields
                .iter()
                .any(|f| f.name == "transaction" && f.value.as_u64() == Some(300))
        );
    }

    #[test]
    fn a_value_a_variable_makes_too_big_is_an_error_not_a_wrong_frame() {
        let modbus = Profile::builtin("modbus-tcp").unwrap();
        let payload = Payload::fields(modbus, &pairs(&[("unit", "{{seq}}")])).unwrap();
        assert!(try_nth(&payload, 1, 255).is_ok());
        let error = try_nth(&payload, 1, 256).unwrap_err().to_string();
        assert!(error.contains("unit"), "{error}");
    }

    #[test]
    fn a_wrong_field_name_is_refused_before_the_run() {
        let modbus = Profile::builtin("modbus-tcp").unwrap();
        let error = Payload::fields(modbus, &pairs(&[("nonesuch", "{{seq}}")])).unwrap_err();
        assert!(error.to_string().contains("nonesuch"), "{error}");
    }

    #[test]
    fn a_frame_without_variables_is_built_once_and_sent_as_is() {
        let builder = FrameBuilder::new().content("{\"a\": 1}");
        let payload = Payload::frame(&builder).unwrap();
        assert!(payload.fixed().is_some());
        assert_eq!(nth(&payload, 1, 1), builder.build().unwrap());
    }

    #[test]
    fn variables_expand_in_header_values_and_content_with_a_true_content_length() {
        let builder = FrameBuilder::new()
            .field("content-type", "text/plain")
            .field("id", "c{{conn}}-{{seq}}")
            .content("frame {{seq}} of connection {{conn}}");
        let payload = Payload::frame(&builder).unwrap();
        for (conn, seq) in [(1, 1), (7, 12345)] {
            let frame = nth(&payload, conn, seq);
            let header_end = crate::engine::protocol::frame::header_end(&frame).unwrap();
            let header: serde_json::Map<String, Value> =
                serde_json::from_slice(&frame[2..header_end]).unwrap();
            assert!(REQUIRED_KEYS.iter().all(|key| header.contains_key(*key)));
            let content = &frame[header_end..];
            let expected = format!("frame {seq} of connection {conn}");
            assert_eq!(content, expected.as_bytes());
            assert_eq!(header["content-length"], Value::from(expected.len()));
            assert_eq!(header["id"], Value::from(format!("c{conn}-{seq}")));
        }
    }

    #[test]
    fn binary_content_is_never_expanded() {
        let builder = FrameBuilder::binary("binary/x", &b"{{seq}}"[..]);
        let payload = Payload::frame(&builder).unwrap();
        assert_eq!(nth(&payload, 1, 5), builder.build().unwrap());
    }

    #[test]
    fn raw_bytes_expand_only_when_asked() {
        let payload = Payload::raw(Bytes::from_static(b"n={{seq}}\n"), true).unwrap();
        assert_eq!(nth(&payload, 1, 42), b"n=42\n");
        let payload = Payload::raw(Bytes::from_static(b"n={{seq}}\n"), false).unwrap();
        assert_eq!(nth(&payload, 1, 42), b"n={{seq}}\n");
    }

    #[test]
    fn a_sequence_is_sent_in_order_and_again_from_the_start() {
        let frames: Arc<[Bytes]> = vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")].into();
        let payload = Payload::Sequence(frames);
        let sent: Vec<Vec<u8>> = (1..=3).map(|seq| nth(&payload, 1, seq)).collect();
        assert_eq!(sent, [b"a".to_vec(), b"b".to_vec(), b"a".to_vec()]);
    }
}
