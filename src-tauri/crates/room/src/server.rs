//! The room's HTTP server: the participant page at the invite link, its assets, and the
//! WebSocket behind it. The token is checked before anything else is done for a request,
//! and the WebSocket opens only for the room's own page (or a client that is no web page).
//! Every response says what the page may load and that no other site may frame it.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use board::BoardHandle;
use tokio::sync::Semaphore;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets;
use crate::connection;
use crate::gate::Refusal;
use crate::hub::HubHandle;
use crate::origin;
use crate::token::{Offered, RoomTokens};

/// A frame bigger than this closes the connection outright; below it, the protocol's own
/// 64 KB limit answers with an error and keeps the connection.
const HARD_FRAME_LIMIT: usize = 1024 * 1024;

/// What the participant page may load: its own scripts and styles only, no plugins, no
/// framing by another site (clickjacking). The page's WebSocket goes to the room itself;
/// `ws:`/`wss:` are named because Safari before 16 does not count them as `'self'` (which
/// site may open the WebSocket is checked by the room, see `origin`). Audio plays from
/// MediaStreams, which need no source.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Clone)]
pub struct ServerState {
    pub token: Arc<RoomTokens>,
    pub hub: HubHandle,
    pub board: BoardHandle,
    /// One permit per open WebSocket; when none is left, a new one is turned away.
    pub connections: Arc<Semaphore>,
    /// The `host[:port]` of a proxied room's public address, whose page may open the WebSocket
    /// whatever `Host` the proxy passes on.
    pub public: Option<String>,
}

/// How many WebSockets a room with `cap` participants accepts at once: everyone, each
/// with a second tab or a reconnect under way, and a few being turned away.
pub fn connection_limit(cap: usize) -> usize {
    2 * cap + 8
}

pub fn router(state: ServerState) -> Router {
    let router = Router::new()
        .route("/r/{token}", get(page))
        .route("/r/{token}/ws", get(socket))
        .route("/assets/{*file}", get(asset))
        .fallback(|| async { (StatusCode::NOT_FOUND, "Nothing here. Ask the host for the room's invite link.") })
        .with_state(state);
    secured(router)
}

/// What a connection past one of the door's caps gets, whatever it asks: 503 and why.
pub fn refusing(refusal: Refusal) -> Router {
    let answer = move || async move {
        (StatusCode::SERVICE_UNAVAILABLE, [(header::CONNECTION, "close")], refusal.to_string()).into_response()
    };
    secured(Router::new().fallback(answer))
}

fn secured(router: Router) -> Router {
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

async fn page(State(state): State<ServerState>, Path(token): Path<String>) -> Response {
    match state.token.check(&token) {
        Offered::Valid => {}
        Offered::Replaced => return replaced_link(),
        Offered::Invalid => return invalid_link(),
    }
    match assets::get(assets::PAGE) {
        Some((body, mime)) => {
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, header_value(&mime));
            // The token is in the address: keep it out of caches and other sites' logs.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            response
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "The participant page was not built: run `npm run ui:build`.")
            .into_response(),
    }
}

async fn socket(
    State(state): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    match state.token.check(&token) {
        Offered::Valid => {}
        Offered::Replaced => return replaced_link(),
        Offered::Invalid => {
            log::warn!("refused a connection with a wrong room token");
            return (StatusCode::FORBIDDEN, "This invite link is not valid.").into_response();
        }
    }
    // An Origin that is not text counts as one of no site, as "null" does.
    let from = headers.get(header::ORIGIN).map(|value| value.to_str().unwrap_or("null"));
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok());
    if !origin::allowed(from, host, state.public.as_deref()) {
        log::warn!("refused a connection from a page of another site ({from:?})");
        let body = "This connection comes from a page of another site; open the invite link itself to join the room.";
        return (StatusCode::FORBIDDEN, body).into_response();
    }
    let Ok(permit) = Arc::clone(&state.connections).try_acquire_owned() else {
        log::warn!("refused a connection: the room has too many open");
        let body = "This room has too many connections open right now; try again in a moment.";
        return (StatusCode::SERVICE_UNAVAILABLE, body).into_response();
    };
    upgrade.max_message_size(HARD_FRAME_LIMIT).max_frame_size(HARD_FRAME_LIMIT).on_upgrade(move |socket| async move {
        connection::serve(socket, state.hub, state.board).await;
        drop(permit);
    })
}

async fn asset(Path(file): Path<String>) -> Response {
    match assets::get(&format!("assets/{file}")) {
        Some((body, mime)) => ([(header::CONTENT_TYPE, header_value(&mime))], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn invalid_link() -> Response {
    let body = "This invite link is not valid: the room may have ended. Ask the host for a new link.";
    (StatusCode::NOT_FOUND, body).into_response()
}

/// A link the host replaced with a new one: 410, and what to do.
fn replaced_link() -> Response {
    let body = "This invite link was replaced by a new one. Ask the host for the new link.";
    (StatusCode::GONE, body).into_response()
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}
