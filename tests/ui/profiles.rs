//! A profile in the window: picked in the client form, the composer a form
//! of its fields, and a real server's reply read back field by field with
//! each field's bytes lit in the dump; a profile file opened into the
//! client form's list, remembered for the next start; and the Profiles
//! tab's editor, which shows a broken line and hands a saved file to the
//! clients.

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};

use framescope::engine::{Engine, Profile};

use crate::real_servers;
use crate::window::{
    App, app, app_with_settings, click_send, pick, shows, start_server, wait_for, wait_to_see,
};

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
    start_server(&mut h);

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

/// A profile of our own: a length, then a text.
const GREETING: &str = "[profile]\nname = \"greeting\"\ndescription = \"A length, then a salutation\"\n\n\
                        [[field]]\nname = \"salutation_length\"\ntype = \"u16\"\nlength_of = \"rest\"\n\n\
                        [[field]]\nname = \"salutation\"\ntype = \"str\"\n";

/// The client form's Profile list, as it shows the choice.
fn chosen_profile(h: &App) -> Option<String> {
    h.get_by_role_and_label(Role::ComboBox, "Profile").value()
}

/// Whether the button labelled `label` is greyed out.
fn is_disabled(h: &App, label: &str) -> bool {
    h.get_by_role_and_label(Role::Button, label)
        .accesskit_node()
        .is_disabled()
}

/// Types `path` into the open path prompt and clicks its `action` button
/// (the enabled one: a tab's own button may share the label, greyed).
fn choose_path(h: &mut App, path: &std::path::Path, action: &str) {
    wait_to_see(h, "Browse…");
    h.get_by_label("Path")
        .set_text_value_accesskit(&path.display().to_string());
    h.step();
    h.step();
    h.get_all_by_role_and_label(Role::Button, action)
        .find(|b| !b.accesskit_node().is_disabled())
        .expect("the prompt's button")
        .click();
}

#[test]
fn a_profile_started_from_modbus_shows_a_broken_line_and_once_saved_is_used_by_the_clients() {
    let modbus = Profile::builtin("modbus-tcp").unwrap();
    let mut h = app();
    h.get_by_label("Profiles").click();
    wait_to_see(&mut h, "Start from a built-in");
    h.get_by_role_and_label(Role::Button, "Start from").click();
    wait_for(&mut h, "the built-ins listed", |h| {
        h.query_by_role_and_label(Role::Button, "modbus-tcp")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "modbus-tcp").click();
    wait_to_see(&mut h, "Profile modbus-tcp: ");
    assert_eq!(h.state().profile_text(), modbus.text());
    assert!(shows(&h, "Fields of modbus-tcp"), "the fields are listed");

    // An unknown type on the first u16 field: the problem at its line.
    let line = modbus
        .text()
        .lines()
        .position(|l| l == "type = \"u16\"")
        .expect("a u16 field")
        + 1;
    let broken = modbus
        .text()
        .replacen("type = \"u16\"", "type = \"u24\"", 1);
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit(&broken);
    h.step();
    wait_to_see(
        &mut h,
        &format!("line {line}:8: type \"u24\" is not one of: u8"),
    );
    assert!(!shows(&h, "Fields of modbus-tcp"), "no fields while broken");
    assert!(is_disabled(&h, "Use for clients"));

    // Mended and saved, it becomes the clients' profile.
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit(modbus.text());
    h.step();
    wait_to_see(&mut h, "Profile modbus-tcp: ");
    assert!(is_disabled(&h, "Use for clients"), "not saved yet");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("my-modbus.toml");
    h.get_by_role_and_label(Role::Button, "Save as…").click();
    choose_path(&mut h, &path, "Save");
    wait_to_see(&mut h, "Saved my-modbus.toml");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), modbus.text());
    wait_for(&mut h, "Use for clients enabled", |h| {
        !is_disabled(h, "Use for clients")
    });
    h.get_by_role_and_label(Role::Button, "Use for clients")
        .click();
    wait_to_see(&mut h, "The clients now speak profile modbus-tcp");
    assert_eq!(
        chosen_profile(&h).as_deref(),
        Some("modbus-tcp (my-modbus.toml)")
    );
    assert_eq!(h.state().settings().profile_files, vec![path]);
    h.get_by_label("Compose & send").click();
    wait_to_see(&mut h, "the fields of profile modbus-tcp");
    assert!(h.query_by_label("transaction").is_some(), "its form");
}

#[test]
fn a_profile_file_opened_in_the_client_list_is_chosen_composed_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("greeting.toml");
    std::fs::write(&path, GREETING).unwrap();
    let mut h = app();
    h.get_by_role_and_label(Role::Button, "Open profile…")
        .click();
    choose_path(&mut h, &path, "Open");
    wait_to_see(&mut h, "Opened profile greeting from greeting.toml");
    assert_eq!(
        chosen_profile(&h).as_deref(),
        Some("greeting (greeting.toml)")
    );
    wait_to_see(&mut h, "the fields of profile greeting");
    assert!(h.query_by_label("salutation").is_some(), "its form");
    assert_eq!(h.state().settings().profile_files, vec![path.clone()]);

    // Opened again, changed on disk: the new fields replace the old.
    std::fs::write(&path, GREETING.replace("\"salutation\"", "\"farewell\"")).unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().open_profile(path.clone(), &ctx);
    wait_for(&mut h, "the changed field", |h| {
        h.query_by_label("farewell").is_some()
    });
    assert!(h.query_by_label("salutation").is_none());
    assert_eq!(h.state().profiles().files().len(), 1, "replaced, not added");

    // The next start reads it again and keeps it chosen.
    let settings = h.state().settings().clone();
    let mut again = app_with_settings(Engine::new().expect("engine"), settings);
    wait_to_see(&mut again, "the fields of profile greeting");
    assert_eq!(
        chosen_profile(&again).as_deref(),
        Some("greeting (greeting.toml)")
    );
}

#[test]
fn a_profile_file_that_does_not_compile_is_listed_greyed_with_why_and_not_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, GREETING.replace("u16", "u24")).unwrap();
    let mut h = app();
    let ctx = h.ctx.clone();
    h.state_mut().open_profile(path.clone(), &ctx);
    wait_to_see(&mut h, "bad.toml:7:8: type \"u24\" is not one of");
    assert_eq!(chosen_profile(&h).as_deref(), Some("json-header"));

    h.get_by_role_and_label(Role::ComboBox, "Profile").click();
    wait_for(&mut h, "the broken file listed", |h| {
        h.query_by_label("bad.toml (does not compile)").is_some()
    });
    assert!(
        h.get_by_label("bad.toml (does not compile)")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn the_embedded_server_echoes_frames_of_a_profile_file_chosen_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("greeting.toml");
    std::fs::write(&path, GREETING).unwrap();
    let mut h = app();
    let ctx = h.ctx.clone();
    h.state_mut().open_profile(path.clone(), &ctx);
    wait_to_see(&mut h, "the fields of profile greeting");

    pick(&mut h, "Server profile", "greeting (greeting.toml)");
    start_server(&mut h);
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "1 open");
    h.get_by_label("salutation")
        .set_text_value_accesskit("hello there");
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    // Both ends keep the profile: the server's rows (received, echoed)
    // name the field as the client's do.
    wait_for(&mut h, "four rows naming the field", |h| {
        h.query_all_by_label_contains("salutation=").count() >= 4
    });
}
