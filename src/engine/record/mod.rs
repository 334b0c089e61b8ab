//! What is kept of the traffic: the words every record uses
//! ([`vocabulary`]), the bounded journal of records ([`journal`]) and the
//! counters, rates and latency histogram ([`stats`]).

pub(super) mod journal;
pub(super) mod stats;
pub(super) mod vocabulary;
