//! The way to the hub: a cheap [`HubHandle`] for connections and the host, the commands it
//! queues, and the host's side (mute, microphone track, voice status) as watch values.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use audio::{SourceLevel, Sources};
use meeting::status::{OperatorStatus, TranscriptLine};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::{AdmitError, Departure, Entry, Hub, JoinRequest, Routing};
use crate::admission::{Admission, Lobby};
use crate::ice::IceConfig;
use crate::limits::Allowances;
use crate::peer::OutgoingTrack;
use crate::registry::{JoinError, Registry, UnknownParticipant};
use room_protocol::{Participant, ServerMessage};

/// Commands waiting for the hub. Connections and the host's calls wait for room when it is
/// full; levels and transcript lines, sent from threads that must not wait, are dropped
/// (levels come again in 100 ms; a dropped line is logged). Participants' messages are
/// rate-limited per participant, so only a stuck hub fills it.
const COMMAND_QUEUE: usize = 256;
/// Events from the participants' peers (a new track, a connection state, first audio),
/// raised in webrtc-rs callbacks that must not wait: when full, the event is dropped and
/// logged. Each peer raises a handful per connection, so only a stuck hub fills it.
const PEER_EVENT_QUEUE: usize = 256;

/// What the hub is asked to do; it does one at a time, in order.
pub(super) enum Command {
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
pub(super) struct HostWatch {
    pub(super) muted: watch::Receiver<bool>,
    pub(super) track: watch::Receiver<Option<OutgoingTrack>>,
    pub(super) voice: watch::Receiver<OperatorStatus>,
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
            allowances: Allowances::default(),
            guests: HashMap::new(),
            next_epoch: 1,
            routing: Routing::new(),
            sources,
            news: news.clone(),
            roster,
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
