//! Interoperability with Python peers built as the tutorial builds them
//! (`struct` and `json.dumps(..., ensure_ascii=False)`), run with python3.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{connect, eventually, frames_echoed, json_reply, python_peer, records, start_server};
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
    assert_eq!(received.len(), 3);
    // The Python header arrives as Python wrote it: key order and separators kept.
    let header = framescope::engine::describe::header_text(&received[0].bytes).unwrap();
    assert!(
        header.starts_with(r#"{"byteorder": "#) && header.ends_with(r#""content-length": 41}"#),
        "{header}"
    );
}

#[test]
fn the_client_pool_talks_to_the_tutorial_server() {
    let mut server = python_peer("tutorial_server.py")
        .args(["127.0.0.1", "0", "2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
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
