//! A text file read or written on a helper thread, so the window keeps
//! drawing while the disk works; the result is picked up by polling.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use crate::app::i18n::{tr, tr_with};

/// What a finished job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextFileDone {
    /// The file was read: its path and text.
    Read(PathBuf, String),
    /// The text was written to this path.
    Written(PathBuf),
    /// It failed, with why, in a sentence.
    Failed(String),
}

/// What a job's thread sends back: done, or failed with the message key
/// and the path it names (put in words on the UI thread, in the window's
/// language).
type JobResult = Result<TextFileDone, (&'static str, PathBuf, std::io::Error)>;

/// At most one read or write under way.
#[derive(Debug, Default)]
pub struct TextFile {
    pending: Option<Receiver<JobResult>>,
}

impl TextFile {
    /// Whether a job is under way.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Reads `path` as UTF-8 text.
    pub fn read(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.spawn(ctx, move || match std::fs::read_to_string(&path) {
            Ok(text) => Ok(TextFileDone::Read(path, text)),
            Err(error) => Err(("files-cannot-read", path, error)),
        });
    }

    /// Writes `text` to `path`.
    pub fn write(&mut self, path: PathBuf, text: String, ctx: &egui::Context) {
        self.spawn(ctx, move || match std::fs::write(&path, text) {
            Ok(()) => Ok(TextFileDone::Written(path)),
            Err(error) => Err(("files-cannot-write", path, error)),
        });
    }

    /// What the job did, once it is done.
    pub fn poll(&mut self) -> Option<TextFileDone> {
        let rx = self.pending.as_ref()?;
        let done = match rx.try_recv() {
            Ok(Ok(done)) => done,
            Ok(Err((key, path, error))) => TextFileDone::Failed(tr_with(
                key,
                &[
                    ("path", path.display().to_string().into()),
                    ("error", error.to_string().into()),
                ],
            )),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => TextFileDone::Failed(tr("files-job-stopped")),
        };
        self.pending = None;
        Some(done)
    }

    fn spawn(&mut self, ctx: &egui::Context, job: impl FnOnce() -> JobResult + Send + 'static) {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("framescope-file".into())
            .spawn(move || {
                let _ = tx.send(job());
                ctx.request_repaint();
            });
        self.pending = Some(rx);
        if let Err(error) = spawned {
            let (tx, rx) = channel();
            let _ = tx.send(Ok(TextFileDone::Failed(tr_with(
                "files-job-cannot-start",
                &[("error", error.to_string().into())],
            ))));
            self.pending = Some(rx);
        }
    }
}
