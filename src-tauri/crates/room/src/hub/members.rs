//! Who is in the room, and on which connection: entering (new, or coming back with a resume
//! key, each connection with its own epoch), leaving, dropping out and coming back within
//! [`REJOIN_GRACE`], the mutes, the host removing someone, and everyone out at the end.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime};

use meeting::status::{OperatorStatus, TranscriptLine};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::Hub;
use crate::limits::Allowance;
use crate::peer::{GuestPeer, Silenced};
use crate::registry::{JoinError, UnknownParticipant};
use crate::token::InviteToken;
use room_protocol::{Connection, IceServer, Participant, ServerMessage, REJOIN_GRACE};

/// How long the room's end waits for its peers to close.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// What the hub tells a connection that joined.
pub struct Welcome {
    pub id: String,
    /// The name they are shown under (made unique in the room).
    pub name: String,
    pub epoch: u64,
    pub resume: String,
    pub participants: Vec<Participant>,
    pub voice: OperatorStatus,
    pub transcript: Vec<TranscriptLine>,
    /// STUN and TURN servers for their page, with TURN credentials of their own.
    pub ice_servers: Vec<IceServer>,
    /// How much they may still send: theirs, whichever connection they come on.
    pub allowance: Allowance,
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// They pressed Leave.
    Left,
    /// The tab closed or the network went: they may come back within [`REJOIN_GRACE`].
    Dropped,
}

/// A participant's current connection.
pub(super) struct Guest {
    pub(super) epoch: u64,
    pub(super) outbox: mpsc::Sender<ServerMessage>,
    /// `None` while they are away (or if it could not be set up).
    pub(super) peer: Option<GuestPeer>,
    /// While their connection is down: when their place is given up unless they come back.
    pub(super) away_until: Option<Instant>,
    /// Set while the host mutes them, for their peer's audio (see `routing`).
    pub(super) silenced: Silenced,
}

impl Hub {
    /// The participant `id`, if `epoch` is their current connection (not one they replaced).
    pub(super) fn current(&self, id: &str, epoch: u64) -> Option<&Guest> {
        self.guests.get(id).filter(|g| g.epoch == epoch)
    }

    /// Puts someone in the room (new, or coming back with their resume key).
    pub(super) async fn enter(
        &mut self,
        name: &str,
        resume: Option<&str>,
        device: &str,
        outbox: mpsc::Sender<ServerMessage>,
    ) -> Result<Welcome, JoinError> {
        let joined = self.registry.join(name, resume, device, InviteToken::generate().as_str().to_owned())?;
        // By the device they first joined from: the same whichever browser their resume key comes from.
        let first_device = self.registry.identity(&joined.id).map_or(device, |(device, _)| device);
        let allowance = self.allowances.of(first_device, std::time::Instant::now());
        match self.guests.remove(&joined.id) {
            Some(old) => {
                let _ =
                    old.outbox.try_send(ServerMessage::Goodbye { reason: "You joined again from another tab.".into() });
                if let Some(peer) = old.peer {
                    peer.close();
                }
            }
            None => self.sources.add(&joined.id),
        }
        self.routing.enter(&joined.id);
        let epoch = self.next_epoch;
        self.next_epoch += 1;
        // Someone the host muted stays muted when they come back.
        let silenced = Silenced::new(AtomicBool::new(!self.routing.audible(&joined.id)));
        let peer = self.open_peer(&joined.id, epoch, &outbox, Silenced::clone(&silenced)).await;
        if peer.is_some() {
            self.routing.connect(&joined.id);
        }
        self.guests.insert(joined.id.clone(), Guest { epoch, outbox, peer, silenced, away_until: None });
        self.forward_to_all();
        log::info!("{} joined the room as {}", joined.name, joined.id);
        self.roster_changed();
        let ice_servers = self.ice.servers_for(&joined.id, SystemTime::now());
        Ok(Welcome {
            id: joined.id,
            name: joined.name,
            epoch,
            resume: joined.resume,
            participants: self.registry.list(),
            voice: self.voice.clone(),
            transcript: self.transcript.iter().cloned().collect(),
            ice_servers,
            allowance,
        })
    }

    /// Takes `id` out of the room: their peer closes, and nothing of theirs is forwarded or mixed.
    pub(super) fn leave(&mut self, id: &str) {
        if let Some(peer) = self.guests.remove(id).and_then(|guest| guest.peer) {
            peer.close();
        }
        if let Some(participant) = self.registry.leave(id) {
            log::info!("{} left the room", participant.name);
        }
        self.routing.leave(id);
        self.sources.remove(id);
        self.forward_to_all();
        self.roster_changed();
    }

    /// Connection `epoch` of `id` ended: they left, or they keep their place for
    /// [`REJOIN_GRACE`] to come back.
    pub(super) fn depart(&mut self, id: String, epoch: u64, how: Departure) {
        let Some(guest) = self.guests.get_mut(&id).filter(|g| g.epoch == epoch) else {
            return;
        };
        match how {
            Departure::Left => self.leave(&id),
            Departure::Dropped => {
                if let Some(peer) = guest.peer.take() {
                    peer.close();
                }
                guest.away_until = Some(Instant::now() + REJOIN_GRACE);
                self.routing.disconnect(&id);
                let _ = self.registry.set_connection(&id, Connection::Reconnecting);
                self.forward_to_all();
                self.roster_changed();
            }
        }
    }

    /// When the next dropped connection's grace is over, if anyone is away.
    pub(super) fn next_grace_end(&self) -> Option<Instant> {
        self.guests.values().filter_map(|guest| guest.away_until).min()
    }

    /// Everyone whose grace is over by `now` is out (coming back started a new connection,
    /// which is not away).
    pub(super) fn expire(&mut self, now: Instant) {
        let over: Vec<String> = self
            .guests
            .iter()
            .filter(|(_, g)| g.away_until.is_some_and(|end| end <= now))
            .map(|(id, _)| id.clone())
            .collect();
        for id in over {
            log::info!("{id} did not come back within {} s", REJOIN_GRACE.as_secs());
            self.leave(&id);
        }
    }

    /// `id` muted or unmuted themselves: every page shows it.
    pub(super) fn self_mute(&mut self, id: &str, epoch: u64, muted: bool) {
        if self.current(id, epoch).is_some() && self.registry.set_muted(id, muted).is_ok() {
            self.roster_changed();
        }
    }

    pub(super) fn host_muted(&mut self, muted: bool) {
        self.registry.set_host_muted(muted);
        self.roster_changed();
    }

    /// The host mutes `id` for everyone (the mix, the speakers, every other participant) or unmutes them.
    pub(super) fn mute_for_everyone(&mut self, id: &str, muted: bool) -> Result<(), UnknownParticipant> {
        self.registry.set_muted_by_host(id, muted)?;
        self.routing.mute(id, muted);
        self.route_voice(id);
        self.roster_changed();
        Ok(())
    }

    /// The host removes `id`, which is final for this room: their browser and resume key stay out.
    pub(super) fn remove(&mut self, id: String) -> Result<(), UnknownParticipant> {
        let Some(guest) = self.guests.get(&id) else {
            return Err(UnknownParticipant(id));
        };
        let _ = guest.outbox.try_send(ServerMessage::Goodbye { reason: "The host removed you from the room.".into() });
        if let (Some(person), Some((device, resume))) = (self.registry.get(&id), self.registry.identity(&id)) {
            self.admission.bar(&id, &person.name, device, resume);
        }
        self.leave(&id);
        self.lobby_changed();
        Ok(())
    }

    /// The room ends: everyone is told, every peer closes, and only the host is left.
    pub(super) async fn stop(&mut self) {
        let mut closing = Vec::new();
        for (id, guest) in self.guests.drain() {
            let _ = guest.outbox.try_send(ServerMessage::Goodbye { reason: "The host ended the room.".into() });
            closing.extend(guest.peer.map(GuestPeer::close));
            self.sources.remove(&id);
        }
        // Peers in the middle of an offer finish it first; the room does not wait long for them.
        let closed = futures_util::future::join_all(closing);
        if tokio::time::timeout(STOP_WAIT, closed).await.is_err() {
            log::debug!("some peers were still closing when the room ended");
        }
        for id in self.registry.guest_ids() {
            self.registry.leave(&id);
        }
        let _ = self.roster.send(self.registry.list());
    }
}
