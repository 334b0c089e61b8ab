//! Saving the journal to a file and reading it back.
//!
//! JSON Lines: one record a line, the header as JSON (verbatim when it fits
//! on one line, so the bytes round-trip exactly), content as text when it is
//! valid UTF-8 and as base64 otherwise. The text format is for reading:
//! each record with its header and a hex dump. Saving writes a temporary
//! file beside the target and renames it, so an existing file is never left
//! half-written; loading keeps every good line and reports the bad ones.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::engine::net::read_error::ReadError;
use crate::engine::protocol::frame::PROTO_HEADER_LEN;
use crate::engine::protocol::profile::Profile;
use crate::engine::record::journal::{
    Entry, Journal, JournalLimits, JournalSnapshot, Origin, RecordView,
};
use crate::engine::record::vocabulary::{Direction, RecordKind, Side, Transport};
use crate::engine::render::pcapng::write_pcapng;
use crate::engine::render::{describe, hexdump};

/// How often (in records) saving reports progress.
const PROGRESS_EVERY: usize = 16 * 1024;

/// The file formats a journal is saved in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogFormat {
    /// One JSON object a line; can be opened again.
    JsonLines,
    /// Readable text with hex dumps.
    Text,
    /// A pcapng capture for Wireshark (synthetic TCP per connection).
    Pcapng,
}

impl LogFormat {
    /// The format a path's extension asks for: `.txt`/`.log` text,
    /// `.pcapng` a capture, else JSON Lines.
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("txt" | "log") => LogFormat::Text,
            Some("pcapng") => LogFormat::Pcapng,
            _ => LogFormat::JsonLines,
        }
    }
}

/// What can go wrong saving or loading a log.
#[derive(Debug, thiserror::Error)]
pub enum JournalFileError {
    /// The file could not be created, written, renamed or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not a log framescope can open.
    #[error("{path}: {why}")]
    NotALog {
        /// The file.
        path: PathBuf,
        /// Why not.
        why: String,
    },
}

/// A line of a log file that could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong with it.
    pub reason: String,
}

/// What saving wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveSummary {
    /// Records written.
    pub records: usize,
    /// Bytes of the file.
    pub file_bytes: u64,
}

/// A log read back from a file.
#[derive(Debug)]
pub struct LoadedLog {
    /// The records that read cleanly.
    pub records: JournalSnapshot,
    /// The lines that did not.
    pub bad_lines: Vec<LineError>,
}

/// One line of a JSON Lines log, as written.
#[derive(Serialize)]
struct LineOut<'a> {
    seq: u64,
    time_us: u64,
    side: Side,
    conn: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<u32>,
    /// Written for UDP only: a log without it is TCP.
    #[serde(skip_serializing_if = "is_tcp")]
    transport: Transport,
    direction: Direction,
    kind: RecordKind,
    wire_len: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    header_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a ReadError>,
    /// The profile the frame keeps, when not the JSON header's.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    /// The profile's TOML, on the first record of a profile that is not
    /// built in (or not as built in): the log opens with its fields named on any machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_text: Option<&'a str>,
    /// The frame's fields by name, under that profile.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldOut<'a>>,
}

/// One field of a frame, in a JSON Lines log.
#[derive(Serialize)]
struct FieldOut<'a> {
    name: &'a str,
    value: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    offset: usize,
    len: usize,
}

/// One line of a JSON Lines log, as read.
#[derive(Deserialize)]
struct LineIn {
    #[serde(default)]
    seq: u64,
    time_us: u64,
    side: Side,
    conn: u32,
    #[serde(default)]
    peer: Option<SocketAddr>,
    #[serde(default)]
    local: Option<SocketAddr>,
    #[serde(default)]
    link: Option<u32>,
    #[serde(default)]
    transport: Transport,
    direction: Direction,
    kind: RecordKind,
    #[serde(default)]
    wire_len: Option<u32>,
    #[serde(default)]
    header: Option<Box<RawValue>>,
    #[serde(default)]
    header_text: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_base64: Option<String>,
    #[serde(default)]
    error: Option<ReadError>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    profile_text: Option<String>,
}

/// The profiles a log's records name: built-ins by name, others from the
/// text the log carries on their first record. A text that does not compile
/// leaves its records raw.
#[derive(Default)]
struct LogProfiles {
    carried: HashMap<String, Option<Arc<Profile>>>,
}

impl LogProfiles {
    /// The profile `name`, from `text` when this line carries it.
    fn resolve(&mut self, name: &str, text: Option<&str>) -> Option<Arc<Profile>> {
        if let Some(text) = text {
            let compiled = Profile::compile(text, name).ok().map(Arc::new);
            self.carried.insert(name.to_owned(), compiled);
        }
        match self.carried.get(name) {
            Some(carried) => carried.clone(),
            None => Profile::builtin(name),
        }
    }
}

/// Saves `snapshot` to `path`, calling `progress(done, total)` as it goes.
pub fn save(
    snapshot: &JournalSnapshot,
    path: &Path,
    format: LogFormat,
    mut progress: impl FnMut(usize, usize),
) -> Result<SaveSummary, JournalFileError> {
    let io_error = |source| JournalFileError::Io {
        path: path.to_owned(),
        source,
    };
    let result = crate::write_whole::write_whole(path, |file| {
        let mut out = BufWriter::with_capacity(1 << 20, &mut *file);
        let total = snapshot.len();
        let mut counted = snapshot.views().enumerate().inspect(|(done, _)| {
            if done % PROGRESS_EVERY == 0 {
                progress(*done, total);
            }
        });
        match format {
            LogFormat::Pcapng => {
                write_pcapng(counted.map(|(_, view)| view), &mut out)
                    .map_err(std::io::Error::other)?;
            }
            LogFormat::JsonLines => {
                let mut written = HashSet::new();
                counted.try_for_each(|(_, view)| write_json_line(&mut out, &view, &mut written))?;
            }
            LogFormat::Text => {
                counted.try_for_each(|(_, view)| write_text_record(&mut out, &view))?;
            }
        }
        out.flush()?;
        drop(out);
        let file_bytes = file.metadata()?.len();
        progress(total, total);
        Ok(SaveSummary {
            records: total,
            file_bytes,
        })
    });
    result.map_err(io_error)
}

/// Writes one record as a line; `written` holds the names of the profiles
/// whose text an earlier line carries.
/// Whether a record's transport is TCP, which a log leaves unsaid.
fn is_tcp(transport: &Transport) -> bool {
    *transport == Transport::Tcp
}

fn write_json_line(
    out: &mut impl Write,
    view: &RecordView,
    written: &mut HashSet<String>,
) -> std::io::Result<()> {
    let decoded = match (&view.profile, view.kind) {
        (Some(profile), RecordKind::Frame | RecordKind::Error) => {
            profile.decode(&view.bytes, describe::role_of(view)).0
        }
        _ => Vec::new(),
    };
    let fields = decoded
        .iter()
        .map(|field| FieldOut {
            name: &field.name,
            value: field.value.to_json(),
            label: field.label.as_deref(),
            offset: field.offset,
            len: field.len,
        })
        .collect();
    let frame = if view.kind == RecordKind::Frame && view.profile.is_none() {
        describe::split(&view.bytes)
    } else {
        None
    };
    let (header_text, payload) = match frame {
        Some((header, content)) => (Some(header), content),
        None => (None, &view.bytes[..]),
    };
    // Embedded verbatim only when that keeps every byte: one line, and no
    // surrounding whitespace (which `RawValue` trims).
    let header = header_text
        .filter(|h| !h.contains(['\n', '\r']))
        .and_then(|h| RawValue::from_string(h.to_owned()).ok())
        .filter(|raw| Some(raw.get().len()) == header_text.map(str::len));
    let text = std::str::from_utf8(payload).ok();
    let line = LineOut {
        seq: view.seq,
        time_us: view.time_us,
        side: view.side,
        conn: view.conn,
        peer: view.peer,
        local: view.local,
        link: view.link,
        transport: view.transport,
        direction: view.direction,
        kind: view.kind,
        wire_len: view.wire_len,
        header_text: if header.is_none() { header_text } else { None },
        header,
        content: text,
        content_base64: if text.is_none() {
            Some(BASE64.encode(payload))
        } else {
            None
        },
        error: view.error.as_ref(),
        profile: view.profile.as_deref().map(Profile::name),
        profile_text: view
            .profile
            .as_deref()
            .filter(|p| Profile::builtin(p.name()).is_none_or(|b| b.text() != p.text()))
            .filter(|p| written.insert(p.name().to_owned()))
            .map(Profile::text),
        fields,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

fn write_text_record(out: &mut impl Write, view: &RecordView) -> std::io::Result<()> {
    let peer = view
        .peer
        .map(|p| p.to_string())
        .unwrap_or_else(|| "-".into());
    // A relayed leg names its other leg.
    let link = view
        .link
        .map_or_else(String::new, |other| format!(" link={other}"));
    writeln!(
        out,
        "#{} t={}us {} conn={}{link} peer={} {} {} {} bytes",
        view.seq,
        view.time_us,
        view.side.as_str(),
        view.conn,
        peer,
        view.direction.as_str(),
        view.kind.as_str(),
        view.wire_len
    )?;
    if let Some((header, _)) = (view.kind == RecordKind::Frame)
        .then(|| describe::split(&view.bytes))
        .flatten()
    {
        writeln!(out, "header: {header}")?;
    }
    if let Some(error) = &view.error {
        writeln!(out, "error: {error}")?;
    }
    // A note is framescope's own words, not bytes off the wire.
    if view.kind == RecordKind::Note {
        return writeln!(out, "note: {}\n", String::from_utf8_lossy(&view.bytes));
    }
    if !view.is_complete() {
        writeln!(
            out,
            "(captured {} of {} bytes)",
            view.bytes.len(),
            view.wire_len
        )?;
    }
    out.write_all(hexdump::dump(&view.bytes).as_bytes())?;
    out.write_all(b"\n")
}

/// Reads a JSON Lines log; bad lines are reported, good ones kept.
pub fn load(path: &Path) -> Result<LoadedLog, JournalFileError> {
    let io_error = |source| JournalFileError::Io {
        path: path.to_owned(),
        source,
    };
    if LogFormat::from_path(path) == LogFormat::Pcapng {
        return Err(JournalFileError::NotALog {
            path: path.to_owned(),
            why: "a pcapng capture is for Wireshark; open the log saved as .jsonl".into(),
        });
    }
    let reader = BufReader::with_capacity(1 << 20, File::open(path).map_err(io_error)?);
    let mut journal = Journal::new(JournalLimits::UNBOUNDED);
    let mut bad_lines = Vec::new();
    let mut profiles = LogProfiles::default();
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(io_error)?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(&line) {
            Ok((parsed, bytes)) => {
                if journal.is_empty() {
                    journal.start_at(parsed.seq);
                }
                let wire_len = parsed.wire_len.unwrap_or(bytes.len() as u32);
                let origin = Origin {
                    conn: parsed.conn,
                    side: parsed.side,
                    peer: parsed.peer,
                    local: parsed.local,
                    link: parsed.link,
                    profile: parsed
                        .profile
                        .as_deref()
                        .and_then(|name| profiles.resolve(name, parsed.profile_text.as_deref())),
                    transport: parsed.transport,
                };
                let entry = Entry {
                    origin: &origin,
                    direction: parsed.direction,
                    kind: parsed.kind,
                    bytes: &bytes,
                    error: parsed.error.map(Box::new),
                };
                journal.restore(parsed.time_us, wire_len, entry);
            }
            Err(reason) => bad_lines.push(LineError {
                line: index + 1,
                reason,
            }),
        }
    }
    Ok(LoadedLog {
        records: journal.snapshot(),
        bad_lines,
    })
}

/// Rebuilds a record's bytes from one line.
fn parse_line(line: &[u8]) -> Result<(LineIn, Bytes), String> {
    let parsed: LineIn = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let payload = match (&parsed.content, &parsed.content_base64) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(encoded)) => BASE64
            .decode(encoded)
            .map_err(|e| format!("content_base64: {e}"))?,
        (None, None) => Vec::new(),
    };
    let header = parsed
        .header
        .as_ref()
        .map(|h| h.get())
        .or(parsed.header_text.as_deref());
    let bytes = match header {
        Some(header) => {
            let len = u16::try_from(header.len())
                .map_err(|_| "header longer than 65,535 bytes".to_owned())?;
            let mut bytes =
                BytesMut::with_capacity(PROTO_HEADER_LEN + header.len() + payload.len());
            bytes.put_u16(len);
            bytes.put_slice(header.as_bytes());
            bytes.put_slice(&payload);
            bytes.freeze()
        }
        None => Bytes::from(payload),
    };
    Ok((parsed, bytes))
}
