//! The fake Realtime service as a process, for the end-to-end tests of the real window and
//! for trying the app without an OpenAI account. It prints its base URL on the first line
//! of stdout and serves, next to the API, a control API for the test driving it:
//! - `GET  /control/calls`: the calls set up so far, with the client events each received,
//!   what their last second of audio sounds like, and the problems the fake found;
//! - `GET  /control/envelope`: the latest call's last 10 s of audio as levels, one per
//!   10 ms (dBFS), for measuring what it heard when (an echo after a burst, say);
//! - `GET  /control/speech?tones=300,500`: the utterances the fake's voice detection
//!   reported on the latest call, each with how loud each of the given tones is in its
//!   speech (padding and closing silence left out): who really spoke, for the tests;
//! - `POST /control/send`: a server event (the body) for the latest call.
//!
//! Usage: `fake-realtime --key KEY [--port PORT]`.

use std::sync::Arc;
use std::time::Duration;

use audio::signal;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use fake_realtime::{FakeCall, FakeRealtime};
use serde_json::{json, Value};
use tokio::sync::Mutex;

struct Control {
    fake: FakeRealtime,
    calls: Mutex<Vec<FakeCall>>,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut key, mut port, mut listen) = (None, 0u16, std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--key" => key = args.next(),
            "--port" => port = args.next().and_then(|p| p.parse().ok()).expect("--port takes a number"),
            "--listen" => listen = args.next().and_then(|a| a.parse().ok()).expect("--listen takes an IP address"),
            _ => {
                eprintln!("usage: fake-realtime --key KEY [--port PORT] [--listen IP]");
                std::process::exit(2);
            }
        }
    }
    let key = key.unwrap_or_else(|| {
        eprintln!("usage: fake-realtime --key KEY [--port PORT] [--listen IP]");
        std::process::exit(2)
    });
    let control = Arc::new(Control { fake: FakeRealtime::start_on(&key, listen).await, calls: Mutex::default() });
    let collector = Arc::clone(&control);
    tokio::spawn(async move {
        loop {
            let call = collector.fake.next_call(Duration::from_secs(3600)).await;
            collector.calls.lock().await.push(call);
        }
    });
    let app = Router::new()
        .route("/control/calls", get(calls))
        .route("/control/envelope", get(envelope))
        .route("/control/speech", get(speech))
        .route("/control/send", post(send))
        .with_state(Arc::clone(&control));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the control port");
    println!("{}", control.fake.base_url);
    println!("control http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.expect("the control API serves");
}

async fn calls(State(control): State<Arc<Control>>) -> Json<Value> {
    let calls = control.calls.lock().await;
    let listed: Vec<Value> = calls
        .iter()
        .map(|call| {
            let outputs: Vec<Value> =
                call.outputs().into_iter().map(|(id, output)| json!({ "call_id": id, "output": output })).collect();
            let audio = call.audio();
            json!({
                "call_id": call.call_id,
                "session": call.session,
                "events": call.events(),
                "outputs": outputs,
                "audio_samples": audio.len(),
                "recent_audio": recent(&audio),
            })
        })
        .collect();
    Json(json!({ "calls": listed, "problems": control.fake.problems(), "hangups": control.fake.hangups() }))
}

/// What the last second of the call's audio sounds like: level, pitch and how much of it is in the voice band.
fn recent(audio: &[f32]) -> Value {
    let last_second = &audio[audio.len().saturating_sub(2 * audio::SAMPLE_RATE as usize)..];
    let mono = signal::left(last_second);
    json!({
        "rms_dbfs": audio::frame::dbfs(signal::rms(&mono)),
        "frequency": signal::frequency(&mono),
        "voice_band_share": signal::band_share(&mono, 100.0, 4000.0),
    })
}

/// How loud each 10 ms of the latest call's last 10 s was (left channel, dBFS).
async fn envelope(State(control): State<Arc<Control>>) -> Result<Json<Value>, StatusCode> {
    const WINDOW: usize = audio::SAMPLE_RATE as usize / 100;
    let calls = control.calls.lock().await;
    let audio = calls.last().ok_or(StatusCode::CONFLICT)?.audio();
    let recent = &audio[audio.len().saturating_sub(10 * 2 * audio::SAMPLE_RATE as usize)..];
    let levels: Vec<f32> =
        signal::left(recent).chunks_exact(WINDOW).map(|w| audio::frame::dbfs(signal::rms(w))).collect();
    Ok(Json(json!({ "window_ms": 10, "dbfs": levels })))
}

#[derive(serde::Deserialize)]
struct SpeechQuery {
    /// Comma-separated frequencies in Hz.
    #[serde(default)]
    tones: String,
}

/// The latest call's utterances, with the level of each asked-for tone in their speech.
async fn speech(
    State(control): State<Arc<Control>>,
    Query(query): Query<SpeechQuery>,
) -> Result<Json<Value>, StatusCode> {
    let tones: Vec<f32> = query.tones.split(',').filter_map(|t| t.trim().parse().ok()).collect();
    let calls = control.calls.lock().await;
    let call = calls.last().ok_or(StatusCode::CONFLICT)?;
    let detection = &call.session["audio"]["input"]["turn_detection"];
    let padding = detection["prefix_padding_ms"].as_u64().unwrap_or(300);
    let silence = detection["silence_duration_ms"].as_u64().unwrap_or(500);
    let listed: Vec<Value> = call
        .speech()
        .into_iter()
        .map(|utterance| {
            let levels: serde_json::Map<String, Value> = match utterance.audio_end_ms {
                Some(end) => {
                    let mono = signal::left(
                        &call.audio_between(utterance.audio_start_ms + padding, end.saturating_sub(silence)),
                    );
                    tones.iter().map(|hz| (hz.to_string(), json!(signal::tone_amplitude(&mono, *hz)))).collect()
                }
                None => serde_json::Map::new(),
            };
            json!({
                "item_id": utterance.item_id,
                "audio_start_ms": utterance.audio_start_ms,
                "audio_end_ms": utterance.audio_end_ms,
                "tones": levels,
            })
        })
        .collect();
    Ok(Json(json!({ "call_id": call.call_id, "utterances": listed })))
}

async fn send(State(control): State<Arc<Control>>, body: String) -> StatusCode {
    let calls = control.calls.lock().await;
    match calls.last() {
        Some(call) => {
            call.send(&body).await;
            StatusCode::NO_CONTENT
        }
        None => StatusCode::CONFLICT,
    }
}
