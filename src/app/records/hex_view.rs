//! A Wireshark-style byte view: offset, 16 bytes in hex, their ASCII; the
//! proto-header, header and content in distinct colours, and one range of
//! bytes highlighted (the field or part under the pointer, here or in the
//! decoded header). Only the rows on screen are laid out, so a 16 MiB frame
//! scrolls as smoothly as a small one.

use std::ops::Range;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId, Role, ScrollArea, Sense, Ui, Visuals, WidgetInfo};

use crate::app::i18n::tr;
use crate::engine::TextEncoding;
use crate::engine::hexdump::{self, BYTES_PER_ROW, FrameLayout, HexRow, Region, TextCell};

/// Columns before the first hex digit: an 8-digit offset and two spaces.
const HEX_COLUMN: usize = 10;
/// Width of the hex part: 16 bytes of `xx ` and one extra space in the middle.
const HEX_WIDTH: usize = 49;
/// Column of the first ASCII character.
const ASCII_COLUMN: usize = HEX_COLUMN + HEX_WIDTH + 2;
/// Columns of a full row.
const ROW_COLUMNS: usize = ASCII_COLUMN + BYTES_PER_ROW;
/// Columns of a row without its ASCII part (for narrow panels).
const HEX_ONLY_COLUMNS: usize = HEX_COLUMN + HEX_WIDTH;
/// Size of the dump's text: a little under egui's monospace, so that a
/// whole row fits a composer of ordinary width.
const FONT_SIZE: f32 = 12.0;
/// Room for the vertical scroll bar beside the rows.
const SCROLL_BAR_ROOM: f32 = 14.0;

/// The colours of the byte view, for the current theme.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Offsets and padding.
    pub offset: Color32,
    /// The proto-header.
    pub proto_header: Color32,
    /// Header fields.
    pub field: Color32,
    /// Header bytes between fields (braces, commas).
    pub header: Color32,
    /// The content.
    pub content: Color32,
    /// Bytes past what the frame declares.
    pub beyond: Color32,
    /// Text of highlighted bytes.
    pub highlight_text: Color32,
    /// Background of highlighted bytes.
    pub highlight_fill: Color32,
}

impl Palette {
    /// The palette for these visuals.
    pub fn of(visuals: &Visuals) -> Self {
        if visuals.dark_mode {
            Self {
                offset: visuals.weak_text_color(),
                proto_header: Color32::from_rgb(255, 176, 90),
                field: Color32::from_rgb(125, 185, 255),
                header: Color32::from_rgb(95, 140, 200),
                content: Color32::from_rgb(140, 215, 140),
                beyond: Color32::from_rgb(255, 110, 110),
                highlight_text: Color32::BLACK,
                highlight_fill: Color32::from_rgb(250, 215, 110),
            }
        } else {
            Self {
                offset: visuals.weak_text_color(),
                proto_header: Color32::from_rgb(180, 90, 0),
                field: Color32::from_rgb(20, 85, 200),
                header: Color32::from_rgb(70, 110, 170),
                content: Color32::from_rgb(20, 125, 45),
                beyond: Color32::from_rgb(200, 30, 30),
                highlight_text: Color32::BLACK,
                highlight_fill: Color32::from_rgb(255, 220, 100),
            }
        }
    }

    /// The text colour of a region.
    pub fn of_region(&self, region: Region) -> Color32 {
        match region {
            Region::ProtoHeader => self.proto_header,
            Region::Header => self.header,
            Region::Field(_) => self.field,
            Region::Content => self.content,
            Region::Beyond => self.beyond,
        }
    }
}

/// The layout of raw bytes that are not a frame: all content.
pub fn raw_layout(len: usize) -> FrameLayout {
    FrameLayout {
        proto_header: 0..0,
        header: 0..0,
        content: 0..len,
        fields: Vec::new(),
    }
}

/// The bytes of the part or field a region names.
pub fn region_range(layout: &FrameLayout, region: Region) -> Option<Range<usize>> {
    match region {
        Region::ProtoHeader => Some(layout.proto_header.clone()),
        Region::Header => Some(layout.header.clone()),
        Region::Field(index) => layout
            .fields
            .get(index)
            .map(|f| f.key_range.start..f.value_range.end),
        Region::Content => Some(layout.content.clone()),
        Region::Beyond => None,
    }
}

/// Shows a legend of the part colours.
pub fn legend(ui: &mut Ui) {
    let palette = Palette::of(ui.visuals());
    ui.horizontal(|ui| {
        ui.colored_label(palette.proto_header, tr("records-legend-proto-header"));
        ui.colored_label(palette.field, tr("records-legend-header"));
        ui.colored_label(palette.content, tr("records-legend-content"));
    });
}

/// The byte view of `bytes`.
pub struct HexView<'a> {
    bytes: &'a [u8],
    layout: &'a FrameLayout,
    highlight: Option<Range<usize>>,
    name: &'a str,
    max_height: Option<f32>,
    /// The text column in characters: where the content starts (bytes
    /// before it read as UTF-8) and its encoding; `None`: a dot for every
    /// byte that is not printable ASCII, the classic way.
    text: Option<(usize, TextEncoding)>,
}

impl<'a> HexView<'a> {
    /// A view of `bytes` coloured by `layout`; `name` starts each row's
    /// accessible text ("Record bytes", "Preview bytes") and salts its ids.
    pub fn new(bytes: &'a [u8], layout: &'a FrameLayout, name: &'a str) -> Self {
        Self {
            bytes,
            layout,
            highlight: None,
            name,
            max_height: None,
            text: None,
        }
    }

    /// Shows the text column in characters, each under its first byte:
    /// bytes from `start` read in `encoding`, those before it as UTF-8.
    pub fn characters(mut self, start: usize, encoding: TextEncoding) -> Self {
        self.text = Some((start, encoding));
        self
    }

    /// Takes at most this height (scrolling inside), instead of all there is.
    pub fn max_height(mut self, height: f32) -> Self {
        self.max_height = Some(height);
        self
    }

    /// Highlights these bytes.
    pub fn highlight(mut self, range: Option<Range<usize>>) -> Self {
        self.highlight = range.filter(|r| !r.is_empty());
        self
    }

    /// Shows the rows on screen; returns the offset of the byte under the pointer.
    pub fn show(self, ui: &mut Ui) -> Option<usize> {
        if self.bytes.is_empty() {
            ui.weak(tr("records-no-bytes"));
            return None;
        }
        let font_id = FontId::monospace(FONT_SIZE);
        let (row_height, char_width) =
            ui.fonts_mut(|fonts| (fonts.row_height(&font_id), fonts.glyph_width(&font_id, '0')));
        let palette = Palette::of(ui.visuals());
        // A panel too narrow for the whole row drops the ASCII column, as the
        // content is readable elsewhere; the accessible text keeps it.
        let show_ascii = ui.available_width() >= char_width * ROW_COLUMNS as f32 + SCROLL_BAR_ROOM;
        let columns = if show_ascii {
            ROW_COLUMNS
        } else {
            HEX_ONLY_COLUMNS
        };
        let mut hovered = None;
        ui.scope(|ui| {
            ui.spacing_mut().item_spacing.y = 0.0;
            let area = ScrollArea::both().id_salt(self.name);
            let area = match self.max_height {
                Some(height) => area.auto_shrink([false, true]).max_height(height),
                None => area.auto_shrink([false, false]),
            };
            area.show_rows(
                ui,
                row_height,
                hexdump::row_count(self.bytes.len()),
                |ui, rows| {
                    for index in rows {
                        let row = hexdump::row(self.bytes, index);
                        // The text column in characters, worked out once for
                        // what is drawn and what is read out.
                        let cells = self.text.map(|(start, encoding)| {
                            hexdump::text_cells(self.bytes, row.offset, start, encoding)
                        });
                        let mut job = self.row_job(&row, &palette, &font_id, show_ascii);
                        if show_ascii && let Some(cells) = &cells {
                            let mut glyph_width =
                                |c: char| ui.fonts_mut(|fonts| fonts.glyph_width(&font_id, c));
                            self.text_column(
                                &mut job,
                                (&row, cells),
                                &palette,
                                &font_id,
                                char_width,
                                &mut glyph_width,
                            );
                        }
                        let galley = ui.painter().layout_job(job);
                        let width = char_width * columns as f32;
                        let (rect, response) = ui.allocate_exact_size(
                            egui::vec2(width.max(galley.size().x), row_height),
                            Sense::hover(),
                        );
                        ui.painter().galley(rect.min, galley, palette.offset);
                        let text = accessible_text(&row, cells.as_deref());
                        response.widget_info(|| {
                            WidgetInfo::labeled(Role::Label, true, format!("{} {text}", self.name))
                        });
                        if let Some(pos) = response.hover_pos() {
                            let column = ((pos.x - rect.left()) / char_width) as usize;
                            hovered = byte_at_column(column)
                                .map(|i| row.offset + i)
                                .filter(|&offset| offset < self.bytes.len());
                        }
                    }
                },
            );
        });
        hovered
    }

    fn is_highlighted(&self, offset: usize) -> bool {
        self.highlight.as_ref().is_some_and(|r| r.contains(&offset))
    }

    fn format_of(&self, offset: usize, palette: &Palette, font_id: &FontId) -> TextFormat {
        if self.is_highlighted(offset) {
            TextFormat {
                font_id: font_id.clone(),
                color: palette.highlight_text,
                background: palette.highlight_fill,
                ..TextFormat::default()
            }
        } else {
            TextFormat::simple(
                font_id.clone(),
                palette.of_region(self.layout.region_of(offset)),
            )
        }
    }

    fn row_job(
        &self,
        row: &HexRow,
        palette: &Palette,
        font_id: &FontId,
        show_ascii: bool,
    ) -> LayoutJob {
        let plain = TextFormat::simple(font_id.clone(), palette.offset);
        let mut job = LayoutJob::default();
        job.append(&format!("{:08x}  ", row.offset), 0.0, plain.clone());
        let count = (self.bytes.len() - row.offset).min(BYTES_PER_ROW);
        for i in 0..BYTES_PER_ROW {
            if i == BYTES_PER_ROW / 2 {
                job.append(" ", 0.0, plain.clone());
            }
            if i >= count {
                job.append("   ", 0.0, plain.clone());
                continue;
            }
            let offset = row.offset + i;
            let format = self.format_of(offset, palette, font_id);
            job.append(&format!("{:02x}", self.bytes[offset]), 0.0, format.clone());
            let joined = i + 1 < count
                && i + 1 != BYTES_PER_ROW / 2
                && self.is_highlighted(offset)
                && self.is_highlighted(offset + 1);
            job.append(" ", 0.0, if joined { format } else { plain.clone() });
        }
        if !show_ascii {
            return job;
        }
        job.append("  ", 0.0, plain.clone());
        if self.text.is_some() {
            // Drawn by `text_column`, which needs the glyphs' widths.
            return job;
        }
        for (i, c) in row.ascii.chars().enumerate() {
            let format = self.format_of(row.offset + i, palette, font_id);
            job.append(c.encode_utf8(&mut [0; 4]), 0.0, format);
        }
        job
    }

    /// The text column in characters: each under its first byte, at that
    /// byte's column whatever the widths of the glyphs before it (a Chinese
    /// character is wider than a digit), its other bytes blank.
    fn text_column(
        &self,
        job: &mut LayoutJob,
        (row, cells): (&HexRow, &[TextCell]),
        palette: &Palette,
        font_id: &FontId,
        char_width: f32,
        glyph_width: &mut dyn FnMut(char) -> f32,
    ) {
        let mut x = 0.0;
        for (i, cell) in cells.iter().enumerate() {
            let c = match cell {
                TextCell::Char(c) => *c,
                TextCell::Dot => '.',
                TextCell::Continuation => continue,
            };
            let column_x = i as f32 * char_width;
            let format = self.format_of(row.offset + i, palette, font_id);
            job.append(c.encode_utf8(&mut [0; 4]), (column_x - x).max(0.0), format);
            x = column_x.max(x) + glyph_width(c);
        }
    }
}

/// A row as text, as it is drawn: its text column in characters when it
/// is drawn so (`cells`), else in classic dots.
fn accessible_text(row: &HexRow, cells: Option<&[TextCell]>) -> String {
    let Some(cells) = cells else {
        return row_text(row);
    };
    let text: String = cells
        .iter()
        .map(|cell| match cell {
            TextCell::Char(c) => *c,
            TextCell::Dot => '.',
            TextCell::Continuation => ' ',
        })
        .collect();
    format!("{:08x}  {:<HEX_WIDTH$}  {text}", row.offset, row.hex)
}

/// A row as text, as it is drawn: offset, hex, ASCII.
pub fn row_text(row: &HexRow) -> String {
    format!("{:08x}  {:<HEX_WIDTH$}  {}", row.offset, row.hex, row.ascii)
}

/// Which byte of a row (0 to 15) is drawn at text column `column`.
fn byte_at_column(column: usize) -> Option<usize> {
    if column >= ASCII_COLUMN {
        let i = column - ASCII_COLUMN;
        return (i < BYTES_PER_ROW).then_some(i);
    }
    let mut at = column.checked_sub(HEX_COLUMN)?;
    let middle = 3 * BYTES_PER_ROW / 2;
    if at == middle {
        return None;
    }
    if at > middle {
        at -= 1;
    }
    let i = at / 3;
    (i < BYTES_PER_ROW && at % 3 != 2).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_map_to_the_bytes_drawn_there() {
        assert_eq!(byte_at_column(0), None);
        assert_eq!(byte_at_column(HEX_COLUMN), Some(0));
        assert_eq!(byte_at_column(HEX_COLUMN + 1), Some(0));
        assert_eq!(byte_at_column(HEX_COLUMN + 2), None);
        assert_eq!(byte_at_column(HEX_COLUMN + 21), Some(7));
        assert_eq!(byte_at_column(HEX_COLUMN + 24), None);
        assert_eq!(byte_at_column(HEX_COLUMN + 25), Some(8));
        assert_eq!(byte_at_column(HEX_COLUMN + 46), Some(15));
        assert_eq!(byte_at_column(ASCII_COLUMN), Some(0));
        assert_eq!(byte_at_column(ASCII_COLUMN + 15), Some(15));
        assert_eq!(byte_at_column(ROW_COLUMNS), None);
    }

    #[test]
    fn row_text_lines_up_with_the_columns() {
        let bytes: Vec<u8> = (0x41..0x41 + 16).collect();
        let text = row_text(&hexdump::row(&bytes, 0));
        assert_eq!(&text[HEX_COLUMN..HEX_COLUMN + 2], "41");
        assert_eq!(&text[HEX_COLUMN + 25..HEX_COLUMN + 27], "49");
        assert_eq!(&text[ASCII_COLUMN..], "ABCDEFGHIJKLMNOP");
        let short = row_text(&hexdump::row(b"AB", 0));
        assert_eq!(&short[ASCII_COLUMN..], "AB");
    }
}
