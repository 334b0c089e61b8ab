//! The engine's live journal: one journal behind a short lock, and the
//! capture mode beside it in an atomic.
//!
//! Connection tasks append under the lock (the records' copies, nothing
//! more; a batch lets waiters in every few dozen records); readers take a snapshot under it (a list of `Arc`s and the open
//! tail's records) and do everything else with the lock released. With
//! capture off, appends never touch the lock. The lock is parking_lot's:
//! no poisoning, and it is only ever held for microseconds.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use parking_lot::{Mutex, MutexGuard};

use super::{Entry, Journal, JournalLimits, JournalSnapshot, now_us};
use crate::engine::record::vocabulary::Capture;

/// Records a batch appends before letting a waiting reader (a snapshot)
/// or another connection's append have the lock, so a large batch holds it
/// no longer than a few microseconds at a time.
pub(super) const RECORDS_PER_LOCK: usize = 64;

/// The live journal shared by every connection task and its readers.
#[derive(Debug)]
pub(crate) struct LiveJournal {
    journal: Mutex<Journal>,
    capture: AtomicU8,
}

impl LiveJournal {
    /// An empty journal with these bounds, capturing everything.
    pub(crate) fn new(limits: JournalLimits) -> Self {
        Self {
            journal: Mutex::new(Journal::new(limits)),
            capture: AtomicU8::new(Capture::Full.code()),
        }
    }

    /// The capture mode for records from now on.
    pub(crate) fn capture(&self) -> Capture {
        Capture::from_code(self.capture.load(Relaxed))
    }

    /// Sets the capture mode for records from now on.
    pub(crate) fn set_capture(&self, capture: Capture) {
        self.capture.store(capture.code(), Relaxed);
    }

    /// Records `entry` now, keeping what the capture mode says.
    pub(crate) fn append(&self, entry: Entry<'_>) {
        self.append_all(std::iter::once(entry));
    }

    /// Records `entries` in order, keeping what the capture mode says, all
    /// at one time (taken once, as the batch is recorded) and under one
    /// take of the lock. With capture off it takes neither the time nor the
    /// lock. Each record's copy is all that is done under the lock.
    pub(crate) fn append_all<'a>(&self, entries: impl IntoIterator<Item = Entry<'a>>) {
        let capture = self.capture();
        if capture == Capture::Off {
            return;
        }
        let time_us = now_us();
        let mut journal = self.journal.lock();
        for (index, entry) in entries.into_iter().enumerate() {
            if index > 0 && index % RECORDS_PER_LOCK == 0 {
                journal.enforce_limits();
                MutexGuard::bump(&mut journal);
            }
            let keep = capture.keep(entry.kind, entry.bytes);
            let wire_len = u32::try_from(entry.bytes.len()).unwrap_or(u32::MAX);
            journal.push_in_batch(time_us, wire_len, entry, keep);
        }
        journal.enforce_limits();
    }

    /// Records `entry` now, keeping what the capture mode says, and returns
    /// its sequence number (`None` with capture off: nothing is recorded).
    pub(crate) fn append_numbered(&self, entry: Entry<'_>) -> Option<u64> {
        let capture = self.capture();
        if capture == Capture::Off {
            return None;
        }
        let time_us = now_us();
        let keep = capture.keep(entry.kind, entry.bytes);
        let wire_len = u32::try_from(entry.bytes.len()).unwrap_or(u32::MAX);
        let mut journal = self.journal.lock();
        let seq = journal.next_seq();
        journal.push(time_us, wire_len, entry, keep);
        Some(seq)
    }

    /// Records `entries` now under one lock, keeping what `capture` says:
    /// a load run's own capture mode, not the journal's.
    pub(crate) fn append_all_with<'a>(
        &self,
        capture: Capture,
        entries: impl IntoIterator<Item = Entry<'a>>,
    ) {
        if capture == Capture::Off {
            return;
        }
        let time_us = now_us();
        let mut journal = self.journal.lock();
        for entry in entries {
            let keep = capture.keep(entry.kind, entry.bytes);
            let wire_len = u32::try_from(entry.bytes.len()).unwrap_or(u32::MAX);
            journal.push_in_batch(time_us, wire_len, entry, keep);
        }
        journal.enforce_limits();
    }

    /// Everything held now; the lock is held only to copy the segment list.
    pub(crate) fn snapshot(&self) -> JournalSnapshot {
        self.journal.lock().snapshot()
    }

    /// The bounds.
    pub(crate) fn limits(&self) -> JournalLimits {
        self.journal.lock().limits()
    }

    /// Changes the bounds; records beyond them fall out at once.
    pub(crate) fn set_limits(&self, limits: JournalLimits) {
        self.journal.lock().set_limits(limits);
    }

    /// Forgets every record.
    pub(crate) fn clear(&self) {
        self.journal.lock().clear();
    }
}
