//! The local microphone through cpal. The device callback only copies samples into a
//! lock-free ring buffer (no locks, no allocation) and wakes the audio thread; the audio
//! thread drains it, converts to 48 kHz stereo and feeds the mixer. Opening gives two
//! halves: the [`DeviceStream`], which keeps capture running and stays on the thread that
//! opened it (cpal streams cannot move), and the [`Microphone`], the ring's reading end,
//! which goes to the audio thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::Thread;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use crate::resample::{ResampleError, ToRoomFormat};
use crate::stream::{DeviceStream, Failure};

/// How much device audio the ring holds before the callback starts dropping: 1 s at 48 kHz stereo.
const RING_SAMPLES: usize = 96_000;
/// The device period asked for: each delivery waits this long for its first sample, so it
/// is most of the microphone's latency (ALSA's default here is 40 ms).
const PERIOD_MS: u32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no microphone was found; plug one in or choose another microphone")]
    NoDevice,
    #[error("the microphone \"{0}\" is not connected; plug it in or choose another microphone")]
    NotFound(String),
    #[error("the microphone could not be opened: {0}")]
    Open(String),
    #[error("the microphone stopped working: {0}")]
    Lost(String),
    #[error(transparent)]
    Format(#[from] ResampleError),
}

/// The names of the input devices, default first.
pub fn input_names() -> Vec<String> {
    let host = cpal::default_host();
    let default = host.default_input_device().and_then(|d| d.name().ok());
    let mut names: Vec<String> =
        host.input_devices().map(|devices| devices.filter_map(|d| d.name().ok()).collect()).unwrap_or_default();
    if let Some(default) = default {
        names.retain(|n| *n != default);
        names.insert(0, default);
    }
    names
}

pub struct Microphone {
    name: String,
    samples: HeapCons<f32>,
    converter: ToRoomFormat,
    scratch: Vec<f32>,
    overflowed: Arc<AtomicU64>,
    failure: Arc<Failure>,
}

impl Microphone {
    /// Opens the named input, or the default one, and starts capturing; `wake` is unparked
    /// at every delivery, so the thread that reads can sleep until there is sound.
    pub fn open(name: Option<&str>, wake: Option<Thread>) -> Result<(DeviceStream, Microphone), CaptureError> {
        let host = cpal::default_host();
        let device = match name {
            Some(wanted) => host
                .input_devices()
                .map_err(|err| CaptureError::Open(err.to_string()))?
                .find(|d| d.name().is_ok_and(|n| n == wanted))
                .ok_or_else(|| CaptureError::NotFound(wanted.to_owned()))?,
            None => host.default_input_device().ok_or(CaptureError::NoDevice)?,
        };
        let name = device.name().unwrap_or_else(|_| "microphone".into());
        // A listed device whose configuration cannot be read is as good as absent (ALSA's null device).
        let config = device.default_input_config().map_err(|_| CaptureError::NoDevice)?;
        let converter = ToRoomFormat::new(config.sample_rate().0, config.channels())?;
        let overflowed = Arc::new(AtomicU64::new(0));
        let failure = Arc::new(Failure::default());
        // A short period if the device takes one, else whatever it does by default.
        let mut last_error = None;
        for stream_config in [crate::stream::short_period(&config, PERIOD_MS), config.config()] {
            let (producer, samples) = HeapRb::<f32>::new(RING_SAMPLES).split();
            let ring = Ring { producer, overflowed: Arc::clone(&overflowed), wake: wake.clone() };
            let on_error = failure.recorder();
            let built = match config.sample_format() {
                SampleFormat::F32 => build::<f32>(&device, &stream_config, ring, on_error),
                SampleFormat::I16 => build::<i16>(&device, &stream_config, ring, on_error),
                SampleFormat::U16 => build::<u16>(&device, &stream_config, ring, on_error),
                SampleFormat::I32 => build::<i32>(&device, &stream_config, ring, on_error),
                SampleFormat::I8 => build::<i8>(&device, &stream_config, ring, on_error),
                SampleFormat::U8 => build::<u8>(&device, &stream_config, ring, on_error),
                SampleFormat::F64 => build::<f64>(&device, &stream_config, ring, on_error),
                other => return Err(CaptureError::Open(format!("unsupported sample format {other}"))),
            };
            let stream = match built {
                Ok(stream) => stream,
                Err(err) => {
                    last_error = Some(err.to_string());
                    continue;
                }
            };
            stream.play().map_err(|err| CaptureError::Open(err.to_string()))?;
            log::info!(
                "capturing from \"{name}\" at {} Hz, {} channels, {:?}, period {:?}",
                config.sample_rate().0,
                config.channels(),
                config.sample_format(),
                stream_config.buffer_size
            );
            let microphone = Microphone {
                name,
                samples,
                converter,
                scratch: vec![0.0; RING_SAMPLES],
                overflowed,
                failure: Arc::clone(&failure),
            };
            return Ok((DeviceStream::new(stream, failure), microphone));
        }
        Err(CaptureError::Open(last_error.unwrap_or_default()))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Moves what was captured since the last call, as 48 kHz stereo, onto `out`.
    pub fn read(&mut self, out: &mut Vec<f32>) -> Result<(), CaptureError> {
        if let Some(reason) = self.failure.reason() {
            return Err(CaptureError::Lost(reason));
        }
        let count = self.samples.pop_slice(&mut self.scratch);
        self.converter.convert(&self.scratch[..count], out);
        Ok(())
    }

    /// Device samples the callback had to drop because this side fell a second behind.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }
}

/// The callback's end of the ring: it only ever pushes, never waits.
struct Ring {
    producer: HeapProd<f32>,
    overflowed: Arc<AtomicU64>,
    wake: Option<Thread>,
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut ring: Ring,
    on_error: impl FnMut(cpal::StreamError) + Send + 'static,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample + Send + 'static,
    f32: FromSample<T>,
{
    device.build_input_stream(
        config,
        move |data: &[T], _| {
            let pushed = ring.producer.push_iter(data.iter().map(|&s| f32::from_sample_(s)));
            if pushed < data.len() {
                ring.overflowed.fetch_add((data.len() - pushed) as u64, Ordering::Relaxed);
            }
            if let Some(thread) = &ring.wake {
                thread.unpark();
            }
        },
        on_error,
        None,
    )
}
