//! Editing a held frame in the composer: the frame's bytes are loaded into
//! the draft (every header field, the content, the malformed switches all
//! apply; under a profile, every field of the form), the composer's Send
//! becomes Forward edited, and the draft that was there before comes back
//! when the edit ends, forwarded or cancelled.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use egui::{RichText, Ui};

use crate::engine::relay::{HeldView, HoldSettings, Toward};
use crate::engine::{EngineView, Profile, RecordKind, Role, now_us};

use crate::app::files::file_content::human_bytes;
use crate::app::i18n::{tr, tr_with};
use crate::app::panels::draft::Draft;
use crate::app::panels::fields_form;
use crate::app::panels::intercept::toward_label;

/// Ctrl+Enter forwards the edit, as it sends otherwise.
const SHORTCUT_TEXT: &str = "Ctrl+Enter";
/// The largest held frame loaded into the composer: its content becomes
/// text (hex for binary, three characters a byte) in a text field.
pub const EDIT_LIMIT: usize = 256 * 1024;

/// A held frame being edited in the composer.
#[derive(Debug, Clone)]
pub struct HeldEdit {
    /// The held frame's id.
    pub id: u64,
    /// Its conversation.
    pub conversation: u32,
    /// Which way it was going.
    pub toward: Toward,
    /// Whether it is a raw chunk: the composer edits its bytes as content.
    pub raw: bool,
    /// The profile its frames keep (the relay's), and whether it is a
    /// request or a reply: the composer is then a form of its fields.
    pub profile: Option<(Arc<Profile>, Role)>,
    /// The draft that was in the composer, put back when the edit ends.
    previous: Draft,
    /// Why the last Forward edited was refused.
    error: Option<String>,
}

/// What the edit's buttons ask the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditAction {
    /// Forward these bytes in the held frame's place.
    Forward(Bytes),
    /// Leave the frame held, and the composer as it was.
    Cancel,
}

/// Where the edited frame stands, as of this frame of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Still held: its fate is decided by itself in this long.
    Held(Duration),
    /// Still held, and kept past the time-out while it is edited.
    Kept,
    /// No longer held: released by its time-out, its conversation's end,
    /// or someone else.
    Gone,
}

impl HeldEdit {
    /// Loads `held` into `draft` for editing, keeping what `draft` held to
    /// put it back later; under `profile` (the relay's) its fields fill the
    /// form. Fails when a frame's bytes hold no header, or are over
    /// [`EDIT_LIMIT`].
    pub fn begin(
        held: &HeldView,
        draft: &mut Draft,
        profile: Option<Arc<Profile>>,
    ) -> Result<Self, String> {
        if held.bytes.len() > EDIT_LIMIT {
            return Err(tr_with(
                "composer-edit-too-large",
                &[
                    ("id", held.id.into()),
                    ("size", human_bytes(held.bytes.len() as u64).into()),
                    ("limit", human_bytes(EDIT_LIMIT as u64).into()),
                ],
            ));
        }
        let raw = held.kind != RecordKind::Frame;
        let profile = profile
            .filter(|_| !raw)
            .map(|profile| (profile, held.toward.role()));
        let edited = if let Some((profile, role)) = &profile {
            let mut edited = draft.clone();
            edited.fields = fields_form::values_of(profile, &held.bytes, *role);
            edited
        } else if raw {
            draft.with_raw_content(&held.bytes)
        } else {
            Draft::of_frame(&held.bytes).map_err(|why| {
                tr_with(
                    "composer-edit-cannot",
                    &[("id", held.id.into()), ("why", why.into())],
                )
            })?
        };
        let previous = std::mem::replace(draft, edited);
        Ok(Self {
            id: held.id,
            conversation: held.conversation,
            toward: held.toward,
            raw,
            profile,
            previous,
            error: None,
        })
    }

    /// Ends the edit: the draft from before comes back.
    pub fn end(self, draft: &mut Draft) {
        *draft = self.previous;
    }

    /// The draft the composer held before the edit (what settings keep).
    pub fn previous(&self) -> &Draft {
        &self.previous
    }

    /// Notes why Forward edited was refused.
    pub fn refused(&mut self, why: String) {
        self.error = Some(why);
    }

    fn standing(&self, view: &EngineView, hold: &HoldSettings) -> Standing {
        match view.relay.held.iter().find(|held| held.id == self.id) {
            Some(held) if held.pinned => Standing::Kept,
            Some(held) => {
                let waited = Duration::from_micros(now_us().saturating_sub(held.held_at_us));
                Standing::Held(hold.timeout.saturating_sub(waited))
            }
            None => Standing::Gone,
        }
    }

    /// The line at the composer's top: what is being edited.
    pub fn banner_ui(&self, ui: &mut Ui) {
        let frame = egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.5, ui.visuals().warn_fg_color));
        frame.show(ui, |ui| {
            ui.label(
                RichText::new(tr_with(
                    "composer-edit-banner",
                    &[
                        ("id", self.id.into()),
                        ("conversation", self.conversation.into()),
                        ("toward", toward_label(self.toward).into()),
                    ],
                ))
                .strong()
                .color(ui.visuals().warn_fg_color),
            );
            ui.weak(tr(if self.raw {
                "composer-edit-raw-note"
            } else if self.profile.is_some() {
                "composer-edit-profile-note"
            } else {
                "composer-edit-frame-note"
            }));
        });
    }

    /// Forward edited and Cancel, in place of Send; `ready` is the
    /// preview's bytes or why they cannot go.
    pub fn buttons_ui(
        &self,
        ui: &mut Ui,
        view: &EngineView,
        ready: &Result<Bytes, String>,
    ) -> Option<EditAction> {
        // The time left goes down by the second.
        ui.ctx().request_repaint_after(Duration::from_millis(500));
        let standing = self.standing(view, &view.relay.hold);
        let reason = match (standing, ready) {
            (Standing::Gone, _) => Some(tr_with("composer-edit-gone", &[("id", self.id.into())])),
            (_, Err(why)) => Some(why.clone()),
            (Standing::Held(_) | Standing::Kept, Ok(_)) => None,
        };
        let mut action = None;
        ui.horizontal(|ui| {
            let button = egui::Button::new(RichText::new(tr("composer-forward-edited")).strong())
                .shortcut_text(SHORTCUT_TEXT)
                .min_size(egui::vec2(150.0, 26.0));
            let response = ui
                .add_enabled(reason.is_none(), button)
                .on_hover_text(tr_with(
                    "composer-forward-edited-hover",
                    &[
                        ("toward", toward_label(self.toward).into()),
                        ("id", self.id.into()),
                        ("shortcut", SHORTCUT_TEXT.into()),
                    ],
                ));
            let response = match &reason {
                Some(why) => response.on_disabled_hover_text(why.as_str()),
                None => response,
            };
            if response.clicked()
                && let Ok(bytes) = ready
            {
                action = Some(EditAction::Forward(bytes.clone()));
            }
            if ui
                .button(tr("composer-edit-cancel"))
                .on_hover_text(tr("composer-edit-cancel-hover"))
                .clicked()
            {
                action = Some(EditAction::Cancel);
            }
        });
        if standing == Standing::Kept {
            ui.weak(tr("composer-edit-kept"));
        }
        if let Standing::Held(left) = standing {
            let key = match view.relay.hold.on_timeout {
                crate::engine::relay::HeldFate::Forward => "composer-edit-left-forward",
                crate::engine::relay::HeldFate::Drop => "composer-edit-left-drop",
            };
            ui.weak(tr_with(key, &[("seconds", left.as_secs().into())]));
        }
        if let Some(why) = &reason {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                tr_with("composer-cannot-forward", &[("why", why.into())]),
            );
        }
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(kind: RecordKind, bytes: &[u8]) -> HeldView {
        HeldView {
            id: 7,
            conversation: 3,
            toward: Toward::Client,
            seq: Some(11),
            kind,
            bytes: Bytes::copy_from_slice(bytes),
            held_at_us: 0,
            pinned: false,
        }
    }

    #[test]
    fn a_held_frame_is_edited_in_the_draft_and_the_draft_comes_back() {
        let mut draft = Draft::binary_request();
        let before = draft.clone();
        let frame = Draft::search_request().message(None, false).bytes.unwrap();
        let edit = HeldEdit::begin(&held(RecordKind::Frame, &frame), &mut draft, None).unwrap();
        assert_eq!((edit.id, edit.conversation, edit.raw), (7, 3, false));
        assert_eq!(draft.message(None, false).bytes.unwrap(), frame);
        assert_eq!(edit.previous(), &before);
        edit.end(&mut draft);
        assert_eq!(draft, before);
    }

    #[test]
    fn a_raw_chunk_is_edited_as_content_and_a_huge_frame_not_at_all() {
        let mut draft = Draft::search_request();
        let edit =
            HeldEdit::begin(&held(RecordKind::Chunk, b"\x01\x02"), &mut draft, None).unwrap();
        assert!(edit.raw);
        assert_eq!(draft.text, "01 02");
        assert_eq!(&draft.message(None, true).bytes.unwrap()[..], b"\x01\x02");

        let mut draft = Draft::search_request();
        let huge = vec![b'x'; EDIT_LIMIT + 1];
        let error = HeldEdit::begin(&held(RecordKind::Chunk, &huge), &mut draft, None).unwrap_err();
        assert!(error.contains("too large to edit"), "{error}");
        assert_eq!(draft, Draft::search_request(), "the draft is left alone");
        let error = HeldEdit::begin(&held(RecordKind::Frame, b"\x00\x01x"), &mut draft, None);
        assert!(error.unwrap_err().contains("cannot be edited"));
    }

    #[test]
    fn a_held_reply_under_a_profile_fills_the_form_and_rebuilds_the_same_bytes() {
        let modbus = Profile::builtin("modbus-tcp").unwrap();
        // A read-holding-registers reply going back to the client.
        let reply = [0, 1, 0, 0, 0, 7, 1, 3, 4, 0, 0x11, 0, 0x2a];
        let mut draft = Draft::search_request();
        let before = draft.clone();
        let edit = HeldEdit::begin(
            &held(RecordKind::Frame, &reply),
            &mut draft,
            Some(modbus.clone()),
        )
        .unwrap();
        assert_eq!(
            edit.profile.as_ref().map(|(_, role)| *role),
            Some(Role::Reply)
        );
        assert_eq!(draft.fields["function"], "read-holding-registers");
        assert_eq!(draft.fields["registers"], "0x0011002a");
        assert!(!draft.fields.contains_key("length"), "computed, not typed");
        let rebuilt = fields_form::build(&modbus, &draft.fields, Role::Reply);
        assert_eq!(rebuilt.bytes.as_deref(), Some(&reply[..]));

        // A register changed: the byte count and length follow.
        draft
            .fields
            .insert("registers".into(), "0x0011002a0007".into());
        let changed = fields_form::build(&modbus, &draft.fields, Role::Reply);
        assert_eq!(
            changed.bytes.as_deref(),
            Some(&[0, 1, 0, 0, 0, 9, 1, 3, 6, 0, 0x11, 0, 0x2a, 0, 7][..])
        );
        edit.end(&mut draft);
        assert_eq!(draft, before);
    }
}
