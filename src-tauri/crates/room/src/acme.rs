//! A certificate from an ACME authority (Let's Encrypt by default) for a room on a server
//! with a domain name: obtained and renewed in the background over TLS-ALPN-01 on the
//! room's own port, kept in the data folder. A failed order is reported and retried with
//! backoff (by rustls-acme) while the certificate obtained before keeps being served.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use rustls::server::ResolvesServerCert;
use rustls::{ClientConfig, ServerConfig};
use rustls_acme::caches::DirCache;
use rustls_acme::AcmeConfig;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use room_protocol::crypto::{provider, system_roots};

use crate::tls::TlsError;

pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    /// The names the certificate is for; the first is the one in invite links.
    pub domains: Vec<String>,
    /// `mailto:` addresses the authority may write to about the certificate.
    pub contact: Vec<String>,
    /// Where the account key and the certificate are kept between runs.
    pub cache_dir: PathBuf,
    /// The authority's directory URL.
    pub directory: String,
}

/// Where the room's ACME certificate stands, for status lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcmeStatus {
    Ordering,
    /// A certificate is being served (new, renewed, or kept from an earlier run).
    Serving,
    /// The latest order failed; it is retried, and any older certificate is still served.
    Failed(String),
}

pub struct Acme {
    pub resolver: Arc<dyn ResolvesServerCert>,
    /// What answers the authority's TLS-ALPN-01 validation connections.
    pub challenge: Arc<ServerConfig>,
    pub status: watch::Receiver<AcmeStatus>,
    task: JoinHandle<()>,
}

impl Acme {
    /// Starts obtaining (or loading the kept) certificate. The authority is reached over
    /// HTTPS trusting this system's root certificates (`SSL_CERT_FILE` works, as for curl).
    pub fn start(settings: &AcmeSettings) -> Result<Acme, TlsError> {
        let roots = system_roots()?;
        // The cache holds the account's and the certificate's private keys.
        let cache = &settings.cache_dir;
        private_files::dir(cache).map_err(|source| TlsError::Write { path: cache.clone(), source })?;
        let client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut state = AcmeConfig::new_with_client_config(settings.domains.clone(), Arc::new(client))
            .contact(settings.contact.iter())
            .cache(DirCache::new(settings.cache_dir.clone()))
            .directory(&settings.directory)
            .state();
        let resolver: Arc<dyn ResolvesServerCert> = state.resolver();
        let challenge = state.challenge_rustls_config_with_provider(provider());
        let (status_tx, status) = watch::channel(AcmeStatus::Ordering);
        let domains = settings.domains.join(", ");
        let task = tokio::spawn(async move {
            while let Some(event) = state.next().await {
                match event {
                    Ok(rustls_acme::EventOk::DeployedNewCert | rustls_acme::EventOk::DeployedCachedCert) => {
                        log::info!("serving the ACME certificate for {domains}");
                        let _ = status_tx.send(AcmeStatus::Serving);
                    }
                    Ok(other) => log::debug!("ACME: {other:?}"),
                    Err(err) => {
                        let why = format!("the certificate for {domains} could not be obtained ({err}); trying again");
                        log::warn!("{why}");
                        let _ = status_tx.send(AcmeStatus::Failed(why));
                    }
                }
            }
        });
        Ok(Acme { resolver, challenge, status, task })
    }
}

impl Drop for Acme {
    fn drop(&mut self) {
        self.task.abort();
    }
}
