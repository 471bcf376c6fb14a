//! What a standup costs: the real voice operator against the fake Realtime service, in a
//! scripted meeting on a board of 60 cards: 40 responses (each after about 10 s of speech),
//! 15 board changes among them (10 by voice, 3 by hand, 2 by a participant).
//! Prints the bytes sent to the model per board change, and the input tokens the service
//! would bill uncached and cached with the estimated cost at list prices.
//!
//! The bill is estimated from what the operator sent, as the API bills it: every response
//! reads the whole conversation (instructions and tools, then the items in order); the
//! longest part of it that is the same as in the previous response, from the start, is
//! cached (in steps of 128 tokens, from 1,024 on). Text is counted at 4 bytes a token,
//! speech at 10 tokens a second (gpt-realtime's audio tokens are 100 ms each).
//! It uses only what every version of the operator has, so it runs on older ones too.
//!
//! Run: `cargo bench -p boardroom-realtime --bench standup`.

mod on_call;

use std::time::{Duration, Instant};

use board::{Edit, Source, Status};
use fake_realtime::{FakeCall, FakeRealtime};
use on_call::{board_of, on_call};
use serde_json::{json, Value};

const KEY: &str = "sk-bench";
const CARDS: usize = 60;
const RESPONSES: usize = 40;
/// Speech before each response: 40 of them make a 7-minute standup of talk.
const SPEECH_SECONDS: u64 = 10;
const AUDIO_TOKENS_PER_SECOND: u64 = 10;
const TEXT_BYTES_PER_TOKEN: u64 = 4;
/// Tokens of the model's own function call in each response.
const OUTPUT_TOKENS: u64 = 30;

/// List prices in dollars per million tokens for gpt-realtime-2 (as of 2026-11).
const TEXT_IN: f64 = 4.0;
const AUDIO_IN: f64 = 32.0;
const CACHED_IN: f64 = 0.40;
const TEXT_OUT: f64 = 16.0;

/// One thing in the conversation the service keeps, with its tokens.
#[derive(Clone, PartialEq)]
struct Piece {
    what: String,
    tokens: u64,
    audio: bool,
}

fn text_piece(what: String) -> Piece {
    let tokens = (what.len() as u64).div_ceil(TEXT_BYTES_PER_TOKEN);
    Piece { what, tokens, audio: false }
}

/// The client events the fake received, with when each arrived.
fn received(call: &FakeCall) -> Vec<(Instant, Value)> {
    let mut all = Vec::new();
    for kind in ["session.update", "conversation.item.create", "response.create"] {
        all.extend(call.arrivals_of(kind).into_iter().zip(call.events_of(kind)));
    }
    all.sort_by_key(|(at, _)| *at);
    all
}

#[derive(Default)]
struct Bill {
    text: u64,
    audio: u64,
    cached_text: u64,
    cached_audio: u64,
    output: u64,
}

impl Bill {
    fn dollars(&self) -> f64 {
        ((self.text - self.cached_text) as f64 * TEXT_IN
            + (self.audio - self.cached_audio) as f64 * AUDIO_IN
            + (self.cached_text + self.cached_audio) as f64 * CACHED_IN
            + self.output as f64 * TEXT_OUT)
            / 1e6
    }
}

/// What the responses starting at `starts` are billed, given what the client sent.
fn bill(setup: &Value, events: &[(Instant, Value)], starts: &[(Instant, Option<String>)]) -> Bill {
    let prefix_of = |session: &Value| text_piece(format!("{}{}", session["instructions"], session["tools"]));
    let mut prefix = prefix_of(setup);
    let mut items: Vec<(Instant, Piece)> = Vec::new();
    let mut next_event = 0;
    let mut previous: Vec<Piece> = Vec::new();
    let mut total = Bill::default();
    for (index, (start, model_call)) in starts.iter().enumerate() {
        while next_event < events.len() && events[next_event].0 < *start {
            let (at, event) = &events[next_event];
            match event["type"].as_str() {
                Some("session.update") if event["session"].get("instructions").is_some() => {
                    prefix = prefix_of(&event["session"])
                }
                Some("conversation.item.create") => items.push((*at, text_piece(event["item"].to_string()))),
                _ => {}
            }
            next_event += 1;
        }
        let speech =
            Piece { what: format!("speech {index}"), tokens: SPEECH_SECONDS * AUDIO_TOKENS_PER_SECOND, audio: true };
        items.push((*start, speech));
        items.sort_by_key(|(at, _)| *at);
        let conversation: Vec<Piece> =
            std::iter::once(prefix.clone()).chain(items.iter().map(|(_, piece)| piece.clone())).collect();
        let mut same = 0;
        let (mut cached_text, mut cached_audio) = (0, 0);
        for (now, before) in conversation.iter().zip(&previous) {
            if now != before {
                break;
            }
            same += now.tokens;
            if now.audio {
                cached_audio += now.tokens
            } else {
                cached_text += now.tokens
            }
        }
        // Cached in steps of 128 tokens once 1,024 are the same; what the steps leave off is uncached text.
        let cached = if same >= 1_024 { same / 128 * 128 } else { 0 };
        let shaved = same - cached;
        cached_text = cached_text.saturating_sub(shaved);
        total.cached_text += cached_text;
        total.cached_audio += cached_audio.min(cached - cached_text);
        for piece in &conversation {
            if piece.audio {
                total.audio += piece.tokens
            } else {
                total.text += piece.tokens
            }
        }
        total.output += OUTPUT_TOKENS;
        if let Some(call) = model_call {
            items.push((*start + Duration::from_millis(1), text_piece(call.clone())));
        }
        previous = conversation;
    }
    total
}

async fn standup() {
    let fake = FakeRealtime::start(KEY).await;
    let rig = on_call(&fake, KEY, board_of(CARDS)).await;
    let (board, call) = (&rig.board, &rig.call);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut starts = Vec::new();
    let mut change_bytes = Vec::new();
    let mut changes = 0;
    for index in 0..RESPONSES {
        let before = received(call);
        let start = Instant::now();
        let card = format!("card-{:03}", (index * 7) % CARDS);
        let status = Status::ALL[index % 4].as_str();
        // Every fourth response changes the board by voice; between them, every eighth, a person does.
        let by_voice = index % 4 == 1;
        let by_person = index % 8 == 3;
        let response = format!("resp_{index}");
        let (name, arguments) = if by_voice {
            ("move_ticket", json!({ "card_id": card, "status": status }))
        } else {
            ("do_nothing", json!({ "reason": "status update without a board change" }))
        };
        let item = json!({ "type": "function_call", "call_id": format!("call_{index}"), "name": name, "arguments": arguments.to_string() });
        call.send_json(json!({ "type": "response.output_item.done", "response_id": response, "item": item })).await;
        call.send_json(
            json!({ "type": "response.done", "response": { "id": response, "status": "completed", "output": [item] } }),
        )
        .await;
        if by_person {
            let source = if index % 16 == 3 { Source::Hand } else { Source::Participant { name: "Ana".into() } };
            let edit = Edit::Update {
                card_id: card.clone(),
                title: None,
                notes: Some(format!("Said at {index}")),
                tags: None,
            };
            board.apply(edit, source).await.expect("a change by hand");
        }
        starts.push((start, Some(item.to_string())));
        // People talk on: the next response comes after the operator has told the model.
        tokio::time::sleep(Duration::from_millis(400)).await;
        if by_voice || by_person {
            changes += 1;
            let after = received(call);
            let sent: usize = after[before.len()..]
                .iter()
                .filter(|(_, e)| e["item"]["type"] != "function_call_output")
                .map(|(_, e)| e.to_string().len())
                .sum();
            change_bytes.push(sent);
        }
    }
    let events = received(call);
    let bill = bill(&call.session, &events, &starts);
    let bytes: usize = change_bytes.iter().sum();
    println!(
        "bytes sent to the model per board change (besides the tool's answer): {} on average over {changes} changes",
        bytes / change_bytes.len().max(1)
    );
    let input = bill.text + bill.audio;
    let cached = bill.cached_text + bill.cached_audio;
    println!(
        "standup of {RESPONSES} responses, {changes} board changes, {CARDS} cards: input {input} tokens billed, {} uncached \
         ({} text, {} audio) and {cached} cached; output {} tokens",
        input - cached,
        bill.text - bill.cached_text,
        bill.audio - bill.cached_audio,
        bill.output
    );
    println!("estimated cost of that standup at gpt-realtime-2 list prices: ${:.3}", bill.dollars());
    rig.operator.stop().await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(standup());
}
