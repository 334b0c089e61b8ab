//! How much the journal keeps: the capture mode and the bounds, remembered
//! in the settings and applied through engine commands when changed.

use egui::Ui;

use crate::engine::{Capture, Command, EngineView};

use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::tr;
use crate::app::settings::Settings;

/// What a user may pick for capture, with what it means (message keys).
const CAPTURE_CHOICES: [(Capture, &str, &str); 3] = [
    (Capture::Full, "app-capture-full", "app-capture-full-hover"),
    (
        Capture::HeadersOnly,
        "app-capture-headers",
        "app-capture-headers-hover",
    ),
    (Capture::Off, "app-capture-off", "app-capture-off-hover"),
];

/// Shows the journal settings; returns the commands their changes call for.
fn draw(ui: &mut Ui, settings: &mut Settings, view: &EngineView) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.heading(tr("app-journal"));
    egui::Grid::new("journal_form")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            let label = ui.label(tr("app-capture"));
            let shown = CAPTURE_CHOICES
                .iter()
                .find(|(c, _, _)| *c == settings.capture)
                .map_or("app-capture-full", |(_, text, _)| *text);
            let before = settings.capture;
            egui::ComboBox::from_id_salt("capture")
                .selected_text(tr(shown))
                .width(120.0)
                .show_ui(ui, |ui| {
                    for (capture, text, help) in CAPTURE_CHOICES {
                        ui.selectable_value(&mut settings.capture, capture, tr(text))
                            .on_hover_text(tr(help));
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(tr("app-capture-hover"));
            if settings.capture != before {
                commands.push(Command::SetCapture(settings.capture));
            }
            ui.end_row();

            let before = settings.journal_limits();
            let label = ui.label(tr("app-keep-records"));
            ui.add(
                egui::DragValue::new(&mut settings.journal_records)
                    .range(1..=100_000_000)
                    .speed(1000.0),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("app-keep-records-hover"));
            ui.end_row();
            let label = ui.label(tr("app-keep-mib"));
            ui.add(
                egui::DragValue::new(&mut settings.journal_mib)
                    .range(1..=65_536)
                    .suffix(" MiB"),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("app-keep-mib-hover"));
            ui.end_row();
            if settings.journal_limits() != before {
                commands.push(Command::SetJournalLimits(settings.journal_limits()));
            }
        });
    if view.capture != settings.capture {
        ui.weak(tr("app-capture-applying"));
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
