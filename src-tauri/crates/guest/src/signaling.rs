//! The room's signaling socket, from the app's side: TCP, TLS as [`RoomTls`] trusts the room
//! (or plain on this computer), and the WebSocket upgrade, each failure said in words a person
//! can act on; then typed messages both ways (the room's own protocol types).

use futures_util::{SinkExt, StreamExt};
use room_protocol::{ClientMessage, ServerMessage, MAX_ROOM_MESSAGE_BYTES};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use crate::invite::Invite;
use crate::tls::RoomTls;

/// How long connecting (TCP, TLS and the upgrade together) may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("the room at {address} could not be reached ({why}); it may have ended, or this computer cannot reach that network")]
    Unreachable { address: String, why: String },
    #[error(
        "the room's certificate is not the one the invite link names (it shows SHA-256 {seen}); check that the link is the one the host shared"
    )]
    WrongCertificate { seen: String },
    #[error("the room's certificate is not trusted ({0}); ask the host for a link with its fingerprint, or install your organisation's certificate authority")]
    Untrusted(String),
    #[error("this invite link is not valid: the room may have ended; ask the host for a new link")]
    InvalidLink,
    #[error("the room has too many connections open right now; try again in a moment")]
    Busy,
    #[error("the room did not answer as a Boardroom room ({0})")]
    NotARoom(String),
}

/// What the socket runs over: plain TCP to this computer, or TLS.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for T {}

pub struct Socket {
    inner: WebSocketStream<Box<dyn Transport>>,
}

impl Socket {
    /// Opens the room's signaling socket.
    pub async fn connect(invite: &Invite, tls: &RoomTls) -> Result<Socket, ConnectError> {
        tokio::time::timeout(CONNECT_TIMEOUT, Self::open(invite, tls)).await.unwrap_or_else(|_| {
            Err(ConnectError::Unreachable { address: address(invite), why: "no answer within 10 s".into() })
        })
    }

    async fn open(invite: &Invite, tls: &RoomTls) -> Result<Socket, ConnectError> {
        let host = invite.socket.host_str().ok_or(ConnectError::InvalidLink)?.to_owned();
        let port = invite.socket.port_or_known_default().ok_or(ConnectError::InvalidLink)?;
        let unreachable = |why: String| ConnectError::Unreachable { address: address(invite), why };
        let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|err| unreachable(err.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Transport> = if invite.socket.scheme() == "wss" {
            let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                .map_err(|_| ConnectError::InvalidLink)?;
            let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::clone(&tls.config));
            match connector.connect(name, tcp).await {
                Ok(stream) => Box::new(stream),
                Err(err) => {
                    return Err(match tls.mismatch() {
                        Some(seen) => ConnectError::WrongCertificate { seen: seen.to_colon_hex() },
                        None if err.kind() == std::io::ErrorKind::InvalidData => {
                            ConnectError::Untrusted(err.to_string())
                        }
                        None => unreachable(err.to_string()),
                    })
                }
            }
        } else {
            Box::new(tcp)
        };
        // Accepts what the room may send (a board at its caps in one welcome), and no more.
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_ROOM_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_ROOM_MESSAGE_BYTES));
        match tokio_tungstenite::client_async_with_config(invite.socket.as_str(), stream, Some(config)).await {
            Ok((inner, _)) => Ok(Socket { inner }),
            Err(tungstenite::Error::Http(response)) => Err(match response.status() {
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => ConnectError::InvalidLink,
                StatusCode::SERVICE_UNAVAILABLE => ConnectError::Busy,
                other => ConnectError::NotARoom(format!("HTTP {other}")),
            }),
            Err(err) => Err(ConnectError::NotARoom(err.to_string())),
        }
    }

    pub async fn send(&mut self, message: &ClientMessage) -> Result<(), tungstenite::Error> {
        let text = serde_json::to_string(message).expect("client messages serialise");
        self.inner.send(Message::text(text)).await
    }

    /// The room's next message; `None` when the socket has closed (or failed). Frames the
    /// room should not send (binary, or not a message of the protocol) are skipped.
    pub async fn next(&mut self) -> Option<ServerMessage> {
        loop {
            match self.inner.next().await? {
                Ok(Message::Text(text)) => match serde_json::from_str(&text) {
                    Ok(message) => return Some(message),
                    Err(err) => log::warn!("the room sent a message this app does not understand: {err}"),
                },
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.inner.close(None).await;
    }
}

fn address(invite: &Invite) -> String {
    match invite.socket.port() {
        Some(port) => format!("{}:{port}", invite.socket.host_str().unwrap_or_default()),
        None => invite.socket.host_str().unwrap_or_default().to_owned(),
    }
}
