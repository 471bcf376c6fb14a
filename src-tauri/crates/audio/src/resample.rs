//! Turns a device's audio (any rate, any channel count, interleaved) into the room format:
//! 48 kHz stereo. Channels are averaged to mono first — a meeting microphone carries one
//! voice, and resampling one channel instead of several halves the work — then resampled
//! with rubato and written to both output channels.

use rubato::{FftFixedIn, Resampler};

use crate::frame::{CHANNELS, SAMPLE_RATE};

/// Input taken per resampler call: 10 ms at the device's rate.
const CHUNK_MS: usize = 10;

#[derive(Debug, thiserror::Error)]
#[error("cannot convert {rate} Hz audio: {reason}")]
pub struct ResampleError {
    rate: u32,
    reason: String,
}

pub struct ToRoomFormat {
    channels: usize,
    resampler: Option<FftFixedIn<f32>>,
    pending: Vec<f32>,
    input: Vec<Vec<f32>>,
    output: Vec<Vec<f32>>,
}

impl ToRoomFormat {
    pub fn new(rate: u32, channels: u16) -> Result<Self, ResampleError> {
        let channels = usize::from(channels.max(1));
        let resampler = if rate == SAMPLE_RATE {
            None
        } else {
            let chunk = rate as usize * CHUNK_MS / 1000;
            let resampler = FftFixedIn::new(rate as usize, SAMPLE_RATE as usize, chunk.max(1), 1, 1)
                .map_err(|err| ResampleError { rate, reason: err.to_string() })?;
            Some(resampler)
        };
        let (input, output) = match &resampler {
            Some(r) => (vec![Vec::with_capacity(r.input_frames_max())], r.output_buffer_allocate(true)),
            None => (vec![Vec::new()], vec![Vec::new()]),
        };
        Ok(ToRoomFormat { channels, resampler, pending: Vec::new(), input, output })
    }

    /// Converts interleaved device samples and appends the 48 kHz stereo result to `out`.
    /// Input that does not fill a resampler chunk waits for the next call.
    pub fn convert(&mut self, device_samples: &[f32], out: &mut Vec<f32>) {
        let channels = self.channels;
        self.pending
            .extend(device_samples.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() / channels as f32));
        let Some(resampler) = &mut self.resampler else {
            out.extend(self.pending.drain(..).flat_map(|s| [s; CHANNELS]));
            return;
        };
        let mut used = 0;
        while self.pending.len() - used >= resampler.input_frames_next() {
            let needed = resampler.input_frames_next();
            self.input[0].clear();
            self.input[0].extend_from_slice(&self.pending[used..used + needed]);
            match resampler.process_into_buffer(&self.input, &mut self.output, None) {
                Ok((consumed, produced)) => {
                    used += consumed;
                    out.extend(self.output[0][..produced].iter().flat_map(|&s| [s; CHANNELS]));
                }
                // Buffers are sized by the resampler itself, so this cannot happen; drop the chunk rather than spin.
                Err(_) => used += needed,
            }
        }
        self.pending.drain(..used);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, channels: u16, seconds: f32, frequency: f32) -> Vec<f32> {
        let frames = (rate as f32 * seconds) as usize;
        (0..frames)
            .flat_map(|i| {
                let v = 0.5 * (2.0 * std::f32::consts::PI * frequency * i as f32 / rate as f32).sin();
                std::iter::repeat_n(v, channels as usize)
            })
            .collect()
    }

    fn left_frequency(stereo: &[f32]) -> f32 {
        let left: Vec<f32> = stereo.iter().step_by(2).copied().collect();
        let ups: Vec<usize> = (1..left.len()).filter(|&i| left[i - 1] < 0.0 && left[i] >= 0.0).collect();
        (ups.len() - 1) as f32 * SAMPLE_RATE as f32 / (ups[ups.len() - 1] - ups[0]) as f32
    }

    #[test]
    fn any_rate_and_layout_comes_out_48k_stereo_at_the_same_pitch() {
        for (rate, channels) in [(44_100, 1), (16_000, 1), (48_000, 2), (22_050, 6), (96_000, 2)] {
            let mut converter = ToRoomFormat::new(rate, channels).unwrap();
            let input = sine(rate, channels, 1.0, 440.0);
            let mut out = Vec::new();
            // Device callbacks come in odd sizes.
            for chunk in input.chunks(channels as usize * 333) {
                converter.convert(chunk, &mut out);
            }
            let seconds = out.len() as f32 / 2.0 / SAMPLE_RATE as f32;
            assert!((0.95..=1.0).contains(&seconds), "{rate} Hz × {channels}: {seconds} s out");
            let f = left_frequency(&out[out.len() / 4..]);
            assert!((f - 440.0).abs() < 2.0, "{rate} Hz × {channels}: {f} Hz");
            assert!(out.chunks_exact(2).all(|p| p[0] == p[1]));
        }
    }
}
