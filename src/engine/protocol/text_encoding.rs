//! Text in the encoding a header names: the JSON-header protocol's
//! `content-encoding` (which the tutorial's own server decodes a request
//! with, by Python's codec names) and a profile's `str` fields.
//!
//! Every WHATWG encoding comes from `encoding_rs`, looked up by the names
//! Python accepts as well as the WHATWG labels (`gbk`, `cp936`, `gb18030`,
//! `big5`, `shift_jis`, `sjis`, `euc-kr`, `cp949`, `windows-1252`,
//! `cp1252` ...). Three are done here because `encoding_rs` does not
//! encode them, or names them differently from Python: UTF-16 (either byte
//! order), Latin-1 (Python's is ISO-8859-1 exactly, where WHATWG reads the
//! label as windows-1252) and ASCII.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// The encodings the composer offers, by the names it shows.
pub const OFFERED: &[&str] = &[
    "utf-8",
    "gbk",
    "gb18030",
    "big5",
    "shift_jis",
    "euc-kr",
    "utf-16le",
    "utf-16be",
    "windows-1252",
    "latin-1",
    "ascii",
];

/// A text encoding, found by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Whatwg(&'static Encoding),
    Utf16 { big_endian: bool },
    Latin1,
    Ascii,
}

/// Text that one encoding cannot write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{encoding} cannot write {character:?} (U+{code:04X}, at character {at})")]
pub struct Unencodable {
    /// The encoding's name.
    pub encoding: String,
    /// The first character it cannot write.
    pub character: char,
    /// Its code point.
    pub code: u32,
    /// Where it is in the text, counting characters from 0.
    pub at: usize,
}

/// Bytes read as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedText<'a> {
    /// The text, with U+FFFD where bytes did not decode.
    pub text: Cow<'a, str>,
    /// Whether some bytes did not decode (and show as U+FFFD).
    pub malformed: bool,
}

impl TextEncoding {
    /// UTF-8.
    pub const UTF_8: TextEncoding = TextEncoding {
        how: How::Whatwg(encoding_rs::UTF_8),
    };

    /// The encoding `name` names, as Python or the WHATWG spell it (case,
    /// `_` or `-` as you like); `None` for a name that is not a text
    /// encoding (`binary`, say).
    pub fn named(name: &str) -> Option<TextEncoding> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        let how = match name.as_str() {
            "utf-16le" | "utf-16-le" | "utf16le" => How::Utf16 { big_endian: false },
            "utf-16be" | "utf-16-be" | "utf16be" => How::Utf16 { big_endian: true },
            // Python's "utf-16" writes a byte order mark then native
            // order; read here as the little-endian it is on every machine
            // framescope runs on.
            "utf-16" | "utf16" => How::Utf16 { big_endian: false },
            "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "8859" | "l1" => How::Latin1,
            "ascii" | "us-ascii" | "646" => How::Ascii,
            other => {
                let label = match other {
                    "utf8" | "u8" | "cp65001" => "utf-8",
                    "cp936" | "ms936" | "936" => "gbk",
                    "sjis" | "s-jis" | "shift-jis" | "cp932" | "ms932" | "mskanji" => "shift_jis",
                    "cp949" | "ms949" | "uhc" | "euckr" => "euc-kr",
                    "cp1252" => "windows-1252",
                    "big5-tw" | "csbig5" | "cp950" => "big5",
                    "eucjp" | "ujis" => "euc-jp",
                    other => other,
                };
                How::Whatwg(Encoding::for_label_no_replacement(label.as_bytes())?)
            }
        };
        Some(TextEncoding { how })
    }

    /// Its name, as framescope writes it.
    pub fn name(&self) -> &'static str {
        match self.how {
            How::Whatwg(encoding) => match encoding.name() {
                "UTF-8" => "utf-8",
                "GBK" => "gbk",
                "gb18030" => "gb18030",
                "Big5" => "big5",
                "Shift_JIS" => "shift_jis",
                "EUC-KR" => "euc-kr",
                "windows-1252" => "windows-1252",
                other => other,
            },
            How::Utf16 { big_endian: false } => "utf-16le",
            How::Utf16 { big_endian: true } => "utf-16be",
            How::Latin1 => "latin-1",
            How::Ascii => "ascii",
        }
    }

    /// Whether this is UTF-8 (whose bytes are the text's own).
    pub fn is_utf8(&self) -> bool {
        self.how == How::Whatwg(encoding_rs::UTF_8)
    }

    /// `text` in this encoding, or the first character it cannot write.
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, Unencodable> {
        let unencodable = |at: usize, character: char| Unencodable {
            encoding: self.name().to_owned(),
            character,
            code: u32::from(character),
            at,
        };
        match self.how {
            How::Utf16 { big_endian } => Ok(text
                .encode_utf16()
                .flat_map(|unit| {
                    if big_endian {
                        unit.to_be_bytes()
                    } else {
                        unit.to_le_bytes()
                    }
                })
                .collect()),
            How::Latin1 | How::Ascii => {
                let top = if self.how == How::Latin1 { 0xFF } else { 0x7F };
                text.chars()
                    .enumerate()
                    .map(|(at, c)| {
                        u8::try_from(u32::from(c))
                            .ok()
                            .filter(|b| u32::from(*b) <= top)
                            .ok_or_else(|| unencodable(at, c))
                    })
                    .collect()
            }
            How::Whatwg(encoding) => {
                let (bytes, _, had_errors) = encoding.encode(text);
                if !had_errors {
                    return Ok(bytes.into_owned());
                }
                // Found again character by character, to name it.
                let mut buffer = [0u8; 4];
                let (at, c) = text
                    .chars()
                    .enumerate()
                    .find(|(_, c)| encoding.encode(c.encode_utf8(&mut buffer)).2)
                    .unwrap_or((0, char::REPLACEMENT_CHARACTER));
                Err(unencodable(at, c))
            }
        }
    }

    /// `bytes` read as text in this encoding, with U+FFFD where they do
    /// not decode.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> DecodedText<'a> {
        let (text, malformed) = match self.how {
            How::Whatwg(encoding) => encoding.decode_without_bom_handling(bytes),
            How::Utf16 { big_endian } => {
                let encoding = if big_endian {
                    encoding_rs::UTF_16BE
                } else {
                    encoding_rs::UTF_16LE
                };
                encoding.decode_without_bom_handling(bytes)
            }
            How::Latin1 => (
                Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
                false,
            ),
            How::Ascii => {
                let malformed = !bytes.is_ascii();
                let text = bytes
                    .iter()
                    .map(|&b| {
                        if b.is_ascii() {
                            char::from(b)
                        } else {
                            char::REPLACEMENT_CHARACTER
                        }
                    })
                    .collect();
                (Cow::Owned(text), malformed)
            }
        };
        DecodedText { text, malformed }
    }

    /// How many bytes the character that starts at `bytes[0]` takes in
    /// this encoding (at least 1), for a hex dump that shows a character
    /// under its first byte; `None` when the bytes there do not begin a
    /// character.
    pub fn char_len(&self, bytes: &[u8]) -> Option<(char, usize)> {
        let first = *bytes.first()?;
        match self.how {
            How::Latin1 => Some((char::from(first), 1)),
            How::Ascii => first.is_ascii().then_some((char::from(first), 1)),
            How::Utf16 { .. } => {
                for len in [2usize, 4] {
                    let Some(unit) = bytes.get(..len) else { break };
                    let decoded = self.decode(unit);
                    let mut chars = decoded.text.chars();
                    if let (Some(c), None, false) = (chars.next(), chars.next(), decoded.malformed)
                    {
                        return Some((c, len));
                    }
                }
                None
            }
            How::Whatwg(encoding) => (1..=4.min(bytes.len())).find_map(|len| {
                let (text, malformed) = encoding.decode_without_bom_handling(&bytes[..len]);
                let mut chars = text.chars();
                match (chars.next(), chars.next(), malformed) {
                    (Some(c), None, false) => Some((c, len)),
                    _ => None,
                }
            }),
        }
    }
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text each encoding can write, in Chinese where it is one for Chinese.
    const SAMPLES: &[(&str, &str)] = &[
        ("utf-8", "你好, 世界 🐰"),
        ("gbk", "你好，世界"),
        ("gb18030", "你好，世界 🐰"),
        ("big5", "你好，世界"),
        ("shift_jis", "こんにちは世界"),
        ("euc-kr", "안녕하세요 세계"),
        ("utf-16le", "你好 🐰"),
        ("utf-16be", "你好 🐰"),
        ("windows-1252", "café €5"),
        ("latin-1", "café ÿ"),
        ("ascii", "hello"),
    ];

    #[test]
    fn every_offered_encoding_writes_and_reads_back_its_sample() {
        assert_eq!(
            SAMPLES.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
            OFFERED
        );
        for (name, text) in SAMPLES {
            let encoding = TextEncoding::named(name).unwrap();
            assert_eq!(encoding.name(), *name);
            let bytes = encoding.encode(text).unwrap();
            let decoded = encoding.decode(&bytes);
            assert_eq!(decoded.text, *text, "{name}");
            assert!(!decoded.malformed, "{name}");
        }
    }

    #[test]
    fn bytes_are_what_pythons_codecs_write() {
        // "你好" as Python's str.encode writes it in each.
        let cases: &[(&str, &[u8])] = &[
            ("gbk", &[0xC4, 0xE3, 0xBA, 0xC3]),
            ("cp936", &[0xC4, 0xE3, 0xBA, 0xC3]),
            ("GB18030", &[0xC4, 0xE3, 0xBA, 0xC3]),
            ("big5", &[0xA7, 0x41, 0xA6, 0x6E]),
            ("utf_16_le", &[0x60, 0x4F, 0x7D, 0x59]),
            ("UTF-16-BE", &[0x4F, 0x60, 0x59, 0x7D]),
            ("utf8", &[0xE4, 0xBD, 0xA0, 0xE5, 0xA5, 0xBD]),
        ];
        for (name, bytes) in cases {
            let encoding = TextEncoding::named(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(encoding.encode("你好").unwrap(), *bytes, "{name}");
        }
        // Python's latin-1 is ISO-8859-1: 0x80 is U+0080, not the euro.
        assert_eq!(
            TextEncoding::named("latin1").unwrap().decode(&[0x80]).text,
            "\u{80}"
        );
        assert_eq!(
            TextEncoding::named("cp1252").unwrap().decode(&[0x80]).text,
            "€"
        );
    }

    #[test]
    fn what_cannot_be_written_or_read_is_named_not_hidden() {
        let error = TextEncoding::named("gbk")
            .unwrap()
            .encode("ok 🐰")
            .unwrap_err();
        assert_eq!((error.character, error.at), ('🐰', 3));
        assert!(error.to_string().contains("gbk cannot write"), "{error}");
        assert!(
            TextEncoding::named("ascii")
                .unwrap()
                .encode("café")
                .is_err()
        );
        // UTF-8 bytes read as GBK mostly decode, to the wrong characters
        // (mojibake); a lead byte with no trail byte does not.
        let gbk = TextEncoding::named("gbk").unwrap();
        assert_eq!(gbk.decode("你好".as_bytes()).text, "浣犲ソ");
        let decoded = gbk.decode(b"ok \x81\x20 \xff");
        assert!(decoded.malformed);
        assert_eq!(
            decoded.text, "ok \u{FFFD}  \u{FFFD}",
            "the space after the lead byte kept"
        );
        assert_eq!(TextEncoding::named("binary"), None);
        assert_eq!(TextEncoding::named("no-such-thing"), None);
    }

    #[test]
    fn a_character_is_found_at_its_first_byte() {
        let gbk = TextEncoding::named("gbk").unwrap();
        assert_eq!(gbk.char_len(&[0xC4, 0xE3, 0x41]), Some(('你', 2)));
        assert_eq!(gbk.char_len(&[0x41]), Some(('A', 1)));
        assert_eq!(gbk.char_len(&[0xE3]), None, "a lead byte alone");
        let utf8 = TextEncoding::UTF_8;
        assert_eq!(utf8.char_len("🐰x".as_bytes()), Some(('🐰', 4)));
        assert_eq!(utf8.char_len(&[0xBD, 0xA0]), None, "a continuation byte");
        let utf16 = TextEncoding::named("utf-16le").unwrap();
        assert_eq!(utf16.char_len(&[0x60, 0x4F]), Some(('你', 2)));
        assert_eq!(
            utf16.char_len(
                &"🐰"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes)
                    .collect::<Vec<_>>()
            ),
            Some(('🐰', 4))
        );
    }
}
