//! What rules files and scenario files share: judging a frame
//! ([`predicate`]), a send with variables in it ([`send`]), a value
//! captured from a frame ([`capture`]), a time as written ([`duration`]),
//! what is wrong at a place in the file ([`problem`]), and the profile a
//! file names ([`profile_ref`]).
//!
//! Both are TOML read with serde and compiled before anything connects;
//! scenarios add steps and connections, rules add the server's answers.

pub(super) mod capture;
pub(super) mod duration;
pub(super) mod predicate;
pub(super) mod problem;
pub(super) mod profile_ref;
pub(super) mod send;
