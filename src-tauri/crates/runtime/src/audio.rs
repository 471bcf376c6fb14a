//! The room's sound: the audio thread and this person's place in the meeting (joined,
//! muted, which microphone). It follows the microphone and the echo cancellation chosen in
//! the settings and publishes
//! what the thread reports (microphone status, levels) for the window, the host's status
//! lines and the room.

use std::sync::{Arc, Weak};

use audio::{
    AudioEngine, EngineEvent, Feed, Levels, MicrophoneStatus, MixReceiver, Sources, SystemAudio, SystemAudioStatus,
};
use tokio::sync::watch;

use crate::next_change;

/// How far the room's encoder may fall behind the microphone before frames are dropped for it.
const MICROPHONE_QUEUE_FRAMES: usize = 10;

/// A handle on the room's sound; clones share it. The audio thread stops with the last one.
#[derive(Clone)]
pub struct Audio {
    shared: Arc<Shared>,
}

struct Shared {
    engine: AudioEngine,
    device: watch::Receiver<Option<String>>,
    joined: watch::Sender<bool>,
    muted: watch::Sender<bool>,
    microphone: watch::Receiver<MicrophoneStatus>,
    levels: watch::Receiver<Option<Levels>>,
    /// What this computer plays, while wanted (see [`Audio::follow_system_audio`]).
    system_audio: std::sync::Mutex<Option<SystemAudio>>,
    system_audio_status: watch::Sender<SystemAudioStatus>,
}

impl Audio {
    /// Starts the audio thread; `device` is the microphone the settings choose, followed
    /// while joined, and `echo_cancellation` whether the speakers' echo is cancelled from
    /// it. Call inside a Tokio runtime.
    pub fn start(
        device: watch::Receiver<Option<String>>,
        mut echo_cancellation: watch::Receiver<bool>,
    ) -> std::io::Result<Audio> {
        // Latest wins: a window or a room that looks now wants the state now, not the history.
        let (microphone_tx, microphone) = watch::channel(MicrophoneStatus::Off);
        let (levels_tx, levels) = watch::channel(None);
        let engine = AudioEngine::start(move |event| match event {
            EngineEvent::Microphone(status) => {
                log::info!("microphone: {status:?}");
                microphone_tx.send_replace(status);
            }
            EngineEvent::Levels(new) => {
                levels_tx.send_replace(Some(new));
            }
        })?;
        engine.set_echo_cancellation(*echo_cancellation.borrow_and_update());
        let shared = Arc::new(Shared {
            engine,
            device: device.clone(),
            joined: watch::Sender::new(false),
            muted: watch::Sender::new(false),
            microphone,
            levels,
            system_audio: std::sync::Mutex::new(None),
            system_audio_status: watch::Sender::new(SystemAudioStatus::Off),
        });
        tokio::spawn(follow(Arc::downgrade(&shared), device, |audio, device| {
            if *audio.joined.borrow() {
                audio.engine.join(device);
            }
        }));
        tokio::spawn(follow(Arc::downgrade(&shared), echo_cancellation, |audio, on| {
            audio.engine.set_echo_cancellation(on)
        }));
        Ok(Audio { shared })
    }

    /// Turns the microphone on: the one chosen in the settings, or the system default.
    pub fn join(&self) {
        self.shared.engine.join(self.shared.device.borrow().clone());
        self.shared.joined.send_replace(true);
    }

    pub fn leave(&self) {
        self.shared.engine.leave();
        self.shared.joined.send_replace(false);
    }

    pub fn set_muted(&self, muted: bool) {
        self.shared.engine.set_muted(muted);
        self.shared.muted.send_replace(muted);
    }

    /// Whether this person is in the meeting (their microphone wanted).
    pub fn joined(&self) -> watch::Receiver<bool> {
        self.shared.joined.subscribe()
    }

    /// Whether this person muted themselves.
    pub fn muted(&self) -> watch::Receiver<bool> {
        self.shared.muted.subscribe()
    }

    pub fn microphone(&self) -> watch::Receiver<MicrophoneStatus> {
        self.shared.microphone.clone()
    }

    /// Every source's level and the mix's, ten times a second while anybody is in the room.
    pub fn levels(&self) -> watch::Receiver<Option<Levels>> {
        self.shared.levels.clone()
    }

    /// For adding participants (or a file being played) to the mix.
    pub fn sources(&self) -> Sources {
        self.shared.engine.sources()
    }

    /// A new consumer of the room mix (everyone); `None` once the audio thread has stopped.
    pub async fn room_mix(&self, name: &str, queue_frames: usize) -> Option<MixReceiver> {
        self.shared.engine.attach(Feed::Room, name, queue_frames).await
    }

    /// This machine's microphone alone, for the room's participants.
    pub async fn microphone_feed(&self) -> Option<MixReceiver> {
        self.shared.engine.attach(Feed::Microphone, "room", MICROPHONE_QUEUE_FRAMES).await
    }

    /// Listens to what this computer plays ("call audio", for the voice operator only)
    /// whenever `wanted` says so, until the audio stops.
    pub fn follow_system_audio(&self, wanted: watch::Receiver<bool>) {
        let shared = Arc::downgrade(&self.shared);
        if *wanted.borrow() {
            self.shared.listen_to_system_audio(true);
        }
        tokio::spawn(follow(shared, wanted, Shared::listen_to_system_audio));
    }

    /// Whether what this computer plays is heard, and which applications.
    pub fn system_audio(&self) -> watch::Receiver<SystemAudioStatus> {
        self.shared.system_audio_status.subscribe()
    }

    /// Plays the participants on this machine's speakers, or stops.
    pub fn set_speakers(&self, on: bool) {
        self.shared.engine.set_speakers(on);
    }
}

impl Shared {
    fn listen_to_system_audio(&self, on: bool) {
        let mut listening = self.system_audio.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if on == listening.is_some() {
            return;
        }
        // Stopping waits for the listening thread, which looks up every 20 ms.
        *listening = None;
        if on {
            let status = self.system_audio_status.clone();
            match SystemAudio::start(self.engine.sources(), move |new| {
                status.send_replace(new);
            }) {
                Ok(started) => *listening = Some(started),
                Err(err) => {
                    let reason = format!("the thread that listens could not start: {err}");
                    self.system_audio_status.send_replace(SystemAudioStatus::Unavailable { reason });
                }
            }
        }
    }
}

/// Applies each new value of a setting to the audio until it is gone. A microphone chosen
/// while joined is switched to at once.
async fn follow<T: Clone>(audio: Weak<Shared>, mut values: watch::Receiver<T>, apply: fn(&Shared, T)) {
    loop {
        next_change(&mut values).await;
        let Some(audio) = audio.upgrade() else { return };
        let value = values.borrow_and_update().clone();
        apply(&audio, value);
    }
}
