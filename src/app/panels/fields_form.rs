//! The composer under a profile: a form of the profile's fields. Computed
//! fields (constants, lengths, checksums) are filled in unless a value is
//! typed, to send a wrong one on purpose; enum fields pick by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use egui::Ui;

use crate::app::i18n::{tr, tr_with};
use crate::app::panels::draft::Draft;
use crate::engine::hexdump::FrameLayout;
use crate::engine::load::Payload;
use crate::engine::{Profile, Role, Value};

/// A frame built from the form, with what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldsMessage {
    /// The bytes, when the values make a frame at all.
    pub bytes: Option<Bytes>,
    /// Why it cannot be built, or why it does not keep the profile.
    pub problem: Option<String>,
    /// Its fields' spans, for the preview.
    pub layout: FrameLayout,
}

impl FieldsMessage {
    /// Whether Send may write it (`malformed`: even when it breaks the profile).
    pub fn sendable(&self, malformed: bool) -> bool {
        self.bytes.is_some() && (self.problem.is_none() || malformed)
    }
}

/// The values typed into the form for fields `profile` has.
fn given(profile: &Profile, values: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let known = profile.field_names();
    values
        .iter()
        .filter(|(name, value)| !value.trim().is_empty() && known.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.trim().to_owned()))
        .collect()
}

/// What a load run sends under `profile`: the form's frame, its values'
/// payload variables (`{{seq}}`, `{{conn}}` ...) filled in for each frame.
pub fn load_payload(profile: &Arc<Profile>, draft: &Draft) -> Result<Payload, String> {
    Payload::fields(profile.clone(), &given(profile, &draft.fields)).map_err(|e| e.to_string())
}

/// The form's values for the frame `bytes` (a request or a reply, as
/// `role` says): every field as typed, except those the form computes
/// (constants, lengths, checksums, bits containers), so that an edit
/// keeps them true.
pub fn values_of(profile: &Profile, bytes: &[u8], role: Role) -> BTreeMap<String, String> {
    let (fields, _) = profile.decode(bytes, role);
    fields
        .iter()
        .filter(|field| !field.derived)
        .map(|field| {
            let text = match (&field.label, &field.value) {
                (Some(label), _) => label.clone(),
                (None, Value::Bytes(bytes)) if bytes.is_empty() => String::new(),
                (None, Value::Bytes(bytes)) => {
                    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                    format!("0x{hex}")
                }
                (None, Value::Text(text)) => text.clone(),
                (None, value) => value.to_string(),
            };
            (field.name.clone(), text)
        })
        .collect()
}

/// Builds the frame the form's values describe, a request or a reply as
/// `role` says.
pub fn build(profile: &Profile, values: &BTreeMap<String, String>, role: Role) -> FieldsMessage {
    let given = given(profile, values);
    match profile.encode(&given, role) {
        Err(error) => FieldsMessage {
            bytes: None,
            problem: Some(error.to_string()),
            layout: FrameLayout::default(),
        },
        Ok(bytes) => {
            let (fields, _) = profile.decode(&bytes, role);
            let layout = FrameLayout::of_fields(bytes.len(), &fields);
            let problem = profile.cut_frames(&bytes, role).err().map(|why| {
                tr_with(
                    "composer-field-not-keep-profile",
                    &[("profile", profile.name().into()), ("why", why.into())],
                )
            });
            FieldsMessage {
                bytes: Some(Bytes::from(bytes)),
                problem,
                layout,
            }
        }
    }
}

/// The form: a row per field and bits sub-field. A field under a
/// condition that the frame `built` does not hold is greyed.
pub fn grid(
    ui: &mut Ui,
    profile: &Profile,
    values: &mut BTreeMap<String, String>,
    built: &FrameLayout,
) {
    egui::Grid::new(("profile_fields", profile.name()))
        .num_columns(2)
        .spacing([12.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for field in profile.form() {
                let shown = if field.sub_field {
                    format!("  .{}", field.name)
                } else {
                    field.name.clone()
                };
                let absent = field.conditional
                    && !built.fields.is_empty()
                    && !built.fields.iter().any(|f| f.key == field.name);
                let label = if absent {
                    ui.weak(shown)
                        .on_hover_text(tr("composer-field-absent-hover"))
                } else if field.conditional {
                    ui.label(shown)
                        .on_hover_text(tr("composer-field-conditional-hover"))
                } else {
                    ui.label(shown)
                };
                let value = values.entry(field.name.clone()).or_default();
                if field.choices.is_empty() {
                    let hint = tr(if field.computed {
                        "composer-field-computed-hint"
                    } else {
                        "composer-field-empty-hint"
                    });
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(260.0)
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(tr(if field.computed {
                        "composer-field-computed-hover"
                    } else {
                        "composer-field-value-hover"
                    }));
                } else {
                    let selected = if value.is_empty() {
                        "(0)".to_owned()
                    } else {
                        value.clone()
                    };
                    egui::ComboBox::from_id_salt(("field_choice", &field.name))
                        .selected_text(selected)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(value, String::new(), "(0)");
                            for choice in &field.choices {
                                ui.selectable_value(value, choice.clone(), choice);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                }
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_builds_a_frame_and_says_what_is_wrong() {
        let modbus = Profile::builtin("modbus-tcp").unwrap();
        let mut values = BTreeMap::new();
        values.insert("function".to_owned(), "read-holding-registers".to_owned());
        values.insert("quantity".to_owned(), "2".to_owned());
        let built = build(&modbus, &values, Role::Request);
        assert_eq!(built.problem, None);
        let bytes = built.bytes.unwrap();
        assert_eq!(bytes[..], [0, 0, 0, 0, 0, 6, 0, 3, 0, 0, 0, 2]);
        assert!(built.layout.fields.iter().any(|f| f.key == "quantity"));
        values.insert("quantity".to_owned(), "70000".to_owned());
        assert!(
            build(&modbus, &values, Role::Request)
                .problem
                .unwrap()
                .contains("does not fit")
        );
    }
}
