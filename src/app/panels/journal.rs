//! How much the journal keeps: the capture mode and the bounds, remembered
//! in the settings and applied through engine commands when changed.

use egui::Ui;

use crate::engine::{Capture, Command, EngineView};

use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::settings::Settings;

/// What a user may pick for capture, with what it means.
const CAPTURE_CHOICES: [(Capture, &str, &str); 3] = [
    (Capture::Full, "full", "Keep every byte of every frame"),
    (
        Capture::HeadersOnly,
        "headers only",
        "Keep the proto-header and header of frames and the first 64 bytes of chunks: \
         for long or heavy runs",
    ),
    (
        Capture::Off,
        "off",
        "Keep no records at all; counters, rates and latency still run (for load runs)",
    ),
];

/// Shows the journal settings; returns the commands their changes call for.
fn draw(ui: &mut Ui, settings: &mut Settings, view: &EngineView) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading("Journal");
    egui::Grid::new("journal_form")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            let label = ui.label("Capture");
            let shown = CAPTURE_CHOICES
                .iter()
                .find(|(c, _, _)| *c == settings.capture)
                .map_or("full", |(_, text, _)| *text);
            let before = settings.capture;
            egui::ComboBox::from_id_salt("capture")
                .selected_text(shown)
                .width(120.0)
                .show_ui(ui, |ui| {
                    for (capture, text, help) in CAPTURE_CHOICES {
                        ui.selectable_value(&mut settings.capture, capture, text)
                            .on_hover_text(help);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("How much of each frame the journal keeps, from now on");
            if settings.capture != before {
                commands.push(Command::SetCapture(settings.capture));
            }
            ui.end_row();

            let before = settings.journal_limits();
            let label = ui.label("Keep records");
            ui.add(
                egui::DragValue::new(&mut settings.journal_records)
                    .range(1..=100_000_000)
                    .speed(1000.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Most records held; the oldest fall out beyond it (and are counted)");
            ui.end_row();
            let label = ui.label("Keep MiB");
            ui.add(
                egui::DragValue::new(&mut settings.journal_mib)
                    .range(1..=65_536)
                    .suffix(" MiB"),
            )
            .labelled_by(label.id)
            .on_hover_text("Most captured bytes held; the oldest records fall out beyond it");
            ui.end_row();
            if settings.journal_limits() != before {
                commands.push(Command::SetJournalLimits(settings.journal_limits()));
            }
        });
    if view.capture != settings.capture {
        ui.weak("applying…");
    }
    commands
}

/// The journal's settings: it keeps no state of its own.
#[derive(Debug, Default)]
pub struct JournalPanel;

impl Panel for JournalPanel {
    type Action = std::convert::Infallible;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<Self::Action> {
        for command in draw(ui, cx.settings, cx.view) {
            cx.outbox.post(command);
        }
        None
    }
}
