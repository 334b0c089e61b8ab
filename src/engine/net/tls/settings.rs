//! What a user asks of TLS, on either side: plain data, saved with the
//! window's settings and built into rustls configurations by `config`.

use std::path::PathBuf;
use std::time::Duration;

use super::fingerprint::Fingerprint;

/// How long a TLS handshake may take, by default, before the connection fails.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The oldest TLS version a side accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MinVersion {
    /// TLS 1.2 and 1.3.
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

impl MinVersion {
    /// Both choices, for pickers.
    pub const ALL: [MinVersion; 2] = [MinVersion::Tls12, MinVersion::Tls13];

    /// The version's name: `1.2` or `1.3`.
    pub fn name(self) -> &'static str {
        match self {
            MinVersion::Tls12 => "1.2",
            MinVersion::Tls13 => "1.3",
        }
    }
}

impl std::str::FromStr for MinVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim_start_matches("tls").trim_start_matches("TLS") {
            "1.2" | "12" => Ok(MinVersion::Tls12),
            "1.3" | "13" => Ok(MinVersion::Tls13),
            _ => Err(format!("unknown TLS version \"{text}\": use 1.2 or 1.3")),
        }
    }
}

/// A certificate chain and its private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerCertificate {
    /// Made at start, self-signed, for the listen address (and `localhost`).
    #[default]
    Generated,
    /// Read from PEM files.
    Files(Identity),
}

/// The embedded server's TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ServerTls {
    /// Its certificate.
    pub certificate: ServerCertificate,
    /// When set, clients must present a certificate issued by one of these
    /// CAs (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// ALPN protocols offered, most preferred first; empty offers none.
    pub alpn: Vec<String>,
    /// The oldest version accepted.
    pub min_version: MinVersion,
    /// How long a client may take over the handshake (one that stops
    /// halfway costs its connection, not a task forever).
    #[serde(with = "seconds")]
    pub handshake_timeout: Duration,
}

impl Default for ServerTls {
    fn default() -> Self {
        Self {
            certificate: ServerCertificate::default(),
            client_ca: None,
            alpn: Vec::new(),
            min_version: MinVersion::default(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }
}

/// How a client decides to trust the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    /// The operating system's trusted roots.
    #[default]
    System,
    /// The CAs in this PEM file.
    CaFile(PathBuf),
    /// Exactly the certificate with this SHA-256 fingerprint (names and
    /// dates are not checked: the pin is the trust).
    Pin(Fingerprint),
    /// Any certificate at all: encrypted, but not authenticated.
    Insecure,
}

impl Verification {
    /// Whether any certificate is accepted (and a warning is due).
    pub fn is_insecure(&self) -> bool {
        matches!(self, Verification::Insecure)
    }
}

/// The client pool's (and a load run's) TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ClientTls {
    /// How the server's certificate is checked.
    pub verification: Verification,
    /// The server name sent (SNI) and checked; `None` uses the target's host.
    pub sni: Option<String>,
    /// A client certificate, for servers that ask for one.
    pub identity: Option<Identity>,
    /// ALPN protocols offered, most preferred first.
    pub alpn: Vec<String>,
    /// How long the handshake may take.
    #[serde(with = "seconds")]
    pub handshake_timeout: Duration,
}

impl Default for ClientTls {
    fn default() -> Self {
        Self {
            verification: Verification::default(),
            sni: None,
            identity: None,
            alpn: Vec::new(),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }
}

/// A duration as a number of seconds, for settings files.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
