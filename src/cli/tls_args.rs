//! The TLS flags of `serve`, and of `send` and `load` (the client's), and
//! the settings they stand for.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::engine::tls::{
    ClientTls, DEFAULT_HANDSHAKE_TIMEOUT, Fingerprint, Identity, MinVersion, ServerCertificate,
    ServerTls, Verification,
};

/// The server's TLS flags.
#[derive(Debug, Clone, Args)]
pub struct ServerTlsArgs {
    /// Serve TLS; without --cert and --key, a self-signed certificate is
    /// generated for the listen address and its SHA-256 printed.
    #[arg(long)]
    pub tls: bool,
    /// The certificate chain (PEM), leaf first.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Ask clients for a certificate issued by a CA in this PEM file (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub client_ca: Option<PathBuf>,
    /// An ALPN protocol to offer (repeat for more, most preferred first).
    #[arg(long, value_name = "PROTO", requires = "tls")]
    pub alpn: Vec<String>,
    /// The oldest TLS version accepted: 1.2 or 1.3.
    #[arg(long, value_name = "VERSION", default_value = "1.2", requires = "tls")]
    pub min_tls: MinVersion,
    /// Seconds a client may take over the TLS handshake.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::parse_seconds)]
    pub handshake_timeout: Duration,
}

impl ServerTlsArgs {
    /// The settings asked for; `None` without `--tls`.
    pub fn settings(&self) -> Option<ServerTls> {
        self.tls.then(|| ServerTls {
            certificate: match (&self.cert, &self.key) {
                (Some(cert), Some(key)) => ServerCertificate::Files(Identity {
                    cert: cert.clone(),
                    key: key.clone(),
                }),
                _ => ServerCertificate::Generated,
            },
            client_ca: self.client_ca.clone(),
            alpn: self.alpn.clone(),
            min_version: self.min_tls,
            handshake_timeout: self.handshake_timeout,
        })
    }
}

/// A client's TLS flags.
#[derive(Debug, Clone, Args)]
pub struct ClientTlsArgs {
    /// Speak TLS; the server's certificate is checked against the system's
    /// trusted roots unless --ca, --pin or --insecure says otherwise.
    #[arg(long)]
    pub tls: bool,
    /// Trust the CAs in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE", requires = "tls", conflicts_with_all = ["pin", "insecure"])]
    pub ca: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint.
    #[arg(
        long,
        value_name = "SHA256",
        requires = "tls",
        conflicts_with = "insecure"
    )]
    pub pin: Option<Fingerprint>,
    /// Accept any certificate: encrypted, but not authenticated.
    #[arg(long, requires = "tls")]
    pub insecure: bool,
    /// The server name to send and check (SNI); the target's host by default.
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub sni: Option<String>,
    /// A client certificate chain (PEM), for servers that ask for one.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// An ALPN protocol to offer (repeat for more, most preferred first).
    #[arg(long, value_name = "PROTO", requires = "tls")]
    pub alpn: Vec<String>,
    /// Seconds the TLS handshake may take.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = super::parse_seconds)]
    pub handshake_timeout: Duration,
}

impl ClientTlsArgs {
    /// The settings asked for; `None` without `--tls`. Warns on standard
    /// error when any certificate is accepted.
    pub fn settings(&self) -> Option<ClientTls> {
        if !self.tls {
            return None;
        }
        let verification = match (&self.ca, self.pin, self.insecure) {
            (Some(ca), _, _) => Verification::CaFile(ca.clone()),
            (_, Some(pin), _) => Verification::Pin(pin),
            (_, _, true) => Verification::Insecure,
            _ => Verification::System,
        };
        if verification.is_insecure() {
            eprintln!(
                "warning: --insecure: any server certificate is accepted; the connection is encrypted but not authenticated"
            );
        }
        Some(ClientTls {
            verification,
            sni: self.sni.clone(),
            identity: match (&self.cert, &self.key) {
                (Some(cert), Some(key)) => Some(Identity {
                    cert: cert.clone(),
                    key: key.clone(),
                }),
                _ => None,
            },
            alpn: self.alpn.clone(),
            handshake_timeout: if self.handshake_timeout.is_zero() {
                DEFAULT_HANDSHAKE_TIMEOUT
            } else {
                self.handshake_timeout
            },
        })
    }
}
