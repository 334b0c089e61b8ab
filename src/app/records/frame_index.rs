//! The frames table's list of matching records, kept up to date a little at
//! a time.
//!
//! The index is the sequence numbers of the records that pass the filters.
//! Each frame it looks only at records it has not seen yet, and for at most
//! a time budget, so a million records never cost a million checks in one
//! frame: a new filter rebuilds the index over a few frames while the table
//! stays responsive. Records that fall out of the journal's front are
//! dropped from the index's front. With no filter at all every record
//! matches, and the index is the journal's range itself: nothing is
//! scanned or stored, however fast records arrive.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::engine::{
    Direction, JournalSnapshot, PROTO_HEADER_LEN, RecordKind, RecordRef, Side, header_end,
};

use crate::app::settings::Filters;

/// How many bytes past the header the text filter searches.
const TEXT_SCAN_CONTENT: usize = 1024;
/// Records checked between looks at the clock.
const CLOCK_EVERY: u64 = 2048;

/// Which journal the index was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKey {
    /// The engine's live journal.
    Live,
    /// A log opened from a file (each opening has its own number).
    File(u64),
}

/// The filters in the form the index checks records against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterSpec {
    side: Option<Side>,
    direction: Option<Direction>,
    connection: Option<u32>,
    text: String,
    errors_only: bool,
}

impl FilterSpec {
    /// The filters as typed; the error says why the connection box was ignored.
    pub fn new(filters: &Filters) -> (Self, Option<String>) {
        let connection_text = filters.connection.trim().trim_start_matches('#');
        let (connection, error) = if connection_text.is_empty() {
            (None, None)
        } else {
            match connection_text.parse::<u32>() {
                Ok(id) => (Some(id), None),
                Err(_) => (
                    None,
                    Some(format!("\"{connection_text}\" is not a connection number")),
                ),
            }
        };
        let spec = Self {
            side: filters.side,
            direction: filters.direction,
            connection,
            text: filters.text.trim().to_lowercase(),
            errors_only: filters.errors_only,
        };
        (spec, error)
    }

    /// Whether every record passes.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether `entry` passes.
    fn matches(&self, entry: &RecordRef<'_>) -> bool {
        let record = entry.record();
        if self.side.is_some_and(|side| side != record.side)
            || self.direction.is_some_and(|d| d != record.direction)
            || self.connection.is_some_and(|c| c != record.conn)
            || (self.errors_only && record.kind != RecordKind::Error)
        {
            return false;
        }
        if self.text.is_empty() {
            return true;
        }
        if let Some(error) = entry.error()
            && error.to_string().to_lowercase().contains(&self.text)
        {
            return true;
        }
        let headers_end = match record.kind {
            RecordKind::Chunk | RecordKind::Handshake | RecordKind::Note => PROTO_HEADER_LEN,
            RecordKind::Frame | RecordKind::Error => {
                header_end(&entry.prefix(PROTO_HEADER_LEN)).unwrap_or(PROTO_HEADER_LEN)
            }
        };
        let prefix = entry.prefix(headers_end + TEXT_SCAN_CONTENT);
        contains_ignore_case(&prefix, self.text.as_bytes())
    }
}

/// Whether `haystack` holds `needle` (already lowercase), ignoring ASCII case.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// The sequence numbers of the records that pass the filters, oldest first.
#[derive(Debug, Default)]
pub struct FrameIndex {
    /// With no filter: every record from the first to before the end.
    everything: Option<std::ops::Range<u64>>,
    /// With a filter: the records that pass it.
    seqs: VecDeque<u64>,
    next: u64,
    built_for: Option<(SourceKey, FilterSpec)>,
    started_at: u64,
    /// Rows that left the front (their records evicted) since the last
    /// [`FrameIndex::take_front_shift`].
    front_shift: usize,
}

impl FrameIndex {
    /// Brings the index up to date with `journal`, spending at most
    /// `budget`; returns true when every record has been looked at.
    pub fn update(
        &mut self,
        journal: &JournalSnapshot,
        source: SourceKey,
        filter: &FilterSpec,
        budget: Duration,
    ) -> bool {
        let key = (source, filter.clone());
        let same = self.built_for.as_ref() == Some(&key);
        if filter.is_empty() {
            self.seqs.clear();
            if let (true, Some(before)) = (same, &self.everything) {
                let left = journal.first_seq().saturating_sub(before.start);
                self.front_shift += usize::try_from(left).unwrap_or(usize::MAX);
            } else {
                self.front_shift = 0;
            }
            self.everything = Some(journal.first_seq()..journal.next_seq());
            self.next = journal.next_seq();
            self.started_at = journal.first_seq();
            self.built_for = Some(key);
            return true;
        }
        self.everything = None;
        if !same || journal.next_seq() < self.next {
            self.seqs.clear();
            self.next = journal.first_seq();
            self.started_at = self.next;
            self.built_for = Some(key);
            self.front_shift = 0;
        }
        let first = journal.first_seq();
        while self.seqs.front().is_some_and(|&seq| seq < first) {
            self.seqs.pop_front();
            self.front_shift += 1;
        }
        self.next = self.next.max(first);
        let end = journal.next_seq();
        let deadline = Instant::now() + budget;
        for entry in journal.range_from(self.next) {
            if filter.matches(&entry) {
                self.seqs.push_back(entry.seq());
            }
            self.next = entry.seq() + 1;
            if self.next.is_multiple_of(CLOCK_EVERY) && Instant::now() >= deadline {
                break;
            }
        }

        self.next >= end
    }

    /// How many rows have left the front (their records evicted) since the
    /// last call, the index staying the same otherwise; 0 after a rebuild.
    pub fn take_front_shift(&mut self) -> usize {
        std::mem::take(&mut self.front_shift)
    }

    /// How many records match.
    pub fn len(&self) -> usize {
        match &self.everything {
            Some(range) => (range.end - range.start) as usize,
            None => self.seqs.len(),
        }
    }

    /// Whether no record matches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sequence number at table row `row`.
    pub fn get(&self, row: usize) -> Option<u64> {
        match &self.everything {
            Some(range) => Some(range.start + row as u64).filter(|seq| range.contains(seq)),
            None => self.seqs.get(row).copied(),
        }
    }

    /// The table row showing `seq`, if it matches.
    pub fn position(&self, seq: u64) -> Option<usize> {
        match &self.everything {
            Some(range) => range.contains(&seq).then(|| (seq - range.start) as usize),
            None => self.seqs.binary_search(&seq).ok(),
        }
    }

    /// How far a rebuild has got, from 0 to 1, given the journal's end.
    pub fn progress(&self, journal_end: u64) -> f32 {
        let total = journal_end.saturating_sub(self.started_at);
        if total == 0 {
            return 1.0;
        }
        (self.next.saturating_sub(self.started_at)) as f32 / total as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FrameBuilder;
    use crate::engine::{Entry, Journal, JournalLimits, Origin};
    use bytes::Bytes;

    fn append(journal: &mut Journal, conn: u32, side: Side, bytes: &Bytes) {
        journal.append(Entry {
            origin: &Origin {
                conn,
                side,
                peer: None,
                local: None,
                link: None,
                profile: None,
                transport: crate::engine::Transport::Tcp,
            },
            direction: Direction::Sent,
            kind: RecordKind::Frame,
            bytes,
            error: None,
        });
    }

    #[test]
    fn only_new_records_are_scanned_and_filters_rebuild() {
        let mut journal = Journal::default();
        let a = FrameBuilder::new().content("alpha").build().unwrap();
        let b = FrameBuilder::new().content("BETA").build().unwrap();
        for i in 0..10 {
            append(
                &mut journal,
                i % 2,
                Side::Client,
                if i < 5 { &a } else { &b },
            );
        }
        let mut index = FrameIndex::default();
        let all = FilterSpec::default();
        assert!(index.update(
            &journal.snapshot(),
            SourceKey::Live,
            &all,
            Duration::from_secs(1)
        ));
        assert_eq!(index.len(), 10);
        append(&mut journal, 0, Side::Server, &a);
        index.update(
            &journal.snapshot(),
            SourceKey::Live,
            &all,
            Duration::from_secs(1),
        );
        assert_eq!((index.len(), index.get(10)), (11, Some(10)));

        let (beta, _) = FilterSpec::new(&Filters {
            text: "beta".into(),
            ..Filters::default()
        });
        index.update(
            &journal.snapshot(),
            SourceKey::Live,
            &beta,
            Duration::from_secs(1),
        );
        assert_eq!(index.len(), 5);
        assert_eq!(index.position(7), Some(2));

        let (conn1, error) = FilterSpec::new(&Filters {
            connection: "#1".into(),
            side: Some(Side::Client),
            ..Filters::default()
        });
        assert!(error.is_none());
        index.update(
            &journal.snapshot(),
            SourceKey::Live,
            &conn1,
            Duration::from_secs(1),
        );
        assert_eq!(index.len(), 5);
    }

    #[test]
    fn records_dropped_from_the_journal_leave_the_index() {
        let mut journal = Journal::new(JournalLimits {
            max_records: 4,
            max_bytes: 1 << 20,
        });
        let frame = FrameBuilder::new().build().unwrap();
        let mut index = FrameIndex::default();
        let all = FilterSpec::default();
        for _ in 0..10 {
            append(&mut journal, 1, Side::Client, &frame);
            index.update(
                &journal.snapshot(),
                SourceKey::Live,
                &all,
                Duration::from_secs(1),
            );
        }
        assert_eq!((index.len(), index.get(0)), (4, Some(6)));
        journal.clear();
        index.update(
            &journal.snapshot(),
            SourceKey::Live,
            &all,
            Duration::from_secs(1),
        );
        assert!(index.is_empty());
    }

    #[test]
    fn rows_leaving_the_front_are_counted_with_or_without_a_filter() {
        let mut journal = Journal::new(JournalLimits {
            max_records: 4,
            max_bytes: 1 << 20,
        });
        let frame = FrameBuilder::new().build().unwrap();
        let (side_filter, _) = FilterSpec::new(&Filters {
            side: Some(Side::Client),
            ..Filters::default()
        });
        for filter in [FilterSpec::default(), side_filter] {
            let mut index = FrameIndex::default();
            let update = |journal: &mut Journal, index: &mut FrameIndex| {
                let snapshot = journal.snapshot();
                index.update(&snapshot, SourceKey::Live, &filter, Duration::from_secs(1));
            };
            for _ in 0..4 {
                append(&mut journal, 1, Side::Client, &frame);
            }
            update(&mut journal, &mut index);
            assert_eq!(index.take_front_shift(), 0, "{filter:?}: a fresh index");
            for _ in 0..3 {
                append(&mut journal, 1, Side::Client, &frame);
            }
            update(&mut journal, &mut index);
            assert_eq!(index.take_front_shift(), 3, "{filter:?}");
            assert_eq!(index.take_front_shift(), 0, "{filter:?}: taken");
            journal.clear();
            update(&mut journal, &mut index);
            index.take_front_shift();
        }
    }

    #[test]
    fn a_zero_budget_still_makes_progress() {
        let mut journal = Journal::default();
        let frame = Bytes::from_static(b"x");
        for _ in 0..10_000 {
            append(&mut journal, 1, Side::Client, &frame);
        }
        let mut index = FrameIndex::default();
        // A filter every record passes, so the index is built by scanning.
        let (all, _) = FilterSpec::new(&Filters {
            side: Some(Side::Client),
            ..Filters::default()
        });
        assert!(!index.update(&journal.snapshot(), SourceKey::Live, &all, Duration::ZERO));
        assert!(index.len() >= CLOCK_EVERY as usize);
        assert!(index.progress(journal.next_seq()) > 0.0);
        let mut rounds = 0;
        while !index.update(&journal.snapshot(), SourceKey::Live, &all, Duration::ZERO) {
            rounds += 1;
        }
        assert!(rounds < 10);
        assert_eq!(index.len(), 10_000);
    }

    #[test]
    fn with_no_filter_the_index_is_the_journals_range() {
        let mut journal = Journal::new(JournalLimits {
            max_records: 5,
            max_bytes: 1 << 20,
        });
        let frame = FrameBuilder::new().build().unwrap();
        for _ in 0..8 {
            append(&mut journal, 1, Side::Client, &frame);
        }
        let mut index = FrameIndex::default();
        let all = FilterSpec::default();
        assert!(index.update(&journal.snapshot(), SourceKey::Live, &all, Duration::ZERO));
        assert_eq!(index.len(), 5);
        assert_eq!(
            (index.get(0), index.get(4), index.get(5)),
            (Some(3), Some(7), None)
        );
        assert_eq!((index.position(3), index.position(2)), (Some(0), None));
        // A filter then narrows it, and clearing it again gives all back.
        let (server, _) = FilterSpec::new(&Filters {
            side: Some(Side::Server),
            ..Filters::default()
        });
        index.update(
            &journal.snapshot(),
            SourceKey::Live,
            &server,
            Duration::from_secs(1),
        );
        assert!(index.is_empty());
        index.update(&journal.snapshot(), SourceKey::Live, &all, Duration::ZERO);
        assert_eq!(index.len(), 5);
    }

    #[test]
    fn a_bad_connection_number_is_reported_and_ignored() {
        let (spec, error) = FilterSpec::new(&Filters {
            connection: "abc".into(),
            ..Filters::default()
        });
        assert!(spec.is_empty());
        assert!(error.unwrap().contains("not a connection number"));
    }
}
