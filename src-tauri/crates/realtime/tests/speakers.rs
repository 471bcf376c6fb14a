//! Who said what, against the fake Realtime service: the room mix of two people (Ana a
//! 300 Hz tone, Bo a 500 Hz one) speaking in turn and together goes out as real Opus over a
//! real WebRTC call; the fake detects the speech as the service does and reports its spans
//! on the call's clock. What the fake heard in each span (which tones) is the truth the
//! names on the transcript lines and on the changes are checked against; the clock offset
//! between what was sent and what the fake reports is measured with packets lost and across
//! a renewal.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use audio::signal::{left, tone_amplitude, tone_frame};
use audio::{Fanout, Frame, VoiceLog, Voices, FRAME_LEN};
use board::{BoardActor, BoardFile, Source};
use fake_realtime::vad::Utterance;
use fake_realtime::{FakeCall, FakeRealtime};
use meeting::opus;
use realtime::api::CallsApi;
use realtime::peer::Call;
use realtime::session::{self, PREFIX_PADDING_MS};
use realtime::{Endpoint, Language, Operator, OperatorConfig, OperatorEvent, SpeakerNames};
use serde_json::json;
use tokio::sync::{mpsc, watch};

// Invented: only the local fake service checks it.
const KEY: &str = "test-key-speakers";
const SOON: Duration = Duration::from_secs(30);
const ANA_HZ: f32 = 300.0;
const BO_HZ: f32 = 500.0;

/// Who speaks in a 7.2 s round: Ana 1.2 s, a pause, Bo 1.2 s, a pause, both 1.2 s, a pause.
fn speaking(frame: usize) -> (bool, bool) {
    match frame % 360 {
        0..60 => (true, false),
        120..180 => (false, true),
        240..300 => (true, true),
        _ => (false, false),
    }
}

/// The room mix as the audio thread sends it: every 20 ms, the tones of whoever speaks and
/// their source ids.
fn room_mix() -> (audio::MixReceiver, tokio::task::JoinHandle<()>) {
    let mut fanout = Fanout::new();
    let mix = fanout.attach("realtime", 50);
    let task = tokio::spawn(async move {
        let mut clock = tokio::time::interval(Duration::from_millis(20));
        for index in 0.. {
            clock.tick().await;
            let (ana, bo) = speaking(index);
            let mut frame: Frame = [0.0; FRAME_LEN];
            let mut voices = Voices::new();
            for (speaks, hz, id) in [(ana, ANA_HZ, "p1"), (bo, BO_HZ, "p2")] {
                if speaks {
                    let tone = tone_frame(hz, 0.2, index);
                    frame.iter_mut().zip(tone.iter()).for_each(|(sum, sample)| *sum += sample);
                    voices.push(Arc::from(id));
                }
            }
            fanout.send(&frame, || voices);
        }
    });
    (mix, task)
}

fn names() -> SpeakerNames {
    SpeakerNames::new([("p1".into(), "Ana".into()), ("p2".into(), "Bo".into())])
}

/// Who the fake heard in an utterance's speech (its padding and closing silence left out),
/// by the tones in it.
fn truth(call: &FakeCall, utterance: &Utterance) -> Vec<String> {
    let end = utterance.audio_end_ms.expect("a finished utterance") - session::SILENCE_DURATION_MS;
    let mono = left(&call.audio_between(utterance.audio_start_ms + PREFIX_PADDING_MS, end));
    let mut heard = Vec::new();
    for (hz, name) in [(ANA_HZ, "Ana"), (BO_HZ, "Bo")] {
        if tone_amplitude(&mono, hz) > 0.03 {
            heard.push(name.to_owned());
        }
    }
    heard
}

fn finished(call: &FakeCall) -> Vec<Utterance> {
    call.speech().into_iter().filter(|u| u.audio_end_ms.is_some()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcript_lines_and_voice_changes_name_who_spoke_and_a_renewal_starts_afresh() {
    let _ = env_logger::builder().is_test(true).try_init();
    let fake = FakeRealtime::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let (actor, board) = BoardActor::new(board::seed::board(), Some(BoardFile::in_dir(dir.path())));
    tokio::spawn(actor.run());
    let (mix, sound) = room_mix();
    let (news_tx, mut news) = mpsc::unbounded_channel();
    let mut config = OperatorConfig::new(
        Endpoint { base_url: fake.base_url.clone(), api_key: KEY.into() },
        "gpt-realtime-2".to_owned(),
    );
    config.names = watch::channel(names()).1;
    config.renew_after = Duration::from_secs(12);
    let operator = Operator::start(config, board.clone(), mix, Arc::new(move |event| drop(news_tx.send(event))));

    for (round, call) in ["first call", "renewed call"].into_iter().enumerate() {
        let fake_call = fake.next_call(SOON).await;
        if round == 1 {
            fake.lose_packets(10); // one packet in ten lost on the renewed call
        }
        // Three utterances: somebody alone, the other alone, and both together, in some order.
        let mut said = Vec::new();
        let deadline = tokio::time::Instant::now() + SOON;
        while said.len() < 3 || !said.iter().any(|(_, truth): &(Utterance, Vec<String>)| truth.len() == 2) {
            assert!(tokio::time::Instant::now() < deadline, "{call}: the fake reported {:?}", fake_call.speech());
            for utterance in finished(&fake_call).into_iter().skip(said.len()) {
                let heard = truth(&fake_call, &utterance);
                said.push((utterance, heard));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for (i, (utterance, heard)) in said.iter().enumerate() {
            let text = format!("{call}, utterance {i}");
            let transcribed = json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": utterance.item_id, "content_index": 0, "transcript": text });
            fake_call.send_json(transcribed).await;
            let line = loop {
                match tokio::time::timeout(SOON, news.recv()).await.expect("a transcript line").unwrap() {
                    OperatorEvent::Transcript(line) if line.text == text => break line,
                    _ => {}
                }
            };
            assert_eq!(&line.speakers, heard, "{call}: {utterance:?}");
            println!("{call}: {} to {:?} ms: {:?}", utterance.audio_start_ms, utterance.audio_end_ms, line.speakers);
        }
        // A change made on the words of the one who spoke alone last names them.
        let (alone, heard) = said.iter().rev().find(|(_, heard)| heard.len() == 1).unwrap();
        let call_id = format!("call_tag_{round}");
        let arguments = json!({ "card_id": "card-003", "tags": [format!("round-{round}")] }).to_string();
        let item = json!({ "type": "function_call", "call_id": call_id, "name": "add_tags", "arguments": arguments });
        fake_call.send_json(json!({ "type": "input_audio_buffer.committed", "item_id": alone.item_id })).await;
        fake_call
            .send_json(
                json!({ "type": "response.output_item.done", "response_id": format!("resp_{round}"), "item": item }),
            )
            .await;
        fake_call.wait_for(SOON, "the tool's answer", |c| c.outputs().iter().any(|(id, _)| *id == call_id)).await;
        let now = board.snapshot().await.unwrap();
        let change = now.activity().find(|c| matches!(&c.source, Source::Voice { call_id: id, .. } if *id == call_id));
        match &change.expect("the change").source {
            Source::Voice { speakers, .. } => assert_eq!(speakers, heard, "{call}: the change names who asked"),
            other => panic!("{other:?}"),
        }
    }
    operator.stop().await;
    sound.abort();
    assert_eq!(fake.problems(), Vec::<String>::new());
}

/// The offsets, in ms, between where the fake says each utterance's speech began and where
/// the log of what was sent has it begin. An utterance under way when the call began has
/// no start to compare (its padding is cut at zero).
fn offsets(call: &FakeCall, sent: &Mutex<VoiceLog>) -> Vec<i64> {
    let sent = sent.lock().unwrap();
    finished(call)
        .iter()
        .filter(|u| u.audio_start_ms > 0)
        .filter_map(|u| {
            let reported = u.audio_start_ms + PREFIX_PADDING_MS;
            let onset = sent.onset_after(reported.saturating_sub(500), 1000)?;
            Some(onset as i64 - reported as i64)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_clock_matches_what_was_sent_with_loss_and_across_calls() {
    let _ = env_logger::builder().is_test(true).try_init();
    let fake = FakeRealtime::start(KEY).await;
    let api = CallsApi::new(Endpoint { base_url: fake.base_url.clone(), api_key: KEY.into() });
    let session = session::session("gpt-realtime-2", "", Language::default());
    let (mix, sound) = room_mix();
    let (track_tx, track) = watch::channel(None);
    let sent = Arc::new(Mutex::new(VoiceLog::default()));
    let pump = opus::send(mix, 48_000, track, "the test mix", Some(Arc::clone(&sent)));
    let mut figures = Vec::new();
    for (label, lose_every) in [("no loss", 0), ("1 packet in 10 lost", 10), ("a new call, 1 in 5 lost", 5)] {
        let (call, _events) = Call::connect(&api, &session).await.expect("a call");
        let fake_call = fake.next_call(SOON).await;
        fake.lose_packets(lose_every);
        track_tx.send_replace(Some(call.audio_out()));
        let deadline = tokio::time::Instant::now() + SOON;
        while finished(&fake_call).len() < 6 {
            assert!(tokio::time::Instant::now() < deadline, "{label}: {:?}", fake_call.speech());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let measured = offsets(&fake_call, &sent);
        let worst = measured.iter().map(|o| o.abs()).max().unwrap();
        println!("clock offset, {label}: {measured:?} ms (worst {worst} ms) over {} utterances", measured.len());
        // A lost first packet of speech makes the service hear it a frame or two late (its
        // concealment is quieter): still far inside the 300 ms of padding each utterance carries.
        assert!(worst <= 100, "{label}: offsets {measured:?}");
        figures.push(worst);
        call.hang_up(&api, Duration::from_secs(2)).await;
    }
    pump.abort();
    sound.abort();
    assert_eq!(figures.len(), 3);
}
