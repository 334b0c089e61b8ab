//! A profile in the window: picked in the client form, the composer a form
//! of its fields, and a real server's reply read back field by field with
//! each field's bytes lit in the dump.

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};

use crate::real_servers;
use crate::window::{App, app, click_send, pick, wait_for, wait_to_see};

#[test]
fn a_modbus_request_composed_from_its_fields_is_answered_by_a_real_server_named() {
    let modbus = real_servers::modbus_server();
    let mut h = app();
    h.get_by_label("Use the server's address").click();
    h.step();
    h.get_by_label("Target")
        .set_text_value_accesskit(&format!("127.0.0.1:{}", modbus.port));
    pick(&mut h, "Profile", "modbus-tcp");
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "1 open");

    // The composer is the profile's fields: length and protocol computed.
    assert!(h.query_by_label("length").is_some(), "a length field");
    fill_read_holding_registers(&mut h);
    h.step();
    // 00 07 00 00 00 06 01 03 00 00 00 02: the length counted for us.
    wait_to_see(
        &mut h,
        "Preview bytes 00000000  00 07 00 00 00 06 01 03  00 00 00 02",
    );
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");

    // The reply's row names its fields; its detail lists them, and a
    // field's row lights its bytes.
    h.get_all_by_label_contains("registers=00 11 00 2a")
        .next()
        .expect("the reply's row")
        .click();
    wait_for(&mut h, "the reply selected", |h| {
        h.state().selected_record().is_some()
    });
    wait_to_see(&mut h, "Fields (modbus-tcp)");
    assert!(h.query_by_label("3 (read-holding-registers)").is_some());
    // The composer's form has the same labels: the detail's come last.
    let registers = h
        .get_all_by_label("registers")
        .rfind(|n| n.accesskit_node().role() == Role::Label)
        .expect("the registers row");
    registers.hover();
    h.step();
    h.step();
    // MBAP 7 bytes, the function, the byte count: the registers are 9..13.
    assert_eq!(h.state().highlighted_bytes(), Some(9..13));
}

#[test]
fn the_embedded_server_in_rules_mode_answers_a_modbus_form_by_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("modbus.toml");
    std::fs::write(
        &rules,
        "profile = \"modbus-tcp\"\n\n[[rule]]\nwhen.field.function = \"read-holding-registers\"\n\
         then.reply.field = { transaction = 7, unit = 1, function = \"read-holding-registers\", registers = \"00 2a 00 07\" }\n",
    )
    .unwrap();
    let mut h = app();
    pick(&mut h, "Mode", "rules");
    h.get_by_label("Rules file")
        .set_text_value_accesskit(rules.to_str().unwrap());
    h.step();
    h.get_by_role_and_label(Role::Button, "Load").click();
    wait_to_see(&mut h, "field function = \"read-holding-registers\"");
    h.get_by_role_and_label(Role::Button, "Start Server")
        .click();
    wait_for(&mut h, "the server listening", |h| {
        h.state().engine().fresh_view().server.listening.is_some()
    });

    pick(&mut h, "Profile", "modbus-tcp");
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "1 open");
    fill_read_holding_registers(&mut h);
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    // The server's rows name the fields as well: both ends keep the profile.
    h.get_all_by_label_contains("registers=00 2a 00 07")
        .next()
        .expect("the reply's row")
        .click();
    wait_to_see(&mut h, "Fields (modbus-tcp)");
    let byte_count = h
        .get_all_by_label("byte_count")
        .rfind(|n| n.accesskit_node().role() == Role::Label)
        .expect("the byte_count row");
    byte_count.hover();
    h.step();
    h.step();
    assert_eq!(h.state().highlighted_bytes(), Some(8..9));
}

/// Fills the modbus-tcp form: transaction 7, unit 1, read 2 holding registers.
fn fill_read_holding_registers(h: &mut App) {
    h.get_by_label("transaction").set_text_value_accesskit("7");
    h.get_by_label("unit").set_text_value_accesskit("1");
    h.step();
    pick(h, "function", "read-holding-registers");
    h.get_by_label("quantity").set_text_value_accesskit("2");
    h.step();
}
