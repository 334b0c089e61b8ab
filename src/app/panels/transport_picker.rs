//! TCP or UDP: the choice the server form, the client form and the Load
//! tab each offer, as two buttons side by side.

use egui::Ui;

use crate::app::i18n::tr;
use crate::engine::Transport;

/// Shows the choice on one row, after a "Transport" label (the caller's
/// grid puts the label in its first column); changes `transport` when a
/// button is clicked while `enabled`.
pub fn transport_row(ui: &mut Ui, transport: &mut Transport, enabled: bool, locked_why: &str) {
    ui.label(tr("app-transport"));
    ui.add_enabled_ui(enabled, |ui| {
        ui.horizontal(|ui| {
            for choice in Transport::ALL {
                let hover = match choice {
                    Transport::Tcp => tr("app-transport-tcp-hover"),
                    Transport::Udp => tr("app-transport-udp-hover"),
                };
                // Each button keeps its own name ("TCP", "UDP") for a
                // screen reader: the row's label says what they choose.
                ui.selectable_value(transport, choice, choice.to_string())
                    .on_hover_text(hover)
                    .on_disabled_hover_text(locked_why);
            }
        });
    });
    ui.end_row();
}
