//! The panels around the records: the server, the clients, the composer
//! and its draft, load, scenarios, the profile editor, rules, intercept,
//! the journal's bounds and the status bar, with the forms they share
//! (TLS, injection, a held frame's edit) and the load charts.

pub(super) mod charts;
pub(super) mod client;
pub(super) mod composer;
pub mod draft;
pub(super) mod fields_form;
pub(super) mod held_edit;
pub(super) mod inject_form;
pub(super) mod intercept;
pub(super) mod journal;
pub(super) mod load;
pub(super) mod profile_editor;
pub(super) mod rules;
pub(super) mod scenario;
pub(super) mod server;
pub(super) mod status_bar;
pub(super) mod tls_form;
pub(super) mod transport_picker;
