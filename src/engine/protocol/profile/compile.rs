//! From a profile's TOML to a [`Profile`]: every rule a profile must keep
//! is checked here, once, and a broken one is reported at its line and
//! column, before anything connects.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use super::checksum::{Checksum, ChecksumNameError};
use super::spec::{FieldSpec, FileSpec, FramingSpec};
use super::value::{integer_range, parse_bytes, parse_integer};
use super::{
    BitsField, ChecksumJob, Covers, Endian, EnumTable, Field, FieldRef, Framing, Kind, Profile,
    Role, Size, Value, When,
};
use crate::engine::protocol::source::Location;
use crate::engine::protocol::text_encoding::{OFFERED, TextEncoding};

/// The longest frame any profile may allow.
const MAX_FRAME_CEILING: u64 = 1 << 30;
/// The longest frame when a profile does not say.
const DEFAULT_MAX_FRAME: u64 = 16 << 20;
/// The longest delimiter.
const MAX_DELIMITER: usize = 16;
/// The type names, as a profile writes them.
const TYPES: &str = "u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 varint bits bytes str json";

/// What is wrong with a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileProblem {
    /// The TOML does not parse, or has a key a profile does not have.
    #[error("{0}")]
    Syntax(String),
    /// A name that is not one of the choices (a type, a byte order, ...).
    #[error("{what} \"{name}\" is not one of: {choices}")]
    Unknown {
        /// What was named.
        what: &'static str,
        /// The name given.
        name: String,
        /// What it may be.
        choices: String,
    },
    /// A name used twice.
    #[error("\"{name}\" is already a field (line {line})")]
    Duplicate {
        /// The name.
        name: String,
        /// The line of its first use.
        line: usize,
    },
    /// A reference to a field that does not exist (or is not before it).
    #[error("{key} names \"{name}\", which is not {wanted} (fields: {fields})")]
    NoSuchField {
        /// The key that names it.
        key: &'static str,
        /// The name given.
        name: String,
        /// What the name should be.
        wanted: &'static str,
        /// The names it could be.
        fields: String,
    },
    /// A value out of its range.
    #[error("{value} does not fit {what} ({range})")]
    DoesNotFit {
        /// The value.
        value: String,
        /// What it must fit.
        what: String,
        /// The range allowed.
        range: String,
    },
    /// A rule of how fields fit together, broken; the words say which.
    #[error("{0}")]
    Shape(String),
}

/// A profile that cannot be compiled: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{location}: {problem}")]
pub struct ProfileError {
    /// The file (or built-in) the profile came from.
    pub origin: String,
    /// The line and column at fault.
    pub location: Location,
    /// What is wrong.
    pub problem: ProfileProblem,
}

/// A problem at a span of the text.
type Fault = (Range<usize>, ProfileProblem);

fn shape<T>(span: Range<usize>, words: impl Into<String>) -> Result<T, Fault> {
    Err((span, ProfileProblem::Shape(words.into())))
}

impl Profile {
    /// Compiles a profile's TOML; `origin` names it in errors (a path).
    pub fn compile(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let error = |(span, problem): Fault| ProfileError {
            origin: origin.to_owned(),
            location: Location::of_offset(text, span.start),
            problem,
        };
        let spec: FileSpec = toml::from_str(text).map_err(|e| {
            error((
                e.span().unwrap_or(0..0),
                ProfileProblem::Syntax(e.message().trim().to_owned()),
            ))
        })?;
        Compiler::default().compile(spec, text).map_err(error)
    }
}

/// What is known while compiling.
#[derive(Default)]
struct Compiler {
    /// Every name, field or bits sub-field, with where it is and its line.
    names: HashMap<String, (FieldRef, usize)>,
    enums: Vec<EnumTable>,
}

impl Compiler {
    fn compile(mut self, spec: FileSpec, text: &str) -> Result<Profile, Fault> {
        let head = spec.profile.into_inner();
        let name = head.name.get_ref().clone();
        check_name(&name, head.name.span())?;
        let endian = match &head.endian {
            Some(e) => parse_endian(e)?,
            None => Endian::Big,
        };
        let max_frame = match &head.max_frame {
            None => DEFAULT_MAX_FRAME,
            Some(m) if (1..=MAX_FRAME_CEILING as i64).contains(m.get_ref()) => *m.get_ref() as u64,
            Some(m) => {
                return Err(fits(
                    m.span(),
                    m.get_ref(),
                    "max_frame",
                    format!("1..={MAX_FRAME_CEILING}"),
                ));
            }
        };
        let port = match &head.port {
            None => None,
            Some(p) => Some(
                u16::try_from(*p.get_ref())
                    .map_err(|_| fits(p.span(), p.get_ref(), "a port", "0..=65535".to_owned()))?,
            ),
        };
        for (table_name, table) in &spec.enums {
            self.enums.push(compile_enum(table_name, table)?);
        }
        let framing = match &spec.framing {
            Some(framing) => compile_framing(framing.get_ref(), framing.span())?,
            None => Framing::Fields,
        };
        let line_of = |span: Range<usize>| Location::of_offset(text, span.start).line;
        let mut fields = Vec::with_capacity(spec.field.len());
        for (index, field) in spec.field.iter().enumerate() {
            let compiled = self.first_pass(field, endian, index, &line_of)?;
            fields.push(compiled);
        }
        let informational = matches!(framing, Framing::JsonHeader | Framing::Raw | Framing::Resp);
        for (index, field) in spec.field.iter().enumerate() {
            self.second_pass(field.get_ref(), index, &mut fields, informational)?;
        }
        for (index, field) in fields.iter().enumerate() {
            let covers_checksum = field
                .checksum
                .as_ref()
                .and_then(|job| job.over.iter().find(|&&o| fields[o].checksum.is_some()));
            if let Some(&other) = covers_checksum {
                return shape(
                    spec.field[index].span(),
                    format!(
                        "{} covers {}, another checksum: a checksum covers data, not checksums",
                        field.name, fields[other].name
                    ),
                );
            }
        }
        if !informational {
            size_variable_fields(&spec.field, &mut fields, &framing)?;
        }
        if fields.is_empty() && !informational {
            return shape(0..0, "a profile needs at least one [[field]]");
        }
        Ok(Profile {
            name,
            description: head.description.unwrap_or_default(),
            text: Arc::from(text),
            port,
            max_frame,
            framing,
            fields,
            enums: self.enums,
        })
    }

    /// Adds a name to the one namespace of fields and bits sub-fields.
    fn claim(&mut self, name: &Spanned<String>, at: FieldRef, line: usize) -> Result<(), Fault> {
        check_name(name.get_ref(), name.span())?;
        if let Some((_, first)) = self.names.get(name.get_ref()) {
            return Err((
                name.span(),
                ProfileProblem::Duplicate {
                    name: name.get_ref().clone(),
                    line: *first,
                },
            ));
        }
        self.names.insert(name.get_ref().clone(), (at, line));
        Ok(())
    }

    fn enum_index(&self, name: &Spanned<String>) -> Result<usize, Fault> {
        self.enums
            .iter()
            .position(|t| t.name == *name.get_ref())
            .ok_or_else(|| {
                (
                    name.span(),
                    ProfileProblem::Unknown {
                        what: "enum",
                        name: name.get_ref().clone(),
                        choices: self
                            .enums
                            .iter()
                            .map(|t| format!("[enums.{}]", t.name))
                            .collect::<Vec<_>>()
                            .join(", "),
                    },
                )
            })
    }

    /// What a field is on its own: name, type, size, byte order, enum, bits.
    fn first_pass(
        &mut self,
        spanned: &Spanned<FieldSpec>,
        endian: Endian,
        index: usize,
        line_of: &impl Fn(Range<usize>) -> usize,
    ) -> Result<Field, Fault> {
        let spec = spanned.get_ref();
        self.claim(
            &spec.name,
            FieldRef::Field(index),
            line_of(spec.name.span()),
        )?;
        let type_span = spec.kind.span();
        let mut kind = match spec.kind.get_ref().as_str() {
            "u8" => Kind::Uint(1),
            "u16" => Kind::Uint(2),
            "u32" => Kind::Uint(4),
            "u64" => Kind::Uint(8),
            "i8" => Kind::Int(1),
            "i16" => Kind::Int(2),
            "i32" => Kind::Int(4),
            "i64" => Kind::Int(8),
            "f32" => Kind::F32,
            "f64" => Kind::F64,
            "varint" => Kind::Varint(10),
            "bits" => Kind::Uint(0),
            "bytes" => Kind::Bytes,
            "str" => Kind::Str,
            "json" => Kind::Json,
            other => {
                return Err((
                    type_span,
                    ProfileProblem::Unknown {
                        what: "type",
                        name: other.to_owned(),
                        choices: TYPES.to_owned(),
                    },
                ));
            }
        };
        let is_bits_type = spec.kind.get_ref() == "bits";
        if let Some(max_bytes) = &spec.max_bytes {
            if !matches!(kind, Kind::Varint(_)) {
                return shape(max_bytes.span(), "max_bytes is for varint fields");
            }
            let value = *max_bytes.get_ref();
            if !(1..=10).contains(&value) {
                return Err(fits(max_bytes.span(), &value, "max_bytes", "1..=10".into()));
            }
            kind = Kind::Varint(value as u8);
        }
        // Bits: the sub-fields, the first listed the most significant.
        let mut bits = Vec::new();
        if let Some(list) = &spec.bits {
            let total: i64 = list.iter().map(|b| *b.get_ref().width.get_ref()).sum();
            let container = match kind {
                Kind::Uint(0) => {
                    if ![8, 16, 32, 64].contains(&total) {
                        return shape(
                            spanned.span(),
                            format!(
                                "bits add to {total}; a bits field is 8, 16, 32 or 64 bits wide"
                            ),
                        );
                    }
                    kind = Kind::Uint((total / 8) as u8);
                    total
                }
                Kind::Uint(bytes) => {
                    let width = i64::from(bytes) * 8;
                    if total != width {
                        return shape(
                            spanned.span(),
                            format!(
                                "bits add to {total}, but {} is {width} bits",
                                spec.name.get_ref()
                            ),
                        );
                    }
                    width
                }
                _ => {
                    return shape(
                        type_span,
                        "bits split an unsigned integer (type = \"bits\", or u8..u64)",
                    );
                }
            };
            let mut shift = container;
            for (bit_index, bit) in list.iter().enumerate() {
                let bit = bit.get_ref();
                let width = *bit.width.get_ref();
                if width <= 0 {
                    return shape(bit.width.span(), "a bits sub-field is at least 1 bit wide");
                }
                shift -= width;
                self.claim(
                    &bit.name,
                    FieldRef::Bits(index, bit_index),
                    line_of(bit.name.span()),
                )?;
                let enum_table = bit
                    .enum_name
                    .as_ref()
                    .map(|e| self.enum_index(e))
                    .transpose()?;
                bits.push(BitsField {
                    name: bit.name.get_ref().clone(),
                    shift: shift as u8,
                    width: width as u8,
                    enum_table,
                });
            }
        } else if is_bits_type {
            return shape(
                type_span,
                "a bits field lists its sub-fields: bits = [{ name, width }, ...]",
            );
        }
        let endian = match &spec.endian {
            Some(e) => parse_endian(e)?,
            None => endian,
        };
        let size = match (&spec.size, kind) {
            (Some(size), Kind::Bytes | Kind::Str | Kind::Json) => {
                let value = *size.get_ref();
                if !(0..=MAX_FRAME_CEILING as i64).contains(&value) {
                    return Err(fits(
                        size.span(),
                        &value,
                        "size",
                        format!("0..={MAX_FRAME_CEILING}"),
                    ));
                }
                Size::Fixed(value as usize)
            }
            (Some(size), _) => {
                return shape(
                    size.span(),
                    "size is for bytes, str and json fields; the type gives an integer's",
                );
            }
            (None, Kind::Uint(n) | Kind::Int(n)) => Size::Fixed(usize::from(n)),
            (None, Kind::F32) => Size::Fixed(4),
            (None, Kind::F64) => Size::Fixed(8),
            (None, Kind::Varint(_)) => Size::Varint,
            // Decided once every length is known (`size_variable_fields`).
            (None, _) => Size::Remainder,
        };
        let encoding = match &spec.encoding {
            Some(encoding) if kind != Kind::Str => {
                return shape(encoding.span(), "encoding is for str fields");
            }
            Some(encoding) => TextEncoding::named(encoding.get_ref()).ok_or_else(|| {
                (
                    encoding.span(),
                    ProfileProblem::Unknown {
                        what: "encoding",
                        name: encoding.get_ref().clone(),
                        choices: format!("{}, or another name Python accepts", OFFERED.join(", ")),
                    },
                )
            })?,
            None => TextEncoding::UTF_8,
        };
        let enum_table = match &spec.enum_name {
            Some(name) if kind.is_integer() => Some(self.enum_index(name)?),
            Some(name) => return shape(name.span(), "enum is for integer fields"),
            None => None,
        };
        let constant = spec
            .constant
            .as_ref()
            .map(|c| compile_constant(c, kind, size))
            .transpose()?;
        let size = match (&constant, size) {
            (Some(Value::Bytes(bytes)), Size::Remainder) => Size::Fixed(bytes.len()),
            (Some(Value::Text(text)), Size::Remainder) => Size::Fixed(
                encoding
                    .encode(text)
                    .map_or(text.len(), |bytes| bytes.len()),
            ),
            (_, size) => size,
        };
        Ok(Field {
            name: spec.name.get_ref().clone(),
            kind,
            endian,
            size,
            constant,
            length: None,
            checksum: None,
            enum_table,
            bits,
            when: None,
            encoding,
        })
    }

    /// What needs the other fields: lengths, checksums, conditions.
    fn second_pass(
        &self,
        spec: &FieldSpec,
        index: usize,
        fields: &mut [Field],
        informational: bool,
    ) -> Result<(), Fault> {
        let names: String = fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let all_names = || names.clone();
        let field_named =
            |key: &'static str, name: &Spanned<String>, wanted: &'static str| match self
                .names
                .get(name.get_ref())
            {
                Some((FieldRef::Field(found), _)) => Ok(*found),
                _ => Err((
                    name.span(),
                    ProfileProblem::NoSuchField {
                        key,
                        name: name.get_ref().clone(),
                        wanted,
                        fields: all_names(),
                    },
                )),
            };
        if let Some(when) = &spec.when {
            let when = when.get_ref();
            let source = match self.names.get(when.field.get_ref()) {
                Some((source, _)) => *source,
                None => {
                    return Err((
                        when.field.span(),
                        ProfileProblem::NoSuchField {
                            key: "when.field",
                            name: when.field.get_ref().clone(),
                            wanted: "a field before it",
                            fields: all_names(),
                        },
                    ));
                }
            };
            let source_index = match source {
                FieldRef::Field(i) | FieldRef::Bits(i, _) => i,
            };
            if source_index >= index || !fields[source_index].kind.is_integer() {
                return shape(
                    when.field.span(),
                    format!(
                        "when.field must name an integer field (or bits) before {}",
                        spec.name.get_ref()
                    ),
                );
            }
            let values = when
                .values
                .get_ref()
                .iter()
                .map(|v| u64::try_from(*v))
                .collect::<Result<Vec<u64>, _>>()
                .map_err(|_| {
                    (
                        when.values.span(),
                        ProfileProblem::Shape("when.in lists whole numbers of 0 or more".into()),
                    )
                })?;
            let role = match &when.role {
                None => None,
                Some(role) => Some(match role.get_ref().as_str() {
                    "request" => Role::Request,
                    "reply" => Role::Reply,
                    other => {
                        return Err((
                            role.span(),
                            ProfileProblem::Unknown {
                                what: "role",
                                name: other.to_owned(),
                                choices: "request, reply".into(),
                            },
                        ));
                    }
                }),
            };
            fields[index].when = Some(When {
                source,
                values,
                role,
            });
        }
        if let Some(length_of) = &spec.length_of {
            if !matches!(fields[index].kind, Kind::Uint(_) | Kind::Varint(_))
                || !fields[index].bits.is_empty()
            {
                return shape(
                    length_of.span(),
                    "a length is an unsigned integer or a varint",
                );
            }
            let covers = match length_of.get_ref() {
                toml::Value::String(rest) if rest == "rest" => Covers::Rest,
                toml::Value::Array(items) => {
                    let mut covered = Vec::new();
                    for item in items {
                        let Some(name) = item.as_str() else {
                            return shape(
                                length_of.span(),
                                "length_of lists field names, or is \"rest\"",
                            );
                        };
                        let named = Spanned::new(length_of.span(), name.to_owned());
                        let found = field_named("length_of", &named, "a field")?;
                        if found <= index {
                            return shape(
                                length_of.span(),
                                format!(
                                    "{} sizes {name}, which does not come after it: a length must come first to frame a stream",
                                    spec.name.get_ref()
                                ),
                            );
                        }
                        covered.push(found);
                    }
                    if covered.is_empty() {
                        return shape(length_of.span(), "length_of lists at least one field");
                    }
                    covered.sort_unstable();
                    covered.dedup();
                    Covers::Fields(covered)
                }
                _ => {
                    return shape(
                        length_of.span(),
                        "length_of is \"rest\" or a list of field names",
                    );
                }
            };
            if !informational {
                fields[index].length = Some(covers);
            }
        }
        if let Some(checksum) = &spec.checksum {
            let checksum = checksum.get_ref();
            let (algorithm, name) = Checksum::by_name(checksum.algorithm.get_ref()).map_err(|e| {
                let words = match e {
                    ChecksumNameError::Unknown { closest: Some(near) } => format!(
                        "no checksum \"{}\" (did you mean {near}?)",
                        checksum.algorithm.get_ref()
                    ),
                    ChecksumNameError::Unknown { closest: None } => format!(
                        "no checksum \"{}\": name a CRC of the catalogue (CRC-16/MODBUS, CRC-32/ISO-HDLC, ...), sum8, xor8 or lrc8",
                        checksum.algorithm.get_ref()
                    ),
                    ChecksumNameError::TooWide { name, width } => {
                        format!("{name} is {width} bits; no field is wider than 64")
                    }
                };
                (checksum.algorithm.span(), ProfileProblem::Shape(words))
            })?;
            let Kind::Uint(bytes) = fields[index].kind else {
                return shape(
                    checksum.algorithm.span(),
                    "a checksum is a fixed-size unsigned integer (u8..u64)",
                );
            };
            if u32::from(algorithm.width()) > u32::from(bytes) * 8 {
                return shape(
                    checksum.algorithm.span(),
                    format!(
                        "{name} is {} bits; {} is u{}",
                        algorithm.width(),
                        spec.name.get_ref(),
                        u32::from(bytes) * 8
                    ),
                );
            }
            let mut over = Vec::new();
            for covered in &checksum.over {
                let found = field_named("checksum.over", covered, "a field")?;
                if found == index {
                    return shape(
                        covered.span(),
                        format!("{} covers itself", spec.name.get_ref()),
                    );
                }
                over.push(found);
            }
            over.sort_unstable();
            over.dedup();
            fields[index].checksum = Some(ChecksumJob {
                algorithm,
                name,
                over,
            });
        }
        Ok(())
    }
}

/// Gives each variable-size field its size: from the length that lists
/// it, or the rest of the frame. Checks that every field can be found.
fn size_variable_fields(
    specs: &[Spanned<FieldSpec>],
    fields: &mut [Field],
    framing: &Framing,
) -> Result<(), Fault> {
    // Which length sizes which field.
    let mut sized_by: Vec<Option<usize>> = vec![None; fields.len()];
    for (index, field) in fields.iter().enumerate() {
        let Some(Covers::Fields(covered)) = &field.length else {
            continue;
        };
        let variable: Vec<usize> = covered
            .iter()
            .copied()
            .filter(|&c| fields[c].size == Size::Remainder)
            .collect();
        if variable.len() > 1 {
            return shape(
                specs[index].span(),
                format!(
                    "{} covers {} and {}, both without a size",
                    field.name, fields[variable[0]].name, fields[variable[1]].name
                ),
            );
        }
        for &c in covered {
            if fields[c].length.is_some() {
                return shape(
                    specs[index].span(),
                    format!(
                        "{} covers {}, itself a length: a length inside a length",
                        field.name, fields[c].name
                    ),
                );
            }
            if fields[c].size == Size::Varint {
                return shape(
                    specs[index].span(),
                    format!(
                        "{} covers the varint {}: list fixed-size fields and one variable one",
                        field.name, fields[c].name
                    ),
                );
            }
        }
        if let Some(&v) = variable.first() {
            if let Some(first) = sized_by[v] {
                return shape(
                    specs[index].span(),
                    format!(
                        "{}'s size is given twice: by {} and {}",
                        fields[v].name, fields[first].name, field.name
                    ),
                );
            }
            sized_by[v] = Some(index);
        }
    }
    let mut end_known = !matches!(framing, Framing::Fields);
    let mut remainder: Option<usize> = None;
    for index in 0..fields.len() {
        if let Some(r) = remainder
            && (!matches!(fields[index].size, Size::Fixed(_)) && sized_by[index].is_none()
                || fields[index].when.is_some())
        {
            return shape(
                specs[index].span(),
                format!(
                    "{} comes after {}, which takes the rest of the frame: what follows it has a fixed size and no when",
                    fields[index].name, fields[r].name
                ),
            );
        }
        if fields[index].size == Size::Remainder {
            if let Some(length) = sized_by[index] {
                fields[index].size = Size::FromLength(length);
            } else if end_known {
                remainder = Some(index);
            } else {
                return shape(
                    specs[index].span(),
                    format!(
                        "{} has no size: give size = N, length_of on an earlier field, or a [framing]",
                        fields[index].name
                    ),
                );
            }
        }
        if fields[index].length == Some(Covers::Rest) {
            end_known = true;
        }
    }
    Ok(())
}

fn fits(span: Range<usize>, value: &impl ToString, what: &str, range: String) -> Fault {
    (
        span,
        ProfileProblem::DoesNotFit {
            value: value.to_string(),
            what: what.to_owned(),
            range,
        },
    )
}

fn check_name(name: &str, span: Range<usize>) -> Result<(), Fault> {
    let good = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !good {
        return shape(
            span,
            format!("\"{name}\" is not a name: use letters, digits, _ - and ."),
        );
    }
    if matches!(name, "rest" | "frame") {
        return shape(
            span,
            format!("\"{name}\" is a word profiles use; name it otherwise"),
        );
    }
    Ok(())
}

fn parse_endian(endian: &Spanned<String>) -> Result<Endian, Fault> {
    match endian.get_ref().as_str() {
        "be" | "big" => Ok(Endian::Big),
        "le" | "little" => Ok(Endian::Little),
        other => Err((
            endian.span(),
            ProfileProblem::Unknown {
                what: "endian",
                name: other.to_owned(),
                choices: "be, le".into(),
            },
        )),
    }
}

fn compile_enum(
    name: &str,
    table: &Spanned<std::collections::BTreeMap<String, Spanned<String>>>,
) -> Result<EnumTable, Fault> {
    let mut entries: Vec<(u64, String)> = Vec::new();
    for (key, label) in table.get_ref() {
        let value = parse_integer(key)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| {
                (
                    label.span(),
                    ProfileProblem::Shape(format!(
                        "enum key \"{key}\" is not a whole number of 0 or more"
                    )),
                )
            })?;
        if entries.iter().any(|(v, _)| *v == value) {
            return shape(label.span(), format!("enum {name} names {value} twice"));
        }
        entries.push((value, label.get_ref().clone()));
    }
    entries.sort_unstable_by_key(|(v, _)| *v);
    Ok(EnumTable {
        name: name.to_owned(),
        entries,
    })
}

fn compile_framing(spec: &FramingSpec, span: Range<usize>) -> Result<Framing, Fault> {
    let given = [
        spec.delimiter.is_some(),
        spec.size.is_some(),
        spec.kind.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return shape(span, "[framing] has one of delimiter, size or kind");
    }
    if let Some(delimiter) = &spec.delimiter {
        let texts: Vec<&str> = match delimiter.get_ref() {
            toml::Value::String(text) => vec![text.as_str()],
            toml::Value::Array(items) => items.iter().filter_map(toml::Value::as_str).collect(),
            _ => vec![],
        };
        if texts.is_empty()
            || texts
                .iter()
                .any(|t| t.is_empty() || t.len() > MAX_DELIMITER)
        {
            return shape(
                delimiter.span(),
                format!("a delimiter is text of 1 to {MAX_DELIMITER} bytes, or a list of them"),
            );
        }
        return Ok(Framing::Delimiter(
            texts.iter().map(|t| t.as_bytes().to_vec()).collect(),
        ));
    }
    if let Some(size) = &spec.size {
        let value = *size.get_ref();
        if !(1..=MAX_FRAME_CEILING as i64).contains(&value) {
            return Err(fits(
                size.span(),
                &value,
                "a frame size",
                format!("1..={MAX_FRAME_CEILING}"),
            ));
        }
        return Ok(Framing::Fixed(value as usize));
    }
    let kind = spec.kind.as_ref().expect("one of the three is given");
    match kind.get_ref().as_str() {
        "raw" => Ok(Framing::Raw),
        "json-header" => Ok(Framing::JsonHeader),
        "resp" => Ok(Framing::Resp),
        "fields" => Ok(Framing::Fields),
        "datagram" => Ok(Framing::Datagram),
        other => Err((
            kind.span(),
            ProfileProblem::Unknown {
                what: "framing kind",
                name: other.to_owned(),
                choices: "raw, json-header, resp, fields, datagram".into(),
            },
        )),
    }
}

fn compile_constant(
    constant: &Spanned<toml::Value>,
    kind: Kind,
    size: Size,
) -> Result<Value, Fault> {
    let span = constant.span();
    match (constant.get_ref(), kind) {
        (toml::Value::Integer(value), Kind::Uint(bytes) | Kind::Int(bytes)) => {
            let signed = matches!(kind, Kind::Int(_));
            let bits = u32::from(bytes) * 8;
            let (low, high) = integer_range(bits, signed);
            let value = i128::from(*value);
            if value < low || value > high {
                let type_name = if signed {
                    format!("i{bits}")
                } else {
                    format!("u{bits}")
                };
                return Err(fits(span, &value, &type_name, format!("{low}..={high}")));
            }
            Ok(if signed {
                Value::Int(value as i64)
            } else {
                Value::Uint(value as u64)
            })
        }
        (toml::Value::String(text), Kind::Uint(bytes)) => {
            // Written as a string: a u64 above what TOML's integers hold.
            let value = parse_integer(text).ok_or_else(|| {
                (
                    span.clone(),
                    ProfileProblem::Shape(format!("const \"{text}\" is not a number")),
                )
            })?;
            let (low, high) = integer_range(u32::from(bytes) * 8, false);
            if value < low || value > high {
                return Err(fits(
                    span,
                    &value,
                    &format!("u{}", bytes * 8),
                    format!("{low}..={high}"),
                ));
            }
            Ok(Value::Uint(value as u64))
        }
        (toml::Value::String(text), Kind::Bytes) => {
            let bytes = parse_bytes(text).map_err(|e| (span.clone(), ProfileProblem::Shape(e)))?;
            if let Size::Fixed(size) = size
                && size != bytes.len()
            {
                return shape(
                    span,
                    format!("const has {} bytes, but size is {size}", bytes.len()),
                );
            }
            Ok(Value::Bytes(bytes))
        }
        (toml::Value::String(text), Kind::Str) => Ok(Value::Text(text.clone())),
        _ => shape(
            span,
            "const is a number for integer fields, hex or text for bytes, text for str",
        ),
    }
}
