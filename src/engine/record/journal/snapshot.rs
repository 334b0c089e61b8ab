//! A snapshot: the journal as it was at one moment, readable with no lock.
//!
//! Taking one copies a list of `Arc`s (one per segment) and, at most, the
//! records of the open tail; the bytes are shared, never copied. Records
//! appended later are not in it; records evicted later stay readable
//! through it for as long as it is held.

use std::sync::Arc;

use super::JournalLimits;
use super::segment::{RecordRef, RecordView, Segment};

/// A frozen, cheap-to-take copy of a journal's records.
#[derive(Debug, Clone, Default)]
pub struct JournalSnapshot {
    pub(super) segments: Vec<Arc<Segment>>,
    pub(super) first_seq: u64,
    pub(super) next_seq: u64,
    pub(super) bytes_held: usize,
    pub(super) dropped_records: u64,
    pub(super) dropped_bytes: u64,
    pub(super) limits: JournalLimits,
}

impl JournalSnapshot {
    /// How many records it holds.
    pub fn len(&self) -> usize {
        (self.next_seq - self.first_seq) as usize
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.next_seq == self.first_seq
    }

    /// Sequence number of its oldest record.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number after its newest record.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Captured bytes the journal held.
    pub fn bytes_held(&self) -> usize {
        self.bytes_held
    }

    /// Records that had fallen out of the front to respect the bounds.
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    /// Captured bytes that fell out with them.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// The journal's bounds.
    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    /// The record numbered `seq`, if held.
    pub fn get(&self, seq: u64) -> Option<RecordRef<'_>> {
        if seq < self.first_seq || seq >= self.next_seq {
            return None;
        }
        let index = self
            .segments
            .partition_point(|s| s.first_seq <= seq)
            .checked_sub(1)?;
        let segment = &self.segments[index];
        segment
            .get(seq)
            .map(|record| RecordRef::new(seq, record, segment))
    }

    /// The record numbered `seq` with everything a viewer needs.
    pub fn view(&self, seq: u64) -> Option<RecordView> {
        self.get(seq).map(|r| r.view())
    }

    /// Records from `from` (or the oldest held, if later) to the newest, in order.
    pub fn range_from(&self, from: u64) -> impl Iterator<Item = RecordRef<'_>> + '_ {
        let from = from.max(self.first_seq);
        let end = self.next_seq;
        let start_segment = self
            .segments
            .partition_point(|s| s.first_seq <= from)
            .saturating_sub(1);
        self.segments[start_segment.min(self.segments.len())..]
            .iter()
            .flat_map(move |segment| {
                let skip = from.saturating_sub(segment.first_seq) as usize;
                let first = segment.first_seq;
                segment
                    .records
                    .iter()
                    .enumerate()
                    .skip(skip)
                    .map(move |(index, record)| (first + index as u64, record, &**segment))
            })
            .take_while(move |(seq, _, _)| *seq < end)
            .map(|(seq, record, segment)| RecordRef::new(seq, record, segment))
    }

    /// Every record held, oldest first, ready to show or save.
    pub fn views(&self) -> impl Iterator<Item = RecordView> + '_ {
        self.range_from(self.first_seq).map(|r| r.view())
    }
}
