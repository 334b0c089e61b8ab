//! Records for people and other tools: hex dump rows and the ranges a
//! viewer highlights ([`hexdump`]), one-line descriptions ([`describe`]),
//! a conversation as one stream ([`follow`]), pcapng captures
//! ([`pcapng`]), log files written and read back ([`journal_file`]), and
//! Wireshark dissectors generated from profiles ([`dissector`]).
//!
//! Everything here is a pure function of records, bytes and profiles.

pub mod describe;
pub(crate) mod dissector;
pub mod follow;
pub mod hexdump;
pub(super) mod journal_file;
pub(super) mod pcapng;
