//! WebRTC's processing of the microphone, with a simulated room: what the speakers play comes
//! back into the microphone later and quieter.

use audio::frame::{rms_and_peak, Frame, FRAME_LEN, SAMPLE_RATE};
use audio::{LocalProcessing, MicProcessing, ProcessingConfig};

const ECHO_DELAY_MS: usize = 100;
/// The room: the echo comes back 10 dB down.
const ECHO_GAIN: f32 = 0.316;

/// A voice-like test signal: a tone with two harmonics gliding in pitch, in syllables that
/// fill 70 % of each `syllable_ms`.
fn voice(seconds: f32, base_hz: f32, syllable_ms: usize, amplitude: f32) -> Vec<f32> {
    let sounding = syllable_ms * 7 / 10;
    let frames = (seconds * SAMPLE_RATE as f32) as usize;
    let mut phase = 0.0f32;
    let mut out = Vec::with_capacity(frames * 2);
    for n in 0..frames {
        let t = n as f32 / SAMPLE_RATE as f32;
        let in_syllable = (t * 1000.0) as usize % syllable_ms;
        let envelope = match in_syllable < sounding {
            true => (std::f32::consts::PI * in_syllable as f32 / sounding as f32).sin(),
            false => 0.0,
        };
        let hz = base_hz * (1.0 + 0.3 * (2.0 * std::f32::consts::PI * 1.3 * t).sin());
        phase += 2.0 * std::f32::consts::PI * hz / SAMPLE_RATE as f32;
        let sample =
            amplitude * envelope * (phase.sin() + 0.5 * (2.0 * phase).sin() + 0.25 * (3.0 * phase).sin()) / 1.75;
        out.push(sample);
        out.push(sample);
    }
    out
}

fn tone(seconds: f32, hz: f32, amplitude: f32) -> Vec<f32> {
    let frames = (seconds * SAMPLE_RATE as f32) as usize;
    (0..frames)
        .flat_map(|n| {
            let s = amplitude * (2.0 * std::f32::consts::PI * hz * n as f32 / SAMPLE_RATE as f32).sin();
            [s, s]
        })
        .collect()
}

fn rms_db(samples: &[f32]) -> f32 {
    20.0 * rms_and_peak(samples).0.max(1e-9).log10()
}

/// Plays `far` on the speakers and records `near` plus the room's echo of `far`; returns
/// what the processing makes of the microphone.
fn through_room(processing: &mut MicProcessing, far: &[f32], near: &[f32]) -> Vec<f32> {
    let delay = ECHO_DELAY_MS * SAMPLE_RATE as usize / 1000 * 2;
    let mut out = Vec::with_capacity(near.len());
    for (index, (played, spoken)) in far.chunks_exact(FRAME_LEN).zip(near.chunks_exact(FRAME_LEN)).enumerate() {
        let played: &Frame = played.try_into().unwrap();
        let mut heard: Frame = [0.0; FRAME_LEN];
        for (i, sample) in heard.iter_mut().enumerate() {
            let at = index * FRAME_LEN + i;
            let echo = if at >= delay { far[at - delay] * ECHO_GAIN } else { 0.0 };
            *sample = spoken[i] + echo;
        }
        processing.render(played);
        processing.capture(&mut heard);
        out.extend_from_slice(&heard);
    }
    out
}

fn last_seconds(samples: &[f32], seconds: f32) -> &[f32] {
    &samples[samples.len() - (seconds * SAMPLE_RATE as f32) as usize * 2..]
}

/// The level of one frequency in the left channel (Goertzel), in dB relative to full scale.
fn tone_db(samples: &[f32], hz: f32) -> f32 {
    let coefficient = 2.0 * (2.0 * std::f32::consts::PI * hz / SAMPLE_RATE as f32).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    let left: Vec<f32> = samples.iter().step_by(2).copied().collect();
    for &x in &left {
        let s0 = x + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    let amplitude = 2.0 * power.sqrt() / left.len() as f32;
    20.0 * amplitude.max(1e-9).log10()
}

fn processing(echo_cancellation: bool) -> MicProcessing {
    MicProcessing::new(ProcessingConfig { echo_cancellation })
}

const SECONDS: f32 = 12.0;
/// Measured once the module has learnt the room.
const MEASURED: f32 = 4.0;

#[test]
fn the_speakers_echo_is_cancelled_by_at_least_25_db() {
    let far = voice(SECONDS, 220.0, 250, 0.3);
    let silence = vec![0.0; far.len()];
    let cancelled = through_room(&mut processing(true), &far, &silence);
    let kept = through_room(&mut processing(false), &far, &silence);
    let (cancelled, kept) = (rms_db(last_seconds(&cancelled, MEASURED)), rms_db(last_seconds(&kept, MEASURED)));
    println!("echo: {kept:.1} dB without cancellation, {cancelled:.1} dB with");
    assert!(kept - cancelled >= 25.0, "the echo is only {:.1} dB down", kept - cancelled);
}

#[test]
fn a_voice_over_the_echo_keeps_its_level() {
    let far = voice(SECONDS, 150.0, 250, 0.3);
    let near = voice(SECONDS, 330.0, 310, 0.2);
    let silence = vec![0.0; far.len()];
    let double_talk = rms_db(last_seconds(&through_room(&mut processing(true), &far, &near), MEASURED));
    let alone = rms_db(last_seconds(&through_room(&mut processing(true), &silence, &near), MEASURED));
    println!("the near voice: {alone:.1} dB alone, {double_talk:.1} dB over the far voice's echo");
    assert!((double_talk - alone).abs() <= 3.0, "{alone:.1} dB alone, {double_talk:.1} dB in double talk");
}

#[test]
fn a_steady_hum_is_taken_for_noise_and_turned_down() {
    let hum = tone(SECONDS, 440.0, 0.1);
    let silence = vec![0.0; hum.len()];
    let out = through_room(&mut processing(true), &silence, &hum);
    let (before, after) = (tone_db(last_seconds(&hum, MEASURED), 440.0), tone_db(last_seconds(&out, MEASURED), 440.0));
    println!("a steady 440 Hz hum: {before:.1} dB in, {after:.1} dB out");
    assert!(before - after >= 6.0, "{before:.1} dB in, {after:.1} dB out");
}
