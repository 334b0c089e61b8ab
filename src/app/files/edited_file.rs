//! A text file edited in the window (a scenario, a profile): where it
//! lives, its text, the text as last opened or saved (to tell unsaved
//! edits), the read or write under way on a helper thread, and what the
//! last one did. Its Save and Save as… buttons and name are drawn here too,
//! so the editors that hold one differ only in what they do with the text.

use std::path::PathBuf;

use egui::Ui;

use crate::app::files::file_content::file_name;
use crate::app::files::text_file::{TextFile, TextFileDone};
use crate::app::i18n::{tr, tr_with};

/// The file an editor holds.
#[derive(Debug, Default)]
pub struct EditedFile {
    /// Where it lives; `None` until first saved.
    pub path: Option<PathBuf>,
    /// The text being edited.
    pub text: String,
    /// The text as last opened or saved.
    saved: String,
    job: TextFile,
    /// What the last open or save (or the editor itself) did.
    pub status: Option<Result<String, String>>,
}

impl EditedFile {
    /// Reads the file at `path` into the editor (on a helper thread).
    pub fn open(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.job.read(path, ctx);
    }

    /// Writes the text to `path` (on a helper thread); it becomes the
    /// file's path once written.
    pub fn save_as(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.job.write(path, self.text.clone(), ctx);
    }

    /// Whether a read or write is under way.
    pub fn is_busy(&self) -> bool {
        self.job.is_busy()
    }

    /// Whether the text differs from the file's as last opened or saved.
    pub fn is_edited(&self) -> bool {
        self.text != self.saved
    }

    /// Whether replacing the text would lose edits.
    pub fn has_unsaved_text(&self) -> bool {
        !self.text.trim().is_empty() && self.is_edited()
    }

    /// The text as last opened or saved.
    pub fn saved_text(&self) -> &str {
        &self.saved
    }

    /// Replaces the text with `text`, a new file not yet saved, saying so
    /// in `status`.
    pub fn start_new(&mut self, text: String, status: String) {
        self.text = text;
        self.saved.clear();
        self.path = None;
        self.status = Some(Ok(status));
    }

    /// Takes the outcome of a read or write, once it is done.
    pub fn poll(&mut self) {
        match self.job.poll() {
            Some(TextFileDone::Read(path, text)) => {
                self.status = Some(Ok(tr_with(
                    "scenario-opened",
                    &[("name", file_name(&path).into())],
                )));
                self.text = text.clone();
                self.saved = text;
                self.path = Some(path);
            }
            Some(TextFileDone::Written(path)) => {
                self.status = Some(Ok(tr_with(
                    "scenario-saved",
                    &[("name", file_name(&path).into())],
                )));
                self.path = Some(path);
                self.saved = self.text.clone();
            }
            Some(TextFileDone::Failed(why)) => self.status = Some(Err(why)),
            None => {}
        }
    }

    /// Save (`save_label`: the editor's own word for it), which writes to
    /// the file it came from, Save as… and the file's name, marked when
    /// edited. Returns whether Save as… was clicked (the app asks where).
    pub fn save_bar(&mut self, ui: &mut Ui, save_label: String) -> bool {
        let busy = self.is_busy();
        let save = ui
            .add_enabled(!busy && self.path.is_some(), egui::Button::new(save_label))
            .on_hover_text(tr("scenario-save-hover"))
            .on_disabled_hover_text(tr("scenario-not-saved-hover"));
        if save.clicked()
            && let Some(path) = self.path.clone()
        {
            self.save_as(path, ui.ctx());
        }
        let save_as = ui
            .add_enabled(!busy, egui::Button::new(tr("scenario-save-as")))
            .on_hover_text(tr("scenario-save-as-hover"))
            .clicked();
        let name = self
            .path
            .as_deref()
            .map_or_else(|| tr("scenario-not-saved"), file_name);
        let edited = if self.is_edited() {
            format!(" {}", tr("scenario-edited"))
        } else {
            String::new()
        };
        ui.weak(format!("{name}{edited}")).on_hover_text(
            self.path
                .as_deref()
                .map_or_else(|| tr("scenario-no-file"), |p| p.display().to_string()),
        );
        save_as
    }
}
