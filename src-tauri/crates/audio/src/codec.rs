//! The Opus codec for room audio: 48 kHz stereo, 20 ms frames, tuned for voice, with
//! in-band forward error correction so a lost packet can be rebuilt from the next one.

use crate::frame::{Frame, CHANNELS, FRAME_LEN, SAMPLE_RATE};

/// Large enough for any Opus packet of one 20 ms frame.
const MAX_PACKET: usize = 4_000;
/// Loss the encoder plans its FEC for, in percent.
const EXPECTED_LOSS_PERCENT: i32 = 10;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("Opus: {0}")]
    Opus(#[from] opus::Error),
    #[error("the decoder gave {0} samples per channel instead of a 20 ms frame")]
    WrongFrameSize(usize),
}

pub struct OpusEncoder {
    encoder: opus::Encoder,
    packet: Vec<u8>,
}

impl OpusEncoder {
    /// A voice encoder at `bitrate` bits per second.
    pub fn new(bitrate: i32) -> Result<Self, CodecError> {
        let mut encoder = opus::Encoder::new(SAMPLE_RATE, opus::Channels::Stereo, opus::Application::Voip)?;
        encoder.set_bitrate(opus::Bitrate::Bits(bitrate))?;
        encoder.set_inband_fec(true)?;
        encoder.set_packet_loss_perc(EXPECTED_LOSS_PERCENT)?;
        Ok(OpusEncoder { encoder, packet: vec![0; MAX_PACKET] })
    }

    /// Encodes one frame; the packet borrows the encoder's buffer until the next call.
    pub fn encode(&mut self, frame: &Frame) -> Result<&[u8], CodecError> {
        let len = self.encoder.encode_float(frame, &mut self.packet)?;
        Ok(&self.packet[..len])
    }
}

pub struct OpusDecoder {
    decoder: opus::Decoder,
}

impl OpusDecoder {
    pub fn new() -> Result<Self, CodecError> {
        Ok(OpusDecoder { decoder: opus::Decoder::new(SAMPLE_RATE, opus::Channels::Stereo)? })
    }

    /// Decodes a packet into `out`, or conceals a lost one (`None`) from what came before.
    pub fn decode(&mut self, packet: Option<&[u8]>, out: &mut Frame) -> Result<(), CodecError> {
        let samples = self.decoder.decode_float(packet.unwrap_or(&[]), out, false)?;
        check_frame(samples)
    }

    /// Rebuilds a lost frame from the error-correction data carried by the packet after it.
    pub fn recover(&mut self, next_packet: &[u8], out: &mut Frame) -> Result<(), CodecError> {
        let samples = self.decoder.decode_float(next_packet, out, true)?;
        check_frame(samples)
    }
}

fn check_frame(samples_per_channel: usize) -> Result<(), CodecError> {
    if samples_per_channel * CHANNELS == FRAME_LEN {
        Ok(())
    } else {
        Err(CodecError::WrongFrameSize(samples_per_channel))
    }
}
