//! The protocol: what the bytes of one frame are, and nothing about where
//! they came from. A frame and its builder ([`frame`]), the one check of
//! whether bytes hold a whole frame and the codec over it ([`codec`]), the
//! fast reading of a flat header ([`flat_header`]), JSON the way Python
//! writes it ([`pyjson`]), payload variables ([`template`]) and the
//! tutorial's request/response application ([`tutorial_app`]).
//!
//! This layer imports nothing from the rest of the engine.

pub(super) mod codec;
pub(super) mod flat_header;
pub(super) mod frame;
pub(super) mod hex;
pub(super) mod profile;
pub(super) mod pyjson;
pub(super) mod source;
pub(super) mod template;
pub(super) mod text_encoding;
pub mod tutorial_app;
