//! The window, driven as a person would: by the labels on screen.
//!
//! Every test starts its own engine with the server on port 0, so tests
//! never collide, and waits for what it expects with a deadline of a few
//! seconds instead of sleeping a fixed time.

use crate::real_servers;
use crate::window;

use std::net::SocketAddr;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use framescope::app::hex_view::row_text;
use framescope::app::{FramescopeApp, Settings, ViewSource};
use framescope::clock::{self, Style, Zone};
use framescope::engine::hexdump;
use framescope::engine::reference::fill_journal;
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{ContentLength, Engine, RecordKind, Side};
use window::{
    App, app, app_with, app_with_settings, click_send, pick, send_button, shows, start_server,
    wait_for, wait_to_see,
};

fn button<'h>(h: &'h App, label: &'h str) -> egui_kittest::Node<'h> {
    h.get_by_role_and_label(Role::Button, label)
}

fn is_disabled(h: &App, label: &str) -> bool {
    button(h, label).accesskit_node().is_disabled()
}

/// Sets the connection count, clicks Connect, and waits for them to open.
fn connect(h: &mut App, count: usize) {
    h.get_by_label("Connections")
        .set_value_accesskit(count as f64);
    h.step();
    assert_eq!(
        h.get_by_label("Connections").value().as_deref(),
        Some(count.to_string().as_str())
    );
    button(h, "Connect").click();
    wait_to_see(h, &format!("{count} open"));
}

#[test]
fn a_start_server_shows_where_it_listens() {
    let mut h = app();
    assert!(shows(&h, "stopped"));
    let addr = start_server(&mut h);
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    wait_to_see(&mut h, &format!("listening on {addr}"));
    assert!(shows(&h, "Stop Server"));
    h.check_accessibility();

    button(&h, "Stop Server").click();
    wait_to_see(&mut h, "stopped");
    assert!(h.state().engine().fresh_view().server.listening.is_none());
}

#[test]
fn b_connect_opens_the_chosen_number_of_connections() {
    let mut h = app();
    let addr = start_server(&mut h);
    connect(&mut h, 5);
    wait_to_see(&mut h, &format!("Opened 5 connections to {addr}"));
    let summaries = h.state().engine().fresh_view().connections.clone();
    assert_eq!(summaries.len(), 5);
    assert!(summaries.iter().all(|s| s.target == addr));
    wait_to_see(&mut h, "5 connections open · 5 accepted");
    h.check_accessibility();
}

/// Starts the server, opens five connections, sends the search preset to all.
fn five_searches(h: &mut App) {
    start_server(h);
    connect(h, 5);
    button(h, "Search request").click();
    h.step();
    assert!(!send_button(h).accesskit_node().is_disabled());
    click_send(h);
    wait_to_see(h, "Sent to 5 connections");
    wait_to_see(h, "Client: 5 sent · 5 received");
    wait_to_see(h, "Server: 5 received · 5 sent");
    wait_to_see(h, "20 of 20 records shown");
}

#[test]
fn c_a_search_sent_to_all_is_echoed_by_each_connection() {
    let mut h = app();
    five_searches(&mut h);
    let expected = r#"{"action": "search", "value": "morpheus"}"#;
    // Every record in the table (5 sent, 5 received by the server, 5 echoed, 5 echoes read).
    assert_eq!(h.get_all_by_label(expected).count(), 20);
    let journal = h.state().engine().snapshot();
    let count = |side, direction| {
        journal
            .views()
            .filter(|v| v.side == side && v.direction == direction)
            .filter(|v| v.kind == RecordKind::Frame && v.bytes.ends_with(expected.as_bytes()))
            .count()
    };
    use framescope::engine::Direction::{Received, Sent};
    assert_eq!(count(Side::Client, Sent), 5);
    assert_eq!(count(Side::Server, Received), 5);
    assert_eq!(count(Side::Server, Sent), 5);
    assert_eq!(count(Side::Client, Received), 5);
    h.check_accessibility();
}

#[test]
fn d_a_selected_row_shows_its_header_and_bytes() {
    let mut h = app();
    five_searches(&mut h);
    let summary = r#"{"action": "search", "value": "morpheus"}"#;
    h.get_all_by_label(summary).next().expect("a row").click();
    wait_for(&mut h, "a selected record", |h| {
        h.state().selected_record().is_some()
    });
    let seq = h.state().selected_record().unwrap();
    let bytes = h.state().engine().snapshot().view(seq).unwrap().bytes;
    assert_eq!(bytes, search_request("morpheus").build().unwrap());
    let first_row = format!("Record bytes {}", row_text(&hexdump::row(&bytes, 0)));
    assert!(first_row.starts_with(&format!(
        "Record bytes 00000000  {:02x} {:02x} 7b 22 62 79 74 65",
        bytes[0], bytes[1]
    )));
    wait_to_see(&mut h, &first_row);
    let last_row = hexdump::row_count(bytes.len()) - 1;
    assert!(shows(&h, &row_text(&hexdump::row(&bytes, last_row))));
    // The decoded header.
    assert!(shows(&h, "(proto-header)"));
    assert!(shows(
        &h,
        &format!("{} (0x{:04x}) header bytes", bytes[1], bytes[1])
    ));
    assert!(shows(&h, "text/json"));
    h.check_accessibility();

    // Hovering a field in the table lights its bytes; hovering bytes lights their part.
    let key = h
        .get_all_by_label("content-length")
        .find(|n| n.accesskit_node().role() == Role::Label)
        .expect("the content-length row");
    key.hover();
    h.step();
    h.step();
    let header = String::from_utf8_lossy(&bytes);
    let start = header.find("\"content-length\"").unwrap();
    let end = start + "\"content-length\": 41".len();
    assert_eq!(h.state().highlighted_bytes(), Some(start..end));

    let row = h.get_by_label(&first_row);
    let rect = row.rect();
    let char_width = rect.width() / 77.0;
    h.hover_at(egui::pos2(rect.left() + 10.5 * char_width, rect.center().y));
    h.step();
    h.step();
    assert_eq!(h.state().highlighted_bytes(), Some(0..2));
}

#[test]
fn e_editing_the_content_type_changes_the_preview() {
    let mut h = app();
    let before = search_request("morpheus").build().unwrap();
    let before_row = format!("Preview bytes {}", row_text(&hexdump::row(&before, 0)));
    assert!(shows(&h, &before_row));
    assert!(shows(&h, &format!("{} bytes", before.len())));

    h.get_by_label("content-type")
        .set_text_value_accesskit("application/x-test");
    h.step();
    h.step();
    let after = search_request("morpheus")
        .field("content-type", "application/x-test")
        .build()
        .unwrap();
    let after_row = format!("Preview bytes {}", row_text(&hexdump::row(&after, 0)));
    assert_ne!(before_row, after_row);
    assert!(shows(&h, &after_row), "the preview shows the new header");
    assert!(!shows(&h, &before_row));
    assert!(shows(&h, &format!("{} bytes", after.len())));
    assert_eq!(
        h.get_by_label("content-type").value().as_deref(),
        Some("application/x-test")
    );
    assert_eq!(
        h.state().settings().draft.content_type,
        "application/x-test"
    );
}

#[test]
fn f_a_wrong_content_length_shows_as_a_server_decode_error() {
    let mut h = app();
    start_server(&mut h);
    connect(&mut h, 1);
    h.get_by_label("Override").click();
    h.step();
    h.get_by_label("content-length")
        .set_text_value_accesskit("-1");
    h.step();
    h.step();
    assert!(shows(&h, "content-length is overridden to -1"));
    let wrong = search_request("morpheus")
        .content_length(ContentLength::Override((-1).into()))
        .build()
        .unwrap();
    let at = String::from_utf8_lossy(&wrong).find(": -1}").unwrap();
    let row = row_text(&hexdump::row(&wrong, at / 16));
    assert!(
        shows(&h, &format!("Preview bytes {row}")),
        "the preview shows -1"
    );
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    h.step();
    wait_to_see(&mut h, "must be a non-negative integer, found -1");
    let journal = h.state().engine().snapshot();
    let error = journal
        .views()
        .find(|v| v.kind == RecordKind::Error)
        .expect("an error record");
    assert_eq!(error.side, Side::Server);
    assert!(shows(&h, "decode error"));
    wait_to_see(&mut h, "1 errors");
    h.check_accessibility();
}

/// Five searches, saved (bypassing the dialog) to `name` in a fresh
/// directory; returns the directory (kept alive) and the file's path.
fn five_searches_saved(h: &mut App, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    five_searches(h);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    h.state_mut().save_log_to(&path);
    wait_to_see(h, &format!("Saved 20 records to {name}"));
    (dir, path)
}

#[test]
fn g_the_log_saves_to_a_file_and_opens_again() {
    let mut h = app();
    let (_dir, path) = five_searches_saved(&mut h, "session.jsonl");

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let journal = h.state().engine().snapshot();
    assert_eq!(lines.len(), journal.len());
    for (line, seq) in lines.iter().zip(journal.first_seq()..journal.next_seq()) {
        let view = journal.view(seq).unwrap();
        assert_eq!(line["seq"], seq);
        assert_eq!(line["conn"], view.conn);
        assert_eq!(
            line["content"],
            r#"{"action": "search", "value": "morpheus"}"#
        );
    }

    h.state_mut().open_log(&path);
    wait_for(&mut h, "the opened log in the table", |h| {
        h.state().view_source() == ViewSource::File && h.state().frames_shown() == 20
    });
    let source = h.get_by_role_and_label(Role::Button, "session.jsonl");
    assert_eq!(
        source.accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::True)
    );
    wait_to_see(&mut h, "20 of 20 records shown");
    h.check_accessibility();

    // Back to the live journal, which saving left as it was.
    h.get_by_role_and_label(Role::Button, "Live").click();
    wait_for(&mut h, "the live table", |h| {
        h.state().view_source() == ViewSource::Live
    });
    assert_eq!(h.state().engine().snapshot().len(), 20);
}

#[test]
fn an_unwritable_path_is_reported_and_the_log_is_kept() {
    let mut h = app();
    five_searches(&mut h);
    let dir = tempfile::tempdir().unwrap();
    h.state_mut()
        .save_log_to(dir.path().join("no-such-dir").join("log.jsonl"));
    wait_to_see(&mut h, "Could not save:");
    assert!(shows(&h, "The log in memory is intact."));
    assert_eq!(h.state().engine().snapshot().len(), 20);
    wait_to_see(&mut h, "20 of 20 records shown");
}

#[test]
fn a_bad_address_disables_start_and_says_why() {
    let mut h = app();
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1");
    h.step();
    h.step();
    assert!(shows(&h, "has no port"));
    assert!(is_disabled(&h, "Start Server"));

    h.get_by_label("Address")
        .set_text_value_accesskit("0.0.0.0:0");
    h.step();
    h.step();
    assert!(!is_disabled(&h, "Start Server"));
    assert!(shows(&h, "listens on every network interface"));
}

#[test]
fn a_port_in_use_is_shown_in_the_server_panel() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let mut h = app();
    h.get_by_label("Address")
        .set_text_value_accesskit(&addr.to_string());
    h.step();
    button(&h, "Start Server").click();
    wait_to_see(&mut h, &format!("Could not start: cannot listen on {addr}"));
    assert!(shows(&h, "Start Server"));
    drop(taken);
}

#[test]
fn send_is_disabled_with_a_reason() {
    let mut h = app();
    h.step();
    assert!(send_button(&h).accesskit_node().is_disabled());
    assert!(shows(&h, "Cannot send: No open connection: Connect first"));

    start_server(&mut h);
    connect(&mut h, 1);
    h.get_by_role_and_label(Role::Button, "JSON").click();
    h.step();
    h.get_by_label("The content (Ctrl+Enter sends)")
        .set_text_value_accesskit("{not json");
    h.step();
    h.step();
    assert!(send_button(&h).accesskit_node().is_disabled());
    assert!(shows(&h, "the content is not valid JSON"));
    h.get_by_label("Send malformed").click();
    h.step();
    h.step();
    assert!(!send_button(&h).accesskit_node().is_disabled());
}

#[test]
fn a_million_records_and_a_16_mib_frame_are_shown() {
    // How fast this is lives in `cargo bench --bench ui_frame`; this checks
    // that the table and the byte view show the right rows at that size.
    let engine = Engine::new().unwrap();
    fill_journal(
        &engine,
        1_000_000,
        &search_request("morpheus").build().unwrap(),
    );
    let mut h = app_with(engine);
    wait_for(&mut h, "the index to take in a million records", |h| {
        h.state().frames_shown() == 1_000_000
    });
    wait_to_see(&mut h, "1000000 of 1000000 records shown");
    // Following the newest record: the last rows are on screen.
    wait_to_see(&mut h, "999999");

    let huge = search_request("morpheus")
        .content(vec![b'x'; 16 << 20])
        .build()
        .unwrap();
    fill_journal(h.state().engine(), 1, &huge);
    wait_to_see(&mut h, "1000001 of 1000001 records shown");
    h.key_press(egui::Key::ArrowUp);
    wait_for(&mut h, "the 16 MiB record selected", |h| {
        h.state().selected_record() == Some(1_000_000)
    });
    wait_to_see(&mut h, "Record bytes 00000000");
}

/// The window with 1,000 records of `frame` in its journal, following the
/// newest (as it starts), the newest on screen.
fn following_a_thousand(frame: &bytes::Bytes, settings: Settings) -> App {
    let engine = Engine::new().unwrap();
    fill_journal(&engine, 1_000, frame);
    let mut h = app_with_settings(engine, settings);
    wait_to_see(&mut h, "1000 of 1000 records shown");
    wait_to_see(&mut h, "999");
    h
}

#[test]
fn following_the_newest_keeps_up_with_records_as_they_arrive() {
    let frame = search_request("morpheus").build().unwrap();
    let mut h = following_a_thousand(&frame, Settings::default());
    for batch in 2..=6u64 {
        fill_journal(h.state().engine(), 1_000, &frame);
        // The frame that takes the records in shows the last of them: a
        // scroll that lands a frame later would always be behind under
        // steady traffic (and a smooth one would never arrive).
        h.step();
        let newest = batch * 1_000 - 1;
        assert!(
            h.query_by_label(&newest.to_string()).is_some(),
            "record {newest} is not on screen the frame it arrived"
        );
    }
}

/// Following the newest is off, and record 999 (the newest of
/// [`following_a_thousand`]) is out of view.
fn assert_scrolled_back_and_not_following(h: &App) {
    assert_eq!(
        h.get_by_label("Follow newest").accesskit_node().toggled(),
        Some(egui::accesskit::Toggled::False),
        "following is still on"
    );
    assert!(
        h.query_by_label("999").is_none(),
        "the view did not scroll back"
    );
}

#[test]
fn scrolling_back_stops_following_the_newest() {
    let frame = search_request("morpheus").build().unwrap();
    let mut h = following_a_thousand(&frame, Settings::default());
    wheel_back_over(&mut h, 990);
    assert_scrolled_back_and_not_following(&h);
    fill_journal(h.state().engine(), 1_000, &frame);
    h.step();
    h.step();
    assert!(
        h.query_by_label("1999").is_none(),
        "the view jumped to the newest although it no longer follows"
    );
}

#[test]
fn dragging_the_scroll_bar_back_stops_following_the_newest() {
    let frame = search_request("morpheus").build().unwrap();
    let mut h = following_a_thousand(&frame, Settings::default());
    // At the end, the scroll bar's handle is at the bottom right of the
    // table, beside the last rows.
    let last = h
        .get_all_by_role(Role::Row)
        .map(|row| row.rect())
        .max_by(|a, b| a.bottom().total_cmp(&b.bottom()))
        .expect("rows");
    let grab = egui::pos2(last.right() - 2.0, last.center().y - 40.0);
    h.hover_at(grab);
    h.step();
    h.drag_at(grab);
    h.step();
    h.hover_at(grab - egui::vec2(0.0, 300.0));
    h.step();
    h.drop_at(grab - egui::vec2(0.0, 300.0));
    h.step();
    h.step();
    assert_scrolled_back_and_not_following(&h);
}

/// Turns the mouse wheel back over the table, near record `seq`.
fn wheel_back_over(h: &mut App, seq: u64) {
    h.get_by_label(&seq.to_string()).hover();
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 120.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::default(),
    });
    h.step();
    h.step();
}

/// The sequence numbers in `range` shown as the table's `#` cells.
fn seqs_shown(h: &App, range: std::ops::Range<u64>) -> Vec<u64> {
    range
        .filter(|seq| h.query_by_label(&seq.to_string()).is_some())
        .collect()
}

/// The window following a journal that keeps 3,000 records, 1,000 in it.
fn following_a_thousand_of_three(frame: &bytes::Bytes) -> App {
    let settings = Settings {
        journal_records: 3_000,
        ..Settings::default()
    };
    following_a_thousand(frame, settings)
}

#[test]
fn rows_read_away_from_the_end_stay_in_view_as_the_oldest_are_evicted() {
    let frame = search_request("morpheus").build().unwrap();
    let mut h = following_a_thousand_of_three(&frame);
    fill_journal(h.state().engine(), 2_000, &frame);
    wait_to_see(&mut h, "3000 of 3000 records shown");
    wait_to_see(&mut h, "2999");
    wheel_back_over(&mut h, 2990);
    // The wheel's scroll is smoothed over a few frames: let it settle.
    let mut before = seqs_shown(&h, 2_900..3_000);
    for _ in 0..60 {
        h.step();
        let now = seqs_shown(&h, 2_900..3_000);
        if now == before {
            break;
        }
        before = now;
    }
    assert!(!before.is_empty() && !before.contains(&2999), "{before:?}");
    // Five hundred newer records push the five hundred oldest out.
    fill_journal(h.state().engine(), 500, &frame);
    wait_to_see(&mut h, "500 dropped");
    h.step();
    assert_eq!(
        seqs_shown(&h, 2_900..3_000),
        before,
        "the rows being read moved"
    );
}

#[test]
fn following_the_newest_keeps_up_when_the_journal_is_full() {
    let frame = search_request("morpheus").build().unwrap();
    let mut h = following_a_thousand_of_three(&frame);
    // The journal grows to its bound in one go: the table's scroll area
    // still holds last frame's bounds, and the newest must come into view
    // all the same.
    fill_journal(h.state().engine(), 2_500, &frame);
    wait_to_see(&mut h, "3000 of 3000 records shown");
    h.step();
    assert!(
        h.query_by_label("3499").is_some(),
        "record 3499 is not on screen"
    );
    for batch in 1..=4u64 {
        // As many records as the journal holds stay shown; the oldest make
        // way for the newest.
        fill_journal(h.state().engine(), 1_000, &frame);
        h.step();
        let newest = 3_499 + batch * 1_000;
        assert!(
            h.query_by_label(&newest.to_string()).is_some(),
            "record {newest} is not on screen the frame it arrived"
        );
    }
}

#[test]
fn an_opened_log_reports_its_bad_lines() {
    let mut h = app();
    let (dir, path) = five_searches_saved(&mut h, "damaged.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("this line is not JSON\n");
    std::fs::write(&path, text).unwrap();

    h.state_mut().open_log(&path);
    wait_to_see(&mut h, "1 bad line skipped");
    assert_eq!(h.state().view_source(), ViewSource::File);
    wait_for(&mut h, "the good records", |h| {
        h.state().frames_shown() == 20
    });

    h.state_mut().open_log(dir.path().join("missing.jsonl"));
    wait_to_see(&mut h, "Could not open:");
}

#[test]
fn raw_mode_sends_the_content_bytes_only() {
    let mut h = app();
    pick(&mut h, "Mode", "raw echo");
    start_server(&mut h);
    h.get_by_label("Raw").click();
    h.step();
    connect(&mut h, 1);
    wait_to_see(&mut h, "Raw connection: Send writes the content bytes only");
    let content = r#"{"action": "search", "value": "morpheus"}"#;
    assert!(shows(&h, &format!("{} bytes", content.len())));
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    let journal = h.state().engine().snapshot();
    let views: Vec<_> = journal.views().collect();
    assert!(!views.is_empty());
    assert!(views.iter().all(|v| v.kind == RecordKind::Chunk));
    assert!(views.iter().all(|v| v.bytes == content.as_bytes()));
}

/// Storage in memory, standing in for eframe's file.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn settings_are_remembered_between_runs() {
    let mut h = app();
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:9911");
    h.get_by_label("Connections").set_value_accesskit(42.0);
    h.step();
    button(&h, "Light theme").click();
    h.step();
    button(&h, "Binary request").click();
    h.step();
    h.get_by_label("Find").set_text_value_accesskit("morpheus");
    h.step();
    h.step();

    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    let restored: Settings = eframe::get_value(&storage, eframe::APP_KEY).expect("saved settings");
    assert_eq!(&restored, h.state().settings());
    assert_eq!(restored.server_addr, "127.0.0.1:9911");
    assert_eq!(restored.client.count, 42);
    assert_eq!(
        restored.theme,
        framescope::app::settings::ThemeChoice::Light
    );
    assert_eq!(
        restored.draft.content_type,
        "binary/custom-client-binary-type"
    );
    assert_eq!(restored.filters.text, "morpheus");
    assert_eq!(h.ctx.theme(), egui::Theme::Light);
}

#[test]
fn content_can_come_from_a_file_within_the_limit() {
    let mut h = app();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("payload.bin");
    std::fs::write(&small, [0xde, 0xad, 0xbe, 0xef]).unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().load_content_file(&small, &ctx);
    wait_to_see(&mut h, "payload.bin · 4 B");
    assert!(shows(&h, "4 (computed)"));

    let big = dir.path().join("big.bin");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len((16 << 20) + 1).unwrap();
    h.state_mut().load_content_file(&big, &ctx);
    wait_to_see(&mut h, "over the content limit of 16.0 MiB");
    assert!(send_button(&h).accesskit_node().is_disabled());
}

#[test]
fn send_can_target_one_connection() {
    let mut h = app();
    start_server(&mut h);
    connect(&mut h, 3);
    let id = h.state().engine().fresh_view().connections[1].id;
    // Clicking a connection in the list makes it the target.
    h.get_by_label(&format!("#{id}")).click();
    h.step();
    h.step();
    assert!(
        h.get_by_label("Send to")
            .value()
            .unwrap()
            .starts_with(&format!("#{id} "))
    );
    click_send(&mut h);
    wait_to_see(&mut h, "Sent to 1 connection");
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    let sent: Vec<u32> = h
        .state()
        .engine()
        .fresh_view()
        .connections
        .iter()
        .filter(|s| s.counters.frames_sent > 0)
        .map(|s| s.id)
        .collect();
    assert_eq!(sent, [id]);
}

#[test]
fn filters_narrow_the_table() {
    let mut h = app();
    five_searches(&mut h);
    pick(&mut h, "Side", "server");
    wait_to_see(&mut h, "10 of 20 records shown");

    let conn = h.state().engine().fresh_view().connections[0].id;
    pick(&mut h, "Side", "both");
    h.get_by_role_and_label(Role::TextInput, "Conn")
        .set_text_value_accesskit(&conn.to_string());
    wait_to_see(&mut h, "2 of 20 records shown");
    h.get_by_role_and_label(Role::TextInput, "Conn")
        .set_text_value_accesskit("x");
    wait_to_see(&mut h, "\"x\" is not a connection number");

    h.get_by_role_and_label(Role::TextInput, "Conn")
        .set_text_value_accesskit("");
    h.get_by_label("Find")
        .set_text_value_accesskit("no such text");
    wait_to_see(&mut h, "No record matches the filters.");
}

#[test]
fn save_log_asks_for_a_path_that_can_be_typed() {
    let mut h = app();
    five_searches(&mut h);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.jsonl");
    h.get_by_label_contains("Save log").click();
    wait_to_see(&mut h, "Browse…");
    assert_eq!(
        h.get_by_label("Path").value().as_deref(),
        Some("framescope-log.jsonl"),
        "the last path (here the default) is suggested"
    );
    h.get_by_label("Path")
        .set_text_value_accesskit(&path.display().to_string());
    h.step();
    h.step();
    button(&h, "Save").click();
    wait_to_see(&mut h, "Saved 20 records to typed.jsonl");
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 20);
    assert!(
        !shows(&h, "Browse…"),
        "the prompt closes once the path is chosen"
    );
    assert_eq!(
        h.state().settings().last_log_path,
        path.display().to_string()
    );
}

#[test]
fn capture_picked_in_the_window_applies_and_bounds_are_remembered() {
    let engine = Engine::new().expect("engine");
    let settings = Settings {
        journal_records: 12,
        ..Settings::default()
    };
    let mut h = app_with_settings(engine, settings);
    wait_for(&mut h, "the remembered bound applied", |h| {
        h.state().engine().view().journal_limits.max_records == 12
    });
    pick(&mut h, "Capture", "headers only");
    assert_eq!(
        h.state().settings().capture,
        framescope::engine::Capture::HeadersOnly
    );
    wait_for(&mut h, "headers-only capture applied", |h| {
        h.state().engine().view().capture == framescope::engine::Capture::HeadersOnly
    });
    start_server(&mut h);
    connect(&mut h, 5);
    button(&h, "Search request").click();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 5 sent · 5 received");
    wait_to_see(&mut h, "Server: 5 received · 5 sent");
    wait_to_see(&mut h, "12 of 12 records shown");
    let journal = h.state().engine().snapshot();
    assert_eq!(journal.len(), 12, "the bound of 12 records holds");
    assert_eq!(journal.dropped_records(), 8);
    assert!(
        journal
            .views()
            .all(|v| !v.is_complete() && v.kind == RecordKind::Frame)
    );
    assert!(shows(&h, "8 dropped"));
    // The table says the content was not kept, rather than a blank.
    assert!(shows(&h, framescope::app::row_summary::NOT_KEPT));
}

#[test]
fn the_client_panel_stays_put_when_the_server_starts() {
    let mut h = app();
    h.step();
    let client_top = |h: &App| h.get_by_label("Client").rect().top();
    let stopped = client_top(&h);
    start_server(&mut h);
    h.step();
    assert_eq!(client_top(&h), stopped, "the client panel moved");
    button(&h, "Stop Server").click();
    wait_to_see(&mut h, "stopped");
    h.step();
    assert_eq!(client_top(&h), stopped, "the client panel moved");
}

#[test]
fn the_client_target_takes_a_host_name_and_says_how_to_fix_a_bad_one() {
    let mut h = app();
    let addr = start_server(&mut h);
    h.get_by_label("Use the server's address").click();
    h.step();
    h.get_by_label("Target")
        .set_text_value_accesskit("localhost");
    h.step();
    h.step();
    assert!(shows(
        &h,
        "\"localhost\" has no port: write it as host:port"
    ));
    assert!(is_disabled(&h, "Connect"));

    // Any name is taken as typed: it is looked up only when connecting.
    h.get_by_label("Target")
        .set_text_value_accesskit("example.com:443");
    h.step();
    h.step();
    assert!(!shows(&h, "not an IP address"));
    assert!(!is_disabled(&h, "Connect"));

    let by_name = format!("localhost:{}", addr.port());
    h.get_by_label("Target").set_text_value_accesskit(&by_name);
    h.step();
    h.step();
    assert!(!shows(&h, "has no port"));
    assert!(!is_disabled(&h, "Connect"));
    connect(&mut h, 2);
    wait_to_see(&mut h, &format!("Opened 2 connections to {by_name}"));
    // The name was looked up in the engine; the list shows the peer's address.
    let summaries = h.state().engine().fresh_view().connections.clone();
    assert!(summaries.iter().all(|s| s.target == addr), "{summaries:?}");
    assert_eq!(h.state().settings().client.target, by_name);
    h.check_accessibility();
}

/// 2026-04-14 13:04:59.123456 UTC.
const APRIL_14: u64 = 1_776_171_899_123_456;
/// A day and an hour later.
const APRIL_15: u64 = APRIL_14 + 25 * 3600 * 1_000_000;

/// Writes a log of two raw records numbered from `first_seq`, a day apart.
fn two_day_log(first_seq: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two-days.jsonl");
    let line = |seq: u64, time_us: u64| {
        format!(
            r#"{{"seq":{seq},"time_us":{time_us},"side":"client","conn":1,"direction":"sent","kind":"chunk","content":"hello"}}"#
        )
    };
    let text = [line(first_seq, APRIL_14), line(first_seq + 1, APRIL_15)].join("\n");
    std::fs::write(&path, text + "\n").unwrap();
    (dir, path)
}

#[test]
fn times_are_local_unless_utc_is_chosen_and_the_choice_is_remembered() {
    let mut h = app();
    assert_eq!(h.state().settings().time_zone, Zone::Local);
    let (_dir, path) = two_day_log(1);
    h.state_mut().open_log(&path);
    wait_to_see(&mut h, "2 of 2 records shown");
    assert!(shows(&h, "Time (local)"));
    // The records span two days, so the table shows dates.
    let dated = Style {
        date: true,
        micros: false,
    };
    assert!(shows(&h, &Zone::Local.text(APRIL_14, dated)));

    button(&h, "UTC").click();
    wait_to_see(&mut h, "Time (UTC)");
    assert!(shows(&h, "2026-04-14 13:04:59.123"));
    assert!(shows(&h, "2026-04-15 14:04:59.123"));
    // The selected record gives its time in full, with the zone.
    h.get_by_label("2026-04-14 13:04:59.123").click();
    wait_to_see(&mut h, "2026-04-14 13:04:59.123456 UTC");

    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    let restored: Settings = eframe::get_value(&storage, eframe::APP_KEY).expect("saved settings");
    assert_eq!(restored.time_zone, Zone::Utc);
    let mut h = app_with_settings(Engine::new().expect("engine"), restored);
    h.state_mut().open_log(&path);
    wait_to_see(&mut h, "Time (UTC)");

    // Settings saved before the choice existed read as local time.
    let old: Settings = serde_json::from_str(r#"{"server_addr": "127.0.0.1:8800"}"#).unwrap();
    assert_eq!(old.time_zone, Zone::Local);
}

#[test]
fn records_of_one_day_show_no_date() {
    let mut h = app();
    fill_journal(
        h.state().engine(),
        2,
        &search_request("morpheus").build().unwrap(),
    );
    wait_to_see(&mut h, "2 of 2 records shown");
    button(&h, "UTC").click();
    wait_to_see(&mut h, "Time (UTC)");
    let times: Vec<u64> = h
        .state()
        .engine()
        .snapshot()
        .views()
        .map(|v| v.time_us)
        .collect();
    let dated = Style {
        date: true,
        micros: false,
    };
    let text = clock::time_text(times[0], 0, dated);
    let (date, time) = text.split_at(11);
    assert!(shows(&h, time));
    // Unless the two were made either side of midnight.
    if clock::day_number(times[0], 0) == clock::day_number(times[1], 0) {
        assert!(!shows(&h, date), "a date is shown: {date}");
    }
}

#[test]
fn a_seven_digit_sequence_number_is_shown_whole() {
    let mut h = app();
    let (_dir, path) = two_day_log(5_380_123);
    h.state_mut().open_log(&path);
    wait_to_see(&mut h, "2 of 2 records shown");
    let font = egui::TextStyle::Monospace.resolve(&h.ctx.global_style());
    for seq in ["5380123", "5380124"] {
        let whole = h.ctx.fonts_mut(|fonts| {
            fonts
                .layout_no_wrap(seq.to_owned(), font.clone(), egui::Color32::WHITE)
                .size()
                .x
        });
        let shown = h.get_by_label(seq).rect().width();
        assert!(
            shown >= whole - 0.5,
            "{seq} is cut: {shown} of its {whole} points shown"
        );
    }
}

/// Opens the Load test tab, sets the duration, and clicks Start load.
fn start_load(h: &mut App, seconds: f64) {
    h.get_by_label("Load test").click();
    wait_to_see(h, "Start load");
    h.get_by_label("Duration").set_value_accesskit(seconds);
    h.step();
    assert_eq!(h.state().settings().load.duration_s, seconds);
    button(h, "Start load").click();
    h.step();
}

#[test]
fn a_load_run_from_the_window_shows_progress_then_the_summary() {
    let mut h = app();
    start_server(&mut h);
    button(&h, "Search request").click();
    h.step();
    start_load(&mut h, 2.0);
    wait_for(&mut h, "Start disabled while the run is under way", |h| {
        is_disabled(h, "Start load") && !is_disabled(h, "Stop load")
    });
    // The last second's numbers show while it runs, the summary after.
    wait_to_see(&mut h, " frames/s · ");
    wait_to_see(&mut h, "Run summary");
    assert!(shows(&h, "p99.9"));
    assert!(shows(&h, "0 (0 replies differed)"), "an echo verifies");
    assert!(!shows(&h, "stopped early"));
    assert!(shows(&h, "Save report…"));
    assert!(!is_disabled(&h, "Start load"));
    let journal = h.state().engine().snapshot();
    assert!(
        journal
            .views()
            .filter(|v| v.side == Side::Client)
            .all(|v| !v.is_complete()),
        "the run's own frames are kept headers only by default"
    );
}

#[test]
fn a_load_run_stopped_early_says_so() {
    let mut h = app();
    start_server(&mut h);
    start_load(&mut h, 60.0);
    wait_to_see(&mut h, " frames/s · ");
    button(&h, "Stop load").click();
    wait_to_see(&mut h, "stopped early");
    assert!(shows(&h, "Run summary"));
}

#[test]
fn a_load_target_that_cannot_be_read_says_why() {
    let mut h = app();
    h.get_by_label("Load test").click();
    wait_to_see(&mut h, "Start load");
    h.get_by_label("Same as the client's target").click();
    h.step();
    h.get_by_label("Load target")
        .set_text_value_accesskit("localhost");
    wait_to_see(&mut h, "has no port");
    assert!(is_disabled(&h, "Start load"));
}

#[test]
fn a_rule_added_in_the_table_answers_and_its_hits_rise() {
    let mut h = app();
    pick(&mut h, "Mode", "rules");
    wait_to_see(&mut h, "no rules: load a file or add a rule");
    h.get_by_label("When header")
        .set_text_value_accesskit("content-type");
    h.get_by_label("equals")
        .set_text_value_accesskit("text/json");
    h.get_by_label("Reply text")
        .set_text_value_accesskit("pong");
    h.step();
    button(&h, "Add rule").click();
    wait_to_see(&mut h, "header content-type = \"text/json\"");
    wait_to_see(&mut h, "reply text \"pong\"");
    assert!(shows(&h, "0 hits"));

    start_server(&mut h);
    connect(&mut h, 1);
    button(&h, "Search request").click();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "1 hit");
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    let replies: Vec<_> = h
        .state()
        .engine()
        .snapshot()
        .views()
        .filter(|v| v.side == Side::Client && v.kind == RecordKind::Frame)
        .filter(|v| v.bytes.ends_with(b"pong"))
        .map(|v| v.conn)
        .collect();
    assert_eq!(replies.len(), 1, "the client read the rule's reply");

    // A second frame: the count goes on rising, live.
    click_send(&mut h);
    wait_to_see(&mut h, "2 hits");
    h.check_accessibility();

    h.get_all_by_role(Role::Button)
        .find(|b| b.accesskit_node().label().as_deref() == Some("Remove"))
        .expect("a Remove button")
        .click();
    wait_to_see(&mut h, "no rules: load a file or add a rule");
}

#[test]
fn a_rules_file_loads_into_the_table_and_a_bad_one_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("rules.toml");
    std::fs::write(
        &good,
        "[[rule]]\nname = \"ping\"\nwhen.text = \"ping\"\nthen.reply.text = \"pong\"\n\n[default]\nthen.close = true\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rule]]\nwhen.frame = 0\nthen.echo = true\n").unwrap();
    let mut h = app();
    pick(&mut h, "Mode", "rules");
    h.get_by_label("Rules file")
        .set_text_value_accesskit(good.to_str().unwrap());
    h.step();
    button(&h, "Load").click();
    wait_to_see(&mut h, "text = \"ping\"");
    wait_to_see(&mut h, "default");
    assert_eq!(h.state().settings().rules_path, good.to_str().unwrap());

    h.get_by_label("Rules file")
        .set_text_value_accesskit(bad.to_str().unwrap());
    h.step();
    button(&h, "Load").click();
    wait_to_see(&mut h, "bad.toml:2:14: frames are numbered from 1");
    // The rules in force are still the good file's.
    assert!(shows(&h, "text = \"ping\""));
}

/// The rules file is read on a helper thread: a missing file is an error
/// in the panel, and Save writes the rules in force back to a new path.
#[test]
fn a_missing_rules_file_says_so_and_save_writes_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("rules.toml");
    let source = "[[rule]]\nname = \"ping\"\nwhen.text = \"ping\"\nthen.reply.text = \"pong\"\n";
    std::fs::write(&good, source).unwrap();
    let missing = dir.path().join("missing.toml");
    let mut h = app();
    pick(&mut h, "Mode", "rules");
    h.get_by_label("Rules file")
        .set_text_value_accesskit(missing.to_str().unwrap());
    h.step();
    button(&h, "Load").click();
    wait_to_see(&mut h, "Cannot read");

    h.get_by_label("Rules file")
        .set_text_value_accesskit(good.to_str().unwrap());
    h.step();
    button(&h, "Load").click();
    wait_to_see(&mut h, "Loaded");
    let copy = dir.path().join("copy.toml");
    h.get_by_label("Rules file")
        .set_text_value_accesskit(copy.to_str().unwrap());
    h.step();
    button(&h, "Save").click();
    wait_to_see(&mut h, "Saved");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), source);
}

/// The app with the server in `mode`; the tutorial's emoji (🐰, 🐶) have
/// no glyph in the window's fonts and show as boxes, on purpose here.
fn app_serving(mode: framescope::engine::ServerMode) -> App {
    let engine = Engine::new().expect("engine");
    let settings = Settings {
        server_mode: mode,
        ..Settings::default()
    };
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .allow_missing_glyphs()
        .build_eframe(move |_cc| FramescopeApp::with_engine(engine, settings))
}

/// Opens the Scenarios tab and the file at `path` through its path prompt.
fn open_scenario(h: &mut App, path: &std::path::Path) {
    h.get_by_label("Scenarios").click();
    wait_to_see(h, "Open scenario…");
    button(h, "Open scenario…").click();
    wait_to_see(h, "Browse…");
    h.get_by_label("Path")
        .set_text_value_accesskit(&path.display().to_string());
    h.step();
    h.step();
    button(h, "Open").click();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    wait_to_see(h, &format!("Opened {name}"));
}

/// The scenario editor.
fn scenario_editor<'h>(h: &'h App) -> egui_kittest::Node<'h> {
    h.get_by_role(Role::MultilineTextInput)
}

#[test]
fn the_tutorial_scenarios_pass_in_the_window_and_a_broken_expectation_fails() {
    let mut h = app_serving(framescope::engine::ServerMode::App);
    start_server(&mut h);
    let tutorial = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tutorial.toml");
    open_scenario(&mut h, &tutorial);
    wait_to_see(&mut h, "6 scenarios, 24 steps: ready to run");
    button(&h, "Run").click();
    wait_to_see(&mut h, "6 passed, 0 failed, 0 errors");
    assert!(shows(&h, "PASS search for morpheus (line 13)"));
    assert_eq!(
        h.query_all_by_label_contains("ok    line ").count(),
        24,
        "every step is listed as passed"
    );

    // A step links to its connection's frames in the table.
    let step = h
        .get_all_by_label_contains("ok    line 19 ")
        .next()
        .expect("the step sending the morpheus search")
        .accesskit_node()
        .label()
        .unwrap();
    h.get_by_label(&step).click();
    h.step();
    let conn = h.state().settings().filters.connection.clone();
    assert!(
        !conn.is_empty(),
        "the table is filtered to the step's connection"
    );
    wait_to_see(&mut h, "2 of ");
    let records: Vec<_> = h
        .state()
        .engine()
        .snapshot()
        .views()
        .filter(|v| v.side == Side::Client && v.conn.to_string() == conn)
        .collect();
    assert_eq!(records.len(), 2, "the search sent and its reply");

    // Break one expectation: that step fails, with the difference shown.
    let text = h
        .state()
        .scenario_text()
        .replace("white rabbit", "black rabbit");
    scenario_editor(&h).set_text_value_accesskit(&text);
    h.step();
    wait_to_see(&mut h, "(edited)");
    button(&h, "Run").click();
    wait_to_see(&mut h, "5 passed, 1 failed, 0 errors");
    assert!(shows(&h, "FAIL search for morpheus"));
    assert!(shows(&h, "FAIL  line 22"));
    assert!(shows(&h, "black rabbit"));
    assert!(shows(
        &h,
        "expected: json \"/result\" equal to \"Follow the black rabbit. 🐰\"\n\
         actual:   json \"/result\" is \"Follow the white rabbit. 🐰\""
    ));

    // A problem in the text shows at its line, and Run waits for a fix.
    let text = text.replace("expect.closed = true", "expect.shut = true");
    scenario_editor(&h).set_text_value_accesskit(&text);
    h.step();
    wait_to_see(&mut h, "line 28:8: ");
    assert!(is_disabled(&h, "Run"));
}

#[test]
fn record_turns_a_sent_frame_and_its_echo_into_a_scenario() {
    let mut h = app();
    start_server(&mut h);
    connect(&mut h, 1);
    h.get_by_label("Scenarios").click();
    wait_to_see(&mut h, "Record");
    button(&h, "Record").click();
    wait_to_see(&mut h, "Recording: 0 frames so far");
    h.get_by_label("Compose & send").click();
    h.step();
    button(&h, "Search request").click();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    h.get_by_label("Scenarios").click();
    wait_to_see(&mut h, "Recording: 2 frames so far");
    button(&h, "Stop recording").click();
    wait_to_see(&mut h, "Recorded 1 sends and 1 expects");
    let text = h.state().scenario_text().to_owned();
    assert!(text.contains("connect = {}"), "{text}");
    assert!(
        text.contains(r#"send.json = { action = "search", value = "morpheus" }"#),
        "{text}"
    );
    assert!(
        !text.contains("send.header."),
        "header fields at their defaults are left out: {text}"
    );
    assert!(
        text.contains("expect.header.content-type = \"text/json\""),
        "{text}"
    );
    assert!(
        text.contains(r#"expect.text = "{\"action\": \"search\", \"value\": \"morpheus\"}""#),
        "{text}"
    );
    // What was recorded runs, and passes against the same echo server.
    wait_to_see(&mut h, "1 scenarios, 3 steps: ready to run");
    button(&h, "Run").click();
    wait_to_see(&mut h, "1 passed, 0 failed, 0 errors");
}

/// The text of the followed conversation (its headings name the ends).
fn conversation_text(h: &App) -> Option<String> {
    h.query_all_by_label_contains(" sent 127.0.0.1:")
        .filter_map(|n| n.accesskit_node().value())
        .find(|text| text.contains(" received 127.0.0.1:"))
}

#[test]
fn follow_stream_shows_a_connection_both_ways_as_text_and_hex_and_copies_it() {
    let mut h = app();
    start_server(&mut h);
    connect(&mut h, 1);
    button(&h, "Search request").click();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "4 of 4 records shown");
    let composer_hex: Vec<_> = h
        .get_all_by_label("Hex")
        .map(|n| n.accesskit_node().id())
        .collect();

    // A row's menu opens it.
    let content = r#"{"action": "search", "value": "morpheus"}"#;
    h.get_all_by_label(content)
        .next()
        .expect("a row")
        .click_secondary();
    wait_to_see(&mut h, "Follow stream");
    h.get_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Follow stream"))
        })
        .expect("Follow stream in the row's menu")
        .click();
    wait_for(&mut h, "the conversation both ways", |h| {
        conversation_text(h).is_some()
    });
    let leg = h.state().followed().expect("a followed connection");
    let journal = h.state().engine().snapshot();
    let turns: Vec<_> = journal
        .views()
        .filter(|v| v.side == leg.side && v.conn == leg.conn)
        .collect();
    assert_eq!(turns.len(), 2, "one frame each way");
    let text = conversation_text(&h).unwrap();
    assert_eq!(text.matches(content).count(), 2, "{text}");
    // The proto-header's zero byte is escaped.
    assert!(text.contains(r#"\x00"#), "{text}");
    assert!(shows(&h, "Follow stream: "));

    // Hex.
    h.get_all_by_label("Hex")
        .find(|n| !composer_hex.contains(&n.accesskit_node().id()))
        .expect("the window's Hex switch")
        .click();
    let dump = hexdump::dump(&turns[1].bytes);
    wait_for(&mut h, "the hex dump", |h| {
        conversation_text(h).is_some_and(|t| t.contains(&dump))
    });

    // Copy puts the whole conversation, as shown, on the clipboard.
    button(&h, "Copy").click();
    h.step();
    let copied = h
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .expect("a copy");
    assert!(
        copied.starts_with(&format!("Follow stream: {}", leg.name())),
        "{copied}"
    );
    assert!(copied.contains(&dump), "{copied}");
    assert!(copied.contains(&hexdump::dump(&turns[0].bytes)), "{copied}");
    h.check_accessibility();

    // Save… asks for a path and writes the same text there.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conversation.txt");
    button(&h, "Save…").click();
    wait_to_see(&mut h, "Browse…");
    h.get_by_label("Path")
        .set_text_value_accesskit(&path.display().to_string());
    h.step();
    h.step();
    button(&h, "Save").click();
    wait_to_see(&mut h, "Saved to conversation.txt");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), copied);
}

/// Traffic repaints the window soon, not at once: an engine change asks
/// for a repaint a little later, so many changes share one frame.
#[test]
fn an_engine_change_asks_for_a_repaint_within_a_frame_or_two() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let mut h = app();
    h.step();
    // Requests made by other threads than this one: the engine's.
    let this_thread = std::thread::current().id();
    let heard: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let sink = heard.clone();
    h.ctx.set_repaint_observer(move |info| {
        if std::thread::current().id() != this_thread {
            sink.lock().unwrap().push(info.delay);
        }
    });
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    h.state()
        .engine()
        .command(framescope::engine::Command::StartServer {
            join: None,
            transport: framescope::engine::Transport::Tcp,
            addr,
            mode: framescope::engine::ServerMode::FrameEcho,
            tls: None,
            upstream: None,
            profile: None,
        });
    let deadline = Instant::now() + window::DEADLINE;
    while heard.lock().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the engine never asked for a repaint"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    for delay in heard.lock().unwrap().iter() {
        assert!(
            *delay > Duration::ZERO && *delay <= Duration::from_millis(50),
            "a repaint asked for in {delay:?}"
        );
    }
}

#[test]
fn chinese_text_and_emoji_have_glyphs_in_the_window_s_fonts() {
    let mut h = app();
    h.step();
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        let font = egui::FontId::new(14.0, family.clone());
        let (cjk, emoji) = h.ctx.fonts_mut(|fonts| {
            (
                fonts.has_glyphs(&font, "你好，世界"),
                fonts.has_glyphs(&font, "🐰💍🐶"),
            )
        });
        assert!(
            cjk,
            "no glyphs for 你好 in {family:?}: is a CJK font installed (Debian: fonts-noto-cjk)?"
        );
        assert!(
            emoji,
            "no glyphs for 🐰 in {family:?}: is an emoji font installed (Debian: fonts-noto-color-emoji)?"
        );
    }
}

#[test]
fn chinese_content_shows_in_the_record_detail() {
    let mut h = app();
    start_server(&mut h);
    connect(&mut h, 1);
    button(&h, "Search request").click();
    h.step();
    h.get_by_label("The content (Ctrl+Enter sends)")
        .set_text_value_accesskit(r#"{"action": "search", "value": "你好，世界 🐰"}"#);
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    h.get_all_by_label_contains("你好，世界 🐰")
        .next()
        .expect("a row with the Chinese text")
        .click();
    wait_for(&mut h, "a selected record", |h| {
        h.state().selected_record().is_some()
    });
    wait_to_see(&mut h, "\"value\": \"你好，世界 🐰\"");
}

#[test]
fn failed_connections_are_listed_before_the_closed_ones() {
    let mut h = app();
    let addr = start_server(&mut h);
    connect(&mut h, 2);
    button(&h, "Disconnect all").click();
    wait_to_see(&mut h, "2 closed");
    button(&h, "Stop Server").click();
    wait_to_see(&mut h, "stopped");
    h.get_by_label("Use the server's address").click();
    h.step();
    h.get_by_label("Target")
        .set_text_value_accesskit(&addr.to_string());
    h.get_by_label("Connections").set_value_accesskit(3.0);
    h.step();
    button(&h, "Connect").click();
    wait_to_see(&mut h, "3 failed (listed first below");
    let tops =
        |label: &str| -> Vec<f32> { h.get_all_by_label(label).map(|n| n.rect().top()).collect() };
    let (failed, closed) = (tops("failed"), tops("closed"));
    assert_eq!((failed.len(), closed.len()), (3, 2));
    let lowest_failed = failed.iter().copied().fold(f32::MIN, f32::max);
    let highest_closed = closed.iter().copied().fold(f32::MAX, f32::min);
    assert!(
        lowest_failed < highest_closed,
        "failed at {failed:?}, closed at {closed:?}"
    );
}

#[test]
fn a_new_scenario_starts_from_a_bundled_example() {
    let mut h = app();
    h.get_by_label("Scenarios").click();
    wait_to_see(&mut h, "New from example");
    assert_eq!(h.state().scenario_text(), "");
    h.get_by_label("New from example").click();
    wait_to_see(&mut h, "The tutorial's app server");
    h.get_all_by_label_contains("The tutorial's app server")
        .find(|n| n.accesskit_node().role() == Role::Button)
        .expect("the tutorial example in the menu")
        .click();
    wait_to_see(&mut h, "New from the example tutorial.toml");
    assert_eq!(
        h.state().scenario_text(),
        include_str!("../../examples/tutorial.toml")
    );
    wait_to_see(&mut h, "ready to run");
}

#[test]
fn a_raw_connection_shows_the_reply_of_a_real_redis_server() {
    let redis = real_servers::redis_server();
    let mut h = app();
    h.get_by_label("Use the server's address").click();
    h.step();
    h.get_by_label("Target")
        .set_text_value_accesskit(&format!("127.0.0.1:{}", redis.port));
    h.get_by_label("Raw").click();
    h.step();
    connect(&mut h, 1);
    h.get_by_role_and_label(Role::Button, "Hex").click();
    h.step();
    // SET k hello, CRLF.
    h.get_by_label("The content (Ctrl+Enter sends)")
        .set_text_value_accesskit("53 45 54 20 6b 20 68 65 6c 6c 6f 0d 0a");
    h.step();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    let journal = h.state().engine().snapshot();
    let received: Vec<_> = journal
        .views()
        .filter(|v| v.direction == framescope::engine::Direction::Received)
        .collect();
    assert_eq!(received.len(), 1);
    assert_eq!(&received[0].bytes[..], b"+OK\r\n");
    assert!(h.query_all_by_label_contains("+OK").next().is_some());
}
