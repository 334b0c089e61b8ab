//! The bottom status bar: totals on each side, the journal, the current
//! rate and latency, at a glance.

use egui::Ui;

use crate::engine::{CounterSnapshot, EngineView, JournalSnapshot};

use crate::app::files::file_content::human_bytes;
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::{tr, tr_with};
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
        side(ui, Side::Client, client);
        ui.separator();
        side(ui, Side::Server, server);
        ui.separator();
        let relay = &view.relay_counters;
        if relay.frames_received + relay.frames_sent + relay.errors > 0 {
            side(ui, Side::Relay, relay);
            ui.separator();
        }
        ui.label(tr_with(
            "app-status-records",
            &[
                ("count", records.into()),
                ("bytes", human_bytes(bytes as u64).into()),
            ],
        ))
        .on_hover_text(tr("app-status-records-hover"));
        let dropped_text = tr_with("app-status-dropped", &[("count", dropped.into())]);
        if dropped > 0 {
            ui.colored_label(ui.visuals().warn_fg_color, dropped_text)
        } else {
            ui.weak(dropped_text)
        }
        .on_hover_text(tr("app-status-dropped-hover"));
        ui.separator();
        ui.label(tr_with(
            "app-status-rate",
            &[("rate", format!("{rate:.0}").into())],
        ))
        .on_hover_text(tr("app-status-rate-hover"));
        if latency.count > 0 {
            ui.separator();
            ui.label(tr_with(
                "app-status-rtt",
                &[("percentiles", percentiles_text(&latency).into())],
            ))
            .on_hover_text(tr("app-status-rtt-hover"));
        }
    });
}

/// A side whose totals the status bar shows.
#[derive(Debug, Clone, Copy)]
enum Side {
    Client,
    Server,
    Relay,
}

/// "Client: 5 sent · 5 received · 0 errors", in the order a side sees them.
fn side(ui: &mut Ui, side: Side, counters: &CounterSnapshot) {
    // The client sends first; the server and the relay answer.
    let (name, line, hover) = match side {
        Side::Client => (
            "app-status-client",
            "app-status-sent-received",
            "app-status-client-hover",
        ),
        Side::Server => (
            "app-status-server",
            "app-status-received-sent",
            "app-status-server-hover",
        ),
        Side::Relay => (
            "app-status-relay",
            "app-status-received-sent",
            "app-status-relay-hover",
        ),
    };
    ui.label(tr_with(
        line,
        &[
            ("name", tr(name).into()),
            ("sent", counters.frames_sent.into()),
            ("received", counters.frames_received.into()),
        ],
    ))
    .on_hover_text(tr_with(
        hover,
        &[
            ("in", human_bytes(counters.bytes_received).into()),
            ("out", human_bytes(counters.bytes_sent).into()),
        ],
    ));
    let errors = tr_with("app-status-errors", &[("count", counters.errors.into())]);
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
