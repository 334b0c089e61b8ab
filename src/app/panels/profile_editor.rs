//! The Profiles tab: a profile file (TOML) started from a built-in or
//! opened, edited (compiled as it is typed, the compiler's problem shown
//! at its line), its fields listed once it compiles, saved, and handed to
//! the client form to speak. The file is read and written on a helper
//! thread; the panel asks the app for dialogs and for the hand-over.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::engine::{BUILTIN_NAMES, FormField, Framing, Profile, ProfileError};

use crate::app::code_editor;
use crate::app::files::edited_file::EditedFile;
use crate::app::files::file_content::human_bytes;
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::{tr, tr_with};
use crate::app::style;

/// The name a text not yet saved compiles under (errors name it).
const UNTITLED: &str = "untitled.toml";
/// Lines the editor shows at least.
const EDITOR_ROWS: usize = 18;
/// Height of the fields table.
const FIELDS_HEIGHT: f32 = 220.0;

/// What the profile editor asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileEditorAction {
    /// Ask which file to open into the editor.
    Open,
    /// Ask where to save the text.
    SaveAs,
    /// Hold the file at `path`, whose text is `text` (just saved), in the
    /// profile library and make it the clients' profile.
    UseForClients {
        /// The saved file.
        path: PathBuf,
        /// Its text, as saved.
        text: String,
    },
}

/// The editor's state: the file, its text and what compiling it gave.
#[derive(Debug, Default)]
pub struct ProfileEditor {
    /// The file, its text, and its reads and writes.
    file: EditedFile,
    /// The text last compiled, and what compiling it gave.
    compiled: Option<(String, Result<Arc<Profile>, ProfileError>)>,
}

impl ProfileEditor {
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

    /// Notes what handing the file to the clients did.
    pub fn on_used(&mut self, outcome: Result<String, String>) {
        self.file.status = Some(outcome);
    }

    /// The text compiled (again only when it changed).
    fn compiled(&mut self) -> &Result<Arc<Profile>, ProfileError> {
        let stale = self
            .compiled
            .as_ref()
            .is_none_or(|(text, _)| *text != self.file.text);
        if stale {
            let origin = self
                .file
                .path
                .as_deref()
                .map_or_else(|| UNTITLED.to_owned(), |p| p.display().to_string());
            let result = Profile::compile(&self.file.text, &origin).map(Arc::new);
            self.compiled = Some((self.file.text.clone(), result));
        }
        &self.compiled.as_ref().expect("compiled just now").1
    }

    /// Shows the panel. Returns what the app should do.
    fn draw(&mut self, ui: &mut Ui) -> Option<ProfileEditorAction> {
        self.file.poll();
        let mut action = None;
        ui.heading(tr("scenario-profile-heading"));
        ui.weak(tr("scenario-profile-intro"));
        ui.add_space(4.0);
        self.file_bar(ui, &mut action);
        let marked = self.problem_ui(ui);
        self.use_bar(ui, &mut action);
        let editor_hover = tr("scenario-profile-editor-hover");
        egui::ScrollArea::both()
            .id_salt("profile_editor")
            .max_height((ui.available_height() * 0.55).max(200.0))
            .show(ui, |ui| {
                code_editor::ui(
                    ui,
                    "profile_text",
                    &mut self.file.text,
                    marked,
                    EDITOR_ROWS,
                    &editor_hover,
                );
            });
        let compiled = self.compiled().as_ref().ok().cloned();
        if let Some(profile) = compiled
            && !self.file.text.trim().is_empty()
        {
            ui.add_space(4.0);
            fields_ui(ui, &profile);
        }
        action
    }

    fn file_bar(&mut self, ui: &mut Ui, action: &mut Option<ProfileEditorAction>) {
        ui.horizontal_wrapped(|ui| {
            let busy = self.file.is_busy();
            self.start_from_menu(ui, busy);
            if ui
                .add_enabled(!busy, egui::Button::new(tr("scenario-profile-open")))
                .on_hover_text(tr("scenario-profile-open-hover"))
                .clicked()
            {
                *action = Some(ProfileEditorAction::Open);
            }
            if self.file.save_bar(ui, tr("scenario-profile-save")) {
                *action = Some(ProfileEditorAction::SaveAs);
            }
        });
        style::outcome_line(ui, self.file.status.as_ref(), style::Success::Good);
    }

    /// The "Start from" menu: a built-in's text into the editor, as a new
    /// file not yet saved (the way to describe a protocol close to one).
    fn start_from_menu(&mut self, ui: &mut Ui, busy: bool) {
        let unsaved = self.file.has_unsaved_text();
        ui.add_enabled_ui(!busy, |ui| {
            ui.menu_button(tr("scenario-profile-start-from"), |ui| {
                if unsaved {
                    ui.colored_label(ui.visuals().warn_fg_color, tr("scenario-replaces-unsaved"));
                }
                for name in BUILTIN_NAMES {
                    let Some(profile) = Profile::builtin(name) else {
                        continue;
                    };
                    if ui
                        .button(name)
                        .on_hover_text(profile.description())
                        .clicked()
                    {
                        self.file.start_new(
                            profile.text().to_owned(),
                            tr_with(
                                "scenario-profile-new-from-builtin",
                                &[("name", name.into())],
                            ),
                        );
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(tr("scenario-profile-start-from-hover"));
        });
    }

    /// The compiler's verdict under the buttons; returns the line at fault.
    fn problem_ui(&mut self, ui: &mut Ui) -> Option<usize> {
        if self.file.text.trim().is_empty() {
            ui.weak(tr("scenario-profile-empty"));
            return None;
        }
        match self.compiled() {
            Ok(profile) => {
                let text = tr_with(
                    "scenario-profile-compiles",
                    &[
                        ("name", profile.name().into()),
                        ("fields", profile.field_names().len().to_string().into()),
                        ("framing", framing_text(profile.framing()).into()),
                    ],
                );
                ui.colored_label(style::ok_color(ui.visuals()), text);
                None
            }
            Err(error) => {
                let text = tr_with(
                    "scenario-problem-at",
                    &[
                        ("at", error.location.to_string().into()),
                        ("problem", error.problem.to_string().into()),
                    ],
                );
                let line = error.location.line;
                ui.colored_label(ui.visuals().error_fg_color, text);
                Some(line)
            }
        }
    }

    /// "Use for clients": enabled once the text compiles and is saved as it
    /// is, since the clients' list holds files and remembers them by path.
    fn use_bar(&mut self, ui: &mut Ui, action: &mut Option<ProfileEditorAction>) {
        let busy = self.file.is_busy();
        let compiles = self.compiled().is_ok() && !self.file.text.trim().is_empty();
        let why_not = if busy {
            Some("scenario-profile-busy")
        } else if !compiles {
            Some("scenario-profile-fix-first")
        } else if self.file.path.is_none() {
            Some("scenario-profile-save-first")
        } else if self.file.is_edited() {
            Some("scenario-profile-save-changes")
        } else {
            None
        };
        let button = ui
            .add_enabled(
                why_not.is_none(),
                egui::Button::new(tr("scenario-profile-use")),
            )
            .on_hover_text(tr("scenario-profile-use-hover"))
            .on_disabled_hover_text(why_not.map(tr).unwrap_or_default());
        if button.clicked()
            && let Some(path) = self.file.path.clone()
        {
            *action = Some(ProfileEditorAction::UseForClients {
                path,
                text: self.file.saved_text().to_owned(),
            });
        }
    }
}

/// The compiled profile's fields, one row each, with what the form does
/// with them (the field types and sizes are the TOML's to say).
fn fields_ui(ui: &mut Ui, profile: &Profile) {
    let mut facts = vec![tr_with(
        "scenario-profile-framed",
        &[("framing", framing_text(profile.framing()).into())],
    )];
    facts.push(tr_with(
        "scenario-profile-max-frame",
        &[("size", human_bytes(profile.max_frame()).into())],
    ));
    if let Some(port) = profile.port() {
        facts.push(tr_with(
            "scenario-profile-port",
            &[("port", port.to_string().into())],
        ));
    }
    ui.horizontal_wrapped(|ui| {
        ui.strong(tr_with(
            "scenario-profile-fields-of",
            &[("name", profile.name().into())],
        ));
        ui.weak(facts.join(tr("scenario-profile-separator").as_str()));
    });
    if !profile.description().is_empty() {
        ui.weak(profile.description());
    }
    let form = profile.form();
    if form.is_empty() {
        ui.weak(tr("scenario-profile-no-fields"));
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("profile_editor_fields")
        .max_height(FIELDS_HEIGHT)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new("profile_editor_fields_grid")
                .num_columns(2)
                .striped(true)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    ui.strong(tr("scenario-profile-field"));
                    ui.strong(tr("scenario-profile-in-composer"));
                    ui.end_row();
                    for field in &form {
                        let name = if field.sub_field {
                            format!("  {}", field.name)
                        } else {
                            field.name.clone()
                        };
                        ui.label(RichText::new(name).monospace());
                        ui.weak(field_notes(field));
                        ui.end_row();
                    }
                });
        });
}

/// What the composer's form does with a field, in a few words.
fn field_notes(field: &FormField) -> String {
    let mut notes = Vec::new();
    if field.sub_field {
        notes.push(tr("scenario-profile-note-bits"));
    }
    if field.computed {
        notes.push(tr("scenario-profile-note-computed"));
    }
    if field.conditional {
        notes.push(tr("scenario-profile-note-conditional"));
    }
    if !field.choices.is_empty() {
        notes.push(tr_with(
            "scenario-profile-note-choices",
            &[("count", field.choices.len().to_string().into())],
        ));
    }
    if notes.is_empty() {
        tr("scenario-profile-note-typed")
    } else {
        notes.join(tr("scenario-profile-separator").as_str())
    }
}

/// How a profile cuts frames, after "framed".
fn framing_text(framing: &Framing) -> String {
    match framing {
        Framing::Fields => tr("scenario-profile-framing-fields"),
        Framing::Delimiter(ends) if ends.len() == 1 => tr("scenario-profile-framing-delimiter"),
        Framing::Delimiter(ends) => tr_with(
            "scenario-profile-framing-delimiters",
            &[("count", ends.len().to_string().into())],
        ),
        Framing::Fixed(size) => tr_with(
            "scenario-profile-framing-fixed",
            &[("size", size.to_string().into())],
        ),
        Framing::Raw => tr("scenario-profile-framing-raw"),
        Framing::JsonHeader => tr("scenario-profile-framing-json"),
        Framing::Resp => tr("scenario-profile-framing-resp"),
        Framing::Datagram => tr("scenario-profile-framing-datagram"),
    }
}

impl Panel for ProfileEditor {
    type Action = ProfileEditorAction;

    fn ui(&mut self, ui: &mut Ui, _cx: &mut FrameCx<'_>) -> Option<ProfileEditorAction> {
        self.draw(ui)
    }
}
