//! Why a TLS configuration could not be built: one clear message, given
//! before anything listens or connects.

use std::path::PathBuf;

/// Why TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read (missing, or not readable).
    #[error("cannot read the {what} file {}: {source}", .path.display())]
    Read {
        /// What the file should hold: "certificate", "key" or "CA".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file holds no PEM item of the kind wanted.
    #[error("the {what} file {} is not PEM: it holds no \"-----BEGIN {label}\" block", .path.display())]
    NotPem {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The PEM label looked for.
        label: &'static str,
    },
    /// The file has PEM blocks that do not decode.
    #[error("the {what} file {} is not valid PEM: {detail}", .path.display())]
    BadPem {
        /// What the file should hold.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The private key is not the certificate's.
    #[error("the key {} does not match the certificate {}", .key.display(), .cert.display())]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the certificate, key or CA (an unsupported key type, say).
    #[error("{what}: {detail}")]
    Rejected {
        /// What was refused.
        what: String,
        /// rustls's words.
        detail: String,
    },
    /// The self-signed certificate could not be made.
    #[error("cannot generate a certificate: {0}")]
    Generate(String),
    /// The system's trusted roots could not be read, or there are none.
    #[error("no trusted roots found on this system ({0}): use --ca FILE or --pin SHA256")]
    NoSystemRoots(String),
    /// The server name is not a DNS name or an IP address.
    #[error("\"{0}\" is not a server name (SNI): use a DNS name or an IP address")]
    BadServerName(String),
}
