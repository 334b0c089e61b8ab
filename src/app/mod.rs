//! The egui front end: one window over the engine.
//!
//! The app reads engine state (server status, client pool, journal,
//! counters) and sends [`Command`]s; every file it reads or writes goes
//! through a helper thread (`files/`). Each panel (`panels/`) is a small
//! struct with its own transient state, drawn through one contract,
//! `Panel::ui(ui, cx)` over a `FrameCx` (`frame_cx.rs`); the records views
//! are in `records/`. [`FramescopeApp`] composes them, polls engine events,
//! handles shortcuts and the theme, and persists [`Settings`] through
//! eframe's storage.

mod address;
mod code_editor;
mod files;
pub mod fonts;
mod frame_cx;
pub mod i18n;
mod panels;
pub mod profiles;
mod records;
pub mod settings;
mod style;

pub use panels::draft;
pub use records::{hex_view, row_summary};

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use egui::{KeyboardShortcut, Modifiers, Ui};

use crate::clock::Zone;
use crate::engine::relay::{HeldView, HoldSettings};
use crate::engine::{
    ClientMode, Command, CommandOutcome, ConnState, ConnectionSummary, Engine, EngineError,
    EngineView, JournalSnapshot, SendTarget, TEXT_ENCODINGS, TextEncoding,
};

use self::i18n::{tr, tr_with};
pub use self::settings::Settings;
use self::settings::ThemeChoice;
use crate::app::files::dialogs::{Dialogs, Purpose};
use crate::app::files::log_files::LogFiles;
use crate::app::files::path_prompt::{PathPrompt, PromptOutcome};
use crate::app::frame_cx::{FrameCx, Outbox, Panel};
use crate::app::panels::client::{ClientAction, ClientPanel};
use crate::app::panels::composer::{Composer, ComposerAction, ready_fields};
use crate::app::panels::fields_form;
use crate::app::panels::held_edit::{EditAction, HeldEdit};
use crate::app::panels::inject_form::Injection;
use crate::app::panels::intercept::{InterceptAction, InterceptPanel};
use crate::app::panels::journal::JournalPanel;
use crate::app::panels::load::{LoadAction, LoadPanel};
use crate::app::panels::profile_editor::{ProfileEditor, ProfileEditorAction};
use crate::app::panels::scenario::{ScenarioAction, ScenarioPanel};
use crate::app::panels::server::{ServerAction, ServerPanel};
use crate::app::panels::status_bar::StatusBar;
use crate::app::profiles::{Opened, ProfileLibrary};
use crate::app::records::follow_view::{FollowAction, FollowWindow};
use crate::app::records::frame_index::SourceKey;
use crate::app::records::frames_view::{FramesAction, FramesView, Source};

/// This frame's context for a panel, from the window's fields (a macro, so
/// that the panel, itself a field, stays borrowable beside it).
macro_rules! frame_cx {
    ($app:ident) => {
        FrameCx {
            // First, while nothing of the window is borrowed mutably yet.
            raw_clients: composer_sends_raw(
                $app.editing.as_ref(),
                $app.send_target,
                &$app.view,
                $app.open_modes.1,
                $app.settings.client.mode,
            ),
            view: &$app.view,
            journal: &$app.live,
            shown: shown_source(
                &$app.logs,
                $app.view_source,
                &$app.live,
                &$app.held_seqs.1,
                $app.settings.raw_text_encoding(),
            ),
            settings: &mut $app.settings,
            profiles: &$app.profiles,
            send_target: &mut $app.send_target,
            editing: $app.editing.as_ref(),
            outbox: Outbox::new(&$app.engine),
        }
    };
}

/// Whether the target of Send speaks raw bytes: the picked connection's
/// mode, or the open connections' (`open_agreed`) if they agree, else the
/// client form's.
fn target_sends_raw(
    target: SendTarget,
    view: &EngineView,
    open_agreed: Option<bool>,
    form: ClientMode,
) -> bool {
    let form = form == ClientMode::Raw;
    match target {
        SendTarget::One(id) => view.connection(id).map_or(form, is_raw),
        SendTarget::All => open_agreed.unwrap_or(form),
    }
}

/// Whether the composer builds raw bytes: the held chunk or frame being
/// edited says, else the target of Send.
fn composer_sends_raw(
    editing: Option<&HeldEdit>,
    target: SendTarget,
    view: &EngineView,
    open_agreed: Option<bool>,
    form: ClientMode,
) -> bool {
    match editing {
        Some(edit) => edit.raw,
        None => target_sends_raw(target, view, open_agreed, form),
    }
}

/// The records the table shows: the opened log when it is chosen, else
/// the live journal (with the frames the relay holds).
fn shown_source<'a>(
    logs: &'a LogFiles,
    view_source: ViewSource,
    live: &'a JournalSnapshot,
    held: &'a HashSet<u64>,
    raw: TextEncoding,
) -> Source<'a> {
    static NONE_HELD: std::sync::LazyLock<HashSet<u64>> = std::sync::LazyLock::new(HashSet::new);
    match (&logs.opened, view_source) {
        (Some(opened), ViewSource::File) => Source {
            key: SourceKey::File(opened.key),
            journal: &opened.journal,
            held: &NONE_HELD,
            raw,
        },
        _ => Source {
            key: SourceKey::Live,
            journal: live,
            held,
            raw,
        },
    }
}

/// Ctrl+Enter (Cmd+Enter on a Mac): send.
const SEND: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, egui::Key::Enter);
/// Ctrl+S: save the log.
const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, egui::Key::S);
/// Ctrl+O: open a log.
const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, egui::Key::O);

/// How soon after an engine change the window repaints: traffic alone
/// repaints it at most about 30 times a second. A frame's layout costs the
/// same however many records arrived since the last, so under heavy
/// traffic this halves the window's CPU, and what it takes from the
/// sockets, against repainting at the screen's rate; input still repaints
/// at once.
const LIVE_REFRESH: std::time::Duration = std::time::Duration::from_millis(33);

/// The engine's notifier for a window: a repaint within [`LIVE_REFRESH`].
fn repaint_on_change(ctx: egui::Context) -> impl Fn() + Send + Sync + 'static {
    move || ctx.request_repaint_after(LIVE_REFRESH)
}

/// Which records the frames table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewSource {
    /// The engine's journal.
    #[default]
    Live,
    /// The opened log.
    File,
}

/// What the right-hand panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComposerTab {
    /// The composer and Send.
    #[default]
    Send,
    /// The load test, which sends the composer's frame.
    Load,
    /// Scenario files: edit, run, record.
    Scenarios,
    /// Profile files: write one, check it, hand it to the clients.
    Profiles,
}

/// The framescope window.
pub struct FramescopeApp {
    engine: Engine,
    settings: Settings,
    server: ServerPanel,
    intercept: InterceptPanel,
    client: ClientPanel,
    composer: Composer,
    /// The held frame being edited in the composer, if one is.
    editing: Option<HeldEdit>,
    composer_tab: ComposerTab,
    load: LoadPanel,
    scenarios: ScenarioPanel,
    profile_editor: ProfileEditor,
    /// The profile files opened, which the client form may choose.
    profiles: ProfileLibrary,
    /// The language of this machine's locale, read once: the window's
    /// until one is chosen.
    system_language: i18n::Language,
    frames: FramesView,
    logs: LogFiles,
    dialogs: Dialogs,
    prompt: PathPrompt,
    follow: FollowWindow,
    send_target: SendTarget,
    view_source: ViewSource,
    /// The engine's published view, as of this frame.
    view: Arc<EngineView>,
    /// The live journal, as of this frame (read with no lock held).
    live: JournalSnapshot,
    /// Whether the open connections all speak raw bytes (Some(true)), all
    /// frames (Some(false)) or disagree; for this connection list version.
    open_modes: (u64, Option<bool>),
    notifier_set: bool,
    /// Whether the window's fonts are installed (see [`fonts::install`]).
    fonts_installed: bool,
    applied_theme: Option<ThemeChoice>,
    /// The hold settings last sent to the engine.
    applied_hold: Option<HoldSettings>,
    /// The journal records of the frames held now, and the list they were
    /// read from (read again only when the relay publishes a new one).
    held_seqs: (Arc<[HeldView]>, HashSet<u64>),
}

impl std::fmt::Debug for FramescopeApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FramescopeApp")
            .field("engine", &self.engine)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl FramescopeApp {
    /// The app for a real window: a new engine, and the settings remembered
    /// from the last run.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Result<Self, EngineError> {
        let settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        let engine = Engine::with_config(Default::default(), settings.journal_limits())?;
        fonts::install(&cc.egui_ctx);
        let mut app = Self::with_engine(engine, settings);
        app.fonts_installed = true;
        app.engine
            .set_notifier(repaint_on_change(cc.egui_ctx.clone()));
        app.notifier_set = true;
        Ok(app)
    }

    /// The app over a given engine and settings (for tests, or embedding).
    pub fn with_engine(engine: Engine, settings: Settings) -> Self {
        engine.command(Command::SetCapture(settings.capture));
        engine.command(Command::SetJournalLimits(settings.journal_limits()));
        engine.command(Command::SetHold(settings.hold));
        let applied_hold = Some(settings.hold);
        // Read on the first frame, on a helper thread (see `housekeeping`).
        let profiles = ProfileLibrary::remembering(&settings.profile_files);
        Self {
            engine,
            settings,
            server: ServerPanel::default(),
            intercept: InterceptPanel::default(),
            client: ClientPanel::default(),
            composer: Composer::default(),
            editing: None,
            composer_tab: ComposerTab::default(),
            load: LoadPanel::default(),
            scenarios: ScenarioPanel::default(),
            profile_editor: ProfileEditor::default(),
            profiles,
            system_language: i18n::Language::of_system(),
            frames: FramesView::default(),
            logs: LogFiles::default(),
            dialogs: Dialogs::default(),
            prompt: PathPrompt::default(),
            follow: FollowWindow::default(),
            send_target: SendTarget::All,
            view_source: ViewSource::Live,
            view: Arc::default(),
            live: JournalSnapshot::default(),
            open_modes: (u64::MAX, None),
            notifier_set: false,
            fonts_installed: false,
            applied_theme: None,
            applied_hold,
            held_seqs: (Arc::new([]), HashSet::new()),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings, to change.
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// Saves the log to `path` as the Save dialog would (JSON Lines, or text
    /// for `.txt`/`.log`); progress and the outcome show in the top bar.
    pub fn save_log_to(&mut self, path: impl Into<PathBuf>) {
        self.logs.save(&self.engine, path.into());
    }

    /// Opens the log at `path` as the Open dialog would; it shows in the
    /// frames table once read.
    pub fn open_log(&mut self, path: impl Into<PathBuf>) {
        self.logs.open(&self.engine, path.into());
    }

    /// Uses the file at `path` as the content, as the composer's file dialog would.
    pub fn load_content_file(&mut self, path: impl Into<PathBuf>, ctx: &egui::Context) {
        self.composer
            .load_file(path.into(), &mut self.settings.draft, ctx);
    }

    /// Opens the scenario file at `path` in the Scenarios tab, as its
    /// Open dialog would.
    pub fn open_scenario(&mut self, path: impl Into<PathBuf>, ctx: &egui::Context) {
        self.composer_tab = ComposerTab::Scenarios;
        self.scenarios.open(path.into(), ctx);
    }

    /// The text in the Scenarios tab's editor.
    pub fn scenario_text(&self) -> &str {
        self.scenarios.text()
    }

    /// Opens the profile file at `path` for the client connections, as the
    /// Profile list's "Open profile…" would: it is read on a helper thread,
    /// joins the list, and is chosen once it compiles.
    pub fn open_profile(&mut self, path: impl Into<PathBuf>, ctx: &egui::Context) {
        self.profiles.read(&path.into(), true, ctx);
    }

    /// Opens the profile file at `path` in the Profiles tab's editor, as
    /// its Open dialog would.
    pub fn edit_profile(&mut self, path: impl Into<PathBuf>, ctx: &egui::Context) {
        self.composer_tab = ComposerTab::Profiles;
        self.profile_editor.open(path.into(), ctx);
    }

    /// The text in the Profiles tab's editor.
    pub fn profile_text(&self) -> &str {
        self.profile_editor.text()
    }

    /// The profile files opened, and the built-ins beside them.
    pub fn profiles(&self) -> &ProfileLibrary {
        &self.profiles
    }

    /// How many records the frames table lists now.
    pub fn frames_shown(&self) -> usize {
        self.frames.len()
    }

    /// The record selected in the frames table.
    pub fn selected_record(&self) -> Option<u64> {
        self.frames.selected()
    }

    /// The bytes lit up in the selected record's dump (the header field or
    /// part under the pointer).
    pub fn highlighted_bytes(&self) -> Option<std::ops::Range<usize>> {
        self.frames.highlighted_bytes()
    }

    /// The connection the Follow stream window shows, while it is open
    /// (the client's leg, for a relayed conversation).
    pub fn followed(&self) -> Option<crate::engine::follow::Leg> {
        self.follow.legs().first().copied()
    }

    /// Every connection the Follow stream window shows, while it is open:
    /// one, or a relayed conversation's two legs.
    pub fn followed_legs(&self) -> &[crate::engine::follow::Leg] {
        self.follow.legs()
    }

    /// Which records the frames table shows.
    pub fn view_source(&self) -> ViewSource {
        self.view_source
    }

    /// Whether the target of Send speaks raw bytes (see [`target_sends_raw`]).
    fn target_is_raw(&self) -> bool {
        target_sends_raw(
            self.send_target,
            &self.view,
            self.open_modes.1,
            self.settings.client.mode,
        )
    }

    /// Brings the open connections' shared mode up to date, once per new
    /// connection list (not once per frame).
    fn update_open_modes(&mut self) {
        if self.open_modes.0 == self.view.connections_version {
            return;
        }
        let mut open = self
            .view
            .connections
            .iter()
            .filter(|s| s.state == ConnState::Open);
        let agreed = match open.next() {
            Some(first) if open.all(|s| is_raw(s) == is_raw(first)) => Some(is_raw(first)),
            _ => None,
        };
        self.open_modes = (self.view.connections_version, agreed);
    }

    /// The held frame being edited in the composer, if one is.
    pub fn editing(&self) -> Option<u64> {
        self.editing.as_ref().map(|edit| edit.id)
    }

    /// Whether the composer builds raw bytes: the held chunk or frame being
    /// edited says, else the target of Send.
    fn composer_is_raw(&self) -> bool {
        composer_sends_raw(
            self.editing.as_ref(),
            self.send_target,
            &self.view,
            self.open_modes.1,
            self.settings.client.mode,
        )
    }

    /// Sends the composed message, if it may go (Ctrl+Enter): Forward
    /// edited while a held frame is edited, else Send.
    fn send(&mut self) {
        if let Some(edit) = &self.editing {
            let ready = match self.composer.edited_fields(&self.settings.draft, edit) {
                Some(ready) => ready,
                None => self
                    .composer
                    .built(&self.settings.draft, self.composer_is_raw()),
            };
            if let Ok(bytes) = ready {
                self.forward_edited(bytes);
            }
            return;
        }
        let raw = self.target_is_raw();
        // Under a profile the composer is a form of its fields.
        let profile = self.settings.client.composed_profile(&self.profiles);
        let ready = match &profile {
            Some(profile) => {
                let draft = &self.settings.draft;
                let message =
                    fields_form::build(profile, &draft.fields, crate::engine::Role::Request);
                ready_fields(&message, draft.send_malformed, &self.view, self.send_target)
            }
            None => {
                self.composer
                    .ready_to_send(&self.settings.draft, &self.view, self.send_target, raw)
            }
        };
        if let Ok(bytes) = ready {
            let outcome = self.engine.command(Command::Send {
                target: self.send_target,
                bytes,
            });
            if let CommandOutcome::Sent(report) = outcome {
                self.composer.on_sent(&report);
            }
        }
    }

    /// Loads held frame `id` into the composer to edit it (ending any other
    /// edit first).
    fn edit_held(&mut self, id: u64) {
        let Some(held) = self.view.relay.held.iter().find(|h| h.id == id).cloned() else {
            self.intercept
                .report(Err(tr_with("app-held-gone", &[("id", id.into())])));
            return;
        };
        self.end_edit();
        // The relay reads its frames in the server's profile.
        let profile = panels::server::server_profile(&self.settings, &self.profiles)
            .ok()
            .flatten();
        match HeldEdit::begin(&held, &mut self.settings.draft, profile) {
            Ok(edit) => {
                // It waits for the edit, whatever the hold's time-out.
                self.engine.command(Command::PinHeld { id, pinned: true });
                self.editing = Some(edit);
                self.composer_tab = ComposerTab::Send;
            }
            Err(why) => self.intercept.report(Err(why)),
        }
    }

    /// Leaves edit mode, the composer's draft as it was before; a frame
    /// still held is under the hold's time-out again, counted afresh.
    fn end_edit(&mut self) {
        if let Some(edit) = self.editing.take() {
            self.engine.command(Command::PinHeld {
                id: edit.id,
                pinned: false,
            });
            edit.end(&mut self.settings.draft);
        }
    }

    /// Sends `bytes` in place of the held frame being edited.
    fn forward_edited(&mut self, bytes: bytes::Bytes) {
        let Some(edit) = &mut self.editing else {
            return;
        };
        let (id, len) = (edit.id, bytes.len());
        let release = crate::engine::relay::Release::Replace(bytes);
        match self.engine.command(Command::Release { id, release }) {
            CommandOutcome::Refused(error) => edit.refused(error.to_string()),
            _ => {
                self.end_edit();
                self.composer.note(tr_with(
                    "app-forwarded-edited",
                    &[("id", id.into()), ("count", len.into())],
                ));
            }
        }
    }

    /// Sends bytes into a relayed conversation.
    fn inject(&mut self, injection: Injection) {
        let Injection {
            conversation,
            toward,
            bytes,
        } = injection;
        let len = bytes.len();
        let outcome = match self.engine.command(Command::Inject {
            conversation,
            toward,
            bytes,
        }) {
            CommandOutcome::Refused(error) => Err(tr_with(
                "app-inject-failed",
                &[("error", error.to_string().into())],
            )),
            _ => Ok(tr_with(
                "app-injected",
                &[
                    ("count", len.into()),
                    ("conversation", conversation.into()),
                    ("toward", panels::intercept::toward_label(toward).into()),
                ],
            )),
        };
        self.composer.on_injected(outcome);
    }

    /// Engine events, finished dialogs, the notifier and the theme.
    fn housekeeping(&mut self, ctx: &egui::Context) {
        if !self.notifier_set {
            self.engine.set_notifier(repaint_on_change(ctx.clone()));
            self.notifier_set = true;
        }
        if !self.fonts_installed {
            fonts::install(ctx);
            self.fonts_installed = true;
        }
        if self.applied_theme != Some(self.settings.theme) {
            style::apply(ctx, self.settings.theme);
            self.applied_theme = Some(self.settings.theme);
        }
        for event in self.engine.poll_events() {
            self.server.on_event(&event);
            self.client.on_event(&event);
            self.load.on_event(&event);
            self.scenarios.on_event(&event);
            if self.logs.on_event(event) {
                self.view_source = ViewSource::File;
            }
        }
        for opened in self.profiles.poll(ctx) {
            self.profile_opened(opened);
        }
        if let Some((purpose, path)) = self.dialogs.poll() {
            self.prompt.close();
            self.use_path(purpose, path, ctx);
        }
        match self.prompt.show(ctx) {
            Some(PromptOutcome::Chosen(purpose, path)) => self.use_path(purpose, path, ctx),
            Some(PromptOutcome::Browse(purpose)) => self.dialogs.open(purpose, ctx),
            None => {}
        }
        if self.applied_hold != Some(self.settings.hold) {
            self.engine.command(Command::SetHold(self.settings.hold));
            self.applied_hold = Some(self.settings.hold);
        }
        self.view = self.engine.view();
        self.live = self.engine.snapshot();
        self.update_open_modes();
        if !Arc::ptr_eq(&self.held_seqs.0, &self.view.relay.held) {
            let held = self.view.relay.held.clone();
            self.held_seqs.1 = held.iter().filter_map(|h| h.seq).collect();
            self.held_seqs.0 = held;
        }
        if let SendTarget::One(id) = self.send_target
            && self.view.connection(id).is_none()
        {
            self.send_target = SendTarget::All;
        }
    }

    /// A profile file read and compiled: remembered, and chosen for the
    /// clients when it was opened to be.
    fn profile_opened(&mut self, opened: Opened) {
        self.settings.profile_files = self.profiles.remembered();
        if !opened.choose {
            return;
        }
        let outcome = match opened.result {
            Ok(profile) => {
                self.settings.client.profile = opened.key;
                Ok(tr_with(
                    "app-profile-opened",
                    &[
                        ("name", profile.name().into()),
                        ("file", files::file_content::file_name(&opened.path).into()),
                    ],
                ))
            }
            // The choice stays as it was; the list shows the file greyed, with why.
            Err(why) => Err(tr_with("app-profile-unusable", &[("error", why.into())])),
        };
        self.client.on_profile_opened(outcome);
    }

    /// Holds the profile file the Profiles tab saved and makes it the
    /// clients' profile.
    fn use_profile_for_clients(&mut self, path: PathBuf, text: &str) {
        let outcome = match self.profiles.add(&path, text) {
            Ok(profile) => {
                self.settings.client.profile = ProfileLibrary::key_of(&path);
                Ok(tr_with(
                    "app-profile-in-use",
                    &[("name", profile.name().into())],
                ))
            }
            Err(why) => Err(why),
        };
        self.settings.profile_files = self.profiles.remembered();
        self.profile_editor.on_used(outcome);
    }

    /// Does what a chosen path was chosen for, and remembers it.
    fn use_path(&mut self, purpose: Purpose, path: PathBuf, ctx: &egui::Context) {
        let shown = path.display().to_string();
        match purpose {
            Purpose::SaveLog => {
                self.settings.last_log_path = shown;
                self.save_log_to(path);
            }
            Purpose::OpenLog => {
                self.settings.last_log_path = shown;
                self.open_log(path);
            }
            Purpose::ContentFile => self.load_content_file(path, ctx),
            Purpose::RulesFile => self.server.load_rules(&path, &mut self.settings, ctx),
            Purpose::SaveReport => {
                self.settings.last_report_path = shown;
                let report = self.view.load.as_ref().and_then(|l| match &l.outcome {
                    Some(Ok(report)) => Some(report.clone()),
                    _ => None,
                });
                if let Some(report) = report {
                    self.load.save_report(path, report, ctx);
                }
            }
            Purpose::OpenScenario => {
                self.settings.last_scenario_path = shown;
                self.open_scenario(path, ctx);
            }
            Purpose::SaveScenario => {
                self.settings.last_scenario_path = shown;
                self.scenarios.save_as(path, ctx);
            }
            Purpose::SaveConversation => {
                self.settings.last_conversation_path = shown;
                let (mode, zone) = (self.settings.follow_mode, self.settings.time_zone);
                let raw = self.settings.raw_text_encoding();
                self.follow.save(path, (mode, raw), zone, ctx);
            }
            Purpose::OpenProfile => {
                self.settings.last_profile_path = shown;
                self.open_profile(path, ctx);
            }
            Purpose::EditProfile => {
                self.settings.last_profile_path = shown;
                self.edit_profile(path, ctx);
            }
            Purpose::SaveProfile => {
                self.settings.last_profile_path = shown;
                self.profile_editor.save_as(path, ctx);
            }
        }
    }

    /// Asks for a path for `purpose`: typed, or through the file dialog.
    fn ask_path(&mut self, purpose: Purpose) {
        if self.dialogs.is_open() {
            return;
        }
        let suggested = match purpose {
            Purpose::SaveLog | Purpose::OpenLog => self.settings.last_log_path.clone(),
            Purpose::SaveReport => self.settings.last_report_path.clone(),
            Purpose::RulesFile => self.settings.rules_path.clone(),
            Purpose::OpenScenario | Purpose::SaveScenario => {
                self.settings.last_scenario_path.clone()
            }
            Purpose::SaveConversation => self.settings.last_conversation_path.clone(),
            Purpose::OpenProfile | Purpose::EditProfile | Purpose::SaveProfile => {
                self.settings.last_profile_path.clone()
            }
            Purpose::ContentFile => self
                .settings
                .draft
                .file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        };
        self.prompt.open(purpose, &suggested);
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_shortcut(&SEND)) {
            self.send();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&SAVE)) && !self.logs.is_saving() {
            self.ask_path(Purpose::SaveLog);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&OPEN)) {
            self.ask_path(Purpose::OpenLog);
        }
    }

    fn top_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.heading("framescope");
            ui.separator();
            let busy = self.dialogs.is_open();
            if ui
                .add_enabled(
                    !busy && !self.logs.is_saving(),
                    egui::Button::new(tr("app-save-log")).shortcut_text("Ctrl+S"),
                )
                .on_hover_text(tr("app-save-log-hover"))
                .on_disabled_hover_text(tr("app-save-log-busy"))
                .clicked()
            {
                self.ask_path(Purpose::SaveLog);
            }
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(tr("app-open-log")).shortcut_text("Ctrl+O"),
                )
                .on_hover_text(tr("app-open-log-hover"))
                .on_disabled_hover_text(tr("app-open-log-busy"))
                .clicked()
            {
                self.ask_path(Purpose::OpenLog);
            }
            self.logs.status_ui(ui);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let (text, help) = match self.settings.theme {
                    ThemeChoice::Dark => (tr("app-theme-light"), tr("app-theme-light-hover")),
                    ThemeChoice::Light => (tr("app-theme-dark"), tr("app-theme-dark-hover")),
                };
                if ui.button(text).on_hover_text(help).clicked() {
                    self.settings.theme = self.settings.theme.toggled();
                }
                self.language_picker(ui);
            });
        });
    }

    /// The window's language: the system's until one is picked, then
    /// that one, remembered.
    fn language_picker(&mut self, ui: &mut Ui) {
        let current = self.settings.language.unwrap_or(self.system_language);
        let mut chosen = current;
        egui::ComboBox::from_id_salt("language")
            .selected_text(current.native_name())
            .show_ui(ui, |ui| {
                for language in i18n::Language::ALL {
                    ui.selectable_value(&mut chosen, language, language.native_name());
                }
            })
            .response
            .on_hover_text(i18n::tr("app-language-hover"));
        ui.label(i18n::tr("app-language"));
        if chosen != current {
            self.settings.language = Some(chosen);
            i18n::set_language(chosen);
        }
    }

    fn left_panel(&mut self, ui: &mut Ui) {
        egui::ScrollArea::vertical()
            .id_salt("left_panel")
            .show(ui, |ui| {
                let action = style::section(ui, "server_section", |ui| {
                    self.server.ui(ui, &mut frame_cx!(self))
                });
                if action == Some(ServerAction::BrowseRules) {
                    self.dialogs.open(Purpose::RulesFile, ui.ctx());
                }
                if self.shows_intercept() {
                    ui.separator();
                    let action = style::section(ui, "intercept_section", |ui| {
                        self.intercept.ui(ui, &mut frame_cx!(self))
                    });
                    match action {
                        Some(InterceptAction::Edit(id)) => self.edit_held(id),
                        Some(InterceptAction::Follow(legs)) => {
                            self.follow.open(SourceKey::Live, &self.live, legs)
                        }
                        None => {}
                    }
                }
                ui.separator();
                let action = style::section(ui, "client_section", |ui| {
                    self.client.ui(ui, &mut frame_cx!(self))
                });
                if action == Some(ClientAction::OpenProfile) {
                    self.ask_path(Purpose::OpenProfile);
                }
                ui.separator();
                style::section(ui, "journal_section", |ui| {
                    JournalPanel.ui(ui, &mut frame_cx!(self));
                });
                ui.separator();
                style::section(ui, "charts_section", |ui| {
                    // The charts share what height is left, within reason.
                    let height = ((ui.available_height() - 80.0) / 2.0).clamp(110.0, 240.0);
                    panels::charts::rate_chart(ui, &self.view.rates, height);
                    ui.add_space(6.0);
                    let latency = &self.view.latency;
                    panels::charts::latency_chart(ui, &latency.summary, &latency.buckets, height);
                });
            });
    }

    /// Whether the Intercept panel shows: in a relay mode, or while frames
    /// are held.
    fn shows_intercept(&self) -> bool {
        self.settings.server_mode.is_relay()
            || self.view.server.mode.is_some_and(|mode| mode.is_relay())
            || !self.view.relay.held.is_empty()
    }

    fn composer_panel(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(
                &mut self.composer_tab,
                ComposerTab::Send,
                tr("app-tab-send"),
            )
            .on_hover_text(tr("app-tab-send-hover"));
            ui.selectable_value(
                &mut self.composer_tab,
                ComposerTab::Load,
                tr("app-tab-load"),
            )
            .on_hover_text(tr("app-tab-load-hover"));
            ui.selectable_value(
                &mut self.composer_tab,
                ComposerTab::Scenarios,
                tr("app-tab-scenarios"),
            )
            .on_hover_text(tr("app-tab-scenarios-hover"));
            ui.selectable_value(
                &mut self.composer_tab,
                ComposerTab::Profiles,
                tr("app-tab-profiles"),
            )
            .on_hover_text(tr("app-tab-profiles-hover"));
        });
        ui.separator();
        match self.composer_tab {
            ComposerTab::Load => return self.load_tab(ui),
            ComposerTab::Scenarios => return self.scenario_tab(ui),
            ComposerTab::Profiles => return self.profile_tab(ui),
            ComposerTab::Send => {}
        }
        let action = egui::ScrollArea::vertical()
            .id_salt("composer_panel")
            .show(ui, |ui| self.composer.ui(ui, &mut frame_cx!(self)))
            .inner;
        match action {
            Some(ComposerAction::Send(_)) => self.send(),
            Some(ComposerAction::ChooseFile) => self.ask_path(Purpose::ContentFile),
            Some(ComposerAction::Edit(EditAction::Forward(bytes))) => self.forward_edited(bytes),
            Some(ComposerAction::Edit(EditAction::Cancel)) => self.end_edit(),
            Some(ComposerAction::Inject(injection)) => self.inject(injection),
            None => {}
        }
    }

    /// Whether a load run sends raw bytes: as the client form's mode says.
    fn load_is_raw(&self) -> bool {
        self.settings.client.mode == ClientMode::Raw
    }

    /// What a load run would send, in words, or why nothing can go.
    fn load_frame_text(&mut self) -> Result<String, String> {
        let raw = self.load_is_raw();
        let draft = &self.settings.draft;
        let message = self.composer.message(draft, raw);
        match &message.bytes {
            Some(bytes) if message.sendable(draft.send_malformed) => Ok(tr_with(
                if raw {
                    "app-load-frame-raw"
                } else {
                    "app-load-frame-composed"
                },
                &[("count", bytes.len().into())],
            )),
            _ => Err(message
                .problems
                .first()
                .cloned()
                .unwrap_or_else(|| tr("app-load-frame-unbuilt"))),
        }
    }

    fn load_tab(&mut self, ui: &mut Ui) {
        let frame = self.load_frame_text();
        self.load.set_frame_text(frame);
        let action = egui::ScrollArea::vertical()
            .id_salt("load_panel")
            .show(ui, |ui| self.load.ui(ui, &mut frame_cx!(self)))
            .inner;
        match action {
            Some(LoadAction::Start(target)) => self.start_load(target),
            Some(LoadAction::Stop) => {
                self.engine.command(Command::StopLoad);
            }
            Some(LoadAction::SaveReport) => self.ask_path(Purpose::SaveReport),
            None => {}
        }
    }

    fn scenario_tab(&mut self, ui: &mut Ui) {
        let action = self.scenarios.ui(ui, &mut frame_cx!(self));
        match action {
            Some(ScenarioAction::Open) => self.ask_path(Purpose::OpenScenario),
            Some(ScenarioAction::SaveAs) => self.ask_path(Purpose::SaveScenario),
            Some(ScenarioAction::Run(file, target)) => {
                let outcome = self.engine.command(Command::RunScenario { file, target });
                if outcome == CommandOutcome::Busy {
                    self.scenarios.refuse(tr("app-busy-run"));
                }
            }
            Some(ScenarioAction::Stop) => {
                self.engine.command(Command::StopScenario);
            }
            Some(ScenarioAction::ShowConnection(conn)) => {
                self.view_source = ViewSource::Live;
                let filters = &mut self.settings.filters;
                *filters = settings::Filters {
                    connection: conn.to_string(),
                    ..settings::Filters::default()
                };
            }
            None => {}
        }
    }

    fn profile_tab(&mut self, ui: &mut Ui) {
        let action = self.profile_editor.ui(ui, &mut frame_cx!(self));
        match action {
            Some(ProfileEditorAction::Open) => self.ask_path(Purpose::EditProfile),
            Some(ProfileEditorAction::SaveAs) => self.ask_path(Purpose::SaveProfile),
            Some(ProfileEditorAction::UseForClients { path, text }) => {
                self.use_profile_for_clients(path, &text)
            }
            None => {}
        }
    }

    /// Starts a load run of the composed frame to `target`.
    fn start_load(&mut self, target: crate::engine::Target) {
        let raw = self.load_is_raw();
        // Under a profile the frame is built from the form's fields, anew
        // for each frame when they hold payload variables.
        let profile = self.settings.client.composed_profile(&self.profiles);
        let payload = match &profile {
            Some(profile) => fields_form::load_payload(profile, &self.settings.draft),
            None => self.composer.load_payload(&self.settings.draft, raw),
        };
        let payload = match payload {
            Ok(payload) => payload,
            Err(why) => return self.load.refuse(why),
        };
        let spec = LoadPanel::spec(&self.settings.load, target, payload, !raw, profile);
        self.load.on_start();
        let outcome = self.engine.command(Command::StartLoad {
            spec: Box::new(spec),
            capture: self.settings.load.capture,
        });
        if outcome == CommandOutcome::Busy {
            self.load.refuse(tr("app-busy-start"));
        }
    }

    fn frames_panel(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.heading(tr("app-frames"));
            ui.separator();
            ui.label(tr("app-source"));
            ui.selectable_value(
                &mut self.view_source,
                ViewSource::Live,
                tr("app-source-live"),
            )
            .on_hover_text(tr("app-source-live-hover"));
            if let Some(opened) = &self.logs.opened {
                ui.selectable_value(&mut self.view_source, ViewSource::File, opened.name())
                    .on_hover_text(tr_with(
                        "app-source-file-hover",
                        &[("path", opened.path.display().to_string().into())],
                    ));
                files::log_files::bad_lines_ui(ui, &opened.bad_lines);
            }
            ui.separator();
            ui.label(tr("app-times"));
            ui.selectable_value(
                &mut self.settings.time_zone,
                Zone::Local,
                tr("app-times-local"),
            )
            .on_hover_text(tr("app-times-local-hover"));
            ui.selectable_value(&mut self.settings.time_zone, Zone::Utc, tr("app-times-utc"))
                .on_hover_text(tr("app-times-utc-hover"));
            ui.separator();
            let label = ui.label(tr("app-raw-as"));
            egui::ComboBox::from_id_salt("raw_encoding")
                .selected_text(self.settings.raw_encoding.as_str())
                .width(110.0)
                .show_ui(ui, |ui| {
                    for name in TEXT_ENCODINGS {
                        ui.selectable_value(
                            &mut self.settings.raw_encoding,
                            (*name).to_owned(),
                            *name,
                        );
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(tr("app-raw-as-hover"));
        });
        let action = self.frames.ui(ui, &mut frame_cx!(self));
        match action {
            Some(FramesAction::ClearLog) => {
                self.engine.command(Command::ClearLog);
            }
            Some(FramesAction::Follow(legs)) => {
                let source = shown_source(
                    &self.logs,
                    self.view_source,
                    &self.live,
                    &self.held_seqs.1,
                    self.settings.raw_text_encoding(),
                );
                self.follow.open(source.key, source.journal, legs)
            }
            None => {}
        }
    }

    /// The Follow stream window, over the journal it was opened on.
    fn follow_window(&mut self, ctx: &egui::Context) {
        let journal = match self.follow.source() {
            None => return,
            Some(SourceKey::Live) => Some(&self.live),
            Some(SourceKey::File(key)) => self
                .logs
                .opened
                .as_ref()
                .filter(|opened| opened.key == key)
                .map(|opened| &opened.journal),
        };
        let raw = self.settings.raw_text_encoding();
        let (mode, zone) = (&mut self.settings.follow_mode, self.settings.time_zone);
        if self.follow.show(ctx, journal, mode, (zone, raw)) == Some(FollowAction::Save) {
            self.ask_path(Purpose::SaveConversation);
        }
    }
}

impl eframe::App for FramescopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        i18n::set_language(self.settings.language.unwrap_or(self.system_language));
        self.housekeeping(ctx);
        self.shortcuts(ctx);
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        i18n::set_language(self.settings.language.unwrap_or(self.system_language));
        // Side panels start at a share of the window (the composer wants room
        // for a whole hex dump row) and may not crowd out the frames table
        // when the window shrinks.
        let width = ui.available_width();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status_bar").show(ui, |ui| StatusBar.ui(ui, &mut frame_cx!(self)));
        egui::Panel::left("connections")
            .resizable(true)
            .default_size((width * 0.22).clamp(300.0, 380.0))
            .size_range(260.0..=(width * 0.25).max(280.0))
            .show(ui, |ui| self.left_panel(ui));
        egui::Panel::right("composer")
            .resizable(true)
            .default_size((width * 0.37).clamp(400.0, 620.0))
            .size_range(340.0..=(width * 0.38).max(360.0))
            .show(ui, |ui| self.composer_panel(ui));
        egui::CentralPanel::default().show(ui, |ui| self.frames_panel(ui));
        self.follow_window(ui.ctx());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        match &self.editing {
            // The held frame is not the user's draft: keep the one from before.
            Some(edit) => {
                let settings = Settings {
                    draft: edit.previous().clone(),
                    ..self.settings.clone()
                };
                eframe::set_value(storage, eframe::APP_KEY, &settings);
            }
            None => eframe::set_value(storage, eframe::APP_KEY, &self.settings),
        }
    }
}

/// Whether a connection speaks raw bytes.
fn is_raw(summary: &ConnectionSummary) -> bool {
    summary.mode == ClientMode::Raw
}

/// Opens the window and runs until it is closed.
pub fn run() -> Result<(), String> {
    let icon = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png"))
        .map_err(|e| format!("the window icon is not a valid PNG: {e}"))?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("framescope")
            .with_inner_size([1600.0, 1000.0])
            .with_min_inner_size([1100.0, 680.0])
            .with_icon(icon),
        renderer: eframe::Renderer::Glow,
        // The app installs the system font fallback itself (see fonts.rs),
        // so that it says which font it looked for when none is found.
        system_font_fallback: false,
        ..Default::default()
    };
    eframe::run_native(
        "framescope",
        options,
        Box::new(|cc| Ok(Box::new(FramescopeApp::new(cc)?))),
    )
    .map_err(|e| e.to_string())
}
