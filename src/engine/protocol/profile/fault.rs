//! What is wrong with a frame under a profile: the field at fault, where
//! it is, and why.

/// Why a field broke its profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FieldProblem {
    /// A constant with another value.
    #[error("const: expected {expected}, got {found}")]
    Const {
        /// The value the profile says.
        expected: String,
        /// The value found.
        found: String,
    },
    /// A checksum that does not match the bytes it covers.
    #[error("checksum: expected {}, got {}", hex_of(*expected, *width), hex_of(*found, *width))]
    Checksum {
        /// The algorithm's name.
        algorithm: String,
        /// The field's width in bits.
        width: u8,
        /// The checksum of the bytes.
        expected: u64,
        /// The value in the field.
        found: u64,
    },
    /// A length that makes the frame longer than the profile allows.
    #[error("length makes a frame of {length} bytes, over the limit of {limit}")]
    TooLong {
        /// The frame's length, as the length field makes it.
        length: u64,
        /// The profile's `max_frame`.
        limit: u64,
    },
    /// A length smaller than the fixed fields it covers.
    #[error("length {length} is less than the {needed} bytes of fixed fields it covers")]
    LengthShort {
        /// The length.
        length: u64,
        /// The bytes its fixed fields take.
        needed: u64,
    },
    /// A field that runs past the frame's end.
    #[error("needs {needed} bytes, but the frame has {left} left")]
    Overrun {
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the frame.
        left: u64,
    },
    /// Bytes after the last field.
    #[error("{extra} bytes after the last field")]
    Trailing {
        /// How many.
        extra: u64,
    },
    /// A varint with more bytes than allowed.
    #[error("varint longer than {max_bytes} bytes")]
    Varint {
        /// The most it may have.
        max_bytes: u8,
    },
    /// Text that is not UTF-8.
    #[error("not UTF-8 (bad byte at {valid_up_to})")]
    Text {
        /// Valid bytes before the bad one.
        valid_up_to: u64,
    },
    /// Text that does not decode in the encoding its field names.
    #[error("not {encoding} text")]
    NotInEncoding {
        /// The encoding the field names.
        encoding: String,
    },
    /// A JSON field that does not parse.
    #[error("not JSON: {detail}")]
    Json {
        /// serde_json's words.
        detail: String,
    },
    /// No delimiter within the longest frame allowed.
    #[error("no delimiter within {limit} bytes")]
    NoDelimiter {
        /// The profile's `max_frame`.
        limit: u64,
    },
}

/// A checksum value in hex, as many digits as its width takes.
fn hex_of(value: u64, width: u8) -> String {
    let digits = usize::from(width.div_ceil(4)).max(2);
    format!("0x{value:0digits$X}")
}

/// A frame that broke its profile: which field, at which offset in the
/// frame, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{field} (frame offset {offset}): {problem}")]
pub struct FieldFault {
    /// The field's name (`frame` when no one field is at fault).
    pub field: String,
    /// Where the field begins in the frame.
    pub offset: u64,
    /// Why.
    pub problem: FieldProblem,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checksum_fault_reads_as_the_issue_writes_it() {
        let fault = FieldFault {
            field: "crc".into(),
            offset: 7,
            problem: FieldProblem::Checksum {
                algorithm: "CRC-16/MODBUS".into(),
                width: 16,
                expected: 0x1D63,
                found: 0,
            },
        };
        assert_eq!(
            fault.to_string(),
            "crc (frame offset 7): checksum: expected 0x1D63, got 0x0000"
        );
        let json = serde_json::to_value(&fault).unwrap();
        assert_eq!(json["problem"]["kind"], "checksum");
        assert_eq!(serde_json::from_value::<FieldFault>(json).unwrap(), fault);
    }
}
