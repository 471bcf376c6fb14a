//! One guest in a room, as a task that owns the signaling socket: hello, waiting for the host
//! if the room asks people to, the welcome, then the room's board (followed change by change),
//! participants, voice status and transcript published for whoever shows them; edits
//! and mute go the other way. A dropped connection comes back as the same participant (the
//! `resume` key) for as long as the room keeps the place; a refusal or goodbye ends it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use board::{Board, Change, Edit, Followed};
use meeting::status::{OperatorStatus, TranscriptLine};
use room_protocol::{
    ClientMessage, IceServer, Participant, ServerMessage, COMEBACK_RETRY, PROTOCOL_VERSION, REJOIN_GRACE,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::comeback::{Comeback, Next};
use crate::invite::Invite;
use crate::peer::{Call, CallAudio};
use crate::signaling::{ConnectError, Socket};
use crate::tls::RoomTls;

/// Commands waiting for the session task; a caller waits for room when it is full.
const COMMANDS: usize = 64;
/// Board changes and transcript lines waiting for a slow reader, who then misses the oldest
/// (and takes the whole board again, for changes).
const CHANGES: usize = 256;
const TRANSCRIPT: usize = 64;
/// How long leaving waits for the room to hear it.
const LEAVE_WAIT: Duration = Duration::from_millis(1500);

/// This machine's sound in the room.
pub struct GuestAudio {
    /// The mix the speakers play: the room's voices are added to it.
    pub sources: audio::Sources,
    /// This machine's (processed) microphone; `None` joins to listen only.
    pub microphone: Option<audio::MixReceiver>,
}

/// Who joins, and where.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub invite: Invite,
    pub name: String,
    /// This installation's own key, by which the host can keep it out after a removal.
    pub device: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GuestStatus {
    Connecting,
    /// The host lets people in one by one.
    Waiting,
    In {
        participant_id: String,
    },
    Reconnecting {
        reason: String,
    },
    /// Out for good: left, removed, refused, the room ended or could not be reached.
    Ended {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("not connected to the room right now; try again in a moment")]
    NotConnected,
    #[error("{0}")]
    Refused(String),
    #[error("the connection to the room dropped before it answered")]
    Dropped,
}

enum Command {
    Edit { edit: Edit, seen: u64, reply: oneshot::Sender<Result<Change, EditError>> },
    Mute(bool),
    Leave { done: oneshot::Sender<()> },
}

/// What the session publishes.
struct Published {
    status: watch::Sender<GuestStatus>,
    board: watch::Sender<Option<Board>>,
    changes: broadcast::Sender<Arc<Change>>,
    participants: watch::Sender<Vec<Participant>>,
    voice: watch::Sender<OperatorStatus>,
    transcript: broadcast::Sender<TranscriptLine>,
}

/// The guest session, as whoever shows it or edits through it sees it; clones share it.
#[derive(Clone)]
pub struct GuestView {
    commands: mpsc::Sender<Command>,
    published: Arc<Published>,
}

/// The guest session's owner; dropping it leaves the room.
pub struct Guest {
    view: GuestView,
    task: Option<JoinHandle<()>>,
}

impl Guest {
    /// Starts joining; [`GuestView::status`] says how it goes.
    pub fn join(request: JoinRequest, audio: GuestAudio) -> Guest {
        let (commands, inbox) = mpsc::channel(COMMANDS);
        let published = Arc::new(Published {
            status: watch::Sender::new(GuestStatus::Connecting),
            board: watch::Sender::new(None),
            changes: broadcast::channel(CHANGES).0,
            participants: watch::Sender::new(Vec::new()),
            voice: watch::Sender::new(OperatorStatus::Off),
            transcript: broadcast::channel(TRANSCRIPT).0,
        });
        let task = tokio::spawn(run(request, audio, inbox, Arc::clone(&published)));
        Guest { view: GuestView { commands, published }, task: Some(task) }
    }

    pub fn view(&self) -> GuestView {
        self.view.clone()
    }

    /// Leaves the room: says so, and is gone within two seconds whatever the network does.
    pub async fn leave(mut self) {
        let (done, left) = oneshot::channel();
        if self.view.commands.send(Command::Leave { done }).await.is_ok() {
            let _ = tokio::time::timeout(LEAVE_WAIT, left).await;
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.view.published.status.send_replace(GuestStatus::Ended { reason: "You left the room.".into() });
    }
}

impl std::ops::Deref for Guest {
    type Target = GuestView;

    fn deref(&self) -> &GuestView {
        &self.view
    }
}

impl GuestView {
    pub fn status(&self) -> watch::Receiver<GuestStatus> {
        self.published.status.subscribe()
    }

    /// The room's board as it is now (`None` until the welcome).
    pub fn board(&self) -> watch::Receiver<Option<Board>> {
        self.published.board.subscribe()
    }

    /// Every change to the room's board, in order.
    pub fn changes(&self) -> broadcast::Receiver<Arc<Change>> {
        self.published.changes.subscribe()
    }

    pub fn participants(&self) -> watch::Receiver<Vec<Participant>> {
        self.published.participants.subscribe()
    }

    pub fn voice(&self) -> watch::Receiver<OperatorStatus> {
        self.published.voice.subscribe()
    }

    pub fn transcript(&self) -> broadcast::Receiver<TranscriptLine> {
        self.published.transcript.subscribe()
    }

    /// An edit made on the room's board as it was at revision `seen`.
    pub async fn edit(&self, edit: Edit, seen: u64) -> Result<Change, EditError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Edit { edit, seen, reply }).await.map_err(|_| EditError::NotConnected)?;
        answer.await.unwrap_or(Err(EditError::Dropped))
    }

    pub async fn set_muted(&self, muted: bool) {
        let _ = self.commands.send(Command::Mute(muted)).await;
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The call's next answer; never, without a call.
async fn next_answer(call: &mut Option<Call>) -> Option<String> {
    match call {
        Some(call) => call.next_answer().await,
        None => std::future::pending().await,
    }
}

/// How one connection ended.
enum Ended {
    /// For good, with the reason people see.
    Over(String),
    /// The connection dropped; it may come back.
    Dropped(String),
}

async fn run(request: JoinRequest, audio: GuestAudio, commands: mpsc::Receiver<Command>, published: Arc<Published>) {
    // One microphone track for the whole session: each call (one per connection) carries it.
    let (microphone, sending) = match audio.microphone {
        Some(feed) => {
            let (track, task) = meeting::opus::send_voice(feed, "guest");
            (Some(track), Some(task))
        }
        None => (None, None),
    };
    let call_audio = CallAudio { sources: audio.sources, microphone };
    stay(request, call_audio, commands, &published).await;
    if let Some(sending) = sending {
        sending.abort();
    }
}

async fn stay(request: JoinRequest, audio: CallAudio, mut commands: mpsc::Receiver<Command>, published: &Published) {
    let tls = match RoomTls::new(request.invite.pin) {
        Ok(tls) => tls,
        Err(err) => return end(published, format!("The room's certificate cannot be checked: {err}.")),
    };
    let mut comeback = Comeback::new(REJOIN_GRACE, &COMEBACK_RETRY);
    loop {
        let outcome = match Socket::connect(&request.invite, &tls).await {
            Ok(socket) => {
                let mut connection = Connection {
                    socket,
                    published,
                    invite: &request.invite,
                    audio: &audio,
                    call: None,
                    pending: HashMap::new(),
                    next_request: 1,
                };
                let ended = connection.serve(&request, &mut comeback, &mut commands).await;
                if let Some(call) = connection.call.take() {
                    call.close().await;
                }
                ended
            }
            // Never in yet: nothing to come back to.
            Err(err) if comeback.resume().is_none() => Ended::Over(sentence(&err.to_string())),
            Err(ConnectError::InvalidLink) => Ended::Over("The room has ended.".into()),
            Err(err) => Ended::Dropped(sentence(&err.to_string())),
        };
        let reason = match outcome {
            Ended::Over(reason) => return end(published, reason),
            Ended::Dropped(reason) => reason,
        };
        let wait = match comeback.dropped(Instant::now()) {
            Next::Retry { wait } => wait,
            Next::GiveUp => return end(published, format!("Lost the connection to the room. {reason}")),
        };
        let reason = format!("{reason} Trying again in {} s…", wait.as_secs());
        published.status.send_replace(GuestStatus::Reconnecting { reason });
        // Commands meanwhile are answered, not kept for a socket that is not there.
        let sleep = tokio::time::sleep(wait);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                command = commands.recv() => match command {
                    Some(Command::Edit { reply, .. }) => {
                        let _ = reply.send(Err(EditError::NotConnected));
                    }
                    Some(Command::Mute(_)) => {}
                    Some(Command::Leave { done }) => {
                        let _ = done.send(());
                        return end(published, "You left the room.".into());
                    }
                    None => return end(published, "You left the room.".into()),
                },
            }
        }
    }
}

fn end(published: &Published, reason: String) {
    log::info!("out of the room: {reason}");
    published.status.send_replace(GuestStatus::Ended { reason });
}

/// The room's messages are lower-case phrases; shown alone they read as a sentence.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// One connection to the room, from hello until it ends.
struct Connection<'a> {
    socket: Socket,
    published: &'a Published,
    invite: &'a Invite,
    audio: &'a CallAudio,
    /// The call, from the welcome on.
    call: Option<Call>,
    /// Edits sent and not yet answered, by request number.
    pending: HashMap<u32, oneshot::Sender<Result<Change, EditError>>>,
    next_request: u32,
}

impl Connection<'_> {
    async fn serve(
        &mut self,
        request: &JoinRequest,
        comeback: &mut Comeback,
        commands: &mut mpsc::Receiver<Command>,
    ) -> Ended {
        let hello = ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            name: request.name.clone(),
            resume: comeback.resume().map(str::to_owned),
            device: request.device.clone(),
        };
        if let Err(err) = self.socket.send(&hello).await {
            return Ended::Dropped(sentence(&err.to_string()));
        }
        let mut joined = false;
        let ended = loop {
            tokio::select! {
                message = self.socket.next() => match message {
                    Some(message) => {
                        if let Some(ended) = self.take(message, comeback, &mut joined).await {
                            break ended;
                        }
                    }
                    None => break Ended::Dropped("The connection to the room dropped.".into()),
                },
                Some(sdp) = next_answer(&mut self.call) => {
                    if self.socket.send(&ClientMessage::Answer { sdp }).await.is_err() {
                        break Ended::Dropped("The connection to the room dropped.".into());
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::Edit { edit, seen, reply }) => {
                        if !joined {
                            let _ = reply.send(Err(EditError::NotConnected));
                            continue;
                        }
                        let request = self.next_request;
                        self.next_request = self.next_request.wrapping_add(1);
                        self.pending.insert(request, reply);
                        if self.socket.send(&ClientMessage::Edit { request, seen, edit }).await.is_err() {
                            break Ended::Dropped("The connection to the room dropped.".into());
                        }
                    }
                    Some(Command::Mute(muted)) => {
                        if self.socket.send(&ClientMessage::Mute { muted }).await.is_err() {
                            break Ended::Dropped("The connection to the room dropped.".into());
                        }
                    }
                    Some(Command::Leave { done }) => {
                        let _ = self.socket.send(&ClientMessage::Leave).await;
                        let _ = done.send(());
                        break Ended::Over("You left the room.".into());
                    }
                    None => break Ended::Over("You left the room.".into()),
                },
            }
        };
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(EditError::Dropped));
        }
        ended
    }

    /// Takes one message from the room; `Some` when this connection is over.
    async fn take(&mut self, message: ServerMessage, comeback: &mut Comeback, joined: &mut bool) -> Option<Ended> {
        let published = self.published;
        match message {
            ServerMessage::Waiting {} => {
                published.status.send_replace(GuestStatus::Waiting);
            }
            ServerMessage::Welcome {
                participant_id,
                resume,
                board,
                participants,
                voice,
                transcript,
                ice_servers,
                ..
            } => {
                *joined = true;
                self.call = match Call::open(&self.network(ice_servers), self.audio.clone()).await {
                    Ok(call) => Some(call),
                    // The board still works without sound; the status says why there is none.
                    Err(err) => {
                        log::warn!("{err}");
                        None
                    }
                };
                comeback.welcomed(resume);
                published.board.send_replace(Some(board));
                published.participants.send_replace(participants);
                published.voice.send_replace(voice);
                for line in transcript {
                    let _ = published.transcript.send(line);
                }
                published.status.send_replace(GuestStatus::In { participant_id });
            }
            ServerMessage::Edited { request, change } => {
                // The answer travels apart from the change stream and may overtake a change
                // before it: a gap here is not a lost change, which the stream brings.
                self.follow(&change);
                if let Some(reply) = self.pending.remove(&request) {
                    let _ = reply.send(Ok(change));
                }
            }
            ServerMessage::Refused { request, message } => {
                if let Some(reply) = self.pending.remove(&request) {
                    let _ = reply.send(Err(EditError::Refused(sentence(&message))));
                }
            }
            ServerMessage::BoardChanged { change } => {
                // The room sends changes in order on this socket, so a gap means one was lost:
                // the whole board is asked for, and the changes after it follow.
                if self.follow(&change) == Followed::Gap && self.socket.send(&ClientMessage::GetBoard).await.is_err() {
                    return Some(Ended::Dropped("The connection to the room dropped.".into()));
                }
            }
            ServerMessage::Board { board } => {
                published.board.send_replace(Some(board));
            }
            ServerMessage::Participants { participants } => {
                published.participants.send_replace(participants);
            }
            // This machine measures the voices it plays itself, as it does its own.
            ServerMessage::Levels { .. } => {}
            ServerMessage::Voice { status } => {
                published.voice.send_replace(status);
            }
            ServerMessage::Transcript { line } => {
                let _ = published.transcript.send(line);
            }
            ServerMessage::Offer { sdp } => match &self.call {
                Some(call) => call.offer(sdp),
                None => log::debug!("an offer before the welcome (or with no call) was ignored"),
            },
            ServerMessage::Error { code, message } => {
                if code.is_final() {
                    return Some(Ended::Over(sentence(&message)));
                }
                log::warn!("the room refused a message: {message}");
            }
            ServerMessage::Goodbye { reason } => return Some(Ended::Over(sentence(&reason))),
            // The call gathered once, with the welcome's servers; a comeback is a new call,
            // with fresh credentials from its own welcome.
            ServerMessage::IceServers { .. } => {}
        }
        None
    }

    /// Where the call may look for a path to the room: the room's STUN and TURN servers, and
    /// loopback when the room is on this same computer.
    fn network(&self, ice_servers: Vec<IceServer>) -> meeting::PeerNetwork {
        meeting::PeerNetwork {
            include_loopback: self.invite.on_this_computer,
            ice_servers: ice_servers.into_iter().map(Into::into).collect(),
            ..meeting::PeerNetwork::default()
        }
    }

    /// Places a change on the published board; it is passed on only once it applies.
    fn follow(&self, change: &Change) -> Followed {
        let mut followed = Followed::Stale;
        self.published.board.send_if_modified(|board| match board {
            Some(board) => {
                followed = board.follow(change);
                followed == Followed::Applied
            }
            None => false,
        });
        match followed {
            Followed::Applied => {
                let _ = self.published.changes.send(Arc::new(change.clone()));
            }
            Followed::Gap => log::warn!("missed a change before revision {}", change.revision),
            Followed::Stale => {}
        }
        followed
    }
}
