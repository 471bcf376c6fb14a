//! The running product without its window: the board with its file, the room's audio, the
//! voice operator and the meeting room, wired the same way for the desktop app and for
//! `boardroom-host`. Data flows one way, each part publishing on watch or broadcast
//! channels that the next subscribes to:
//!
//! settings (the shell's: which microphone, which voice endpoint) → [`audio`] (joined,
//! muted, microphone status, levels) → [`voice`] (operator status, transcript) →
//! [`hosting`] (the open room, fed from all of the above).
//!
//! The shells only choose the settings, forward what is published to a window or to status
//! lines, and call the commands a person gives.

pub mod audio;
pub mod hosting;
pub mod saved_board;
pub mod voice;

use std::path::Path;

use board::BoardHandle;
use tokio::sync::watch;

pub use self::audio::Audio;
pub use hosting::{Hosting, OpenRoom};
pub use saved_board::BoardOpened;
pub use voice::{Listening, Voice, VoiceChoice};

/// What the shell decides and may change later (the window's settings; the host's flags).
pub struct RuntimeConfig {
    /// The input device by name; `None` follows the system default.
    pub microphone: watch::Receiver<Option<String>>,
    /// Cancel the speakers' echo from the microphone while they play (off on a headset).
    pub echo_cancellation: watch::Receiver<bool>,
    pub voice: watch::Receiver<VoiceChoice>,
    pub listening: Listening,
}

/// Everything that runs, each part owning its own state.
pub struct Runtime {
    pub board: BoardHandle,
    pub audio: Audio,
    pub voice: Voice,
    pub hosting: Hosting,
}

impl Runtime {
    /// Loads the board from `data_dir` and starts every part; call inside a Tokio runtime.
    pub fn start(data_dir: &Path, config: RuntimeConfig) -> std::io::Result<(Runtime, BoardOpened)> {
        let (board, opened) = saved_board::open(data_dir);
        let audio = Audio::start(config.microphone, config.echo_cancellation)?;
        let listening = match config.listening {
            Listening::WhileJoined => audio.joined(),
            Listening::Always => watch::channel(true).1,
        };
        let voice = Voice::start(board.clone(), audio.clone(), config.voice, listening);
        let hosting = Hosting::new(board.clone(), audio.clone(), &voice);
        Ok((Runtime { board, audio, voice, hosting }, opened))
    }

    /// Leaves the meeting: the microphone goes off and the voice operator hangs up (within 2 s).
    pub async fn leave(&self) {
        self.audio.leave();
        self.voice.settled().await;
    }

    /// Ends the room and hangs up the voice operator's call, for quitting.
    pub async fn shutdown(&self) {
        self.hosting.end().await;
        self.voice.stop().await;
    }
}

/// Waits for the next value; once the sender is gone there is none, so it waits forever
/// (a `select!` loop would otherwise spin on the closed channel).
pub(crate) async fn next_change<T>(values: &mut watch::Receiver<T>) {
    if values.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}
