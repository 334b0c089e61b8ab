//! The embedded server: where it listens, what it serves, Start/Stop, and
//! how it is doing (its address, connections, and why it could not start).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::engine::is_all_interfaces;
use crate::engine::{
    Command, CommandOutcome, EngineView, Event, Profile, ServerMode, ServerStatus, Target,
};

use crate::app::address;
use crate::app::frame_cx::{FrameCx, Outbox, Panel};
use crate::app::i18n::{Language, language, tr, tr_with};
use crate::app::panels::rules::RulesPanel;
use crate::app::panels::tls_form;
use crate::app::panels::transport_picker::transport_row;
use crate::app::profiles::{self, ProfileLibrary};
use crate::app::settings::Settings;
use crate::app::style;

/// The server panel's transient state.
#[derive(Debug, Default)]
pub struct ServerPanel {
    /// A start or stop was asked for and has not been answered yet.
    pending: bool,
    /// Why the last start failed.
    error: Option<String>,
    /// The rules, for rules mode.
    rules: RulesPanel,
}

/// A mode's name as the picker shows it.
pub fn mode_label(mode: ServerMode) -> &'static str {
    match mode {
        ServerMode::RawEcho => "raw echo",
        ServerMode::FrameEcho => "frame echo",
        ServerMode::App => "app (tutorial)",
        ServerMode::Rules => "rules",
        ServerMode::Relay => "relay (framed)",
        ServerMode::RawRelay => "relay (raw)",
    }
}

/// A mode's name as the picker shows it, in the window's language (in
/// English, [`mode_label`]).
fn mode_text(mode: ServerMode) -> String {
    let text = tr(match mode {
        ServerMode::RawEcho => "server-mode-raw-echo",
        ServerMode::FrameEcho => "server-mode-frame-echo",
        ServerMode::App => "server-mode-app",
        ServerMode::Rules => "server-mode-rules",
        ServerMode::Relay => "server-mode-relay",
        ServerMode::RawRelay => "server-mode-raw-relay",
    });
    debug_assert!(
        language() != Language::English || text == mode_label(mode),
        "a mode's English name is its mode_label"
    );
    text
}

fn mode_help(mode: ServerMode) -> String {
    tr(match mode {
        ServerMode::RawEcho => "server-mode-raw-echo-help",
        ServerMode::FrameEcho => "server-mode-frame-echo-help",
        ServerMode::App => "server-mode-app-help",
        ServerMode::Rules => "server-mode-rules-help",
        ServerMode::Relay => "server-mode-relay-help",
        ServerMode::RawRelay => "server-mode-raw-relay-help",
    })
}

impl ServerPanel {
    /// Takes the events that concern the server.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::ServerStarted { .. } | Event::ServerStopped => {
                self.pending = false;
                self.error = None;
            }
            Event::ServerFailed(error) => {
                self.pending = false;
                self.error = Some(error.to_string());
            }
            _ => {}
        }
    }

    /// Loads a rules file chosen in a dialog or prompt.
    pub fn load_rules(&mut self, path: &Path, settings: &mut Settings, ctx: &egui::Context) {
        self.rules.load(path, settings, ctx);
    }

    /// Asks the engine to start the server at the address in `settings`.
    pub fn start(&mut self, outbox: Outbox<'_>, settings: &Settings, profiles: &ProfileLibrary) {
        if settings.server_mode == ServerMode::Rules {
            match self.rules.set() {
                // Put in force again: the engine may hold other rules by now.
                Some(set) => {
                    outbox.post(Command::SetRules(Some(set.clone())));
                }
                None => {
                    self.error = Some(tr("server-rules-needed"));
                    return;
                }
            }
        }
        let profile = match server_profile(settings, profiles) {
            Ok(profile) => profile,
            Err(why) => {
                self.error = Some(why);
                return;
            }
        };
        let tls = settings.server_tls.settings();
        let addr = address::parse(&settings.server_addr);
        let upstream = addr
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|addr| relay_target(settings, *addr));
        match (addr, tls, upstream) {
            (Ok(addr), Ok(tls), Ok(upstream)) => {
                self.error = None;
                self.pending = outbox.post(Command::StartServer {
                    join: None,
                    addr,
                    mode: settings.server_mode,
                    tls,
                    upstream,
                    profile,
                    transport: settings.server_transport,
                }) == CommandOutcome::Queued;
            }
            (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
                self.error = Some(error)
            }
        }
    }

    /// Shows the panel.
    fn draw(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        profiles: &ProfileLibrary,
        view: &EngineView,
        outbox: Outbox<'_>,
    ) {
        let status = &view.server;
        ui.heading(tr("server-heading"));
        let running = status.listening.is_some();
        let parsed = address::parse(&settings.server_addr);
        egui::Grid::new("server_form")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label(tr("server-address"));
                ui.add_enabled(
                    !running,
                    egui::TextEdit::singleline(&mut settings.server_addr)
                        .id_salt("server_addr")
                        .desired_width(180.0)
                        .hint_text("127.0.0.1:8800"),
                )
                .labelled_by(label.id)
                .on_hover_text(tr("server-address-hover"))
                .on_disabled_hover_text(tr("server-address-locked"));
                ui.end_row();

                transport_row(
                    ui,
                    &mut settings.server_transport,
                    !running,
                    &tr("server-transport-locked"),
                );

                let label = ui.label(tr("server-mode"));
                ui.add_enabled_ui(!running, |ui| {
                    egui::ComboBox::from_id_salt("server_mode")
                        .selected_text(mode_text(settings.server_mode))
                        .width(180.0)
                        .show_ui(ui, |ui| {
                            for mode in ServerMode::ALL {
                                ui.selectable_value(
                                    &mut settings.server_mode,
                                    mode,
                                    mode_text(mode),
                                )
                                .on_hover_text(mode_help(mode));
                            }
                        })
                        .response
                        .labelled_by(label.id)
                        .on_hover_text(mode_help(settings.server_mode));
                });
                ui.end_row();

                if takes_profile(settings.server_mode) {
                    let label = ui.label(tr("server-profile"));
                    ui.add_enabled_ui(!running, |ui| {
                        profiles::picker(
                            ui,
                            "server_profile",
                            &mut settings.server_profile,
                            profiles,
                        )
                        .labelled_by(label.id)
                        .on_hover_text(tr("server-profile-hover"))
                        .on_disabled_hover_text(tr("server-profile-locked"));
                    });
                    ui.end_row();
                }

                if settings.server_mode.is_relay() {
                    let label = ui.label(tr("server-forward-to"));
                    ui.add_enabled(
                        !running,
                        egui::TextEdit::singleline(&mut settings.relay_target)
                            .id_salt("relay_target")
                            .desired_width(180.0)
                            .hint_text("127.0.0.1:65432"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(tr("server-forward-to-hover"))
                    .on_disabled_hover_text(tr("server-forward-to-locked"));
                    ui.end_row();
                }
            });
        settings.server_tls.ui(ui, running);

        if let Err(error) = &parsed {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let upstream = match &parsed {
            Ok(addr) => relay_target(settings, *addr),
            Err(_) => Ok(None),
        };
        if let Err(error) = &upstream
            && !running
        {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with("server-forward-to-error", &[("error", error.into())]),
            );
        }
        let shown_addr = status.listening.or(parsed.as_ref().ok().copied());
        if shown_addr.is_some_and(|a| is_all_interfaces(&a)) {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                tr("server-all-interfaces-warning"),
            );
        }

        ui.horizontal(|ui| {
            if running {
                let stop = ui
                    .add_enabled(!self.pending, egui::Button::new(tr("server-stop")))
                    .on_hover_text(tr("server-stop-hover"))
                    .on_disabled_hover_text(tr("server-waiting"));
                if stop.clicked() {
                    self.pending = outbox.post(Command::StopServer) == CommandOutcome::Queued;
                }
            } else {
                let reason = match (&parsed, &upstream) {
                    (Err(_), _) => Some(tr("server-fix-address")),
                    (_, Err(_)) => Some(tr("server-fix-forward-to")),
                    _ if self.pending => Some(tr("server-starting")),
                    _ => None,
                };
                let start = ui
                    .add_enabled(reason.is_none(), egui::Button::new(tr("server-start")))
                    .on_hover_text(tr("server-start-hover"))
                    .on_disabled_hover_text(reason.unwrap_or_default());
                if start.clicked() {
                    self.start(outbox, settings, profiles);
                }
            }
            if self.pending {
                ui.spinner();
            }
        });

        status_lines(ui, status);
        if let Some(error) = &self.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with("server-start-error", &[("error", error.into())]),
            );
        }
        if settings.server_mode == ServerMode::Rules {
            self.rules.draw(ui, settings, view.rules.as_ref(), outbox);
        }
    }
}

/// Whether `mode` frames by a profile chosen in the form (rules mode takes
/// its rules file's; raw modes and the tutorial's app have their own).
fn takes_profile(mode: ServerMode) -> bool {
    matches!(mode, ServerMode::FrameEcho | ServerMode::Relay)
}

/// The profile the server is to start with: `None` for the JSON header's
/// (or a mode that takes none), or why the chosen one cannot be used.
pub fn server_profile(
    settings: &Settings,
    profiles: &ProfileLibrary,
) -> Result<Option<Arc<Profile>>, String> {
    if !takes_profile(settings.server_mode) {
        return Ok(None);
    }
    if let Some(problem) = profiles.problem(&settings.server_profile) {
        return Err(problem);
    }
    Ok(profiles
        .resolve(&settings.server_profile)
        .filter(|p| !p.is_json_header()))
}

/// Stopped, or the running server's address and connection counts.
fn status_lines(ui: &mut Ui, status: &ServerStatus) {
    let Some(addr) = status.listening else {
        // Two lines laid out as when running, so the client panel below
        // stays put when the server starts or stops.
        ui.horizontal_wrapped(|ui| ui.weak(tr("server-stopped")));
        ui.weak(tr("server-no-connections"));
        return;
    };
    ui.horizontal_wrapped(|ui| {
        let text = match &status.upstream {
            Some(target) => relaying_text(addr, target),
            None if status.transport.is_udp() => {
                tr_with("server-listening-udp", &[("addr", addr.to_string().into())])
            }
            None => listening_text(addr),
        };
        let status_line = ui.label(RichText::new(text).color(style::ok_color(ui.visuals())));
        match status.mode {
            // "relaying" says it: one line, so what is below stays put.
            Some(mode) if mode.is_relay() => {
                status_line.on_hover_text(mode_help(mode));
            }
            Some(mode) => {
                ui.weak(format!("({})", mode_text(mode)));
            }
            None => {}
        }
    });
    if let Some(fingerprint) = status.tls {
        tls_form::fingerprint_ui(ui, fingerprint);
    }
    if status.transport.is_udp() {
        ui.label(tr_with(
            "server-sessions",
            &[
                ("count", status.open_connections.into()),
                ("opened", status.accepted.into()),
                ("evicted", status.evicted.into()),
            ],
        ))
        .on_hover_text(tr("server-sessions-hover"));
    } else {
        ui.label(tr_with(
            "server-connections",
            &[
                ("count", status.open_connections.into()),
                ("accepted", status.accepted.into()),
            ],
        ))
        .on_hover_text(tr("server-connections-hover"));
    }
    if status.refused_at_cap > 0 || status.accept_errors > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            tr_with(
                "server-refused",
                &[
                    ("refused", status.refused_at_cap.into()),
                    ("errors", status.accept_errors.into()),
                ],
            ),
        );
    }
}

/// "listening on ADDR".
pub fn listening_text(addr: SocketAddr) -> String {
    tr_with("server-listening", &[("addr", addr.to_string().into())])
}

/// "relaying ADDR → TARGET".
pub fn relaying_text(addr: SocketAddr, target: &Target) -> String {
    tr_with(
        "server-relaying",
        &[
            ("addr", addr.to_string().into()),
            ("target", target.to_string().into()),
        ],
    )
}

/// Where a relay mode forwards to, read from the form: `None` for the
/// other modes; an error that says how to fix a bad target, or one that
/// would have the relay forward to itself (`listen` is where it listens).
pub fn relay_target(settings: &Settings, listen: SocketAddr) -> Result<Option<Target>, String> {
    if !settings.server_mode.is_relay() {
        return Ok(None);
    }
    if settings.relay_target.trim().is_empty() {
        return Err(tr("server-forward-to-empty"));
    }
    let target: Target = settings
        .relay_target
        .trim()
        .parse()
        .map_err(|error: crate::engine::TargetError| error.to_string())?;
    // Every connection would be forwarded to the relay itself, again and again.
    if address::reaches(&target, listen) {
        return Err(tr_with(
            "server-forward-to-self",
            &[("target", target.to_string().into())],
        ));
    }
    Ok(Some(target))
}

/// What the server panel asks of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAction {
    /// Choose the rules file with the system's file dialog.
    BrowseRules,
}

impl Panel for ServerPanel {
    type Action = ServerAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<ServerAction> {
        self.draw(ui, cx.settings, cx.profiles, cx.view, cx.outbox);
        self.rules
            .take_browse_request()
            .then_some(ServerAction::BrowseRules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay_to(target: &str) -> Settings {
        Settings {
            server_mode: ServerMode::Relay,
            relay_target: target.to_owned(),
            ..Settings::default()
        }
    }

    fn listen(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_relay_mode_has_a_target() {
        let settings = Settings {
            relay_target: "nonsense".to_owned(),
            ..Settings::default()
        };
        assert_eq!(relay_target(&settings, listen("127.0.0.1:0")), Ok(None));
        let target = relay_target(&relay_to(" localhost:9000 "), listen("127.0.0.1:0")).unwrap();
        assert_eq!(target.unwrap().to_string(), "localhost:9000");
    }

    #[test]
    fn a_bad_target_says_how_to_fix_it() {
        let any = listen("127.0.0.1:0");
        assert!(
            relay_target(&relay_to(" "), any)
                .unwrap_err()
                .contains("the server to forward to")
        );
        assert!(
            relay_target(&relay_to("host"), any)
                .unwrap_err()
                .contains("no port")
        );
        assert!(
            relay_target(&relay_to("::1:80"), any)
                .unwrap_err()
                .contains("brackets")
        );
    }

    #[test]
    fn a_relay_may_not_forward_to_itself() {
        for (target, listening) in [
            ("127.0.0.1:8800", "127.0.0.1:8800"),
            ("localhost:8800", "127.0.0.1:8800"),
            ("127.0.0.1:8800", "0.0.0.0:8800"),
            ("[::1]:8800", "[::]:8800"),
        ] {
            let error = relay_target(&relay_to(target), listen(listening)).unwrap_err();
            assert!(
                error.contains("the relay's own address"),
                "{target} {listening}"
            );
        }
        for (target, listening) in [
            ("127.0.0.1:8801", "127.0.0.1:8800"),
            ("127.0.0.1:0", "127.0.0.1:0"),
            ("10.0.0.1:8800", "127.0.0.1:8800"),
            ("example.com:8800", "0.0.0.0:8800"),
        ] {
            assert!(
                relay_target(&relay_to(target), listen(listening)).is_ok(),
                "{target}"
            );
        }
    }

    #[test]
    fn the_relay_target_and_hold_settings_are_remembered() {
        let mut settings = relay_to("127.0.0.1:65432");
        settings.hold.toward_client = true;
        settings.hold.timeout = std::time::Duration::from_secs(5);
        settings.hold.on_timeout = crate::engine::relay::HeldFate::Drop;
        let saved = serde_json::to_string(&settings).unwrap();
        let restored: Settings = serde_json::from_str(&saved).unwrap();
        assert_eq!(restored, settings);
        // Settings saved before the relay existed read with its defaults.
        let old: Settings = serde_json::from_str(r#"{"server_addr": "127.0.0.1:1"}"#).unwrap();
        assert_eq!(old.relay_target, "");
        assert_eq!(old.hold, crate::engine::relay::HoldSettings::default());
    }
}
