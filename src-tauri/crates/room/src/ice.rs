//! How the room's audio finds its way across NATs and firewalls: the STUN and TURN servers
//! (given by the host, used by the room's own peers and sent to every page), TURN
//! credentials minted per participant from a coturn shared secret (the TURN REST API:
//! username `expiry:participant`, credential base64(HMAC-SHA1(secret, username)); an hour at
//! most, renewed for the people in the room, so a removed person's run out soon), the
//! public address of a server behind a 1:1 NAT, and the UDP port range. Plain Rust but for
//! [`probe`], which asks a server whether it answers.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use base64::Engine;
use room_protocol::IceServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use webrtc::ice_transport::ice_server::RTCIceServer;

/// How long minted TURN credentials stay valid, at most (and unless set otherwise). They
/// cannot be revoked: someone removed keeps theirs until they expire.
pub const TURN_CREDENTIAL_TTL: Duration = Duration::from_secs(3600);
/// A server that has not answered a STUN binding request by then counts as not answering.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IceError {
    #[error(
        "{0:?} is not a STUN or TURN address: write stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT]"
    )]
    BadUrl(String),
    #[error("TURN servers need the shared secret they were set up with (coturn's static-auth-secret)")]
    TurnNeedsSecret,
    #[error("{0:?} is not a UDP port range: write FIRST-LAST, e.g. 40000-40100")]
    BadPortRange(String),
    #[error("TURN credentials must last between 1 s and 1 h, not {0:?}")]
    TurnCredentialTtl(Duration),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Stun,
    Turn,
    /// TURN over TLS.
    Turns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

/// A checked `stun:`, `turn:` or `turns:` URL (RFC 7064 and 7065).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceUrl {
    url: String,
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    pub transport: Transport,
}

impl IceUrl {
    pub fn parse(text: &str) -> Result<IceUrl, IceError> {
        let bad = || IceError::BadUrl(text.to_owned());
        let text = text.trim();
        let (scheme, rest) = text.split_once(':').ok_or_else(bad)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "stun" => Scheme::Stun,
            "turn" => Scheme::Turn,
            "turns" => Scheme::Turns,
            _ => return Err(bad()),
        };
        let (address, query) = match rest.split_once('?') {
            Some((address, query)) => (address, Some(query)),
            None => (rest, None),
        };
        let mut transport = if scheme == Scheme::Turns { Transport::Tls } else { Transport::Udp };
        if let Some(query) = query {
            transport = match (scheme, query.to_ascii_lowercase().as_str()) {
                (Scheme::Turn, "transport=udp") => Transport::Udp,
                (Scheme::Turn, "transport=tcp") => Transport::Tcp,
                (Scheme::Turns, "transport=tcp") => Transport::Tls,
                _ => return Err(bad()),
            };
        }
        let (host, port) = split_host_port(address).ok_or_else(bad)?;
        let port = port.unwrap_or(if scheme == Scheme::Turns { 5349 } else { 3478 });
        Ok(IceUrl { url: text.to_owned(), scheme, host, port, transport })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    fn is_turn(&self) -> bool {
        self.scheme != Scheme::Stun
    }
}

impl std::fmt::Display for IceUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

fn split_host_port(address: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(inner) = address.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match address.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    let valid_host = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok().filter(|&p| p > 0)?),
        None => None,
    };
    valid_host.then(|| (host.to_owned(), port))
}

/// A coturn shared secret; never shown in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnSecret(String);

impl TurnSecret {
    pub fn new(secret: impl Into<String>) -> Option<TurnSecret> {
        let secret = secret.into();
        (!secret.trim().is_empty()).then_some(TurnSecret(secret))
    }
}

impl std::fmt::Debug for TurnSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TurnSecret(…)")
    }
}

/// The room's network settings for audio and video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceConfig {
    pub servers: Vec<IceUrl>,
    pub turn_secret: Option<TurnSecret>,
    /// How long the TURN credentials the room mints last: [`TURN_CREDENTIAL_TTL`] at most.
    pub turn_credential_ttl: Duration,
    /// The address others reach this machine at, for a server behind a 1:1 NAT.
    pub public_ip: Option<IpAddr>,
    /// The UDP ports the room's peers use, inclusive.
    pub udp_ports: Option<(u16, u16)>,
}

impl Default for IceConfig {
    fn default() -> Self {
        IceConfig {
            servers: Vec::new(),
            turn_secret: None,
            turn_credential_ttl: TURN_CREDENTIAL_TTL,
            public_ip: None,
            udp_ports: None,
        }
    }
}

impl IceConfig {
    /// Checks that every TURN server can be given credentials, short-lived ones.
    pub fn validate(&self) -> Result<(), IceError> {
        if self.turn_secret.is_none() && self.servers.iter().any(IceUrl::is_turn) {
            return Err(IceError::TurnNeedsSecret);
        }
        let ttl = self.turn_credential_ttl;
        if ttl < Duration::from_secs(1) || ttl > TURN_CREDENTIAL_TTL {
            return Err(IceError::TurnCredentialTtl(ttl));
        }
        Ok(())
    }

    /// How often the people in the room get fresh TURN credentials: at half their lifetime,
    /// so theirs never run out. `None` when there are no TURN servers.
    pub fn turn_renewal(&self) -> Option<Duration> {
        let turn = self.turn_secret.is_some() && self.servers.iter().any(IceUrl::is_turn);
        turn.then(|| self.turn_credential_ttl / 2)
    }

    /// The servers for one participant's page, with TURN credentials of their own.
    pub fn servers_for(&self, participant: &str, now: SystemTime) -> Vec<IceServer> {
        let mut servers = Vec::new();
        let urls = |turn: bool| -> Vec<String> {
            self.servers.iter().filter(|url| url.is_turn() == turn).map(|url| url.as_str().to_owned()).collect()
        };
        let stun = urls(false);
        if !stun.is_empty() {
            servers.push(IceServer { urls: stun, username: None, credential: None });
        }
        let turn = urls(true);
        if let (false, Some(secret)) = (turn.is_empty(), &self.turn_secret) {
            let (username, credential) = turn_credentials(secret, participant, now, self.turn_credential_ttl);
            servers.push(IceServer { urls: turn, username: Some(username), credential: Some(credential) });
        }
        servers
    }

    /// The same servers for the room's own peers.
    pub fn peer_network(&self, now: SystemTime) -> meeting::PeerNetwork {
        let ice_servers = self.servers_for("room", now).into_iter().map(RTCIceServer::from).collect();
        meeting::PeerNetwork {
            // Pages on this same computer (and the tests) reach the room over loopback.
            include_loopback: true,
            ice_servers,
            public_ip: self.public_ip,
            udp_ports: self.udp_ports,
            relay_only: false,
        }
    }
}

/// TURN REST API credentials for `user`, valid for `ttl` from `now`.
pub fn turn_credentials(secret: &TurnSecret, user: &str, now: SystemTime, ttl: Duration) -> (String, String) {
    let expiry = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default() + ttl;
    let username = format!("{}:{user}", expiry.as_secs());
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.0.as_bytes());
    let tag = ring::hmac::sign(&key, username.as_bytes());
    (username, base64::engine::general_purpose::STANDARD.encode(tag.as_ref()))
}

/// Parses `FIRST-LAST` (inclusive UDP ports).
pub fn parse_port_range(text: &str) -> Result<(u16, u16), IceError> {
    let bad = || IceError::BadPortRange(text.to_owned());
    let (first, last) = text.trim().split_once('-').ok_or_else(bad)?;
    let first: u16 = first.trim().parse().map_err(|_| bad())?;
    let last: u16 = last.trim().parse().map_err(|_| bad())?;
    if first == 0 || last < first {
        return Err(bad());
    }
    Ok((first, last))
}

/// Asks `url` for a STUN binding (over UDP, or TCP for `?transport=tcp`; for TURN over TLS,
/// whether the port takes connections). Any answer counts: the server is there.
pub async fn probe(url: &IceUrl) -> Result<(), String> {
    let target = format!("{}:{}", url.host, url.port);
    let attempt = async {
        let address = tokio::net::lookup_host(&target)
            .await
            .map_err(|err| format!("cannot resolve {}: {err}", url.host))?
            .next()
            .ok_or_else(|| format!("{} has no address", url.host))?;
        let request = binding_request();
        match url.transport {
            Transport::Udp => {
                let local = if address.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let socket = tokio::net::UdpSocket::bind(local).await.map_err(|err| err.to_string())?;
                socket.connect(address).await.map_err(|err| err.to_string())?;
                let mut answer = [0u8; 1500];
                // Two tries, as a datagram may be lost.
                for wait in [PROBE_TIMEOUT / 4, PROBE_TIMEOUT] {
                    socket.send(&request).await.map_err(|err| err.to_string())?;
                    if let Ok(Ok(n)) = tokio::time::timeout(wait, socket.recv(&mut answer)).await {
                        if n >= 20 && answer[8..20] == request[8..20] {
                            return Ok(());
                        }
                    }
                }
                Err("no answer".to_owned())
            }
            Transport::Tcp => {
                let mut stream = tokio::net::TcpStream::connect(address).await.map_err(|err| err.to_string())?;
                stream.write_all(&request).await.map_err(|err| err.to_string())?;
                let mut header = [0u8; 20];
                stream.read_exact(&mut header).await.map_err(|err| err.to_string())?;
                Ok(())
            }
            Transport::Tls => tokio::net::TcpStream::connect(address).await.map(drop).map_err(|err| err.to_string()),
        }
    };
    match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

/// A STUN Binding request (RFC 5389): type, length 0, magic cookie, random transaction id.
fn binding_request() -> [u8; 20] {
    let mut message = [0u8; 20];
    message[..2].copy_from_slice(&0x0001u16.to_be_bytes());
    message[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes());
    rand::Rng::fill(&mut rand::rng(), &mut message[8..]);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_defaults_filled_in() {
        let stun = IceUrl::parse("stun:stun.example.com").unwrap();
        assert_eq!((stun.scheme, stun.port, stun.transport), (Scheme::Stun, 3478, Transport::Udp));
        let turn = IceUrl::parse("turn:10.201.0.10:3478?transport=tcp").unwrap();
        assert_eq!((turn.host.as_str(), turn.port, turn.transport), ("10.201.0.10", 3478, Transport::Tcp));
        let turns = IceUrl::parse("turns:[2001:db8::1]").unwrap();
        assert_eq!((turns.host.as_str(), turns.port, turns.transport), ("2001:db8::1", 5349, Transport::Tls));
        for bad in ["", "http://x", "stun:", "turn:host:0", "turn:host:99999", "turn:host?transport=sctp", "stun:a b"] {
            assert!(matches!(IceUrl::parse(bad), Err(IceError::BadUrl(_))), "{bad:?}");
        }
    }

    #[test]
    fn turn_credentials_follow_the_turn_rest_api() {
        // The credential coturn computes for this secret and username.
        let secret = TurnSecret::new("north").unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let (username, credential) = turn_credentials(&secret, "p1", now, TURN_CREDENTIAL_TTL);
        assert_eq!(username, "1700003600:p1", "an hour");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, b"north");
        ring::hmac::verify(
            &key,
            username.as_bytes(),
            &base64::engine::general_purpose::STANDARD.decode(&credential).unwrap(),
        )
        .unwrap();
        assert_eq!(credential.len(), 28, "base64 of a 20-byte SHA-1 tag");
    }

    #[test]
    fn pages_get_stun_as_is_and_turn_with_their_own_credentials_never_the_secret() {
        let config = IceConfig {
            servers: vec![
                IceUrl::parse("stun:s.example").unwrap(),
                IceUrl::parse("turn:t.example?transport=tcp").unwrap(),
            ],
            turn_secret: TurnSecret::new("north"),
            ..IceConfig::default()
        };
        config.validate().unwrap();
        let now = SystemTime::now();
        let servers = config.servers_for("p7", now);
        assert_eq!(servers[0], IceServer { urls: vec!["stun:s.example".into()], username: None, credential: None });
        assert!(servers[1].username.as_deref().unwrap().ends_with(":p7"));
        let json = serde_json::to_string(&servers).unwrap();
        assert!(!json.contains("north") && !json.contains("null"), "{json}");
        assert!(!format!("{config:?}").contains("north"));
        let without = IceConfig { turn_secret: None, ..config };
        assert_eq!(without.validate(), Err(IceError::TurnNeedsSecret));
    }

    #[test]
    fn turn_credentials_last_an_hour_at_most_and_are_renewed_at_half_their_life() {
        let turn = IceConfig {
            servers: vec![IceUrl::parse("turn:t.example").unwrap()],
            turn_secret: TurnSecret::new("north"),
            ..IceConfig::default()
        };
        assert_eq!(turn.validate(), Ok(()));
        assert_eq!(turn.turn_renewal(), Some(Duration::from_secs(1800)));
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(turn.servers_for("p2", now)[0].username.as_deref(), Some("1700003600:p2"));
        for ttl in [Duration::ZERO, Duration::from_secs(3601), Duration::from_secs(24 * 3600)] {
            let config = IceConfig { turn_credential_ttl: ttl, ..turn.clone() };
            assert_eq!(config.validate(), Err(IceError::TurnCredentialTtl(ttl)), "{ttl:?}");
        }
        let stun_only = IceConfig { servers: vec![IceUrl::parse("stun:s.example").unwrap()], ..IceConfig::default() };
        assert_eq!(stun_only.turn_renewal(), None, "nothing to renew");
    }

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("40000-40100"), Ok((40000, 40100)));
        for bad in ["40000", "b-c", "5-4", "0-10", "1-70000"] {
            assert!(parse_port_range(bad).is_err(), "{bad}");
        }
    }
}
