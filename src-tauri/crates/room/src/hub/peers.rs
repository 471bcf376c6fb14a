//! The hub and the participants' peers in the SFU: it opens them, passes them the pages'
//! answers, hears what they report (a track, a connection state, first audio), and applies
//! the `routing` table's answers to them and to the mix: what each peer forwards, and whose
//! voice is silenced.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use tokio::sync::mpsc;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;

use super::Hub;
use crate::peer::{GuestPeer, OutgoingTrack, PeerEvent, Silenced};
use room_protocol::{Connection, ErrorCode, ServerMessage};

impl Hub {
    /// Opens the peer of `id`'s connection `epoch`, forwarding what the routing gives them;
    /// `None` (and their page told why) if it cannot be set up.
    pub(super) async fn open_peer(
        &self,
        id: &str,
        epoch: u64,
        outbox: &mpsc::Sender<ServerMessage>,
        silenced: Silenced,
    ) -> Option<GuestPeer> {
        let peer = GuestPeer::open(
            id,
            epoch,
            self.routing.received_by(id),
            outbox.clone(),
            self.peer_events.clone(),
            self.sources.clone(),
            silenced,
            &self.ice.peer_network(SystemTime::now()),
        )
        .await;
        match peer {
            Ok(peer) => Some(peer),
            Err(err) => {
                log::error!("{err}");
                let _ = outbox.try_send(ServerMessage::error(ErrorCode::Invalid, err.to_string()));
                None
            }
        }
    }

    /// Gives everyone in the room fresh TURN credentials before theirs expire. Someone away
    /// gets theirs with the welcome when they come back; someone removed gets none.
    pub(super) fn renew_turn_credentials(&self) {
        let now = SystemTime::now();
        for (id, guest) in self.guests.iter().filter(|(_, guest)| guest.peer.is_some()) {
            let renewed = ServerMessage::IceServers { ice_servers: self.ice.servers_for(id, now) };
            // Dropped for a page 256 messages behind, which is dropped itself soon (see `connection`).
            let _ = guest.outbox.try_send(renewed);
        }
    }

    pub(super) fn answer(&self, id: &str, epoch: u64, sdp: String) {
        if let Some(peer) = self.current(id, epoch).and_then(|g| g.peer.as_ref()) {
            peer.answer(sdp);
        }
    }

    pub(super) fn peer_event(&mut self, event: PeerEvent) {
        match event {
            PeerEvent::Track { owner, epoch, track } => {
                if self.current(&owner, epoch).is_some() && self.routing.add_track(&owner, track as OutgoingTrack) {
                    self.forward_to_all();
                }
            }
            PeerEvent::State { owner, epoch, state } => {
                if self.current(&owner, epoch).is_none() {
                    return;
                }
                let connection = match state {
                    RTCPeerConnectionState::Connected => Connection::Connected,
                    RTCPeerConnectionState::Disconnected | RTCPeerConnectionState::Failed => Connection::Reconnecting,
                    _ => return,
                };
                if self.registry.set_connection(&owner, connection).is_ok() {
                    self.roster_changed();
                }
            }
            PeerEvent::Heard { owner, epoch } => {
                if self.current(&owner, epoch).is_some() {
                    log::info!("first audio from {owner} reached the mix");
                }
            }
        }
    }

    /// The host's microphone track for every participant, or `None` while the host sends none.
    pub(super) fn host_mic(&mut self, track: Option<OutgoingTrack>) {
        self.routing.set_host_mic(track);
        self.forward_to_all();
    }

    /// Gives each connected participant's peer what the routing says they receive (a new
    /// offer follows).
    pub(super) fn forward_to_all(&self) {
        for (id, tracks) in self.routing.receivers() {
            if let Some(peer) = self.guests.get(id).and_then(|guest| guest.peer.as_ref()) {
                peer.forward(tracks);
            }
        }
    }

    /// Lets `id`'s voice through to the others and the mix, or silences it, as the routing
    /// says. Nothing is renegotiated: their tracks stay forwarded, and their video flows.
    pub(super) fn route_voice(&self, id: &str) {
        let silenced = !self.routing.audible(id);
        self.sources.set_muted(id, silenced);
        if let Some(guest) = self.guests.get(id) {
            guest.silenced.store(silenced, Ordering::Relaxed);
        }
    }
}
