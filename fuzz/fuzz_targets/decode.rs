//! Feeds arbitrary bytes to the frame decoder in arbitrary chunks.
//!
//! Input layout: byte 0 picks the content limit, byte 1 (mod 16) says how
//! many split bytes follow, each split byte is the size of the next chunk
//! fed to the decoder (0 means "the rest at once"); whatever is left is the
//! stream. After the last chunk the stream ends (`decode_eof`).
//!
//! Invariants checked, beyond "no panic, no abort":
//! - decoded frames are exactly the stream's bytes, in order, and encoding
//!   them again gives those bytes back;
//! - the codec's offset grows by each frame's length, and an error names
//!   the offset where its frame began;
//! - every frame's header is a JSON object with the four required keys and
//!   a `content-length` equal to its content's length, within the limit;
//! - an error's part matches its reason, truncation happens only at the end
//!   of the stream and counts the bytes that really arrived;
//! - an error survives the journal's JSON round trip;
//! - the outcome does not depend on how the stream was split.

#![no_main]

use bytes::{Bytes, BytesMut};
use framescope::engine::{DecodeError, DecodeReason, FrameCodec, FramePart};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::{Decoder, Encoder};

/// Content limits the first byte chooses from: none at all, tiny, the
/// tests' 1 MiB, the default 16 MiB, and the largest a user can ask for.
const LIMITS: [u64; 6] = [0, 1, 100, 1 << 20, 16 << 20, u64::MAX];

const REQUIRED: [&str; 4] = [
    "byteorder",
    "content-type",
    "content-encoding",
    "content-length",
];

/// What a decode run produced: the frames' raw bytes, then the error if any.
#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<Bytes>,
    error: Option<DecodeError>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((&count, rest)) = rest.split_first() else {
        return;
    };
    let limit = LIMITS[usize::from(selector) % LIMITS.len()];
    let count = usize::from(count % 16).min(rest.len());
    let (splits, stream) = rest.split_at(count);

    let chunked = decode(stream, limit, splits);
    let whole = decode(stream, limit, &[]);
    assert_eq!(
        chunked, whole,
        "the outcome depends on how the stream was split"
    );
});

/// Decodes `stream` fed in chunks of the `splits` sizes, then the rest, then
/// the end of the stream, checking every invariant on the way.
fn decode(stream: &[u8], limit: u64, splits: &[u8]) -> Outcome {
    let mut codec = FrameCodec::new(limit);
    let mut buf = BytesMut::new();
    let mut reencoded = BytesMut::new();
    let mut frames = Vec::new();
    let mut consumed = 0usize;
    let mut fed = 0usize;
    let mut sizes = splits
        .iter()
        .map(|&size| {
            if size == 0 {
                usize::MAX
            } else {
                usize::from(size)
            }
        })
        .chain(std::iter::once(usize::MAX));
    loop {
        let size = sizes.next().unwrap_or(usize::MAX);
        let end = fed.saturating_add(size).min(stream.len());
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
        let at_eof = fed == stream.len();
        loop {
            let result = if at_eof {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            match result {
                Ok(Some(frame)) => {
                    let raw = frame.raw().clone();
                    assert_eq!(&raw[..], &stream[consumed..consumed + raw.len()]);
                    check_frame(&frame, limit);
                    consumed += raw.len();
                    assert_eq!(codec.frame_offset(), consumed as u64);
                    codec
                        .encode(raw.clone(), &mut reencoded)
                        .expect("encoding into memory cannot fail");
                    frames.push(raw);
                }
                Ok(None) => break,
                Err(error) => {
                    assert_eq!(&reencoded[..], &stream[..consumed]);
                    check_error(&error, &stream[consumed..], at_eof, limit, consumed);
                    return Outcome {
                        frames,
                        error: Some(error),
                    };
                }
            }
        }
        if at_eof {
            break;
        }
    }
    assert_eq!(
        consumed,
        stream.len(),
        "a clean end leaves no byte undecoded"
    );
    assert_eq!(&reencoded[..], stream);
    Outcome {
        frames,
        error: None,
    }
}

fn check_frame(frame: &framescope::engine::Frame, limit: u64) {
    let raw = frame.raw();
    let declared = usize::from(u16::from_be_bytes([raw[0], raw[1]]));
    assert!(declared > 0);
    assert_eq!(frame.header_len(), declared);
    let header: serde_json::Value =
        serde_json::from_slice(frame.header_bytes()).expect("a decoded header is JSON");
    let header = header.as_object().expect("a decoded header is an object");
    for key in REQUIRED {
        assert!(header.contains_key(key), "a decoded header has {key}");
    }
    let length = header["content-length"]
        .as_u64()
        .expect("content-length is a non-negative integer");
    assert_eq!(length, frame.content().len() as u64);
    assert!(length <= limit);
    assert_eq!(frame.header().len(), header.len());
}

fn check_error(error: &DecodeError, rest: &[u8], at_eof: bool, limit: u64, consumed: usize) {
    assert_eq!(
        error.offset, consumed as u64,
        "the error names its frame's offset"
    );
    let declared = match rest {
        [a, b, ..] => Some(usize::from(u16::from_be_bytes([*a, *b]))),
        _ => None,
    };
    match &error.reason {
        DecodeReason::EmptyHeader => {
            assert_eq!(error.part, FramePart::ProtoHeader);
            assert_eq!(declared, Some(0));
        }
        DecodeReason::NotUtf8 { valid_up_to } => {
            assert_eq!(error.part, FramePart::Header);
            let header = &rest[2..2 + declared.unwrap_or(0)];
            assert!(std::str::from_utf8(header).is_err());
            assert!(std::str::from_utf8(&header[..*valid_up_to]).is_ok());
        }
        DecodeReason::NotJson { .. }
        | DecodeReason::NotObject { .. }
        | DecodeReason::MissingKey { .. }
        | DecodeReason::WrongType { .. } => {
            assert_eq!(error.part, FramePart::Header);
            let header = &rest[2..2 + declared.unwrap_or(0)];
            assert!(std::str::from_utf8(header).is_ok());
        }
        DecodeReason::ContentTooLong {
            length,
            limit: shown,
        } => {
            assert_eq!(error.part, FramePart::Header);
            assert!(length > shown);
            assert!(*shown <= limit);
        }
        DecodeReason::Truncated {
            part,
            received,
            expected,
        } => {
            assert!(
                at_eof,
                "truncation is reported only at the end of the stream"
            );
            assert_eq!(error.part, *part);
            assert!(received < expected);
            let before = match part {
                FramePart::ProtoHeader => 0,
                FramePart::Header => 2,
                FramePart::Content => 2 + declared.unwrap_or(0),
            };
            assert_eq!(*received, (rest.len() - before) as u64);
        }
        DecodeReason::Timeout { .. }
        | DecodeReason::Io { .. }
        | DecodeReason::OverConnectionCap { .. } => {
            panic!("the decoder alone never reports {:?}", error.reason)
        }
    }
    let _ = error.to_string();
    let json = serde_json::to_string(error).expect("an error serialises");
    let back: DecodeError = serde_json::from_str(&json).expect("an error reads back");
    assert_eq!(
        &back, error,
        "an error survives the journal's JSON round trip"
    );
}
