//! One participant's WebSocket, from `hello` to goodbye: it checks every message, turns
//! board edits into actor requests, passes answers to the hub, and sends the page its
//! offers, the board's changes and the room's news. Bad input gets an error message; too
//! much of it closes this connection only.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use board::{BoardHandle, Source};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::admission::Refusal;
use crate::hub::{Departure, Entry, HubHandle, JoinRequest, Welcome};
use crate::limits::{self, Allowance, RateLimit, HELLO_TIMEOUT};
use crate::registry::JoinError;
use room_protocol::names;
use room_protocol::{ClientMessage, ErrorCode, ServerMessage, PROTOCOL_VERSION};

/// A page that sends nothing (not even a pong) for this long has lost its network.
const SILENCE_LIMIT: Duration = Duration::from_secs(30);
const PING_EVERY: Duration = Duration::from_secs(10);
/// How long a page has to take each message the room sends it (a send only waits once the
/// socket's buffers are full). A page that stops reading is dropped then, and its queue freed,
/// instead of holding its connection task (and with it the silence check) forever.
const SEND_DEADLINE: Duration = Duration::from_secs(10);
/// Messages from the hub and the peer waiting for this connection to send them. When full,
/// the hub's are dropped (a slow page's news and roster come again) and the peer's offer waits.
const OUTBOX: usize = 256;
/// How long a closed page has to answer the close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// WebSocket close code for "policy violation".
const POLICY: u16 = 1008;
/// WebSocket close code for "going away": the room ended, or the page's tab closed.
const GOING_AWAY: u16 = 1001;

/// Why a connection ended, for the hub and the log.
enum End {
    Left,
    Dropped,
    Closed { code: u16, reason: String },
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;
type Stream = futures_util::stream::SplitStream<WebSocket>;

struct Session {
    sink: Sink,
    abuse: RateLimit,
}

impl Session {
    async fn send(&mut self, message: &ServerMessage) -> bool {
        self.write(Message::Text(Utf8Bytes::from(message.to_json()))).await
    }

    /// Writes one message to the page within [`SEND_DEADLINE`]; `false` when it could not.
    async fn write(&mut self, message: Message) -> bool {
        matches!(tokio::time::timeout(SEND_DEADLINE, self.sink.send(message)).await, Ok(Ok(())))
    }

    /// Answers bad input; `false` when this connection has sent too much of it.
    async fn refuse(&mut self, code: ErrorCode, message: String) -> bool {
        log::debug!("refused a participant's message: {message}");
        let tolerated = self.abuse.allow(Instant::now());
        self.send(&ServerMessage::error(code, message)).await && tolerated
    }

    /// The closing handshake: the page's messages still in flight are read and dropped until
    /// its own close frame (or `CLOSE_GRACE`). Closing the socket with them unread would reset
    /// the connection, and the page could lose the error that says why it was closed.
    async fn close(mut self, stream: &mut Stream, code: u16, reason: &str) {
        let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
        if self.write(Message::Close(Some(frame))).await {
            let drained = async {
                while let Some(Ok(message)) = stream.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(CLOSE_GRACE, drained).await;
        }
        let _ = tokio::time::timeout(CLOSE_GRACE, self.sink.close()).await;
    }
}

/// Serves one participant's WebSocket until it ends.
pub async fn serve(socket: WebSocket, hub: HubHandle, board: BoardHandle) {
    let (sink, mut stream) = socket.split();
    let mut session = Session { sink, abuse: limits::abuse_allowance(Instant::now()) };
    let Some(request) = hello(&mut session, &mut stream).await else {
        return session.close(&mut stream, POLICY, "no valid hello").await;
    };
    // Subscribed before joining, so no change to the roster falls between the welcome and the news.
    let mut news = hub.news();
    let (outbox, mut to_send) = mpsc::channel(OUTBOX);
    let entered = match hub.join(request, outbox).await {
        Some(Ok(Entry::Welcome(welcome))) => Ok(welcome),
        Some(Ok(Entry::Waiting { id, decision })) => {
            wait_for_host(&mut session, &mut stream, &mut news, &hub, &id, decision).await
        }
        Some(Err(err)) => Err(Waited::Refused(err)),
        None => Err(Waited::Ended),
    };
    let welcome = match entered {
        Ok(welcome) => welcome,
        Err(Waited::Refused(err)) => {
            let _ = session.send(&ServerMessage::error(refusal_code(&err), err.to_string())).await;
            return session.close(&mut stream, POLICY, "not admitted").await;
        }
        Err(Waited::Ended) => return session.close(&mut stream, GOING_AWAY, "the room has ended").await,
        Err(Waited::Gone) => return,
        Err(Waited::Closed(End::Closed { code, reason })) => return session.close(&mut stream, code, &reason).await,
        Err(Waited::Closed(_)) => return,
    };
    // Subscribe before the snapshot, so no change falls between them.
    let mut changes = board.subscribe();
    let Ok(snapshot) = board.snapshot().await else {
        return session.close(&mut stream, 1011, "the board has shut down").await;
    };
    let (id, epoch, name, allowance) =
        (welcome.id.clone(), welcome.epoch, welcome.name.clone(), welcome.allowance.clone());
    let seen = snapshot.revision();
    if !session.send(&welcome_message(welcome, snapshot)).await {
        return hub.depart(&id, epoch, Departure::Dropped).await;
    }
    let mut joined = Joined { id: id.clone(), epoch, name, hub: hub.clone(), board, allowance };
    let end = joined.run(&mut session, &mut stream, &mut to_send, &mut changes, &mut news, seen).await;
    // Only a dropped connection keeps the participant's place for a comeback; one the room
    // closed (too much bad input, removed, room ended) does not.
    let how = match &end {
        End::Left | End::Closed { .. } => Departure::Left,
        End::Dropped => Departure::Dropped,
    };
    hub.depart(&id, epoch, how).await;
    if let End::Closed { code, reason } = end {
        session.close(&mut stream, code, &reason).await;
    }
}

fn refusal_code(err: &JoinError) -> ErrorCode {
    match err {
        JoinError::Full(_) | JoinError::Refused(Refusal::LobbyFull) => ErrorCode::RoomFull,
        JoinError::BadName(_) => ErrorCode::BadName,
        JoinError::Refused(Refusal::Removed) => ErrorCode::Removed,
        JoinError::Refused(Refusal::Locked) => ErrorCode::Locked,
        JoinError::Refused(Refusal::Declined) => ErrorCode::Declined,
    }
}

/// How waiting for the host ended, when not with a welcome.
enum Waited {
    Refused(JoinError),
    /// The room ended meanwhile.
    Ended,
    /// The page left or its connection dropped.
    Gone,
    /// Too much bad input while waiting.
    Closed(End),
}

/// Tells the page to wait and waits for the host's decision, keeping the socket alive and
/// noticing when the page gives up (its place in the queue is withdrawn then).
async fn wait_for_host(
    session: &mut Session,
    stream: &mut Stream,
    news: &mut broadcast::Receiver<ServerMessage>,
    hub: &HubHandle,
    id: &str,
    mut decision: oneshot::Receiver<Result<Welcome, JoinError>>,
) -> Result<Welcome, Waited> {
    let mut ping = tokio::time::interval(PING_EVERY);
    let silence = tokio::time::sleep(SILENCE_LIMIT);
    tokio::pin!(silence);
    let gone = if session.send(&ServerMessage::Waiting {}).await {
        loop {
            tokio::select! {
                () = &mut silence => break Waited::Gone,
                decided = &mut decision => return match decided {
                    Ok(Ok(welcome)) => Ok(welcome),
                    Ok(Err(err)) => Err(Waited::Refused(err)),
                    Err(_) => Err(Waited::Ended),
                },
                incoming = stream.next() => {
                    silence.as_mut().reset(tokio::time::Instant::now() + SILENCE_LIMIT);
                    let refusal = match incoming {
                        Some(Ok(Message::Text(text))) => match ClientMessage::parse(&text) {
                            Ok(ClientMessage::Leave) => break Waited::Gone,
                            Ok(_) => (ErrorCode::NotJoined, "wait until the host lets you in".to_owned()),
                            Err(err) => (err.code(), err.to_string()),
                        },
                        Some(Ok(Message::Binary(_))) => (ErrorCode::Invalid, "messages are JSON text".to_owned()),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break Waited::Gone,
                    };
                    if !session.refuse(refusal.0, refusal.1).await {
                        break Waited::Closed(too_many_errors(session).await);
                    }
                }
                // Nothing to show before the welcome; reading keeps the queue from lagging.
                _ = news.recv() => {}
                _ = ping.tick() => {
                    if !session.write(Message::Ping(Default::default())).await {
                        break Waited::Gone;
                    }
                }
            }
        }
    } else {
        Waited::Gone
    };
    hub.withdraw(id).await;
    // The host may have let them in at the same moment: give the place back.
    decision.close();
    if let Ok(Ok(welcome)) = decision.try_recv() {
        hub.depart(&welcome.id, welcome.epoch, Departure::Left).await;
    }
    Err(gone)
}

/// Waits for a valid `hello`, answering anything else with an error.
async fn hello(session: &mut Session, stream: &mut Stream) -> Option<JoinRequest> {
    let deadline = tokio::time::Instant::now() + HELLO_TIMEOUT;
    loop {
        let message = tokio::time::timeout_at(deadline, stream.next()).await.ok()??.ok()?;
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => return None,
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Binary(_) => {
                if !session.refuse(ErrorCode::Invalid, "messages are JSON text".into()).await {
                    return None;
                }
                continue;
            }
        };
        let refusal = match ClientMessage::parse(&text) {
            Ok(ClientMessage::Hello { version, name, resume, device }) if version == PROTOCOL_VERSION => {
                match names::device(&device) {
                    Ok(()) => return Some(JoinRequest { name, resume, device }),
                    Err(err) => (ErrorCode::Invalid, err.to_string()),
                }
            }
            Ok(ClientMessage::Hello { version, .. }) => {
                let message =
                    format!("this room speaks protocol version {PROTOCOL_VERSION}, not {version}; reload the page");
                let _ = session.send(&ServerMessage::error(ErrorCode::UnsupportedVersion, message)).await;
                return None;
            }
            Ok(_) => (ErrorCode::NotJoined, "say hello first".to_owned()),
            Err(err) => (err.code(), err.to_string()),
        };
        if !session.refuse(refusal.0, refusal.1).await {
            return None;
        }
    }
}

fn welcome_message(welcome: Welcome, board: board::Board) -> ServerMessage {
    ServerMessage::Welcome {
        version: PROTOCOL_VERSION,
        participant_id: welcome.id,
        resume: welcome.resume,
        board,
        participants: welcome.participants,
        voice: welcome.voice,
        transcript: welcome.transcript,
        ice_servers: welcome.ice_servers,
    }
}

struct Joined {
    id: String,
    epoch: u64,
    name: String,
    hub: HubHandle,
    board: BoardHandle,
    /// The participant's rates, which outlive this connection.
    allowance: Allowance,
}

impl Joined {
    async fn run(
        &mut self,
        session: &mut Session,
        stream: &mut Stream,
        to_send: &mut mpsc::Receiver<ServerMessage>,
        changes: &mut broadcast::Receiver<std::sync::Arc<board::Change>>,
        news: &mut broadcast::Receiver<ServerMessage>,
        seen: u64,
    ) -> End {
        let mut ping = tokio::time::interval(PING_EVERY);
        let silence = tokio::time::sleep(SILENCE_LIMIT);
        tokio::pin!(silence);
        loop {
            let outgoing = tokio::select! {
                () = &mut silence => return End::Dropped,
                incoming = stream.next() => {
                    silence.as_mut().reset(tokio::time::Instant::now() + SILENCE_LIMIT);
                    match incoming {
                        Some(Ok(Message::Text(text))) => match self.take(session, &text).await {
                            Some(end) => return end,
                            None => continue,
                        },
                        Some(Ok(Message::Binary(_))) => {
                            if !session.refuse(ErrorCode::Invalid, "messages are JSON text".into()).await {
                                return too_many_errors(session).await;
                            }
                            continue;
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        // Browsers close with "going away" when the tab closes or navigates: that is leaving.
                        Some(Ok(Message::Close(Some(frame)))) if frame.code == GOING_AWAY => return End::Left,
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return End::Dropped,
                    }
                }
                message = to_send.recv() => match message {
                    Some(ServerMessage::Goodbye { reason }) => {
                        let _ = session.send(&ServerMessage::Goodbye { reason: reason.clone() }).await;
                        return End::Closed { code: 1000, reason };
                    }
                    Some(message) => message,
                    None => return End::Closed { code: GOING_AWAY, reason: "the room has ended".into() },
                },
                change = changes.recv() => match change {
                    Ok(change) if change.revision <= seen => continue,
                    Ok(change) => ServerMessage::BoardChanged { change: (*change).clone() },
                    // Fell behind: the page gets the whole board instead.
                    Err(broadcast::error::RecvError::Lagged(_)) => match self.board.snapshot().await {
                        Ok(board) => ServerMessage::Board { board },
                        Err(_) => return End::Closed { code: 1011, reason: "the board has shut down".into() },
                    },
                    Err(broadcast::error::RecvError::Closed) => return End::Closed { code: 1011, reason: "the board has shut down".into() },
                },
                item = news.recv() => match item {
                    Ok(message) => message,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return End::Closed { code: GOING_AWAY, reason: "the room has ended".into() },
                },
                _ = ping.tick() => {
                    if !session.write(Message::Ping(Default::default())).await {
                        return End::Dropped;
                    }
                    continue;
                }
            };
            if !session.send(&outgoing).await {
                return End::Dropped;
            }
        }
    }

    /// Handles one text message; `Some` ends the connection.
    async fn take(&mut self, session: &mut Session, text: &str) -> Option<End> {
        let message = match ClientMessage::parse(text) {
            Ok(message) => message,
            Err(err) => {
                if session.refuse(err.code(), err.to_string()).await {
                    return None;
                }
                return Some(too_many_errors(session).await);
            }
        };
        match message {
            ClientMessage::Hello { .. } => {
                if !session.refuse(ErrorCode::AlreadyJoined, "you are already in the room".into()).await {
                    return Some(too_many_errors(session).await);
                }
            }
            ClientMessage::Answer { .. } | ClientMessage::Mute { .. } | ClientMessage::GetBoard
                if !self.allowance.signal(Instant::now()) =>
            {
                let message =
                    "you are sending answers, mute changes or board requests faster than the room allows".to_owned();
                if !session.refuse(ErrorCode::TooFast, message).await {
                    return Some(too_many_errors(session).await);
                }
            }
            ClientMessage::Answer { sdp } => self.hub.answer(&self.id, self.epoch, sdp).await,
            ClientMessage::Mute { muted } => self.hub.self_mute(&self.id, self.epoch, muted).await,
            ClientMessage::Leave => return Some(End::Left),
            // Changes queued for this page that the board already holds arrive after it and are
            // seen as old; the ones after it follow in order.
            ClientMessage::GetBoard => match self.board.snapshot().await {
                Ok(board) => {
                    if !session.send(&ServerMessage::Board { board }).await {
                        return Some(End::Dropped);
                    }
                }
                Err(_) => return Some(End::Closed { code: 1011, reason: "the board has shut down".into() }),
            },
            ClientMessage::Edit { request, seen, edit } => {
                let reply = if self.allowance.edit(Instant::now()) {
                    let source = Source::Participant { name: self.name.clone() };
                    match self.board.apply_seen(edit, source, seen).await {
                        Ok(change) => ServerMessage::Edited { request, change: (*change).clone() },
                        Err(err) => ServerMessage::Refused { request, message: err.to_string() },
                    }
                } else {
                    let message = "you are editing faster than the room allows; wait a moment".to_owned();
                    ServerMessage::Refused { request, message }
                };
                if !session.send(&reply).await {
                    return Some(End::Dropped);
                }
            }
        }
        None
    }
}

async fn too_many_errors(session: &mut Session) -> End {
    let message = "too many invalid messages; this connection is closed".to_owned();
    let _ = session.send(&ServerMessage::error(ErrorCode::TooManyErrors, message)).await;
    End::Closed { code: POLICY, reason: "too many invalid messages".into() }
}
