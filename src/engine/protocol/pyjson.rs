//! JSON text the way Python's `json.dumps(obj, ensure_ascii=False)` writes it.
//!
//! The tutorial's peers separate items with `", "` and keys from values with
//! `": "`, and leave non-ASCII characters as raw UTF-8. Writing headers and
//! the app's replies the same way makes framescope's frames byte-for-byte
//! identical to what a Python peer would send.

use std::io;

use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// A `serde_json` formatter with Python's default separators.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// Serialises `value` as Python's `json.dumps(value, ensure_ascii=False)` would.
pub fn to_python_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut serializer = Serializer::with_formatter(&mut out, PythonFormatter);
    // Serialising a JSON value or a plain struct into a Vec cannot fail.
    if value.serialize(&mut serializer).is_err() {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_separators_and_keeps_non_ascii_raw() {
        let value = json!({"result": "Follow the white rabbit. 🐰", "n": [1, 2]});
        let text = String::from_utf8(to_python_json(&value)).unwrap();
        assert_eq!(
            text,
            r#"{"result": "Follow the white rabbit. 🐰", "n": [1, 2]}"#
        );
    }
}
