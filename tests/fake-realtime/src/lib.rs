//! A fake OpenAI Realtime service for tests, speaking the real protocol: `POST
//! /v1/realtime/calls` takes a multipart SDP offer and session, answers `201` with SDP and a
//! `Location`; a webrtc-rs peer answers, decodes the client's Opus track, and exchanges JSON
//! events on the `oai-events` data channel; `POST /v1/realtime/calls/{id}/hangup` ends a
//! call. It checks the Bearer key, the multipart fields, the session JSON and every client
//! event, and records what it finds wrong in [`FakeRealtime::problems`]. Like the service,
//! it detects speech in the call's audio and reports it (`vad`).

mod check;
pub mod vad;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audio::{Frame, OpusDecoder, FRAME_LEN};
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};
use vad::{Utterance, Vad};
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::api::APIBuilder;
use webrtc::data_channel::data_channel_message::DataChannelMessage;
use webrtc::data_channel::RTCDataChannel;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::peer_connection::RTCPeerConnection;

pub use check::check_session;

/// At most this much decoded audio is kept per call.
const MAX_AUDIO_SECONDS: usize = 30;

/// One `POST /realtime/calls` as the fake saw it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: Instant,
    pub status: u16,
}

/// The fake service; it runs until dropped.
pub struct FakeRealtime {
    /// What to pass as `OPENAI_BASE_URL`, e.g. `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    shared: Arc<Shared>,
    calls: tokio::sync::Mutex<mpsc::UnboundedReceiver<FakeCall>>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    key: String,
    state: Mutex<Ledger>,
    calls: mpsc::UnboundedSender<FakeCall>,
}

#[derive(Default)]
struct Ledger {
    planned: VecDeque<(u16, String)>,
    attempts: Vec<Attempt>,
    hangups: Vec<String>,
    problems: Vec<String>,
    peers: Vec<(String, Arc<RTCPeerConnection>)>,
    next_call: u32,
    /// Set-ups that reached the fake (answered or not yet).
    setups_begun: usize,
    /// How long set-ups and hang-ups take to be answered: a slow network or service.
    setup_delay: Duration,
    hangup_delay: Duration,
    /// Every how many audio packets one is lost on its way in (0: none).
    lose_every: u32,
}

impl Drop for FakeRealtime {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeRealtime {
    /// Starts the fake on a free loopback port; calls must carry `Bearer {key}`.
    pub async fn start(key: &str) -> FakeRealtime {
        FakeRealtime::start_on(key, std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)).await
    }

    /// Starts the fake on a free port of `address`: one of this machine's that another
    /// computer (a network namespace of the tests) reaches it at.
    pub async fn start_on(key: &str, address: std::net::IpAddr) -> FakeRealtime {
        let (calls_tx, calls) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared { key: key.to_owned(), state: Mutex::default(), calls: calls_tx });
        let app = Router::new()
            .route("/v1/realtime/calls", post(create_call))
            .route("/v1/realtime/calls/{id}/hangup", post(hang_up))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind((address, 0)).await.expect("bind the fake");
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake serves");
        });
        FakeRealtime { base_url, shared, calls: tokio::sync::Mutex::new(calls), server }
    }

    /// The next call set-ups get these HTTP answers instead of a call, in order.
    pub fn answer_next_with(&self, status: u16, body: &str) {
        self.shared.state.lock().unwrap().planned.push_back((status, body.to_owned()));
    }

    /// The next call whose events channel opened.
    pub async fn next_call(&self, within: Duration) -> FakeCall {
        let mut calls = self.calls.lock().await;
        tokio::time::timeout(within, calls.recv())
            .await
            .unwrap_or_else(|_| panic!("no call reached the fake within {within:?}; problems: {:?}", self.problems()))
            .expect("the fake is running")
    }

    /// Answers call set-ups only after `delay` from now on (a slow network or service).
    pub fn slow_setups(&self, delay: Duration) {
        self.shared.state.lock().unwrap().setup_delay = delay;
    }

    /// Loses one in `every` incoming audio packet from now on, as a lossy network would
    /// (0: none); the fake conceals the gap, keeping the call's clock, as the service does.
    pub fn lose_packets(&self, every: u32) {
        self.shared.state.lock().unwrap().lose_every = every;
    }

    /// Answers hang-ups only after `delay` from now on.
    pub fn slow_hangups(&self, delay: Duration) {
        self.shared.state.lock().unwrap().hangup_delay = delay;
    }

    /// How many call set-ups have reached the fake, answered or not.
    pub fn setups_begun(&self) -> usize {
        self.shared.state.lock().unwrap().setups_begun
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.shared.state.lock().unwrap().attempts.clone()
    }

    pub fn hangups(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().hangups.clone()
    }

    /// Everything clients did that the real service would reject or that breaks the protocol.
    pub fn problems(&self) -> Vec<String> {
        self.shared.state.lock().unwrap().problems.clone()
    }
}

/// A call the fake accepted, from the server's side.
#[derive(Clone)]
pub struct FakeCall {
    pub call_id: String,
    /// The session sent with the offer.
    pub session: Value,
    peer: Arc<RTCPeerConnection>,
    channel: Arc<RTCDataChannel>,
    received: Arc<Mutex<Vec<(Instant, Value)>>>,
    arrived: Arc<Notify>,
    audio: Arc<Mutex<Heard>>,
    speech: Arc<Mutex<Vec<Utterance>>>,
}

/// The call's audio as the service has it: the last [`MAX_AUDIO_SECONDS`], in timeline order.
#[derive(Default)]
struct Heard {
    samples: Vec<f32>,
    /// Frames of the call's start no longer kept.
    forgotten_frames: u64,
}

impl FakeCall {
    /// Sends a server event (any text, so tests can send garbage too).
    pub async fn send(&self, text: &str) {
        self.channel.send_text(text.to_owned()).await.expect("the fake sends an event");
    }

    pub async fn send_json(&self, event: Value) {
        self.send(&event.to_string()).await;
    }

    /// Every client event received so far, in order.
    pub fn events(&self) -> Vec<Value> {
        self.received.lock().unwrap().iter().map(|(_, event)| event.clone()).collect()
    }

    /// When each client event of one type arrived.
    pub fn arrivals_of(&self, kind: &str) -> Vec<Instant> {
        self.received.lock().unwrap().iter().filter(|(_, e)| e["type"] == kind).map(|(at, _)| *at).collect()
    }

    /// Client events of one type.
    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events().into_iter().filter(|e| e["type"] == kind).collect()
    }

    /// The function call outputs received, as (call id, parsed output).
    pub fn outputs(&self) -> Vec<(String, Value)> {
        self.events_of("conversation.item.create")
            .iter()
            .filter(|e| e["item"]["type"] == "function_call_output")
            .map(|e| {
                let output =
                    serde_json::from_str(e["item"]["output"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
                (e["item"]["call_id"].as_str().unwrap_or_default().to_owned(), output)
            })
            .collect()
    }

    /// The texts of the system messages received: what the client told the model that nobody said.
    pub fn system_messages(&self) -> Vec<String> {
        self.events_of("conversation.item.create")
            .iter()
            .filter(|e| e["item"]["type"] == "message" && e["item"]["role"] == "system")
            .filter_map(|e| e["item"]["content"][0]["text"].as_str().map(str::to_owned))
            .collect()
    }

    /// The `session.update`s that changed the set-up's instructions or tools: each makes the
    /// service bill the whole conversation again without its cache.
    pub fn prefix_changes(&self) -> Vec<Value> {
        self.events_of("session.update")
            .into_iter()
            .filter(|e| {
                let changed = |field: &str| e["session"].get(field).is_some_and(|v| *v != self.session[field]);
                changed("instructions") || changed("tools")
            })
            .collect()
    }

    /// Waits until `done` holds for the events received, or panics after `within`.
    pub async fn wait_for(&self, within: Duration, what: &str, done: impl Fn(&FakeCall) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let arrived = self.arrived.notified();
            if done(self) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("timed out waiting for {what}; events so far: {:#?}", self.events());
            }
            // Events wake us at once; audio is checked every few frames.
            let _ = tokio::time::timeout(Duration::from_millis(50), arrived).await;
        }
    }

    /// The decoded audio received so far, interleaved stereo at 48 kHz.
    pub fn audio(&self) -> Vec<f32> {
        self.audio.lock().unwrap().samples.clone()
    }

    /// The audio between `start_ms` and `end_ms` of the call's clock, as far as it is kept.
    pub fn audio_between(&self, start_ms: u64, end_ms: u64) -> Vec<f32> {
        let heard = self.audio.lock().unwrap();
        let index = |ms: u64| {
            let frame = (ms / 20).saturating_sub(heard.forgotten_frames) as usize;
            (frame * FRAME_LEN).min(heard.samples.len())
        };
        heard.samples[index(start_ms)..index(end_ms).max(index(start_ms))].to_vec()
    }

    /// The utterances the fake's voice detection reported, in order.
    pub fn speech(&self) -> Vec<Utterance> {
        self.speech.lock().unwrap().clone()
    }

    /// Ends the call abruptly from the server's side, as a network drop would.
    pub async fn drop_connection(&self) {
        let _ = self.peer.close().await;
    }

    /// Closes only the events channel; the media connection stays up.
    pub async fn close_events_channel(&self) {
        let _ = self.channel.close().await;
    }
}

/// The real API's answer to a missing or wrong Bearer key, which quotes the key given: a
/// long one masked to its first eight and last four characters, a short one whole.
fn refuse_unauthorized(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let expected = format!("Bearer {}", shared.key);
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if given == Some(expected.as_str()) {
        return None;
    }
    let key: Vec<char> = given.and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default().chars().collect();
    let quoted: String = match key.len() {
        0 => String::new(),
        n if n > 12 => key[..8].iter().chain(&['*'; 24]).chain(&key[n - 4..]).collect(),
        _ => key.iter().collect(),
    };
    let message = format!(
        "Incorrect API key provided: {quoted}. You can find your API key at https://platform.openai.com/account/api-keys."
    );
    Some(answer(401, error_body("invalid_request_error", "invalid_api_key", &message)))
}

fn error_body(kind: &str, code: &str, message: &str) -> String {
    json!({ "error": { "type": kind, "code": code, "message": message, "param": null } }).to_string()
}

fn answer(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn create_call(State(shared): State<Arc<Shared>>, headers: HeaderMap, multipart: Multipart) -> Response {
    let delay = {
        let mut state = shared.state.lock().unwrap();
        state.setups_begun += 1;
        state.setup_delay
    };
    tokio::time::sleep(delay).await;
    let response = accept_call(&shared, &headers, multipart).await;
    let status = response.status().as_u16();
    shared.state.lock().unwrap().attempts.push(Attempt { at: Instant::now(), status });
    response
}

async fn accept_call(shared: &Arc<Shared>, headers: &HeaderMap, mut multipart: Multipart) -> Response {
    if let Some(refused) = refuse_unauthorized(shared, headers) {
        return refused;
    }
    if let Some((status, body)) = shared.state.lock().unwrap().planned.pop_front() {
        return answer(status, body);
    }
    let (mut sdp, mut session) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.unwrap_or_default();
        match name.as_str() {
            "sdp" => sdp = Some(text),
            "session" => session = Some(text),
            other => problem(shared, format!("unexpected multipart field {other:?}")),
        }
    }
    let (Some(sdp), Some(session)) = (sdp, session) else {
        problem(shared, "the set-up lacks the sdp or session field".into());
        return answer(400, error_body("invalid_request_error", "missing_field", "sdp and session are required"));
    };
    let session: Value = match serde_json::from_str(&session) {
        Ok(session) => session,
        Err(err) => {
            problem(shared, format!("the session field is not JSON: {err}"));
            return answer(400, error_body("invalid_request_error", "invalid_json", "session is not JSON"));
        }
    };
    for found in check_session(&session) {
        problem(shared, format!("session in set-up: {found}"));
    }
    match answer_offer(shared, sdp, session).await {
        Ok((call_id, answer_sdp)) => (
            StatusCode::CREATED,
            [
                (header::CONTENT_TYPE, "application/sdp".to_owned()),
                (header::LOCATION, format!("/v1/realtime/calls/{call_id}")),
            ],
            answer_sdp,
        )
            .into_response(),
        Err(err) => {
            problem(shared, format!("the offer could not be answered: {err}"));
            answer(400, error_body("invalid_request_error", "invalid_offer", &err.to_string()))
        }
    }
}

fn problem(shared: &Shared, what: String) {
    shared.state.lock().unwrap().problems.push(what);
}

async fn answer_offer(shared: &Arc<Shared>, offer: String, session: Value) -> Result<(String, String), webrtc::Error> {
    // Two rustls crypto providers are compiled in; DTLS needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut media = MediaEngine::default();
    media.register_default_codecs()?;
    let interceptors = register_default_interceptors(Registry::new(), &mut media)?;
    let mut settings = SettingEngine::default();
    settings.set_include_loopback_candidate(true);
    let api = APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(interceptors)
        .with_setting_engine(settings)
        .build();
    let peer = Arc::new(api.new_peer_connection(RTCConfiguration::default()).await?);
    let call_id = {
        let mut state = shared.state.lock().unwrap();
        state.next_call += 1;
        format!("rtc_fake{:04}", state.next_call)
    };

    let audio = Arc::new(Mutex::new(Heard::default()));
    let speech = Arc::new(Mutex::new(Vec::new()));
    // Where the voice detection's events go once the client's events channel is open.
    let events_out: Arc<Mutex<Option<Arc<RTCDataChannel>>>> = Arc::default();
    let listener = Listener {
        shared: Arc::clone(shared),
        audio: Arc::clone(&audio),
        speech: Arc::clone(&speech),
        events_out: Arc::clone(&events_out),
        vad: Arc::new(Mutex::new(Vad::new(&call_id, &session))),
    };
    peer.on_track(Box::new(move |track, _, _| {
        tokio::spawn(listener.clone().listen(track));
        Box::pin(async {})
    }));

    let received = Arc::new(Mutex::new(Vec::new()));
    let arrived = Arc::new(Notify::new());
    let (shared_dc, received_dc, arrived_dc, audio_dc, speech_dc) =
        (Arc::clone(shared), Arc::clone(&received), Arc::clone(&arrived), Arc::clone(&audio), Arc::clone(&speech));
    let (peer_dc, call_id_dc, session_dc) = (Arc::clone(&peer), call_id.clone(), session);
    peer.on_data_channel(Box::new(move |channel: Arc<RTCDataChannel>| {
        if channel.label() != "oai-events" {
            problem(&shared_dc, format!("unexpected data channel {:?}", channel.label()));
        }
        let (shared, received, arrived) = (Arc::clone(&shared_dc), Arc::clone(&received_dc), Arc::clone(&arrived_dc));
        channel.on_message(Box::new(move |message: DataChannelMessage| {
            let text = String::from_utf8_lossy(&message.data).into_owned();
            match serde_json::from_str::<Value>(&text) {
                Ok(event) => {
                    for found in check::check_client_event(&event) {
                        problem(&shared, found);
                    }
                    received.lock().unwrap().push((Instant::now(), event));
                }
                Err(err) => problem(&shared, format!("a client event is not JSON ({err}): {text}")),
            }
            arrived.notify_waiters();
            Box::pin(async {})
        }));
        let call = FakeCall {
            call_id: call_id_dc.clone(),
            session: session_dc.clone(),
            peer: Arc::clone(&peer_dc),
            channel: Arc::clone(&channel),
            received: Arc::clone(&received_dc),
            arrived: Arc::clone(&arrived_dc),
            audio: Arc::clone(&audio_dc),
            speech: Arc::clone(&speech_dc),
        };
        let calls = shared_dc.calls.clone();
        let open = Arc::clone(&channel);
        let events_out = Arc::clone(&events_out);
        Box::pin(async move {
            open.on_open(Box::new(move || {
                *events_out.lock().unwrap() = Some(Arc::clone(&call.channel));
                let _ = calls.send(call);
                Box::pin(async {})
            }));
        })
    }));

    peer.set_remote_description(RTCSessionDescription::offer(offer)?).await?;
    let answer = peer.create_answer(None).await?;
    let mut gathered = peer.gathering_complete_promise().await;
    peer.set_local_description(answer).await?;
    let _ = gathered.recv().await;
    let local = peer.local_description().await.ok_or(webrtc::Error::ErrNoRemoteDescription)?;
    shared.state.lock().unwrap().peers.push((call_id.clone(), peer));
    Ok((call_id, local.sdp))
}

async fn hang_up(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(call_id): Path<String>) -> Response {
    if let Some(refused) = refuse_unauthorized(&shared, &headers) {
        return refused;
    }
    let delay = shared.state.lock().unwrap().hangup_delay;
    tokio::time::sleep(delay).await;
    let peer = {
        let mut state = shared.state.lock().unwrap();
        state.hangups.push(call_id.clone());
        let index = state.peers.iter().position(|(id, _)| *id == call_id);
        index.map(|i| state.peers.remove(i).1)
    };
    match peer {
        Some(peer) => {
            let _ = peer.close().await;
            StatusCode::OK.into_response()
        }
        None => answer(404, error_body("invalid_request_error", "call_not_found", "No such call.")),
    }
}

/// Hears a call's audio track: decodes it onto the call's timeline and detects speech in it.
#[derive(Clone)]
struct Listener {
    shared: Arc<Shared>,
    audio: Arc<Mutex<Heard>>,
    speech: Arc<Mutex<Vec<Utterance>>>,
    events_out: Arc<Mutex<Option<Arc<RTCDataChannel>>>>,
    vad: Arc<Mutex<Vad>>,
}

/// Utterances kept per call for the tests to look at.
const MAX_UTTERANCES: usize = 1000;
/// Lost packets in a row that are concealed; the rest of a longer gap is silence.
const MAX_CONCEALED: u64 = 5;

impl Listener {
    async fn listen(self, track: Arc<webrtc::track::track_remote::TrackRemote>) {
        let mut decoder = OpusDecoder::new().expect("an Opus decoder");
        let mut frame: Frame = [0.0; FRAME_LEN];
        let (mut first_timestamp, mut next_frame, mut packets) = (None, 0u64, 0u32);
        while let Ok((packet, _)) = track.read_rtp().await {
            packets = packets.wrapping_add(1);
            let lose_every = self.shared.state.lock().unwrap().lose_every;
            if lose_every > 0 && packets % lose_every == 0 {
                continue;
            }
            // The call's clock is the packets' RTP time (960 per 20 ms frame), not their arrival.
            let timestamp = packet.header.timestamp;
            let first = *first_timestamp.get_or_insert(timestamp);
            let index = u64::from(timestamp.wrapping_sub(first) / 960);
            if index < next_frame {
                continue; // late or repeated: its place was filled already
            }
            for missing in 0..index - next_frame {
                let concealed = missing < MAX_CONCEALED && decoder.decode(None, &mut frame).is_ok();
                if !concealed {
                    frame.fill(0.0);
                }
                self.heard(&frame).await;
            }
            if decoder.decode(Some(&packet.payload), &mut frame).is_err() {
                frame.fill(0.0);
            }
            self.heard(&frame).await;
            next_frame = index + 1;
        }
    }

    /// Keeps one frame of the call's audio and tells the client what the voice detection makes of it.
    async fn heard(&self, frame: &Frame) {
        {
            let mut audio = self.audio.lock().unwrap();
            audio.samples.extend_from_slice(frame);
            let excess_frames = (audio.samples.len() / FRAME_LEN).saturating_sub(MAX_AUDIO_SECONDS * 50);
            audio.samples.drain(..excess_frames * FRAME_LEN);
            audio.forgotten_frames += excess_frames as u64;
        }
        let level = audio::frame::dbfs(audio::signal::rms(frame));
        let Some((events, utterance)) = self.vad.lock().unwrap().frame(level) else { return };
        {
            let mut speech = self.speech.lock().unwrap();
            match speech.iter_mut().find(|known| known.item_id == utterance.item_id) {
                Some(known) => *known = utterance,
                None => speech.push(utterance),
            }
            let excess = speech.len().saturating_sub(MAX_UTTERANCES);
            speech.drain(..excess);
        }
        let channel = self.events_out.lock().unwrap().clone();
        if let Some(channel) = channel {
            for event in events {
                let _ = channel.send_text(event.to_string()).await;
            }
        }
    }
}
