//! One selected record, opened: its decoded header as a key/value table, its
//! content (pretty JSON, text, or a note that it is binary) and its hex dump.
//! Hovering a header field lights up its bytes in the dump, and hovering
//! bytes lights up their field, as in Wireshark.

use egui::{RichText, Ui};

use crate::engine::describe::{self, role_of};
use crate::engine::follow::Leg;
use crate::engine::hexdump::{self, FrameLayout, Region};
use crate::engine::tls::HandshakeInfo;
use crate::engine::{
    Direction, Profile, RecordKind, RecordView, Side, TextEncoding, declared_header_len,
};

use crate::app::files::file_content::human_bytes;
use crate::app::i18n::{TrArg, tr, tr_with};
use crate::app::records::follow_view::legs_to_follow;
use crate::app::records::hex_view::{self, HexView, Palette};
use crate::clock::{Style, Zone};
use crate::engine::describe::{reads_as_text, value_text};

/// Largest content pretty-printed as JSON.
const PRETTY_LIMIT: usize = 1 << 20;
/// Characters of content shown as text.
const TEXT_LIMIT: usize = 16 * 1024;
/// Narrower than this, the header table and the content stack up.
const SIDE_BY_SIDE_WIDTH: f32 = 560.0;
/// Characters of a header value shown in the table.
const VALUE_LIMIT: usize = 200;
/// The record's time in full: one record has room for its date and micros.
const FULL_TIME: Style = Style {
    date: true,
    micros: true,
};

/// How the content reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ContentText {
    /// Pretty-printed JSON.
    Json(String),
    /// Text (maybe shortened), in the encoding the header names.
    Text(String),
    /// Text in the encoding the header names, some of whose bytes do not
    /// decode in it (shown as U+FFFD): the text, and the encoding.
    Malformed(String, &'static str),
    /// Neither: `n` bytes of binary.
    Binary(usize),
    /// No content.
    Empty,
}

/// One row of the decoded header table.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HeaderRow {
    key: String,
    value: String,
    region: Region,
}

/// The selected record, ready to show.
#[derive(Debug)]
pub struct RecordDetail {
    view: RecordView,
    layout: FrameLayout,
    rows: Vec<HeaderRow>,
    header_error: Option<String>,
    content: ContentText,
    /// The profile its fields were read by, when not the JSON header's.
    profile: Option<String>,
    /// The region under the pointer last frame (in the table or the dump).
    hovered: Option<Region>,
    /// Where the dump's text column starts reading in an encoding other
    /// than UTF-8 (bytes before it, a JSON header, read as UTF-8), and
    /// which: a frame's content in the encoding its header names, a raw
    /// chunk in the encoding chosen for raw bytes, anything else UTF-8.
    text: (usize, TextEncoding),
}

impl RecordDetail {
    /// Lays out a record once, when it is selected; a raw chunk's bytes
    /// read as text in `raw`.
    pub fn new(view: RecordView, raw: TextEncoding) -> Self {
        let framed = matches!(view.kind, RecordKind::Frame | RecordKind::Error);
        if framed && let Some(profile) = view.profile.clone() {
            return Self::under_profile(view, &profile);
        }
        let layout = if framed {
            FrameLayout::of(&view.bytes)
        } else {
            hex_view::raw_layout(view.bytes.len())
        };
        let (rows, header_error) = match view.kind {
            _ if framed => header_rows(&view.bytes, &layout),
            RecordKind::Handshake => (handshake_rows(&view.bytes), None),
            _ => (Vec::new(), None),
        };
        let encoding = match view.kind {
            RecordKind::Chunk => Some(raw),
            _ => describe::content_encoding(&view.bytes),
        };
        let content = content_text(&view.bytes[layout.content.clone()], encoding);
        let text = match (view.kind, encoding) {
            (RecordKind::Chunk, _) => (0, raw),
            (_, Some(encoding)) if framed => (layout.content.start, encoding),
            _ => (0, TextEncoding::UTF_8),
        };
        Self {
            view,
            layout,
            rows,
            header_error,
            content,
            profile: None,
            hovered: None,
            text,
        }
    }

    /// A frame of `profile`: its fields by name, each lighting its bytes.
    fn under_profile(view: RecordView, profile: &Profile) -> Self {
        let (fields, fault) = profile.decode(&view.bytes, role_of(&view));
        let layout = FrameLayout::of_fields(view.bytes.len(), &fields);
        let rows = fields
            .iter()
            .enumerate()
            .map(|(index, field)| HeaderRow {
                key: if field.bits.is_some() {
                    format!("  .{}", field.name)
                } else {
                    field.name.clone()
                },
                value: shorten(
                    &match &field.label {
                        Some(label) => format!("{} ({label})", field.value),
                        None => field.value.to_string(),
                    },
                    VALUE_LIMIT,
                ),
                region: Region::Field(index),
            })
            .collect();
        Self {
            profile: Some(profile.name().to_owned()),
            header_error: fault.map(|f| f.to_string()),
            content: ContentText::Empty,
            view,
            layout,
            rows,
            hovered: None,
            text: (0, TextEncoding::UTF_8),
        }
    }

    /// The record's sequence number.
    pub fn seq(&self) -> u64 {
        self.view.seq
    }

    /// The bytes lit up in the dump: the field or part under the pointer.
    pub fn highlighted(&self) -> Option<std::ops::Range<usize>> {
        self.hovered
            .and_then(|region| hex_view::region_range(&self.layout, region))
    }

    /// The connection the record belongs to, to follow.
    pub fn leg(&self) -> Leg {
        Leg {
            side: self.view.side,
            conn: self.view.conn,
        }
    }

    /// What Follow stream follows for this record: its relayed
    /// conversation's two legs, or its connection.
    pub fn legs_to_follow(&self) -> Vec<Leg> {
        legs_to_follow(self.view.side, self.view.conn, self.view.link)
    }

    /// Shows the record, its time in `zone` (`held`: the relay holds its
    /// frame now); returns the connections to follow when a Follow button
    /// was clicked.
    pub fn ui(&mut self, ui: &mut Ui, zone: Zone, held: bool) -> Option<Vec<Leg>> {
        let follow = self.summary_ui(ui, zone, held);
        if self.view.kind == RecordKind::Note {
            note_ui(ui, &self.view.bytes);
            return follow;
        }
        let top_height = (ui.available_height() * 0.42).clamp(90.0, 280.0);
        let mut hovered = None;
        if self.profile.is_some() {
            // A profile's frame is all fields: they take the whole width.
            let height = (ui.available_height() * 0.55).clamp(120.0, 420.0);
            ui.allocate_ui(egui::vec2(ui.available_width(), height), |ui| {
                hovered = self.header_ui(ui, height);
            });
        } else if ui.available_width() >= SIDE_BY_SIDE_WIDTH {
            ui.allocate_ui(egui::vec2(ui.available_width(), top_height), |ui| {
                ui.columns(2, |columns| {
                    hovered = self.header_ui(&mut columns[0], top_height);
                    self.content_ui(&mut columns[1], top_height);
                });
            });
        } else {
            hovered = self.header_ui(ui, top_height * 0.6);
            self.content_ui(ui, top_height * 0.4);
        }
        // The text column in characters (in the content's encoding), or a
        // dot for every byte past ASCII, as the user last chose.
        let dots_id = egui::Id::unique("hex_text_dots");
        let mut dots = ui.data_mut(|d| *d.get_persisted_mut_or_default::<bool>(dots_id));
        ui.horizontal(|ui| {
            ui.strong(tr("records-bytes"));
            if self.profile.is_none() {
                hex_view::legend(ui);
            }
            ui.weak(tr("records-bytes-hint"));
            ui.checkbox(&mut dots, tr("records-dots"))
                .on_hover_text(tr("records-dots-hover"));
        });
        ui.data_mut(|d| d.insert_persisted(dots_id, dots));
        let highlight = self.highlighted();
        let mut bytes_view =
            HexView::new(&self.view.bytes, &self.layout, "Record bytes").highlight(highlight);
        if !dots {
            let (start, encoding) = self.text;
            bytes_view = bytes_view.characters(start, encoding);
        }
        let hovered_byte = bytes_view.show(ui);
        let hovered = hovered.or(hovered_byte.map(|offset| self.layout.region_of(offset)));
        if hovered != self.hovered {
            self.hovered = hovered;
            ui.ctx().request_repaint();
        }
        follow
    }

    /// The record's line and buttons; returns the connections to follow
    /// when a Follow button was clicked.
    fn summary_ui(&self, ui: &mut Ui, zone: Zone, held: bool) -> Option<Vec<Leg>> {
        let view = &self.view;
        let mut follow = None;
        ui.horizontal(|ui| {
            ui.strong(tr_with(
                "records-record-title",
                &[("seq", view.seq.to_string().into())],
            ));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                follow = self.follow_buttons(ui);
                if ui
                    .button(tr("records-copy-text"))
                    .on_hover_text(tr("records-copy-text-hover"))
                    .clicked()
                {
                    ui.ctx()
                        .copy_text(String::from_utf8_lossy(&self.view.bytes).into_owned());
                }
                if ui
                    .button(tr("records-copy-hex"))
                    .on_hover_text(tr("records-copy-hex-hover"))
                    .clicked()
                {
                    ui.ctx().copy_text(hexdump::dump(&self.view.bytes));
                }
            });
        });
        let peer = view
            .peer
            .map(|p| {
                format!(
                    " {}",
                    tr_with("records-peer", &[("peer", p.to_string().into())])
                )
            })
            .unwrap_or_default();
        // A note crossed no wire: no direction or size to speak of.
        let what = if view.kind == RecordKind::Note {
            tr("records-note-what")
        } else {
            format!(
                "{} · {} · {}",
                direction_label(view.direction),
                kind_label(view.kind),
                human_bytes(u64::from(view.wire_len))
            )
        };
        let conn = tr_with("records-conn", &[("conn", view.conn.to_string().into())]);
        ui.label(format!(
            "{} · {conn}{peer} · {what} · {} {}",
            side_label(view.side),
            zone.text(view.time_us, FULL_TIME),
            zone.suffix_at(view.time_us),
        ));
        if view.transport.is_udp()
            && let (Some(local), Some(peer)) = (view.local, view.peer)
        {
            let (from, to) = match view.direction {
                Direction::Sent => (local, peer),
                Direction::Received => (peer, local),
            };
            ui.label(tr_with(
                "records-datagram",
                &[
                    ("from", from.to_string().into()),
                    ("to", to.to_string().into()),
                ],
            ));
        }
        if let Some(other) = view.link {
            ui.label(relayed_text(view.side, view.conn, other));
        }
        if held {
            ui.colored_label(ui.visuals().warn_fg_color, tr("records-held-help"));
        }
        if let Some(error) = &view.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with(
                    "records-decode-error",
                    &[("error", error.to_string().into())],
                ),
            );
        }
        if !view.is_complete() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                tr_with(
                    "records-captured",
                    &[
                        ("captured", view.bytes.len().to_string().into()),
                        ("wire", view.wire_len.to_string().into()),
                    ],
                ),
            );
        }
        follow
    }

    /// Follow stream, or for a relayed connection's record Follow
    /// conversation and Follow this leg (laid out right to left: the first
    /// is at the edge).
    fn follow_buttons(&self, ui: &mut Ui) -> Option<Vec<Leg>> {
        let mut follow = None;
        if self.view.link.is_none() {
            if ui
                .button(tr("records-follow-stream"))
                .on_hover_text(tr("records-follow-stream-hover"))
                .clicked()
            {
                follow = Some(vec![self.leg()]);
            }
            return follow;
        }
        if ui
            .button(tr("records-follow-conversation"))
            .on_hover_text(tr("records-follow-conversation-hover"))
            .clicked()
        {
            follow = Some(self.legs_to_follow());
        }
        if ui
            .button(tr("records-follow-leg"))
            .on_hover_text(tr("records-follow-leg-hover"))
            .clicked()
        {
            follow = Some(vec![self.leg()]);
        }
        follow
    }

    /// The header table; returns the region of the row under the pointer.
    fn header_ui(&self, ui: &mut Ui, height: f32) -> Option<Region> {
        match &self.profile {
            Some(profile) => ui.strong(tr_with("records-fields", &[("profile", profile.into())])),
            None if self.view.kind == RecordKind::Handshake => {
                ui.strong(kind_label(RecordKind::Handshake))
            }
            None => ui.strong(tr("records-header")),
        };
        if self.view.kind == RecordKind::Chunk {
            ui.weak(tr("records-chunk-no-header"));
            return None;
        }
        let palette = Palette::of(ui.visuals());
        let mut hovered = None;
        egui::ScrollArea::vertical()
            .id_salt("detail_header")
            .max_height(height - 24.0)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Grid::new("detail_header_grid")
                    .num_columns(2)
                    .spacing([12.0, 2.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for row in &self.rows {
                            let lit = self.hovered == Some(row.region);
                            let paint = |text: &str, color| {
                                let text = RichText::new(text).monospace().color(color);
                                if lit {
                                    text.background_color(palette.highlight_fill)
                                        .color(palette.highlight_text)
                                } else {
                                    text
                                }
                            };
                            let key = ui.add(
                                egui::Label::new(paint(&row.key, palette.of_region(row.region)))
                                    .selectable(false),
                            );
                            let value = ui.add(
                                egui::Label::new(paint(&row.value, ui.visuals().text_color()))
                                    .selectable(false)
                                    .truncate(),
                            );
                            if key.contains_pointer() || value.contains_pointer() {
                                hovered = Some(row.region);
                            }
                            ui.end_row();
                        }
                    });
                if let Some(error) = &self.header_error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
            });
        hovered
    }

    fn content_ui(&self, ui: &mut Ui, height: f32) {
        ui.strong(tr("records-content"));
        egui::ScrollArea::both()
            .id_salt("detail_content")
            .max_height(height - 24.0)
            .auto_shrink([false, true])
            .show(ui, |ui| match &self.content {
                ContentText::Json(text) | ContentText::Text(text) => {
                    ui.add(egui::Label::new(RichText::new(text).monospace()).extend());
                }
                ContentText::Malformed(text, encoding) => {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        tr_with("records-malformed", &[("encoding", (*encoding).into())]),
                    );
                    ui.add(egui::Label::new(RichText::new(text).monospace()).extend());
                }
                ContentText::Binary(len) => {
                    ui.weak(tr_with(
                        "records-binary",
                        &[("count", len.to_string().into())],
                    ));
                }
                ContentText::Empty => {
                    ui.weak(tr("records-no-content"));
                }
            });
    }
}

/// Which leg of which relayed conversation a record of connection `conn`
/// on `side` is, linked to `other`.
fn relayed_text(side: Side, conn: u32, other: u32) -> String {
    let args: [(&str, TrArg); 2] = [
        ("conn", conn.to_string().into()),
        ("other", other.to_string().into()),
    ];
    match side {
        Side::Server => tr_with("records-relayed-client-leg", &args),
        Side::Client => tr_with("records-relayed-target-leg", &args),
    }
}

/// A note's text, whole: framescope's own words, not bytes from the wire.
fn note_ui(ui: &mut Ui, bytes: &[u8]) {
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("detail_note")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.label(RichText::new(String::from_utf8_lossy(bytes)).italics());
            ui.weak(tr("records-note-remark"));
        });
}

/// The proto-header, each header field, and the content, as table rows.
fn header_rows(bytes: &[u8], layout: &FrameLayout) -> (Vec<HeaderRow>, Option<String>) {
    let mut rows = Vec::with_capacity(layout.fields.len() + 2);
    if layout.proto_header.len() == 2
        && let Some(value) = declared_header_len(bytes)
    {
        rows.push(HeaderRow {
            key: tr("records-row-proto-header"),
            value: tr_with(
                "records-row-proto-header-value",
                &[
                    ("value", value.to_string().into()),
                    ("hex", format!("{value:04x}").into()),
                ],
            ),
            region: Region::ProtoHeader,
        });
    }
    for (index, field) in layout.fields.iter().enumerate() {
        let raw = String::from_utf8_lossy(&bytes[field.value_range.clone()]);
        let value = serde_json::from_str::<serde_json::Value>(&raw)
            .map(|v| value_text(&v))
            .unwrap_or_else(|_| raw.into_owned());
        rows.push(HeaderRow {
            key: field.key.clone(),
            value: shorten(&value, VALUE_LIMIT),
            region: Region::Field(index),
        });
    }
    rows.push(HeaderRow {
        key: tr("records-row-content"),
        value: tr_with(
            "records-row-content-value",
            &[("count", layout.content.len().to_string().into())],
        ),
        region: Region::Content,
    });
    let header = &bytes[layout.header.clone()];
    let header_error = match serde_json::from_slice::<serde_json::Value>(header) {
        Ok(serde_json::Value::Object(_)) => None,
        Ok(_) => Some(tr("records-header-not-object")),
        Err(error) => Some(tr_with(
            "records-header-not-json",
            &[("error", error.to_string().into())],
        )),
    };
    (rows, header_error)
}

/// What a handshake agreed, and the peer's certificate, as table rows (the
/// record's bytes are its JSON, shown whole beside them).
fn handshake_rows(bytes: &[u8]) -> Vec<HeaderRow> {
    let Some(info) = HandshakeInfo::from_bytes(bytes) else {
        return Vec::new();
    };
    let none = || tr("records-tls-none");
    let mut rows = vec![
        (tr("records-tls-version"), info.version),
        (tr("records-tls-cipher-suite"), info.cipher_suite),
        ("ALPN".to_owned(), info.alpn.unwrap_or_else(none)),
        ("SNI".to_owned(), info.sni.unwrap_or_else(none)),
    ];
    match info.peer_certificate {
        Some(cert) => rows.extend([
            (tr("records-tls-peer-subject"), cert.subject),
            (tr("records-tls-peer-issuer"), cert.issuer),
            (tr("records-tls-valid-from"), cert.not_before),
            (tr("records-tls-valid-until"), cert.not_after),
            (tr("records-tls-names"), cert.names.join(", ")),
            ("SHA-256".to_owned(), cert.sha256.to_string()),
        ]),
        None => rows.push((tr("records-tls-peer-certificate"), none())),
    }
    rows.into_iter()
        .map(|(key, value)| HeaderRow {
            key,
            value: shorten(&value, VALUE_LIMIT),
            region: Region::Content,
        })
        .collect()
}

/// How content reads: pretty JSON when it is JSON, else text (in the
/// encoding the header names, UTF-8 when it names none, with no control
/// characters but line breaks and tabs), else binary.
fn content_text(content: &[u8], encoding: Option<TextEncoding>) -> ContentText {
    if content.is_empty() {
        return ContentText::Empty;
    }
    if let Some(encoding) = encoding.filter(|e| !e.is_utf8()) {
        return encoded_text(content, encoding);
    }
    if content.len() <= PRETTY_LIMIT
        && let Some(pretty) = pretty_json(content)
    {
        return ContentText::Json(shorten(&pretty, TEXT_LIMIT));
    }
    let head = &content[..content.len().min(TEXT_LIMIT * 4)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return ContentText::Binary(content.len()),
    };
    if !reads_as_text(text, TEXT_LIMIT) {
        return ContentText::Binary(content.len());
    }
    let mut shown = shorten(text, TEXT_LIMIT);
    if shown.len() < content.len() && !shown.ends_with('…') {
        shown.push('…');
    }
    ContentText::Text(shown)
}

/// Content in a named encoding other than UTF-8: decoded whole (marks
/// where bytes do not decode, and a note), pretty when it is JSON.
fn encoded_text(content: &[u8], encoding: TextEncoding) -> ContentText {
    let decoded = encoding.decode(content);
    if decoded.malformed {
        return ContentText::Malformed(shorten(&decoded.text, TEXT_LIMIT), encoding.name());
    }
    if content.len() <= PRETTY_LIMIT
        && let Some(pretty) = pretty_json(decoded.text.as_bytes())
    {
        return ContentText::Json(shorten(&pretty, TEXT_LIMIT));
    }
    if !reads_as_text(&decoded.text, TEXT_LIMIT) {
        return ContentText::Binary(content.len());
    }
    ContentText::Text(shorten(&decoded.text, TEXT_LIMIT))
}

/// `content` pretty-printed, when it is a JSON object or array.
fn pretty_json(content: &[u8]) -> Option<String> {
    let value = serde_json::from_slice::<serde_json::Value>(content).ok()?;
    if !(value.is_object() || value.is_array()) {
        return None;
    }
    serde_json::to_string_pretty(&value).ok()
}

/// At most `limit` characters, with `…` when cut.
fn shorten(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// "server" or "client".
pub fn side_text(side: crate::engine::Side) -> &'static str {
    match side {
        crate::engine::Side::Server => "server",
        crate::engine::Side::Client => "client",
    }
}

/// The side, or for one leg of a relayed conversation which leg it is:
/// the client's connection to the relay, or the relay's to its target.
pub fn leg_text(side: crate::engine::Side, link: Option<u32>) -> &'static str {
    match (side, link) {
        (crate::engine::Side::Server, Some(_)) => "client leg",
        (crate::engine::Side::Client, Some(_)) => "target leg",
        (side, None) => side_text(side),
    }
}

/// "sent" or "received".
pub fn direction_text(direction: crate::engine::Direction) -> &'static str {
    match direction {
        crate::engine::Direction::Sent => "sent",
        crate::engine::Direction::Received => "received",
    }
}

/// The message `records-<what>-<text>`: `text` (one of the words below)
/// in the window's language.
fn label(what: &str, text: &str) -> String {
    tr(&format!(
        "records-{what}-{}",
        text.to_ascii_lowercase().replace(' ', "-")
    ))
}

/// [`side_text`] in the window's language.
pub fn side_label(side: Side) -> String {
    label("side", side_text(side))
}

/// [`leg_text`] in the window's language.
pub fn leg_label(side: Side, link: Option<u32>) -> String {
    label("side", leg_text(side, link))
}

/// [`direction_text`] in the window's language.
pub fn direction_label(direction: crate::engine::Direction) -> String {
    label("dir", direction_text(direction))
}

/// [`kind_text`] in the window's language.
pub fn kind_label(kind: RecordKind) -> String {
    label("kind", kind_text(kind))
}

/// "frame", "chunk" or "error".
pub fn kind_text(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Frame => "frame",
        RecordKind::Chunk => "chunk",
        RecordKind::Error => "decode error",
        RecordKind::Handshake => "TLS handshake",
        RecordKind::Note => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FrameBuilder;

    #[test]
    fn rows_cover_the_proto_header_each_field_and_the_content() {
        let frame = FrameBuilder::new().content(r#"{"a": 1}"#).build().unwrap();
        let layout = FrameLayout::of(&frame);
        let (rows, error) = header_rows(&frame, &layout);
        assert!(error.is_none());
        let keys: Vec<_> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "(proto-header)",
                "byteorder",
                "content-type",
                "content-encoding",
                "content-length",
                "(content)"
            ]
        );
        assert_eq!(rows[2].value, "text/json");
        assert_eq!(rows[4].value, "8");
        assert_eq!(rows[4].region, Region::Field(3));
    }

    #[test]
    fn content_reads_as_json_text_or_binary() {
        assert_eq!(
            content_text(br#"{"a":1}"#, None),
            ContentText::Json("{\n  \"a\": 1\n}".into())
        );
        assert_eq!(
            content_text(b"hello", None),
            ContentText::Text("hello".into())
        );
        assert_eq!(content_text(&[0xff, 0xfe], None), ContentText::Binary(2));
        // Valid UTF-8, but control characters: boxes as text.
        assert_eq!(content_text(&[0, 1, 2, b'a'], None), ContentText::Binary(4));
        assert_eq!(
            content_text(b"two\r\nlines\tand a tab", None),
            ContentText::Text("two\r\nlines\tand a tab".into())
        );
        assert_eq!(content_text(b"", None), ContentText::Empty);
        let long = "x".repeat(TEXT_LIMIT + 10);
        assert!(
            matches!(content_text(long.as_bytes(), None), ContentText::Text(t) if t.ends_with('…'))
        );
    }

    #[test]
    fn content_reads_in_the_encoding_the_header_names_and_says_when_it_does_not() {
        let gbk = TextEncoding::named("gbk");
        let request = "{\"action\": \"search\", \"value\": \"你好\"}";
        let bytes = gbk.unwrap().encode(request).unwrap();
        assert_eq!(
            content_text(&bytes, gbk),
            ContentText::Json("{\n  \"action\": \"search\",\n  \"value\": \"你好\"\n}".into())
        );
        // UTF-8 bytes under a header that says gbk: marks, and the note.
        match content_text(b"{\"value\": \"\x81\x20\"}", gbk) {
            ContentText::Malformed(text, "gbk") => assert!(text.contains('\u{FFFD}'), "{text}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_broken_header_is_reported() {
        let bytes = b"\x00\x05{\"a\":";
        let layout = FrameLayout::of(bytes);
        let (_, error) = header_rows(bytes, &layout);
        assert!(error.unwrap().contains("does not parse"));
    }
}
