//! Building a frame from field values: constants, lengths and checksums
//! computed, everything else as given or zero.

use super::value::{Value, parse_value};
use super::{Covers, Endian, FieldRef, Framing, Kind, Profile, Role, Size, mask};

/// Why a frame could not be built from the values given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// No field has the name.
    #[error("no field \"{name}\" in profile {profile} (fields: {fields})")]
    UnknownField {
        /// The name given.
        name: String,
        /// The profile.
        profile: String,
        /// Its fields' names.
        fields: String,
    },
    /// A value that does not suit its field.
    #[error("{name}: {reason}")]
    BadValue {
        /// The field.
        name: String,
        /// Why not.
        reason: String,
    },
    /// A value given for a field the frame does not have.
    #[error("{name} is not in this frame (its `when` does not hold for the values given)")]
    Absent {
        /// The field.
        name: String,
    },
    /// Bytes of the wrong size for a fixed-size field.
    #[error("{name} takes {size} bytes; {given} given")]
    WrongSize {
        /// The field.
        name: String,
        /// Its size.
        size: usize,
        /// The bytes given.
        given: usize,
    },
}

impl Profile {
    /// A frame from `(name, value)` pairs as a person writes them. Fields
    /// not given are zero or empty; constants, lengths and checksums are
    /// computed unless given, in which case the given value wins (to send
    /// a wrong one on purpose).
    pub fn encode(&self, given: &[(String, String)], role: Role) -> Result<Vec<u8>, EncodeError> {
        let mut values: Vec<Option<Value>> = vec![None; self.fields.len()];
        let mut bits_given: Vec<(usize, usize, u64)> = Vec::new();
        let mut keys_given: Vec<(usize, &str, &str)> = Vec::new();
        for (name, text) in given {
            if self.find(name).is_none()
                && let Some((index, key)) = self.json_key(name)
            {
                keys_given.push((index, key, text));
                continue;
            }
            let Some(at) = self.find(name) else {
                return Err(EncodeError::UnknownField {
                    name: name.clone(),
                    profile: self.name().to_owned(),
                    fields: self.field_names().join(", "),
                });
            };
            let bad = |reason| EncodeError::BadValue {
                name: name.clone(),
                reason,
            };
            match at {
                FieldRef::Field(index) => {
                    let field = &self.fields[index];
                    let table = field.enum_table.map(|t| &self.enums[t]);
                    values[index] = Some(parse_value(text, field.kind, None, table).map_err(bad)?);
                }
                FieldRef::Bits(index, bit) => {
                    let sub = &self.fields[index].bits[bit];
                    let table = sub.enum_table.map(|t| &self.enums[t]);
                    let value =
                        parse_value(text, Kind::Uint(8), Some(sub.width), table).map_err(bad)?;
                    bits_given.push((index, bit, value.as_u64().unwrap_or(0)));
                }
            }
        }
        // Each field's value: given, constant, from its bits, or zero.
        let mut numbers: Vec<Option<u64>> = vec![None; self.fields.len()];
        let mut present = vec![false; self.fields.len()];
        let mut encoded: Vec<Vec<u8>> = vec![Vec::new(); self.fields.len()];
        for (index, field) in self.fields.iter().enumerate() {
            present[index] = field.when.as_ref().is_none_or(|when| {
                when.holds(&self.fields, role, |source| {
                    numbers[source].filter(|_| present[source])
                })
            });
            if !present[index] {
                if values[index].is_some()
                    || bits_given.iter().any(|(i, _, _)| *i == index)
                    || keys_given.iter().any(|(i, _, _)| *i == index)
                {
                    return Err(EncodeError::Absent {
                        name: field.name.clone(),
                    });
                }
                continue;
            }
            let value = match values[index].take() {
                Some(value) => with_keys(value, index, &keys_given),
                None if !field.bits.is_empty() => {
                    let mut container = 0u64;
                    for &(_, bit, v) in bits_given.iter().filter(|(i, _, _)| *i == index) {
                        let sub = &field.bits[bit];
                        container |= (v & mask(sub.width)) << sub.shift;
                    }
                    Value::Uint(container)
                }
                None => match &field.constant {
                    Some(constant) => constant.clone(),
                    None => with_keys(zero(field.kind, field.size), index, &keys_given),
                },
            };
            numbers[index] = value.as_u64();
            encoded[index] = match (&value, field.kind) {
                (Value::Text(text), Kind::Str) => {
                    field
                        .encoding
                        .encode(text)
                        .map_err(|e| EncodeError::BadValue {
                            name: field.name.clone(),
                            reason: e.to_string(),
                        })?
                }
                _ => bytes_of(&value, field.kind, field.endian),
            };
            if let Size::Fixed(size) = field.size
                && encoded[index].len() != size
            {
                return Err(EncodeError::WrongSize {
                    name: field.name.clone(),
                    size,
                    given: encoded[index].len(),
                });
            }
        }
        let overridden = |index: usize| {
            given
                .iter()
                .any(|(name, _)| *name == self.fields[index].name)
        };
        // Lengths, innermost (latest) first, so a length of the rest counts
        // the lengths inside it at their final size.
        for index in (0..self.fields.len()).rev() {
            let field = &self.fields[index];
            let Some(covers) = &field.length else {
                continue;
            };
            if !present[index] || overridden(index) {
                continue;
            }
            let total: usize = match covers {
                Covers::Rest => (index + 1..self.fields.len())
                    .filter(|&i| present[i])
                    .map(|i| encoded[i].len())
                    .sum(),
                Covers::Fields(covered) => covered
                    .iter()
                    .filter(|&&i| present[i])
                    .map(|&i| encoded[i].len())
                    .sum(),
            };
            encoded[index] = bytes_of(&Value::Uint(total as u64), field.kind, field.endian);
        }
        for (index, field) in self.fields.iter().enumerate() {
            let Some(job) = &field.checksum else { continue };
            if !present[index] || overridden(index) {
                continue;
            }
            let sum = job.algorithm.of(job
                .over
                .iter()
                .filter(|&&i| present[i])
                .map(|&i| encoded[i].as_slice()));
            encoded[index] = bytes_of(&Value::Uint(sum), field.kind, field.endian);
        }
        let mut frame: Vec<u8> = encoded.concat();
        if let Framing::Delimiter(delimiters) = &self.framing {
            frame.extend_from_slice(&delimiters[0]);
        }
        Ok(frame)
    }
}

/// A field's value when none is given.
fn zero(kind: Kind, size: Size) -> Value {
    match kind {
        Kind::Int(_) => Value::Int(0),
        Kind::F32 | Kind::F64 => Value::Float(0.0),
        Kind::Bytes | Kind::Str | Kind::Json => match size {
            Size::Fixed(size) => Value::Bytes(vec![0; size]),
            _ if kind == Kind::Json => Value::Json(serde_json::Value::Object(Default::default())),
            _ => Value::Bytes(Vec::new()),
        },
        _ => Value::Uint(0),
    }
}

/// A value's bytes in a field of `kind`.
fn bytes_of(value: &Value, kind: Kind, endian: Endian) -> Vec<u8> {
    let fixed = |width: u8, bits: u64| {
        let width = usize::from(width);
        let mut out: Vec<u8> = (0..width).map(|i| (bits >> (8 * i)) as u8).collect();
        if endian == Endian::Big {
            out.reverse();
        }
        out
    };
    match (kind, value) {
        (Kind::Uint(width) | Kind::Int(width), value) => fixed(width, value.as_u64().unwrap_or(0)),
        (Kind::F32, value) => fixed(4, u64::from((float_of(value) as f32).to_bits())),
        (Kind::F64, value) => fixed(8, float_of(value).to_bits()),
        (Kind::Varint(_), value) => {
            let mut rest = value.as_u64().unwrap_or(0);
            let mut out = Vec::new();
            loop {
                let byte = (rest & 0x7f) as u8;
                rest >>= 7;
                if rest == 0 {
                    out.push(byte);
                    return out;
                }
                out.push(byte | 0x80);
            }
        }
        (_, Value::Bytes(bytes)) => bytes.clone(),
        (_, Value::Text(text)) => text.as_bytes().to_vec(),
        (_, Value::Json(json)) => serde_json::to_vec(json).unwrap_or_default(),
        (_, other) => other.to_string().into_bytes(),
    }
}

fn float_of(value: &Value) -> f64 {
    match value {
        Value::Float(f) => *f,
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        _ => 0.0,
    }
}

/// `value` (a JSON field's document) with the keys given for field
/// `index` set: a value that reads as JSON is that, else a string.
fn with_keys(value: Value, index: usize, keys_given: &[(usize, &str, &str)]) -> Value {
    let mut keys = keys_given.iter().filter(|(i, _, _)| *i == index).peekable();
    if keys.peek().is_none() {
        return value;
    }
    let mut object = match value {
        Value::Json(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    for (_, key, text) in keys {
        let parsed = serde_json::from_str(text)
            .unwrap_or_else(|_| serde_json::Value::String((*text).to_owned()));
        object.insert((*key).to_owned(), parsed);
    }
    Value::Json(serde_json::Value::Object(object))
}
