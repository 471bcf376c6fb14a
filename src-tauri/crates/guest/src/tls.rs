//! How the app trusts a room over TLS: a room that made its own certificate is trusted by the
//! fingerprint its invite link carries, and by nothing else; any other room by the system's
//! certificate authorities, as a browser would (an organisation's own CA included, once it is
//! in the system's store).

use std::sync::{Arc, Mutex};

use room_protocol::crypto::{provider, system_roots, NoTrustedRoots};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, Error, SignatureScheme};

use crate::invite::Fingerprint;

/// The TLS set-up for one room, and what its certificate turned out to be when the pin did
/// not match (to say so, rather than "handshake failed").
pub struct RoomTls {
    pub config: Arc<ClientConfig>,
    mismatch: Arc<Mutex<Option<Fingerprint>>>,
}

impl RoomTls {
    pub fn new(pin: Option<Fingerprint>) -> Result<RoomTls, NoTrustedRoots> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .expect("ring supports the default protocol versions");
        let mismatch = Arc::default();
        let config = match pin {
            Some(pin) => {
                let algorithms = provider().signature_verification_algorithms;
                let verifier = Pinned { pin, algorithms, mismatch: Arc::clone(&mismatch) };
                builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
            }
            None => builder.with_root_certificates(system_roots()?).with_no_client_auth(),
        };
        Ok(RoomTls { config: Arc::new(config), mismatch })
    }

    /// The certificate the room showed instead of the pinned one, if that is why it failed.
    pub fn mismatch(&self) -> Option<Fingerprint> {
        *self.mismatch.lock().expect("not poisoned")
    }
}

/// Accepts exactly the certificate with the pinned fingerprint; the handshake's signatures are
/// still checked against it, so only the holder of its key can pass.
#[derive(Debug)]
struct Pinned {
    pin: Fingerprint,
    algorithms: WebPkiSupportedAlgorithms,
    mismatch: Arc<Mutex<Option<Fingerprint>>>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        let seen = Fingerprint(digest.as_ref().try_into().expect("SHA-256 is 32 bytes"));
        if seen == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        *self.mismatch.lock().expect("not poisoned") = Some(seen);
        Err(Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure))
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
