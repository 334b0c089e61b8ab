//! Saving the journal and reading it back.

use std::io::Write;

use bytes::Bytes;
use framescope::engine::codec::{DecodeError, DecodeReason, FramePart};
use framescope::engine::journal::Entry;
use framescope::engine::journal_file::{LogFormat, load, save};
use framescope::engine::{Direction, FrameBuilder, Journal, RecordKind, Side};

fn sample_journal() -> Journal {
    let mut journal = Journal::default();
    journal.register_peer(1, "127.0.0.1:8800".parse().unwrap());
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
    let error = DecodeError {
        offset: 12,
        part: FramePart::Header,
        reason: DecodeReason::MissingKey {
            key: "byteorder".into(),
        },
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
            conn: 1,
            side: Side::Client,
            direction: Direction::Received,
            kind,
            bytes: &bytes,
            error,
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
    assert_eq!(loaded.journal.len(), journal.len());
    for seq in 0..5 {
        let (original, read) = (
            journal.view(seq).unwrap(),
            loaded.journal.view(seq).unwrap(),
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
    assert_eq!(loaded.journal.len(), 3);
    let bad: Vec<usize> = loaded.bad_lines.iter().map(|b| b.line).collect();
    assert_eq!(bad, [2, 5]);
}
