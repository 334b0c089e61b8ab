//! A send, as rules and scenarios write it (`send.json`, `send.text`, ...)
//! and as it runs: content and header fields with variables in them,
//! expanded for every frame, and the switches that break a frame.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use crate::engine::protocol::frame::{BuildError, FrameBuilder};
use crate::engine::protocol::profile::{Profile, Role};
use crate::engine::protocol::template::{Expansion, Template};
use crate::engine::protocol::tutorial_app::CLIENT_BINARY_TYPE;
use crate::engine::render::hexdump::parse_hex;
use crate::engine::script::predicate::VariableNames;
use crate::engine::script::problem::{FileProblem, Located};

/// `send`: content, header fields and the switches that break a frame.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SendSpec {
    /// JSON content (text/json): a TOML table or array, or JSON text.
    pub json: Option<Spanned<Value>>,
    /// Text content (text/plain).
    pub text: Option<Spanned<String>>,
    /// Binary content as hex (binary/custom-client-binary-type).
    pub hex: Option<Spanned<String>>,
    /// Content read from a file, relative to the scenario file.
    pub file: Option<Spanned<String>>,
    /// Header fields set on top of the defaults (`content-length` too: a
    /// wrong value, or a value of the wrong type, on purpose).
    #[serde(default)]
    pub header: BTreeMap<String, Spanned<Value>>,
    /// Header keys to leave out (required ones too).
    #[serde(default)]
    pub omit: Vec<String>,
    /// The proto-header to write instead of the header's length.
    pub proto_header: Option<u16>,
    /// Send only the frame's first N bytes.
    pub truncate: Option<usize>,
    /// Fields of a frame of the file's profile, by name: a number, an enum
    /// name, hex bytes or text; constants, lengths and checksums computed
    /// unless given. Variables (`{{name}}`) work in them.
    #[serde(default)]
    pub field: BTreeMap<String, Spanned<toml::Value>>,
}

/// A frame to build and send.
#[derive(Debug, Clone)]
pub struct SendPlan {
    /// The content.
    pub content: ContentPlan,
    /// Header fields to set, in order.
    pub header: Vec<(String, JsonTemplate)>,
    /// Header keys to leave out.
    pub omit: Vec<String>,
    /// A proto-header to write instead of the true one.
    pub proto_header: Option<u16>,
    /// Send only this many bytes of the frame.
    pub truncate: Option<usize>,
    /// Field values of a frame of a profile, in order: when there are any,
    /// the frame is the profile's, built from them.
    pub fields: Vec<(String, Template)>,
}

/// A send's content.
#[derive(Debug, Clone)]
pub enum ContentPlan {
    /// No content.
    Empty,
    /// JSON given as TOML, with variables in its strings.
    Json(JsonTemplate),
    /// JSON given as text, with variables in it.
    JsonText(Template),
    /// Text.
    Text(Template),
    /// Bytes (hex, or a file).
    Binary(Bytes),
}

/// A JSON value whose strings may hold variables.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    /// A value with no variables.
    Fixed(Value),
    /// A string with variables.
    Text(Template),
    /// An array with variables somewhere inside.
    Array(Vec<JsonTemplate>),
    /// An object with variables somewhere inside.
    Object(Vec<(String, JsonTemplate)>),
}

impl SendPlan {
    /// The frame of `profile` its fields make (going the way `role` says),
    /// templates expanded with `values`; its hex content as the whole
    /// frame when it names no field.
    pub fn build_fields(
        &self,
        profile: &Profile,
        role: Role,
        values: &mut Expansion<'_>,
    ) -> Result<Bytes, String> {
        if self.fields.is_empty() {
            return match &self.content {
                ContentPlan::Binary(bytes) => Ok(bytes.clone()),
                ContentPlan::Empty => Err("a reply under a profile gives field.NAME or hex".into()),
                _ => Ok(self.content.frame(values).content_bytes()),
            };
        }
        let given: Vec<(String, String)> = self
            .fields
            .iter()
            .map(|(name, template)| {
                let mut out = Vec::new();
                template.expand_into(&mut out, values);
                (name.clone(), String::from_utf8_lossy(&out).into_owned())
            })
            .collect();
        profile
            .encode(&given, role)
            .map(Bytes::from)
            .map_err(|error| error.to_string())
    }

    /// The bytes this send puts on the wire: a frame (broken as the plan
    /// says), or on a raw connection the content alone. `values` expand
    /// the templates.
    pub fn build(&self, raw: bool, values: &mut Expansion<'_>) -> Result<Bytes, BuildError> {
        let mut builder = self.content.frame(values);
        if raw {
            let mut content = builder.content_bytes();
            if let Some(len) = self.truncate {
                content.truncate(len);
            }
            return Ok(content);
        }
        for (key, template) in &self.header {
            builder = builder.field(key, template.expand(values));
        }
        for key in &self.omit {
            builder = builder.without_field(key);
        }
        if let Some(value) = self.proto_header {
            builder = builder.proto_header(value);
        }
        if let Some(len) = self.truncate {
            builder = builder.truncate_to(len);
        }
        builder.build()
    }
}

impl ContentPlan {
    /// The frame a send of this content starts from, before the step's
    /// own header fields: the content, and the content-type (and encoding)
    /// its kind implies.
    pub fn frame(&self, values: &mut Expansion<'_>) -> FrameBuilder {
        match self {
            ContentPlan::Empty => FrameBuilder::new(),
            ContentPlan::Json(template) => FrameBuilder::json(&template.expand(values)),
            ContentPlan::JsonText(template) => {
                FrameBuilder::new().content(expand(template, values))
            }
            ContentPlan::Text(template) => FrameBuilder::new()
                .field("content-type", "text/plain")
                .content(expand(template, values)),
            ContentPlan::Binary(bytes) => FrameBuilder::binary(CLIENT_BINARY_TYPE, bytes.clone()),
        }
    }
}

impl JsonTemplate {
    /// The value with its variables expanded.
    pub fn expand(&self, values: &mut Expansion<'_>) -> Value {
        match self {
            JsonTemplate::Fixed(value) => value.clone(),
            JsonTemplate::Text(text) => {
                Value::from(String::from_utf8_lossy(&expand(text, values)).into_owned())
            }
            JsonTemplate::Array(items) => items.iter().map(|i| i.expand(values)).collect(),
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, item)| (key.clone(), item.expand(values)))
                    .collect(),
            ),
        }
    }
}

fn expand(template: &Template, values: &mut Expansion<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    template.expand_into(&mut out, values);
    out
}

/// Parses a template over the variable names `names` knows.
fn template(text: &str, names: VariableNames<'_>) -> Result<Template, FileProblem> {
    Ok(Template::parse_with_names(text.as_bytes(), names)?)
}

/// Compiles a send (or a server rule's reply): its content read, parsed or
/// checked, its header templates parsed over the variable names `names`
/// knows; files are read relative to `folder`. An error says which byte
/// range of the source it is about (`whole`: the send as a whole).
pub(crate) fn compile_send(
    spec: &SendSpec,
    names: VariableNames<'_>,
    folder: &Path,
    whole: Range<usize>,
) -> Result<SendPlan, Located> {
    let given = [
        spec.json.is_some(),
        spec.text.is_some(),
        spec.hex.is_some(),
        spec.file.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err((whole, FileProblem::TwoContents));
    }
    let content = if let Some(json) = &spec.json {
        let fail = |problem| (json.span(), problem);
        match json.get_ref() {
            Value::String(text) => {
                let template = template(text, names).map_err(fail)?;
                if !template.has_variables() {
                    serde_json::from_str::<Value>(text)
                        .map_err(|error| fail(FileProblem::Json(error.to_string())))?;
                }
                ContentPlan::JsonText(template)
            }
            value => ContentPlan::Json(json_template(value, names).map_err(fail)?),
        }
    } else if let Some(text) = &spec.text {
        ContentPlan::Text(
            template(text.get_ref(), names).map_err(|problem| (text.span(), problem))?,
        )
    } else if let Some(hex) = &spec.hex {
        ContentPlan::Binary(Bytes::from(
            parse_hex(hex.get_ref()).map_err(|error| (hex.span(), error.into()))?,
        ))
    } else if let Some(file) = &spec.file {
        let path = folder.join(file.get_ref());
        let bytes = std::fs::read(&path)
            .map_err(|source| (file.span(), FileProblem::DataFile { path, source }))?;
        ContentPlan::Binary(Bytes::from(bytes))
    } else {
        ContentPlan::Empty
    };
    let mut header = Vec::new();
    for (key, value) in &spec.header {
        let template =
            json_template(value.get_ref(), names).map_err(|problem| (value.span(), problem))?;
        header.push((key.clone(), template));
    }
    let mut fields = Vec::new();
    for (name, value) in &spec.field {
        let text = match value.get_ref() {
            toml::Value::String(text) => text.clone(),
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Float(number) => number.to_string(),
            toml::Value::Boolean(flag) => u8::from(*flag).to_string(),
            _ => {
                return Err((
                    value.span(),
                    FileProblem::Syntax(format!(
                        "field.{name} is a number, a name or text, not a table or a list"
                    )),
                ));
            }
        };
        let template = template(&text, names).map_err(|problem| (value.span(), problem))?;
        fields.push((name.clone(), template));
    }
    Ok(SendPlan {
        content,
        header,
        omit: spec.omit.clone(),
        proto_header: spec.proto_header,
        truncate: spec.truncate,
        fields,
    })
}

/// A JSON value with the variables in its strings parsed.
fn json_template(value: &Value, names: VariableNames<'_>) -> Result<JsonTemplate, FileProblem> {
    Ok(match value {
        Value::String(text) => {
            let template = template(text, names)?;
            if template.has_variables() {
                JsonTemplate::Text(template)
            } else {
                JsonTemplate::Fixed(value.clone())
            }
        }
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| json_template(item, names))
                .collect::<Result<Vec<_>, _>>()?;
            if items.iter().all(|i| matches!(i, JsonTemplate::Fixed(_))) {
                JsonTemplate::Fixed(value.clone())
            } else {
                JsonTemplate::Array(items)
            }
        }
        Value::Object(fields) => {
            let fields = fields
                .iter()
                .map(|(key, item)| Ok((key.clone(), json_template(item, names)?)))
                .collect::<Result<Vec<_>, FileProblem>>()?;
            if fields
                .iter()
                .all(|(_, i)| matches!(i, JsonTemplate::Fixed(_)))
            {
                JsonTemplate::Fixed(value.clone())
            } else {
                JsonTemplate::Object(fields)
            }
        }
        other => JsonTemplate::Fixed(other.clone()),
    })
}
