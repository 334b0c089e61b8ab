//! Reading a content file for the composer off the UI thread, capped at the
//! content limit so a huge file is refused from its size, not read.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, channel};

use bytes::Bytes;

use crate::app::i18n::{self, tr, tr_with};

/// Where the composer's content file stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum FileState {
    /// No file chosen.
    #[default]
    None,
    /// Being read.
    Loading(PathBuf),
    /// Read; these are its bytes.
    Loaded {
        /// The file.
        path: PathBuf,
        /// Its bytes.
        bytes: Bytes,
    },
    /// Could not be used, and why.
    Failed {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
}

/// Loads one file at a time in the background.
#[derive(Debug, Default)]
pub struct FileLoader {
    state: FileState,
    pending: Option<Receiver<Result<Bytes, String>>>,
    generation: u64,
}

impl FileLoader {
    /// Starts reading `path` (at most `limit` bytes) on a background thread;
    /// `ctx` is asked to repaint when it is done.
    pub fn load(&mut self, path: PathBuf, limit: u64, ctx: &egui::Context) {
        let (tx, rx) = channel();
        let (thread_path, ctx) = (path.clone(), ctx.clone());
        // Why a read failed reads in the window's language.
        let language = i18n::language();
        let spawned = std::thread::Builder::new()
            .name("framescope-file".into())
            .spawn(move || {
                i18n::set_language(language);
                let _ = tx.send(read_capped(&thread_path, limit));
                ctx.request_repaint();
            });
        let state = match spawned {
            Ok(_) => {
                self.pending = Some(rx);
                FileState::Loading(path)
            }
            Err(error) => FileState::Failed {
                path,
                error: tr_with(
                    "files-read-cannot-start",
                    &[("error", error.to_string().into())],
                ),
            },
        };
        self.set(state);
    }

    /// Picks up a finished read; call once a frame.
    pub fn poll(&mut self) {
        let Some(rx) = &self.pending else { return };
        let result = match rx.try_recv() {
            Ok(result) => result,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err(tr("files-read-stopped")),
        };
        self.pending = None;
        let FileState::Loading(path) = std::mem::take(&mut self.state) else {
            return;
        };
        self.set(match result {
            Ok(bytes) => FileState::Loaded { path, bytes },
            Err(error) => FileState::Failed { path, error },
        });
    }

    fn set(&mut self, state: FileState) {
        self.state = state;
        self.generation += 1;
    }

    /// Where the file stands.
    pub fn state(&self) -> &FileState {
        &self.state
    }

    /// The loaded bytes, if any.
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.state {
            FileState::Loaded { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// Changes whenever the state does (for caches keyed on the content).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Reads a whole file of at most `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> Result<Bytes, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let too_big = |size: u64| {
        tr_with(
            "files-too-big",
            &[
                ("size", human_bytes(size).into()),
                ("limit", human_bytes(limit).into()),
            ],
        )
    };
    if size > limit {
        return Err(too_big(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // Read one byte past the limit, in case the file grew since its size was read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(Bytes::from(bytes))
}

/// The last part of a path, for showing.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A byte count for people: `512 B`, `3.2 KiB`, `16.0 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_files_and_refuses_big_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("content.bin");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(&read_capped(&path, 10).unwrap()[..], b"0123456789");
        let error = read_capped(&path, 9).unwrap_err();
        assert!(error.contains("over the content limit of 9 B"), "{error}");
        assert!(read_capped(&dir.path().join("missing"), 10).is_err());
    }

    #[test]
    fn loads_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.txt");
        std::fs::write(&path, b"hi").unwrap();
        let mut loader = FileLoader::default();
        loader.load(path, 100, &egui::Context::default());
        for _ in 0..200 {
            loader.poll();
            if loader.bytes().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(loader.bytes().map(|b| &b[..]), Some(&b"hi"[..]));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(16 << 20), "16.0 MiB");
    }
}
