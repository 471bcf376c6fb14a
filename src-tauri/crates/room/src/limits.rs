//! What participants may send and how often: names, edit rate, and how much bad input a
//! connection may send before it is closed. Plain Rust; time is passed in.

use std::time::{Duration, Instant};

pub const MAX_NAME_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("please type your name")]
    Empty,
    #[error("names can be at most {MAX_NAME_CHARS} characters")]
    TooLong,
}

/// A display name, trimmed, with control characters and runs of spaces removed.
pub fn name(raw: &str) -> Result<String, NameError> {
    let cleaned: String =
        raw.split_whitespace().collect::<Vec<_>>().join(" ").chars().filter(|c| !c.is_control()).collect();
    match cleaned.chars().count() {
        0 => Err(NameError::Empty),
        n if n > MAX_NAME_CHARS => Err(NameError::TooLong),
        _ => Ok(cleaned),
    }
}

/// A browser's (or app's) own random key, kept on that device, by which a removed
/// participant is kept out: 16–64 letters, digits, `-` or `_`.
pub fn device(raw: &str) -> Result<(), DeviceError> {
    let ok = (16..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(DeviceError)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the device key must be 16 to 64 letters, digits, '-' or '_'")]
pub struct DeviceError;

/// A token bucket: up to `burst` at once, refilled at `per_second`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimit {
    pub fn new(burst: u32, per_second: f64, now: Instant) -> Self {
        RateLimit { burst: f64::from(burst), per_second, tokens: f64::from(burst), last: now }
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Board edits a participant may make: ten at once, then five a second.
pub fn edit_rate(now: Instant) -> RateLimit {
    RateLimit::new(10, 5.0, now)
}

/// Answers and mute changes a participant may send: ten at once, then two a second. Each
/// one re-broadcasts the roster or renegotiates, so a page that loops cannot flood the room.
pub fn signal_rate(now: Instant) -> RateLimit {
    RateLimit::new(10, 2.0, now)
}

/// Bad messages a connection may send: ten, then one more every six seconds; past that the
/// connection is closed (the others in the room are not affected).
pub fn abuse_allowance(now: Instant) -> RateLimit {
    RateLimit::new(10, 1.0 / 6.0, now)
}

/// How long a new connection has to say hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_checked() {
        assert_eq!(name("  Ana \t María\n").unwrap(), "Ana María");
        assert_eq!(name("Bo\u{7}b"), Ok("Bob".into()));
        assert_eq!(name("   "), Err(NameError::Empty));
        assert_eq!(name(&"x".repeat(41)), Err(NameError::TooLong));
        assert!(name(&"é".repeat(40)).is_ok());
    }

    #[test]
    fn device_keys_are_checked() {
        assert!(device("0123456789abcdef").is_ok());
        assert!(device(&"x".repeat(64)).is_ok());
        assert_eq!(device("short"), Err(DeviceError));
        assert_eq!(device(&"x".repeat(65)), Err(DeviceError));
        assert_eq!(device("0123456789abcdef "), Err(DeviceError));
    }

    #[test]
    fn rate_limit_allows_a_burst_then_the_refill_rate() {
        let start = Instant::now();
        let mut limit = edit_rate(start);
        assert_eq!((0..15).filter(|_| limit.allow(start)).count(), 10);
        assert!(!limit.allow(start + Duration::from_millis(100)));
        assert!(limit.allow(start + Duration::from_millis(300)));
        let later = start + Duration::from_secs(60);
        assert_eq!((0..15).filter(|_| limit.allow(later)).count(), 10, "the bucket never holds more than the burst");
    }
}
