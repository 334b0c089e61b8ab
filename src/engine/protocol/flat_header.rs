//! The common header read fast: a flat JSON object whose values are plain
//! strings and non-negative integers.
//!
//! Nearly every header on the wire looks like
//! `{"byteorder": "little", "content-type": "text/json", ...}`. Reading it
//! through serde cost 11 to 17 % of a busy echo server's core, most of it
//! in machinery this shape never needs. [`content_length`] scans such a header
//! in one pass over its bytes and answers only when it is sure: anything
//! outside the shape (an escape, a nested value, a float, a negative
//! number, `true`, a repeated required key, a control character) is `None`,
//! "not decided", and the full parse decides. It never accepts what the
//! full parse rejects, and gives the same `content-length` when both
//! accept; the property tests below hold it to that. The layout the
//! tutorial's client writes, key for key, is checked first as fixed text
//! (35 ns down to 20 for its 102-byte header, in a loop of one core).

/// The `content-length` of a header of the common shape whose required
/// keys are each present once, the three string keys strings; `None` when
/// the header is of another shape or not UTF-8 (the full parse decides
/// then). A header of ASCII alone needs no separate UTF-8 check.
pub(super) fn content_length(bytes: &[u8]) -> Option<u64> {
    tutorial_layout(bytes).or_else(|| any_flat_layout(bytes))
}

/// The header exactly as the tutorial's client writes it (Python's
/// `json.dumps` of its four keys in order, with its `", "` and `": "`):
/// `{"byteorder": "…", "content-type": "…", "content-encoding": "…",
/// "content-length": N}`, and nothing after. Most headers on the wire are
/// this, and checking its fixed text is about twice as fast as reading
/// keys; anything else is `None`, for the general scan.
fn tutorial_layout(bytes: &[u8]) -> Option<u64> {
    let mut scan = Scan {
        bytes,
        at: 0,
        seen: 0,
    };
    scan.literal(br#"{"byteorder": ""#)?;
    scan.string_text()?;
    scan.literal(br#"", "content-type": ""#)?;
    scan.string_text()?;
    scan.literal(br#"", "content-encoding": ""#)?;
    scan.string_text()?;
    scan.literal(br#"", "content-length": "#)?;
    let Value::Unsigned(length) = scan.value()? else {
        return None;
    };
    scan.expect(b'}')?;
    if scan.at != bytes.len() {
        return None;
    }
    if scan.seen & HIGH_BITS != 0 {
        std::str::from_utf8(bytes).ok()?;
    }
    Some(length)
}

/// Any flat object of plain strings and integers with the required keys.
fn any_flat_layout(bytes: &[u8]) -> Option<u64> {
    let mut scan = Scan {
        bytes,
        at: 0,
        seen: 0,
    };
    let mut found = Required::default();
    scan.skip_space();
    scan.expect(b'{')?;
    scan.skip_space();
    // An empty object lacks the required keys: `key` leaves it undecided.
    loop {
        let key = scan.key()?;
        scan.skip_space();
        scan.expect(b':')?;
        scan.skip_space();
        let value = scan.value()?;
        found.note(key, value)?;
        scan.skip_space();
        match scan.next()? {
            b',' => scan.skip_space(),
            b'}' => break,
            _ => return None,
        }
    }
    scan.skip_space();
    if scan.at != scan.bytes.len() {
        return None;
    }
    if scan.seen & HIGH_BITS != 0 {
        std::str::from_utf8(bytes).ok()?;
    }
    found.content_length()
}

/// A key: one of the four required ones, or another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Byteorder,
    ContentType,
    ContentEncoding,
    ContentLength,
    Other,
}

/// The required keys with their closing quote, as they are on the wire.
const REQUIRED_KEYS: [(&[u8], Key); 4] = [
    (b"byteorder\"", Key::Byteorder),
    (b"content-type\"", Key::ContentType),
    (b"content-encoding\"", Key::ContentEncoding),
    (b"content-length\"", Key::ContentLength),
];

/// A value of the common shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    String,
    Unsigned(u64),
}

/// The required keys' values as the scan meets them.
#[derive(Debug, Default)]
struct Required {
    byteorder: Option<Value>,
    content_type: Option<Value>,
    content_encoding: Option<Value>,
    content_length: Option<Value>,
}

impl Required {
    /// Keeps a required key's value; `None` (not decided) if it came before.
    fn note(&mut self, key: Key, value: Value) -> Option<()> {
        let slot = match key {
            Key::Byteorder => &mut self.byteorder,
            Key::ContentType => &mut self.content_type,
            Key::ContentEncoding => &mut self.content_encoding,
            Key::ContentLength => &mut self.content_length,
            Key::Other => return Some(()),
        };
        match slot.replace(value) {
            None => Some(()),
            Some(_) => None,
        }
    }

    fn content_length(&self) -> Option<u64> {
        let strings = [self.byteorder, self.content_type, self.content_encoding];
        if !strings.iter().all(|value| *value == Some(Value::String)) {
            return None;
        }
        match self.content_length? {
            Value::Unsigned(length) => Some(length),
            Value::String => None,
        }
    }
}

/// A cursor over the header's bytes.
struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Every word of string text looked at, or-ed together: a high bit
    /// set means a byte beyond ASCII (only strings may hold one), and the
    /// header needs a UTF-8 check.
    seen: u64,
}

impl<'a> Scan<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    #[inline]
    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    /// Skips JSON's whitespace: space, tab, line feed, carriage return.
    #[inline]
    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// A key: a required one is known by its bytes at once, with no search
    /// for its end; any other is read as a string.
    #[inline]
    fn key(&mut self) -> Option<Key> {
        if self.peek()? != b'"' {
            return None;
        }
        let text = &self.bytes[self.at + 1..];
        for (known, key) in REQUIRED_KEYS {
            if text.starts_with(known) {
                self.at += 1 + known.len();
                return Some(key);
            }
        }
        self.string().map(|()| Key::Other)
    }

    /// Steps over a string with no escape and no control character.
    #[inline]
    fn string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        self.string_text()?;
        self.at += 1;
        Some(())
    }

    /// Steps over a string's text (after its opening quote) with no escape
    /// and no control character, up to its closing quote.
    #[inline]
    fn string_text(&mut self) -> Option<()> {
        let rest = &self.bytes[self.at..];
        let end = string_end(rest, &mut self.seen)?;
        if rest[end] != b'"' {
            return None;
        }
        self.at += end;
        Some(())
    }

    /// Steps over `text`, which must come next. Its length is known when
    /// this is compiled, so the comparison is a few word compares.
    #[inline]
    fn literal<const N: usize>(&mut self, text: &[u8; N]) -> Option<()> {
        if self.bytes[self.at..].first_chunk::<N>() != Some(text) {
            return None;
        }
        self.at += N;
        Some(())
    }

    /// A plain string, or a non-negative integer without leading zeros,
    /// fraction or exponent that fits a `u64`.
    fn value(&mut self) -> Option<Value> {
        match self.peek()? {
            b'"' => self.string().map(|()| Value::String),
            b'0'..=b'9' => self.unsigned().map(Value::Unsigned),
            _ => None,
        }
    }

    fn unsigned(&mut self) -> Option<u64> {
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
            self.at += 1;
        }
        let leading_zero = self.bytes[start] == b'0' && self.at - start > 1;
        if leading_zero || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(value)
    }
}

/// Where a string's text ends: the first quote, backslash or control
/// character, looked for eight bytes at a time; every byte looked at is
/// or-ed into `seen`.
///
/// For a word `x`, `(x - 0x01..01) & !x & 0x80..80` flags its zero bytes
/// and `(v - 0x20..20) & !v & 0x80..80` the bytes of `v` below 0x20. A
/// borrow can flag a byte above a true one, never below it, so the lowest
/// flag of the three (a quote or a backslash is a zero of `v` xor that
/// byte repeated) is the first byte that ends the text.
#[inline]
fn string_end(text: &[u8], seen: &mut u64) -> Option<usize> {
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x;
    let mut at = 0;
    while let Some(word) = text.get(at..at + 8) {
        let v = u64::from_le_bytes(word.try_into().ok()?);
        *seen |= v;
        let flags = (zero_bytes(v ^ (ONES * u64::from(b'"')))
            | zero_bytes(v ^ (ONES * u64::from(b'\\')))
            | (v.wrapping_sub(ONES * 0x20) & !v))
            & HIGH_BITS;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    for (index, &byte) in text[at..].iter().enumerate() {
        *seen |= u64::from(byte);
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            return Some(at + index);
        }
    }
    None
}

/// A byte of ones in each of a word's eight bytes.
const ONES: u64 = u64::from_le_bytes([1; 8]);
/// The high bit of each of a word's eight bytes.
const HIGH_BITS: u64 = ONES * 0x80;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::content_length;
    use crate::engine::protocol::codec::read_well_formed;

    #[test]
    fn a_string_ends_at_its_first_quote_backslash_or_control_byte() {
        for text in [
            &b"plain text that runs past eight bytes\" tail"[..],
            b"a\"",
            b"12345678\"",
            b"1234567\\x\"",
            b"\xc3\xa9\xe2\x9c\x93 and more \x7f\xff\n\"",
            b"\x1f",
            b"\x20\x21\x22",
            b"no end at all, not here either",
        ] {
            let expected = text
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            assert_eq!(super::string_end(text, &mut 0), expected, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn string_end_finds_what_a_byte_loop_finds(
            text in proptest::collection::vec(prop_oneof![12 => 0x23u8..=0xff, 1 => any::<u8>()], 0..40),
        ) {
            let expected = text.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(super::string_end(&text, &mut 0), expected);
        }
    }

    #[test]
    fn reads_the_common_header() {
        let header = r#"{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 37, "action": "search"}"#;
        assert_eq!(content_length(header.as_bytes()), Some(37));
        assert_eq!(read_well_formed(header), Some(37));
        let tight = r#"{"content-length":0,"byteorder":"big","content-type":"binary/custom-client-binary-type","content-encoding":"binary","n":18446744073709551615}"#;
        assert_eq!(content_length(tight.as_bytes()), Some(0));
        // A key that only begins as a required one is another key.
        let lookalike = r#"{"byteorder": "big", "content-types": 1, "content-type": "t", "content-encoding": "e", "content-length": 2, "byteorder2": 3}"#;
        assert_eq!(content_length(lookalike.as_bytes()), Some(2));
        let missing = r#"{"byteorder": "big", "content-type ": "t", "content-encoding": "e", "content-length": 2}"#;
        assert_eq!(content_length(missing.as_bytes()), None);
        assert_eq!(read_well_formed(missing), None);
    }

    #[test]
    fn reads_strings_beyond_ascii_only_when_they_are_utf8() {
        let header = |byteorder: &[u8]| {
            let mut text = br#"{"content-type": "t", "content-encoding": "e", "content-length": 3, "byteorder": ""#.to_vec();
            text.extend_from_slice(byteorder);
            text.extend_from_slice(br#""}"#);
            text
        };
        assert_eq!(content_length(&header("é ✓ 𝄞".as_bytes())), Some(3));
        assert_eq!(content_length(&header(b"\xc3")), None, "a cut sequence");
        assert_eq!(
            content_length(&header(b"\xff\xfe")),
            None,
            "not UTF-8 at all"
        );
    }

    #[test]
    fn leaves_every_other_shape_to_the_full_parse() {
        let base = r#""byteorder": "little", "content-type": "t", "content-encoding": "e""#;
        for undecided in [
            format!(r#"{{{base}, "content-length": 5, "x": true}}"#),
            format!(r#"{{{base}, "content-length": 5, "x": [1]}}"#),
            format!(r#"{{{base}, "content-length": 5, "x": "a\"b"}}"#),
            format!(r#"{{{base}, "content-length": 05}}"#),
            format!(r#"{{{base}, "content-length": 5.0}}"#),
            format!(r#"{{{base}, "content-length": 5e0}}"#),
            format!(r#"{{{base}, "content-length": -5}}"#),
            format!(r#"{{{base}, "content-length": 18446744073709551616}}"#),
            format!(r#"{{{base}, "content-length": 5, "content-length": 5}}"#),
            format!(r#"{{{base}, "content-length": "5"}}"#),
            format!(r#"{{{base}, "content-length": 5}} x"#),
            format!(r#"{{{base}, "content-length": 5,}}"#),
            format!("{{{base}, \"content-length\": 5, \"x\": \"tab\there\"}}"),
            format!(r#"{{{base}}}"#),
            "[1]".to_owned(),
            "{}".to_owned(),
            String::new(),
        ] {
            assert_eq!(content_length(undecided.as_bytes()), None, "{undecided}");
        }
    }

    /// Pieces that headers are built from: good and bad JSON alike.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""byteorder""#.to_owned()),
            Just(r#""content-type""#.to_owned()),
            Just(r#""content-encoding""#.to_owned()),
            Just(r#""content-length""#.to_owned()),
            Just(r#""other""#.to_owned()),
            Just(r#""a\u00e9\n""#.to_owned()),
            Just(r#""\ud83d""#.to_owned()),
            Just("\"é✓\"".to_owned()),
            Just("\"\t\"".to_owned()),
            "[0-9]{1,21}",
            Just("-1".to_owned()),
            Just("1.5".to_owned()),
            Just("1e400".to_owned()),
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just("[]".to_owned()),
            Just(r#"{"k": [1, {"z": null}]}"#.to_owned()),
            Just(":".to_owned()),
            Just(",".to_owned()),
            Just(" ".to_owned()),
            Just("\r\n\t".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
        ]
    }

    /// A string value's text: plain, escaped, beyond ASCII, or broken.
    fn piece_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -!#-\\[\\]-~]{0,12}",
            Just("a\\u00e9\\n".to_owned()),
            Just("\\ud83d".to_owned()),
            Just("é✓".to_owned()),
            Just("\t".to_owned()),
            Just("\"".to_owned()),
            Just("\\".to_owned()),
        ]
    }

    /// A header of the common shape with its required keys in any order,
    /// then perhaps spoiled by a piece put in anywhere.
    fn header() -> impl Strategy<Value = String> {
        let member = (piece(), piece()).prop_map(|(key, value)| format!("{key}: {value}"));
        (
            proptest::collection::vec(member, 0..8),
            any::<u64>(),
            any::<proptest::sample::Index>(),
            proptest::option::of((any::<proptest::sample::Index>(), piece())),
        )
            .prop_map(|(mut members, length, position, spoiler)| {
                let required = [
                    r#""byteorder": "little""#.to_owned(),
                    r#""content-type": "text/json""#.to_owned(),
                    r#""content-encoding": "utf-8""#.to_owned(),
                    format!(r#""content-length": {length}"#),
                ];
                for (offset, member) in required.into_iter().enumerate() {
                    let at = (position.index(members.len() + 1) + offset) % (members.len() + 1);
                    members.insert(at, member);
                }
                let mut text = format!("{{{}}}", members.join(", "));
                if let Some((where_, spoiler)) = spoiler {
                    let mut at = where_.index(text.len() + 1);
                    while !text.is_char_boundary(at) {
                        at -= 1;
                    }
                    text.insert_str(at, &spoiler);
                }
                text
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Whatever the fast scan decides, the full parse decides the same.
        #[test]
        fn agrees_with_the_full_parse(text in header()) {
            if let Some(length) = content_length(text.as_bytes()) {
                prop_assert_eq!(read_well_formed(&text), Some(length), "{}", text);
            }
        }

        #[test]
        fn agrees_on_any_text(text in "\\PC{0,80}") {
            if let Some(length) = content_length(text.as_bytes()) {
                prop_assert_eq!(read_well_formed(&text), Some(length), "{}", text);
            }
        }

        /// Bytes that are not UTF-8 are never decided here.
        #[test]
        fn decides_only_utf8(
            text in header(),
            cut in any::<proptest::sample::Index>(),
            junk in proptest::collection::vec(0x80u8..=0xff, 1..3),
        ) {
            let mut bytes = text.into_bytes();
            let at = cut.index(bytes.len() + 1);
            bytes.splice(at..at, junk);
            match std::str::from_utf8(&bytes) {
                Ok(text) => {
                    if let Some(length) = content_length(&bytes) {
                        prop_assert_eq!(read_well_formed(text), Some(length), "{}", text);
                    }
                }
                Err(_) => prop_assert_eq!(content_length(&bytes), None),
            }
        }

        /// The tutorial's own layout, whatever its values hold, is decided
        /// as the full parse decides it.
        #[test]
        fn agrees_on_the_tutorial_layout(
            values in proptest::collection::vec(piece_text(), 3),
            length in prop_oneof!["[0-9]{1,21}", Just("-1".to_owned()), Just("1.5".to_owned()), Just("01".to_owned())],
            tail in prop_oneof![Just(String::new()), Just(" ".to_owned()), Just(", \"x\": 1".to_owned())],
        ) {
            let text = format!(
                r#"{{"byteorder": "{}", "content-type": "{}", "content-encoding": "{}", "content-length": {length}{tail}}}"#,
                values[0], values[1], values[2],
            );
            let expected = read_well_formed(&text);
            prop_assert_eq!(content_length(text.as_bytes()).or(expected), expected, "{}", text);
            if tail.is_empty() && length.parse::<u64>().is_ok_and(|n| n.to_string() == length)
                && values.iter().all(|v| v.chars().all(|c| c != '"' && c != '\\' && c >= ' '))
            {
                prop_assert_eq!(super::tutorial_layout(text.as_bytes()), expected, "{}", text);
                prop_assert!(expected.is_some());
            }
        }

        /// And it does decide the common shape, in any key order.
        #[test]
        fn decides_every_plain_header(
            extra in proptest::collection::vec(("[a-z]{1,8}", "[ -!#-\\[\\]-~]{0,12}"), 0..6),
            length in any::<u64>(),
        ) {
            let mut members: Vec<String> = extra
                .iter()
                .map(|(key, value)| format!(r#""x-{key}": "{value}""#))
                .collect();
            members.push(format!(r#""content-length": {length}"#));
            members.insert(0, r#""byteorder": "big""#.to_owned());
            members.push(r#""content-type": "binary/x""#.to_owned());
            members.insert(members.len() / 2, r#""content-encoding": "binary""#.to_owned());
            let text = format!("{{{}}}", members.join(","));
            prop_assert_eq!(content_length(text.as_bytes()), Some(length), "{}", text);
            prop_assert_eq!(read_well_formed(&text), Some(length));
        }
    }
}
