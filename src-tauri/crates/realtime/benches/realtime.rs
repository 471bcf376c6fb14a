//! Figures for the voice operator, against the fake Realtime service over loopback:
//! - PCM frame in → RTP packet out: Opus encode + packetise + SRTP + socket send of one
//!   20 ms room frame, at the real 20 ms cadence (p50/p99), and the CPU it costs;
//! - tool-call event in → board change out: from the fake sending `response.output_item.done`
//!   to the board actor broadcasting the saved change (p50/p99);
//! - the size of the board message at 5, 100, 1,000 and 2,000 cards.
//!
//! Run: `cargo bench -p boardroom-realtime --bench realtime`.

mod on_call;

use std::time::{Duration, Instant};

use audio::signal::tone_frame;
use audio::OpusEncoder;
use fake_realtime::FakeRealtime;
use on_call::{board_of, on_call};
use realtime::peer::Call;
use realtime::{board_items, session, CallsApi, Endpoint};
use serde_json::json;

const KEY: &str = "sk-bench";
const FRAMES: usize = 1_500;
const TOOL_CALLS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (n = {})",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        samples.len()
    )
}

/// CPU time this thread has used (user + system), from /proc.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    Duration::from_secs_f64(ticks as f64 / 100.0)
}

async fn frame_to_packet(fake: &FakeRealtime) {
    let api = CallsApi::new(Endpoint { base_url: fake.base_url.clone(), api_key: KEY.into() });
    let session = session::session(session::DEFAULT_MODEL, "", realtime::Language::default());
    let (call, _events) = Call::connect(&api, &session).await.expect("a call to the fake");
    let _server_side = fake.next_call(Duration::from_secs(20)).await;
    let out = call.audio_out();
    let mut encoder = OpusEncoder::new(48_000).unwrap();
    let frames: Vec<_> = (0..50).map(|i| tone_frame(440.0, 0.3, i)).collect();
    let mut timings = Vec::with_capacity(FRAMES);
    let mut clock = tokio::time::interval(Duration::from_millis(20));
    let cpu_before = thread_cpu();
    for i in 0..FRAMES {
        clock.tick().await;
        let started = Instant::now();
        let packet = encoder.encode(&frames[i % frames.len()]).unwrap();
        meeting::opus::write_packet(&out, packet).await.unwrap();
        timings.push(started.elapsed());
    }
    let cpu = thread_cpu().saturating_sub(cpu_before);
    println!("PCM frame in -> RTP packet out: {}", summary(timings));
    println!(
        "CPU per frame for encode + send: {:.3} ms ({:.1} % of one core at 50 frames/s; /proc thread time, 10 ms ticks)",
        cpu.as_secs_f64() * 1e3 / FRAMES as f64,
        cpu.as_secs_f64() / (FRAMES as f64 * 0.02) * 100.0
    );
    call.hang_up(&api, realtime::api::HANGUP_TIMEOUT).await;
}

async fn tool_call_to_change(fake: &FakeRealtime) {
    let rig = on_call(fake, KEY, board::seed::board()).await;
    let (board, call) = (&rig.board, &rig.call);
    let mut changes = board.subscribe();
    let mut timings = Vec::with_capacity(TOOL_CALLS);
    for i in 0..TOOL_CALLS {
        let status = if i % 2 == 0 { "Done" } else { "Backlog" };
        let arguments = json!({ "card_id": "card-003", "status": status }).to_string();
        let event = json!({ "type": "response.output_item.done", "response_id": format!("r{i}"), "item": { "type": "function_call", "call_id": format!("c{i}"), "name": "move_ticket", "arguments": arguments } });
        let started = Instant::now();
        call.send_json(event).await;
        changes.recv().await.expect("a board change");
        timings.push(started.elapsed());
    }
    println!("tool-call event in -> board change out (saved to disk): {}", summary(timings));
    rig.operator.stop().await;
}

fn board_message_sizes() {
    for count in [5usize, 100, 1_000, 2_000] {
        let made = board_items::snapshot(&board_of(count));
        println!(
            "board message at {count} cards: {} bytes, {} cards listed, {} left to find_cards",
            made.text.len(),
            made.listed,
            made.left_out
        );
    }
}

fn main() {
    println!("instructions and tools: {} bytes, the same for every board", {
        let session = session::session(session::DEFAULT_MODEL, "", realtime::Language::default());
        session["instructions"].to_string().len() + session["tools"].to_string().len()
    });
    board_message_sizes();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let fake = FakeRealtime::start(KEY).await;
        frame_to_packet(&fake).await;
        tool_call_to_change(&fake).await;
    });
}
