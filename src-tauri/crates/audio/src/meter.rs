//! Level meters: loudness and peak of each frame and whether someone is speaking, with a
//! short hang-over so the indicator does not flicker between words.

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::frame::dbfs;

/// The level of one source or of the mix, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Level {
    pub rms_dbfs: f32,
    pub peak_dbfs: f32,
    pub speaking: bool,
}

#[derive(Debug, Clone)]
pub struct Meter {
    threshold_rms: f32,
    hangover_frames: u32,
    frames_since_speech: u32,
    level: Level,
}

impl Meter {
    /// `threshold_rms`: what counts as speech; `hangover_frames`: how long "speaking" outlasts it.
    pub fn new(threshold_rms: f32, hangover_frames: u32) -> Self {
        Meter {
            threshold_rms,
            hangover_frames,
            frames_since_speech: u32::MAX,
            level: Level { rms_dbfs: -100.0, peak_dbfs: -100.0, speaking: false },
        }
    }

    /// Takes the next frame's RMS and peak (linear, from [`crate::frame::rms_and_peak`]).
    pub fn update(&mut self, rms: f32, peak: f32) -> Level {
        self.frames_since_speech =
            if rms >= self.threshold_rms { 0 } else { self.frames_since_speech.saturating_add(1) };
        self.level = Level {
            rms_dbfs: dbfs(rms),
            peak_dbfs: dbfs(peak),
            speaking: self.frames_since_speech <= self.hangover_frames,
        };
        self.level
    }

    pub fn level(&self) -> Level {
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::rms_and_peak;

    impl Meter {
        fn measure(&mut self, frame: &[f32]) -> Level {
            let (rms, peak) = rms_and_peak(frame);
            self.update(rms, peak)
        }
    }

    #[test]
    fn speaking_lasts_through_the_hangover() {
        let mut meter = Meter::new(0.01, 3);
        assert!(!meter.measure(&[0.0; 64]).speaking);
        assert!(meter.measure(&[0.5; 64]).speaking);
        for _ in 0..3 {
            assert!(meter.measure(&[0.0; 64]).speaking);
        }
        assert!(!meter.measure(&[0.0; 64]).speaking);
    }

    #[test]
    fn levels_in_dbfs() {
        let mut meter = Meter::new(0.01, 0);
        let level = meter.measure(&[0.5, -0.5, 0.5, -0.5]);
        assert!((level.rms_dbfs - -6.02).abs() < 0.01);
        assert!((level.peak_dbfs - -6.02).abs() < 0.01);
        assert_eq!(meter.measure(&[0.0; 4]).rms_dbfs, -100.0);
    }
}
