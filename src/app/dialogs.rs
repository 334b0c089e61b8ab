//! File dialogs on their own thread, so the window keeps drawing while one
//! is open. A dialog only chooses a path; what happens to it is the app's
//! business.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// What a path is being chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Where to save the log.
    SaveLog,
    /// Which log to open.
    OpenLog,
    /// Which file to send as content.
    ContentFile,
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
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("framescope-dialog".into())
            .spawn(move || {
                let _ = tx.send(run(purpose));
                ctx.request_repaint();
            });
        if spawned.is_ok() {
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

/// Shows the dialog and waits for it (on the dialog thread).
fn run(purpose: Purpose) -> Option<PathBuf> {
    let dialog = rfd::FileDialog::new();
    match purpose {
        Purpose::SaveLog => dialog
            .set_title("Save log")
            .add_filter("JSON Lines (can be opened again)", &["jsonl"])
            .add_filter("Text with hex dumps", &["txt", "log"])
            .set_file_name("framescope-log.jsonl")
            .save_file(),
        Purpose::OpenLog => dialog
            .set_title("Open log")
            .add_filter("JSON Lines", &["jsonl", "json"])
            .add_filter("All files", &["*"])
            .pick_file(),
        Purpose::ContentFile => dialog.set_title("Content file").pick_file(),
    }
}
