//! The room's door as strangers try it over a real socket: connections that say nothing, or
//! trickle their headers, or idle after a response are closed after the header deadline; one
//! address past its share is told so while others still get in; the WebSocket opens only for
//! the room's own page (or a client without an Origin), also behind a reverse proxy, whose
//! one address takes as many places as it needs; every answer carries the page's security
//! headers. Loopback clients come from 127.0.0.2 and up to stand for other
//! addresses (Linux routes all of 127/8 to the loopback interface).

mod rig;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rig::{rig, rig_with, Rig};
use room::listener::{HEADER_READ_TIMEOUT, PER_ADDRESS};
use room::{Access, RoomConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

impl Rig {
    /// The WebSocket's address on the room's own port.
    fn socket_url(&self) -> String {
        format!("ws://{}{}/ws", self.address(), self.path())
    }

    fn address(&self) -> SocketAddr {
        self.room.address()
    }

    /// The invite link's path, `/r/TOKEN`.
    fn path(&self) -> String {
        let invite = self.room.invite_link();
        invite[invite.find("/r/").unwrap()..].to_owned()
    }
}

/// Another computer: loopback address 127.0.0.`n`.
fn other(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// Sends a GET for `path` that asks for the connection to stay open.
async fn request(stream: &mut TcpStream, path: &str, host: SocketAddr) {
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes()).await.unwrap();
}

/// One whole response (headers and a body of the length they give), as text.
async fn response(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = header(&text, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
                if got.len() >= end + 4 + length {
                    return text;
                }
            }
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the room closed the connection before answering: {text}");
            got.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.expect("an answer within 10 s")
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// The participant page, or its stand-in when the UI was not built before the tests.
fn is_the_page(response: &str) -> bool {
    response.starts_with("HTTP/1.1 200") || response.contains("participant page was not built")
}

async fn load_page_from(from: IpAddr, rig: &Rig) -> String {
    let mut stream = connect_from(from, rig.address()).await.unwrap();
    request(&mut stream, &rig.path(), rig.address()).await;
    response(&mut stream).await
}

/// How long the room takes to close `stream`, reading (and dropping) what it sends.
async fn closed_after(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut chunk = [0u8; 1024];
    let end = async {
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(HEADER_READ_TIMEOUT * 3, end).await.expect("the room closes the connection");
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_trickling_and_idle_connections_are_closed_after_the_header_deadline() {
    let rig = rig().await;
    let to = rig.address();
    let silent = async {
        let mut stream = connect_from(other(1), to).await.unwrap();
        closed_after(&mut stream).await
    };
    // Slowloris: a header line every second, never the blank line that ends them.
    let trickling = async {
        let mut stream = connect_from(other(1), to).await.unwrap();
        stream.write_all(format!("GET {} HTTP/1.1\r\nHost: {to}\r\n", rig.path()).as_bytes()).await.unwrap();
        let start = Instant::now();
        let mut chunk = [0u8; 1024];
        for line in 0.. {
            assert!(start.elapsed() < HEADER_READ_TIMEOUT * 3, "the room closes a trickling connection");
            tokio::select! {
                read = stream.read(&mut chunk) => if matches!(read, Ok(0) | Err(_)) { break },
                () = tokio::time::sleep(Duration::from_secs(1)) => {
                    if stream.write_all(format!("X-Slow-{line}: 1\r\n").as_bytes()).await.is_err() {
                        break;
                    }
                }
            }
        }
        start.elapsed()
    };
    let idle = async {
        let mut stream = connect_from(other(1), to).await.unwrap();
        request(&mut stream, &rig.path(), to).await;
        assert!(is_the_page(&response(&mut stream).await));
        closed_after(&mut stream).await
    };
    let (silent, trickling, idle) = tokio::join!(silent, trickling, idle);
    // Not before the deadline either: a slow client that keeps to it is served.
    let early = HEADER_READ_TIMEOUT - Duration::from_secs(1);
    for (what, after) in [("silent", silent), ("trickling", trickling), ("idle keep-alive", idle)] {
        println!("the {what} connection was closed after {:.1} s", after.as_secs_f64());
        assert!(after >= early, "the {what} connection was closed after only {after:?}");
    }
    rig.room.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_past_its_share_is_told_so_and_others_still_get_in() {
    let rig = rig().await;
    let to = rig.address();
    // WebSockets count too: a few that have not said hello yet, and idle connections.
    let mut sockets = Vec::new();
    for _ in 0..8 {
        let stream = connect_from(other(5), to).await.unwrap();
        sockets.push(tokio_tungstenite::client_async(rig.socket_url(), stream).await.unwrap().0);
    }
    let mut crowd = Vec::new();
    for _ in sockets.len()..PER_ADDRESS {
        crowd.push(connect_from(other(5), to).await.unwrap());
    }
    let mut past = connect_from(other(5), to).await.unwrap();
    request(&mut past, &rig.path(), to).await;
    let refused = response(&mut past).await;
    println!("connection {} from one address: {}", PER_ADDRESS + 1, refused.lines().next().unwrap_or_default());
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("too many connections to this room are open from your address"), "{refused}");

    let page = load_page_from(other(1), &rig).await;
    assert!(is_the_page(&page), "another address still gets the page: {page}");
    let (mut ana, _) = tokio_tungstenite::connect_async(rig.socket_url()).await.expect("and joins");
    let hello = json!({"type": "hello", "version": 2, "name": "Ana", "device": "browser-of-Ana-0123456789"});
    ana.send(Message::text(hello.to_string())).await.unwrap();
    assert_eq!(next_type(&mut ana).await, "welcome");

    drop(crowd);
    let again = async {
        loop {
            if is_the_page(&load_page_from(other(5), &rig).await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), again).await.expect("closed connections give their places back");
    drop(sockets);
    rig.room.end().await;
}

async fn next_type(
    socket: &mut tokio_tungstenite::WebSocketStream<impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>,
) -> String {
    let read = async {
        loop {
            if let Message::Text(text) = socket.next().await.expect("open").expect("ok") {
                let value: Value = serde_json::from_str(&text).unwrap();
                return value["type"].as_str().unwrap().to_owned();
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read).await.expect("a message within 10 s")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_opens_for_the_rooms_own_page_and_clients_without_an_origin_only() {
    let rig = rig().await;
    let url = rig.socket_url();
    let with_origin = |origin: &str| {
        let mut request = url.as_str().into_client_request().unwrap();
        request.headers_mut().insert("Origin", origin.parse().unwrap());
        request
    };
    for stranger in ["https://evil.example", "http://127.0.0.1:1", "null"] {
        match tokio_tungstenite::connect_async(with_origin(stranger)).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 403, "{stranger}");
                let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
                assert!(body.contains("a page of another site"), "{body}");
            }
            other => panic!("a page of {stranger} got {other:?}"),
        }
    }
    let own = format!("http://{}", rig.address());
    let hello = |name: &str| json!({"type": "hello", "version": 2, "name": name, "device": format!("browser-of-{name}-0123456789")});
    let (mut page, _) = tokio_tungstenite::connect_async(with_origin(&own)).await.expect("the room's own page");
    page.send(Message::text(hello("Ana").to_string())).await.unwrap();
    assert_eq!(next_type(&mut page).await, "welcome");
    let (mut app, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("a client without an Origin");
    app.send(Message::text(hello("Bo").to_string())).await.unwrap();
    assert_eq!(next_type(&mut app).await, "welcome");
    assert_eq!(rig.room.hub().roster().borrow().len(), 3, "the host, Ana and Bo, nobody else");
    rig.room.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_and_everything_else_carry_the_security_headers() {
    let rig = rig().await;
    let page = load_page_from(other(1), &rig).await;
    assert!(is_the_page(&page), "{page}");
    let mut stream = connect_from(other(1), rig.address()).await.unwrap();
    request(&mut stream, "/assets/nothing.js", rig.address()).await;
    let missing = response(&mut stream).await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    for answer in [&page, &missing] {
        let policy = header(answer, "content-security-policy").expect("a CSP");
        for directive in ["script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "default-src 'self'"] {
            assert!(policy.split(';').any(|d| d.trim() == directive), "{directive} in {policy}");
        }
        assert_eq!(header(answer, "x-content-type-options"), Some("nosniff"));
    }
    rig.room.end().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_reverse_proxy_its_one_address_takes_any_number_and_the_public_page_opens_the_websocket() {
    let access = Access::Proxied { public_url: "https://meet.example.com:8443".into() };
    let rig = rig_with(RoomConfig { access, ..RoomConfig::default() }).await;
    // Everyone comes through the proxy, from 127.0.0.1.
    let mut through_the_proxy = Vec::new();
    for _ in 0..PER_ADDRESS + 16 {
        through_the_proxy.push(connect_from(other(1), rig.address()).await.unwrap());
    }
    let page = load_page_from(other(1), &rig).await;
    assert!(is_the_page(&page), "{page}");
    // The page at the public address, with the Host the proxy passes on (nginx: `$host`).
    let mut request = rig.socket_url().into_client_request().unwrap();
    request.headers_mut().insert("Origin", "https://meet.example.com:8443".parse().unwrap());
    request.headers_mut().insert("Host", "meet.example.com".parse().unwrap());
    let (mut page, _) = tokio_tungstenite::connect_async(request).await.expect("the public page's WebSocket opens");
    let hello = json!({"type": "hello", "version": 2, "name": "Ana", "device": "browser-of-Ana-0123456789"});
    page.send(Message::text(hello.to_string())).await.unwrap();
    assert_eq!(next_type(&mut page).await, "welcome");
    drop(through_the_proxy);
    rig.room.end().await;
}
