//! Writing a file on a thread of its own, so the window never waits for a
//! disk: the outcome ("Saved … to name", or why not) is picked up on a
//! later frame.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use crate::app::files::file_content::file_name;
use crate::app::i18n::{tr, tr_with};

/// One save at a time, and the outcome of the last.
#[derive(Debug, Default)]
pub struct BackgroundSave {
    /// The file being written, and how writing it went.
    pending: Option<Receiver<(PathBuf, std::io::Result<()>)>>,
    /// What a success says before the file's name.
    done: String,
    outcome: Option<Result<String, String>>,
}

impl BackgroundSave {
    /// Runs `write` on a helper thread; on success the outcome reads
    /// "`done` name", e.g. "Saved the report to run.json".
    pub fn start(
        &mut self,
        path: PathBuf,
        done: impl Into<String>,
        ctx: &egui::Context,
        write: impl FnOnce(&Path) -> std::io::Result<()> + Send + 'static,
    ) {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("framescope-save".into())
            .spawn(move || {
                // Put in words on the UI thread, in the window's language.
                let result = write(&path);
                let _ = tx.send((path, result));
                ctx.request_repaint();
            });
        self.done = done.into();
        self.outcome = None;
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(error) => {
                self.outcome = Some(Err(tr_with(
                    "files-save-cannot-start",
                    &[("error", error.to_string().into())],
                )));
            }
        }
    }

    /// Picks up a finished save's outcome; call once a frame.
    pub fn poll(&mut self) {
        let Some(rx) = &self.pending else { return };
        let result = match rx.try_recv() {
            Ok((path, Ok(()))) => Ok(path),
            Ok((path, Err(error))) => Err(tr_with(
                "files-cannot-write",
                &[
                    ("path", path.display().to_string().into()),
                    ("error", error.to_string().into()),
                ],
            )),
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err(tr("files-save-stopped")),
        };
        self.pending = None;
        let done = &self.done;
        self.outcome = Some(result.map(|path| format!("{done} {}", file_name(&path))));
    }

    /// Whether a save is under way.
    pub fn is_saving(&self) -> bool {
        self.pending.is_some()
    }

    /// The last save's outcome, in words.
    pub fn outcome(&self) -> Option<&Result<String, String>> {
        self.outcome.as_ref()
    }

    /// Forgets the last outcome (a new run, a new conversation).
    pub fn clear(&mut self) {
        self.outcome = None;
    }
}
