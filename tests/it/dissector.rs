//! The Lua dissector that `framescope dissector` generates from a profile,
//! run by Wireshark's own `tshark` over the pcapng export of real traffic:
//! a pymodbus server's replies to read holding registers (one with data,
//! one an exception) under `modbus-tcp`, and mosquitto's answers to CONNECT
//! and PINGREQ under `mqtt`, and dnsmasq's answer over UDP under `dns`. Each frame shows the same field values in
//! `tshark` as in framescope's own log, and `tshark` says nothing about Lua.
//!
//! `tshark`, mosquitto and pymodbus must be installed: a missing one fails
//! the test and names it (`tshark` as in `wireshark.rs`, which
//! `FRAMESCOPE_SKIP_TSHARK=1` skips).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::real_servers;
use crate::common::{framescope, printed, read_holding_registers_args, send_profile, text};
use crate::wireshark::{tshark, tshark_available};

/// CONNECT (client "fs", clean session, keep-alive 60) and PINGREQ.
const MQTT_CONNECT_PING: &str = "10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 66 73 c0 00";

/// A Lua error thrown by the dissector, a packet it left malformed, or a
/// frame it flagged as breaking its profile.
const DISSECTOR_FAILED: &str = "_ws.lua.error || _ws.malformed || _ws.expert.severity == error";

/// Runs framescope with `args`; fails the test unless it exits 0.
fn run(args: &[&str]) {
    let output = framescope(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "framescope {args:?}: {}",
        printed(&output)
    );
}

/// `framescope dissector PROFILE --out DIR/PROFILE.lua [--port PORT]`: the
/// file written.
fn generate(dir: &Path, profile: &str, port: Option<u16>) -> PathBuf {
    let lua = dir.join(format!("{profile}.lua"));
    let port = port.map(|port| port.to_string());
    let mut args = vec!["dissector", profile, "--out", lua.to_str().unwrap()];
    if let Some(port) = &port {
        args.extend(["--port", port.as_str()]);
    }
    run(&args);
    let written = std::fs::read_to_string(&lua).unwrap();
    assert!(
        written.starts_with("-- A Wireshark dissector for the framescope profile"),
        "{written}"
    );
    assert!(written.contains("do not edit"), "{written}");
    lua
}

/// `framescope send --profile PROFILE --to 127.0.0.1:PORT ARGS… --log
/// DIR/NAME.jsonl`, then `framescope export` of that log to
/// DIR/NAME.pcapng: the log's frame records, sent and received, in the
/// order the capture has them, and the capture.
fn send_and_export(
    dir: &Path,
    name: &str,
    profile: &str,
    port: u16,
    args: &[&str],
) -> (Vec<Value>, PathBuf) {
    let log = dir.join(format!("{name}.jsonl"));
    let pcapng = dir.join(format!("{name}.pcapng"));
    let sent = send_profile(profile, port, &log, args);
    assert_eq!(sent.status.code(), Some(0), "send: {}", printed(&sent));
    run(&["export", log.to_str().unwrap(), pcapng.to_str().unwrap()]);
    let frames = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .filter(|record| record["kind"] == "frame")
        .collect();
    (frames, pcapng)
}

/// A field's value in a frame record of the log, as `tshark -T fields`
/// prints it: a number in decimal, text as it is; empty when the frame has
/// no such field.
fn logged(record: &Value, name: &str) -> String {
    record["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("a frame record has fields: {record}"))
        .iter()
        .find(|field| field["name"] == name)
        .map(|field| match &field["value"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// `tshark`'s arguments to load `lua`, choose its port when `port` is
/// given, reassemble TCP and read `capture`.
fn dissector_args(lua: &Path, capture: &Path, proto: &str, port: Option<u16>) -> Vec<String> {
    let mut args = vec!["-X".to_owned(), format!("lua_script:{}", lua.display())];
    if let Some(port) = port {
        args.extend(["-o".to_owned(), format!("{proto}.port:{port}")]);
    }
    args.extend(
        ["-o", "tcp.desegment_tcp_streams:TRUE", "-r"]
            .into_iter()
            .map(str::to_owned),
    );
    args.push(capture.to_str().unwrap().to_owned());
    args
}

/// The `fields` of `proto` (`-e PROTO.FIELD`) in each packet that has a
/// frame of it, one row a packet (the values of several frames in one
/// packet joined by commas).
fn dissect(
    dir: &Path,
    (lua, capture): (&Path, &Path),
    proto: &str,
    port: Option<u16>,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut args = dissector_args(lua, capture, proto, port);
    args.extend(["-Y", proto, "-T", "fields", "-E", "occurrence=a"].map(str::to_owned));
    for field in fields {
        args.extend(["-e".to_owned(), format!("{proto}.{field}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tshark(dir, &args)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Asserts that no packet of `capture` has a Lua error, a malformed frame
/// or a frame flagged as breaking its profile.
fn assert_no_fault(dir: &Path, (lua, capture): (&Path, &Path), proto: &str, port: Option<u16>) {
    let mut args = dissector_args(lua, capture, proto, port);
    args.extend(["-Y", DISSECTOR_FAILED].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tshark(dir, &args);
    assert!(
        out.trim().is_empty(),
        "packets with {DISSECTOR_FAILED}:\n{out}"
    );
}

/// Asserts that each frame of the log is one packet's row of `tshark`'s,
/// with the same value of each field.
fn assert_same_fields(rows: &[Vec<String>], frames: &[Value], fields: &[&str]) {
    assert_eq!(
        rows.len(),
        frames.len(),
        "a packet for each frame of the log: tshark {rows:?}, log {frames:#?}"
    );
    for (n, (row, frame)) in rows.iter().zip(frames).enumerate() {
        assert_eq!(row.len(), fields.len(), "{row:?}");
        for (cell, name) in row.iter().zip(fields) {
            assert_eq!(
                *cell,
                logged(frame, name),
                "frame {n} ({} {}), field {name}: tshark's row {row:?}, the log's {}",
                frame["direction"],
                frame["wire_len"],
                frame["fields"]
            );
        }
    }
}

#[test]
fn the_generated_modbus_dissector_shows_what_the_log_shows() {
    if !tshark_available("the_generated_modbus_dissector_shows_what_the_log_shows") {
        return;
    }
    let server = real_servers::modbus_server();
    let dir = tempfile::tempdir().unwrap();
    let lua = generate(dir.path(), "modbus-tcp", None);
    let fields = [
        "function",
        "byte_count",
        "exception_code",
        "address",
        "quantity",
    ];
    // pymodbus answers only the first of two requests that arrive
    // together: one `send` a request. At 0: 00 01 00 00 00 07 01 03 04 00
    // 11 00 2a; at 256 (no such register), the exception 01 83 02.
    for (address, function, reply) in [("0", "3", "byte_count"), ("256", "131", "exception_code")] {
        let args = read_holding_registers_args(address);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (frames, capture) = send_and_export(
            dir.path(),
            &format!("modbus-{address}"),
            "modbus-tcp",
            server.port,
            &args,
        );
        assert_eq!(frames.len(), 2, "a request and its reply: {frames:#?}");
        assert_eq!(logged(&frames[1], "function"), function);
        assert!(!logged(&frames[1], reply).is_empty(), "{frames:#?}");
        // The server's port is a free one, not Modbus's 502: the
        // dissector's preference points it there, which also tells
        // requests (to it) from replies.
        let files = (lua.as_path(), capture.as_path());
        let rows = dissect(
            dir.path(),
            files,
            "fs_modbus_tcp",
            Some(server.port),
            &fields,
        );
        assert_same_fields(&rows, &frames, &fields);
        assert_eq!(rows[0][3], address, "the request's address");
        assert_eq!(rows[1][0], function, "the reply's function");
        if address == "0" {
            assert_eq!(rows[1][1], "4", "four bytes of registers");
            let registers = dissect(
                dir.path(),
                files,
                "fs_modbus_tcp",
                Some(server.port),
                // With the function beside it, the request's row is not blank.
                &["function", "registers"],
            );
            assert_eq!(
                registers[1][1],
                logged(&frames[1], "registers").replace(' ', ""),
                "bytes, as tshark prints them"
            );
        } else {
            assert_eq!(rows[1][2], "2", "illegal-data-address");
        }
        assert_no_fault(dir.path(), files, "fs_modbus_tcp", Some(server.port));
    }
}

#[test]
fn the_generated_mqtt_dissector_shows_what_the_log_shows() {
    if !tshark_available("the_generated_mqtt_dissector_shows_what_the_log_shows") {
        return;
    }
    let broker = real_servers::mosquitto();
    let dir = tempfile::tempdir().unwrap();
    // Generated for the broker's port: no preference needed.
    let lua = generate(dir.path(), "mqtt", Some(broker.port));
    let (frames, capture) = send_and_export(
        dir.path(),
        "mqtt",
        "mqtt",
        broker.port,
        &["--hex", MQTT_CONNECT_PING, "--replies", "2"],
    );
    assert_eq!(
        frames.len(),
        4,
        "CONNECT, PINGREQ and their answers: {frames:#?}"
    );
    let fields = [
        "type",
        "remaining_length",
        "return_code",
        "client_id",
        "clean_session",
    ];
    let files = (lua.as_path(), capture.as_path());
    let rows = dissect(dir.path(), files, "fs_mqtt", None, &fields);
    assert_same_fields(&rows, &frames, &fields);
    // The client queues CONNECT and PINGREQ together, but under load they
    // may go in two writes, the CONNACK between them: the rows follow the
    // log (checked above), and each direction keeps its own order.
    let way = |direction: &str| -> Vec<&Vec<String>> {
        rows.iter()
            .zip(&frames)
            .filter(|(_, frame)| frame["direction"] == direction)
            .map(|(row, _)| row)
            .collect()
    };
    let (sent, received) = (way("sent"), way("received"));
    let column = |rows: &[&Vec<String>], at: usize| -> Vec<String> {
        rows.iter().map(|row| row[at].clone()).collect()
    };
    assert_eq!(column(&sent, 0), ["1", "12"], "CONNECT, PINGREQ");
    assert_eq!(column(&received, 0), ["2", "13"], "CONNACK, PINGRESP");
    assert_eq!(column(&sent, 1), ["14", "0"], "the varint remaining length");
    assert_eq!(
        column(&received, 1),
        ["2", "0"],
        "the varint remaining length"
    );
    assert_eq!(received[0][2], "0", "CONNACK: accepted");
    assert_eq!(sent[0][3], "fs", "CONNECT's client id");
    assert_no_fault(dir.path(), files, "fs_mqtt", None);
}

#[test]
fn a_profile_with_no_frames_to_dissect_is_refused_naming_its_framing() {
    let dir = tempfile::tempdir().unwrap();
    for (profile, words) in [
        ("raw", "\"raw\" framing"),
        ("resp", "\"resp\" framing"),
        ("json-header", "assets/wireshark/framescope.lua"),
    ] {
        let out = dir.path().join(format!("{profile}.lua"));
        let output = framescope(&["dissector", profile, "--out", out.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{}", printed(&output));
        assert!(text(&output.stderr).contains(words), "{}", printed(&output));
        assert!(!out.exists(), "nothing written for {profile}");
    }
    let output = framescope(&["dissector", "no-such-profile", "--out", "x.lua"]);
    assert_eq!(output.status.code(), Some(2), "{}", printed(&output));
}

#[test]
fn the_generated_dns_dissector_reads_dnsmasqs_udp_answer() {
    if !tshark_available("the_generated_dns_dissector_reads_dnsmasqs_udp_answer") {
        return;
    }
    let dns = real_servers::dnsmasq();
    let dir = tempfile::tempdir().unwrap();
    // Registered for the server's port, over UDP as over TCP.
    let lua = generate(dir.path(), "dns", Some(dns.port));
    let (frames, capture) = send_and_export(
        dir.path(),
        "dns",
        "dns",
        dns.port,
        &[
            "--udp",
            "--field",
            "id=0x2468",
            "--field",
            "rd=1",
            "--field",
            "qdcount=1",
            "--field",
            "body=02 66 73 04 74 65 73 74 00 00 01 00 01",
        ],
    );
    assert_eq!(frames.len(), 2, "the query and its answer: {frames:#?}");
    assert!(
        frames.iter().all(|f| f["transport"] == "udp"),
        "{frames:#?}"
    );
    let fields = ["id", "qr", "rd", "rcode", "qdcount", "ancount"];
    let files = (lua.as_path(), capture.as_path());
    let rows = dissect(dir.path(), files, "fs_dns", None, &fields);
    assert_same_fields(&rows, &frames, &fields);
    assert_eq!(rows[0][1], "0", "a query");
    assert_eq!(rows[1][1], "1", "a response");
    assert_eq!(rows[1][5], "1", "one answer");
    assert_no_fault(dir.path(), files, "fs_dns", None);
}
