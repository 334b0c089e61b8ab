//! TLS on both sides, with rustls (the ring provider): settings, the
//! configurations built from them, the handshake and what it agreed, and a
//! stream type that is plain TCP or TLS alike.
//!
//! `settings` is plain data; `config` reads every file and builds rustls's
//! configurations (so a bad file is one message before anything listens or
//! connects); `handshake` runs one under a timeout and says what it agreed
//! or why it failed; `stream` is what the server, the client pool and the
//! load generator read and write. `SSLKEYLOGFILE` is honoured on both sides.

mod config;
mod error;
mod fingerprint;
mod handshake;
mod pem;
mod settings;
mod stream;
mod verify;

pub(crate) use config::{ClientTlsContext, ServerTlsContext};
pub use error::TlsError;
pub use fingerprint::Fingerprint;
pub use handshake::{CertificateInfo, Failed, HandshakeFailure, HandshakeInfo};
pub(crate) use handshake::{accept, connect};
pub use settings::{
    ClientTls, DEFAULT_HANDSHAKE_TIMEOUT, Identity, MinVersion, ServerCertificate, ServerTls,
    Verification,
};
pub use stream::Stream;
pub(crate) use stream::{ReadHalf, WriteHalf, unsplit};
