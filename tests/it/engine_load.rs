//! A load run started by command: its progress in the published view, its
//! end as one event, one run at a time, a stop that ends it early, and its
//! frames recorded in the journal with the run's own capture mode.

use crate::common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use common::{eventually, start_server, wait_event};
use framescope::engine::load::{LoadPhase, LoadSpec, Pacing, Payload, Verify};
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{
    Capture, Command, Direction, Engine, Event, LoadOutcome, LoadRefused, RecordKind, ServerMode,
    Side,
};

/// A run of `seconds` against `addr`: two connections, an open loop of
/// 400 frames a second, each frame numbered by `{{seq}}`.
fn spec(addr: SocketAddr, seconds: u64) -> Box<LoadSpec> {
    Box::new(LoadSpec {
        transport: framescope::engine::Transport::Tcp,
        loss_timeout: framescope::engine::load::DEFAULT_LOSS_TIMEOUT,
        target: addr.into(),
        connections: 2,
        connect_rate: None,
        duration: Duration::from_secs(seconds),
        warmup: Duration::ZERO,
        pacing: Pacing::Open { rate: 400.0 },
        payload: Payload::frame(&search_request("frame {{seq}}")).unwrap(),
        framed: true,
        profile: None,
        verify: Verify::Length,
        threads: 1,
        cores: Vec::new(),
        recorder: None,
        tls: None,
    })
}

fn finished(engine: &Engine) -> LoadOutcome {
    wait_event(engine, |event| match event {
        Event::LoadFinished(outcome) => Some(outcome),
        _ => None,
    })
}

#[test]
fn a_load_run_publishes_progress_finishes_once_and_records_headers_only() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    engine.command(Command::StartLoad {
        spec: spec(addr, 2),
        capture: Capture::HeadersOnly,
    });
    assert!(
        eventually(|| engine.view().load.as_ref().is_some_and(|load| {
            load.running
                && load.progress.phase == LoadPhase::Measuring
                && load.progress.frames_per_s > 0.0
                && !load.history.is_empty()
        })),
        "progress is published while the run is under way"
    );
    engine.command(Command::StartLoad {
        spec: spec(addr, 1),
        capture: Capture::HeadersOnly,
    });
    let refused = wait_event(&engine, |event| match event {
        Event::LoadRefused(refused) => Some(refused),
        _ => None,
    });
    assert!(matches!(refused, LoadRefused::AlreadyRunning));

    let report = finished(&engine).expect("the run succeeds");
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(!report.stopped_early);
    assert!(report.window.frames_received > 100);
    let view = engine.view();
    let load = view.load.as_ref().unwrap();
    assert!(!load.running);
    assert!(matches!(&load.outcome, Some(Ok(r)) if r.frames_per_s == report.frames_per_s));
    assert_eq!(
        view.capture,
        Capture::Full,
        "the journal's own mode is left alone"
    );

    let records: Vec<_> = engine.snapshot().views().collect();
    let server_conns: HashSet<u32> = records
        .iter()
        .filter(|r| r.side == Side::Server)
        .map(|r| r.conn)
        .collect();
    let load_records: Vec<_> = records.iter().filter(|r| r.side == Side::Client).collect();
    let load_conns: HashSet<u32> = load_records.iter().map(|r| r.conn).collect();
    assert_eq!(load_conns.len(), 2, "each load connection has an id");
    assert!(load_conns.is_disjoint(&server_conns));
    let sent = load_records
        .iter()
        .filter(|r| r.direction == Direction::Sent)
        .count() as u64;
    assert!(sent >= report.run.frames_sent.min(100));
    assert!(
        load_records
            .iter()
            .any(|r| r.direction == Direction::Received)
    );
    for record in &load_records {
        assert_eq!(record.kind, RecordKind::Frame);
        assert!(
            record.bytes.len() < record.wire_len as usize,
            "headers only: {} of {} bytes kept",
            record.bytes.len(),
            record.wire_len
        );
        assert!(record.peer.is_some());
    }
    assert!(
        records
            .iter()
            .filter(|r| r.side == Side::Server)
            .all(|r| r.is_complete()),
        "the server's records follow the journal's mode (full)"
    );
}

#[test]
fn a_stopped_run_reports_what_it_measured_and_capture_off_records_nothing() {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, ServerMode::FrameEcho);
    engine.command(Command::SetCapture(Capture::Off));
    engine.command(Command::StartLoad {
        spec: spec(addr, 60),
        capture: Capture::Off,
    });
    assert!(eventually(|| engine
        .view()
        .load
        .as_ref()
        .is_some_and(|l| l.progress.frames_received > 0)));
    engine.command(Command::StopLoad);
    let report = finished(&engine).expect("a stopped run still reports");
    assert!(report.stopped_early);
    assert!(report.seconds < 30.0);
    assert!(engine.snapshot().is_empty());
}

#[test]
fn a_run_that_cannot_connect_ends_with_the_reason() {
    let engine = Engine::new().unwrap();
    // A port nobody listens on: bind one and let it go.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    engine.command(Command::StartLoad {
        spec: spec(addr, 5),
        capture: Capture::HeadersOnly,
    });
    let error = finished(&engine).expect_err("nothing listens");
    assert!(error.to_string().contains("no connection"), "{error}");
    assert!(matches!(
        &engine.view().load.as_ref().unwrap().outcome,
        Some(Err(_))
    ));
}
