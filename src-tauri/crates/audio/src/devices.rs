//! The devices' own thread. Opening a microphone or speakers can take hundreds of
//! milliseconds (ALSA, PulseAudio, a headset waking up), so it happens here, never on the
//! audio thread's 20 ms clock. This thread owns the cpal streams (they cannot move between
//! threads) and hands the audio thread only their lock-free ends. It opens what the audio
//! thread wants, notices a lost device and tries again every two seconds (when, each device's
//! `Slot` says, from the time it is given).

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::capture::{CaptureError, Microphone};
use crate::playback::{PlaybackError, Speakers};
use crate::stream::DeviceStream;

const RETRY_EVERY: Duration = Duration::from_secs(2);
/// How often an open stream is checked for a lost device.
const CHECK_EVERY: Duration = Duration::from_millis(250);
/// Opened devices waiting for the audio thread, which takes them every tick; past this the
/// devices thread waits (never the audio thread).
const OPENED_QUEUE: usize = 4;

/// What the audio thread wants open. Each change bumps that device's generation, so a device
/// opened for an earlier wish is recognised and dropped.
#[derive(Debug, Clone, Default)]
struct Wanted {
    /// `Some(device)`: a microphone, by name or the default.
    microphone: Option<Option<String>>,
    microphone_generation: u64,
    speakers: bool,
    speakers_generation: u64,
    stop: bool,
}

/// A device opened (or not) for the wish of `generation`.
pub(crate) enum Opened {
    Microphone { generation: u64, result: Result<Box<Microphone>, CaptureError> },
    Speakers { generation: u64, result: Result<Speakers, PlaybackError> },
}

/// The audio thread's handle: says what it wants and receives what was opened.
pub(crate) struct Devices {
    wanted: Arc<(Mutex<Wanted>, Condvar)>,
    pub(crate) opened: Receiver<Opened>,
    thread: Option<JoinHandle<()>>,
}

impl Devices {
    /// Starts the devices thread; `audio` is woken by the microphone at every delivery.
    pub(crate) fn start(audio: Thread) -> std::io::Result<Self> {
        let wanted = Arc::new((Mutex::new(Wanted::default()), Condvar::new()));
        let (sender, opened) = std::sync::mpsc::sync_channel(OPENED_QUEUE);
        let shared = Arc::clone(&wanted);
        let thread =
            std::thread::Builder::new().name("audio-devices".into()).spawn(move || run(&shared, &sender, &audio))?;
        Ok(Devices { wanted, opened, thread: Some(thread) })
    }

    /// Wants the microphone (`Some(device)`) or not; returns the wish's generation.
    pub(crate) fn want_microphone(&self, device: Option<Option<String>>) -> u64 {
        self.change(|w| {
            w.microphone = device;
            w.microphone_generation += 1;
            w.microphone_generation
        })
    }

    pub(crate) fn want_speakers(&self, on: bool) -> u64 {
        self.change(|w| {
            w.speakers = on;
            w.speakers_generation += 1;
            w.speakers_generation
        })
    }

    fn change(&self, edit: impl FnOnce(&mut Wanted) -> u64) -> u64 {
        let (lock, changed) = &*self.wanted;
        let generation = edit(&mut lock.lock().unwrap_or_else(|e| e.into_inner()));
        changed.notify_one();
        generation
    }
}

impl Drop for Devices {
    fn drop(&mut self) {
        self.change(|w| {
            w.stop = true;
            0
        });
        // Unblocks a pending hand-over, so the thread sees the stop.
        while self.opened.try_recv().is_ok() {}
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One device as this thread keeps it: the wish it serves, its stream once open (`S`: a
/// device's stream, a stand-in in tests), and when to try again after a failure.
struct Slot<S> {
    generation: u64,
    stream: Option<S>,
    next_try: Instant,
}

impl<S> Slot<S> {
    fn new(now: Instant) -> Self {
        Slot { generation: 0, stream: None, next_try: now }
    }

    /// Brings the slot in line at `now` with the wish of `generation`: a new wish drops the
    /// old stream and is tried at once, a lost device (`lost` says whether the stream's is)
    /// or a failed try is tried again after a pause. Returns false once the audio thread no
    /// longer takes what is opened.
    fn keep<T, E>(
        &mut self,
        now: Instant,
        wanted: bool,
        generation: u64,
        lost: impl FnOnce(&S) -> bool,
        open: impl FnOnce() -> Result<(S, T), E>,
        hand_over: impl FnOnce(Result<T, E>) -> bool,
    ) -> bool {
        if generation != self.generation {
            (self.generation, self.stream, self.next_try) = (generation, None, now);
        }
        if self.stream.as_ref().is_some_and(lost) {
            (self.stream, self.next_try) = (None, now + RETRY_EVERY);
        }
        if !wanted {
            self.stream = None;
            return true;
        }
        if self.stream.is_some() || now < self.next_try {
            return true;
        }
        match open() {
            Ok((stream, end)) => {
                self.stream = Some(stream);
                hand_over(Ok(end))
            }
            Err(err) => {
                self.next_try = now + RETRY_EVERY;
                hand_over(Err(err))
            }
        }
    }
}

fn run(shared: &(Mutex<Wanted>, Condvar), opened: &SyncSender<Opened>, audio: &Thread) {
    let (mut microphone, mut speakers) = (Slot::new(Instant::now()), Slot::new(Instant::now()));
    let mut seen = (u64::MAX, u64::MAX);
    loop {
        let wanted = {
            let (lock, changed) = shared;
            let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            let unchanged = |w: &Wanted| (w.microphone_generation, w.speakers_generation) == seen && !w.stop;
            if unchanged(&guard) {
                let busy = guard.microphone.is_some() || guard.speakers;
                let sleep = if busy { CHECK_EVERY } else { Duration::from_secs(3600) };
                guard = changed.wait_timeout(guard, sleep).unwrap_or_else(|e| e.into_inner()).0;
            }
            guard.clone()
        };
        if wanted.stop {
            return;
        }
        seen = (wanted.microphone_generation, wanted.speakers_generation);
        let generation = wanted.microphone_generation;
        let alive = microphone.keep(
            Instant::now(),
            wanted.microphone.is_some(),
            generation,
            DeviceStream::failed,
            || {
                Microphone::open(wanted.microphone.clone().flatten().as_deref(), Some(audio.clone()))
                    .map(|(s, m)| (s, Box::new(m)))
            },
            |result| opened.send(Opened::Microphone { generation, result }).is_ok(),
        );
        let generation = wanted.speakers_generation;
        let alive = alive
            && speakers.keep(
                Instant::now(),
                wanted.speakers,
                generation,
                DeviceStream::failed,
                Speakers::open,
                |result| opened.send(Opened::Speakers { generation, result }).is_ok(),
            );
        if !alive {
            return; // the audio thread has gone
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in stream: whether its device is lost.
    type Stream = bool;

    /// What one `keep` did: `Some(result)` when it tried to open.
    fn keep(slot: &mut Slot<Stream>, now: Instant, wish: (bool, u64), opens: bool) -> Option<Result<(), ()>> {
        let mut tried = None;
        let open = || if opens { Ok((false, ())) } else { Err(()) };
        assert!(slot.keep(
            now,
            wish.0,
            wish.1,
            |lost| *lost,
            open,
            |result| {
                tried = Some(result);
                true
            }
        ));
        tried
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_failed_open_is_tried_again_two_seconds_later_and_a_new_wish_at_once() {
        let t0 = Instant::now();
        let mut slot = Slot::new(t0);
        assert_eq!(keep(&mut slot, t0, (true, 1), false), Some(Err(())), "a new wish is tried at once");
        assert_eq!(keep(&mut slot, t0 + CHECK_EVERY, (true, 1), true), None);
        assert_eq!(keep(&mut slot, t0 + RETRY_EVERY - Duration::from_millis(1), (true, 1), true), None);
        assert_eq!(keep(&mut slot, t0 + RETRY_EVERY, (true, 1), false), Some(Err(())));
        // Another device chosen meanwhile does not wait for the pause.
        assert_eq!(keep(&mut slot, t0 + secs(3), (true, 2), true), Some(Ok(())));
        assert_eq!(keep(&mut slot, t0 + secs(10), (true, 2), true), None, "open: nothing to do");
    }

    #[test]
    fn a_lost_device_is_reopened_after_the_pause() {
        let t0 = Instant::now();
        let mut slot = Slot::new(t0);
        assert_eq!(keep(&mut slot, t0, (true, 1), true), Some(Ok(())));
        slot.stream = Some(true); // the device went away
        let lost_at = t0 + secs(60);
        assert_eq!(keep(&mut slot, lost_at, (true, 1), true), None);
        assert_eq!(slot.stream, None, "the lost stream is dropped at once");
        assert_eq!(keep(&mut slot, lost_at + secs(1), (true, 1), true), None);
        assert_eq!(keep(&mut slot, lost_at + RETRY_EVERY, (true, 1), true), Some(Ok(())));
    }

    #[test]
    fn an_unwanted_device_is_closed_and_not_opened() {
        let t0 = Instant::now();
        let mut slot = Slot::new(t0);
        assert_eq!(keep(&mut slot, t0, (true, 1), true), Some(Ok(())));
        assert_eq!(keep(&mut slot, t0 + secs(1), (false, 2), true), None);
        assert_eq!(slot.stream, None);
        assert_eq!(keep(&mut slot, t0 + secs(5), (false, 2), true), None);
    }
}
