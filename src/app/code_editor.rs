//! A monospace text editor for the files the window edits (scenarios,
//! profiles), with line numbers beside it and one line (where the compiler
//! found a problem) marked.

use std::sync::Arc;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, Galley, TextStyle, Ui};

/// Space around the editor's text, in points.
const MARGIN: i8 = 4;

/// Shows `text` for editing, `rows` lines tall at least; `marked` is a
/// line (from 1) painted as an error, and `hover` says what the text is.
/// Returns whether the text changed.
pub fn ui(
    ui: &mut Ui,
    id: &str,
    text: &mut String,
    marked: Option<usize>,
    rows: usize,
    hover: &str,
) -> bool {
    let font = TextStyle::Monospace.resolve(ui.style());
    let text_color = ui.visuals().text_color();
    let error = ui.visuals().error_fg_color;
    let mark = Color32::from_rgba_unmultiplied(error.r(), error.g(), error.b(), 48);
    // No wrapping: a wrapped line would part the numbers from their lines.
    let mut layouter = |ui: &Ui, buffer: &dyn egui::TextBuffer, _wrap: f32| -> Arc<Galley> {
        let mut job = LayoutJob::default();
        for (index, line) in buffer.as_str().split_inclusive('\n').enumerate() {
            let mut format = TextFormat::simple(font.clone(), text_color);
            if marked == Some(index + 1) {
                format.background = mark;
                format.underline = egui::Stroke::new(1.0, error);
            }
            job.append(line, 0.0, format);
        }
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|fonts| fonts.layout_job(job))
    };
    let lines = text.lines().count().max(rows);
    let mut changed = false;
    ui.horizontal_top(|ui| {
        let numbers: String = (1..=lines).map(|n| format!("{n:>4}\n")).collect();
        // The editor's text starts below its frame's margin.
        ui.vertical(|ui| {
            ui.add_space(f32::from(MARGIN));
            ui.add(
                egui::Label::new(
                    egui::RichText::new(numbers.trim_end())
                        .monospace()
                        .color(ui.visuals().weak_text_color()),
                )
                .selectable(false),
            );
        });
        changed = ui
            .add(
                egui::TextEdit::multiline(text)
                    .id_salt(id)
                    .code_editor()
                    .margin(egui::Margin::same(MARGIN))
                    .desired_rows(rows)
                    .desired_width(f32::INFINITY)
                    .layouter(&mut layouter),
            )
            .on_hover_text(hover)
            .changed();
    });
    changed
}
