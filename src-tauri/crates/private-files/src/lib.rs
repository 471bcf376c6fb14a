//! Files and folders only their owner can read or change (0600 and 0700 on Unix): the
//! settings, keys, certificates and lock that Boardroom keeps hold what other accounts on
//! the machine have no business reading. Elsewhere the system's defaults apply.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// Makes `dir` (and any missing parents) private; an existing `dir` made before, with the
/// system's default mode, is made private too. Parents that exist are left as they are.
pub fn dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)?;
    restrict(dir, DIR_MODE)
}

/// Options that create a file private (an existing file keeps its mode: see [`restrict_file`]).
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    options.mode(FILE_MODE);
    options
}

/// Replaces `path` whole with `contents`, private, in a private folder: written beside it,
/// synced and renamed over it, so a crash leaves the old file or the new, never half of one.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        dir(parent)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".tmp");
    let temp = path.with_file_name(name);
    let mut file = options().write(true).create(true).truncate(true).open(&temp)?;
    // A temp file left by a crash keeps its old mode when reopened.
    restrict_file(&temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

/// Makes an existing file private: for files another library writes in place.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    restrict(path, FILE_MODE)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_made_private_new_or_old() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("data/room-tls");
        dir(&nested).unwrap();
        assert_eq!((mode(&root.path().join("data")), mode(&nested)), (0o700, 0o700));

        let old = root.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        dir(&old).unwrap();
        assert_eq!(mode(&old), 0o700, "a folder an older version made is made private");

        let file = root.path().join("fresh/key.pem");
        write(&file, b"one").unwrap();
        assert_eq!((mode(&file), mode(&root.path().join("fresh"))), (0o600, 0o700));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&file, b"two").unwrap();
        assert_eq!((std::fs::read(&file).unwrap(), mode(&file)), (b"two".to_vec(), 0o600));
        assert_eq!(std::fs::read_dir(root.path().join("fresh")).unwrap().count(), 1, "no temp file is left");

        let opened = root.path().join("lock");
        options().write(true).create(true).truncate(false).open(&opened).unwrap();
        assert_eq!(mode(&opened), 0o600);
        std::fs::write(root.path().join("settings.json"), "{}").unwrap();
        restrict_file(&root.path().join("settings.json")).unwrap();
        assert_eq!(mode(&root.path().join("settings.json")), 0o600);
    }
}
