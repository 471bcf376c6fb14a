//! Mixer cost per 20 ms frame at 1, 8 and 32 sources, against the original's per-tick
//! algorithm on the same frames, the microphone's processing (WebRTC's echo cancellation,
//! noise suppression and gain) per frame, and Opus encode cost per frame.
//! Run: `cargo bench -p boardroom-audio --bench mixer`.

use audio::{LocalProcessing, MicProcessing, Mixer, MixerConfig, OpusEncoder, ProcessingConfig, FRAME_LEN};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn frames(sources: usize) -> Vec<Vec<f32>> {
    (0..sources)
        .map(|s| (0..FRAME_LEN).map(|i| 0.2 * ((i / 2) as f32 * (0.01 + s as f32 * 0.003)).sin()).collect())
        .collect()
}

/// The original Go server's tick (DESIGN.md §1): a new frame every tick, samples summed,
/// divided by the number of sources, clamped to i16.
fn original_tick(sources: &[Vec<i16>]) -> Vec<i16> {
    let mut mix = vec![0i32; FRAME_LEN];
    for source in sources {
        for (sum, &sample) in mix.iter_mut().zip(source) {
            *sum += sample as i32;
        }
    }
    let n = sources.len().max(1) as i32;
    mix.into_iter().map(|s| (s / n).clamp(i16::MIN as i32, i16::MAX as i32) as i16).collect()
}

fn mixer(c: &mut Criterion) {
    let mut group = c.benchmark_group("mix_one_frame");
    for sources in [1usize, 8, 32] {
        let input = frames(sources);
        let ids: Vec<String> = (0..sources).map(|i| format!("p{i}")).collect();
        let mut mixer = Mixer::new(MixerConfig::default());
        for id in &ids {
            mixer.add_source(id);
        }
        group.bench_with_input(BenchmarkId::new("ours", sources), &sources, |b, _| {
            b.iter(|| {
                for (id, frame) in ids.iter().zip(&input) {
                    mixer.push(id, frame).unwrap();
                }
                mixer.tick()[0]
            })
        });
        let input_i16: Vec<Vec<i16>> = input.iter().map(|f| f.iter().map(|s| (s * 32767.0) as i16).collect()).collect();
        group.bench_with_input(BenchmarkId::new("original", sources), &sources, |b, _| {
            b.iter(|| original_tick(&input_i16)[0])
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let input = frames(1);
    let frame: [f32; FRAME_LEN] = input[0].clone().try_into().unwrap();
    let mut encoder = OpusEncoder::new(64_000).unwrap();
    c.bench_function("opus_encode_one_frame", |b| b.iter(|| encoder.encode(&frame).unwrap().len()));
}

/// One 20 ms frame through the microphone's processing: what the speakers play, then the
/// microphone (two 10 ms calls of the module each), with and without echo cancellation.
fn processing(c: &mut Criterion) {
    let input = frames(2);
    let played: [f32; FRAME_LEN] = input[0].clone().try_into().unwrap();
    let heard: [f32; FRAME_LEN] = input[1].clone().try_into().unwrap();
    let mut group = c.benchmark_group("microphone_processing_one_frame");
    for echo_cancellation in [true, false] {
        let mut processing = MicProcessing::new(ProcessingConfig { echo_cancellation });
        let name = if echo_cancellation { "echo_cancellation_on" } else { "echo_cancellation_off" };
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut frame = heard;
                processing.render(&played);
                processing.capture(&mut frame);
                frame[0]
            })
        });
    }
    group.finish();
}

criterion_group!(benches, mixer, processing, encode);
criterion_main!(benches);
