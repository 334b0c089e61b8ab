//! The frames table's cell text, laid out once and kept between frames.
//!
//! A record never changes once recorded, yet each frame laid its row's
//! labels out again: each text hashed, looked up in egui's galley cache and
//! cut to its column. That was most of the table's cost. Here a cell's
//! galley is kept by row, column and everything its layout depends on, and
//! laid out again only when a row first shows, a column is resized, a row
//! is selected or held, or the look changes.
//!
//! A galley points into egui's font atlas. egui empties the atlas when it
//! fills up, or when the text options (the scale, among them) change, and
//! drops its own galleys then; this cache notices the same two events (the
//! atlas's fill falling, the scale changing) and drops its galleys too.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{Galley, Ui, WidgetText};

/// Past this many cells the cache starts over (about 1,000 rows' worth).
const MAX_CELLS: usize = 8 * 1024;

/// What a cell's layout depends on besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct CellKey {
    seq: u64,
    column: u8,
    /// The row's text differs while its frame is held.
    held: bool,
    /// The column's width, to the bit: a resized column lays out again.
    width_bits: u32,
}

/// What every galley depends on besides the font atlas: the scale, the
/// theme (its colors are in the galleys of errors, notes and held frames)
/// and the body font.
#[derive(Debug, Clone, PartialEq)]
struct Look {
    pixels_per_point: f32,
    dark_mode: bool,
    body_font: Option<egui::FontId>,
}

/// Laid-out cell text by row and column.
#[derive(Debug, Default)]
pub struct CellGalleys {
    look: Option<Look>,
    atlas_fill: f32,
    cells: HashMap<CellKey, Arc<Galley>>,
}

impl CellGalleys {
    /// Forgets every galley (the rows shown now come from another journal).
    pub fn clear(&mut self) {
        self.cells.clear();
    }

    /// Drops every galley when the look changed or egui emptied its font
    /// atlas since the last frame; call once a frame, before the table.
    pub fn begin_frame(&mut self, ui: &Ui) {
        let ctx = ui.ctx();
        let style = ui.style();
        let look = Look {
            pixels_per_point: ctx.pixels_per_point(),
            dark_mode: style.visuals.dark_mode,
            body_font: style.text_styles.get(&egui::TextStyle::Body).cloned(),
        };
        let atlas_fill = ctx.fonts(|fonts| fonts.font_atlas_fill_ratio());
        if self.look.as_ref() != Some(&look)
            || atlas_fill < self.atlas_fill
            || self.cells.len() > MAX_CELLS
        {
            self.cells.clear();
        }
        self.look = Some(look);
        self.atlas_fill = atlas_fill;
    }

    /// The cell's galley, laid out from `text` (asked for only when none
    /// is kept) to `width`, cut with an ellipsis if it is wider. Text
    /// without a color of its own is left to be colored when painted.
    pub fn cell(
        &mut self,
        ui: &Ui,
        (seq, column, held): (u64, usize, bool),
        width: f32,
        text: impl FnOnce() -> WidgetText,
    ) -> Arc<Galley> {
        let key = CellKey {
            seq,
            column: u8::try_from(column).unwrap_or(u8::MAX),
            held,
            width_bits: width.to_bits(),
        };
        self.cells
            .entry(key)
            .or_insert_with(|| {
                text().into_galley(
                    ui,
                    Some(egui::TextWrapMode::Truncate),
                    width,
                    egui::TextStyle::Body,
                )
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs one frame of a bare context, handing `add` a ui.
    fn frame(ctx: &egui::Context, add: impl FnMut(&mut Ui)) {
        let mut add = add;
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| add(ui));
        output.textures_delta.clear();
    }

    #[test]
    fn a_cell_is_laid_out_once_and_again_when_its_width_or_the_look_changes() {
        let ctx = egui::Context::default();
        let mut cells = CellGalleys::default();
        let layouts = std::cell::Cell::new(0);
        let show = |ctx: &egui::Context, cells: &mut CellGalleys, width: f32| {
            frame(ctx, |ui| {
                cells.begin_frame(ui);
                let galley = cells.cell(ui, (7, 1, false), width, || {
                    layouts.set(layouts.get() + 1);
                    WidgetText::from("a cell's text, long enough to be cut at forty points")
                });
                assert!(
                    galley.size().x <= width + 1.0,
                    "{} > {width}",
                    galley.size().x
                );
            });
        };
        show(&ctx, &mut cells, 300.0);
        show(&ctx, &mut cells, 300.0);
        show(&ctx, &mut cells, 300.0);
        assert_eq!(layouts.get(), 1, "the same cell was laid out again");
        show(&ctx, &mut cells, 40.0);
        assert_eq!(layouts.get(), 2, "a narrower column was not laid out again");
        ctx.set_visuals(egui::Visuals::light());
        show(&ctx, &mut cells, 40.0);
        assert_eq!(layouts.get(), 3, "a new look was not laid out again");
    }
}
