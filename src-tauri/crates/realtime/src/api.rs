//! The Realtime calls API over HTTP: set up a call by posting our SDP offer with the
//! session config, and hang it up. The key is sent only as the Bearer header and is never
//! logged or shown.

use std::time::Duration;

use serde_json::Value;

use crate::fault::Fault;

/// The environment variables the app and the host both read, and the default API base.
pub const KEY_VAR: &str = "OPENAI_API_KEY";
pub const MODEL_VAR: &str = "OPENAI_REALTIME_MODEL";
pub const BASE_URL_VAR: &str = "OPENAI_BASE_URL";
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// A set, non-blank environment variable, trimmed.
pub fn env_value(var: &str) -> Option<String> {
    std::env::var(var).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

const SETUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a hang-up may take when nobody is waiting for it (a renewed or lost call).
pub const HANGUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where to reach the API and with which key.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The API base, e.g. `https://api.openai.com/v1` (no trailing slash needed).
    pub base_url: String,
    pub api_key: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").field("base_url", &self.base_url).field("api_key", &"<hidden>").finish()
    }
}

impl Endpoint {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url.trim_end_matches('/'))
    }

    /// Whether the endpoint is on this machine (tests, local proxies): then loopback ICE
    /// candidates are worth offering.
    pub fn is_local(&self) -> bool {
        url::Url::parse(&self.base_url).is_ok_and(|url| is_loopback(&url))
    }
}

/// Why an address cannot be the API base.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("\"{0}\" is not an http(s) address like https://api.openai.com/v1")]
    NotHttp(String),
    #[error("\"{0}\" would send the API key unencrypted over the network: use https://, or http:// only for this machine (localhost, 127.0.0.1 or [::1])")]
    InClear(String),
}

/// An API base the key may be sent to: https anywhere, plain http only to this machine (a
/// local proxy or a test service), since the key travels in a header.
pub fn check_base_url(base_url: &str) -> Result<(), BaseUrlError> {
    let url = url::Url::parse(base_url).ok().filter(|url| url.host().is_some());
    match url.as_ref().map(|url| url.scheme()) {
        Some("https") => Ok(()),
        Some("http") if url.as_ref().is_some_and(is_loopback) => Ok(()),
        Some("http") => Err(BaseUrlError::InClear(base_url.to_owned())),
        _ => Err(BaseUrlError::NotHttp(base_url.to_owned())),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A call the API accepted.
#[derive(Debug, Clone)]
pub struct Answer {
    pub sdp: String,
    pub call_id: String,
}

#[derive(Clone)]
pub struct CallsApi {
    http: reqwest::Client,
    endpoint: Endpoint,
}

impl CallsApi {
    pub fn new(endpoint: Endpoint) -> Self {
        CallsApi { http: reqwest::Client::new(), endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// `POST {base}/realtime/calls` with the offer and session; expects `201` with the SDP
    /// answer and the call id in `Location`.
    pub async fn create_call(&self, offer_sdp: &str, session: &Value) -> Result<Answer, Fault> {
        let form =
            reqwest::multipart::Form::new().text("sdp", offer_sdp.to_owned()).text("session", session.to_string());
        let response = self
            .http
            .post(self.endpoint.url("realtime/calls"))
            .bearer_auth(&self.endpoint.api_key)
            .multipart(form)
            .timeout(SETUP_TIMEOUT)
            .send()
            .await
            .map_err(|err| Fault::Network(without_url(err)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(Fault::from_http(status.as_u16(), &body));
        }
        let call_id = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|location| location.trim_end_matches('/').rsplit('/').next())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Fault::Protocol("the call was accepted without a Location header naming it".into()))?;
        let sdp = response.text().await.map_err(|err| Fault::Network(without_url(err)))?;
        if !sdp.starts_with("v=0") {
            return Err(Fault::Protocol("the call was accepted but the answer is not SDP".into()));
        }
        Ok(Answer { sdp, call_id })
    }

    /// `POST {base}/realtime/calls/{id}/hangup`, given up after `within`. Failures are
    /// logged only: the call ends on the server anyway once our peer goes away.
    pub async fn hangup(&self, call_id: &str, within: Duration) {
        let sent = self
            .http
            .post(self.endpoint.url(&format!("realtime/calls/{call_id}/hangup")))
            .bearer_auth(&self.endpoint.api_key)
            .timeout(within)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => log::info!("hung up call {call_id}"),
            Ok(response) => log::warn!("hanging up call {call_id}: the API answered {}", response.status()),
            Err(err) => log::warn!("hanging up call {call_id}: {}", without_url(err)),
        }
    }
}

/// A reqwest error's text and causes, without its URL (which could carry credentials in a proxy URL).
fn without_url(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(&err);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_goes_in_clear_only_to_this_machine() {
        for ok in [
            "https://api.openai.com/v1",
            "https://10.0.0.5:8443/v1",
            "http://127.0.0.1:9000/v1",
            "http://127.1.2.3/v1",
            "http://localhost:9000/v1",
            "http://LOCALHOST/v1",
            "http://[::1]:9000/v1",
        ] {
            assert_eq!(check_base_url(ok), Ok(()), "{ok}");
        }
        for in_clear in [
            "http://api.openai.com/v1",
            "http://10.0.0.5:9000/v1",
            "http://[2001:db8::1]/v1",
            "http://localhost.example.com/v1",
        ] {
            assert_eq!(check_base_url(in_clear), Err(BaseUrlError::InClear(in_clear.into())), "{in_clear}");
        }
        let told = BaseUrlError::InClear("http://x/v1".into()).to_string();
        assert!(told.contains("unencrypted") && told.contains("use https://"), "{told}");
        for wrong in ["ftp://example.com", "not a url", "https://", "file:///etc/passwd"] {
            assert_eq!(check_base_url(wrong), Err(BaseUrlError::NotHttp(wrong.into())), "{wrong}");
        }
        let local = |base_url: &str| Endpoint { base_url: base_url.into(), api_key: "k".into() }.is_local();
        assert!(local("http://127.0.0.1:9/v1") && local("http://[::1]/v1") && !local("https://api.openai.com/v1"));
    }
}
