//! Field values: what decoding gives and encoding takes, and how a person
//! writes one (`--field function=read-holding-registers`, `len=0x10`,
//! `payload="01 02"`, `text=hello`).

use crate::engine::protocol::hex::{parse_hex, to_hex};

use super::{EnumTable, Kind};

/// The value of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unsigned integer, a varint or bits.
    Uint(u64),
    /// A signed integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Bytes.
    Bytes(Vec<u8>),
    /// Text.
    Text(String),
    /// A JSON document.
    Json(serde_json::Value),
}

impl Value {
    /// The value as a whole number, for lengths, enums and conditions:
    /// a signed value as its two's complement bits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Uint(value) => Some(*value),
            Value::Int(value) => Some(*value as u64),
            _ => None,
        }
    }

    /// The value in a JSON log: numbers as numbers, bytes as hex text,
    /// text as text.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Uint(value) => (*value).into(),
            Value::Int(value) => (*value).into(),
            Value::Float(value) => serde_json::Number::from_f64(*value)
                .map_or_else(|| value.to_string().into(), serde_json::Value::Number),
            Value::Bytes(bytes) => to_hex(bytes).into(),
            Value::Text(text) => text.clone().into(),
            Value::Json(value) => value.clone(),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Uint(value) => write!(f, "{value}"),
            Value::Int(value) => write!(f, "{value}"),
            Value::Float(value) => write!(f, "{value}"),
            Value::Bytes(bytes) if bytes.is_empty() => f.write_str("(empty)"),
            Value::Bytes(bytes) => f.write_str(&to_hex(bytes)),
            Value::Text(text) => write!(f, "{text:?}"),
            Value::Json(value) => write!(f, "{value}"),
        }
    }
}

/// Reads a whole number: decimal, `-5`, `0x1F`, `0b101`.
pub(crate) fn parse_integer(text: &str) -> Option<i128> {
    let text = text.trim().replace('_', "");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(binary) = digits.strip_prefix("0b").or(digits.strip_prefix("0B")) {
        i128::from_str_radix(binary, 2).ok()?
    } else {
        digits.parse::<i128>().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The range of an integer of `bits` bits, signed or not.
pub(crate) fn integer_range(bits: u32, signed: bool) -> (i128, i128) {
    if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    }
}

/// Whether `text` is hex pairs separated by single spaces (`"01 02 ff"`).
fn is_spaced_hex(text: &str) -> bool {
    let pairs: Vec<&str> = text.split(' ').collect();
    pairs.len() >= 2
        && pairs
            .iter()
            .all(|pair| pair.len() == 2 && pair.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Reads a person's text as a value for a field of `kind` (an integer of
/// `bits` bits when a bits sub-field), naming enum values by `table`.
pub(crate) fn parse_value(
    text: &str,
    kind: Kind,
    bits: Option<u8>,
    table: Option<&EnumTable>,
) -> Result<Value, String> {
    let integer = |bits: u32, signed: bool| -> Result<Value, String> {
        let number = match table.and_then(|t| t.value_of(text.trim())) {
            Some(value) => i128::from(value),
            None => parse_integer(text).ok_or_else(|| match table {
                Some(table) => format!(
                    "\"{text}\" is neither a number nor a name in enum {} ({})",
                    table.name,
                    table
                        .entries
                        .iter()
                        .map(|(_, name)| name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!("\"{text}\" is not a number"),
            })?,
        };
        let (low, high) = integer_range(bits, signed);
        if number < low || number > high {
            return Err(format!(
                "{number} does not fit {bits} bits ({low}..={high})"
            ));
        }
        Ok(if signed {
            Value::Int(number as i64)
        } else {
            Value::Uint(number as u64)
        })
    };
    if let Some(width) = bits {
        return integer(u32::from(width), false);
    }
    match kind {
        Kind::Uint(bytes) => integer(u32::from(bytes) * 8, false),
        Kind::Int(bytes) => integer(u32::from(bytes) * 8, true),
        Kind::Varint(_) => integer(64, false),
        Kind::F32 | Kind::F64 => text
            .trim()
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("\"{text}\" is not a number")),
        Kind::Bytes => parse_bytes(text).map(Value::Bytes),
        Kind::Str => Ok(Value::Text(
            text.strip_prefix("text:").unwrap_or(text).to_owned(),
        )),
        Kind::Json => serde_json::from_str(text)
            .map(Value::Json)
            .map_err(|e| format!("not JSON: {e}")),
    }
}

/// Bytes as a person writes them: `0x0102`, `"01 02"`, `hex:0102`,
/// `text:...`, or else the text's UTF-8.
pub(crate) fn parse_bytes(text: &str) -> Result<Vec<u8>, String> {
    if let Some(rest) = text.strip_prefix("text:") {
        return Ok(rest.as_bytes().to_vec());
    }
    if let Some(rest) = text.strip_prefix("hex:") {
        return parse_hex(rest).map_err(|e| e.to_string());
    }
    if text.starts_with("0x") || text.starts_with("0X") || is_spaced_hex(text) {
        return parse_hex(text).map_err(|e| e.to_string());
    }
    Ok(text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_hex_only_when_they_say_so() {
        assert_eq!(parse_bytes("ab").unwrap(), b"ab");
        assert_eq!(parse_bytes("0xab").unwrap(), [0xab]);
        assert_eq!(parse_bytes("01 02 ff").unwrap(), [1, 2, 0xff]);
        assert_eq!(parse_bytes("text:0xab").unwrap(), b"0xab");
        assert_eq!(parse_bytes("hex:0a0b").unwrap(), [10, 11]);
        assert!(parse_bytes("0xag").is_err());
    }

    #[test]
    fn integers_are_range_checked_and_named() {
        let table = EnumTable {
            name: "kind".into(),
            entries: vec![(1, "ping".into()), (2, "Pong".into())],
        };
        let parse = |text| parse_value(text, Kind::Uint(1), None, Some(&table));
        assert_eq!(parse("ping"), Ok(Value::Uint(1)));
        assert_eq!(parse("pong"), Ok(Value::Uint(2)));
        assert_eq!(parse("0x1f"), Ok(Value::Uint(31)));
        assert_eq!(parse("0b101"), Ok(Value::Uint(5)));
        assert_eq!(
            parse("300").unwrap_err(),
            "300 does not fit 8 bits (0..=255)"
        );
        assert!(parse("pang").unwrap_err().contains("ping, Pong"));
        assert_eq!(
            parse_value("-5", Kind::Int(2), None, None),
            Ok(Value::Int(-5))
        );
        assert_eq!(
            parse_value("16", Kind::Uint(1), Some(4), None).unwrap_err(),
            "16 does not fit 4 bits (0..=15)"
        );
    }
}
