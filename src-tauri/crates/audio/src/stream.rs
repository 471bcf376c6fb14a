//! What a device leaves behind once it is open: the running cpal stream, kept alive by the
//! thread that opened it, and the flag its error callback raises when the device goes away,
//! read both by that thread (to reopen) and by the audio thread (to stop using it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cpal::{BufferSize, SupportedBufferSize, SupportedStreamConfig};

/// A running input or output stream; capture or playback lasts as long as it lives.
pub struct DeviceStream {
    _stream: cpal::Stream,
    failure: Arc<Failure>,
}

impl DeviceStream {
    pub(crate) fn new(stream: cpal::Stream, failure: Arc<Failure>) -> Self {
        DeviceStream { _stream: stream, failure }
    }

    /// The device reported an error (unplugged, its server gone): it will play or capture no more.
    pub fn failed(&self) -> bool {
        self.failure.reason().is_some()
    }
}

#[derive(Default)]
pub(crate) struct Failure {
    failed: AtomicBool,
    reason: Mutex<Option<String>>,
}

impl Failure {
    /// The stream's error callback: it records the first reason and raises the flag.
    pub(crate) fn recorder(self: &Arc<Self>) -> impl FnMut(cpal::StreamError) + Send + 'static {
        let failure = Arc::clone(self);
        move |err: cpal::StreamError| {
            failure.reason.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(err.to_string());
            failure.failed.store(true, Ordering::Release);
        }
    }

    /// Why the device failed, once it has.
    pub(crate) fn reason(&self) -> Option<String> {
        if !self.failed.load(Ordering::Acquire) {
            return None;
        }
        Some(self.reason.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default())
    }
}

/// `config` with a device period of about `ms` milliseconds, within what the device allows.
/// cpal's fixed buffer size is four periods (ALSA), so that is what is asked for.
pub(crate) fn short_period(config: &SupportedStreamConfig, ms: u32) -> cpal::StreamConfig {
    let frames = 4 * (config.sample_rate().0 * ms / 1000);
    let frames = match *config.buffer_size() {
        SupportedBufferSize::Range { min, max } => frames.clamp(min, max),
        SupportedBufferSize::Unknown => frames,
    };
    cpal::StreamConfig { buffer_size: BufferSize::Fixed(frames), ..config.config() }
}
