//! One participant's WebRTC peer in the SFU. The room always makes the offers: at the start
//! and whenever the set of tracks this participant should hear changes. What the participant
//! sends is forwarded untouched (RTP in, RTP out, no transcoding) to a local track the hub
//! hands to everyone else, and their Opus audio is also decoded into the mixer under their id.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use audio::{SourceFeed, Sources};
use meeting::opus;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use webrtc::ice_transport::ice_gathering_state::RTCIceGatheringState;
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

use room_protocol::{ErrorCode, ServerMessage};

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
/// How long a closing peer waits for an ICE gathering under way to end. webrtc-ice gives up
/// on a STUN server after 5 s and on a TURN server's seven tries well within this; past it
/// the peer is closed anyway (and whatever the gathering finds later stays open).
const GATHERING_END: Duration = Duration::from_secs(60);
/// How long a closing peer waits for a connection under way (ICE up, DTLS finishing) to be
/// made or to fail, for the same reason (see [`close_when_settled`]).
const CONNECTING_END: Duration = Duration::from_secs(10);

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

/// A participant's peer, as the hub holds it. Closing it (or dropping it) asks its task to
/// close the connection; the task owns the connection, so the close never cuts into an offer.
pub struct GuestPeer {
    /// The tracks this participant should receive: latest wins.
    forwarded: watch::Sender<Vec<OutgoingTrack>>,
    answers: mpsc::Sender<String>,
    /// Dropped to close the peer.
    _open: oneshot::Sender<()>,
    life: JoinHandle<()>,
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
        let (state, states) = watch::channel(RTCPeerConnectionState::New);
        watch_state(&connection, owner, epoch, events.clone(), state);
        receive_tracks(&connection, owner, epoch, events, sources, silenced);
        let (forwarded, wanted) = watch::channel(forward);
        let (answers, answered) = mpsc::channel(ANSWER_QUEUE);
        let (open, closed) = oneshot::channel();
        let life = tokio::spawn(live(connection, states, wanted, answered, outbox, closed));
        Ok(GuestPeer { forwarded, answers, _open: open, life })
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

    /// Closes the connection, once any offer (and ICE gathering) under way is over: its
    /// tracks end and its reader tasks finish. Nobody needs to wait for it; the handle says
    /// when it is done.
    pub fn close(self) -> JoinHandle<()> {
        self.life
    }
}

/// Tells the hub, and the peer's own task (`states`), every connection state.
fn watch_state(
    connection: &RTCPeerConnection,
    owner: &str,
    epoch: u64,
    events: mpsc::Sender<PeerEvent>,
    states: watch::Sender<RTCPeerConnectionState>,
) {
    let owner = owner.to_owned();
    connection.on_peer_connection_state_change(Box::new(move |state| {
        states.send_replace(state);
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
        // An id of this connection's own: someone who comes back sends on new tracks, and the
        // others' peers only renegotiate onto a track whose id they do not have yet.
        let id = format!("{kind}-{owner}-{epoch}");
        let local = Arc::new(TrackLocalStaticRTP::new(remote.codec().capability, id, owner.clone()));
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
    let mut mix = mix.and_then(|(feed, owner, events, epoch)| match opus::Receiver::new(feed) {
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

/// A peer's life after it is opened: it negotiates until the hub closes it, then closes the
/// connection once no ICE gathering is under way.
async fn live(
    connection: Arc<RTCPeerConnection>,
    states: watch::Receiver<RTCPeerConnectionState>,
    wanted: watch::Receiver<Vec<OutgoingTrack>>,
    answers: mpsc::Receiver<String>,
    outbox: mpsc::Sender<ServerMessage>,
    mut closed: oneshot::Receiver<()>,
) {
    if negotiate(&connection, wanted, answers, outbox, &mut closed).await == Negotiation::Over {
        // Nothing more to offer (the page is gone, or an offer failed): open until closed.
        let _ = closed.await;
    }
    close_when_settled(&connection, states).await;
}

/// Closes `connection` once no ICE gathering and no connecting is under way, as webrtc-rs
/// 0.17 leaves open what a close cuts short there:
/// - a gathering runs on in webrtc-ice after its agent is closed, and the candidates it finds
///   then go to the closed agent, their sockets and read tasks never closed (a participant
///   leaving right after the welcome, while the room gathered for its first offer, left four
///   UDP sockets and about seven tasks behind one time in ten);
/// - a close while DTLS is being set up over a connected ICE leaves the DTLS connection that
///   is being made reading from its mux endpoint, which the close does not close, for good.
///
/// Only this task starts gatherings (by an offer, or an answer that restarts ICE), so none
/// starts after the check.
async fn close_when_settled(connection: &RTCPeerConnection, mut states: watch::Receiver<RTCPeerConnectionState>) {
    if connection.ice_gathering_state() == RTCIceGatheringState::Gathering {
        let mut gathered = connection.gathering_complete_promise().await;
        if tokio::time::timeout(GATHERING_END, gathered.recv()).await.is_err() {
            log::warn!("a participant's ICE gathering went on for {} s; closed anyway", GATHERING_END.as_secs());
        }
    }
    let settled = states.wait_for(|state| *state != RTCPeerConnectionState::Connecting);
    if tokio::time::timeout(CONNECTING_END, settled).await.is_err() {
        log::debug!(
            "a participant's connection was still being made after {} s; closed anyway",
            CONNECTING_END.as_secs()
        );
    }
    if let Err(err) = connection.close().await {
        log::debug!("closing a participant's peer: {err}");
    }
}

/// How negotiating ended.
#[derive(PartialEq)]
enum Negotiation {
    /// The hub closed the peer.
    Closed,
    /// No more offers can be made.
    Over,
}

/// Makes offers one at a time: the next one only after the page answered the last (or
/// did not in time), so the peer never has two negotiations going. Changes to the wanted
/// tracks meanwhile are folded into the next offer. Closing is noticed while waiting, never
/// in the middle of making an offer (see [`close_when_settled`]).
async fn negotiate(
    connection: &RTCPeerConnection,
    mut wanted: watch::Receiver<Vec<OutgoingTrack>>,
    mut answers: mpsc::Receiver<String>,
    outbox: mpsc::Sender<ServerMessage>,
    closed: &mut oneshot::Receiver<()>,
) -> Negotiation {
    let mut offer_again = true; // the first offer
    loop {
        if !offer_again {
            tokio::select! {
                _ = &mut *closed => return Negotiation::Closed,
                changed = wanted.changed() => if changed.is_err() { return Negotiation::Over },
                stray = answers.recv() => match stray {
                    Some(_) => {
                        log::debug!("an answer came with no offer open; ignored");
                        continue;
                    }
                    None => return Negotiation::Over,
                },
            }
        }
        let tracks = wanted.borrow_and_update().clone();
        let sdp = match offer(connection, &tracks).await {
            Ok(sdp) => sdp,
            Err(err) => {
                log::warn!("could not make an offer: {err}");
                return Negotiation::Over;
            }
        };
        tokio::select! {
            _ = &mut *closed => return Negotiation::Closed,
            sent = outbox.send(ServerMessage::Offer { sdp }) => if sent.is_err() { return Negotiation::Over },
        }
        let answered = tokio::select! {
            _ = &mut *closed => return Negotiation::Closed,
            answered = tokio::time::timeout(ANSWER_TIMEOUT, answers.recv()) => answered,
        };
        offer_again = match answered {
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
                        // Dropped if their page is that far behind: the offer that follows says it again.
                        let _ = outbox.try_send(message);
                        true
                    }
                }
            }
            Ok(None) => return Negotiation::Over,
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
            meeting::add_track(connection, Arc::clone(track)).await?;
        }
    }
    let offer = connection.create_offer(None).await?;
    meeting::with_candidates(connection, offer).await
}
