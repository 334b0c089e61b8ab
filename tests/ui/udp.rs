//! UDP in the window: the server form and the client form switched to
//! UDP, five sockets, a search sent to all, five sessions and every
//! datagram a row, and one datagram's hex dump.

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};

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

#[test]
fn a_udp_load_run_from_the_load_tab_counts_its_datagrams() {
    let mut h = app();
    choose_udp(&mut h, 0);
    start_server(&mut h);
    h.get_by_role_and_label(Role::Button, "Search request")
        .click();
    h.get_by_label("Load test").click();
    wait_to_see(&mut h, "Start load");
    // The Load tab's choice is the one on the right of the window.
    let choices: Vec<_> = h.get_all_by_label("UDP").collect();
    assert_eq!(choices.len(), 3, "server, client and Load tab");
    let rightmost = choices
        .into_iter()
        .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap();
    rightmost.click_accesskit();
    h.step();
    assert_eq!(h.state().settings().load.transport, Transport::Udp);
    h.get_by_label("Duration").set_value_accesskit(1.0);
    h.step();
    h.get_by_role_and_label(Role::Button, "Start load").click();
    h.step();
    wait_to_see(&mut h, "Run summary");
    let summary = h
        .get_all_by_role(Role::Label)
        .filter_map(|n| n.accesskit_node().value())
        .find(|l| l.contains(" sent · ") && l.contains(" lost "))
        .expect("the datagrams row");
    assert!(
        summary.contains(" · 0 lost (0.000 %) · 0 duplicated · 0 reordered"),
        "{summary}"
    );
    assert!(shows(&h, "0 (0 replies differed)"), "every echo verifies");
    let view = h.state().engine().fresh_view();
    assert!(view.server.accepted >= 1, "the run's sockets were sessions");
}

#[test]
fn a_broadcast_from_the_client_form_is_answered_and_the_answer_names_who_answered() {
    use std::io::{BufRead, BufReader};
    // A raw echo on every address of a free port, as a host on a network
    // would be: it hears the loopback network's broadcast.
    let mut echo = std::process::Command::new("python3")
        .args([
            "-c",
            "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 0))\nprint(s.getsockname()[1], flush=True)\nwhile True:\n    data, peer = s.recvfrom(65535)\n    s.sendto(data, peer)\n",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(echo.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().parse().unwrap();

    let mut h = app();
    choose_udp(&mut h, 1);
    h.get_by_label("Broadcast").click();
    h.step();
    assert!(h.state().settings().client.broadcast);
    h.get_by_label("Use the server's address").click();
    h.step();
    let to = format!("127.255.255.255:{port}");
    h.get_by_role_and_label(Role::TextInput, "Target")
        .set_text_value_accesskit(&to);
    h.step();
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "1 open");
    h.get_by_role_and_label(Role::Button, "Search request")
        .click();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    let _ = echo.kill();
    let _ = echo.wait();
    let journal = h.state().engine().snapshot();
    let rows: Vec<_> = journal.views().collect();
    let sent = rows
        .iter()
        .find(|v| v.direction == framescope::engine::Direction::Sent)
        .unwrap();
    let answer = rows
        .iter()
        .find(|v| v.direction == framescope::engine::Direction::Received)
        .unwrap();
    assert_eq!(sent.peer, Some(to.parse().unwrap()));
    assert_eq!(
        answer.peer,
        Some(format!("127.0.0.1:{port}").parse().unwrap())
    );
    assert_ne!(
        answer.conn, sent.conn,
        "the answering address is a peer of its own"
    );
    assert_eq!(answer.bytes, search_request("morpheus").build().unwrap());
}
