//! The client pool: where to connect, how many connections, framed or raw,
//! the profile the connections speak (a built-in or a profile file opened
//! here), Connect / Disconnect all / Clear closed, and a list of every
//! connection (only the rows on screen are laid out) from which one can be
//! picked as the target of Send.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::engine::tls::Fingerprint;
use crate::engine::{
    ClientMode, CloseReason, Command, CommandOutcome, ConnState, ConnectionSummary, EngineView,
    Event, SendTarget, ServerStatus, Target,
};

use crate::app::address;
use crate::app::files::file_content::human_bytes;
use crate::app::frame_cx::{FrameCx, Outbox, Panel};
use crate::app::i18n::{tr, tr_with};
use crate::app::panels::transport_picker::transport_row;
use crate::app::profiles::{self, ProfileLibrary};
use crate::app::settings::Settings;
use crate::app::style;

/// Height of the connection list.
const LIST_HEIGHT: f32 = 200.0;

/// What the client panel asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAction {
    /// Ask which profile file to open, and choose it once read.
    OpenProfile,
}

/// The client panel's transient state.
#[derive(Debug, Default)]
pub struct ClientPanel {
    /// Connect requests not yet answered.
    connecting: usize,
    /// What the last connect did.
    last_report: Option<String>,
    /// Why the last connect was refused.
    error: Option<String>,
    /// What opening the last profile file did.
    profile_opened: Option<Result<String, String>>,
}

/// Where Connect goes: the form's target (an address, or a name the engine
/// looks up when connecting; none is looked up here), or the server's
/// address (its real port once it listens; loopback when it listens on
/// every interface).
pub fn connect_target(settings: &Settings, server: &ServerStatus) -> Result<Target, String> {
    if !settings.client.use_server_addr {
        return settings
            .client
            .target
            .parse::<Target>()
            .map_err(|error| error.to_string());
    }
    let addr = match server.listening {
        Some(addr) => addr,
        None => address::parse(&settings.server_addr)
            .map_err(|e| tr_with("client-server-addr-invalid", &[("error", e.into())]))?,
    };
    if addr.port() == 0 {
        return Err(tr("client-start-server-first"));
    }
    let addr = match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, v6.port()))
        }
        other => other,
    };
    Ok(addr.into())
}

/// The fingerprint of the embedded server's certificate when `target` is
/// that server and it serves TLS.
fn embedded_certificate(target: &Target, server: &ServerStatus) -> Option<Fingerprint> {
    let (fingerprint, listening) = (server.tls?, server.listening?);
    address::reaches(target, listening).then_some(fingerprint)
}

impl ClientPanel {
    /// Takes the events that concern the client pool.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::ConnectFinished { target, report } => {
                self.connecting = self.connecting.saturating_sub(1);
                self.error = None;
                let asked = report.opened + report.failed;
                self.last_report = Some(if report.failed == 0 {
                    tr_with(
                        "client-opened",
                        &[
                            ("count", report.opened.into()),
                            ("target", target.to_string().into()),
                        ],
                    )
                } else {
                    tr_with(
                        "client-opened-some",
                        &[
                            ("opened", report.opened.into()),
                            ("asked", asked.into()),
                            ("target", target.to_string().into()),
                            ("failed", report.failed.into()),
                        ],
                    )
                });
            }
            Event::ConnectFailed(error) => {
                self.connecting = self.connecting.saturating_sub(1);
                self.error = Some(error.to_string());
            }
            _ => {}
        }
    }

    /// Notes what opening a profile file from the Profile list did.
    pub fn on_profile_opened(&mut self, outcome: Result<String, String>) {
        self.profile_opened = Some(outcome);
    }

    /// Shows the panel. Returns what the app should do.
    fn draw(
        &mut self,
        ui: &mut Ui,
        settings: &mut Settings,
        profiles: &ProfileLibrary,
        view: &EngineView,
        outbox: Outbox<'_>,
        send_target: &mut SendTarget,
    ) -> Option<ClientAction> {
        let mut action = None;
        ui.heading(tr("client-heading"));
        let target = connect_target(settings, &view.server);
        if settings.client.use_server_addr
            && let Ok(target) = &target
        {
            settings.client.target = target.to_string();
        }
        egui::Grid::new("client_form")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label(tr("client-target"));
                ui.vertical(|ui| {
                    ui.add_enabled(
                        !settings.client.use_server_addr,
                        egui::TextEdit::singleline(&mut settings.client.target)
                            .id_salt("client_target")
                            .desired_width(180.0)
                            .hint_text("localhost:8800"),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(tr("client-target-hover"))
                    .on_disabled_hover_text(tr("client-target-following"));
                    ui.checkbox(
                        &mut settings.client.use_server_addr,
                        tr("client-use-server-addr"),
                    )
                    .on_hover_text(tr("client-use-server-addr-hover"));
                });
                ui.end_row();

                transport_row(ui, &mut settings.client.transport, true, "");
                if settings.client.transport.is_udp() {
                    ui.label("");
                    ui.checkbox(&mut settings.client.broadcast, tr("client-broadcast"))
                        .on_hover_text(tr("client-broadcast-hover"));
                    ui.end_row();
                }

                let label = ui.label(tr("client-connections"));
                ui.add(
                    egui::DragValue::new(&mut settings.client.count)
                        .range(1..=view.limits.max_connections)
                        .speed(1.0),
                )
                .labelled_by(label.id)
                .on_hover_text(tr("client-connections-hover"));
                ui.end_row();

                let label = ui.label(tr("client-profile"));
                ui.horizontal(|ui| {
                    profiles::picker(ui, "client_profile", &mut settings.client.profile, profiles)
                        .labelled_by(label.id)
                        .on_hover_text(tr("client-profile-hover"));
                    if ui
                        .button(tr("client-open-profile"))
                        .on_hover_text(tr("client-open-profile-hover"))
                        .clicked()
                    {
                        action = Some(ClientAction::OpenProfile);
                    }
                });
                ui.end_row();

                ui.label(tr("client-framing"));
                // Framed or raw is a choice of the tutorial's protocol alone:
                // any other profile frames the bytes its own way.
                let own = profiles
                    .resolve(&settings.client.profile)
                    .is_some_and(|p| p.is_json_header());
                ui.add_enabled_ui(own, |ui| {
                    ui.horizontal(|ui| {
                        ui.radio_value(
                            &mut settings.client.mode,
                            ClientMode::Framed,
                            tr("client-framed"),
                        )
                        .on_hover_text(tr("client-framed-hover"));
                        ui.radio_value(
                            &mut settings.client.mode,
                            ClientMode::Raw,
                            tr("client-raw"),
                        )
                        .on_hover_text(tr("client-raw-hover"));
                    })
                    .response
                    .on_disabled_hover_text(tr("client-framing-fixed"));
                });
                ui.end_row();
            });
        let embedded = target
            .as_ref()
            .ok()
            .and_then(|target| embedded_certificate(target, &view.server));
        settings.client.tls.ui(ui, embedded);
        if let Err(error) = &target {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        style::outcome_line(ui, self.profile_opened.as_ref(), style::Success::Quiet);
        // A profile file that cannot be used would connect with no profile
        // at all: say why, and hold Connect back until another is chosen.
        let profile_problem = profiles.problem(&settings.client.profile);
        if let Some(problem) = &profile_problem {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with("client-profile-problem", &[("problem", problem.into())]),
            );
        }

        let (counts, summaries) = (view.pool, &view.connections);
        ui.horizontal_wrapped(|ui| {
            let tls = settings.client.tls.settings(embedded);
            let reason = match (&target, &tls) {
                (Err(_), _) => Some(tr("client-fix-target")),
                (_, Err(_)) => Some(tr("client-fix-tls")),
                _ if profile_problem.is_some() => Some(tr("client-fix-profile")),
                _ => None,
            };
            let connect = ui
                .add_enabled(reason.is_none(), egui::Button::new(tr("client-connect")))
                .on_hover_text(tr("client-connect-hover"))
                .on_disabled_hover_text(reason.unwrap_or_default());
            if connect.clicked()
                && let (Ok(target), Ok(tls)) = (target, tls)
            {
                self.error = None;
                let outcome = outbox.post(Command::Connect {
                    broadcast: settings.client.transport.is_udp() && settings.client.broadcast,
                    target,
                    count: settings.client.count,
                    mode: settings.client.mode,
                    tls,
                    profile: settings.client.chosen_profile(profiles),
                    transport: settings.client.transport,
                });
                if outcome == CommandOutcome::Queued {
                    self.connecting += 1;
                }
            }
            if ui
                .add_enabled(
                    counts.live() > 0,
                    egui::Button::new(tr("client-disconnect-all")),
                )
                .on_hover_text(tr("client-disconnect-all-hover"))
                .on_disabled_hover_text(tr("client-none-open"))
                .clicked()
            {
                outbox.post(Command::DisconnectAll);
            }
            if ui
                .add_enabled(
                    counts.closed > 0,
                    egui::Button::new(tr("client-clear-closed")),
                )
                .on_hover_text(tr("client-clear-closed-hover"))
                .on_disabled_hover_text(tr("client-none-closed"))
                .clicked()
            {
                outbox.post(Command::ClearClosed);
                if matches!(send_target, SendTarget::One(_)) {
                    *send_target = SendTarget::All;
                }
            }
            if self.connecting > 0 {
                ui.spinner();
            }
        });

        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(tr_with(
                    "client-count-open",
                    &[("count", counts.open.into())],
                ))
                .color(if counts.open > 0 {
                    style::ok_color(ui.visuals())
                } else {
                    ui.visuals().text_color()
                }),
            );
            ui.label(tr_with(
                "client-count-connecting",
                &[("count", counts.connecting.into())],
            ));
            ui.label(tr_with(
                "client-count-closed",
                &[("count", counts.closed.into())],
            ));
        });
        if let Some(report) = &self.last_report {
            ui.weak(report);
        }
        if let Some(error) = &self.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                tr_with("client-connect-error", &[("error", error.into())]),
            );
        }
        if !summaries.is_empty() {
            connection_table(ui, summaries, send_target);
        }
        action
    }
}

/// Whether a connection ended in a failure (not closed by either end).
fn failed(state: &ConnState) -> bool {
    matches!(
        state,
        ConnState::Closed(reason)
            if !matches!(reason, CloseReason::ClosedByUser | CloseReason::ClosedByPeer)
    )
}

/// The order the list shows `summaries` in: failed connections first
/// (what a person looks for after a Connect that failed), then the rest,
/// each in connection order.
fn listed_order(summaries: &[ConnectionSummary]) -> Vec<usize> {
    let (mut order, rest): (Vec<usize>, Vec<usize>) =
        (0..summaries.len()).partition(|&i| failed(&summaries[i].state));
    order.extend(rest);
    order
}

/// The list of connections; clicking a row makes it the target of Send.
fn connection_table(ui: &mut Ui, summaries: &[ConnectionSummary], send_target: &mut SendTarget) {
    let error_color = ui.visuals().error_fg_color;
    let order = summaries
        .iter()
        .any(|s| failed(&s.state))
        .then(|| listed_order(summaries));
    ui.push_id("connections", |ui| {
        ui.style_mut().interaction.selectable_labels = false;
        ui.spacing_mut().item_spacing.x = 4.0;
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .max_scroll_height(LIST_HEIGHT)
            .column(Column::exact(58.0))
            .column(Column::remainder().at_least(70.0).clip(true))
            .column(Column::initial(40.0).at_least(30.0).clip(true))
            .column(Column::initial(56.0).at_least(36.0).clip(true))
            .column(Column::initial(56.0).at_least(36.0).clip(true))
            .column(Column::exact(24.0).clip(true))
            .header(18.0, |mut header| {
                for (title, help) in [
                    ("#".to_owned(), tr("client-col-number-hover")),
                    (tr("client-col-local"), tr("client-col-local-hover")),
                    (tr("client-col-state"), tr("client-col-state-hover")),
                    (tr("client-col-sent"), tr("client-col-sent-hover")),
                    (tr("client-col-recv"), tr("client-col-recv-hover")),
                    (tr("client-col-err"), tr("client-col-err-hover")),
                ] {
                    header.col(|ui| {
                        ui.strong(title).on_hover_text(help);
                    });
                }
            })
            .body(|body| {
                body.rows(18.0, summaries.len(), |mut row| {
                    let index = order.as_ref().map_or(row.index(), |o| o[row.index()]);
                    let summary = &summaries[index];
                    row.set_selected(*send_target == SendTarget::One(summary.id));
                    let c = &summary.counters;
                    row.col(|ui| {
                        if summary.tls {
                            ui.label(format!("#{} TLS", summary.id))
                                .on_hover_text(tr("client-tls-hover"));
                        } else if summary.transport.is_udp() {
                            ui.label(format!("#{} UDP", summary.id))
                                .on_hover_text(tr("client-udp-hover"));
                        } else {
                            ui.label(format!("#{}", summary.id));
                        }
                    });
                    row.col(|ui| {
                        ui.label(
                            summary
                                .local
                                .map_or_else(|| "-".to_owned(), |a| a.to_string()),
                        );
                    });
                    row.col(|ui| {
                        let (short, failed) = match &summary.state {
                            ConnState::Connecting => (tr("client-state-connecting"), false),
                            ConnState::Open => (tr("client-state-open"), false),
                            state @ ConnState::Closed(_) if failed(state) => {
                                (tr("client-state-failed"), true)
                            }
                            ConnState::Closed(_) => (tr("client-state-closed"), false),
                        };
                        let text = if failed {
                            RichText::new(short).color(error_color)
                        } else {
                            RichText::new(short)
                        };
                        ui.add(egui::Label::new(text).truncate())
                            .on_hover_text(summary.state.to_string());
                    });
                    for (frames, bytes) in [
                        (c.frames_sent, c.bytes_sent),
                        (c.frames_received, c.bytes_received),
                    ] {
                        row.col(|ui| {
                            let text = format!("{frames} · {}", human_bytes(bytes));
                            ui.add(egui::Label::new(text).truncate());
                        });
                    }
                    row.col(|ui| {
                        if c.errors > 0 {
                            ui.colored_label(error_color, c.errors.to_string());
                        } else {
                            ui.label("0");
                        }
                    });
                    if row.response().clicked() {
                        *send_target = if *send_target == SendTarget::One(summary.id) {
                            SendTarget::All
                        } else {
                            SendTarget::One(summary.id)
                        };
                    }
                });
            });
    });
}

/// A target field that can follow the client panel's target: the text
/// (kept in step with the client's target while followed) and the "Same
/// as the client's target" switch below it. `what` says what the target is
/// for, in its tooltip.
pub fn following_target_field(
    ui: &mut Ui,
    label: egui::Id,
    (text, follow): (&mut String, &mut bool),
    client_target: &Result<Target, String>,
    (id_salt, hint, what): (&str, &str, &str),
) {
    ui.vertical(|ui| {
        if *follow && let Ok(addr) = client_target {
            *text = addr.to_string();
        }
        ui.add_enabled(
            !*follow,
            egui::TextEdit::singleline(text)
                .id_salt(id_salt)
                .desired_width(180.0)
                .hint_text(hint),
        )
        .labelled_by(label)
        .on_hover_text(what)
        .on_disabled_hover_text(tr("client-follow-target-following"));
        ui.checkbox(follow, tr("client-same-target"))
            .on_hover_text(tr("client-same-target-hover"));
    });
}

impl Panel for ClientPanel {
    type Action = ClientAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<ClientAction> {
        self.draw(
            ui,
            cx.settings,
            cx.profiles,
            cx.view,
            cx.outbox,
            cx.send_target,
        )
    }
}
