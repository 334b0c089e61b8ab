//! Scenario files and `framescope run`, over loopback: every step kind and
//! predicate passing and failing, failures showing expected beside actual,
//! captures, repeat and CSV rows, invalid files, exit codes, the JUnit and
//! JSON reports, and `examples/tutorial.toml` against both tutorial servers.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use common::{framescope, start_server, text};
use framescope::engine::scenario::{
    RunSettings, ScenarioOutcome, ScenarioReport, StepFailure, StepOutcome, load, run_scenario,
};
use framescope::engine::{Engine, ServerMode};

/// A server of the engine's own, kept alive by the engine.
fn server(mode: ServerMode) -> (Engine, SocketAddr) {
    let engine = Engine::new().unwrap();
    let addr = start_server(&engine, mode);
    (engine, addr)
}

/// Writes `name` in `dir`.
fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Runs every scenario of `source` (written in `dir`) against `target`.
fn run_in(dir: &Path, source: &str, target: SocketAddr) -> Vec<ScenarioReport> {
    let path = write(dir, "scenario.toml", source);
    let file = load(&path).unwrap_or_else(|error| panic!("{error}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = RunSettings {
        target: Some(target.into()),
        ..RunSettings::default()
    };
    file.scenarios
        .iter()
        .map(|scenario| runtime.block_on(run_scenario(scenario, &settings, &mut |_| {})))
        .collect()
}

fn run(source: &str, target: SocketAddr) -> Vec<ScenarioReport> {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), source, target)
}

fn assert_passed(report: &ScenarioReport) {
    assert_eq!(
        report.outcome,
        ScenarioOutcome::Passed,
        "{}: {:#?}",
        report.name,
        report.failed_step()
    );
}

/// The failure of a scenario that must have failed.
fn failure_of(report: &ScenarioReport) -> &StepFailure {
    match &report.failed_step().expect("a step failed").outcome {
        StepOutcome::Failed(failure) => failure,
        other => panic!("{}: not a failure: {other:?}", report.name),
    }
}

#[test]
fn every_predicate_passes_on_a_matching_frame() {
    let (_engine, addr) = server(ServerMode::FrameEcho);
    let reports = run(
        r#"
[[scenario]]
name = "all pass"

[[scenario.step]]
connect = {}

[[scenario.step]]
send.json = { action = "search", value = "morpheus", n = 7 }
send.header.request-id = "r-{{seq}}"

[[scenario.step]]
expect.header.content-type = "text/json"
expect.header.request-id = { equals = "r-1", contains = "-", matches = '^r-\d+$', starts-with = "r" }
expect.header.absent = { exists = false }
expect.header.byteorder = { exists = true }
expect.json."/value" = "morpheus"
expect.json."/n" = 7
expect.json."/action" = { contains = "arch", matches = "^s" }
expect.text = { contains = "morpheus", starts-with = "{" }
expect.bytes = { starts-with = "7b 22" }

[[scenario.step]]
expect.nothing-for = "100ms"

[[scenario.step]]
send.text = "plain"

[[scenario.step]]
expect.text = "plain"
expect.header.content-type = "text/plain"

[[scenario.step]]
sleep = "10ms"

[[scenario.step]]
send.hex = "00 01 ff"

[[scenario.step]]
expect.bytes = "00 01 ff"
expect.header.content-type = "binary/custom-client-binary-type"

[[scenario.step]]
close = true
"#,
        addr,
    );
    assert_passed(&reports[0]);
    assert_eq!(reports[0].steps.len(), 10);
    // A step is where its [[scenario.step]] header is.
    assert_eq!(reports[0].steps[2].location.line, 12);
}

#[test]
fn every_predicate_fails_showing_expected_beside_actual() {
    let (_engine, addr) = server(ServerMode::FrameEcho);
    let cases = [
        (
            r#"expect.header.content-type = "text/plain""#,
            r#"header "content-type" equal to "text/plain""#,
            r#"header "content-type" is "text/json""#,
        ),
        (
            r#"expect.header.content-type = { contains = "xml" }"#,
            r#"containing "xml""#,
            r#"is "text/json""#,
        ),
        (
            r#"expect.header.content-type = { matches = "^binary" }"#,
            "matching /^binary/",
            r#"is "text/json""#,
        ),
        (
            r#"expect.header.request-id = { exists = true }"#,
            r#"header "request-id" present"#,
            r#"header "request-id" is missing"#,
        ),
        (
            r#"expect.header.byteorder = { exists = false }"#,
            r#"header "byteorder" missing"#,
            r#"header "byteorder" is ""#,
        ),
        (
            r#"expect.json."/value" = "neo""#,
            r#"json "/value" equal to "neo""#,
            r#"json "/value" is "morpheus""#,
        ),
        (
            r#"expect.json."/nope" = { starts-with = "x" }"#,
            r#"json "/nope" starting with "x""#,
            r#"json "/nope" is missing"#,
        ),
        (
            r#"expect.text = { contains = "trinity" }"#,
            r#"content as text containing "trinity""#,
            "morpheus",
        ),
        (
            r#"expect.bytes = { starts-with = "ff" }"#,
            "content starting with ff",
            "content: 7b 22",
        ),
        (
            r#"expect.bytes = "7b""#,
            "content equal to 7b",
            "content: 7b 22",
        ),
        (
            r#"expect.decode-error = { part = "header" }"#,
            "a decode error in the header",
            "a well-formed frame",
        ),
        ("expect.closed = true", "expect.closed = true", "a frame"),
        ("expect.reset = true", "expect.reset = true", "a frame"),
        (r#"expect.nothing-for = "2s""#, "nothing-for", "a frame"),
    ];
    for (expect, expected, actual) in cases {
        let source = format!(
            r#"
[[scenario]]
name = "{}"

[[scenario.step]]
connect = {{}}

[[scenario.step]]
send.json = {{ action = "search", value = "morpheus" }}

[[scenario.step]]
{expect}
"#,
            expect.replace('"', "'")
        );
        let report = &run(&source, addr)[0];
        assert_eq!(report.outcome, ScenarioOutcome::Failed, "{expect}");
        let failure = failure_of(report);
        assert!(
            failure.expected.contains(expected),
            "{expect}: expected {:?}",
            failure.expected
        );
        assert!(
            failure.actual.contains(actual),
            "{expect}: actual {:?}",
            failure.actual
        );
        assert!(
            failure.frames[0].contains(r#""value": "morpheus""#),
            "{expect}: the frame is shown: {:?}",
            failure.frames
        );
        assert_eq!(report.failed_step().unwrap().location.line, 11, "{expect}");
    }
}

#[test]
fn decode_errors_are_matched_by_part_and_reason() {
    // A raw echo server sends a broken frame straight back.
    let (_engine, addr) = server(ServerMode::RawEcho);
    let reports = run(
        r#"
[[scenario]]
name = "a key left out"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.json = { a = 1 }
send.omit = ["content-length"]
[[scenario.step]]
expect.decode-error = { part = "header", reason = "missing-key", contains = "content-length" }

[[scenario]]
name = "a proto-header of 0"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.text = "x"
send.proto-header = 0
[[scenario.step]]
expect.decode-error = { part = "proto-header", reason = "empty-header" }

[[scenario]]
name = "a content-length of the wrong type"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.text = "x"
send.header.content-length = "one"
[[scenario.step]]
expect.decode-error.reason = "wrong-type"

[[scenario]]
name = "the wrong reason"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.json = { a = 1 }
send.omit = ["content-length"]
[[scenario.step]]
expect.decode-error = { reason = "not-json" }

[[scenario]]
name = "a truncated frame times out, then is cut short by the close"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.text = "hello"
send.truncate = 5
[[scenario.step]]
half-close = true
[[scenario.step]]
expect.decode-error = { part = "header", reason = "truncated" }
"#,
        addr,
    );
    assert_passed(&reports[0]);
    assert_passed(&reports[1]);
    assert_passed(&reports[2]);
    let failure = failure_of(&reports[3]);
    assert!(failure.expected.contains("reason not-json"), "{failure:?}");
    assert!(failure.actual.contains("reason missing-key"), "{failure:?}");
    assert!(failure.frames[0].contains("decode error"), "{failure:?}");
    assert_passed(&reports[4]);
}

#[test]
fn a_timeout_fails_with_what_did_arrive() {
    let (_engine, addr) = server(ServerMode::RawEcho);
    let reports = run(
        r#"
[[scenario]]
name = "half a frame"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.text = "hello"
send.truncate = 5
[[scenario.step]]
expect = { text = "hello", within = "300ms" }
"#,
        addr,
    );
    let failure = failure_of(&reports[0]);
    assert!(
        failure.message.contains("timed out after 300 ms"),
        "{failure:?}"
    );
    assert!(
        failure
            .actual
            .contains("no whole frame within 300 ms: 5 bytes"),
        "{failure:?}"
    );
}

/// A server that resets every connection it accepts.
fn resetting_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { return };
            std::thread::sleep(Duration::from_millis(50));
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
    });
    addr
}

#[test]
fn closes_resets_and_silence() {
    let (_app, app) = server(ServerMode::App);
    let reports = run(
        r#"
[[scenario]]
name = "the app server closes after its reply"
[[scenario.step]]
connect = {}
[[scenario.step]]
send.json = { action = "search", value = "ring" }
[[scenario.step]]
expect.json."/result" = { contains = "Misty" }
[[scenario.step]]
expect.closed = true
[[scenario.step]]
expect.nothing-for = "50ms"
"#,
        app,
    );
    assert_passed(&reports[0]);

    let (_echo, echo) = server(ServerMode::FrameEcho);
    let reports = run(
        r#"
[[scenario]]
name = "silence"
[[scenario.step]]
connect = {}
[[scenario.step]]
expect.nothing-for = "100ms"
[[scenario.step]]
expect = { closed = true, within = "200ms" }
"#,
        echo,
    );
    let failure = failure_of(&reports[0]);
    assert!(
        failure.message.contains("timed out after 200 ms"),
        "{failure:?}"
    );
    assert_eq!(failure.actual, "nothing within 200 ms");

    let reset = resetting_server();
    let reports = run(
        r#"
[[scenario]]
name = "a reset"
[[scenario.step]]
connect = {}
[[scenario.step]]
expect.reset = true

[[scenario]]
name = "a reset is not a close"
[[scenario.step]]
connect = {}
[[scenario.step]]
expect.closed = true
"#,
        reset,
    );
    assert_passed(&reports[0]);
    let failure = failure_of(&reports[1]);
    assert!(
        failure.actual.contains("the connection failed"),
        "{failure:?}"
    );
}

#[test]
fn raw_connections_send_and_match_bytes() {
    let (_engine, addr) = server(ServerMode::RawEcho);
    let reports = run(
        r#"
[[scenario]]
name = "raw"
[[scenario.step]]
connect = { raw = true }
[[scenario.step]]
send.text = "hello {{seq}}"
[[scenario.step]]
expect.text = "hello 1"
[[scenario.step]]
send.hex = "00 ff"
[[scenario.step]]
expect.bytes = { starts-with = "00", equals = "00 ff" }

[[scenario]]
name = "raw, not what was expected"
[[scenario.step]]
connect = { raw = true }
[[scenario.step]]
send.text = "hello"
[[scenario.step]]
expect = { text = "bye", within = "200ms" }
"#,
        addr,
    );
    assert_passed(&reports[0]);
    let failure = failure_of(&reports[1]);
    assert!(failure.actual.contains("hello"), "{failure:?}");
    assert!(
        failure.expected.contains(r#"equal to "bye""#),
        "{failure:?}"
    );
}

#[test]
fn a_raw_expect_that_does_not_match_fails_once_the_peer_is_quiet() {
    let (_engine, addr) = server(ServerMode::RawEcho);
    let start = std::time::Instant::now();
    let reports = run(
        r#"
[[scenario]]
name = "raw, quiet after the wrong bytes"
[[scenario.step]]
connect = { raw = true }
[[scenario.step]]
send.text = "hello"
[[scenario.step]]
expect = { text = "bye", within = "20s" }
"#,
        addr,
    );
    let failure = failure_of(&reports[0]);
    assert!(
        failure.actual.contains("then quiet for 200 ms"),
        "{failure:?}"
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(10),
        "the step failed at the quiet, not at its 20 s"
    );
}

#[test]
fn captures_feed_later_steps() {
    let (_engine, addr) = server(ServerMode::FrameEcho);
    let reports = run(
        r#"
[[scenario]]
name = "captures"
[[scenario.step]]
connect = { count = 2 }
[[scenario.step]]
conn = 1
send.json = { token = "abc-{{conn}}-{{seq}}", note = "the word is swordfish" }
send.header.session = "s-77"
[[scenario.step]]
conn = 1
expect.json."/token" = "abc-1-1"
[[scenario.step]]
conn = 1
capture.token = { json = "/token" }
capture.session = { header = "session" }
capture.word = { regex = 'word is (\w+)' }
capture.part = { regex = '(?P<w>sword)fish', group = "w" }
[[scenario.step]]
send.header.x-token = "{{token}}"
send.text = "{{session}} {{word}} {{part}}"
[[scenario.step]]
expect.header.x-token = { equals = "abc-1-1", contains = "{{token}}" }
expect.text = "s-77 swordfish sword"
[[scenario.step]]
capture.missing = { header = "nope" }
"#,
        addr,
    );
    let report = &reports[0];
    assert_eq!(report.steps.len(), 7, "{report:#?}");
    assert!(
        report.steps[..6]
            .iter()
            .all(|s| matches!(s.outcome, StepOutcome::Passed)),
        "{report:#?}"
    );
    let failure = failure_of(report);
    assert!(
        failure.message.contains("cannot capture missing"),
        "{failure:?}"
    );
    assert!(
        failure.actual.contains("a header without it"),
        "{failure:?}"
    );
}

#[test]
fn repeat_and_csv_rows_run_their_blocks() {
    let (_echo, echo) = server(ServerMode::FrameEcho);
    let reports = run(
        r#"
[[scenario]]
name = "three rounds"
[[scenario.step]]
connect = {}
[[scenario.step]]
repeat.times = 3
repeat.as = "round"
[[scenario.step.repeat.step]]
send.json = { round = "{{round}}", seq = "{{seq}}" }
[[scenario.step.repeat.step]]
expect.json."/round" = "{{round}}"
expect.json."/seq" = "{{round}}"

[[scenario]]
name = "the second round fails"
[[scenario.step]]
connect = {}
[[scenario.step]]
repeat.times = 3
repeat.as = "round"
[[scenario.step.repeat.step]]
send.json = { round = "{{round}}" }
[[scenario.step.repeat.step]]
expect.json."/round" = "1"
"#,
        echo,
    );
    assert_passed(&reports[0]);
    assert_eq!(reports[0].steps.len(), 7);
    assert_eq!(reports[0].steps[6].context, "repeat 3/3");
    let failed = reports[1].failed_step().unwrap();
    assert_eq!(failed.context, "repeat 2/3");
    assert!(failure_of(&reports[1]).actual.contains(r#"is "2""#));

    let (_app, app) = server(ServerMode::App);
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "searches.csv",
        "value,answer\nmorpheus,Follow the white rabbit. 🐰\nring,In the caves beneath the Misty Mountains. 💍\nneo,No match for 'neo'.\n",
    );
    let reports = run_in(
        dir.path(),
        r#"
[[scenario]]
name = "a row, a connection"
[[scenario.step]]
for-each.csv = "searches.csv"
[[scenario.step.for-each.step]]
connect = {}
[[scenario.step.for-each.step]]
send.json = { action = "search", value = "{{value}}" }
[[scenario.step.for-each.step]]
expect.json."/result" = "{{answer}}"
[[scenario.step.for-each.step]]
expect.closed = true
"#,
        app,
    );
    assert_passed(&reports[0]);
    assert_eq!(reports[0].steps.len(), 12);
    assert_eq!(reports[0].steps[11].context, "searches.csv row 3");
}

#[test]
fn invalid_files_are_rejected_with_their_line_before_anything_is_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let valid = "[[scenario]]\nname = \"valid\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nsend.text = \"x\"\n";
    let cases = [
        (
            "syntax",
            "[[scenario]\nname = \"x\"\n",
            ":1:",
            "expected `]`",
        ),
        (
            "unknown step",
            "[[scenario]]\nname = \"x\"\n\n[[scenario.step]]\nsned.text = \"x\"\n",
            ":5:1:",
            "unknown field `sned`",
        ),
        (
            "two kinds",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nconnect = {}\nclose = true\n",
            ":3:1:",
            "connect and close",
        ),
        (
            "bad regex",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nexpect.text = { matches = \"(\" }\n",
            ":6:",
            "bad regular expression",
        ),
        (
            "bad pointer",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nexpect.json.\"result\" = 1\n",
            ":4:",
            "not a JSON pointer",
        ),
        (
            "unknown variable",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nsend.text = \"{{token}}\"\n[[scenario.step]]\nexpect = {}\n[[scenario.step]]\ncapture.token = { header = \"t\" }\n",
            ":6:",
            "{{token}} is not a payload variable",
        ),
        (
            "bad time",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nsleep = \"soon\"\n",
            ":4:",
            "not a time",
        ),
        (
            "a field the profile lacks",
            "profile = \"modbus-tcp\"\n[[scenario]]\nname = \"x\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nsend.field = { unit = 1, functon = 3 }\n",
            ":7:",
            "field.functon: profile modbus-tcp has no such field",
        ),
        (
            "a field expected of the second connection's profile",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nconnect = { profile = \"mqtt\" }\n[[scenario.step]]\nconnect = { profile = \"modbus-tcp\" }\n[[scenario.step]]\nconn = 1\nexpect.field.function = 3\n",
            ":7:",
            "field.function: profile mqtt has no such field",
        ),
        (
            "a field on a connection with no profile",
            "[[scenario]]\nname = \"x\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nexpect.field.type = \"connack\"\n",
            ":5:",
            "field.type: connection 1 has no profile",
        ),
    ];
    let valid_path = write(dir.path(), "valid.toml", valid);
    for (what, source, place, words) in cases {
        let path = write(dir.path(), "bad.toml", source);
        let output = framescope(&[
            "run",
            valid_path.to_str().unwrap(),
            path.to_str().unwrap(),
            "--target",
            &target,
        ]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains(&format!("bad.toml{place}")) && stderr.contains(words),
            "{what}: {stderr}"
        );
    }
    assert!(
        listener.accept().is_err(),
        "no connection is made while a file is invalid"
    );
}

/// Reads `<testsuite>` and `<testcase>` counts back from JUnit XML.
fn junit_counts(xml: &str) -> (Vec<(String, String, String)>, usize, usize) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), 0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(element) | Event::Empty(element) => {
                let attribute = |name: &str| {
                    element
                        .try_get_attribute(name)
                        .unwrap()
                        .map(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                .unwrap()
                                .into_owned()
                        })
                        .unwrap_or_default()
                };
                match element.name().as_ref() {
                    b"testsuite" => suites.push((
                        attribute("tests"),
                        attribute("failures"),
                        attribute("errors"),
                    )),
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (suites, cases, failures)
}

#[test]
fn exit_codes_and_the_junit_and_json_reports() {
    let (_engine, addr) = server(ServerMode::FrameEcho);
    let dir = tempfile::tempdir().unwrap();
    let passing = write(
        dir.path(),
        "passing.toml",
        "[[scenario]]\nname = \"echo\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nsend.text = \"hi\"\n[[scenario.step]]\nexpect.text = \"hi\"\n",
    );
    let failing = write(
        dir.path(),
        "failing.toml",
        "[[scenario]]\nname = \"echo <&>\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nsend.text = \"hi\"\n[[scenario.step]]\nexpect.text = \"hi\"\n\n[[scenario]]\nname = \"wrong\"\n[[scenario.step]]\nconnect = {}\n[[scenario.step]]\nsend.text = \"hi\"\n[[scenario.step]]\nexpect.text = \"bye\"\n",
    );
    let target = addr.to_string();
    let output = framescope(&["run", passing.to_str().unwrap(), "--target", &target]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("1 scenarios: 1 passed, 0 failed, 0 errors"));

    let junit = dir.path().join("junit.xml");
    let json = dir.path().join("report.json");
    let output = framescope(&[
        "run",
        passing.to_str().unwrap(),
        failing.to_str().unwrap(),
        "--target",
        &target,
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(r#"expected: content as text equal to "bye""#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"actual:   content as text is "hi""#),
        "{stdout}"
    );
    assert!(stdout.contains("received: header {"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let (suites, cases, failures) = junit_counts(&xml);
    assert_eq!(
        suites,
        [
            ("1".into(), "0".into(), "0".into()),
            ("2".into(), "1".into(), "0".into())
        ]
    );
    assert_eq!((cases, failures), (3, 1));
    assert!(xml.contains("echo &lt;&amp;&gt;"), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report[1]["scenarios"][1]["outcome"], "failed");
    assert_eq!(
        report[1]["scenarios"][1]["steps"][2]["outcome"]["result"],
        "failed"
    );

    // Nothing listens: the connection cannot be made.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let junit = dir.path().join("refused.xml");
    let output = framescope(&[
        "run",
        passing.to_str().unwrap(),
        "--target",
        &closed.to_string(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("ERROR"));
    let (suites, _, _) = junit_counts(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(suites, [("1".into(), "0".into(), "1".into())]);
}

/// A child process that is killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server process and reads the port from its first line.
fn spawn_server(mut process: Process) -> (Server, String) {
    let mut child = process.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split_whitespace()
        .find_map(|word| word.rsplit(':').next()?.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (Server(child), format!("127.0.0.1:{port}"))
}

fn example() -> String {
    format!("{}/examples/tutorial.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_tutorial_example_passes_against_the_app_server_and_a_changed_answer_fails() {
    let mut serve = Process::new(env!("CARGO_BIN_EXE_framescope"));
    serve.args([
        "serve",
        "--mode",
        "app",
        "--listen",
        "127.0.0.1:0",
        "--quiet",
    ]);
    let (_server, target) = spawn_server(serve);
    let output = framescope(&["run", &example(), "--target", &target]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("6 scenarios: 6 passed"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(example()).unwrap();
    let changed = source.replace(
        r#""/result" = "Follow the white rabbit. 🐰""#,
        r#""/result" = "Follow the black rabbit. 🐰""#,
    );
    assert_ne!(changed, source);
    let path = write(dir.path(), "changed.toml", &changed);
    let output = framescope(&["run", path.to_str().unwrap(), "--target", &target]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(r#"expected: json "/result" equal to "Follow the black rabbit. 🐰""#)
            && stdout.contains(r#"actual:   json "/result" is "Follow the white rabbit. 🐰""#),
        "{stdout}"
    );
    assert!(stdout.contains("5 passed, 1 failed"), "{stdout}");
}

#[test]
fn the_tutorial_example_passes_against_the_python_tutorial_server() {
    let mut python = Process::new("python3");
    python.arg(format!(
        "{}/peers/tutorial_server.py",
        env!("CARGO_MANIFEST_DIR")
    ));
    // One connection for each of the example's six scenarios.
    python.args(["127.0.0.1", "0", "6"]);
    let (_server, target) = spawn_server(python);
    let output = framescope(&["run", &example(), "--target", &target]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("6 scenarios: 6 passed"), "{stdout}");
}

#[test]
fn the_tutorial_example_passes_against_the_rules_that_play_the_app_server() {
    let rules = format!("{}/examples/rules.toml", env!("CARGO_MANIFEST_DIR"));
    let mut serve = Process::new(env!("CARGO_BIN_EXE_framescope"));
    serve.args([
        "serve",
        "--mode",
        "rules",
        "--rules",
        &rules,
        "--listen",
        "127.0.0.1:0",
        "--quiet",
    ]);
    let (server, target) = spawn_server(serve);
    let output = framescope(&["run", &example(), "--target", &target]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("6 scenarios: 6 passed"), "{stdout}");
    drop(server);
}
