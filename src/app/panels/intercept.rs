//! The Intercept panel, under the server while it relays: which directions
//! are held and for how long, the frames held now (each forwarded, edited
//! in the composer or dropped), and the relayed conversations, each one a
//! click away from Follow stream.

use std::time::Duration;

use egui::{RichText, Ui};

use crate::engine::describe::{self, one_line};
use crate::engine::follow::Leg;
use crate::engine::relay::{
    ConversationState, ConversationView, HeldFate, HeldView, HoldSettings, Release, Toward,
};
use crate::engine::{Command, CommandOutcome, EngineView, RecordKind, now_us};

use crate::app::files::file_content::human_bytes;
use crate::app::frame_cx::{FrameCx, Outbox, Panel};
use crate::app::i18n::{tr, tr_with};
use crate::app::records::follow_view::relayed_legs;
use crate::app::style;

/// Characters of a held frame's content shown in its line.
const SUMMARY_CHARS: usize = 48;
/// Bytes of content read to make that line (a 16 MiB frame costs no more).
const SUMMARY_BYTES: usize = 4 * SUMMARY_CHARS;
/// Most held frames listed (the rest are counted).
const HELD_SHOWN: usize = 50;
/// Most conversations listed, newest first (the rest are counted).
const CONVERSATIONS_SHOWN: usize = 50;
/// Height of the held frames' list before it scrolls.
const HELD_HEIGHT: f32 = 240.0;
/// Height of the conversations' list before it scrolls.
const CONVERSATIONS_HEIGHT: f32 = 160.0;
/// Shortest and longest time-out offered, in seconds.
const TIMEOUT_RANGE: std::ops::RangeInclusive<f64> = 1.0..=3600.0;

/// What the panel asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterceptAction {
    /// Load held frame `id` into the composer to edit it.
    Edit(u64),
    /// Open Follow stream on a relayed conversation's two legs.
    Follow(Vec<Leg>),
}

/// The held frames, the settings they are held under, and the one being
/// edited in the composer.
#[derive(Debug, Clone, Copy)]
struct Held<'a> {
    frames: &'a [HeldView],
    hold: &'a HoldSettings,
    editing: Option<u64>,
}

/// The Intercept panel's transient state.
#[derive(Debug, Default)]
pub struct InterceptPanel {
    /// What the last Forward or Drop did, or why it was refused.
    outcome: Option<Result<String, String>>,
}

/// "→ server" or "→ client" (in the window's language): where a held
/// frame is going.
pub fn toward_label(toward: Toward) -> String {
    tr(match toward {
        Toward::Server => "intercept-toward-server",
        Toward::Client => "intercept-toward-client",
    })
}

/// One line that says what a held frame is: content-type and content for
/// a frame, the bytes for a raw chunk.
pub fn held_summary(held: &HeldView) -> String {
    let head = |bytes: &[u8]| bytes[..bytes.len().min(SUMMARY_BYTES)].to_vec();
    match held.kind {
        RecordKind::Frame => {
            let content_type = describe::content_type(&held.bytes).unwrap_or_else(|| "?".into());
            let content = one_line(&head(describe::content(&held.bytes)), SUMMARY_CHARS);
            format!("{content_type} {content}")
        }
        _ => one_line(&head(&held.bytes), SUMMARY_CHARS),
    }
}

impl InterceptPanel {
    /// Notes what an intercept command did (or why it was refused).
    pub fn report(&mut self, outcome: Result<String, String>) {
        self.outcome = Some(outcome);
    }

    /// Shows the panel; `hold` is the form (the app sends it to the
    /// engine when it changes), `editing` the held frame in the composer.
    /// Forward and Drop are done here; returns what the app should do for
    /// Edit and Follow.
    fn draw(
        &mut self,
        ui: &mut Ui,
        hold: &mut HoldSettings,
        view: &EngineView,
        editing: Option<u64>,
        outbox: Outbox<'_>,
    ) -> Option<InterceptAction> {
        ui.strong(tr("intercept-heading"));
        hold_form(ui, hold);
        let relay = &view.relay;
        let mut action = None;
        let held = Held {
            frames: &relay.held,
            hold,
            editing,
        };
        self.held_list(ui, held, outbox, &mut action);
        style::outcome_line(ui, self.outcome.as_ref(), style::Success::Quiet);
        if !relay.conversations.is_empty() {
            conversations_ui(ui, &relay.conversations, &mut action);
        }
        action
    }

    /// The held frames, each with Forward, Edit and Drop; and the buttons
    /// for all of them.
    fn held_list(
        &mut self,
        ui: &mut Ui,
        list: Held<'_>,
        outbox: Outbox<'_>,
        action: &mut Option<InterceptAction>,
    ) {
        let held = list.frames;
        ui.horizontal_wrapped(|ui| {
            let count = RichText::new(tr_with(
                "intercept-held-count",
                &[("count", held.len().into())],
            ));
            if held.is_empty() {
                ui.weak(count);
            } else {
                ui.label(count.color(ui.visuals().warn_fg_color).strong());
            }
            let none = tr("intercept-no-frame-held");
            if ui
                .add_enabled(
                    !held.is_empty(),
                    egui::Button::new(tr("intercept-forward-all")),
                )
                .on_hover_text(tr("intercept-forward-all-hover"))
                .on_disabled_hover_text(none.as_str())
                .clicked()
            {
                self.release_all(outbox, held, Release::Forward, "intercept-frames-forwarded");
            }
            if ui
                .add_enabled(
                    !held.is_empty(),
                    egui::Button::new(tr("intercept-drop-all")),
                )
                .on_hover_text(tr("intercept-drop-all-hover"))
                .on_disabled_hover_text(none.as_str())
                .clicked()
            {
                self.release_all(outbox, held, Release::Drop, "intercept-frames-dropped");
            }
        });
        if held.is_empty() {
            return;
        }
        // Ages go up by the second.
        ui.ctx().request_repaint_after(Duration::from_millis(500));
        let now = now_us();
        egui::ScrollArea::vertical()
            .id_salt("held_frames")
            .max_height(HELD_HEIGHT)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for frame in held.iter().take(HELD_SHOWN) {
                    ui.push_id(frame.id, |ui| {
                        if let Some(chosen) = self.held_row(ui, frame, &list, outbox, now) {
                            *action = Some(chosen);
                        }
                    });
                    ui.separator();
                }
                if held.len() > HELD_SHOWN {
                    ui.weak(tr_with(
                        "intercept-more-held",
                        &[("count", (held.len() - HELD_SHOWN).into())],
                    ));
                }
            });
    }

    /// One held frame: what it is, how long it has waited, its buttons.
    fn held_row(
        &mut self,
        ui: &mut Ui,
        held: &HeldView,
        list: &Held<'_>,
        outbox: Outbox<'_>,
        now: u64,
    ) -> Option<InterceptAction> {
        let hold = list.hold;
        let waited = Duration::from_micros(now.saturating_sub(held.held_at_us));
        let left = hold.timeout.saturating_sub(waited);
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("#{} {}", held.id, toward_label(held.toward)))
                    .strong()
                    .color(ui.visuals().warn_fg_color),
            );
            ui.label(tr_with(
                "intercept-held-line",
                &[
                    ("conversation", held.conversation.into()),
                    ("size", human_bytes(held.bytes.len() as u64).into()),
                    ("seconds", waited.as_secs().into()),
                ],
            ))
            .on_hover_text(if held.pinned {
                tr_with(
                    "intercept-held-pinned-hover",
                    &[("seconds", waited.as_secs().into())],
                )
            } else {
                tr_with(
                    match hold.on_timeout {
                        HeldFate::Forward => "intercept-held-forwards-hover",
                        HeldFate::Drop => "intercept-held-drops-hover",
                    },
                    &[
                        ("seconds", waited.as_secs().into()),
                        ("left", left.as_secs().into()),
                    ],
                )
            });
        });
        ui.add(egui::Label::new(RichText::new(held_summary(held)).monospace()).truncate());
        let mut action = None;
        ui.horizontal(|ui| {
            if ui
                .button(tr("intercept-forward"))
                .on_hover_text(tr_with(
                    "intercept-forward-hover",
                    &[("id", held.id.into())],
                ))
                .clicked()
            {
                self.release(
                    outbox,
                    held.id,
                    Release::Forward,
                    "intercept-frame-forwarded",
                );
            }
            if list.editing == Some(held.id) {
                ui.label(
                    RichText::new(tr("intercept-in-composer")).color(ui.visuals().warn_fg_color),
                )
                .on_hover_text(tr("intercept-in-composer-hover"));
            } else if ui
                .button(tr("intercept-edit"))
                .on_hover_text(tr_with("intercept-edit-hover", &[("id", held.id.into())]))
                .clicked()
            {
                action = Some(InterceptAction::Edit(held.id));
            }
            if ui
                .button(tr("intercept-drop"))
                .on_hover_text(tr_with("intercept-drop-hover", &[("id", held.id.into())]))
                .clicked()
            {
                self.release(outbox, held.id, Release::Drop, "intercept-frame-dropped");
            }
        });
        action
    }

    /// Forwards or drops one held frame, and says what became of it (the
    /// message `done`, given the frame's id).
    fn release(&mut self, outbox: Outbox<'_>, id: u64, release: Release, done: &str) {
        self.outcome = Some(match outbox.post(Command::Release { id, release }) {
            CommandOutcome::Refused(error) => Err(error.to_string()),
            _ => Ok(tr_with(done, &[("id", id.into())])),
        });
    }

    /// Forwards or drops every frame listed, oldest first (the message
    /// `done`, given how many, says so).
    fn release_all(&mut self, outbox: Outbox<'_>, held: &[HeldView], release: Release, done: &str) {
        // A frame released meanwhile (by its time-out) is no matter here.
        let released = held
            .iter()
            .filter(|frame| {
                let command = Command::Release {
                    id: frame.id,
                    release: release.clone(),
                };
                !matches!(outbox.post(command), CommandOutcome::Refused(_))
            })
            .count();
        self.outcome = Some(Ok(tr_with(done, &[("count", released.into())])));
    }
}

/// The hold switches, the time-out and what it does.
fn hold_form(ui: &mut Ui, hold: &mut HoldSettings) {
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut hold.toward_server, tr("intercept-hold-server"))
            .on_hover_text(tr("intercept-hold-server-hover"));
        ui.checkbox(&mut hold.toward_client, tr("intercept-hold-client"))
            .on_hover_text(tr("intercept-hold-client-hover"));
    });
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(tr("intercept-timeout"));
        let mut seconds = hold.timeout.as_secs_f64();
        let response = ui
            .add(
                egui::DragValue::new(&mut seconds)
                    .range(TIMEOUT_RANGE)
                    .speed(1.0)
                    .suffix(" s"),
            )
            .labelled_by(label.id)
            .on_hover_text(tr("intercept-timeout-hover"));
        if response.changed() {
            hold.timeout = Duration::from_secs_f64(seconds);
        }
        let label = ui.label(tr("intercept-then"));
        egui::ComboBox::from_id_salt("hold_fate")
            .selected_text(fate_name(hold.on_timeout))
            .width(80.0)
            .show_ui(ui, |ui| {
                for fate in HeldFate::ALL {
                    ui.selectable_value(&mut hold.on_timeout, fate, fate_name(fate))
                        .on_hover_text(fate_help(fate));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(fate_help(hold.on_timeout));
    });
}

/// "forward" or "drop" ([`HeldFate::name`]) in the window's language.
fn fate_name(fate: HeldFate) -> String {
    tr(match fate {
        HeldFate::Forward => "intercept-fate-forward",
        HeldFate::Drop => "intercept-fate-drop",
    })
}

fn fate_help(fate: HeldFate) -> String {
    tr(match fate {
        HeldFate::Forward => "intercept-fate-forward-hover",
        HeldFate::Drop => "intercept-fate-drop-hover",
    })
}

/// The relayed conversations, newest first, each with Follow.
fn conversations_ui(
    ui: &mut Ui,
    conversations: &[ConversationView],
    action: &mut Option<InterceptAction>,
) {
    let open = conversations.iter().filter(|c| c.is_open()).count();
    let closed = conversations.len() - open;
    egui::CollapsingHeader::new(tr_with(
        "intercept-conversations",
        &[("open", open.into()), ("closed", closed.into())],
    ))
    .id_salt("relay_conversations")
    .default_open(true)
    .show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("relay_conversation_list")
            .max_height(CONVERSATIONS_HEIGHT)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                for conversation in conversations.iter().rev().take(CONVERSATIONS_SHOWN) {
                    ui.push_id(conversation.id, |ui| {
                        if conversation_row(ui, conversation) {
                            *action = Some(InterceptAction::Follow(relayed_legs(
                                conversation.client_conn,
                                conversation.upstream_conn,
                            )));
                        }
                    });
                }
                if conversations.len() > CONVERSATIONS_SHOWN {
                    ui.weak(tr_with(
                        "intercept-older",
                        &[("count", (conversations.len() - CONVERSATIONS_SHOWN).into())],
                    ));
                }
            });
    });
}

/// One conversation's line; returns whether its Follow was clicked.
fn conversation_row(ui: &mut Ui, conversation: &ConversationView) -> bool {
    let upstream = conversation
        .upstream
        .map_or_else(|| "…".to_owned(), |a| a.to_string());
    let state = match &conversation.state {
        ConversationState::Connecting => tr("intercept-state-connecting"),
        ConversationState::Open => tr("intercept-state-open"),
        ConversationState::Closed(why) => tr_with("intercept-state-closed", &[("why", why.into())]),
    };
    ui.horizontal(|ui| {
        let follow = ui
            .small_button(tr("intercept-follow"))
            .on_hover_text(tr_with(
                "intercept-follow-hover",
                &[("id", conversation.id.into())],
            ))
            .clicked();
        let text = tr_with(
            "intercept-conversation-line",
            &[
                ("id", conversation.id.into()),
                ("client", conversation.client.to_string().into()),
                ("upstream", upstream.as_str().into()),
                ("state", state.as_str().into()),
                ("to_server", conversation.forwarded(Toward::Server).into()),
                ("to_client", conversation.forwarded(Toward::Client).into()),
            ],
        );
        let label = RichText::new(text);
        let label = if conversation.is_open() {
            label
        } else {
            label.weak()
        };
        ui.add(egui::Label::new(label).truncate());
        follow
    })
    .inner
}

impl Panel for InterceptPanel {
    type Action = InterceptAction;

    fn ui(&mut self, ui: &mut Ui, cx: &mut FrameCx<'_>) -> Option<InterceptAction> {
        let editing = cx.editing.map(|edit| edit.id);
        self.draw(ui, &mut cx.settings.hold, cx.view, editing, cx.outbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FrameBuilder;
    use bytes::Bytes;

    fn held(kind: RecordKind, bytes: Bytes) -> HeldView {
        HeldView {
            id: 1,
            conversation: 2,
            toward: Toward::Server,
            seq: None,
            kind,
            bytes,
            held_at_us: 0,
            pinned: false,
        }
    }

    #[test]
    fn a_held_frame_reads_as_its_content_type_and_content_start() {
        let frame = FrameBuilder::new()
            .content("y".repeat(1 << 20))
            .build()
            .unwrap();
        let line = held_summary(&held(RecordKind::Frame, frame));
        assert_eq!(line, format!("text/json {}…", "y".repeat(SUMMARY_CHARS)));
        let chunk = held(RecordKind::Chunk, Bytes::from_static(b"\xff\x00"));
        assert_eq!(held_summary(&chunk), "binary: ff 00");
        assert_eq!(toward_label(Toward::Client), "→ client");
    }
}
