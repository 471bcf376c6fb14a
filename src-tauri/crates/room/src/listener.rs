//! The room's door: it accepts TCP connections and gives each a place within the caps
//! (overall and per source address, see `gate`), does its TLS handshake if the room has TLS
//! (with a short deadline and a per-address share of the handshake places, so silent
//! connections from one address cannot starve the others; an ACME authority's validation
//! connections are answered here), then serves HTTP/1.1 on it with hyper until the room
//! stops. A connection past a cap is told why with a 503 while that is cheap, else closed.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::LazyConfigAcceptor;

use crate::gate::{Gate, Limits, Pass, Refusal};
use crate::server;

/// A client has this long to send a request's headers, counted from when its connection is
/// ready or its previous response was sent; so it is also how long a keep-alive connection
/// may sit idle. Browsers send at once and open a new connection when an idle one was
/// closed; a client that trickles its headers (slowloris) holds its place no longer.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A client has this long to finish its TLS handshake: a browser needs one or two round
/// trips, well under a second even on a poor mobile network.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections one source address may hold: a few people behind one NAT, each with the
/// page's connections and a WebSocket.
pub const PER_ADDRESS: usize = 64;
/// TLS handshakes under way at once, and from one address.
const HANDSHAKES: Limits = Limits { total: 128, per_address: Some(16) };
/// Refusals being answered at once, and to one address; past these a refused connection is
/// just closed.
const REFUSALS: Limits = Limits { total: 16, per_address: Some(2) };
/// How long answering a refusal may take, handshake included.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(3);

/// Which TLS configuration answers a connection.
#[derive(Clone)]
pub enum Handshake {
    Serve(Arc<ServerConfig>),
    /// Also answer TLS-ALPN-01 validation connections with `challenge`.
    WithAcmeChallenge {
        serve: Arc<ServerConfig>,
        challenge: Arc<ServerConfig>,
    },
}

impl Handshake {
    /// The connection ready for HTTP, or `None` for a validation connection that was answered.
    async fn run(&self, stream: TcpStream) -> std::io::Result<Option<tokio_rustls::server::TlsStream<TcpStream>>> {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
        let serve = match self {
            Handshake::Serve(serve) => serve,
            Handshake::WithAcmeChallenge { serve, challenge } => {
                if rustls_acme::is_tls_alpn_challenge(&start.client_hello()) {
                    log::info!("answering the ACME authority's validation");
                    let mut validation = start.into_stream(Arc::clone(challenge)).await?;
                    validation.shutdown().await?;
                    return Ok(None);
                }
                serve
            }
        };
        start.into_stream(Arc::clone(serve)).await.map(Some)
    }
}

/// The places a room whose WebSocket cap is `websockets` needs at least: every WebSocket,
/// one address's share of page loads, and the refusals.
pub fn places_needed(websockets: usize) -> usize {
    websockets + PER_ADDRESS + REFUSALS.total
}

/// Who connects to the room's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// Browsers (and the app), each from its own address.
    Direct,
    /// Only the reverse proxy in front, for everyone: it may take every place.
    Proxy,
}

/// Serves `app` on `tcp` (over TLS with `tls`) with at most `places` connections open,
/// refusals included, until `stopped`; then waits for the HTTP requests under way.
pub fn serve(
    tcp: TcpListener,
    tls: Option<Handshake>,
    places: usize,
    callers: Callers,
    app: Router,
    stopped: oneshot::Receiver<()>,
) -> JoinHandle<()> {
    let per_address = match callers {
        Callers::Direct => Some(PER_ADDRESS),
        Callers::Proxy => None,
    };
    let connections = Limits { total: places.saturating_sub(REFUSALS.total), per_address };
    let door = Arc::new(Door {
        tls,
        connections: Gate::new(connections),
        handshakes: Gate::new(HANDSHAKES),
        refusals: Gate::new(REFUSALS),
        app,
    });
    tokio::spawn(async move {
        // Each HTTP connection holds a receiver; the sender sees them all gone when they end.
        let (stop, stopping) = watch::channel(());
        tokio::select! {
            () = accept(tcp, door, stopping) => {}
            _ = stopped => {}
        }
        stop.send_replace(());
        stop.closed().await;
    })
}

struct Door {
    tls: Option<Handshake>,
    connections: Gate,
    handshakes: Gate,
    refusals: Gate,
    app: Router,
}

async fn accept(tcp: TcpListener, door: Arc<Door>, stopping: watch::Receiver<()>) {
    loop {
        let (stream, peer) = match tcp.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait a moment rather than spin.
                log::warn!("the room could not accept a connection: {err}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        match door.connections.enter(peer.ip()) {
            Ok(pass) => {
                tokio::spawn(Arc::clone(&door).welcome(stream, peer, pass, stopping.clone()));
            }
            Err(refusal) => match door.refusals.enter(peer.ip()) {
                Ok(place) => {
                    tokio::spawn(Arc::clone(&door).refuse(stream, refusal, place));
                }
                Err(_) => log::debug!("closed a connection from {peer}: {refusal}"),
            },
        }
    }
}

impl Door {
    /// Serves one connection that got its place, until it closes or the room stops.
    async fn welcome(self: Arc<Self>, stream: TcpStream, peer: SocketAddr, pass: Pass, mut stop: watch::Receiver<()>) {
        let Some(handshake) = &self.tls else {
            return http(Counted { io: stream, _pass: pass }, self.app.clone(), Some(stop)).await;
        };
        let Ok(place) = self.handshakes.enter(peer.ip()) else {
            return log::debug!("too many TLS handshakes under way from {peer}; closed its connection");
        };
        let tls = tokio::select! {
            done = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake.run(stream)) => match done {
                Ok(Ok(Some(tls))) => tls,
                Ok(Ok(None)) => return,
                // Browsers that do not trust the certificate end here, before the person clicks through.
                Ok(Err(err)) => return log::debug!("TLS handshake with {peer} failed: {err}"),
                Err(_) => return log::debug!("TLS handshake with {peer} took over {} s", HANDSHAKE_TIMEOUT.as_secs()),
            },
            _ = stop.changed() => return,
        };
        drop(place);
        http(Counted { io: tls, _pass: pass }, self.app.clone(), Some(stop)).await;
    }

    /// Tells a connection past a cap why it is turned away (a 503), then closes it.
    async fn refuse(self: Arc<Self>, stream: TcpStream, refusal: Refusal, _place: Pass) {
        log::debug!("refused a connection: {refusal}");
        let answer = async {
            let app = server::refusing(refusal);
            match &self.tls {
                None => http(stream, app, None).await,
                Some(handshake) => {
                    if let Ok(Some(tls)) = handshake.run(stream).await {
                        http(tls, app, None).await;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(REFUSAL_DEADLINE, answer).await;
    }
}

/// Serves HTTP/1.1 (and WebSocket upgrades) on one connection until it closes; once `stop`
/// says so, the request under way is finished and the connection closed.
async fn http<IO>(io: IO, app: Router, stop: Option<watch::Receiver<()>>)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(app)).with_upgrades();
    let stopping = async move {
        match stop {
            Some(mut stop) => drop(stop.changed().await),
            None => std::future::pending().await,
        }
    };
    tokio::pin!(connection, stopping);
    let mut stopped = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(err) = served {
                    log::debug!("an HTTP connection ended: {err}");
                }
                return;
            }
            () = &mut stopping, if !stopped => {
                stopped = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A connection that holds its place at the door for as long as it is open, also after it
/// has become a WebSocket.
struct Counted<IO> {
    io: IO,
    _pass: Pass,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Counted<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Counted<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
