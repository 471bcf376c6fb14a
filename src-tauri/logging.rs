//! The app's log: what it prints to the terminal, also kept as a file a person can send with
//! a bug report — `boardroom.log` in the app's log folder (`logs` in a data folder given with
//! `--data-dir`), renamed with its date when it reaches 1 MB, the last five kept, so it never
//! takes more than 6 MB. Secrets never reach it: whatever looks like an API key, a bearer
//! token or a room link's token is masked on the way in, whichever module logged it.

use std::borrow::Cow;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use tauri::plugin::TauriPlugin;
use tauri::Runtime;
use tauri_plugin_log::{RotationStrategy, Target, TargetKind, TimezoneStrategy};

const FILE_NAME: &str = "boardroom";
const MAX_FILE_BYTES: u128 = 1_000_000;
const KEPT_FILES: usize = 5;

/// The logger, for the Tauri builder. `data_dir`: the data folder given at launch, which then
/// holds the log folder too.
pub fn plugin<R: Runtime>(data_dir: Option<&Path>) -> TauriPlugin<R> {
    let file = match data_dir {
        Some(dir) => TargetKind::Folder { path: dir.join("logs"), file_name: Some(FILE_NAME.into()) },
        None => TargetKind::LogDir { file_name: Some(FILE_NAME.into()) },
    };
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([Target::new(TargetKind::Stderr), Target::new(file)])
        .level(level())
        .max_file_size(MAX_FILE_BYTES)
        .rotation_strategy(RotationStrategy::KeepSome(KEPT_FILES))
        .timezone_strategy(TimezoneStrategy::UseLocal)
        .format(|out, message, record| {
            let time = chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f");
            let line = message.to_string();
            out.finish(format_args!("{time} {:<5} {}: {}", record.level(), record.target(), redact(&line)))
        })
        .build()
}

/// `RUST_LOG` when it names a level ("debug"), else info.
fn level() -> log::LevelFilter {
    std::env::var("RUST_LOG").ok().and_then(|level| level.parse().ok()).unwrap_or(log::LevelFilter::Info)
}

/// `line` with anything secret in it masked: OpenAI keys (`sk-…`), bearer tokens, and the
/// token of a room link (`/r/TOKEN`) or of a `token=` parameter.
pub fn redact(line: &str) -> Cow<'_, str> {
    static SECRETS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?P<keep>\bsk-|\bbearer\s+|/r/|[?&]token=)[A-Za-z0-9._~+/=-]+").expect("a valid pattern")
    });
    SECRETS.replace_all(line, "${keep}[hidden]")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn secrets_are_masked_and_the_rest_is_kept() {
        let key = ["sk", "proj", "A1b2C3d4E5f6G7h8"].join("-");
        assert_eq!(redact(&format!("the key {key} was rejected")), "the key sk-[hidden] was rejected");
        assert_eq!(redact("Authorization: Bearer abc.def-ghi"), "Authorization: Bearer [hidden]");
        assert_eq!(
            redact("joining https://192.168.1.4:8443/r/Zx9_kq-3PlM/ws failed"),
            "joining https://192.168.1.4:8443/r/[hidden] failed"
        );
        assert_eq!(redact("GET /join?room=1&token=abc123 refused"), "GET /join?room=1&token=[hidden] refused");
        let plain = "moved card-002 from Backlog to Done by Ana (task-list: 3 items)";
        assert!(matches!(redact(plain), std::borrow::Cow::Borrowed(_)), "nothing to mask, nothing copied");
        assert_eq!(redact(plain), plain);
    }
}
