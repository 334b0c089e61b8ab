//! Saving the journal and reading it back.

use std::io::Write;

use bytes::Bytes;
use framescope::engine::tls::HandshakeFailure;
use framescope::engine::{DecodeReason, FramePart, ReadError, ReadReason};
use framescope::engine::{Direction, FrameBuilder, Journal, RecordKind, Side};
use framescope::engine::{Entry, Origin};
use framescope::engine::{LogFormat, load_log as load, save_log as save};

fn sample_journal() -> Journal {
    let mut journal = Journal::default();
    let text = FrameBuilder::new()
        .field("x-custom", "héllo")
        .content("{\"action\": \"search\", \"value\": \"🐶\"}")
        .build()
        .unwrap();
    let binary = FrameBuilder::binary("binary/x", vec![0u8, 159, 146, 150, 255])
        .build()
        .unwrap();
    let multiline = {
        let header = "{\n \"byteorder\": \"big\", \"content-type\": \"a\",\n \"content-encoding\": \"b\", \"content-length\": 0}";
        let mut bytes = (header.len() as u16).to_be_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        Bytes::from(bytes)
    };
    let chunk = Bytes::from_static(b"\x00raw\xffchunk");
    let error = ReadError {
        offset: 12,
        part: FramePart::Header,
        reason: ReadReason::Decode(DecodeReason::MissingKey {
            key: "byteorder".into(),
        }),
    };
    for (kind, bytes, error) in [
        (RecordKind::Frame, text, None),
        (RecordKind::Frame, binary, None),
        (RecordKind::Frame, multiline, None),
        (RecordKind::Chunk, chunk, None),
        (
            RecordKind::Error,
            Bytes::from_static(b"\x00\x05{}"),
            Some(error),
        ),
    ] {
        journal.append(Entry {
            origin: &Origin {
                conn: 1,
                side: Side::Client,
                peer: Some("127.0.0.1:8800".parse().unwrap()),
                local: None,
                link: None,
                profile: None,
                transport: framescope::engine::Transport::Tcp,
            },
            direction: Direction::Received,
            kind,
            bytes: &bytes,
            error: error.map(Box::new),
        });
    }
    journal
}

#[test]
fn json_lines_round_trip_every_byte() {
    let mut journal = sample_journal();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    let mut progress = Vec::new();
    let summary = save(
        &journal.snapshot(),
        &path,
        LogFormat::JsonLines,
        |done, total| progress.push((done, total)),
    )
    .unwrap();
    assert_eq!(summary.records, 5);
    assert_eq!(progress.last(), Some(&(5, 5)));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains(r#""header":{"byteorder": "#),
        "headers are embedded as JSON"
    );

    let loaded = load(&path).unwrap();
    assert!(loaded.bad_lines.is_empty(), "{:?}", loaded.bad_lines);
    assert_eq!(loaded.records.len(), journal.len());
    for seq in 0..5 {
        let (original, read) = (
            journal.snapshot().view(seq).unwrap(),
            loaded.records.view(seq).unwrap(),
        );
        assert_eq!(read, original, "record {seq} differs after the round trip");
    }
}

#[test]
fn the_text_format_has_headers_errors_and_hex_dumps() {
    let mut journal = sample_journal();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.txt");
    assert_eq!(LogFormat::from_path(&path), LogFormat::Text);
    save(&journal.snapshot(), &path, LogFormat::Text, |_, _| {}).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("header: {\"byteorder\""));
    assert!(text.contains(
        "error: frame at stream offset 12: header: required key \"byteorder\" is missing"
    ));
    assert!(text.contains("00000000  00 05 7b 7d"));
}

#[test]
fn saving_to_an_unwritable_path_is_an_error_and_leaves_the_old_file_whole() {
    let mut journal = sample_journal();
    let missing_dir = std::path::Path::new("/nonexistent-framescope-dir/log.jsonl");
    let error = save(
        &journal.snapshot(),
        missing_dir,
        LogFormat::JsonLines,
        |_, _| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("nonexistent-framescope-dir"));
    assert_eq!(journal.len(), 5, "the journal is intact");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    std::fs::write(&path, "old contents\n").unwrap();
    save(&journal.snapshot(), &path, LogFormat::JsonLines, |_, _| {}).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 5);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file is left behind"
    );
}

#[test]
fn loading_reports_bad_lines_and_keeps_the_good_ones() {
    let mut journal = sample_journal();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    save(&journal.snapshot(), &path, LogFormat::JsonLines, |_, _| {}).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut corrupted = format!(
        "{}\nnot json at all\n{}\n{}\n",
        lines[0], lines[1], lines[2]
    );
    corrupted.push_str(&lines[3][..lines[3].len() / 2]);
    text = corrupted;
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.records.len(), 3);
    let bad: Vec<usize> = loaded.bad_lines.iter().map(|b| b.line).collect();
    assert_eq!(bad, [2, 5]);
}

/// Connection 1 of the server, its ends unknown.
static SERVER_CONN: Origin = Origin {
    conn: 1,
    side: Side::Server,
    peer: None,
    local: None,
    link: None,
    profile: None,
    transport: framescope::engine::Transport::Tcp,
};

/// A journal of `count` frames, each a few hundred bytes.
fn big_journal(count: usize, tag: &str) -> Journal {
    let mut journal = Journal::default();
    for i in 0..count {
        let frame = FrameBuilder::binary("binary/x", format!("{tag} {i} {}", "x".repeat(200)))
            .build()
            .unwrap();
        journal.append(Entry {
            origin: &SERVER_CONN,
            direction: Direction::Received,
            kind: RecordKind::Frame,
            bytes: &frame,
            error: None,
        });
    }
    journal
}

#[test]
fn saving_over_a_log_never_shows_a_reader_a_half_written_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    save(
        &big_journal(1_000, "old").snapshot(),
        &path,
        LogFormat::JsonLines,
        |_, _| {},
    )
    .unwrap();
    let old = std::fs::read(&path).unwrap();
    let new_journal = big_journal(20_000, "new").snapshot();

    // A reader opens the file over and over while a much larger log is
    // saved over it: every read is the old log, or the new one whole.
    let whole_new = |contents: &[u8]| {
        contents.ends_with(b"\n") && contents.iter().filter(|&&b| b == b'\n').count() == 20_000
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (reads, saw_new) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let (mut reads, mut saw_new) = (0, false);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let contents = std::fs::read(&path).unwrap();
                let is_new = whole_new(&contents);
                assert!(
                    contents == old || is_new,
                    "a reader saw {} bytes: neither the old log nor the whole new one",
                    contents.len()
                );
                reads += 1;
                saw_new |= is_new;
            }
            (reads, saw_new)
        });
        save(&new_journal, &path, LogFormat::JsonLines, |_, _| {}).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(reads > 1 && saw_new, "{reads} reads");
    assert!(whole_new(&std::fs::read(&path).unwrap()));
}

#[test]
fn a_save_that_fails_at_the_last_step_leaves_nothing_behind() {
    let mut journal = sample_journal();
    let dir = tempfile::tempdir().unwrap();
    // The target is a directory: everything is written, then the rename fails.
    let target = dir.path().join("taken");
    std::fs::create_dir(&target).unwrap();
    let error = save(
        &journal.snapshot(),
        &target,
        LogFormat::JsonLines,
        |_, _| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("taken"), "{error}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["taken"], "the temporary file is removed");
    assert_eq!(journal.len(), 5, "the journal is intact");
}

#[test]
fn unwritable_paths_are_clear_errors_and_the_journal_stays_intact() {
    let mut journal = sample_journal();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    for path in [
        file.join("log.jsonl"),
        std::path::PathBuf::from("/proc/framescope-log.jsonl"),
    ] {
        let error = save(&journal.snapshot(), &path, LogFormat::Text, |_, _| {}).unwrap_err();
        let shown = error.to_string();
        assert!(shown.starts_with(&path.display().to_string()), "{shown}");
        assert!(
            shown.len() > path.display().to_string().len() + 2,
            "the reason follows: {shown}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
    assert_eq!(journal.len(), 5, "the journal is intact");
    assert_eq!(journal.snapshot().view(4).unwrap().kind, RecordKind::Error);
}

#[test]
fn loading_reports_every_kind_of_bad_line_by_number_and_keeps_the_good_records() {
    let mut journal = sample_journal();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.jsonl");
    save(&journal.snapshot(), &path, LogFormat::JsonLines, |_, _| {}).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("content_base64"), "{}", lines[1]);
    let mut file = Vec::new();
    for line in [
        lines[0].as_bytes(), // 1: good
        b"",                 // 2: blank, skipped
        b"{\"seq\": 1}",     // 3: not a record
        lines[1].as_bytes(), // 4: good
        lines[2]
            .replace("\"kind\":\"frame\"", "\"kind\":\"banana\"")
            .as_bytes(), // 5: unknown kind
        lines[3]
            .replace("\"content_base64\":\"", "\"content_base64\":\"!")
            .as_bytes(), // 6: bad base64
        b"\xff\xfe\x00 not even text", // 7: not UTF-8
        lines[4].as_bytes(), // 8: good (an error record)
        &lines[0].as_bytes()[..lines[0].len() / 2], // 9: cut off, no newline
    ] {
        file.extend_from_slice(line);
        file.push(b'\n');
    }
    file.pop();
    std::fs::write(&path, &file).unwrap();

    let loaded = load(&path).unwrap();
    let bad: Vec<usize> = loaded.bad_lines.iter().map(|b| b.line).collect();
    assert_eq!(bad, [3, 5, 6, 7, 9]);
    assert!(loaded.bad_lines.iter().all(|b| !b.reason.is_empty()));
    assert!(
        loaded.bad_lines[2].reason.contains("content_base64"),
        "{:?}",
        loaded.bad_lines[2]
    );
    assert_eq!(loaded.records.len(), 3);
    for (loaded_seq, original_seq) in [(0, 0), (1, 1), (2, 4)] {
        let (read, original) = (
            loaded.records.view(loaded_seq).unwrap(),
            journal.snapshot().view(original_seq).unwrap(),
        );
        assert_eq!(
            (
                read.time_us,
                read.conn,
                read.peer,
                read.side,
                read.direction,
                read.kind
            ),
            (
                original.time_us,
                original.conn,
                original.peer,
                original.side,
                original.direction,
                original.kind
            )
        );
        assert_eq!((read.bytes, read.error), (original.bytes, original.error));
    }
}

#[test]
fn loading_a_missing_or_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let error = load(&missing).unwrap_err();
    assert!(error.to_string().contains("missing.jsonl"), "{error}");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let loaded = load(&empty).unwrap();
    assert!(loaded.records.is_empty() && loaded.bad_lines.is_empty());
}

#[test]
fn a_header_with_surrounding_whitespace_round_trips_exactly() {
    let header = r#"  {"byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": 2} "#;
    let mut bytes = (header.len() as u16).to_be_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(b"ok");
    let bytes = Bytes::from(bytes);
    let mut journal = Journal::default();
    journal.append(Entry {
        origin: &SERVER_CONN,
        direction: Direction::Received,
        kind: RecordKind::Frame,
        bytes: &bytes,
        error: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("padded.jsonl");
    save(&journal.snapshot(), &path, LogFormat::JsonLines, |_, _| {}).unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.records.view(0).unwrap().bytes, bytes);
}

#[test]
fn a_relayed_legs_link_and_notes_survive_a_save() {
    let mut journal = Journal::default();
    let frame = FrameBuilder::new().content("relayed").build().unwrap();
    let note = Bytes::from_static(b"held frame #1 dropped by the user");
    for (conn, link, side, kind, bytes) in [
        (5, 6, Side::Server, RecordKind::Frame, &frame),
        (6, 5, Side::Client, RecordKind::Frame, &frame),
        (5, 6, Side::Server, RecordKind::Note, &note),
    ] {
        journal.append(Entry {
            origin: &Origin {
                conn,
                side,
                peer: Some("127.0.0.1:9000".parse().unwrap()),
                local: None,
                link: Some(link),
                profile: None,
                transport: framescope::engine::Transport::Tcp,
            },
            direction: Direction::Received,
            kind,
            bytes,
            error: None,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.jsonl");
    save(&journal.snapshot(), &path, LogFormat::JsonLines, |_, _| {}).unwrap();
    let loaded = load(&path).unwrap();
    let views: Vec<_> = loaded.records.views().collect();
    let links: Vec<_> = views.iter().map(|v| (v.conn, v.link)).collect();
    assert_eq!(links, [(5, Some(6)), (6, Some(5)), (5, Some(6))]);
    assert_eq!(views[2].kind, RecordKind::Note);
    assert_eq!(views[2].bytes, note);

    let text = dir.path().join("relay.txt");
    save(&journal.snapshot(), &text, LogFormat::Text, |_, _| {}).unwrap();
    let text = std::fs::read_to_string(text).unwrap();
    assert!(text.contains("conn=5 link=6"), "{text}");
    assert!(
        text.contains("received note 33 bytes\nnote: held frame #1 dropped by the user\n"),
        "{text}"
    );
}

/// Every error of a journal file, as its reason.
fn error_reasons(name: &str) -> Vec<ReadReason> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let loaded = load(&path).unwrap();
    assert!(loaded.bad_lines.is_empty(), "{:?}", loaded.bad_lines);
    loaded
        .records
        .views()
        .filter_map(|record| record.error.map(|error| error.reason))
        .collect()
}

/// Files written before the read error wrapped the protocol's decode error
/// (by `tests/data/make_old_journal.py`) open with every reason intact:
/// the protocol's and the transport's alike.
#[test]
fn journal_files_written_before_the_read_error_still_open() {
    let reasons = error_reasons("errors-before-read-error.jsonl");
    assert!(matches!(
        &reasons[0],
        ReadReason::Decode(DecodeReason::NotJson { .. })
    ));
    assert_eq!(
        reasons[1],
        ReadReason::Decode(DecodeReason::ContentTooLong {
            length: 1000,
            limit: 100
        })
    );
    assert_eq!(
        reasons[2],
        ReadReason::Timeout {
            received: 7,
            timeout_ms: 1000
        }
    );
    assert!(matches!(&reasons[3], ReadReason::Io { detail } if detail.contains("reset")));
    assert_eq!(reasons[4], ReadReason::OverConnectionCap { limit: 2 });
    assert!(matches!(
        &reasons[5],
        ReadReason::Decode(DecodeReason::Truncated { .. })
    ));
    assert_eq!(reasons.len(), 6);

    let reasons = error_reasons("handshake-before-read-error.jsonl");
    assert!(matches!(
        &reasons[..],
        [ReadReason::Handshake(HandshakeFailure::PlaintextToTls(seen))] if seen.contains("GET /")
    ));
}
