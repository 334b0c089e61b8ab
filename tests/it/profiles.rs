//! Profiles on the command line: the built-ins listed, shown and checked,
//! a wrong profile file rejected at its line, and `send --profile` against
//! servers nobody here wrote (mosquitto, a pymodbus server, dnsmasq) and a
//! peer that checks a trailing CRC, with each reply read field by field.

use crate::common::log::{field, labelled, named, received_frames, records, sent_frames};
use crate::common::real_servers;
use crate::common::{framescope, printed, read_holding_registers_args, send_profile as send, text};
use framescope::engine::BUILTIN_NAMES;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

fn built_in_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/profiles")
        .join(format!("{name}.toml"))
}

#[test]
fn the_built_in_profiles_are_listed_shown_and_check() {
    let listed = framescope(&["profiles"]);
    assert!(listed.status.success(), "{}", printed(&listed));
    let listed = text(&listed.stdout);
    for name in BUILTIN_NAMES {
        let file = built_in_file(name);
        let source = std::fs::read_to_string(&file).unwrap();
        let table: toml::Table = toml::from_str(&source).unwrap();
        assert_eq!(table["profile"]["name"].as_str(), Some(name));
        let description = table["profile"]["description"].as_str().unwrap();
        assert!(
            listed.lines().any(|line| {
                line.split_whitespace().next() == Some(name) && line.contains(description)
            }),
            "{name} and its description are not listed:\n{listed}"
        );

        let path = file.to_str().unwrap();
        let checked = framescope(&["profile", "check", path]);
        assert_eq!(checked.status.code(), Some(0), "{}", printed(&checked));
        let said = text(&checked.stdout);
        assert!(
            said.starts_with(&format!("{path}: ok: profile {name}, ")) && said.contains(" fields"),
            "{said}"
        );

        // What `profile show` prints is the file, to copy and change.
        let shown = framescope(&["profile", "show", name]);
        assert!(shown.status.success(), "{}", printed(&shown));
        assert_eq!(text(&shown.stdout).trim_end(), source.trim_end());
    }
    // A built-in is checked by its name as well.
    let checked = framescope(&["profile", "check", "mqtt"]);
    assert_eq!(checked.status.code(), Some(0), "{}", printed(&checked));
}

#[test]
fn a_wrong_profile_file_is_rejected_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[profile]\n\
         name = \"bad\"\n\
         \n\
         [[field]]\n\
         name = \"n\"\n\
         # a type no profile has\n\
         type = \"u24\"\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let checked = framescope(&["profile", "check", path]);
    assert_eq!(checked.status.code(), Some(2), "{}", printed(&checked));
    let stderr = text(&checked.stderr);
    let at = stderr
        .strip_prefix(&format!("{path}:7:"))
        .unwrap_or_else(|| panic!("not at line 7 of {path}: {stderr}"));
    let column: String = at.chars().take_while(char::is_ascii_digit).collect();
    assert!(
        !column.is_empty() && at[column.len()..].starts_with(':'),
        "no column after the line: {stderr}"
    );
    // Nothing connects with it either.
    let sent = framescope(&[
        "send",
        "--profile",
        path,
        "--to",
        "127.0.0.1:9",
        "--hex",
        "00",
    ]);
    assert!(!sent.status.success(), "{}", printed(&sent));
    assert!(
        text(&sent.stderr).contains(&format!("{path}:7:")),
        "{}",
        printed(&sent)
    );
}

/// CONNECT (client "fs", clean session, keep-alive 60) and PINGREQ.
const MQTT_CONNECT_PING: &str = "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 66 73 c0 00";

#[test]
fn mosquitto_answers_connect_and_pingreq_with_packet_types_named() {
    let broker = real_servers::mosquitto();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mqtt.jsonl");
    let started = Instant::now();
    let output = send(
        "mqtt",
        broker.port,
        &log,
        &["--hex", MQTT_CONNECT_PING, "--replies", "2"],
    );
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    assert!(
        took < Duration::from_secs(3),
        "send took {took:?}: it must end once the replies came, not at the timeout"
    );

    // The two packets sent are two frames, cut by the remaining length.
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(named(&sent[0], "client_id").0, "fs");
    assert_eq!(named(&sent[1], "type"), labelled(12, "pingreq"));

    let replies = received_frames(&log);
    assert_eq!(replies.len(), 2, "{replies:?}");
    let connack = &replies[0];
    assert_eq!(connack["profile"], "mqtt");
    assert_eq!(named(connack, "type"), labelled(2, "connack"));
    assert_eq!(named(connack, "remaining_length").0, 2);
    assert_eq!(named(connack, "return_code"), labelled(0, "accepted"));
    assert_eq!(named(&replies[1], "type"), labelled(13, "pingresp"));
    // A bits field's sub-fields are entries of their own, with its bytes.
    let header = field(connack, "header");
    let kind = field(connack, "type");
    assert_eq!(
        (&kind["offset"], &kind["len"]),
        (&header["offset"], &header["len"])
    );
    assert_eq!(
        (kind["offset"].as_u64(), kind["len"].as_u64()),
        (Some(0), Some(1))
    );

    let stdout = text(&output.stdout);
    assert!(stdout.contains("type = 2 (connack)"), "{stdout}");
    assert!(stdout.contains("return_code = 0 (accepted)"), "{stdout}");
}

#[test]
fn a_connect_composed_from_fields_gets_a_connack_from_mosquitto() {
    let broker = real_servers::mosquitto();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mqtt.jsonl");
    let output = send(
        "mqtt",
        broker.port,
        &log,
        &[
            "--field",
            "type=connect",
            "--field",
            "protocol_name=MQTT",
            "--field",
            "level=4",
            "--field",
            "clean_session=1",
            "--field",
            "keep_alive=60",
            "--field",
            "client_id=fs",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));

    // The lengths were computed: the same 16 bytes as MQTT_CONNECT_PING's CONNECT.
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["wire_len"], 16);
    assert_eq!(named(&sent[0], "remaining_length").0, 14);
    assert_eq!(named(&sent[0], "protocol_name_len").0, 4);
    assert_eq!(named(&sent[0], "connect_flags").0, 2);
    assert_eq!(named(&sent[0], "client_id_len").0, 2);

    let replies = received_frames(&log);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(named(&replies[0], "type"), labelled(2, "connack"));
    assert_eq!(named(&replies[0], "return_code"), labelled(0, "accepted"));
}

/// Reads holding registers from ADDRESS under modbus-tcp: one request per
/// `send`, since pymodbus 3.16 answers only the first of two requests that
/// arrive together. The log's one reply.
fn read_holding_registers(port: u16, dir: &Path, address: &str) -> Value {
    let log = dir.join(format!("modbus-{address}.jsonl"));
    let args = read_holding_registers_args(address);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = send("modbus-tcp", port, &log, &args);
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["wire_len"], 12);
    assert_eq!(named(&sent[0], "length").0, 6, "computed: unit to the end");
    assert_eq!(named(&sent[0], "protocol").0, 0);
    let replies = received_frames(&log);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["profile"], "modbus-tcp");
    assert_eq!(named(&replies[0], "transaction").0, 1);
    replies[0].clone()
}

#[test]
fn a_pymodbus_server_answers_read_holding_registers_with_its_fields_named() {
    let server = real_servers::modbus_server();
    let dir = tempfile::tempdir().unwrap();

    // 00 01 00 00 00 07 01 03 04 00 11 00 2a
    let reply = read_holding_registers(server.port, dir.path(), "0");
    assert_eq!(
        named(&reply, "function"),
        labelled(3, "read-holding-registers")
    );
    assert_eq!(named(&reply, "length").0, 7);
    assert_eq!(named(&reply, "byte_count").0, 4);
    assert_eq!(named(&reply, "registers").0, "00 11 00 2a");

    // 00 01 00 00 00 03 01 83 02: no register at 0x0100.
    let reply = read_holding_registers(server.port, dir.path(), "256");
    assert_eq!(
        named(&reply, "function"),
        labelled(131, "read-holding-registers-exception")
    );
    assert_eq!(
        named(&reply, "exception_code"),
        labelled(2, "illegal-data-address")
    );
}

#[test]
fn dnsmasq_answers_a_query_composed_from_fields() {
    let dns = real_servers::dnsmasq();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dns.jsonl");
    // fs.test, type A, class IN.
    let question = "02 66 73 04 74 65 73 74 00 00 01 00 01";
    let output = send(
        "dns-tcp",
        dns.port,
        &log,
        &[
            "--field",
            "id=0x1234",
            "--field",
            "rd=1",
            "--field",
            "qdcount=1",
            "--field",
            &format!("body={question}"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(named(&sent[0], "length").0, 25);
    assert_eq!(named(&sent[0], "flags").0, 0x0100);

    // dnsmasq 2.90 answered
    // 00 29 12 34 85 80 00 01 00 01 00 00 00 00 <question> c0 0c 00 01 00 01
    // 00 00 00 00 00 04 7f 00 00 07
    let replies = received_frames(&log);
    assert_eq!(replies.len(), 1, "{replies:?}");
    let reply = &replies[0];
    assert_eq!(reply["profile"], "dns-tcp");
    assert_eq!(
        named(reply, "length").0,
        reply["wire_len"].as_u64().unwrap() - 2
    );
    assert_eq!(named(reply, "id").0, 0x1234);
    assert_eq!(named(reply, "qr"), labelled(1, "response"));
    assert_eq!(named(reply, "opcode"), labelled(0, "query"));
    assert_eq!(named(reply, "rd").0, 1);
    assert_eq!(named(reply, "rcode"), labelled(0, "noerror"));
    assert_eq!(named(reply, "qdcount").0, 1);
    assert_eq!(named(reply, "ancount").0, 1);
    let body = named(reply, "body").0;
    let body = body.as_str().unwrap();
    assert!(
        body.starts_with(question),
        "the question comes back first: {body}"
    );
    assert!(
        body.ends_with("7f 00 00 07"),
        "the answer is 127.0.0.7: {body}"
    );
}

/// The issue's stx-crc profile, every integer big-endian.
const STX_CRC: &str = include_str!("../data/stx-crc.toml");

#[test]
fn a_profile_with_a_trailing_crc_is_composed_checked_and_refused_by_a_peer() {
    let peer = real_servers::crc_peer();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("stx-crc.toml");
    std::fs::write(&profile, STX_CRC).unwrap();
    let profile = profile.to_str().unwrap();

    // Composed from a field: len and crc computed, and the peer agrees.
    // 02 00 05 68 65 6c 6c 6f 61 c9 03
    let log = dir.path().join("hello.jsonl");
    let output = send(profile, peer.port, &log, &["--field", "payload=hello"]);
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(named(&sent[0], "len").0, 5);
    assert_eq!(
        named(&sent[0], "crc").0,
        0x61C9,
        "CRC-16/MODBUS of 00 05 hello"
    );
    let replies = received_frames(&log);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["profile"], "stx-crc");
    assert_eq!(named(&replies[0], "payload").0, "68 65 6c 6c 6f");
    assert_eq!(named(&replies[0], "crc").0, 0x61C9);

    // A wrong CRC sent on purpose: the peer refuses it with a NAK.
    let log = dir.path().join("nak.jsonl");
    let output = send(
        profile,
        peer.port,
        &log,
        &["--field", "crc=0", "--malformed"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    let replies = received_frames(&log);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(named(&replies[0], "payload").0, "6e 61 6b");

    // The peer answers `corrupt` with a CRC of zero: the reply is a
    // decode error naming the crc field, and no reply frame came.
    // 02 00 07 63 6f 72 72 75 70 74 00 00 03
    let log = dir.path().join("corrupt.jsonl");
    let output = send(profile, peer.port, &log, &["--field", "payload=corrupt"]);
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    let errors: Vec<Value> = records(&log)
        .into_iter()
        .filter(|r| r["direction"] == "received" && r["kind"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let reason = &errors[0]["error"]["reason"];
    assert_eq!(reason["kind"], "field", "{reason}");
    assert_eq!(reason["field"], "crc", "{reason}");
    assert_eq!(
        reason["offset"], 10,
        "stx, len and 7 bytes of payload: {reason}"
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("checksum: expected 0x"), "{stdout}");
    assert!(
        stdout.contains("crc (frame offset 10): checksum: expected 0x0106, got 0x0000"),
        "CRC-16/MODBUS of 00 07 corrupt is 0x0106: {stdout}"
    );
}

#[test]
fn redis_answers_a_pipelined_set_and_get_as_two_resp_frames() {
    let redis = real_servers::redis_server();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("resp.jsonl");
    let commands = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    let hex: String = commands
        .bytes()
        .map(|b| format!("{b:02x} "))
        .collect::<String>();
    let started = Instant::now();
    let output = send("resp", redis.port, &log, &["--hex", hex.trim()]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));
    assert!(
        took < Duration::from_secs(3),
        "send ends when the replies came, not at --timeout: {took:?}"
    );
    let sent = sent_frames(&log);
    assert_eq!(sent.len(), 2, "the hex is cut into two commands: {sent:?}");
    assert_eq!(named(&sent[0], "[0]").0, "SET");
    let replies = received_frames(&log);
    assert_eq!(replies.len(), 2, "{replies:?}");
    assert_eq!(replies[0]["profile"], "resp");
    assert_eq!(
        named(&replies[0], "value"),
        (Value::from("OK"), Value::from("simple-string"))
    );
    assert_eq!(
        named(&replies[1], "value"),
        (Value::from("hello"), Value::from("bulk-string"))
    );
}

#[test]
fn frame_echo_under_a_profile_echoes_good_frames_and_records_a_bad_crc_by_name() {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use framescope::engine::{Engine, Profile, RecordKind, Role, ServerMode};

    let profile = Arc::new(Profile::compile(STX_CRC, "stx-crc.toml").unwrap());
    let engine = Engine::new().unwrap();
    let addr =
        crate::common::start_server_with(&engine, ServerMode::FrameEcho, Some(profile.clone()));
    let frame = |payload: &str| {
        profile
            .encode(&[("payload".into(), payload.into())], Role::Request)
            .unwrap()
    };
    let (one, two) = (frame("one"), frame("two"));
    let mut bad = frame("bad");
    let crc_at = bad.len() - 3;
    bad[crc_at] ^= 0xFF;
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(crate::common::WAIT)).unwrap();
    socket
        .write_all(&[&one[..], &bad[..], &two[..]].concat())
        .unwrap();
    let mut echoed = vec![0; one.len() + two.len()];
    socket.read_exact(&mut echoed).unwrap();
    assert_eq!(
        echoed,
        [&one[..], &two[..]].concat(),
        "the bad frame is not echoed"
    );
    // The connection reads on after the bad frame.
    socket.write_all(&one).unwrap();
    let mut again = vec![0; one.len()];
    socket.read_exact(&mut again).unwrap();
    assert_eq!(again, one);
    let errors: Vec<String> = engine
        .snapshot()
        .views()
        .filter(|view| view.kind == RecordKind::Error)
        .map(|view| view.error.unwrap().to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("crc (frame offset 6): checksum: expected 0x"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_mode_that_does_not_take_a_profile_yet_says_so() {
    let output = framescope(&[
        "serve",
        "--mode",
        "app",
        "--profile",
        "mqtt",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!output.status.success(), "{}", printed(&output));
    assert!(
        text(&output.stderr).contains("app mode does not take a profile yet"),
        "{}",
        printed(&output)
    );
}

/// A scenario under the modbus-tcp profile: fields sent and expected by name.
const MODBUS_SCENARIO: &str = r#"profile = "modbus-tcp"

[[scenario]]
name = "two holding registers"

[[scenario.step]]
connect = {}

[[scenario.step]]
send.field = { transaction = 1, unit = 1, function = "read-holding-registers", address = 0, quantity = 2 }

[[scenario.step]]
expect.field = { function = "read-holding-registers", byte_count = 4, registers = "00 11 00 2a" }
"#;

#[test]
fn a_scenario_sends_and_expects_fields_against_a_real_modbus_server() {
    let server = real_servers::modbus_server();
    let dir = tempfile::tempdir().unwrap();
    let target = format!("127.0.0.1:{}", server.port);
    let run = |name: &str, text: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        framescope(&["run", file.to_str().unwrap(), "--target", &target])
    };
    let passed = run("pass.toml", MODBUS_SCENARIO);
    assert_eq!(passed.status.code(), Some(0), "{}", printed(&passed));
    // Expecting other registers fails, and says what came, field by field.
    let failed = run(
        "fail.toml",
        &MODBUS_SCENARIO.replace("00 11 00 2a", "00 00 00 00"),
    );
    assert_eq!(failed.status.code(), Some(1), "{}", printed(&failed));
    let said = printed(&failed);
    assert!(said.contains("field registers"), "{said}");
    assert!(said.contains("registers=00 11 00 2a"), "{said}");
}

/// `framescope relay --profile modbus-tcp` between `send` and a pymodbus
/// server: the request reaches the device, its reply comes back, and the
/// relay's log names both legs' fields (its stop is a SIGTERM: Unix only).
#[cfg(unix)]
#[test]
fn a_relay_under_a_profile_forwards_to_a_real_modbus_server_and_names_both_legs_fields() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let server = real_servers::modbus_server();
    let dir = tempfile::tempdir().unwrap();
    let relay_log = dir.path().join("relay.jsonl");
    let mut relay = Command::new(env!("CARGO_BIN_EXE_framescope"))
        .args([
            "relay",
            "--profile",
            "modbus-tcp",
            "--listen",
            "127.0.0.1:0",
        ])
        .arg("--to")
        .arg(format!("127.0.0.1:{}", server.port))
        .arg("--log")
        .arg(&relay_log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut relay_out = BufReader::new(relay.stdout.take().unwrap());
    let mut listening = String::new();
    relay_out.read_line(&mut listening).unwrap();
    assert!(listening.contains("profile modbus-tcp"), "{listening}");
    let relay_port: u16 = listening
        .split_whitespace()
        .nth(2)
        .and_then(|addr| addr.rsplit(':').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("not a listening line: {listening}"));

    let reply = read_holding_registers(relay_port, dir.path(), "0");
    assert_eq!(named(&reply, "byte_count").0, 4);
    assert_eq!(named(&reply, "registers").0, "00 11 00 2a");

    let status = Command::new("kill")
        .args(["-TERM", &relay.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut printed = String::new();
    relay_out.read_to_string(&mut printed).unwrap();
    assert!(relay.wait().unwrap().success(), "{printed}");

    // Each frame once per leg: the request received from the client and
    // sent on to the device, the reply received from it and sent back.
    let frames: Vec<Value> = records(&relay_log)
        .into_iter()
        .filter(|r| r["kind"] == "frame")
        .collect();
    assert_eq!(frames.len(), 4, "{frames:#?}");
    assert!(frames.iter().all(|r| r["profile"] == "modbus-tcp"));
    let replies: Vec<&Value> = frames
        .iter()
        .filter(|r| r.to_string().contains("\"byte_count\""))
        .collect();
    assert_eq!(replies.len(), 2, "the reply on both legs: {frames:#?}");
    for reply in replies {
        assert_eq!(named(reply, "byte_count").0, 4);
        assert_eq!(
            named(reply, "function"),
            labelled(3, "read-holding-registers")
        );
    }
    assert!(
        printed.contains("function=read-holding-registers"),
        "fields printed by name:\n{printed}"
    );
}

#[test]
fn a_log_under_a_profile_file_carries_its_text_and_reopens_with_fields_named() {
    use framescope::engine::{Engine, ServerMode};
    let engine = Engine::new().unwrap();
    let addr = crate::common::start_server(&engine, ServerMode::RawEcho);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stx.jsonl");
    let profile = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/stx-crc.toml");
    let output = send(profile, addr.port(), &log, &["--field", "payload=hi"]);
    assert_eq!(output.status.code(), Some(0), "{}", printed(&output));

    // The text rides on the first record of the profile, and only there.
    let lines = records(&log);
    let carrying: Vec<&Value> = lines
        .iter()
        .filter(|r| r.get("profile_text").is_some())
        .collect();
    assert_eq!(carrying.len(), 1, "{lines:#?}");
    assert_eq!(
        carrying[0]["profile_text"].as_str(),
        std::fs::read_to_string(profile).ok().as_deref()
    );

    // Opened elsewhere (the profile file gone), the fields are named.
    let moved = dir.path().join("elsewhere.jsonl");
    std::fs::rename(&log, &moved).unwrap();
    let loaded = framescope::engine::load_log(&moved).unwrap();
    let frames: Vec<_> = loaded
        .records
        .views()
        .filter(|r| r.kind == framescope::engine::RecordKind::Frame)
        .collect();
    assert_eq!(frames.len(), 2, "sent and echoed");
    for frame in &frames {
        let profile = frame.profile.as_ref().expect("the profile, from the log");
        assert_eq!(profile.name(), "stx-crc");
        let (fields, fault) = profile.decode(&frame.bytes, framescope::engine::Role::Request);
        assert_eq!(fault, None);
        assert!(fields.iter().any(|f| f.name == "crc"), "{fields:?}");
    }
}
