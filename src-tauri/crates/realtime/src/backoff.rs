//! When to try again after a connection fault: 1 s, doubling up to 30 s, each delay
//! jittered by ±20 % so many clients do not retry in step. Plain Rust: the randomness is
//! passed in.

use std::time::Duration;

const FIRST: Duration = Duration::from_secs(1);
const LONGEST: Duration = Duration::from_secs(30);
const JITTER: f64 = 0.2;

#[derive(Debug, Default, Clone)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    pub fn new() -> Self {
        Self::default()
    }

    /// The retry number the next delay is for (1 for the first retry).
    pub fn attempt(&self) -> u32 {
        self.attempt + 1
    }

    /// The delay before the next try; `unit` is a random number in [0, 1).
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let base = FIRST.saturating_mul(1u32.checked_shl(self.attempt.min(16)).unwrap_or(u32::MAX)).min(LONGEST);
        self.attempt += 1;
        let factor = 1.0 + JITTER * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
        base.mul_f64(factor).min(LONGEST)
    }

    /// A connection worked: the next fault starts again from the shortest delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_one_second_to_thirty() {
        let mut backoff = Backoff::new();
        let delays: Vec<u64> = (0..8).map(|_| backoff.next_delay(0.5).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn jitter_stays_within_a_fifth_and_under_the_cap() {
        let mut low = Backoff::new();
        let mut high = Backoff::new();
        assert_eq!(low.next_delay(0.0), Duration::from_millis(800));
        assert_eq!(high.next_delay(0.999_999).as_millis(), 1_199);
        for _ in 0..10 {
            assert!(high.next_delay(0.999) <= LONGEST);
        }
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::new();
        backoff.next_delay(0.5);
        backoff.next_delay(0.5);
        assert_eq!(backoff.attempt(), 3);
        backoff.reset();
        assert_eq!(backoff.next_delay(0.5), FIRST);
    }
}
