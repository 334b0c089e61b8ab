//! The composer: every header field editable, custom fields, the content as
//! text, JSON, hex or a file, presets from the tutorial, a live hex preview
//! of the exact bytes Send will write, and Send itself (disabled, with the
//! reason, while it cannot go). While a held frame is edited, Send is
//! Forward edited; while the relay has open conversations, Inject sends
//! the same bytes into one of them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use egui::{RichText, Ui};

use crate::engine::DEFAULT_MAX_CONTENT_LENGTH;
use crate::engine::hexdump::FrameLayout;
use crate::engine::load::Payload;
use crate::engine::{
    ConnState, ConnectionSummary, EngineView, Profile, Role, SendReport, SendTarget,
};

use crate::app::files::file_content::{FileLoader, FileState, file_name, human_bytes};
use crate::app::frame_cx::{FrameCx, Panel};
use crate::app::i18n::{self, Language, tr, tr_with};
use crate::app::panels::draft::{
    CONTENT_ENCODINGS, CONTENT_TYPES, ContentKind, CustomField, Draft, Message,
};
use crate::app::panels::fields_form;
use crate::app::panels::held_edit::{EditAction, HeldEdit};
use crate::app::panels::inject_form::{InjectForm, Injection};
use crate::app::records::hex_view::{self, HexView};
use crate::app::style;

/// Height of the hex preview.
const PREVIEW_HEIGHT: f32 = 150.0;
/// Height of the content editor.
const EDITOR_HEIGHT: f32 = 130.0;

/// What the composer asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum ComposerAction {
    /// Send these bytes to the chosen connections.
    Send(Bytes),
    /// Open a file dialog for the content.
    ChooseFile,
    /// Forward edited, or Cancel, for the held frame being edited.
    Edit(EditAction),
    /// Send these bytes into a relayed conversation.
    Inject(Injection),
}

/// What the composer needs to know about the connections.
#[derive(Debug)]
pub struct SendContext<'a> {
    /// The engine's latest view (its connection list and counts).
    pub view: &'a EngineView,
    /// Which connections Send goes to.
    pub target: &'a mut SendTarget,
    /// Whether the target speaks raw bytes (Send writes the content only).
    pub raw: bool,
    /// The held frame being edited, if one is: Send is Forward edited.
    pub editing: Option<&'a HeldEdit>,
}

/// The built message for one state of the draft.
#[derive(Debug)]
struct Preview {
    draft: Draft,
    file_generation: u64,
    raw: bool,
    /// The language its problems and notes are in.
    language: Language,
    message: Message,
    layout: FrameLayout,
}

/// The composer's transient state.
#[derive(Debug, Default)]
pub struct Composer {
    file: FileLoader,
    preview: Option<Preview>,
    last_send: Option<String>,
    hovered_byte: Option<usize>,
    inject: InjectForm,
    /// The frame the fields form made, built again only when the profile
    /// or a value changes.
    fields_preview: Option<FieldsPreview>,
}

/// The frame of a profile's fields form, for one state of its values.
#[derive(Debug)]
struct FieldsPreview {
    profile: Arc<Profile>,
    role: Role,
    /// The language its problem is in.
    language: Language,
    values: BTreeMap<String, String>,
    message: fields_form::FieldsMessage,
}

impl Composer {
    /// Starts reading `path` as the content (in the background).
    pub fn load_file(&mut self, path: PathBuf, draft: &mut Draft, ctx: &egui::Context) {
        draft.kind = ContentKind::File;
        draft.file = Some(path.clone());
        self.file.load(path, DEFAULT_MAX_CONTENT_LENGTH, ctx);
    }

    /// Reads the draft's file again after a restart, if it names one.
    pub fn restore(&mut self, draft: &Draft, ctx: &egui::Context) {
        if draft.kind == ContentKind::File
            && let Some(path) = &draft.file
        {
            self.file
                .load(path.clone(), DEFAULT_MAX_CONTENT_LENGTH, ctx);
        }
    }

    /// Notes what became of an edit forwarded or an injection, for the
    /// line under the Send button.
    pub fn note(&mut self, text: String) {
        self.last_send = Some(text);
    }

    /// Notes what an injection did, or why it was refused.
    pub fn on_injected(&mut self, outcome: Result<String, String>) {
        self.inject.report(outcome);
    }

    /// Notes what became of a send, for the line under the Send button.
    pub fn on_sent(&mut self, report: &SendReport) {
        let mut text = tr_with("composer-sent-to", &[("count", report.queued.into())]);
        if report.queue_full > 0 {
            text.push_str(" · ");
            text.push_str(&tr_with(
                "composer-sent-queues-full",
                &[("count", report.queue_full.into())],
            ));
        }
        if report.not_open > 0 {
            text.push_str(" · ");
            text.push_str(&tr_with(
                "composer-sent-not-open",
                &[("count", report.not_open.into())],
            ));
        }
        self.last_send = Some(text);
    }

    /// The message the draft makes now (built again only when it changed).
    pub fn message(&mut self, draft: &Draft, raw: bool) -> &Message {
        self.file.poll();
        let generation = self.file.generation();
        let language = i18n::language();
        let fresh = self.preview.as_ref().is_some_and(|p| {
            p.raw == raw
                && p.file_generation == generation
                && p.language == language
                && p.draft == *draft
        });
        if !fresh {
            self.preview = None;
        }
        let file = &self.file;
        let preview = self.preview.get_or_insert_with(|| {
            let message = draft.message(file.bytes(), raw);
            let layout = match (&message.bytes, raw) {
                (Some(bytes), false) => FrameLayout::of(bytes),
                (Some(bytes), true) => hex_view::raw_layout(bytes.len()),
                (None, _) => FrameLayout::default(),
            };
            Preview {
                draft: draft.clone(),
                file_generation: generation,
                raw,
                language,
                message,
                layout,
            }
        });
        &preview.message
    }

    /// The previewed bytes when they may go (wherever to), or why not.
    pub fn built(&mut self, draft: &Draft, raw: bool) -> Result<Bytes, String> {
        let message = self.message(draft, raw);
        let Some(bytes) = &message.bytes else {
            return Err(message
                .problems
                .first()
                .cloned()
                .unwrap_or_else(|| tr("composer-cannot-build-message")));
        };
        if !message.sendable(draft.send_malformed) {
            return Err(tr_with(
                "composer-tick-malformed-send",
                &[("problems", message.problems.join("; ").into())],
            ));
        }
        Ok(bytes.clone())
    }

    /// The bytes Send would write now, or why it cannot.
    pub fn ready_to_send(
        &mut self,
        draft: &Draft,
        view: &EngineView,
        target: SendTarget,
        raw: bool,
    ) -> Result<Bytes, String> {
        let bytes = self.built(draft, raw)?;
        match closed_target(view, target) {
            Some(reason) => Err(reason),
            None => Ok(bytes),
        }
    }

    /// The frame the form's `values` make under `profile` (built again only
    /// when they changed).
    fn fields_message(
        &mut self,
        profile: &Arc<Profile>,
        values: &BTreeMap<String, String>,
        role: Role,
    ) -> &fields_form::FieldsMessage {
        let language = i18n::language();
        let fresh = self.fields_preview.as_ref().is_some_and(|p| {
            Arc::ptr_eq(&p.profile, profile)
                && p.role == role
                && p.language == language
                && p.values == *values
        });
        if !fresh {
            self.fields_preview = Some(FieldsPreview {
                profile: profile.clone(),
                role,
                language,
                values: values.clone(),
                message: fields_form::build(profile, values, role),
            });
        }
        &self.fields_preview.as_ref().expect("just made").message
    }

    /// The composer under a profile: a form of its fields, the preview
    /// with each field's bytes, and Send (or, editing a held frame, the
    /// edit's buttons).
    fn fields_ui(
        &mut self,
        ui: &mut Ui,
        draft: &mut Draft,
        profile: &Arc<Profile>,
        send: SendContext<'_>,
    ) -> Option<ComposerAction> {
        let role = send
            .editing
            .and_then(|edit| edit.profile.as_ref())
            .map_or(Role::Request, |(_, role)| *role);
        if let Some(edit) = send.editing {
            edit.banner_ui(ui);
        }
        ui.horizontal(|ui| {
            ui.heading(tr("composer-heading"));
            ui.weak(tr_with(
                "composer-profile-fields",
                &[("profile", profile.name().into())],
            ));
        });
        let before = self
            .fields_message(profile, &draft.fields, role)
            .layout
            .clone();
        style::section(ui, "composer_fields", |ui| {
            fields_form::grid(ui, profile, &mut draft.fields, &before)
        });
        let message = self.fields_message(profile, &draft.fields, role).clone();
        if let Some(problem) = &message.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.strong(tr("composer-preview"));
            match &message.bytes {
                Some(bytes) => ui.label(tr_with(
                    "composer-preview-bytes",
                    &[("count", bytes.len().into())],
                )),
                None => ui.weak(tr("composer-nothing-to-send")),
            };
        });
        if let Some(bytes) = &message.bytes {
            let highlight = self.hovered_byte.and_then(|offset| {
                hex_view::region_range(&message.layout, message.layout.region_of(offset))
            });
            self.hovered_byte = HexView::new(bytes, &message.layout, "Preview bytes")
                .highlight(highlight)
                .max_height(PREVIEW_HEIGHT)
                .show(ui);
        }
        ui.add_space(4.0);
        if let Some(edit) = send.editing {
            malformed_switch(ui, draft);
            let ready = edited_fields(&message, draft.send_malformed);
            return edit
                .buttons_ui(ui, send.view, &ready)
                .map(ComposerAction::Edit);
        }
        send_target_row(ui, send.view, send.target, draft);
        let ready = ready_fields(&message, draft.send_malformed, send.view, *send.target);
        let clicked = send_button(ui, &ready, &tr("composer-send-frame-hover"));
        if let Some(last) = &self.last_send {
            ui.weak(last);
        }
        match ready {
            Ok(bytes) if clicked => Some(ComposerAction::Send(bytes)),
            _ => None,
        }
    }

    /// The bytes a held frame's edit under its profile would forward now,
    /// or why none (Ctrl+Enter's way to Forward edited).
    pub fn edited_fields(
        &mut self,
        draft: &Draft,
        edit: &HeldEdit,
    ) -> Option<Result<Bytes, String>> {
        let (profile, role) = edit.profile.as_ref()?;
        let message = self.fields_message(profile, &draft.fields, *role);
        Some(edited_fields(message, draft.send_malformed))
    }

    /// What a load run sends: the composed frame (in raw mode its content
    /// alone), with payload variables such as `{{seq}}` filled in for each
    /// frame; or why it cannot go.
    pub fn load_payload(&mut self, draft: &Draft, raw: bool) -> Result<Payload, String> {
        let message = self.message(draft, raw);
        if message.bytes.is_none() || !message.sendable(draft.send_malformed) {
            return Err(message
                .problems
                .first()
                .cloned()
                .unwrap_or_else(|| tr("composer-cannot-build-message")));
        }
        let content = draft.content(self.file.bytes())?;
        let payload = if raw {
            let typed = matches!(draft.kind, ContentKind::Text | ContentKind::Json);
            Payload::raw(content, typed)
        } else {
            let builder = draft
                .builder(content)
                .in_named_encoding()
                .map_err(|e| e.to_string())?;
            Payload::frame(&builder)
        };
        payload.map_err(|e| e.to_string())
    }

    /// Shows the composer; returns what the app should do.
    fn draw(
        &mut self,
        ui: &mut Ui,
        draft: &mut Draft,
        send: SendContext<'_>,
    ) -> Option<ComposerAction> {
        let mut action = None;
        if let Some(edit) = send.editing {
            edit.banner_ui(ui);
        }
        ui.horizontal(|ui| {
            ui.heading(tr("composer-heading"));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button(tr("composer-binary-request"))
                    .on_hover_text(tr("composer-binary-request-hover"))
                    .clicked()
                {
                    *draft = Draft::binary_request();
                }
                if ui
                    .button(tr("composer-search-request"))
                    .on_hover_text(tr_with(
                        "composer-search-request-hover",
                        &[(
                            "request",
                            r#"{"action": "search", "value": "morpheus"}"#.into(),
                        )],
                    ))
                    .clicked()
                {
                    *draft = Draft::search_request();
                }
            });
        });
        let content_len = self.message(draft, send.raw).content_len;
        if send.raw && send.editing.is_none() {
            ui.colored_label(ui.visuals().warn_fg_color, tr("composer-raw-warning"));
        }
        style::section(ui, "composer_header", |ui| {
            ui.add_enabled_ui(!send.raw, |ui| header_grid(ui, draft, content_len));
        });
        ui.add_space(4.0);
        if style::section(ui, "composer_content", |ui| {
            content_editor(ui, draft, &self.file)
        }) {
            action = Some(ComposerAction::ChooseFile);
        }
        if draft.kind == ContentKind::File && self.file.state() == &FileState::None {
            self.restore(draft, ui.ctx());
        }
        let message = self.message(draft, send.raw).clone();
        for problem in &message.problems {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        for note in &message.notes {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
        ui.add_space(4.0);
        style::section(ui, "composer_preview", |ui| self.preview_ui(ui, &message));
        ui.add_space(4.0);
        if let Some(sent) = style::section(ui, "composer_send", |ui| self.send_ui(ui, draft, send))
        {
            action = Some(sent);
        }
        action
    }

    fn preview_ui(&mut self, ui: &mut Ui, message: &Message) {
        ui.horizontal(|ui| {
            ui.strong(tr("composer-preview"));
            match &message.bytes {
                Some(bytes) => ui.label(tr_with(
                    "composer-preview-bytes",
                    &[("count", bytes.len().into())],
                )),
                None => ui.weak(tr("composer-nothing-to-send")),
            };
            hex_view::legend(ui);
        });
        let (Some(bytes), Some(preview)) = (&message.bytes, &self.preview) else {
            return;
        };
        let highlight = self.hovered_byte.and_then(|offset| {
            hex_view::region_range(&preview.layout, preview.layout.region_of(offset))
        });
        self.hovered_byte = HexView::new(bytes, &preview.layout, "Preview bytes")
            .highlight(highlight)
            .max_height(PREVIEW_HEIGHT)
            .show(ui);
    }

    /// Send (or, while a held frame is edited, Forward edited), and
    /// Inject; returns what was clicked.
    fn send_ui(
        &mut self,
        ui: &mut Ui,
        draft: &mut Draft,
        send: SendContext<'_>,
    ) -> Option<ComposerAction> {
        if let Some(edit) = send.editing {
            malformed_switch(ui, draft);
            let ready = self.built(draft, send.raw);
            return edit
                .buttons_ui(ui, send.view, &ready)
                .map(ComposerAction::Edit);
        }
        let mut sent = None;
        send_target_row(ui, send.view, send.target, draft);
        let ready = self.ready_to_send(draft, send.view, *send.target, send.raw);
        let clicked = send_button(ui, &ready, &tr("composer-send-previewed-hover"));
        if clicked && let Ok(bytes) = &ready {
            sent = Some(ComposerAction::Send(bytes.clone()));
        }
        if let Some(last) = &self.last_send {
            ui.weak(last);
        }
        let built = self.built(draft, send.raw);
        if let Some(injection) = self.inject.ui(ui, send.view, &built) {
            sent = Some(ComposerAction::Inject(injection));
        }
        sent
    }
}

/// The frame the fields form makes, when it may be forwarded in a held
/// frame's place, or why not.
fn edited_fields(message: &fields_form::FieldsMessage, malformed: bool) -> Result<Bytes, String> {
    match &message.bytes {
        None => Err(message
            .problem
            .clone()
            .unwrap_or_else(|| tr("composer-cannot-build-frame"))),
        Some(_) if !message.sendable(malformed) => Err(tr_with(
            "composer-tick-malformed-forward",
            &[(
                "problem",
                message.problem.clone().unwrap_or_default().into(),
            )],
        )),
        Some(bytes) => Ok(bytes.clone()),
    }
}

/// The frame the fields form makes, when it may go to `target` now, or why not.
pub fn ready_fields(
    message: &fields_form::FieldsMessage,
    malformed: bool,
    view: &EngineView,
    target: SendTarget,
) -> Result<Bytes, String> {
    match (&message.bytes, closed_target(view, target)) {
        (None, _) => Err(message
            .problem
            .clone()
            .unwrap_or_else(|| tr("composer-cannot-build-frame"))),
        (Some(_), _) if !message.sendable(malformed) => Err(tr_with(
            "composer-tick-malformed-send",
            &[(
                "problems",
                message.problem.clone().unwrap_or_default().into(),
            )],
        )),
        (Some(_), Some(reason)) => Err(reason),
        (Some(bytes), None) => Ok(bytes.clone()),
    }
}

/// "Send to" with the target picker, and the "Send malformed" switch.
fn send_target_row(ui: &mut Ui, view: &EngineView, target: &mut SendTarget, draft: &mut Draft) {
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(tr("composer-send-to"));
        target_picker(ui, view, target).labelled_by(label.id);
        malformed_switch(ui, draft);
    });
}

/// The Send button, enabled when `ready`, and why not when it is not;
/// whether it was clicked.
fn send_button(ui: &mut Ui, ready: &Result<Bytes, String>, hover: &str) -> bool {
    let button = egui::Button::new(RichText::new(tr("composer-send")).strong())
        .shortcut_text("Ctrl+Enter")
        .min_size(egui::vec2(120.0, 26.0));
    let response = ui.add_enabled(ready.is_ok(), button).on_hover_text(hover);
    let response = match ready {
        Err(reason) => response.on_disabled_hover_text(reason.as_str()),
        Ok(_) => response,
    };
    if let Err(reason) = ready {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            tr_with("composer-cannot-send", &[("reason", reason.into())]),
        );
    }
    response.clicked()
}

/// Why Send cannot reach `target` now, if it cannot.
fn closed_target(view: &EngineView, target: SendTarget) -> Option<String> {
    let open = match target {
        SendTarget::All => view.pool.open,
        SendTarget::One(id) => view
            .connection(id)
            .is_some_and(|s| s.state == ConnState::Open)
            .into(),
    };
    (open == 0).then(|| match target {
        SendTarget::All => tr("composer-no-open-connection"),
        SendTarget::One(id) => tr_with("composer-connection-not-open", &[("id", id.into())]),
    })
}

/// The "Send malformed" switch.
fn malformed_switch(ui: &mut Ui, draft: &mut Draft) {
    ui.checkbox(&mut draft.send_malformed, tr("composer-send-malformed"))
        .on_hover_text(tr("composer-send-malformed-hover"));
}

/// The header fields; `content_len` is the true content length.
fn header_grid(ui: &mut Ui, draft: &mut Draft, content_len: usize) {
    ui.strong(tr("composer-header"));
    let mut remove = None;
    egui::Grid::new("header_fields")
        .num_columns(2)
        .spacing([8.0, 5.0])
        .show(ui, |ui| {
            let label = ui.label("byteorder");
            egui::ComboBox::from_id_salt("byteorder")
                .selected_text(draft.byteorder.as_str())
                .show_ui(ui, |ui| {
                    for order in ["little", "big"] {
                        ui.selectable_value(&mut draft.byteorder, order.to_owned(), order);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(tr("composer-byteorder-hover"));
            ui.end_row();

            let label = ui.label("content-type");
            text_with_presets(
                ui,
                &mut draft.content_type,
                &CONTENT_TYPES,
                label.id,
                "content-type",
            )
            .on_hover_text(tr("composer-content-type-hover"));
            ui.end_row();

            let label = ui.label("content-encoding");
            text_with_presets(
                ui,
                &mut draft.content_encoding,
                &CONTENT_ENCODINGS,
                label.id,
                "content-encoding",
            )
            .on_hover_text(tr("composer-content-encoding-hover"));
            ui.end_row();

            let label = ui.label("content-length");
            ui.horizontal(|ui| {
                ui.label(tr_with(
                    "composer-length-computed",
                    &[("length", content_len.into())],
                ))
                .on_hover_text(tr("composer-length-computed-hover"));
                ui.checkbox(&mut draft.override_length, tr("composer-override"))
                    .on_hover_text(tr("composer-override-hover"));
                ui.add_enabled(
                    draft.override_length,
                    egui::TextEdit::singleline(&mut draft.length_value)
                        .id_salt("length_value")
                        .desired_width(80.0),
                )
                .labelled_by(label.id)
                .on_hover_text(tr("composer-length-value-hover"))
                .on_disabled_hover_text(tr("composer-length-value-disabled"));
            });
            ui.end_row();

            for (index, field) in draft.custom.iter_mut().enumerate() {
                ui.add(
                    egui::TextEdit::singleline(&mut field.key)
                        .id_salt(("custom_key", index))
                        .hint_text(tr("composer-custom-key-hint"))
                        .desired_width(120.0),
                )
                .on_hover_text(tr_with(
                    "composer-custom-key-hover",
                    &[("index", (index + 1).into())],
                ));
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut field.value)
                            .id_salt(("custom_value", index))
                            .hint_text(tr("composer-custom-value-hint"))
                            .desired_width(150.0),
                    )
                    .on_hover_text(tr("composer-custom-value-hover"));
                    if ui
                        .button(tr("composer-remove"))
                        .on_hover_text(tr_with(
                            "composer-remove-hover",
                            &[("index", (index + 1).into())],
                        ))
                        .clicked()
                    {
                        remove = Some(index);
                    }
                });
                ui.end_row();
            }
        });
    if let Some(index) = remove {
        draft.custom.remove(index);
    }
    if ui
        .button(tr("composer-add-field"))
        .on_hover_text(tr("composer-add-field-hover"))
        .clicked()
    {
        draft.custom.push(CustomField::default());
    }
}

/// A text field with a drop-down of common values beside it.
fn text_with_presets(
    ui: &mut Ui,
    text: &mut String,
    presets: &[&str],
    label: egui::Id,
    salt: &str,
) -> egui::Response {
    ui.horizontal(|ui| {
        let response = ui
            .add(
                egui::TextEdit::singleline(text)
                    .id_salt(format!("{salt}_text"))
                    .desired_width(210.0),
            )
            .labelled_by(label);
        egui::ComboBox::from_id_salt(salt)
            .selected_text("")
            .width(16.0)
            .show_ui(ui, |ui| {
                for preset in presets {
                    ui.selectable_value(text, (*preset).to_owned(), *preset);
                }
            })
            .response
            .on_hover_text(tr_with("composer-presets-hover", &[("field", salt.into())]));
        response
    })
    .inner
}

/// The content editor; returns true when the user asked to choose a file.
fn content_editor(ui: &mut Ui, draft: &mut Draft, file: &FileLoader) -> bool {
    let mut choose = false;
    ui.horizontal(|ui| {
        ui.strong(tr("composer-content"));
        for kind in ContentKind::ALL {
            ui.selectable_value(&mut draft.kind, kind, kind.label())
                .on_hover_text(tr(match kind {
                    ContentKind::Text => "composer-kind-text-hover",
                    ContentKind::Json => "composer-kind-json-hover",
                    ContentKind::Hex => "composer-kind-hex-hover",
                    ContentKind::File => "composer-kind-file-hover",
                }));
        }
    });
    if draft.kind == ContentKind::File {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button(tr("composer-choose-file"))
                .on_hover_text(tr("composer-choose-file-hover"))
                .clicked()
            {
                choose = true;
            }
            match file.state() {
                FileState::None => {
                    ui.weak(tr("composer-no-file"));
                }
                FileState::Loading(path) => {
                    ui.spinner();
                    ui.label(tr_with(
                        "composer-reading-file",
                        &[("file", file_name(path).into())],
                    ));
                }
                FileState::Loaded { path, bytes } => {
                    ui.label(format!(
                        "{} · {}",
                        file_name(path),
                        human_bytes(bytes.len() as u64)
                    ));
                }
                FileState::Failed { path, error } => {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("{}: {error}", file_name(path)),
                    );
                }
            }
        });
        return choose;
    }
    let hint = match draft.kind {
        ContentKind::Hex => tr("composer-hex-hint"),
        ContentKind::Json => r#"{"action": "search", "value": "morpheus"}"#.to_owned(),
        _ => tr("composer-text-hint"),
    };
    egui::ScrollArea::vertical()
        .id_salt("content_editor")
        .max_height(EDITOR_HEIGHT)
        .show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(&mut draft.text)
                    .id_salt("content_text")
                    .code_editor()
                    .desired_rows(5)
                    .desired_width(f32::INFINITY)
                    .hint_text(hint),
            )
            .on_hover_text(tr("composer-content-hover"));
        });
    choose
}

/// Picks all open connections or one of them.
fn target_picker(ui: &mut Ui, view: &EngineView, target: &mut SendTarget) -> egui::Response {
    let summaries = &view.connections;
    let all_text = tr_with("composer-all-open", &[("count", view.pool.open.into())]);
    let selected = match *target {
        SendTarget::All => all_text.clone(),
        SendTarget::One(id) => view
            .connection(id)
            .map_or_else(|| format!("#{id}"), connection_text),
    };
    egui::ComboBox::from_id_salt("send_target")
        .selected_text(selected)
        .width(220.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(target, SendTarget::All, all_text);
            egui::ScrollArea::vertical().max_height(240.0).show_rows(
                ui,
                18.0,
                summaries.len(),
                |ui, rows| {
                    for summary in &summaries[rows] {
                        ui.selectable_value(
                            target,
                            SendTarget::One(summary.id),
                            connection_text(summary),
                        );
                    }
                },
            );
        })
        .response
        .on_hover_text(tr("composer-target-hover"))
}

/// One connection as the picker shows it.
fn connection_text(summary: &ConnectionSummary) -> String {
    let local = summary
        .local
        .map_or_else(|| "-".to_owned(), |a| a.to_string());
    format!("#{} {local} ({})", summary.id, summary.state)
}

impl Panel for Composer {
    type Action = ComposerAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<ComposerAction> {
        // Under a profile (other than raw, which writes the content alone),
        // the composer is a form of its fields.
        // A held frame is edited in its relay's profile; otherwise the
        // client's is composed.
        let profile = match cx.editing {
            Some(edit) => edit.profile.as_ref().map(|(profile, _)| profile.clone()),
            None => cx.settings.client.composed_profile(cx.profiles),
        };
        let send = SendContext {
            view: cx.view,
            target: cx.send_target,
            raw: cx.raw_clients,
            editing: cx.editing,
        };
        if let Some(profile) = profile {
            return self.fields_ui(ui, &mut cx.settings.draft, &profile, send);
        }
        self.draw(ui, &mut cx.settings.draft, send)
    }
}
