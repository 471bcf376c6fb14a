//! The room's one owner of state, a task that does one thing at a time. Connections, peers
//! and the host reach it through a [`HubHandle`] (`handle`); it keeps who may come in
//! (`doors`), who is in and their connections (`members`), the participants' peers and the
//! mix, which it drives by the pure `routing` table of who hears whom (`peers`), and tells
//! every page what changed (`news`).

mod doors;
mod handle;
mod members;
mod news;
mod peers;
mod routing;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use audio::Sources;
use meeting::status::{OperatorStatus, TranscriptLine};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::{sleep_until, Instant};

use crate::admission::{Admission, Lobby};
use crate::ice::IceConfig;
use crate::limits::Allowances;
use crate::peer::{OutgoingTrack, PeerEvent};
use crate::registry::Registry;
use room_protocol::{Participant, ServerMessage};

pub use doors::{AdmitError, Entry, JoinRequest};
pub use handle::HubHandle;
pub use members::{Departure, Welcome};

use doors::Knocker;
use handle::{Command, HostWatch};
use members::Guest;
use routing::Routing;

/// The room's state; only the hub's task touches it.
struct Hub {
    admission: Admission<Knocker>,
    lobby: watch::Sender<Lobby>,
    registry: Registry,
    /// Everyone's rates, kept across their connections.
    allowances: Allowances,
    guests: HashMap<String, Guest>,
    next_epoch: u64,
    routing: Routing<OutgoingTrack>,
    sources: Sources,
    news: broadcast::Sender<ServerMessage>,
    roster: watch::Sender<Vec<Participant>>,
    peer_events: mpsc::Sender<PeerEvent>,
    voice: OperatorStatus,
    transcript: VecDeque<TranscriptLine>,
    ice: Arc<IceConfig>,
}

impl Hub {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Command>,
        mut peer_inbox: mpsc::Receiver<PeerEvent>,
        mut host: HostWatch,
    ) {
        let mut renewals = self.ice.turn_renewal().map(|every| tokio::time::interval_at(Instant::now() + every, every));
        loop {
            let grace_over = self.next_grace_end();
            tokio::select! {
                () = sleep_until(grace_over.unwrap_or_else(Instant::now)), if grace_over.is_some() => {
                    self.expire(Instant::now());
                }
                Ok(()) = host.muted.changed() => self.host_muted(*host.muted.borrow_and_update()),
                Ok(()) = host.track.changed() => self.host_mic(host.track.borrow_and_update().clone()),
                Ok(()) = host.voice.changed() => self.voice_changed(host.voice.borrow_and_update().clone()),
                command = inbox.recv() => match command {
                    Some(Command::Stop { reply }) => {
                        self.stop().await;
                        let _ = reply.send(());
                        return;
                    }
                    Some(command) => self.obey(command).await,
                    None => {
                        self.stop().await;
                        return;
                    }
                },
                Some(event) = peer_inbox.recv() => self.peer_event(event),
                () = next_renewal(&mut renewals) => self.renew_turn_credentials(),
            }
        }
    }

    async fn obey(&mut self, command: Command) {
        match command {
            Command::Join { request, outbox, reply } => {
                let entry = self.join(request, outbox).await;
                let _ = reply.send(entry);
            }
            Command::Withdraw { id } => self.withdraw(&id),
            Command::Admit { id, reply } => {
                let _ = reply.send(self.admit(&id).await);
            }
            Command::Decline { id, reply } => {
                let _ = reply.send(self.decline(id));
            }
            Command::AllowBack { id, reply } => {
                let _ = reply.send(self.allow_back(&id));
            }
            Command::Lock(locked) => self.lock(locked),
            Command::AskToJoin(ask) => self.ask_to_join(ask).await,
            Command::Answer { id, epoch, sdp } => self.answer(&id, epoch, sdp),
            Command::SelfMute { id, epoch, muted } => self.self_mute(&id, epoch, muted),
            Command::Depart { id, epoch, how } => self.depart(id, epoch, how),
            Command::MuteForEveryone { id, muted, reply } => {
                let _ = reply.send(self.mute_for_everyone(&id, muted));
            }
            Command::Remove { id, reply } => {
                let removed = self.remove(id);
                let _ = reply.send(removed);
            }
            Command::Levels(levels) => self.levels(levels),
            Command::Transcript(line) => self.transcript(line),
            Command::Stop { .. } => unreachable!("handled in run"),
        }
    }
}

/// When the TURN credentials of the people in the room are next due for renewal (at half
/// their lifetime); never, with no TURN servers.
async fn next_renewal(renewals: &mut Option<tokio::time::Interval>) {
    match renewals {
        Some(renewals) => {
            renewals.tick().await;
        }
        None => std::future::pending().await,
    }
}
