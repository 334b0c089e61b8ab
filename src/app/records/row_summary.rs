//! One line of the frames table: what a person needs to tell records apart.
//! Built only for the rows on screen, from the first few hundred bytes of a
//! record, so a 16 MiB frame costs no more than a small one.

use crate::engine::TextEncoding;
use crate::engine::describe::{self, one_line};
use crate::engine::tls::HandshakeInfo;
use crate::engine::{
    Direction, JournalSnapshot, PROTO_HEADER_LEN, RecordKind, RecordRef, Side, header_end,
};

/// Characters of content shown in the summary.
pub const SUMMARY_CHARS: usize = 60;
/// Bytes of content read to make the summary.
const SUMMARY_BYTES: usize = 4 * SUMMARY_CHARS;

/// Bytes of a frame of a profile read to name its first fields.
const PROFILE_BYTES: usize = 4096;

/// The summary of a record whose content the journal did not keep (it
/// captured headers only).
pub const NOT_KEPT: &str = "(content not kept: capture was headers only)";

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
    /// The other leg's connection, for a relayed connection's record.
    pub link: Option<u32>,
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
    /// The row for record `seq`, if the journal still holds it; raw chunks
    /// read as text in `raw`.
    pub fn of(journal: &JournalSnapshot, seq: u64, raw: TextEncoding) -> Option<Self> {
        let entry = journal.get(seq)?;
        let record = entry.record();
        let profile = entry
            .profile()
            .filter(|_| matches!(record.kind, RecordKind::Frame | RecordKind::Error));
        let (content_type, content, encoding) = match &profile {
            Some(profile) => (profile.name().to_owned(), Vec::new(), None),
            None => peek(&entry, raw),
        };
        let summary = match entry.error() {
            // A handshake failure is no frame part's fault: the reason alone.
            Some(crate::engine::ReadError {
                reason: reason @ crate::engine::ReadReason::Handshake(_),
                ..
            }) => reason.to_string(),
            Some(error) => format!("{}: {}", error.part, error.reason),
            None if record.kind == RecordKind::Handshake => {
                HandshakeInfo::from_bytes(&entry.prefix(usize::MAX))
                    .map_or_else(|| "TLS handshake".to_owned(), |info| info.summary())
            }
            None if let Some(profile) = &profile => {
                let role = describe::role(record.side, record.direction);
                let line = describe::fields_line(profile, &entry.prefix(PROFILE_BYTES), role);
                one_line(line.as_bytes(), SUMMARY_CHARS * 2)
            }
            None if content.is_empty() && record.captured_len() < record.wire_len as usize => {
                NOT_KEPT.to_owned()
            }
            None => match encoding {
                Some(encoding) => describe::one_line_in(&content, SUMMARY_CHARS, encoding),
                None => one_line(&content, SUMMARY_CHARS),
            },
        };
        Some(Self {
            seq,
            time_us: record.time_us,
            side: record.side,
            conn: record.conn,
            direction: record.direction,
            link: entry.link(),
            kind: record.kind,
            wire_len: record.wire_len,
            content_type,
            summary,
        })
    }
}

/// The content-type and the first content bytes of a record.
fn peek(entry: &RecordRef<'_>, raw: TextEncoding) -> (String, Vec<u8>, Option<TextEncoding>) {
    match entry.record().kind {
        RecordKind::Chunk => {
            return (
                "raw".to_owned(),
                entry.prefix(SUMMARY_BYTES).to_vec(),
                Some(raw),
            );
        }
        RecordKind::Handshake => return ("tls".to_owned(), Vec::new(), None),
        RecordKind::Note => {
            return (
                "note".to_owned(),
                entry.prefix(SUMMARY_BYTES).to_vec(),
                None,
            );
        }
        RecordKind::Frame | RecordKind::Error => {}
    }
    let head = entry.prefix(PROTO_HEADER_LEN);
    let Some(header_end) = header_end(&head) else {
        return (String::new(), head.to_vec(), None);
    };
    let prefix = entry.prefix(header_end + SUMMARY_BYTES);
    // Text content reads in the encoding the header names.
    let (content_type, encoding) = describe::content_type_and_encoding(&prefix);
    let content_type = content_type.unwrap_or_default();
    let content = prefix.get(header_end..).unwrap_or_default().to_vec();
    (content_type, content, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FrameBuilder;
    use crate::engine::{Entry, Journal, Origin};

    #[test]
    fn a_frame_row_shows_its_content_type_and_content() {
        let mut journal = Journal::default();
        let frame = FrameBuilder::new()
            .content("x".repeat(100) + "\n")
            .build()
            .unwrap();
        journal.append(Entry {
            origin: &Origin::client(3, None, None),
            direction: Direction::Sent,
            kind: RecordKind::Frame,
            bytes: &frame,
            error: None,
        });
        let row = RowSummary::of(&journal.snapshot(), 0, TextEncoding::UTF_8).unwrap();
        assert_eq!(row.content_type, "text/json");
        assert_eq!(row.summary, "x".repeat(60) + "…");
        assert_eq!(row.wire_len as usize, frame.len());
        assert!(RowSummary::of(&journal.snapshot(), 1, TextEncoding::UTF_8).is_none());
    }

    #[test]
    fn a_frame_captured_headers_only_says_its_content_was_not_kept() {
        // As a headers-only capture keeps them (or a log file restores
        // them): the bytes up to the content, the whole frame's length.
        let mut journal = Journal::default();
        let frame = FrameBuilder::new().content("hello").build().unwrap();
        let empty = FrameBuilder::new().build().unwrap();
        for (kept, wire_len) in [
            (frame.slice(..frame.len() - 5), frame.len()),
            (empty.clone(), empty.len()),
        ] {
            journal.restore(
                1,
                wire_len as u32,
                Entry {
                    origin: &Origin::client(3, None, None),
                    direction: Direction::Sent,
                    kind: RecordKind::Frame,
                    bytes: &kept,
                    error: None,
                },
            );
        }
        let snapshot = journal.snapshot();
        assert_eq!(
            RowSummary::of(&snapshot, 0, TextEncoding::UTF_8)
                .unwrap()
                .summary,
            NOT_KEPT
        );
        assert_eq!(
            RowSummary::of(&snapshot, 1, TextEncoding::UTF_8)
                .unwrap()
                .summary,
            "",
            "a frame with no content lost nothing"
        );
    }
}
