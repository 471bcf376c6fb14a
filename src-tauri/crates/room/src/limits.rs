//! How often participants may send: the edit rate, and how much bad input a connection may
//! send before it is closed. A participant's rates are theirs, not their connection's: they
//! are kept by the device key they joined with, so coming back on a new connection (with the
//! resume key, or as a newcomer from the same browser) does not refill them. Plain Rust;
//! time is passed in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
        self.tokens = self.tokens_at(now);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn tokens_at(&self, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        (self.tokens + elapsed * self.per_second).min(self.burst)
    }

    /// Whether the bucket has refilled by `now`: it then holds nothing a new one would not.
    fn is_full(&self, now: Instant) -> bool {
        self.tokens_at(now) >= self.burst
    }
}

/// One participant's rates, shared by their connections (one at a time, but the next one
/// may start before the last one has noticed it ended).
#[derive(Debug, Clone)]
pub struct Allowance(Arc<Mutex<Rates>>);

#[derive(Debug)]
struct Rates {
    edits: RateLimit,
    /// Answers, mute toggles (each of which the hub passes on to every page) and requests
    /// for the whole board.
    signals: RateLimit,
}

impl Allowance {
    fn new(now: Instant) -> Self {
        Allowance(Arc::new(Mutex::new(Rates { edits: edit_rate(now), signals: signal_rate(now) })))
    }

    /// Takes a board edit from the participant's allowance, if there is one left.
    pub fn edit(&self, now: Instant) -> bool {
        self.rates().edits.allow(now)
    }

    /// Takes an answer, mute change or board request from it, if there is one left.
    pub fn signal(&self, now: Instant) -> bool {
        self.rates().signals.allow(now)
    }

    fn rates(&self) -> std::sync::MutexGuard<'_, Rates> {
        // Nothing panics while holding it; if something did, the rates are still numbers.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether no connection holds it and it has refilled: forgetting it loses nothing.
    fn is_spent_and_refilled(&self, now: Instant) -> bool {
        Arc::strong_count(&self.0) == 1 && {
            let rates = self.rates();
            rates.edits.is_full(now) && rates.signals.is_full(now)
        }
    }
}

/// Everyone's allowance, by the device key they joined with. It holds the people in the room
/// and those who left less than a refill ago (two to five seconds), so it stays small.
#[derive(Debug, Default)]
pub struct Allowances {
    by_device: HashMap<String, Allowance>,
}

impl Allowances {
    /// The allowance of the participant who joined from `device`: the one they had if they
    /// were here lately, else a fresh one. Forgets the ones nobody needs any more.
    pub fn of(&mut self, device: &str, now: Instant) -> Allowance {
        self.by_device.retain(|_, allowance| !allowance.is_spent_and_refilled(now));
        self.by_device.entry(device.to_owned()).or_insert_with(|| Allowance::new(now)).clone()
    }
}

/// Board edits a participant may make: ten at once, then five a second.
pub fn edit_rate(now: Instant) -> RateLimit {
    RateLimit::new(10, 5.0, now)
}

/// Answers, mute changes and board requests a participant may send: ten at once, then two a
/// second. Each one re-broadcasts the roster, renegotiates or sends the whole board, so a
/// page that loops cannot flood the room.
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
    fn rate_limit_allows_a_burst_then_the_refill_rate() {
        let start = Instant::now();
        let mut limit = edit_rate(start);
        assert_eq!((0..15).filter(|_| limit.allow(start)).count(), 10);
        assert!(!limit.allow(start + Duration::from_millis(100)));
        assert!(limit.allow(start + Duration::from_millis(300)));
        let later = start + Duration::from_secs(60);
        assert_eq!((0..15).filter(|_| limit.allow(later)).count(), 10, "the bucket never holds more than the burst");
    }

    #[test]
    fn a_participant_keeps_their_allowance_across_connections_until_it_has_refilled() {
        let start = Instant::now();
        let mut allowances = Allowances::default();
        let first = allowances.of("device-a", start);
        assert_eq!((0..15).filter(|_| first.edit(start)).count(), 10);
        drop(first);
        let again = allowances.of("device-a", start + Duration::from_millis(200));
        assert_eq!((0..5).filter(|_| again.edit(start + Duration::from_millis(200))).count(), 1, "not refilled");
        assert!(allowances.of("device-b", start).edit(start), "someone else's is their own");
        drop(again);
        // Refilled and held by nobody: forgotten, and a comeback starts afresh (the same thing).
        let later = start + Duration::from_secs(10);
        let fresh = allowances.of("device-c", later);
        assert_eq!(allowances.by_device.len(), 1, "{:?}", allowances.by_device.keys());
        assert!(fresh.signal(later));
    }
}
