//! The audio thread: every 20 ms it drains the microphone into the mixer, mixes, hands the
//! frame to every consumer, and ten times a second reports levels. It owns the microphone
//! (cpal streams cannot move between threads) and retries it when it is missing or lost,
//! so the rest of the app never waits on a device.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use specta::Type;

use crate::capture::Microphone;
use crate::fanout::{Fanout, MixReceiver};
use crate::frame::FRAME_MS;
use crate::meter::Level;
use crate::mixer::{Mixer, MixerConfig, SourceKind, SourceLevel};
use crate::playback::Speakers;

/// The mixer source name of this machine's microphone.
pub const LOCAL_SOURCE: &str = "you";
const LEVELS_EVERY: Duration = Duration::from_millis(100);
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// What the microphone is doing, for the status bar and the participants panel.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum MicrophoneStatus {
    Off,
    Live {
        device: String,
    },
    /// Not capturing; `reason` says why and what to do. It is tried again every two seconds.
    Unavailable {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct Levels {
    pub sources: Vec<SourceLevel>,
    pub mix: Level,
}

/// Which sound a consumer gets each tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Everyone: what the voice operator hears.
    Room,
    /// This machine's microphone only (after gain control): what participants hear from the host.
    Microphone,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    Microphone(MicrophoneStatus),
    Levels(Levels),
}

enum Command {
    /// Turn the microphone on (`device`: by name, or the default).
    Join {
        device: Option<String>,
    },
    Leave,
    Mute(bool),
    /// Play the other sources on this machine's speakers, or stop.
    Speakers(bool),
    Attach {
        feed: Feed,
        name: String,
        queue_frames: usize,
        reply: Sender<MixReceiver>,
    },
    /// Another source of sound in the room (a participant, a file being played).
    AddSource(String),
    Push {
        source: String,
        samples: Vec<f32>,
    },
    MuteSource {
        name: String,
        muted: bool,
    },
    RemoveSource(String),
    Stop,
}

/// A handle on the audio thread; dropping it stops the thread.
pub struct AudioEngine {
    commands: Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl AudioEngine {
    /// Starts the audio thread; `events` is called from it, so it must not block.
    pub fn start(events: impl FnMut(EngineEvent) + Send + 'static) -> std::io::Result<Self> {
        let (commands, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new().name("audio".into()).spawn(move || run(inbox, events))?;
        Ok(AudioEngine { commands, thread: Some(thread) })
    }

    pub fn join(&self, device: Option<String>) {
        let _ = self.commands.send(Command::Join { device });
    }

    pub fn leave(&self) {
        let _ = self.commands.send(Command::Leave);
    }

    pub fn set_muted(&self, muted: bool) {
        let _ = self.commands.send(Command::Mute(muted));
    }

    /// A handle for adding other sources of sound to the mix (participants, a file being played).
    pub fn sources(&self) -> Sources {
        Sources { commands: self.commands.clone() }
    }

    /// A new consumer of a feed (see [`Fanout::attach`]); `None` if the thread has stopped.
    pub fn attach(&self, feed: Feed, name: &str, queue_frames: usize) -> Option<MixReceiver> {
        let (reply, answer) = mpsc::channel();
        self.commands.send(Command::Attach { feed, name: name.to_owned(), queue_frames, reply }).ok()?;
        answer.recv().ok()
    }

    /// Plays everyone but this machine's microphone on its speakers (mix-minus), or stops.
    pub fn set_speakers(&self, on: bool) {
        let _ = self.commands.send(Command::Speakers(on));
    }
}

/// Adds, feeds, mutes and removes named sources of the mix; cheap to clone and to send
/// to other threads. It does nothing once the audio thread has stopped.
#[derive(Clone)]
pub struct Sources {
    commands: Sender<Command>,
}

impl Sources {
    /// Adds a named source to the mix; feed it with [`Sources::push`].
    pub fn add(&self, name: &str) {
        let _ = self.commands.send(Command::AddSource(name.to_owned()));
    }

    /// Hands interleaved 48 kHz stereo samples to a source added with [`Sources::add`].
    pub fn push(&self, source: &str, samples: Vec<f32>) {
        let _ = self.commands.send(Command::Push { source: source.to_owned(), samples });
    }

    /// Keeps a source out of the mix (its level is still measured) or lets it back in.
    pub fn set_muted(&self, name: &str, muted: bool) {
        let _ = self.commands.send(Command::MuteSource { name: name.to_owned(), muted });
    }

    pub fn remove(&self, name: &str) {
        let _ = self.commands.send(Command::RemoveSource(name.to_owned()));
    }
}

impl Drop for AudioEngine {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Capture {
    wanted: Option<Option<String>>,
    microphone: Option<Microphone>,
    next_try: Instant,
    /// Samples the device callback had dropped at the last report.
    overflow_reported: u64,
}

impl Capture {
    fn new(wanted: Option<Option<String>>) -> Self {
        Capture { wanted, microphone: None, next_try: Instant::now(), overflow_reported: 0 }
    }
}

/// The speakers while they are wanted: opened on demand, retried when missing or lost.
#[derive(Default)]
struct Playback {
    wanted: bool,
    speakers: Option<Speakers>,
    next_try: Option<Instant>,
}

impl Playback {
    fn play(&mut self, frame: &crate::frame::Frame) {
        if !self.wanted {
            return;
        }
        if self.speakers.is_none() && self.next_try.is_none_or(|at| Instant::now() >= at) {
            self.next_try = Some(Instant::now() + RETRY_EVERY);
            match Speakers::open() {
                Ok(speakers) => self.speakers = Some(speakers),
                Err(err) => log::warn!("the room cannot be played here: {err}"),
            }
        }
        if let Some(speakers) = &mut self.speakers {
            if let Err(err) = speakers.play(frame) {
                log::warn!("{err}");
                self.speakers = None;
            }
        }
    }
}

/// Reports the microphone's status only when it changes, not at every retry.
struct LastStatus(MicrophoneStatus);

impl LastStatus {
    fn report(&mut self, status: MicrophoneStatus, events: &mut impl FnMut(EngineEvent)) {
        if status != self.0 {
            self.0 = status.clone();
            events(EngineEvent::Microphone(status));
        }
    }
}

fn run(inbox: Receiver<Command>, mut events: impl FnMut(EngineEvent)) {
    let mut mixer = Mixer::new(MixerConfig::default());
    let mut fanout = Fanout::new();
    let mut microphone_fanout = Fanout::new();
    let mut speakers = Playback::default();
    let mut capture = Capture::new(None);
    let mut status = LastStatus(MicrophoneStatus::Off);
    let mut captured = Vec::new();
    let mut next_tick = Instant::now();
    let mut next_levels = Instant::now();
    loop {
        for command in inbox.try_iter() {
            match command {
                Command::Join { device } => {
                    capture = Capture::new(Some(device));
                    mixer.add_source_of(LOCAL_SOURCE, SourceKind::Local);
                }
                Command::Leave => {
                    capture = Capture::new(None);
                    mixer.remove_source(LOCAL_SOURCE);
                    status.report(MicrophoneStatus::Off, &mut events);
                }
                Command::Mute(muted) => {
                    let _ = mixer.set_muted(LOCAL_SOURCE, muted);
                }
                Command::Attach { feed, name, queue_frames, reply } => {
                    let feeds = match feed {
                        Feed::Room => &mut fanout,
                        Feed::Microphone => &mut microphone_fanout,
                    };
                    let _ = reply.send(feeds.attach(&name, queue_frames));
                }
                Command::Speakers(on) => speakers = Playback { wanted: on, ..Playback::default() },
                Command::AddSource(name) => mixer.add_source(&name),
                Command::Push { source, samples } => {
                    if let Err(err) = mixer.push(&source, &samples) {
                        log::debug!("dropped samples: {err}");
                    }
                }
                Command::MuteSource { name, muted } => {
                    let _ = mixer.set_muted(&name, muted);
                }
                Command::RemoveSource(name) => {
                    mixer.remove_source(&name);
                }
                Command::Stop => return,
            }
        }
        if let Some(device) = &capture.wanted {
            if capture.microphone.is_none() && Instant::now() >= capture.next_try {
                capture.next_try = Instant::now() + RETRY_EVERY;
                match Microphone::open(device.as_deref()) {
                    Ok(microphone) => {
                        status.report(MicrophoneStatus::Live { device: microphone.name().to_owned() }, &mut events);
                        capture.microphone = Some(microphone);
                        capture.overflow_reported = 0;
                    }
                    Err(err) => status.report(MicrophoneStatus::Unavailable { reason: err.to_string() }, &mut events),
                }
            }
        }
        if let Some(microphone) = &mut capture.microphone {
            match microphone.read(&mut captured) {
                Ok(()) => {
                    let _ = mixer.push(LOCAL_SOURCE, &captured);
                }
                Err(err) => {
                    log::warn!("{err}");
                    capture.microphone = None;
                    capture.next_try = Instant::now() + RETRY_EVERY;
                    status.report(MicrophoneStatus::Unavailable { reason: err.to_string() }, &mut events);
                }
            }
            captured.clear();
        }
        fanout.send(mixer.tick());
        microphone_fanout.send(mixer.local());
        speakers.play(mixer.others());
        if Instant::now() >= next_levels {
            next_levels += LEVELS_EVERY;
            if let Some(microphone) = &capture.microphone {
                let overflowed = microphone.overflowed();
                if overflowed > capture.overflow_reported {
                    log::warn!("the audio thread fell behind; {overflowed} microphone samples dropped so far");
                    capture.overflow_reported = overflowed;
                }
            }
            events(EngineEvent::Levels(Levels { sources: mixer.source_levels(), mix: mixer.mix_level() }));
        }
        // Tick on the clock, not after a fixed sleep, so the mix keeps real time.
        next_tick += Duration::from_millis(u64::from(FRAME_MS));
        let now = Instant::now();
        if next_tick < now {
            next_tick = now;
        }
        std::thread::sleep(next_tick - now);
    }
}
