//! New webrtc-rs peer connections: the default codecs and interceptors (NACK, RTCP
//! reports), the network a peer may use — STUN/TURN servers, a 1:1 NAT address, a UDP
//! port range, loopback for a counterpart on the same machine, relay only — and the tracks
//! it sends, whose RTCP is read for those interceptors.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::APIBuilder;
use webrtc::ice::udp_network::{EphemeralUDP, UDPNetwork};
use webrtc::ice_transport::ice_candidate_type::RTCIceCandidateType;
use webrtc::ice_transport::ice_server::RTCIceServer;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::policy::ice_transport_policy::RTCIceTransportPolicy;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::track::track_local::TrackLocal;

/// Candidates gathered by then go into an offer or answer; a STUN or TURN server that has
/// not answered yet (or never will) does not hold the call up.
const GATHER_LIMIT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum PeerSetupError {
    #[error("the UDP ports {0}-{1} cannot be used: {2}")]
    Ports(u16, u16, String),
    #[error("the WebRTC connection could not be made: {0}")]
    WebRtc(#[from] webrtc::Error),
}

/// Where a peer may look for a path to its counterpart.
#[derive(Debug, Clone, Default)]
pub struct PeerNetwork {
    /// Offer 127.0.0.1 too, for a counterpart on the same machine.
    pub include_loopback: bool,
    /// STUN and TURN servers (with credentials) to gather candidates from.
    pub ice_servers: Vec<RTCIceServer>,
    /// The public address of a machine behind a 1:1 NAT, announced instead of its own.
    pub public_ip: Option<IpAddr>,
    /// The UDP ports to use, inclusive.
    pub udp_ports: Option<(u16, u16)>,
    /// Use TURN relays only, as someone behind a firewall that lets nothing else through.
    pub relay_only: bool,
}

/// Picks rustls' crypto for DTLS. Two providers are compiled in (ring for webrtc-rs,
/// aws-lc-rs for reqwest), and rustls refuses to guess between them.
pub fn choose_crypto() {
    // An error only means a provider was chosen already, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A peer connection with the default codecs and interceptors on `network`.
pub async fn new_peer(network: &PeerNetwork) -> Result<Arc<RTCPeerConnection>, PeerSetupError> {
    choose_crypto();
    let mut media = MediaEngine::default();
    media.register_default_codecs()?;
    let interceptors = register_default_interceptors(Registry::new(), &mut media)?;
    let mut settings = SettingEngine::default();
    settings.set_include_loopback_candidate(network.include_loopback);
    if let Some(ip) = network.public_ip {
        settings.set_nat_1to1_ips(vec![ip.to_string()], RTCIceCandidateType::Host);
    }
    if let Some((first, last)) = network.udp_ports {
        let ports =
            EphemeralUDP::new(first, last).map_err(|err| PeerSetupError::Ports(first, last, err.to_string()))?;
        settings.set_udp_network(UDPNetwork::Ephemeral(ports));
    }
    let api = APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(interceptors)
        .with_setting_engine(settings)
        .build();
    let policy = if network.relay_only { RTCIceTransportPolicy::Relay } else { RTCIceTransportPolicy::All };
    let configuration = RTCConfiguration {
        ice_servers: network.ice_servers.clone(),
        ice_transport_policy: policy,
        ..RTCConfiguration::default()
    };
    Ok(Arc::new(api.new_peer_connection(configuration).await?))
}

/// Adds `track` to what `connection` sends, and reads the RTCP that comes back for it until
/// the track is removed or the connection closes: the interceptors (NACK, reports) work only
/// while it is read.
pub async fn add_track(
    connection: &RTCPeerConnection,
    track: Arc<dyn TrackLocal + Send + Sync>,
) -> Result<(), webrtc::Error> {
    let sender = connection.add_track(track).await?;
    tokio::spawn(async move {
        let mut buffer = vec![0u8; 1500];
        while sender.read(&mut buffer).await.is_ok() {}
    });
    Ok(())
}

/// Sets `description` (an offer or answer just made) as the peer's own and returns its SDP
/// with the ICE candidates gathered within [`GATHER_LIMIT`]: no trickle, since host, STUN and
/// a TURN server that answers all take milliseconds.
pub async fn with_candidates(
    connection: &RTCPeerConnection,
    description: RTCSessionDescription,
) -> Result<String, webrtc::Error> {
    let mut gathered = connection.gathering_complete_promise().await;
    connection.set_local_description(description).await?;
    if tokio::time::timeout(GATHER_LIMIT, gathered.recv()).await.is_err() {
        log::warn!("ICE gathering took over {} s; going on with the candidates found so far", GATHER_LIMIT.as_secs());
    }
    connection.local_description().await.map(|d| d.sdp).ok_or(webrtc::Error::ErrConnectionClosed)
}
