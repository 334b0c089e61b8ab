//! The journal's cost: memory per record beyond the frame bytes, and how
//! fast a large journal saves as JSON Lines without blocking its caller.

use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};

use crate::cli::CliError;
use crate::engine::{Direction, FrameBuilder, Journal, JournalLimits, RecordKind, Side, Transport};
use crate::engine::{Entry, Origin};
use crate::engine::{LogFormat, save_log as save};

use super::ResidentMemory;

/// The peer every benchmark record has.
const PEER: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8800);
/// Size of each frame in the test.
const FRAME_BYTES: usize = 200;

/// What the journal test measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JournalResult {
    /// Records appended.
    pub records: usize,
    /// Bytes of each frame.
    pub frame_bytes: usize,
    /// Resident memory growth per record beyond its frame bytes.
    pub overhead_per_record: f64,
    /// Seconds to append them all.
    pub append_seconds: f64,
    /// Milliseconds the caller was held taking the snapshot (all it waits for).
    pub snapshot_ms: f64,
    /// Seconds the background save took.
    pub save_seconds: f64,
    /// Bytes of the JSON Lines file.
    pub file_bytes: u64,
    /// file bytes / save seconds, in MB/s.
    pub save_mb_per_second: f64,
}

/// A 200-byte frame whose content carries the record number.
fn frame(index: usize, template: &Bytes, content_at: usize) -> Bytes {
    let mut bytes = BytesMut::with_capacity(template.len());
    bytes.put_slice(&template[..content_at]);
    let number = format!("{index:012}");
    bytes.put_slice(number.as_bytes());
    bytes.put_slice(&template[content_at + number.len()..]);
    bytes.freeze()
}

/// Runs it.
pub fn run(records: usize) -> Result<JournalResult, CliError> {
    eprintln!("journal: appending {records} records of {FRAME_BYTES}-byte frames");
    let header_probe = FrameBuilder::new()
        .build()
        .map_err(|e| CliError::Message(e.to_string()))?;
    let content_len = FRAME_BYTES.saturating_sub(header_probe.len() + 2).max(12);
    let template = FrameBuilder::new()
        .content(vec![b'a'; content_len])
        .build()
        .map_err(|e| CliError::Message(e.to_string()))?;
    let frame_bytes = template.len();
    let content_at = frame_bytes - content_len;
    let memory = ResidentMemory::open();
    let rss_before = memory.bytes().unwrap_or(0);
    let mut journal = Journal::new(JournalLimits {
        max_records: records,
        max_bytes: usize::MAX,
    });
    let started = Instant::now();
    for index in 0..records {
        let bytes = frame(index, &template, content_at);
        journal.append(Entry {
            origin: &Origin {
                conn: 1 + (index % 64) as u32,
                side: Side::Server,
                peer: Some(PEER),
                local: None,
                link: None,
                profile: None,
                transport: Transport::Tcp,
            },
            direction: Direction::Received,
            kind: RecordKind::Frame,
            bytes: &bytes,
            error: None,
        });
    }
    let append_seconds = started.elapsed().as_secs_f64();
    let rss_after = memory.bytes().unwrap_or(0);
    let overhead_per_record =
        (rss_after.saturating_sub(rss_before) as f64 / records as f64) - frame_bytes as f64;

    let dir = tempfile::tempdir().map_err(|e| CliError::Log(e.to_string()))?;
    let path = dir.path().join("journal.jsonl");
    let snapshot_started = Instant::now();
    let snapshot = journal.snapshot();
    let snapshot_ms = snapshot_started.elapsed().as_secs_f64() * 1e3;
    let save_started = Instant::now();
    let saver = std::thread::spawn(move || save(&snapshot, &path, LogFormat::JsonLines, |_, _| {}));
    // The caller goes on appending while the save runs: it is never blocked.
    let more = frame(records, &template, content_at);
    journal.append(Entry {
        origin: &Origin {
            conn: 1,
            side: Side::Server,
            peer: Some(PEER),
            local: None,
            link: None,
            profile: None,
            transport: Transport::Tcp,
        },
        direction: Direction::Sent,
        kind: RecordKind::Frame,
        bytes: &more,
        error: None,
    });
    let summary = saver
        .join()
        .map_err(|_| CliError::Log("the save thread panicked".into()))?
        .map_err(|e| CliError::Log(e.to_string()))?;
    let save_seconds = save_started.elapsed().as_secs_f64();
    Ok(JournalResult {
        records,
        frame_bytes,
        overhead_per_record,
        append_seconds,
        snapshot_ms,
        save_seconds,
        file_bytes: summary.file_bytes,
        save_mb_per_second: summary.file_bytes as f64 / 1e6 / save_seconds.max(1e-9),
    })
}

/// Prints the result.
pub fn print(result: &JournalResult) {
    println!(
        "\nJournal: {} records of {}-byte frames\n",
        result.records, result.frame_bytes
    );
    println!(
        "| overhead per record | append | caller held (snapshot) | save (background) | file | save speed |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {:.1} B | {:.2} s | {:.1} ms | {:.2} s | {:.1} MB | {:.0} MB/s |",
        result.overhead_per_record,
        result.append_seconds,
        result.snapshot_ms,
        result.save_seconds,
        result.file_bytes as f64 / 1e6,
        result.save_mb_per_second
    );
}
