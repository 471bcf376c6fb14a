//! The unit everything works in: 20 ms of 48 kHz stereo audio, interleaved f32 in [-1, 1].

pub const SAMPLE_RATE: u32 = 48_000;
pub const CHANNELS: usize = 2;
pub const FRAME_MS: u32 = 20;
pub const FRAME_SAMPLES_PER_CHANNEL: usize = (SAMPLE_RATE / 1000 * FRAME_MS) as usize;
/// Samples in one interleaved frame (960 per channel × 2).
pub const FRAME_LEN: usize = FRAME_SAMPLES_PER_CHANNEL * CHANNELS;

pub type Frame = [f32; FRAME_LEN];

/// Root mean square of a block of samples.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

pub fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0, |max, s| max.max(s.abs()))
}

/// Decibels relative to full scale; silence gives -100 dB rather than minus infinity.
pub fn dbfs(amplitude: f32) -> f32 {
    if amplitude <= 1e-5 {
        -100.0
    } else {
        20.0 * amplitude.log10()
    }
}
