//! `boardroom-host`: a Boardroom room without a window, for people who run it on a server
//! (and for tests that drive the whole stack). Same board file, same audio thread, same
//! voice operator as the desktop app; status lines on stdout.

mod options;
mod report;
mod wav_source;

use std::sync::Arc;

use audio::{AudioEngine, EngineEvent, Feed};
use board::{actor::now_ms, BoardActor, BoardFile};
use meeting::OperatorStatus;
use options::{Microphone, Parsed};
use realtime::{Endpoint, Operator, OperatorConfig, OperatorEvent};
use tokio::sync::broadcast::error::RecvError;

/// How far the operator may fall behind the mix before frames are dropped for it.
const MIX_QUEUE_FRAMES: usize = 50;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let options = match options::parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
        Ok(Parsed::Run(options)) => *options,
        Ok(Parsed::Help) => {
            println!("{}", options::USAGE);
            return;
        }
        Err(err) => {
            eprintln!("boardroom-host: {err}\n\n{}", options::USAGE);
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    if let Err(err) = runtime.block_on(run(options)) {
        eprintln!("boardroom-host: {err}");
        std::process::exit(1);
    }
}

fn say(line: String) {
    println!("{line}");
}

async fn run(options: options::Options) -> Result<(), String> {
    let file = BoardFile::in_dir(&options.data_dir);
    let outcome = file.load(now_ms());
    if let Some(problem) = outcome.problem(&file) {
        say(format!("warning: {problem}"));
    }
    say(format!("board: {} (revision {})", file.path().display(), outcome.board().revision()));
    let may_save = outcome.may_save();
    let (actor, board) = BoardActor::new(outcome.into_board(), may_save.then_some(file));
    tokio::spawn(actor.run());
    let mut changes = board.subscribe();
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => say(report::change(&change)),
                Err(RecvError::Lagged(missed)) => say(format!("board: {missed} changes not shown")),
                Err(RecvError::Closed) => break,
            }
        }
    });

    // The room, when there is one, gets the levels (for its speaking indicators).
    let room_hub: Arc<std::sync::Mutex<Option<room::HubHandle>>> = Arc::default();
    let levels_to = Arc::clone(&room_hub);
    let engine = AudioEngine::start(move |event| match event {
        EngineEvent::Microphone(status) => say(format!("microphone: {status:?}")),
        EngineEvent::Levels(levels) => {
            if let Some(hub) = levels_to.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                hub.levels(levels.sources);
            }
        }
    })
    .map_err(|err| format!("the audio thread could not start: {err}"))?;
    let open_room = match options.room.clone() {
        Some(config) => {
            let microphone = engine.attach(Feed::Microphone, "room", MIX_QUEUE_FRAMES);
            let audio = room::RoomAudio { sources: engine.sources(), microphone };
            let open = room::Room::start(config, board.clone(), audio).await.map_err(|err| err.to_string())?;
            if options.speakers {
                engine.set_speakers(true);
            }
            say(format!("room: {}", open.invite_link()));
            if let Some(certificate) = open.certificate() {
                say(report::certificate(certificate));
            }
            for warning in open.warnings() {
                say(format!("warning: {warning}"));
            }
            if let Some(mut acme) = open.acme_status() {
                tokio::spawn(async move {
                    loop {
                        let line = report::acme(&acme.borrow_and_update());
                        say(line);
                        if acme.changed().await.is_err() {
                            return;
                        }
                    }
                });
            }
            *room_hub.lock().unwrap_or_else(|e| e.into_inner()) = Some(open.hub().clone());
            let mut roster = open.hub().roster();
            tokio::spawn(async move {
                while roster.changed().await.is_ok() {
                    let line = report::participants(&roster.borrow_and_update());
                    say(line);
                }
            });
            Some(open)
        }
        None => None,
    };
    match &options.microphone {
        Microphone::Default => engine.join(None),
        Microphone::Named(name) => engine.join(Some(name.clone())),
        Microphone::None => {}
    }
    if let Some(path) = &options.play {
        let samples = wav_source::load(path)?;
        say(format!("playing {} into the room", path.display()));
        let sources = engine.sources();
        std::thread::Builder::new()
            .name("play".into())
            .spawn(move || wav_source::play(&sources, &samples))
            .map_err(|err| format!("the player could not start: {err}"))?;
    }

    let operator = match options.api_key.clone() {
        Some(api_key) => {
            let mix = engine.attach(Feed::Room, "realtime", MIX_QUEUE_FRAMES).ok_or("the audio thread stopped")?;
            let config = OperatorConfig::new(Endpoint { base_url: options.base_url.clone(), api_key }, options.model);
            let hub = open_room.as_ref().map(|open| open.hub().clone());
            let notify = Arc::new(move |event| match event {
                OperatorEvent::Status(status) => {
                    say(report::status(&status));
                    if let Some(hub) = &hub {
                        hub.voice(status);
                    }
                }
                OperatorEvent::Transcript(line) => {
                    say(format!("heard: {}", line.text));
                    if let Some(hub) = &hub {
                        hub.transcript(line);
                    }
                }
            });
            Some(Operator::start(config, board.clone(), mix, notify))
        }
        None => {
            let stopped = OperatorStatus::Stopped {
                reason: "No OPENAI_API_KEY: the board and audio run, but nobody listens".into(),
            };
            say(report::status(&stopped));
            None
        }
    };

    // For checking that people coming and going leaves nothing behind: the number of live
    // Tokio tasks, whenever it changes (checked once a second).
    tokio::spawn(async {
        let mut last = 0;
        loop {
            let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
            if tasks != last {
                say(format!("tasks: {tasks}"));
                last = tasks;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
    wait_for_shutdown().await;
    say("shutting down".to_owned());
    if let Some(open) = open_room {
        room_hub.lock().unwrap_or_else(|e| e.into_inner()).take();
        open.end().await;
    }
    if let Some(operator) = operator {
        operator.stop().await;
    }
    Ok(())
}

/// Ctrl-C or SIGTERM (what `systemctl stop` and `kill` send).
async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
