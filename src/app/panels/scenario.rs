//! The Scenarios tab: a scenario file opened, edited (the compiler's
//! problem shown at its line), saved, and run through the engine against a
//! target, each step's result showing as it ends; a step links to its
//! frames in the table. Record turns what the client connections sent and
//! received since it was pressed into a scenario in the editor.
//! The run is the engine's: this panel reads the published view and asks
//! the app for commands, and never waits.

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::engine::scenario::record::scenario_from_records;
use crate::engine::scenario::{
    ScenarioFile, ScenarioFileError, ScenarioOutcome, StepOutcome, StepReport, compile,
    failure_text,
};
use crate::engine::{EngineView, Event, JournalSnapshot, ScenarioRunView, Side, Target};

use crate::app::code_editor;
use crate::app::files::edited_file::EditedFile;
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::{tr, tr_with};
use crate::app::panels::client::{connect_target, following_target_field};
use crate::app::settings::Settings;
use crate::app::style;

/// The name a file not yet saved compiles under (files it names are read
/// from the working folder).
const UNTITLED: &str = "untitled.toml";
/// Lines the editor shows at least.
const EDITOR_ROWS: usize = 18;

/// The scenarios bundled with framescope, to start from: a name for the
/// menu, the file's name and its text.
pub const EXAMPLES: &[(&str, &str, &str)] = &[(
    "The tutorial's app server: each search, no match, a bad action, binary",
    "tutorial.toml",
    include_str!("../../../examples/tutorial.toml"),
)];

/// What the scenario panel asks the app to do.
#[derive(Debug)]
pub enum ScenarioAction {
    /// Ask which file to open.
    Open,
    /// Ask where to save the text.
    SaveAs,
    /// Run this file against this target (`None`: the file's own).
    Run(Box<ScenarioFile>, Option<Target>),
    /// Stop the run under way.
    Stop,
    /// Show this journal connection's frames in the table.
    ShowConnection(u32),
}

/// The panel's state: the file, its text and what compiling it found.
#[derive(Debug, Default)]
pub struct ScenarioPanel {
    /// The file, its text, and its reads and writes.
    file: EditedFile,
    /// The text last compiled, and what compiling it gave.
    compiled: Option<(String, Result<ScenarioFile, ScenarioFileError>)>,
    /// Why the last Run was refused.
    refused: Option<String>,
    /// Where Record started: the journal's next sequence number then.
    recording_from: Option<u64>,
}

impl ScenarioPanel {
    /// Takes the events that concern scenario runs.
    pub fn on_event(&mut self, event: &Event) {
        if let Event::ScenarioRefused(refused) = event {
            self.refused = Some(refused.to_string());
        }
    }

    /// The text in the editor.
    pub fn text(&self) -> &str {
        &self.file.text
    }

    /// Reads the file at `path` into the editor (on a helper thread).
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.file.open(path, ctx);
    }

    /// Writes the editor's text to `path` (on a helper thread); it becomes
    /// the file's path once written.
    pub fn save_as(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.file.save_as(path, ctx);
    }

    /// Notes that Run was refused before the engine saw it.
    pub fn refuse(&mut self, why: String) {
        self.refused = Some(why);
    }

    /// The text compiled (again only when it changed).
    fn compiled(&mut self) -> &Result<ScenarioFile, ScenarioFileError> {
        let stale = self
            .compiled
            .as_ref()
            .is_none_or(|(text, _)| *text != self.file.text);
        if stale {
            let path = self
                .file
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(UNTITLED));
            let result = compile(&path, &self.file.text);
            self.compiled = Some((self.file.text.clone(), result));
        }
        &self.compiled.as_ref().expect("compiled just now").1
    }

    /// Shows the panel. Returns what the app should do.
    fn draw(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        view: &EngineView,
        live: &JournalSnapshot,
    ) -> Option<ScenarioAction> {
        self.file.poll();
        let mut action = None;
        let run = view.scenario.as_deref();
        let running = run.is_some_and(|r| r.running);
        ui.heading(tr("scenario-heading"));
        ui.weak(tr("scenario-intro"));
        ui.add_space(4.0);
        self.file_bar(ui, &mut action);
        self.record_bar(ui, view, live);
        let target = style::section(ui, "scenario_target", |ui| {
            ui.add_enabled_ui(!running, |ui| target_ui(ui, settings, view))
                .inner
        });
        let marked = self.problem_ui(ui);
        let editor_hover = tr("scenario-editor-hover");
        egui::ScrollArea::both()
            .id_salt("scenario_editor")
            .max_height((ui.available_height() * 0.55).max(200.0))
            .show(ui, |ui| {
                code_editor::ui(
                    ui,
                    "scenario_text",
                    &mut self.file.text,
                    marked,
                    EDITOR_ROWS,
                    &editor_hover,
                );
            });
        ui.add_space(4.0);
        self.run_bar(ui, run, target, &mut action);
        if let Some(run) = run
            && let Some(link) = results_ui(ui, run)
        {
            action = Some(link);
        }
        action
    }

    fn file_bar(&mut self, ui: &mut Ui, action: &mut Option<ScenarioAction>) {
        ui.horizontal_wrapped(|ui| {
            let busy = self.file.is_busy();
            if ui
                .add_enabled(!busy, egui::Button::new(tr("scenario-open")))
                .on_hover_text(tr("scenario-open-hover"))
                .clicked()
            {
                *action = Some(ScenarioAction::Open);
            }
            self.examples_menu(ui, busy);
            if self.file.save_bar(ui, tr("scenario-save")) {
                *action = Some(ScenarioAction::SaveAs);
            }
        });
        style::outcome_line(ui, self.file.status.as_ref(), style::Success::Good);
    }

    /// The "New from example" menu: a bundled scenario into the editor,
    /// as a new file not yet saved.
    fn examples_menu(&mut self, ui: &mut Ui, busy: bool) {
        let unsaved = self.file.has_unsaved_text();
        ui.add_enabled_ui(!busy, |ui| {
            ui.menu_button(tr("scenario-new-from-example"), |ui| {
                if unsaved {
                    ui.colored_label(ui.visuals().warn_fg_color, tr("scenario-replaces-unsaved"));
                }
                for (title, name, text) in EXAMPLES {
                    if ui
                        .button(example_title(name, title))
                        .on_hover_text(tr_with(
                            "scenario-example-hover",
                            &[("name", (*name).into())],
                        ))
                        .clicked()
                    {
                        self.file.start_new(
                            (*text).to_owned(),
                            tr_with(
                                "scenario-new-from-example-status",
                                &[("name", (*name).into())],
                            ),
                        );
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(tr("scenario-new-from-example-hover"));
        });
    }

    fn record_bar(&mut self, ui: &mut Ui, view: &EngineView, live: &JournalSnapshot) {
        ui.horizontal_wrapped(|ui| match self.recording_from {
            None => {
                if ui
                    .button(tr("scenario-record"))
                    .on_hover_text(tr("scenario-record-hover"))
                    .clicked()
                {
                    self.recording_from = Some(live.next_seq());
                }
            }
            Some(from) => {
                let records = client_records(view, live, from).count();
                if ui
                    .button(tr("scenario-stop-recording"))
                    .on_hover_text(tr("scenario-stop-recording-hover"))
                    .clicked()
                {
                    let target = view.connections.first().map(|c| c.target.to_string());
                    let recorded = scenario_from_records(
                        client_records(view, live, from),
                        "recorded in the window",
                        target.as_deref(),
                    );
                    self.file.text = recorded.text;
                    self.file.status = Some(Ok(tr_with(
                        "scenario-recorded",
                        &[
                            ("sends", recorded.sends.to_string().into()),
                            ("expects", recorded.expects.to_string().into()),
                        ],
                    )));
                    self.recording_from = None;
                }
                ui.spinner();
                ui.label(tr_with(
                    "scenario-recording",
                    &[("records", records.to_string().into())],
                ));
            }
        });
    }

    /// The compiler's problem, if any, under the buttons; returns its line.
    fn problem_ui(&mut self, ui: &mut Ui) -> Option<usize> {
        if self.file.text.trim().is_empty() {
            ui.weak(tr("scenario-empty"));
            return None;
        }
        match self.compiled() {
            Ok(file) => {
                let steps: usize = file.scenarios.iter().map(|s| s.steps.len()).sum();
                ui.colored_label(
                    style::ok_color(ui.visuals()),
                    tr_with(
                        "scenario-ready",
                        &[
                            ("scenarios", file.scenarios.len().to_string().into()),
                            ("steps", steps.to_string().into()),
                        ],
                    ),
                );
                None
            }
            Err(error) => {
                let text = match error.location {
                    Some(at) => tr_with(
                        "scenario-problem-at",
                        &[
                            ("at", at.to_string().into()),
                            ("problem", error.problem.to_string().into()),
                        ],
                    ),
                    None => error.problem.to_string(),
                };
                let line = error.location.map(|at| at.line);
                ui.colored_label(ui.visuals().error_fg_color, text);
                line
            }
        }
    }

    fn run_bar(
        &mut self,
        ui: &mut Ui,
        run: Option<&ScenarioRunView>,
        target: Result<Option<Target>, String>,
        action: &mut Option<ScenarioAction>,
    ) {
        let running = run.is_some_and(|r| r.running);
        let ready = match (self.compiled(), target) {
            (Ok(file), Ok(target)) => Ok((file.clone(), target)),
            (Err(_), _) => Err(tr("scenario-has-problem")),
            (_, Err(why)) => Err(why),
        };
        ui.horizontal(|ui| {
            let start = ui
                .add_enabled(
                    !running && ready.is_ok(),
                    egui::Button::new(RichText::new(tr("scenario-run")).strong())
                        .min_size(egui::vec2(90.0, 26.0)),
                )
                .on_hover_text(tr("scenario-run-hover"));
            let start = match (&ready, running) {
                (_, true) => start.on_disabled_hover_text(tr("scenario-busy")),
                (Err(why), _) => start.on_disabled_hover_text(why.as_str()),
                _ => start,
            };
            if start.clicked()
                && let Ok((file, target)) = &ready
            {
                self.refused = None;
                *action = Some(ScenarioAction::Run(Box::new(file.clone()), target.clone()));
            }
            let stopping = run.is_some_and(|r| r.stopping);
            if ui
                .add_enabled(
                    running && !stopping,
                    egui::Button::new(tr("scenario-stop-run")),
                )
                .on_hover_text(tr("scenario-stop-run-hover"))
                .on_disabled_hover_text(if stopping {
                    tr("scenario-stopping")
                } else {
                    tr("scenario-no-run")
                })
                .clicked()
            {
                *action = Some(ScenarioAction::Stop);
            }
            if running {
                ui.spinner();
            }
        });
        if !running
            && let Err(why) = &ready
            && !self.file.text.trim().is_empty()
        {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                tr_with("scenario-cannot-run", &[("why", why.into())]),
            );
        }
        if let Some(refused) = &self.refused {
            ui.colored_label(ui.visuals().error_fg_color, refused);
        }
    }
}

/// The target form; returns where Run connects (`None`: the file's own
/// target), or why it cannot.
fn target_ui(
    ui: &mut Ui,
    settings: &mut Settings,
    view: &EngineView,
) -> Result<Option<Target>, String> {
    let client_target = connect_target(settings, &view.server);
    let form = &mut settings.scenario;
    let mut target = Ok(None);
    egui::Grid::new("scenario_target_grid")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label(tr("scenario-run-against"));
            let (hint, hover) = (tr("scenario-target-hint"), tr("scenario-target-hover"));
            following_target_field(
                ui,
                label.id,
                (&mut form.target, &mut form.use_client_target),
                &client_target,
                ("scenario_target", hint.as_str(), hover.as_str()),
            );
            target = if form.use_client_target {
                client_target.map(Some)
            } else if form.target.trim().is_empty() {
                Ok(None)
            } else {
                form.target
                    .trim()
                    .parse::<Target>()
                    .map(Some)
                    .map_err(|e| e.to_string())
            };
            ui.end_row();
        });
    target
}

/// The run's results: a line per scenario, a row per step (click: its
/// frames), and a failed step's expected beside actual. Returns a link
/// clicked.
fn results_ui(ui: &mut Ui, run: &ScenarioRunView) -> Option<ScenarioAction> {
    let mut action = None;
    ui.separator();
    let counts = run.counts();
    let verdict = tr_with(
        if run.stopped {
            "scenario-verdict-stopped"
        } else if run.running {
            "scenario-verdict-so-far"
        } else {
            "scenario-verdict"
        },
        &[
            ("passed", counts.passed.to_string().into()),
            ("failed", counts.failed.to_string().into()),
            ("errors", counts.errors.to_string().into()),
        ],
    );
    let color = if counts.failed + counts.errors > 0 {
        ui.visuals().error_fg_color
    } else {
        style::ok_color(ui.visuals())
    };
    ui.label(RichText::new(verdict).strong().color(color));
    egui::ScrollArea::vertical()
        .id_salt("scenario_results")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for scenario in &run.scenarios {
                let (mark, color) = match scenario.outcome {
                    Some(ScenarioOutcome::Passed) => {
                        ("scenario-mark-pass", style::ok_color(ui.visuals()))
                    }
                    Some(ScenarioOutcome::Failed) => {
                        ("scenario-mark-fail", ui.visuals().error_fg_color)
                    }
                    Some(ScenarioOutcome::Error) => {
                        ("scenario-mark-error", ui.visuals().error_fg_color)
                    }
                    None if run.running && !scenario.steps.is_empty() => {
                        ("scenario-mark-running", ui.visuals().text_color())
                    }
                    None => ("scenario-mark-not-run", ui.visuals().weak_text_color()),
                };
                ui.label(
                    RichText::new(tr_with(
                        "scenario-heading-line",
                        &[
                            ("mark", tr(mark).into()),
                            ("name", scenario.name.as_str().into()),
                            ("line", scenario.location.line.to_string().into()),
                        ],
                    ))
                    .strong()
                    .color(color),
                );
                for step in &scenario.steps {
                    if let Some(link) = step_ui(ui, step) {
                        action = Some(link);
                    }
                }
            }
        });
    action
}

/// One step's row; clicking it shows its connection's frames.
fn step_ui(ui: &mut Ui, step: &StepReport) -> Option<ScenarioAction> {
    let (mark, color) = match step.outcome {
        StepOutcome::Passed => ("scenario-mark-ok", style::ok_color(ui.visuals())),
        StepOutcome::Failed(_) => ("scenario-mark-fail", ui.visuals().error_fg_color),
        StepOutcome::Error { .. } => ("scenario-mark-error", ui.visuals().error_fg_color),
    };
    let context = if step.context.is_empty() {
        String::new()
    } else {
        format!("[{}] ", step.context)
    };
    let text = tr_with(
        "scenario-step-line",
        &[
            ("mark", padded(&tr(mark), 5).into()),
            ("line", format!("{:<4}", step.location.line).into()),
            ("context", context.into()),
            ("description", step.description.to_string().into()),
            ("ms", format!("{:.1}", step.duration_ms).into()),
        ],
    );
    let mut action = None;
    ui.indent(("step", step.location.line, step.location.column), |ui| {
        let row = ui.add(
            egui::Button::selectable(false, RichText::new(text).monospace().color(color))
                .truncate(),
        );
        let row = match step.journal_conn {
            Some(conn) => row.on_hover_text(tr_with(
                "scenario-step-hover",
                &[("conn", conn.to_string().into())],
            )),
            None => row,
        };
        if row.clicked()
            && let Some(conn) = step.journal_conn
        {
            action = Some(ScenarioAction::ShowConnection(conn));
        }
        let failure = failure_text(step);
        if !failure.is_empty() {
            ui.label(
                RichText::new(failure)
                    .monospace()
                    .color(ui.visuals().error_fg_color),
            );
        }
    });
    action
}

/// The client pool's records from `from` on (not a load run's or a
/// scenario's, which have connection ids the pool does not list).
fn client_records<'a>(
    view: &'a EngineView,
    live: &'a JournalSnapshot,
    from: u64,
) -> impl Iterator<Item = crate::engine::RecordView> + 'a {
    live.range_from(from)
        .filter(move |r| {
            let record = r.record();
            record.side == Side::Client && view.connection(record.conn).is_some()
        })
        .map(|r| r.view())
}

/// `text` followed by spaces up to `width` columns of a monospace font, a
/// wide (CJK) character taking two.
fn padded(text: &str, width: usize) -> String {
    let columns: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(columns)))
}

/// The menu's name of the bundled example `name`, in the window's
/// language (`title`, the table's English, for one it has no words for).
fn example_title(name: &str, title: &str) -> String {
    match name {
        "tutorial.toml" => tr("scenario-example-tutorial"),
        _ => title.to_owned(),
    }
}

impl Panel for ScenarioPanel {
    type Action = ScenarioAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<ScenarioAction> {
        self.draw(ui, cx.settings, cx.view, cx.journal)
    }
}
