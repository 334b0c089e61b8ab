//! Profiles: a protocol as a value. A profile names the fields of a
//! protocol's frames (integers in either byte order, varints, bit fields,
//! bytes, text, JSON), which of them are constants, lengths or checksums,
//! and, where the fields alone cannot say where a frame ends, a framing
//! (a delimiter, a fixed size, raw chunks, or the tutorial's JSON header).
//!
//! A profile file is compiled once ([`Profile::compile`]) into a plan of
//! fields; the plan frames a stream ([`Profile::check`]), names the fields
//! of a frame with their bytes ([`Profile::decode`]) and builds a frame
//! from field values ([`Profile::encode`]), computing what is computed.

mod builtin;
mod checksum;
mod compile;
mod encode;
mod fault;
mod resp;
mod spec;
mod value;
mod walk;

use std::sync::Arc;

use crate::engine::protocol::text_encoding::TextEncoding;

pub use builtin::BUILTIN_NAMES;
pub use compile::{ProfileError, ProfileProblem};
pub use encode::EncodeError;
pub use fault::{FieldFault, FieldProblem};
pub use value::Value;
pub(crate) use walk::FrontScan;
pub use walk::{DecodedField, ProfileCheck};

use checksum::Checksum;
pub(crate) use checksum::ChecksumRecipe;

/// Byte order of an integer field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    /// Most significant byte first (network order).
    Big,
    /// Least significant byte first.
    Little,
}

/// Which way a frame goes: from the side that asks, or from the side that
/// answers. A client sends requests; a server receives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Client to server.
    Request,
    /// Server to client.
    Reply,
}

/// How a profile's frames are cut from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// By the fields themselves: their sizes and lengths.
    Fields,
    /// Each frame ends with one of these byte strings (the earliest to end wins).
    Delimiter(Vec<Vec<u8>>),
    /// Every frame has this many bytes.
    Fixed(usize),
    /// No frames: each read is a chunk.
    Raw,
    /// The tutorial's protocol: a 2-byte length, a JSON header naming the
    /// content's length, the content.
    JsonHeader,
    /// Redis's protocol: one value a frame, arrays nested to any depth.
    Resp,
    /// Each UDP datagram is one frame, its fields up to the datagram's end
    /// (DNS over UDP, say: no length prefix). A stream cannot be cut so.
    Datagram,
}

/// What an integer field's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Unsigned, this many bytes.
    Uint(u8),
    /// Signed, this many bytes.
    Int(u8),
    /// IEEE 754 single precision.
    F32,
    /// IEEE 754 double precision.
    F64,
    /// LEB128, at most this many bytes.
    Varint(u8),
    /// Bytes.
    Bytes,
    /// UTF-8 text.
    Str,
    /// A JSON document.
    Json,
}

impl Kind {
    /// Whether the field's value is a whole number (lengths, enums, `when`).
    pub(crate) fn is_integer(self) -> bool {
        matches!(self, Kind::Uint(_) | Kind::Int(_) | Kind::Varint(_))
    }
}

/// How many bytes a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// Always this many.
    Fixed(usize),
    /// As many as its LEB128 encoding.
    Varint,
    /// What the length field (by index) gives it.
    FromLength(usize),
    /// Everything up to the frame's end, less the fixed fields after it.
    Remainder,
}

/// What a length field counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Covers {
    /// Every byte after the length field, to the frame's end.
    Rest,
    /// These fields (by index).
    Fields(Vec<usize>),
}

/// A field whose value is computed from others.
#[derive(Debug)]
pub(crate) struct ChecksumJob {
    pub(crate) algorithm: Checksum,
    /// Its catalogue name.
    pub(crate) name: String,
    /// The fields it covers, by index, in frame order.
    pub(crate) over: Vec<usize>,
}

/// A named run of bits inside an integer field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BitsField {
    pub(crate) name: String,
    /// Bits to shift right to bring it to bit 0.
    pub(crate) shift: u8,
    pub(crate) width: u8,
    pub(crate) enum_table: Option<usize>,
}

impl BitsField {
    /// Its value inside the container's value.
    pub(crate) fn of(&self, container: u64) -> u64 {
        (container >> self.shift) & mask(self.width)
    }
}

/// The low `width` bits set.
pub(crate) fn mask(width: u8) -> u64 {
    if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    }
}

/// A field or a bits sub-field, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldRef {
    /// The field at this index.
    Field(usize),
    /// Sub-field `.1` of the bits field at index `.0`.
    Bits(usize, usize),
}

/// When a field is in a frame at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct When {
    pub(crate) source: FieldRef,
    pub(crate) values: Vec<u64>,
    pub(crate) role: Option<Role>,
}

impl When {
    /// Whether it holds for a frame going the way `role` says, where
    /// `number_of(index)` is the value of the field at `index` when that
    /// field is in the frame.
    pub(crate) fn holds(
        &self,
        fields: &[Field],
        role: Role,
        number_of: impl Fn(usize) -> Option<u64>,
    ) -> bool {
        if self.role.is_some_and(|wanted| wanted != role) {
            return false;
        }
        let (index, bits) = match self.source {
            FieldRef::Field(index) => (index, None),
            FieldRef::Bits(index, bit) => (index, Some(&fields[index].bits[bit])),
        };
        number_of(index)
            .map(|number| bits.map_or(number, |b| b.of(number)))
            .is_some_and(|value| self.values.contains(&value))
    }
}

/// One field of a profile, compiled.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) endian: Endian,
    pub(crate) size: Size,
    pub(crate) constant: Option<Value>,
    pub(crate) length: Option<Covers>,
    pub(crate) checksum: Option<ChecksumJob>,
    pub(crate) enum_table: Option<usize>,
    pub(crate) bits: Vec<BitsField>,
    pub(crate) when: Option<When>,
    /// The encoding of a `str` field's text (UTF-8 unless it says).
    pub(crate) encoding: TextEncoding,
}

impl Field {
    /// Whether its value follows from the others: a constant, a length or
    /// a checksum, which framescope fills in when composing.
    pub(crate) fn is_computed(&self) -> bool {
        self.constant.is_some() || self.length.is_some() || self.checksum.is_some()
    }
}

/// Names for the values of an integer field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnumTable {
    pub(crate) name: String,
    /// Sorted by value.
    pub(crate) entries: Vec<(u64, String)>,
}

impl EnumTable {
    /// The name of `value`, if it has one.
    pub(crate) fn label(&self, value: u64) -> Option<&str> {
        self.entries
            .binary_search_by_key(&value, |(v, _)| *v)
            .ok()
            .map(|index| self.entries[index].1.as_str())
    }

    /// The value named `label`: exactly, else ignoring case.
    pub(crate) fn value_of(&self, label: &str) -> Option<u64> {
        self.entries
            .iter()
            .find(|(_, name)| name == label)
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|(_, name)| name.eq_ignore_ascii_case(label))
            })
            .map(|(value, _)| *value)
    }
}

/// A field as a form to compose a frame shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    /// Its name (a bits sub-field's own).
    pub name: String,
    /// Whether framescope fills it in (a constant, a length, a checksum)
    /// unless a value is given.
    pub computed: bool,
    /// Whether it is in a frame only when another field has a value.
    pub conditional: bool,
    /// Whether it is a bits sub-field of the field before it.
    pub sub_field: bool,
    /// The names its values have, when an enum names them.
    pub choices: Vec<String>,
}

/// A compiled profile.
#[derive(Debug)]
pub struct Profile {
    name: String,
    description: String,
    /// The text it was compiled from.
    text: Arc<str>,
    port: Option<u16>,
    max_frame: u64,
    framing: Framing,
    pub(crate) fields: Vec<Field>,
    pub(crate) enums: Vec<EnumTable>,
}

/// Two profiles are the same when they have the same name and text.
impl PartialEq for Profile {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.text == other.text
    }
}

impl Eq for Profile {}

impl Profile {
    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its one-line description (empty when it has none).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The TOML it was compiled from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The protocol's usual port, when the profile names one.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The longest frame it accepts.
    pub fn max_frame(&self) -> u64 {
        self.max_frame
    }

    /// How its frames are cut from a stream.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Whether it is the tutorial's JSON-header protocol, which the engine
    /// frames with its own fast check.
    pub fn is_json_header(&self) -> bool {
        self.framing == Framing::JsonHeader
    }

    /// Whether its frames are whole datagrams, which only UDP carries.
    pub fn needs_datagrams(&self) -> bool {
        self.framing == Framing::Datagram
    }

    /// Whether it frames nothing: each read is a chunk.
    pub fn is_raw(&self) -> bool {
        self.framing == Framing::Raw
    }

    /// The names of its fields and bits sub-fields, in frame order.
    pub fn field_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for field in &self.fields {
            names.push(field.name.as_str());
            names.extend(field.bits.iter().map(|b| b.name.as_str()));
        }
        names
    }

    /// Each field and bits sub-field as a form shows it, in frame order.
    pub fn form(&self) -> Vec<FormField> {
        let mut form = Vec::new();
        for field in &self.fields {
            let computed = field.is_computed();
            let choices = |table: Option<usize>| {
                table.map_or_else(Vec::new, |t| {
                    self.enums[t]
                        .entries
                        .iter()
                        .map(|(_, name)| name.clone())
                        .collect()
                })
            };
            form.push(FormField {
                name: field.name.clone(),
                computed,
                conditional: field.when.is_some(),
                sub_field: false,
                choices: choices(field.enum_table),
            });
            form.extend(field.bits.iter().map(|bits| FormField {
                name: bits.name.clone(),
                computed: false,
                conditional: field.when.is_some(),
                sub_field: true,
                choices: choices(bits.enum_table),
            }));
        }
        form
    }

    /// The field or bits sub-field called `name`.
    pub(crate) fn find(&self, name: &str) -> Option<FieldRef> {
        self.fields.iter().enumerate().find_map(|(index, field)| {
            if field.name == name {
                return Some(FieldRef::Field(index));
            }
            field
                .bits
                .iter()
                .position(|b| b.name == name)
                .map(|bit| FieldRef::Bits(index, bit))
        })
    }

    /// A key inside a `json` field, named `FIELD.KEY`: the field's index
    /// and the key.
    pub(crate) fn json_key<'n>(&self, name: &'n str) -> Option<(usize, &'n str)> {
        let (field, key) = name.split_once('.')?;
        let index = self
            .fields
            .iter()
            .position(|f| f.name == field && f.kind == Kind::Json)?;
        (!key.is_empty()).then_some((index, key))
    }

    /// Whether `name` names something of a frame: a field, a bits
    /// sub-field, or a key of a `json` field (`FIELD.KEY`).
    pub fn has_field(&self, name: &str) -> bool {
        self.find(name).is_some() || self.json_key(name).is_some()
    }

    /// A built-in profile by name ([`BUILTIN_NAMES`]).
    pub fn builtin(name: &str) -> Option<Arc<Profile>> {
        builtin::get(name)
    }
}

#[cfg(test)]
mod tests;
