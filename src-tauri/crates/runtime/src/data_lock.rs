//! One program per data folder. The app and `boardroom-host` each hold an exclusive lock on
//! the folder they keep the board in for as long as they run, so two of them never save
//! over each other's board. The lock is the operating system's (it goes with the process,
//! even one that crashed); the file says who holds it, for the message.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

const LOCK_FILE: &str = "boardroom.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the data folder {dir} is in use by {holder}; quit it first, or give this one another folder with --data-dir"
    )]
    InUse { dir: String, holder: String },
    #[error("the data folder {dir} cannot be locked: {reason}")]
    Failed { dir: String, reason: String },
}

/// Held while the program runs; dropping it lets the folder go.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Takes `dir` for `program` (as people call it: "the Boardroom app", "boardroom-host").
    pub fn acquire(dir: &Path, program: &str) -> Result<DataLock, LockError> {
        let failed =
            |err: std::io::Error| LockError::Failed { dir: dir.display().to_string(), reason: err.to_string() };
        private_files::dir(dir).map_err(failed)?;
        let mut file = private_files::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(failed)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(failed)?;
                write!(file, "{program} (process {})", std::process::id()).map_err(failed)?;
                Ok(DataLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.rewind().and_then(|()| file.read_to_string(&mut holder));
                let holder = match holder.trim() {
                    "" => "another Boardroom program".to_owned(),
                    named => named.to_owned(),
                };
                Err(LockError::InUse { dir: dir.display().to_string(), holder })
            }
            Err(TryLockError::Error(err)) => Err(failed(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_program_on_the_folder_is_told_who_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let held = DataLock::acquire(dir.path(), "the Boardroom app").unwrap();
        let refused = DataLock::acquire(dir.path(), "boardroom-host").unwrap_err().to_string();
        let expected = format!("is in use by the Boardroom app (process {})", std::process::id());
        assert!(refused.contains(&expected), "{refused}");
        drop(held);
        DataLock::acquire(dir.path(), "boardroom-host").expect("free once the first one is gone");
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_the_lock_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        let _held = DataLock::acquire(&dir, "the Boardroom app").unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&dir.join(LOCK_FILE))), (0o700, 0o600));
    }
}
