//! The TLS both ends of a room use: ring for the crypto, and the system's certificate
//! authorities for a room (or an ACME authority) whose certificate one of them vouches for.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::RootCertStore;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this system trusts no root certificate: install ca-certificates")]
pub struct NoTrustedRoots;

/// ring, as webrtc-rs uses: the room's listener, its ACME client and the app joining as a
/// guest all name it, since two providers are compiled in and rustls will not guess.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate authorities this system trusts.
pub fn system_roots() -> Result<RootCertStore, NoTrustedRoots> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        log::debug!("reading the system's root certificates: {error}");
    }
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(NoTrustedRoots);
    }
    Ok(roots)
}
