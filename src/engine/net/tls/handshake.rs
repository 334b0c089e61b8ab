//! The handshake on either side, under a timeout: what was agreed (for the
//! journal's handshake record) or why it failed, in words a user can act on.

use std::time::Duration;

use bytes::Bytes;
use rustls::{AlertDescription, CertificateError};
use tokio::net::TcpStream;

use super::config::{ClientTlsContext, ServerTlsContext};
use super::error::TlsError;
use super::fingerprint::Fingerprint;
use super::stream::Stream;
use super::verify::PIN_MISMATCH;

/// The first byte of every TLS record that starts a handshake.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// Bytes of a plaintext peer's first words kept for its error row.
const PLAINTEXT_PEEK: usize = 64;

/// The peer's certificate, as a handshake record shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateInfo {
    /// Its subject's distinguished name.
    pub subject: String,
    /// Its issuer's distinguished name.
    pub issuer: String,
    /// Valid from.
    pub not_before: String,
    /// Valid until.
    pub not_after: String,
    /// The names it is valid for (subject alternative names).
    pub names: Vec<String>,
    /// The SHA-256 of its DER bytes.
    pub sha256: Fingerprint,
}

impl CertificateInfo {
    /// Reads a DER certificate; `None` when it does not parse.
    pub fn of(der: &[u8]) -> Option<Self> {
        use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .map(|name| match name {
                        GeneralName::DNSName(dns) => (*dns).to_owned(),
                        GeneralName::IPAddress(ip) => ip_text(ip),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.to_string(),
            not_after: cert.validity().not_after.to_string(),
            names,
            sha256: Fingerprint::of(der),
        })
    }
}

/// An IP address from a certificate's 4 or 16 bytes.
fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default()).to_string(),
        16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()).to_string(),
        _ => format!("{bytes:02x?}"),
    }
}

/// What one handshake agreed: the body of a handshake record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandshakeInfo {
    /// `TLSv1_3`, say.
    pub version: String,
    /// The cipher suite's name.
    pub cipher_suite: String,
    /// The protocol agreed by ALPN, if any.
    pub alpn: Option<String>,
    /// The server name the client sent (SNI), if any.
    pub sni: Option<String>,
    /// The peer's certificate (the leaf), if it sent one.
    pub peer_certificate: Option<CertificateInfo>,
}

impl HandshakeInfo {
    fn of(state: &rustls::CommonState, sni: Option<String>) -> Self {
        Self {
            version: state
                .protocol_version()
                .map_or_else(|| "?".to_owned(), |v| format!("{v:?}")),
            cipher_suite: state
                .negotiated_cipher_suite()
                .map_or_else(|| "?".to_owned(), |s| format!("{:?}", s.suite())),
            alpn: state
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            sni,
            peer_certificate: state
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|leaf| CertificateInfo::of(leaf)),
        }
    }

    /// One line: version, suite, ALPN, SNI, and the peer certificate's
    /// subject and fingerprint.
    pub fn summary(&self) -> String {
        let mut line = format!("TLS {} {}", self.version, self.cipher_suite);
        if let Some(alpn) = &self.alpn {
            line += &format!(", ALPN {alpn}");
        }
        if let Some(sni) = &self.sni {
            line += &format!(", SNI {sni}");
        }
        match &self.peer_certificate {
            Some(cert) => line += &format!(", peer {} (SHA-256 {})", cert.subject, cert.sha256),
            None => line += ", no peer certificate",
        }
        line
    }

    /// The record's bytes: this as JSON.
    pub fn to_bytes(&self) -> Bytes {
        serde_json::to_vec(self)
            .map(Bytes::from)
            .unwrap_or_default()
    }

    /// Reads a handshake record's bytes back.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

/// Why a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "reason", content = "detail")]
pub enum HandshakeFailure {
    /// The certificate is not signed by a trusted CA.
    #[error("unknown issuer: the certificate is not signed by a trusted CA")]
    UnknownIssuer,
    /// The certificate is not valid for the name asked for.
    #[error("name mismatch: {0}")]
    NameMismatch(String),
    /// The certificate has expired.
    #[error("certificate expired: {0}")]
    Expired(String),
    /// The certificate is not valid yet.
    #[error("certificate not valid yet: {0}")]
    NotValidYet(String),
    /// Another fault in the certificate.
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    /// The certificate is not the one pinned.
    #[error("{0}")]
    PinMismatch(String),
    /// The peer refused this side's certificate (an alert from it).
    #[error("the peer refused the certificate: {0}")]
    CertificateRefused(String),
    /// The server wants a client certificate and none was sent.
    #[error("client certificate required: {0}")]
    ClientCertificateRequired(String),
    /// The two sides share no version, cipher suite or key exchange.
    #[error("no shared cipher suite or version: {0}")]
    NoSharedCipher(String),
    /// Plaintext arrived at the TLS server.
    #[error("plaintext spoken to a TLS port: the first bytes were {0}")]
    PlaintextToTls(String),
    /// The server answered the client's TLS with something that is not TLS.
    #[error("TLS spoken to a plaintext port: {0}")]
    TlsToPlaintext(String),
    /// The peer sent bytes that break the TLS protocol.
    #[error("not TLS: {0}")]
    Garbage(String),
    /// The peer closed the connection during the handshake.
    #[error("the peer closed the connection during the handshake{0}")]
    Closed(String),
    /// The handshake did not finish in time.
    #[error("no handshake within {0} ms")]
    TimedOut(u64),
    /// The settings could not be used for this target (a bad server name).
    #[error("{0}")]
    Settings(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// Which side framescope is on, for wording failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Client,
    Server,
}

fn from_rustls(error: &rustls::Error, role: Role) -> HandshakeFailure {
    use HandshakeFailure as F;
    use rustls::Error as E;
    let text = error.to_string();
    match error {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => F::UnknownIssuer,
        E::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => F::NameMismatch(text),
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => F::Expired(text),
        E::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => F::NotValidYet(text),
        E::InvalidCertificate(_) => F::BadCertificate(text),
        E::General(message) if message.starts_with(PIN_MISMATCH) => F::PinMismatch(text),
        E::NoCertificatesPresented => F::ClientCertificateRequired(text),
        E::AlertReceived(AlertDescription::CertificateRequired) => {
            F::ClientCertificateRequired(text)
        }
        E::AlertReceived(
            AlertDescription::UnknownCA
            | AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::DecryptError,
        ) => F::CertificateRefused(text),
        E::AlertReceived(
            AlertDescription::HandshakeFailure
            | AlertDescription::ProtocolVersion
            | AlertDescription::InsufficientSecurity,
        )
        | E::PeerIncompatible(_) => F::NoSharedCipher(text),
        E::InvalidMessage(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => match role {
            Role::Client => F::TlsToPlaintext(format!("the answer is not TLS ({text})")),
            Role::Server => F::Garbage(text),
        },
        _ => F::Other(text),
    }
}

/// Reads an I/O error from a handshake: rustls's own error inside, or the
/// socket's.
fn from_io(error: &std::io::Error, role: Role) -> HandshakeFailure {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return from_rustls(tls, role);
    }
    match (error.kind(), role) {
        (std::io::ErrorKind::UnexpectedEof, Role::Client) => HandshakeFailure::Closed(
            " (a plaintext port, or a server that refused the hello)".into(),
        ),
        (std::io::ErrorKind::UnexpectedEof, Role::Server) => {
            HandshakeFailure::Closed(String::new())
        }
        _ => HandshakeFailure::Other(error.to_string()),
    }
}

fn timed_out(timeout: Duration) -> HandshakeFailure {
    HandshakeFailure::TimedOut(timeout.as_millis() as u64)
}

/// A handshake that failed: why, and what arrived of a plaintext peer's
/// first words (empty otherwise), for the error row.
pub type Failed = (HandshakeFailure, Bytes);

/// Accepts a TLS client on `tcp`, within the handshake timeout. Plaintext
/// (a first byte that cannot start a TLS handshake) fails at once, named.
pub(crate) async fn accept(
    context: &ServerTlsContext,
    tcp: TcpStream,
) -> Result<(Stream, HandshakeInfo), Failed> {
    let timeout = context.handshake_timeout;
    let handshake = async {
        let mut first = [0; PLAINTEXT_PEEK];
        let peeked = tcp
            .peek(&mut first)
            .await
            .map_err(|e| (from_io(&e, Role::Server), Bytes::new()))?;
        if peeked == 0 {
            return Err((HandshakeFailure::Closed(String::new()), Bytes::new()));
        }
        if first[0] != TLS_HANDSHAKE_RECORD {
            let seen = Bytes::copy_from_slice(&first[..peeked]);
            return Err((HandshakeFailure::PlaintextToTls(quote(&seen)), seen));
        }
        let tls = context
            .acceptor
            .accept(tcp)
            .await
            .map_err(|e| (from_io(&e, Role::Server), Bytes::new()))?;
        let connection = tls.get_ref().1;
        let sni = connection.server_name().map(str::to_owned);
        let info = HandshakeInfo::of(connection, sni);
        Ok((Stream::Server(Box::new(tls)), info))
    };
    tokio::time::timeout(timeout, handshake)
        .await
        .unwrap_or_else(|_| Err((timed_out(timeout), Bytes::new())))
}

/// Connects TLS over `tcp` to a target whose host is `host`, within the
/// handshake timeout.
pub(crate) async fn connect(
    context: &ClientTlsContext,
    tcp: TcpStream,
    host: &str,
) -> Result<(Stream, HandshakeInfo), HandshakeFailure> {
    let name = context
        .server_name(host)
        .map_err(|e: TlsError| HandshakeFailure::Settings(e.to_string()))?;
    let sni = match &name {
        rustls::pki_types::ServerName::DnsName(dns) => Some(dns.as_ref().to_owned()),
        _ => None,
    };
    let timeout = context.handshake_timeout;
    let handshake = async {
        let tls = context
            .connector
            .connect(name, tcp)
            .await
            .map_err(|e| from_io(&e, Role::Client))?;
        let info = HandshakeInfo::of(tls.get_ref().1, sni);
        Ok((Stream::Client(Box::new(tls)), info))
    };
    tokio::time::timeout(timeout, handshake)
        .await
        .unwrap_or_else(|_| Err(timed_out(timeout)))
}

/// A few bytes as a reader would quote them: text when they are text.
fn quote(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(16)];
    match std::str::from_utf8(shown) {
        Ok(text)
            if text
                .chars()
                .all(|c| !c.is_control() || c == '\n' || c == '\r') =>
        {
            format!("{text:?}")
        }
        _ => format!("{shown:02x?}"),
    }
}
