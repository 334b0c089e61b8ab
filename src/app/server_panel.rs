//! The embedded server: where it listens, what it serves, Start/Stop, and
//! how it is doing (its address, connections, and why it could not start).

use std::net::SocketAddr;
use std::path::Path;

use egui::{RichText, Ui};

use crate::engine::is_all_interfaces;
use crate::engine::{Command, CommandOutcome, Engine, EngineView, Event, ServerMode, ServerStatus};

use super::address;
use super::rules_panel::RulesPanel;
use super::settings::Settings;
use super::style;
use super::tls_form;

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

fn mode_help(mode: ServerMode) -> &'static str {
    match mode {
        ServerMode::RawEcho => "Echo bytes back as they arrive, with no framing",
        ServerMode::FrameEcho => "Decode each frame and echo it back byte for byte",
        ServerMode::App => {
            "The tutorial's request/response server: one reply per connection, then close"
        }
        ServerMode::Rules => {
            "Answer each frame with the first rule that matches it (load a rules file, or add rules below)"
        }
        ServerMode::Relay => {
            "Forward every connection to the target, frame by frame: both legs recorded and each frame checked"
        }
        ServerMode::RawRelay => {
            "Forward every connection to the target, bytes as they come: both legs recorded"
        }
    }
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
    pub fn load_rules(&mut self, path: &Path, settings: &mut Settings, engine: &Engine) {
        self.rules.load(path, settings, engine);
    }

    /// Whether the rules panel's Browse was clicked since the last call.
    pub fn take_browse_request(&mut self) -> bool {
        self.rules.take_browse_request()
    }

    /// Asks the engine to start the server at the address in `settings`.
    pub fn start(&mut self, engine: &Engine, settings: &Settings) {
        if settings.server_mode == ServerMode::Rules {
            match self.rules.set() {
                // Put in force again: the engine may hold other rules by now.
                Some(set) => {
                    engine.command(Command::SetRules(Some(set.clone())));
                }
                None => {
                    self.error =
                        Some("rules mode needs rules: load a rules file or add a rule".into());
                    return;
                }
            }
        }
        let tls = settings.server_tls.settings();
        match (address::parse(&settings.server_addr), tls) {
            (Ok(addr), Ok(tls)) => {
                self.error = None;
                self.pending = engine.command(Command::StartServer {
                    addr,
                    mode: settings.server_mode,
                    tls,
                    upstream: None,
                }) == CommandOutcome::Queued;
            }
            (Err(error), _) | (_, Err(error)) => self.error = Some(error),
        }
    }

    /// Shows the panel.
    pub fn ui(&mut self, ui: &mut Ui, settings: &mut Settings, view: &EngineView, engine: &Engine) {
        let status = &view.server;
        ui.heading("Server");
        let running = status.listening.is_some();
        let parsed = address::parse(&settings.server_addr);
        egui::Grid::new("server_form")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label("Address");
                ui.add_enabled(
                    !running,
                    egui::TextEdit::singleline(&mut settings.server_addr)
                        .id_salt("server_addr")
                        .desired_width(180.0)
                        .hint_text("127.0.0.1:8800"),
                )
                .labelled_by(label.id)
                .on_hover_text("Where the embedded server listens: IP address and port (port 0 picks a free one)")
                .on_disabled_hover_text("Stop the server to change its address");
                ui.end_row();

                let label = ui.label("Mode");
                ui.add_enabled_ui(!running, |ui| {
                    egui::ComboBox::from_id_salt("server_mode")
                        .selected_text(mode_label(settings.server_mode))
                        .width(180.0)
                        .show_ui(ui, |ui| {
                            for mode in ServerMode::ALL {
                                ui.selectable_value(
                                    &mut settings.server_mode,
                                    mode,
                                    mode_label(mode),
                                )
                                .on_hover_text(mode_help(mode));
                            }
                        })
                        .response
                        .labelled_by(label.id)
                        .on_hover_text(mode_help(settings.server_mode));
                });
                ui.end_row();
            });
        settings.server_tls.ui(ui, running);

        if let Err(error) = &parsed {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        let shown_addr = status.listening.or(parsed.as_ref().ok().copied());
        if shown_addr.is_some_and(|a| is_all_interfaces(&a)) {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Warning: this address listens on every network interface, so other machines can connect.",
            );
        }

        ui.horizontal(|ui| {
            if running {
                let stop = ui
                    .add_enabled(!self.pending, egui::Button::new("Stop Server"))
                    .on_hover_text("Stop listening and close the server's connections")
                    .on_disabled_hover_text("Waiting for the server to answer");
                if stop.clicked() {
                    self.pending = engine.command(Command::StopServer) == CommandOutcome::Queued;
                }
            } else {
                let reason = match &parsed {
                    Err(_) => Some("Fix the address first"),
                    Ok(_) if self.pending => Some("Starting…"),
                    Ok(_) => None,
                };
                let start = ui
                    .add_enabled(reason.is_none(), egui::Button::new("Start Server"))
                    .on_hover_text("Start listening on the address above")
                    .on_disabled_hover_text(reason.unwrap_or_default());
                if start.clicked() {
                    self.start(engine, settings);
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
                format!("Could not start: {error}"),
            );
        }
        if settings.server_mode == ServerMode::Rules {
            self.rules.ui(ui, settings, view.rules.as_ref(), engine);
        }
    }
}

/// Stopped, or the running server's address and connection counts.
fn status_lines(ui: &mut Ui, status: &ServerStatus) {
    let Some(addr) = status.listening else {
        // Two lines laid out as when running, so the client panel below
        // stays put when the server starts or stops.
        ui.horizontal_wrapped(|ui| ui.weak("stopped"));
        ui.weak("no connections");
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(listening_text(addr)).color(style::ok_color(ui.visuals())));
        if let Some(mode) = status.mode {
            ui.weak(format!("({})", mode_label(mode)));
        }
    });
    if let Some(fingerprint) = status.tls {
        tls_form::fingerprint_ui(ui, fingerprint);
    }
    ui.label(format!(
        "{} open · {} accepted",
        plural(status.open_connections as u64, "connection", "connections"),
        status.accepted
    ))
    .on_hover_text("Connections the server has open now, and has accepted since it started");
    if status.refused_at_cap > 0 || status.accept_errors > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{} refused at the connection cap · {} accept errors",
                status.refused_at_cap, status.accept_errors
            ),
        );
    }
}

/// "listening on ADDR".
pub fn listening_text(addr: SocketAddr) -> String {
    format!("listening on {addr}")
}

/// "1 connection", "5 connections".
pub fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}
