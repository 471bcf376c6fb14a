//! The audio thread: it drains the microphone and the other sources into the mixer, mixes
//! 20 ms at a time, hands each frame to every consumer and to the speakers, and ten times a
//! second reports levels while anyone is in the room. Devices are opened on their own thread
//! (`devices`), so nothing here waits on one. With no source, no consumer and no speakers
//! it sleeps until the next command: an idle app costs nothing here. When to tick is the
//! `clock`'s to say; this thread only asks it at every wake.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Instant;

use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use serde::Serialize;
use specta::Type;
use tokio::sync::oneshot;

use crate::capture::Microphone;
use crate::clock::{Clock, MicrophoneFrame};
use crate::devices::{Devices, Opened};
use crate::fanout::{Fanout, MixReceiver};
use crate::frame::{Frame, CHANNELS, FRAME_LEN, SAMPLE_RATE};
use crate::meter::Level;
use crate::mixer::{LocalProcessing, Mixer, MixerConfig, SourceKind, SourceLevel};
use crate::playback::Speakers;
use crate::processing::{ProcessingConfig, ProcessingThread};
use crate::voices::Voices;

/// The mixer source name of this machine's microphone.
pub const LOCAL_SOURCE: &str = "you";
/// Commands waiting for the audio thread, which takes them at every wake (at least every
/// 30 ms); when full, the sender waits that long. Audio itself never goes through here.
const COMMAND_QUEUE: usize = 64;
/// A source's ring between its decoder and the audio thread: 1 s. When full (the audio
/// thread a second behind), the newest samples are dropped and counted by the feed.
const FEED_RING: usize = SAMPLE_RATE as usize * CHANNELS;

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
    /// Cancel the speakers' echo from the microphone while they play (off on a headset).
    EchoCancellation(bool),
    /// Play the other sources on this machine's speakers, or stop.
    Speakers(bool),
    Attach {
        feed: Feed,
        name: String,
        queue_frames: usize,
        reply: oneshot::Sender<MixReceiver>,
    },
    /// Another source of sound in the room (a participant, a file being played), with the
    /// ring its samples arrive on once it has one.
    AddSource {
        name: String,
        kind: SourceKind,
        input: Option<HeapCons<f32>>,
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
    commands: Commands,
    thread: Option<JoinHandle<()>>,
}

/// The way to the audio thread: each command also wakes it, as it may be asleep.
#[derive(Clone)]
struct Commands {
    queue: SyncSender<Command>,
    audio: std::thread::Thread,
}

impl Commands {
    fn send(&self, command: Command) -> Result<(), mpsc::SendError<Command>> {
        let sent = self.queue.send(command);
        self.audio.unpark();
        sent
    }
}

impl AudioEngine {
    /// Starts the audio thread; `events` is called from it, so it must not block.
    pub fn start(events: impl FnMut(EngineEvent) + Send + 'static) -> std::io::Result<Self> {
        let (queue, inbox) = mpsc::sync_channel(COMMAND_QUEUE);
        let thread = std::thread::Builder::new().name("audio".into()).spawn(move || run(inbox, events))?;
        let commands = Commands { queue, audio: thread.thread().clone() };
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

    /// Whether the speakers' echo is cancelled from the microphone while they play (on
    /// unless the person wears a headset).
    pub fn set_echo_cancellation(&self, on: bool) {
        let _ = self.commands.send(Command::EchoCancellation(on));
    }

    /// A handle for adding other sources of sound to the mix (participants, a file being played).
    pub fn sources(&self) -> Sources {
        Sources { commands: self.commands.clone() }
    }

    /// A new consumer of a feed (see [`Fanout::attach`]), as soon as the audio thread takes
    /// the request (at its next wake); `None` if the thread has stopped.
    pub async fn attach(&self, feed: Feed, name: &str, queue_frames: usize) -> Option<MixReceiver> {
        self.ask_to_attach(feed, name, queue_frames)?.await.ok()
    }

    /// [`AudioEngine::attach`] for a caller outside async code, which waits for the answer
    /// (it panics inside an async runtime).
    pub fn attach_blocking(&self, feed: Feed, name: &str, queue_frames: usize) -> Option<MixReceiver> {
        self.ask_to_attach(feed, name, queue_frames)?.blocking_recv().ok()
    }

    fn ask_to_attach(&self, feed: Feed, name: &str, queue_frames: usize) -> Option<oneshot::Receiver<MixReceiver>> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Attach { feed, name: name.to_owned(), queue_frames, reply }).ok()?;
        Some(answer)
    }

    /// Plays everyone but this machine's microphone on its speakers (mix-minus), or stops.
    pub fn set_speakers(&self, on: bool) {
        let _ = self.commands.send(Command::Speakers(on));
    }
}

/// Adds, mutes and removes named sources of the mix; cheap to clone and to send to other
/// threads. It does nothing once the audio thread has stopped.
#[derive(Clone)]
pub struct Sources {
    commands: Commands,
}

impl Sources {
    /// Adds a named source to the mix (its level shows, its mute holds) before it has sound.
    pub fn add(&self, name: &str) {
        let _ = self.commands.send(Command::AddSource { name: name.to_owned(), kind: SourceKind::Remote, input: None });
    }

    /// The way in for a source's sound, adding the source if it is not there; a new feed
    /// replaces the source's earlier one (a participant's new track).
    pub fn feed(&self, name: &str) -> SourceFeed {
        self.feed_of(name, SourceKind::Remote)
    }

    /// [`Sources::feed`] for what this computer already plays (see [`SourceKind::Captured`]):
    /// the voice operator hears it, the speakers and the participants do not.
    pub fn captured_feed(&self, name: &str) -> SourceFeed {
        self.feed_of(name, SourceKind::Captured)
    }

    fn feed_of(&self, name: &str, kind: SourceKind) -> SourceFeed {
        let (ring, input) = HeapRb::<f32>::new(FEED_RING).split();
        let _ = self.commands.send(Command::AddSource { name: name.to_owned(), kind, input: Some(input) });
        SourceFeed { ring, dropped: 0 }
    }

    /// Keeps a source out of the mix (its level is still measured) or lets it back in.
    pub fn set_muted(&self, name: &str, muted: bool) {
        let _ = self.commands.send(Command::MuteSource { name: name.to_owned(), muted });
    }

    pub fn remove(&self, name: &str) {
        let _ = self.commands.send(Command::RemoveSource(name.to_owned()));
    }
}

/// One source's samples on their way to the audio thread: a lock-free ring, so a decoder
/// never waits and nothing is allocated per packet.
pub struct SourceFeed {
    ring: HeapProd<f32>,
    dropped: u64,
}

impl SourceFeed {
    /// Hands over interleaved 48 kHz stereo samples. If the audio thread is a second
    /// behind, what does not fit is dropped (and counted; see [`SourceFeed::dropped`]).
    pub fn push(&mut self, samples: &[f32]) {
        let taken = self.ring.push_slice(samples);
        self.dropped += (samples.len() - taken) as u64;
    }

    /// Samples dropped because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
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

/// The microphone's processing with, as its echo reference, what the speakers really played
/// (taken from the device, gaps and all) instead of the mix-minus the mixer hands it: a frame
/// the speakers dropped or a gap they played then never puts the reference out of step with
/// the echo, which would let echo through until the canceller found the path again.
struct AsPlayed<'a> {
    processing: &'a mut ProcessingThread,
    speakers: Option<&'a mut Speakers>,
    frame: Frame,
}

impl LocalProcessing for AsPlayed<'_> {
    fn render(&mut self, _mix_minus: &Frame) {
        if let Some(speakers) = self.speakers.as_deref_mut() {
            while speakers.take_played(&mut self.frame) {
                self.processing.render(&self.frame);
            }
        }
    }

    fn capture(&mut self, frame: &mut Frame) {
        self.processing.capture(frame);
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

/// The microphone as the audio thread has it: the wish it serves and, once open, its ring.
struct Capture {
    generation: u64,
    microphone: Option<Box<Microphone>>,
    /// Samples the device callback had dropped at the last report.
    overflow_reported: u64,
    /// The microphone's echo cancellation, noise suppression and gain, while joined
    /// (`None` also if its thread could not start: the mixer's gain control then serves).
    processing: Option<ProcessingThread>,
}

/// Everything the audio thread owns.
struct AudioThread<E> {
    events: E,
    mixer: Mixer,
    room: Fanout,
    microphone_feed: Fanout,
    devices: Devices,
    capture: Capture,
    /// Whether the speakers are wanted, the wish's generation, and the speakers once open.
    speakers: (bool, u64, Option<Speakers>),
    /// The speakers' gaps (see [`Speakers::gaps_ms`]) at the last report.
    speaker_gaps_reported: (u64, u64),
    /// Whether the person wants the speakers' echo cancelled (not on a headset).
    echo_cancellation: bool,
    inputs: Vec<(String, HeapCons<f32>)>,
    status: LastStatus,
    /// Whether the last levels report had sources in it (an empty one follows when they go).
    levels_shown: bool,
    /// Scratch space for draining rings; sized once.
    samples: Vec<f32>,
    captured: Vec<f32>,
}

fn run(inbox: Receiver<Command>, events: impl FnMut(EngineEvent)) {
    let devices = match Devices::start(std::thread::current()) {
        Ok(devices) => devices,
        Err(err) => return log::error!("the audio devices' thread could not start: {err}"),
    };
    let mut audio = AudioThread {
        events,
        mixer: Mixer::new(MixerConfig::default()),
        room: Fanout::new(),
        microphone_feed: Fanout::new(),
        devices,
        capture: Capture { generation: 0, microphone: None, overflow_reported: 0, processing: None },
        speakers: (false, 0, None),
        speaker_gaps_reported: (0, 0),
        echo_cancellation: true,
        inputs: Vec::new(),
        status: LastStatus(MicrophoneStatus::Off),
        levels_shown: false,
        samples: vec![0.0; FEED_RING],
        captured: Vec::with_capacity(FEED_RING),
    };
    let mut clock = Clock::new(Instant::now());
    loop {
        for command in inbox.try_iter() {
            if !audio.obey(command) {
                return;
            }
        }
        audio.take_opened_devices();
        if audio.idle() {
            audio.report_levels(); // once more, empty, if anything was shown
            std::thread::park(); // until a command comes
            clock = Clock::new(Instant::now());
            continue;
        }
        audio.drain_inputs();
        if let Some(tick) = clock.poll(Instant::now(), audio.microphone_frame()) {
            audio.tick();
            if tick.levels {
                audio.report_levels();
            }
        }
        let wake_at = clock.poll_timeout(audio.microphone_frame());
        // The microphone unparks this thread at every delivery.
        std::thread::park_timeout(wake_at.saturating_duration_since(Instant::now()));
    }
}

impl<E: FnMut(EngineEvent)> AudioThread<E> {
    /// Carries out one command; false when the thread is to stop.
    fn obey(&mut self, command: Command) -> bool {
        match command {
            Command::Join { device } => {
                // A new device is a new echo path: the module learns it afresh.
                let processing = ProcessingThread::start(self.processing_config())
                    .map_err(|err| log::warn!("{err}; the microphone goes without echo cancellation"))
                    .ok();
                self.capture = Capture {
                    generation: self.devices.want_microphone(Some(device)),
                    microphone: None,
                    overflow_reported: 0,
                    processing,
                };
                self.mixer.add_source_of(LOCAL_SOURCE, SourceKind::Local);
            }
            Command::Leave => {
                self.capture = Capture {
                    generation: self.devices.want_microphone(None),
                    microphone: None,
                    overflow_reported: 0,
                    processing: None,
                };
                self.mixer.remove_source(LOCAL_SOURCE);
                self.status.report(MicrophoneStatus::Off, &mut self.events);
            }
            Command::Mute(muted) => {
                let _ = self.mixer.set_muted(LOCAL_SOURCE, muted);
            }
            Command::Attach { feed, name, queue_frames, reply } => {
                let feeds = match feed {
                    Feed::Room => &mut self.room,
                    Feed::Microphone => &mut self.microphone_feed,
                };
                let _ = reply.send(feeds.attach(&name, queue_frames));
            }
            Command::Speakers(on) => {
                self.speakers = (on, self.devices.want_speakers(on), None);
                self.reconfigure_processing();
            }
            Command::EchoCancellation(on) => {
                self.echo_cancellation = on;
                self.reconfigure_processing();
            }
            Command::AddSource { name, kind, input } => {
                self.mixer.add_source_of(&name, kind);
                if let Some(input) = input {
                    self.inputs.retain(|(id, _)| *id != name);
                    self.inputs.push((name, input));
                }
            }
            Command::MuteSource { name, muted } => {
                let _ = self.mixer.set_muted(&name, muted);
            }
            Command::RemoveSource(name) => {
                self.mixer.remove_source(&name);
                self.inputs.retain(|(id, _)| *id != name);
            }
            Command::Stop => return false,
        }
        true
    }

    /// Whether the microphone is live and has a whole frame waiting.
    fn microphone_frame(&self) -> MicrophoneFrame {
        if self.capture.microphone.is_none() {
            MicrophoneFrame::Off
        } else if self.mixer.buffered(LOCAL_SOURCE).is_some_and(|n| n >= FRAME_LEN) {
            MicrophoneFrame::Ready
        } else {
            MicrophoneFrame::Awaited
        }
    }

    /// Nothing to mix, nobody to hand a frame to, nothing to play.
    fn idle(&self) -> bool {
        self.mixer.is_empty() && self.room.is_empty() && self.microphone_feed.is_empty() && !self.speakers.0
    }

    /// Takes what the devices thread opened, if it is still what is wanted.
    fn take_opened_devices(&mut self) {
        while let Ok(opened) = self.devices.opened.try_recv() {
            match opened {
                Opened::Microphone { generation, result } if generation == self.capture.generation => match result {
                    Ok(microphone) => {
                        let device = microphone.name().to_owned();
                        self.status.report(MicrophoneStatus::Live { device }, &mut self.events);
                        self.capture.microphone = Some(microphone);
                        self.capture.overflow_reported = 0;
                    }
                    Err(err) => {
                        self.status.report(MicrophoneStatus::Unavailable { reason: err.to_string() }, &mut self.events)
                    }
                },
                Opened::Speakers { generation, result } if generation == self.speakers.1 => match result {
                    Ok(speakers) => {
                        log::info!("playing the room on \"{}\"", speakers.name());
                        self.speakers.2 = Some(speakers);
                        self.speaker_gaps_reported = (0, 0);
                    }
                    Err(err) => log::warn!("the room cannot be played here: {err}"),
                },
                Opened::Microphone { .. } | Opened::Speakers { .. } => {} // opened for an earlier wish
            }
        }
    }

    /// Moves what each source has delivered into the mixer.
    fn drain_inputs(&mut self) {
        for (id, input) in &mut self.inputs {
            let count = input.pop_slice(&mut self.samples);
            if count > 0 {
                let _ = self.mixer.push(id, &self.samples[..count]);
            }
        }
        let Some(microphone) = &mut self.capture.microphone else { return };
        match microphone.read(&mut self.captured) {
            Ok(()) => {
                let _ = self.mixer.push(LOCAL_SOURCE, &self.captured);
            }
            Err(err) => {
                log::warn!("{err}");
                self.capture.microphone = None;
                self.status.report(MicrophoneStatus::Unavailable { reason: err.to_string() }, &mut self.events);
            }
        }
        self.captured.clear();
    }

    /// Echo cancellation runs while the speakers play, unless the person turned it off.
    fn processing_config(&self) -> ProcessingConfig {
        ProcessingConfig { echo_cancellation: self.speakers.0 && self.echo_cancellation }
    }

    fn reconfigure_processing(&mut self) {
        let config = self.processing_config();
        if let Some(processing) = self.capture.processing.as_mut().filter(|p| p.config() != config) {
            processing.configure(config);
        }
    }

    fn tick(&mut self) {
        match (&mut self.capture.processing, &mut self.speakers.2) {
            (Some(processing), speakers) => {
                let mut reference = AsPlayed { processing, speakers: speakers.as_mut(), frame: [0.0; FRAME_LEN] };
                self.mixer.tick_with(Some(&mut reference));
            }
            (None, speakers) => {
                if let Some(speakers) = speakers {
                    speakers.forget_played();
                }
                self.mixer.tick(); // the mixer's own gain control serves the microphone
            }
        }
        let mixer = &self.mixer;
        self.room.send(mixer.mix(), || mixer.voices());
        self.microphone_feed.send(mixer.local(), Voices::new);
        if let Some(speakers) = &mut self.speakers.2 {
            if let Err(err) = speakers.play(self.mixer.others()) {
                log::warn!("{err}");
                self.speakers.2 = None; // the devices thread opens them again
            }
        }
    }

    fn report_levels(&mut self) {
        if let Some(microphone) = &self.capture.microphone {
            let overflowed = microphone.overflowed();
            if overflowed > self.capture.overflow_reported {
                log::warn!("the audio thread fell behind; {overflowed} microphone samples dropped so far");
                self.capture.overflow_reported = overflowed;
            }
        }
        if let Some(speakers) = &self.speakers.2 {
            let (dry, dropped) = speakers.gaps_ms();
            let (dry_before, dropped_before) = self.speaker_gaps_reported;
            if dry > dry_before || dropped > dropped_before {
                log::info!(
                    "speakers: {} ms of silence played (nothing queued), {} ms dropped (too much queued)",
                    dry - dry_before,
                    dropped - dropped_before
                );
                self.speaker_gaps_reported = (dry, dropped);
            }
        }
        self.mixer.take_trims(|id, samples| {
            let ms = samples * 1000 / (u64::from(SAMPLE_RATE) * CHANNELS as u64);
            log::info!("{id}: dropped {ms} ms of audio that arrived late all at once, to stay live");
        });
        // Nobody in the room: no levels to show, and no events to wake the window with.
        let anyone = !self.mixer.is_empty();
        if anyone || self.levels_shown {
            let levels = Levels { sources: self.mixer.source_levels(), mix: self.mixer.mix_level() };
            (self.events)(EngineEvent::Levels(levels));
        }
        self.levels_shown = anyone;
    }
}
