//! UDP in the window: the server form and the client form switched to
//! UDP, five sockets, a search sent to all, five sessions and every
//! datagram a row, and one datagram's hex dump.

use egui::Role;
use egui_kittest::kittest::Queryable;

use framescope::app::hex_view::row_text;
use framescope::engine::tutorial_app::search_request;
use framescope::engine::{Side, Transport, hexdump};

use crate::window::{App, app, click_send, pick, shows, start_server, wait_for, wait_to_see};

/// Clicks the `nth` "UDP" choice: 0 is the server form's, 1 the client form's.
fn choose_udp(h: &mut App, nth: usize) {
    let choices: Vec<_> = h.get_all_by_label("UDP").collect();
    assert_eq!(choices.len(), 2, "a TCP/UDP choice in each form");
    choices[nth].click();
    h.step();
}

#[test]
fn five_udp_sockets_to_the_udp_server_show_sessions_rows_and_a_datagram() {
    let mut h = app();
    choose_udp(&mut h, 0);
    choose_udp(&mut h, 1);
    assert_eq!(h.state().settings().server_transport, Transport::Udp);
    assert_eq!(h.state().settings().client.transport, Transport::Udp);
    let addr = start_server(&mut h);
    wait_to_see(&mut h, &format!("listening on {addr} over UDP"));
    assert_eq!(
        h.state().engine().fresh_view().server.transport,
        Transport::Udp
    );

    h.get_by_label("Connections").set_value_accesskit(5.0);
    h.step();
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "5 open");
    let sockets = h.state().engine().fresh_view().connections.clone();
    assert!(sockets.iter().all(|s| s.transport == Transport::Udp));
    assert!(shows(&h, &format!("#{} UDP", sockets[0].id)));

    h.get_by_role_and_label(Role::Button, "Search request")
        .click();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Sent to 5 connections");
    wait_to_see(&mut h, "Client: 5 sent · 5 received");
    wait_to_see(&mut h, "5 sessions open · 5 opened · 0 evicted");
    wait_to_see(&mut h, "20 of 20 records shown");
    // The server's side: each session's datagram and its echo, ten rows.
    pick(&mut h, "Side", "server");
    wait_to_see(&mut h, "10 of 20 records shown");
    let journal = h.state().engine().snapshot();
    let server_rows: Vec<_> = journal.views().filter(|v| v.side == Side::Server).collect();
    assert_eq!(server_rows.len(), 10);
    let sessions: std::collections::BTreeSet<u32> = server_rows.iter().map(|v| v.conn).collect();
    assert_eq!(sessions.len(), 5);

    // One datagram: its addresses, and its bytes in the dump.
    let summary = r#"{"action": "search", "value": "morpheus"}"#;
    h.get_all_by_label(summary).next().expect("a row").click();
    wait_for(&mut h, "a selected record", |h| {
        h.state().selected_record().is_some()
    });
    let seq = h.state().selected_record().unwrap();
    let view = h.state().engine().snapshot().view(seq).unwrap();
    assert_eq!(view.transport, Transport::Udp);
    assert_eq!(view.bytes, search_request("morpheus").build().unwrap());
    let (from, to) = (view.peer.unwrap(), view.local.unwrap());
    wait_to_see(&mut h, &format!("UDP datagram {from} → {to}"));
    let first_row = format!("Record bytes {}", row_text(&hexdump::row(&view.bytes, 0)));
    wait_to_see(&mut h, &first_row);
    h.check_accessibility();
}
