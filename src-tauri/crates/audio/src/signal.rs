//! Test signals and measurements: sine tones in room frames, and the frequency and level
//! of what comes out. Used by the benches, the tests and the fake Realtime server.

use crate::frame::{Frame, FRAME_LEN, SAMPLE_RATE};

/// The `index`-th 20 ms frame of a stereo sine tone.
pub fn tone_frame(frequency: f32, amplitude: f32, index: usize) -> Frame {
    let mut frame = [0.0; FRAME_LEN];
    let start = index * FRAME_LEN / 2;
    for (i, pair) in frame.chunks_exact_mut(2).enumerate() {
        let t = (start + i) as f32 / SAMPLE_RATE as f32;
        let value = amplitude * (2.0 * std::f32::consts::PI * frequency * t).sin();
        pair[0] = value;
        pair[1] = value;
    }
    frame
}

/// The left channel of interleaved stereo.
pub fn left(samples: &[f32]) -> Vec<f32> {
    samples.iter().step_by(2).copied().collect()
}

/// The frequency of the strongest tone in a mono signal, by counting rising zero crossings.
pub fn frequency(mono: &[f32]) -> f32 {
    let crossings: Vec<usize> = (1..mono.len()).filter(|&i| mono[i - 1] < 0.0 && mono[i] >= 0.0).collect();
    if crossings.len() < 2 {
        return 0.0;
    }
    let periods = (crossings.len() - 1) as f32;
    let span = (crossings[crossings.len() - 1] - crossings[0]) as f32;
    periods * SAMPLE_RATE as f32 / span
}

/// The median of [`frequency`] over 100 ms windows: a click or a dropped frame in one
/// window does not move it.
pub fn steady_frequency(mono: &[f32]) -> f32 {
    let window = SAMPLE_RATE as usize / 10;
    let mut estimates: Vec<f32> = mono.chunks_exact(window).map(frequency).collect();
    if estimates.is_empty() {
        return frequency(mono);
    }
    estimates.sort_by(f32::total_cmp);
    estimates[estimates.len() / 2]
}

pub fn rms(samples: &[f32]) -> f32 {
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt()
}
