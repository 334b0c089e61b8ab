//! The bottom status bar: totals on each side, the journal, the current
//! rate and latency, at a glance.

use egui::Ui;

use crate::engine::{CounterSnapshot, EngineView, JournalSnapshot};

use crate::app::files::file_content::human_bytes;
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::panels::charts::percentiles_text;

/// Shows the totals, from the published view and this frame's snapshot.
fn draw(ui: &mut Ui, view: &EngineView, journal: &JournalSnapshot) {
    let (client, server) = (&view.client_counters, &view.server_counters);
    let (records, bytes, dropped) = (
        journal.len(),
        journal.bytes_held(),
        journal.dropped_records(),
    );
    let rate = view.rates.last().copied().unwrap_or(0.0);
    let latency = view.latency.summary;
    ui.horizontal_wrapped(|ui| {
        side(ui, "Client", client, "sent", "received");
        ui.separator();
        side(ui, "Server", server, "received", "sent");
        ui.separator();
        let relay = &view.relay_counters;
        if relay.frames_received + relay.frames_sent + relay.errors > 0 {
            side(ui, "Relay", relay, "received", "sent");
            ui.separator();
        }
        ui.label(format!("{records} records · {}", human_bytes(bytes as u64)))
            .on_hover_text("Records held in the journal, and their bytes");
        let dropped_text = format!("{dropped} dropped");
        if dropped > 0 {
            ui.colored_label(ui.visuals().warn_fg_color, dropped_text)
        } else {
            ui.weak(dropped_text)
        }
        .on_hover_text("Records let go to keep the journal within its bounds");
        ui.separator();
        ui.label(format!("{rate:.0} frames/s"))
            .on_hover_text("Frames per second, every side and direction, over the last second");
        if latency.count > 0 {
            ui.separator();
            ui.label(format!("RTT {}", percentiles_text(&latency)))
                .on_hover_text("Round-trip latency of echoed frames");
        }
    });
}

/// "Client: 5 sent · 5 received · 0 errors", in the order a side sees them.
fn side(ui: &mut Ui, name: &str, counters: &CounterSnapshot, first: &str, second: &str) {
    let count = |which: &str| match which {
        "sent" => counters.frames_sent,
        _ => counters.frames_received,
    };
    ui.label(format!(
        "{name}: {} {first} · {} {second}",
        count(first),
        count(second)
    ))
    .on_hover_text(format!(
        "Frames (or raw chunks) the {} has sent and received; {} in, {} out",
        name.to_lowercase(),
        human_bytes(counters.bytes_received),
        human_bytes(counters.bytes_sent)
    ));
    let errors = format!("{} errors", counters.errors);
    if counters.errors > 0 {
        ui.colored_label(ui.visuals().error_fg_color, errors);
    } else {
        ui.weak(errors);
    }
}

/// The status bar: it keeps no state of its own.
#[derive(Debug, Default)]
pub struct StatusBar;

impl Panel for StatusBar {
    type Action = std::convert::Infallible;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<Self::Action> {
        draw(ui, cx.view, cx.journal);
        None
    }
}
