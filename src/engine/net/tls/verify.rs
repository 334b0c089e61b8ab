//! Server certificate checks that are not a CA's: a pinned fingerprint, or
//! none at all. Either way the handshake's signatures are still verified,
//! so the peer must hold the certificate's key.

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{Error, SignatureScheme};

use super::fingerprint::Fingerprint;

/// Prefix of the error a pin mismatch gives, so it can be told apart.
pub(crate) const PIN_MISMATCH: &str = "pinned fingerprint mismatch";

/// Accepts the server certificate whose SHA-256 is `pin`, or any when
/// `pin` is `None`.
#[derive(Debug)]
pub(crate) struct PinOrAny {
    pub(crate) pin: Option<Fingerprint>,
    pub(crate) algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinOrAny {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let Some(pin) = self.pin else {
            return Ok(ServerCertVerified::assertion());
        };
        let got = Fingerprint::of(end_entity);
        if got == pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(Error::General(format!(
                "{PIN_MISMATCH}: the server's certificate is {got}, the pin {pin}"
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
