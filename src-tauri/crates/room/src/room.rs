//! Starting and ending a room: bind the server (loopback by default, the LAN address when
//! asked), make the invite link, and on the way out say goodbye to everyone and release
//! the port, the peers and the mixer sources.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;

use audio::{MixReceiver, Sources};
use board::BoardHandle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::host_audio;
use crate::hub::HubHandle;
use crate::registry::{Registry, DEFAULT_CAP};
use crate::server::{self, ServerState};
use crate::token::InviteToken;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConfig {
    /// Let people on the local network join (otherwise only this machine can).
    pub lan: bool,
    /// 0 picks a free port.
    pub port: u16,
    pub cap: usize,
    pub host_name: String,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig { lan: false, port: 0, cap: DEFAULT_CAP, host_name: "Host".into() }
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
    address: SocketAddr,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl Room {
    pub async fn start(config: RoomConfig, board: BoardHandle, audio: RoomAudio) -> Result<Room, RoomError> {
        let (bind, advertised) = if config.lan {
            let lan = lan_address().map_err(RoomError::NoLanAddress)?;
            (IpAddr::V4(Ipv4Addr::UNSPECIFIED), lan)
        } else {
            (IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V4(Ipv4Addr::LOCALHOST))
        };
        let listener = tokio::net::TcpListener::bind((bind, config.port))
            .await
            .map_err(|source| RoomError::Bind { port: config.port, source })?;
        let port = listener.local_addr().map_err(|source| RoomError::Bind { port: config.port, source })?.port();
        let token = Arc::new(InviteToken::generate());
        let invite = format!("http://{}/r/{}", SocketAddr::new(advertised, port), token.as_str());
        let hub = HubHandle::start(Registry::new(config.cap, &config.host_name), audio.sources);
        let host_audio = audio.microphone.map(|microphone| {
            let (track, task) = host_audio::start(microphone);
            hub.host_track(Some(track));
            task
        });
        let app = server::router(ServerState { token, hub: hub.clone(), board });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = serving.await {
                log::error!("the room's server stopped: {err}");
            }
        });
        log::info!("room open on {}", SocketAddr::new(advertised, port));
        Ok(Room { hub, host_audio, invite, address: SocketAddr::new(advertised, port), shutdown, server })
    }

    /// The link to share; it holds the room's secret token.
    pub fn invite_link(&self) -> &str {
        &self.invite
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn hub(&self) -> &HubHandle {
        &self.hub
    }

    /// Says goodbye to everyone, closes every peer and frees the port.
    pub async fn end(self) {
        if let Some(task) = self.host_audio {
            task.abort();
        }
        self.hub.stop().await;
        let _ = self.shutdown.send(());
        if let Err(err) = self.server.await {
            log::debug!("the room's server task: {err}");
        }
        log::info!("room closed");
    }
}

/// The address this machine uses on its network: the source address of the route to a
/// public one (connecting a UDP socket sends nothing).
fn lan_address() -> std::io::Result<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
    Ok(socket.local_addr()?.ip())
}
