//! framescope: a desktop test harness for TCP services that speak the
//! JSON-header protocol of the classic Python multi-connection socket
//! tutorial (and raw bytes).
//!
//! [`engine`] is the async engine (tokio, no egui); [`app`] is the egui
//! window over it (feature `gui`); [`cli`] runs the same engine headless.
//! [`clock`] shows times, local or UTC, and [`units`] numbers, for both;
//! [`write_whole`] writes a file whole or not at all, for both.

#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod clock;
pub mod engine;
pub mod units;
pub mod write_whole;
