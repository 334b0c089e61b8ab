//! A table body of many rows of equal height, each row one widget painted
//! from text already laid out.
//!
//! egui_extras' body gives every cell a child `Ui` of its own, and a label
//! in it: under live traffic, with every row on screen new each frame, that
//! was most of the frames table's time. Here the body allocates its whole
//! height at once, lays out nothing for the rows off screen, and a row on
//! screen is one interaction (click, hover, menu) over its full width, its
//! background and its cells' galleys painted straight into the table.
//!
//! The rows' text stays readable to assistive technology (and to the UI
//! tests): while an accessibility tree is being built, each cell on screen
//! reports its text as a label.

use std::sync::Arc;

use egui::emath::GuiRounding as _;
use egui::{Color32, Galley, Id, Rect, Response, Sense, Ui, WidgetInfo, accesskit::Role};

/// The columns rows are cut into, and how tall a row is.
#[derive(Debug, Clone, Copy)]
pub struct RowGrid<'a> {
    /// Each column's width, left to right, as the table's header sized them.
    pub widths: &'a [f32],
    /// A row's height, not counting the space between rows.
    pub row_height: f32,
}

/// One row on screen.
#[derive(Debug, Clone, Copy)]
pub struct RowSlot<'a> {
    /// Its position among all the rows, from 0.
    pub index: usize,
    /// Where it is, across every column.
    pub rect: Rect,
    widths: &'a [f32],
    spacing_x: f32,
}

impl RowSlot<'_> {
    /// Where each of the row's cells is, left to right.
    pub fn cells(&self) -> impl Iterator<Item = Rect> + '_ {
        let mut left = self.rect.left();
        self.widths.iter().map(move |&width| {
            let cell = Rect::from_x_y_ranges(left..=left + width, self.rect.y_range());
            left += width + self.spacing_x;
            cell
        })
    }
}

/// How a body of rows showed: what a scroll to its end must know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyShown {
    /// The height of its visible part (the scroll area's, when the rows
    /// are a scroll area's content).
    pub height: f32,
    /// The space between two rows.
    pub gap: f32,
}

impl BodyShown {
    /// The scroll offset that shows the last of `count` rows, each
    /// `row_height` tall, at the bottom.
    pub fn end_offset(&self, count: usize, row_height: f32) -> f32 {
        let pitch = f64::from(row_height + self.gap);
        let exact = (count as f64 * pitch - f64::from(self.gap) - f64::from(self.height)).max(0.0);
        // Far down, an f32 offset is a step of several points: round up,
        // so that the last row shows whole, a sliver of space below it.
        let offset = exact as f32;
        if f64::from(offset) < exact {
            offset.next_up()
        } else {
            offset
        }
    }
}

/// Allocates room for `count` rows in `ui` and calls `add_row` for each
/// row on screen, in order; scrolls so that row `scroll_to` shows, when
/// asked.
pub fn show(
    ui: &mut Ui,
    grid: RowGrid<'_>,
    count: usize,
    scroll_to: Option<usize>,
    mut add_row: impl FnMut(&mut Ui, RowSlot<'_>),
) -> BodyShown {
    let spacing = ui.spacing().item_spacing;
    let pitch = f64::from(grid.row_height + spacing.y);
    let columns_width: f32 =
        grid.widths.iter().sum::<f32>() + spacing.x * grid.widths.len().saturating_sub(1) as f32;
    let height = (count as f64 * pitch - f64::from(spacing.y)).max(0.0);
    let (_, body) = ui.allocate_space(egui::vec2(columns_width, height as f32));
    // Rows are placed from the visible top, not from the body's top: a
    // million rows down, the body's top is tens of millions of points
    // above the screen, where an f32 tells points apart only in steps of
    // several; rows placed from it would sit unevenly, some overlapping.
    // How far the body is scrolled is as coarse, but it is one number, so
    // the rows keep their spacing exactly.
    let visible = ui.clip_rect();
    let scrolled = f64::from(visible.top()) - f64::from(body.top());
    let slot = |index: usize| RowSlot {
        index,
        rect: Rect::from_min_size(
            egui::pos2(
                body.left(),
                visible.top() + (index as f64 * pitch - scrolled) as f32,
            ),
            egui::vec2(columns_width, grid.row_height),
        ),
        widths: grid.widths,
        spacing_x: spacing.x,
    };
    if let Some(row) = scroll_to
        && count > 0
    {
        ui.scroll_to_rect(slot(row.min(count - 1)).rect, None);
    }
    let first = (scrolled / pitch).floor().max(0.0) as usize;
    let end = (((scrolled + f64::from(visible.height())) / pitch)
        .ceil()
        .max(0.0) as usize
        + 1)
    .min(count);
    for index in first..end {
        add_row(ui, slot(index));
    }
    BodyShown {
        height: visible.height(),
        gap: spacing.y,
    }
}

/// How a row's background shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowLook {
    /// Every other row is shaded, to keep the eye on a line.
    pub striped: bool,
    /// The row is the selected one.
    pub selected: bool,
}

/// A row's one widget.
#[derive(Debug)]
pub struct RowWidget {
    /// Its clicks, hover and menu, over the full row.
    pub response: Response,
    /// Whether its cells report their text (an accessibility tree is being
    /// built this frame: for the UI tests, or a screen reader).
    describe_cells: bool,
}

/// The row's one widget: it senses clicks over the full row (its cells
/// included) and paints the row's background as `look` says, lit while
/// the pointer is over it.
pub fn interact(ui: &Ui, slot: &RowSlot<'_>, id: Id, look: RowLook) -> RowWidget {
    let response = ui.interact(slot.rect, id, Sense::click());
    response.widget_info(|| WidgetInfo::new(Role::Row));
    let describe_cells = ui.ctx().accesskit_node_builder(id, |_| ()).is_some();
    // Cover the space between rows and columns too, so the shading has no gaps.
    let background = slot
        .rect
        .expand2(0.5 * ui.spacing().item_spacing)
        .round_ui();
    let visuals = ui.visuals();
    let fill = if look.selected {
        Some(visuals.selection.bg_fill)
    } else if response.hovered() {
        Some(visuals.widgets.hovered.bg_fill)
    } else if look.striped {
        Some(visuals.faint_bg_color)
    } else {
        None
    };
    if let Some(fill) = fill
        && ui.is_rect_visible(background)
    {
        ui.painter().rect_filled(background, 0.0, fill);
    }
    RowWidget {
        response,
        describe_cells,
    }
}

/// The color text without one of its own takes in a row.
pub fn text_color(ui: &Ui, selected: bool) -> Color32 {
    if selected {
        ui.visuals().selection.stroke.color
    } else {
        ui.visuals().text_color()
    }
}

/// Paints `galley` in `cell`, at its left, centred from top to bottom and
/// kept inside it, its uncolored text in `color`; while an accessibility
/// tree is built, the cell reports its text, under `row`'s id.
pub fn paint_cell(
    ui: &Ui,
    (row, column): (&RowWidget, usize),
    cell: Rect,
    galley: &Arc<Galley>,
    color: Color32,
) {
    let shown = cell.intersect(ui.clip_rect());
    if !shown.is_positive() {
        return;
    }
    let at = egui::pos2(cell.left(), cell.center().y - 0.5 * galley.size().y);
    ui.painter()
        .with_clip_rect(shown)
        .galley(at, galley.clone(), color);
    if row.describe_cells {
        ui.interact(cell, row.response.id.with(column), Sense::hover())
            .widget_info(|| WidgetInfo::labeled(Role::Label, true, galley.text()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one frame of the rows in a 400-point-high scroll area showed.
    struct Frame {
        /// The rows asked for, and where each is.
        rows: Vec<(usize, Rect)>,
        /// Where the scroll area showed them.
        visible: Rect,
        body: BodyShown,
    }

    /// Runs one frame of a 400-point-high scroll area holding `count` rows,
    /// scrolled to `offset` when given.
    fn frame_at(
        ctx: &egui::Context,
        count: usize,
        scroll_to: Option<usize>,
        offset: Option<f32>,
    ) -> Frame {
        let input = egui::RawInput {
            screen_rect: Some(Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(600.0, 400.0),
            )),
            ..Default::default()
        };
        let mut rows = Vec::new();
        let mut shown = None;
        let mut output = ctx.run_ui(input, |ui| {
            let mut area = egui::ScrollArea::vertical().animated(false);
            if let Some(offset) = offset {
                area = area.vertical_scroll_offset(offset);
            }
            area.show(ui, |ui| {
                let grid = RowGrid {
                    widths: &[100.0, 200.0],
                    row_height: 18.0,
                };
                let visible = ui.clip_rect();
                let body = show(ui, grid, count, scroll_to, |_, slot| {
                    rows.push((slot.index, slot.rect));
                });
                shown = Some((visible, body));
            });
        });
        output.textures_delta.clear();
        let (visible, body) = shown.expect("the rows were shown");
        Frame {
            rows,
            visible,
            body,
        }
    }

    /// The rows asked for in one frame.
    fn frame(ctx: &egui::Context, count: usize, scroll_to: Option<usize>) -> Vec<usize> {
        let rows = frame_at(ctx, count, scroll_to, None).rows;
        rows.into_iter().map(|(index, _)| index).collect()
    }

    #[test]
    fn only_the_rows_on_screen_are_asked_for_and_a_row_asked_for_scrolls_into_view() {
        let ctx = egui::Context::default();
        let shown = frame(&ctx, 100_000, None);
        assert_eq!(shown.first(), Some(&0));
        assert!(
            (15..=25).contains(&shown.len()),
            "{} rows asked for in 400 points",
            shown.len()
        );
        frame(&ctx, 100_000, Some(70_000));
        let shown = frame(&ctx, 100_000, None);
        assert!(
            shown.contains(&70_000),
            "row 70000 not on screen: {shown:?}"
        );
        assert!(shown.len() <= 25);
    }

    #[test]
    fn the_end_offset_shows_the_last_row_whole_and_rows_keep_their_spacing_far_down() {
        for count in [50_000, 2_000_000] {
            let ctx = egui::Context::default();
            let body = frame_at(&ctx, count, None, None).body;
            let shown = frame_at(&ctx, count, None, Some(body.end_offset(count, 18.0)));
            let pitch = 18.0 + body.gap;
            assert!(shown.rows.len() > 10);
            for pair in shown.rows.windows(2) {
                let step = pair[1].1.top() - pair[0].1.top();
                assert!(
                    (step - pitch).abs() < 0.01,
                    "rows {} and {} are {step} apart, not {pitch}",
                    pair[0].0,
                    pair[1].0
                );
            }
            let &(last, rect) = shown.rows.last().expect("rows");
            assert_eq!(last, count - 1);
            assert!(
                shown.visible.contains_rect(rect),
                "{rect:?} not wholly in {:?}",
                shown.visible
            );
            // Far down an f32 offset is a step of several points: the last
            // row sits at the bottom within one.
            assert!(
                rect.bottom() > shown.visible.bottom() - 8.0,
                "the last row is not at the bottom: {rect:?} in {:?}",
                shown.visible
            );
        }
    }

    #[test]
    fn a_rows_cells_sit_side_by_side_as_wide_as_their_columns() {
        let slot = RowSlot {
            index: 3,
            rect: Rect::from_min_size(egui::pos2(10.0, 50.0), egui::vec2(316.0, 18.0)),
            widths: &[100.0, 200.0],
            spacing_x: 16.0,
        };
        let cells: Vec<Rect> = slot.cells().collect();
        assert_eq!(cells.len(), 2);
        assert_eq!((cells[0].left(), cells[0].width()), (10.0, 100.0));
        assert_eq!((cells[1].left(), cells[1].width()), (126.0, 200.0));
        assert!(
            cells
                .iter()
                .all(|cell| cell.y_range() == slot.rect.y_range())
        );
    }
}
