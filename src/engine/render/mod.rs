//! Records for people and other tools: hex dump rows and the ranges a
//! viewer highlights ([`hexdump`]), one-line descriptions ([`describe`]),
//! a conversation as one stream ([`follow`]), pcapng captures
//! ([`pcapng`]), and log files written and read back ([`journal_file`]).
//!
//! Everything here is a pure function of records and bytes.

pub mod describe;
pub mod follow;
pub mod hexdump;
pub(super) mod journal_file;
pub(super) mod pcapng;
