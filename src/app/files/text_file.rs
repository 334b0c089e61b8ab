//! A text file read or written on a helper thread, so the window keeps
//! drawing while the disk works; the result is picked up by polling.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

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

/// At most one read or write under way.
#[derive(Debug, Default)]
pub struct TextFile {
    pending: Option<Receiver<TextFileDone>>,
}

impl TextFile {
    /// Whether a job is under way.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Reads `path` as UTF-8 text.
    pub fn read(&mut self, path: PathBuf, ctx: &egui::Context) {
        self.spawn(ctx, move || match std::fs::read_to_string(&path) {
            Ok(text) => TextFileDone::Read(path, text),
            Err(error) => TextFileDone::Failed(format!("cannot read {}: {error}", path.display())),
        });
    }

    /// Writes `text` to `path`.
    pub fn write(&mut self, path: PathBuf, text: String, ctx: &egui::Context) {
        self.spawn(ctx, move || match std::fs::write(&path, text) {
            Ok(()) => TextFileDone::Written(path),
            Err(error) => TextFileDone::Failed(format!("cannot write {}: {error}", path.display())),
        });
    }

    /// What the job did, once it is done.
    pub fn poll(&mut self) -> Option<TextFileDone> {
        let rx = self.pending.as_ref()?;
        let done = match rx.try_recv() {
            Ok(done) => done,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => {
                TextFileDone::Failed("the file job stopped unexpectedly".to_owned())
            }
        };
        self.pending = None;
        Some(done)
    }

    fn spawn(&mut self, ctx: &egui::Context, job: impl FnOnce() -> TextFileDone + Send + 'static) {
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
            let _ = tx.send(TextFileDone::Failed(format!(
                "cannot start the file job: {error}"
            )));
            self.pending = Some(rx);
        }
    }
}
