//! The whole stack through the headless host binary: a WAV played into the room reaches the
//! fake Realtime service as Opus, a spoken-for tool call changes the board file, status
//! lines appear on stdout, and SIGTERM hangs up cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use audio::signal::{left, steady_frequency};
use board::{BoardFile, Status};
use fake_realtime::FakeRealtime;
use serde_json::json;

const KEY: &str = "sk-test-host";

/// A 440 Hz tone at 22.05 kHz mono, so the host has to convert it to the room format.
fn write_tone(path: &std::path::Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..22_050 * 2 {
        let t = i as f32 / 22_050.0;
        writer.write_sample((0.3 * (2.0 * std::f32::consts::PI * 440.0 * t).sin() * 32767.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
}

struct Host {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Host {
    fn start(data_dir: &std::path::Path, wav: &std::path::Path, base_url: &str) -> Host {
        let mut child = Command::new(env!("CARGO_BIN_EXE_boardroom-host"))
            .args(["--data-dir", data_dir.to_str().unwrap(), "--microphone", "none", "--play", wav.to_str().unwrap()])
            .env("OPENAI_API_KEY", KEY)
            .env("OPENAI_BASE_URL", base_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the host starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Host { child, lines, seen: Vec::new() }
    }

    /// Waits for a stdout line starting with `prefix`.
    fn expect_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok(line) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            self.seen.push(line.clone());
            if line.starts_with(prefix) {
                return line;
            }
        }
        panic!("no line starting {prefix:?}; the host said: {:#?}", self.seen);
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let killed = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the host did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Host {
    /// A failing test must not leave the host running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_host_runs_the_room_and_the_voice_operator() {
    let fake = FakeRealtime::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_tone(&wav);
    let data_dir = dir.path().join("room");
    let mut host = Host::start(&data_dir, &wav, &fake.base_url);

    let call = fake.next_call(Duration::from_secs(20)).await;
    let listening = tokio::task::block_in_place(|| host.expect_line("status: listening"));
    assert!(listening.contains(&call.call_id), "{listening}");

    call.wait_for(Duration::from_secs(10), "two seconds of audio", |c| c.audio().len() >= 2 * 48_000 * 2).await;
    let audio = call.audio();
    let heard = steady_frequency(&left(&audio[audio.len() - 48_000 * 2..]));
    assert!((heard - 440.0).abs() <= 5.0, "the model hears the played file at {heard} Hz");

    let arguments = json!({ "card_id": "card-003", "status": "Done" }).to_string();
    call.send_json(json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": "i1", "content_index": 0, "transcript": "ICE restarts shipped." }))
        .await;
    call.send_json(json!({ "type": "response.output_item.done", "response_id": "r1", "item": { "type": "function_call", "call_id": "c1", "name": "move_ticket", "arguments": arguments } }))
        .await;
    call.wait_for(Duration::from_secs(10), "the call's output", |c| !c.outputs().is_empty()).await;
    assert_eq!(call.outputs()[0].1["ok"], true);
    tokio::task::block_in_place(|| host.expect_line("heard: ICE restarts shipped."));
    let line = tokio::task::block_in_place(|| host.expect_line("board: revision 1"));
    assert_eq!(
        line,
        "board: revision 1: moved card-003 \"Implement ICE Restart Handling\" to Done (by voice: \"ICE restarts shipped.\")"
    );

    let status = tokio::task::block_in_place(|| host.terminate());
    assert!(status.success(), "the host exits cleanly on SIGTERM: {status}");
    assert_eq!(fake.hangups(), vec![call.call_id.clone()], "and hangs up");
    let board = BoardFile::in_dir(&data_dir).load(0).into_board();
    assert_eq!(board.card("card-003").unwrap().status, Status::Done, "the board file holds the change");
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
}
