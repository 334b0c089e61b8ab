//! The window's TLS, driven as a person would: serve TLS, see the
//! certificate's fingerprint (and copy it), pin it in the client panel,
//! connect 5 TLS clients, send, and open a handshake record.

use crate::window;

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};

use framescope::engine::{RecordKind, Side};
use window::{app, click, shows, wait_for, wait_to_see};

#[test]
fn serve_tls_shows_the_fingerprint_and_pinned_clients_show_the_handshake() {
    let mut h = app();
    assert!(!shows(&h, "Server TLS options"));
    click(&mut h, Role::CheckBox, "Serve TLS");
    assert!(shows(&h, "Server TLS options"));
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:0");
    h.step();
    click(&mut h, Role::Button, "Start Server");
    wait_to_see(&mut h, "listening on 127.0.0.1:");
    wait_to_see(&mut h, "TLS · SHA-256");
    let fingerprint = h
        .state()
        .engine()
        .fresh_view()
        .server
        .tls
        .expect("a TLS server")
        .to_string();
    assert!(shows(&h, &fingerprint));
    h.get_by_role_and_label(Role::Button, "Copy").click();
    h.step();
    let copied = h.output().platform_output.commands.iter().any(
        |command| matches!(command, egui::OutputCommand::CopyText(text) if *text == fingerprint),
    );
    assert!(copied, "the Copy button copies the fingerprint");
    h.check_accessibility();

    // Pin it in the client panel, and connect five.
    click(&mut h, Role::CheckBox, "Connect with TLS");
    h.get_by_label("Client TLS options").click();
    h.step();
    h.step();
    click(&mut h, Role::RadioButton, "Pinned SHA-256");
    h.get_by_label("Pin SHA-256")
        .set_text_value_accesskit(&fingerprint);
    h.step();
    h.get_by_label("Connections").set_value_accesskit(5.0);
    h.step();
    click(&mut h, Role::Button, "Connect");
    wait_to_see(&mut h, "5 open");
    assert!(
        h.state()
            .engine()
            .fresh_view()
            .connections
            .iter()
            .all(|c| c.tls)
    );
    click(&mut h, Role::Button, "Search request");
    let send = h
        .get_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Send"))
        })
        .expect("a Send button");
    send.click();
    h.step();
    wait_to_see(&mut h, "Client: 5 sent · 5 received");

    // Open a client's handshake record: the certificate's details.
    let handshake = h
        .state()
        .engine()
        .snapshot()
        .views()
        .find(|r| r.side == Side::Client && r.kind == RecordKind::Handshake)
        .expect("a client handshake record");
    h.get_all_by_label_contains(&format!("SHA-256 {fingerprint})"))
        .next()
        .expect("a handshake row in the table")
        .click();
    wait_for(&mut h, "a selected handshake record", |h| {
        h.state().selected_record().is_some()
    });
    let selected = h.state().selected_record().unwrap();
    let view = h.state().engine().snapshot().view(selected).unwrap();
    assert_eq!(view.kind, RecordKind::Handshake, "{}", handshake.seq);
    wait_to_see(&mut h, "TLS handshake");
    for row in [
        "cipher suite",
        "peer subject",
        "peer issuer",
        "valid until",
        "names",
    ] {
        assert!(shows(&h, row), "{row}");
    }
    assert!(shows(&h, "rcgen self signed cert"));
    h.check_accessibility();
}

/// The window with its server serving TLS on a free port (a certificate
/// generated for it).
fn app_serving_tls() -> window::App {
    let mut h = app();
    click(&mut h, Role::CheckBox, "Serve TLS");
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:0");
    h.step();
    click(&mut h, Role::Button, "Start Server");
    wait_to_see(&mut h, "TLS · SHA-256");
    h
}

#[test]
fn connecting_with_tls_to_the_window_s_own_server_trusts_its_certificate_unasked() {
    let mut h = app_serving_tls();

    // The trust choice stays at its default, the system's roots, which do
    // not know the server's self-signed certificate.
    click(&mut h, Role::CheckBox, "Connect with TLS");
    h.get_by_label("Client TLS options").click();
    h.step();
    h.step();
    assert!(shows(&h, "is trusted by its fingerprint"));
    h.get_by_label("Connections").set_value_accesskit(20.0);
    h.step();
    click(&mut h, Role::Button, "Connect");
    wait_to_see(&mut h, "20 open");
    assert!(!shows(&h, "failed"));
    assert!(
        h.state()
            .engine()
            .fresh_view()
            .connections
            .iter()
            .all(|c| c.tls)
    );

    // Typed by hand, another target is checked against the system's roots.
    h.get_by_label("Use the server's address").click();
    h.step();
    h.get_by_label("Target")
        .set_text_value_accesskit("127.0.0.1:9");
    h.step();
    h.step();
    assert_eq!(h.state().settings().client.target, "127.0.0.1:9");
    assert!(!shows(&h, "is trusted by its fingerprint"));
    h.check_accessibility();
}

#[test]
fn the_server_s_fingerprint_is_drawn_at_the_body_size_wrapped() {
    let h = app_serving_tls();
    let fingerprint = h
        .state()
        .engine()
        .fresh_view()
        .server
        .tls
        .expect("a TLS server")
        .to_string();
    // One line of body text, beside it.
    let line = h.get_by_label("TLS · SHA-256").rect().height();
    let drawn = h.get_by_label(&fingerprint).rect();
    // 95 characters of body-size monospace wrap to three lines in the
    // panel; in small type they took two lines of a smaller height.
    assert!(
        drawn.height() >= 2.5 * line,
        "the fingerprint is {:.0} points high, a line of body text {line:.0}",
        drawn.height()
    );
}
