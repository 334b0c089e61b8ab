//! TLS over loopback: framescope's client against its own TLS server in
//! every mode, certificates made here (a CA, leaves, an expired one),
//! mutual TLS, each handshake failure named with its reason, and plaintext
//! and TLS meeting the wrong port.

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use common::{eventually, records, wait_event};
use framescope::engine::tls::{
    ClientTls, HandshakeFailure, HandshakeInfo, Identity, ServerCertificate, ServerTls,
    Verification,
};
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{
    ClientMode, CloseReason, Command, ConnState, ConnectReport, Engine, Event, ReadReason,
    RecordKind, RecordView, SendTarget, ServerMode, Side, Target,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

/// A CA that signs leaves, written to `dir`.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: PathBuf,
}

impl Ca {
    fn new(dir: &Path, name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} test CA"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let pem = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&pem, cert.pem()).unwrap();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    /// A leaf for `names`, expired when asked, written as `stem`.pem and
    /// `stem`.key.
    fn leaf(&self, dir: &Path, stem: &str, names: &[&str], expired: bool) -> Identity {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, stem.to_owned());
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let identity = Identity {
            cert: dir.join(format!("{stem}.pem")),
            key: dir.join(format!("{stem}.key")),
        };
        std::fs::write(&identity.cert, cert.pem()).unwrap();
        std::fs::write(&identity.key, key.serialize_pem()).unwrap();
        identity
    }
}

fn start_tls_server(engine: &Engine, mode: ServerMode, tls: ServerTls) -> SocketAddr {
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode,
        tls: Some(tls),
        upstream: None,
        profile: None,
    });
    wait_event(engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(addr),
        Event::ServerFailed(error) => panic!("server failed: {error}"),
        _ => None,
    })
}

fn connect_tls(
    engine: &Engine,
    target: Target,
    count: usize,
    mode: ClientMode,
    tls: ClientTls,
) -> ConnectReport {
    engine.command(Command::Connect {
        broadcast: false,
        transport: framescope::engine::Transport::Tcp,
        target,
        count,
        mode,
        tls: Some(tls),
        profile: None,
    });
    wait_event(engine, |event| match event {
        Event::ConnectFinished { report, .. } => Some(report),
        Event::ConnectFailed(error) => panic!("connect failed: {error}"),
        _ => None,
    })
}

fn verified_by(verification: Verification) -> ClientTls {
    ClientTls {
        verification,
        ..ClientTls::default()
    }
}

fn handshakes(records: &[RecordView], side: Side) -> Vec<HandshakeInfo> {
    records
        .iter()
        .filter(|r| r.side == side && r.kind == RecordKind::Handshake)
        .map(|r| HandshakeInfo::from_bytes(&r.bytes).expect("a handshake record is JSON"))
        .collect()
}

/// The reasons of the handshake failures recorded on `side`.
fn failures(engine: &Engine, side: Side) -> Vec<HandshakeFailure> {
    records(engine)
        .into_iter()
        .filter(|r| r.side == side)
        .filter_map(|r| match r.error.map(|e| e.reason) {
            Some(ReadReason::Handshake(failure)) => Some(failure),
            _ => None,
        })
        .collect()
}

/// The reason the first client connection closed with, once it has.
fn client_failure(engine: &Engine) -> HandshakeFailure {
    assert!(eventually(|| engine
        .fresh_view()
        .connections
        .first()
        .is_some_and(|c| c.state.is_closed())));
    match engine.fresh_view().connections[0].state.clone() {
        ConnState::Closed(CloseReason::Protocol(ReadReason::Handshake(failure))) => failure,
        other => panic!("not a handshake failure: {other:?}"),
    }
}

#[test]
fn every_mode_works_over_tls_with_the_generated_certificate_pinned() {
    // Relay modes over TLS are in tests/it/relay.rs: they need a target.
    for mode in ServerMode::ALL.into_iter().filter(|mode| !mode.is_relay()) {
        let engine = Engine::new().unwrap();
        if mode == ServerMode::Rules {
            // The rules that play the tutorial's app.
            let rules =
                framescope::engine::rules::load(std::path::Path::new("examples/rules.toml"))
                    .expect("the example rules");
            engine.command(Command::SetRules(Some(std::sync::Arc::new(rules))));
        }
        let addr = start_tls_server(&engine, mode, ServerTls::default());
        let fingerprint = engine
            .fresh_view()
            .server
            .tls
            .expect("a TLS server has a fingerprint");
        let client_mode = match mode {
            ServerMode::RawEcho => ClientMode::Raw,
            _ => ClientMode::Framed,
        };
        let report = connect_tls(
            &engine,
            addr.into(),
            2,
            client_mode,
            verified_by(Verification::Pin(fingerprint)),
        );
        assert_eq!(report.opened, 2, "{mode}");
        assert!(engine.fresh_view().connections.iter().all(|c| c.tls));
        let request = search_request("morpheus").build().unwrap();
        engine.command(Command::Send {
            target: SendTarget::All,
            bytes: request.clone(),
        });
        assert!(
            eventually(
                || engine.fresh_view().client_counters.bytes_received >= 2 * request.len() as u64
            ),
            "{mode}: no replies"
        );
        let all = records(&engine);
        let client = handshakes(&all, Side::Client);
        let server = handshakes(&all, Side::Server);
        assert_eq!((client.len(), server.len()), (2, 2), "{mode}");
        let peer = client[0].peer_certificate.as_ref().unwrap();
        assert_eq!(peer.sha256, fingerprint);
        assert!(peer.names.contains(&"127.0.0.1".to_owned()), "{peer:?}");
        assert!(client[0].version.contains("1_3"), "{}", client[0].version);
        // What the journal shows of the frames is the application's bytes.
        let sent = all
            .iter()
            .find(|r| r.side == Side::Client && r.kind != RecordKind::Handshake)
            .unwrap();
        assert_eq!(sent.bytes, request);
        assert_eq!(engine.fresh_view().client_counters.errors, 0, "{mode}");
    }
}

#[test]
fn a_ca_file_verifies_and_a_wrong_name_an_unknown_issuer_and_an_expiry_each_fail_named() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "good");
    let other = Ca::new(dir.path(), "other");
    let leaf = ca.leaf(dir.path(), "server", &["localhost", "127.0.0.1"], false);
    let expired = ca.leaf(dir.path(), "expired", &["localhost"], true);
    let serving = |identity: &Identity| ServerTls {
        certificate: ServerCertificate::Files(identity.clone()),
        alpn: vec!["framescope".into()],
        ..ServerTls::default()
    };

    let engine = Engine::new().unwrap();
    let addr = start_tls_server(&engine, ServerMode::FrameEcho, serving(&leaf));
    let by_name: Target = format!("localhost:{}", addr.port()).parse().unwrap();
    let good = ClientTls {
        alpn: vec!["framescope".into()],
        ..verified_by(Verification::CaFile(ca.pem.clone()))
    };
    let report = connect_tls(
        &engine,
        by_name.clone(),
        1,
        ClientMode::Framed,
        good.clone(),
    );
    assert_eq!(report.opened, 1);
    let client = handshakes(&records(&engine), Side::Client);
    assert_eq!(client[0].sni.as_deref(), Some("localhost"));
    assert_eq!(client[0].alpn.as_deref(), Some("framescope"));
    assert!(
        client[0]
            .peer_certificate
            .as_ref()
            .unwrap()
            .issuer
            .contains("good test CA")
    );
    // Under TLS 1.3 the client is done a moment before the server.
    assert!(eventually(|| handshakes(&records(&engine), Side::Server)
        .len()
        == 1));
    let server = handshakes(&records(&engine), Side::Server);
    assert_eq!(server[0].sni.as_deref(), Some("localhost"));

    let cases = [
        (
            ClientTls {
                sni: Some("wrong.example".into()),
                ..good.clone()
            },
            "name mismatch",
        ),
        (
            verified_by(Verification::CaFile(other.pem.clone())),
            "unknown issuer",
        ),
    ];
    for (settings, reason) in cases {
        let engine = Engine::new().unwrap();
        let addr = start_tls_server(&engine, ServerMode::FrameEcho, serving(&leaf));
        let report = connect_tls(&engine, addr.into(), 1, ClientMode::Framed, settings);
        assert_eq!(report.failed, 1, "{reason}");
        let failure = client_failure(&engine);
        assert!(failure.to_string().starts_with(reason), "{failure}");
        // The server sees the client's alert as an error row of its own.
        assert!(eventually(|| !failures(&engine, Side::Server).is_empty()));
    }

    let engine = Engine::new().unwrap();
    let addr = start_tls_server(&engine, ServerMode::FrameEcho, serving(&expired));
    let target: Target = format!("localhost:{}", addr.port()).parse().unwrap();
    connect_tls(&engine, target, 1, ClientMode::Framed, good);
    let failure = client_failure(&engine);
    assert!(matches!(failure, HandshakeFailure::Expired(_)), "{failure}");
    assert_eq!(engine.fresh_view().client_counters.errors, 1);
}

#[test]
fn mutual_tls_accepts_a_client_certificate_from_the_ca_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "clients");
    let stranger = Ca::new(dir.path(), "stranger");
    let server_leaf = ca.leaf(dir.path(), "server", &["127.0.0.1"], false);
    let member = ca.leaf(dir.path(), "member", &["member"], false);
    let outsider = stranger.leaf(dir.path(), "outsider", &["outsider"], false);
    let server = ServerTls {
        certificate: ServerCertificate::Files(server_leaf),
        client_ca: Some(ca.pem.clone()),
        ..ServerTls::default()
    };
    let client = |identity: Option<Identity>| ClientTls {
        identity,
        ..verified_by(Verification::CaFile(ca.pem.clone()))
    };

    let engine = Engine::new().unwrap();
    let addr = start_tls_server(&engine, ServerMode::FrameEcho, server.clone());
    connect_tls(
        &engine,
        addr.into(),
        1,
        ClientMode::Framed,
        client(Some(member)),
    );
    let request = search_request("x").build().unwrap();
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: request,
    });
    assert!(eventually(|| engine
        .fresh_view()
        .client_counters
        .frames_received
        == 1));
    let seen = handshakes(&records(&engine), Side::Server);
    let peer = seen[0]
        .peer_certificate
        .as_ref()
        .expect("the client's certificate");
    assert!(peer.subject.contains("member"), "{}", peer.subject);

    for (identity, reason) in [
        (None, "client certificate required"),
        (Some(outsider), "unknown issuer"),
    ] {
        let engine = Engine::new().unwrap();
        let addr = start_tls_server(&engine, ServerMode::FrameEcho, server.clone());
        connect_tls(
            &engine,
            addr.into(),
            1,
            ClientMode::Framed,
            client(identity),
        );
        // Under TLS 1.3 the client finishes first; the server refuses after.
        assert!(
            eventually(|| !failures(&engine, Side::Server).is_empty()),
            "{reason}"
        );
        let failure = &failures(&engine, Side::Server)[0];
        assert!(failure.to_string().starts_with(reason), "{failure}");
        assert!(eventually(|| engine.fresh_view().connections[0]
            .state
            .is_closed()));
    }
}

#[test]
fn plaintext_to_a_tls_port_and_tls_to_a_plaintext_port_each_fail_named() {
    use std::io::{Read, Write};

    let engine = Engine::new().unwrap();
    let addr = start_tls_server(&engine, ServerMode::FrameEcho, ServerTls::default());
    let mut plain = std::net::TcpStream::connect(addr).unwrap();
    let request = search_request("x").build().unwrap();
    plain.write_all(&request).unwrap();
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = plain.read_to_end(&mut rest);
    assert!(rest.is_empty(), "a plaintext peer gets nothing back");
    assert!(eventually(|| !failures(&engine, Side::Server).is_empty()));
    let failure = &failures(&engine, Side::Server)[0];
    assert!(
        matches!(failure, HandshakeFailure::PlaintextToTls(_)),
        "{failure}"
    );
    let row = records(&engine)
        .into_iter()
        .find(|r| r.kind == RecordKind::Error)
        .unwrap();
    assert_eq!(
        &row.bytes[..],
        &request[..row.bytes.len()],
        "its first bytes are kept"
    );
    // One connection and one error: the server goes on serving TLS.
    let fingerprint = engine.fresh_view().server.tls.unwrap();
    let report = connect_tls(
        &engine,
        addr.into(),
        1,
        ClientMode::Framed,
        verified_by(Verification::Pin(fingerprint)),
    );
    assert_eq!(report.opened, 1);

    // TLS to framescope's plaintext echo server: its answer is the hello.
    let engine = Engine::new().unwrap();
    let addr = common::start_server(&engine, ServerMode::RawEcho);
    connect_tls(
        &engine,
        addr.into(),
        1,
        ClientMode::Framed,
        verified_by(Verification::Insecure),
    );
    let failure = client_failure(&engine);
    assert!(
        matches!(failure, HandshakeFailure::TlsToPlaintext(_)),
        "{failure}"
    );

    // TLS to a server that greets in plaintext first (an SMTP-like banner).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let greeter = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let _ = stream.write_all(b"220 hello in plaintext\r\n");
        std::thread::sleep(std::time::Duration::from_millis(500));
    });
    let engine = Engine::new().unwrap();
    connect_tls(
        &engine,
        addr.into(),
        1,
        ClientMode::Framed,
        verified_by(Verification::Insecure),
    );
    let failure = client_failure(&engine);
    assert!(
        matches!(failure, HandshakeFailure::TlsToPlaintext(_)),
        "{failure}"
    );
    greeter.join().unwrap();
}

#[test]
fn a_handshake_that_stalls_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let engine = Engine::new().unwrap();
    connect_tls(
        &engine,
        addr.into(),
        1,
        ClientMode::Framed,
        ClientTls {
            handshake_timeout: std::time::Duration::from_millis(300),
            ..verified_by(Verification::Insecure)
        },
    );
    let failure = client_failure(&engine);
    assert_eq!(failure, HandshakeFailure::TimedOut(300));
    drop(listener);
}

#[test]
fn a_bad_certificate_file_fails_the_start_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new().unwrap();
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode: ServerMode::FrameEcho,
        tls: Some(ServerTls {
            certificate: ServerCertificate::Files(Identity {
                cert: dir.path().join("missing.pem"),
                key: dir.path().join("missing.key"),
            }),
            ..ServerTls::default()
        }),
        upstream: None,
        profile: None,
    });
    let error = wait_event(&engine, |event| match event {
        Event::ServerFailed(error) => Some(error.to_string()),
        Event::ServerStarted { .. } => panic!("started with a missing certificate"),
        _ => None,
    });
    assert!(
        error.contains("cannot read the certificate file"),
        "{error}"
    );
    assert!(engine.fresh_view().server.listening.is_none());
}

#[test]
fn a_load_run_speaks_tls_with_replies_checked_and_a_bad_pin_fails_every_connection() {
    use framescope::engine::load::{LoadRun, LoadSpec, Pacing, Payload, Verify};

    let engine = Engine::new().unwrap();
    let addr = start_tls_server(&engine, ServerMode::FrameEcho, ServerTls::default());
    let fingerprint = engine.fresh_view().server.tls.unwrap();
    let spec = |pin| LoadSpec {
        transport: framescope::engine::Transport::Tcp,
        loss_timeout: framescope::engine::load::DEFAULT_LOSS_TIMEOUT,
        target: addr.into(),
        connections: 4,
        connect_rate: None,
        duration: std::time::Duration::from_millis(400),
        warmup: std::time::Duration::from_millis(100),
        pacing: Pacing::Closed { depth: 4 },
        payload: Payload::frame(&search_request("morpheus")).unwrap(),
        framed: true,
        profile: None,
        verify: Verify::All,
        threads: 1,
        cores: Vec::new(),
        recorder: None,
        tls: Some(verified_by(Verification::Pin(pin))),
    };
    let report = LoadRun::start(spec(fingerprint), |_| {})
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(report.run.frames_received > 0);
    assert!(report.settings.tls);
    assert_eq!(
        handshakes(&records(&engine), Side::Server).len(),
        4,
        "one handshake per connection"
    );

    let wrong = framescope::engine::tls::Fingerprint([7; 32]);
    let error = LoadRun::start(spec(wrong), |_| {})
        .unwrap()
        .wait()
        .unwrap_err();
    assert!(
        error.to_string().contains("pinned fingerprint mismatch"),
        "{error}"
    );
}

#[test]
fn a_client_that_stops_halfway_through_the_handshake_costs_one_connection_and_one_error() {
    use std::io::Write;

    let engine = Engine::new().unwrap();
    let addr = start_tls_server(
        &engine,
        ServerMode::FrameEcho,
        ServerTls {
            handshake_timeout: std::time::Duration::from_millis(300),
            ..ServerTls::default()
        },
    );
    // The start of a TLS record announcing a ClientHello, then nothing.
    let mut stalled = std::net::TcpStream::connect(addr).unwrap();
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    // Garbage after a TLS-looking first byte.
    let mut garbage = std::net::TcpStream::connect(addr).unwrap();
    garbage.write_all(&[0x16; 64]).unwrap();
    assert!(eventually(|| failures(&engine, Side::Server).len() == 2));
    let found = failures(&engine, Side::Server);
    assert!(
        found.contains(&HandshakeFailure::TimedOut(300)),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| matches!(f, HandshakeFailure::Garbage(_))),
        "{found:?}"
    );
    assert!(eventually(
        || engine.fresh_view().server.open_connections == 0
    ));
    assert_eq!(engine.fresh_view().server_counters.errors, 2);
}

#[test]
fn a_scenario_connects_over_tls_with_a_pin_and_a_wrong_pin_fails() {
    let engine = Engine::new().unwrap();
    let addr = start_tls_server(&engine, ServerMode::FrameEcho, ServerTls::default());
    let fingerprint = engine.fresh_view().server.tls.expect("a fingerprint");
    let dir = tempfile::tempdir().unwrap();
    let scenario = |pin: &str| {
        format!(
            r#"
[[scenario]]
name = "echo over TLS"
[[scenario.step]]
connect = {{ tls = {{ pin = "{pin}" }} }}
[[scenario.step]]
send.text = "over tls"
[[scenario.step]]
expect.text = "over tls"
"#
        )
    };
    let run = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_framescope"))
            .args(["run", path.to_str().unwrap(), "--target", &addr.to_string()])
            .output()
            .unwrap()
    };
    let pinned = run("pinned.toml", scenario(&fingerprint.to_string()));
    assert_eq!(
        pinned.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&pinned.stdout),
        String::from_utf8_lossy(&pinned.stderr)
    );
    let wrong = "00:".repeat(31) + "00";
    let refused = run("wrong.toml", scenario(&wrong));
    assert_ne!(refused.status.code(), Some(0));
    let said = String::from_utf8_lossy(&refused.stdout).into_owned()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("TLS handshake failed"), "{said}");
    // `run --tls --pin` for a file that does not say tls.
    let plain = dir.path().join("plain.toml");
    std::fs::write(
        &plain,
        scenario("x").replace("connect = { tls = { pin = \"x\" } }", "connect = {}"),
    )
    .unwrap();
    let flagged = std::process::Command::new(env!("CARGO_BIN_EXE_framescope"))
        .args([
            "run",
            plain.to_str().unwrap(),
            "--target",
            &addr.to_string(),
        ])
        .args(["--tls", "--pin", &fingerprint.to_string()])
        .output()
        .unwrap();
    assert_eq!(
        flagged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&flagged.stdout)
    );
    let bad = run("bad.toml", scenario("not a fingerprint"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("bad.toml:5:"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
