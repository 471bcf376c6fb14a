//! A WAV file played into the room, looping: decoded with hound, converted to the room
//! format, and handed to the audio thread 20 ms at a time in real time, as a participant's
//! decoder would.

use std::path::Path;
use std::time::{Duration, Instant};

use audio::resample::ToRoomFormat;
use audio::{Sources, FRAME_LEN};

pub const SOURCE: &str = "file";
/// The mixer's jitter margin for a source like this one (`MixerConfig::remote_prefill_ms`);
/// more would only be trimmed as stale.
const LEAD: Duration = Duration::from_millis(60);

/// Reads the whole file as interleaved 48 kHz stereo.
pub fn load(path: &Path) -> Result<Vec<f32>, String> {
    let reader = hound::WavReader::open(path).map_err(|err| format!("{} could not be read: {err}", path.display()))?;
    let spec = reader.spec();
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.into_samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.into_samples::<i32>().map(|s| s.map(|s| s as f32 * scale)).collect::<Result<_, _>>()
        }
    }
    .map_err(|err| format!("{} is damaged: {err}", path.display()))?;
    let mut converter = ToRoomFormat::new(spec.sample_rate, spec.channels)
        .map_err(|err| format!("{} cannot be played: {err}", path.display()))?;
    let mut room = Vec::with_capacity(samples.len() * 2);
    converter.convert(&samples, &mut room);
    if room.len() < FRAME_LEN {
        return Err(format!("{} is too short to play", path.display()));
    }
    Ok(room)
}

/// Plays `room_samples` into the engine until the audio thread stops; runs on its own thread.
pub fn play(sources: &Sources, room_samples: &[f32]) -> ! {
    let mut feed = sources.feed(SOURCE);
    // Start this far ahead of the mixer's clock, so the two 20 ms clocks drifting against
    // each other never leave the mixer without a frame (which it would fill with silence).
    let mut next = Instant::now() - LEAD;
    loop {
        for chunk in room_samples.chunks(FRAME_LEN) {
            feed.push(chunk);
            next += Duration::from_millis(20);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }
}
