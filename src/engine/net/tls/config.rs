//! Builds rustls configurations from the settings: the server's acceptor
//! (with its certificate, generated or read) and the client's connector.
//! Every file is read here, so a bad one is one message before anything
//! listens or connects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, KeyLogFile, RootCertStore, ServerConfig, SupportedProtocolVersion};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::error::TlsError;
use super::fingerprint::Fingerprint;
use super::pem;
use super::settings::{
    ClientTls, DEFAULT_HANDSHAKE_TIMEOUT, Identity, MinVersion, ServerCertificate, ServerTls,
    Verification,
};
use super::verify::PinOrAny;

/// The crypto provider: ring (see Cargo.toml for why).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// TLS 1.3 alone.
static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];

fn versions(min: MinVersion) -> &'static [&'static SupportedProtocolVersion] {
    match min {
        MinVersion::Tls12 => rustls::ALL_VERSIONS,
        MinVersion::Tls13 => &TLS13_ONLY,
    }
}

fn rejected(what: impl Into<String>) -> impl FnOnce(rustls::Error) -> TlsError {
    let what = what.into();
    move |error| TlsError::Rejected {
        what,
        detail: error.to_string(),
    }
}

/// The server's TLS, ready to accept.
#[derive(Clone)]
pub struct ServerTlsContext {
    pub(crate) acceptor: TlsAcceptor,
    fingerprint: Fingerprint,
    generated: bool,
    pub(crate) handshake_timeout: Duration,
}

impl std::fmt::Debug for ServerTlsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTlsContext")
            .field("fingerprint", &self.fingerprint)
            .field("generated", &self.generated)
            .finish_non_exhaustive()
    }
}

impl ServerTlsContext {
    /// The SHA-256 fingerprint of the server's certificate (the leaf).
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Whether the certificate was generated at start.
    pub fn generated(&self) -> bool {
        self.generated
    }
}

/// The names a generated certificate is valid for: the listen address
/// (both loopbacks when it listens everywhere) and `localhost`.
fn generated_names(listen: SocketAddr) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    let ip = listen.ip();
    if ip.is_unspecified() {
        names.push(IpAddr::V4(Ipv4Addr::LOCALHOST).to_string());
        names.push(IpAddr::V6(Ipv6Addr::LOCALHOST).to_string());
    } else {
        names.push(ip.to_string());
    }
    names
}

/// A self-signed certificate and its key for `listen`.
pub fn generate_certificate(
    listen: SocketAddr,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let certified = rcgen::generate_simple_self_signed(generated_names(listen))
        .map_err(|error| TlsError::Generate(error.to_string()))?;
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    Ok((certified.cert.der().clone(), key.into()))
}

/// A certificate chain and key from PEM files, checked to belong together.
fn identity(
    identity: &Identity,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let chain = pem::certificates("certificate", &identity.cert)?;
    let key = pem::private_key(&identity.key)?;
    let provider = provider();
    match rustls::sign::CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider) {
        Ok(_) => Ok((chain, key)),
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::KeyMismatch {
            cert: identity.cert.clone(),
            key: identity.key.clone(),
        }),
        Err(error) => Err(rejected(format!(
            "the key {} cannot be used",
            identity.key.display()
        ))(error)),
    }
}

impl ServerTls {
    /// Reads or generates the certificate and builds the acceptor for a
    /// server listening on `listen`.
    pub fn build(&self, listen: SocketAddr) -> Result<ServerTlsContext, TlsError> {
        let provider = provider();
        let (chain, key, generated) = match &self.certificate {
            ServerCertificate::Generated => {
                let (cert, key) = generate_certificate(listen)?;
                (vec![cert], key, true)
            }
            ServerCertificate::Files(files) => {
                let (chain, key) = identity(files)?;
                (chain, key, false)
            }
        };
        let fingerprint = Fingerprint::of(&chain[0]);
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions(self.min_version))
            .map_err(rejected("TLS versions"))?;
        let builder = match &self.client_ca {
            Some(path) => {
                let roots = Arc::new(pem::root_store(path)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|error| TlsError::Rejected {
                        what: format!("the client CA file {}", path.display()),
                        detail: error.to_string(),
                    })?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(rejected("the server certificate"))?;
        config.alpn_protocols = self.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        config.key_log = Arc::new(KeyLogFile::new());
        Ok(ServerTlsContext {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            fingerprint,
            generated,
            handshake_timeout: if self.handshake_timeout.is_zero() {
                DEFAULT_HANDSHAKE_TIMEOUT
            } else {
                self.handshake_timeout
            },
        })
    }
}

/// The client's TLS, ready to connect.
#[derive(Clone)]
pub struct ClientTlsContext {
    pub(crate) connector: TlsConnector,
    sni: Option<ServerName<'static>>,
    pub(crate) handshake_timeout: Duration,
    insecure: bool,
}

impl std::fmt::Debug for ClientTlsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTlsContext")
            .field("sni", &self.sni)
            .field("insecure", &self.insecure)
            .finish_non_exhaustive()
    }
}

impl ClientTlsContext {
    /// The server name to send to a target whose host is `host`: the one
    /// set, or the host itself.
    pub fn server_name(&self, host: &str) -> Result<ServerName<'static>, TlsError> {
        match &self.sni {
            Some(name) => Ok(name.clone()),
            None => server_name(host),
        }
    }

    /// Whether any certificate is accepted.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }
}

fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(name.to_owned()).map_err(|_| TlsError::BadServerName(name.to_owned()))
}

/// The operating system's trusted roots.
fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "the store is empty".to_owned(), ToString::to_string);
        return Err(TlsError::NoSystemRoots(why));
    }
    Ok(roots)
}

impl ClientTls {
    /// Reads every file named and builds the connector.
    pub fn build(&self) -> Result<ClientTlsContext, TlsError> {
        let provider = provider();
        let sni = self.sni.as_deref().map(server_name).transpose()?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .map_err(rejected("TLS versions"))?;
        let builder = match &self.verification {
            Verification::System | Verification::CaFile(_) => {
                let roots = match &self.verification {
                    Verification::CaFile(path) => pem::root_store(path)?,
                    _ => system_roots()?,
                };
                let verifier =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|error| TlsError::Rejected {
                            what: "the trusted roots".into(),
                            detail: error.to_string(),
                        })?;
                builder.with_webpki_verifier(verifier)
            }
            Verification::Pin(pin) => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(PinOrAny {
                        pin: Some(*pin),
                        algorithms: provider.signature_verification_algorithms,
                    }))
            }
            Verification::Insecure => {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(PinOrAny {
                        pin: None,
                        algorithms: provider.signature_verification_algorithms,
                    }))
            }
        };
        let mut config = match &self.identity {
            Some(files) => {
                let (chain, key) = identity(files)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(rejected("the client certificate"))?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        config.key_log = Arc::new(KeyLogFile::new());
        Ok(ClientTlsContext {
            connector: TlsConnector::from(Arc::new(config)),
            sni,
            handshake_timeout: self.handshake_timeout,
            insecure: self.verification.is_insecure(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_names_the_listen_address_and_localhost() {
        assert_eq!(
            generated_names("127.0.0.1:0".parse().unwrap()),
            ["localhost", "127.0.0.1"]
        );
        assert_eq!(
            generated_names("0.0.0.0:0".parse().unwrap()),
            ["localhost", "127.0.0.1", "::1"]
        );
        let context = ServerTls::default()
            .build("127.0.0.1:0".parse().unwrap())
            .unwrap();
        assert!(context.generated());
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let one = rcgen::generate_simple_self_signed(vec!["a".to_owned()]).unwrap();
        let two = rcgen::generate_simple_self_signed(vec!["b".to_owned()]).unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, one.cert.pem()).unwrap();
        std::fs::write(&key, two.signing_key.serialize_pem()).unwrap();
        let settings = ServerTls {
            certificate: ServerCertificate::Files(Identity {
                cert: cert.clone(),
                key: key.clone(),
            }),
            ..ServerTls::default()
        };
        let error = settings.build(listen).unwrap_err();
        assert!(matches!(error, TlsError::KeyMismatch { .. }), "{error}");
        std::fs::write(&key, one.signing_key.serialize_pem()).unwrap();
        let context = settings.build(listen).unwrap();
        assert_eq!(context.fingerprint(), Fingerprint::of(one.cert.der()));
    }
}
