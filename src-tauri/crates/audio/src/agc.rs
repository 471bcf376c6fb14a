//! Per-source automatic gain: brings each speaker towards a target loudness, so a quiet
//! microphone and a loud one sit together in the mix. Below a speech floor (silence,
//! breathing, background hum) the gain is frozen, so noise is never pumped up.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgcConfig {
    /// The loudness speech is brought to (RMS, linear; 0.1 ≈ -20 dBFS).
    pub target_rms: f32,
    /// Below this RMS a frame is not speech and the gain does not move (0.005 ≈ -46 dBFS).
    pub speech_floor_rms: f32,
    /// The most the gain may amplify (10 = +20 dB).
    pub max_gain: f32,
    /// The least it may attenuate to.
    pub min_gain: f32,
    /// How much of the way to the wanted gain one frame goes when the gain must fall (loud speech).
    pub attack: f32,
    /// …and when it may rise (quiet speech); slower, so a pause does not make the next word blast.
    pub release: f32,
}

impl Default for AgcConfig {
    fn default() -> Self {
        AgcConfig {
            target_rms: 0.1,
            speech_floor_rms: 0.005,
            max_gain: 10.0,
            min_gain: 0.1,
            attack: 0.3,
            release: 0.05,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Agc {
    config: AgcConfig,
    gain: f32,
}

impl Agc {
    pub fn new(config: AgcConfig) -> Self {
        Agc { config, gain: 1.0 }
    }

    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Applies the gain to `frame` (whose RMS is `level`) in place, ramping from the
    /// previous gain to the new one across the frame so the change makes no click.
    pub fn process(&mut self, frame: &mut [f32], level: f32) {
        let start = self.gain;
        if level >= self.config.speech_floor_rms {
            let wanted = (self.config.target_rms / level).clamp(self.config.min_gain, self.config.max_gain);
            let rate = if wanted < self.gain { self.config.attack } else { self.config.release };
            self.gain += (wanted - self.gain) * rate;
        }
        let step = (self.gain - start) / frame.len().max(1) as f32;
        for (i, sample) in frame.iter_mut().enumerate() {
            *sample *= start + step * i as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{rms_and_peak, FRAME_LEN};

    fn process(agc: &mut Agc, frame: &mut [f32]) {
        let (level, _) = rms_and_peak(frame);
        agc.process(frame, level);
    }

    fn rms(frame: &[f32]) -> f32 {
        rms_and_peak(frame).0
    }

    fn tone(amplitude: f32, offset: usize) -> Vec<f32> {
        (0..FRAME_LEN).map(|i| amplitude * (((i + offset) / 2) as f32 * 0.0576).sin()).collect()
    }

    #[test]
    fn quiet_speech_converges_to_the_target() {
        let mut agc = Agc::new(AgcConfig::default());
        let mut out = Vec::new();
        for n in 0..200 {
            out = tone(0.02, n * FRAME_LEN);
            process(&mut agc, &mut out);
        }
        let level = rms(&out);
        assert!((level - 0.1).abs() < 0.01, "converged to {level}");
    }

    #[test]
    fn gain_is_capped() {
        let mut agc = Agc::new(AgcConfig::default());
        for n in 0..500 {
            process(&mut agc, &mut tone(0.006, n * FRAME_LEN));
        }
        assert!(agc.gain() <= 10.0 + 1e-4);
    }

    #[test]
    fn gain_freezes_below_the_speech_floor() {
        let mut agc = Agc::new(AgcConfig::default());
        for n in 0..100 {
            process(&mut agc, &mut tone(0.05, n * FRAME_LEN));
        }
        let settled = agc.gain();
        for n in 0..100 {
            process(&mut agc, &mut tone(0.001, n * FRAME_LEN));
        }
        assert_eq!(agc.gain(), settled, "noise does not move the gain");
    }

    #[test]
    fn loud_speech_is_brought_down_fast() {
        let mut agc = Agc::new(AgcConfig::default());
        for n in 0..10 {
            process(&mut agc, &mut tone(0.9, n * FRAME_LEN));
        }
        assert!(agc.gain() < 0.2, "{}", agc.gain());
    }
}
