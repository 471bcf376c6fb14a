//! The room's invite token: 256 random bits, shown in the invite link and compared in
//! constant time, so neither guessing nor timing gets anyone in. A room keeps its token across
//! restarts (the link stays) until the host asks for a new link, which replaces it at once;
//! the tokens replaced are remembered, to tell those who still use them what happened.

use std::sync::RwLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

const BYTES: usize = 32;
/// Links replaced while the room runs that still get "replaced" rather than "not valid".
const REMEMBERED: usize = 8;

#[derive(Clone)]
pub struct InviteToken(String);

impl InviteToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; BYTES];
        rand::rng().fill_bytes(&mut bytes);
        InviteToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token kept from an earlier run, if `kept` is one (what `as_str` gave).
    pub fn parse(kept: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(kept).ok()?;
        (bytes.len() == BYTES && URL_SAFE_NO_PAD.encode(&bytes) == kept).then(|| InviteToken(kept.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `offered` is this token; takes the same time wherever the first difference is.
    pub fn matches(&self, offered: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(offered.as_bytes()))
    }
}

impl PartialEq for InviteToken {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.as_str())
    }
}

impl Eq for InviteToken {}

/// What a token offered by a visitor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    /// The room's token.
    Valid,
    /// One the host replaced with a new link while the room ran.
    Replaced,
    /// Anything else.
    Invalid,
}

/// The running room's token, which the host can replace, and the last ones replaced.
pub struct RoomTokens(RwLock<(InviteToken, Vec<InviteToken>)>);

impl RoomTokens {
    pub fn new(token: InviteToken) -> Self {
        RoomTokens(RwLock::new((token, Vec::new())))
    }

    pub fn check(&self, offered: &str) -> Offered {
        let tokens = self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if tokens.0.matches(offered) {
            Offered::Valid
        } else if tokens.1.iter().any(|old| old.matches(offered)) {
            Offered::Replaced
        } else {
            Offered::Invalid
        }
    }

    /// Makes `token` the room's; the one it replaces stops letting anyone in at once.
    pub fn replace(&self, token: InviteToken) {
        let mut tokens = self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = std::mem::replace(&mut tokens.0, token);
        tokens.1.push(old);
        let excess = tokens.1.len().saturating_sub(REMEMBERED);
        tokens.1.drain(..excess);
    }
}

// Never print the token by accident (it would end up in logs).
impl std::fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InviteToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_only_match_themselves() {
        let token = InviteToken::generate();
        assert_eq!(token.as_str().len(), 43);
        assert!(token.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(token.as_str(), InviteToken::generate().as_str());
        assert!(token.matches(token.as_str()));
        assert!(!token.matches(&token.as_str()[1..]));
        assert!(!token.matches(""));
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    #[test]
    fn a_kept_token_reads_back_and_nothing_else_passes_for_one() {
        let token = InviteToken::generate();
        assert!(InviteToken::parse(token.as_str()) == Some(token.clone()));
        for bad in
            ["", "short", &token.as_str()[1..], &format!("{}A", token.as_str()), &token.as_str().replace(|_| true, "+")]
        {
            assert!(InviteToken::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_new_link_replaces_the_old_at_once_and_the_old_is_told_so() {
        let (first, second) = (InviteToken::generate(), InviteToken::generate());
        let tokens = RoomTokens::new(first.clone());
        assert_eq!(tokens.check(first.as_str()), Offered::Valid);
        tokens.replace(second.clone());
        assert_eq!(tokens.check(first.as_str()), Offered::Replaced);
        assert_eq!(tokens.check(second.as_str()), Offered::Valid);
        assert_eq!(tokens.check("guess"), Offered::Invalid);
        for _ in 0..REMEMBERED {
            tokens.replace(InviteToken::generate());
        }
        assert_eq!(tokens.check(first.as_str()), Offered::Invalid, "only the last few are remembered");
    }
}
