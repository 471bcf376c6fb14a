//! Where the OpenAI API key is kept: `OPENAI_API_KEY` wins when set; otherwise the key
//! entered in Settings lives in the OS keychain (the Secret Service on Linux) when one
//! answers, else in a file in the app's config folder readable only by its owner. The key
//! itself never leaves this module except to the Realtime calls API: the window only learns
//! whether one is configured and where it comes from.

use std::path::{Path, PathBuf};

use serde::Serialize;
use specta::Type;

const KEY_FILE: &str = "openai-api-key";
const KEYCHAIN_SERVICE: &str = "Boardroom";
const KEYCHAIN_USER: &str = "openai-api-key";
const MAX_KEY_CHARS: usize = 512;

/// Where the key in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum KeySource {
    Environment,
    Keychain,
    File,
    None,
}

/// What the window may know about the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct KeyStatus {
    pub configured: bool,
    pub source: KeySource,
    /// Where a key entered in Settings goes: the keychain, or the file (when no keychain answers).
    pub stored_in: KeySource,
    /// The file path, when the key in use or the next one saved is kept in the file.
    pub file: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the key is empty")]
    Empty,
    #[error("the key is {0} characters long; OpenAI keys are far shorter")]
    TooLong(usize),
    #[error("the key contains spaces or control characters; paste it again")]
    BadCharacters,
    #[error("the keychain refused ({0})")]
    Keychain(String),
    #[error("the key file {path} could not be written ({source})")]
    File { path: String, source: std::io::Error },
}

pub struct ApiKeyStore {
    file: PathBuf,
    keychain: Option<keyring_core::Entry>,
    env: Option<String>,
}

impl ApiKeyStore {
    /// Opens the store for `config_dir`, asking the OS keychain whether it answers. This
    /// may wait on D-Bus, so call it off the async runtime.
    /// `env` is the key the environment gives, which wins over a stored one.
    pub fn open(config_dir: &Path, env: Option<String>) -> Self {
        ApiKeyStore { file: config_dir.join(KEY_FILE), keychain: keychain(), env }
    }

    /// The key to use and where it came from.
    pub fn load(&self) -> Option<(String, KeySource)> {
        if let Some(key) = &self.env {
            return Some((key.clone(), KeySource::Environment));
        }
        if let Some(key) = self.keychain.as_ref().and_then(|entry| entry.get_password().ok()) {
            return Some((key, KeySource::Keychain));
        }
        let key = std::fs::read_to_string(&self.file).ok()?.trim().to_owned();
        (!key.is_empty()).then_some((key, KeySource::File))
    }

    pub fn status(&self) -> KeyStatus {
        let source = self.load().map_or(KeySource::None, |(_, source)| source);
        let stored_in = if self.keychain.is_some() { KeySource::Keychain } else { KeySource::File };
        let in_file = source == KeySource::File || stored_in == KeySource::File;
        KeyStatus {
            configured: source != KeySource::None,
            source,
            stored_in,
            file: in_file.then(|| self.file.display().to_string()),
        }
    }

    /// Stores a key entered in Settings: in the keychain, or in the private file when there
    /// is none or it refuses (locked, or it cannot ask for its password), so the key the
    /// person typed is never lost. The status then says it is in the file.
    pub fn save(&self, raw: &str) -> Result<(), KeyError> {
        let key = validate(raw)?;
        if let Some(entry) = &self.keychain {
            match entry.set_password(&key) {
                Ok(()) => return Ok(()),
                Err(err) => {
                    log::warn!("the keychain refused the API key ({err}); keeping it in {}", self.file.display())
                }
            }
        }
        private_files::write(&self.file, key.as_bytes())
            .map_err(|source| KeyError::File { path: self.file.display().to_string(), source })
    }

    /// Removes a stored key from the keychain and the file.
    pub fn forget(&self) -> Result<(), KeyError> {
        if let Some(entry) = &self.keychain {
            match entry.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                Err(err) => return Err(KeyError::Keychain(err.to_string())),
            }
        }
        match std::fs::remove_file(&self.file) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                Err(KeyError::File { path: self.file.display().to_string(), source: err })
            }
            _ => Ok(()),
        }
    }
}

fn validate(raw: &str) -> Result<String, KeyError> {
    let key = raw.trim();
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    let chars = key.chars().count();
    if chars > MAX_KEY_CHARS {
        return Err(KeyError::TooLong(chars));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(KeyError::BadCharacters);
    }
    Ok(key.to_owned())
}

/// The keychain entry, if a keychain answers on this machine.
#[cfg(target_os = "linux")]
fn keychain() -> Option<keyring_core::Entry> {
    use keyring_core::api::CredentialStoreApi;
    let store = match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => store,
        Err(err) => {
            log::info!("no keychain available ({err}); an API key entered in Settings is kept in a private file");
            return None;
        }
    };
    let entry = store.build(KEYCHAIN_SERVICE, KEYCHAIN_USER, None).ok()?;
    // Reading tells whether the Secret Service really answers (it may be absent or locked).
    match entry.get_password() {
        Ok(_) | Err(keyring_core::Error::NoEntry) => Some(entry),
        Err(err) => {
            log::info!(
                "the keychain does not answer ({err}); an API key entered in Settings is kept in a private file"
            );
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn keychain() -> Option<keyring_core::Entry> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_store(dir: &Path) -> ApiKeyStore {
        ApiKeyStore { file: dir.join(KEY_FILE), keychain: None, env: None }
    }

    #[test]
    fn a_saved_key_is_private_and_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(dir.path());
        assert_eq!(store.status().source, KeySource::None);
        store.save("  sk-test-123  ").unwrap();
        assert_eq!(store.load(), Some(("sk-test-123".to_owned(), KeySource::File)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let status = store.status();
        assert!(status.configured);
        assert_eq!(status.stored_in, KeySource::File);
        store.forget().unwrap();
        assert_eq!(store.load(), None);
        store.forget().unwrap();
    }

    #[test]
    fn the_environment_wins_and_bad_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = file_store(dir.path());
        store.save("sk-file").unwrap();
        store.env = Some("sk-env".into());
        assert_eq!(store.load(), Some(("sk-env".to_owned(), KeySource::Environment)));
        assert!(matches!(store.save("   "), Err(KeyError::Empty)));
        assert!(matches!(store.save("sk with space"), Err(KeyError::BadCharacters)));
        assert!(matches!(store.save(&"k".repeat(600)), Err(KeyError::TooLong(600))));
        assert_eq!(std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap(), "sk-file");
    }

    #[test]
    fn a_keychain_that_refuses_leaves_the_key_in_the_private_file() {
        use keyring_core::api::CredentialStoreApi;
        let dir = tempfile::tempdir().unwrap();
        // keyring-core's own in-memory store, made to fail the next call as a locked keychain would.
        let entry = keyring_core::mock::Store::new().unwrap().build(KEYCHAIN_SERVICE, KEYCHAIN_USER, None).unwrap();
        let credential: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
        credential.set_error(keyring_core::Error::NoStorageAccess("prompt dismissed".into()));
        let store = ApiKeyStore { file: dir.path().join(KEY_FILE), keychain: Some(entry), env: None };
        store.save("sk-kept").unwrap();
        assert_eq!(store.load(), Some(("sk-kept".to_owned(), KeySource::File)));
        let status = store.status();
        assert_eq!((status.source, status.stored_in), (KeySource::File, KeySource::Keychain));
        assert!(status.file.is_some(), "the window is told which file");
    }

    /// Needs a Secret Service; scripts/test.sh runs it on a private D-Bus with a throwaway,
    /// unlocked gnome-keyring, never on the keychain of the person running the tests.
    #[test]
    #[ignore]
    fn a_key_goes_to_the_keychain_when_one_answers() {
        let dir = tempfile::tempdir().unwrap();
        let store = ApiKeyStore { file: dir.path().join(KEY_FILE), keychain: keychain(), env: None };
        assert!(
            store.keychain.is_some(),
            "no Secret Service answered on {:?}",
            std::env::var("DBUS_SESSION_BUS_ADDRESS")
        );
        store.save("sk-keychain-test").unwrap();
        assert_eq!(store.load(), Some(("sk-keychain-test".to_owned(), KeySource::Keychain)));
        assert!(!dir.path().join(KEY_FILE).exists(), "nothing is written to the file");
        let status = store.status();
        assert_eq!((status.source, status.stored_in, status.file), (KeySource::Keychain, KeySource::Keychain, None));
        store.forget().unwrap();
        assert_eq!(store.load(), None);
    }
}
