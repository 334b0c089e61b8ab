//! The codec: round trips at any split, and every reject case of PROTOCOL.md.

use bytes::{Bytes, BytesMut};
use framescope::engine::{
    ContentLength, DecodeError, DecodeReason, FrameBuilder, FrameCodec, FramePart,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const LIMIT: u64 = 1 << 20;

/// Decodes `bytes` fed in the given chunk sizes, then at end of stream.
fn decode_chunked(
    bytes: &[u8],
    splits: &[usize],
) -> Result<Vec<framescope::engine::Frame>, DecodeError> {
    let mut codec = FrameCodec::new(LIMIT);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut at: usize = 0;
    for &split in splits.iter().chain(std::iter::once(&usize::MAX)) {
        let end = at.saturating_add(split.max(1)).min(bytes.len());
        buf.extend_from_slice(&bytes[at..end]);
        at = end;
        while let Some(frame) = codec.decode(&mut buf)? {
            frames.push(frame);
        }
        if at == bytes.len() {
            break;
        }
    }
    while let Some(frame) = codec.decode_eof(&mut buf)? {
        frames.push(frame);
    }
    Ok(frames)
}

fn decode_one(bytes: &[u8]) -> Result<Option<framescope::engine::Frame>, DecodeError> {
    let mut buf = BytesMut::from(bytes);
    FrameCodec::new(LIMIT).decode_eof(&mut buf)
}

fn reject(bytes: Bytes) -> DecodeError {
    decode_one(&bytes).expect_err("the frame should be rejected")
}

fn header_frame(header: &str) -> Bytes {
    let mut out = (header.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    Bytes::from(out)
}

proptest! {
    #[test]
    fn frames_round_trip_at_any_split(
        extra in proptest::collection::vec(("[a-z][a-z0-9-]{0,8}", "\\PC{0,12}"), 0..4),
        contents in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..5),
        splits in proptest::collection::vec(1usize..64, 0..40),
    ) {
        let mut stream = Vec::new();
        let mut built = Vec::new();
        for content in &contents {
            let mut builder = FrameBuilder::binary("binary/x", content.clone());
            for (key, value) in &extra {
                builder = builder.field(&format!("x-{key}"), value.as_str());
            }
            let bytes = builder.build().unwrap();
            stream.extend_from_slice(&bytes);
            built.push((bytes, builder.header()));
        }
        let frames = decode_chunked(&stream, &splits).unwrap();
        prop_assert_eq!(frames.len(), built.len());
        for (frame, (bytes, header)) in frames.iter().zip(&built) {
            prop_assert_eq!(frame.raw(), bytes);
            let keys: Vec<_> = frame.header().keys().cloned().collect();
            let expected: Vec<_> = header.keys().cloned().collect();
            prop_assert_eq!(keys, expected);
        }
    }
}

/// What decoding a stream gave: the frames' bytes, then the error if any.
type Outcome = (Vec<Bytes>, Option<DecodeError>);

/// Decodes `bytes` under `limit`, fed in `splits` sized chunks (the rest at
/// once when they run out), then at end of stream; stops at the first error.
fn outcome(bytes: &[u8], splits: &[usize], limit: u64) -> Outcome {
    let mut codec = FrameCodec::new(limit);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut at: usize = 0;
    let mut sizes = splits.iter().copied().chain(std::iter::repeat(usize::MAX));
    loop {
        let end = at
            .saturating_add(sizes.next().unwrap_or(usize::MAX).max(1))
            .min(bytes.len());
        buf.extend_from_slice(&bytes[at..end]);
        at = end;
        let eof = at == bytes.len();
        loop {
            let next = if eof {
                codec.decode_eof(&mut buf)
            } else {
                codec.decode(&mut buf)
            };
            match next {
                Ok(Some(frame)) => frames.push(frame.raw().clone()),
                Ok(None) => break,
                Err(error) => return (frames, Some(error)),
            }
        }
        if eof {
            return (frames, None);
        }
    }
}

/// What every outcome must satisfy, whatever the input.
fn check_outcome(bytes: &[u8], (frames, error): &Outcome) -> Result<(), TestCaseError> {
    let taken: Vec<u8> = frames.concat();
    prop_assert_eq!(
        &taken[..],
        &bytes[..taken.len()],
        "frames are the stream's bytes"
    );
    match error {
        Some(error) => prop_assert_eq!(error.offset, taken.len() as u64),
        None => prop_assert_eq!(taken.len(), bytes.len(), "a clean end decodes every byte"),
    }
    Ok(())
}

fn any_limit() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(100), Just(LIMIT), Just(u64::MAX)]
}

proptest! {
    /// Arbitrary bytes at any split: no panic, the same outcome as decoding
    /// them whole, frames that are exactly the stream's bytes, and an error at
    /// the offset where its frame began.
    #[test]
    fn arbitrary_bytes_decode_the_same_at_any_split(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        splits in proptest::collection::vec(1usize..64, 0..40),
        limit in any_limit(),
    ) {
        let chunked = outcome(&bytes, &splits, limit);
        check_outcome(&bytes, &chunked)?;
        prop_assert_eq!(chunked, outcome(&bytes, &[], limit));
    }

    /// Valid frames with a few bytes overwritten and the stream cut anywhere:
    /// these reach the header and content checks far more often than random
    /// bytes do.
    #[test]
    fn corrupted_and_cut_frames_decode_the_same_at_any_split(
        contents in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 1..4),
        changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        cut in any::<prop::sample::Index>(),
        splits in proptest::collection::vec(1usize..32, 0..20),
        limit in any_limit(),
    ) {
        let mut bytes: Vec<u8> = contents
            .iter()
            .flat_map(|content| FrameBuilder::binary("binary/x", content.clone()).build().unwrap())
            .collect();
        for (at, byte) in &changes {
            let at = at.index(bytes.len());
            bytes[at] = *byte;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let chunked = outcome(&bytes, &splits, limit);
        check_outcome(&bytes, &chunked)?;
        prop_assert_eq!(chunked, outcome(&bytes, &[], limit));
    }
}

#[test]
fn a_raised_limit_never_reserves_what_a_header_announces() {
    let header = r#"{"byteorder": "little", "content-type": "a", "content-encoding": "b", "content-length": 1099511627776}"#;
    let mut buf = BytesMut::from(&header_frame(header)[..]);
    let mut codec = FrameCodec::new(u64::MAX);
    assert!(
        codec.decode(&mut buf).unwrap().is_none(),
        "waits for the content"
    );
    assert!(
        buf.capacity() < 1 << 20,
        "{} bytes reserved for a terabyte announced",
        buf.capacity()
    );
    let error = codec.decode_eof(&mut buf).unwrap_err();
    assert_eq!(
        error.reason,
        DecodeReason::Truncated {
            part: FramePart::Content,
            received: 0,
            expected: 1 << 40
        }
    );
}

#[test]
fn a_length_no_frame_could_hold_is_over_any_limit() {
    let header = r#"{"byteorder": "little", "content-type": "a", "content-encoding": "b", "content-length": 18446744073709551615}"#;
    let mut buf = BytesMut::from(&header_frame(header)[..]);
    let error = FrameCodec::new(u64::MAX).decode(&mut buf).unwrap_err();
    assert_eq!(error.part, FramePart::Header);
    assert!(
        matches!(error.reason, DecodeReason::ContentTooLong { length: u64::MAX, limit } if limit < u64::MAX - 65_536),
        "{error}"
    );
}

#[test]
fn many_frames_in_one_read_and_escaped_or_raw_unicode() {
    let raw = FrameBuilder::new()
        .field("name", "héllo 🐰")
        .content("x")
        .build()
        .unwrap();
    let escaped = header_frame(
        r#"{"byteorder": "big", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 0, "name": "h\u00e9llo \ud83d\udc30"}"#,
    );
    let stream = [raw.clone(), escaped.clone(), raw.clone()].concat();
    let frames = decode_chunked(&stream, &[stream.len()]).unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].header()["name"], "héllo 🐰");
    assert_eq!(frames[1].header()["name"], "héllo 🐰");
    assert_eq!(frames[1].raw(), &escaped);
}

#[test]
fn rejects_an_empty_proto_header() {
    let error = reject(Bytes::from_static(&[0, 0, b'{', b'}']));
    assert_eq!(
        (error.part, error.reason),
        (FramePart::ProtoHeader, DecodeReason::EmptyHeader)
    );
}

#[test]
fn rejects_a_header_that_is_not_utf8() {
    let error = reject(Bytes::from_static(&[0, 3, b'{', 0xff, b'}']));
    assert_eq!(error.part, FramePart::Header);
    assert_eq!(error.reason, DecodeReason::NotUtf8 { valid_up_to: 1 });
}

#[test]
fn rejects_a_header_that_is_not_json() {
    let error = reject(header_frame("{byteorder: little"));
    assert!(
        matches!(error.reason, DecodeReason::NotJson { .. }),
        "{error}"
    );
}

#[test]
fn rejects_headers_that_are_not_objects() {
    for (text, kind) in [
        ("[1, 2]", "array"),
        ("\"text\"", "string"),
        ("42", "number"),
        ("null", "null"),
    ] {
        let error = reject(header_frame(text));
        assert_eq!(
            error.reason,
            DecodeReason::NotObject { found: kind.into() },
            "{text}"
        );
    }
}

/// Found by fuzzing: headers the validator skimmed past but `Frame::header`
/// could not read, so the frame passed as valid with an empty header.
#[test]
fn rejects_headers_a_full_parse_cannot_read() {
    let required =
        r#""byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": 0"#;
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for extra in [
        r#""name": "h\u00e9llo \ud83d""#.to_owned(),
        r#""name": "\udc30""#.to_owned(),
        r#""big": 1e400"#.to_owned(),
        format!(r#""deep": {deep}"#),
    ] {
        let header = format!("{{{required}, {extra}}}");
        let error = reject(header_frame(&header));
        assert_eq!(error.part, FramePart::Header, "{header}");
        assert!(
            matches!(error.reason, DecodeReason::NotJson { .. }),
            "{header}: {error}"
        );
    }
    // A valid pair of surrogate escapes is still fine, and read back in full.
    let header = format!(r#"{{{required}, "name": "\ud83d\udc30"}}"#);
    let frame = decode_one(&header_frame(&header)).unwrap().unwrap();
    assert_eq!(frame.header()["name"], "🐰");
}

#[test]
fn rejects_each_missing_required_key() {
    for key in [
        "byteorder",
        "content-type",
        "content-encoding",
        "content-length",
    ] {
        let frame = FrameBuilder::new().without_field(key).build().unwrap();
        let error = reject(frame);
        assert_eq!(error.part, FramePart::Header);
        assert_eq!(error.reason, DecodeReason::MissingKey { key: key.into() });
    }
}

#[test]
fn rejects_content_lengths_of_the_wrong_type() {
    for (value, shown) in [
        (json!(-1), "-1"),
        (json!(1.5), "1.5"),
        (json!("10"), "\"10\""),
        (json!(null), "null"),
    ] {
        let frame = FrameBuilder::new()
            .content_length(ContentLength::Override(value))
            .build()
            .unwrap();
        let error = reject(frame);
        assert_eq!(
            error.reason,
            DecodeReason::WrongType {
                key: "content-length".into(),
                expected: "a non-negative integer".into(),
                found: shown.into()
            }
        );
    }
    let huge = header_frame(
        r#"{"byteorder": "little", "content-type": "a", "content-encoding": "b", "content-length": 18446744073709551616}"#,
    );
    assert!(matches!(
        reject(huge).reason,
        DecodeReason::WrongType { .. }
    ));
    let not_string = FrameBuilder::new()
        .field("content-type", 7)
        .build()
        .unwrap();
    assert!(
        matches!(reject(not_string).reason, DecodeReason::WrongType { key, .. } if key == "content-type")
    );
}

#[test]
fn rejects_content_over_the_limit_from_the_header_alone() {
    let frame = FrameBuilder::new()
        .content_length(ContentLength::Override(Value::from(LIMIT + 1)))
        .build()
        .unwrap();
    let mut buf = BytesMut::from(&frame[..]);
    let error = FrameCodec::new(LIMIT).decode(&mut buf).unwrap_err();
    assert_eq!(
        error.reason,
        DecodeReason::ContentTooLong {
            length: LIMIT + 1,
            limit: LIMIT
        }
    );
    assert!(
        buf.capacity() < 64 * 1024,
        "no room was reserved for the announced content"
    );
}

#[test]
fn reports_truncation_in_each_part_with_bytes_received() {
    let frame = FrameBuilder::new().content("0123456789").build().unwrap();
    let header_len = frame.len() - 2 - 10;
    for (cut, part, received, expected) in [
        (1, FramePart::ProtoHeader, 1, 2),
        (2 + 5, FramePart::Header, 5, header_len),
        (frame.len() - 3, FramePart::Content, 7, 10),
    ] {
        let error = reject(frame.slice(..cut));
        assert_eq!(error.part, part);
        assert_eq!(
            error.reason,
            DecodeReason::Truncated {
                part,
                received: received as u64,
                expected: expected as u64
            }
        );
    }
}

#[test]
fn errors_name_the_stream_offset_of_the_frame() {
    let good = FrameBuilder::new().content("ok").build().unwrap();
    let bad = FrameBuilder::new()
        .without_field("byteorder")
        .build()
        .unwrap();
    let stream = [good.clone(), good.clone(), bad].concat();
    let error = decode_chunked(&stream, &[7]).unwrap_err();
    assert_eq!(error.offset, 2 * good.len() as u64);
    assert!(
        error
            .to_string()
            .contains(&format!("stream offset {}", 2 * good.len())),
        "{error}"
    );
}
