//! The load test: the composer's frame sent over many connections for a
//! while, as `framescope load` does. The form (target, connections, closed
//! or open loop, duration, warm-up, verify, and how much of the run the
//! journal keeps), Start and Stop, a progress bar with the time left, live
//! rates and latency with their plots, and at the end the summary and
//! "Save report…". The run is the engine's: this panel reads the published
//! view and sends commands, and never waits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use egui::{RichText, Ui};
use egui_plot::{Line, Plot, PlotPoints};

use crate::engine::load::{
    LoadPhase, LoadProgress, LoadReport, LoadSpec, MAX_LOAD_CONNECTIONS, Pacing, Payload, Verify,
};
use crate::engine::{Capture, EngineView, Event, LoadView, ServerStatus, Target};
use crate::units::{micros, thousands};

use crate::app::files::background_save::BackgroundSave;
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::{TrArg, tr, tr_with};
use crate::app::panels::client::{connect_target, following_target_field};
use crate::app::panels::transport_picker::transport_row;
use crate::app::settings::{LoadForm, Settings};
use crate::app::style;

/// Height of each plot.
const PLOT_HEIGHT: f32 = 120.0;
/// First errors shown under the summary.
const ERRORS_SHOWN: usize = 5;

/// Ways to check replies: the message keys of each one's name and of what
/// it means.
const VERIFY_CHOICES: [(Verify, &str, &str); 4] = [
    (Verify::None, "load-verify-none", "load-verify-none-hover"),
    (
        Verify::Length,
        "load-verify-length",
        "load-verify-length-hover",
    ),
    (
        Verify::Sample,
        "load-verify-sample",
        "load-verify-sample-hover",
    ),
    (Verify::All, "load-verify-all", "load-verify-all-hover"),
];

/// How much of the run the journal keeps: the message keys of each one's
/// name and of what it means.
const CAPTURE_CHOICES: [(Capture, &str, &str); 3] = [
    (
        Capture::Full,
        "load-capture-full",
        "load-capture-full-hover",
    ),
    (
        Capture::HeadersOnly,
        "load-capture-headers",
        "load-capture-headers-hover",
    ),
    (Capture::Off, "load-capture-off", "load-capture-off-hover"),
];

/// What the load panel asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadAction {
    /// Start a run to this target (the app adds the composer's frame).
    Start(Target),
    /// Stop the run under way.
    Stop,
    /// Ask where to save the last report.
    SaveReport,
}

/// The load panel's transient state.
#[derive(Debug, Default)]
pub struct LoadPanel {
    /// Why the last Start was refused or failed before the run began.
    refused: Option<String>,
    /// The report being written, or what its last save did.
    save: BackgroundSave,
    /// What Start would send this frame, or why nothing can go (see
    /// [`LoadPanel::set_frame_text`]).
    frame: Option<Result<String, String>>,
}

impl LoadPanel {
    /// Takes the events that concern load runs.
    pub fn on_event(&mut self, event: &Event) {
        if let Event::LoadRefused(refused) = event {
            self.refused = Some(refused.to_string());
        }
    }

    /// Notes why a Start could not even be asked for (no frame to send).
    pub fn refuse(&mut self, why: String) {
        self.refused = Some(why);
    }

    /// The run these settings ask for, sending `payload` to `target`;
    /// replies are cut by `profile` when there is one.
    pub fn spec(
        form: &LoadForm,
        target: Target,
        payload: Payload,
        framed: bool,
        profile: Option<std::sync::Arc<crate::engine::Profile>>,
    ) -> LoadSpec {
        LoadSpec {
            transport: form.transport,
            loss_timeout: crate::engine::load::DEFAULT_LOSS_TIMEOUT,
            target,
            connections: form.connections,
            connect_rate: None,
            duration: Duration::from_secs_f64(form.duration_s.max(0.0)),
            warmup: Duration::from_secs_f64(form.warmup_s.max(0.0)),
            pacing: if form.open_loop {
                Pacing::Open { rate: form.rate }
            } else {
                Pacing::Closed { depth: form.depth }
            },
            payload,
            framed,
            profile,
            verify: form.verify,
            threads: 0,
            cores: Vec::new(),
            recorder: None,
            tls: None,
        }
    }

    /// Notes that a run was asked for (clearing the last refusal and save).
    pub fn on_start(&mut self) {
        self.refused = None;
        self.save.clear();
    }

    /// Writes `report` to `path` on a helper thread; the outcome shows
    /// under the summary.
    pub fn save_report(&mut self, path: PathBuf, report: Arc<LoadReport>, ctx: &egui::Context) {
        self.save
            .start(path, tr("load-saved-report"), ctx, move |path| {
                report.write_file(path)
            });
    }

    /// Says what Start would send this frame (or why nothing can go): the
    /// composer's frame, which the window builds.
    pub fn set_frame_text(&mut self, frame: Result<String, String>) {
        self.frame = Some(frame);
    }

    /// Shows the panel. Returns what the app should do.
    fn draw(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        view: &EngineView,
    ) -> Option<LoadAction> {
        let frame = self
            .frame
            .take()
            .unwrap_or_else(|| Err(tr("load-nothing-composed")));
        self.save.poll();
        let mut action = None;
        let load = view.load.as_deref();
        let running = load.is_some_and(|l| l.running);
        ui.heading(tr("load-heading"));
        ui.weak(tr("load-intro"));
        ui.add_space(4.0);
        let target = style::section(ui, "load_form", |ui| {
            ui.add_enabled_ui(!running, |ui| form_ui(ui, settings, &view.server))
                .inner
        });
        match &frame {
            Ok(what) => ui.label(tr_with("load-frame", &[("frame", what.into())])),
            Err(why) => ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with("load-frame", &[("frame", why.into())]),
            ),
        }
        .on_hover_text(tr("load-frame-hover"));
        let ready = target
            .clone()
            .and_then(|target| frame.as_ref().map(|_| target).map_err(Clone::clone));
        style::section(ui, "load_buttons", |ui| {
            ui.horizontal(|ui| {
                let start = ui
                    .add_enabled(
                        !running && ready.is_ok(),
                        egui::Button::new(RichText::new(tr("load-start")).strong())
                            .min_size(egui::vec2(110.0, 26.0)),
                    )
                    .on_hover_text(tr("load-start-hover"));
                let start = match (&ready, running) {
                    (_, true) => start.on_disabled_hover_text(tr("load-busy")),
                    (Err(why), _) => start.on_disabled_hover_text(why.as_str()),
                    _ => start,
                };
                if start.clicked()
                    && let Ok(target) = &ready
                {
                    action = Some(LoadAction::Start(target.clone()));
                }
                let stopping = load.is_some_and(|l| l.stopping);
                if ui
                    .add_enabled(running && !stopping, egui::Button::new(tr("load-stop")))
                    .on_hover_text(tr("load-stop-hover"))
                    .on_disabled_hover_text(if stopping {
                        tr("load-stopping")
                    } else {
                        tr("load-no-run")
                    })
                    .clicked()
                {
                    action = Some(LoadAction::Stop);
                }
                if running {
                    ui.spinner();
                }
            });
        });
        if !running && let Err(why) = &ready {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                tr_with("load-cannot-start", &[("why", why.into())]),
            );
        }
        if let Some(refused) = &self.refused {
            ui.colored_label(ui.visuals().error_fg_color, refused);
        }
        let Some(load) = load else {
            return action;
        };
        ui.add_space(4.0);
        progress_ui(ui, load);
        // The summary, once there is one, comes before the plots: it is
        // what a finished run is read for.
        match &load.outcome {
            Some(Ok(report)) => {
                ui.separator();
                if summary_ui(ui, report, self.save.is_saving()) {
                    action = Some(LoadAction::SaveReport);
                }
                style::outcome_line(ui, self.save.outcome(), style::Success::Good);
            }
            Some(Err(error)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    tr_with("load-failed", &[("error", error.to_string().into())]),
                );
            }
            None => {}
        }
        plots_ui(ui, load);
        action
    }
}

/// The form; returns the target Start would load, or why there is none.
fn form_ui(ui: &mut Ui, settings: &mut Settings, server: &ServerStatus) -> Result<Target, String> {
    let client_target = connect_target(settings, server);
    let form = &mut settings.load;
    let mut target = Err(String::new());
    egui::Grid::new("load_form_grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label(tr("load-target"));
            let hover = tr("load-target-hover");
            following_target_field(
                ui,
                label.id,
                (&mut form.target, &mut form.use_client_target),
                &client_target,
                ("load_target", "localhost:8800", hover.as_str()),
            );
            target = if form.use_client_target {
                client_target
            } else {
                form.target.parse::<Target>().map_err(|e| e.to_string())
            };
            ui.end_row();

            transport_row(ui, &mut form.transport, true, "");

            let label = ui.label(tr("load-connections"));
            ui.add(
                egui::DragValue::new(&mut form.connections)
                    .range(1..=MAX_LOAD_CONNECTIONS)
                    .speed(1.0),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("load-connections-hover"));
            ui.end_row();

            let label = ui.label(tr("load-loop"));
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut form.open_loop, false, tr("load-closed"))
                        .on_hover_text(tr("load-closed-hover"));
                    ui.add_enabled(
                        !form.open_loop,
                        egui::DragValue::new(&mut form.depth)
                            .range(1..=4096)
                            .speed(0.2),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(tr("load-depth-hover"));
                });
                ui.horizontal(|ui| {
                    ui.radio_value(&mut form.open_loop, true, tr("load-open"))
                        .on_hover_text(tr("load-open-hover"));
                    ui.add_enabled(
                        form.open_loop,
                        egui::DragValue::new(&mut form.rate)
                            .range(1.0..=10_000_000.0)
                            .speed(10.0)
                            .suffix(format!(" {}", tr("load-rate-unit"))),
                    )
                    .on_hover_text(tr("load-rate-hover"));
                });
            });
            ui.end_row();

            let label = ui.label(tr("load-duration"));
            ui.add(
                egui::DragValue::new(&mut form.duration_s)
                    .range(0.1..=86_400.0)
                    .speed(0.5)
                    .suffix(format!(" {}", tr("load-seconds-unit"))),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("load-duration-hover"));
            ui.end_row();

            let label = ui.label(tr("load-warmup"));
            ui.add(
                egui::DragValue::new(&mut form.warmup_s)
                    .range(0.0..=3_600.0)
                    .speed(0.5)
                    .suffix(format!(" {}", tr("load-seconds-unit"))),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("load-warmup-hover"));
            ui.end_row();

            let label = ui.label(tr("load-verify"));
            choice_combo(ui, "load_verify", &mut form.verify, &VERIFY_CHOICES)
                .labelled_by(label.id)
                .on_hover_text(tr("load-verify-hover"));
            ui.end_row();

            let label = ui.label(tr("load-capture"));
            choice_combo(ui, "load_capture", &mut form.capture, &CAPTURE_CHOICES)
                .labelled_by(label.id)
                .on_hover_text(tr("load-capture-hover"));
            ui.end_row();
        });
    target
}

/// A drop-down over `choices` (value, and the message keys of its name and
/// of what it means).
fn choice_combo<T: Copy + PartialEq>(
    ui: &mut Ui,
    salt: &str,
    value: &mut T,
    choices: &[(T, &str, &str)],
) -> egui::Response {
    let shown = choices
        .iter()
        .find(|(v, _, _)| v == value)
        .map_or_else(String::new, |(_, name, _)| tr(name));
    egui::ComboBox::from_id_salt(salt)
        .selected_text(shown)
        .width(120.0)
        .show_ui(ui, |ui| {
            for (choice, name, help) in choices {
                ui.selectable_value(value, *choice, tr(name))
                    .on_hover_text(tr(help));
            }
        })
        .response
}

/// The progress bar with the time left, and the last second's numbers.
fn progress_ui(ui: &mut Ui, load: &LoadView) {
    let progress = &load.progress;
    let total = progress.total.as_secs_f64();
    let elapsed = progress.elapsed.as_secs_f64().min(total);
    let times = || -> [(&'static str, TrArg); 3] {
        [
            ("elapsed", format!("{elapsed:.0}").into()),
            ("total", format!("{total:.0}").into()),
            ("left", format!("{:.0}", total - elapsed).into()),
        ]
    };
    let text = match (progress.phase, load.running) {
        (_, true) if load.stopping => tr("load-progress-stopping"),
        (LoadPhase::Resolving, true) => tr("load-progress-starting"),
        (LoadPhase::Warmup, true) => tr_with("load-progress-warmup", &times()),
        (_, true) => tr_with("load-progress-measuring", &times()),
        (_, false) => match &load.outcome {
            Some(Ok(report)) if report.stopped_early => tr_with(
                "load-progress-stopped",
                &[
                    (
                        "elapsed",
                        format!("{:.1}", progress.elapsed.as_secs_f64()).into(),
                    ),
                    ("total", format!("{total:.0}").into()),
                ],
            ),
            Some(Err(_)) => tr("load-progress-failed"),
            _ => tr_with(
                "load-progress-done",
                &[(
                    "elapsed",
                    format!("{:.1}", progress.elapsed.as_secs_f64()).into(),
                )],
            ),
        },
    };
    let fraction = if load.running {
        progress.fraction()
    } else {
        1.0
    };
    ui.add(egui::ProgressBar::new(fraction).text(text.clone()))
        .on_hover_text(tr("load-progress-hover"));
    if load.running {
        ui.label(live_text(progress))
            .on_hover_text(tr("load-live-hover"));
    }
}

/// "12,345 frames/s · 1.2 MB/s · p50 120 µs · p99 450 µs · 10/10 open · 0 errors".
fn live_text(progress: &LoadProgress) -> String {
    tr_with(
        "load-live",
        &[
            (
                "rate",
                thousands(progress.frames_per_s.round() as u64).into(),
            ),
            ("mbps", format!("{:.1}", progress.megabytes_per_s).into()),
            ("p50", micros(progress.p50_us).into()),
            ("p99", micros(progress.p99_us).into()),
            ("open", progress.open.to_string().into()),
            ("asked", progress.asked.to_string().into()),
            ("errors", progress.errors.to_string().into()),
        ],
    )
}

/// Frames per second and p99 latency, one point a second of the run.
fn plots_ui(ui: &mut Ui, load: &LoadView) {
    let history = &load.history;
    let color = ui.visuals().selection.bg_fill;
    let warn = ui.visuals().warn_fg_color;
    let last = history.last().map_or(1.0, |s| s.second.max(1.0));
    let plot = |id: &str| {
        Plot::new(id.to_owned())
            .height(PLOT_HEIGHT)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .include_x(0.0)
            .include_x(last)
            .include_y(0.0)
            .include_y(1.0)
    };
    let newest = history.last().copied().unwrap_or_default();
    let peak = history.iter().map(|s| s.frames_per_s).fold(0.0, f64::max);
    ui.horizontal(|ui| {
        ui.strong(tr("load-rate-title"));
        ui.weak(tr_with(
            "load-rate-stats",
            &[
                ("last", thousands(newest.frames_per_s.round() as u64).into()),
                ("peak", thousands(peak.round() as u64).into()),
            ],
        ));
    });
    let rates: PlotPoints = history.iter().map(|s| [s.second, s.frames_per_s]).collect();
    plot("load_rate_plot").show(ui, |plot| {
        plot.line(
            Line::new(tr("load-rate-unit"), rates)
                .color(color)
                .fill(0.0),
        );
    });
    let worst = history.iter().map(|s| s.p99_us).max().unwrap_or(0);
    ui.horizontal(|ui| {
        ui.strong(tr("load-p99-title"));
        ui.weak(tr_with(
            "load-p99-stats",
            &[
                ("last", micros(newest.p99_us).into()),
                ("worst", micros(worst).into()),
            ],
        ));
    });
    let p99: PlotPoints = history
        .iter()
        .filter(|s| s.p99_us > 0)
        .map(|s| [s.second, s.p99_us as f64 / 1000.0])
        .collect();
    plot("load_p99_plot")
        .x_axis_label(tr("load-x-axis"))
        .show(ui, |plot| {
            plot.line(Line::new(tr("load-p99-series"), p99).color(warn));
        });
}

/// The summary of a finished run; returns true when "Save report…" was
/// clicked.
fn summary_ui(ui: &mut Ui, report: &LoadReport, saving: bool) -> bool {
    ui.horizontal(|ui| {
        ui.strong(tr("load-summary"));
        if report.stopped_early {
            ui.colored_label(ui.visuals().warn_fg_color, tr("load-stopped-early"));
        }
        ui.weak(tr_with(
            "load-measured",
            &[("seconds", format!("{:.2}", report.seconds).into())],
        ));
    });
    let l = &report.latency_us;
    egui::Grid::new("load_summary")
        .num_columns(2)
        .spacing([12.0, 3.0])
        .show(ui, |ui| {
            let mut row = |name: &str, value: String, help: &str| {
                ui.label(name).on_hover_text(help);
                ui.label(value).on_hover_text(help);
                ui.end_row();
            };
            row(
                &tr("load-replies"),
                tr_with(
                    "load-replies-value",
                    &[
                        ("rate", thousands(report.frames_per_s.round() as u64).into()),
                        ("mbps", format!("{:.1}", report.megabytes_per_s).into()),
                        ("count", thousands(report.window.frames_received).into()),
                    ],
                ),
                &tr("load-replies-hover"),
            );
            row(
                &tr("load-sent"),
                tr_with(
                    "load-sent-value",
                    &[("rate", thousands(report.sent_per_s.round() as u64).into())],
                ),
                &tr("load-sent-hover"),
            );
            row(
                &tr("load-latency"),
                tr_with(
                    "load-latency-value",
                    &[
                        ("p50", micros(l.p50).into()),
                        ("p90", micros(l.p90).into()),
                        ("p99", micros(l.p99).into()),
                    ],
                ),
                &tr("load-latency-hover"),
            );
            row(
                "",
                tr_with(
                    "load-latency-tail",
                    &[
                        ("p999", micros(l.p99_9).into()),
                        ("max", micros(l.max).into()),
                        ("count", thousands(l.count).into()),
                    ],
                ),
                &tr("load-latency-tail-hover"),
            );
            if let Some(d) = &report.datagrams {
                row(
                    &tr("load-datagrams"),
                    tr_with(
                        "load-datagrams-value",
                        &[
                            ("sent", thousands(d.sent).into()),
                            ("received", thousands(d.received).into()),
                            ("lost", thousands(d.lost).into()),
                            ("loss", format!("{:.3}", d.loss() * 100.0).into()),
                            ("duplicated", thousands(d.duplicated).into()),
                            ("reordered", thousands(d.reordered).into()),
                        ],
                    ),
                    &tr("load-datagrams-hover"),
                );
            }
            row(
                &tr("load-connections"),
                tr_with(
                    "load-connections-value",
                    &[
                        ("opened", report.connections.opened.to_string().into()),
                        ("asked", report.connections.asked.to_string().into()),
                        ("failed", report.connections.failed.to_string().into()),
                    ],
                ),
                &tr("load-connections-summary-hover"),
            );
            row(
                &tr("load-errors"),
                tr_with(
                    "load-errors-value",
                    &[
                        ("errors", report.errors.to_string().into()),
                        ("mismatches", report.run.mismatches.to_string().into()),
                    ],
                ),
                &tr("load-errors-hover"),
            );
        });
    for error in report.first_errors.iter().take(ERRORS_SHOWN) {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    let more = (report.errors as usize).saturating_sub(report.first_errors.len().min(ERRORS_SHOWN));
    if more > 0 && !report.first_errors.is_empty() {
        ui.weak(tr_with(
            "load-more-errors",
            &[("more", more.to_string().into())],
        ));
    }
    ui.add_enabled(!saving, egui::Button::new(tr("load-save-report")))
        .on_hover_text(tr("load-save-report-hover"))
        .on_disabled_hover_text(tr("load-saving"))
        .clicked()
}

impl Panel for LoadPanel {
    type Action = LoadAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<LoadAction> {
        self.draw(ui, cx.settings, cx.view)
    }
}
