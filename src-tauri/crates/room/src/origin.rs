//! Which pages may open the room's WebSocket: the room's own page (its `Origin` names the
//! host the request went to, or the public address of a room behind a reverse proxy), or a
//! client that is no web page at all and sends no `Origin` (the app joining as a guest).
//! Another site's page, which a participant might have open with the link, may not. Plain Rust.

/// Whether a WebSocket request with these headers comes from the room's own page.
/// `public` is the authority (`host[:port]`) of a proxied room's public address.
pub fn allowed(origin: Option<&str>, host: Option<&str>, public: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return false,
    };
    let normal = |authority: &str| {
        let authority = authority.to_ascii_lowercase();
        match authority.strip_suffix(default_port) {
            Some(bare) => bare.to_owned(),
            None => authority,
        }
    };
    let origin = normal(authority);
    [host, public].into_iter().flatten().any(|own| normal(own) == origin)
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn the_rooms_own_page_and_clients_without_an_origin_are_allowed() {
        assert!(allowed(None, Some("127.0.0.1:4000"), None), "the app's own client sends none");
        assert!(allowed(Some("http://127.0.0.1:4000"), Some("127.0.0.1:4000"), None));
        assert!(allowed(Some("https://Meet.example.com"), Some("meet.example.com:443"), None));
        assert!(allowed(Some("https://meet.example.com:8443"), Some("127.0.0.1:8080"), Some("meet.example.com:8443")));
    }

    #[test]
    fn other_sites_and_opaque_origins_are_not() {
        assert!(!allowed(Some("https://evil.example"), Some("meet.example.com"), None));
        assert!(!allowed(Some("http://127.0.0.1:4001"), Some("127.0.0.1:4000"), None), "another port is another site");
        assert!(!allowed(Some("null"), Some("127.0.0.1:4000"), None), "a sandboxed page or a file");
        assert!(!allowed(Some("https://meet.example.com"), None, None));
        assert!(!allowed(Some("https://meet.example.com.evil.example"), Some("meet.example.com"), None));
    }
}
