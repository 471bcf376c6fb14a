//! A fake OpenAI Realtime service for tests, speaking the real protocol: `POST
//! /v1/realtime/calls` takes a multipart SDP offer and session, answers `201` with SDP and a
//! `Location`; a webrtc-rs peer answers, decodes the client's Opus track, and exchanges JSON
//! events on the `oai-events` data channel; `POST /v1/realtime/calls/{id}/hangup` ends a
//! call. It checks the Bearer key, the multipart fields, the session JSON and every client
//! event, and records what it finds wrong in [`FakeRealtime::problems`].

mod check;

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
    audio: Arc<Mutex<Vec<f32>>>,
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
        self.audio.lock().unwrap().clone()
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

    let audio = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&audio);
    peer.on_track(Box::new(move |track, _, _| {
        let sink = Arc::clone(&sink);
        tokio::spawn(async move {
            let mut decoder = OpusDecoder::new().expect("an Opus decoder");
            let mut frame: Frame = [0.0; FRAME_LEN];
            while let Ok((packet, _)) = track.read_rtp().await {
                if decoder.decode(Some(&packet.payload), &mut frame).is_ok() {
                    let mut audio = sink.lock().unwrap();
                    audio.extend_from_slice(&frame);
                    let excess = audio.len().saturating_sub(MAX_AUDIO_SECONDS * 50 * FRAME_LEN);
                    audio.drain(..excess);
                }
            }
        });
        Box::pin(async {})
    }));

    let received = Arc::new(Mutex::new(Vec::new()));
    let arrived = Arc::new(Notify::new());
    let (shared_dc, received_dc, arrived_dc, audio_dc) =
        (Arc::clone(shared), Arc::clone(&received), Arc::clone(&arrived), Arc::clone(&audio));
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
        };
        let calls = shared_dc.calls.clone();
        let open = Arc::clone(&channel);
        Box::pin(async move {
            open.on_open(Box::new(move || {
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
