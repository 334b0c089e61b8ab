//! Redis's protocol (RESP2 and RESP3), which fields cannot describe: a
//! frame is one value, and an array holds values of its own, to any depth.
//! The check counts the values still owed instead of recursing, so depth
//! costs nothing; every length is bounded by the profile's `max_frame`.

use super::fault::{FieldFault, FieldProblem};
use super::value::Value;
use super::walk::{DecodedField, ProfileCheck};

/// The most elements of a frame [`fields`] names.
const MAX_NAMED: usize = 1000;

/// Where a RESP value at the front of `bytes` ends.
pub(super) fn check(bytes: &[u8], max_frame: u64) -> ProfileCheck {
    match scan(bytes, max_frame, |_| {}) {
        Ok(Some(len)) => ProfileCheck::Whole { len },
        Ok(None) => ProfileCheck::Wanting { more: 0 },
        Err(fault) => ProfileCheck::Broken { fault },
    }
}

/// One value's header line: its type byte, its line and where the next
/// value starts.
struct Item<'a> {
    kind: u8,
    line: &'a [u8],
    start: usize,
    /// Its bulk payload, if it has one.
    payload: Option<std::ops::Range<usize>>,
    /// How many values it holds (aggregates), once counted.
    holds: u64,
}

/// Walks one whole value, calling `visit` for each item in order: the
/// frame's length, `None` while it is not all there.
fn scan(
    bytes: &[u8],
    max_frame: u64,
    mut visit: impl FnMut(&Item<'_>),
) -> Result<Option<usize>, FieldFault> {
    let fault = |offset: usize, problem| FieldFault {
        field: "resp".into(),
        offset: offset as u64,
        problem,
    };
    let too_long = |length: u64| FieldProblem::TooLong {
        length,
        limit: max_frame,
    };
    let mut pos = 0usize;
    let mut owed: u64 = 1;
    while owed > 0 {
        let Some(&kind) = bytes.get(pos) else {
            return Ok(None);
        };
        // The line after the type byte (a type byte of `\r` is no CRLF of its own).
        let Some(eol) = memchr::memmem::find(&bytes[pos + 1..], b"\r\n").map(|at| pos + 1 + at)
        else {
            if (bytes.len() - pos) as u64 > max_frame {
                return Err(fault(pos, too_long(bytes.len() as u64)));
            }
            return Ok(None);
        };
        let line = &bytes[pos + 1..eol];
        let next = eol + 2;
        owed -= 1;
        let count = || -> Result<i64, FieldFault> {
            std::str::from_utf8(line)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .ok_or_else(|| {
                    fault(
                        pos,
                        FieldProblem::Json {
                            detail: format!(
                                "RESP length \"{}\" is not a number",
                                String::from_utf8_lossy(line)
                            ),
                        },
                    )
                })
        };
        let mut item = Item {
            kind,
            line,
            start: pos,
            payload: None,
            holds: 0,
        };
        match kind {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => pos = next,
            b'$' | b'!' | b'=' => {
                let n = count()?;
                if n < 0 {
                    pos = next;
                } else {
                    let end = (next as u64).saturating_add(n as u64 + 2);
                    if end > max_frame {
                        return Err(fault(item.start, too_long(end)));
                    }
                    let end = end as usize;
                    if end > bytes.len() {
                        return Ok(None);
                    }
                    if &bytes[end - 2..end] != b"\r\n" {
                        return Err(fault(
                            end - 2,
                            FieldProblem::Json {
                                detail: "a bulk string does not end with CRLF".into(),
                            },
                        ));
                    }
                    item.payload = Some(next..end - 2);
                    pos = end;
                }
            }
            b'*' | b'~' | b'>' | b'%' | b'|' => {
                let n = count()?.max(0) as u64;
                let values = match kind {
                    b'%' => n.saturating_mul(2),
                    // An attribute's pairs come before the value it describes.
                    b'|' => n.saturating_mul(2) + 1,
                    _ => n,
                };
                // Each value owed takes at least 3 bytes.
                if values.saturating_mul(3) > max_frame {
                    return Err(fault(item.start, too_long(values.saturating_mul(3))));
                }
                item.holds = values;
                owed += values;
                pos = next;
            }
            // An inline command (`PING\r\n`), as redis-server accepts one.
            _ if pos == 0 => pos = next,
            _ => {
                return Err(fault(
                    pos,
                    FieldProblem::Json {
                        detail: format!("0x{kind:02x} is not a RESP type"),
                    },
                ));
            }
        }
        visit(&item);
    }
    Ok(Some(pos))
}

/// The name of a RESP type byte.
fn type_name(kind: u8) -> &'static str {
    match kind {
        b'+' => "simple-string",
        b'-' => "error",
        b':' => "integer",
        b'$' => "bulk-string",
        b'*' => "array",
        b'_' => "null",
        b',' => "double",
        b'#' => "boolean",
        b'(' => "big-number",
        b'!' => "bulk-error",
        b'=' => "verbatim-string",
        b'~' => "set",
        b'%' => "map",
        b'|' => "attribute",
        b'>' => "push",
        _ => "inline-command",
    }
}

/// A RESP frame's values as fields: the top value's `type`, then each
/// value by its place (`[0]`, `[1][0]`), at most the first thousand.
pub(super) fn fields(bytes: &[u8], max_frame: u64) -> (Vec<DecodedField>, Option<FieldFault>) {
    let mut out = Vec::new();
    // The path to the value being read: for each open aggregate, the
    // index of its next value and how many it holds.
    let mut path: Vec<(u64, u64)> = Vec::new();
    let visited = scan(bytes, max_frame, |item| {
        if out.len() >= MAX_NAMED {
            return;
        }
        let name = if path.is_empty() {
            "value".to_owned()
        } else {
            path.iter().map(|(index, _)| format!("[{index}]")).collect()
        };
        let end = item
            .payload
            .as_ref()
            .map_or(item.start + item.line.len() + 3, |p| p.end + 2);
        let value = match &item.payload {
            Some(payload) => {
                let data = &bytes[payload.clone()];
                match std::str::from_utf8(data) {
                    Ok(text) => Value::Text(text.to_owned()),
                    Err(_) => Value::Bytes(data.to_vec()),
                }
            }
            None if item.holds > 0 || matches!(item.kind, b'*' | b'~' | b'>' | b'%' | b'|') => {
                Value::Uint(item.holds)
            }
            None if item.kind == b':' => std::str::from_utf8(item.line)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .map_or_else(
                    || Value::Text(String::from_utf8_lossy(item.line).into()),
                    Value::Int,
                ),
            None if matches!(item.kind, b'+' | b'-' | b',' | b'#' | b'(' | b'_') => {
                Value::Text(String::from_utf8_lossy(item.line).into_owned())
            }
            None => Value::Text(String::from_utf8_lossy(&bytes[item.start..end - 2]).into_owned()),
        };
        out.push(DecodedField {
            name,
            value,
            label: Some(type_name(item.kind).to_owned()),
            offset: item.start,
            len: end - item.start,
            bits: None,
            derived: false,
        });
        // Step the path: this value is done, or opens an aggregate.
        if item.holds > 0 {
            path.push((0, item.holds));
        } else {
            while let Some((index, holds)) = path.last_mut() {
                *index += 1;
                if *index < *holds {
                    break;
                }
                path.pop();
            }
        }
    });
    let fault = match visited {
        Ok(Some(_)) => None,
        Ok(None) => Some(FieldFault {
            field: "resp".into(),
            offset: bytes.len() as u64,
            problem: FieldProblem::Overrun { needed: 1, left: 0 },
        }),
        Err(fault) => Some(fault),
    };
    (out, fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 1 << 20;

    #[test]
    fn a_value_is_whole_only_when_every_nested_value_came() {
        let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for cut in 0..set.len() {
            assert_eq!(
                check(&set[..cut], MAX),
                ProfileCheck::Wanting { more: 0 },
                "cut {cut}"
            );
        }
        assert_eq!(check(set, MAX), ProfileCheck::Whole { len: set.len() });
        let nested = b"*2\r\n*1\r\n:1\r\n$-1\r\n+OK\r\n";
        assert_eq!(check(nested, MAX), ProfileCheck::Whole { len: 17 });
        assert_eq!(check(b"PING\r\n", MAX), ProfileCheck::Whole { len: 6 });
        assert_eq!(
            check(b"%1\r\n+a\r\n:1\r\n", MAX),
            ProfileCheck::Whole { len: 12 }
        );
    }

    #[test]
    fn claims_past_the_limit_break_the_stream_before_their_bytes_arrive() {
        let ProfileCheck::Broken { fault } = check(b"$99999999\r\n", 1024) else {
            panic!("a bulk string past max_frame");
        };
        assert!(matches!(fault.problem, FieldProblem::TooLong { .. }));
        assert!(matches!(
            check(b"*99999999\r\n", 1024),
            ProfileCheck::Broken { .. }
        ));
        assert!(matches!(
            check(b"*1\r\n?x\r\n", 1024),
            ProfileCheck::Broken { .. }
        ));
    }

    #[test]
    fn values_are_named_by_their_place() {
        let (fields, fault) = fields(b"*2\r\n$3\r\nGET\r\n*1\r\n:42\r\n", MAX);
        assert_eq!(fault, None);
        let named: Vec<(&str, String, Option<&str>)> = fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.to_string(), f.label.as_deref()))
            .collect();
        assert_eq!(
            named,
            [
                ("value", "2".to_owned(), Some("array")),
                ("[0]", "\"GET\"".to_owned(), Some("bulk-string")),
                ("[1]", "1".to_owned(), Some("array")),
                ("[1][0]", "42".to_owned(), Some("integer")),
            ]
        );
        assert_eq!((fields[1].offset, fields[1].len), (4, 9));
    }
}
