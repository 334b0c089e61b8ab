//! The server's rules, in the server panel when its mode is Rules: a rules
//! file loaded (typed or browsed for, remembered), the rules as a table
//! with each one's hits rising live, a small form to add a rule, and a
//! button to remove one. Every change is compiled at once and put in
//! force, so a running server answers the next frame with it. The file is
//! read and written on a helper thread: a slow disk never freezes the window.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::Ui;

use crate::engine::rules::edit::{self, SimpleAction};
use crate::engine::rules::{self, RuleSet};
use crate::engine::{Command, RulesStatus, header_value_from_text};

use crate::app::files::text_file::{TextFile, TextFileDone};
use crate::app::frame_cx::Outbox;
use crate::app::i18n::{tr, tr_with};
use crate::app::settings::Settings;

/// What the add-a-rule form does with a matching frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum FormAction {
    /// Reply with text.
    #[default]
    Reply,
    /// Echo the frame.
    Echo,
    /// Close the connection.
    Close,
}

impl FormAction {
    const ALL: [FormAction; 3] = [FormAction::Reply, FormAction::Echo, FormAction::Close];

    fn label(self) -> String {
        tr(match self {
            FormAction::Reply => "server-rules-action-reply",
            FormAction::Echo => "server-rules-action-echo",
            FormAction::Close => "server-rules-action-close",
        })
    }
}

/// The rules panel's state: the rules' text, their compiled set, the form.
#[derive(Debug, Default)]
pub struct RulesPanel {
    /// The rules file's text, as loaded and edited since.
    source: String,
    /// The compiled rules, in force in the engine.
    set: Option<Arc<RuleSet>>,
    /// What went wrong last, in words.
    error: Option<String>,
    /// What went right last (loaded, saved).
    note: Option<String>,
    key: String,
    value: String,
    action: FormAction,
    reply: String,
    /// The rules file being read or written, off the UI thread.
    file: TextFile,
    /// The file dialog was asked for; the app opens it.
    browse_requested: bool,
    /// The remembered path was loaded (or tried) once.
    remembered_tried: bool,
}

impl RulesPanel {
    /// The rules in force, if any.
    pub fn set(&self) -> Option<&Arc<RuleSet>> {
        self.set.as_ref()
    }

    /// Whether Browse was clicked since the last call.
    pub fn take_browse_request(&mut self) -> bool {
        std::mem::take(&mut self.browse_requested)
    }

    /// Starts reading the rules file at `path` (on a helper thread) and
    /// remembers the path; once read, its rules are put in force. A file
    /// that does not compile leaves the rules as they were.
    pub fn load(&mut self, path: &Path, settings: &mut Settings, ctx: &egui::Context) {
        settings.rules_path = path.display().to_string();
        self.remembered_tried = true;
        self.note = Some(tr_with(
            "server-rules-reading",
            &[("path", path.display().to_string().into())],
        ));
        self.file.read(path.to_path_buf(), ctx);
    }

    /// Acts on the file job that finished, if one did.
    fn file_done(&mut self, outbox: Outbox<'_>) {
        match self.file.poll() {
            None => {}
            Some(TextFileDone::Read(path, source)) => {
                let applied = self.apply(source, &path, outbox);
                if applied {
                    self.note = Some(tr_with(
                        "server-rules-loaded",
                        &[("path", path.display().to_string().into())],
                    ));
                }
            }
            Some(TextFileDone::Written(path)) => {
                self.note = Some(tr_with(
                    "server-rules-saved",
                    &[("path", path.display().to_string().into())],
                ));
            }
            Some(TextFileDone::Failed(why)) => {
                self.note = None;
                self.error = Some(capitalized(&why));
            }
        }
    }

    /// Compiles `source` and, if it compiles, makes it the rules in force.
    fn apply(&mut self, source: String, path: &Path, outbox: Outbox<'_>) -> bool {
        self.note = None;
        if source.trim().is_empty() {
            self.source = source;
            self.set = None;
            self.error = None;
            outbox.post(Command::SetRules(None));
            return true;
        }
        match rules::compile(path, &source) {
            Ok(set) => {
                let set = Arc::new(set);
                outbox.post(Command::SetRules(Some(set.clone())));
                self.set = Some(set);
                self.source = source;
                self.error = None;
                true
            }
            Err(error) => {
                self.error = Some(error.to_string());
                false
            }
        }
    }

    fn path(settings: &Settings) -> PathBuf {
        if settings.rules_path.trim().is_empty() {
            PathBuf::from(tr("server-rules-unsaved-path"))
        } else {
            PathBuf::from(settings.rules_path.trim())
        }
    }

    /// Shows the panel (within the server's); `status` holds the hit
    /// counts of the rules in force.
    pub(super) fn draw(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        status: Option<&RulesStatus>,
        outbox: Outbox<'_>,
    ) {
        self.file_done(outbox);
        if !self.remembered_tried {
            self.remembered_tried = true;
            if !settings.rules_path.trim().is_empty() {
                let path = PathBuf::from(settings.rules_path.trim());
                self.load(&path, settings, ui.ctx());
            }
        }
        let busy = self.file.is_busy();
        ui.add_space(4.0);
        ui.strong(tr("server-rules-heading"));
        ui.horizontal(|ui| {
            let label = ui.label(tr("server-rules-file"));
            ui.add(
                egui::TextEdit::singleline(&mut settings.rules_path)
                    .id_salt("rules_path")
                    .desired_width(150.0)
                    .hint_text("rules.toml"),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("server-rules-file-hover"));
        });
        ui.horizontal(|ui| {
            let has_path = !settings.rules_path.trim().is_empty();
            if ui
                .add_enabled(
                    has_path && !busy,
                    egui::Button::new(tr("server-rules-load")),
                )
                .on_hover_text(tr("server-rules-load-hover"))
                .on_disabled_hover_text(tr("server-rules-load-disabled"))
                .clicked()
            {
                let path = PathBuf::from(settings.rules_path.trim());
                self.load(&path, settings, ui.ctx());
            }
            if ui
                .button(tr("server-rules-browse"))
                .on_hover_text(tr("server-rules-browse-hover"))
                .clicked()
            {
                self.browse_requested = true;
            }
            if ui
                .add_enabled(
                    has_path && !self.source.is_empty() && !busy,
                    egui::Button::new(tr("server-rules-save")),
                )
                .on_hover_text(tr("server-rules-save-hover"))
                .on_disabled_hover_text(tr("server-rules-save-disabled"))
                .clicked()
            {
                let path = PathBuf::from(settings.rules_path.trim());
                self.note = Some(tr_with(
                    "server-rules-saving",
                    &[("path", path.display().to_string().into())],
                ));
                self.file.write(path, self.source.clone(), ui.ctx());
            }
        });
        self.table(ui, status, outbox, settings);
        self.form(ui, settings, outbox);
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if let Some(note) = &self.note {
            ui.weak(note);
        }
    }

    fn table(
        &mut self,
        ui: &mut Ui,
        status: Option<&RulesStatus>,
        outbox: Outbox<'_>,
        settings: &Settings,
    ) {
        let Some(set) = self.set.clone() else {
            ui.weak(tr("server-rules-none"));
            return;
        };
        let hits: Vec<u64> = status
            .filter(|status| status.set_id == set.id())
            .map(|status| status.hits.to_vec())
            .unwrap_or_else(|| vec![0; set.rules().len() + 1]);
        let mut remove = None;
        egui::Grid::new("rules_table")
            .num_columns(5)
            .striped(true)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                ui.strong("#");
                ui.strong(tr("server-rules-when"));
                ui.strong(tr("server-rules-then"));
                ui.strong(tr("server-rules-hits-column"));
                ui.label("");
                ui.end_row();
                for (index, rule) in set.rules().iter().enumerate() {
                    ui.label((index + 1).to_string());
                    let when = ui.add(egui::Label::new(&rule.when_text).truncate());
                    if let Some(name) = &rule.name {
                        when.on_hover_text(tr_with(
                            "server-rules-rule-name",
                            &[("name", name.into()), ("line", rule.location.line.into())],
                        ));
                    }
                    ui.add(egui::Label::new(&rule.then_text).truncate());
                    ui.label(hits_text(hits[index]));
                    if ui
                        .small_button(tr("server-rules-remove"))
                        .on_hover_text(tr_with(
                            "server-rules-remove-hover",
                            &[("number", (index + 1).into())],
                        ))
                        .clicked()
                    {
                        remove = Some(index);
                    }
                    ui.end_row();
                }
                if let Some(default) = set.default_rule() {
                    ui.label("");
                    ui.label(tr("server-rules-default"));
                    ui.add(egui::Label::new(&default.then_text).truncate());
                    ui.label(hits_text(hits[set.rules().len()]));
                    ui.label("");
                    ui.end_row();
                }
            });
        if let Some(index) = remove {
            match edit::remove_rule(&self.source, &set.rules()[index]) {
                Ok(source) => {
                    self.apply(source, &Self::path(settings), outbox);
                }
                Err(error) => self.error = Some(error.to_string()),
            }
        }
    }

    fn form(&mut self, ui: &mut Ui, settings: &Settings, outbox: Outbox<'_>) {
        ui.add_space(4.0);
        egui::Grid::new("rule_form")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let label = ui.label(tr("server-rules-when-header"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.key)
                        .id_salt("rule_key")
                        .desired_width(120.0)
                        .hint_text("content-type"),
                )
                .labelled_by(label.id)
                .on_hover_text(tr("server-rules-when-header-hover"));
                ui.end_row();
                let label = ui.label(tr("server-rules-equals"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.value)
                        .id_salt("rule_value")
                        .desired_width(120.0)
                        .hint_text("text/json"),
                )
                .labelled_by(label.id)
                .on_hover_text(tr("server-rules-equals-hover"));
                ui.end_row();
                let label = ui.label(tr("server-rules-action"));
                egui::ComboBox::from_id_salt("rule_action")
                    .selected_text(self.action.label())
                    .show_ui(ui, |ui| {
                        for action in FormAction::ALL {
                            ui.selectable_value(&mut self.action, action, action.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
                if self.action == FormAction::Reply {
                    let label = ui.label(tr("server-rules-reply"));
                    ui.add(
                        egui::TextEdit::singleline(&mut self.reply)
                            .id_salt("rule_reply")
                            .desired_width(120.0)
                            .hint_text("pong {{seq}}"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(tr("server-rules-reply-hover"));
                    ui.end_row();
                }
            });
        if ui
            .button(tr("server-rules-add"))
            .on_hover_text(tr("server-rules-add-hover"))
            .clicked()
        {
            let value = header_value_from_text(self.value.trim());
            let key = self.key.trim();
            let header = (!key.is_empty()).then_some((key, &value));
            let action = match self.action {
                FormAction::Reply => SimpleAction::ReplyText(self.reply.clone()),
                FormAction::Echo => SimpleAction::Echo,
                FormAction::Close => SimpleAction::Close,
            };
            let source = edit::append_rule(&self.source, header, &action);
            self.apply(source, &Self::path(settings), outbox);
        }
    }
}

/// "1 hit", "5 hits".
fn hits_text(count: u64) -> String {
    tr_with("server-rules-hits", &[("count", count.into())])
}

/// A sentence's first letter in capitals ("cannot read …" → "Cannot read …").
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
