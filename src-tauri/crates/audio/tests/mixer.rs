//! The mixer: frame sizes, summing without dividing by N, the soft clipper, per-source
//! gain, bounded buffers, late, muted and removed sources, and levels.

use audio::frame::dbfs as db;
use audio::frame::Frame;
use audio::signal::{frequency, left, rms, tone_amplitude, tone_frame};
use audio::{LocalProcessing, Mixer, MixerConfig, SourceKind, FRAME_LEN};
use proptest::prelude::*;

/// A mixer without gain control or jitter margin, to check the summing itself.
fn plain_mixer() -> Mixer {
    let mut config = MixerConfig::default();
    config.agc.max_gain = 1.0;
    config.agc.min_gain = 1.0;
    config.remote_prefill_ms = 0;
    Mixer::new(config)
}

#[test]
fn each_tick_is_one_20_ms_stereo_frame_of_the_source() {
    let mut mixer = plain_mixer();
    mixer.add_source("you");
    let mut out = Vec::new();
    for i in 0..20 {
        mixer.push("you", &tone_frame(440.0, 0.2, i)).unwrap();
        let frame = mixer.tick();
        assert_eq!(frame.len(), 1920);
        out.extend_from_slice(frame);
    }
    assert!((frequency(&left(&out)) - 440.0).abs() < 2.0);
    assert!((db(rms(&out) / (0.2 / 2f32.sqrt()))).abs() < 0.1);
}

#[test]
fn a_fourth_speaker_does_not_make_the_others_quieter() {
    let mut three = plain_mixer();
    let mut four = plain_mixer();
    for mixer in [&mut three, &mut four] {
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            mixer.add_source(id);
            mixer.push(id, &tone_frame(200.0 + 150.0 * i as f32, 0.05, 0)).unwrap();
        }
    }
    four.add_source("d");
    four.push("d", &[0.0; FRAME_LEN]).unwrap();
    assert_eq!(three.tick()[..], four.tick()[..]);
}

#[test]
fn loud_sums_are_soft_clipped_not_wrapped() {
    let mut mixer = plain_mixer();
    for id in ["a", "b", "c", "d"] {
        mixer.add_source(id);
        mixer.push(id, &tone_frame(300.0, 0.9, 0)).unwrap();
    }
    let frame = mixer.tick();
    assert!(frame.iter().all(|s| s.abs() <= 1.0));
    assert!(frame.iter().any(|s| s.abs() > 0.95), "still loud");
}

#[test]
fn quiet_and_loud_speakers_are_evened_out() {
    let mut mixer = Mixer::new(MixerConfig { remote_prefill_ms: 0, ..MixerConfig::default() });
    mixer.add_source("quiet");
    mixer.add_source("loud");
    for i in 0..150 {
        mixer.push("quiet", &tone_frame(300.0, 0.02, i)).unwrap();
        mixer.push("loud", &tone_frame(300.0, 0.6, i)).unwrap();
        mixer.tick();
    }
    let gains: Vec<f32> = mixer.source_levels().iter().map(|s| s.gain_db).collect();
    assert!(gains[0] > 10.0 && gains[1] < -10.0, "gains {gains:?}");
}

#[test]
fn a_late_source_contributes_silence_and_is_counted() {
    let mut mixer = plain_mixer();
    mixer.add_source("on-time");
    mixer.add_source("late");
    mixer.push("on-time", &tone_frame(440.0, 0.2, 0)).unwrap();
    mixer.push("late", &[0.0; FRAME_LEN]).unwrap();
    mixer.tick();
    mixer.push("on-time", &tone_frame(440.0, 0.2, 1)).unwrap();
    mixer.push("late", &[0.5; 100]).unwrap();
    let frame = mixer.tick().to_vec();
    assert_eq!(frame, tone_frame(440.0, 0.2, 1).to_vec(), "the mix is the on-time source alone");
    let late = &mixer.source_levels()[1];
    assert_eq!(late.late_frames, 1);
    assert_eq!(mixer.buffered("late"), Some(100), "its partial audio waits for the next tick");
}

#[test]
fn muted_and_removed_sources_are_not_heard() {
    let mut mixer = plain_mixer();
    mixer.add_source("a");
    mixer.add_source("b");
    mixer.set_muted("a", true).unwrap();
    mixer.push("a", &tone_frame(440.0, 0.3, 0)).unwrap();
    mixer.push("b", &tone_frame(440.0, 0.3, 0)).unwrap();
    assert_eq!(mixer.tick().to_vec(), tone_frame(440.0, 0.3, 0).to_vec());
    let levels = mixer.source_levels();
    assert!(levels[0].muted && levels[0].level.speaking, "a muted speaker still shows as speaking");

    mixer.push("b", &tone_frame(440.0, 0.3, 1)).unwrap();
    assert!(mixer.remove_source("b"));
    assert!(mixer.tick().iter().all(|&s| s == 0.0));
    assert_eq!(mixer.source_levels().len(), 1);
}

#[test]
fn buffers_keep_the_newest_second() {
    let mut mixer = plain_mixer();
    mixer.add_source("flood");
    for i in 0..60 {
        mixer.push("flood", &[i as f32 / 100.0; FRAME_LEN]).unwrap();
    }
    assert_eq!(mixer.buffered("flood"), Some(mixer.max_buffered()));
    assert_eq!(mixer.max_buffered(), 96_000);
    assert_eq!(mixer.source_levels()[0].dropped_samples, 10 * FRAME_LEN as u64);
    assert_eq!(mixer.tick()[0], 0.1, "the oldest 200 ms were dropped");
}

#[test]
fn levels_follow_speech() {
    let mut mixer = Mixer::new(MixerConfig { remote_prefill_ms: 0, ..MixerConfig::default() });
    mixer.add_source("you");
    mixer.push("you", &tone_frame(300.0, 0.3, 0)).unwrap();
    mixer.tick();
    let level = mixer.source_levels()[0].level;
    assert!(level.speaking && (level.rms_dbfs - db(0.3 / 2f32.sqrt())).abs() < 0.2, "{level:?}");
    assert!(mixer.mix_level().speaking);
    for _ in 0..16 {
        mixer.push("you", &[0.0; FRAME_LEN]).unwrap();
        mixer.tick();
    }
    assert!(!mixer.source_levels()[0].level.speaking, "300 ms of silence ends speaking");
}

proptest! {
    #[test]
    fn any_sources_give_bounded_full_frames(
        amplitudes in prop::collection::vec(0.0f32..4.0, 0..12),
        chunks in prop::collection::vec(0usize..3000, 1..30),
    ) {
        let mut mixer = Mixer::new(MixerConfig { remote_prefill_ms: 0, ..MixerConfig::default() });
        let ids: Vec<String> = (0..amplitudes.len()).map(|i| format!("p{i}")).collect();
        for id in &ids {
            mixer.add_source(id);
        }
        for (n, chunk) in chunks.iter().enumerate() {
            for (id, amplitude) in ids.iter().zip(&amplitudes) {
                let samples: Vec<f32> = (0..*chunk).map(|i| amplitude * ((i + n) as f32 * 0.1).sin()).collect();
                mixer.push(id, &samples).unwrap();
                prop_assert!(mixer.buffered(id).unwrap() <= mixer.max_buffered());
            }
            let frame = mixer.tick();
            prop_assert_eq!(frame.len(), FRAME_LEN);
            prop_assert!(frame.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
        }
    }
}

#[test]
fn a_remote_source_waits_for_its_margin_and_refills_after_running_dry() {
    let mut mixer = Mixer::new(MixerConfig { remote_prefill_ms: 60, ..MixerConfig::default() });
    mixer.add_source("guest");
    let heard = |mixer: &mut Mixer| rms(mixer.tick()) > 0.01;
    mixer.push("guest", &tone_frame(440.0, 0.3, 0)).unwrap();
    mixer.push("guest", &tone_frame(440.0, 0.3, 1)).unwrap();
    assert!(!heard(&mut mixer), "40 ms waiting is under the 60 ms margin");
    mixer.push("guest", &tone_frame(440.0, 0.3, 2)).unwrap();
    assert!(heard(&mut mixer) && heard(&mut mixer) && heard(&mut mixer), "then all three frames play, one per tick");
    assert!(!heard(&mut mixer), "dry");
    assert_eq!(mixer.source_levels()[0].late_frames, 1, "running dry counts once");
    mixer.push("guest", &tone_frame(440.0, 0.3, 3)).unwrap();
    assert!(!heard(&mut mixer), "after running dry it waits for the margin again");
}

#[test]
fn the_local_microphone_and_the_others_are_kept_apart_for_mix_minus() {
    let mut mixer = plain_mixer();
    mixer.add_source_of("you", SourceKind::Local);
    mixer.add_source("guest");
    for i in 0..10 {
        mixer.push("you", &tone_frame(300.0, 0.2, i)).unwrap();
        mixer.push("guest", &tone_frame(1000.0, 0.2, i)).unwrap();
    }
    let mix = *mixer.tick();
    assert!((frequency(&left(mixer.local())) - 300.0).abs() < 5.0, "participants hear the host's voice");
    assert!((frequency(&left(mixer.others())) - 1000.0).abs() < 5.0, "the host hears the guest, not themselves");
    assert!((rms(&mix) - (0.2f32.powi(2)).sqrt()).abs() < 0.02, "the room mix has both: {}", rms(&mix));
    mixer.set_muted("you", true).unwrap();
    mixer.tick();
    assert_eq!(rms(mixer.local()), 0.0, "a muted host sends silence");
}

#[test]
fn what_the_computer_plays_is_heard_by_the_operator_only() {
    let mut mixer = plain_mixer();
    mixer.add_source_of("you", SourceKind::Local);
    mixer.add_source("guest");
    mixer.add_source_of("call audio", SourceKind::Captured);
    for i in 0..10 {
        mixer.push("you", &tone_frame(300.0, 0.2, i)).unwrap();
        mixer.push("guest", &tone_frame(1000.0, 0.2, i)).unwrap();
        mixer.push("call audio", &tone_frame(700.0, 0.2, i)).unwrap();
    }
    let mix = mixer.tick().to_vec();
    assert!(tone_amplitude(&left(&mix), 700.0) > 0.15, "the room mix carries the call");
    assert!(tone_amplitude(&left(mixer.others()), 700.0) < 1e-3, "the speakers do not play it again");
    assert!(tone_amplitude(&left(mixer.local()), 700.0) < 1e-3, "the participants are not sent it");
    assert!(mixer.voices().iter().any(|v| &**v == "call audio"), "and it is named as a voice");
}

/// A stand-in for the echo canceller: remembers what it was told the speakers play, and
/// replaces the microphone's frame with a 500 Hz tone at a fixed level (its own gain).
#[derive(Default)]
struct Recorder {
    played: Vec<f32>,
    order: Vec<&'static str>,
}

impl LocalProcessing for Recorder {
    fn render(&mut self, played: &Frame) {
        self.played = played.to_vec();
        self.order.push("render");
    }

    fn capture(&mut self, frame: &mut Frame) {
        frame.copy_from_slice(&tone_frame(500.0, 0.05, 0));
        self.order.push("capture");
    }
}

#[test]
fn the_microphone_processing_hears_the_speakers_first_and_replaces_the_mixers_gain() {
    let mut mixer = Mixer::new(MixerConfig { remote_prefill_ms: 0, ..MixerConfig::default() });
    mixer.add_source("guest");
    mixer.add_source_of("you", SourceKind::Local);
    let mut processing = Recorder::default();
    for i in 0..3 {
        mixer.push("you", &tone_frame(300.0, 0.2, i)).unwrap();
        mixer.push("guest", &tone_frame(1000.0, 0.01, i)).unwrap();
        mixer.tick_with(Some(&mut processing));
    }
    assert_eq!(processing.order, ["render", "capture"].repeat(3), "what the speakers play comes first");
    assert_eq!(processing.played, mixer.others().to_vec(), "the reference is exactly what the speakers play");
    assert!((frequency(&left(mixer.local())) - 500.0).abs() < 5.0, "the participants hear the processed microphone");
    assert!(
        (rms(mixer.local()) - 0.05 / 2f32.sqrt()).abs() < 0.002,
        "and no second gain stage: {}",
        rms(mixer.local())
    );
    assert!(rms(mixer.others()) > 0.01, "the quiet guest still gets the mixer's gain");
}

/// Samples left after `ticks` ticks of steady delivery: `per_push` frames every `per_push` ticks.
fn steady(mixer: &mut Mixer, id: &str, ticks: usize, per_push: usize) {
    for i in 0..ticks {
        if i % per_push == 0 {
            for _ in 0..per_push {
                mixer.push(id, &tone_frame(440.0, 0.2, i)).unwrap();
            }
        }
        mixer.tick();
    }
}

#[test]
fn a_stall_costs_one_glitch_not_lasting_delay() {
    let mut mixer = Mixer::new(MixerConfig::default());
    mixer.add_source_of("you", SourceKind::Local);
    mixer.add_source("guest");
    // Steady delivery, the microphone in 40 ms device periods and the guest in 20 ms packets: nothing is trimmed.
    for i in 0..200 {
        if i % 2 == 0 {
            mixer.push("you", &[tone_frame(300.0, 0.2, i), tone_frame(300.0, 0.2, i + 1)].concat()).unwrap();
        }
        mixer.push("guest", &tone_frame(440.0, 0.2, i)).unwrap();
        mixer.tick();
    }
    assert!(mixer.source_levels().iter().all(|s| s.trimmed_samples == 0), "{:?}", mixer.source_levels());
    let before = (mixer.buffered("you").unwrap(), mixer.buffered("guest").unwrap());

    // A 500 ms stall: nothing arrives, then all of it at once, and steady delivery goes on.
    for _ in 0..25 {
        mixer.tick();
    }
    let stalled: Vec<f32> = (0..25).flat_map(|i| tone_frame(300.0, 0.2, i)).collect();
    mixer.push("you", &stalled).unwrap();
    mixer.push("guest", &stalled).unwrap();
    mixer.tick();
    assert!(mixer.buffered("you").unwrap() >= 24 * FRAME_LEN, "the backlog is there at first");
    steady(&mut mixer, "you", 50, 2);
    // The guest goes on too, through the same ticks.
    let after = (mixer.buffered("you").unwrap(), mixer.buffered("guest").unwrap());
    assert!(after.0 <= before.0 + FRAME_LEN, "the microphone is back near live: {before:?} → {after:?}");
    let trims: Vec<u64> = mixer.source_levels().iter().map(|s| s.trimmed_samples).collect();
    assert!(trims[0] >= 20 * FRAME_LEN as u64, "the stale backlog was dropped and counted: {trims:?}");
    let mut reported = Vec::new();
    mixer.take_trims(|id, samples| reported.push((id.to_owned(), samples)));
    assert!(reported.iter().any(|(id, _)| id == "you"), "{reported:?}");
    mixer.take_trims(|id, _| panic!("{id} reported twice"));
}

#[test]
fn a_remote_source_keeps_its_jitter_margin_after_a_stall() {
    let mut mixer = Mixer::new(MixerConfig::default());
    mixer.add_source("guest");
    steady(&mut mixer, "guest", 100, 1);
    let margin = mixer.buffered("guest").unwrap();
    assert_eq!(margin, 2 * FRAME_LEN, "60 ms prefill leaves 40 ms after each tick");
    // Uneven packets (two every other tick) are jitter, not a stall: kept.
    steady(&mut mixer, "guest", 100, 2);
    assert_eq!(mixer.source_levels()[0].trimmed_samples, 0);
    // A stall's burst is trimmed back to the margin, not below it.
    let burst: Vec<f32> = (0..25).flat_map(|i| tone_frame(440.0, 0.2, i)).collect();
    mixer.push("guest", &burst).unwrap();
    steady(&mut mixer, "guest", 60, 1);
    let left = mixer.buffered("guest").unwrap();
    assert!((2 * FRAME_LEN..=3 * FRAME_LEN).contains(&left), "back to the margin: {} frames", left / FRAME_LEN);
}
