//! Compiles arbitrary text as a profile: a profile is user input.
//!
//! Invariants, beyond "no panic, no abort, no huge allocation":
//! - a refusal points inside the text (its line exists);
//! - a profile that compiles encodes a frame of defaults, and decoding
//!   and cutting any bytes under it returns.

#![no_main]

use framescope::engine::{Profile, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Profile::compile(text, "fuzz.toml") {
        Err(error) => {
            let lines = text.split('\n').count();
            assert!(
                error.location.line >= 1 && error.location.line <= lines,
                "line {} of {lines}: {error}",
                error.location.line
            );
        }
        Ok(profile) => {
            if let Ok(frame) = profile.encode(&[], Role::Request) {
                let _ = profile.decode(&frame, Role::Request);
                let _ = profile.cut_frames(&frame, Role::Request);
            }
            let _ = profile.decode(text.as_bytes(), Role::Reply);
            let _ = profile.cut_frames(text.as_bytes(), Role::Reply);
        }
    }
});
