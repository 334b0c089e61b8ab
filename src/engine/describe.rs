//! One-line descriptions of records, shared by the window's table and the
//! command line's output.

use super::frame::PROTO_HEADER_LEN;
use super::journal::{RecordKind, RecordView};

/// How many characters of content a summary shows.
const SUMMARY_CONTENT_CHARS: usize = 60;

/// `HH:MM:SS.micros` (UTC) of a time in microseconds since the Unix epoch.
pub fn clock_time(time_us: u64) -> String {
    let micros = time_us % 1_000_000;
    let secs = time_us / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{micros:06}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// The header's `content-type` of a frame's bytes, if it can be read.
pub fn content_type(bytes: &[u8]) -> Option<String> {
    let header = header_text(bytes)?;
    let value: serde_json::Value = serde_json::from_str(header).ok()?;
    value.get("content-type")?.as_str().map(str::to_owned)
}

/// The header's UTF-8 text of a frame's bytes, if complete and valid.
pub fn header_text(bytes: &[u8]) -> Option<&str> {
    let declared = usize::from(u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]));
    std::str::from_utf8(bytes.get(PROTO_HEADER_LEN..PROTO_HEADER_LEN + declared)?).ok()
}

/// The content of a frame's bytes (whatever follows the header).
pub fn content(bytes: &[u8]) -> &[u8] {
    match header_text(bytes) {
        Some(header) => &bytes[PROTO_HEADER_LEN + header.len()..],
        None => &[],
    }
}

/// A short, printable preview of bytes: text as is, binary as hex.
pub fn preview(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let mut shown: String = text
                .chars()
                .take(SUMMARY_CONTENT_CHARS)
                .map(|c| if c.is_control() { '·' } else { c })
                .collect();
            if text.chars().count() > SUMMARY_CONTENT_CHARS {
                shown.push('…');
            }
            shown
        }
        Err(_) => {
            let shown = bytes
                .iter()
                .take(SUMMARY_CONTENT_CHARS / 3)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ");
            if bytes.len() > SUMMARY_CONTENT_CHARS / 3 {
                format!("{shown} …")
            } else {
                shown
            }
        }
    }
}

/// One line that says what a record is: the error, or content-type and content.
pub fn summary(view: &RecordView) -> String {
    match (&view.kind, &view.error) {
        (_, Some(error)) => error.to_string(),
        (RecordKind::Frame, None) => {
            let kind = content_type(&view.bytes).unwrap_or_else(|| "?".into());
            format!("{kind} {}", preview(content(&view.bytes)))
        }
        _ => preview(&view.bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::frame::FrameBuilder;

    #[test]
    fn times_and_summaries_read_well() {
        assert_eq!(clock_time(3_723_000_042), "01:02:03.000042");
        let frame = FrameBuilder::new().content("{\"a\": 1}").build().unwrap();
        assert_eq!(content_type(&frame).as_deref(), Some("text/json"));
        assert_eq!(content(&frame), b"{\"a\": 1}");
        assert_eq!(preview(&[0xff, 0x00]), "ff 00");
        assert_eq!(
            preview(&[b'x'; 70]).chars().count(),
            SUMMARY_CONTENT_CHARS + 1
        );
    }
}
