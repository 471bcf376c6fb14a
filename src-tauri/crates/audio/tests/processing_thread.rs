//! The microphone's processing on its own thread, as the audio thread drives it: each frame
//! comes back within the tick, processed exactly as the module alone makes it, and the
//! calling (audio) thread never allocates for it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use audio::frame::{Frame, FRAME_LEN};
use audio::signal::tone_frame;
use audio::{LocalProcessing, MicProcessing, ProcessingConfig, ProcessingThread};

/// Counts the allocations made on the thread that asks, while it asks.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: thread-local storage may already be gone while a thread exits.
        let _ = COUNTING.try_with(|counting| {
            if counting.get() {
                let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            }
        });
        // SAFETY: passed on unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: passed on unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the speakers play and what the microphone hears at tick `n`: two tones, the
/// microphone's with a little of the speakers' in it.
fn tick(n: usize) -> (Frame, Frame) {
    let played = tone_frame(300.0, 0.3, n);
    let mut heard = tone_frame(700.0, 0.2, n);
    for (h, p) in heard.iter_mut().zip(played.iter()) {
        *h += 0.1 * p;
    }
    (played, heard)
}

/// Whether `got` is `expected`, or the silence of a tick whose frame came back too late
/// (only when the machine is too busy to run the processing thread within 5 ms).
fn as_made_or_late(got: &Frame, expected: &Frame) -> bool {
    got == expected || *got == [0.0; FRAME_LEN]
}

#[test]
fn each_frame_comes_back_within_its_tick_as_the_module_makes_it_without_the_audio_thread_allocating() {
    let config = ProcessingConfig { echo_cancellation: true };
    let ticks = 200;
    let mut alone = MicProcessing::new(config);
    let mut threaded = ProcessingThread::start(config).unwrap();
    let mut allocations = 0;
    for n in 0..ticks {
        let (played, heard) = tick(n);
        let mut expected = heard;
        alone.render(&played);
        alone.capture(&mut expected);
        let mut got = heard;
        COUNTING.with(|c| c.set(true));
        threaded.render(&played);
        threaded.capture(&mut got);
        COUNTING.with(|c| c.set(false));
        allocations += ALLOCATIONS.with(|a| a.replace(0));
        assert!(as_made_or_late(&got, &expected), "tick {n} comes back as the module makes it");
        // The rest of a 20 ms tick.
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(allocations, 0, "the audio thread allocated for its microphone's processing");
    assert!(threaded.late_ticks() < ticks as u64 / 10, "{} of {ticks} ticks late", threaded.late_ticks());
}

#[test]
fn ticks_without_a_microphone_frame_still_teach_the_module_what_played() {
    let config = ProcessingConfig { echo_cancellation: true };
    let mut alone = MicProcessing::new(config);
    let mut threaded = ProcessingThread::start(config).unwrap();
    for n in 0..60 {
        let (played, heard) = tick(n);
        alone.render(&played);
        threaded.render(&played);
        // Every third tick the microphone had nothing ready.
        if n % 3 != 2 {
            let (mut expected, mut got) = (heard, heard);
            alone.capture(&mut expected);
            threaded.capture(&mut got);
            assert!(as_made_or_late(&got, &expected), "tick {n}");
        }
    }
}
