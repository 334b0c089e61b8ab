//! Follow stream: one conversation's records, both directions in journal
//! order, as Wireshark's "Follow TCP Stream" shows them; and renderers of
//! each turn as escaped text, as a hex dump or as decoded frames, with a
//! plain-text export of the whole conversation.
//!
//! A conversation is a list of [`Leg`]s: one (side, connection) for a
//! connection followed on its own; a relayed conversation will hand in both
//! of its legs. It is read from journal snapshots incrementally
//! ([`Conversation::update`] looks only at records it has not seen), so a
//! viewer can follow a live connection at the cost of its new records.

use std::fmt::Write;
use std::net::SocketAddr;

use bytes::Bytes;

use crate::engine::net::read_error::ReadError;
use crate::engine::protocol::text_encoding::TextEncoding;
use crate::engine::record::journal::{JournalSnapshot, RecordRef};
use crate::engine::record::vocabulary::{Direction, RecordKind, Side};
use crate::engine::render::describe::{self, value_text};
use crate::engine::render::hexdump::{self, FrameLayout};

/// One connection of a conversation, as the journal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Leg {
    /// The embedded server's connection or a client's.
    pub side: Side,
    /// The connection id.
    pub conn: u32,
}

impl Leg {
    /// `client connection #3`.
    pub fn name(&self) -> String {
        let side = match self.side {
            Side::Server => "server",
            Side::Client => "client",
        };
        format!("{side} connection #{}", self.conn)
    }
}

/// The two ends of a leg, as far as the journal knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ends {
    /// framescope's end.
    pub local: Option<SocketAddr>,
    /// The other end.
    pub peer: Option<SocketAddr>,
}

impl Ends {
    /// `127.0.0.1:50612 → 127.0.0.1:65432`: who sends in `direction`.
    pub fn arrow(&self, direction: Direction) -> String {
        let local = self
            .local
            .map_or_else(|| "framescope".to_owned(), |a| a.to_string());
        let peer = self
            .peer
            .map_or_else(|| "peer".to_owned(), |a| a.to_string());
        match direction {
            Direction::Sent => format!("{local} → {peer}"),
            Direction::Received => format!("{peer} → {local}"),
        }
    }
}

/// One record of the conversation: what one end sent at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// Its sequence number in the journal.
    pub seq: u64,
    /// Microseconds since the Unix epoch.
    pub time_us: u64,
    /// Which of the conversation's legs it crossed (an index into its legs).
    pub leg: usize,
    /// Sent (framescope's end to the peer) or received.
    pub direction: Direction,
    /// Frame, raw chunk or decode error.
    pub kind: RecordKind,
    /// Bytes that crossed the wire (more than `bytes` under partial capture).
    pub wire_len: u32,
    /// The captured bytes (shared with the journal).
    pub bytes: Bytes,
    /// The decode error, for error records.
    pub error: Option<ReadError>,
}

impl Turn {
    fn of(record: &RecordRef<'_>, leg: usize) -> Self {
        let fields = record.record();
        Self {
            seq: record.seq(),
            time_us: fields.time_us,
            leg,
            direction: fields.direction,
            kind: fields.kind,
            wire_len: fields.wire_len,
            bytes: record.bytes(),
            error: record.error().cloned(),
        }
    }
}

/// A conversation: its legs, their ends, and its turns in journal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    legs: Vec<Leg>,
    ends: Vec<Ends>,
    turns: Vec<Turn>,
    /// The first sequence number not yet looked at.
    scanned_to: u64,
}

impl Conversation {
    /// An empty conversation over `legs` (one, for a single connection).
    pub fn new(legs: Vec<Leg>) -> Self {
        let ends = vec![Ends::default(); legs.len()];
        Self {
            legs,
            ends,
            turns: Vec::new(),
            scanned_to: 0,
        }
    }

    /// The conversation over `legs` as `snapshot` holds it.
    pub fn of(snapshot: &JournalSnapshot, legs: Vec<Leg>) -> Self {
        let mut conversation = Self::new(legs);
        conversation.update(snapshot);
        conversation
    }

    /// Adds the turns of records `snapshot` holds that it has not looked at
    /// yet; returns how many were added. Turns already read stay, even
    /// after their records fall out of the journal.
    pub fn update(&mut self, snapshot: &JournalSnapshot) -> usize {
        let before = self.turns.len();
        for record in snapshot.range_from(self.scanned_to) {
            let fields = record.record();
            let Some(leg) = self
                .legs
                .iter()
                .position(|l| l.side == fields.side && l.conn == fields.conn)
            else {
                continue;
            };
            let ends = &mut self.ends[leg];
            if ends.peer.is_none() {
                ends.peer = record.peer();
            }
            if ends.local.is_none() {
                ends.local = record.local();
            }
            self.turns.push(Turn::of(&record, leg));
        }
        self.scanned_to = self.scanned_to.max(snapshot.next_seq());
        self.turns.len() - before
    }

    /// Its legs.
    pub fn legs(&self) -> &[Leg] {
        &self.legs
    }

    /// The ends of leg number `leg`, as far as known.
    pub fn ends(&self, leg: usize) -> Ends {
        self.ends.get(leg).copied().unwrap_or_default()
    }

    /// Its turns, in journal order.
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// Turns and bytes on the wire in `direction`.
    pub fn totals(&self, direction: Direction) -> (usize, u64) {
        self.totals_where(|t| t.direction == direction)
    }

    /// Turns and bytes on the wire in `direction` on leg number `leg`.
    pub fn leg_totals(&self, leg: usize, direction: Direction) -> (usize, u64) {
        self.totals_where(|t| t.leg == leg && t.direction == direction)
    }

    fn totals_where(&self, pick: impl Fn(&Turn) -> bool) -> (usize, u64) {
        self.turns
            .iter()
            .filter(|t| pick(t))
            .fold((0, 0), |(n, bytes), t| {
                (n + 1, bytes + u64::from(t.wire_len))
            })
    }
}

/// How a conversation is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum FollowMode {
    /// The bytes as text, non-printable ones escaped.
    #[default]
    Text,
    /// A hex dump of each turn.
    Hex,
    /// Each frame's decoded header and content; decode errors marked.
    Frames,
}

impl FollowMode {
    /// Every mode, in the order a switch shows them.
    pub const ALL: [FollowMode; 3] = [FollowMode::Text, FollowMode::Hex, FollowMode::Frames];

    /// Its name on a switch.
    pub fn name(self) -> &'static str {
        match self {
            FollowMode::Text => "Text",
            FollowMode::Hex => "Hex",
            FollowMode::Frames => "Frames",
        }
    }

    /// What it shows, in a sentence.
    pub fn help(self) -> &'static str {
        match self {
            FollowMode::Text => {
                "The bytes as text: line breaks kept, other control bytes and bytes that \
                 are not UTF-8 escaped as \\xNN"
            }
            FollowMode::Hex => "A hex dump of each turn: offset, 16 bytes in hex, their ASCII",
            FollowMode::Frames => {
                "Each frame's decoded header fields and content; decode errors marked"
            }
        }
    }
}

/// `bytes` as text: UTF-8 kept, `\n` and `\r\n` as line breaks, tabs as
/// tabs, any other control character and every byte that is not UTF-8
/// escaped (`\x00`, `\r`, `\u{85}`). Backslashes are left as they are:
/// the hex view is the one for exact bytes.
pub fn escape_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\n' | '\t' => out.push(c),
                '\r' if chars.peek() == Some(&'\n') => {}
                '\r' => out.push_str("\\r"),
                c if c.is_control() && c.is_ascii() => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Raw bytes as text in `raw` (UTF-8 as [`escape_text`] reads it).
fn raw_text(bytes: &[u8], raw: TextEncoding) -> String {
    if raw.is_utf8() {
        return escape_text(bytes);
    }
    escape_text(raw.decode(bytes).text.as_bytes())
}

/// A turn as text: a frame whose header names a text encoding other than
/// UTF-8 has its content read in it (bytes it does not decode as U+FFFD),
/// a raw chunk in `raw`; anything else as [`escape_text`].
fn turn_text(turn: &Turn, raw: TextEncoding) -> String {
    if turn.kind == RecordKind::Chunk {
        return raw_text(&turn.bytes, raw);
    }
    let encoding = (turn.kind == RecordKind::Frame)
        .then(|| describe::content_encoding(&turn.bytes))
        .flatten()
        .filter(|encoding| !encoding.is_utf8());
    let (Some(encoding), Some((header, content))) = (encoding, describe::split(&turn.bytes)) else {
        return escape_text(&turn.bytes);
    };
    let head = &turn.bytes[..turn.bytes.len() - content.len()];
    debug_assert!(head.ends_with(header.as_bytes()));
    let mut out = escape_text(head);
    out.push_str(&escape_text(encoding.decode(content).text.as_bytes()));
    out
}

/// The body of one turn in `mode`, each line ending in a line break; raw
/// chunks read as text in `raw`.
pub fn render_turn(turn: &Turn, mode: FollowMode, raw: TextEncoding) -> String {
    let mut out = match mode {
        FollowMode::Text => turn_text(turn, raw),
        FollowMode::Hex => hexdump::dump(&turn.bytes),
        FollowMode::Frames => decoded(turn, raw),
    };
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let captured = turn.bytes.len() as u64;
    if captured < u64::from(turn.wire_len) {
        let _ = writeln!(
            out,
            "[captured {captured} of the {} bytes on the wire]",
            turn.wire_len
        );
    }
    out
}

/// A frame's header fields and content, a raw chunk's content, or a
/// decode error and the bytes it was about.
fn decoded(turn: &Turn, raw: TextEncoding) -> String {
    let mut out = String::new();
    match turn.kind {
        RecordKind::Chunk => {
            let _ = writeln!(out, "raw chunk: {}", raw_text(&turn.bytes, raw));
        }
        RecordKind::Handshake => {
            let _ = writeln!(out, "TLS handshake: {}", escape_text(&turn.bytes));
        }
        RecordKind::Note => {
            let _ = writeln!(out, "note: {}", escape_text(&turn.bytes));
        }
        RecordKind::Error => {
            let why = turn.error.as_ref().map_or_else(
                || "a frame that did not decode".to_owned(),
                |e| e.to_string(),
            );
            let _ = writeln!(out, "!! decode error: {why}");
            let _ = writeln!(out, "bytes: {}", escape_text(&turn.bytes));
        }
        RecordKind::Frame => {
            let layout = FrameLayout::of(&turn.bytes);
            let header = &turn.bytes[layout.header.clone()];
            if serde_json::from_slice::<serde_json::Value>(header).is_err() {
                let _ = writeln!(
                    out,
                    "!! header is not a JSON object: {}",
                    escape_text(header)
                );
            }
            for field in &layout.fields {
                let raw = String::from_utf8_lossy(&turn.bytes[field.value_range.clone()]);
                let value = serde_json::from_str::<serde_json::Value>(&raw)
                    .map(|v| value_text(&v))
                    .unwrap_or_else(|_| raw.into_owned());
                let _ = writeln!(out, "{}: {}", field.key, escape_text(value.as_bytes()));
            }
            let content = &turn.bytes[layout.content.clone()];
            let _ = writeln!(
                out,
                "content ({} bytes): {}",
                content.len(),
                escape_text(content)
            );
        }
    }
    out
}

/// The line above a turn: its number, time, direction, ends and size.
/// `time` formats a time in microseconds since the Unix epoch.
pub fn turn_heading(
    conversation: &Conversation,
    turn: &Turn,
    time: &dyn Fn(u64) -> String,
) -> String {
    let error = if turn.kind == RecordKind::Error {
        ", decode error"
    } else {
        ""
    };
    let what = direction_word(turn.direction);
    let bytes = if turn.wire_len == 1 { "byte" } else { "bytes" };
    format!(
        "#{} {} {what} {} ({} {bytes}{error})",
        turn.seq,
        time(turn.time_us),
        conversation.ends(turn.leg).arrow(turn.direction),
        turn.wire_len,
    )
}

/// The whole conversation as plain text in `mode`: who its ends are, what
/// each way carried, then every turn under its heading. `time` formats a
/// time in microseconds since the Unix epoch.
pub fn export(
    conversation: &Conversation,
    (mode, raw): (FollowMode, TextEncoding),
    time: &dyn Fn(u64) -> String,
) -> String {
    let mut out = String::new();
    let legs: Vec<String> = conversation.legs().iter().map(Leg::name).collect();
    let _ = writeln!(out, "Follow stream: {}", legs.join(" + "));
    for leg in 0..conversation.legs().len() {
        let ends = conversation.ends(leg);
        for direction in [Direction::Sent, Direction::Received] {
            let (turns, bytes) = conversation.leg_totals(leg, direction);
            let _ = writeln!(
                out,
                "  {:<9} {} ({turns} turns, {bytes} bytes)",
                format!("{}:", direction_word(direction)),
                ends.arrow(direction),
            );
        }
    }
    let _ = writeln!(out, "Shown as {}: {}", mode.name(), mode.help());
    for turn in conversation.turns() {
        out.push('\n');
        out.push_str(&turn_heading(conversation, turn, time));
        out.push('\n');
        out.push_str(&render_turn(turn, mode, raw));
    }
    out
}

/// "sent" or "received".
fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "sent",
        Direction::Received => "received",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::frame::FrameBuilder;
    use crate::engine::record::journal::{Entry, Journal, JournalLimits, Origin};

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn append(journal: &mut Journal, side: Side, conn: u32, direction: Direction, bytes: &[u8]) {
        let bytes = Bytes::copy_from_slice(bytes);
        journal.append(Entry {
            origin: &Origin {
                conn,
                side,
                peer: Some(addr(9000)),
                local: Some(addr(5000 + conn as u16)),
                link: None,
                profile: None,
                transport: crate::engine::Transport::Tcp,
            },
            direction,
            kind: RecordKind::Chunk,
            bytes: &bytes,
            error: None,
        });
    }

    #[test]
    fn raw_chunks_read_in_the_encoding_chosen_for_them() {
        let turn = chunk_turn(Direction::Sent, &[0xC4, 0xE3, 0xBA, 0xC3]);
        let gbk = TextEncoding::named("gbk").unwrap();
        assert_eq!(render_turn(&turn, FollowMode::Text, gbk), "你好\n");
        assert_eq!(
            render_turn(&turn, FollowMode::Text, TextEncoding::UTF_8),
            "\\xc4\\xe3\\xba\\xc3\n"
        );
        assert_eq!(
            render_turn(&turn, FollowMode::Frames, gbk),
            "raw chunk: 你好\n"
        );
    }

    #[test]
    fn text_escapes_what_does_not_print_and_keeps_line_breaks() {
        assert_eq!(escape_text(b"GET /\r\nHost: x\r\n"), "GET /\nHost: x\n");
        assert_eq!(escape_text(b"a\tb\nc"), "a\tb\nc");
        assert_eq!(escape_text(b"\x00\x1b[0m\x7f"), "\\x00\\x1b[0m\\x7f");
        assert_eq!(escape_text(b"lone\rcr"), "lone\\rcr");
        assert_eq!(escape_text("é ü 日本".as_bytes()), "é ü 日本");
        assert_eq!(escape_text(b"ok\xff\xfe!"), "ok\\xff\\xfe!");
        // A character cut at the end is two bytes that are not UTF-8.
        assert_eq!(escape_text(&"é".as_bytes()[..1]), "\\xc3");
        assert_eq!(escape_text("\u{85}".as_bytes()), "\\u{85}");
        assert_eq!(escape_text(br"a\b"), r"a\b");
    }

    #[test]
    fn a_conversation_is_one_connection_in_journal_order_and_grows() {
        let mut journal = Journal::new(JournalLimits::UNBOUNDED);
        append(&mut journal, Side::Client, 1, Direction::Sent, b"hello");
        append(&mut journal, Side::Client, 2, Direction::Sent, b"other");
        append(
            &mut journal,
            Side::Server,
            1,
            Direction::Received,
            b"server side",
        );
        append(
            &mut journal,
            Side::Client,
            1,
            Direction::Received,
            b"hi back",
        );
        let leg = Leg {
            side: Side::Client,
            conn: 1,
        };
        let mut conversation = Conversation::of(&journal.snapshot(), vec![leg]);
        let seen: Vec<_> = conversation
            .turns()
            .iter()
            .map(|t| (t.seq, t.direction, t.bytes.clone()))
            .collect();
        assert_eq!(
            seen,
            [
                (0, Direction::Sent, Bytes::from_static(b"hello")),
                (3, Direction::Received, Bytes::from_static(b"hi back")),
            ]
        );
        assert_eq!(
            conversation.ends(0).arrow(Direction::Sent),
            "127.0.0.1:5001 → 127.0.0.1:9000"
        );
        assert_eq!(conversation.totals(Direction::Received), (1, 7));

        // Only what is new is read again.
        assert_eq!(conversation.update(&journal.snapshot()), 0);
        append(&mut journal, Side::Client, 1, Direction::Sent, b"more");
        assert_eq!(conversation.update(&journal.snapshot()), 1);
        assert_eq!(conversation.turns()[2].seq, 4);
    }

    #[test]
    fn hex_shows_each_turn_as_a_dump() {
        let turn = chunk_turn(Direction::Sent, b"\x00\x01AB");
        assert_eq!(
            render_turn(&turn, FollowMode::Hex, TextEncoding::UTF_8),
            "00000000  00 01 41 42                                        |..AB|\n"
        );
    }

    fn chunk_turn(direction: Direction, bytes: &'static [u8]) -> Turn {
        Turn {
            seq: 7,
            time_us: 1,
            leg: 0,
            direction,
            kind: RecordKind::Chunk,
            wire_len: bytes.len() as u32,
            bytes: Bytes::from_static(bytes),
            error: None,
        }
    }

    #[test]
    fn frames_show_header_fields_and_content_and_mark_errors() {
        let frame = FrameBuilder::new().content("{\"a\": 1}").build().unwrap();
        let turn = Turn {
            kind: RecordKind::Frame,
            wire_len: frame.len() as u32,
            bytes: frame,
            ..chunk_turn(Direction::Received, b"")
        };
        let shown = render_turn(&turn, FollowMode::Frames, TextEncoding::UTF_8);
        assert!(shown.contains("content-type: text/json\n"), "{shown}");
        assert!(shown.contains("content-length: 8\n"), "{shown}");
        assert!(
            shown.ends_with("content (8 bytes): {\"a\": 1}\n"),
            "{shown}"
        );

        let broken = Turn {
            kind: RecordKind::Error,
            error: Some(ReadError {
                offset: 0,
                part: crate::engine::protocol::codec::FramePart::Header,
                reason: crate::engine::protocol::codec::DecodeReason::NotJson {
                    detail: "EOF".into(),
                }
                .into(),
            }),
            ..chunk_turn(Direction::Received, b"\x00\x05{\"a\":")
        };
        let shown = render_turn(&broken, FollowMode::Frames, TextEncoding::UTF_8);
        assert!(
            shown.starts_with("!! decode error: frame at stream offset 0"),
            "{shown}"
        );
        assert!(shown.contains("bytes: \\x00\\x05{\"a\":"), "{shown}");
    }

    #[test]
    fn a_short_capture_says_so() {
        let turn = Turn {
            wire_len: 100,
            ..chunk_turn(Direction::Sent, b"abc")
        };
        assert_eq!(
            render_turn(&turn, FollowMode::Text, TextEncoding::UTF_8),
            "abc\n[captured 3 of the 100 bytes on the wire]\n"
        );
    }

    #[test]
    fn the_export_names_the_ends_and_heads_every_turn() {
        let mut journal = Journal::new(JournalLimits::UNBOUNDED);
        append(
            &mut journal,
            Side::Server,
            4,
            Direction::Received,
            b"ping\r\n",
        );
        append(&mut journal, Side::Server, 4, Direction::Sent, b"pong\x00");
        let leg = Leg {
            side: Side::Server,
            conn: 4,
        };
        let conversation = Conversation::of(&journal.snapshot(), vec![leg]);
        let text = export(
            &conversation,
            (FollowMode::Text, TextEncoding::UTF_8),
            &|_| "T".to_owned(),
        );
        let expected = "\
Follow stream: server connection #4
  sent:     127.0.0.1:5004 → 127.0.0.1:9000 (1 turns, 5 bytes)
  received: 127.0.0.1:9000 → 127.0.0.1:5004 (1 turns, 6 bytes)
Shown as Text: The bytes as text: line breaks kept, other control bytes and bytes that are not UTF-8 escaped as \\xNN

#0 T received 127.0.0.1:9000 → 127.0.0.1:5004 (6 bytes)
ping

#1 T sent 127.0.0.1:5004 → 127.0.0.1:9000 (5 bytes)
pong\\x00
";
        assert_eq!(text, expected);
    }

    #[test]
    fn the_export_of_two_legs_counts_each_leg_on_its_own() {
        let mut journal = Journal::new(JournalLimits::UNBOUNDED);
        append(&mut journal, Side::Server, 4, Direction::Received, b"ping");
        append(&mut journal, Side::Client, 5, Direction::Sent, b"ping");
        append(&mut journal, Side::Client, 5, Direction::Received, b"pong!");
        append(&mut journal, Side::Server, 4, Direction::Sent, b"pong!");
        let legs = vec![
            Leg {
                side: Side::Server,
                conn: 4,
            },
            Leg {
                side: Side::Client,
                conn: 5,
            },
        ];
        let conversation = Conversation::of(&journal.snapshot(), legs);
        assert_eq!(conversation.leg_totals(1, Direction::Sent), (1, 4));
        assert_eq!(conversation.totals(Direction::Sent), (2, 9));
        let text = export(
            &conversation,
            (FollowMode::Text, TextEncoding::UTF_8),
            &|_| "T".to_owned(),
        );
        let head: Vec<&str> = text.lines().take(5).collect();
        assert_eq!(
            head,
            [
                "Follow stream: server connection #4 + client connection #5",
                "  sent:     127.0.0.1:5004 → 127.0.0.1:9000 (1 turns, 5 bytes)",
                "  received: 127.0.0.1:9000 → 127.0.0.1:5004 (1 turns, 4 bytes)",
                "  sent:     127.0.0.1:5005 → 127.0.0.1:9000 (1 turns, 4 bytes)",
                "  received: 127.0.0.1:9000 → 127.0.0.1:5005 (1 turns, 5 bytes)",
            ]
        );
    }
}
