//! Where a load over UDP writes each datagram's sequence number, and reads
//! it back from the reply: what makes lost, duplicated and reordered
//! datagrams countable.
//!
//! Raw payloads carry it in their first 8 bytes, big-endian. The JSON
//! header's frames carry it as a header key of their own, `"seq"`, sixteen
//! hexadecimal digits: a fixed width, so every datagram of a fixed payload
//! has the same length, and an echo (or any reply that keeps the key)
//! gives it back.

/// The header key that carries a framed datagram's sequence number.
pub const SEQ_KEY: &str = "seq";
/// Bytes of a raw datagram that carry its sequence number.
pub const RAW_SEQ_LEN: usize = 8;
/// The key and its opening quote, as written at the header's start.
const KEY_TEXT: &[u8] = b"\"seq\": \"";
/// Hexadecimal digits of the number.
const DIGITS: usize = 16;

/// How a run's datagrams carry their sequence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceStamp {
    /// The first 8 bytes, big-endian.
    Raw,
    /// A `"seq"` key first in the JSON header.
    JsonHeader,
}

/// Why a payload cannot carry a sequence number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StampError {
    /// A raw payload shorter than the number.
    #[error(
        "a raw datagram of {len} bytes cannot carry its 8-byte sequence number: send at least 8"
    )]
    TooShort {
        /// The payload's length.
        len: usize,
    },
    /// A frame whose header is not a JSON object at its start.
    #[error("the frame's header is not a JSON object to put \"seq\" in")]
    NotAnObject,
    /// The header grown by the key would not fit its 2-byte length.
    #[error("the header is too long to take \"seq\" as well")]
    HeaderTooLong,
}

impl SequenceStamp {
    /// Appends to `out` the datagram `frame` becomes as number `seq`.
    pub fn stamp(self, frame: &[u8], seq: u64, out: &mut Vec<u8>) -> Result<(), StampError> {
        match self {
            Self::Raw => {
                if frame.len() < RAW_SEQ_LEN {
                    return Err(StampError::TooShort { len: frame.len() });
                }
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(&frame[RAW_SEQ_LEN..]);
            }
            Self::JsonHeader => {
                let header_len = frame
                    .get(..2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                    .ok_or(StampError::NotAnObject)?;
                let header = frame
                    .get(2..2 + header_len)
                    .ok_or(StampError::NotAnObject)?;
                if header.first() != Some(&b'{') {
                    return Err(StampError::NotAnObject);
                }
                let empty = header[1..]
                    .iter()
                    .all(|b| b.is_ascii_whitespace() || *b == b'}');
                let added = KEY_TEXT.len() + DIGITS + 1 + if empty { 0 } else { 2 };
                let new_len =
                    u16::try_from(header_len + added).map_err(|_| StampError::HeaderTooLong)?;
                out.extend_from_slice(&new_len.to_be_bytes());
                out.push(b'{');
                out.extend_from_slice(KEY_TEXT);
                out.extend_from_slice(format!("{seq:016x}").as_bytes());
                out.push(b'"');
                if !empty {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(&header[1..]);
                out.extend_from_slice(&frame[2 + header_len..]);
            }
        }
        Ok(())
    }

    /// The sequence number a reply carries, if it carries one.
    pub fn read(self, reply: &[u8]) -> Option<u64> {
        match self {
            Self::Raw => reply
                .get(..RAW_SEQ_LEN)
                .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes"))),
            Self::JsonHeader => {
                let header_len = usize::from(u16::from_be_bytes([*reply.first()?, *reply.get(1)?]));
                let header = reply.get(2..2 + header_len)?;
                let at =
                    header.windows(KEY_TEXT.len()).position(|w| w == KEY_TEXT)? + KEY_TEXT.len();
                let digits = std::str::from_utf8(header.get(at..at + DIGITS)?).ok()?;
                u64::from_str_radix(digits, 16).ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::protocol::codec::FrameCodec;
    use crate::engine::protocol::frame::FrameBuilder;

    #[test]
    fn a_framed_datagram_carries_its_number_in_a_valid_header() {
        let frame = FrameBuilder::new().content("hello").build().unwrap();
        let mut out = Vec::new();
        SequenceStamp::JsonHeader
            .stamp(&frame, 0x2a, &mut out)
            .unwrap();
        let mut buf = bytes::BytesMut::from(&out[..]);
        let decoded = FrameCodec::new(1 << 20).decode(&mut buf).unwrap().unwrap();
        assert!(buf.is_empty(), "one whole frame");
        assert_eq!(decoded.header()[SEQ_KEY], "000000000000002a");
        assert_eq!(&decoded.content()[..], b"hello");
        assert_eq!(SequenceStamp::JsonHeader.read(&out), Some(0x2a));
        // Every number has the same width.
        let mut other = Vec::new();
        SequenceStamp::JsonHeader
            .stamp(&frame, u64::MAX, &mut other)
            .unwrap();
        assert_eq!(other.len(), out.len());
        assert_eq!(SequenceStamp::JsonHeader.read(&other), Some(u64::MAX));
    }

    #[test]
    fn an_empty_header_takes_the_key_alone() {
        let frame = [0, 2, b'{', b'}'];
        let mut out = Vec::new();
        SequenceStamp::JsonHeader
            .stamp(&frame, 7, &mut out)
            .unwrap();
        let header = std::str::from_utf8(&out[2..]).unwrap();
        let value: serde_json::Value = serde_json::from_str(header).unwrap();
        assert_eq!(value["seq"], "0000000000000007");
    }

    #[test]
    fn a_raw_datagram_carries_its_number_in_its_first_bytes() {
        let mut out = Vec::new();
        SequenceStamp::Raw
            .stamp(b"0123456789", 513, &mut out)
            .unwrap();
        assert_eq!(&out[..8], &513u64.to_be_bytes());
        assert_eq!(&out[8..], b"89");
        assert_eq!(SequenceStamp::Raw.read(&out), Some(513));
        assert_eq!(
            SequenceStamp::Raw.stamp(b"short", 1, &mut out),
            Err(StampError::TooShort { len: 5 })
        );
        assert_eq!(SequenceStamp::Raw.read(b"short"), None);
    }
}
