//! The whole stack through the headless host binary: a WAV played into the room reaches the
//! fake Realtime service as Opus, a spoken-for tool call changes the board file, status
//! lines appear on stdout, and SIGTERM hangs up cleanly; the host's commands on standard
//! input act on the ids shown beside names, never on names. Under the usual 1,024-descriptor
//! limit, a flood of idle connections leaves participants' edits saved and newcomers in.
//! The room's link stays across restarts until `new-link` replaces it.
//! The host's exit writes the meeting's notes, with every section for a scripted meeting;
//! a kill -9 meanwhile leaves no file or a whole one.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use audio::signal::{left, steady_frequency};
use board::{BoardFile, Status};
use fake_realtime::FakeRealtime;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

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
    commands: ChildStdin,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// Lines read while waiting for another: status lines of different kinds come in no set order.
    unclaimed: Vec<String>,
}

impl Host {
    fn start(data_dir: &std::path::Path, wav: &std::path::Path, base_url: &str) -> Host {
        Host::spawn(Host::with_voice(data_dir, wav, base_url))
    }

    /// The host with the voice operator, playing `wav` into the meeting.
    fn with_voice(data_dir: &std::path::Path, wav: &std::path::Path, base_url: &str) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_boardroom-host"));
        command
            .args(["--data-dir", data_dir.to_str().unwrap(), "--microphone", "none", "--play", wav.to_str().unwrap()])
            .env("OPENAI_API_KEY", KEY)
            .env("OPENAI_BASE_URL", base_url)
            // A German system: the meeting is held in German unless told otherwise.
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "de_DE.UTF-8");
        command
    }

    fn spawn(mut command: Command) -> Host {
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
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
        let commands = child.stdin.take().unwrap();
        Host { child, commands, lines, seen: Vec::new(), unclaimed: Vec::new() }
    }

    /// Types a command on the host's standard input.
    fn command(&mut self, line: &str) {
        writeln!(self.commands, "{line}").unwrap();
        self.commands.flush().unwrap();
    }

    /// Waits for a stdout line starting with `prefix` that no earlier call took.
    fn expect_line(&mut self, prefix: &str) -> String {
        if let Some(at) = self.unclaimed.iter().position(|line| line.starts_with(prefix)) {
            return self.unclaimed.remove(at);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok(line) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            self.seen.push(line.clone());
            if line.starts_with(prefix) {
                return line;
            }
            self.unclaimed.push(line);
        }
        panic!("no line starting {prefix:?}; the host said: {:#?}", self.seen);
    }

    /// How many files the host has open.
    fn descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).unwrap().count()
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
    assert_eq!(tokio::task::block_in_place(|| host.expect_line("language: ")), "language: German (de)");
    assert_eq!(call.session["audio"]["input"]["transcription"]["language"], "de");

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
    // The response's bill, with the usage fields the service sends, becomes a cost line.
    let usage = json!({ "total_tokens": 2_025, "input_tokens": 2_000, "output_tokens": 25,
        "input_token_details": { "text_tokens": 1_500, "audio_tokens": 500, "cached_tokens": 1_024,
            "cached_tokens_details": { "text_tokens": 1_024, "audio_tokens": 0 } },
        "output_token_details": { "text_tokens": 25, "audio_tokens": 0 } });
    call.send_json(json!({ "type": "response.done", "response": { "id": "r1", "status": "completed", "output": [], "usage": usage } }))
        .await;
    let cost = tokio::task::block_in_place(|| host.expect_line("cost: "));
    assert_eq!(cost, "cost: 2,000 tokens in (51 % cached), 25 out · $0.019");

    // The host switches the meeting to French by a command: the call is told, once.
    host.command("language fr");
    tokio::task::block_in_place(|| host.expect_line("control: done: language fr"));
    assert_eq!(tokio::task::block_in_place(|| host.expect_line("language: ")), "language: French (fr)");
    call.wait_for(Duration::from_secs(10), "the language update", |c| !c.prefix_changes().is_empty()).await;
    let update = &call.prefix_changes()[0]["session"];
    assert_eq!(update["audio"]["input"]["transcription"]["language"], "fr");
    assert!(update["instructions"].as_str().unwrap().contains("held in French"), "{update}");
    host.command("language xx");
    let refused = tokio::task::block_in_place(|| host.expect_line("control: "));
    assert!(refused.starts_with("control: \"xx\" is not a meeting language"), "{refused}");

    let status = tokio::task::block_in_place(|| host.terminate());
    assert!(status.success(), "the host exits cleanly on SIGTERM: {status}");
    assert_eq!(fake.hangups(), vec![call.call_id.clone()], "and hangs up");
    let board = BoardFile::in_dir(&data_dir).load(0).into_board();
    assert_eq!(board.card("card-003").unwrap().status, Status::Done, "the board file holds the change");
    assert!(fake.problems().is_empty(), "{:#?}", fake.problems());
    let record = std::fs::read_to_string(data_dir.join("meetings.jsonl")).expect("the meeting's record is kept");
    assert!(record.contains("\"model\":\"gpt-realtime-2\""), "{record}");
    // The host's exit ends its meeting: the notes are written and their path printed.
    let written = tokio::task::block_in_place(|| host.expect_line("notes: "));
    let notes = std::fs::read_to_string(written.trim_start_matches("notes: ")).expect("the notes file");
    assert!(
        notes.contains("### Done\n\n- “Implement ICE Restart Handling” (card-003), by voice: “ICE restarts shipped.”"),
        "{notes}"
    );
    assert!(notes.contains("- **Cost:** 2,000 tokens in"), "{notes}");
    assert!(notes.contains("ICE restarts shipped.\n"), "{notes}");
}

/// A scripted meeting: Ana and Bo join, the voice moves, creates and blocks cards, Ana drags
/// one by hand, Bo leaves; the host's exit writes notes with every section.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_meeting_leaves_notes_with_every_section() {
    let fake = FakeRealtime::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_tone(&wav);
    let data_dir = dir.path().join("room");
    let mut command = Host::with_voice(&data_dir, &wav, &fake.base_url);
    command.arg("--room");
    let mut host = Host::spawn(command);
    let invite = tokio::task::block_in_place(|| host.expect_line("room: "))["room: ".len()..].to_owned();
    let call = fake.next_call(Duration::from_secs(20)).await;
    let mut people = Vec::new();
    for (name, device) in [("Ana", "browser-of-Ana-0123456789"), ("Bo", "browser-of-Bo-0123456789")] {
        let url = format!("{}/ws", invite.replacen("http://", "ws://", 1));
        let mut socket = tokio_tungstenite::connect_async(url).await.unwrap().0;
        say(&mut socket, json!({"type": "hello", "version": 2, "name": name, "device": device})).await;
        next_of(&mut socket, "welcome").await;
        people.push(socket);
    }
    // Without a WebRTC peer of their own they stay "joining", and are in the meeting all the same.
    tokio::task::block_in_place(|| host.expect_line("participants: Host, Ana (p1, joining), Bo (p2, joining)"));

    let tool = |call_id: &str, name: &str, arguments: Value| {
        json!({ "type": "response.output_item.done", "response_id": format!("r-{call_id}"),
        "item": { "type": "function_call", "call_id": call_id, "name": name, "arguments": arguments.to_string() } })
    };
    let said = |item: &str, words: &str| json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": item, "content_index": 0, "transcript": words });
    let script = [
        (
            said("i1", "ICE restarts shipped."),
            tool("c1", "move_ticket", json!({ "card_id": "card-003", "status": "Done" })),
        ),
        (
            said("i2", "I'll write the release notes."),
            tool(
                "c2",
                "create_ticket",
                json!({ "title": "Write the release notes", "notes": "", "tags": [], "status": "In Progress" }),
            ),
        ),
        (
            said("i3", "DTLS waits on the security review."),
            tool("c3", "update_ticket", json!({ "card_id": "card-004", "notes": "waiting on the security review" })),
        ),
        (
            said("i4", "So that one is blocked."),
            tool("c4", "move_ticket", json!({ "card_id": "card-004", "status": "Blocked" })),
        ),
    ];
    for (revision, (words, change)) in (1..).zip(script) {
        call.send_json(words).await;
        tokio::task::block_in_place(|| host.expect_line("heard: "));
        call.send_json(change).await;
        tokio::task::block_in_place(|| host.expect_line(&format!("board: revision {revision}")));
    }
    // Ana drags a card by hand on her page; then Bo leaves.
    let drag = json!({"type": "move", "cardId": "card-002", "status": "In Progress", "position": null});
    say(&mut people[0], json!({"type": "edit", "request": 1, "seen": 4, "edit": drag})).await;
    assert_eq!(next_of_either(&mut people[0], ["edited", "refused"]).await["type"], "edited");
    tokio::task::block_in_place(|| host.expect_line("board: revision 5"));
    host.unclaimed.retain(|line| !line.starts_with("participants: ")); // the rosters before Bo left
    let mut bo = people.pop().unwrap();
    say(&mut bo, json!({"type": "leave"})).await;
    bo.close(None).await.unwrap();
    let roster = tokio::task::block_in_place(|| host.expect_line("participants: "));
    assert_eq!(roster, "participants: Host, Ana (p1, joining)");
    // Bo left before the end: more than the moment it takes the room's end to take everyone out.
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    assert!(tokio::task::block_in_place(|| host.terminate()).success());
    let written = tokio::task::block_in_place(|| host.expect_line("notes: "));
    let notes = std::fs::read_to_string(written.trim_start_matches("notes: ")).expect("the notes file");
    println!("{notes}");
    let section = |heading: &str| {
        let start = notes.find(&format!("{heading}\n\n")).unwrap_or_else(|| panic!("no {heading}:\n{notes}"));
        let body = &notes[start + heading.len() + 2..];
        body[..body.find("\n\n").unwrap_or(body.len())].to_owned()
    };
    assert!(notes.starts_with("# Meeting notes: "), "{notes}");
    assert!(notes.contains("- **When:** ") && notes.contains("- **Cost:** "), "{notes}");
    let attended = section("## Who attended");
    let lines: Vec<&str> = attended.lines().collect();
    assert_eq!(lines.len(), 3, "{attended}");
    assert!(lines[0].starts_with("- Host (host): "), "{attended}");
    assert!(lines[1].starts_with("- Ana: ") && lines[1].ends_with(" to the end"), "{attended}");
    assert!(lines[2].starts_with("- Bo: ") && !lines[2].ends_with(" to the end"), "Bo left: {attended}");
    assert_eq!(section("### Done"), "- “Implement ICE Restart Handling” (card-003), by voice: “ICE restarts shipped.”");
    assert_eq!(section("### Started"), "- “Add RTP Retransmission Buffer” (card-002), by Ana");
    assert_eq!(
        section("### Blocked"),
        "- “Harden DTLS/SRTP Cleanup” (card-004): waiting on the security review, by voice: “So that one is blocked.”"
    );
    assert_eq!(
        section("### Created"),
        "- “Write the release notes” (kanban-card-001) in In Progress, by voice: “I'll write the release notes.”"
    );
    assert!(!notes.contains("### Deleted"), "no empty groups: {notes}");
    let transcript = section("## Transcript");
    let said: Vec<&str> = transcript.lines().map(|line| line.splitn(3, ' ').nth(2).unwrap_or("")).collect();
    assert_eq!(
        said,
        [
            "ICE restarts shipped.",
            "I'll write the release notes.",
            "DTLS waits on the security review.",
            "So that one is blocked."
        ],
        "{transcript}"
    );
    assert!(notes.ends_with("<!-- end of notes -->\n"));
}

/// Kill -9 at any moment of the exit, notes writing included: the notes folder holds whole
/// notes files or none, never half of one, and what a kill left half-written goes at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_the_notes_leaves_no_file_or_a_whole_one() {
    let fake = FakeRealtime::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_tone(&wav);
    let data_dir = dir.path().join("room");
    let notes = data_dir.join("notes");
    // Long notes, so a kill has time to land while they are written.
    let said = "We went through the retransmission buffer and the DTLS cleanup again. ".repeat(4);
    let mut outcomes = Vec::new();
    for delay_ms in [0u64, 1, 2, 3, 5, 8, 12, 20, 40, 80, 200] {
        let mut host = Host::start(&data_dir, &wav, &fake.base_url);
        let call = fake.next_call(Duration::from_secs(20)).await;
        // In batches the host's transcript queue holds: people say a line every few seconds, never 500 at once.
        for batch in 0..10 {
            for i in 0..50 {
                let line = json!({ "type": "conversation.item.input_audio_transcription.completed", "item_id": format!("i{batch}-{i}"), "content_index": 0, "transcript": said });
                call.send_json(line).await;
            }
            tokio::task::block_in_place(|| {
                for _ in 0..50 {
                    assert!(!host.expect_line("heard: ").ends_with("lines not shown"), "the host kept up");
                }
            });
        }
        Command::new("kill").args(["-TERM", &host.child.id().to_string()]).status().unwrap();
        tokio::task::block_in_place(|| host.expect_line("shutting down"));
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = host.child.kill(); // SIGKILL
        let _ = host.child.wait();
        let whole = std::fs::read_dir(&notes).map(|entries| entries.count()).unwrap_or(0);
        outcomes.push((delay_ms, whole));
    }
    println!("notes files (hidden half-written ones included) after a kill N ms into the exit: {outcomes:?}");
    let mut finished = 0;
    for entry in std::fs::read_dir(&notes).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // half-written, never listed, cleared at the next start
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        assert!(text.ends_with("<!-- end of notes -->\n"), "{name} is whole");
        assert_eq!(text.matches(said.trim()).count(), 500, "{name} has the whole transcript");
        finished += 1;
    }
    assert!(finished >= 1, "a kill late enough lets the notes be written: {outcomes:?}");
    assert!(finished < outcomes.len(), "an early kill leaves none: {outcomes:?}");
    // The next start clears what a kill left half-written.
    let mut host = Host::start(&data_dir, &wav, &fake.base_url);
    tokio::task::block_in_place(|| host.expect_line("status: listening"));
    let hidden = std::fs::read_dir(&notes)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(hidden, 0);
    let _ = tokio::task::block_in_place(|| host.terminate());
}

/// The usual soft limit on open files, as hard limit too: the host cannot raise it.
const DESCRIPTORS: u64 = 1024;
/// Idle connections in the flood: more than the host could open.
const FLOOD: usize = 1200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_low_descriptor_limit_a_flood_of_idle_connections_leaves_edits_saved_and_newcomers_in() {
    // The flood takes a thousand descriptors of this test's own.
    room::descriptors::raise_limit();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("room");
    let mut command = Command::new(env!("CARGO_BIN_EXE_boardroom-host"));
    command
        .args(["--data-dir", data_dir.to_str().unwrap(), "--microphone", "none", "--room"])
        .env_remove("OPENAI_API_KEY");
    // SAFETY: setrlimit is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, DESCRIPTORS, DESCRIPTORS));
    }
    let mut host = Host::spawn(command);
    let invite = tokio::task::block_in_place(|| host.expect_line("room: "))["room: ".len()..].to_owned();
    let address: SocketAddr = invite["http://".len()..].split('/').next().unwrap().parse().unwrap();
    let socket_url = format!("{}/ws", invite.replacen("http://", "ws://", 1));
    let (mut ana, _) = tokio_tungstenite::connect_async(&socket_url).await.unwrap();
    say(&mut ana, json!({"type": "hello", "version": 2, "name": "Ana", "device": "browser-of-Ana-0123456789"})).await;
    next_of(&mut ana, "welcome").await;

    // 1,200 idle connections (more than the limit) from 24 addresses (127.0.0.2 and up: Linux routes all of
    // 127/8 to the loopback interface), each reopened after the room closes it.
    let flooding = Arc::new(AtomicBool::new(true));
    let opened = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..FLOOD)
        .map(|i| {
            let (flooding, opened) = (Arc::clone(&flooding), Arc::clone(&opened));
            let from = Ipv4Addr::new(127, 0, 0, 2 + (i % 24) as u8);
            tokio::spawn(async move {
                while flooding.load(Ordering::Relaxed) {
                    let socket = tokio::net::TcpSocket::new_v4().unwrap();
                    socket.bind((from, 0).into()).unwrap();
                    if let Ok(mut idle) = socket.connect(address).await {
                        opened.fetch_add(1, Ordering::Relaxed);
                        let _ = idle.read(&mut [0u8; 1024]).await;
                    }
                    // A breath before reopening, so the flood does not take the test machine's cores.
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while opened.load(Ordering::Relaxed) < FLOOD {
        assert!(Instant::now() < deadline, "the flood did not get going");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The host has taken in what it takes of the flood when its descriptors stop growing.
    let (mut held, mut steady) = (0, 0);
    while steady < 5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = host.descriptors();
        (held, steady) = if now > held { (now, 0) } else { (held, steady + 1) };
        assert!(Instant::now() < deadline + Duration::from_secs(20), "the host's descriptors keep growing: {now}");
    }

    // Ana's edits are saved, one after another.
    for (request, status) in [(1, "Done"), (2, "Blocked"), (3, "Done")] {
        let edit = json!({"type": "move", "cardId": "card-003", "status": status, "position": null});
        say(&mut ana, json!({"type": "edit", "request": request, "seen": request - 1, "edit": edit})).await;
        let reply = next_of_either(&mut ana, ["edited", "refused"]).await;
        assert_eq!(reply["type"], "edited", "the edit is saved: {reply}");
    }
    // A newcomer gets the page and joins.
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let path = &invite[invite.find("/r/").unwrap()..];
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut page = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut page)).await.unwrap().unwrap();
    assert!(page.starts_with("HTTP/1.1 200") || page.contains("participant page was not built"), "{page}");
    let (mut bo, _) = tokio_tungstenite::connect_async(&socket_url).await.expect("a newcomer joins");
    say(&mut bo, json!({"type": "hello", "version": 2, "name": "Bo", "device": "browser-of-Bo-0123456789"})).await;
    assert_eq!(next_of(&mut bo, "welcome").await["board"]["revision"], 3);
    let opened = opened.load(Ordering::Relaxed);
    println!("edits saved and a newcomer in while {opened} idle connections were opened; the host held {held} of {DESCRIPTORS} descriptors");

    flooding.store(false, Ordering::Relaxed);
    for connection in flood {
        connection.abort();
    }
    let status = tokio::task::block_in_place(|| host.terminate());
    assert!(status.success(), "the host exits cleanly on SIGTERM: {status}");
    let board = BoardFile::in_dir(&data_dir).load(0).into_board();
    assert_eq!(board.card("card-003").unwrap().status, Status::Done, "the board file holds the edits");
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn say(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.unwrap();
}

async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    next_of_either(socket, [kind, kind]).await
}

/// The next message of either kind, skipping others (offers, participants…).
async fn next_of_either(socket: &mut Socket, kinds: [&str; 2]) -> Value {
    let read = async {
        loop {
            if let Message::Text(text) = socket.next().await.expect("open").expect("ok") {
                let value: Value = serde_json::from_str(&text).unwrap();
                if kinds.iter().any(|kind| value["type"] == *kind) {
                    return value;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read).await.unwrap_or_else(|_| panic!("no {kinds:?} within 20 s"))
}

/// A page saying hello to the room from its own browser; it then waits for the host.
async fn knock(invite: &str, name: &str, device: &str) -> Socket {
    let url = format!("{}/ws", invite.replacen("http://", "ws://", 1));
    let mut socket = tokio_tungstenite::connect_async(url).await.unwrap().0;
    let hello = json!({"type": "hello", "version": 2, "name": name, "device": device, "resume": null});
    socket.send(Message::text(hello.to_string())).await.unwrap();
    assert_eq!(next_within(&mut socket, "waiting", Duration::from_secs(10)).await.unwrap()["type"], "waiting");
    socket
}

/// The next message of `kind` within `within`, skipping others; `None` if none came.
async fn next_within(socket: &mut Socket, kind: &str, within: Duration) -> Option<Value> {
    let found = tokio::time::timeout(within, async {
        while let Some(Ok(message)) = socket.next().await {
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == kind {
                    return Some(value);
                }
            }
        }
        None
    });
    found.await.ok().flatten()
}

/// What a plain HTTP GET of `url` answers: the status code and the body.
async fn get(url: &str) -> (u16, String) {
    let rest = url.trim_start_matches("http://");
    let (address, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default())
}

/// The room's link stays across restarts of the host (its token and its port) until the host
/// asks for a new one: the old link is then refused and says it was replaced, the new one lets
/// people in, and those already in stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_stays_across_restarts_until_the_host_asks_for_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_boardroom-host"));
        command.args(["--data-dir", dir.path().to_str().unwrap(), "--microphone", "none", "--room"]);
        command.env_remove("OPENAI_API_KEY");
        let mut host = Host::spawn(command);
        let link = tokio::task::block_in_place(|| host.expect_line("room: "))["room: ".len()..].to_owned();
        (host, link)
    };
    let (mut host, first) = start();
    assert!(tokio::task::block_in_place(|| host.terminate()).success());
    let (mut host, again) = start();
    assert_eq!(again, first, "a restart keeps the link, token and port");
    let socket_url = |link: &str| format!("{}/ws", link.replacen("http://", "ws://", 1));
    let (mut ana, _) = tokio_tungstenite::connect_async(socket_url(&first)).await.unwrap();
    say(&mut ana, json!({"type": "hello", "version": 2, "name": "Ana", "device": "browser-of-Ana-0123456789"})).await;
    next_of(&mut ana, "welcome").await;

    host.command("new-link");
    tokio::task::block_in_place(|| host.expect_line("control: done: new-link"));
    let renewed = tokio::task::block_in_place(|| host.expect_line("room: "))["room: ".len()..].to_owned();
    assert_ne!(renewed, first);
    assert_eq!(renewed[..renewed.find("/r/").unwrap()], first[..first.find("/r/").unwrap()], "same address and port");
    let (status, body) = get(&first).await;
    assert_eq!(status, 410, "{body}");
    assert!(body.contains("replaced by a new one"), "{body}");
    match tokio_tungstenite::connect_async(socket_url(&first)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 410),
        other => panic!("the old link still opens the room's socket: {other:?}"),
    }
    assert_eq!(get(&renewed).await.0, 200);
    let (mut bo, _) = tokio_tungstenite::connect_async(socket_url(&renewed)).await.unwrap();
    say(&mut bo, json!({"type": "hello", "version": 2, "name": "Bo", "device": "browser-of-Bo-0123456789"})).await;
    next_of(&mut bo, "welcome").await;
    // Ana, still in, sees Bo come.
    while !next_of(&mut ana, "participants").await.to_string().contains("\"Bo\"") {}

    assert!(tokio::task::block_in_place(|| host.terminate()).success());
    let (mut host, after) = start();
    assert_eq!(after, renewed, "the new link stays too");
    assert!(tokio::task::block_in_place(|| host.terminate()).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosts_commands_act_on_the_ids_beside_the_names_never_on_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_boardroom-host"));
    command.args(["--data-dir", dir.path().to_str().unwrap(), "--microphone", "none", "--ask-to-join"]);
    command.env_remove("OPENAI_API_KEY");
    let mut host = Host::spawn(command);
    let invite = tokio::task::block_in_place(|| host.expect_line("room: ")).trim_start_matches("room: ").to_owned();

    // Someone calls themselves "w2" and knocks first, so the real w2 is someone else.
    let mut impostor = knock(&invite, "w2", "browser-of-the-impostor").await;
    let mut bo = knock(&invite, "Bo", "browser-of-bo-0123456").await;
    let lobby = tokio::task::block_in_place(|| host.expect_line("lobby: ask to join; waiting: w2 (w1), Bo (w2)"));
    assert_eq!(lobby, "lobby: ask to join; waiting: w2 (w1), Bo (w2)");

    host.command("admit w2");
    tokio::task::block_in_place(|| host.expect_line("control: done: admit w2"));
    let welcome = next_within(&mut bo, "welcome", Duration::from_secs(10)).await.expect("Bo, who is w2, is let in");
    assert_eq!(welcome["participantId"], "p1");
    let roster = tokio::task::block_in_place(|| host.expect_line("participants: Host, Bo (p1"));
    assert!(roster.starts_with("participants: Host, Bo (p1"), "{roster}");
    assert!(
        next_within(&mut impostor, "welcome", Duration::from_millis(500)).await.is_none(),
        "the impostor still waits"
    );

    // Names are never taken for ids, and the answer says what to type instead.
    host.command("remove Bo");
    let answer = tokio::task::block_in_place(|| host.expect_line("control: "));
    assert_eq!(
        answer,
        "control: nobody with id \"Bo\" is in the room (use the id shown beside the name, not the name)"
    );
    host.command("decline w1");
    tokio::task::block_in_place(|| host.expect_line("control: done: decline w1"));
    assert_eq!(next_within(&mut impostor, "error", Duration::from_secs(10)).await.unwrap()["code"], "declined");
    host.command("remove p1");
    tokio::task::block_in_place(|| host.expect_line("control: done: remove p1"));
    host.command("help");
    let help = tokio::task::block_in_place(|| host.expect_line("control: commands:"));
    assert!(help.contains("admit ID") && help.contains("beside each name"), "{help}");

    let status = tokio::task::block_in_place(|| host.terminate());
    assert!(status.success(), "the host exits cleanly on SIGTERM: {status}");
}

/// The board comes in from a Trello export and goes out as Markdown, JSON and CSV through the
/// host's command line: the import is one change that participants receive and can undo, a
/// list whose name says no column waits for the host to name one, a bad file changes nothing,
/// and the imported board is still there after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_comes_in_from_trello_and_goes_out_as_markdown_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let trello = json!({
        "name": "Team", "actions": [], "labels": [],
        "lists": [
            {"id": "L1", "name": "To Do", "closed": false, "pos": 1},
            {"id": "L2", "name": "QA", "closed": false, "pos": 2},
            {"id": "L3", "name": "Done", "closed": false, "pos": 3}
        ],
        "cards": [
            {"id": "c1", "idList": "L1", "name": "Write the runbook", "desc": "For on-call", "closed": false, "pos": 1,
             "labels": [{"name": "docs", "color": "blue"}]},
            {"id": "c2", "idList": "L2", "name": "Check the login fix", "desc": "", "closed": false, "pos": 1, "labels": []},
            {"id": "c3", "idList": "L3", "name": "Rotate the keys", "desc": "", "closed": false, "pos": 1, "labels": []},
            {"id": "c4", "idList": "L3", "name": "Archived", "desc": "", "closed": true, "pos": 2, "labels": []}
        ]
    });
    std::fs::write(file("trello board.json"), trello.to_string()).unwrap();
    std::fs::write(file("broken.csv"), "column,title\nDone,fine\nLater,not a column\n").unwrap();
    let start = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_boardroom-host"));
        command.args(["--data-dir", data.to_str().unwrap(), "--microphone", "none", "--room"]);
        command.env_remove("OPENAI_API_KEY");
        let mut host = Host::spawn(command);
        let link = tokio::task::block_in_place(|| host.expect_line("room: "))["room: ".len()..].to_owned();
        (host, link)
    };
    let (mut host, link) = start();
    let (mut ana, _) =
        tokio_tungstenite::connect_async(format!("{}/ws", link.replacen("http://", "ws://", 1))).await.unwrap();
    say(&mut ana, json!({"type": "hello", "version": 2, "name": "Ana", "device": "browser-of-Ana-0123456789"})).await;
    next_of(&mut ana, "welcome").await;
    let line = |host: &mut Host, prefix: &str| tokio::task::block_in_place(|| host.expect_line(prefix));

    host.command(&format!("import '{}'", file("broken.csv")));
    let refused = line(&mut host, "control: ");
    assert_eq!(
        refused,
        "control: broken.csv: line 3: \"Later\" is not a column; use Backlog, In Progress, Blocked or Done"
    );
    host.command(&format!("import '{}' replace", file("trello board.json")));
    let unmapped = line(&mut host, "control: ");
    assert!(unmapped.starts_with("control: say which column the cards of these lists go in"), "{unmapped}");
    assert!(unmapped.contains("\"QA=Backlog\""), "{unmapped}");

    host.command(&format!("import '{}' replace 'QA=In Progress'", file("trello board.json")));
    let mapping = line(&mut host, "import: ");
    assert!(
        mapping.ends_with(
            "(Trello): \"To Do\" → Backlog, \"QA\" → In Progress, \"Done\" → Done; 1 archived cards left out"
        ),
        "{mapping}"
    );
    let change = line(&mut host, "board: revision 1: ");
    assert_eq!(change, "board: revision 1: imported 3 cards from \"trello board.json\", taking off 5 (by hand)");
    line(&mut host, "control: done: import");
    // Ana's page gets the import as one change.
    let received = next_of(&mut ana, "boardChanged").await;
    assert_eq!(received["change"]["batch"]["added"].as_array().unwrap().len(), 3, "{received}");
    assert_eq!(received["change"]["batch"]["removed"].as_array().unwrap().len(), 5);

    for name in ["standup.md", "standup.json", "standup.csv"] {
        host.command(&format!("export '{}'", file(name)));
        line(&mut host, "export: 3 cards as ");
        line(&mut host, "control: done: export");
    }
    let markdown = std::fs::read_to_string(file("standup.md")).unwrap();
    assert!(markdown.contains("## Backlog\n\n- [ ] Write the runbook #docs\n\tFor on-call\n"), "{markdown}");
    assert!(markdown.contains("## In Progress\n\n- [ ] Check the login fix\n"), "{markdown}");
    assert!(markdown.contains("## Done\n\n**Complete**\n- [x] Rotate the keys\n"), "{markdown}");
    host.command(&format!("export '{}'", file("standup.md")));
    assert_eq!(
        line(&mut host, "control: "),
        "control: standup.md already exists; choose another name or remove it first"
    );

    // A restart brings the imported board back; our own JSON and CSV bring it back exactly.
    assert!(tokio::task::block_in_place(|| host.terminate()).success());
    let (mut host, _) = start();
    host.command(&format!("export '{}'", file("again.json")));
    line(&mut host, "control: done: export");
    assert_eq!(std::fs::read(file("again.json")).unwrap(), std::fs::read(file("standup.json")).unwrap());
    for name in ["standup.json", "standup.csv"] {
        host.command(&format!("import '{}' replace", file(name)));
        line(&mut host, "control: done: import");
        host.command(&format!("export '{}'", file(&format!("round-trip-{name}"))));
        line(&mut host, "control: done: export");
        assert_eq!(std::fs::read(file(&format!("round-trip-{name}"))).unwrap(), std::fs::read(file(name)).unwrap());
    }
    assert!(tokio::task::block_in_place(|| host.terminate()).success());
}
