//! The transport: reading frames from a socket with a read timeout
//! ([`reader`]), datagrams read whole and as one message each ([`datagram`]) and why a read failed ([`read_error`]), writing many buffers in few system calls ([`writer`]),
//! where to connect ([`target`]), what every connection enforces
//! ([`limits`], [`fdlimit`]) and TLS on both sides ([`tls`]).
//!
//! It builds on the protocol layer, and knows nothing of the journal.

pub(super) mod batch_udp;
pub(super) mod datagram;
pub(super) mod fdlimit;
pub(super) mod limits;
pub(super) mod read_error;
pub(super) mod reader;
pub(super) mod target;
pub mod tls;
pub(super) mod writer;
