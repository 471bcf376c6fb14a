//! An invite link as the app reads it: the room's page (`https://host:port/r/<token>`), the
//! WebSocket behind it, and — for a room that made its own certificate — the certificate's
//! SHA-256 fingerprint after `#fp=sha256:`, which is how the app knows it is talking to that
//! room and no other. A `boardroom://join?url=<link>` link (what the participant page's
//! "Open in the Boardroom app" and the desktop file hand over) carries one inside. Plain Rust.

use url::Url;

/// A room's certificate fingerprint: SHA-256 of its DER encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// `AB:CD:…` or `abcd…` (64 hex digits, colons optional).
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Fingerprint(bytes))
    }

    /// As rooms and browsers show it: `AB:CD:…`.
    pub fn to_colon_hex(self) -> String {
        self.0.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The page's address, without the fragment: what a browser would open.
    pub page: Url,
    /// The room's signaling WebSocket.
    pub socket: Url,
    /// The certificate to expect, for a room that made its own.
    pub pin: Option<Fingerprint>,
    /// The room is on this same computer (a loopback address).
    pub on_this_computer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    #[error("that is not an invite link (it should look like https://…/r/…)")]
    NotALink,
    #[error("the invite link goes over plain http to another computer; ask the host for the https:// link")]
    NotSecure,
    #[error("the invite link's certificate fingerprint is damaged; copy the whole link again")]
    BadFingerprint,
}

/// Reads a pasted or clicked invite link.
pub fn parse(text: &str) -> Result<Invite, InviteError> {
    let url = Url::parse(text.trim()).map_err(|_| InviteError::NotALink)?;
    let url = match url.scheme() {
        "boardroom" => {
            let inner = url.query_pairs().find(|(k, _)| k == "url").ok_or(InviteError::NotALink)?.1.into_owned();
            Url::parse(&inner).map_err(|_| InviteError::NotALink)?
        }
        _ => url,
    };
    let secure = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(InviteError::NotALink),
    };
    // The token must not cross a network in clear: plain http only to this computer.
    let on_this_computer = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => return Err(InviteError::NotALink),
    };
    if !secure && !on_this_computer {
        return Err(InviteError::NotSecure);
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|s| !s.is_empty()).collect()).unwrap_or_default();
    let ["r", token] = segments.as_slice() else { return Err(InviteError::NotALink) };
    let pin = match url.fragment().and_then(|f| f.strip_prefix("fp=")) {
        Some(pin) => {
            let hex = pin.strip_prefix("sha256:").ok_or(InviteError::BadFingerprint)?;
            Some(Fingerprint::parse(hex).ok_or(InviteError::BadFingerprint)?)
        }
        None => None,
    };
    let mut page = url.clone();
    page.set_fragment(None);
    page.set_query(None);
    page.set_path(&format!("/r/{token}"));
    let mut socket = page.clone();
    socket.set_path(&format!("/r/{token}/ws"));
    socket.set_scheme(if secure { "wss" } else { "ws" }).expect("ws and wss are special schemes like http");
    Ok(Invite { page, socket, pin, on_this_computer })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn with_pin(link: &str, hex: &str) -> String {
        format!("{link}#fp=sha256:{hex}")
    }

    /// The `boardroom://` form of a link, as the participant page's "Open in the Boardroom app" makes it.
    fn app_link(link: &str) -> String {
        let mut url = Url::parse("boardroom://join").unwrap();
        url.query_pairs_mut().append_pair("url", link);
        url.into()
    }

    #[test]
    fn links_give_the_page_the_socket_and_the_pin() {
        let link = with_pin("https://192.168.1.5:4000/r/tok_EN-1", HEX);
        let invite = parse(&link).unwrap();
        assert_eq!(invite.page.as_str(), "https://192.168.1.5:4000/r/tok_EN-1");
        assert_eq!(invite.socket.as_str(), "wss://192.168.1.5:4000/r/tok_EN-1/ws");
        assert_eq!(invite.pin, Fingerprint::parse(HEX));
        let colons = Fingerprint::parse(HEX).unwrap().to_colon_hex();
        assert_eq!(parse(&format!("https://h/r/t#fp=sha256:{colons}")).unwrap().pin, Fingerprint::parse(HEX));

        let plain = parse(" https://meet.example.com/r/abc/ ").unwrap();
        assert_eq!((plain.socket.as_str(), plain.pin), ("wss://meet.example.com/r/abc/ws", None));
        let local = parse("http://127.0.0.1:5000/r/abc").unwrap();
        assert_eq!(local.socket.as_str(), "ws://127.0.0.1:5000/r/abc/ws");
    }

    #[test]
    fn app_links_carry_the_invite_link() {
        let link = with_pin("https://192.168.1.5:4000/r/abc", HEX);
        let opened = app_link(&link);
        assert!(opened.starts_with("boardroom://join?url=https%3A%2F%2F192.168.1.5"), "{opened}");
        assert_eq!(parse(&opened).unwrap(), parse(&link).unwrap());
    }

    #[test]
    fn anything_else_is_explained() {
        assert_eq!(parse("hello"), Err(InviteError::NotALink));
        assert_eq!(parse("https://example.com/about"), Err(InviteError::NotALink));
        assert_eq!(parse("ftp://example.com/r/abc"), Err(InviteError::NotALink));
        assert_eq!(parse("http://192.168.1.5:4000/r/abc"), Err(InviteError::NotSecure));
        assert_eq!(parse("https://h/r/abc#fp=sha256:12"), Err(InviteError::BadFingerprint));
        assert_eq!(parse("https://h/r/abc#fp=md5:12"), Err(InviteError::BadFingerprint));
        assert_eq!(parse("boardroom://join?x=1"), Err(InviteError::NotALink));
    }
}
