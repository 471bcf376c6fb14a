//! Test signals and measurements: sine tones in room frames, and the frequency and level
//! of what comes out. Used by the benches, the tests and the fake Realtime server.

use std::time::{Duration, Instant};

use crate::fanout::{Fanout, MixReceiver};
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

/// A microphone that says a sine tone: 20 ms frames on the clock, from a thread of its own
/// that stops when the receiver is dropped. What the room's and the guest's tests give the
/// host's or the app's microphone.
pub fn tone_microphone(frequency: f32, amplitude: f32) -> MixReceiver {
    let mut fanout = Fanout::new();
    let receiver = fanout.attach("tone", 50);
    std::thread::spawn(move || {
        let start = Instant::now();
        for index in 0.. {
            fanout.send(&tone_frame(frequency, amplitude, index), Vec::new);
            if fanout.is_empty() {
                return;
            }
            let next = start + Duration::from_millis(20) * (index as u32 + 1);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    });
    receiver
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

/// The amplitude of the tone at `frequency` in a mono signal (a sine of amplitude `a` gives
/// about `a`), whatever else sounds with it.
pub fn tone_amplitude(mono: &[f32], frequency: f32) -> f32 {
    if mono.is_empty() {
        return 0.0;
    }
    2.0 * power_at(mono, frequency).max(0.0).sqrt() / mono.len() as f32
}

/// The power of a mono signal at one frequency (the Goertzel algorithm: one DFT bin).
fn power_at(mono: &[f32], frequency: f32) -> f32 {
    let coefficient = 2.0 * (2.0 * std::f32::consts::PI * frequency / SAMPLE_RATE as f32).cos();
    let (mut previous, mut before) = (0.0f32, 0.0f32);
    for &sample in mono {
        let current = sample + coefficient * previous - before;
        before = previous;
        previous = current;
    }
    previous * previous + before * before - coefficient * previous * before
}

/// The share of a mono signal's energy between `low` and `high` Hz, from a coarse spectrum
/// (sixth-octave points from 50 Hz to 12 kHz). Speech puts most of its energy in 100–4000 Hz.
pub fn band_share(mono: &[f32], low: f32, high: f32) -> f32 {
    let points = (0..).map(|i| 50.0 * 2f32.powf(i as f32 / 6.0)).take_while(|&f| f <= 12_000.0);
    let (mut inside, mut total) = (0.0, 0.0);
    for frequency in points {
        let power = power_at(mono, frequency);
        total += power;
        if (low..=high).contains(&frequency) {
            inside += power;
        }
    }
    if total > 0.0 {
        inside / total
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_share_finds_where_the_energy_is() {
        let tone: Vec<f32> = (0..10).flat_map(|i| left(&tone_frame(440.0, 0.5, i))).collect();
        assert!(band_share(&tone, 100.0, 4000.0) > 0.95);
        let high: Vec<f32> = (0..10).flat_map(|i| left(&tone_frame(9000.0, 0.5, i))).collect();
        assert!(band_share(&high, 100.0, 4000.0) < 0.1);
        assert_eq!(band_share(&[0.0; 100], 100.0, 4000.0), 0.0);
    }

    #[test]
    fn tone_amplitude_picks_one_tone_out_of_a_chord() {
        let chord: Vec<f32> = (0..5)
            .flat_map(|i| {
                let (low, high) = (tone_frame(300.0, 0.2, i), tone_frame(500.0, 0.1, i));
                left(&low).into_iter().zip(left(&high)).map(|(a, b)| a + b).collect::<Vec<_>>()
            })
            .collect();
        assert!((tone_amplitude(&chord, 300.0) - 0.2).abs() < 0.02);
        assert!((tone_amplitude(&chord, 500.0) - 0.1).abs() < 0.02);
        assert!(tone_amplitude(&chord, 800.0) < 0.01);
    }
}
