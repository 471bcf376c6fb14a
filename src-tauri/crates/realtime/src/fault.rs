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
}
