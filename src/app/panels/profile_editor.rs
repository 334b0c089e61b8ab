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
use crate::app::files::file_content::{file_name, human_bytes};
use crate::app::files::text_file::{TextFile, TextFileDone};
use crate::app::frame_cx::{FrameCx, Panel};
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
    path: Option<PathBuf>,
    text: String,
    /// The text as last opened or saved (to tell unsaved edits).
    saved: String,
    /// The text last compiled, and what compiling it gave.
    compiled: Option<(String, Result<Arc<Profile>, ProfileError>)>,
    file: TextFile,
    /// What the last open, save or hand-over did.
    status: Option<Result<String, String>>,
}

impl ProfileEditor {
    /// The text in the editor.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Reads the file at `path` into the editor (on a helper thread).
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.file.read(path, ctx);
    }

    /// Writes the editor's text to `path` (on a helper thread); it becomes
    /// the file's path once written.
    pub fn save_as(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.file.write(path, self.text.clone(), ctx);
    }

    /// Notes what handing the file to the clients did.
    pub fn on_used(&mut self, outcome: Result<String, String>) {
        self.status = Some(outcome);
    }

    fn poll_file(&mut self) {
        match self.file.poll() {
            Some(TextFileDone::Read(path, text)) => {
                self.status = Some(Ok(format!("Opened {}", file_name(&path))));
                self.text = text.clone();
                self.saved = text;
                self.path = Some(path);
            }
            Some(TextFileDone::Written(path)) => {
                self.status = Some(Ok(format!("Saved {}", file_name(&path))));
                self.path = Some(path);
                self.saved = self.text.clone();
            }
            Some(TextFileDone::Failed(why)) => self.status = Some(Err(why)),
            None => {}
        }
    }

    /// The text compiled (again only when it changed).
    fn compiled(&mut self) -> &Result<Arc<Profile>, ProfileError> {
        let stale = self
            .compiled
            .as_ref()
            .is_none_or(|(text, _)| *text != self.text);
        if stale {
            let origin = self
                .path
                .as_deref()
                .map_or_else(|| UNTITLED.to_owned(), |p| p.display().to_string());
            let result = Profile::compile(&self.text, &origin).map(Arc::new);
            self.compiled = Some((self.text.clone(), result));
        }
        &self.compiled.as_ref().expect("compiled just now").1
    }

    /// Shows the panel. Returns what the app should do.
    fn draw(&mut self, ui: &mut Ui) -> Option<ProfileEditorAction> {
        self.poll_file();
        let mut action = None;
        ui.heading("Profile editor");
        ui.weak(
            "A protocol's frames field by field, as the client form's Profile list and \
             --profile read them.",
        );
        ui.add_space(4.0);
        self.file_bar(ui, &mut action);
        let marked = self.problem_ui(ui);
        self.use_bar(ui, &mut action);
        egui::ScrollArea::both()
            .id_salt("profile_editor")
            .max_height((ui.available_height() * 0.55).max(200.0))
            .show(ui, |ui| {
                code_editor::ui(
                    ui,
                    "profile_text",
                    &mut self.text,
                    marked,
                    EDITOR_ROWS,
                    "The profile's TOML: edit it here, Save, then Use for clients",
                );
            });
        let compiled = self.compiled().as_ref().ok().cloned();
        if let Some(profile) = compiled
            && !self.text.trim().is_empty()
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
                .add_enabled(!busy, egui::Button::new("Open…"))
                .on_hover_text("Open a profile file (TOML) into the editor")
                .clicked()
            {
                *action = Some(ProfileEditorAction::Open);
            }
            let save = ui
                .add_enabled(!busy && self.path.is_some(), egui::Button::new("Save"))
                .on_hover_text("Write the editor's text back to its file")
                .on_disabled_hover_text("Not saved yet: use Save as…");
            if save.clicked()
                && let Some(path) = self.path.clone()
            {
                self.save_as(path, ui.ctx());
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Save as…"))
                .on_hover_text("Write the editor's text to a file of your choice")
                .clicked()
            {
                *action = Some(ProfileEditorAction::SaveAs);
            }
            let name = self
                .path
                .as_deref()
                .map_or_else(|| "not saved yet".to_owned(), file_name);
            let edited = if self.text != self.saved {
                " (edited)"
            } else {
                ""
            };
            ui.weak(format!("{name}{edited}")).on_hover_text(
                self.path
                    .as_deref()
                    .map_or_else(|| "No file yet".to_owned(), |p| p.display().to_string()),
            );
        });
        style::outcome_line(ui, self.status.as_ref(), style::Success::Good);
    }

    /// The "Start from" menu: a built-in's text into the editor, as a new
    /// file not yet saved (the way to describe a protocol close to one).
    fn start_from_menu(&mut self, ui: &mut Ui, busy: bool) {
        let unsaved = !self.text.trim().is_empty() && self.text != self.saved;
        ui.add_enabled_ui(!busy, |ui| {
            ui.menu_button("Start from", |ui| {
                if unsaved {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "Replaces the editor's unsaved text",
                    );
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
                        self.text = profile.text().to_owned();
                        self.saved.clear();
                        self.path = None;
                        self.status = Some(Ok(format!(
                            "New from the built-in {name}: rename it under [profile], \
                             change it, then Save as…"
                        )));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("Start a new profile from a copy of a built-in");
        });
    }

    /// The compiler's verdict under the buttons; returns the line at fault.
    fn problem_ui(&mut self, ui: &mut Ui) -> Option<usize> {
        if self.text.trim().is_empty() {
            ui.weak("Start from a built-in, open a profile file, or type one below.");
            return None;
        }
        match self.compiled() {
            Ok(profile) => {
                let text = format!(
                    "Profile {}: {} fields, framed {}: it compiles",
                    profile.name(),
                    profile.field_names().len(),
                    framing_text(profile.framing())
                );
                ui.colored_label(style::ok_color(ui.visuals()), text);
                None
            }
            Err(error) => {
                let text = format!("line {}: {}", error.location, error.problem);
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
        let compiles = self.compiled().is_ok() && !self.text.trim().is_empty();
        let why_not = if busy {
            Some("A file is being read or written")
        } else if !compiles {
            Some("Fix the problem above first")
        } else if self.path.is_none() {
            Some("Save it to a file first (Save as…)")
        } else if self.text != self.saved {
            Some("Save the changes first: the clients' list holds the file")
        } else {
            None
        };
        let button = ui
            .add_enabled(why_not.is_none(), egui::Button::new("Use for clients"))
            .on_hover_text(
                "Add the saved file to the client form's Profile list and choose it: \
                 Connect opens connections that speak it, and the composer becomes a form \
                 of its fields",
            )
            .on_disabled_hover_text(why_not.unwrap_or_default());
        if button.clicked()
            && let Some(path) = self.path.clone()
        {
            *action = Some(ProfileEditorAction::UseForClients {
                path,
                text: self.saved.clone(),
            });
        }
    }
}

/// The compiled profile's fields, one row each, with what the form does
/// with them (the field types and sizes are the TOML's to say).
fn fields_ui(ui: &mut Ui, profile: &Profile) {
    let mut facts = vec![format!("framed {}", framing_text(profile.framing()))];
    facts.push(format!("frames up to {}", human_bytes(profile.max_frame())));
    if let Some(port) = profile.port() {
        facts.push(format!("usually on port {port}"));
    }
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("Fields of {}", profile.name()));
        ui.weak(facts.join(", "));
    });
    if !profile.description().is_empty() {
        ui.weak(profile.description());
    }
    let form = profile.form();
    if form.is_empty() {
        ui.weak("No fields: each frame is shown as its bytes.");
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
                    ui.strong("Field");
                    ui.strong("In the composer");
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
        notes.push("bits of the field above".to_owned());
    }
    if field.computed {
        notes.push("filled in (a constant, length or checksum)".to_owned());
    }
    if field.conditional {
        notes.push("only in some frames".to_owned());
    }
    if !field.choices.is_empty() {
        notes.push(format!("{} named values", field.choices.len()));
    }
    if notes.is_empty() {
        "typed in".to_owned()
    } else {
        notes.join(", ")
    }
}

/// How a profile cuts frames, after "framed".
fn framing_text(framing: &Framing) -> String {
    match framing {
        Framing::Fields => "by its fields".to_owned(),
        Framing::Delimiter(ends) if ends.len() == 1 => "by a delimiter".to_owned(),
        Framing::Delimiter(ends) => format!("by one of {} delimiters", ends.len()),
        Framing::Fixed(size) => format!("by size ({size} bytes)"),
        Framing::Raw => "not at all (each read is a chunk)".to_owned(),
        Framing::JsonHeader => "by the tutorial's JSON header".to_owned(),
        Framing::Resp => "as Redis's RESP".to_owned(),
    }
}

impl Panel for ProfileEditor {
    type Action = ProfileEditorAction;

    fn ui(&mut self, ui: &mut Ui, _cx: &mut FrameCx<'_>) -> Option<ProfileEditorAction> {
        self.draw(ui)
    }
}
