//! One line of the frames table: what a person needs to tell records apart.
//! Built only for the rows on screen, from the first few hundred bytes of a
//! record, so a 16 MiB frame costs no more than a small one.

use crate::engine::frame::PROTO_HEADER_LEN;
use crate::engine::journal::Record;
use crate::engine::{Direction, Journal, RecordKind, Side};

/// Characters of content shown in the summary.
pub const SUMMARY_CHARS: usize = 60;
/// Bytes of content read to make the summary.
const SUMMARY_BYTES: usize = 4 * SUMMARY_CHARS;

/// What the table shows of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSummary {
    /// Sequence number.
    pub seq: u64,
    /// Microseconds since the Unix epoch.
    pub time_us: u64,
    /// Server or client.
    pub side: Side,
    /// Connection id.
    pub conn: u32,
    /// Sent or received.
    pub direction: Direction,
    /// Frame, chunk or error.
    pub kind: RecordKind,
    /// Bytes on the wire.
    pub wire_len: u32,
    /// The header's content-type, `raw` for chunks, empty when unknown.
    pub content_type: String,
    /// The first characters of the content, or the error.
    pub summary: String,
}

impl RowSummary {
    /// The row for record `seq`, if the journal still holds it.
    pub fn of(journal: &Journal, seq: u64) -> Option<Self> {
        let record = journal.record(seq)?;
        let (content_type, content) = peek(journal, record);
        let summary = match &record.error {
            Some(error) => format!("{}: {}", error.part, error.reason),
            None => one_line(&content, SUMMARY_CHARS),
        };
        Some(Self {
            seq,
            time_us: record.time_us,
            side: record.side,
            conn: record.conn,
            direction: record.direction,
            kind: record.kind,
            wire_len: record.wire_len,
            content_type,
            summary,
        })
    }
}

/// The content-type and the first content bytes of a record.
fn peek(journal: &Journal, record: &Record) -> (String, Vec<u8>) {
    if record.kind == RecordKind::Chunk {
        return (
            "raw".to_owned(),
            journal.prefix_of(record, SUMMARY_BYTES).to_vec(),
        );
    }
    let head = journal.prefix_of(record, PROTO_HEADER_LEN);
    let [a, b] = head[..] else {
        return (String::new(), head.to_vec());
    };
    let header_end = PROTO_HEADER_LEN + usize::from(u16::from_be_bytes([a, b]));
    let prefix = journal.prefix_of(record, header_end + SUMMARY_BYTES);
    let header = prefix.get(PROTO_HEADER_LEN..header_end);
    let content_type = header
        .and_then(|h| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(h).ok())
        .and_then(|h| h.get("content-type").map(value_text))
        .unwrap_or_default();
    let content = prefix.get(header_end..).unwrap_or_default().to_vec();
    (content_type, content)
}

/// A JSON value as a person reads it: strings bare, anything else as JSON.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The first `chars` characters of `bytes` on one line: text when it is
/// UTF-8 (a character cut at the end is fine), else hex.
pub fn one_line(bytes: &[u8], chars: usize) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&bytes[..error.valid_up_to()]).ok()
        }
        Err(_) => None,
    };
    let Some(text) = text else {
        let shown = bytes.len().min(chars / 3);
        let hex: Vec<String> = bytes[..shown].iter().map(|b| format!("{b:02x}")).collect();
        let more = if bytes.len() > shown { " …" } else { "" };
        return format!("binary: {}{more}", hex.join(" "));
    };
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

/// A time of day (UTC) with milliseconds: `13:04:59.123`.
pub fn time_of_day(time_us: u64) -> String {
    let millis = time_us / 1000;
    let seconds = millis / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (seconds / 3600) % 24,
        (seconds / 60) % 60,
        seconds % 60,
        millis % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FrameBuilder;
    use crate::engine::journal::Entry;

    #[test]
    fn a_frame_row_shows_its_content_type_and_content() {
        let mut journal = Journal::default();
        let frame = FrameBuilder::new()
            .content("x".repeat(100) + "\n")
            .build()
            .unwrap();
        journal.append(Entry {
            conn: 3,
            side: Side::Client,
            direction: Direction::Sent,
            kind: RecordKind::Frame,
            bytes: &frame,
            error: None,
        });
        let row = RowSummary::of(&journal, 0).unwrap();
        assert_eq!(row.content_type, "text/json");
        assert_eq!(row.summary, "x".repeat(60) + "…");
        assert_eq!(row.wire_len as usize, frame.len());
        assert!(RowSummary::of(&journal, 1).is_none());
    }

    #[test]
    fn one_line_handles_text_cut_mid_character_and_binary() {
        assert_eq!(one_line("a\nb".as_bytes(), 10), "a b");
        assert_eq!(one_line(&"é".as_bytes()[..1], 10), "");
        assert_eq!(one_line(&[0xff, 0, 1], 60), "binary: ff 00 01");
    }

    #[test]
    fn time_of_day_is_utc_with_millis() {
        assert_eq!(
            time_of_day(((13 * 3600 + 4 * 60 + 59) * 1000 + 123) * 1000),
            "13:04:59.123"
        );
    }
}
