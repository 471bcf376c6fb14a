//! The room's link that stays: its token and port, kept in the data folder (private: the
//! token lets people in), so that the window's or the host's next room, after a restart, a
//! crash or an upgrade, has the link the team already has. "New link" replaces it.

use std::io;
use std::path::{Path, PathBuf};

use room::token::InviteToken;
use serde::{Deserialize, Serialize};

pub const FILE: &str = "room-link.json";

/// The link's parts a room needs to have the same link again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptLink {
    pub token: InviteToken,
    /// The port the room was given first; 0 when no room has run with this token yet.
    pub port: u16,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    token: String,
    port: u16,
}

/// The file the link is kept in.
pub struct LinkFile {
    path: PathBuf,
}

impl LinkFile {
    pub fn in_dir(data_dir: &Path) -> Self {
        LinkFile { path: data_dir.join(FILE) }
    }

    /// The link kept, if there is one; a file that is not one is logged (never its content)
    /// and the room gets a new link.
    pub fn load(&self) -> Option<KeptLink> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return None,
            Err(err) => {
                log::warn!(
                    "the room's link could not be read from {}: {err}; the room gets a new one",
                    self.path.display()
                );
                return None;
            }
        };
        let kept = serde_json::from_str::<Saved>(&text)
            .ok()
            .and_then(|saved| Some(KeptLink { token: InviteToken::parse(&saved.token)?, port: saved.port }));
        if kept.is_none() {
            log::warn!("{} does not hold a room link; the room gets a new one", self.path.display());
        }
        kept
    }

    pub fn save(&self, link: &KeptLink) -> io::Result<()> {
        let saved = Saved { token: link.token.as_str().to_owned(), port: link.port };
        let json = serde_json::to_vec_pretty(&saved).map_err(io::Error::other)?;
        private_files::write(&self.path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_kept_privately_and_a_damaged_file_gives_way_to_a_new_link() {
        let dir = tempfile::tempdir().unwrap();
        let file = LinkFile::in_dir(dir.path());
        assert_eq!(file.load(), None);
        let link = KeptLink { token: InviteToken::generate(), port: 41234 };
        file.save(&link).unwrap();
        assert_eq!(file.load(), Some(link.clone()));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the token lets people in: only its owner reads it");
        for damaged in ["", "{", r#"{"token":"short","port":1}"#, r#"{"port":1}"#] {
            std::fs::write(dir.path().join(FILE), damaged).unwrap();
            assert_eq!(file.load(), None, "{damaged:?}");
        }
    }
}
