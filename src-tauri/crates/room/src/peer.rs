//! One participant's WebRTC peer in the SFU. The room always makes the offers: at the start
//! and whenever the set of tracks this participant should hear changes. What the participant
//! sends is forwarded untouched (RTP in, RTP out, no transcoding) to a local track the hub
//! hands to everyone else, and their Opus audio is also decoded into the mixer under their id.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use audio::{SourceFeed, Sources};
use meeting::voice_track;
use tokio::sync::{mpsc, watch};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::rtp_transceiver::rtp_transceiver_direction::RTCRtpTransceiverDirection;
use webrtc::rtp_transceiver::RTCRtpTransceiverInit;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;
use webrtc::track::track_local::{TrackLocal, TrackLocalWriter};
use webrtc::track::track_remote::TrackRemote;

use crate::protocol::{ErrorCode, ServerMessage};

/// A track the SFU sends to participants: someone's forwarded audio or video, or the host's microphone.
pub type OutgoingTrack = Arc<dyn TrackLocal + Send + Sync>;

/// Set while the host mutes a participant: their audio is forwarded to nobody. Read by the
/// packet loop of each of their tracks, set by the hub.
pub type Silenced = Arc<AtomicBool>;

/// How long a page has to answer an offer before the room offers again.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// How often a forwarded video's sender is asked for a key frame, so newcomers get a picture soon.
const KEY_FRAME_EVERY: Duration = Duration::from_secs(3);
/// Answers waiting for the negotiation task. One is expected per offer; when full, the
/// extra answer is dropped (one that was wanted is asked for again by a new offer).
const ANSWER_QUEUE: usize = 4;

#[derive(Debug, thiserror::Error)]
#[error("the audio/video connection could not be set up: {0}")]
pub struct PeerError(String);

impl From<webrtc::Error> for PeerError {
    fn from(err: webrtc::Error) -> Self {
        PeerError(err.to_string())
    }
}

/// What a peer tells the hub. `epoch` tells this connection of the participant from an
/// earlier one that was replaced.
#[derive(Clone)]
pub enum PeerEvent {
    /// The participant started sending a track; forward it to the others.
    Track {
        owner: String,
        epoch: u64,
        track: Arc<TrackLocalStaticRTP>,
    },
    State {
        owner: String,
        epoch: u64,
        state: RTCPeerConnectionState,
    },
    /// First audio from the participant reached the mixer.
    Heard {
        owner: String,
        epoch: u64,
    },
}

pub struct GuestPeer {
    connection: Arc<RTCPeerConnection>,
    /// The tracks this participant should receive: latest wins.
    forwarded: watch::Sender<Vec<OutgoingTrack>>,
    answers: mpsc::Sender<String>,
}

/// Hands an event to the hub from a callback that must not wait: dropped (and logged) when
/// the hub is that far behind.
fn tell(events: &mpsc::Sender<PeerEvent>, event: PeerEvent) {
    if let Err(mpsc::error::TrySendError::Full(_)) = events.try_send(event) {
        log::warn!("the room is busy; a participant's connection event was dropped");
    }
}

impl GuestPeer {
    /// Sets up the peer for participant `owner` and sends the first offer through `outbox`.
    #[allow(clippy::too_many_arguments)]
    pub async fn open(
        owner: &str,
        epoch: u64,
        forward: Vec<OutgoingTrack>,
        outbox: mpsc::Sender<ServerMessage>,
        events: mpsc::Sender<PeerEvent>,
        sources: Sources,
        silenced: Silenced,
        network: &meeting::PeerNetwork,
    ) -> Result<GuestPeer, PeerError> {
        let connection = meeting::new_peer(network).await.map_err(|err| PeerError(err.to_string()))?;
        for kind in [RTPCodecType::Audio, RTPCodecType::Video] {
            let receive_only =
                RTCRtpTransceiverInit { direction: RTCRtpTransceiverDirection::Recvonly, send_encodings: vec![] };
            connection.add_transceiver_from_kind(kind, Some(receive_only)).await?;
        }
        watch_state(&connection, owner, epoch, events.clone());
        receive_tracks(&connection, owner, epoch, events, sources, silenced);
        let (forwarded, wanted) = watch::channel(forward);
        let (answers, answered) = mpsc::channel(ANSWER_QUEUE);
        tokio::spawn(negotiate(Arc::clone(&connection), wanted, answered, outbox));
        Ok(GuestPeer { connection, forwarded, answers })
    }

    /// Sets the tracks this participant hears and sees (a new offer follows).
    pub fn forward(&self, tracks: Vec<OutgoingTrack>) {
        self.forwarded.send_replace(tracks);
    }

    pub fn answer(&self, sdp: String) {
        if self.answers.try_send(sdp).is_err() {
            log::debug!("an answer nobody asked for was dropped");
        }
    }

    /// Closes the connection; its tracks end and its reader tasks finish.
    pub async fn close(self) {
        if let Err(err) = self.connection.close().await {
            log::debug!("closing a participant's peer: {err}");
        }
    }
}

fn watch_state(connection: &RTCPeerConnection, owner: &str, epoch: u64, events: mpsc::Sender<PeerEvent>) {
    let owner = owner.to_owned();
    connection.on_peer_connection_state_change(Box::new(move |state| {
        tell(&events, PeerEvent::State { owner: owner.clone(), epoch, state });
        Box::pin(async {})
    }));
}

/// Each incoming track gets a local twin for the others and a task that copies packets into it.
fn receive_tracks(
    connection: &Arc<RTCPeerConnection>,
    owner: &str,
    epoch: u64,
    events: mpsc::Sender<PeerEvent>,
    sources: Sources,
    silenced: Silenced,
) {
    let owner = owner.to_owned();
    let weak = Arc::downgrade(connection);
    connection.on_track(Box::new(move |remote, _receiver, _transceiver| {
        let kind = remote.kind();
        let local =
            Arc::new(TrackLocalStaticRTP::new(remote.codec().capability, format!("{kind}-{owner}"), owner.clone()));
        tell(&events, PeerEvent::Track { owner: owner.clone(), epoch, track: Arc::clone(&local) });
        if kind == RTPCodecType::Video {
            let (weak, ssrc) = (weak.clone(), remote.ssrc());
            tokio::spawn(async move {
                while let Some(connection) = weak.upgrade() {
                    let pli = PictureLossIndication { sender_ssrc: 0, media_ssrc: ssrc };
                    if connection.write_rtcp(&[Box::new(pli)]).await.is_err() {
                        break;
                    }
                    drop(connection);
                    tokio::time::sleep(KEY_FRAME_EVERY).await;
                }
            });
        }
        let audio = kind == RTPCodecType::Audio;
        let mix = audio.then(|| (sources.feed(&owner), owner.clone(), events.clone(), epoch));
        // Only their voice is silenced by the host; their camera still shows.
        let silenced = audio.then(|| Arc::clone(&silenced));
        // Spawned, not returned: webrtc-rs holds the handler while its future runs, so a
        // returned copy loop would keep the participant's next track from ever starting.
        tokio::spawn(forward_packets(remote, local, mix, silenced));
        Box::pin(async {})
    }));
}

/// Copies `remote`'s packets to `local` until the track ends (none while the host silences
/// the sender); audio is also decoded into the mix (where the host's mute mutes it too).
async fn forward_packets(
    remote: Arc<TrackRemote>,
    local: Arc<TrackLocalStaticRTP>,
    mix: Option<(SourceFeed, String, mpsc::Sender<PeerEvent>, u64)>,
    silenced: Option<Silenced>,
) {
    let mut mix = mix.and_then(|(feed, owner, events, epoch)| match voice_track::Receiver::new(feed) {
        Ok(receiver) => Some((receiver, owner, events, epoch)),
        Err(err) => {
            log::error!("no Opus decoder for a participant: {err}");
            None
        }
    });
    while let Ok((packet, _)) = remote.read_rtp().await {
        let forward = !silenced.as_ref().is_some_and(|silenced| silenced.load(Ordering::Relaxed));
        // Nobody listening yet is not an error: the track is bound as others join.
        if let Err(err) = if forward { local.write_rtp(&packet).await } else { Ok(0) } {
            log::debug!("forwarding a packet: {err}");
        }
        if let Some((receiver, owner, events, epoch)) = mix.as_mut() {
            if receiver.receive(&packet) {
                tell(events, PeerEvent::Heard { owner: owner.clone(), epoch: *epoch });
            }
        }
    }
}

/// Makes offers one at a time: the next one only after the page answered the last (or
/// did not in time), so the peer never has two negotiations going. Changes to the wanted
/// tracks meanwhile are folded into the next offer.
async fn negotiate(
    connection: Arc<RTCPeerConnection>,
    mut wanted: watch::Receiver<Vec<OutgoingTrack>>,
    mut answers: mpsc::Receiver<String>,
    outbox: mpsc::Sender<ServerMessage>,
) {
    let mut offer_again = true; // the first offer
    loop {
        if !offer_again {
            tokio::select! {
                changed = wanted.changed() => if changed.is_err() { return },
                stray = answers.recv() => match stray {
                    Some(_) => {
                        log::debug!("an answer came with no offer open; ignored");
                        continue;
                    }
                    None => return,
                },
            }
        }
        let tracks = wanted.borrow_and_update().clone();
        let sdp = match offer(&connection, &tracks).await {
            Ok(sdp) => sdp,
            Err(err) => {
                log::warn!("could not make an offer: {err}");
                return;
            }
        };
        if outbox.send(ServerMessage::Offer { sdp }).await.is_err() {
            return;
        }
        offer_again = match tokio::time::timeout(ANSWER_TIMEOUT, answers.recv()).await {
            Ok(Some(sdp)) => {
                let applied = match RTCSessionDescription::answer(sdp) {
                    Ok(answer) => connection.set_remote_description(answer).await,
                    Err(err) => Err(err),
                };
                match applied {
                    Ok(()) => false,
                    Err(err) => {
                        log::warn!("a participant's answer was refused: {err}");
                        let message =
                            ServerMessage::error(ErrorCode::Invalid, format!("the answer was refused: {err}"));
                        let _ = outbox.send(message).await;
                        true
                    }
                }
            }
            Ok(None) => return,
            Err(_) => {
                log::warn!("a participant did not answer an offer within {} s", ANSWER_TIMEOUT.as_secs());
                true
            }
        };
    }
}

/// Brings the peer's senders in line with `tracks` and makes an offer with the ICE
/// candidates gathered (`meeting::with_candidates`).
async fn offer(connection: &RTCPeerConnection, tracks: &[OutgoingTrack]) -> Result<String, webrtc::Error> {
    let key = |track: &dyn TrackLocal| (track.stream_id().to_owned(), track.id().to_owned());
    let wanted: Vec<_> = tracks.iter().map(|t| key(t.as_ref())).collect();
    let mut present = Vec::new();
    for sender in connection.get_senders().await {
        let Some(track) = sender.track().await else { continue };
        let track_key = key(track.as_ref());
        if wanted.contains(&track_key) {
            present.push(track_key);
        } else {
            connection.remove_track(&sender).await?;
        }
    }
    for track in tracks {
        if !present.contains(&key(track.as_ref())) {
            let sender = connection.add_track(Arc::clone(track)).await?;
            // RTCP must be read for the interceptors (NACK, reports) to work.
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 1500];
                while sender.read(&mut buffer).await.is_ok() {}
            });
        }
    }
    let offer = connection.create_offer(None).await?;
    meeting::with_candidates(connection, offer).await
}
