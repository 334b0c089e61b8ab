//! The profiles the window knows: the built-ins, and the profile files a
//! person opened (from the client form's Profile list or the Profiles
//! tab), each compiled once and remembered between runs by its path.
//!
//! The window reads a file on a helper thread ([`ProfileLibrary::read`]),
//! so a slow disk never freezes it. A file that cannot be read or does not
//! compile stays listed with why, so the Profile list can say what is
//! wrong with it instead of dropping it without a word.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::app::files::file_content::file_name;
use crate::app::i18n::{language, set_language, tr_with};
use crate::engine::{BUILTIN_NAMES, Profile};

/// Where one profile file stands.
#[derive(Debug, Clone)]
pub enum ProfileFileState {
    /// Being read for the first time.
    Reading,
    /// Read and compiled.
    Ready(Arc<Profile>),
    /// Read, but it does not compile: the compiler's words
    /// (`path:line:column: problem`).
    Broken(String),
    /// It could not be read, and why.
    Unreadable(String),
}

/// One profile file the library holds.
#[derive(Debug, Clone)]
pub struct ProfileFile {
    /// Its path, made absolute (so the key does not depend on the folder
    /// the window was started in).
    pub path: PathBuf,
    /// Where it stands.
    pub state: ProfileFileState,
}

impl ProfileFile {
    /// What the client settings store to choose it.
    pub fn key(&self) -> String {
        self.path.display().to_string()
    }
}

/// One entry of the Profile list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChoice {
    /// What the client settings store to choose it: a built-in's name or a
    /// file's path.
    pub key: String,
    /// What the list shows: the profile's name, and a file's name after it.
    pub label: String,
    /// What hovering it says: its description, or why it cannot be chosen.
    pub hover: String,
    /// Whether it can be chosen (a built-in, or a file read and compiled).
    pub usable: bool,
}

/// A file read on a helper thread and compiled: what [`ProfileLibrary::poll`]
/// hands back.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The file's key (see [`ProfileFile::key`]).
    pub key: String,
    /// The file.
    pub path: PathBuf,
    /// Its profile, or why there is none.
    pub result: Result<Arc<Profile>, String>,
    /// Whether it was opened to become the clients' profile.
    pub choose: bool,
}

/// What a helper thread sends back: the file, its text or why not, and
/// whether it is to be chosen.
type Read = (PathBuf, Result<String, String>, bool);

/// The profile files opened so far, and the reads under way.
#[derive(Debug)]
pub struct ProfileLibrary {
    /// In the order they were first opened.
    files: Vec<ProfileFile>,
    /// Reads waiting for a context to wake the window when they finish
    /// (the remembered files, at startup).
    queued: Vec<(PathBuf, bool)>,
    /// Every helper thread sends on a clone of this.
    done_tx: Sender<Read>,
    done_rx: Receiver<Read>,
}

impl Default for ProfileLibrary {
    fn default() -> Self {
        let (done_tx, done_rx) = channel();
        Self {
            files: Vec::new(),
            queued: Vec::new(),
            done_tx,
            done_rx,
        }
    }
}

impl ProfileLibrary {
    /// A library that reads `paths` (remembered from the last run) on its
    /// first [`poll`](Self::poll); until then they are listed as being read.
    pub fn remembering(paths: &[PathBuf]) -> Self {
        let mut library = Self::default();
        for path in paths {
            let path = absolute(path);
            if library.find(&path).is_none() {
                library.files.push(ProfileFile {
                    path: path.clone(),
                    state: ProfileFileState::Reading,
                });
                library.queued.push((path, false));
            }
        }
        library
    }

    /// The key a file at `path` is chosen by.
    pub fn key_of(path: &Path) -> String {
        absolute(path).display().to_string()
    }

    /// Reads and compiles the file at `path` here and now, and holds it
    /// (replacing what it held for that path). For embedding and tests:
    /// the window reads on a helper thread with [`read`](Self::read).
    pub fn open(&mut self, path: &Path) -> Result<Arc<Profile>, String> {
        let path = absolute(path);
        match std::fs::read_to_string(&path) {
            Ok(text) => self.add(&path, &text),
            Err(error) => {
                let why = cannot_read(&path, &error);
                self.set(&path, ProfileFileState::Unreadable(why.clone()));
                Err(why)
            }
        }
    }

    /// Compiles `text` as the file at `path` (just saved by the Profiles
    /// tab, so there is no need to read it back) and holds it, replacing
    /// what it held for that path.
    pub fn add(&mut self, path: &Path, text: &str) -> Result<Arc<Profile>, String> {
        let path = absolute(path);
        let result = compile(&path, text);
        let state = match &result {
            Ok(profile) => ProfileFileState::Ready(profile.clone()),
            Err(why) => ProfileFileState::Broken(why.clone()),
        };
        self.set(&path, state);
        result
    }

    /// Starts reading the file at `path` on a helper thread; [`poll`]
    /// hands it back compiled, `choose` saying whether it is to become the
    /// clients' profile. A file read again keeps its old profile until the
    /// new one is ready, so the clients' choice never blinks out.
    ///
    /// [`poll`]: Self::poll
    pub fn read(&mut self, path: &Path, choose: bool, ctx: &egui::Context) {
        let path = absolute(path);
        if self.find(&path).is_none() {
            self.files.push(ProfileFile {
                path: path.clone(),
                state: ProfileFileState::Reading,
            });
        }
        self.spawn_read(path, choose, ctx);
    }

    /// Starts the reads waiting for a context, and picks up the reads that
    /// finished, compiled; call once a frame.
    pub fn poll(&mut self, ctx: &egui::Context) -> Vec<Opened> {
        for (path, choose) in std::mem::take(&mut self.queued) {
            self.spawn_read(path, choose, ctx);
        }
        let finished: Vec<Read> = self.done_rx.try_iter().collect();
        finished
            .into_iter()
            .map(|(path, text, choose)| {
                let result = match text {
                    Ok(text) => self.add(&path, &text),
                    Err(why) => {
                        self.set(&path, ProfileFileState::Unreadable(why.clone()));
                        Err(why)
                    }
                };
                Opened {
                    key: path.display().to_string(),
                    path,
                    result,
                    choose,
                }
            })
            .collect()
    }

    /// The profile `key` names: a built-in's name, or the path of a file
    /// held, read and compiled.
    pub fn resolve(&self, key: &str) -> Option<Arc<Profile>> {
        if let Some(profile) = Profile::builtin(key) {
            return Some(profile);
        }
        match &self.file(key)?.state {
            ProfileFileState::Ready(profile) => Some(profile.clone()),
            _ => None,
        }
    }

    /// Why `key` names no profile that can be used now, or None when it does.
    pub fn problem(&self, key: &str) -> Option<String> {
        if Profile::builtin(key).is_some() {
            return None;
        }
        match self.file(key).map(|f| &f.state) {
            Some(ProfileFileState::Ready(_)) => None,
            Some(ProfileFileState::Reading) => Some(tr_with(
                "scenario-profile-still-reading",
                &[("key", key.into())],
            )),
            Some(ProfileFileState::Broken(why) | ProfileFileState::Unreadable(why)) => {
                Some(why.clone())
            }
            None => Some(tr_with("scenario-profile-not-open", &[("key", key.into())])),
        }
    }

    /// The file held under `key`, if one is.
    pub fn file(&self, key: &str) -> Option<&ProfileFile> {
        self.files.iter().find(|f| f.key() == key)
    }

    /// Every file held, in the order they were first opened.
    pub fn files(&self) -> &[ProfileFile] {
        &self.files
    }

    /// The files to remember for the next run: all but those that could
    /// not be read (moved or deleted, most likely).
    pub fn remembered(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter(|f| !matches!(f.state, ProfileFileState::Unreadable(_)))
            .map(|f| f.path.clone())
            .collect()
    }

    /// What the Profile list shows for `key`: a built-in's name, a file's
    /// profile name and file name, or the file name and what is wrong.
    pub fn label(&self, key: &str) -> String {
        if Profile::builtin(key).is_some() {
            return key.to_owned();
        }
        match self.file(key) {
            Some(file) => file_label(file),
            None => tr_with(
                "scenario-profile-label-not-open",
                &[("name", file_name(Path::new(key)).into())],
            ),
        }
    }

    /// The Profile list: the built-ins, then the files opened. A file that
    /// cannot be used is listed too, not usable, with why.
    pub fn choices(&self) -> Vec<ProfileChoice> {
        let builtins = BUILTIN_NAMES.iter().map(|name| ProfileChoice {
            key: (*name).to_owned(),
            label: (*name).to_owned(),
            hover: Profile::builtin(name)
                .map(|p| p.description().to_owned())
                .unwrap_or_default(),
            usable: true,
        });
        let files = self.files.iter().map(|file| {
            let (hover, usable) = match &file.state {
                ProfileFileState::Ready(profile) => {
                    let description = match profile.description() {
                        "" => String::new(),
                        words => format!("{words}\n"),
                    };
                    (format!("{description}{}", file.path.display()), true)
                }
                ProfileFileState::Reading => (
                    tr_with(
                        "scenario-profile-being-read",
                        &[("path", file.path.display().to_string().into())],
                    ),
                    false,
                ),
                ProfileFileState::Broken(why) | ProfileFileState::Unreadable(why) => {
                    (why.clone(), false)
                }
            };
            ProfileChoice {
                key: file.key(),
                label: file_label(file),
                hover,
                usable,
            }
        });
        builtins.chain(files).collect()
    }

    /// Holds `state` for the file at `path` (absolute), replacing what it held.
    fn set(&mut self, path: &Path, state: ProfileFileState) {
        match self.files.iter_mut().find(|f| f.path == path) {
            Some(file) => file.state = state,
            None => self.files.push(ProfileFile {
                path: path.to_path_buf(),
                state,
            }),
        }
    }

    fn find(&self, path: &Path) -> Option<&ProfileFile> {
        self.files.iter().find(|f| f.path == path)
    }

    fn spawn_read(&self, path: PathBuf, choose: bool, ctx: &egui::Context) {
        let (tx, ctx) = (self.done_tx.clone(), ctx.clone());
        let thread_path = path.clone();
        // Why a read failed is said in the window's language.
        let window_language = language();
        let spawned = std::thread::Builder::new()
            .name("framescope-profile".into())
            .spawn(move || {
                set_language(window_language);
                let text = std::fs::read_to_string(&thread_path)
                    .map_err(|error| cannot_read(&thread_path, &error));
                let _ = tx.send((thread_path, text, choose));
                ctx.request_repaint();
            });
        if let Err(error) = spawned {
            // Reported as a failed read, so the file does not stay "being read".
            let why = tr_with(
                "scenario-profile-cannot-start-reading",
                &[
                    ("path", path.display().to_string().into()),
                    ("error", error.to_string().into()),
                ],
            );
            let _ = self.done_tx.send((path, Err(why), choose));
        }
    }
}

/// A file as the list shows it: "name (file.toml)", or the file name and
/// what stops it being used.
fn file_label(file: &ProfileFile) -> String {
    let name = file_name(&file.path);
    match &file.state {
        ProfileFileState::Ready(profile) => format!("{} ({name})", profile.name()),
        ProfileFileState::Reading => {
            tr_with("scenario-profile-label-reading", &[("name", name.into())])
        }
        ProfileFileState::Broken(_) => {
            tr_with("scenario-profile-label-broken", &[("name", name.into())])
        }
        ProfileFileState::Unreadable(_) => tr_with(
            "scenario-profile-label-unreadable",
            &[("name", name.into())],
        ),
    }
}

/// `text` compiled as the file at `path`; errors name the file, line and column.
fn compile(path: &Path, text: &str) -> Result<Arc<Profile>, String> {
    Profile::compile(text, &path.display().to_string())
        .map(Arc::new)
        .map_err(|error| error.to_string())
}

fn cannot_read(path: &Path, error: &std::io::Error) -> String {
    tr_with(
        "scenario-profile-cannot-read",
        &[
            ("path", path.display().to_string().into()),
            ("error", error.to_string().into()),
        ],
    )
}

/// `path` made absolute against the working folder (no disk access beyond
/// asking for that folder); as given if even that fails.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// How tall the profile list may open: room for about eighteen profiles.
const PICKER_HEIGHT: f32 = 400.0;

/// A list to pick a profile from: the built-ins, then the profile files
/// opened (one that cannot be used is shown greyed, hover for why).
/// `chosen` is the key of the choice, remembered by the caller.
pub fn picker(
    ui: &mut egui::Ui,
    id_salt: &str,
    chosen: &mut String,
    library: &ProfileLibrary,
) -> egui::Response {
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(library.label(chosen.as_str()))
        // Every built-in and a few files in view at once; more scroll.
        .height(PICKER_HEIGHT)
        .show_ui(ui, |ui| {
            for choice in library.choices() {
                if choice.usable {
                    ui.selectable_value(chosen, choice.key, choice.label)
                        .on_hover_text(choice.hover);
                } else {
                    ui.add_enabled(
                        false,
                        egui::Button::selectable(*chosen == choice.key, choice.label),
                    )
                    .on_disabled_hover_text(choice.hover);
                }
            }
        })
        .response
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[profile]\nname = \"mine\"\ndescription = \"Mine\"\n\n\
                        [[field]]\nname = \"size\"\ntype = \"u16\"\nlength_of = \"rest\"\n\n\
                        [[field]]\nname = \"data\"\ntype = \"bytes\"\n";

    #[test]
    fn a_file_opened_is_listed_after_the_built_ins_and_resolves_by_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, GOOD).unwrap();
        let mut library = ProfileLibrary::default();
        let profile = library.open(&path).unwrap();
        assert_eq!(profile.name(), "mine");
        let key = ProfileLibrary::key_of(&path);
        assert_eq!(library.resolve(&key).unwrap().name(), "mine");
        assert!(library.resolve("modbus-tcp").is_some());
        let choices = library.choices();
        assert_eq!(choices.len(), BUILTIN_NAMES.len() + 1);
        let last = choices.last().unwrap();
        assert_eq!(
            (last.label.as_str(), last.usable),
            ("mine (mine.toml)", true)
        );
        assert_eq!(library.remembered(), vec![path]);
    }

    #[test]
    fn a_broken_file_stays_listed_with_why_and_a_fixed_one_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, GOOD.replace("u16", "u24")).unwrap();
        let mut library = ProfileLibrary::default();
        let why = library.open(&path).unwrap_err();
        assert!(why.contains("mine.toml:7:8: type \"u24\""), "{why}");
        let key = ProfileLibrary::key_of(&path);
        assert!(library.resolve(&key).is_none());
        assert_eq!(library.problem(&key), Some(why.clone()));
        let last = library.choices().pop().unwrap();
        assert_eq!((last.hover, last.usable), (why, false));

        std::fs::write(&path, GOOD).unwrap();
        library.open(&path).unwrap();
        assert_eq!(library.files().len(), 1, "opened again, replaced");
        assert!(library.problem(&key).is_none());
    }

    #[test]
    fn remembered_files_are_read_in_the_background_and_a_missing_one_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let (good, gone) = (dir.path().join("good.toml"), dir.path().join("gone.toml"));
        std::fs::write(&good, GOOD).unwrap();
        let mut library = ProfileLibrary::remembering(&[good.clone(), gone.clone()]);
        assert!(
            library.problem(&ProfileLibrary::key_of(&good)).is_some(),
            "being read"
        );
        let ctx = egui::Context::default();
        let mut opened = Vec::new();
        for _ in 0..400 {
            opened.extend(library.poll(&ctx));
            if opened.len() == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(opened.len(), 2);
        assert!(opened.iter().all(|o| !o.choose));
        assert!(library.resolve(&ProfileLibrary::key_of(&good)).is_some());
        assert_eq!(library.remembered(), vec![good]);
    }
}
