//! The room's HTTPS listener: it accepts TCP connections, does each TLS handshake in a task
//! of its own with a deadline (so a slow or silent client holds up nobody), answers an ACME
//! authority's validation connections, and hands finished connections to the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::LazyConfigAcceptor;

/// A client has this long to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes under way at once; a connection past this is closed at once, so a flood of
/// half-open connections cannot use up the host.
const MAX_HANDSHAKES: usize = 128;
/// Finished handshakes waiting for the HTTP server to take them; when full, a finished
/// handshake waits (holding its place among the handshakes above).
const READY_QUEUE: usize = 32;

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
    async fn run(&self, stream: TcpStream) -> std::io::Result<Option<TlsStream<TcpStream>>> {
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

pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, handshake: Handshake) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (to_server, ready) = mpsc::channel(READY_QUEUE);
        let accepting = tokio::spawn(accept(tcp, handshake, to_server));
        Ok(TlsListener { ready, local, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

async fn accept(tcp: TcpListener, handshake: Handshake, to_server: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>) {
    let places = Arc::new(Semaphore::new(MAX_HANDSHAKES));
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
        let Ok(place) = Arc::clone(&places).try_acquire_owned() else {
            log::warn!("too many TLS handshakes under way; closed a connection from {peer}");
            continue;
        };
        let (handshake, to_server) = (handshake.clone(), to_server.clone());
        tokio::spawn(async move {
            let _place = place;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake.run(stream)).await {
                Ok(Ok(Some(tls))) => {
                    let _ = to_server.send((tls, peer)).await;
                }
                Ok(Ok(None)) => {}
                // Browsers that do not trust the certificate end here, before the person clicks through.
                Ok(Err(err)) => log::debug!("TLS handshake with {peer} failed: {err}"),
                Err(_) => log::debug!("TLS handshake with {peer} took over {} s", HANDSHAKE_TIMEOUT.as_secs()),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
