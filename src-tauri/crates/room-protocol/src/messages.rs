//! The signaling messages between the room and a participant's page (or the app, joined as a
//! guest): JSON text messages on one WebSocket, each an object with a `type`. Documented in
//! `docs/room-protocol.md`; the page's TypeScript types are generated from these.

use audio::Level;
use board::{Board, Change, Edit};
use meeting::status::{OperatorStatus, TranscriptLine};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::rules::MAX_MESSAGE_BYTES;

/// What a participant's page (or the app, joining as a guest) sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ClientMessage {
    /// The first message: who is joining. `resume` (from an earlier `welcome`) rejoins as the
    /// same participant after a dropped connection. `device` is a random key the browser (or
    /// app) keeps: someone the host removed stays out by it.
    Hello {
        version: u32,
        name: String,
        resume: Option<String>,
        device: String,
    },
    /// The page's answer to the room's latest `offer`.
    Answer {
        sdp: String,
    },
    /// A board edit made on the board as it was at revision `seen`; `request` is echoed back.
    Edit {
        request: u32,
        #[specta(type = u32)]
        seen: u64,
        edit: Edit,
    },
    /// The participant muted or unmuted their microphone.
    Mute {
        muted: bool,
    },
    /// The page missed a board change (a revision gap): the room answers with the whole
    /// `board`, and the changes after it follow as usual.
    GetBoard,
    Leave,
}

/// Someone in the room, as every page and the host's window show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    pub id: String,
    pub name: String,
    /// The person running the room from the desktop app.
    pub host: bool,
    /// Muted by themselves.
    pub muted: bool,
    /// Taken out of the mix by the host.
    pub muted_by_host: bool,
    pub connection: Connection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum Connection {
    /// Joined; audio is being set up.
    Joining,
    /// Audio flows.
    Connected,
    /// The connection dropped; they may come back.
    Reconnecting,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantLevel {
    pub id: String,
    pub level: Level,
}

/// What the room sends to a page (or the app, joined as a guest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ServerMessage {
    /// The answer to `hello`: who you are in this room and everything to show.
    Welcome {
        version: u32,
        participant_id: String,
        /// Send it back in `hello.resume` to rejoin as yourself after a dropped connection.
        resume: String,
        board: Board,
        participants: Vec<Participant>,
        voice: OperatorStatus,
        transcript: Vec<TranscriptLine>,
        /// The `iceServers` for the page's `RTCPeerConnection`: STUN, and TURN with
        /// credentials minted for this participant.
        ice_servers: Vec<IceServer>,
    },
    /// The host lets people in one by one: wait until they admit you (`welcome`) or not
    /// (`error` with code `declined`).
    Waiting {},
    /// A WebRTC offer (the room always offers); answer with `answer`.
    Offer {
        sdp: String,
    },
    /// Everyone in the room, whenever someone joins, leaves or changes state.
    Participants {
        participants: Vec<Participant>,
    },
    /// Speaking levels, ten times a second.
    Levels {
        levels: Vec<ParticipantLevel>,
    },
    /// A change to the board by anyone.
    BoardChanged {
        change: Change,
    },
    /// Your edit `request` was applied as `change`.
    Edited {
        request: u32,
        change: Change,
    },
    /// Your edit `request` was not applied. It carries no board: the changes that made the
    /// edit stale reach the page as `boardChanged` on this same connection, so a refusal
    /// stays small however large the board and its activity log are.
    Refused {
        request: u32,
        message: String,
    },
    /// The whole board, when the page may have missed changes.
    Board {
        board: Board,
    },
    Voice {
        status: OperatorStatus,
    },
    Transcript {
        line: TranscriptLine,
    },
    /// Something the page sent was refused; the connection stays open unless it says otherwise.
    Error {
        code: ErrorCode,
        message: String,
    },
    /// The room is closing this connection (removed by the host, room ended, replaced by a rejoin).
    Goodbye {
        reason: String,
    },
    /// Fresh TURN credentials before the ones from `welcome` (or the last of these) expire
    /// (they last an hour at most): the page's `RTCPeerConnection` takes them with
    /// `setConfiguration`, for its next gathering or rebuild. Only people in the room get them.
    IceServers {
        ice_servers: Vec<IceServer>,
    },
}

/// One entry of a page's `RTCPeerConnection` `iceServers`: STUN, or TURN with credentials
/// minted for that participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[specta(optional)]
    pub credential: Option<String>,
}

impl From<IceServer> for webrtc::ice_transport::ice_server::RTCIceServer {
    fn from(server: IceServer) -> Self {
        webrtc::ice_transport::ice_server::RTCIceServer {
            urls: server.urls,
            username: server.username.unwrap_or_default(),
            credential: server.credential.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// Not JSON, not a known message, or fields of the wrong type.
    Invalid,
    TooLarge,
    UnsupportedVersion,
    /// `hello` has to come first, once.
    NotJoined,
    AlreadyJoined,
    BadName,
    RoomFull,
    /// The host removed this participant (or this browser) from the room.
    Removed,
    /// The host locked the room: nobody new can join.
    Locked,
    /// The host did not let this person in.
    Declined,
    /// Answers or mute changes faster than the room allows: this one was ignored.
    TooFast,
    /// Too much bad input: the connection is closed.
    TooManyErrors,
}

impl ErrorCode {
    /// Every code, for the page's copy of the rules.
    pub const ALL: [ErrorCode; 12] = [
        ErrorCode::Invalid,
        ErrorCode::TooLarge,
        ErrorCode::UnsupportedVersion,
        ErrorCode::NotJoined,
        ErrorCode::AlreadyJoined,
        ErrorCode::BadName,
        ErrorCode::RoomFull,
        ErrorCode::Removed,
        ErrorCode::Locked,
        ErrorCode::Declined,
        ErrorCode::TooFast,
        ErrorCode::TooManyErrors,
    ];

    /// Whether the room closes the connection after this error: the other end must not come
    /// back with the same hello.
    pub fn is_final(self) -> bool {
        match self {
            ErrorCode::UnsupportedVersion
            | ErrorCode::BadName
            | ErrorCode::RoomFull
            | ErrorCode::Removed
            | ErrorCode::Locked
            | ErrorCode::Declined
            | ErrorCode::TooManyErrors => true,
            ErrorCode::Invalid
            | ErrorCode::TooLarge
            | ErrorCode::NotJoined
            | ErrorCode::AlreadyJoined
            | ErrorCode::TooFast => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the message is {0} bytes; the limit is {MAX_MESSAGE_BYTES}")]
    TooLarge(usize),
    #[error("not a valid message: {0}")]
    Invalid(String),
}

impl ProtocolError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtocolError::TooLarge(_) => ErrorCode::TooLarge,
            ProtocolError::Invalid(_) => ErrorCode::Invalid,
        }
    }
}

impl ClientMessage {
    /// Parses one text message from a page, size first.
    pub fn parse(text: &str) -> Result<ClientMessage, ProtocolError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(ProtocolError::TooLarge(text.len()));
        }
        serde_json::from_str(text).map_err(|err| ProtocolError::Invalid(shorten(&err.to_string())))
    }
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error { code, message: message.into() }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server messages serialise")
    }
}

/// serde's messages quote the input; keep them short.
fn shorten(message: &str) -> String {
    const MAX: usize = 200;
    match message.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::Status;

    #[test]
    fn client_messages_parse_from_their_documented_json() {
        let hello =
            ClientMessage::parse(r#"{"type":"hello","version":2,"name":"Ana","device":"0123456789abcdef"}"#).unwrap();
        let expected =
            ClientMessage::Hello { version: 2, name: "Ana".into(), resume: None, device: "0123456789abcdef".into() };
        assert_eq!(hello, expected);
        let edit = ClientMessage::parse(
            r#"{"type":"edit","request":7,"seen":3,"edit":{"type":"move","cardId":"card-001","status":"Done","position":null}}"#,
        )
        .unwrap();
        let expected = Edit::Move { card_id: "card-001".into(), status: Status::Done, position: None };
        assert_eq!(edit, ClientMessage::Edit { request: 7, seen: 3, edit: expected });
        assert_eq!(ClientMessage::parse(r#"{"type":"leave"}"#).unwrap(), ClientMessage::Leave);
        assert_eq!(ClientMessage::parse(r#"{"type":"getBoard"}"#).unwrap(), ClientMessage::GetBoard);
    }

    #[test]
    fn bad_messages_are_refused_with_a_reason() {
        for garbage in ["", "nonsense", "[]", r#"{"type":"shout"}"#, r#"{"type":"mute","muted":"yes"}"#, "\u{0}\u{1}"] {
            let err = ClientMessage::parse(garbage).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Invalid, "{garbage:?}");
        }
        let big = format!(r#"{{"type":"hello","version":1,"name":"{}"}}"#, "a".repeat(MAX_MESSAGE_BYTES));
        assert_eq!(ClientMessage::parse(&big), Err(ProtocolError::TooLarge(big.len())));
        let long_error = ClientMessage::parse(&format!(r#"{{"type":"{}"}}"#, "x".repeat(5000))).unwrap_err();
        assert!(long_error.to_string().len() < 300);
    }

    #[test]
    fn every_error_code_is_listed_once() {
        // Adding a code without listing it fails to compile here (the match has no wildcard).
        let position = |code: ErrorCode| match code {
            ErrorCode::Invalid => 0,
            ErrorCode::TooLarge => 1,
            ErrorCode::UnsupportedVersion => 2,
            ErrorCode::NotJoined => 3,
            ErrorCode::AlreadyJoined => 4,
            ErrorCode::BadName => 5,
            ErrorCode::RoomFull => 6,
            ErrorCode::Removed => 7,
            ErrorCode::Locked => 8,
            ErrorCode::Declined => 9,
            ErrorCode::TooFast => 10,
            ErrorCode::TooManyErrors => 11,
        };
        for (index, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(position(code), index, "{code:?}");
        }
    }

    #[test]
    fn server_messages_are_tagged_camel_case_json() {
        let json = ServerMessage::error(ErrorCode::RoomFull, "The room is full").to_json();
        assert_eq!(json, r#"{"type":"error","code":"roomFull","message":"The room is full"}"#);
        assert_eq!(ServerMessage::Waiting {}.to_json(), r#"{"type":"waiting"}"#);
        let renewed = ServerMessage::IceServers {
            ice_servers: vec![IceServer {
                urls: vec!["turn:t.example".into()],
                username: Some("1700003600:p1".into()),
                credential: Some("c".into()),
            }],
        };
        assert_eq!(
            renewed.to_json(),
            r#"{"type":"iceServers","iceServers":[{"urls":["turn:t.example"],"username":"1700003600:p1","credential":"c"}]}"#
        );
    }
}
