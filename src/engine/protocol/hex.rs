//! Bytes as hex text and back: how the command line, scenario files and
//! the composer write bytes, and how logs and the window show them.

use std::fmt::Write as _;

/// Why hex text could not be read as bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is not a hex digit.
    #[error("'{character}' at position {position} is not a hex digit")]
    BadDigit {
        /// The character.
        character: char,
        /// Its position (in characters) in the text.
        position: usize,
    },
    /// An odd number of hex digits.
    #[error("odd number of hex digits ({0}): each byte needs two")]
    OddLength(usize),
}

/// Bytes as lowercase hex pairs separated by spaces (`"00 1a ff"`), as
/// [`parse_hex`] reads them back.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Reads hex text such as `"00 1a ff"`, `"001aff"` or `"0x00, 0x1a"`:
/// whitespace, commas and `0x` prefixes are ignored.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut digits = Vec::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut position = 0;
    while position < chars.len() {
        let character = chars[position];
        if character == '0' && matches!(chars.get(position + 1), Some('x' | 'X')) {
            position += 2;
            continue;
        }
        if character.is_whitespace() || character == ',' {
            position += 1;
            continue;
        }
        let digit = character.to_digit(16).ok_or(HexError::BadDigit {
            character,
            position,
        })?;
        digits.push(digit as u8);
        position += 1;
    }
    if digits.len() % 2 == 1 {
        return Err(HexError::OddLength(digits.len()));
    }
    Ok(digits
        .chunks(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect())
}
