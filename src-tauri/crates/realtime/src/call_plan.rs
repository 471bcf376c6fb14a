//! When the operator's call does what, as time passes: a call is renewed a while after it
//! starts (before the server's limit), the transcription's hints (the board's words) are
//! refreshed at most once per interval after the board changes, the last state always
//! sent, and after a fault the next try waits
//! as the `backoff` says, starting over once a call is up. Plain Rust: the time (and the
//! randomness) is passed in.

use std::time::{Duration, Instant};

use crate::backoff::Backoff;

/// What is due on the call now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Time for a fresh call.
    Renew,
    /// Give the transcription the board's words as they are now.
    Hints,
}

/// When to try again after a fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub at: Instant,
    pub delay: Duration,
    /// The retry number (1 for the first since the last call was up).
    pub attempt: u32,
}

#[derive(Debug, Clone)]
pub struct CallPlan {
    renew_after: Duration,
    update_every: Duration,
    backoff: Backoff,
    /// The clock of the call that is up, if one is.
    call: Option<OnCall>,
}

#[derive(Debug, Clone)]
struct OnCall {
    renew_at: Instant,
    /// When the last update was sent (the call's start, before the first).
    last_update: Instant,
    /// The board changed since the last update.
    board_changed: bool,
}

impl OnCall {
    fn update_at(&self, every: Duration) -> Option<Instant> {
        self.board_changed.then(|| self.last_update + every)
    }
}

impl CallPlan {
    /// Calls are renewed `renew_after` they start; hint updates go at most once per `update_every`.
    pub fn new(renew_after: Duration, update_every: Duration) -> Self {
        CallPlan { renew_after, update_every, backoff: Backoff::new(), call: None }
    }

    /// A call is up at `now`: its clock starts, and the next fault backs off from the shortest delay.
    pub fn connected(&mut self, now: Instant) {
        self.backoff.reset();
        self.call = Some(OnCall { renew_at: now + self.renew_after, last_update: now, board_changed: false });
    }

    /// The board changed: its words go to the transcription at the next update.
    pub fn board_changed(&mut self) {
        if let Some(call) = &mut self.call {
            call.board_changed = true;
        }
    }

    /// When something is next due on the call; `None` without a call.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let call = self.call.as_ref()?;
        Some(call.update_at(self.update_every).map_or(call.renew_at, |update| update.min(call.renew_at)))
    }

    /// What is due at `now`, if anything. An update taken here counts as sent at `now`.
    pub fn poll(&mut self, now: Instant) -> Option<Due> {
        let call = self.call.as_mut()?;
        if now >= call.renew_at {
            return Some(Due::Renew);
        }
        if call.update_at(self.update_every).is_some_and(|at| now >= at) {
            (call.last_update, call.board_changed) = (now, false);
            return Some(Due::Hints);
        }
        None
    }

    /// The call failed or could not be made at `now`; `unit` is a random number in [0, 1)
    /// for the jitter.
    pub fn failed(&mut self, now: Instant, unit: f64) -> Retry {
        self.call = None;
        let delay = self.backoff.next_delay(unit);
        Retry { at: now + delay, delay, attempt: self.backoff.attempt() - 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RENEW: Duration = Duration::from_secs(55 * 60);
    const EVERY: Duration = Duration::from_millis(200);

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn on_call(t0: Instant) -> CallPlan {
        let mut plan = CallPlan::new(RENEW, EVERY);
        plan.connected(t0);
        plan
    }

    #[test]
    fn nothing_is_due_without_a_call() {
        let mut plan = CallPlan::new(RENEW, EVERY);
        plan.board_changed();
        assert_eq!(plan.poll_timeout(), None);
        assert_eq!(plan.poll(Instant::now() + RENEW * 2), None);
    }

    #[test]
    fn the_call_is_renewed_at_the_deadline() {
        let t0 = Instant::now();
        let mut plan = on_call(t0);
        assert_eq!(plan.poll_timeout(), Some(t0 + RENEW));
        assert_eq!(plan.poll(t0 + RENEW - ms(1)), None);
        assert_eq!(plan.poll(t0 + RENEW), Some(Due::Renew));
        // Still due until the next call is up, whose clock starts afresh.
        assert_eq!(plan.poll(t0 + RENEW + ms(5)), Some(Due::Renew));
        let t1 = t0 + RENEW + ms(800);
        plan.connected(t1);
        assert_eq!(plan.poll_timeout(), Some(t1 + RENEW));
        assert_eq!(plan.poll(t1), None);
    }

    #[test]
    fn changes_within_the_interval_make_one_update_and_the_last_is_always_sent() {
        let t0 = Instant::now();
        let mut plan = on_call(t0);
        // The first update waits the interval from the call's start.
        plan.board_changed();
        assert_eq!(plan.poll_timeout(), Some(t0 + EVERY));
        assert_eq!(plan.poll(t0 + ms(50)), None);
        plan.board_changed();
        plan.board_changed();
        assert_eq!(plan.poll(t0 + ms(199)), None);
        assert_eq!(plan.poll(t0 + ms(210)), Some(Due::Hints), "three changes, one update");
        assert_eq!(plan.poll(t0 + ms(211)), None, "nothing new to send");
        assert_eq!(plan.poll_timeout(), Some(t0 + RENEW));
        // A change right after an update waits for the interval since that update, then goes.
        plan.board_changed();
        assert_eq!(plan.poll_timeout(), Some(t0 + ms(410)));
        assert_eq!(plan.poll(t0 + ms(300)), None);
        assert_eq!(plan.poll(t0 + ms(410)), Some(Due::Hints), "the last change is sent");
        // A change after a quiet spell goes as soon as it is looked at.
        plan.board_changed();
        assert_eq!(plan.poll(t0 + ms(5_000)), Some(Due::Hints));
    }

    #[test]
    fn a_new_call_starts_without_pending_updates() {
        let t0 = Instant::now();
        let mut plan = on_call(t0);
        plan.board_changed();
        plan.connected(t0 + ms(100));
        assert_eq!(plan.poll(t0 + ms(1_000)), None);
    }

    #[test]
    fn backs_off_from_one_second_doubling_to_thirty_and_resets_once_a_call_is_up() {
        let t0 = Instant::now();
        let mut plan = on_call(t0);
        let mut now = t0;
        let mut delays = Vec::new();
        for expected_attempt in 1..=7 {
            let retry = plan.failed(now, 0.5);
            assert_eq!(retry.attempt, expected_attempt);
            assert_eq!(retry.at, now + retry.delay);
            delays.push(retry.delay.as_secs());
            now = retry.at;
        }
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(plan.poll_timeout(), None, "no call, nothing due on it");
        plan.connected(now);
        let retry = plan.failed(now + ms(10), 0.5);
        assert_eq!((retry.delay, retry.attempt), (Duration::from_secs(1), 1));
    }
}
