//! TLS from outside: the command line's exact interface (`serve --tls`,
//! `send --tls --insecure`), Python's `ssl` module as the peer both ways,
//! a key log file written, and bad certificate files refused in one line.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use common::{eventually, json_reply, python_peer, python_server, records};
use framescope::engine::tls::{ClientTls, HandshakeInfo, Verification};
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{
    ClientMode, Command, Direction, Engine, Event, RecordKind, SendTarget, Side,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

const BIN: &str = env!("CARGO_BIN_EXE_framescope");

/// A CA, and a leaf it signed for `localhost` and 127.0.0.1, in `dir`.
struct Files {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path) -> Files {
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Names of their own: a leaf whose issuer reads as its subject looks
    // self-signed to OpenSSL.
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "framescope test CA");
    let ca_cert = params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let leaf = leaf.signed_by(&key, &issuer).unwrap();
    let files = Files {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&files.ca, ca_cert.pem()).unwrap();
    std::fs::write(&files.cert, leaf.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    files
}

/// A `serve` process, killed when dropped.
struct Serve {
    child: Child,
    addr: SocketAddr,
    fingerprint: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `framescope serve --tls --listen 127.0.0.1:0` with `args`, and
/// reads its address and certificate fingerprint.
fn serve_tls(args: &[&str]) -> Serve {
    let mut child = Process::new(BIN)
        .args(["serve", "--tls", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.next().unwrap().unwrap();
    let addr = listening
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("{listening}"))
        .parse()
        .unwrap();
    assert!(listening.contains("TLS"), "{listening}");
    let certificate = lines.next().unwrap().unwrap();
    let fingerprint = certificate
        .strip_prefix("certificate SHA-256 ")
        .unwrap_or_else(|| panic!("{certificate}"))
        .to_owned();
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Serve {
        child,
        addr,
        fingerprint,
    }
}

#[test]
fn the_exact_interface_serve_tls_and_send_insecure_with_a_key_log() {
    let server = serve_tls(&["--mode", "app"]);
    assert_eq!(server.fingerprint.len(), 95, "{}", server.fingerprint);
    let dir = tempfile::tempdir().unwrap();
    let keylog = dir.path().join("keys.log");
    let output = Process::new(BIN)
        .args(["send", "--tls", "--insecure", "--to"])
        .arg(server.addr.to_string())
        .args(["--json", r#"{"action": "search", "value": "morpheus"}"#])
        .env("SSLKEYLOGFILE", &keylog)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Follow the white rabbit"), "{stdout}");
    assert!(stdout.contains("received handshake"), "{stdout}");
    assert!(stderr.contains("warning: --insecure"), "{stderr}");
    // Wireshark's format: one line per secret, for TLS 1.3's traffic keys.
    let keys = std::fs::read_to_string(&keylog).expect("the key log is written");
    assert!(keys.contains("CLIENT_TRAFFIC_SECRET_0 "), "{keys}");

    // The fingerprint printed is the one to pin.
    let output = Process::new(BIN)
        .args(["send", "--tls", "--pin", &server.fingerprint, "--to"])
        .arg(format!("localhost:{}", server.addr.port()))
        .args(["--json", r#"{"action": "search", "value": "ring"}"#])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn pythons_ssl_client_speaks_the_tutorials_protocol_to_serve_tls_app() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki(dir.path());
    let server = serve_tls(&[
        "--mode",
        "app",
        "--cert",
        files.cert.to_str().unwrap(),
        "--key",
        files.key.to_str().unwrap(),
    ]);
    let reply = json_reply(
        python_peer("tls_tutorial_client.py")
            .args(["127.0.0.1", &server.addr.port().to_string()])
            .arg(&files.ca)
            .args(["localhost", "search", "🐶"])
            .output()
            .unwrap(),
    );
    assert_eq!(reply["content"], "{\"result\": \"🐾 Playing ball! 🏐\"}");
    assert_eq!(reply["closed_after_reply"], true);
    assert_eq!(reply["version"], "TLSv1.3");
}

#[test]
fn the_client_pool_talks_to_a_python_tls_server() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki(dir.path());
    let (mut server, port) = python_server({
        let mut peer = python_peer("tls_tutorial_server.py");
        peer.args(["127.0.0.1", "0"])
            .arg(&files.cert)
            .arg(&files.key)
            .arg("1");
        peer
    });

    let engine = Engine::new().unwrap();
    engine.command(Command::Connect {
        broadcast: false,
        transport: framescope::engine::Transport::Tcp,
        target: format!("localhost:{port}").parse().unwrap(),
        count: 1,
        mode: ClientMode::Framed,
        tls: Some(ClientTls {
            verification: Verification::CaFile(files.ca.clone()),
            ..ClientTls::default()
        }),
        profile: None,
    });
    let report = common::wait_event(&engine, |event| match event {
        Event::ConnectFinished { report, .. } => Some(report),
        Event::ConnectFailed(error) => panic!("{error}"),
        _ => None,
    });
    assert_eq!(report.opened, 1);
    engine.command(Command::Send {
        target: SendTarget::All,
        bytes: search_request("ring").build().unwrap(),
    });
    assert!(eventually(|| engine
        .fresh_view()
        .client_counters
        .frames_received
        == 1));
    assert!(server.wait().unwrap().success());
    let all = records(&engine);
    let reply = all
        .iter()
        .find(|r| r.direction == Direction::Received && r.kind == RecordKind::Frame)
        .unwrap();
    assert_eq!(
        framescope::engine::describe::content(&reply.bytes),
        "{\"result\": \"In the caves beneath the Misty Mountains. 💍\"}".as_bytes()
    );
    let handshake = all
        .iter()
        .find(|r| r.side == Side::Client && r.kind == RecordKind::Handshake)
        .and_then(|r| HandshakeInfo::from_bytes(&r.bytes))
        .unwrap();
    assert_eq!(handshake.sni.as_deref(), Some("localhost"));
    // Python closes without a close_notify after its reply: a clean close.
    assert!(eventually(|| engine.fresh_view().pool.live() == 0));
    assert_eq!(engine.fresh_view().client_counters.errors, 0);
}

/// Runs framescope with `args`; its exit status, stdout and stderr.
fn run(args: &[&str]) -> (bool, String, String) {
    let output = Process::new(BIN).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_certificate_and_key_files_are_one_clear_message_before_listening_or_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let files = pki(dir.path());
    let other = pki(&{
        let sub = dir.path().join("other");
        std::fs::create_dir(&sub).unwrap();
        sub
    });
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let cases = [
        (
            path(&missing),
            path(&files.key),
            "cannot read the certificate file",
        ),
        (path(&text), path(&files.key), "is not PEM"),
        (path(&files.cert), path(&text), "is not PEM"),
        (
            path(&files.cert),
            path(&other.key),
            "does not match the certificate",
        ),
    ];
    for (cert, key, expected) in cases {
        let (ok, stdout, stderr) = run(&[
            "serve",
            "--tls",
            "--listen",
            "127.0.0.1:0",
            "--cert",
            &cert,
            "--key",
            &key,
        ]);
        assert!(!ok, "{expected}");
        assert!(!stdout.contains("listening"), "{stdout}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{stderr}"
        );
    }
    let (ok, stdout, stderr) = run(&[
        "send",
        "--tls",
        "--ca",
        &path(&text),
        "--to",
        "127.0.0.1:9",
        "--json",
        "{}",
    ]);
    assert!(!ok);
    assert!(!stdout.contains("opened"), "{stdout}");
    assert!(
        stderr.contains("the CA file") && stderr.contains("is not PEM"),
        "{stderr}"
    );
    let (ok, _, stderr) = run(&[
        "load",
        "--tls",
        "--cert",
        &path(&files.cert),
        "--key",
        &path(&other.key),
        "--to",
        "127.0.0.1:9",
        "--duration",
        "1",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("does not match the certificate"),
        "{stderr}"
    );
}

#[test]
fn a_server_that_wants_tls_1_3_refuses_a_python_client_capped_at_1_2_by_name() {
    use framescope::engine::tls::{
        HandshakeFailure, Identity, MinVersion, ServerCertificate, ServerTls,
    };
    use framescope::engine::{ReadReason, ServerMode};

    let dir = tempfile::tempdir().unwrap();
    let files = pki(dir.path());
    let engine = Engine::new().unwrap();
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode: ServerMode::App,
        tls: Some(ServerTls {
            certificate: ServerCertificate::Files(Identity {
                cert: files.cert.clone(),
                key: files.key.clone(),
            }),
            min_version: MinVersion::Tls13,
            ..ServerTls::default()
        }),
        upstream: None,
        profile: None,
    });
    let addr = common::wait_event(&engine, |event| match event {
        Event::ServerStarted { addr, .. } => Some(addr),
        Event::ServerFailed(error) => panic!("{error}"),
        _ => None,
    });
    let output = python_peer("tls_tutorial_client.py")
        .args(["127.0.0.1", &addr.port().to_string()])
        .arg(&files.ca)
        .args(["localhost", "search", "x", "1.2"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(eventually(|| records(&engine)
        .iter()
        .any(|r| r.error.is_some())));
    let reason = records(&engine)
        .into_iter()
        .find_map(|r| r.error)
        .map(|e| e.reason)
        .unwrap();
    assert!(
        matches!(
            reason,
            ReadReason::Handshake(HandshakeFailure::NoSharedCipher(_))
        ),
        "{reason}"
    );
}
