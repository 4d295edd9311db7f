//! TLS for the watch-list service and its client: rustls with the ring
//! provider, certificates and keys in PEM, client certificates required.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::fail::{Failure, Outcome};
use crate::files;

/// Longest client id taken from a certificate.
pub(crate) const MAX_CLIENT_ID: usize = 128;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(path: &Path) -> Outcome<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Failure::input(format!(
            "{}: no PEM certificate in the file",
            path.display()
        )));
    }
    Ok(certs)
}

/// A private key in PEM: a secret at rest, so refused when others can read it.
fn private_key(path: &Path) -> Outcome<PrivateKeyDer<'static>> {
    let pem = files::read_secret(path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        Failure::input(format!(
            "{}: not a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}",
            path.display()
        ))
    })
}

fn roots(path: &Path) -> Outcome<Arc<RootCertStore>> {
    let mut roots = RootCertStore::empty();
    for cert in certificates(path)? {
        roots
            .add(cert)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    }
    Ok(Arc::new(roots))
}

fn tls_failure(what: &Path, e: &rustls::Error) -> Failure {
    Failure::input(format!("{}: {e}", what.display()))
}

/// The server's TLS, and the verifier of its client certificates, which
/// also checks the certificates of open connections after a reload.
#[derive(Debug, Clone)]
pub(crate) struct ServerTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    pub(crate) verifier: Arc<dyn rustls::server::danger::ClientCertVerifier>,
}

impl ServerTls {
    /// Whether a client's chain (leaf first), verified at its handshake,
    /// is still trusted: issued by the client CA and not revoked.
    pub(crate) fn still_trusts(&self, chain: &[CertificateDer<'static>]) -> bool {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return false;
        };
        self.verifier
            .verify_client_cert(leaf, intermediates, rustls_pki_types::UnixTime::now())
            .is_ok()
    }
}

/// The server's TLS: its certificate chain and key, and a verifier that
/// requires a client certificate issued by `client_ca` (and not revoked by
/// any of `crls`).
pub(crate) fn server_config(
    cert: &Path,
    key: &Path,
    client_ca: &Path,
    crls: &[std::path::PathBuf],
) -> Outcome<ServerTls> {
    let provider = provider();
    let mut revoked = Vec::new();
    for path in crls {
        let list = CertificateRevocationListDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        revoked.extend(list);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(client_ca)?, provider.clone())
        .with_crls(revoked)
        .build()
        .map_err(|e| Failure::input(format!("{}: {e}", client_ca.display())))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_failure(cert, &e))?
        .with_client_cert_verifier(verifier.clone())
        .with_single_cert(certificates(cert)?, private_key(key)?)
        .map_err(|e| tls_failure(key, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(ServerTls {
        config: Arc::new(config),
        verifier,
    })
}

/// The client's TLS: trusts only `ca` for the server, and presents `cert`.
pub(crate) fn client_config(
    cert: &Path,
    key: &Path,
    ca: &Path,
) -> Outcome<Arc<rustls::ClientConfig>> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_failure(cert, &e))?
        .with_root_certificates(roots(ca)?)
        .with_client_auth_cert(certificates(cert)?, private_key(key)?)
        .map_err(|e| {
            let hint = if format!("{e:?}").contains("UnsupportedCertVersion") {
                " (an X.509 v1 certificate: issue it as v3, e.g. `openssl x509 -req ... -extfile` with `extendedKeyUsage=clientAuth`; see the guide, \"The watch-list service\")"
            } else {
                ""
            };
            Failure::input(format!("{} with {}: {e}{hint}", cert.display(), key.display()))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The client id of a verified client certificate: its subject common
/// name (what budgets and the ledger name the client). Refused when the
/// certificate has none, or one that is empty, too long or has control
/// characters.
pub(crate) fn client_id(cert: &CertificateDer<'_>) -> Result<String, &'static str> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref())
        .map_err(|_| "the client certificate does not parse")?;
    let mut names = parsed.subject().iter_common_name();
    let name = names
        .next()
        .ok_or("the client certificate has no subject common name")?
        .as_str()
        .map_err(|_| "the client certificate's common name is not a string")?;
    if names.next().is_some() {
        return Err("the client certificate has more than one common name");
    }
    if name.is_empty() || name.len() > MAX_CLIENT_ID || name.chars().any(char::is_control) {
        return Err(
            "the client certificate's common name is empty, longer than 128 bytes, or has control characters",
        );
    }
    Ok(name.to_owned())
}
