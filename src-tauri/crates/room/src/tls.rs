//! The room's certificate, for every room that other computers reach: where it comes from
//! (one made by this installation and kept, so its fingerprint stays the same; files the
//! host names, picked up again when they are renewed; or ACME, in `acme`), how it is
//! checked before it is used, and the resolver the TLS listener asks for it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use room_protocol::crypto::{provider, NoTrustedRoots};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

/// Where a room reachable from other computers gets its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateSource {
    /// Made once and kept in this folder (browsers warn about it: nobody vouches for it).
    SelfSigned { dir: PathBuf },
    /// PEM files (a chain and its key), read again when they change.
    Files { cert: PathBuf, key: PathBuf },
    /// Obtained and renewed over ACME (TLS-ALPN-01).
    Acme(crate::acme::AcmeSettings),
}

/// How often named certificate files are looked at for a renewal.
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);
/// A self-signed certificate is made to last this long, so its fingerprint stays put.
const SELF_SIGNED_DAYS: i64 = 3650;
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the certificate file {} could not be read: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{} holds no PEM private key", path.display())]
    NoKey { path: PathBuf },
    #[error("the certificate in {} is not a valid X.509 certificate", path.display())]
    Unparsable { path: PathBuf },
    #[error("the certificate in {} expired on {date}: renew it and the room picks the new one up", path.display())]
    Expired { path: PathBuf, date: String },
    #[error("the certificate in {} is not valid before {date}: check this computer's clock", path.display())]
    NotYetValid { path: PathBuf, date: String },
    #[error("the key in {} does not belong to the certificate in {}", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("the key in {} cannot be used: {reason}", path.display())]
    BadKey { path: PathBuf, reason: String },
    #[error("a certificate for the room could not be made: {0}")]
    Generate(String),
    #[error("the ACME authority cannot be checked: {0}")]
    NoTrustedRoots(#[from] NoTrustedRoots),
    #[error("the room's certificate could not be kept in {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// A checked certificate with its key, ready to serve.
#[derive(Clone)]
pub struct Certificate {
    pub key: Arc<CertifiedKey>,
    /// SHA-256 of the leaf certificate, as browsers show it (`AB:CD:…`).
    pub fingerprint: String,
    /// The DNS names and IP addresses it is for, in the order it lists them.
    pub names: Vec<String>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate").field("fingerprint", &self.fingerprint).field("names", &self.names).finish()
    }
}

/// Reads and checks a PEM certificate chain and its key: readable, in date, and a matching pair.
pub fn load_files(cert: &Path, key: &Path, now: SystemTime) -> Result<Certificate, TlsError> {
    let cert_pem = std::fs::read(cert).map_err(|source| TlsError::Read { path: cert.into(), source })?;
    let key_pem = std::fs::read(key).map_err(|source| TlsError::Read { path: key.into(), source })?;
    certificate_from_pem(&cert_pem, &key_pem, cert, key, now)
}

fn certificate_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert: &Path,
    key: &Path,
    now: SystemTime,
) -> Result<Certificate, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem).filter_map(Result::ok).collect();
    let leaf = chain.first().ok_or_else(|| TlsError::NoCertificate { path: cert.into() })?;
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| TlsError::NoKey { path: key.into() })?;
    let (names, fingerprint) = inspect(leaf, cert, now)?;
    let signing = provider()
        .key_provider
        .load_private_key(private)
        .map_err(|err| TlsError::BadKey { path: key.into(), reason: err.to_string() })?;
    let certified = CertifiedKey::new(chain, signing);
    // `Unknown` means rustls could not tell for this key type; only a proven mismatch is refused.
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) = certified.keys_match() {
        return Err(TlsError::Mismatch { cert: cert.into(), key: key.into() });
    }
    Ok(Certificate { key: Arc::new(certified), fingerprint, names })
}

/// The leaf's names and fingerprint, after checking that it is in date.
fn inspect(leaf: &CertificateDer<'_>, path: &Path, now: SystemTime) -> Result<(Vec<String>, String), TlsError> {
    let (_, parsed) =
        x509_parser::parse_x509_certificate(leaf.as_ref()).map_err(|_| TlsError::Unparsable { path: path.into() })?;
    let now = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let validity = parsed.validity();
    if now > validity.not_after.timestamp() {
        return Err(TlsError::Expired { path: path.into(), date: validity.not_after.to_string() });
    }
    if now < validity.not_before.timestamp() {
        return Err(TlsError::NotYetValid { path: path.into(), date: validity.not_before.to_string() });
    }
    let mut names = Vec::new();
    if let Ok(Some(san)) = parsed.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => names.push(dns.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        names.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    Ok((names, fingerprint(leaf.as_ref())))
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

/// SHA-256 of a DER certificate as colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let digest = digest.as_ref();
    let mut text = String::with_capacity(digest.len() * 3);
    for (i, byte) in digest.iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        let _ = write!(text, "{byte:02X}");
    }
    text
}

/// This installation's own certificate: the one kept in `dir`, or a new one for `names`
/// (kept there, readable only by this user) when there is none or it cannot be used.
/// A kept one that cannot be used is moved aside, never overwritten.
pub fn self_signed(dir: &Path, names: &[String], now: SystemTime) -> Result<Certificate, TlsError> {
    let (cert, key) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert.exists() || key.exists() {
        match load_files(&cert, &key, now) {
            Ok(kept) => return Ok(kept),
            Err(err) => {
                log::warn!("the room's kept certificate cannot be used ({err}); making a new one");
                let stamp = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
                for path in [&cert, &key] {
                    if path.exists() {
                        let aside = path.with_extension(format!("unusable-{stamp}.pem"));
                        std::fs::rename(path, &aside).map_err(|source| TlsError::Write { path: aside, source })?;
                    }
                }
            }
        }
    }
    let (cert_pem, key_pem) = generate(names, now)?;
    private_files::dir(dir).map_err(|source| TlsError::Write { path: dir.into(), source })?;
    for (path, pem) in [(&key, &key_pem), (&cert, &cert_pem)] {
        private_files::write(path, pem.as_bytes()).map_err(|source| TlsError::Write { path: path.clone(), source })?;
    }
    certificate_from_pem(cert_pem.as_bytes(), key_pem.as_bytes(), &cert, &key, now)
}

fn generate(names: &[String], now: SystemTime) -> Result<(String, String), TlsError> {
    let failed = |err: rcgen::Error| TlsError::Generate(err.to_string());
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(failed)?;
    let mut subject = rcgen::DistinguishedName::new();
    subject.push(rcgen::DnType::CommonName, "Boardroom room (made by this computer)");
    params.distinguished_name = subject;
    let start = time::OffsetDateTime::from(now) - time::Duration::days(1);
    params.not_before = start;
    params.not_after = start + time::Duration::days(SELF_SIGNED_DAYS);
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// The certificate the listener serves right now; swapped when renewed files are picked up.
#[derive(Debug)]
pub struct CurrentCertificate(RwLock<Certificate>);

impl CurrentCertificate {
    pub fn new(certificate: Certificate) -> Arc<Self> {
        Arc::new(CurrentCertificate(RwLock::new(certificate)))
    }

    pub fn get(&self) -> Certificate {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, certificate: Certificate) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = certificate;
    }
}

impl ResolvesServerCert for CurrentCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()).key))
    }
}

/// A TLS server config around a certificate resolver: TLS 1.2 and 1.3, HTTP/1.1 (the
/// room's WebSocket upgrade is an HTTP/1.1 request).
pub fn server_config(resolver: Arc<dyn ResolvesServerCert>) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Looks at `cert` and `key` every [`RELOAD_EVERY`] and serves them anew when they changed
/// and check out; renewed files that do not check out are reported and the old pair stays.
pub async fn watch_files(cert: PathBuf, key: PathBuf, current: Arc<CurrentCertificate>) {
    let stamp = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut seen = (stamp(&cert), stamp(&key));
    loop {
        tokio::time::sleep(RELOAD_EVERY).await;
        let now = (stamp(&cert), stamp(&key));
        if now == seen {
            continue;
        }
        seen = now;
        match load_files(&cert, &key, SystemTime::now()) {
            Ok(renewed) => {
                log::info!("serving the renewed certificate from {} ({})", cert.display(), renewed.fingerprint);
                current.set(renewed);
            }
            Err(err) => log::warn!("the changed certificate files are not used, the old certificate stays: {err}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["192.168.50.10".into(), "localhost".into()]
    }

    #[test]
    fn a_self_signed_certificate_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = self_signed(dir.path(), &names(), now).unwrap();
        assert_eq!(first.names, names());
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let again = self_signed(dir.path(), &["10.0.0.1".into()], now).unwrap();
        assert_eq!(again.fingerprint, first.fingerprint, "the kept certificate is reused");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join(KEY_FILE)), 0o600);
            assert_eq!(mode(&dir.path().join(CERT_FILE)), 0o600);
            assert_eq!(mode(dir.path()), 0o700);
        }
    }

    #[test]
    fn an_unusable_kept_certificate_is_moved_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CERT_FILE), "garbage").unwrap();
        let made = self_signed(dir.path(), &names(), SystemTime::now()).unwrap();
        assert!(!made.fingerprint.is_empty());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("unusable"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(std::fs::read_to_string(dir.path().join(&aside[0])).unwrap(), "garbage");
    }

    #[test]
    fn bad_files_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let missing = load_files(&dir.path().join("nope.pem"), &dir.path().join("nope.key"), now).unwrap_err();
        assert!(missing.to_string().contains("could not be read"), "{missing}");

        let (cert_a, key_a) = generate(&names(), now).unwrap();
        let (_, key_b) = generate(&names(), now).unwrap();
        let (cert, key) = (dir.path().join("a.pem"), dir.path().join("a.key"));
        std::fs::write(&cert, &cert_a).unwrap();
        std::fs::write(&key, &key_b).unwrap();
        let mismatch = load_files(&cert, &key, now).unwrap_err();
        assert!(matches!(mismatch, TlsError::Mismatch { .. }), "{mismatch}");

        std::fs::write(&key, &key_a).unwrap();
        assert!(load_files(&cert, &key, now).is_ok());
        let later = now + Duration::from_secs(86_400 * (SELF_SIGNED_DAYS as u64 + 2));
        let expired = load_files(&cert, &key, later).unwrap_err();
        assert!(expired.to_string().contains("expired on"), "{expired}");

        std::fs::write(&cert, "not pem").unwrap();
        assert!(matches!(load_files(&cert, &key, now).unwrap_err(), TlsError::NoCertificate { .. }));
        std::fs::write(&cert, &cert_a).unwrap();
        std::fs::write(&key, "not a key").unwrap();
        assert!(matches!(load_files(&cert, &key, now).unwrap_err(), TlsError::NoKey { .. }));
    }
}
