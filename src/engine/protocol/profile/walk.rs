//! Walking a frame's fields: where each one lies and what it holds. The
//! same walk frames a stream (how long is the frame at the front?) and
//! decodes a frame (which bytes are which field?), so the two never
//! disagree.

use super::fault::{FieldFault, FieldProblem};
use super::value::Value;
use super::{Covers, Endian, Framing, Kind, Profile, Role, Size, When};
use crate::engine::protocol::codec::{FrameCheck, FrameSoFar, check_frame};
use crate::engine::protocol::frame::{PROTO_HEADER_LEN, declared_header_len};

/// The most a check asks to have room made for ahead of the bytes that
/// arrived, whatever a length claims (as the JSON-header check does).
const MAX_RESERVE_AHEAD: usize = 64 * 1024;

/// Where the frame at the front of a stream stands under a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileCheck {
    /// A whole frame of `len` bytes that keeps the profile.
    Whole {
        /// Its length.
        len: usize,
    },
    /// Not whole yet: this many more bytes are worth making room for (0
    /// when not known; never more than 64 KiB).
    Wanting {
        /// Bytes to make room for.
        more: usize,
    },
    /// A whole frame of `len` bytes that breaks the profile: the stream
    /// goes on after it.
    Rejected {
        /// Its length.
        len: usize,
        /// What is wrong.
        fault: FieldFault,
    },
    /// Bytes that cannot be a frame and give no end to skip to: the
    /// stream has lost its place.
    Broken {
        /// What is wrong.
        fault: FieldFault,
    },
}

/// A field of a decoded frame, in frame order.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedField {
    /// The field's name (a bits sub-field's own name).
    pub name: String,
    /// Its value.
    pub value: Value,
    /// The enum's name for the value, where there is one.
    pub label: Option<String>,
    /// Where its bytes begin in the frame.
    pub offset: usize,
    /// How many bytes (a bits sub-field: its container's).
    pub len: usize,
    /// For a bits sub-field: its shift and width inside the container.
    pub bits: Option<(u8, u8)>,
    /// Whether its value follows from the others (a constant, a length, a
    /// checksum) or is only a container of bits: what a one-line summary
    /// leaves out.
    pub derived: bool,
}

/// A field found in a frame.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    pub(crate) field: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Its value, for integer fields.
    pub(crate) number: Option<u64>,
}

/// Why a walk stopped before the frame's end.
enum Stop {
    /// The frame needs at least this many bytes in all.
    Need(usize),
    /// No frame can be made of the bytes.
    Broken(FieldFault),
}

/// What checking the frame at the front of a stream keeps from one look
/// at it to the next, as its bytes arrive: how far a delimiter was looked
/// for, and room for the fields placed (so a check allocates nothing once
/// warm).
#[derive(Debug, Clone, Default)]
pub(crate) struct FrontScan {
    scanned: usize,
    placed: Vec<Placed>,
}

impl FrontScan {
    /// Where the frame at the start of `bytes` stands under `profile`;
    /// `bytes` start where the last call's did until that frame is whole
    /// or rejected.
    pub(crate) fn check(&mut self, profile: &Profile, bytes: &[u8], role: Role) -> ProfileCheck {
        let checked = profile.check_front(bytes, role, &mut self.scanned, &mut self.placed);
        if !matches!(checked, ProfileCheck::Wanting { .. }) {
            self.scanned = 0;
        }
        checked
    }
}

/// What a finished walk found: the frame's length and the first fault.
struct Walked {
    len: usize,
    fault: Option<FieldFault>,
}

impl Profile {
    /// Whether `bytes` begin with a whole frame of this profile. `scanned`
    /// carries, from one check of the same frame to the next, how far a
    /// delimiter was looked for (0 for bytes never seen); `placed` is
    /// scratch room, reused so a check allocates nothing once warm.
    pub(crate) fn check_front(
        &self,
        bytes: &[u8],
        role: Role,
        scanned: &mut usize,
        placed: &mut Vec<Placed>,
    ) -> ProfileCheck {
        let (region, len) = match &self.framing {
            Framing::Fields => {
                return match self.walk(bytes, role, None, placed) {
                    Ok(walked) => self.finish(bytes, walked, placed),
                    Err(Stop::Need(total)) => ProfileCheck::Wanting {
                        more: total.saturating_sub(bytes.len()).min(MAX_RESERVE_AHEAD),
                    },
                    Err(Stop::Broken(fault)) => ProfileCheck::Broken { fault },
                };
            }
            Framing::Fixed(size) => {
                if bytes.len() < *size {
                    return ProfileCheck::Wanting {
                        more: (size - bytes.len()).min(MAX_RESERVE_AHEAD),
                    };
                }
                (*size, *size)
            }
            Framing::Delimiter(delimiters) => match find_delimiter(bytes, delimiters, *scanned) {
                Some((region, len)) => {
                    *scanned = 0;
                    (region, len)
                }
                None => {
                    *scanned = bytes.len();
                    if bytes.len() as u64 >= self.max_frame {
                        return ProfileCheck::Broken {
                            fault: frame_fault(FieldProblem::NoDelimiter {
                                limit: self.max_frame,
                            }),
                        };
                    }
                    return ProfileCheck::Wanting { more: 0 };
                }
            },
            Framing::Raw => return ProfileCheck::Whole { len: bytes.len() },
            // What is given is one datagram: the frame ends where it does.
            Framing::Datagram => (bytes.len(), bytes.len()),
            Framing::Resp => return super::resp::check(bytes, self.max_frame),
            Framing::JsonHeader => {
                return match check_frame(bytes, FrameSoFar::Nothing, self.max_frame) {
                    Ok(FrameCheck::Whole { len, .. }) => ProfileCheck::Whole { len },
                    Ok(FrameCheck::Wanting { more, .. }) => ProfileCheck::Wanting { more },
                    Err((part, reason)) => ProfileCheck::Broken {
                        fault: FieldFault {
                            field: part.to_string(),
                            offset: 0,
                            problem: FieldProblem::Json {
                                detail: reason.to_string(),
                            },
                        },
                    },
                };
            }
        };
        match self.walk(&bytes[..region], role, Some(region), placed) {
            Ok(walked) => {
                let checked = self.finish(&bytes[..region], walked, placed);
                match checked {
                    ProfileCheck::Whole { .. } => ProfileCheck::Whole { len },
                    ProfileCheck::Rejected { fault, .. } => ProfileCheck::Rejected { len, fault },
                    other => other,
                }
            }
            // Inside a region whose end is known, a field wanting more
            // bytes than are left is the frame's fault.
            Err(Stop::Need(total)) => ProfileCheck::Rejected {
                len,
                fault: frame_fault(FieldProblem::Overrun {
                    needed: total as u64,
                    left: region as u64,
                }),
            },
            Err(Stop::Broken(fault)) => ProfileCheck::Rejected { len, fault },
        }
    }

    /// A whole frame, checked: consts and lengths from the walk, then
    /// checksums, text and JSON.
    fn finish(&self, bytes: &[u8], walked: Walked, placed: &[Placed]) -> ProfileCheck {
        let fault = walked.fault.or_else(|| self.validate(bytes, placed));
        match fault {
            None => ProfileCheck::Whole { len: walked.len },
            Some(fault) => ProfileCheck::Rejected {
                len: walked.len,
                fault,
            },
        }
    }

    /// The checks that need the whole frame: checksums, text, JSON.
    fn validate(&self, bytes: &[u8], placed: &[Placed]) -> Option<FieldFault> {
        for place in placed {
            let field = &self.fields[place.field];
            let fault = |problem| {
                Some(FieldFault {
                    field: field.name.clone(),
                    offset: place.start as u64,
                    problem,
                })
            };
            let span = &bytes[place.start..place.end];
            if let Some(job) = &field.checksum {
                let pieces = placed
                    .iter()
                    .filter(|p| job.over.contains(&p.field))
                    .map(|p| &bytes[p.start..p.end]);
                let expected = job.algorithm.of(pieces);
                let found = place.number.unwrap_or_default();
                if expected != found {
                    return fault(FieldProblem::Checksum {
                        algorithm: job.name.clone(),
                        width: job.algorithm.width(),
                        expected,
                        found,
                    });
                }
            }
            match field.kind {
                Kind::Str if field.encoding.is_utf8() => {
                    if let Err(error) = std::str::from_utf8(span) {
                        return fault(FieldProblem::Text {
                            valid_up_to: error.valid_up_to() as u64,
                        });
                    }
                }
                Kind::Str if field.encoding.decode(span).malformed => {
                    return fault(FieldProblem::NotInEncoding {
                        encoding: field.encoding.name().to_owned(),
                    });
                }
                Kind::Json => {
                    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(span) {
                        return fault(FieldProblem::Json {
                            detail: error.to_string(),
                        });
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether a field's condition holds, given the fields placed so far.
    fn holds(&self, when: &When, placed: &[Placed], role: Role) -> bool {
        when.holds(&self.fields, role, |index| {
            placed
                .iter()
                .rev()
                .find(|p| p.field == index)
                .and_then(|p| p.number)
        })
    }

    /// Walks the fields over `bytes`. `end` is the frame's end when the
    /// framing already knows it; else a `length_of = "rest"` field gives it,
    /// or the last field does.
    fn walk(
        &self,
        bytes: &[u8],
        role: Role,
        mut end: Option<usize>,
        placed: &mut Vec<Placed>,
    ) -> Result<Walked, Stop> {
        placed.clear();
        let mut pos = 0usize;
        let mut fault: Option<FieldFault> = None;
        let max = usize::try_from(self.max_frame).unwrap_or(usize::MAX);
        for (index, field) in self.fields.iter().enumerate() {
            if let Some(when) = &field.when
                && !self.holds(when, placed, role)
            {
                continue;
            }
            let at = |problem| FieldFault {
                field: field.name.clone(),
                offset: pos as u64,
                problem,
            };
            let limit = end.unwrap_or(bytes.len()).min(bytes.len());
            let mut varint = None;
            let size = match field.size {
                Size::Fixed(size) => size,
                Size::Varint => {
                    let Kind::Varint(max_bytes) = field.kind else {
                        unreachable!("only varints are sized as varints")
                    };
                    match read_varint(&bytes[pos.min(limit)..limit], max_bytes) {
                        VarintRead::Done { value, len } => {
                            varint = Some(value);
                            len
                        }
                        VarintRead::Short(have) if end.is_none_or(|e| e > bytes.len()) => {
                            return Err(Stop::Need(pos + have + 1));
                        }
                        VarintRead::Short(have) => {
                            fault.get_or_insert(at(FieldProblem::Overrun {
                                needed: have as u64 + 1,
                                left: have as u64,
                            }));
                            break;
                        }
                        VarintRead::TooLong => {
                            return Err(Stop::Broken(at(FieldProblem::Varint { max_bytes })));
                        }
                    }
                }
                Size::FromLength(length) => {
                    let claimed = placed
                        .iter()
                        .rev()
                        .find(|p| p.field == length)
                        .and_then(|p| p.number)
                        .unwrap_or(0);
                    let others = self.covered_others(length, index, placed, role);
                    match claimed.checked_sub(others as u64) {
                        Some(size) => usize::try_from(size).unwrap_or(usize::MAX),
                        None => {
                            let length_field = &self.fields[length];
                            let start = placed
                                .iter()
                                .find(|p| p.field == length)
                                .map_or(0, |p| p.start);
                            return Err(Stop::Broken(FieldFault {
                                field: length_field.name.clone(),
                                offset: start as u64,
                                problem: FieldProblem::LengthShort {
                                    length: claimed,
                                    needed: others as u64,
                                },
                            }));
                        }
                    }
                }
                Size::Remainder => {
                    let frame_end = end.unwrap_or(bytes.len());
                    let trailer = self.trailer_after(index);
                    match frame_end.checked_sub(pos + trailer) {
                        Some(size) => size,
                        None => {
                            fault.get_or_insert(at(FieldProblem::Overrun {
                                needed: trailer as u64,
                                left: frame_end.saturating_sub(pos) as u64,
                            }));
                            break;
                        }
                    }
                }
            };
            let field_end = pos.saturating_add(size);
            if field_end > max {
                return Err(Stop::Broken(at(FieldProblem::TooLong {
                    length: field_end as u64,
                    limit: self.max_frame,
                })));
            }
            if let Some(frame_end) = end
                && field_end > frame_end
            {
                fault.get_or_insert(at(FieldProblem::Overrun {
                    needed: size as u64,
                    left: frame_end.saturating_sub(pos) as u64,
                }));
                break;
            }
            if field_end > bytes.len() {
                return Err(Stop::Need(field_end));
            }
            let span = &bytes[pos..field_end];
            let number = varint.or_else(|| read_number(field.kind, field.endian, span));
            placed.push(Placed {
                field: index,
                start: pos,
                end: field_end,
                number,
            });
            if let Some(constant) = &field.constant
                && let Some(found) = self.differs(field.kind, constant, number, span)
            {
                fault.get_or_insert(at(FieldProblem::Const {
                    expected: show_constant(constant),
                    found,
                }));
            }
            if field.length == Some(Covers::Rest) {
                let claimed = number.unwrap_or(0);
                let total = (field_end as u64).saturating_add(claimed);
                if total > self.max_frame {
                    return Err(Stop::Broken(at(FieldProblem::TooLong {
                        length: total,
                        limit: self.max_frame,
                    })));
                }
                let total = total as usize;
                match end {
                    None => end = Some(total),
                    Some(frame_end) if frame_end != total => {
                        fault.get_or_insert(at(FieldProblem::Overrun {
                            needed: claimed,
                            left: frame_end.saturating_sub(field_end) as u64,
                        }));
                    }
                    Some(_) => {}
                }
                if total > bytes.len() {
                    return Err(Stop::Need(total));
                }
            }
            pos = field_end;
        }
        let len = match end {
            Some(frame_end) => {
                if pos < frame_end && fault.is_none() && placed.last().is_some_and(|p| p.end == pos)
                {
                    fault = Some(FieldFault {
                        field: "frame".into(),
                        offset: pos as u64,
                        problem: FieldProblem::Trailing {
                            extra: (frame_end - pos) as u64,
                        },
                    });
                }
                frame_end
            }
            None => pos,
        };
        Ok(Walked { len, fault })
    }

    /// The bytes the other fields a length covers take, seen from the
    /// variable field at `index`: those placed, and the fixed ones still
    /// to come whose condition holds.
    fn covered_others(&self, length: usize, index: usize, placed: &[Placed], role: Role) -> usize {
        let Some(Covers::Fields(covered)) = &self.fields[length].length else {
            return 0;
        };
        covered
            .iter()
            .filter(|&&other| other != index)
            .map(|&other| {
                if let Some(p) = placed.iter().find(|p| p.field == other) {
                    return p.end - p.start;
                }
                let field = &self.fields[other];
                let present = other > index
                    && field
                        .when
                        .as_ref()
                        .is_none_or(|when| self.holds(when, placed, role));
                match (present, field.size) {
                    (true, Size::Fixed(size)) => size,
                    _ => 0,
                }
            })
            .sum()
    }

    /// The fixed bytes after the field at `index` (which takes the rest).
    fn trailer_after(&self, index: usize) -> usize {
        self.fields[index + 1..]
            .iter()
            .map(|field| match field.size {
                Size::Fixed(size) => size,
                _ => 0,
            })
            .sum()
    }

    /// The found value, in words, when a constant field's bytes differ.
    fn differs(
        &self,
        kind: Kind,
        constant: &Value,
        number: Option<u64>,
        span: &[u8],
    ) -> Option<String> {
        match constant {
            Value::Bytes(expected) => {
                (span != expected.as_slice()).then(|| crate::engine::protocol::hex::to_hex(span))
            }
            Value::Text(expected) => {
                (span != expected.as_bytes()).then(|| String::from_utf8_lossy(span).into_owned())
            }
            _ => {
                let expected = constant.as_u64();
                (number != expected).then(|| match kind {
                    Kind::Int(_) => (number.unwrap_or(0) as i64).to_string(),
                    _ => format!("0x{:02X}", number.unwrap_or(0)),
                })
            }
        }
    }

    /// `bytes` cut into the profile's frames, each whole and keeping the
    /// profile; else what is wrong, in words.
    pub fn cut_frames(&self, bytes: &[u8], role: Role) -> Result<Vec<Vec<u8>>, String> {
        let mut frames = Vec::new();
        let mut at = 0;
        let mut placed = Vec::new();
        while at < bytes.len() {
            let mut scanned = 0;
            match self.check_front(&bytes[at..], role, &mut scanned, &mut placed) {
                ProfileCheck::Whole { len } if len > 0 => {
                    frames.push(bytes[at..at + len].to_vec());
                    at += len;
                }
                ProfileCheck::Whole { .. } => return Err("an empty frame".into()),
                ProfileCheck::Wanting { .. } => {
                    return Err(format!(
                        "the last {} bytes are not a whole frame",
                        bytes.len() - at
                    ));
                }
                ProfileCheck::Rejected { fault, .. } | ProfileCheck::Broken { fault } => {
                    return Err(format!("frame at byte {at}: {fault}"));
                }
            }
        }
        if frames.is_empty() {
            return Err("no bytes".into());
        }
        Ok(frames)
    }

    /// The fields of a whole frame (or as much of one as there is), with
    /// the first way it breaks the profile.
    pub fn decode(&self, bytes: &[u8], role: Role) -> (Vec<DecodedField>, Option<FieldFault>) {
        match self.framing {
            Framing::JsonHeader => return (json_header_fields(bytes), None),
            Framing::Resp => return super::resp::fields(bytes, self.max_frame),
            _ => {}
        }
        let region = match &self.framing {
            Framing::Delimiter(delimiters) => delimiters
                .iter()
                .filter(|d| bytes.ends_with(d))
                .map(|d| bytes.len() - d.len())
                .min()
                .unwrap_or(bytes.len()),
            Framing::Fixed(size) => bytes.len().min(*size),
            _ => bytes.len(),
        };
        let bytes = &bytes[..region];
        let end = (self.framing != Framing::Fields).then_some(region);
        let mut placed = Vec::with_capacity(self.fields.len());
        let fault = match self.walk(bytes, role, end, &mut placed) {
            Ok(walked) => walked.fault.or_else(|| self.validate(bytes, &placed)),
            Err(Stop::Need(total)) => {
                let last = placed.last().map_or(0, |p| p.end);
                Some(frame_fault(FieldProblem::Overrun {
                    needed: (total - last) as u64,
                    left: (bytes.len() - last) as u64,
                }))
                .map(|mut fault| {
                    fault.offset = last as u64;
                    if let Some(next) = self.next_field_name(&placed) {
                        fault.field = next;
                    }
                    fault
                })
            }
            Err(Stop::Broken(fault)) => Some(fault),
        };
        (self.named(bytes, &placed), fault)
    }

    /// The name of the field after the last one placed.
    fn next_field_name(&self, placed: &[Placed]) -> Option<String> {
        let next = placed.last().map_or(0, |p| p.field + 1);
        self.fields.get(next).map(|f| f.name.clone())
    }

    /// The placed fields as named values, bits sub-fields after their container.
    fn named(&self, bytes: &[u8], placed: &[Placed]) -> Vec<DecodedField> {
        let mut out = Vec::with_capacity(placed.len());
        for place in placed {
            let field = &self.fields[place.field];
            let span = &bytes[place.start..place.end];
            let value = match field.kind {
                Kind::Uint(_) | Kind::Varint(_) => Value::Uint(place.number.unwrap_or(0)),
                Kind::Int(_) => Value::Int(place.number.unwrap_or(0) as i64),
                Kind::F32 => {
                    Value::Float(f64::from(f32::from_bits(place.number.unwrap_or(0) as u32)))
                }
                Kind::F64 => Value::Float(f64::from_bits(place.number.unwrap_or(0))),
                Kind::Bytes => Value::Bytes(span.to_vec()),
                Kind::Str => Value::Text(field.encoding.decode(span).text.into_owned()),
                Kind::Json => serde_json::from_slice(span).map_or_else(
                    |_| Value::Text(String::from_utf8_lossy(span).into_owned()),
                    Value::Json,
                ),
            };
            let label = field
                .enum_table
                .zip(value.as_u64())
                .and_then(|(table, v)| self.enums[table].label(v))
                .map(str::to_owned);
            out.push(DecodedField {
                name: field.name.clone(),
                value,
                label,
                offset: place.start,
                len: span.len(),
                bits: None,
                derived: field.is_computed() || !field.bits.is_empty(),
            });
            // A JSON document's keys are fields in their own right.
            if let Value::Json(serde_json::Value::Object(_)) = &out.last().expect("pushed").value {
                out.extend(json_keys(&field.name, span, place.start));
            }
            let container = place.number.unwrap_or(0);
            for bits in &field.bits {
                let value = bits.of(container);
                out.push(DecodedField {
                    name: bits.name.clone(),
                    value: Value::Uint(value),
                    label: bits
                        .enum_table
                        .and_then(|t| self.enums[t].label(value))
                        .map(str::to_owned),
                    offset: place.start,
                    len: span.len(),
                    bits: Some((bits.shift, bits.width)),
                    derived: false,
                });
            }
        }
        out
    }
}

/// The keys of the JSON object in `span` (a field `name` at `offset` in
/// its frame) as fields `name.KEY`, each spanning its value's bytes.
fn json_keys(name: &str, span: &[u8], offset: usize) -> Vec<DecodedField> {
    let Ok(raw) = serde_json::from_slice::<
        std::collections::BTreeMap<String, &serde_json::value::RawValue>,
    >(span) else {
        return Vec::new();
    };
    let base = span.as_ptr() as usize;
    let mut keys: Vec<DecodedField> = raw
        .into_iter()
        .map(|(key, raw)| {
            let text = raw.get();
            let value = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Number(n)) if n.is_u64() => {
                    Value::Uint(n.as_u64().unwrap_or(0))
                }
                Ok(serde_json::Value::Number(n)) if n.is_i64() => {
                    Value::Int(n.as_i64().unwrap_or(0))
                }
                Ok(serde_json::Value::Number(n)) => Value::Float(n.as_f64().unwrap_or(0.0)),
                Ok(serde_json::Value::String(text)) => Value::Text(text),
                Ok(other) => Value::Json(other),
                Err(_) => Value::Text(text.to_owned()),
            };
            DecodedField {
                name: format!("{name}.{key}"),
                value,
                label: None,
                offset: offset + (text.as_ptr() as usize - base),
                len: text.len(),
                bits: None,
                // Part of the document the field holds, not typed apart.
                derived: true,
            }
        })
        .collect();
    keys.sort_by_key(|key| key.offset);
    keys
}

/// A fault of the frame as a whole.
fn frame_fault(problem: FieldProblem) -> FieldFault {
    FieldFault {
        field: "frame".into(),
        offset: 0,
        problem,
    }
}

/// The constant as the profile writes it.
fn show_constant(constant: &Value) -> String {
    match constant {
        Value::Uint(value) => format!("0x{value:02X}"),
        Value::Bytes(bytes) => crate::engine::protocol::hex::to_hex(bytes),
        other => other.to_string(),
    }
}

/// The earliest delimiter to end in `bytes`, looking from `scanned` (less
/// the longest delimiter, so one split across reads is found): the bytes
/// before it and the frame's length with it.
fn find_delimiter(bytes: &[u8], delimiters: &[Vec<u8>], scanned: usize) -> Option<(usize, usize)> {
    let longest = delimiters.iter().map(Vec::len).max().unwrap_or(1);
    let from = scanned.saturating_sub(longest - 1).min(bytes.len());
    delimiters
        .iter()
        .filter_map(|delimiter| {
            memchr::memmem::find(&bytes[from..], delimiter)
                .map(|at| (from + at, from + at + delimiter.len(), delimiter.len()))
        })
        // The earliest end; at the same end, the longest delimiter.
        .min_by_key(|&(_, end, len)| (end, std::cmp::Reverse(len)))
        .map(|(start, end, _)| (start, end))
}

/// How reading a varint went.
enum VarintRead {
    Done {
        value: u64,
        len: usize,
    },
    /// Only this many bytes, each saying more follow.
    Short(usize),
    TooLong,
}

/// Reads an LEB128 varint of at most `max_bytes` bytes.
fn read_varint(bytes: &[u8], max_bytes: u8) -> VarintRead {
    let mut value: u64 = 0;
    for (index, byte) in bytes.iter().enumerate() {
        if index >= usize::from(max_bytes) {
            return VarintRead::TooLong;
        }
        let shift = 7 * index as u32;
        let part = u64::from(byte & 0x7f);
        if shift >= 64 || (shift > 0 && part >> (64 - shift) != 0) {
            return VarintRead::TooLong;
        }
        value |= part << shift;
        if byte & 0x80 == 0 {
            return VarintRead::Done {
                value,
                len: index + 1,
            };
        }
    }
    if bytes.len() >= usize::from(max_bytes) {
        VarintRead::TooLong
    } else {
        VarintRead::Short(bytes.len())
    }
}

/// An integer field's value (a float's bits), from its bytes.
pub(crate) fn read_number(kind: Kind, endian: Endian, span: &[u8]) -> Option<u64> {
    let width = match kind {
        Kind::Uint(width) | Kind::Int(width) => usize::from(width),
        Kind::F32 => 4,
        Kind::F64 => 8,
        _ => return None,
    };
    let span = span.get(..width)?;
    let mut value: u64 = 0;
    match endian {
        Endian::Big => span
            .iter()
            .for_each(|b| value = (value << 8) | u64::from(*b)),
        Endian::Little => span
            .iter()
            .rev()
            .for_each(|b| value = (value << 8) | u64::from(*b)),
    }
    if let Kind::Int(width) = kind
        && width < 8
    {
        let shift = 64 - 8 * u32::from(width);
        value = (((value << shift) as i64) >> shift) as u64;
    }
    Some(value)
}

/// The JSON-header frame's three parts, as fields.
fn json_header_fields(bytes: &[u8]) -> Vec<DecodedField> {
    let mut out = Vec::new();
    let Some(header_len) = declared_header_len(bytes) else {
        return out;
    };
    out.push(DecodedField {
        name: "proto_header".into(),
        value: Value::Uint(header_len as u64),
        label: None,
        offset: 0,
        len: PROTO_HEADER_LEN,
        bits: None,
        derived: false,
    });
    let header_end = (PROTO_HEADER_LEN + header_len).min(bytes.len());
    let header = &bytes[PROTO_HEADER_LEN..header_end];
    out.push(DecodedField {
        name: "header".into(),
        value: serde_json::from_slice(header).map_or_else(
            |_| Value::Text(String::from_utf8_lossy(header).into_owned()),
            Value::Json,
        ),
        label: None,
        offset: PROTO_HEADER_LEN,
        len: header.len(),
        bits: None,
        derived: false,
    });
    out.push(DecodedField {
        name: "content".into(),
        value: Value::Bytes(bytes[header_end..].to_vec()),
        label: None,
        offset: header_end,
        len: bytes.len() - header_end,
        bits: None,
        derived: false,
    });
    out
}
