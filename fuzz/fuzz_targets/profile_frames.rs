//! Feeds arbitrary bytes, in arbitrary chunks, to the codec framing by each
//! built-in profile.
//!
//! Input layout: byte 0 picks the built-in, byte 1 (mod 16) says how many
//! split bytes follow, each the size of the next chunk (0: the rest at
//! once); whatever is left is the stream.
//!
//! Invariants, beyond "no panic, no abort":
//! - whole frames and rejected frames are exactly the stream's bytes, in
//!   order, and the error names the offset where its frame began;
//! - a whole frame decodes with no fault, and is cut as exactly itself;
//! - an error survives the journal's JSON round trip;
//! - the outcome does not depend on how the stream was split.

#![no_main]

use bytes::BytesMut;
use framescope::engine::{BUILTIN_NAMES, DecodeError, FrameCodec, Profile, Role};
use libfuzzer_sys::fuzz_target;

/// What one run produced: frames and rejected frames in order, then the
/// error that ended the stream, if one did.
#[derive(Debug, PartialEq)]
struct Outcome {
    pieces: Vec<(bool, Vec<u8>)>,
    end: Option<DecodeError>,
}

fn run(profile: &std::sync::Arc<Profile>, stream: &[u8], splits: &[usize]) -> Outcome {
    let mut codec = FrameCodec::with_profile(profile.clone(), Role::Reply);
    let mut buf = BytesMut::new();
    let mut pieces = Vec::new();
    let mut offset = 0u64;
    let mut fed = 0;
    let mut chunks = splits.iter().copied().chain(std::iter::repeat(0));
    while fed < stream.len() {
        let size = match chunks.next().unwrap_or(0) {
            0 => stream.len() - fed,
            n => n.min(stream.len() - fed),
        };
        buf.extend_from_slice(&stream[fed..fed + size]);
        fed += size;
        loop {
            let before = buf.len();
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    offset += frame.raw().len() as u64;
                    pieces.push((true, frame.raw().to_vec()));
                }
                Ok(None) => break,
                Err(error) => {
                    let skipped = before - buf.len();
                    let json = serde_json::to_string(&error).expect("an error serialises");
                    let back: DecodeError = serde_json::from_str(&json).expect("and reads back");
                    assert_eq!(back, error, "the journal keeps it whole");
                    assert_eq!(error.offset, offset, "the error names its frame's start");
                    if skipped == 0 {
                        return Outcome {
                            pieces,
                            end: Some(error),
                        };
                    }
                    let start = (offset as usize).min(stream.len());
                    pieces.push((false, stream[start..start + skipped].to_vec()));
                    offset += skipped as u64;
                }
            }
        }
    }
    Outcome { pieces, end: None }
}

fuzz_target!(|data: &[u8]| {
    let [pick, count, rest @ ..] = data else {
        return;
    };
    let name = BUILTIN_NAMES[usize::from(*pick) % BUILTIN_NAMES.len()];
    let profile = Profile::builtin(name).expect("a built-in");
    if profile.is_raw() {
        return;
    }
    let count = usize::from(count % 16).min(rest.len());
    let (splits, stream) = rest.split_at(count);
    let splits: Vec<usize> = splits.iter().map(|&b| usize::from(b)).collect();
    let outcome = run(&profile, stream, &splits);
    let whole = run(&profile, stream, &[]);
    assert_eq!(outcome, whole, "the split changed the outcome");
    let joined: Vec<u8> = outcome.pieces.iter().flat_map(|(_, b)| b.clone()).collect();
    assert_eq!(joined[..], stream[..joined.len()], "pieces are the stream's bytes");
    for (good, bytes) in &outcome.pieces {
        if *good && !profile.is_json_header() {
            let (_, fault) = profile.decode(bytes, Role::Reply);
            assert_eq!(fault, None, "a whole frame decodes cleanly under {name}");
            let cut = profile.cut_frames(bytes, Role::Reply).expect("a frame cuts");
            assert_eq!(cut, vec![bytes.clone()], "a frame is one frame");
        }
    }
});
