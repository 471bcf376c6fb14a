//! Whether and when a dropped guest tries to come back: after each drop it waits a little
//! longer (the schedule), and gives up once the next try would land past the time the room
//! keeps its place (the window), counted from the first drop. Plain Rust: the time is passed in.

use std::time::{Duration, Instant};

/// What to do after a connection dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after `wait`.
    Retry { wait: Duration },
    /// Out for good: never in, or the room no longer keeps the place.
    GiveUp,
}

/// What carries over from one connection to the next.
#[derive(Debug, Clone)]
pub struct Comeback {
    window: Duration,
    schedule: &'static [Duration],
    /// The key from the welcome: the room knows us by it.
    resume: Option<String>,
    /// When the connection dropped, while coming back.
    dropped_at: Option<Instant>,
    attempt: usize,
}

impl Comeback {
    /// `window`: how long the room keeps a dropped participant's place; `schedule`: the waits
    /// between tries, the last repeated (not empty).
    pub fn new(window: Duration, schedule: &'static [Duration]) -> Self {
        assert!(!schedule.is_empty(), "a comeback needs at least one wait");
        Comeback { window, schedule, resume: None, dropped_at: None, attempt: 0 }
    }

    /// The key to come back with, once welcomed.
    pub fn resume(&self) -> Option<&str> {
        self.resume.as_deref()
    }

    /// In the room (again) with `resume`: a later drop starts a fresh schedule.
    pub fn welcomed(&mut self, resume: String) {
        (self.resume, self.dropped_at, self.attempt) = (Some(resume), None, 0);
    }

    /// The connection dropped (or a try failed) at `now`.
    pub fn dropped(&mut self, now: Instant) -> Next {
        let since = *self.dropped_at.get_or_insert(now);
        let wait = self.schedule[self.attempt.min(self.schedule.len() - 1)];
        if self.resume.is_none() || now.saturating_duration_since(since) + wait > self.window {
            return Next::GiveUp;
        }
        self.attempt += 1;
        Next::Retry { wait }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(30);
    const SCHEDULE: [Duration; 4] =
        [Duration::from_secs(1), Duration::from_secs(2), Duration::from_secs(4), Duration::from_secs(8)];

    fn welcomed() -> Comeback {
        let mut comeback = Comeback::new(WINDOW, &SCHEDULE);
        comeback.welcomed("key".into());
        comeback
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// Drops at once after each wait (every try fails at once), from `t0`; the waits taken.
    fn fail_every_try(comeback: &mut Comeback, t0: Instant) -> Vec<u64> {
        let mut now = t0;
        let mut waits = Vec::new();
        while let Next::Retry { wait } = comeback.dropped(now) {
            waits.push(wait.as_secs());
            now += wait;
        }
        waits
    }

    #[test]
    fn never_in_means_nothing_to_come_back_to() {
        let mut comeback = Comeback::new(WINDOW, &SCHEDULE);
        assert_eq!(comeback.resume(), None);
        assert_eq!(comeback.dropped(Instant::now()), Next::GiveUp);
    }

    #[test]
    fn waits_one_two_four_then_eight_and_gives_up_at_the_grace() {
        let mut comeback = welcomed();
        // 1 + 2 + 4 + 8 + 8 = 23 s; another 8 would end at 31 s, past the 30 s grace.
        assert_eq!(fail_every_try(&mut comeback, Instant::now()), [1, 2, 4, 8, 8]);
        assert_eq!(comeback.resume(), Some("key"));
    }

    #[test]
    fn the_window_counts_from_the_first_drop_including_slow_tries() {
        let t0 = Instant::now();
        let mut comeback = welcomed();
        assert_eq!(comeback.dropped(t0), Next::Retry { wait: secs(1) });
        // The try took long (a connect timing out): 26 s since the drop, 2 s more fit.
        assert_eq!(comeback.dropped(t0 + secs(26)), Next::Retry { wait: secs(2) });
        assert_eq!(comeback.dropped(t0 + secs(28)), Next::GiveUp, "4 s more would pass 30 s");
    }

    #[test]
    fn a_try_ending_exactly_at_the_grace_is_still_made() {
        let t0 = Instant::now();
        let mut comeback = welcomed();
        assert_eq!(comeback.dropped(t0), Next::Retry { wait: secs(1) });
        assert_eq!(comeback.dropped(t0 + secs(28)), Next::Retry { wait: secs(2) });
    }

    #[test]
    fn a_welcome_starts_the_schedule_and_the_window_afresh() {
        let t0 = Instant::now();
        let mut comeback = welcomed();
        assert_eq!(fail_every_try(&mut comeback, t0)[..2], [1, 2]);
        comeback.welcomed("new key".into());
        assert_eq!(comeback.resume(), Some("new key"));
        let later = t0 + secs(600);
        assert_eq!(comeback.dropped(later), Next::Retry { wait: secs(1) });
        assert_eq!(comeback.dropped(later + secs(1)), Next::Retry { wait: secs(2) });
    }
}
