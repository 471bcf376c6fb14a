//! Starting and ending a room: bind the server (plain HTTP on loopback for this computer
//! only; HTTPS on every interface for a room others reach; plain HTTP on loopback behind a
//! reverse proxy), make the invite link, and on the way out say goodbye to everyone and
//! release the port, the peers and the mixer sources.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use audio::{MixReceiver, Sources};
use board::BoardHandle;
use std::time::SystemTime;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::acme::{Acme, AcmeStatus};
use crate::descriptors::{self, TooFewDescriptors};
use crate::hub::HubHandle;
use crate::ice::{self, IceConfig, IceError};
use crate::listener::{self, Callers, Handshake};
use crate::peer::OutgoingTrack;
use crate::registry::{Registry, DEFAULT_CAP};
use crate::server::{self, ServerState};
use crate::tls::{self, CertificateSource, CurrentCertificate, TlsError};
use crate::token::{InviteToken, RoomTokens};
use room_protocol::HOST_ID;

/// Who can reach the room, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Only this computer: plain HTTP on 127.0.0.1, which browsers count as a secure context.
    ThisComputer,
    /// Other computers too: HTTPS (and WSS) on every interface, with this certificate.
    Network(CertificateSource),
    /// Behind a reverse proxy that serves HTTPS at `public_url` and passes requests on to
    /// the room, which listens on plain HTTP on 127.0.0.1 only.
    Proxied { public_url: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConfig {
    pub access: Access,
    /// 0 picks a free port.
    pub port: u16,
    pub cap: usize,
    /// Newcomers wait for the host to admit them.
    pub ask_to_join: bool,
    pub host_name: String,
    pub ice: IceConfig,
    /// The token of the link the room keeps across restarts; `None` makes a new one.
    pub token: Option<InviteToken>,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            access: Access::ThisComputer,
            port: 0,
            cap: DEFAULT_CAP,
            ask_to_join: false,
            host_name: "Host".into(),
            ice: IceConfig::default(),
            token: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("port {port} could not be opened ({source}); choose another port or leave it empty for any free one")]
    Bind { port: u16, source: std::io::Error },
    #[error(
        "this machine has no network address others could reach ({0}); join from this machine or connect to a network"
    )]
    NoLanAddress(std::io::Error),
    #[error("the room's certificate: {0}")]
    Certificate(#[from] TlsError),
    #[error("{0}")]
    Ice(#[from] IceError),
    #[error("{0:?} is not an https:// address for the room's public link")]
    BadPublicUrl(String),
    #[error("{0}")]
    Descriptors(#[from] TooFewDescriptors),
}

/// The room's certificate, as the window and the host's status lines show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub kind: CertificateKind,
    /// SHA-256 of the certificate served (not known yet for an ACME order under way).
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateKind {
    SelfSigned,
    Files,
    Acme,
}

/// The room's connection to the audio thread.
pub struct RoomAudio {
    /// Where participants' decoded audio goes: the mix.
    pub sources: Sources,
    /// The host's microphone feed, sent to every participant (`None`: the host sends nothing).
    pub microphone: Option<MixReceiver>,
}

pub struct Room {
    hub: HubHandle,
    host_audio: Option<JoinHandle<()>>,
    invite: String,
    /// The token in `invite`, and the server's view of it (which "New link" replaces).
    token: InviteToken,
    tokens: Arc<RoomTokens>,
    address: SocketAddr,
    certificate: Option<CertificateInfo>,
    acme: Option<Acme>,
    warnings: Vec<String>,
    renewals: Option<JoinHandle<()>>,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

/// What serves the room's HTTP: plain on loopback, or TLS with `handshake`.
struct Serving {
    handshake: Option<Handshake>,
    certificate: Option<CertificateInfo>,
    acme: Option<Acme>,
    renewals: Option<JoinHandle<()>>,
}

impl Room {
    pub async fn start(config: RoomConfig, board: BoardHandle, audio: RoomAudio) -> Result<Room, RoomError> {
        config.ice.validate()?;
        let websockets = server::connection_limit(config.cap);
        let places =
            descriptors::connection_budget(descriptors::limit(), config.cap, listener::places_needed(websockets))?;
        let reachable = matches!(config.access, Access::Network(_));
        let bind = if reachable { IpAddr::V4(Ipv4Addr::UNSPECIFIED) } else { IpAddr::V4(Ipv4Addr::LOCALHOST) };
        // The address in the link: the public one of a 1:1 NAT, else this machine's on its network.
        let advertised = match (reachable, config.ice.public_ip) {
            (false, _) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            (true, Some(public)) => public,
            (true, None) => lan_address().map_err(RoomError::NoLanAddress)?,
        };
        let listener = tokio::net::TcpListener::bind((bind, config.port))
            .await
            .map_err(|source| RoomError::Bind { port: config.port, source })?;
        let port = listener.local_addr().map_err(|source| RoomError::Bind { port: config.port, source })?.port();
        let (serving, link_host) = match &config.access {
            Access::ThisComputer | Access::Proxied { .. } => {
                let serving = Serving { handshake: None, certificate: None, acme: None, renewals: None };
                (serving, advertised.to_string())
            }
            Access::Network(source) => secure(source, advertised)?,
        };
        let token = config.token.clone().unwrap_or_else(InviteToken::generate);
        let invite = match &config.access {
            Access::Proxied { public_url } => proxied_link(public_url, token.as_str())?,
            Access::ThisComputer => format!("http://{}/r/{}", SocketAddr::new(advertised, port), token.as_str()),
            Access::Network(_) => https_link(&link_host, port, token.as_str()),
        };
        let invite = match &serving.certificate {
            Some(CertificateInfo { kind: CertificateKind::SelfSigned, fingerprint: Some(fingerprint) }) => {
                pinned(&invite, fingerprint)
            }
            _ => invite,
        };
        let warnings = probe_ice_servers(&config.ice).await;
        let ice = Arc::new(config.ice);
        let hub =
            HubHandle::start(Registry::new(config.cap, &config.host_name), config.ask_to_join, audio.sources, ice);
        let host_audio = audio.microphone.map(|microphone| {
            let (track, task) = meeting::opus::send_voice(microphone, HOST_ID);
            hub.host_track(Some(track as OutgoingTrack));
            task
        });
        let connections = Arc::new(tokio::sync::Semaphore::new(websockets));
        let (public, callers) = match &config.access {
            Access::Proxied { public_url } => (Some(authority(public_url)), Callers::Proxy),
            _ => (None, Callers::Direct),
        };
        let tokens = Arc::new(RoomTokens::new(token.clone()));
        let state = ServerState { token: Arc::clone(&tokens), hub: hub.clone(), board, connections, public };
        let app = server::router(state);
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = listener::serve(listener, serving.handshake, places, callers, app, stopped);
        log::info!("room open on {}", SocketAddr::new(advertised, port));
        Ok(Room {
            hub,
            host_audio,
            invite,
            token,
            tokens,
            address: SocketAddr::new(advertised, port),
            certificate: serving.certificate,
            acme: serving.acme,
            warnings,
            renewals: serving.renewals,
            shutdown,
            server,
        })
    }

    /// The link to share; it holds the room's secret token.
    pub fn invite_link(&self) -> &str {
        &self.invite
    }

    /// Gives the room a new link with `token`: the old one lets nobody in from now on (those
    /// already in stay), and whoever opens it is told it was replaced. Returns the new link.
    pub fn new_link(&mut self, token: InviteToken) -> &str {
        self.invite = self.invite.replace(self.token.as_str(), token.as_str());
        self.tokens.replace(token.clone());
        self.token = token;
        &self.invite
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn hub(&self) -> &HubHandle {
        &self.hub
    }

    /// The certificate served, for a room other computers reach over HTTPS.
    pub fn certificate(&self) -> Option<&CertificateInfo> {
        self.certificate.as_ref()
    }

    /// How an ACME certificate stands (ordering, serving, failed and retrying).
    pub fn acme_status(&self) -> Option<watch::Receiver<AcmeStatus>> {
        self.acme.as_ref().map(|acme| acme.status.clone())
    }

    /// Problems found at start that leave the room working for whoever it can reach,
    /// e.g. a STUN or TURN server that does not answer.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Says goodbye to everyone, closes every peer and frees the port.
    pub async fn end(self) {
        if let Some(task) = self.host_audio {
            task.abort();
        }
        if let Some(task) = self.renewals {
            task.abort();
        }
        self.hub.stop().await;
        let _ = self.shutdown.send(());
        if let Err(err) = self.server.await {
            log::debug!("the room's server task: {err}");
        }
        drop(self.acme);
        log::info!("room closed");
    }
}

/// Sets up TLS from `source`; also returns the host name for the link.
fn secure(source: &CertificateSource, advertised: IpAddr) -> Result<(Serving, String), RoomError> {
    let info = |kind, certificate: &tls::Certificate| CertificateInfo {
        kind,
        fingerprint: Some(certificate.fingerprint.clone()),
    };
    let (handshake, certificate, acme, renewals, host) = match source {
        CertificateSource::SelfSigned { dir } => {
            let names = vec![advertised.to_string(), "127.0.0.1".to_owned(), "localhost".to_owned()];
            let certificate = tls::self_signed(dir, &names, SystemTime::now())?;
            let info = info(CertificateKind::SelfSigned, &certificate);
            let handshake = Handshake::Serve(tls::server_config(CurrentCertificate::new(certificate)));
            (handshake, info, None, None, advertised.to_string())
        }
        CertificateSource::Files { cert, key } => {
            let certificate = tls::load_files(cert, key, SystemTime::now())?;
            // The link names what the certificate is for (a wildcard cannot be a host).
            let host = certificate.names.iter().find(|name| !name.starts_with('*')).cloned();
            let info = info(CertificateKind::Files, &certificate);
            let current = CurrentCertificate::new(certificate);
            let renewals = tokio::spawn(tls::watch_files(cert.clone(), key.clone(), Arc::clone(&current)));
            let handshake = Handshake::Serve(tls::server_config(current));
            (handshake, info, None, Some(renewals), host.unwrap_or_else(|| advertised.to_string()))
        }
        CertificateSource::Acme(settings) => {
            let acme = Acme::start(settings)?;
            let handshake = Handshake::WithAcmeChallenge {
                serve: tls::server_config(Arc::clone(&acme.resolver)),
                challenge: Arc::clone(&acme.challenge),
            };
            let host = settings.domains.first().cloned().unwrap_or_else(|| advertised.to_string());
            let info = CertificateInfo { kind: CertificateKind::Acme, fingerprint: None };
            (handshake, info, Some(acme), None, host)
        }
    };
    let serving = Serving { handshake: Some(handshake), certificate: Some(certificate), acme, renewals };
    Ok((serving, host))
}

fn https_link(host: &str, port: u16, token: &str) -> String {
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_owned() };
    match port {
        443 => format!("https://{host}/r/{token}"),
        port => format!("https://{host}:{port}/r/{token}"),
    }
}

/// A link to a room with a certificate of its own names the certificate after `#fp=sha256:`:
/// the app trusts the room by it (a browser never sends the fragment; the page reads it to
/// hand the link on to the app).
pub fn pinned(link: &str, fingerprint: &str) -> String {
    let hex: String = fingerprint.chars().filter(|c| *c != ':').collect::<String>().to_lowercase();
    format!("{link}#fp=sha256:{hex}")
}

/// The `host[:port]` of a public address `proxied_link` accepted.
fn authority(public_url: &str) -> String {
    let rest = public_url.trim().strip_prefix("https://").unwrap_or_default();
    rest.split('/').next().unwrap_or_default().to_owned()
}

fn proxied_link(public_url: &str, token: &str) -> Result<String, RoomError> {
    let base = public_url.trim().trim_end_matches('/');
    let valid = base.strip_prefix("https://").is_some_and(|rest| !rest.is_empty() && !rest.contains(['?', '#', ' ']));
    if !valid {
        return Err(RoomError::BadPublicUrl(public_url.to_owned()));
    }
    Ok(format!("{base}/r/{token}"))
}

/// Asks every STUN and TURN server whether it answers; one that does not is worth a warning
/// (people who need it cannot join) but does not stop the room.
async fn probe_ice_servers(ice: &IceConfig) -> Vec<String> {
    let probes = ice.servers.iter().map(|url| async move {
        ice::probe(url).await.err().map(|why| {
            format!("the ICE server {url} does not answer ({why}); people whose network needs it cannot connect their audio")
        })
    });
    let warnings: Vec<String> = futures_util::future::join_all(probes).await.into_iter().flatten().collect();
    for warning in &warnings {
        log::warn!("{warning}");
    }
    warnings
}

/// The address this machine uses on its network: the source address of the route to a
/// public one (connecting a UDP socket sends nothing).
fn lan_address() -> std::io::Result<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
    Ok(socket.local_addr()?.ip())
}
