//! The profile core, field by field: every type in both byte orders,
//! varints, bits, checksums, each framing, frames split anywhere, and each
//! problem at its field or its line.

use super::*;

/// The example: STX, a length, the payload, a CRC, ETX.
const STX_CRC: &str = include_str!("../../../../tests/data/stx-crc.toml");

fn profile(text: &str) -> Profile {
    Profile::compile(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn check(profile: &Profile, bytes: &[u8]) -> ProfileCheck {
    profile.check_front(bytes, Role::Request, &mut 0, &mut Vec::new())
}

fn value_of(decoded: &[DecodedField], name: &str) -> Value {
    decoded
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name} in {decoded:?}"))
        .value
        .clone()
}

#[test]
fn a_frame_is_composed_with_its_length_and_checksum_and_reads_back() {
    let p = profile(STX_CRC);
    let frame = p
        .encode(&fields(&[("payload", "hello")]), Role::Request)
        .unwrap();
    // The peer in `peers/crc_peer.py` answers "hello" with these bytes too.
    assert_eq!(
        frame,
        [
            0x02, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o', 0x61, 0xC9, 0x03
        ]
    );
    assert_eq!(check(&p, &frame), ProfileCheck::Whole { len: frame.len() });
    let (decoded, fault) = p.decode(&frame, Role::Request);
    assert_eq!(fault, None);
    assert_eq!(value_of(&decoded, "len"), Value::Uint(5));
    assert_eq!(
        value_of(&decoded, "payload"),
        Value::Bytes(b"hello".to_vec())
    );
    assert_eq!(
        decoded
            .iter()
            .map(|f| (f.offset, f.len))
            .collect::<Vec<_>>(),
        [(0, 1), (1, 2), (3, 5), (8, 2), (10, 1)]
    );
}

#[test]
fn split_anywhere_a_stream_gives_the_same_frames() {
    let p = profile(STX_CRC);
    let one = p
        .encode(&fields(&[("payload", "one")]), Role::Request)
        .unwrap();
    let two = p
        .encode(&fields(&[("payload", "a longer two")]), Role::Request)
        .unwrap();
    let stream = [one.clone(), two.clone(), one.clone()].concat();
    for split in 0..=stream.len() {
        // What a reader sees: the first `split` bytes, then all of them.
        let mut cut = Vec::new();
        let mut at = 0;
        for seen in [split, stream.len()] {
            loop {
                match check(&p, &stream[at..seen.max(at)]) {
                    ProfileCheck::Whole { len } => {
                        cut.push(stream[at..at + len].to_vec());
                        at += len;
                    }
                    ProfileCheck::Wanting { more } => {
                        assert!(more <= 64 * 1024);
                        break;
                    }
                    other => panic!("split {split}: {other:?}"),
                }
            }
        }
        assert_eq!(
            cut,
            [one.clone(), two.clone(), one.clone()],
            "split {split}"
        );
    }
}

#[test]
fn a_wrong_checksum_or_constant_names_its_field_and_skips_the_frame() {
    let p = profile(STX_CRC);
    let mut frame = p
        .encode(&fields(&[("payload", "hello")]), Role::Request)
        .unwrap();
    frame[8] = 0;
    frame[9] = 0;
    let ProfileCheck::Rejected { len, fault } = check(&p, &frame) else {
        panic!("a bad checksum is rejected");
    };
    assert_eq!(len, frame.len(), "its extent is known: the stream goes on");
    assert_eq!(
        fault.to_string(),
        "crc (frame offset 8): checksum: expected 0x61C9, got 0x0000"
    );
    frame[0] = 0x05;
    let ProfileCheck::Rejected { fault, .. } = check(&p, &frame) else {
        panic!("a bad constant is rejected");
    };
    assert_eq!(
        fault.to_string(),
        "stx (frame offset 0): const: expected 0x02, got 0x05"
    );
    // A wrong value given on purpose is sent as given.
    let wrong = p
        .encode(&fields(&[("payload", "x"), ("crc", "0")]), Role::Request)
        .unwrap();
    assert_eq!(&wrong[4..6], [0, 0]);
}

#[test]
fn a_claimed_length_over_the_limit_is_refused_before_its_bytes_arrive() {
    let text = STX_CRC.replace("endian = \"be\"", "endian = \"be\"\nmax_frame = 100");
    let p = profile(&text);
    let ProfileCheck::Broken { fault } = check(&p, &[0x02, 0xFF, 0xFF, 0x00]) else {
        panic!("a length past max_frame breaks the stream");
    };
    assert_eq!(fault.field, "payload");
    assert!(matches!(
        fault.problem,
        FieldProblem::TooLong { limit: 100, .. }
    ));
    // A u64 length claiming nearly 2^64 is bounded the same way.
    let huge = profile(
        "[profile]\nname = \"u64\"\n[[field]]\nname = \"len\"\ntype = \"u64\"\nlength_of = \"rest\"\n[[field]]\nname = \"data\"\ntype = \"bytes\"\n",
    );
    let ProfileCheck::Broken { fault } = check(&huge, &[0xFF; 8]) else {
        panic!("a u64 length is bounded by max_frame");
    };
    assert!(
        matches!(fault.problem, FieldProblem::TooLong { .. }),
        "{fault}"
    );
}

#[test]
fn every_integer_type_reads_in_both_byte_orders() {
    let text = |endian: &str| {
        format!(
            "[profile]\nname = \"ints\"\nendian = \"{endian}\"\n\
             [[field]]\nname = \"a\"\ntype = \"u16\"\n\
             [[field]]\nname = \"b\"\ntype = \"u32\"\n\
             [[field]]\nname = \"c\"\ntype = \"i16\"\n\
             [[field]]\nname = \"d\"\ntype = \"i64\"\n\
             [[field]]\nname = \"e\"\ntype = \"f32\"\n\
             [[field]]\nname = \"f\"\ntype = \"f64\"\n\
             [[field]]\nname = \"g\"\ntype = \"u64\"\n\
             [[field]]\nname = \"h\"\ntype = \"i8\"\n"
        )
    };
    let given = fields(&[
        ("a", "0x0102"),
        ("b", "0x01020304"),
        ("c", "-2"),
        ("d", "-5"),
        ("e", "1.5"),
        ("f", "-0.25"),
        ("g", "18446744073709551615"),
        ("h", "-128"),
    ]);
    for endian in ["be", "le"] {
        let p = profile(&text(endian));
        let frame = p.encode(&given, Role::Request).unwrap();
        assert_eq!(frame.len(), 2 + 4 + 2 + 8 + 4 + 8 + 8 + 1);
        let expected_a = if endian == "be" { [1, 2] } else { [2, 1] };
        assert_eq!(frame[..2], expected_a, "{endian}");
        let (decoded, fault) = p.decode(&frame, Role::Request);
        assert_eq!(fault, None);
        assert_eq!(value_of(&decoded, "a"), Value::Uint(0x0102));
        assert_eq!(value_of(&decoded, "b"), Value::Uint(0x0102_0304));
        assert_eq!(value_of(&decoded, "c"), Value::Int(-2));
        assert_eq!(value_of(&decoded, "d"), Value::Int(-5));
        assert_eq!(value_of(&decoded, "e"), Value::Float(1.5));
        assert_eq!(value_of(&decoded, "f"), Value::Float(-0.25));
        assert_eq!(value_of(&decoded, "g"), Value::Uint(u64::MAX));
        assert_eq!(value_of(&decoded, "h"), Value::Int(-128));
    }
}

#[test]
fn varints_frame_and_overlong_ones_break_the_stream() {
    let mqtt = Profile::builtin("mqtt").unwrap();
    for payload_len in [0usize, 127, 128, 16_383, 16_384] {
        let payload = "ab"
            .repeat(payload_len)
            .chars()
            .take(payload_len)
            .collect::<String>();
        let frame = mqtt
            .encode(
                &fields(&[("type", "publish"), ("payload", &format!("text:{payload}"))]),
                Role::Request,
            )
            .unwrap();
        let varint_len = match payload_len {
            0..=127 => 1,
            128..=16_383 => 2,
            _ => 3,
        };
        assert_eq!(frame.len(), 1 + varint_len + payload_len);
        assert_eq!(
            check(&mqtt, &frame),
            ProfileCheck::Whole { len: frame.len() }
        );
        // Cut inside the varint: wanting, not broken.
        assert!(matches!(
            check(&mqtt, &frame[..1 + varint_len - 1]),
            ProfileCheck::Wanting { .. }
        ));
    }
    let ProfileCheck::Broken { fault } = check(&mqtt, &[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) else {
        panic!("five varint bytes under max_bytes = 4");
    };
    assert_eq!(fault.field, "remaining_length");
    assert_eq!(fault.problem, FieldProblem::Varint { max_bytes: 4 });
}

#[test]
fn bits_are_named_sub_fields_set_by_their_own_names() {
    let mqtt = Profile::builtin("mqtt").unwrap();
    let frame = mqtt
        .encode(&fields(&[("type", "pingreq")]), Role::Request)
        .unwrap();
    assert_eq!(frame, [0xC0, 0x00]);
    let (decoded, _) = mqtt.decode(&[0x32, 0x00], Role::Request);
    let kind = decoded.iter().find(|f| f.name == "type").unwrap();
    assert_eq!(
        (kind.value.clone(), kind.label.as_deref()),
        (Value::Uint(3), Some("publish"))
    );
    assert_eq!(kind.bits, Some((4, 4)));
    assert_eq!(value_of(&decoded, "flags"), Value::Uint(2));
    assert_eq!(
        mqtt.encode(&fields(&[("type", "16")]), Role::Request)
            .unwrap_err()
            .to_string(),
        "type: 16 does not fit 4 bits (0..=15)"
    );
}

#[test]
fn a_field_under_a_condition_is_there_only_when_it_holds() {
    let modbus = Profile::builtin("modbus-tcp").unwrap();
    let reply = [
        0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x00, 0x11, 0x00, 0x2a,
    ];
    let (decoded, fault) = modbus.decode(&reply, Role::Reply);
    assert_eq!(fault, None);
    assert_eq!(value_of(&decoded, "byte_count"), Value::Uint(4));
    assert_eq!(
        value_of(&decoded, "registers"),
        Value::Bytes(vec![0, 0x11, 0, 0x2a])
    );
    assert!(decoded.iter().all(|f| f.name != "address"));
    let exception = [0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, 0x83, 0x02];
    let (decoded, _) = modbus.decode(&exception, Role::Reply);
    let code = decoded.iter().find(|f| f.name == "exception_code").unwrap();
    assert_eq!(code.label.as_deref(), Some("illegal-data-address"));
    assert_eq!(
        modbus
            .encode(
                &fields(&[("function", "3"), ("byte_count", "4")]),
                Role::Request
            )
            .unwrap_err(),
        EncodeError::Absent {
            name: "byte_count".into()
        }
    );
}

#[test]
fn lines_end_at_the_earliest_delimiter_even_split_across_reads() {
    let lines = Profile::builtin("lines").unwrap();
    let stream = b"first\r\nsecond\nthird\r\n";
    let mut scanned = 0;
    let mut placed = Vec::new();
    // The CR arrives alone: not a frame yet, and it is not scanned twice.
    assert_eq!(
        lines.check_front(&stream[..6], Role::Request, &mut scanned, &mut placed),
        ProfileCheck::Wanting { more: 0 }
    );
    assert_eq!(scanned, 6);
    assert_eq!(
        lines.check_front(stream, Role::Request, &mut scanned, &mut placed),
        ProfileCheck::Whole { len: 7 }
    );
    assert_eq!(lines.cut_frames(stream, Role::Request).unwrap().len(), 3);
    let (decoded, _) = lines.decode(b"first\r\n", Role::Request);
    assert_eq!(value_of(&decoded, "line"), Value::Text("first".into()));
    assert_eq!(
        lines
            .encode(&fields(&[("line", "hi")]), Role::Request)
            .unwrap(),
        b"hi\r\n"
    );
    let short = profile(
        "[profile]\nname = \"l\"\nmax_frame = 8\n[framing]\ndelimiter = \"\\n\"\n[[field]]\nname = \"line\"\ntype = \"str\"\n",
    );
    assert!(matches!(
        check(&short, b"no end in sight"),
        ProfileCheck::Broken { fault } if fault.problem == FieldProblem::NoDelimiter { limit: 8 }
    ));
}

#[test]
fn fixed_size_frames_are_cut_at_their_size() {
    let p = profile(
        "[profile]\nname = \"fixed\"\n[framing]\nsize = 4\n[[field]]\nname = \"id\"\ntype = \"u16\"\n[[field]]\nname = \"rest\"\ntype = \"bytes\"\n"
            .replace("\"rest\"", "\"tail\"")
            .as_str(),
    );
    assert_eq!(check(&p, &[1, 2, 3]), ProfileCheck::Wanting { more: 1 });
    assert_eq!(check(&p, &[1, 2, 3, 4, 5]), ProfileCheck::Whole { len: 4 });
    assert_eq!(p.cut_frames(&[0; 8], Role::Request).unwrap().len(), 2);
}

/// The line and column a profile error points at, and its words.
fn error_at(text: &str) -> (usize, usize, String) {
    let error = Profile::compile(text, "p.toml").expect_err("the profile is wrong");
    assert!(error.to_string().starts_with("p.toml:"), "{error}");
    (
        error.location.line,
        error.location.column,
        error.problem.to_string(),
    )
}

const HEAD: &str = "[profile]\nname = \"p\"\n";

#[test]
fn a_wrong_profile_is_refused_at_its_line_and_column() {
    let at = |body: &str| error_at(&format!("{HEAD}{body}"));
    let (line, column, words) = at("[[field]]\nname = \"a\"\ntype = \"u24\"\n");
    assert_eq!((line, column), (5, 8));
    assert!(
        words.starts_with("type \"u24\" is not one of: u8"),
        "{words}"
    );

    let (line, _, words) =
        at("[[field]]\nname = \"a\"\ntype = \"u8\"\n[[field]]\nname = \"a\"\ntype = \"u8\"\n");
    assert_eq!(line, 7);
    assert_eq!(words, "\"a\" is already a field (line 4)");

    let (line, _, words) = at("[[field]]\nname = \"a\"\ntype = \"u8\"\nconst = 300\n");
    assert_eq!(line, 6);
    assert_eq!(words, "300 does not fit u8 (0..=255)");

    let (_, _, words) = at(
        "[[field]]\nname = \"p\"\ntype = \"bytes\"\n[[field]]\nname = \"len\"\ntype = \"u8\"\nlength_of = [\"p\"]\n",
    );
    assert!(words.contains("a length must come first"), "{words}");

    let (_, _, words) = at("[[field]]\nname = \"p\"\ntype = \"bytes\"\n");
    assert!(words.starts_with("p has no size"), "{words}");

    let (_, _, words) = at(
        "[[field]]\nname = \"c\"\ntype = \"u16\"\nchecksum = { algorithm = \"CRC-16/MODBUS\", over = [\"c\"] }\n",
    );
    assert_eq!(words, "c covers itself");

    let (_, _, words) = at(
        "[[field]]\nname = \"c\"\ntype = \"u16\"\nchecksum = { algorithm = \"CRC-16/MODBUSS\", over = [] }\n",
    );
    assert!(words.contains("did you mean CRC-16/MODBUS?"), "{words}");

    let (_, _, words) = at(
        "[[field]]\nname = \"c\"\ntype = \"u8\"\nchecksum = { algorithm = \"CRC-32\", over = [] }\n",
    );
    assert_eq!(words, "CRC-32/ISO-HDLC is 32 bits; c is u8");

    let (_, _, words) = at(
        "[[field]]\nname = \"h\"\ntype = \"bits\"\nbits = [{ name = \"x\", width = 4 }, { name = \"y\", width = 8 }]\n",
    );
    assert!(words.starts_with("bits add to 12"), "{words}");

    let (_, _, words) = at(
        "[[field]]\nname = \"a\"\ntype = \"u8\"\nlength_of = [\"b\", \"c\"]\n[[field]]\nname = \"b\"\ntype = \"bytes\"\n[[field]]\nname = \"c\"\ntype = \"str\"\n",
    );
    assert_eq!(words, "a covers b and c, both without a size");

    let (_, _, words) = at(
        "[[field]]\nname = \"a\"\ntype = \"u8\"\nlength_of = [\"b\"]\n[[field]]\nname = \"b\"\ntype = \"u8\"\nlength_of = \"rest\"\n[[field]]\nname = \"c\"\ntype = \"bytes\"\n",
    );
    assert!(words.contains("a length inside a length"), "{words}");

    let (line, _, words) = at("[[field]]\nname = \"a\"\ntype = \"u8\"\nwidth = 3\n");
    assert_eq!(line, 6);
    assert!(words.contains("unknown field `width`"), "{words}");
}

/// A length, then a JSON document: its keys are fields of their own.
const JSON_DOC: &str = "[profile]\nname = \"doc\"\n\n[[field]]\nname = \"len\"\ntype = \"u16\"\nlength_of = [\"meta\"]\n\n[[field]]\nname = \"meta\"\ntype = \"json\"\n";

#[test]
fn a_json_documents_keys_are_fields_named_by_field_and_key() {
    let doc = profile(JSON_DOC);
    assert!(doc.has_field("meta.action") && doc.has_field("meta"));
    assert!(!doc.has_field("len.x") && !doc.has_field("meta."));
    let frame = doc
        .encode(
            &fields(&[
                ("meta.action", "search"),
                ("meta.limit", "10"),
                ("meta.tags", "[1, 2]"),
            ]),
            Role::Request,
        )
        .unwrap();
    let (decoded, fault) = doc.decode(&frame, Role::Request);
    assert_eq!(fault, None);
    assert_eq!(
        value_of(&decoded, "meta.action"),
        Value::Text("search".into())
    );
    assert_eq!(value_of(&decoded, "meta.limit"), Value::Uint(10));
    assert_eq!(
        value_of(&decoded, "meta.tags"),
        Value::Json(serde_json::json!([1, 2]))
    );
    // Each key spans its value's bytes in the frame.
    let limit = decoded.iter().find(|f| f.name == "meta.limit").unwrap();
    assert_eq!(&frame[limit.offset..limit.offset + limit.len], b"10");
    let action = decoded.iter().find(|f| f.name == "meta.action").unwrap();
    assert_eq!(
        &frame[action.offset..action.offset + action.len],
        b"\"search\""
    );
    assert!(action.derived, "part of the document, not typed apart");
    // A key given beside the whole document is set in it.
    let frame = doc
        .encode(
            &fields(&[("meta", "{\"action\": \"list\"}"), ("meta.page", "2")]),
            Role::Request,
        )
        .unwrap();
    let (decoded, _) = doc.decode(&frame, Role::Request);
    assert_eq!(
        value_of(&decoded, "meta.action"),
        Value::Text("list".into())
    );
    assert_eq!(value_of(&decoded, "meta.page"), Value::Uint(2));
}

/// A length, then text in GBK.
const GBK_TEXT: &str = "[profile]\nname = \"gbk-text\"\n\n[[field]]\nname = \"len\"\ntype = \"u8\"\nlength_of = \"rest\"\n\n[[field]]\nname = \"text\"\ntype = \"str\"\nencoding = \"gbk\"\n";

#[test]
fn a_str_field_is_written_and_read_in_its_encoding() {
    let gbk = profile(GBK_TEXT);
    let frame = gbk
        .encode(&fields(&[("text", "你好")]), Role::Request)
        .unwrap();
    assert_eq!(frame, [4, 0xC4, 0xE3, 0xBA, 0xC3]);
    let (decoded, fault) = gbk.decode(&frame, Role::Request);
    assert_eq!(fault, None);
    assert_eq!(value_of(&decoded, "text"), Value::Text("你好".into()));
    // What GBK cannot write is refused by name; bytes it cannot read
    // reject the frame, naming the field.
    let error = gbk
        .encode(&fields(&[("text", "🐰")]), Role::Request)
        .unwrap_err();
    assert!(error.to_string().contains("gbk cannot write"), "{error}");
    match check(&gbk, &[2, 0x81, 0x20]) {
        ProfileCheck::Rejected { fault, .. } => {
            assert_eq!(fault.field, "text");
            assert!(fault.to_string().contains("not gbk text"), "{fault}");
        }
        other => panic!("{other:?}"),
    }
    let (line, _, problem) = error_at(&GBK_TEXT.replace("\"gbk\"", "\"klingon\""));
    assert_eq!(line, 12);
    assert!(problem.contains("klingon"), "{problem}");
}
