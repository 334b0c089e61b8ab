//! Prints journal records and connection events as they happen: the same
//! journal the window shows, followed from the command line.

use std::io::Write;

use tokio::sync::broadcast::{self, error::TryRecvError};

use crate::clock::{Style, Zone};
use crate::engine::describe::{role_of, summary};
use crate::engine::hexdump::dump;
use crate::engine::{ConnectionEvent, Engine, RecordKind, RecordView};

/// Records printed per call, so a flood cannot starve the caller.
const BATCH: usize = 10_000;

/// Follows the journal and the connection events.
pub struct Printer {
    next_seq: u64,
    hexdump: bool,
    zone: Zone,
    connections: broadcast::Receiver<ConnectionEvent>,
    deferred_closes: Vec<ConnectionEvent>,
}

impl Printer {
    /// Starts following from the journal's next record; times are shown in `zone`.
    pub fn new(engine: &Engine, hexdump: bool, zone: Zone) -> Self {
        Self {
            next_seq: engine.snapshot().next_seq(),
            hexdump,
            zone,
            connections: engine.subscribe_connections(),
            deferred_closes: Vec::new(),
        }
    }

    /// Prints whatever happened since the last call. Closes are printed one
    /// call late, so they follow the connection's last frames.
    pub fn print_new(&mut self, engine: &Engine, out: &mut impl Write) -> std::io::Result<()> {
        for event in std::mem::take(&mut self.deferred_closes) {
            print_connection(&event, out)?;
        }
        loop {
            match self.connections.try_recv() {
                Ok(event) if event.closed.is_some() => self.deferred_closes.push(event),
                Ok(event) => print_connection(&event, out)?,
                Err(TryRecvError::Lagged(missed)) => {
                    writeln!(out, "({missed} connection events missed)")?
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        let journal = engine.snapshot();
        let dropped = journal.first_seq().saturating_sub(self.next_seq);
        let views: Vec<RecordView> = journal
            .range_from(self.next_seq)
            .take(BATCH)
            .map(|r| r.view())
            .collect();
        if dropped > 0 {
            writeln!(
                out,
                "({dropped} records fell out of the journal before they were printed)"
            )?;
        }
        for view in &views {
            print_record(view, self.hexdump, self.zone, out)?;
            self.next_seq = view.seq + 1;
        }
        out.flush()
    }
}

/// The zone asked for on the command line: local time unless `--utc`.
pub fn zone(utc: bool) -> Zone {
    if utc { Zone::Utc } else { Zone::Local }
}

fn print_connection(event: &ConnectionEvent, out: &mut impl Write) -> std::io::Result<()> {
    let side = event.side.as_str();
    match &event.closed {
        None => writeln!(
            out,
            "{side} conn {} opened, peer {}",
            event.conn, event.peer
        ),
        Some(reason) => writeln!(out, "{side} conn {} closed: {reason}", event.conn),
    }
}

/// One line for a record, its time in `zone` (and its hex dump when asked).
pub fn print_record(
    view: &RecordView,
    hexdump: bool,
    zone: Zone,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let micros = Style {
        date: false,
        micros: true,
    };
    // A relayed leg names its other leg.
    let link = view
        .link
        .map_or_else(String::new, |other| format!(" (↔ {other})"));
    writeln!(
        out,
        "#{} {} {} conn {}{link} {} {} {} B: {}",
        view.seq,
        zone.text(view.time_us, micros),
        view.side.as_str(),
        view.conn,
        view.direction.as_str(),
        view.kind.as_str(),
        view.wire_len,
        summary(view)
    )?;
    if let Some(profile) = &view.profile
        && matches!(view.kind, RecordKind::Frame | RecordKind::Error)
    {
        let (fields, _) = profile.decode(&view.bytes, role_of(view));
        for field in fields {
            match &field.label {
                Some(label) => writeln!(out, "    {} = {} ({label})", field.name, field.value)?,
                None => writeln!(out, "    {} = {}", field.name, field.value)?,
            }
        }
    }
    if hexdump {
        out.write_all(dump(&view.bytes).as_bytes())?;
    }
    Ok(())
}
