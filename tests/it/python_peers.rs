//! Interoperability with Python peers built as the tutorial builds them
//! (`struct` and `json.dumps(..., ensure_ascii=False)`), run with python3.

use crate::common;

use common::{
    connect, eventually, frames_echoed, framescope, json_reply, python_peer, python_server,
    records, start_server, text,
};
use framescope::engine::tutorial_app::{binary_request, search_request};
use framescope::engine::{
    ClientMode, CloseReason, Command, ConnState, Direction, Engine, SendTarget, ServerMode,
};

#[test]
fn the_tutorial_client_gets_exact_answers_from_the_app_server() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::App);
    for (action, value, expected) in [
        (
            "search",
            "morpheus",
            "{\"result\": \"Follow the white rabbit. 🐰\"}",
        ),
        ("search", "🐶", "{\"result\": \"🐾 Playing ball! 🏐\"}"),
        // The tutorial's f-strings quote with single quotes.
        ("search", "neo", "{\"result\": \"No match for 'neo'.\"}"),
        (
            "find",
            "morpheus",
            "{\"result\": \"Error: invalid action 'find'.\"}",
        ),
        (
            "binary",
            "0123456789abc",
            "First 10 bytes of request: 0123456789",
        ),
    ] {
        let reply = json_reply(
            python_peer("tutorial_client.py")
                .args(["127.0.0.1", &addr.port().to_string(), action, value])
                .output()
                .unwrap(),
        );
        assert_eq!(reply["content"], expected);
        assert_eq!(reply["closed_after_reply"], true);
    }
    let server_records = records(&engine);
    let received: Vec<_> = server_records
        .iter()
        .filter(|r| r.direction == Direction::Received)
        .collect();
    assert_eq!(received.len(), 5);
    // The Python header arrives as Python wrote it: key order and separators kept.
    let header = framescope::engine::describe::header_text(&received[0].bytes).unwrap();
    assert!(
        header.starts_with(r#"{"byteorder": "#) && header.ends_with(r#""content-length": 41}"#),
        "{header}"
    );
}

#[test]
fn the_client_pool_talks_to_the_tutorial_server() {
    let (mut server, port) = python_server({
        let mut peer = python_peer("tutorial_server.py");
        peer.args(["127.0.0.1", "0", "2"]);
        peer
    });
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    let engine = Engine::new().unwrap();
    connect(&engine, addr, 1, ClientMode::Framed);
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: search_request("ring").build().unwrap(),
    });
    assert!(eventually(
        || engine.fresh_view().connections[0].state == ConnState::Closed(CloseReason::ClosedByPeer)
    ));
    connect(&engine, addr, 1, ClientMode::Framed);
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: binary_request(&b"\x01\x02\x03 raw"[..]).build().unwrap(),
    });
    assert!(eventually(|| frames_echoed(&engine) == 2));
    assert!(server.wait().unwrap().success());

    let replies: Vec<_> = records(&engine)
        .into_iter()
        .filter(|r| r.direction == Direction::Received)
        .collect();
    assert_eq!(
        framescope::engine::describe::content(&replies[0].bytes),
        "{\"result\": \"In the caves beneath the Misty Mountains. 💍\"}".as_bytes()
    );
    assert_eq!(
        framescope::engine::describe::content(&replies[1].bytes),
        b"First 10 bytes of request: \x01\x02\x03 raw"
    );
    assert_eq!(
        engine.fresh_view().client_counters.errors,
        0,
        "a close after the reply is not an error"
    );
}

/// The reply bytes of the Python tutorial server to one request, on a
/// connection of its own.
fn python_server_reply(request: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let (mut server, port) = python_server({
        let mut peer = python_peer("tutorial_server.py");
        peer.args(["127.0.0.1", "0", "1"]);
        peer
    });
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    socket.write_all(request).unwrap();
    let mut reply = Vec::new();
    socket.read_to_end(&mut reply).unwrap();
    assert!(server.wait().unwrap().success());
    reply
}

#[test]
fn the_app_server_answers_no_match_and_bad_actions_byte_for_byte_as_the_tutorial_server() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::App);
    let no_match = search_request("neo").build().unwrap();
    let bad_action = framescope::engine::FrameBuilder::json(
        &serde_json::json!({"action": "find", "value": "morpheus"}),
    )
    .build()
    .unwrap();
    for (request, answer) in [
        (no_match, "No match for 'neo'."),
        (bad_action, "Error: invalid action 'find'."),
    ] {
        let python = python_server_reply(&request);
        let ours = {
            use std::io::{Read, Write};
            let mut socket = std::net::TcpStream::connect(addr).unwrap();
            socket.write_all(&request).unwrap();
            let mut reply = Vec::new();
            socket.read_to_end(&mut reply).unwrap();
            reply
        };
        assert!(
            framescope::engine::describe::content(&python)
                .windows(answer.len())
                .any(|w| w == answer.as_bytes()),
            "the Python server said {:?}",
            String::from_utf8_lossy(&python)
        );
        // The header's byteorder is the machine's in both: the whole frame matches.
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&python)
        );
    }
}

/// `framescope send --json … --header content-encoding=ENCODING` to the
/// Python tutorial server, which decodes the request with the header's
/// encoding (`content.decode(header["content-encoding"])`) and quotes the
/// value back; the log's bytes of what was sent.
fn search_in(encoding: &str, value: &str) -> (serde_json::Value, Vec<u8>) {
    let (mut server, port) = python_server({
        let mut peer = python_peer("tutorial_server.py");
        peer.args(["127.0.0.1", "0", "1"]);
        peer
    });
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sent.jsonl");
    let json = format!(r#"{{"action": "search", "value": "{value}"}}"#);
    let output = framescope(&[
        "send",
        "--to",
        &format!("127.0.0.1:{port}"),
        "--json",
        &json,
        "--header",
        &format!("content-encoding={encoding}"),
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(server.wait().unwrap().success());
    let loaded = framescope::engine::load_log(&log).unwrap();
    let records: Vec<_> = loaded.records.views().collect();
    let sent = records
        .iter()
        .find(|r| r.direction == Direction::Sent)
        .expect("the request");
    let reply = records
        .iter()
        .find(|r| r.direction == Direction::Received)
        .expect("the reply");
    let content = framescope::engine::describe::content(&reply.bytes);
    (
        serde_json::from_slice(content).unwrap(),
        framescope::engine::describe::content(&sent.bytes).to_vec(),
    )
}

#[test]
fn content_in_gbk_and_utf_16_is_decoded_by_the_tutorial_server_with_the_headers_encoding() {
    for encoding in ["gbk", "gb18030", "big5", "utf-16-le", "utf-8"] {
        let (reply, sent) = search_in(encoding, "你好");
        assert_eq!(
            reply["result"], "No match for '你好'.",
            "{encoding}: the server read the value back"
        );
        let named = framescope::engine::TextEncoding::named(encoding).unwrap();
        assert_eq!(
            named.decode(&sent).text,
            r#"{"action": "search", "value": "你好"}"#,
            "{encoding}"
        );
        if encoding != "utf-8" {
            assert_ne!(
                sent,
                r#"{"action": "search", "value": "你好"}"#.as_bytes(),
                "{encoding}: not the UTF-8 bytes"
            );
        }
    }
}

#[test]
fn text_an_encoding_cannot_write_is_refused_naming_the_character() {
    let output = framescope(&[
        "send",
        "--to",
        "127.0.0.1:9",
        "--json",
        r#"{"value": "🐰"}"#,
        "--header",
        "content-encoding=gbk",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("gbk cannot write '🐰'"),
        "{}",
        text(&output.stderr)
    );
    let output = framescope(&[
        "send",
        "--to",
        "127.0.0.1:9",
        "--text",
        "x",
        "--header",
        "content-encoding=klingon",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("\"klingon\" is not a text encoding"));
}
