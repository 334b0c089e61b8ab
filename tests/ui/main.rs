//! The window's tests, as one test binary (linked once): the app driven as
//! a person would, by the labels on screen (egui_kittest).

#[path = "../it/common/real_servers.rs"]
mod real_servers;
mod window;

mod encodings;
mod main_window;
mod profiles;
mod relay;
mod tls;
mod udp;
