//! Joining somebody else's room from the window. While this machine is a guest there, the
//! window shows that room through the same commands and events as its own (the runtime's
//! `shown` answers which); this module joins and leaves, and says where the window is
//! (`WhereaboutsChanged`) for the banner. Home again, the window's own board is as it was left.

use guest::GuestStatus;
use runtime::Whereabouts;
use tauri::{AppHandle, Runtime, State};

use crate::error::{sentence, CommandError, ErrorKind};
use crate::events::{self, GuestRoom, WhereaboutsChanged};

/// Tells the window where it is, and while it is a guest how the room's banner reads (the
/// connection, the host's name, being muted by the host).
pub fn forward<R: Runtime>(app: &AppHandle<R>, guesting: &runtime::Guesting) {
    let mut whereabouts = guesting.whereabouts();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let now = whereabouts.borrow_and_update().clone();
            events::emit(&app, WhereaboutsChanged::from(&now));
            let moved = match now {
                Whereabouts::Guest { session, .. } => tokio::select! {
                    () = follow_banner(&app, &session) => whereabouts.changed().await,
                    moved = whereabouts.changed() => moved,
                },
                Whereabouts::Home { .. } => whereabouts.changed().await,
            };
            if moved.is_err() {
                return;
            }
        }
    });
}

/// Keeps the banner current while one session lasts.
async fn follow_banner<R: Runtime>(app: &AppHandle<R>, session: &guest::GuestView) {
    let mut status = session.status();
    let mut participants = session.participants();
    loop {
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            changed = participants.changed() => if changed.is_err() { return },
        }
        status.mark_unchanged();
        participants.mark_unchanged();
        // Over: the way home (with why) is the whereabouts' to say, and nothing may follow it.
        if matches!(*status.borrow(), GuestStatus::Ended { .. }) {
            return;
        }
        events::emit(app, WhereaboutsChanged { guest: Some(GuestRoom::of(session)), left: None });
    }
}

/// Joins the room the invite link leads to, as `name`, with this machine's microphone and
/// speakers; the window then shows that room until it leaves.
#[tauri::command]
#[specta::specta]
pub async fn join_meeting(state: State<'_, runtime::Runtime>, link: String, name: String) -> Result<(), CommandError> {
    state.join_room(&link, &name).await.map(|_| ()).map_err(|err| {
        let kind = match err {
            runtime::JoinError::DeviceKey { .. } => ErrorKind::Failed,
            _ => ErrorKind::Invalid,
        };
        CommandError::new(kind, format!("{}.", sentence(err.to_string())))
    })
}

/// Leaves the room this machine is a guest in; the window shows its own board again.
#[tauri::command]
#[specta::specta]
pub async fn leave_meeting(state: State<'_, runtime::Runtime>) -> Result<(), CommandError> {
    state.guesting.leave().await;
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn get_whereabouts(state: State<'_, runtime::Runtime>) -> WhereaboutsChanged {
    WhereaboutsChanged::from(&*state.guesting.whereabouts().borrow())
}
