//! This machine's microphone, cleaned up by WebRTC's audio processing module in its current
//! form (sonora, a pure-Rust port of it): echo cancellation (AEC3) against what the speakers
//! play, noise suppression, a high-pass filter and the adaptive digital gain (AGC2) — the
//! microphone's one gain stage (participants keep the mixer's own gain control, see the
//! README). The module works on 10 ms of mono at a time: each 20 ms stereo frame is folded
//! to mono, processed in two halves, and written back to both channels.
//!
//! The module allocates as it works and the audio thread must not, so in the engine it runs
//! on a thread of its own ([`ProcessingThread`]): each tick the audio thread hands over what
//! the speakers play and the microphone's frame through lock-free rings and waits a few
//! milliseconds at most for the processed frame (the module needs well under one). A frame
//! not back by then is silence for that tick, never lasting delay.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use sonora::config::{AdaptiveDigital, EchoCanceller, GainController2, HighPassFilter, NoiseSuppression};

use crate::frame::{Frame, CHANNELS, SAMPLE_RATE};
use crate::mixer::LocalProcessing;

/// Samples per channel in one call of the module (10 ms).
const CHUNK: usize = SAMPLE_RATE as usize / 100;
/// Ticks waiting for the processing thread. It takes well under a millisecond a tick, so
/// only a stalled thread fills this; then the newest tick is dropped (and is silent).
const JOBS: usize = 8;
/// Processed frames waiting for the audio thread: this tick's, and late ones it drops.
const DONE: usize = 4;
/// How long the audio thread waits for this tick's frame before it goes on without it.
const WAIT: Duration = Duration::from_millis(5);

/// What the processing does; one place for all its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingConfig {
    /// Cancel what the speakers play out of the microphone (off on a headset, or with no
    /// speakers playing).
    pub echo_cancellation: bool,
}

impl ProcessingConfig {
    /// The module's settings: WebRTC's own defaults for each stage, as browsers use them.
    fn module(self) -> sonora::Config {
        sonora::Config {
            high_pass_filter: Some(HighPassFilter::default()),
            echo_canceller: self.echo_cancellation.then(EchoCanceller::default),
            noise_suppression: Some(NoiseSuppression::default()),
            gain_controller2: Some(GainController2 {
                adaptive_digital: Some(AdaptiveDigital::default()),
                ..GainController2::default()
            }),
            ..sonora::Config::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the audio processing thread could not start: {0}")]
pub struct ProcessingError(std::io::Error);

/// The module itself, for whichever one thread uses it.
pub struct MicProcessing {
    module: sonora::AudioProcessing,
    config: ProcessingConfig,
    mono: Box<[f32; CHUNK]>,
    out: Box<[f32; CHUNK]>,
}

impl MicProcessing {
    pub fn new(config: ProcessingConfig) -> Self {
        let mono = sonora::StreamConfig::new(SAMPLE_RATE, 1);
        let module =
            sonora::AudioProcessing::builder().config(config.module()).capture_config(mono).render_config(mono).build();
        MicProcessing { module, config, mono: Box::new([0.0; CHUNK]), out: Box::new([0.0; CHUNK]) }
    }

    pub fn config(&self) -> ProcessingConfig {
        self.config
    }

    /// Changes what runs, keeping what the module has learnt (the echo path, the noise).
    pub fn configure(&mut self, config: ProcessingConfig) {
        if config != self.config {
            self.config = config;
            self.module.apply_config(config.module());
        }
    }
}

impl LocalProcessing for MicProcessing {
    /// What the speakers are about to play: the echo to expect.
    fn render(&mut self, played: &Frame) {
        if !self.config.echo_cancellation {
            return;
        }
        for half in played.chunks_exact(CHUNK * CHANNELS) {
            fold_to_mono(half, &mut self.mono);
            // The formats are the ones the module was built for, so this cannot fail.
            let _ = self.module.process_render_f32(&[&self.mono[..]], &mut [&mut self.out[..]]);
        }
    }

    /// The microphone's 20 ms, processed in place.
    fn capture(&mut self, frame: &mut Frame) {
        for half in frame.chunks_exact_mut(CHUNK * CHANNELS) {
            fold_to_mono(half, &mut self.mono);
            let _ = self.module.process_capture_f32(&[&self.mono[..]], &mut [&mut self.out[..]]);
            for (pair, sample) in half.chunks_exact_mut(CHANNELS).zip(self.out.iter()) {
                pair.fill(*sample);
            }
        }
    }
}

/// One tick for the processing thread: what the speakers played (if they played a frame
/// since the last job), and the microphone's frame if it had one.
#[derive(Clone, Copy)]
struct Job {
    played: Option<Frame>,
    heard: Option<Frame>,
}

/// What the audio thread and the processing thread share besides the rings.
struct Shared {
    echo_cancellation: AtomicBool,
    stop: AtomicBool,
    /// Microphone frames processed so far.
    processed: AtomicU64,
}

/// The module on a thread of its own, driven from the audio thread without allocating: the
/// audio thread hands each tick over and waits at most [`WAIT`] for the frame to come back.
/// Created on the thread that drives it, which is the one woken when a frame is ready.
pub struct ProcessingThread {
    config: ProcessingConfig,
    jobs: HeapProd<Job>,
    done: HeapCons<Frame>,
    /// What the speakers play this tick, until the microphone's frame (if any) joins it.
    played: Option<Frame>,
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    /// Microphone frames handed over so far.
    sent: u64,
    /// Ticks whose frame was not back in time (the microphone was silent for them).
    late: u64,
}

impl ProcessingThread {
    pub fn start(config: ProcessingConfig) -> Result<Self, ProcessingError> {
        let (jobs, inbox) = HeapRb::<Job>::new(JOBS).split();
        let (outbox, done) = HeapRb::<Frame>::new(DONE).split();
        let shared = Arc::new(Shared {
            echo_cancellation: AtomicBool::new(config.echo_cancellation),
            stop: AtomicBool::new(false),
            processed: AtomicU64::new(0),
        });
        let driver = std::thread::current();
        let worker = std::thread::Builder::new()
            .name("mic-processing".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || work(MicProcessing::new(config), inbox, outbox, &shared, &driver)
            })
            .map_err(ProcessingError)?;
        Ok(ProcessingThread { config, jobs, done, played: None, shared, worker: Some(worker), sent: 0, late: 0 })
    }

    pub fn config(&self) -> ProcessingConfig {
        self.config
    }

    /// Changes what runs from the next tick on.
    pub fn configure(&mut self, config: ProcessingConfig) {
        self.config = config;
        self.shared.echo_cancellation.store(config.echo_cancellation, Ordering::Relaxed);
    }

    /// Ticks whose frame did not come back in time, so the microphone was silent for them.
    pub fn late_ticks(&self) -> u64 {
        self.late
    }

    fn send(&mut self, job: Job) -> bool {
        // Full only if the thread has stalled: this tick is dropped, the next ones go on.
        let sent = self.jobs.try_push(job).is_ok();
        if let Some(worker) = &self.worker {
            worker.thread().unpark();
        }
        sent
    }
}

impl LocalProcessing for ProcessingThread {
    fn render(&mut self, played: &Frame) {
        // The previous tick had no microphone frame: the module still hears what played.
        if let Some(previous) = self.played.replace(*played) {
            self.send(Job { played: Some(previous), heard: None });
        }
    }

    fn capture(&mut self, frame: &mut Frame) {
        // No frame played since the last one: the module hears none, rather than silence
        // that never played (which would put what it expects out of step with the echo).
        let played = self.played.take();
        if self.send(Job { played, heard: Some(*frame) }) {
            self.sent += 1;
            let deadline = Instant::now() + WAIT;
            loop {
                if self.shared.processed.load(Ordering::Acquire) >= self.sent {
                    // This tick's frame is the newest; any before it came back too late.
                    let mut newest = None;
                    while let Some(done) = self.done.try_pop() {
                        newest = Some(done);
                    }
                    if let Some(done) = newest {
                        *frame = done;
                        return;
                    }
                    break;
                }
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                // Woken by the processing thread when a frame is ready.
                std::thread::park_timeout(deadline - now);
            }
        }
        // Not back in time (or the thread is stalled): silence now, and whatever comes back
        // late for earlier ticks is dropped.
        while self.done.try_pop().is_some() {}
        frame.fill(0.0);
        self.late += 1;
    }
}

impl Drop for ProcessingThread {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(worker) = self.worker.take() {
            worker.thread().unpark();
            let _ = worker.join();
        }
    }
}

/// The processing thread: every job in order, waking `driver` after each processed frame,
/// then sleep until woken.
fn work(
    mut processing: MicProcessing,
    mut jobs: HeapCons<Job>,
    mut done: HeapProd<Frame>,
    shared: &Shared,
    driver: &Thread,
) {
    while !shared.stop.load(Ordering::Relaxed) {
        while let Some(job) = jobs.try_pop() {
            let echo_cancellation = shared.echo_cancellation.load(Ordering::Relaxed);
            processing.configure(ProcessingConfig { echo_cancellation });
            if let Some(played) = &job.played {
                processing.render(played);
            }
            if let Some(mut heard) = job.heard {
                processing.capture(&mut heard);
                // Full only while the audio thread is not taking frames: this one is dropped.
                let _ = done.try_push(heard);
                shared.processed.fetch_add(1, Ordering::Release);
                driver.unpark();
            }
        }
        std::thread::park();
    }
}

/// Interleaved stereo to mono: the average of the channels.
fn fold_to_mono(stereo: &[f32], mono: &mut [f32; CHUNK]) {
    for (sample, pair) in mono.iter_mut().zip(stereo.chunks_exact(CHANNELS)) {
        *sample = pair.iter().sum::<f32>() / CHANNELS as f32;
    }
}
