//! Desktop notifications for what the host must not miss while the window is in the
//! background: someone waits to join, the voice operator stopped, the meeting's notes are
//! ready. What is news is decided by pure functions of the state before and after; the shell
//! shows it through the system's notification server only while the window is not in front
//! (a person looking at the window sees it there), and a click on it brings the window up.

use meeting::OperatorStatus;
use room::Lobby;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::Notification;
use tokio::sync::watch;

/// One notification: a short title and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// The people who started waiting to join between `before` and `after`, as one notice.
pub fn newcomers(before: &Lobby, after: &Lobby) -> Option<Notice> {
    let new: Vec<&str> = after
        .waiting
        .iter()
        .filter(|person| !before.waiting.iter().any(|known| known.id == person.id))
        .map(|person| person.name.as_str())
        .collect();
    let (title, body) = match new.as_slice() {
        [] => return None,
        [one] => (format!("{one} is waiting to join"), "Let them in or turn them away in Boardroom's room panel."),
        several => (
            format!("{} are waiting to join", and_list(several)),
            "Let them in or turn them away in Boardroom's room panel.",
        ),
    };
    Some(Notice { title, body: body.to_owned() })
}

/// The voice operator gave up (a rejected key, no network for good…), with what to do.
pub fn voice_stopped(before: &OperatorStatus, after: &OperatorStatus) -> Option<Notice> {
    match (before, after) {
        (OperatorStatus::Stopped { reason: was }, OperatorStatus::Stopped { reason }) if was == reason => None,
        (_, OperatorStatus::Stopped { reason }) => {
            Some(Notice { title: "The voice operator stopped".to_owned(), body: reason.clone() })
        }
        _ => None,
    }
}

/// A meeting's notes were written under `name` in the notes folder.
pub fn notes_ready(name: &str) -> Notice {
    Notice {
        title: "The meeting's notes are ready".to_owned(),
        body: format!("{name} — open Meeting notes in Boardroom to read or copy them."),
    }
}

fn and_list(names: &[&str]) -> String {
    match names {
        [init @ .., last] if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => names.join(""),
    }
}

/// Follows the room's lobby, this machine's voice operator and the notes it writes, and
/// notifies of what is news while the window is in the background. Without the notification
/// plugin (the commands' tests) there is nothing to follow.
pub fn install<R: Runtime>(app: &AppHandle<R>, runtime: &runtime::Runtime) {
    let Some(notifier) = app.try_state::<Notification<R>>() else { return };
    bring_up_on_click(app, &notifier);
    follow(app.clone(), runtime.voice.status(), voice_stopped);
    follow(app.clone(), runtime.notes.written(), |before, after| match (before, after) {
        (_, Some(after)) if before.as_ref().map(|notes| &notes.name) != Some(&after.name) => {
            Some(notes_ready(&after.name))
        }
        _ => None,
    });
    let mut rooms = runtime.hosting.room();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        while rooms.changed().await.is_ok() {
            let hub = rooms.borrow_and_update().as_ref().map(|room| room.hub.lobby());
            // Each room's lobby is followed until that room ends and its hub lets go of it.
            if let Some(lobby) = hub {
                follow(app.clone(), lobby, newcomers);
            }
        }
    });
}

/// Notifies of what `news` finds between each value of `values` and the one before it.
fn follow<R: Runtime, T>(
    app: AppHandle<R>,
    mut values: watch::Receiver<T>,
    news: impl Fn(&T, &T) -> Option<Notice> + Send + 'static,
) where
    T: Clone + Send + Sync + 'static,
{
    tauri::async_runtime::spawn(async move {
        let mut before = values.borrow_and_update().clone();
        while values.changed().await.is_ok() {
            let after = values.borrow_and_update().clone();
            if let Some(notice) = news(&before, &after) {
                show(&app, notice);
            }
            before = after;
        }
    });
}

fn show<R: Runtime>(app: &AppHandle<R>, notice: Notice) {
    if in_front(app) {
        return;
    }
    log::info!("notifying: {}", notice.title);
    let notifier = app.state::<Notification<R>>();
    if let Err(err) = notifier.builder().title(&notice.title).body(&notice.body).show() {
        log::warn!("could not show a notification ({err}): {}", notice.title);
    }
}

fn in_front<R: Runtime>(app: &AppHandle<R>) -> bool {
    let Some(window) = app.get_webview_window("main") else { return false };
    window.is_focused().unwrap_or(false)
        && window.is_visible().unwrap_or(false)
        && !window.is_minimized().unwrap_or(false)
}

/// A click on a notification shows the window and puts it in front.
fn bring_up_on_click<R: Runtime>(app: &AppHandle<R>, notifier: &Notification<R>) {
    let handle = app.clone();
    let result = notifier.on_action(move |_| {
        if let Some(window) = handle.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    });
    if let Err(err) = result {
        log::warn!("clicks on notifications will not bring the window up: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use room::admission::Person;

    fn lobby(waiting: &[(&str, &str)]) -> Lobby {
        Lobby {
            ask_to_join: true,
            waiting: waiting.iter().map(|(id, name)| Person { id: (*id).into(), name: (*name).into() }).collect(),
            ..Lobby::default()
        }
    }

    #[test]
    fn each_newcomer_is_news_once() {
        let empty = lobby(&[]);
        let ana = lobby(&[("w1", "Ana")]);
        assert_eq!(newcomers(&empty, &ana).unwrap().title, "Ana is waiting to join");
        assert_eq!(newcomers(&ana, &ana), None, "still waiting is not news");
        assert_eq!(newcomers(&ana, &empty), None, "let in or turned away is not news");
        let three = lobby(&[("w1", "Ana"), ("w2", "Bo"), ("w3", "Cy"), ("w4", "Di")]);
        assert_eq!(newcomers(&ana, &three).unwrap().title, "Bo, Cy and Di are waiting to join");
        // The same name again is a different person waiting.
        assert!(newcomers(&ana, &lobby(&[("w5", "Ana")])).is_some());
    }

    #[test]
    fn the_voice_operator_stopping_is_news_with_what_to_do() {
        let stopped =
            OperatorStatus::Stopped { reason: "The API key was rejected: enter a valid one in Voice settings.".into() };
        let listening = OperatorStatus::Listening { call_id: "call_1".into() };
        let notice = voice_stopped(&listening, &stopped).unwrap();
        assert_eq!(notice.title, "The voice operator stopped");
        assert!(notice.body.contains("Voice settings"));
        assert_eq!(voice_stopped(&OperatorStatus::Connecting, &stopped), Some(notice));
        assert_eq!(voice_stopped(&stopped, &stopped), None);
        let no_key = OperatorStatus::Stopped { reason: "No API key: enter one in Voice settings.".into() };
        assert!(voice_stopped(&no_key, &stopped).is_some(), "a new reason is news");
        assert_eq!(voice_stopped(&listening, &OperatorStatus::Off), None, "leaving is not news");
        let retrying = OperatorStatus::Reconnecting { attempt: 1, retry_in_secs: 1, reason: "no network".into() };
        assert_eq!(voice_stopped(&listening, &retrying), None, "it retries by itself");
    }

    #[test]
    fn the_notes_name_their_file() {
        let notice = notes_ready("2026-12-05 09-30 standup.md");
        assert!(notice.body.starts_with("2026-12-05 09-30 standup.md"));
    }
}
