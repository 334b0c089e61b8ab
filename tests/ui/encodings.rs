//! Content in the encoding its header names, in the window: the composer
//! writes the text in GBK and counts those bytes, and the table and the
//! record detail read it back in GBK; raw bytes read in the encoding chosen
//! for them; and the same done in the window switched to Simplified
//! Chinese.

use crate::window;

use egui::Role;
use egui_kittest::kittest::{NodeT, Queryable};

use framescope::engine::{Direction, RecordKind, Side};
use window::{app, click_send, pick, shows, start_server, wait_for, wait_to_see};

/// The request, in Chinese.
const REQUEST: &str = r#"{"action": "search", "value": "你好"}"#;

#[test]
fn gbk_content_is_sent_as_gbk_and_read_back_in_the_detail_and_the_dump() {
    let mut h = app();
    start_server(&mut h);
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "1 open");

    h.get_by_role_and_label(Role::TextInput, "content-encoding")
        .set_text_value_accesskit("gbk");
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit(REQUEST);
    h.step();
    h.step();
    // 37 bytes: each Chinese character takes two in GBK (three in UTF-8,
    // which would make 39).
    wait_to_see(&mut h, "37 (computed)");
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");

    let sent = h
        .state()
        .engine()
        .snapshot()
        .views()
        .find(|r| r.side == Side::Client && r.direction == Direction::Sent)
        .filter(|r| r.kind == RecordKind::Frame)
        .expect("the request");
    assert!(
        sent.bytes.ends_with(&[0xC4, 0xE3, 0xBA, 0xC3, b'"', b'}']),
        "你好 in GBK: {:02x?}",
        sent.bytes
    );

    // The table and the detail read it in GBK.
    h.get_all_by_label_contains("你好")
        .find(|n| n.accesskit_node().role() == Role::Label)
        .expect("a row, its content read in GBK")
        .click();
    wait_for(&mut h, "a selected record", |h| {
        h.state().selected_record().is_some()
    });
    wait_for(&mut h, "the detail's content", |h| {
        h.query_all_by_label_contains("\"value\": \"你好\"").count() > 0
    });
    // (The dump's text column, each character under its first byte, is
    // checked by hexdump::text_cells's tests and seen in the window.)
}

#[test]
fn raw_bytes_read_as_text_in_the_encoding_chosen_for_them() {
    let mut h = app();
    pick(&mut h, "Mode", "raw echo");
    start_server(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "Raw").click();
    h.step();
    h.get_by_role_and_label(Role::Button, "Connect").click();
    wait_to_see(&mut h, "1 open");
    h.get_by_label("Hex").click();
    h.step();
    // 你好 in GBK.
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit("c4 e3 ba c3");
    h.step();
    h.step();
    click_send(&mut h);
    wait_to_see(&mut h, "Client: 1 sent · 1 received");
    assert!(!shows(&h, "你好"), "not UTF-8: read as bytes");

    pick(&mut h, "Raw as", "gbk");
    wait_for(&mut h, "the raw rows read in GBK", |h| {
        h.query_all_by_label("你好").count() >= 4
    });
    assert_eq!(h.state().settings().raw_encoding, "gbk", "remembered");
}

#[test]
fn in_simplified_chinese_a_gbk_request_is_sent_and_its_chinese_read_back() {
    let mut h = app();
    // A free port, set while the labels are English.
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:0");
    h.step();
    // The language picker in the top bar shows the language in itself.
    h.get_all_by_role(Role::ComboBox)
        .find(|n| n.value().as_deref() == Some("English"))
        .expect("the language picker")
        .click();
    wait_for(&mut h, "the languages listed", |h| {
        h.query_by_label("简体中文").is_some()
    });
    h.get_by_label("简体中文").click();
    wait_to_see(&mut h, "启动服务器");
    assert_eq!(
        h.state().settings().language,
        Some(framescope::app::i18n::Language::SimplifiedChinese),
        "remembered"
    );

    h.get_by_role_and_label(Role::Button, "启动服务器").click();
    wait_to_see(&mut h, "正在监听");
    h.get_by_role_and_label(Role::Button, "连接").click();
    wait_to_see(&mut h, "已连接 1");
    h.get_by_role_and_label(Role::TextInput, "content-encoding")
        .set_text_value_accesskit("gbk");
    h.get_by_role(Role::MultilineTextInput)
        .set_text_value_accesskit(REQUEST);
    h.step();
    h.step();
    h.get_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("发送"))
        })
        .expect("发送")
        .click();
    wait_to_see(&mut h, "客户端：发送 1 · 接收 1");

    // The echo, received: its Chinese read back in GBK in the detail.
    h.get_all_by_label_contains("你好")
        .rfind(|n| n.accesskit_node().role() == Role::Label)
        .expect("a row")
        .click();
    wait_for(&mut h, "a selected record", |h| {
        h.state().selected_record().is_some()
    });
    wait_for(&mut h, "the detail's Chinese", |h| {
        h.query_all_by_label_contains("\"value\": \"你好\"").count() > 0
    });
}
