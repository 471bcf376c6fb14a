//! This machine's speakers through cpal, for hearing the room's participants. The device
//! callback only takes samples from a lock-free ring buffer (silence when it runs dry); the
//! audio thread fills it with each tick's mix-minus frame. As with the microphone, opening
//! gives the [`DeviceStream`] (stays where it was opened) and the [`Speakers`], the ring's
//! writing end, which goes to the audio thread.

use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use crate::frame::{Frame, CHANNELS, FRAME_SAMPLES_PER_CHANNEL, SAMPLE_RATE};
use crate::stream::{DeviceStream, Failure};

/// The ring holds up to 400 ms; past 200 ms queued, frames are dropped to stay close to live.
const RING_MS: usize = 400;
const MAX_QUEUED_MS: usize = 200;
/// Silence queued at the start, so uneven ticks do not make the device run dry.
const LEAD_MS: usize = 40;
/// The device period asked for (cpal's fixed buffer is four of them, on ALSA).
const PERIOD_MS: u32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    #[error("no speakers or headphones were found")]
    NoDevice,
    #[error("the speakers could not be opened: {0}")]
    Open(String),
    #[error("the speakers stopped working: {0}")]
    Lost(String),
}

pub struct Speakers {
    name: String,
    ring: HeapProd<f32>,
    channels: usize,
    max_queued: usize,
    failure: Arc<Failure>,
}

impl Speakers {
    /// Opens the default output device at 48 kHz.
    pub fn open() -> Result<(DeviceStream, Speakers), PlaybackError> {
        let device = cpal::default_host().default_output_device().ok_or(PlaybackError::NoDevice)?;
        let name = device.name().unwrap_or_else(|_| "speakers".into());
        let supported = device.supported_output_configs().map_err(|_| PlaybackError::NoDevice)?;
        let rate = cpal::SampleRate(SAMPLE_RATE);
        let mut configs: Vec<_> =
            supported.filter(|c| c.min_sample_rate() <= rate && rate <= c.max_sample_rate()).collect();
        // Stereo float first, then whatever else plays 48 kHz.
        configs.sort_by_key(|c| (c.channels() != 2, c.sample_format() != SampleFormat::F32));
        let config = configs
            .into_iter()
            .next()
            .ok_or_else(|| PlaybackError::Open(format!("\"{name}\" does not play 48 kHz audio")))?
            .with_sample_rate(rate);
        let channels = usize::from(config.channels().max(1));
        let per_ms = SAMPLE_RATE as usize / 1000 * channels;
        let failure = Arc::new(Failure::default());
        // A short period if the device takes one (the default can hold a third of a second,
        // which people would hear as delay), else whatever it does by default.
        let mut last_error = String::new();
        for stream_config in [crate::stream::short_period(&config, PERIOD_MS), config.config()] {
            let (mut ring, samples) = HeapRb::<f32>::new(RING_MS * per_ms).split();
            ring.push_iter(std::iter::repeat_n(0.0, LEAD_MS * per_ms));
            let on_error = failure.recorder();
            let built = match config.sample_format() {
                SampleFormat::F32 => build::<f32>(&device, &stream_config, samples, on_error),
                SampleFormat::I16 => build::<i16>(&device, &stream_config, samples, on_error),
                SampleFormat::I32 => build::<i32>(&device, &stream_config, samples, on_error),
                SampleFormat::U16 => build::<u16>(&device, &stream_config, samples, on_error),
                other => return Err(PlaybackError::Open(format!("unsupported sample format {other}"))),
            };
            let stream = match built {
                Ok(stream) => stream,
                Err(err) => {
                    last_error = err.to_string();
                    continue;
                }
            };
            stream.play().map_err(|err| PlaybackError::Open(err.to_string()))?;
            log::info!(
                "playing the room on \"{name}\" ({channels} channels, {:?}, period {:?})",
                config.sample_format(),
                stream_config.buffer_size
            );
            let max_queued = MAX_QUEUED_MS * per_ms;
            let speakers = Speakers { name, ring, channels, max_queued, failure: Arc::clone(&failure) };
            return Ok((DeviceStream::new(stream, failure), speakers));
        }
        Err(PlaybackError::Open(last_error))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues one frame for the device; dropped if the device has fallen far behind.
    pub fn play(&mut self, frame: &Frame) -> Result<(), PlaybackError> {
        if let Some(reason) = self.failure.reason() {
            return Err(PlaybackError::Lost(reason));
        }
        if self.ring.occupied_len() + FRAME_SAMPLES_PER_CHANNEL * self.channels > self.max_queued {
            return Ok(());
        }
        let channels = self.channels;
        let samples = frame.chunks_exact(CHANNELS).flat_map(|pair| {
            let mono = (pair[0] + pair[1]) / 2.0;
            (0..channels).map(move |c| if channels == 1 { mono } else { pair.get(c).copied().unwrap_or(0.0) })
        });
        self.ring.push_iter(samples);
        Ok(())
    }
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut samples: HeapCons<f32>,
    on_error: impl FnMut(cpal::StreamError) + Send + 'static,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    device.build_output_stream(
        config,
        move |data: &mut [T], _| {
            for slot in data.iter_mut() {
                *slot = T::from_sample(samples.try_pop().unwrap_or(0.0));
            }
        },
        on_error,
        None,
    )
}
