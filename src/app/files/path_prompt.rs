//! A path typed, or browsed for: saving and opening logs and choosing a
//! content file work even where no file-dialog service runs (a bare X
//! server, a minimal desktop), and the last path is one Enter away.

use std::path::PathBuf;

use egui::{Key, Ui};

use crate::app::files::dialogs::Purpose;
use crate::app::i18n::tr;

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
                "files-title-save-log",
                "files-action-save",
                "files-help-save-log",
            ),
            Purpose::OpenLog => (
                "files-title-open-log",
                "files-action-open",
                "files-help-open-log",
            ),
            Purpose::ContentFile => (
                "files-title-content-file",
                "files-action-use-file",
                "files-help-content-file",
            ),
            Purpose::SaveReport => (
                "files-title-save-report",
                "files-action-save",
                "files-help-save-report",
            ),
            Purpose::RulesFile => (
                "files-title-rules-file",
                "files-action-load",
                "files-help-rules-file",
            ),
            Purpose::OpenScenario => (
                "files-title-open-scenario",
                "files-action-open",
                "files-help-open-scenario",
            ),
            Purpose::SaveScenario => (
                "files-title-save-scenario",
                "files-action-save",
                "files-help-save-editor",
            ),
            Purpose::SaveConversation => (
                "files-title-save-conversation",
                "files-action-save",
                "files-help-save-conversation",
            ),
            Purpose::OpenProfile => (
                "files-title-open-profile",
                "files-action-open",
                "files-help-open-profile",
            ),
            Purpose::EditProfile => (
                "files-title-open-profile",
                "files-action-open",
                "files-help-edit-profile",
            ),
            Purpose::SaveProfile => (
                "files-title-save-profile",
                "files-action-save",
                "files-help-save-editor",
            ),
        };
        let (title, action, help) = (tr(title), tr(action), tr(help));
        let mut outcome = None;
        let mut keep_open = true;
        egui::Window::new(title)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
            .show(ctx, |ui| {
                outcome = self.body(ui, purpose, &action, &help, &mut keep_open);
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
            let label = ui.label(tr("files-path"));
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.text)
                        .desired_width(360.0)
                        .hint_text(tr("files-path-hint")),
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
                .on_disabled_hover_text(tr("files-type-path-first"))
                .clicked()
            {
                outcome = Some(PromptOutcome::Chosen(
                    purpose,
                    PathBuf::from(self.text.trim()),
                ));
            }
            if ui
                .button(tr("files-browse"))
                .on_hover_text(tr("files-browse-hover"))
                .clicked()
            {
                outcome = Some(PromptOutcome::Browse(purpose));
            }
            if ui
                .button(tr("files-cancel"))
                .on_hover_text(tr("files-cancel-hover"))
                .clicked()
                || ui.input(|i| i.key_pressed(Key::Escape))
            {
                *keep_open = false;
            }
        });
        outcome
    }
}
