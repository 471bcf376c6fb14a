//! Being a guest in somebody else's room: joining by an invite link with this machine's
//! microphone and speakers, staying in while the session lasts, leaving. What it publishes
//! (the session while in, the reason it ended) tells the shells what to show: the room's
//! board and people instead of this machine's own, which stay untouched meanwhile.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use guest::{Guest, GuestAudio, GuestStatus, GuestView, InviteError, JoinRequest};
use tokio::sync::{watch, Mutex};

use crate::{next_change, Audio};

/// This installation's key for rooms, kept in the data folder, so a host who removed it
/// can keep it out (and let it back).
const DEVICE_KEY_FILE: &str = "device-key";
const DEVICE_KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Link(#[from] InviteError),
    #[error("you are in a room already; leave it first")]
    AlreadyIn,
    #[error("you are hosting a room; end it before joining another")]
    Hosting,
    #[error(transparent)]
    Name(#[from] room_protocol::names::NameError),
    #[error("this computer's key for rooms ({path}) cannot be kept: {reason}")]
    DeviceKey { path: String, reason: String },
}

/// Where this machine is, as the window shows it.
#[derive(Clone)]
pub enum Whereabouts {
    /// At home: its own board.
    Home {
        /// Why the last room was left, when it was not by choice.
        left: Option<String>,
    },
    /// A guest in a room.
    Guest { link: String, session: GuestView },
}

/// Owns the guest session, if any; clones share it.
#[derive(Clone)]
pub struct Guesting {
    shared: Arc<Shared>,
}

struct Shared {
    audio: Audio,
    data_dir: PathBuf,
    /// The session, numbered so that a finished one's watcher cannot end its successor.
    current: Mutex<Option<(u64, Guest)>>,
    sessions: AtomicU64,
    published: watch::Sender<Whereabouts>,
    /// `published` is a guest's, for those who only need to know that.
    away: watch::Sender<bool>,
}

impl Guesting {
    pub fn new(audio: Audio, data_dir: &Path) -> Guesting {
        let shared = Shared {
            audio,
            data_dir: data_dir.to_path_buf(),
            current: Mutex::default(),
            sessions: AtomicU64::new(0),
            published: watch::Sender::new(Whereabouts::Home { left: None }),
            away: watch::Sender::new(false),
        };
        Guesting { shared: Arc::new(shared) }
    }

    /// Joins the room `link` invites to, as `name`, with this machine's microphone (the one
    /// the settings choose) and speakers. `hosting` says whether this machine hosts a room.
    pub async fn join(&self, link: &str, name: &str, hosting: bool) -> Result<GuestView, JoinError> {
        let invite = guest::invite::parse(link)?;
        let name = room_protocol::names::name(name)?;
        let shared = &self.shared;
        let mut current = shared.current.lock().await;
        if current.is_some() {
            return Err(JoinError::AlreadyIn);
        }
        if hosting {
            return Err(JoinError::Hosting);
        }
        let device = device_key(&shared.data_dir)?;
        shared.audio.join();
        shared.audio.set_speakers(true);
        let audio = GuestAudio { sources: shared.audio.sources(), microphone: shared.audio.microphone_feed().await };
        let session = Guest::join(JoinRequest { invite, name, device }, audio);
        let view = session.view();
        let number = shared.sessions.fetch_add(1, Ordering::Relaxed);
        *current = Some((number, session));
        tokio::spawn(watch_session(Arc::downgrade(shared), number, view.clone()));
        shared.published.send_replace(Whereabouts::Guest { link: link.to_owned(), session: view.clone() });
        shared.away.send_replace(true);
        Ok(view)
    }

    /// Leaves the room (within two seconds whatever the network does) and goes home.
    pub async fn leave(&self) {
        let current = self.shared.current.lock().await.as_ref().map(|(number, _)| *number);
        if let Some(number) = current {
            self.shared.go_home(number, None).await;
        }
    }

    /// Home or in a room, now and as it changes.
    pub fn whereabouts(&self) -> watch::Receiver<Whereabouts> {
        self.shared.published.subscribe()
    }

    /// The session while in a room.
    pub fn session(&self) -> Option<GuestView> {
        match &*self.shared.published.borrow() {
            Whereabouts::Guest { session, .. } => Some(session.clone()),
            Whereabouts::Home { .. } => None,
        }
    }

    /// Whether this machine is a guest in a room (its own voice operator then stays off: the
    /// host's listens), as it changes.
    pub fn away(&self) -> watch::Receiver<bool> {
        self.shared.away.subscribe()
    }
}

impl Shared {
    /// Ends session `number` if it is still the current one: the microphone and speakers go
    /// off and the window goes back to this machine's own board.
    async fn go_home(&self, number: u64, reason: Option<String>) {
        let session = {
            let mut current = self.current.lock().await;
            match current.take() {
                Some((current_number, session)) if current_number == number => session,
                other => {
                    *current = other;
                    return;
                }
            }
        };
        session.leave().await;
        self.audio.set_speakers(false);
        self.audio.leave();
        self.published.send_replace(Whereabouts::Home { left: reason });
        self.away.send_replace(false);
    }
}

/// For as long as session `number` lasts: tells the room when this person mutes or unmutes,
/// and goes home when the room ends the session (removed, the room ended, lost).
async fn watch_session(shared: Weak<Shared>, number: u64, session: GuestView) {
    let Some(mut muted) = shared.upgrade().map(|shared| shared.audio.muted()) else { return };
    let mut status = session.status();
    let now = *muted.borrow_and_update();
    session.set_muted(now).await;
    let reason = loop {
        tokio::select! {
            () = next_change(&mut muted) => {
                let now = *muted.borrow_and_update();
                session.set_muted(now).await;
            }
            reason = ended(&mut status) => match reason {
                Some(reason) => break reason,
                None => return,
            },
        }
    };
    if let Some(shared) = shared.upgrade() {
        shared.go_home(number, Some(reason)).await;
    }
}

/// Why the session ended, once it has (`None`: it is gone without saying).
async fn ended(status: &mut watch::Receiver<GuestStatus>) -> Option<String> {
    match &*status.wait_for(|s| matches!(s, GuestStatus::Ended { .. })).await.ok()? {
        GuestStatus::Ended { reason } => Some(reason.clone()),
        _ => None,
    }
}

/// This installation's key, made on first use.
fn device_key(data_dir: &Path) -> Result<String, JoinError> {
    let path = data_dir.join(DEVICE_KEY_FILE);
    let failed =
        |err: std::io::Error| JoinError::DeviceKey { path: path.display().to_string(), reason: err.to_string() };
    match std::fs::read_to_string(&path) {
        Ok(key) if room_protocol::names::device(key.trim()).is_ok() => return Ok(key.trim().to_owned()),
        Ok(_) => log::warn!("{} is not a usable key; a new one replaces it", path.display()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(failed(err)),
    }
    use rand::distr::{Alphanumeric, SampleString};
    let key = Alphanumeric.sample_string(&mut rand::rng(), DEVICE_KEY_LEN);
    private_files::write(&path, key.as_bytes()).map_err(failed)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_key_is_made_once_and_kept_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        let key = device_key(&dir).unwrap();
        assert_eq!(device_key(&dir).unwrap(), key, "the same key on every join");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!((mode(&dir), mode(&dir.join(DEVICE_KEY_FILE))), (0o700, 0o600));
        }
    }
}
