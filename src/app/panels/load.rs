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
use crate::app::panels::client::{connect_target, following_target_field};
use crate::app::settings::{LoadForm, Settings};
use crate::app::style;

/// Height of each plot.
const PLOT_HEIGHT: f32 = 120.0;
/// First errors shown under the summary.
const ERRORS_SHOWN: usize = 5;

/// Ways to check replies, with what each means.
const VERIFY_CHOICES: [(Verify, &str, &str); 4] = [
    (Verify::None, "none", "Count replies, do not check them"),
    (
        Verify::Length,
        "length",
        "Every reply must be as long as the frame it answers (an echo)",
    ),
    (
        Verify::Sample,
        "sample",
        "As length, and one reply in 16 compared byte for byte",
    ),
    (
        Verify::All,
        "all",
        "Every reply compared byte for byte with the frame it answers",
    ),
];

/// How much of the run the journal keeps, with what each means.
const CAPTURE_CHOICES: [(Capture, &str, &str); 3] = [
    (
        Capture::Full,
        "full",
        "Keep every byte of the run's frames (heavy for long runs)",
    ),
    (
        Capture::HeadersOnly,
        "headers only",
        "Keep the proto-header and header of each frame the run sends and reads",
    ),
    (
        Capture::Off,
        "off",
        "Keep none of the run's frames; the summary and plots still show",
    ),
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
            .start(path, "Saved the report to", ctx, move |path| {
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
            .unwrap_or_else(|| Err("nothing is composed yet".to_owned()));
        self.save.poll();
        let mut action = None;
        let load = view.load.as_deref();
        let running = load.is_some_and(|l| l.running);
        ui.heading("Load test");
        ui.weak("Sends the composer's frame over many connections, as framescope load does.");
        ui.add_space(4.0);
        let target = style::section(ui, "load_form", |ui| {
            ui.add_enabled_ui(!running, |ui| form_ui(ui, settings, &view.server))
                .inner
        });
        match &frame {
            Ok(what) => ui.label(format!("Frame: {what}")),
            Err(why) => ui.colored_label(ui.visuals().error_fg_color, format!("Frame: {why}")),
        }
        .on_hover_text("Edit the frame in the Compose & send tab; {{seq}}, {{conn}} and the other payload variables are filled in for each frame");
        let ready = target
            .clone()
            .and_then(|target| frame.as_ref().map(|_| target).map_err(Clone::clone));
        style::section(ui, "load_buttons", |ui| {
            ui.horizontal(|ui| {
                let start = ui
                    .add_enabled(
                        !running && ready.is_ok(),
                        egui::Button::new(RichText::new("Start load").strong())
                            .min_size(egui::vec2(110.0, 26.0)),
                    )
                    .on_hover_text("Start the run: the form above, the composer's frame");
                let start = match (&ready, running) {
                    (_, true) => start.on_disabled_hover_text("A run is under way: stop it first"),
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
                    .add_enabled(running && !stopping, egui::Button::new("Stop load"))
                    .on_hover_text("End the run now; what it measured so far is its result")
                    .on_disabled_hover_text(if stopping {
                        "Stopping…"
                    } else {
                        "No run is under way"
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
            ui.colored_label(ui.visuals().warn_fg_color, format!("Cannot start: {why}"));
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
                    format!("The run failed: {error}"),
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
            let label = ui.label("Load target");
            following_target_field(
                ui,
                label.id,
                (&mut form.target, &mut form.use_client_target),
                &client_target,
                (
                    "load_target",
                    "localhost:8800",
                    "Where the run connects: host:port (a host name is looked up when the run starts)",
                ),
            );
            target = if form.use_client_target {
                client_target
            } else {
                form.target.parse::<Target>().map_err(|e| e.to_string())
            };
            ui.end_row();

            let label = ui.label("Connections");
            ui.add(
                egui::DragValue::new(&mut form.connections)
                    .range(1..=MAX_LOAD_CONNECTIONS)
                    .speed(1.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Connections the run opens (1 to 10,000); drag or type");
            ui.end_row();

            let label = ui.label("Loop");
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut form.open_loop, false, "Closed, depth")
                        .on_hover_text("Each connection keeps this many frames in flight, sending one more as each reply comes back");
                    ui.add_enabled(
                        !form.open_loop,
                        egui::DragValue::new(&mut form.depth).range(1..=4096).speed(0.2),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("Frames in flight on each connection");
                });
                ui.horizontal(|ui| {
                    ui.radio_value(&mut form.open_loop, true, "Open, rate")
                        .on_hover_text("Frames go out at this rate whatever the server does; latency counts from when each was due");
                    ui.add_enabled(
                        form.open_loop,
                        egui::DragValue::new(&mut form.rate)
                            .range(1.0..=10_000_000.0)
                            .speed(10.0)
                            .suffix(" frames/s"),
                    )
                    .on_hover_text("Frames a second, all connections together");
                });
            });
            ui.end_row();

            let label = ui.label("Duration");
            ui.add(
                egui::DragValue::new(&mut form.duration_s)
                    .range(0.1..=86_400.0)
                    .speed(0.5)
                    .suffix(" s"),
            )
            .labelled_by(label.id)
            .on_hover_text("How long to measure, after the warm-up");
            ui.end_row();

            let label = ui.label("Warm-up");
            ui.add(
                egui::DragValue::new(&mut form.warmup_s)
                    .range(0.0..=3_600.0)
                    .speed(0.5)
                    .suffix(" s"),
            )
            .labelled_by(label.id)
            .on_hover_text("How long to run before measuring (connections open, caches warm)");
            ui.end_row();

            let label = ui.label("Verify");
            choice_combo(ui, "load_verify", &mut form.verify, &VERIFY_CHOICES)
                .labelled_by(label.id)
                .on_hover_text("How replies are checked; a reply that fails counts as an error");
            ui.end_row();

            let label = ui.label("Run capture");
            choice_combo(ui, "load_capture", &mut form.capture, &CAPTURE_CHOICES)
                .labelled_by(label.id)
                .on_hover_text(
                    "How much of the run's own frames the journal keeps (the journal's Capture \
                     setting still applies to the embedded server's side)",
                );
            ui.end_row();
        });
    target
}

/// A drop-down over `choices` (value, name, what it means).
fn choice_combo<T: Copy + PartialEq>(
    ui: &mut Ui,
    salt: &str,
    value: &mut T,
    choices: &[(T, &str, &str)],
) -> egui::Response {
    let shown = choices
        .iter()
        .find(|(v, _, _)| v == value)
        .map_or("", |(_, name, _)| *name);
    egui::ComboBox::from_id_salt(salt)
        .selected_text(shown)
        .width(120.0)
        .show_ui(ui, |ui| {
            for (choice, name, help) in choices {
                ui.selectable_value(value, *choice, *name)
                    .on_hover_text(*help);
            }
        })
        .response
}

/// The progress bar with the time left, and the last second's numbers.
fn progress_ui(ui: &mut Ui, load: &LoadView) {
    let progress = &load.progress;
    let total = progress.total.as_secs_f64();
    let elapsed = progress.elapsed.as_secs_f64().min(total);
    let text = match (progress.phase, load.running) {
        (_, true) if load.stopping => "stopping…".to_owned(),
        (LoadPhase::Resolving, true) => "starting…".to_owned(),
        (LoadPhase::Warmup, true) => format!(
            "warm-up · {elapsed:.0} of {total:.0} s · {:.0} s left",
            total - elapsed
        ),
        (_, true) => format!(
            "measuring · {elapsed:.0} of {total:.0} s · {:.0} s left",
            total - elapsed
        ),
        (_, false) => match &load.outcome {
            Some(Ok(report)) if report.stopped_early => format!(
                "stopped at {:.1} of {total:.0} s",
                progress.elapsed.as_secs_f64()
            ),
            Some(Err(_)) => "failed".to_owned(),
            _ => format!("done · {:.1} s", progress.elapsed.as_secs_f64()),
        },
    };
    let fraction = if load.running {
        progress.fraction()
    } else {
        1.0
    };
    ui.add(egui::ProgressBar::new(fraction).text(text.clone()))
        .on_hover_text("The run's time, warm-up included");
    if load.running {
        ui.label(live_text(progress))
            .on_hover_text("Over the last second (latency only once measuring)");
    }
}

/// "12,345 frames/s · 1.2 MB/s · p50 120 µs · p99 450 µs · 10/10 open · 0 errors".
fn live_text(progress: &LoadProgress) -> String {
    format!(
        "{} frames/s · {:.1} MB/s · p50 {} · p99 {} · {}/{} open · {} errors",
        thousands(progress.frames_per_s.round() as u64),
        progress.megabytes_per_s,
        micros(progress.p50_us),
        micros(progress.p99_us),
        progress.open,
        progress.asked,
        progress.errors
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
        ui.strong("Frames per second");
        ui.weak(format!(
            "last {}/s · peak {}/s",
            thousands(newest.frames_per_s.round() as u64),
            thousands(peak.round() as u64)
        ));
    });
    let rates: PlotPoints = history.iter().map(|s| [s.second, s.frames_per_s]).collect();
    plot("load_rate_plot").show(ui, |plot| {
        plot.line(Line::new("frames/s", rates).color(color).fill(0.0));
    });
    let worst = history.iter().map(|s| s.p99_us).max().unwrap_or(0);
    ui.horizontal(|ui| {
        ui.strong("p99 latency (ms)");
        ui.weak(format!(
            "last {} · worst {}",
            micros(newest.p99_us),
            micros(worst)
        ));
    });
    let p99: PlotPoints = history
        .iter()
        .filter(|s| s.p99_us > 0)
        .map(|s| [s.second, s.p99_us as f64 / 1000.0])
        .collect();
    plot("load_p99_plot")
        .x_axis_label("seconds into the run")
        .show(ui, |plot| {
            plot.line(Line::new("p99 ms", p99).color(warn));
        });
}

/// The summary of a finished run; returns true when "Save report…" was
/// clicked.
fn summary_ui(ui: &mut Ui, report: &LoadReport, saving: bool) -> bool {
    ui.horizontal(|ui| {
        ui.strong("Run summary");
        if report.stopped_early {
            ui.colored_label(ui.visuals().warn_fg_color, "stopped early");
        }
        ui.weak(format!("{:.2} s measured", report.seconds));
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
                "Replies",
                format!(
                    "{} frames/s · {:.1} MB/s · {} in all",
                    thousands(report.frames_per_s.round() as u64),
                    report.megabytes_per_s,
                    thousands(report.window.frames_received)
                ),
                "Replies a second, megabytes (10^6 bytes) received a second, and replies counted, in the measured window",
            );
            row(
                "Sent",
                format!(
                    "{} frames/s",
                    thousands(report.sent_per_s.round() as u64)
                ),
                "Frames sent a second in the measured window",
            );
            row(
                "Latency",
                format!(
                    "p50 {} · p90 {} · p99 {}",
                    micros(l.p50),
                    micros(l.p90),
                    micros(l.p99)
                ),
                "Round trips in the measured window (open loop: from when each frame was due)",
            );
            row(
                "",
                format!(
                    "p99.9 {} · max {} · {} round trips",
                    micros(l.p99_9),
                    micros(l.max),
                    thousands(l.count)
                ),
                "The slowest round trips",
            );
            row(
                "Connections",
                format!(
                    "{} opened of {} · {} failed",
                    report.connections.opened, report.connections.asked, report.connections.failed
                ),
                "Connections that opened, and those that failed to open or broke",
            );
            row(
                "Errors",
                format!("{} ({} replies differed)", report.errors, report.run.mismatches),
                "Failed or broken connections, and replies that failed the check",
            );
        });
    for error in report.first_errors.iter().take(ERRORS_SHOWN) {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    let more = (report.errors as usize).saturating_sub(report.first_errors.len().min(ERRORS_SHOWN));
    if more > 0 && !report.first_errors.is_empty() {
        ui.weak(format!("… and {more} more"));
    }
    ui.add_enabled(!saving, egui::Button::new("Save report…"))
        .on_hover_text("Save the run's report as JSON (settings, rates, percentiles and the whole latency histogram)")
        .on_disabled_hover_text("Saving…")
        .clicked()
}

impl Panel for LoadPanel {
    type Action = LoadAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<LoadAction> {
        self.draw(ui, cx.settings, cx.view)
    }
}
