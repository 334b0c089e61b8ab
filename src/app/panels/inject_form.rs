//! Inject, under the composer's Send while the relay has open
//! conversations: the composed bytes sent into one direction of a chosen
//! conversation, as if one end had sent them.

use bytes::Bytes;
use egui::{RichText, Ui};

use crate::engine::EngineView;
use crate::engine::relay::{ConversationView, Toward};

use crate::app::i18n::{tr, tr_with};
use crate::app::panels::intercept::toward_label;
use crate::app::style;

/// Most open conversations offered in the picker (the newest).
const OFFERED: usize = 200;

/// What Inject asks the app to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The conversation.
    pub conversation: u32,
    /// Which way.
    pub toward: Toward,
    /// The bytes.
    pub bytes: Bytes,
}

/// The Inject form's transient state.
#[derive(Debug)]
pub struct InjectForm {
    /// The conversation picked; the newest open one when none is (or the
    /// one picked is over).
    conversation: Option<u32>,
    /// Which way to inject.
    toward: Toward,
    /// What the last Inject did, or why it was refused.
    outcome: Option<Result<String, String>>,
}

impl Default for InjectForm {
    fn default() -> Self {
        Self {
            conversation: None,
            toward: Toward::Server,
            outcome: None,
        }
    }
}

impl InjectForm {
    /// Notes what an injection did (or why it was refused).
    pub fn report(&mut self, outcome: Result<String, String>) {
        self.outcome = Some(outcome);
    }

    /// Shows the form when some relayed conversation is open; `ready` is
    /// the preview's bytes or why they cannot go. Returns what to inject
    /// when Inject was clicked.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        view: &EngineView,
        ready: &Result<Bytes, String>,
    ) -> Option<Injection> {
        let open: Vec<&ConversationView> = view
            .relay
            .conversations
            .iter()
            .rev()
            .filter(|c| c.is_open())
            .take(OFFERED)
            .collect();
        if open.is_empty() {
            return None;
        }
        if !self
            .conversation
            .is_some_and(|id| open.iter().any(|c| c.id == id))
        {
            self.conversation = open.first().map(|c| c.id);
        }
        ui.separator();
        ui.strong(tr("composer-inject-heading"));
        let mut injection = None;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(tr("composer-inject-conversation"));
            let selected = self
                .conversation
                .and_then(|id| open.iter().find(|c| c.id == id))
                .map_or_else(String::new, |c| conversation_text(c));
            egui::ComboBox::from_id_salt("inject_conversation")
                .selected_text(selected)
                .width(200.0)
                .show_ui(ui, |ui| {
                    for conversation in &open {
                        ui.selectable_value(
                            &mut self.conversation,
                            Some(conversation.id),
                            conversation_text(conversation),
                        );
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(tr("composer-inject-conversation-hover"));
            for toward in Toward::BOTH {
                ui.radio_value(&mut self.toward, toward, toward_label(toward))
                    .on_hover_text(tr(match toward {
                        Toward::Server => "composer-inject-to-server-hover",
                        Toward::Client => "composer-inject-to-client-hover",
                    }));
            }
        });
        let (Some(conversation), toward) = (self.conversation, self.toward) else {
            return None;
        };
        let response = ui
            .add_enabled(
                ready.is_ok(),
                egui::Button::new(RichText::new(tr("composer-inject"))),
            )
            .on_hover_text(tr_with(
                "composer-inject-hover",
                &[
                    ("conversation", conversation.into()),
                    ("toward", toward_label(toward).into()),
                ],
            ));
        let response = match ready {
            Err(why) => response.on_disabled_hover_text(why.as_str()),
            Ok(_) => response,
        };
        if response.clicked()
            && let Ok(bytes) = ready
        {
            injection = Some(Injection {
                conversation,
                toward,
                bytes: bytes.clone(),
            });
        }
        style::outcome_line(ui, self.outcome.as_ref(), style::Success::Quiet);
        injection
    }
}

/// One conversation as the picker shows it.
fn conversation_text(conversation: &ConversationView) -> String {
    tr_with(
        "composer-inject-conversation-item",
        &[
            ("id", conversation.id.into()),
            ("client", conversation.client.to_string().into()),
        ],
    )
}
