//! The engine's published view and its journal settings: what a viewer
//! reads without locking anything agrees with the pool, and capture and
//! journal bounds set by command (or on the command line) take effect.

use crate::common;

use std::process::Command as Process;

use bytes::Bytes;
use common::{connect, eventually, start_server};
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{
    Capture, ClientMode, CloseReason, Command, CommandOutcome, ConnState, Engine, JournalLimits,
    RecordKind, SendTarget, ServerMode, Side,
};

#[test]
fn the_published_view_follows_connects_sends_and_closes() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    assert!(eventually(|| engine.view().server.listening == Some(addr)));
    connect(&engine, addr, 5, ClientMode::Framed);
    // The published view (not a fresh one) catches up by itself.
    assert!(eventually(|| engine.view().pool.open == 5));
    let view = engine.view();
    let fresh = engine.fresh_view();
    assert_eq!(view.connections.len(), 5);
    let ids = |v: &framescope::engine::EngineView| -> Vec<(u32, ConnState)> {
        v.connections
            .iter()
            .map(|c| (c.id, c.state.clone()))
            .collect()
    };
    assert_eq!(ids(&view), ids(&fresh));
    assert!(view.connections.iter().all(|c| c.target == addr));
    assert_eq!(
        view.connection(view.connections[2].id),
        Some(&view.connections[2])
    );

    let frame = search_request("ring").build().unwrap();
    let outcome = engine.command(Command::Send {
        target: SendTarget::All,
        bytes: frame.clone(),
    });
    assert!(matches!(outcome, CommandOutcome::Sent(report) if report.queued == 5));
    assert!(eventually(|| {
        let view = engine.view();
        view.client_counters.frames_received == 5
            && view.server_counters.frames_sent == 5
            && view
                .connections
                .iter()
                .all(|c| c.counters.frames_received == 1 && c.counters.frames_sent == 1)
            && view.latency.summary.count == 5
    }));
    assert_eq!(
        engine.view().client_counters.bytes_sent,
        5 * frame.len() as u64
    );
    assert!(!engine.view().latency.buckets.is_empty());

    let one = engine.view().connections[0].id;
    let report = engine.command(Command::Send {
        target: SendTarget::One(one),
        bytes: frame.clone(),
    });
    assert!(matches!(report, CommandOutcome::Sent(r) if r.queued == 1));
    assert!(eventually(|| engine
        .view()
        .connection(one)
        .is_some_and(|c| c.counters.frames_received == 2)));

    engine.command(Command::DisconnectAll);
    assert!(eventually(|| {
        let view = engine.view();
        view.pool.closed == 5
            && view
                .connections
                .iter()
                .all(|c| c.state == ConnState::Closed(CloseReason::ClosedByUser))
    }));
    assert!(eventually(|| engine.view().server.open_connections == 0));
    engine.command(Command::ClearClosed);
    assert!(eventually(|| engine.view().connections.is_empty()));
    let gone = engine.command(Command::Send {
        target: SendTarget::One(one),
        bytes: frame,
    });
    assert!(matches!(gone, CommandOutcome::Sent(r) if r.queued == 0 && r.not_open == 0));
}

#[test]
fn capture_and_journal_bounds_set_by_command_take_effect() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    connect(&engine, addr, 1, ClientMode::Framed);
    let frame = search_request("x".repeat(500).as_str()).build().unwrap();
    let send = |bytes: &Bytes| {
        engine.command(Command::Send {
            target: SendTarget::All,
            bytes: bytes.clone(),
        })
    };

    engine.command(Command::SetCapture(Capture::HeadersOnly));
    assert!(eventually(|| engine.view().capture == Capture::HeadersOnly));
    send(&frame);
    assert!(eventually(|| engine.snapshot().len() == 4));
    let snapshot = engine.snapshot();
    for view in snapshot.views() {
        assert_eq!(view.kind, RecordKind::Frame);
        assert_eq!(view.wire_len as usize, frame.len());
        assert_eq!(view.bytes.len(), frame.len() - 500 - 33, "headers only");
    }

    engine.command(Command::SetCapture(Capture::Off));
    assert!(eventually(|| engine.view().capture == Capture::Off));
    send(&frame);
    assert!(eventually(
        || engine.view().client_counters.frames_received == 2
    ));
    assert_eq!(engine.snapshot().len(), 4, "capture off records nothing");

    engine.command(Command::SetCapture(Capture::Full));
    let bounds = JournalLimits {
        max_records: 3,
        max_bytes: 1 << 20,
    };
    engine.command(Command::SetJournalLimits(bounds));
    assert!(eventually(|| engine.view().journal_limits == bounds));
    assert_eq!(engine.snapshot().len(), 3, "the new bound applies at once");
    send(&frame);
    assert!(eventually(
        || engine.view().client_counters.frames_received == 3
    ));
    assert!(eventually(|| engine.snapshot().next_seq() == 8));
    let snapshot = engine.snapshot();
    assert_eq!(snapshot.len(), 3);
    assert_eq!(snapshot.first_seq(), 5);
    let newest = snapshot.view(7).unwrap();
    assert_eq!((newest.side, newest.bytes.clone()), (Side::Client, frame));
}

#[test]
fn send_on_the_command_line_takes_capture_and_journal_bounds() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("headers.jsonl");
    let status = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["send", "--to", &addr.to_string(), "--count", "5"])
        .args(["--json", r#"{"action": "search", "value": "morpheus"}"#])
        .args(["--capture", "headers", "--journal-records", "4"])
        .arg("--log")
        .arg(&log)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "the journal held 4 of its 10 records");
    assert_eq!(lines[0]["seq"], 6);
    for line in &lines {
        assert!(line["header"].is_object());
        assert_eq!(line["content"], "", "headers only: no content captured");
        assert!(line["wire_len"].as_u64().unwrap() > 40);
    }

    let refused = Process::new(env!("CARGO_BIN_EXE_framescope"))
        .args(["send", "--to", &addr.to_string(), "--capture", "most"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("unknown capture"), "{error}");
}
