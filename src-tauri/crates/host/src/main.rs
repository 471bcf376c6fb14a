//! `boardroom-host`: a Boardroom room without a window, for people who run it on a server
//! (and for tests that drive the whole stack). Same board file, same audio thread, same
//! voice operator as the desktop app; status lines on stdout.

mod options;
mod report;
mod wav_source;

use std::sync::Arc;

use audio::{AudioEngine, EngineEvent};
use board::{actor::now_ms, BoardActor, BoardFile};
use options::{Microphone, Parsed};
use realtime::{Endpoint, Operator, OperatorConfig, OperatorEvent, OperatorStatus};
use tokio::sync::broadcast::error::RecvError;

/// How far the operator may fall behind the mix before frames are dropped for it.
const MIX_QUEUE_FRAMES: usize = 50;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let options = match options::parse(std::env::args().skip(1), |name| std::env::var(name).ok()) {
        Ok(Parsed::Run(options)) => options,
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

    let engine = AudioEngine::start(|event| {
        if let EngineEvent::Microphone(status) = event {
            say(format!("microphone: {status:?}"));
        }
    })
    .map_err(|err| format!("the audio thread could not start: {err}"))?;
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
            let mix = engine.attach("realtime", MIX_QUEUE_FRAMES).ok_or("the audio thread stopped")?;
            let config = OperatorConfig::new(Endpoint { base_url: options.base_url.clone(), api_key }, options.model);
            let notify = Arc::new(|event| match event {
                OperatorEvent::Status(status) => say(report::status(&status)),
                OperatorEvent::Transcript(line) => say(format!("heard: {}", line.text)),
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

    wait_for_shutdown().await;
    say("shutting down".to_owned());
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
