//! The window's relay with intercept, driven as a person would: start a
//! relay in front of a frame-echo server (a second engine), send through it
//! from the client panel and see both legs; hold a frame, edit it in the
//! composer and forward it; drop one, inject one; follow the conversation.
//!
//! Everything stays on 127.0.0.1 with ports picked by the system, and every
//! wait has a deadline.

use crate::window;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};

use framescope::engine::follow::Leg;
use framescope::engine::{Command, Direction, Engine, RecordKind, RecordView, ServerMode, Side};
use window::{App, DEADLINE, app, click, pick, shows, wait_for, wait_to_see};

/// What the search preset sends.
const MORPHEUS: &str = r#"{"action": "search", "value": "morpheus"}"#;
/// What the edited frame carries instead.
const TRINITY: &str = r#"{"action": "search", "value": "trinity"}"#;

/// A second engine serving `mode` on a free port: the relay's target.
fn target(mode: ServerMode) -> (Engine, SocketAddr) {
    let engine = Engine::new().expect("target engine");
    engine.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode,
        tls: None,
        upstream: None,
        profile: None,
    });
    let start = Instant::now();
    loop {
        if let Some(addr) = engine.fresh_view().server.listening {
            return (engine, addr);
        }
        assert!(start.elapsed() < DEADLINE, "the target did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The button whose label starts with `start` (a label may carry its shortcut).
fn button_starting<'h>(h: &'h App, start: &str) -> egui_kittest::Node<'h> {
    h.get_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with(start))
        })
        .unwrap_or_else(|| panic!("a button starting with {start:?}"))
}

fn is_disabled(h: &App, start: &str) -> bool {
    button_starting(h, start).accesskit_node().is_disabled()
}

/// Picks a relay mode, types its target, starts it on a free port, and
/// returns where it listens.
fn start_relay(h: &mut App, mode: &str, to: SocketAddr) -> SocketAddr {
    pick(h, "Mode", mode);
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:0");
    h.get_by_label("Forward to")
        .set_text_value_accesskit(&to.to_string());
    h.step();
    h.step();
    click(h, Role::Button, "Start Server");
    wait_to_see(h, &format!(" → {to}"));
    let addr = h.state().engine().fresh_view().server.listening.unwrap();
    assert!(shows(h, &format!("relaying {addr} → {to}")));
    addr
}

/// Connects one client (to the server's address: the relay).
fn connect_one(h: &mut App) {
    click(h, Role::Button, "Connect");
    wait_to_see(h, "1 open");
}

fn records(h: &App) -> Vec<RecordView> {
    h.state().engine().snapshot().views().collect()
}

/// The frames recorded on side `side` going `direction` whose bytes end in
/// `content`, on a relayed leg (`linked`) or not.
fn frames(h: &App, side: Side, direction: Direction, linked: bool, content: &str) -> usize {
    records(h)
        .iter()
        .filter(|r| r.kind == RecordKind::Frame && r.side == side && r.direction == direction)
        .filter(|r| r.link.is_some() == linked && r.bytes.ends_with(content.as_bytes()))
        .count()
}

/// Whether the window's own client has received a frame ending in `content`.
fn echoed(h: &App, content: &str) -> bool {
    frames(h, Side::Client, Direction::Received, false, content) > 0
}

#[test]
fn a_relay_started_in_the_window_shows_both_legs_and_a_held_frame_is_edited_and_forwarded() {
    let (_echo, echo_addr) = target(ServerMode::FrameEcho);
    let mut h = app();
    start_relay(&mut h, "relay (framed)", echo_addr);
    assert!(shows(&h, "Intercept"));
    connect_one(&mut h);
    click(&mut h, Role::Button, "Search request");
    button_starting(&h, "Send").click();
    h.step();

    // Through the relay and back: six records of the one frame, each leg's
    // linked to the other.
    wait_for(&mut h, "the echo through the relay", |h| {
        echoed(h, MORPHEUS)
    });
    wait_for(&mut h, "six records of the frame", |h| {
        h.get_all_by_label(MORPHEUS).count() == 6
    });
    for (side, direction) in [
        (Side::Server, Direction::Received),
        (Side::Client, Direction::Sent),
        (Side::Client, Direction::Received),
        (Side::Server, Direction::Sent),
    ] {
        assert_eq!(
            frames(&h, side, direction, true, MORPHEUS),
            1,
            "{side:?} {direction:?}"
        );
    }
    let conversation = h.state().engine().fresh_view().relay.conversations[0].clone();
    // The table says which leg each row crossed, and names the other leg.
    assert_eq!(h.get_all_by_label("client leg").count(), 2);
    assert_eq!(h.get_all_by_label("target leg").count(), 2);
    let client_conn = format!(
        "#{} ↔ {}",
        conversation.client_conn, conversation.upstream_conn
    );
    assert_eq!(h.get_all_by_label(&client_conn).count(), 2);
    wait_to_see(&mut h, "Conversations: 1 open · 0 closed");
    h.check_accessibility();

    // Hold what goes to the server: the next frame waits.
    click(&mut h, Role::CheckBox, "Hold → server");
    wait_for(&mut h, "holding switched on", |h| {
        h.state().engine().fresh_view().relay.hold.toward_server
    });
    button_starting(&h, "Send").click();
    h.step();
    wait_to_see(&mut h, "1 held");
    let held = h.state().engine().fresh_view().relay.held[0].clone();
    assert_eq!(held.conversation, conversation.id);
    assert!(shows(&h, &format!("#{} → server", held.id)));
    // Its arrival shows in the table as held.
    wait_to_see(&mut h, &format!("held · {MORPHEUS}"));
    assert!(
        h.state()
            .engine()
            .fresh_view()
            .relay
            .is_held(held.seq.unwrap())
    );
    assert_eq!(frames(&h, Side::Client, Direction::Sent, true, MORPHEUS), 1);

    // Edit: the frame is in the composer, whose Send is now Forward edited.
    click(&mut h, Role::Button, "Edit");
    wait_to_see(&mut h, &format!("Editing held frame #{}", held.id));
    assert_eq!(h.state().editing(), Some(held.id));
    assert!(!shows(&h, "Send to"));
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit(TRINITY);
    h.get_by_role_and_label(Role::TextInput, "content-encoding")
        .set_text_value_accesskit("utf-16");
    h.step();
    h.step();
    assert!(!is_disabled(&h, "Forward edited"));
    h.check_accessibility();
    button_starting(&h, "Forward edited").click();
    h.step();

    // The edited frame went to the target and its echo came back, its
    // content written in the encoding its header now names.
    let trinity_utf16: Vec<u8> = TRINITY.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let is_edited_echo = |r: &RecordView| {
        r.side == Side::Client
            && r.link.is_none()
            && r.direction == Direction::Received
            && r.bytes.ends_with(&trinity_utf16)
    };
    wait_for(&mut h, "the edited frame's echo", |h| {
        records(h).iter().any(is_edited_echo)
    });
    let echo = records(&h).into_iter().find(is_edited_echo).unwrap();
    assert!(String::from_utf8_lossy(&echo.bytes).contains(r#""content-encoding": "utf-16""#));
    assert_eq!(
        frames(&h, Side::Client, Direction::Sent, true, MORPHEUS),
        1,
        "the original never went"
    );
    wait_to_see(
        &mut h,
        &format!("Forwarded held frame #{}, edited", held.id),
    );
    wait_to_see(&mut h, "0 held");
    // The composer has its own draft back, and Send.
    assert_eq!(h.state().editing(), None);
    assert_eq!(h.state().settings().draft.text, MORPHEUS);
    assert!(shows(&h, "Send to"));
    // A note says what became of the held frame.
    let note = format!("held frame #{} edited and forwarded", held.id);
    assert!(records(&h).iter().any(
        |r| r.kind == RecordKind::Note && String::from_utf8_lossy(&r.bytes).starts_with(&note)
    ));
    wait_to_see(&mut h, &note);

    // Follow the relayed conversation from the first relayed row of the edit.
    h.get_all_by_label(TRINITY)
        .next()
        .expect("a row of the edited frame")
        .click_secondary();
    wait_to_see(&mut h, "Follow conversation");
    button_starting(&h, "Follow conversation").click();
    wait_to_see(
        &mut h,
        &format!("Follow stream: relayed conversation #{}", conversation.id),
    );
    assert_eq!(
        h.state().followed_legs(),
        [
            Leg {
                side: Side::Server,
                conn: conversation.client_conn
            },
            Leg {
                side: Side::Client,
                conn: conversation.upstream_conn
            },
        ]
    );
    wait_for(&mut h, "the conversation's text", |h| {
        conversation_text(h).is_some_and(|t| t.contains(TRINITY) && t.contains(MORPHEUS))
    });
    assert!(shows(&h, "to server"));
    assert!(shows(&h, "to client"));
    let text = conversation_text(&h).unwrap();
    assert!(text.contains(&note), "the note is a turn too: {text}");
    h.check_accessibility();
}

/// The text of the followed conversation (its headings name the ends).
fn conversation_text(h: &App) -> Option<String> {
    h.query_all_by_label_contains(" sent 127.0.0.1:")
        .filter_map(|n| n.accesskit_node().value())
        .find(|text| text.contains(" received 127.0.0.1:"))
}

#[test]
fn a_dropped_answer_never_arrives_and_an_injected_one_does() {
    let (_echo, echo_addr) = target(ServerMode::FrameEcho);
    let mut h = app();
    start_relay(&mut h, "relay (framed)", echo_addr);
    click(&mut h, Role::CheckBox, "Hold → client");
    connect_one(&mut h);
    click(&mut h, Role::Button, "Search request");
    button_starting(&h, "Send").click();
    h.step();
    wait_to_see(&mut h, "1 held");
    let held = h.state().engine().fresh_view().relay.held[0].clone();
    assert!(shows(&h, &format!("#{} → client", held.id)));
    click(&mut h, Role::Button, "Drop");
    wait_to_see(&mut h, &format!("Held frame #{} dropped", held.id));
    wait_to_see(&mut h, "0 held");
    wait_to_see(
        &mut h,
        &format!("held frame #{} dropped by the user", held.id),
    );
    assert!(!echoed(&h, MORPHEUS));

    // Inject toward the client: it arrives as if the target had answered.
    click(&mut h, Role::CheckBox, "Hold → client");
    wait_to_see(&mut h, "Inject into a relayed conversation");
    click(&mut h, Role::RadioButton, "→ client");
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit(TRINITY);
    h.step();
    h.step();
    click(&mut h, Role::Button, "Inject");
    wait_to_see(&mut h, "Injected ");
    wait_for(&mut h, "the injected frame at the client", |h| {
        echoed(h, TRINITY)
    });
    assert!(!echoed(&h, MORPHEUS), "the dropped answer never came");
    assert_eq!(
        frames(&h, Side::Server, Direction::Sent, true, TRINITY),
        1,
        "sent on the client's leg"
    );
    h.check_accessibility();

    // A conversation that is over cannot be injected into: the form goes.
    click(&mut h, Role::Button, "Disconnect all");
    wait_to_see(&mut h, "Conversations: 0 open · 1 closed");
    assert!(!shows(&h, "Inject into a relayed conversation"));
}

#[test]
fn an_edit_waits_past_the_time_out_and_a_frame_gone_meanwhile_cannot_be_forwarded() {
    let (_echo, echo_addr) = target(ServerMode::FrameEcho);
    let mut h = app();
    start_relay(&mut h, "relay (framed)", echo_addr);
    h.get_by_label("Time-out").set_value_accesskit(1.0);
    pick(&mut h, "then", "drop");
    click(&mut h, Role::CheckBox, "Hold → server");
    wait_for(&mut h, "the hold settings in force", |h| {
        let hold = h.state().engine().fresh_view().relay.hold;
        hold.toward_server && hold.timeout == Duration::from_secs(1)
    });
    connect_one(&mut h);
    click(&mut h, Role::Button, "Binary request");
    let before = h.state().settings().draft.clone();
    button_starting(&h, "Send").click();
    h.step();
    wait_to_see(&mut h, "1 held");
    click(&mut h, Role::Button, "Edit");
    let id = h.state().editing().expect("editing");
    // The binary content comes in as hex.
    assert_eq!(h.state().settings().draft.text, before.text);

    // Twice the time-out later it still waits for the edit.
    wait_to_see(&mut h, "It waits while you edit");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    let view = h.state().engine().fresh_view();
    assert!(
        view.relay
            .held
            .iter()
            .any(|held| held.id == id && held.pinned),
        "kept while edited"
    );
    assert!(!is_disabled(&h, "Forward edited"));

    // Cancel: the draft comes back, and the time-out runs again.
    click(&mut h, Role::Button, "Cancel");
    assert_eq!(h.state().editing(), None);
    assert_eq!(h.state().settings().draft, before);
    assert!(shows(&h, "Send to"));
    wait_for(&mut h, "the time-out to drop it", |h| {
        records(h).iter().any(|r| {
            r.kind == RecordKind::Note
                && String::from_utf8_lossy(&r.bytes)
                    .starts_with(&format!("held frame #{id} dropped"))
        })
    });

    // A frame whose conversation closes while it is edited cannot go on.
    button_starting(&h, "Send").click();
    h.step();
    wait_to_see(&mut h, "1 held");
    click(&mut h, Role::Button, "Edit");
    click(&mut h, Role::Button, "Disconnect all");
    wait_to_see(&mut h, "is no longer held");
    assert!(is_disabled(&h, "Forward edited"));
    click(&mut h, Role::Button, "Cancel");
    assert_eq!(h.state().settings().draft, before);
}

#[test]
fn a_raw_relay_holds_a_chunk_that_is_edited_as_content() {
    let (_echo, echo_addr) = target(ServerMode::RawEcho);
    let mut h = app();
    start_relay(&mut h, "relay (raw)", echo_addr);
    h.get_by_label("Raw").click();
    h.step();
    connect_one(&mut h);
    click(&mut h, Role::CheckBox, "Hold → server");
    button_starting(&h, "Send").click();
    h.step();
    wait_to_see(&mut h, "1 held");
    click(&mut h, Role::Button, "Edit");
    wait_to_see(&mut h, "A raw chunk: the content is its bytes.");
    // The chunk (the search's JSON, sent raw) is the content, as text.
    assert_eq!(h.state().settings().draft.text, MORPHEUS);
    assert_eq!(
        h.state().settings().draft.kind,
        framescope::app::draft::ContentKind::Text
    );
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit("hello edited");
    h.step();
    h.step();
    button_starting(&h, "Forward edited").click();
    h.step();
    wait_for(&mut h, "the edited chunk's echo", |h| {
        records(h).iter().any(|r| {
            r.kind == RecordKind::Chunk
                && r.side == Side::Client
                && r.link.is_none()
                && r.direction == Direction::Received
                && r.bytes == "hello edited".as_bytes()
        })
    });
    assert_eq!(h.state().settings().draft.text, MORPHEUS);
    assert_eq!(
        h.state().settings().draft.kind,
        framescope::app::draft::ContentKind::Json
    );
}

#[test]
fn a_relay_needs_a_target_it_can_read_that_is_not_itself() {
    let mut h = app();
    pick(&mut h, "Mode", "relay (framed)");
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:8811");
    h.get_by_label("Forward to").set_text_value_accesskit("");
    h.step();
    h.step();
    assert!(shows(
        &h,
        "Forward to: type the address of the server to forward to"
    ));
    assert!(is_disabled(&h, "Start Server"));

    h.get_by_label("Forward to")
        .set_text_value_accesskit("localhost");
    h.step();
    h.step();
    assert!(shows(&h, "has no port"));

    h.get_by_label("Forward to")
        .set_text_value_accesskit("localhost:8811");
    h.step();
    h.step();
    assert!(shows(&h, "is the relay's own address"));
    assert!(is_disabled(&h, "Start Server"));

    h.get_by_label("Forward to")
        .set_text_value_accesskit("localhost:65432");
    h.step();
    h.step();
    assert!(!shows(&h, "Forward to:"));
    assert!(!is_disabled(&h, "Start Server"));
    assert_eq!(h.state().settings().relay_target, "localhost:65432");
    h.check_accessibility();

    // Another mode has no target to forward to.
    pick(&mut h, "Mode", "frame echo");
    assert!(!shows(&h, "Forward to"));
    assert!(!shows(&h, "Hold → server"));
}

#[test]
fn a_frame_held_under_a_profile_is_edited_field_by_field_and_forwarded() {
    let stx_crc: std::sync::Arc<framescope::engine::Profile> = std::sync::Arc::new(
        framescope::engine::Profile::compile(include_str!("../data/stx-crc.toml"), "stx-crc.toml")
            .unwrap(),
    );
    // The target echoes stx-crc frames.
    let echo = Engine::new().expect("target engine");
    echo.command(Command::StartServer {
        join: None,
        transport: framescope::engine::Transport::Tcp,
        addr: "127.0.0.1:0".parse().unwrap(),
        mode: ServerMode::FrameEcho,
        tls: None,
        upstream: None,
        profile: Some(stx_crc),
    });
    let start = Instant::now();
    let echo_addr = loop {
        if let Some(addr) = echo.fresh_view().server.listening {
            break addr;
        }
        assert!(start.elapsed() < DEADLINE, "the target did not start");
        std::thread::sleep(Duration::from_millis(10));
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stx-crc.toml");
    std::fs::write(&path, include_str!("../data/stx-crc.toml")).unwrap();
    let mut h = app();
    let ctx = h.ctx.clone();
    h.state_mut().open_profile(path, &ctx);
    wait_to_see(&mut h, "the fields of profile stx-crc");

    // The relay reads both legs as stx-crc frames.
    pick(&mut h, "Mode", "relay (framed)");
    pick(&mut h, "Server profile", "stx-crc (stx-crc.toml)");
    start_relay(&mut h, "relay (framed)", echo_addr);
    connect_one(&mut h);
    click(&mut h, Role::CheckBox, "Hold → server");
    wait_for(&mut h, "holding switched on", |h| {
        h.state().engine().fresh_view().relay.hold.toward_server
    });
    h.get_by_label("payload")
        .set_text_value_accesskit("morpheus");
    h.step();
    button_starting(&h, "Send").click();
    h.step();
    wait_to_see(&mut h, "1 held");

    // Edited in the form: the payload, its length and CRC recomputed.
    click(&mut h, Role::Button, "Edit");
    wait_to_see(&mut h, "Editing held frame");
    assert_eq!(
        h.get_by_label("payload").value().as_deref(),
        Some("0x6d6f727068657573"),
        "the held frame's payload fills the form"
    );
    h.get_by_label("payload")
        .set_text_value_accesskit("trinity");
    h.step();
    h.step();
    assert!(!is_disabled(&h, "Forward edited"));
    button_starting(&h, "Forward edited").click();
    h.step();

    // The target got the edited frame whole: its echo keeps the profile.
    wait_for(&mut h, "the edited frame's echo", |h| {
        records(h).iter().any(|r| {
            r.side == Side::Client
                && r.link.is_none()
                && r.direction == Direction::Received
                && r.kind == RecordKind::Frame
                && r.bytes.windows(7).any(|w| w == b"trinity")
        })
    });
    assert!(
        !records(&h).iter().any(|r| r.kind == RecordKind::Error),
        "no leg found a broken frame"
    );
}
