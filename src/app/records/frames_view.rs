//! The frames table: every journal record on both sides, live or from an
//! opened log, filtered, with only the rows on screen laid out; below it
//! the selected record opened up.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use egui::{Color32, KeyboardShortcut, Modifiers, RichText, Ui, WidgetText};
use egui_extras::{Column, TableBuilder};

use crate::clock::{Style, Zone};
use crate::engine::follow::Leg;
use crate::engine::{Direction, JournalSnapshot, RecordKind, Side, TextEncoding};

use crate::app::files::file_content::human_bytes;
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::{self, Language, tr, tr_with};
use crate::app::records::cell_galleys::CellGalleys;
use crate::app::records::follow_view::legs_to_follow;
use crate::app::records::frame_index::{FilterSpec, FrameIndex, SourceKey};
use crate::app::records::record_detail::{self, RecordDetail};
use crate::app::records::row_summary::RowSummary;
use crate::app::records::table_rows::{self, RowGrid, RowLook};
use crate::app::settings::Filters;
use crate::app::style;

/// Time the index may spend catching up in one frame.
const INDEX_BUDGET: Duration = Duration::from_millis(3);
/// Height of a table row.
const ROW_HEIGHT: f32 = 18.0;

/// Rows formatted and kept for reuse; past this many the cache starts over.
const ROW_CACHE: usize = 1024;

/// Which records the table shows: a snapshot, read with no lock held.
pub struct Source<'a> {
    /// Which journal it is (the live one, or an opened log).
    pub key: SourceKey,
    /// Its records as of this frame.
    pub journal: &'a JournalSnapshot,
    /// The records of frames the relay holds now (none for an opened log).
    pub held: &'a HashSet<u64>,
    /// How raw chunks' bytes read as text (a choice in the window).
    pub raw: TextEncoding,
}

/// What the frames view asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramesAction {
    /// Forget every live record.
    ClearLog,
    /// Open Follow stream on these connections (one, or a relayed
    /// conversation's two legs).
    Follow(Vec<Leg>),
}

/// Ctrl+Shift+F (Cmd+Shift+F on a Mac): follow the selected record's
/// connection, or its relayed conversation.
pub const FOLLOW: KeyboardShortcut =
    KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), egui::Key::F);

/// The journal's size, for the counts line.
#[derive(Debug, Clone, Copy, Default)]
struct JournalSize {
    len: usize,
    next_seq: u64,
    dropped: u64,
}

/// The frames table and the selected record.
#[derive(Debug, Default)]
pub struct FramesView {
    index: FrameIndex,
    complete: bool,
    source: Option<SourceKey>,
    selected: Option<u64>,
    detail: Option<RecordDetail>,
    scroll_to: Option<ScrollTo>,
    /// The table has been laid out once (so it can scroll to a row).
    table_shown: bool,
    /// How the table's body showed last frame.
    body_shown: Option<table_rows::BodyShown>,
    /// Last frame ended with the last row in view.
    ended_at_end: bool,
    /// Where the table's scroll ended last frame.
    last_offset: Option<f32>,
    followed_len: usize,
    /// Rows already formatted (a record never changes once recorded).
    rows: HashMap<u64, RowSummary>,
    /// How raw chunks read as text when `rows` were formatted.
    rows_raw: Option<TextEncoding>,
    /// The rows' cells, laid out.
    cells: CellGalleys,
    /// How the cells laid out show times.
    cells_times: Option<Times>,
    /// The language the rows and the selected record were laid out in.
    language: Option<Language>,
    zone: Zone,
}

impl FramesView {
    /// How many records pass the filters (as far as the index has got).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Shows times in `zone` from now on.
    pub fn set_zone(&mut self, zone: Zone) {
        self.zone = zone;
    }

    /// The selected record's sequence number.
    pub fn selected(&self) -> Option<u64> {
        self.selected
    }

    /// The bytes lit up in the selected record's dump.
    pub fn highlighted_bytes(&self) -> Option<std::ops::Range<usize>> {
        self.detail.as_ref().and_then(RecordDetail::highlighted)
    }

    /// Shows the view.
    fn draw(
        &mut self,
        ui: &mut Ui,
        source: &Source<'_>,
        filters: &mut Filters,
        follow: &mut bool,
    ) -> Option<FramesAction> {
        let key = source.key;
        if self.source != Some(key) {
            self.source = Some(key);
            self.select(None, source);
            self.followed_len = 0;
            self.rows.clear();
            self.cells.clear();
        }
        // Raw chunks read in another encoding: their rows and the detail again.
        if self.rows_raw != Some(source.raw) {
            self.rows_raw = Some(source.raw);
            self.rows.clear();
            self.cells.clear();
            self.select(self.selected, source);
        }
        // Another language: the cells and the detail read again in it.
        let language = i18n::language();
        if self.language != Some(language) {
            self.language = Some(language);
            self.cells.clear();
            self.select(self.selected, source);
        }
        let mut action = None;
        let connection_error = filter_bar(ui, filters);
        let (spec, _) = FilterSpec::new(filters);
        let journal = source.journal;
        self.complete = self.index.update(journal, key, &spec, INDEX_BUDGET);
        // Taken every frame, shown or not: what left the front while the
        // table was hidden has nothing in view to keep.
        let front_shift = self.index.take_front_shift();
        let size = JournalSize {
            len: journal.len(),
            next_seq: journal.next_seq(),
            dropped: journal.dropped_records(),
        };
        if !self.complete {
            ui.ctx().request_repaint();
        }
        if self.counts_line(ui, size, connection_error.as_deref(), key, follow) {
            action = Some(FramesAction::ClearLog);
        }
        self.keyboard(ui, source);
        if let Some(detail) = &self.detail
            && ui.input_mut(|i| i.consume_shortcut(&FOLLOW))
        {
            action = Some(FramesAction::Follow(detail.legs_to_follow()));
        }
        if *follow && self.index.len() != self.followed_len {
            self.followed_len = self.index.len();
            if !self.index.is_empty() {
                self.scroll_to = Some(ScrollTo::End);
            }
        }
        let zone = self.zone;
        if let Some(detail) = &mut self.detail {
            let held = source.held.contains(&detail.seq());
            egui::Panel::bottom("record_detail")
                .resizable(true)
                .default_size(ui.available_height() * 0.55)
                .size_range(160.0..=(ui.available_height() - 80.0).max(160.0))
                .show(ui, |ui| {
                    if let Some(legs) =
                        style::section(ui, "record_detail", |ui| detail.ui(ui, zone, held))
                    {
                        action = Some(FramesAction::Follow(legs));
                    }
                });
        }
        if self.index.is_empty() && self.complete {
            ui.add_space(40.0);
            ui.vertical_centered(|ui| {
                ui.weak(if !spec.is_empty() {
                    tr("records-empty-filtered")
                } else if key == SourceKey::Live {
                    tr("records-empty-live")
                } else {
                    tr("records-empty-log")
                })
            });
        } else {
            let outcome =
                style::section(ui, "frames_table", |ui| self.table(ui, source, front_shift));
            if outcome.scrolled_back && *follow {
                // Scrolling back to look at older records (wheel, scroll
                // bar or keys) stops following the newest, as in a capture
                // tool's live view; the box turns it on again.
                *follow = false;
                if matches!(self.scroll_to, Some(ScrollTo::End)) {
                    self.scroll_to = None;
                }
            }
            if let Some(legs) = outcome.follow {
                action = Some(FramesAction::Follow(legs));
            }
        }
        action
    }

    /// The counts; returns true when Clear log was clicked.
    fn counts_line(
        &self,
        ui: &mut Ui,
        size: JournalSize,
        connection_error: Option<&str>,
        key: SourceKey,
        follow: &mut bool,
    ) -> bool {
        let mut clear = false;
        ui.horizontal_wrapped(|ui| {
            ui.label(tr_with(
                "records-shown",
                &[
                    ("shown", self.index.len().to_string().into()),
                    ("total", size.len.to_string().into()),
                ],
            ))
            .on_hover_text(tr("records-shown-hover"));
            if !self.complete {
                ui.spinner();
                ui.weak(tr_with(
                    "records-filtering",
                    &[(
                        "percent",
                        format!("{:.0}", 100.0 * self.index.progress(size.next_seq)).into(),
                    )],
                ));
            }
            let dropped = tr_with(
                "records-dropped",
                &[("count", size.dropped.to_string().into())],
            );
            if size.dropped > 0 {
                ui.colored_label(ui.visuals().warn_fg_color, dropped)
            } else {
                ui.weak(dropped)
            }
            .on_hover_text(tr("records-dropped-hover"));
            if let Some(error) = connection_error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.separator();
            ui.checkbox(follow, tr("records-follow-newest"))
                .on_hover_text(tr("records-follow-newest-hover"));
            if key == SourceKey::Live {
                clear = ui
                    .add_enabled(size.len > 0, egui::Button::new(tr("records-clear-log")))
                    .on_hover_text(tr("records-clear-log-hover"))
                    .on_disabled_hover_text(tr("records-clear-log-empty"))
                    .clicked();
            }
        });
        clear
    }

    fn select(&mut self, seq: Option<u64>, source: &Source<'_>) {
        self.selected = seq;
        self.detail = seq
            .and_then(|seq| source.journal.view(seq))
            .map(|view| RecordDetail::new(view, source.raw));
    }

    /// Up and down move the selection when no text field has the keyboard.
    fn keyboard(&mut self, ui: &mut Ui, source: &Source<'_>) {
        if self.index.is_empty() || ui.memory(|m| m.focused().is_some()) {
            return;
        }
        let step = ui.input(|i| {
            i.key_pressed(egui::Key::ArrowDown) as i64 - i.key_pressed(egui::Key::ArrowUp) as i64
        });
        if step == 0 {
            return;
        }
        let current = self.selected.and_then(|seq| self.index.position(seq));
        let row = match current {
            Some(row) => (row as i64 + step).clamp(0, self.index.len() as i64 - 1) as usize,
            None if step > 0 => 0,
            None => self.index.len() - 1,
        };
        self.select(self.index.get(row), source);
        self.scroll_to = Some(ScrollTo::Row(row));
    }

    /// The table, and what it asks of the view; `front_shift` rows left
    /// its front since last frame (records evicted).
    fn table(&mut self, ui: &mut Ui, source: &Source<'_>, front_shift: usize) -> TableOutcome {
        let colors = RowColors::of(ui.visuals());
        let mut clicked = None;
        let mut follow = None;
        if self.rows.len() > ROW_CACHE {
            self.rows.clear();
        }
        self.cells.begin_frame(ui);
        // A narrow table drops the time, which the selected record shows too.
        let with_time = ui.available_width() >= WIDTH_FOR_TIME;
        let columns: Vec<usize> = (0..COLUMNS.len())
            .filter(|&c| with_time || c != TIME_COLUMN)
            .collect();
        let times = Times {
            zone: self.zone,
            style: self.time_style(source),
        };
        if self.cells_times != Some(times) {
            // The time column reads differently now (UTC, or with dates).
            self.cells.clear();
            self.cells_times = Some(times);
        }
        let widths = Widths {
            seq: seq_width(ui, self.last_listed().unwrap_or(0)),
            time: time_width(ui, times.style),
        };
        let scrolled_back = ui.scope(|ui| {
            ui.style_mut().interaction.selectable_labels = false;
            // No springing back past the ends: following the newest pins
            // the scroll past the bounds the scroll area knew last frame
            // (the rows have grown since), and a spring would pull it back
            // there, and keep pulling once the journal is full.
            ui.spacing_mut().scroll.kinetic.rubber_band = false;
            let mut table = TableBuilder::new(ui)
                .id_salt(("frames_table", with_time))
                .resizable(true)
                .auto_shrink(false)
                .min_scrolled_height(0.0)
                .max_scroll_height(f32::INFINITY)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
            for &c in &columns {
                table = table.column(column_width(c, widths));
            }
            // A table shown for the first time cannot scroll yet: the row
            // waits for the next frame.
            let scroll_to = if self.table_shown {
                self.scroll_to.take()
            } else {
                None
            };
            let rows = self.index.len();
            let mut pinned_with = None;
            let scroll_row = match (scroll_to, self.body_shown) {
                (Some(ScrollTo::Row(row)), _) => Some(row),
                (Some(ScrollTo::End), Some(body)) => {
                    table = table.vertical_scroll_offset(body.end_offset(rows, ROW_HEIGHT));
                    pinned_with = Some(body);
                    None
                }
                // The body's height is not known yet: scroll next frame.
                (Some(ScrollTo::End), None) => {
                    table = table.animate_scrolling(false);
                    rows.checked_sub(1)
                }
                (None, Some(body)) => {
                    // Away from the end, the rows in view stay in view as
                    // the oldest records are evicted (at the end, the view
                    // stays there and takes the newest in).
                    if let Some(offset) = self.last_offset
                        && front_shift > 0
                        && !self.ended_at_end
                    {
                        let moved = front_shift as f32 * (ROW_HEIGHT + body.gap);
                        table = table.vertical_scroll_offset((offset - moved).max(0.0));
                    }
                    None
                }
                (None, None) => None,
            };
            self.table_shown = true;
            let output = table
                .header(20.0, |mut header| {
                    for &c in &columns {
                        let (title, help) = COLUMNS[c];
                        let (title, help) = (tr(title), tr(help));
                        header.col(|ui| {
                            if c == TIME_COLUMN {
                                ui.strong(format!("{title} ({})", times.zone.name()))
                            } else {
                                ui.strong(title)
                            }
                            .on_hover_text(help);
                        });
                    }
                })
                .body(|mut body| {
                    let widths = body.widths().to_vec();
                    let grid = RowGrid {
                        widths: &widths,
                        row_height: ROW_HEIGHT,
                    };
                    let ui = body.ui_mut();
                    let shown = table_rows::show(ui, grid, rows, scroll_row, |ui, slot| {
                        let Some(seq) = self.index.get(slot.index) else {
                            return;
                        };
                        let look = RowLook {
                            striped: slot.index % 2 == 0,
                            selected: self.selected == Some(seq),
                        };
                        let id = ui.scope_id().with(("record", seq));
                        let widget = table_rows::interact(ui, &slot, id, look);
                        let summary = match self.rows.entry(seq) {
                            std::collections::hash_map::Entry::Occupied(row) => row.into_mut(),
                            std::collections::hash_map::Entry::Vacant(slot_entry) => {
                                match RowSummary::of(source.journal, seq, source.raw) {
                                    Some(summary) => slot_entry.insert(summary),
                                    None => {
                                        unreadable_row(ui, &widget, &slot, seq);
                                        return;
                                    }
                                }
                            }
                        };
                        let cell_look = CellLook {
                            held: source.held.contains(&seq),
                            colors,
                            times,
                        };
                        let row = RowCells {
                            slot: &slot,
                            widget: &widget,
                            selected: look.selected,
                            columns: &columns,
                        };
                        let response = row_cells(ui, row, &mut self.cells, summary, cell_look);
                        if response.clicked() {
                            clicked = Some(seq);
                        }
                        response.context_menu(|ui| {
                            if let Some(legs) = follow_menu(ui, summary) {
                                clicked = Some(seq);
                                follow = Some(legs);
                            }
                        });
                    });
                    self.body_shown = Some(shown);
                });
            // Where the scroll ended this frame: the user's wheel, scroll
            // bar and keys move it after the rows are drawn.
            let offset = output.state.clamped_offset().y;
            self.last_offset = Some(offset);
            let at_end = self
                .body_shown
                .is_some_and(|body| offset + 1.0 >= body.end_offset(rows, ROW_HEIGHT));
            if pinned_with.is_some_and(|body| Some(body) != self.body_shown || !at_end) {
                // The pin missed the end: it was worked out from last
                // frame's body, which has changed (resized, or its first
                // frame). Pin again from this frame's.
                self.scroll_to = Some(ScrollTo::End);
            }
            let scrolled_back = self.ended_at_end && !at_end && scroll_row.is_none();
            self.ended_at_end = at_end;
            scrolled_back
        });
        if let Some(seq) = clicked {
            self.select(Some(seq), source);
        }
        TableOutcome {
            follow,
            scrolled_back: scrolled_back.inner,
        }
    }

    /// The last record listed: the largest sequence number shown.
    fn last_listed(&self) -> Option<u64> {
        self.index
            .len()
            .checked_sub(1)
            .and_then(|row| self.index.get(row))
    }

    /// How the table shows times: with the date when the records listed
    /// (the first and the last) fall on different days in the zone.
    fn time_style(&self, source: &Source<'_>) -> Style {
        let (Some(first), Some(last)) = (self.index.get(0), self.last_listed()) else {
            return Style::default();
        };
        let day = |seq| {
            source
                .journal
                .get(seq)
                .map(|r| self.zone.day_of(r.record().time_us))
        };
        Style {
            date: day(first) != day(last),
            micros: false,
        }
    }
}

/// What the table did besides drawing.
struct TableOutcome {
    /// The connections to follow, when a row's menu asked.
    follow: Option<Vec<Leg>>,
    /// The view was at the last row and the user scrolled it back.
    scrolled_back: bool,
}

/// Where the table is to scroll.
#[derive(Debug, Clone, Copy)]
enum ScrollTo {
    /// Bring this row into view with a smooth scroll (a step through the rows).
    Row(usize),
    /// Show the last row at the bottom, in this very frame (following the
    /// newest: under steady traffic the end moves every frame, and a
    /// scroll that lands a frame later is always behind).
    End,
}

/// The zone and the style of the table's times.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Times {
    zone: Zone,
    style: Style,
}

/// What the `#` and time columns need so that nothing in them is cut.
#[derive(Debug, Clone, Copy)]
struct Widths {
    seq: f32,
    time: f32,
}

/// Room for a sequence number as long as `largest`, in the monospace font
/// the `#` column uses (digits are all as wide there).
fn seq_width(ui: &Ui, largest: u64) -> f32 {
    let digits = largest.checked_ilog10().unwrap_or(0) + 1;
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let digit = ui.fonts_mut(|fonts| fonts.glyph_width(&font, '0'));
    digit * digits as f32 + CELL_SLACK
}

/// Room for a time shown in `style`, in the body font.
fn time_width(ui: &Ui, style: Style) -> f32 {
    let sample = crate::clock::time_text(0, 0, style);
    let font = egui::TextStyle::Body.resolve(ui.style());
    let galley = ui.fonts_mut(|fonts| fonts.layout_no_wrap(sample, font, Color32::WHITE));
    galley.size().x + CELL_SLACK
}

/// Added to a measured text width, so rounding never elides the text.
const CELL_SLACK: f32 = 2.0;

/// Below this width the table leaves out the time column.
const WIDTH_FOR_TIME: f32 = 560.0;
/// Which of [`COLUMNS`] is the time.
const TIME_COLUMN: usize = 1;
/// How wide column `c` of [`COLUMNS`] starts, and how narrow it may go:
/// never so narrow that a sequence number or a time is cut.
fn column_width(c: usize, widths: Widths) -> Column {
    match c {
        0 => Column::initial(widths.seq.max(44.0)).at_least(widths.seq.max(30.0)),
        1 => Column::initial(widths.time + 4.0).at_least(widths.time),
        2 => Column::initial(46.0).at_least(36.0),
        3 => Column::initial(38.0).at_least(30.0),
        4 => Column::initial(60.0).at_least(40.0),
        5 => Column::initial(100.0).at_least(50.0).clip(true),
        6 => Column::initial(58.0).at_least(40.0),
        _ => Column::remainder().at_least(90.0).clip(true),
    }
}

/// The table's columns and what each one means (message keys).
const COLUMNS: [(&str, &str); 8] = [
    ("records-col-seq", "records-col-seq-hover"),
    ("records-col-time", "records-col-time-hover"),
    ("records-col-side", "records-col-side-hover"),
    ("records-col-conn", "records-col-conn-hover"),
    ("records-col-dir", "records-col-dir-hover"),
    ("records-col-content-type", "records-col-content-type-hover"),
    ("records-col-length", "records-col-length-hover"),
    ("records-col-summary", "records-col-summary-hover"),
];

/// What a held row's tooltip says (message key).
const HELD_HELP: &str = "records-held-help";

/// The colours rows are told apart by, for the theme.
#[derive(Debug, Clone, Copy)]
struct RowColors {
    error: Color32,
    held: Color32,
    note: Color32,
}

impl RowColors {
    fn of(visuals: &egui::Visuals) -> Self {
        Self {
            error: visuals.error_fg_color,
            held: visuals.warn_fg_color,
            note: visuals.weak_text_color(),
        }
    }
}

/// A row's menu: Follow stream, and for a relayed connection's record
/// Follow conversation too; returns the connections to follow.
fn follow_menu(ui: &mut Ui, summary: &RowSummary) -> Option<Vec<Leg>> {
    let leg = Leg {
        side: summary.side,
        conn: summary.conn,
    };
    let mut follow = None;
    if summary.link.is_some() {
        if ui
            .add(egui::Button::new(tr("records-follow-conversation")).shortcut_text("Ctrl+Shift+F"))
            .on_hover_text(tr("records-follow-conversation-menu-hover"))
            .clicked()
        {
            follow = Some(legs_to_follow(summary.side, summary.conn, summary.link));
        }
        if ui
            .button(tr("records-follow-leg"))
            .on_hover_text(tr("records-follow-leg-hover"))
            .clicked()
        {
            follow = Some(vec![leg]);
        }
    } else if ui
        .add(egui::Button::new(tr("records-follow-stream")).shortcut_text("Ctrl+Shift+F"))
        .on_hover_text(tr("records-follow-stream-menu-hover"))
        .clicked()
    {
        follow = Some(vec![leg]);
    }
    follow
}

/// How a row's cells look: whether its frame is held, the colors, the times.
#[derive(Clone, Copy)]
struct CellLook {
    held: bool,
    colors: RowColors,
    times: Times,
}

/// Where a row's cells go and how its text shows.
struct RowCells<'a> {
    slot: &'a table_rows::RowSlot<'a>,
    widget: &'a table_rows::RowWidget,
    selected: bool,
    /// Which of [`COLUMNS`] the table shows, left to right.
    columns: &'a [usize],
}

/// Paints a row's cells; returns the row's response, with a tooltip for
/// a cut cell under the pointer (its whole text) or a held row.
fn row_cells(
    ui: &Ui,
    row: RowCells<'_>,
    cells: &mut CellGalleys,
    summary: &RowSummary,
    look: CellLook,
) -> egui::Response {
    let color = table_rows::text_color(ui, row.selected);
    let pointer = row.widget.response.hover_pos();
    let mut cut_under_pointer = None;
    for (&column, cell) in row.columns.iter().zip(row.slot.cells()) {
        let galley = cells.cell(ui, (summary.seq, column, look.held), cell.width(), || {
            cell_text(summary, look, column).into()
        });
        table_rows::paint_cell(ui, (row.widget, column), cell, &galley, color);
        if galley.elided && pointer.is_some_and(|at| cell.contains(at)) {
            cut_under_pointer = Some(galley.text().to_owned());
        }
    }
    let response = row.widget.response.clone();
    match cut_under_pointer {
        Some(text) => response.on_hover_text(text),
        None if look.held => response.on_hover_text(tr(HELD_HELP)),
        None => response,
    }
}

/// A row whose record could not be read (it left the journal): its
/// sequence number, faint.
fn unreadable_row(
    ui: &Ui,
    widget: &table_rows::RowWidget,
    slot: &table_rows::RowSlot<'_>,
    seq: u64,
) {
    let Some(cell) = slot.cells().next() else {
        return;
    };
    let galley = WidgetText::from(RichText::new(seq.to_string()).monospace().weak()).into_galley(
        ui,
        Some(egui::TextWrapMode::Truncate),
        cell.width(),
        egui::TextStyle::Body,
    );
    table_rows::paint_cell(ui, (widget, 0), cell, &galley, ui.visuals().text_color());
}

/// The text of one of a row's cells, styled.
fn cell_text(summary: &RowSummary, look: CellLook, column: usize) -> RichText {
    let CellLook {
        held,
        colors,
        times,
    } = look;
    let note = summary.kind == RecordKind::Note;
    let text = match column {
        0 => summary.seq.to_string(),
        1 => times.zone.text(summary.time_us, times.style),
        2 => record_detail::leg_label(summary.side, summary.link),
        3 => match summary.link {
            Some(other) => format!("#{} ↔ {other}", summary.conn),
            None => format!("#{}", summary.conn),
        },
        // A note is framescope's own words: it went no way, and crossed no wire.
        4 if note => String::new(),
        4 => record_detail::direction_label(summary.direction),
        5 if summary.kind == RecordKind::Error => record_detail::kind_label(RecordKind::Error),
        5 => summary.content_type.clone(),
        6 if note => String::new(),
        6 => human_bytes(u64::from(summary.wire_len)),
        _ if held => tr_with(
            "records-held-row",
            &[("summary", (&summary.summary).into())],
        ),
        _ => summary.summary.clone(),
    };
    let text = RichText::new(text);
    // Sequence numbers in monospace: their digits line up, and the column
    // is sized for them (see `seq_width`).
    let text = if column == 0 { text.monospace() } else { text };
    let text = if note { text.italics() } else { text };
    let color = if summary.kind == RecordKind::Error {
        Some(colors.error)
    } else if held {
        Some(colors.held)
    } else if note {
        Some(colors.note)
    } else {
        None
    };
    match color {
        Some(color) => text.color(color),
        None => text,
    }
}

/// A labelled picker of "both" or one of two values.
fn either_or_both<T: Copy + PartialEq>(
    ui: &mut Ui,
    (name, id, help): (&str, &str, &str),
    value: &mut Option<T>,
    options: [(T, &str); 2],
) {
    let label = ui.label(name);
    let both = tr("records-filter-both");
    let shown = options
        .iter()
        .find(|(option, _)| Some(*option) == *value)
        .map_or(both.as_str(), |(_, text)| *text);
    egui::ComboBox::from_id_salt(id)
        .selected_text(shown)
        .width(80.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, both.as_str());
            for (option, text) in options {
                ui.selectable_value(value, Some(option), text);
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(help);
}

/// The filters; returns why the connection filter is ignored.
fn filter_bar(ui: &mut Ui, filters: &mut Filters) -> Option<String> {
    ui.horizontal_wrapped(|ui| {
        either_or_both(
            ui,
            (
                tr("records-filter-side").as_str(),
                "filter_side",
                tr("records-filter-side-hover").as_str(),
            ),
            &mut filters.side,
            [
                (Side::Server, tr("records-side-server").as_str()),
                (Side::Client, tr("records-side-client").as_str()),
            ],
        );
        either_or_both(
            ui,
            (
                tr("records-filter-dir").as_str(),
                "filter_direction",
                tr("records-filter-dir-hover").as_str(),
            ),
            &mut filters.direction,
            [
                (Direction::Sent, tr("records-dir-sent").as_str()),
                (Direction::Received, tr("records-dir-received").as_str()),
            ],
        );

        let label = ui.label(tr("records-filter-conn"));
        ui.add(
            egui::TextEdit::singleline(&mut filters.connection)
                .id_salt("filter_connection")
                .hint_text(tr("records-filter-conn-hint"))
                .desired_width(44.0),
        )
        .labelled_by(label.id)
        .on_hover_text(tr("records-filter-conn-hover"));

        let label = ui.label(tr("records-filter-find"));
        ui.add(
            egui::TextEdit::singleline(&mut filters.text)
                .id_salt("filter_text")
                .hint_text(tr("records-filter-find-hint"))
                .desired_width(150.0),
        )
        .labelled_by(label.id)
        .on_hover_text(tr("records-filter-find-hover"));

        ui.checkbox(&mut filters.errors_only, tr("records-filter-errors-only"))
            .on_hover_text(tr("records-filter-errors-only-hover"));
    });
    FilterSpec::new(filters).1
}

impl Panel for FramesView {
    type Action = FramesAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<FramesAction> {
        self.set_zone(cx.settings.time_zone);
        let settings = &mut *cx.settings;
        self.draw(
            ui,
            &cx.shown,
            &mut settings.filters,
            &mut settings.follow_newest,
        )
    }
}
