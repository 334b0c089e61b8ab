//! Helpers shared by the window's tests: the app over an engine, with the
//! fonts the real window has, and waits and queries by what is on screen.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use framescope::app::{FramescopeApp, Settings};
use framescope::engine::Engine;

/// How long a test waits for anything before it fails.
pub const DEADLINE: Duration = Duration::from_secs(8);

/// The window under test.
pub type App = Harness<'static, FramescopeApp>;

/// The window over a new engine, with default settings.
pub fn app() -> App {
    app_with(Engine::new().expect("engine"))
}

/// The window over `engine`, with default settings and the fonts the real
/// window has (its arrows, `→`, come from them).
pub fn app_with(engine: Engine) -> App {
    app_with_settings(engine, Settings::default())
}

/// The window over `engine`, with `settings` (as if remembered).
pub fn app_with_settings(engine: Engine, mut settings: Settings) -> App {
    // English unless a test asks for another: the machine's locale may be any.
    settings
        .language
        .get_or_insert(framescope::app::i18n::Language::English);
    Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| {
            framescope::app::fonts::install(&cc.egui_ctx);
            FramescopeApp::with_engine(engine, settings)
        })
}

/// Steps the app until `done` holds, or fails naming `what` after the deadline.
pub fn wait_for(h: &mut App, what: &str, mut done: impl FnMut(&mut App) -> bool) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether some node's label (or a label's text) contains `text`.
pub fn shows(h: &App, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// Steps the app until `text` shows.
pub fn wait_to_see(h: &mut App, text: &str) {
    wait_for(h, &format!("\"{text}\" on screen"), |h| shows(h, text));
}

/// Clicks the widget of `role` labelled `label`, and lets the app answer.
pub fn click(h: &mut App, role: Role, label: &str) {
    h.get_by_role_and_label(role, label).click();
    h.step();
    h.step();
}

/// Opens the drop-down named `combo` and picks `option`.
pub fn pick(h: &mut App, combo: &str, option: &str) {
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    let is_option = |n: &egui_kittest::Node<'_>| n.accesskit_node().role() != Role::Label;
    wait_for(h, &format!("the {option} option"), |h| {
        h.query_all_by_label(option).any(|n| is_option(&n))
    });
    h.get_all_by_label(option)
        .find(|n| is_option(n))
        .expect("the option")
        .click();
    wait_for(h, &format!("{combo} set to {option}"), |h| {
        h.get_by_role_and_label(Role::ComboBox, combo)
            .value()
            .as_deref()
            == Some(option)
    });
}

/// The Send button (its label also carries the shortcut).
pub fn send_button<'h>(h: &'h App) -> egui_kittest::Node<'h> {
    h.get_all_by_role(Role::Button)
        .find(|b| {
            b.accesskit_node()
                .label()
                .is_some_and(|l| l.starts_with("Send"))
        })
        .expect("a Send button")
}

/// Clicks Send.
pub fn click_send(h: &mut App) {
    send_button(h).click();
    h.step();
}

/// Types the port-0 address, clicks Start Server, and returns where it
/// listens (a port the system picks: no test waits on another's).
pub fn start_server(h: &mut App) -> std::net::SocketAddr {
    h.get_by_label("Address")
        .set_text_value_accesskit("127.0.0.1:0");
    h.step();
    h.get_by_role_and_label(egui::Role::Button, "Start Server")
        .click();
    wait_to_see(h, "listening on 127.0.0.1:");
    h.state().engine().fresh_view().server.listening.unwrap()
}
