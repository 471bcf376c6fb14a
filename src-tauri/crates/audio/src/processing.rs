//! This machine's microphone, cleaned up by WebRTC's audio processing module (Debian's
//! libwebrtc-audio-processing, through its -sys crate): acoustic echo cancellation against
//! what the speakers play, noise suppression, a high-pass filter and the gain control — the
//! microphone's one gain stage (participants keep the mixer's own gain control, see the
//! README). The module wants 10 ms of mono at a time; each 20 ms stereo frame is folded to
//! mono, processed in two halves, and written back to both channels, in place and without
//! allocating.

use std::ptr::NonNull;

use webrtc_audio_processing_sys as ffi;

use crate::frame::{Frame, CHANNELS};
use crate::mixer::LocalProcessing;

/// Samples per channel in one call of the module (10 ms at 48 kHz).
const CHUNK: usize = ffi::NUM_SAMPLES_PER_FRAME as usize;
/// The level the gain control aims for, in dB below full scale (WebRTC's own default).
const TARGET_LEVEL_DBFS: i32 = 3;
/// How much the gain control may lift a quiet microphone.
const MAX_GAIN_DB: i32 = 15;

/// What the processing does; one place for all its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingConfig {
    /// Cancel what the speakers play out of the microphone (off on a headset, or with no
    /// speakers playing).
    pub echo_cancellation: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("the audio processing module could not start (error {0})")]
pub struct ProcessingError(i32);

/// One audio processing module, used by the audio thread alone.
pub struct MicProcessing {
    module: NonNull<ffi::AudioProcessing>,
    config: ProcessingConfig,
    capture: Box<[f32; CHUNK]>,
    render: Box<[f32; CHUNK]>,
}

// The module has no thread affinity; it is owned, and called, by one thread at a time.
unsafe impl Send for MicProcessing {}

impl MicProcessing {
    pub fn new(config: ProcessingConfig) -> Result<Self, ProcessingError> {
        let init = ffi::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            enable_experimental_agc: false,
            enable_intelligibility_enhancer: false,
        };
        let mut code = 0;
        // SAFETY: `init` and `code` outlive the call; a null result comes with an error code.
        let module = unsafe { ffi::audio_processing_create(&init, &mut code) };
        let module = NonNull::new(module).ok_or(ProcessingError(code))?;
        let mut processing =
            MicProcessing { module, config, capture: Box::new([0.0; CHUNK]), render: Box::new([0.0; CHUNK]) };
        processing.configure(config);
        Ok(processing)
    }

    pub fn config(&self) -> ProcessingConfig {
        self.config
    }

    /// Changes what runs, keeping what the module has learnt (the echo path, the noise).
    pub fn configure(&mut self, config: ProcessingConfig) {
        self.config = config;
        let settings = ffi::Config {
            echo_cancellation: ffi::EchoCancellation {
                enable: config.echo_cancellation,
                suppression_level: ffi::EchoCancellation_SuppressionLevel::MODERATE,
                // Speakers and microphone on separate clocks and buffers: the delay is
                // found by the module and may be long (a room's reverberation, Bluetooth).
                enable_extended_filter: true,
                enable_delay_agnostic: true,
                stream_delay_ms: ffi::OptionalInt { has_value: false, value: 0 },
            },
            gain_control: ffi::GainControl {
                enable: true,
                mode: ffi::GainControl_Mode::ADAPTIVE_DIGITAL,
                target_level_dbfs: TARGET_LEVEL_DBFS,
                compression_gain_db: MAX_GAIN_DB,
                enable_limiter: true,
            },
            noise_suppression: ffi::NoiseSuppression {
                enable: true,
                suppression_level: ffi::NoiseSuppression_SuppressionLevel::MODERATE,
            },
            voice_detection: ffi::VoiceDetection {
                enable: false,
                detection_likelihood: ffi::VoiceDetection_DetectionLikelihood::MODERATE,
            },
            enable_transient_suppressor: false,
            enable_high_pass_filter: true,
        };
        // SAFETY: the module is alive; the config is read during the call only.
        unsafe { ffi::set_config(self.module.as_ptr(), &settings) };
    }

    /// How much of the echo the module removes now, in dB (once it has measured it).
    pub fn echo_return_loss_enhancement_db(&self) -> Option<f64> {
        // SAFETY: the module is alive.
        let stats = unsafe { ffi::get_stats(self.module.as_ptr()) };
        stats.echo_return_loss_enhancement.has_value.then_some(stats.echo_return_loss_enhancement.value)
    }
}

impl LocalProcessing for MicProcessing {
    /// What the speakers are about to play: the echo to expect.
    fn render(&mut self, played: &Frame) {
        if !self.config.echo_cancellation {
            return;
        }
        for half in played.chunks_exact(CHUNK * CHANNELS) {
            fold_to_mono(half, &mut self.render);
            let mut channels = [self.render.as_mut_ptr()];
            // SAFETY: one channel of CHUNK samples, as the module was created for.
            unsafe { ffi::process_render_frame(self.module.as_ptr(), channels.as_mut_ptr()) };
        }
    }

    /// The microphone's 20 ms, processed in place.
    fn capture(&mut self, frame: &mut Frame) {
        for half in frame.chunks_exact_mut(CHUNK * CHANNELS) {
            fold_to_mono(half, &mut self.capture);
            let mut channels = [self.capture.as_mut_ptr()];
            // SAFETY: one channel of CHUNK samples, as the module was created for.
            unsafe { ffi::process_capture_frame(self.module.as_ptr(), channels.as_mut_ptr()) };
            for (pair, sample) in half.chunks_exact_mut(CHANNELS).zip(self.capture.iter()) {
                pair.fill(*sample);
            }
        }
    }
}

impl Drop for MicProcessing {
    fn drop(&mut self) {
        // SAFETY: created by `audio_processing_create`, deleted once.
        unsafe { ffi::audio_processing_delete(self.module.as_ptr()) };
    }
}

/// Interleaved stereo to mono: the average of the channels.
fn fold_to_mono(stereo: &[f32], mono: &mut [f32; CHUNK]) {
    for (sample, pair) in mono.iter_mut().zip(stereo.chunks_exact(CHANNELS)) {
        *sample = pair.iter().sum::<f32>() / CHANNELS as f32;
    }
}
