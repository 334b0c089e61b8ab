//! Server rules over loopback: every action, the frame-number predicate,
//! captured values and payload variables in replies, the default, hit
//! counts, and rule files rejected with their line and column.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::{eventually, framescope, start_server};
use framescope::engine::rules::{self, RuleSet};
use framescope::engine::{Command, Engine, Frame, FrameBuilder, FrameCodec, ServerMode};
use serde_json::{Value, json};

const READ_WAIT: Duration = Duration::from_secs(10);

fn rule_set(source: &str) -> Arc<RuleSet> {
    Arc::new(rules::compile(Path::new("test.toml"), source).unwrap_or_else(|e| panic!("{e}")))
}

/// An engine serving `source`'s rules on a free loopback port.
fn serve(source: &str) -> (Engine, SocketAddr, Arc<RuleSet>) {
    let engine = Engine::new().unwrap();
    let set = rule_set(source);
    engine.command(Command::SetRules(Some(set.clone())));
    let addr = start_server(&engine, ServerMode::Rules);
    (engine, addr, set)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let socket = TcpStream::connect(addr).unwrap();
    socket.set_read_timeout(Some(READ_WAIT)).unwrap();
    socket
}

/// Reads one whole frame.
fn read_frame(socket: &mut TcpStream) -> Frame {
    let mut codec = FrameCodec::new(1 << 20);
    let mut buf = BytesMut::new();
    loop {
        if let Some(frame) = codec.decode(&mut buf).unwrap() {
            return frame;
        }
        let mut chunk = [0; 4096];
        let n = socket.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before a whole frame: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Everything until the peer closes.
fn read_to_close(socket: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut all = Vec::new();
    socket.read_to_end(&mut all).map(|_| all)
}

fn json_of(frame: &Frame) -> Value {
    serde_json::from_slice(&frame.content()).unwrap()
}

fn text_frame(text: &str) -> Bytes {
    FrameBuilder::new()
        .field("content-type", "text/plain")
        .content(text.to_owned())
        .build()
        .unwrap()
}

#[test]
fn a_reply_uses_captured_values_and_payload_variables() {
    let (_engine, addr, _) = serve(
        r#"
        [[rule]]
        when.json."/action" = "greet"
        capture.name = { json = "/name" }
        capture.id = { header = "request-id" }
        then.reply.json = { greeting = "hello {{name}}", frame = "{{seq}}" }
        then.reply.header.request-id = "{{id}}"
        "#,
    );
    let mut socket = connect(addr);
    let request = FrameBuilder::json(&json!({"action": "greet", "name": "Trinity"}))
        .field("request-id", "r-42")
        .build()
        .unwrap();
    socket.write_all(&request).unwrap();
    let reply = read_frame(&mut socket);
    assert_eq!(
        json_of(&reply),
        json!({"greeting": "hello Trinity", "frame": "1"})
    );
    assert_eq!(reply.header()["request-id"], "r-42");
    assert_eq!(reply.header()["content-type"], "text/json");
    // The second frame on the connection: {{seq}} is 2.
    socket.write_all(&request).unwrap();
    assert_eq!(json_of(&read_frame(&mut socket))["frame"], "2");
}

#[test]
fn frame_numbers_echo_wait_and_close() {
    let (_engine, addr, _) = serve(
        r#"
        [[rule]]
        when.frame = 1
        then.reply.text = "first"

        [[rule]]
        when.frame = { from = 2, to = 3 }
        then = [{ wait = "200ms" }, { echo = true }]

        [default]
        then = [{ reply.text = "bye" }, { close = true }]
        "#,
    );
    let mut socket = connect(addr);
    socket.write_all(&text_frame("one")).unwrap();
    assert_eq!(&read_frame(&mut socket).content()[..], b"first");
    for word in ["two", "three"] {
        let sent = Instant::now();
        socket.write_all(&text_frame(word)).unwrap();
        let echo = read_frame(&mut socket);
        assert!(sent.elapsed() >= Duration::from_millis(200), "the wait");
        assert_eq!(echo.raw(), &text_frame(word));
    }
    socket.write_all(&text_frame("four")).unwrap();
    assert_eq!(&read_frame(&mut socket).content()[..], b"bye");
    assert_eq!(read_to_close(&mut socket).unwrap(), b"", "closed after bye");
}

#[test]
fn a_reset_rule_resets_the_connection() {
    let (_engine, addr, _) = serve(
        r#"
        [[rule]]
        when.text = "reset me"
        then.reset = true
        "#,
    );
    let mut socket = connect(addr);
    socket.write_all(&text_frame("reset me")).unwrap();
    let error = read_to_close(&mut socket).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
}

#[test]
fn malformed_replies_break_the_frame_as_asked() {
    let (_engine, addr, _) = serve(
        r#"
        [[rule]]
        when.text = "omit"
        then.reply = { text = "x", omit = ["content-length"] }

        [[rule]]
        when.text = "length"
        then.reply = { text = "abc", header.content-length = 99 }

        [[rule]]
        when.text = "proto"
        then.reply = { text = "x", proto-header = 0 }

        [[rule]]
        when.text = "cut"
        then = [{ reply = { text = "hello", truncate = 5 } }, { close = true }]
        "#,
    );
    let ask = |word: &str| {
        let mut socket = connect(addr);
        socket.write_all(&text_frame(word)).unwrap();
        if word == "cut" {
            return read_to_close(&mut socket).unwrap();
        }
        let mut buf = vec![0; 4096];
        let n = socket.read(&mut buf).unwrap();
        buf.truncate(n);
        buf
    };
    let omitted = ask("omit");
    let header = String::from_utf8_lossy(&omitted[2..omitted.len() - 1]);
    assert!(!header.contains("content-length"), "{header}");
    let wrong = ask("length");
    assert!(String::from_utf8_lossy(&wrong).contains(r#""content-length": 99"#));
    assert_eq!(&ask("proto")[..2], &[0, 0]);
    assert_eq!(ask("cut").len(), 5);
}

#[test]
fn drop_default_and_hit_counts() {
    let (engine, addr, set) = serve(
        r#"
        [[rule]]
        name = "ignored"
        when.text = "ignore"
        then.drop = true

        [[rule]]
        when.header.kind = "never"
        then.echo = true

        [default]
        then.reply.text = "default"
        "#,
    );
    let mut socket = connect(addr);
    socket.write_all(&text_frame("ignore")).unwrap();
    socket.write_all(&text_frame("ignore")).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0; 1];
    let quiet = socket.read(&mut byte).unwrap_err();
    assert!(
        matches!(quiet.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "dropped frames get no answer: {quiet}"
    );
    socket.set_read_timeout(Some(READ_WAIT)).unwrap();
    socket.write_all(&text_frame("anything")).unwrap();
    assert_eq!(&read_frame(&mut socket).content()[..], b"default");
    assert_eq!(set.hits(), [2, 0, 1]);
    assert!(eventually(|| {
        engine
            .fresh_view()
            .rules
            .as_ref()
            .is_some_and(|rules| rules.set_id == set.id() && *rules.hits == [2, 0, 1])
    }));
}

#[test]
fn a_decode_error_rule_answers_then_the_connection_closes() {
    let (_engine, addr, _) = serve(
        r#"
        [[rule]]
        when.decode-error = { reason = "missing-key" }
        then.reply.text = "your frame has no content-length"
        "#,
    );
    let mut socket = connect(addr);
    let broken = FrameBuilder::new()
        .without_field("content-length")
        .build()
        .unwrap();
    socket.write_all(&broken).unwrap();
    assert_eq!(
        &read_frame(&mut socket).content()[..],
        b"your frame has no content-length"
    );
    assert_eq!(read_to_close(&mut socket).unwrap(), b"");
}

#[test]
fn rules_change_while_the_server_runs() {
    let (engine, addr, _) = serve("[default]\nthen.reply.text = \"old\"\n");
    let mut socket = connect(addr);
    socket.write_all(&text_frame("a")).unwrap();
    assert_eq!(&read_frame(&mut socket).content()[..], b"old");
    engine.command(Command::SetRules(Some(rule_set(
        "[default]\nthen.reply.text = \"new\"\n",
    ))));
    socket.write_all(&text_frame("b")).unwrap();
    assert_eq!(&read_frame(&mut socket).content()[..], b"new");
}

#[test]
fn rules_mode_without_rules_does_not_start() {
    let engine = Engine::new().unwrap();
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode: ServerMode::Rules,
        tls: None,
        upstream: None,
        profile: None,
    });
    let error = common::wait_event(&engine, |event| match event {
        framescope::engine::Event::ServerFailed(error) => Some(error.to_string()),
        framescope::engine::Event::ServerStarted { .. } => panic!("started without rules"),
        _ => None,
    });
    assert!(error.contains("rules mode needs rules"), "{error}");
}

#[test]
fn bad_rule_files_are_rejected_with_line_and_column() {
    let cases = [
        ("", "1:1", "no [[rule]] and no [default]"),
        ("[[rule]]\nwhen.text = 1\n", "1:1", "missing field `then`"),
        (
            "[[rule]]\nthen.explode = true\n",
            "2:6",
            "unknown field `explode`",
        ),
        (
            "[[rule]]\nthen = [{ echo = true, close = true }]\n",
            "2:9",
            "one action, one kind: this action has echo and close",
        ),
        (
            "[[rule]]\nwhen.text = { matches = \"(\" }\nthen.echo = true\n",
            "2:13",
            "bad regular expression",
        ),
        (
            "[[rule]]\nwhen.json.\"action\" = 1\nthen.echo = true\n",
            "2:22",
            "not a JSON pointer",
        ),
        (
            "[[rule]]\nthen.reply.text = \"{{nobody}}\"\n",
            "2:19",
            "{{nobody}} is not a payload variable",
        ),
        (
            "[[rule]]\nwhen.frame = 0\nthen.echo = true\n",
            "2:14",
            "frames are numbered from 1",
        ),
        (
            "[[rule]]\nthen = [{ close = true }, { echo = true }]\n",
            "2:27",
            "nothing can follow close or reset",
        ),
        (
            "[[rule]]\ncapture.x = { regex = \"a\", group = 3 }\nthen.echo = true\n",
            "2:13",
            "the regex has no group 3",
        ),
        (
            "[[rule]]\nthen = []\n",
            "2:8",
            "then needs at least one action",
        ),
    ];
    let wrong: Vec<String> = cases
        .into_iter()
        .filter_map(|(source, at, words)| {
            let error = rules::compile(Path::new("bad.toml"), source)
                .map(|_| ())
                .unwrap_err()
                .to_string();
            let right = error.starts_with(&format!("bad.toml:{at}: ")) && error.contains(words);
            (!right).then(|| format!("{source:?}: {error}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn serve_refuses_rules_mode_without_a_good_rules_file() {
    let output = framescope(&["serve", "--mode", "rules", "--listen", "127.0.0.1:0"]);
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--mode rules needs --rules FILE"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[[rule]]\nwhen.frame = 0\nthen.echo = true\n").unwrap();
    let output = framescope(&[
        "serve",
        "--mode",
        "rules",
        "--rules",
        path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_ne!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(
        stderr.contains(&format!("{}:2:14: frames are numbered", path.display())),
        "{stderr}"
    );
}

/// `serve` prints each rule's hits when SIGTERM stops it.
#[cfg(unix)]
#[test]
fn serve_prints_the_hit_counts_when_it_stops() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Process, Stdio};
    let rules = format!("{}/examples/rules.toml", env!("CARGO_MANIFEST_DIR"));
    let mut child = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["serve", "--mode", "rules", "--rules", &rules])
        .args(["--listen", "127.0.0.1:0", "--quiet"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    for value in ["ring", "neo"] {
        let mut socket = connect(addr);
        let request = framescope::engine::tutorial_app::search_request(value)
            .build()
            .unwrap();
        socket.write_all(&request).unwrap();
        read_frame(&mut socket);
    }
    let status = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let _ = child.wait();
    assert!(rest.contains("rule hits:"), "{rest}");
    assert!(rest.contains("1  #2 (line 24) search for ring"), "{rest}");
    assert!(
        rest.contains("1  #4 (line 44) a search with no match"),
        "{rest}"
    );
    assert!(rest.contains("0  default"), "{rest}");
}

#[test]
fn the_readme_rules_example_compiles() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = &readme[readme.find("### Server rules").expect("the rules section")..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let set = rule_set(block);
    assert_eq!(set.rules().len(), 2);
    assert!(set.default_rule().is_some());
}

/// Rules for Modbus (the README's example): read-holding-registers
/// answered with two registers, anything else with an exception; lengths
/// and byte counts computed.
const MODBUS_RULES: &str = include_str!("../../examples/modbus-rules.toml");

/// The received frames of a `send --log` file.
fn received(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|record| record["direction"] == "received" && record["kind"] == "frame")
        .collect()
}

/// A field's value and label in a logged record.
fn field(record: &Value, name: &str) -> (Value, Value) {
    let entry = record["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {record}"));
    (entry["value"].clone(), entry["label"].clone())
}

#[test]
fn rules_under_a_profile_match_fields_and_reply_with_computed_ones() {
    let (_engine, addr, set) = serve(MODBUS_RULES);
    let dir = tempfile::tempdir().unwrap();
    let to = addr.to_string();
    let ask = |function: &str, log: &Path| {
        let output = framescope(&[
            "send",
            "--profile",
            "modbus-tcp",
            "--to",
            &to,
            "--timeout",
            "10",
            "--log",
            log.to_str().unwrap(),
            "--field",
            "transaction=1",
            "--field",
            "unit=1",
            "--field",
            &format!("function={function}"),
            "--field",
            "quantity=2",
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        received(log)
    };
    let registers = ask("read-holding-registers", &dir.path().join("r.jsonl"));
    assert_eq!(registers.len(), 1);
    assert_eq!(
        field(&registers[0], "length").0,
        7,
        "the length is computed"
    );
    assert_eq!(
        field(&registers[0], "byte_count").0,
        4,
        "so is the byte count"
    );
    assert_eq!(field(&registers[0], "registers").0, "00 11 00 2a");
    let exception = ask("read-coils", &dir.path().join("e.jsonl"));
    assert_eq!(
        field(&exception[0], "function"),
        (json!(0x81), json!("read-coils-exception"))
    );
    assert_eq!(
        field(&exception[0], "exception_code"),
        (json!(1), json!("illegal-function"))
    );
    assert_eq!(set.hits(), [1, 1], "the rule, then the default");
}

#[test]
fn a_field_a_profile_does_not_have_is_refused_at_its_line() {
    let error = |source: &str| {
        rules::compile(Path::new("r.toml"), source)
            .expect_err("the file is wrong")
            .to_string()
    };
    let typo =
        error("profile = \"modbus-tcp\"\n[[rule]]\nwhen.field.functon = 3\nthen.echo = true\n");
    assert!(typo.starts_with("r.toml:3:"), "{typo}");
    assert!(typo.contains("no field \"functon\""), "{typo}");
    let no_profile = error("[[rule]]\nwhen.field.function = 3\nthen.echo = true\n");
    assert!(no_profile.contains("needs a profile"), "{no_profile}");
    let unknown = error("profile = \"modbus\"\n[[rule]]\nthen.echo = true\n");
    assert!(
        unknown.starts_with("r.toml:1:11: profile: \"modbus\" is not a built-in"),
        "{unknown}"
    );
}

#[test]
fn a_frame_that_breaks_the_profile_is_an_error_row_and_the_rules_connection_reads_on() {
    let (engine, addr, _set) = serve(MODBUS_RULES);
    let mut socket = connect(addr);
    // Protocol 1 where modbus-tcp says 0 (its length is known), then a
    // good read-holding-registers request, in one write.
    let bad = [0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 2];
    let good = [0, 2, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];
    socket.write_all(&[&bad[..], &good[..]].concat()).unwrap();
    // The good one is answered (the example's device always answers
    // transaction 1): .. 00 07 01 03 04 00 11 00 2a.
    let mut reply = [0u8; 13];
    socket.read_exact(&mut reply).unwrap();
    assert_eq!(reply[7..9], [3, 4], "{reply:02x?}");
    let errors: Vec<String> = common::records(&engine)
        .into_iter()
        .filter(|r| r.kind == framescope::engine::RecordKind::Error)
        .filter_map(|r| r.error.map(|e| e.to_string()))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("protocol") && errors[0].contains("const"),
        "{errors:?}"
    );
    // Still open: a third request is answered too.
    socket.write_all(&good).unwrap();
    socket.read_exact(&mut reply).unwrap();
    assert_eq!(reply[7..9], [3, 4], "{reply:02x?}");
}

#[test]
fn a_rule_matches_a_key_of_a_json_field_and_replies_with_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("doc.toml"),
        "[profile]\nname = \"doc\"\n\n[[field]]\nname = \"len\"\ntype = \"u16\"\nlength_of = [\"meta\"]\n\n[[field]]\nname = \"meta\"\ntype = \"json\"\n",
    )
    .unwrap();
    let rules_path = dir.path().join("rules.toml");
    std::fs::write(
        &rules_path,
        "profile = \"doc.toml\"\n\n[[rule]]\nwhen.field.\"meta.action\" = \"search\"\nthen.reply.field = { \"meta.result\" = \"found\" }\n",
    )
    .unwrap();
    let set = Arc::new(rules::load(&rules_path).unwrap_or_else(|e| panic!("{e}")));
    let engine = Engine::new().unwrap();
    engine.command(Command::SetRules(Some(set.clone())));
    let addr = start_server(&engine, ServerMode::Rules);
    let mut socket = connect(addr);
    let request = br#"{"action": "search"}"#;
    socket
        .write_all(&[&(request.len() as u16).to_be_bytes()[..], request].concat())
        .unwrap();
    let mut len = [0u8; 2];
    socket.read_exact(&mut len).unwrap();
    let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
    socket.read_exact(&mut reply).unwrap();
    let reply: Value = serde_json::from_slice(&reply).unwrap();
    assert_eq!(reply, json!({"result": "found"}));
    assert_eq!(set.hits()[0], 1, "the rule hit");
}
