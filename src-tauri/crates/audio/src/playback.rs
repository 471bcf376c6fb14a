//! This machine's speakers through cpal, for hearing the room's participants. The device
//! callback only takes samples from a lock-free ring buffer (silence when it runs dry); the
//! audio thread fills it with each tick's mix-minus frame. The callback also hands back what
//! it really played, gaps included, through a second ring: the echo canceller's reference,
//! so that a dropped frame or a gap never puts what it expects out of step with the echo. As with the microphone, opening
//! gives the [`DeviceStream`] (stays where it was opened) and the [`Speakers`], the ring's
//! writing end, which goes to the audio thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
/// Silence queued at the start, so uneven ticks do not make the device run dry; also what
/// is kept queued after falling behind.
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
    failure: Arc<Failure>,
    /// Device samples played as silence because the ring ran dry (counted by the callback).
    ran_dry: Arc<AtomicU64>,
    /// Samples dropped because the device had fallen behind.
    dropped: u64,
    /// Set by the device's first callback: until then nothing plays, and what queued would
    /// only be delay.
    started: Arc<AtomicBool>,
    queue: QueuePolicy,
    /// What the device played, folded to mono, as it played it (see the module's comment).
    played: HeapCons<f32>,
    scratch: Box<[f32; FRAME_SAMPLES_PER_CHANNEL]>,
}

/// When to queue a frame for the device and when to drop it; plain arithmetic on sample
/// counts. Every drop moves when what plays is heard, which the microphone's echo canceller
/// must then find again (letting echo through for up to two seconds), so after falling
/// behind the queue goes back to its lead in one jump instead of dropping a frame each time
/// it brushes its cap. (Topping a queue that ran dry back up to its lead was tried: each
/// top-up moved the echo path by tens of milliseconds where running dry had moved it by a
/// few, and the echo got through far more often.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePolicy {
    lead: usize,
    cap: usize,
    catching_up: bool,
}

impl QueuePolicy {
    pub fn new(lead: usize, cap: usize) -> Self {
        QueuePolicy { lead, cap, catching_up: false }
    }

    /// Whether a frame of `frame` samples joins a queue that holds `queued`.
    pub fn admit(&mut self, queued: usize, frame: usize) -> bool {
        let limit = if self.catching_up { self.lead } else { self.cap };
        self.catching_up = queued + frame > limit;
        !self.catching_up
    }
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
        let ran_dry = Arc::new(AtomicU64::new(0));
        let started = Arc::new(AtomicBool::new(false));
        // A short period if the device takes one (the default can hold a third of a second,
        // which people would hear as delay), else whatever it does by default.
        let mut last_error = String::new();
        for stream_config in [crate::stream::short_period(&config, PERIOD_MS), config.config()] {
            let (mut ring, samples) = HeapRb::<f32>::new(RING_MS * per_ms).split();
            ring.push_iter(std::iter::repeat_n(0.0, LEAD_MS * per_ms));
            // Mono at 48 kHz: what played, for the echo canceller (full only if the audio
            // thread stops taking it; the newest is then dropped).
            let (played_in, played) = HeapRb::<f32>::new(RING_MS * SAMPLE_RATE as usize / 1000).split();
            let on_error = failure.recorder();
            let device_side = Callback {
                samples,
                played: played_in,
                channels,
                ran_dry: Arc::clone(&ran_dry),
                started: Arc::clone(&started),
            };
            let built = match config.sample_format() {
                SampleFormat::F32 => build::<f32>(&device, &stream_config, device_side, on_error),
                SampleFormat::I16 => build::<i16>(&device, &stream_config, device_side, on_error),
                SampleFormat::I32 => build::<i32>(&device, &stream_config, device_side, on_error),
                SampleFormat::U16 => build::<u16>(&device, &stream_config, device_side, on_error),
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
            let speakers = Speakers {
                name,
                ring,
                channels,
                failure: Arc::clone(&failure),
                ran_dry,
                dropped: 0,
                started,
                queue: QueuePolicy::new(LEAD_MS * per_ms, max_queued),
                played,
                scratch: Box::new([0.0; FRAME_SAMPLES_PER_CHANNEL]),
            };
            return Ok((DeviceStream::new(stream, failure), speakers));
        }
        Err(PlaybackError::Open(last_error))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Milliseconds of silence the device played because nothing was queued, and of audio
    /// dropped because too much was: each is a jump in when what plays is heard.
    pub fn gaps_ms(&self) -> (u64, u64) {
        let per_ms = (SAMPLE_RATE as usize / 1000 * self.channels) as u64;
        (self.ran_dry.load(Ordering::Relaxed) / per_ms, self.dropped / per_ms)
    }

    /// The next 20 ms the device played (gaps as silence), as a stereo frame in `frame`;
    /// false until it has played that much more.
    pub fn take_played(&mut self, frame: &mut Frame) -> bool {
        if self.played.occupied_len() < FRAME_SAMPLES_PER_CHANNEL {
            return false;
        }
        self.played.pop_slice(&mut self.scratch[..]);
        for (pair, &sample) in frame.chunks_exact_mut(CHANNELS).zip(self.scratch.iter()) {
            pair.fill(sample);
        }
        true
    }

    /// Forgets what was played so far (nobody needs it as a reference now).
    pub fn forget_played(&mut self) {
        self.played.clear();
    }

    /// Queues one frame for the device, unless [`QueuePolicy`] drops it. Before the device
    /// first asks for sound the frame is let go: queued, it would only add delay.
    pub fn play(&mut self, frame: &Frame) -> Result<(), PlaybackError> {
        if let Some(reason) = self.failure.reason() {
            return Err(PlaybackError::Lost(reason));
        }
        if !self.started.load(Ordering::Relaxed) {
            return Ok(());
        }
        let frame_samples = FRAME_SAMPLES_PER_CHANNEL * self.channels;
        if !self.queue.admit(self.ring.occupied_len(), frame_samples) {
            self.dropped += frame_samples as u64;
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

/// What the device callback owns: the queue it plays from, the ring it tells what it played.
struct Callback {
    samples: HeapCons<f32>,
    played: HeapProd<f32>,
    channels: usize,
    ran_dry: Arc<AtomicU64>,
    started: Arc<AtomicBool>,
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut callback: Callback,
    on_error: impl FnMut(cpal::StreamError) + Send + 'static,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample + FromSample<f32> + Send + 'static,
{
    device.build_output_stream(
        config,
        move |data: &mut [T], _| {
            callback.started.store(true, Ordering::Relaxed);
            let mut missing = 0;
            for device_frame in data.chunks_mut(callback.channels) {
                let mut sum = 0.0;
                for slot in device_frame.iter_mut() {
                    let sample = callback.samples.try_pop().unwrap_or_else(|| {
                        missing += 1;
                        0.0
                    });
                    sum += sample;
                    *slot = T::from_sample(sample);
                }
                let _ = callback.played.try_push(sum / device_frame.len() as f32);
            }
            if missing > 0 {
                callback.ran_dry.fetch_add(missing, Ordering::Relaxed);
            }
        },
        on_error,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_falling_behind_the_queue_jumps_back_to_its_lead_once() {
        let (lead, cap, frame) = (40, 200, 20);
        let mut policy = QueuePolicy::new(lead, cap);
        assert!(policy.admit(160, frame), "within the cap");
        assert!(!policy.admit(190, frame), "past the cap");
        // The device plays 20 a tick while frames keep coming: dropped until back at the lead…
        let mut queued = 190;
        let mut dropped = 0;
        while !policy.admit(queued, frame) {
            dropped += 1;
            queued -= frame;
        }
        assert_eq!((queued, dropped), (10, 9), "one run of drops, until a frame fits under the lead");
        // …then it stays there, and brushing the lead again drops nothing.
        assert!(policy.admit(lead, frame) && policy.admit(lead + frame, frame));
    }
}
