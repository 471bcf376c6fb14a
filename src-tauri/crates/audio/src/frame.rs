//! The unit everything works in: 20 ms of 48 kHz stereo audio, interleaved f32 in [-1, 1].

pub const SAMPLE_RATE: u32 = 48_000;
pub const CHANNELS: usize = 2;
pub const FRAME_MS: u32 = 20;
pub const FRAME_SAMPLES_PER_CHANNEL: usize = (SAMPLE_RATE / 1000 * FRAME_MS) as usize;
/// Samples in one interleaved frame (960 per channel × 2).
pub const FRAME_LEN: usize = FRAME_SAMPLES_PER_CHANNEL * CHANNELS;

pub type Frame = [f32; FRAME_LEN];

/// RMS and peak of a block in one pass. Eight running lanes let the compiler vectorise it
/// (a single running float sum cannot be reordered, so it would not be).
pub fn rms_and_peak(samples: &[f32]) -> (f32, f32) {
    if samples.is_empty() {
        return (0.0, 0.0);
    }
    let mut squares = [0.0f32; 8];
    let mut peaks = [0.0f32; 8];
    let chunks = samples.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for lane in 0..8 {
            squares[lane] += chunk[lane] * chunk[lane];
            peaks[lane] = peaks[lane].max(chunk[lane].abs());
        }
    }
    let mut sum: f32 = squares.iter().sum();
    let mut peak = peaks.iter().fold(0.0f32, |a, &b| a.max(b));
    for &sample in rest {
        sum += sample * sample;
        peak = peak.max(sample.abs());
    }
    ((sum / samples.len() as f32).sqrt(), peak)
}

/// Decibels relative to full scale; silence gives -100 dB rather than minus infinity.
pub fn dbfs(amplitude: f32) -> f32 {
    if amplitude <= 1e-5 {
        -100.0
    } else {
        20.0 * amplitude.log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_and_peak_of_odd_lengths() {
        assert_eq!(rms_and_peak(&[]), (0.0, 0.0));
        let (rms, peak) = rms_and_peak(&[0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -1.0]);
        assert!((rms - ((9.0 * 0.25 + 1.0) / 10.0f32).sqrt()).abs() < 1e-6);
        assert_eq!(peak, 1.0);
    }
}
