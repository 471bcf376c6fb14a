//! The room's one owner of state: who may come in (admission) and who is in (the registry),
//! each participant's peer and connection, the tracks being forwarded, their sources in the
//! mix, and the latest voice status and transcript. Connections, peers and the host talk to
//! it through messages.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use audio::{SourceLevel, Sources};
use meeting::status::{OperatorStatus, TranscriptLine};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::track::track_local::track_local_static_rtp::TrackLocalStaticRTP;

use crate::admission::{Admission, Admitted, Lobby, Refusal, Verdict};
use crate::ice::{IceConfig, IceServer};
use crate::limits;
use crate::peer::{GuestPeer, OutgoingTrack, PeerEvent, Silenced};
use crate::protocol::{Connection, Participant, ParticipantLevel, ServerMessage};
use crate::registry::{JoinError, Registry, UnknownParticipant, HOST_ID};
use crate::token::InviteToken;

/// How long someone whose connection dropped keeps their place, to come back as themselves.
pub const REJOIN_GRACE: Duration = Duration::from_secs(30);
/// Transcript lines a newcomer gets.
const TRANSCRIPT_KEPT: usize = 50;
/// Commands waiting for the hub. Connections and the host's calls wait for room when it is
/// full; levels and transcript lines, sent from threads that must not wait, are dropped
/// (levels come again in 100 ms; a dropped line is logged). Participants' messages are
/// rate-limited per connection, so only a stuck hub fills it.
const COMMAND_QUEUE: usize = 256;
/// Events from the participants' peers (a new track, a connection state, first audio),
/// raised in webrtc-rs callbacks that must not wait: when full, the event is dropped and
/// logged. Each peer raises a handful per connection, so only a stuck hub fills it.
const PEER_EVENT_QUEUE: usize = 256;

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
}

/// Someone saying hello.
pub struct JoinRequest {
    pub name: String,
    /// The key from an earlier `welcome`, to come back as the same participant.
    pub resume: Option<String>,
    /// The key their browser or app keeps (checked by the connection).
    pub device: String,
}

/// What a connection that said hello gets.
pub enum Entry {
    Welcome(Welcome),
    /// The host lets people in one by one: the decision comes later (the channel closes if
    /// the room ends first). `id` is their place in the queue, to withdraw it.
    Waiting {
        id: String,
        decision: oneshot::Receiver<Result<Welcome, JoinError>>,
    },
}

/// Why the host could not admit or decline someone waiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    #[error("nobody with id \"{0}\" is waiting to join (they may have given up)")]
    NotWaiting(String),
    #[error("the room is full ({0} participants); remove someone or raise the limit first")]
    Full(usize),
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// They pressed Leave.
    Left,
    /// The tab closed or the network went: they may come back within [`REJOIN_GRACE`].
    Dropped,
}

enum Command {
    Join {
        request: JoinRequest,
        outbox: mpsc::Sender<ServerMessage>,
        reply: oneshot::Sender<Result<Entry, JoinError>>,
    },
    /// Someone waiting for the host gave up (left the page or lost the connection).
    Withdraw {
        id: String,
    },
    Admit {
        id: String,
        reply: oneshot::Sender<Result<(), AdmitError>>,
    },
    Decline {
        id: String,
        reply: oneshot::Sender<Result<(), AdmitError>>,
    },
    AllowBack {
        id: String,
        reply: oneshot::Sender<Result<(), UnknownParticipant>>,
    },
    Lock(bool),
    AskToJoin(bool),
    Answer {
        id: String,
        epoch: u64,
        sdp: String,
    },
    SelfMute {
        id: String,
        epoch: u64,
        muted: bool,
    },
    Depart {
        id: String,
        epoch: u64,
        how: Departure,
    },
    Expire {
        id: String,
        epoch: u64,
    },
    MuteForEveryone {
        id: String,
        muted: bool,
        reply: oneshot::Sender<Result<(), UnknownParticipant>>,
    },
    Remove {
        id: String,
        reply: oneshot::Sender<Result<(), UnknownParticipant>>,
    },
    Levels(Vec<SourceLevel>),
    Transcript(TranscriptLine),
    Stop {
        reply: oneshot::Sender<()>,
    },
}

/// A cheap, cloneable way to reach the hub.
#[derive(Clone)]
pub struct HubHandle {
    commands: mpsc::Sender<Command>,
    /// The host's side as states, latest wins: nothing to queue, nothing lost.
    host: Arc<HostSide>,
    news: broadcast::Sender<ServerMessage>,
    roster: watch::Receiver<Vec<Participant>>,
    lobby: watch::Receiver<Lobby>,
}

struct HostSide {
    muted: watch::Sender<bool>,
    track: watch::Sender<Option<OutgoingTrack>>,
    voice: watch::Sender<OperatorStatus>,
}

/// The hub's ends of [`HostSide`].
struct HostWatch {
    muted: watch::Receiver<bool>,
    track: watch::Receiver<Option<OutgoingTrack>>,
    voice: watch::Receiver<OperatorStatus>,
}

struct Guest {
    epoch: u64,
    outbox: mpsc::Sender<ServerMessage>,
    peer: Option<GuestPeer>,
    tracks: Vec<Arc<TrackLocalStaticRTP>>,
    /// The host muted them: nobody hears them (kept across their reconnections).
    silenced: Silenced,
}

/// What the hub keeps of someone waiting for the host, to answer them.
struct Knocker {
    outbox: mpsc::Sender<ServerMessage>,
    decision: oneshot::Sender<Result<Welcome, JoinError>>,
}

struct Hub {
    admission: Admission<Knocker>,
    lobby: watch::Sender<Lobby>,
    registry: Registry,
    guests: HashMap<String, Guest>,
    next_epoch: u64,
    host_track: Option<OutgoingTrack>,
    sources: Sources,
    news: broadcast::Sender<ServerMessage>,
    roster: watch::Sender<Vec<Participant>>,
    commands: mpsc::Sender<Command>,
    peer_events: mpsc::Sender<PeerEvent>,
    voice: OperatorStatus,
    transcript: VecDeque<TranscriptLine>,
    ice: Arc<IceConfig>,
}

impl HubHandle {
    /// Starts the hub; participants' audio goes into the mix through `sources`, and their
    /// peers find their way to the room with `ice`. With `ask_to_join`, newcomers wait for
    /// the host.
    pub fn start(registry: Registry, ask_to_join: bool, sources: Sources, ice: Arc<IceConfig>) -> HubHandle {
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        let (peer_events, peer_inbox) = mpsc::channel(PEER_EVENT_QUEUE);
        let (muted, muted_rx) = watch::channel(false);
        let (track, track_rx) = watch::channel(None);
        let (voice, voice_rx) = watch::channel(OperatorStatus::Off);
        let host = Arc::new(HostSide { muted, track, voice });
        let watch = HostWatch { muted: muted_rx, track: track_rx, voice: voice_rx };
        // Each page's connection drops what it lags behind on (levels, mostly) and catches up.
        let (news, _) = broadcast::channel(1024);
        let (roster, roster_rx) = watch::channel(registry.list());
        let admission = Admission::new(ask_to_join);
        let (lobby, lobby_rx) = watch::channel(admission.view());
        let hub = Hub {
            admission,
            lobby,
            registry,
            guests: HashMap::new(),
            next_epoch: 1,
            host_track: None,
            sources,
            news: news.clone(),
            roster,
            commands: commands.clone(),
            peer_events,
            voice: OperatorStatus::Off,
            transcript: VecDeque::new(),
            ice,
        };
        tokio::spawn(hub.run(inbox, peer_inbox, watch));
        HubHandle { commands, host, news, roster: roster_rx, lobby: lobby_rx }
    }

    /// Queues a command, waiting for room; nothing happens once the hub has stopped.
    async fn send(&self, command: Command) {
        let _ = self.commands.send(command).await;
    }

    /// Someone said hello: they are let in, wait for the host, or are refused.
    pub async fn join(
        &self,
        request: JoinRequest,
        outbox: mpsc::Sender<ServerMessage>,
    ) -> Option<Result<Entry, JoinError>> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Join { request, outbox, reply }).await;
        answer.await.ok()
    }

    /// Someone waiting for the host gave up.
    pub async fn withdraw(&self, id: &str) {
        self.send(Command::Withdraw { id: id.into() }).await;
    }

    /// The host lets someone waiting in.
    pub async fn admit(&self, id: &str) -> Result<(), AdmitError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Admit { id: id.into(), reply }).await;
        answer.await.unwrap_or_else(|_| Err(AdmitError::NotWaiting(id.into())))
    }

    /// The host turns someone waiting away.
    pub async fn decline(&self, id: &str) -> Result<(), AdmitError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Decline { id: id.into(), reply }).await;
        answer.await.unwrap_or_else(|_| Err(AdmitError::NotWaiting(id.into())))
    }

    /// The host lets someone they removed come back (as a newcomer).
    pub async fn allow_back(&self, id: &str) -> Result<(), UnknownParticipant> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::AllowBack { id: id.into(), reply }).await;
        answer.await.unwrap_or_else(|_| Err(UnknownParticipant(id.into())))
    }

    /// Locks the room (nobody new can join; people who dropped may come back) or unlocks it.
    pub async fn lock(&self, locked: bool) {
        self.send(Command::Lock(locked)).await;
    }

    /// Newcomers wait for the host (or, when turned off, come straight in, and so does
    /// everyone waiting unless the room is locked).
    pub async fn ask_to_join(&self, ask: bool) {
        self.send(Command::AskToJoin(ask)).await;
    }

    /// The room's doors: locked, asking, who waits and who was removed, kept current.
    pub fn lobby(&self) -> watch::Receiver<Lobby> {
        self.lobby.clone()
    }

    pub async fn answer(&self, id: &str, epoch: u64, sdp: String) {
        self.send(Command::Answer { id: id.into(), epoch, sdp }).await;
    }

    pub async fn self_mute(&self, id: &str, epoch: u64, muted: bool) {
        self.send(Command::SelfMute { id: id.into(), epoch, muted }).await;
    }

    pub async fn depart(&self, id: &str, epoch: u64, how: Departure) {
        self.send(Command::Depart { id: id.into(), epoch, how }).await;
    }

    /// The host mutes a participant for everyone (the mix, the speakers, every other
    /// participant) or unmutes them.
    pub async fn mute_for_everyone(&self, id: &str, muted: bool) -> Result<(), UnknownParticipant> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::MuteForEveryone { id: id.into(), muted, reply }).await;
        answer.await.unwrap_or_else(|_| Err(UnknownParticipant(id.into())))
    }

    pub async fn remove(&self, id: &str) -> Result<(), UnknownParticipant> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Remove { id: id.into(), reply }).await;
        answer.await.unwrap_or_else(|_| Err(UnknownParticipant(id.into())))
    }

    pub fn host_muted(&self, muted: bool) {
        self.host.muted.send_replace(muted);
    }

    /// The host's microphone as a track for every participant (`None`: the host is not sending).
    pub fn host_track(&self, track: Option<OutgoingTrack>) {
        self.host.track.send_replace(track);
    }

    pub fn voice(&self, status: OperatorStatus) {
        self.host.voice.send_replace(status);
    }

    /// The mix's levels, from the audio thread: never waits; dropped if the hub is behind.
    pub fn levels(&self, levels: Vec<SourceLevel>) {
        let _ = self.commands.try_send(Command::Levels(levels));
    }

    /// A transcript line: never waits; dropped (and logged) if the hub is far behind.
    pub fn transcript(&self, line: TranscriptLine) {
        if self.commands.try_send(Command::Transcript(line)).is_err() {
            log::warn!("the room is busy; a transcript line was not sent to the participants");
        }
    }

    /// Messages for every joined page: participants, levels, voice status, transcript.
    pub fn news(&self) -> broadcast::Receiver<ServerMessage> {
        self.news.subscribe()
    }

    /// Everyone in the room, kept current.
    pub fn roster(&self) -> watch::Receiver<Vec<Participant>> {
        self.roster.clone()
    }

    /// Says goodbye to everyone and closes every peer.
    pub async fn stop(&self) {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Stop { reply }).await;
        let _ = answer.await;
    }
}

impl Hub {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Command>,
        mut peer_inbox: mpsc::Receiver<PeerEvent>,
        mut host: HostWatch,
    ) {
        loop {
            tokio::select! {
                Ok(()) = host.muted.changed() => {
                    self.registry.set_host_muted(*host.muted.borrow_and_update());
                    self.roster_changed();
                }
                Ok(()) = host.track.changed() => {
                    self.host_track = host.track.borrow_and_update().clone();
                    self.forward_to_all();
                }
                Ok(()) = host.voice.changed() => {
                    self.voice = host.voice.borrow_and_update().clone();
                    let _ = self.news.send(ServerMessage::Voice { status: self.voice.clone() });
                }
                command = inbox.recv() => match command {
                    Some(Command::Stop { reply }) => {
                        self.stop().await;
                        let _ = reply.send(());
                        return;
                    }
                    Some(command) => self.handle(command).await,
                    None => {
                        self.stop().await;
                        return;
                    }
                },
                Some(event) = peer_inbox.recv() => self.peer_event(event),
            }
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join { request, outbox, reply } => {
                let entry = self.join(request, outbox).await;
                let _ = reply.send(entry);
            }
            Command::Withdraw { id } => {
                if self.admission.take(&id).is_ok() {
                    log::info!("{id} stopped waiting to join");
                    self.lobby_changed();
                }
            }
            Command::Admit { id, reply } => {
                let _ = reply.send(self.admit(&id).await);
            }
            Command::Decline { id, reply } => {
                let result = match self.admission.take(&id) {
                    Ok(Admitted { name, ticket, .. }) => {
                        log::info!("the host did not let {name} in");
                        let _ = ticket.decision.send(Err(Refusal::Declined.into()));
                        self.lobby_changed();
                        Ok(())
                    }
                    Err(_) => Err(AdmitError::NotWaiting(id)),
                };
                let _ = reply.send(result);
            }
            Command::AllowBack { id, reply } => {
                let result = self.admission.allow_back(&id);
                if result.is_ok() {
                    self.lobby_changed();
                }
                let _ = reply.send(result);
            }
            Command::Lock(locked) => {
                self.admission.set_locked(locked);
                log::info!("the room is {}", if locked { "locked" } else { "open to newcomers again" });
                self.lobby_changed();
            }
            Command::AskToJoin(ask) => {
                self.admission.set_ask_to_join(ask);
                if !ask && !self.admission.locked() {
                    for id in self.admission.waiting_ids() {
                        if let Err(err) = self.admit(&id).await {
                            log::warn!("{id} could not be let in: {err}");
                        }
                    }
                }
                self.lobby_changed();
            }
            Command::Answer { id, epoch, sdp } => {
                if let Some(peer) = self.current(&id, epoch).and_then(|g| g.peer.as_ref()) {
                    peer.answer(sdp);
                }
            }
            Command::SelfMute { id, epoch, muted } => {
                if self.current(&id, epoch).is_some() && self.registry.set_muted(&id, muted).is_ok() {
                    self.roster_changed();
                }
            }
            Command::Depart { id, epoch, how } => {
                if self.current(&id, epoch).is_none() {
                    return;
                }
                match how {
                    Departure::Left => self.remove(&id).await,
                    Departure::Dropped => {
                        if let Some(guest) = self.guests.get_mut(&id) {
                            if let Some(peer) = guest.peer.take() {
                                peer.close().await;
                            }
                            guest.tracks.clear();
                        }
                        let _ = self.registry.set_connection(&id, Connection::Reconnecting);
                        self.forward_to_all();
                        self.roster_changed();
                        let commands = self.commands.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(REJOIN_GRACE).await;
                            let _ = commands.send(Command::Expire { id, epoch }).await;
                        });
                    }
                }
            }
            Command::Expire { id, epoch } => {
                let still_away = self.current(&id, epoch).is_some_and(|g| g.peer.is_none());
                if still_away {
                    log::info!("{id} did not come back within {} s", REJOIN_GRACE.as_secs());
                    self.remove(&id).await;
                }
            }
            Command::MuteForEveryone { id, muted, reply } => {
                let result = self.registry.set_muted_by_host(&id, muted);
                if result.is_ok() {
                    self.sources.set_muted(&id, muted);
                    if let Some(guest) = self.guests.get(&id) {
                        guest.silenced.store(muted, Ordering::Relaxed);
                    }
                    self.roster_changed();
                }
                let _ = reply.send(result);
            }
            Command::Remove { id, reply } => {
                let Some(guest) = self.guests.get(&id) else {
                    let _ = reply.send(Err(UnknownParticipant(id)));
                    return;
                };
                let _ = guest
                    .outbox
                    .try_send(ServerMessage::Goodbye { reason: "The host removed you from the room.".into() });
                // Removed is final for this room: their browser and resume key stay out.
                if let (Some(person), Some((device, resume))) = (self.registry.get(&id), self.registry.identity(&id)) {
                    self.admission.bar(&id, &person.name, device, resume);
                }
                self.remove(&id).await;
                self.lobby_changed();
                let _ = reply.send(Ok(()));
            }
            Command::Levels(levels) => {
                let levels = levels
                    .into_iter()
                    .filter_map(|source| {
                        let id = if source.id == audio::engine::LOCAL_SOURCE { HOST_ID.to_owned() } else { source.id };
                        let known = id == HOST_ID || self.guests.contains_key(&id);
                        known.then_some(ParticipantLevel { id, level: source.level })
                    })
                    .collect();
                let _ = self.news.send(ServerMessage::Levels { levels });
            }
            Command::Transcript(line) => {
                if self.transcript.len() == TRANSCRIPT_KEPT {
                    self.transcript.pop_front();
                }
                self.transcript.push_back(line.clone());
                let _ = self.news.send(ServerMessage::Transcript { line });
            }
            Command::Stop { .. } => unreachable!("handled in run"),
        }
    }

    /// The participant `id`, if `epoch` is their current connection (not one they replaced).
    fn current(&self, id: &str, epoch: u64) -> Option<&Guest> {
        self.guests.get(id).filter(|g| g.epoch == epoch)
    }

    /// Someone said hello: in, waiting for the host, or refused.
    async fn join(&mut self, request: JoinRequest, outbox: mpsc::Sender<ServerMessage>) -> Result<Entry, JoinError> {
        let name = limits::name(&request.name)?;
        let resume = request.resume.as_deref();
        let returning = resume.is_some_and(|key| self.registry.knows(key));
        match self.admission.verdict(&request.device, resume, returning) {
            Verdict::Refuse(refusal) => {
                log::info!("{name} was not let in: {refusal}");
                Err(refusal.into())
            }
            Verdict::Admit => self.enter(&name, resume, &request.device, outbox).await.map(Entry::Welcome),
            Verdict::Wait => {
                let (decision, decided) = oneshot::channel();
                let id = self.admission.knock(name.clone(), request.device, Knocker { outbox, decision });
                log::info!("{name} asks to join ({id})");
                self.lobby_changed();
                Ok(Entry::Waiting { id, decision: decided })
            }
        }
    }

    /// Lets in someone who waited for the host.
    async fn admit(&mut self, id: &str) -> Result<(), AdmitError> {
        if self.registry.is_full() {
            return Err(AdmitError::Full(self.registry.cap()));
        }
        let Admitted { name, device, ticket } =
            self.admission.take(id).map_err(|_| AdmitError::NotWaiting(id.into()))?;
        self.lobby_changed();
        if ticket.decision.is_closed() {
            return Err(AdmitError::NotWaiting(id.into()));
        }
        match self.enter(&name, None, &device, ticket.outbox).await {
            Ok(welcome) => {
                let admitted = welcome.id.clone();
                // They gave up just now: nobody is there to take the place.
                if ticket.decision.send(Ok(welcome)).is_err() {
                    self.remove(&admitted).await;
                }
                Ok(())
            }
            Err(err) => {
                let _ = ticket.decision.send(Err(err.clone()));
                Err(match err {
                    JoinError::Full(cap) => AdmitError::Full(cap),
                    _ => AdmitError::NotWaiting(id.into()),
                })
            }
        }
    }

    /// Puts someone in the room (new, or coming back with their resume key).
    async fn enter(
        &mut self,
        name: &str,
        resume: Option<&str>,
        device: &str,
        outbox: mpsc::Sender<ServerMessage>,
    ) -> Result<Welcome, JoinError> {
        let joined = self.registry.join(name, resume, device, InviteToken::generate().as_str().to_owned())?;
        let silenced = match self.guests.remove(&joined.id) {
            Some(old) => {
                let _ =
                    old.outbox.try_send(ServerMessage::Goodbye { reason: "You joined again from another tab.".into() });
                if let Some(peer) = old.peer {
                    peer.close().await;
                }
                old.silenced
            }
            None => {
                self.sources.add(&joined.id);
                Silenced::default()
            }
        };
        let epoch = self.next_epoch;
        self.next_epoch += 1;
        let peer = GuestPeer::open(
            &joined.id,
            epoch,
            self.forwarded_to(&joined.id),
            outbox.clone(),
            self.peer_events.clone(),
            self.sources.clone(),
            Arc::clone(&silenced),
            &self.ice.peer_network(SystemTime::now()),
        )
        .await;
        let peer = match peer {
            Ok(peer) => Some(peer),
            Err(err) => {
                log::error!("{err}");
                let _ = outbox.try_send(ServerMessage::error(crate::protocol::ErrorCode::Invalid, err.to_string()));
                None
            }
        };
        self.guests.insert(joined.id.clone(), Guest { epoch, outbox, peer, tracks: Vec::new(), silenced });
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
        })
    }

    async fn remove(&mut self, id: &str) {
        if let Some(guest) = self.guests.remove(id) {
            if let Some(peer) = guest.peer {
                peer.close().await;
            }
        }
        if let Some(participant) = self.registry.leave(id) {
            log::info!("{} left the room", participant.name);
        }
        self.sources.remove(id);
        self.forward_to_all();
        self.roster_changed();
    }

    fn peer_event(&mut self, event: PeerEvent) {
        match event {
            PeerEvent::Track { owner, epoch, track } => {
                let Some(guest) = self.guests.get_mut(&owner).filter(|g| g.epoch == epoch) else { return };
                guest.tracks.push(track);
                self.forward_to_all();
            }
            PeerEvent::State { owner, epoch, state } => {
                if self.current(&owner, epoch).is_none() {
                    return;
                }
                let connection = match state {
                    RTCPeerConnectionState::Connected => Connection::Connected,
                    RTCPeerConnectionState::Disconnected | RTCPeerConnectionState::Failed => Connection::Reconnecting,
                    _ => return,
                };
                if self.registry.set_connection(&owner, connection).is_ok() {
                    self.roster_changed();
                }
            }
            PeerEvent::Heard { owner, epoch } => {
                if self.current(&owner, epoch).is_some() {
                    log::info!("first audio from {owner} reached the mix");
                }
            }
        }
    }

    /// What participant `id` should receive: the host's microphone and everyone else's tracks.
    fn forwarded_to(&self, id: &str) -> Vec<OutgoingTrack> {
        let others = self.guests.iter().filter(|(other, _)| other.as_str() != id);
        let tracks = others.flat_map(|(_, g)| g.tracks.iter().map(|t| Arc::clone(t) as OutgoingTrack));
        self.host_track.iter().cloned().chain(tracks).collect()
    }

    fn forward_to_all(&self) {
        for (id, guest) in &self.guests {
            if let Some(peer) = &guest.peer {
                peer.forward(self.forwarded_to(id));
            }
        }
    }

    fn lobby_changed(&self) {
        self.lobby.send_if_modified(|lobby| {
            let now = self.admission.view();
            let changed = *lobby != now;
            *lobby = now;
            changed
        });
    }

    fn roster_changed(&self) {
        let participants = self.registry.list();
        let _ = self.roster.send(participants.clone());
        let _ = self.news.send(ServerMessage::Participants { participants });
    }

    async fn stop(&mut self) {
        for (id, guest) in self.guests.drain() {
            let _ = guest.outbox.try_send(ServerMessage::Goodbye { reason: "The host ended the room.".into() });
            if let Some(peer) = guest.peer {
                peer.close().await;
            }
            self.sources.remove(&id);
        }
        for id in self.registry.guest_ids() {
            self.registry.leave(&id);
        }
        let _ = self.roster.send(self.registry.list());
    }
}
