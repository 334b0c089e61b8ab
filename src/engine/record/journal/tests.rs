use std::net::SocketAddr;

use bytes::Bytes;

use super::*;
use crate::engine::record::vocabulary::{Capture, Transport};

/// Connection 1 of the server, its ends unknown.
static SERVER: Origin = Origin {
    conn: 1,
    side: Side::Server,
    peer: None,
    local: None,
    link: None,
    profile: None,
    transport: Transport::Tcp,
};

fn entry(bytes: &Bytes) -> Entry<'_> {
    Entry {
        origin: &SERVER,
        direction: Direction::Received,
        kind: RecordKind::Chunk,
        bytes,
        error: None,
    }
}

fn numbered(i: u32) -> Bytes {
    Bytes::from(format!("{i:06}"))
}

#[test]
fn keeps_bytes_and_sequence_numbers_across_segments() {
    let mut journal = Journal::default();
    let count = 3 * SEGMENT_RECORDS as u32 + 17;
    for i in 0..count {
        journal.append(entry(&numbered(i)));
    }
    let big = Bytes::from(vec![7u8; OWN_PIECE_THRESHOLD * 2]);
    journal.append(entry(&big));
    let snapshot = journal.snapshot();
    assert_eq!(snapshot.len(), count as usize + 1);
    assert!(snapshot.segments.len() >= 4, "sealed segments and the tail");
    for i in [0, 1, 4095, 4096, 4097, count - 1] {
        assert_eq!(snapshot.get(u64::from(i)).unwrap().bytes(), numbered(i));
    }
    assert_eq!(snapshot.get(u64::from(count)).unwrap().bytes(), big);
    assert!(snapshot.get(u64::from(count) + 1).is_none());
    let seqs: Vec<u64> = snapshot.range_from(4090).map(|r| r.seq()).collect();
    assert_eq!(seqs, (4090..=u64::from(count)).collect::<Vec<_>>());
    assert_eq!(snapshot.views().count(), snapshot.len());
}

#[test]
fn snapshot_sees_every_record_before_it_and_none_after() {
    let mut journal = Journal::default();
    let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
    journal.append(Entry {
        origin: &Origin {
            peer: Some(peer),
            ..SERVER.clone()
        },
        ..entry(&Bytes::from("a"))
    });
    let first = journal.snapshot();
    journal.append(entry(&Bytes::from("b")));
    for i in 0..(2 * SEGMENT_RECORDS as u32) {
        journal.append(entry(&numbered(i)));
    }
    let views: Vec<_> = first.views().collect();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].bytes, Bytes::from("a"));
    assert_eq!(views[0].peer, Some(peer));
    let second = journal.snapshot();
    assert_eq!(second.len(), 2 + 2 * SEGMENT_RECORDS);
    assert_eq!(second.view(1).unwrap().bytes, Bytes::from("b"));
    assert_eq!(second.view(0).unwrap().peer, Some(peer));
    // Nothing changed: the same frozen tail is handed out again.
    let third = journal.snapshot();
    assert_eq!(third.len(), second.len());
}

#[test]
fn records_evicted_while_a_snapshot_is_held_stay_readable_through_it() {
    let mut journal = Journal::new(JournalLimits {
        max_records: 100,
        max_bytes: 1 << 20,
    });
    for i in 0..100 {
        journal.append(entry(&numbered(i)));
    }
    let held = journal.snapshot();
    for i in 100..(3 * SEGMENT_RECORDS as u32) {
        journal.append(entry(&numbered(i)));
    }
    assert_eq!(journal.len(), 100);
    assert_eq!(journal.first_seq(), 3 * SEGMENT_RECORDS as u64 - 100);
    assert!(journal.sealed.len() <= 1, "evicted segments are dropped");
    for i in 0..100 {
        assert_eq!(held.get(u64::from(i)).unwrap().bytes(), numbered(i));
    }
    let now = journal.snapshot();
    assert!(now.get(0).is_none());
    assert_eq!(
        now.get(now.first_seq()).unwrap().bytes(),
        numbered(now.first_seq() as u32)
    );
}

#[test]
fn bounds_drop_the_oldest_and_count_them() {
    let mut journal = Journal::new(JournalLimits {
        max_records: 10,
        max_bytes: 1 << 20,
    });
    for i in 0..25u32 {
        journal.append(entry(&Bytes::from(format!("{i:04}"))));
    }
    assert_eq!(
        (
            journal.len(),
            journal.first_seq(),
            journal.dropped_records()
        ),
        (10, 15, 15)
    );
    assert_eq!(journal.dropped_bytes(), 60);
    let snapshot = journal.snapshot();
    assert_eq!(snapshot.view(15).unwrap().bytes, Bytes::from("0015"));
    assert!(snapshot.view(14).is_none());

    let mut by_bytes = Journal::new(JournalLimits {
        max_records: 100,
        max_bytes: 100,
    });
    for _ in 0..30 {
        by_bytes.append(entry(&Bytes::from(vec![1u8; 10])));
    }
    assert_eq!(by_bytes.len(), 10);
    assert_eq!(by_bytes.bytes_held(), 100);

    by_bytes.set_limits(JournalLimits {
        max_records: 4,
        max_bytes: 100,
    });
    assert_eq!(by_bytes.len(), 4);
}

#[test]
fn clear_forgets_everything_and_numbering_goes_on() {
    let mut journal = Journal::default();
    for i in 0..10 {
        journal.append(entry(&numbered(i)));
    }
    journal.clear();
    assert!(journal.is_empty());
    journal.append(entry(&numbered(99)));
    let snapshot = journal.snapshot();
    assert_eq!(snapshot.first_seq(), 10);
    assert_eq!(snapshot.view(10).unwrap().bytes, numbered(99));
}

#[test]
fn live_journal_keeps_what_the_capture_mode_says() {
    let frame = crate::engine::protocol::frame::FrameBuilder::new()
        .content(vec![0u8; 1000])
        .build()
        .unwrap();
    let live = LiveJournal::new(JournalLimits::default());
    live.set_capture(Capture::HeadersOnly);
    live.append(Entry {
        kind: RecordKind::Frame,
        ..entry(&frame)
    });
    let view = live.snapshot().view(0).unwrap();
    assert_eq!(view.wire_len as usize, frame.len());
    assert_eq!(view.bytes.len(), frame.len() - 1000);
    assert!(!view.is_complete());
    live.set_capture(Capture::Off);
    live.append(entry(&frame));
    assert_eq!(live.snapshot().len(), 1);
    live.set_capture(Capture::Full);
    live.append(entry(&frame));
    assert_eq!(live.snapshot().view(1).unwrap().bytes, frame);
}

#[test]
fn a_batch_keeps_its_order_and_one_time() {
    let live = LiveJournal::new(JournalLimits::default());
    let count = 3 * RECORDS_PER_LOCK as u32 + 5;
    let bytes: Vec<Bytes> = (0..count).map(numbered).collect();
    live.append_all(bytes.iter().map(entry));
    let snapshot = live.snapshot();
    assert_eq!(snapshot.len(), count as usize);
    let first = snapshot.view(0).unwrap();
    for (seq, expected) in bytes.iter().enumerate() {
        let view = snapshot.view(seq as u64).unwrap();
        assert_eq!(&view.bytes, expected);
        assert_eq!(view.time_us, first.time_us);
    }
    live.set_capture(Capture::Off);
    live.append_all(bytes.iter().map(entry));
    assert_eq!(live.snapshot().len(), count as usize);
}

#[test]
fn an_echoed_frame_is_copied_once_for_both_records_even_across_a_seal() {
    let live = LiveJournal::new(JournalLimits::default());
    // A batch as an echo records it: each frame as received, then the same
    // buffer as sent. One record ahead of the pairs makes a pair straddle
    // each segment's end; at the end, a frame equal in content to
    // another but in its own buffer.
    let lead = Bytes::from_static(b"lead");
    let frames: Vec<Bytes> = (0..SEGMENT_RECORDS as u32 + 10).map(numbered).collect();
    let twin = numbered(7);
    let mut entries = vec![entry(&lead)];
    for frame in &frames {
        entries.push(entry(frame));
        entries.push(Entry {
            direction: Direction::Sent,
            ..entry(frame)
        });
    }
    entries.push(entry(&twin));
    live.append_all(entries);
    let snapshot = live.snapshot();
    assert_eq!(snapshot.len(), 2 * frames.len() + 2);
    let seals_before = |seq: u64| seq.is_multiple_of(SEGMENT_RECORDS as u64);
    for (index, frame) in frames.iter().enumerate() {
        let received_seq = 1 + 2 * index as u64;
        let received = snapshot.get(received_seq).unwrap().bytes();
        let sent = snapshot.get(received_seq + 1).unwrap().bytes();
        assert_eq!(&received, frame, "record {received_seq}");
        assert_eq!(&sent, frame, "record {}", received_seq + 1);
        if !seals_before(received_seq + 1) {
            assert_eq!(received.as_ptr(), sent.as_ptr(), "pair {index} shares");
        }
    }
    let twin_copy = snapshot.get(snapshot.len() as u64 - 1).unwrap().bytes();
    assert_eq!(twin_copy, twin);
    let seven = snapshot.get(15).unwrap().bytes();
    assert_eq!(seven, twin);
    assert_ne!(
        twin_copy.as_ptr(),
        seven.as_ptr(),
        "only the same buffer is shared"
    );
    // Each record still counts its own captured bytes.
    let framed: usize = frames.iter().map(Bytes::len).sum();
    assert_eq!(snapshot.bytes_held, lead.len() + 2 * framed + twin.len());
}

#[test]
fn batches_evict_exactly_what_single_appends_would_across_segments() {
    // Records of growing length, so a miscounted run shows in the bytes.
    let record = |i: u32| Bytes::from(vec![b'r'; 1 + (i % 7) as usize]);
    let limits = JournalLimits {
        max_records: SEGMENT_RECORDS + 500,
        max_bytes: 1 << 30,
    };
    let live = LiveJournal::new(limits);
    let mut single = Journal::new(limits);
    let total = 3 * SEGMENT_RECORDS as u32 + 123;
    let all: Vec<Bytes> = (0..total).map(record).collect();
    // Batches longer than a take of the lock, and not dividing a segment;
    // a viewer's snapshot after each counts what fell out so far.
    for batch in all.chunks(RECORDS_PER_LOCK * 2 + 37) {
        live.append_all(batch.iter().map(entry));
        drop(live.snapshot());
    }
    for bytes in &all {
        single.append(entry(bytes));
    }
    let snapshot = live.snapshot();
    let expected_first = u64::from(total) - limits.max_records as u64;
    assert_eq!(
        (snapshot.first_seq(), snapshot.len()),
        (expected_first, limits.max_records)
    );
    assert_eq!(
        (
            single.first_seq(),
            single.dropped_records(),
            single.dropped_bytes()
        ),
        (
            expected_first,
            expected_first,
            all[..expected_first as usize]
                .iter()
                .map(|b| b.len() as u64)
                .sum()
        )
    );
    let views: Vec<Bytes> = snapshot.views().map(|view| view.bytes).collect();
    assert_eq!(views, all[expected_first as usize..]);
    // The bytes of what fell out are counted exactly, though eviction
    // reads them only later.
    let byte_count = |records: &[Bytes]| records.iter().map(Bytes::len).sum::<usize>();
    assert_eq!(snapshot.bytes_held(), byte_count(&views));
    assert_eq!(
        snapshot.dropped_bytes(),
        byte_count(&all[..expected_first as usize]) as u64
    );
    assert_eq!(single.bytes_held(), byte_count(&views));

    // Then the bytes bound, a record at a time: the held bytes fit it.
    live.set_limits(JournalLimits {
        max_records: usize::MAX,
        max_bytes: 1000,
    });
    let snapshot = live.snapshot();
    let held: usize = snapshot.views().map(|view| view.bytes.len()).sum();
    assert!(held <= 1000 && held + 7 > 1000, "{held} bytes held");
}

#[test]
fn bytes_equal_to_the_last_copy_share_it_even_after_a_snapshot() {
    let mut journal = Journal::default();
    // The same header, each time in a buffer of its own (as each read
    // brings it), with a different one between.
    let header = || Bytes::from(b"\x00\x10{\"byteorder\":1}".to_vec());
    let other = Bytes::from_static(b"\x00\x02{}");
    journal.append(entry(&header()));
    journal.append(entry(&header()));
    let first = journal.snapshot();
    // The snapshot froze the copy; the next equal record still shares it.
    journal.append(entry(&header()));
    journal.append(entry(&other));
    journal.append(entry(&header()));
    let snapshot = journal.snapshot();
    let bytes: Vec<Bytes> = (0..5)
        .map(|seq| snapshot.get(seq).unwrap().bytes())
        .collect();
    assert_eq!(bytes[0], header());
    assert_eq!(bytes[3], other);
    assert_eq!(bytes[4], header());
    assert_eq!(bytes[0].as_ptr(), bytes[1].as_ptr(), "a repeat shares");
    assert_eq!(
        bytes[0].as_ptr(),
        bytes[2].as_ptr(),
        "a repeat after a snapshot shares"
    );
    assert_ne!(
        bytes[0].as_ptr(),
        bytes[4].as_ptr(),
        "only the last copy is shared"
    );
    assert_eq!(first.get(1).unwrap().bytes(), header());
    // Each record still counts its own captured bytes.
    assert_eq!(snapshot.bytes_held(), 4 * header().len() + other.len());
}

#[test]
fn repeated_bytes_share_one_copy_across_arena_chunks_and_segments() {
    let mut journal = Journal::default();
    let count = 2 * SEGMENT_RECORDS as u32 + 5;
    for i in 0..count {
        // Runs of three equal records, then a new value.
        journal.append(entry(&numbered(i / 3)));
    }
    let snapshot = journal.snapshot();
    for seq in 0..u64::from(count) {
        let bytes = snapshot.get(seq).unwrap().bytes();
        assert_eq!(bytes, numbered(seq as u32 / 3), "record {seq}");
    }
}
