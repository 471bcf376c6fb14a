//! The audio thread's clock: when to mix the next 20 ms frame and when to report levels.
//! Plain Rust: the time and the microphone's state are passed in.
//!
//! A tick is due every 20 ms. While the microphone is live, a tick is taken as soon as the
//! microphone has a frame, up to [`EARLY`] before it is due (and waits up to [`GRACE`] past
//! it for a late one), and the clock's phase moves towards the microphone's: a frame leaves
//! as soon as it is captured instead of waiting for a clock that runs at its own phase, and
//! the mix still keeps to one frame per 20 ms. After a stall (the thread not scheduled) the
//! clock starts again from the present instead of catching up on the ticks it missed.

use std::time::{Duration, Instant};

use crate::frame::FRAME_MS;

const FRAME: Duration = Duration::from_millis(FRAME_MS as u64);
const EARLY: Duration = Duration::from_millis(10);
const GRACE: Duration = Duration::from_millis(10);
const LEVELS_EVERY: Duration = Duration::from_millis(100);

/// The microphone, as the clock sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MicrophoneFrame {
    /// No live microphone: the clock keeps its own time.
    Off,
    /// Live, without a whole frame yet.
    Awaited,
    /// Live, with a whole frame waiting.
    Ready,
}

/// A tick to take now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tick {
    /// Report the levels after this tick, too.
    pub(crate) levels: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Clock {
    next_tick: Instant,
    next_levels: Instant,
}

impl Clock {
    /// A clock started at `now`: the first tick and levels are due at once.
    pub(crate) fn new(now: Instant) -> Self {
        Clock { next_tick: now, next_levels: now }
    }

    /// Whether to tick at `now`.
    pub(crate) fn poll(&mut self, now: Instant, microphone: MicrophoneFrame) -> Option<Tick> {
        let by_microphone = microphone == MicrophoneFrame::Ready && now + EARLY >= self.next_tick;
        let grace = if microphone == MicrophoneFrame::Off { Duration::ZERO } else { GRACE };
        if !by_microphone && now < self.next_tick + grace {
            return None;
        }
        let next_tick = self.next_tick;
        self.next_tick = if by_microphone {
            // Half-way towards the microphone's phase: locks on within a few ticks, and
            // the clock never gains more than EARLY / 2 per tick.
            if now >= next_tick {
                next_tick + FRAME + (now - next_tick) / 2
            } else {
                next_tick + FRAME - (next_tick - now) / 2
            }
        } else {
            (next_tick + FRAME).max(now)
        };
        let levels = now >= self.next_levels;
        if levels {
            self.next_levels = (self.next_levels + LEVELS_EVERY).max(now);
        }
        Some(Tick { levels })
    }

    /// When to look again (the microphone also wakes the thread at every delivery).
    pub(crate) fn poll_timeout(&self, microphone: MicrophoneFrame) -> Instant {
        match microphone {
            MicrophoneFrame::Off => self.next_tick,
            MicrophoneFrame::Ready => self.next_tick - EARLY,
            MicrophoneFrame::Awaited => self.next_tick + GRACE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    /// Runs the clock without a microphone from `from` to `until`, waking only when it asks to;
    /// the times of its ticks and of its level reports.
    fn run_alone(clock: &mut Clock, from: Instant, until: Instant) -> (Vec<Instant>, Vec<Instant>) {
        let (mut ticks, mut levels) = (Vec::new(), Vec::new());
        let mut now = from;
        while now < until {
            if let Some(tick) = clock.poll(now, MicrophoneFrame::Off) {
                ticks.push(now);
                if tick.levels {
                    levels.push(now);
                }
            }
            now = now.max(clock.poll_timeout(MicrophoneFrame::Off));
        }
        (ticks, levels)
    }

    fn gaps(times: &[Instant]) -> Vec<u64> {
        times.windows(2).map(|w| (w[1] - w[0]).as_millis() as u64).collect()
    }

    #[test]
    fn alone_it_ticks_every_20_ms_and_reports_levels_every_100() {
        let t0 = Instant::now();
        let mut clock = Clock::new(t0);
        let (ticks, levels) = run_alone(&mut clock, t0, t0 + ms(1_000));
        assert_eq!(ticks.len(), 50);
        assert!(gaps(&ticks).iter().all(|&gap| gap == 20), "{:?}", gaps(&ticks));
        assert_eq!(levels.len(), 10);
        assert!(gaps(&levels).iter().all(|&gap| gap == 100), "{:?}", gaps(&levels));
    }

    #[test]
    fn after_a_500_ms_stall_it_keeps_no_lasting_delay() {
        let t0 = Instant::now();
        let mut clock = Clock::new(t0);
        let (before, _) = run_alone(&mut clock, t0, t0 + ms(100));
        assert_eq!(before.len(), 5);
        // The thread is not scheduled for half a second.
        let back = t0 + ms(600);
        let (after, mut levels) = run_alone(&mut clock, back, back + ms(200));
        // No burst of the 25 missed ticks: the one due and one for now, then every 20 ms
        // from the present on.
        assert_eq!(after[..2], [back, back]);
        assert!(after[2..].iter().enumerate().all(|(i, &t)| t == back + FRAME * (i as u32 + 1)), "{after:?}");
        assert_eq!(after.len(), 11);
        levels.dedup();
        assert_eq!(levels, [back, back + ms(100)], "the levels, late too, come at once, then every 100 ms");
    }

    #[test]
    fn a_live_microphone_is_waited_for_at_most_the_grace() {
        let t0 = Instant::now();
        let mut clock = Clock::new(t0);
        assert_eq!(clock.poll_timeout(MicrophoneFrame::Awaited), t0 + GRACE);
        assert_eq!(clock.poll(t0 + ms(9), MicrophoneFrame::Awaited), None);
        assert!(clock.poll(t0 + ms(10), MicrophoneFrame::Awaited).is_some(), "a late frame is not waited for longer");
        // Without a frame the clock keeps its own phase.
        assert_eq!(clock.poll_timeout(MicrophoneFrame::Awaited), t0 + ms(30));
    }

    #[test]
    fn a_microphone_frame_is_taken_up_to_10_ms_early() {
        let t0 = Instant::now();
        let mut clock = Clock::new(t0);
        clock.poll(t0, MicrophoneFrame::Off);
        assert_eq!(clock.poll_timeout(MicrophoneFrame::Ready), t0 + ms(10));
        assert_eq!(clock.poll(t0 + ms(9), MicrophoneFrame::Ready), None, "more than 10 ms early");
        assert!(clock.poll(t0 + ms(10), MicrophoneFrame::Ready).is_some());
    }

    #[test]
    fn the_clock_locks_on_to_the_microphones_phase() {
        let t0 = Instant::now();
        let mut clock = Clock::new(t0);
        // The microphone delivers 20 ms frames 7 ms after the clock's phase.
        let mut ticks = Vec::new();
        for n in 0..10u32 {
            let delivered = t0 + ms(7) + FRAME * n;
            let mut now = clock.poll_timeout(MicrophoneFrame::Awaited).min(delivered);
            if now < delivered {
                assert_eq!(clock.poll(now, MicrophoneFrame::Awaited), None, "frame {n} is not late yet");
                now = delivered;
            }
            assert!(clock.poll(now, MicrophoneFrame::Ready).is_some(), "frame {n} leaves when delivered");
            ticks.push(now);
        }
        assert!(gaps(&ticks).iter().all(|&gap| gap == 20), "one frame per 20 ms: {:?}", gaps(&ticks));
        let due = clock.poll_timeout(MicrophoneFrame::Awaited) - GRACE;
        let next_delivery = t0 + ms(7) + FRAME * 10;
        assert!(due.max(next_delivery) - due.min(next_delivery) < ms(1), "the clock's phase is the microphone's");
    }

    #[test]
    fn a_microphone_backlog_gains_at_most_5_ms_a_tick() {
        let t0 = Instant::now();
        let mut clock = Clock::new(t0);
        let mut now = t0;
        let mut ticks = Vec::new();
        for n in 0..20 {
            now = now.max(clock.poll_timeout(MicrophoneFrame::Ready));
            assert!(clock.poll(now, MicrophoneFrame::Ready).is_some());
            assert!(now + EARLY >= t0 + ms(15 * n), "tick {n} came {:?} after the start", now - t0);
            ticks.push(now);
        }
        // Early by 10 ms once, then 5 ms more each tick: never the backlog all at once.
        assert_eq!(gaps(&ticks)[..3], [10, 15, 15]);
    }
}
