//! Saving the log and opening a saved one: what was asked, how far it got,
//! and what came of it. The engine does the file work in the background
//! (`Command::SaveLog`, `Command::LoadLog`); this only keeps score.

use std::path::PathBuf;

use egui::Ui;

use crate::engine::{
    Command, CommandOutcome, Engine, Event, JournalSnapshot, LineError, LogFormat, SaveSummary,
};

use crate::app::files::file_content::{file_name, human_bytes};
use crate::app::i18n::{tr, tr_with};

/// Where saving stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SaveState {
    /// Nothing saved yet.
    #[default]
    Idle,
    /// Writing.
    Saving {
        /// The file.
        path: PathBuf,
        /// Records written.
        done: usize,
        /// Records to write.
        total: usize,
    },
    /// Written.
    Saved {
        /// The file.
        path: PathBuf,
        /// What was written.
        summary: SaveSummary,
    },
    /// Could not be written (the log in memory is untouched).
    Failed {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
}

/// A log opened from a file.
#[derive(Debug)]
pub struct OpenedLog {
    /// Distinguishes this opening from earlier ones.
    pub key: u64,
    /// The file.
    pub path: PathBuf,
    /// Its records.
    pub journal: JournalSnapshot,
    /// Its lines that could not be read.
    pub bad_lines: Vec<LineError>,
}

impl OpenedLog {
    /// The file's name, for the source switch.
    pub fn name(&self) -> String {
        file_name(&self.path)
    }
}

/// Save and open, as the window tracks them.
#[derive(Debug, Default)]
pub struct LogFiles {
    /// Where saving stands.
    pub save: SaveState,
    /// A file being read.
    pub loading: Option<PathBuf>,
    /// Why the last open failed.
    pub load_error: Option<String>,
    /// The last log opened.
    pub opened: Option<OpenedLog>,
    openings: u64,
}

impl LogFiles {
    /// Asks the engine to save the journal to `path` (JSON Lines, or text
    /// for `.txt` and `.log`).
    pub fn save(&mut self, engine: &Engine, path: PathBuf) {
        let format = LogFormat::from_path(&path);
        let outcome = engine.command(Command::SaveLog {
            path: path.clone(),
            format,
        });
        if outcome == CommandOutcome::Queued {
            self.save = SaveState::Saving {
                path,
                done: 0,
                total: 0,
            };
        } else {
            self.save = SaveState::Failed {
                path,
                error: tr("files-engine-busy"),
            };
        }
    }

    /// Asks the engine to read the log at `path`.
    pub fn open(&mut self, engine: &Engine, path: PathBuf) {
        self.load_error = None;
        if engine.command(Command::LoadLog { path: path.clone() }) == CommandOutcome::Queued {
            self.loading = Some(path);
        } else {
            self.load_error = Some(tr("files-engine-busy"));
        }
    }

    /// Whether a save is under way.
    pub fn is_saving(&self) -> bool {
        matches!(self.save, SaveState::Saving { .. })
    }

    /// Takes the save and load events; returns true when a log was opened.
    pub fn on_event(&mut self, event: Event) -> bool {
        match event {
            Event::SaveProgress { done, total } => {
                if let SaveState::Saving { path, .. } = &self.save {
                    self.save = SaveState::Saving {
                        path: path.clone(),
                        done,
                        total,
                    };
                }
            }
            Event::Saved { path, result } => {
                self.save = match result {
                    Ok(summary) => SaveState::Saved { path, summary },
                    Err(error) => SaveState::Failed {
                        path,
                        error: error.to_string(),
                    },
                };
            }
            Event::LogLoaded { path, result } => {
                self.loading = None;
                match result {
                    Ok(log) => {
                        self.openings += 1;
                        self.opened = Some(OpenedLog {
                            key: self.openings,
                            path,
                            journal: log.records,
                            bad_lines: log.bad_lines,
                        });
                        return true;
                    }
                    Err(error) => self.load_error = Some(error.to_string()),
                }
            }
            _ => {}
        }
        false
    }

    /// One line on saving and opening, for the top bar.
    pub fn status_ui(&self, ui: &mut Ui) {
        match &self.save {
            SaveState::Idle => {}
            SaveState::Saving { path, done, total } => {
                ui.spinner();
                let fraction = if *total == 0 {
                    0.0
                } else {
                    *done as f32 / *total as f32
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(120.0)
                        .text(tr_with(
                            "files-saving",
                            &[
                                ("done", done.to_string().into()),
                                ("total", total.to_string().into()),
                            ],
                        )),
                )
                .on_hover_text(tr_with(
                    "files-saving-hover",
                    &[("path", path.display().to_string().into())],
                ));
            }
            SaveState::Saved { path, summary } => {
                ui.weak(tr_with(
                    "files-saved",
                    &[
                        ("count", summary.records.to_string().into()),
                        ("name", file_name(path).into()),
                        ("size", human_bytes(summary.file_bytes).into()),
                    ],
                ))
                .on_hover_text(path.display().to_string());
            }
            SaveState::Failed { error, .. } => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    tr_with("files-save-failed", &[("error", error.into())]),
                );
            }
        }
        if let Some(path) = &self.loading {
            ui.spinner();
            ui.label(tr_with(
                "files-opening",
                &[("name", file_name(path).into())],
            ));
        }
        if let Some(error) = &self.load_error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with("files-open-failed", &[("error", error.into())]),
            );
        }
    }
}

/// Tells how many lines of an opened log were bad, and which.
pub fn bad_lines_ui(ui: &mut Ui, bad_lines: &[LineError]) {
    if bad_lines.is_empty() {
        return;
    }
    let listed: Vec<String> = bad_lines
        .iter()
        .take(20)
        .map(|bad| {
            tr_with(
                "files-bad-line",
                &[
                    ("line", bad.line.to_string().into()),
                    ("reason", (&bad.reason).into()),
                ],
            )
        })
        .collect();
    let more = if bad_lines.len() > listed.len() {
        format!(
            "\n{}",
            tr_with(
                "files-bad-lines-more",
                &[("count", (bad_lines.len() - listed.len()).to_string().into())],
            )
        )
    } else {
        String::new()
    };
    ui.colored_label(
        ui.visuals().warn_fg_color,
        tr_with(
            "files-bad-lines",
            &[
                ("count", bad_lines.len().into()),
                ("shown", bad_lines.len().to_string().into()),
            ],
        ),
    )
    .on_hover_text(format!("{}{more}", listed.join("\n")));
}
