//! What can go wrong with a call, and what to do about it: stop and tell the person, or
//! try again later. Plain Rust.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Fault {
    #[error("API key rejected ({0}). Check the key in Settings or OPENAI_API_KEY")]
    KeyRejected(String),
    #[error("the API refused the call ({status}: {message})")]
    Refused { status: u16, message: String },
    #[error("rate limited by the API ({0})")]
    RateLimited(String),
    #[error("the API had a problem ({status}: {message})")]
    Server { status: u16, message: String },
    #[error("could not reach the API: {0}")]
    Network(String),
    #[error("the API answered in a way we do not understand: {0}")]
    Protocol(String),
    #[error("the WebRTC connection failed: {0}")]
    Connection(String),
}

impl Fault {
    /// The fault as a sentence for the status people see and for the logs, with nothing of
    /// `key` in it: the API quotes a rejected key (masked to its first and last characters, or
    /// whole when short), and the status reaches every participant of the room.
    pub fn told(&self, key: &str) -> String {
        let text = without_key(&self.to_string(), key);
        let mut chars = text.chars();
        chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
    }

    /// Faults that retrying cannot fix: the person has to act (a new key, another model).
    pub fn is_final(&self) -> bool {
        matches!(self, Fault::KeyRejected(_) | Fault::Refused { .. })
    }

    /// Classifies a non-2xx answer to the call set-up.
    pub fn from_http(status: u16, body: &str) -> Fault {
        let message = error_message(body).unwrap_or_else(|| format!("HTTP {status}"));
        match status {
            401 | 403 => Fault::KeyRejected(message),
            408 | 429 => Fault::RateLimited(message),
            400..=499 => Fault::Refused { status, message },
            _ => Fault::Server { status, message },
        }
    }
}

/// `text` with every word that could hold a piece of `key` hidden: a masked key's stars, the
/// `sk-` OpenAI keys start with, or any four characters in a row of the key itself.
fn without_key(text: &str, key: &str) -> String {
    let key: Vec<char> = key.chars().collect();
    let pieces: Vec<String> = key.windows(key.len().clamp(1, 4)).map(|piece| piece.iter().collect()).collect();
    let hide = |word: &str| {
        let shows_key = word.contains("**") || word.contains("sk-") || pieces.iter().any(|p| word.contains(p.as_str()));
        if !shows_key {
            return word.to_owned();
        }
        let bare = word.trim_end_matches(['.', ',', ';', ':', ')', '"', '\'']);
        format!("[key hidden]{}", &word[bare.len()..])
    };
    text.split(' ').map(hide).collect::<Vec<_>>().join(" ")
}

/// The `error.message` of an API error body, `{"error": {type, code, message, param}}`.
fn error_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        message: Option<String>,
        code: Option<String>,
    }
    let parsed: Body = serde_json::from_str(body).ok()?;
    match (parsed.error.code, parsed.error.message) {
        (Some(code), Some(message)) => Some(format!("{code}: {message}")),
        (None, Some(message)) | (Some(message), None) => Some(message),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_answers_are_classified() {
        let body = r#"{"error":{"type":"invalid_request_error","code":"invalid_api_key","message":"Incorrect API key provided"}}"#;
        let fault = Fault::from_http(401, body);
        assert!(fault.is_final());
        assert!(fault.to_string().contains("invalid_api_key: Incorrect API key provided"));
        assert!(Fault::from_http(403, "").is_final());
        assert!(matches!(Fault::from_http(429, ""), Fault::RateLimited(_)));
        assert!(!Fault::from_http(500, "<html>").is_final());
        assert!(matches!(Fault::from_http(404, ""), Fault::Refused { status: 404, .. }));
    }

    /// What the API says of a rejected key, as the real service words it.
    fn rejected(quoted: &str) -> Fault {
        let message = format!("Incorrect API key provided: {quoted}. You can find your API key at https://platform.openai.com/account/api-keys.");
        let body = serde_json::json!({"error": {"type": "invalid_request_error", "code": "invalid_api_key", "message": message}});
        Fault::from_http(401, &body.to_string())
    }

    #[test]
    fn no_piece_of_the_key_is_told() {
        // Made up, and split so that secret scanners do not take it for a real key.
        let key: &str = &["sk", "proj", "Abc123XyZ789qwertyWXYZ"].join("-");
        let fragments = ["sk-", "Abc1", "WXYZ", "***"];
        for quoted in ["sk-proj-************************WXYZ", "sk-proj-Abc1*****WXYZ", key, "Abc123XyZ789", "****WXYZ"]
        {
            let told = rejected(quoted).told(key);
            assert!(fragments.iter().all(|f| !told.contains(f)), "{told}");
            assert!(
                told.starts_with("API key rejected (invalid_api_key: Incorrect API key provided: [key hidden]."),
                "{told}"
            );
            assert!(told.ends_with("Check the key in Settings or OPENAI_API_KEY"), "{told}");
        }
        // A short key is quoted whole; text that holds nothing of the key is told as it is.
        assert!(!rejected("abc").told("abc").contains("abc"));
        let refused = Fault::from_http(404, r#"{"error":{"message":"The model gpt-x does not exist."}}"#);
        assert_eq!(refused.told(key), "The API refused the call (404: The model gpt-x does not exist.)");
    }
}
