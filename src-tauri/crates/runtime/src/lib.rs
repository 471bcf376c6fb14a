//! The running product without its window: the board with its file, the room's audio, the
//! voice operator and the meeting room, wired the same way for the desktop app and for
//! `boardroom-host`. Data flows one way, each part publishing on watch or broadcast
//! channels that the next subscribes to:
//!
//! settings (the shell's: which microphone, which voice endpoint) → [`audio`] (joined,
//! muted, microphone status, levels) → [`voice`] (operator status, transcript) →
//! [`hosting`] (the open room, fed from all of the above); each meeting leaves a line in
//! [`meetings`] and its notes (`notes`, written by [`notes_keeper`] to `notes_folder`). Beside them, [`guesting`] takes
//! this machine into somebody else's room with the same audio (and keeps the voice operator
//! off meanwhile: the host's listens). [`shown`] is what a window shows of all that: this
//! machine's own board, people and voice operator, or the room's it is a guest in. A machine
//! hosts a room or is a guest in one, never both: [`Runtime`] keeps them apart.
//!
//! The shells only choose the settings, forward what is published to a window or to status
//! lines, and call the commands a person gives.

pub mod audio;
pub mod board_files;
pub mod data_lock;
pub mod guesting;
pub mod hosting;
pub mod meetings;
pub mod notes;
pub mod notes_folder;
pub mod notes_keeper;
pub mod room_link;
pub mod saved_board;
pub mod shown;
pub mod voice;

use std::path::Path;

use board::BoardHandle;
use realtime::{Preferences, SpeakerNames};
use room::{RoomConfig, RoomError};
use tokio::sync::{watch, Mutex};

pub use self::audio::Audio;
pub use data_lock::{DataLock, LockError};
pub use guesting::{Guesting, JoinError, Whereabouts};
pub use hosting::{Hosting, OpenRoom};
pub use notes_keeper::{NotesKeeper, NotesWritten};
pub use saved_board::BoardOpened;
pub use shown::{Shown, ShownError};
pub use voice::{Listening, Voice, VoiceChoice};

/// What the shell decides and may change later (the window's settings; the host's flags).
pub struct RuntimeConfig {
    /// Which program this is, as people call it, for a second one on the same data folder.
    pub program: &'static str,
    /// The input device by name; `None` follows the system default.
    pub microphone: watch::Receiver<Option<String>>,
    /// Cancel the speakers' echo from the microphone while they play (off on a headset).
    pub echo_cancellation: watch::Receiver<bool>,
    /// Also listen to what this computer plays (the call app), while the voice operator listens.
    pub system_audio: watch::Receiver<bool>,
    pub voice: watch::Receiver<VoiceChoice>,
    pub listening: Listening,
    /// Newcomers to the room this machine hosts wait until the host lets them in.
    pub ask_to_join: watch::Receiver<bool>,
    /// What the voice operator follows during a call: "ask before voice changes" (every change
    /// it makes waits for a person; deletions always do) and the meeting's language.
    pub voice_preferences: watch::Receiver<Preferences>,
}

/// Everything that runs, each part owning its own state.
pub struct Runtime {
    pub board: BoardHandle,
    pub audio: Audio,
    pub voice: Voice,
    pub hosting: Hosting,
    pub guesting: Guesting,
    pub shown: Shown,
    pub notes: NotesKeeper,
    /// Held while this machine opens a room or joins one, so it never does both.
    hosting_or_guesting: Mutex<()>,
    /// The data folder is this program's while it runs.
    _lock: DataLock,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    DataFolder(#[from] LockError),
    #[error("the audio thread could not start: {0}")]
    Audio(#[from] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum StartRoomError {
    #[error("you are in somebody else's room; leave it before starting your own")]
    Guest,
    #[error(transparent)]
    Room(#[from] RoomError),
}

impl Runtime {
    /// Takes `data_dir` (unless another program has it), loads the board from it and starts
    /// every part; call inside a Tokio runtime.
    pub fn start(data_dir: &Path, config: RuntimeConfig) -> Result<(Runtime, BoardOpened), StartError> {
        let lock = DataLock::acquire(data_dir, config.program)?;
        let (board, opened) = saved_board::open(data_dir);
        let audio = Audio::start(config.microphone, config.echo_cancellation)?;
        let guesting = Guesting::new(audio.clone(), data_dir);
        let listening = match config.listening {
            Listening::WhileJoined => both(audio.joined(), guesting.away(), |joined, away| joined && !away),
            Listening::Always => watch::channel(true).1,
        };
        audio
            .follow_system_audio(both(config.system_audio, listening.clone(), |wanted, listening| wanted && listening));
        let record = data_dir.join(meetings::FILE);
        // The room names who is behind each source of the mix; the voice operator names who spoke.
        let (names, speaker_names) = watch::channel(SpeakerNames::default());
        let voice = Voice::start(
            board.clone(),
            audio.clone(),
            config.voice,
            listening,
            (config.voice_preferences, speaker_names),
            record,
        );
        let link = room_link::LinkFile::in_dir(data_dir);
        let hosting = Hosting::new(board.clone(), audio.clone(), &voice, config.ask_to_join, names, link);
        let shown = Shown::start(board.clone(), voice.news(), hosting.room(), guesting.whereabouts());
        let notes = NotesKeeper::start(data_dir.join(notes_folder::FOLDER), &voice, &board, hosting.room());
        let hosting_or_guesting = Mutex::new(());
        let runtime =
            Runtime { board, audio, voice, hosting, guesting, shown, notes, hosting_or_guesting, _lock: lock };
        Ok((runtime, opened))
    }

    /// Opens a room with this machine as its host (or returns the one open already); not
    /// while it is a guest in somebody else's. With `speakers`, it plays the participants.
    pub async fn start_room(&self, config: RoomConfig, speakers: bool) -> Result<OpenRoom, StartRoomError> {
        let _exclusive = self.hosting_or_guesting.lock().await;
        if self.guesting.session().is_some() {
            return Err(StartRoomError::Guest);
        }
        Ok(self.hosting.start(config, speakers).await?)
    }

    /// Joins somebody else's room as a guest (not while hosting one).
    pub async fn join_room(&self, link: &str, name: &str) -> Result<guest::GuestView, JoinError> {
        let _exclusive = self.hosting_or_guesting.lock().await;
        let hosting = self.hosting.room().borrow().is_some();
        self.guesting.join(link, name, hosting).await
    }

    /// Leaves the meeting (the room this machine is a guest in, if any): the microphone goes
    /// off and the voice operator hangs up (within 2 s).
    pub async fn leave(&self) {
        self.guesting.leave().await;
        self.audio.leave();
        self.voice.settled().await;
    }

    /// Ends the room (or leaves the one this machine is a guest in) and hangs up the voice
    /// operator's call, for quitting.
    pub async fn shutdown(&self) {
        self.guesting.leave().await;
        self.hosting.end().await;
        self.voice.stop().await;
        self.notes.finish().await;
    }
}

/// `combine` of the latest of `a` and `b`, as they change.
fn both(
    mut a: watch::Receiver<bool>,
    mut b: watch::Receiver<bool>,
    combine: fn(bool, bool) -> bool,
) -> watch::Receiver<bool> {
    let (combined, receiver) = watch::channel(combine(*a.borrow_and_update(), *b.borrow_and_update()));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = next_change(&mut a) => {}
                () = next_change(&mut b) => {}
                () = combined.closed() => return,
            }
            combined.send_replace(combine(*a.borrow_and_update(), *b.borrow_and_update()));
        }
    });
    receiver
}

/// Waits for the next value; once the sender is gone there is none, so it waits forever
/// (a `select!` loop would otherwise spin on the closed channel).
pub(crate) async fn next_change<T>(values: &mut watch::Receiver<T>) {
    if values.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}
