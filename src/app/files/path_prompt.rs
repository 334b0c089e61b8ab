//! A path typed, or browsed for: saving and opening logs and choosing a
//! content file work even where no file-dialog service runs (a bare X
//! server, a minimal desktop), and the last path is one Enter away.

use std::path::PathBuf;

use egui::{Key, Ui};

use crate::app::files::dialogs::Purpose;

/// What the prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptOutcome {
    /// This path was chosen.
    Chosen(Purpose, PathBuf),
    /// The person wants the system's file dialog.
    Browse(Purpose),
}

/// The prompt: closed, or open for one purpose with the path being typed.
#[derive(Debug, Default)]
pub struct PathPrompt {
    open: Option<Purpose>,
    text: String,
    focus_pending: bool,
}

impl PathPrompt {
    /// Opens the prompt for `purpose`, suggesting `suggested`.
    pub fn open(&mut self, purpose: Purpose, suggested: &str) {
        self.open = Some(purpose);
        self.text = suggested.to_owned();
        self.focus_pending = true;
    }

    /// Closes it (a dialog chose the path instead, say).
    pub fn close(&mut self) {
        self.open = None;
    }

    /// Shows the prompt, if open, as a window over the others.
    pub fn show(&mut self, ctx: &egui::Context) -> Option<PromptOutcome> {
        let purpose = self.open?;
        let (title, action, help) = match purpose {
            Purpose::SaveLog => (
                "Save log",
                "Save",
                "A .jsonl file can be opened again; .txt or .log is readable text with hex dumps",
            ),
            Purpose::OpenLog => ("Open log", "Open", "A JSON Lines log saved by framescope"),
            Purpose::ContentFile => (
                "Content file",
                "Use file",
                "The file's bytes become the content (at most the content limit)",
            ),
            Purpose::SaveReport => (
                "Save load report",
                "Save",
                "The run's report as JSON, as framescope load --json writes it",
            ),
            Purpose::RulesFile => (
                "Rules file",
                "Load",
                "Server rules: [[rule]] tables with when and then, and a [default]",
            ),
            Purpose::OpenScenario => (
                "Open scenario",
                "Open",
                "A scenario file (TOML), as framescope run reads it",
            ),
            Purpose::SaveScenario => (
                "Save scenario",
                "Save",
                "Where to write the editor's text (a .toml file)",
            ),
            Purpose::SaveConversation => (
                "Save conversation",
                "Save",
                "The followed conversation as plain text, as the Follow stream window shows it",
            ),
            Purpose::OpenProfile => (
                "Open profile",
                "Open",
                "A profile file (TOML) for the client connections to speak, as --profile reads it",
            ),
            Purpose::EditProfile => (
                "Open profile",
                "Open",
                "A profile file (TOML) to edit in the Profiles tab",
            ),
            Purpose::SaveProfile => (
                "Save profile",
                "Save",
                "Where to write the editor's text (a .toml file)",
            ),
        };
        let mut outcome = None;
        let mut keep_open = true;
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
            .show(ctx, |ui| {
                outcome = self.body(ui, purpose, action, help, &mut keep_open);
            });
        if !keep_open
            || outcome
                .as_ref()
                .is_some_and(|o| matches!(o, PromptOutcome::Chosen(..)))
        {
            self.open = None;
        }
        outcome
    }

    fn body(
        &mut self,
        ui: &mut Ui,
        purpose: Purpose,
        action: &str,
        help: &str,
        keep_open: &mut bool,
    ) -> Option<PromptOutcome> {
        let mut outcome = None;
        ui.horizontal(|ui| {
            let label = ui.label("Path");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .desired_width(360.0)
                        .hint_text("path/to/file"),
                )
                .labelled_by(label.id)
                .on_hover_text(help);
            // The window's first frame only measures it, so keep asking
            // until the field really has the keyboard.
            if field.has_focus() {
                self.focus_pending = false;
            } else if self.focus_pending {
                field.request_focus();
            }
            if field.lost_focus()
                && ui.input(|i| i.key_pressed(Key::Enter))
                && !self.text.trim().is_empty()
            {
                outcome = Some(PromptOutcome::Chosen(
                    purpose,
                    PathBuf::from(self.text.trim()),
                ));
            }
        });
        ui.horizontal(|ui| {
            let ready = !self.text.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(action))
                .on_hover_text(help)
                .on_disabled_hover_text("Type a path first")
                .clicked()
            {
                outcome = Some(PromptOutcome::Chosen(
                    purpose,
                    PathBuf::from(self.text.trim()),
                ));
            }
            if ui
                .button("Browse…")
                .on_hover_text("Choose with the system's file dialog")
                .clicked()
            {
                outcome = Some(PromptOutcome::Browse(purpose));
            }
            if ui
                .button("Cancel")
                .on_hover_text("Close without choosing (Esc)")
                .clicked()
                || ui.input(|i| i.key_pressed(Key::Escape))
            {
                *keep_open = false;
            }
        });
        outcome
    }
}
