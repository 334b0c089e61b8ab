//! Reading PEM files: certificate chains, private keys and CA bundles, each
//! failure named with the file and what it should have held.

use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::TlsError;

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

fn bad_pem(what: &'static str, path: &Path, error: pem::Error) -> TlsError {
    TlsError::BadPem {
        what,
        path: path.to_owned(),
        detail: error.to_string(),
    }
}

/// Every certificate in a PEM file, in order (a chain: the leaf first).
pub(crate) fn certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| bad_pem(what, path, error))?;
    if certs.is_empty() {
        return Err(TlsError::NotPem {
            what,
            path: path.to_owned(),
            label: "CERTIFICATE",
        });
    }
    Ok(certs)
}

/// The first private key in a PEM file.
pub(crate) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read("key", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| match error {
        pem::Error::NoItemsFound => TlsError::NotPem {
            what: "key",
            path: path.to_owned(),
            label: "PRIVATE KEY",
        },
        error => bad_pem("key", path, error),
    })
}

/// A root store of every certificate in a CA file.
pub(crate) fn root_store(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates("CA", path)? {
        roots.add(cert).map_err(|error| TlsError::Rejected {
            what: format!("the CA file {}", path.display()),
            detail: error.to_string(),
        })?;
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_a_text_file_and_a_broken_block_are_each_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let error = certificates("certificate", &missing).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read the certificate file"),
            "{error}"
        );
        let text = dir.path().join("text.pem");
        std::fs::write(&text, "hello\n").unwrap();
        let error = certificates("certificate", &text).unwrap_err();
        assert!(error.to_string().contains("is not PEM"), "{error}");
        let error = private_key(&text).unwrap_err();
        assert!(error.to_string().contains("PRIVATE KEY"), "{error}");
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\n!!!!\n").unwrap();
        assert!(certificates("certificate", &broken).is_err());
    }
}
