//! `boardroom-host`: a Boardroom room without a window, for people who run it on a server
//! (and for tests that drive the whole stack). The same runtime as the desktop app (board
//! file, audio thread, voice operator, room); this is the command line and status lines on
//! stdout.

mod control;
mod options;
mod report;
mod wav_source;

use audio::{MicrophoneStatus, SystemAudioStatus};
use std::sync::Arc;

use board::{Edit, Source};
use control::Action;
use meeting::OperatorStatus;
use options::{Microphone, Parsed};
use realtime::cost::MeetingCost;
use realtime::{Endpoint, Preferences};
use room::acme::AcmeStatus;
use room::{HubHandle, Lobby};
use runtime::board_files;
use runtime::{Listening, Runtime, RuntimeConfig, VoiceChoice};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    room::descriptors::raise_limit();
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
    // Listened for from the start: a stop that comes while the host is starting still ends
    // it the clean way (board written whole, notes written), not by the signal's default.
    let shutdown = shutdown_requested().map_err(|err| format!("the stop signals cannot be caught: {err}"))?;
    let device = match &options.microphone {
        Microphone::Named(name) => Some(name.clone()),
        Microphone::Default | Microphone::None => None,
    };
    let voice = match options.api_key.clone() {
        Some(api_key) => VoiceChoice::Ready {
            endpoint: Endpoint { base_url: options.base_url.clone(), api_key },
            model: options.model.clone(),
            prices: realtime::cost::list_prices(&options.model),
        },
        None => {
            VoiceChoice::Unavailable { reason: "No OPENAI_API_KEY: the board and audio run, but nobody listens".into() }
        }
    };
    // The flags are fixed for the host's life: the settings never change. Whether newcomers
    // wait for the host changes by the `ask` and `open` commands.
    let (ask_to_join, asking) = watch::channel(options.room.as_ref().is_some_and(|room| room.ask_to_join));
    // The meeting's language changes by the `language` command.
    let preferences =
        watch::Sender::new(Preferences { ask_first: options.ask_before_voice_changes, language: options.language });
    let config = RuntimeConfig {
        program: "boardroom-host",
        microphone: watch::channel(device).1,
        echo_cancellation: watch::channel(!options.headset).1,
        system_audio: watch::channel(options.system_audio).1,
        voice: watch::channel(voice).1,
        listening: Listening::Always,
        ask_to_join: asking,
        voice_preferences: preferences.subscribe(),
    };
    let (runtime, opened) = Runtime::start(&options.data_dir, config).map_err(|err| err.to_string())?;
    let runtime = Arc::new(runtime);
    if let Some(problem) = &opened.problem {
        say(format!("warning: {problem}"));
    }
    say(format!("board: {} (revision {})", opened.path.display(), opened.revision));
    let mut changes = runtime.board.subscribe();
    tokio::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => say(report::change(&change)),
                Err(RecvError::Lagged(missed)) => say(format!("board: {missed} changes not shown")),
                Err(RecvError::Closed) => break,
            }
        }
    });
    print_each(runtime.audio.microphone(), |status| format!("microphone: {status:?}"), &MicrophoneStatus::Off);
    print_each(runtime.voice.status(), report::status, &OperatorStatus::Off);
    print_each(runtime.audio.system_audio(), report::system_audio, &SystemAudioStatus::Off);
    if options.api_key.is_some() {
        say(report::prices(&options.model));
    }
    let chosen = *preferences.borrow();
    say(report::language(&chosen));
    print_each(preferences.subscribe(), report::language, &chosen);
    print_each(runtime.voice.cost(), report::spent, &MeetingCost::default());
    let mut heard = runtime.voice.transcript();
    tokio::spawn(async move {
        loop {
            match heard.recv().await {
                Ok(line) => say(report::heard(&line)),
                Err(RecvError::Lagged(missed)) => say(format!("heard: {missed} lines not shown")),
                Err(RecvError::Closed) => break,
            }
        }
    });

    let mut controls = Controls { hub: None, runtime: Arc::clone(&runtime), ask_to_join, preferences };
    if let Some(config) = options.room.clone() {
        let open = runtime.start_room(config, options.speakers).await.map_err(|err| err.to_string())?;
        say(format!("room: {}", open.invite_link));
        // A new link (the `new-link` command) is printed as the room's.
        let mut rooms = runtime.hosting.room();
        let mut link = open.invite_link.clone();
        tokio::spawn(async move {
            while rooms.changed().await.is_ok() {
                let Some(room) = rooms.borrow_and_update().clone() else { break };
                if room.invite_link != link {
                    link = room.invite_link;
                    say(format!("room: {link}"));
                }
            }
        });
        if let Some(certificate) = &open.certificate {
            say(report::certificate(certificate));
        }
        for warning in &open.warnings {
            say(format!("warning: {warning}"));
        }
        if let Some(acme) = open.acme {
            print_each(acme, report::acme, &AcmeStatus::Ordering);
        }
        let mut roster = open.hub.roster();
        tokio::spawn(async move {
            while roster.changed().await.is_ok() {
                let line = report::participants(&roster.borrow_and_update());
                say(line);
            }
        });
        print_each(open.hub.lobby(), report::lobby, &Lobby::default());
        controls.hub = Some(open.hub.clone());
    }
    take_commands(controls);
    if options.microphone != Microphone::None {
        runtime.audio.join();
    }
    if let Some(path) = &options.play {
        let samples = wav_source::load(path)?;
        say(format!("playing {} into the room", path.display()));
        let sources = runtime.audio.sources();
        std::thread::Builder::new()
            .name("play".into())
            .spawn(move || wav_source::play(&sources, &samples))
            .map_err(|err| format!("the player could not start: {err}"))?;
    }

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
    shutdown.await;
    say("shutting down".to_owned());
    runtime.shutdown().await;
    // The host's meeting ends with it: its notes are written on the way out.
    if let Some(written) = runtime.notes.written().borrow().as_ref() {
        say(format!("notes: {}", written.path));
    }
    Ok(())
}

/// What the host's commands act on.
struct Controls {
    /// The room, if the host runs one.
    hub: Option<HubHandle>,
    runtime: Arc<Runtime>,
    ask_to_join: watch::Sender<bool>,
    preferences: watch::Sender<Preferences>,
}

/// The host's controls, one command a line on standard input, each answered with a
/// `control:` line; a closed standard input (a service) just means no commands.
fn take_commands(controls: Controls) {
    // A plain thread reads, since a blocking read would hold up the runtime's shutdown; the
    // process ends it. The queue holds a few lines; the reader waits while it is full.
    let (lines_tx, mut lines) = tokio::sync::mpsc::channel::<String>(8);
    let reader = std::thread::Builder::new().name("stdin".into()).spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if lines_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    if let Err(err) = reader {
        say(format!("warning: commands on standard input are off: {err}"));
        return;
    }
    tokio::spawn(async move {
        while let Some(line) = lines.recv().await {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = match &controls.hub {
                Some(hub) => control::parse(&line, &hub.roster().borrow(), &hub.lobby().borrow()),
                None => control::parse(&line, &[], &Lobby::default()),
            };
            let outcome = match parsed {
                Ok(action) => act(&controls, action).await,
                Err(why) => Err(why),
            };
            say(match outcome {
                Ok(()) => format!("control: done: {}", line.trim()),
                Err(why) => format!("control: {why}"),
            });
        }
    });
}

async fn act(controls: &Controls, action: Action) -> Result<(), String> {
    let hub = || controls.hub.as_ref().ok_or("there is no room: start the host with --room to run one");
    match action {
        Action::Admit(id) => hub()?.admit(&id).await.map_err(|err| err.to_string()),
        Action::Decline(id) => hub()?.decline(&id).await.map_err(|err| err.to_string()),
        Action::Remove(id) => hub()?.remove(&id).await.map_err(|err| err.to_string()),
        Action::AllowBack(id) => hub()?.allow_back(&id).await.map_err(|err| err.to_string()),
        Action::Mute(id, muted) => hub()?.mute_for_everyone(&id, muted).await.map_err(|err| err.to_string()),
        Action::Lock(locked) => {
            hub()?.lock(locked).await;
            Ok(())
        }
        Action::AskToJoin(ask) => {
            hub()?;
            controls.ask_to_join.send_replace(ask);
            Ok(())
        }
        Action::Answer(suggestion, accept) => {
            let edit = if accept { Edit::Accept { suggestion } } else { Edit::Reject { suggestion } };
            controls.runtime.board.apply(edit, Source::Hand).await.map(drop).map_err(|err| err.to_string())
        }
        Action::Language(language) => {
            let chosen = &controls.preferences;
            chosen.send_if_modified(|now| std::mem::replace(&mut now.language, language) != language);
            Ok(())
        }
        Action::NewLink => {
            hub()?;
            let renewed = controls.runtime.hosting.new_link().await;
            renewed.map(drop).map_err(|err| format!("the new link could not be kept: {err}"))
        }
        Action::Export(file) => {
            let board = controls.runtime.board.snapshot().await.map_err(|err| err.to_string())?;
            let format = board_files::format_of(&file).map_err(|err| err.to_string())?;
            board_files::export(&board, &file, format, false).map_err(|err| err.to_string())?;
            say(format!("export: {} cards as {format:?} to {}", board.card_count(), file.display()));
            Ok(())
        }
        Action::Import(import) => {
            let incoming = board_files::read(&import.file).map_err(|err| err.to_string())?;
            let columns = import.columns(&incoming)?;
            say(report::import(&import.file, &incoming, &columns));
            let edit = board_files::import_edit(&import.file, &incoming, Some(&columns), import.replace);
            let edit = edit.map_err(|err| err.to_string())?;
            controls.runtime.board.apply(edit, Source::Hand).await.map(drop).map_err(|err| err.to_string())
        }
    }
}

/// A status line for the current value (unless it is the one everything starts with) and
/// for each change after it.
fn print_each<T: PartialEq + Send + Sync + 'static>(
    mut values: watch::Receiver<T>,
    line: fn(&T) -> String,
    initial: &T,
) {
    if *values.borrow_and_update() != *initial {
        say(line(&values.borrow()));
    }
    tokio::spawn(async move {
        while values.changed().await.is_ok() {
            let text = line(&values.borrow_and_update());
            say(text);
        }
    });
}

/// Ctrl-C or SIGTERM (what `systemctl stop` and `kill` send), caught from when this is called.
fn shutdown_requested() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
