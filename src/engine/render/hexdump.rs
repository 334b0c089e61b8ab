//! Hex dump rows and the byte ranges a viewer highlights.
//!
//! Rows follow Wireshark's byte view: an offset, 16 bytes in hex, and their
//! printable ASCII. [`FrameLayout`] says which bytes are the proto-header,
//! the header, the content and each header field, so a viewer can colour
//! them and map a hovered byte back to its field. Both work on broken frames
//! too, as far as their bytes allow.

use std::ops::Range;

use crate::engine::protocol::frame::{PROTO_HEADER_LEN, header_end_within};
pub use crate::engine::protocol::hex::{HexError, parse_hex, to_hex};
use crate::engine::protocol::profile::DecodedField;
use crate::engine::protocol::text_encoding::TextEncoding;

/// Bytes shown on one hex dump row.
pub const BYTES_PER_ROW: usize = 16;

/// One row of a hex dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexRow {
    /// Offset of the row's first byte.
    pub offset: usize,
    /// The row's bytes as `"00 01 .."`, padded to a full row.
    pub hex: String,
    /// The row's bytes as printable ASCII, `.` for anything else.
    pub ascii: String,
}

/// How many rows a dump of `len` bytes has.
pub fn row_count(len: usize) -> usize {
    len.div_ceil(BYTES_PER_ROW)
}

/// Row `index` of the dump of `bytes`; only the rows a viewer shows need building.
pub fn row(bytes: &[u8], index: usize) -> HexRow {
    let start = (index * BYTES_PER_ROW).min(bytes.len());
    let end = (start + BYTES_PER_ROW).min(bytes.len());
    let chunk = &bytes[start..end];
    let mut hex = String::with_capacity(BYTES_PER_ROW * 3 + 1);
    for i in 0..BYTES_PER_ROW {
        if i == BYTES_PER_ROW / 2 {
            hex.push(' ');
        }
        match chunk.get(i) {
            Some(byte) => hex.push_str(&format!("{byte:02x} ")),
            None => hex.push_str("   "),
        }
    }
    hex.truncate(hex.trim_end().len());
    let ascii = chunk.iter().map(|&b| printable(b)).collect();
    HexRow {
        offset: start,
        hex,
        ascii,
    }
}

/// The byte as it shows in the ASCII column.
pub fn printable(byte: u8) -> char {
    if byte.is_ascii_graphic() || byte == b' ' {
        byte as char
    } else {
        '.'
    }
}

/// What the text column shows under one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextCell {
    /// A character that begins at this byte.
    Char(char),
    /// A later byte of the character before it: blank.
    Continuation,
    /// A byte that begins no printable character: a dot.
    Dot,
}

/// How far before a row the text column looks for a character that runs
/// into it (the longest character any encoding here takes, and some).
const TEXT_LOOKBACK: usize = 8;

/// The text column of the row of `bytes` starting at `row_start`: a
/// character under its first byte and its other bytes blank, a dot for a
/// byte that begins no printable character. Bytes before `text_start` (a
/// JSON header) read as UTF-8, bytes from it in `encoding`.
pub fn text_cells(
    bytes: &[u8],
    row_start: usize,
    text_start: usize,
    encoding: TextEncoding,
) -> Vec<TextCell> {
    let row_end = (row_start + BYTES_PER_ROW).min(bytes.len());
    let mut cells = vec![TextCell::Dot; row_end.saturating_sub(row_start)];
    // Start far enough back to see a character that began in the row
    // before; a region boundary is a character boundary too.
    let mut at = row_start.saturating_sub(TEXT_LOOKBACK);
    if at < text_start && row_start >= text_start {
        at = text_start;
    }
    while at < row_end {
        let (in_encoding, region_end) = if at < text_start {
            (TextEncoding::UTF_8, text_start.min(bytes.len()))
        } else {
            (encoding, bytes.len())
        };
        let window = &bytes[at..(at + 4).min(region_end)];
        let (cell, len) = match in_encoding.char_len(window) {
            Some((c, len)) if !c.is_control() => (TextCell::Char(c), len),
            _ => (TextCell::Dot, 1),
        };
        for (i, offset) in (at..at + len).enumerate() {
            if (row_start..row_end).contains(&offset) {
                cells[offset - row_start] = if i == 0 { cell } else { TextCell::Continuation };
            }
        }
        at += len;
    }
    cells
}

/// A whole dump as text: offset, hex, ASCII; one row a line.
pub fn dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(row_count(bytes.len()) * 78);
    for index in 0..row_count(bytes.len()) {
        let row = row(bytes, index);
        out.push_str(&format!(
            "{:08x}  {:<49}  |{}|\n",
            row.offset, row.hex, row.ascii
        ));
    }
    out
}

/// Where one top-level header field lies within the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpan {
    /// The key, unescaped as far as plain text goes.
    pub key: String,
    /// Bytes of the key's JSON string, quotes included.
    pub key_range: Range<usize>,
    /// Bytes of the value's JSON text.
    pub value_range: Range<usize>,
}

/// The parts of a frame's bytes, for highlighting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameLayout {
    /// The 2-byte proto-header (shorter if the bytes end first).
    pub proto_header: Range<usize>,
    /// The JSON header.
    pub header: Range<usize>,
    /// The content.
    pub content: Range<usize>,
    /// Each top-level header field, in order.
    pub fields: Vec<FieldSpan>,
}

/// Which part of a frame a byte belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// The proto-header.
    ProtoHeader,
    /// The JSON header (outside any field).
    Header,
    /// Inside header field number `n` (key or value).
    Field(usize),
    /// The content.
    Content,
    /// Past the end of what the frame declares.
    Beyond,
}

impl FrameLayout {
    /// Lays out `bytes` as a frame, as far as they go.
    pub fn of(bytes: &[u8]) -> Self {
        let proto_end = PROTO_HEADER_LEN.min(bytes.len());
        if bytes.len() < PROTO_HEADER_LEN {
            return Self {
                proto_header: 0..proto_end,
                header: proto_end..proto_end,
                content: proto_end..proto_end,
                fields: Vec::new(),
            };
        }
        let header_end = header_end_within(bytes);
        let fields = scan_fields(&bytes[PROTO_HEADER_LEN..header_end])
            .into_iter()
            .map(|span| FieldSpan {
                key: span.key,
                key_range: shift(span.key_range, PROTO_HEADER_LEN),
                value_range: shift(span.value_range, PROTO_HEADER_LEN),
            })
            .collect();
        Self {
            proto_header: 0..PROTO_HEADER_LEN,
            header: PROTO_HEADER_LEN..header_end,
            content: header_end..bytes.len(),
            fields,
        }
    }

    /// Lays out a frame of a profile other than the JSON header's: every
    /// byte is some field's, so the fields are the header, and each field
    /// (a bits sub-field too, over its container's bytes) is a span.
    pub fn of_fields(len: usize, fields: &[DecodedField]) -> Self {
        Self {
            proto_header: 0..0,
            header: 0..len,
            content: len..len,
            fields: fields
                .iter()
                .map(|field| FieldSpan {
                    key: field.name.clone(),
                    key_range: field.offset..field.offset,
                    value_range: field.offset..field.offset + field.len,
                })
                .collect(),
        }
    }

    /// The region that byte `offset` falls in.
    pub fn region_of(&self, offset: usize) -> Region {
        if self.proto_header.contains(&offset) {
            return Region::ProtoHeader;
        }
        if self.header.contains(&offset) {
            let field = self
                .fields
                .iter()
                .position(|f| (f.key_range.start..f.value_range.end).contains(&offset));
            return field.map_or(Region::Header, Region::Field);
        }
        if self.content.contains(&offset) {
            Region::Content
        } else {
            Region::Beyond
        }
    }
}

fn shift(range: Range<usize>, by: usize) -> Range<usize> {
    range.start + by..range.end + by
}

/// Finds the key and value spans of a JSON object's top-level members.
/// Stops quietly where the text stops being a well-formed object.
fn scan_fields(text: &[u8]) -> Vec<FieldSpan> {
    let mut fields = Vec::new();
    let mut at = skip_space(text, 0);
    if text.get(at) != Some(&b'{') {
        return fields;
    }
    at += 1;
    loop {
        at = skip_space(text, at);
        if text.get(at) != Some(&b'"') {
            return fields;
        }
        let Some(key_end) = string_end(text, at) else {
            return fields;
        };
        let key = String::from_utf8_lossy(&text[at + 1..key_end - 1]).into_owned();
        let key_range = at..key_end;
        at = skip_space(text, key_end);
        if text.get(at) != Some(&b':') {
            return fields;
        }
        at = skip_space(text, at + 1);
        let Some(value_end) = value_end(text, at) else {
            return fields;
        };
        fields.push(FieldSpan {
            key,
            key_range,
            value_range: at..value_end,
        });
        at = skip_space(text, value_end);
        match text.get(at) {
            Some(b',') => at += 1,
            _ => return fields,
        }
    }
}

fn skip_space(text: &[u8], mut at: usize) -> usize {
    while matches!(text.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// End (exclusive) of the JSON string starting at `start` (its opening quote).
fn string_end(text: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < text.len() {
        match text[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// End (exclusive) of the JSON value starting at `start`.
fn value_end(text: &[u8], start: usize) -> Option<usize> {
    match text.get(start)? {
        b'"' => string_end(text, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = start;
            while at < text.len() {
                match text[at] {
                    b'"' => {
                        at = string_end(text, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            None
        }
        _ => {
            let len = text[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(text.len() - start);
            (len > 0).then_some(start + len)
        }
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn reads_the_usual_spellings_of_hex() {
        assert_eq!(parse_hex("00 1a ff").unwrap(), [0x00, 0x1a, 0xff]);
        assert_eq!(parse_hex("001AFF").unwrap(), [0x00, 0x1a, 0xff]);
        assert_eq!(parse_hex("0x00, 0x1a").unwrap(), [0x00, 0x1a]);
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("abc"), Err(HexError::OddLength(3)));
        assert_eq!(
            parse_hex("zz"),
            Err(HexError::BadDigit {
                character: 'z',
                position: 0
            })
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::frame::FrameBuilder;

    #[test]
    fn rows_have_offset_hex_and_ascii() {
        let bytes: Vec<u8> = (0x41..0x41 + 20).collect();
        assert_eq!(row_count(bytes.len()), 2);
        let first = row(&bytes, 0);
        assert_eq!(first.offset, 0);
        assert_eq!(
            first.hex,
            "41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50"
        );
        assert_eq!(first.ascii, "ABCDEFGHIJKLMNOP");
        let second = row(&bytes, 1);
        assert_eq!(
            (second.offset, second.hex.as_str(), second.ascii.as_str()),
            (16, "51 52 53 54", "QRST")
        );
        assert_eq!(printable(0x00), '.');
    }

    #[test]
    fn layout_finds_parts_and_each_field_value() {
        let frame = FrameBuilder::new()
            .field("byteorder", "big")
            .field("tags", serde_json::json!({"a": [1, "}"]}))
            .content("hi")
            .build()
            .unwrap();
        let layout = FrameLayout::of(&frame);
        assert_eq!(layout.proto_header, 0..2);
        assert_eq!(layout.content, frame.len() - 2..frame.len());
        let keys: Vec<_> = layout.fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "byteorder",
                "content-type",
                "content-encoding",
                "content-length",
                "tags"
            ]
        );
        let value = |i: usize| {
            std::str::from_utf8(&frame[layout.fields[i].value_range.clone()])
                .unwrap()
                .to_owned()
        };
        assert_eq!(value(0), "\"big\"");
        assert_eq!(value(3), "2");
        assert_eq!(value(4), r#"{"a": [1, "}"]}"#);
        assert_eq!(layout.region_of(0), Region::ProtoHeader);
        assert_eq!(
            layout.region_of(layout.fields[3].value_range.start),
            Region::Field(3)
        );
        assert_eq!(layout.region_of(frame.len() - 1), Region::Content);
    }

    #[test]
    fn layout_of_broken_bytes_does_not_panic() {
        for bytes in [
            &b""[..],
            b"\x00",
            b"\x00\x05{\"a",
            b"\xff\xff[1,2",
            b"\x00\x03{\"\\",
        ] {
            let layout = FrameLayout::of(bytes);
            assert!(layout.content.end <= bytes.len());
        }
    }

    #[test]
    fn a_character_shows_under_its_first_byte_in_its_encoding() {
        use TextCell::{Char, Continuation, Dot};
        // "a你" in UTF-8, then a control byte.
        let bytes = [b'a', 0xE4, 0xBD, 0xA0, 0x01];
        assert_eq!(
            text_cells(&bytes, 0, 0, TextEncoding::UTF_8),
            [Char('a'), Char('你'), Continuation, Continuation, Dot]
        );
        // A UTF-8 header, then GBK content: "{}" then "你".
        let bytes = [b'{', b'}', 0xC4, 0xE3];
        let gbk = TextEncoding::named("gbk").unwrap();
        assert_eq!(
            text_cells(&bytes, 0, 2, gbk),
            [Char('{'), Char('}'), Char('你'), Continuation]
        );
        // A character that begins in the row before leaves its tail blank.
        let mut bytes = vec![b'x'; 15];
        bytes.extend_from_slice("你好".as_bytes());
        let second = text_cells(&bytes, BYTES_PER_ROW, 0, TextEncoding::UTF_8);
        assert_eq!(
            second,
            [
                Continuation,
                Continuation,
                Char('好'),
                Continuation,
                Continuation
            ]
        );
    }
}
