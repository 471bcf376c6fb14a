//! The Opus wrapper on real libopus: a tone survives the round trip at the right frequency
//! and level, and lost packets are concealed or rebuilt from FEC.

use audio::frame::dbfs as db;
use audio::signal::{frequency, left, rms, tone_frame};
use audio::{Frame, OpusDecoder, OpusEncoder, FRAME_LEN};

const FRAMES: usize = 50;

fn encoded_tone() -> Vec<Vec<u8>> {
    let mut encoder = OpusEncoder::new(64_000).unwrap();
    (0..FRAMES).map(|i| encoder.encode(&tone_frame(440.0, 0.3, i)).unwrap().to_vec()).collect()
}

#[test]
fn a_tone_survives_encode_and_decode() {
    let packets = encoded_tone();
    assert!(
        packets.iter().all(|p| !p.is_empty() && p.len() < 400),
        "packet sizes {:?}",
        packets.iter().map(Vec::len).collect::<Vec<_>>()
    );
    let mut decoder = OpusDecoder::new().unwrap();
    let mut decoded = Vec::new();
    let mut frame: Frame = [0.0; FRAME_LEN];
    for packet in &packets {
        decoder.decode(Some(packet), &mut frame).unwrap();
        decoded.extend_from_slice(&frame);
    }
    // Skip the codec's start-up; compare the steady state.
    let steady = left(&decoded[10 * FRAME_LEN..]);
    let original: Vec<f32> = (10..FRAMES).flat_map(|i| left(&tone_frame(440.0, 0.3, i))).collect();
    let f = frequency(&steady);
    assert!((f - 440.0).abs() < 5.0, "decoded at {f} Hz");
    let level = db(rms(&steady) / rms(&original));
    assert!(level.abs() < 1.0, "level off by {level} dB");
}

/// A decoder that has played the first `count` packets.
fn decoder_after(packets: &[Vec<u8>], count: usize) -> (OpusDecoder, Frame) {
    let mut decoder = OpusDecoder::new().unwrap();
    let mut frame: Frame = [0.0; FRAME_LEN];
    for packet in &packets[..count] {
        decoder.decode(Some(packet), &mut frame).unwrap();
    }
    (decoder, frame)
}

#[test]
fn a_lost_packet_is_concealed() {
    let packets = encoded_tone();
    let (mut decoder, mut frame) = decoder_after(&packets, 30);
    decoder.decode(None, &mut frame).unwrap();
    let concealed = left(&frame);
    let level = db(rms(&concealed) / rms(&left(&tone_frame(440.0, 0.3, 30))));
    assert!(level > -6.0, "the gap is filled, not silent ({level} dB)");
    let f = frequency(&concealed);
    assert!((f - 440.0).abs() < 20.0, "and sounds like the tone ({f} Hz)");
}

#[test]
fn a_lost_packet_is_rebuilt_from_the_next_ones_fec() {
    let packets = encoded_tone();
    let (mut decoder, mut frame) = decoder_after(&packets, 30);
    decoder.recover(&packets[31], &mut frame).unwrap();
    let level = db(rms(&left(&frame)) / rms(&left(&tone_frame(440.0, 0.3, 30))));
    assert!(level.abs() < 3.0, "recovered frame level off by {level} dB");
    decoder.decode(Some(&packets[31]), &mut frame).unwrap();
}

#[test]
fn garbage_packets_are_errors_not_crashes() {
    let mut decoder = OpusDecoder::new().unwrap();
    let mut frame: Frame = [0.0; FRAME_LEN];
    // A TOC byte claiming a 120 ms packet: more than one frame holds.
    assert!(decoder.decode(Some(&[0xFF, 0xFF, 0xFF, 0xFF]), &mut frame).is_err());
}
