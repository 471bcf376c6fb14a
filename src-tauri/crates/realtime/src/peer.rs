//! One WebRTC call to the Realtime API (webrtc-rs): a send-only-in-practice Opus track for
//! the room mix (`meeting::opus`; the operator encodes onto it) and the `oai-events` data
//! channel, both made before the offer; the offer goes out once ICE gathering is complete
//! (no trickle), through [`CallsApi::create_call`].

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use webrtc::data_channel::data_channel_message::DataChannelMessage;
use webrtc::data_channel::RTCDataChannel;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;

use meeting::opus::{self, Fmtp, OpusTrack};
use meeting::peer::{add_track, new_peer, PeerNetwork};

use crate::api::CallsApi;
use crate::fault::Fault;

pub const EVENTS_CHANNEL: &str = "oai-events";
/// How long the connection may stay "disconnected" before the call counts as lost.
pub const DISCONNECT_GRACE: Duration = Duration::from_secs(5);
/// How long the data channel may take to open once the answer is in.
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);

/// What a call reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// A text message on the events channel.
    Message(String),
    /// The call cannot go on: the data channel closed, ICE failed, or the peer stayed
    /// disconnected past [`DISCONNECT_GRACE`].
    Lost(String),
}

/// An established call.
pub struct Call {
    pub call_id: String,
    peer: Arc<RTCPeerConnection>,
    track: OpusTrack,
    channel: Arc<RTCDataChannel>,
}

impl Call {
    /// Sets up a call: builds the peer, posts the offer with `session`, applies the answer
    /// and waits for the events channel to open. Events arrive on the returned receiver.
    pub async fn connect(api: &CallsApi, session: &Value) -> Result<(Call, mpsc::Receiver<PeerEvent>), Fault> {
        let network = PeerNetwork { include_loopback: api.endpoint().is_local(), ..PeerNetwork::default() };
        let peer = new_peer(&network).await.map_err(|err| Fault::Connection(err.to_string()))?;
        match Self::negotiate(api, session, Arc::clone(&peer)).await {
            Ok(connected) => Ok(connected),
            Err(fault) => {
                let _ = peer.close().await;
                Err(fault)
            }
        }
    }

    async fn negotiate(
        api: &CallsApi,
        session: &Value,
        peer: Arc<RTCPeerConnection>,
    ) -> Result<(Call, mpsc::Receiver<PeerEvent>), Fault> {
        let track = opus::track("room-mix", "boardroom", Fmtp::Stereo);
        add_track(&peer, Arc::clone(&track) as _).await.map_err(webrtc_fault)?;

        let channel = peer.create_data_channel(EVENTS_CHANNEL, None).await.map_err(webrtc_fault)?;
        // Server events waiting for the operator. When full, the data channel's reader
        // waits (SCTP then slows the sender); nothing is dropped, as a tool call may be in it.
        let (events, receiver) = mpsc::channel(256);
        let (opened_tx, opened) = tokio::sync::oneshot::channel::<()>();
        let opened_tx = std::sync::Mutex::new(Some(opened_tx));
        channel.on_open(Box::new(move || {
            if let Some(tx) = opened_tx.lock().ok().and_then(|mut tx| tx.take()) {
                let _ = tx.send(());
            }
            Box::pin(async {})
        }));
        let to_app = events.clone();
        channel.on_message(Box::new(move |message: DataChannelMessage| {
            let to_app = to_app.clone();
            Box::pin(async move {
                if message.is_string {
                    let text = String::from_utf8_lossy(&message.data).into_owned();
                    if to_app.send(PeerEvent::Message(text)).await.is_err() {
                        log::debug!("a Realtime event arrived after the call was dropped");
                    }
                }
            })
        }));
        let on_close = events.clone();
        channel.on_close(Box::new(move || {
            let _ = on_close.try_send(PeerEvent::Lost("the events channel closed".into()));
            Box::pin(async {})
        }));
        watch_connection(&peer, events);

        let offer = peer.create_offer(None).await.map_err(webrtc_fault)?;
        let mut gathered = peer.gathering_complete_promise().await;
        peer.set_local_description(offer).await.map_err(webrtc_fault)?;
        let _ = gathered.recv().await;
        let local = peer
            .local_description()
            .await
            .ok_or_else(|| Fault::Connection("no local description after ICE gathering".into()))?;

        let answer = api.create_call(&local.sdp, session).await?;
        let remote = RTCSessionDescription::answer(answer.sdp).map_err(webrtc_fault)?;
        peer.set_remote_description(remote).await.map_err(webrtc_fault)?;
        let call = Call { call_id: answer.call_id, peer, track, channel };
        match tokio::time::timeout(OPEN_TIMEOUT, opened).await {
            Ok(Ok(())) => Ok((call, receiver)),
            _ => {
                api.hangup(&call.call_id, crate::api::HANGUP_TIMEOUT).await;
                Err(Fault::Connection(format!("the events channel did not open within {} s", OPEN_TIMEOUT.as_secs())))
            }
        }
    }

    /// The track that carries the room mix to the model.
    pub fn audio_out(&self) -> OpusTrack {
        Arc::clone(&self.track)
    }

    /// Sends one client event on the events channel.
    pub async fn send(&self, event: &str) -> Result<(), Fault> {
        self.channel.send_text(event.to_owned()).await.map(drop).map_err(|err| Fault::Connection(err.to_string()))
    }

    /// Hangs up through the API (given up after `within`) while closing the peer.
    pub async fn hang_up(self, api: &CallsApi, within: std::time::Duration) {
        let (_, closed) = tokio::join!(api.hangup(&self.call_id, within), self.peer.close());
        if let Err(err) = closed {
            log::debug!("closing call {}: {err}", self.call_id);
        }
    }
}

/// Reports the call lost when ICE fails, or when it stays disconnected past the grace period.
fn watch_connection(peer: &RTCPeerConnection, events: mpsc::Sender<PeerEvent>) {
    let (state_tx, mut state) = tokio::sync::watch::channel(RTCPeerConnectionState::New);
    peer.on_peer_connection_state_change(Box::new(move |new_state| {
        let _ = state_tx.send(new_state);
        Box::pin(async {})
    }));
    tokio::spawn(async move {
        loop {
            let current = *state.borrow_and_update();
            let lost = match current {
                RTCPeerConnectionState::Failed => Some("the connection failed".to_owned()),
                // When we close it ourselves nobody listens any more, so this only reaches
                // the operator when the other side went away.
                RTCPeerConnectionState::Closed => Some("the connection was closed".to_owned()),
                RTCPeerConnectionState::Disconnected => {
                    match tokio::time::timeout(DISCONNECT_GRACE, state.changed()).await {
                        Ok(Ok(())) => continue,
                        Ok(Err(_)) => return,
                        Err(_) => {
                            Some(format!("the connection dropped for more than {} s", DISCONNECT_GRACE.as_secs()))
                        }
                    }
                }
                _ => None,
            };
            if let Some(reason) = lost {
                let _ = events.send(PeerEvent::Lost(reason)).await;
                return;
            }
            if state.changed().await.is_err() {
                return;
            }
        }
    });
}

fn webrtc_fault(err: webrtc::Error) -> Fault {
    Fault::Connection(err.to_string())
}
