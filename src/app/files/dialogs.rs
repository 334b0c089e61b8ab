//! File dialogs on their own thread, so the window keeps drawing while one
//! is open (on macOS, on the UI thread: see [`show`]). A dialog only
//! chooses a path; what happens to it is the app's business.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

use crate::app::i18n::tr;

/// What a path is being chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Where to save the log.
    SaveLog,
    /// Which log to open.
    OpenLog,
    /// Which file to send as content.
    ContentFile,
    /// Where to save a load run's report.
    SaveReport,
    /// Which server rules file to load.
    RulesFile,
    /// Which scenario file to open.
    OpenScenario,
    /// Where to save the scenario being edited.
    SaveScenario,
    /// Where to save a followed conversation.
    SaveConversation,
    /// Which profile file the clients are to speak.
    OpenProfile,
    /// Which profile file to open in the Profiles tab's editor.
    EditProfile,
    /// Where to save the profile being edited.
    SaveProfile,
}

/// At most one open dialog, and the path it comes back with.
#[derive(Debug, Default)]
pub struct Dialogs {
    pending: Option<(Purpose, Receiver<Option<PathBuf>>)>,
}

impl Dialogs {
    /// Whether a dialog is open.
    pub fn is_open(&self) -> bool {
        self.pending.is_some()
    }

    /// Opens a dialog for `purpose`, unless one is open already.
    pub fn open(&mut self, purpose: Purpose, ctx: &egui::Context) {
        if self.is_open() {
            return;
        }
        let (tx, rx) = channel();
        if show(purpose, tx, ctx) {
            self.pending = Some((purpose, rx));
        }
    }

    /// The path chosen, once the dialog closes (None while open or if cancelled).
    pub fn poll(&mut self) -> Option<(Purpose, PathBuf)> {
        let (purpose, rx) = self.pending.as_ref()?;
        let chosen = match rx.try_recv() {
            Ok(chosen) => chosen,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => None,
        };
        let purpose = *purpose;
        self.pending = None;
        chosen.map(|path| (purpose, path))
    }
}

/// Shows the dialog for `purpose` on a thread of its own; the path chosen
/// goes to `tx`, and the window is asked to draw again to pick it up.
/// Whether the dialog could be started.
#[cfg(not(target_os = "macos"))]
fn show(purpose: Purpose, tx: Sender<Option<PathBuf>>, ctx: &egui::Context) -> bool {
    let ctx = ctx.clone();
    // The dialog's title and filters read in the window's language.
    let language = crate::app::i18n::language();
    std::thread::Builder::new()
        .name("framescope-dialog".into())
        .spawn(move || {
            crate::app::i18n::set_language(language);
            let _ = tx.send(run(purpose));
            ctx.request_repaint();
        })
        .is_ok()
}

/// Shows the dialog for `purpose` and waits for it, here on the UI thread:
/// AppKit's panels belong on the main thread, which is where eframe runs
/// the UI on macOS. Called from another thread, rfd could only hand the
/// panel over to the main thread's dispatch queue, outside eframe's
/// control; calling it here keeps to AppKit's rule in plain sight. The
/// panel is modal, so the window does not draw until it closes, as in any
/// macOS app. The path chosen goes to `tx`, picked up by the next frame.
#[cfg(target_os = "macos")]
fn show(purpose: Purpose, tx: Sender<Option<PathBuf>>, ctx: &egui::Context) -> bool {
    let _ = tx.send(run(purpose));
    ctx.request_repaint();
    true
}

/// Shows the dialog and waits for it.
fn run(purpose: Purpose) -> Option<PathBuf> {
    let dialog = rfd::FileDialog::new();
    match purpose {
        Purpose::SaveLog => dialog
            .set_title(tr("files-title-save-log"))
            .add_filter(tr("files-filter-jsonl-reopen"), &["jsonl"])
            .add_filter(tr("files-filter-text-hex"), &["txt", "log"])
            .add_filter(tr("files-filter-pcapng"), &["pcapng"])
            .set_file_name("framescope-log.jsonl")
            .save_file(),
        Purpose::OpenLog => dialog
            .set_title(tr("files-title-open-log"))
            .add_filter(tr("files-filter-jsonl"), &["jsonl", "json"])
            .add_filter(tr("files-filter-all"), &["*"])
            .pick_file(),
        Purpose::ContentFile => dialog.set_title(tr("files-title-content-file")).pick_file(),
        Purpose::SaveReport => dialog
            .set_title(tr("files-title-save-report"))
            .add_filter("JSON", &["json"])
            .set_file_name("framescope-load.json")
            .save_file(),
        Purpose::RulesFile => dialog
            .set_title(tr("files-title-rules-file"))
            .add_filter("TOML", &["toml"])
            .add_filter(tr("files-filter-all"), &["*"])
            .pick_file(),
        Purpose::OpenScenario => dialog
            .set_title(tr("files-title-open-scenario"))
            .add_filter(tr("files-filter-scenario"), &["toml"])
            .add_filter(tr("files-filter-all"), &["*"])
            .pick_file(),
        Purpose::SaveScenario => dialog
            .set_title(tr("files-title-save-scenario"))
            .add_filter(tr("files-filter-scenario"), &["toml"])
            .set_file_name("scenario.toml")
            .save_file(),
        Purpose::SaveConversation => dialog
            .set_title(tr("files-title-save-conversation"))
            .add_filter(tr("files-filter-text"), &["txt"])
            .set_file_name("framescope-conversation.txt")
            .save_file(),
        Purpose::OpenProfile | Purpose::EditProfile => dialog
            .set_title(tr("files-title-open-profile"))
            .add_filter(tr("files-filter-profile"), &["toml"])
            .add_filter(tr("files-filter-all"), &["*"])
            .pick_file(),
        Purpose::SaveProfile => dialog
            .set_title(tr("files-title-save-profile"))
            .add_filter(tr("files-filter-profile"), &["toml"])
            .set_file_name("profile.toml")
            .save_file(),
    }
}
