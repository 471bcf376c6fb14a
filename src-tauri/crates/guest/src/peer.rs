//! The guest's WebRTC peer. The room always offers; this side answers, sends this machine's
//! microphone on one track, and decodes every voice the room forwards (the host's and the
//! other participants') into the mix, from where the speakers play it. Cameras the room
//! forwards are read and dropped: the window shows no video.

use std::sync::Arc;

use audio::Sources;
use meeting::opus::{self, OpusTrack};
use tokio::sync::mpsc;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::track::track_remote::TrackRemote;

/// Offers waiting to be answered. The room makes one at a time and offers again when an
/// answer does not come, so when full the newer offer is dropped.
const OFFER_QUEUE: usize = 4;

#[derive(Debug, thiserror::Error)]
#[error("the call's audio could not be set up: {0}")]
pub struct PeerError(String);

impl From<webrtc::Error> for PeerError {
    fn from(err: webrtc::Error) -> Self {
        PeerError(err.to_string())
    }
}

/// What this machine brings to each call of a session.
#[derive(Clone)]
pub struct CallAudio {
    /// Where the voices the room forwards go (the mix the speakers play).
    pub sources: Sources,
    /// This machine's microphone, encoded; `None` joins to listen only.
    pub microphone: Option<OpusTrack>,
}

/// One connection's call; closed with [`Call::close`] (or when the room closes it).
pub struct Call {
    connection: Arc<RTCPeerConnection>,
    offers: mpsc::Sender<String>,
    answers: mpsc::Receiver<String>,
}

impl Call {
    /// Sets up the peer; answers come out of [`Call::next_answer`] as offers go in.
    pub async fn open(network: &meeting::PeerNetwork, audio: CallAudio) -> Result<Call, PeerError> {
        let connection = meeting::new_peer(network).await.map_err(|err| PeerError(err.to_string()))?;
        if let Some(microphone) = audio.microphone {
            meeting::add_track(&connection, microphone).await?;
        }
        connection.on_peer_connection_state_change(Box::new(|state| {
            log::info!("the call's connection is {state}");
            Box::pin(async {})
        }));
        let sources = audio.sources;
        connection.on_track(Box::new(move |remote, _receiver, _transceiver| {
            // Spawned, not returned: webrtc-rs holds the handler while its future runs.
            tokio::spawn(play(remote, sources.clone()));
            Box::pin(async {})
        }));
        let (offers, offered) = mpsc::channel(OFFER_QUEUE);
        let (answered, answers) = mpsc::channel(OFFER_QUEUE);
        tokio::spawn(answer_offers(Arc::clone(&connection), offered, answered));
        Ok(Call { connection, offers, answers })
    }

    /// Hands over the room's latest offer.
    pub fn offer(&self, sdp: String) {
        if self.offers.try_send(sdp).is_err() {
            log::warn!("the room's offers come faster than they can be answered; one was dropped");
        }
    }

    /// The next answer for the room; `None` once the call cannot answer any more.
    pub async fn next_answer(&mut self) -> Option<String> {
        self.answers.recv().await
    }

    pub async fn close(self) {
        if let Err(err) = self.connection.close().await {
            log::debug!("closing the call: {err}");
        }
    }
}

/// Answers each offer in turn, with the ICE candidates gathered (`meeting::with_candidates`).
async fn answer_offers(
    connection: Arc<RTCPeerConnection>,
    mut offers: mpsc::Receiver<String>,
    answers: mpsc::Sender<String>,
) {
    while let Some(sdp) = offers.recv().await {
        match answer(&connection, sdp).await {
            Ok(sdp) => {
                if answers.send(sdp).await.is_err() {
                    return;
                }
            }
            // The room offers again when no answer comes.
            Err(err) => log::warn!("could not answer the room's offer: {err}"),
        }
    }
}

async fn answer(connection: &RTCPeerConnection, sdp: String) -> Result<String, PeerError> {
    connection.set_remote_description(RTCSessionDescription::offer(sdp)?).await?;
    let answer = connection.create_answer(None).await?;
    Ok(meeting::with_candidates(connection, answer).await?)
}

/// Decodes one forwarded voice into the mix under its owner's id until the track ends.
async fn play(remote: Arc<TrackRemote>, sources: Sources) {
    if remote.kind() != RTPCodecType::Audio {
        while remote.read_rtp().await.is_ok() {}
        return;
    }
    // The room names each forwarded track's stream after the participant it carries.
    let owner = remote.stream_id();
    let mut receiver = match opus::Receiver::new(sources.feed(&owner)) {
        Ok(receiver) => receiver,
        Err(err) => return log::error!("no Opus decoder for {owner}'s voice: {err}"),
    };
    while let Ok((packet, _)) = remote.read_rtp().await {
        if receiver.receive(&packet) {
            log::info!("hearing {owner}");
        }
    }
    sources.remove(&owner);
}
