//! What the window remembers between runs: addresses, modes, the composer's
//! draft, the theme, the frame filters, what the journal captures and holds,
//! the clock times are shown in, and the profile files opened. Everything
//! else is transient and lives beside the panels that own it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Zone;
use crate::engine::DEFAULT_LISTEN;
use crate::engine::follow::FollowMode;
use crate::engine::load::Verify;
use crate::engine::relay::HoldSettings;
use crate::engine::{
    Capture, ClientMode, Direction, JournalLimits, Profile, ServerMode, Side, Transport,
};

use crate::app::panels::draft::Draft;
use crate::app::panels::tls_form::{ClientTlsForm, ServerTlsForm};
use crate::app::profiles::ProfileLibrary;

/// The settings persisted through eframe's storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the embedded server listens, as typed.
    pub server_addr: String,
    /// The window's language; `None` follows the system's locale.
    pub language: Option<crate::app::i18n::Language>,
    /// What the embedded server does.
    pub server_mode: ServerMode,
    /// Whether the embedded server listens on TCP or UDP.
    pub server_transport: Transport,
    /// How raw chunks' bytes read as text in the table and the detail
    /// (an encoding's name: utf-8, gbk, utf-16le, latin-1 ...).
    pub raw_encoding: String,
    /// The profile the embedded server's frames keep in frame-echo and
    /// relay modes (a built-in's name or a file's key; `json-header`: the
    /// tutorial's). Rules mode takes its rules file's.
    pub server_profile: String,
    /// The embedded server's TLS.
    pub server_tls: ServerTlsForm,
    /// Where the server forwards every connection in a relay mode, as typed.
    pub relay_target: String,
    /// Which directions the relay holds for intercept, and for how long.
    pub hold: HoldSettings,
    /// The client form.
    pub client: ClientSettings,
    /// The message being composed.
    pub draft: Draft,
    /// Dark or light.
    pub theme: ThemeChoice,
    /// Which records the frames table shows.
    pub filters: Filters,
    /// Whether the frames table keeps the newest record in view.
    pub follow_newest: bool,
    /// The log file last saved or opened, suggested next time.
    pub last_log_path: String,
    /// Times in local time or UTC (local for settings saved before the choice existed).
    #[serde(default)]
    pub time_zone: Zone,
    /// How much of each frame the journal keeps.
    pub capture: Capture,
    /// Most records the journal holds.
    pub journal_records: usize,
    /// Most captured bytes the journal holds, in MiB.
    pub journal_mib: usize,
    /// The load test form.
    pub load: LoadForm,
    /// The load report last saved, suggested next time.
    pub last_report_path: String,
    /// The server rules file last loaded (loaded again in rules mode).
    pub rules_path: String,
    /// Where scenario runs connect.
    pub scenario: ScenarioForm,
    /// The scenario file last opened or saved, suggested next time.
    pub last_scenario_path: String,
    /// How Follow stream shows a conversation.
    pub follow_mode: FollowMode,
    /// The conversation last saved from Follow stream, suggested next time.
    pub last_conversation_path: String,
    /// The profile files opened, read again at startup (none for settings
    /// saved before files could be opened).
    #[serde(default)]
    pub profile_files: Vec<PathBuf>,
    /// The profile file last opened or saved, suggested next time.
    pub last_profile_path: String,
}

impl Settings {
    /// The journal's bounds these settings ask for.
    pub fn journal_limits(&self) -> JournalLimits {
        JournalLimits {
            max_records: self.journal_records.max(1),
            max_bytes: self.journal_mib.max(1).saturating_mul(1 << 20),
        }
    }
}

impl Settings {
    /// The encoding raw chunks read in (UTF-8 when the remembered name
    /// names none).
    pub fn raw_text_encoding(&self) -> crate::engine::TextEncoding {
        crate::engine::TextEncoding::named(&self.raw_encoding)
            .unwrap_or(crate::engine::TextEncoding::UTF_8)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server_addr: DEFAULT_LISTEN.to_owned(),
            language: None,
            server_mode: ServerMode::default(),
            server_transport: Transport::Tcp,
            raw_encoding: "utf-8".to_owned(),
            server_profile: JSON_HEADER.to_owned(),
            server_tls: ServerTlsForm::default(),
            relay_target: String::new(),
            hold: HoldSettings::default(),
            client: ClientSettings::default(),
            draft: Draft::default(),
            theme: ThemeChoice::Dark,
            filters: Filters::default(),
            follow_newest: true,
            last_log_path: "framescope-log.jsonl".to_owned(),
            capture: Capture::Full,
            journal_records: JournalLimits::default().max_records,
            journal_mib: JournalLimits::default().max_bytes >> 20,
            time_zone: Zone::Local,
            load: LoadForm::default(),
            last_report_path: "framescope-load.json".to_owned(),
            rules_path: String::new(),
            scenario: ScenarioForm::default(),
            last_scenario_path: "scenario.toml".to_owned(),
            follow_mode: FollowMode::default(),
            last_conversation_path: "framescope-conversation.txt".to_owned(),
            profile_files: Vec::new(),
            last_profile_path: "profile.toml".to_owned(),
        }
    }
}

/// The load test form: where, how many connections, how hard, how long,
/// how replies are checked and how much of the run the journal keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadForm {
    /// Load the client panel's target instead of `target`.
    pub use_client_target: bool,
    /// The target when not the client panel's, as typed.
    pub target: String,
    /// Connections to open.
    pub connections: usize,
    /// TCP connections or UDP sockets.
    pub transport: Transport,
    /// An open loop at `rate` (true) or a closed loop of `depth`.
    pub open_loop: bool,
    /// Frames in flight per connection, closed loop.
    pub depth: usize,
    /// Frames a second in all, open loop.
    pub rate: f64,
    /// Seconds measured.
    pub duration_s: f64,
    /// Seconds run before measuring.
    pub warmup_s: f64,
    /// How replies are checked.
    pub verify: Verify,
    /// How much of each frame of the run the journal keeps.
    pub capture: Capture,
}

impl Default for LoadForm {
    fn default() -> Self {
        Self {
            use_client_target: true,
            target: DEFAULT_LISTEN.to_owned(),
            connections: 10,
            transport: Transport::Tcp,
            open_loop: false,
            depth: 1,
            rate: 1000.0,
            duration_s: 10.0,
            warmup_s: 0.0,
            verify: Verify::Length,
            capture: Capture::HeadersOnly,
        }
    }
}

/// Where the Scenarios tab runs a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioForm {
    /// Run against the client panel's target instead of `target`.
    pub use_client_target: bool,
    /// The target when not the client panel's, as typed; empty for the
    /// target the file names.
    pub target: String,
}

impl Default for ScenarioForm {
    fn default() -> Self {
        Self {
            use_client_target: true,
            target: String::new(),
        }
    }
}

/// The client form: where to connect, how many, framed or raw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientSettings {
    /// Connect to the embedded server's address instead of `target`.
    pub use_server_addr: bool,
    /// Where to connect when not using the server's address, as typed: an
    /// address or a host name and port.
    pub target: String,
    /// How many connections one Connect opens.
    pub count: usize,
    /// Framed or raw.
    pub mode: ClientMode,
    /// TCP connections or UDP sockets.
    pub transport: Transport,
    /// Over UDP: the target is a broadcast address, and any host may answer.
    pub broadcast: bool,
    /// The profile its frames keep: a built-in's name (`json-header`: the
    /// tutorial's) or the path of a profile file (see [`ProfileLibrary`]).
    pub profile: String,
    /// TLS.
    pub tls: ClientTlsForm,
}

/// The profile of the tutorial's protocol, framescope's own.
pub const JSON_HEADER: &str = "json-header";

impl ClientSettings {
    /// The profile the client form has chosen, when not the JSON header's
    /// (which the engine frames without one). A file the library cannot
    /// use gives none; the client form says why.
    pub fn chosen_profile(&self, library: &ProfileLibrary) -> Option<Arc<Profile>> {
        library
            .resolve(&self.profile)
            .filter(|p| !p.is_json_header())
    }

    /// The profile the composer is a form of: the chosen one, unless it
    /// is raw (which writes the content alone).
    pub fn composed_profile(&self, library: &ProfileLibrary) -> Option<Arc<Profile>> {
        self.chosen_profile(library).filter(|p| !p.is_raw())
    }
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            use_server_addr: true,
            target: DEFAULT_LISTEN.to_owned(),
            count: 1,
            mode: ClientMode::default(),
            transport: Transport::Tcp,
            broadcast: false,
            profile: JSON_HEADER.to_owned(),
            tls: ClientTlsForm::default(),
        }
    }
}

/// The colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Light text on dark.
    Dark,
    /// Dark text on light.
    Light,
}

impl ThemeChoice {
    /// The egui theme.
    pub fn egui(self) -> egui::Theme {
        match self {
            ThemeChoice::Dark => egui::Theme::Dark,
            ThemeChoice::Light => egui::Theme::Light,
        }
    }

    /// The other theme.
    pub fn toggled(self) -> Self {
        match self {
            ThemeChoice::Dark => ThemeChoice::Light,
            ThemeChoice::Light => ThemeChoice::Dark,
        }
    }
}

/// Which journal records the frames table lists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// Only this side, or both.
    pub side: Option<Side>,
    /// Only this direction, or both.
    pub direction: Option<Direction>,
    /// A connection id as typed; empty for every connection.
    pub connection: String,
    /// Text the record's header, content or error must contain (any case).
    pub text: String,
    /// Only decode errors.
    pub errors_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_before_profile_files_still_load() {
        // Settings missing the new fields load with their defaults, and
        // keep the rest (JSON here; eframe's RON goes through the same serde).
        let old = r#"{"server_addr": "127.0.0.1:9999", "client": {"profile": "modbus-tcp"}}"#;
        let settings: Settings = serde_json::from_str(old).expect("old settings load");
        assert_eq!(settings.server_addr, "127.0.0.1:9999");
        assert_eq!(settings.client.profile, "modbus-tcp");
        assert!(settings.profile_files.is_empty());
        assert_eq!(settings.last_profile_path, "profile.toml");
    }
}
