//! One-line descriptions of records, shared by the window's table and the
//! command line's output.

use crate::engine::protocol::frame::{PROTO_HEADER_LEN, header_end};
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::protocol::text_encoding::TextEncoding;
use crate::engine::record::journal::RecordView;
use crate::engine::record::vocabulary::{Direction, RecordKind, Side};

/// How many characters of content a summary shows.
const SUMMARY_CONTENT_CHARS: usize = 60;

/// The header's `content-type` of a frame's bytes (or of any prefix that
/// holds the whole header), as a person reads it.
pub fn content_type(bytes: &[u8]) -> Option<String> {
    content_type_and_encoding(bytes).0
}

/// A frame's content-type and the text encoding its header names for the
/// content (see [`content_encoding`]), from one reading of the header.
pub fn content_type_and_encoding(bytes: &[u8]) -> (Option<String>, Option<TextEncoding>) {
    let Some(header) = header_text(bytes) else {
        return (None, None);
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(header) else {
        return (None, None);
    };
    let content_type = value.get("content-type");
    let is_text = content_type
        .and_then(serde_json::Value::as_str)
        .is_some_and(|t| t.starts_with("text/"));
    let encoding = value
        .get("content-encoding")
        .and_then(serde_json::Value::as_str)
        .filter(|_| is_text)
        .and_then(TextEncoding::named);
    (content_type.map(value_text), encoding)
}

/// A JSON value as a person reads it: strings bare, anything else as JSON.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The header's UTF-8 text of a frame's bytes, if complete and valid.
pub fn header_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes.get(PROTO_HEADER_LEN..header_end(bytes)?)?).ok()
}

/// A frame's bytes as its header's UTF-8 text and its content (whatever
/// follows the header), if the header is complete and valid.
pub fn split(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let header = header_text(bytes)?;
    Some((header, &bytes[PROTO_HEADER_LEN + header.len()..]))
}

/// The content of a frame's bytes (whatever follows the header).
pub fn content(bytes: &[u8]) -> &[u8] {
    split(bytes).map_or(&[], |(_, content)| content)
}

/// Whether the first `chars` characters of `text` read as text: no control
/// characters but line breaks and tabs. (Bytes such as 00 01 02 are valid
/// UTF-8, but as text they would show as blanks or boxes.)
pub fn reads_as_text(text: &str, chars: usize) -> bool {
    !text
        .chars()
        .take(chars)
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The first `chars` characters of `bytes` on one line: text when it is
/// UTF-8 (a character cut at the end, as in a prefix, is fine) with no
/// control characters but line breaks and tabs, else hex. (Bytes such as
/// 00 01 02 are valid UTF-8, but as text they would show as blanks.)
pub fn one_line(bytes: &[u8], chars: usize) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&bytes[..error.valid_up_to()]).ok()
        }
        Err(_) => None,
    };
    match text.filter(|text| reads_as_text(text, chars)) {
        Some(text) => text_line(text, chars),
        None => binary_line(bytes, chars),
    }
}

/// As [`one_line`], with the bytes read in `encoding` (a frame whose header
/// names one); bytes that do not decode show as U+FFFD, except a character
/// cut short at the end of a prefix.
pub fn one_line_in(bytes: &[u8], chars: usize, encoding: TextEncoding) -> String {
    if encoding.is_utf8() {
        return one_line(bytes, chars);
    }
    let decoded = encoding.decode(bytes);
    let text = decoded.text.trim_end_matches(char::REPLACEMENT_CHARACTER);
    if reads_as_text(text, chars) {
        text_line(text, chars)
    } else {
        binary_line(bytes, chars)
    }
}

/// The text encoding a frame's header names for its content: `None` for
/// binary content (a content-type not `text/…`, or an encoding of
/// `binary`), or a name no encoding has.
pub fn content_encoding(bytes: &[u8]) -> Option<TextEncoding> {
    content_type_and_encoding(bytes).1
}

/// The first `chars` characters of `text` on one line.
fn text_line(text: &str, chars: usize) -> String {
    let mut line: String = text
        .chars()
        .take(chars)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(chars).is_some() {
        line.push('…');
    }
    line
}

/// The first bytes of `bytes` as hex, as many as `chars` characters show.
fn binary_line(bytes: &[u8], chars: usize) -> String {
    let shown = bytes.len().min(chars / 3);
    let more = if bytes.len() > shown { " …" } else { "" };
    format!(
        "binary: {}{more}",
        crate::engine::render::hexdump::to_hex(&bytes[..shown])
    )
}

/// Which way a record's frame went: a client sends requests and receives
/// replies; a server the other way about.
pub fn role_of(view: &RecordView) -> Role {
    role(view.side, view.direction)
}

/// Which way a frame went from `side` in `direction` (see [`role_of`]).
pub fn role(side: Side, direction: Direction) -> Role {
    match (side, direction) {
        (Side::Client, Direction::Sent) | (Side::Server, Direction::Received) => Role::Request,
        _ => Role::Reply,
    }
}

/// A frame's fields under its profile, on one line: `name=label` where an
/// enum names the value, else `name=value`; constants, lengths, checksums
/// and bits containers (whose sub-fields follow) are left out.
pub fn fields_line(profile: &Profile, bytes: &[u8], role: Role) -> String {
    let (fields, _) = profile.decode(bytes, role);
    let mut line = String::new();
    for field in fields.iter().filter(|f| !f.derived) {
        if !line.is_empty() {
            line.push(' ');
        }
        match &field.label {
            Some(label) => line.push_str(&format!("{}={label}", field.name)),
            None => line.push_str(&format!("{}={}", field.name, field.value)),
        }
        if line.chars().count() > SUMMARY_CONTENT_CHARS * 2 {
            line.push_str(" …");
            break;
        }
    }
    line
}

/// One line that says what a record is: the error, or content-type and content.
pub fn summary(view: &RecordView) -> String {
    match (&view.kind, &view.error) {
        (_, Some(error)) => error.to_string(),
        (RecordKind::Frame, None) if view.profile.is_some() => fields_line(
            view.profile.as_deref().expect("checked"),
            &view.bytes,
            role_of(view),
        ),
        (RecordKind::Frame, None) => {
            let kind = content_type(&view.bytes).unwrap_or_else(|| "?".into());
            format!(
                "{kind} {}",
                one_line(content(&view.bytes), SUMMARY_CONTENT_CHARS)
            )
        }
        (RecordKind::Handshake, None) => {
            crate::engine::net::tls::HandshakeInfo::from_bytes(&view.bytes)
                .map_or_else(|| "TLS handshake".to_owned(), |info| info.summary())
        }
        // framescope's own words: all of them.
        (RecordKind::Note, None) => String::from_utf8_lossy(&view.bytes).into_owned(),
        _ => one_line(&view.bytes, SUMMARY_CONTENT_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::frame::FrameBuilder;

    #[test]
    fn summaries_read_well() {
        let frame = FrameBuilder::new().content("{\"a\": 1}").build().unwrap();
        assert_eq!(content_type(&frame).as_deref(), Some("text/json"));
        assert_eq!(content(&frame), b"{\"a\": 1}");
        assert_eq!(one_line(&[0xff, 0x00], 60), "binary: ff 00");
        assert_eq!(one_line(&[b'x'; 70], 60).chars().count(), 61);
        assert_eq!(one_line("a\nb".as_bytes(), 10), "a b");
        assert_eq!(one_line("a\tb\r\n".as_bytes(), 10), "a b  ");
        // Valid UTF-8, but control characters: shown as the bytes they are.
        assert_eq!(
            one_line(&[0x00, 0x01, b'!', b'"'], 60),
            "binary: 00 01 21 22"
        );
        assert_eq!(one_line(&"é".as_bytes()[..1], 10), "");
    }
}
