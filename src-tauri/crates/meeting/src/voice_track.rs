//! A person's voice over WebRTC, both ways: [`send`] encodes a microphone feed to Opus on
//! one outgoing track (the host's microphone in its room; a guest's in somebody else's),
//! and [`Receiver`] decodes an incoming track's packets into the mix, concealing short
//! losses.

use std::sync::Arc;
use std::time::Duration;

use audio::{MixReceiver, OpusDecoder, OpusEncoder, SourceFeed};
use bytes::Bytes;
use tokio::task::JoinHandle;
use webrtc::api::media_engine::MIME_TYPE_OPUS;
use webrtc::media::Sample;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

/// Voice at 32 kbit/s: clear speech, small packets.
const BITRATE: i32 = 32_000;
/// Lost packets concealed per gap; a longer gap is left as silence.
const MAX_CONCEALED: u16 = 5;

/// Starts encoding `microphone` onto a track whose stream is `owner` (how the other side
/// tells whose voice it is); the task ends when the feed does or when it is aborted.
pub fn send(mut microphone: MixReceiver, owner: &str) -> (Arc<TrackLocalStaticSample>, JoinHandle<()>) {
    let track = Arc::new(TrackLocalStaticSample::new(
        RTCRtpCodecCapability {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: audio::SAMPLE_RATE,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
            rtcp_feedback: vec![],
        },
        format!("audio-{owner}"),
        owner.to_owned(),
    ));
    let sending = Arc::clone(&track);
    let task = tokio::spawn(async move {
        let mut encoder = match OpusEncoder::new(BITRATE) {
            Ok(encoder) => encoder,
            Err(err) => return log::error!("the microphone cannot be encoded: {err}"),
        };
        while let Some(frame) = microphone.recv().await {
            let packet = match encoder.encode(&frame) {
                Ok(packet) => Bytes::copy_from_slice(packet),
                Err(err) => {
                    log::warn!("encoding the microphone: {err}");
                    continue;
                }
            };
            let sample = Sample { data: packet, duration: Duration::from_millis(20), ..Default::default() };
            if let Err(err) = sending.write_sample(&sample).await {
                log::debug!("sending the microphone: {err}");
            }
        }
    });
    (track, task)
}

/// Decodes one incoming voice into the mix.
pub struct Receiver {
    decoder: OpusDecoder,
    feed: SourceFeed,
    frame: Box<audio::Frame>,
    last_sequence: Option<u16>,
}

impl Receiver {
    pub fn new(feed: SourceFeed) -> Result<Receiver, audio::CodecError> {
        Ok(Receiver {
            decoder: OpusDecoder::new()?,
            feed,
            frame: Box::new([0.0; audio::FRAME_LEN]),
            last_sequence: None,
        })
    }

    /// Decodes `packet` into the mix, after concealing the packets missing before it.
    /// Returns whether it was the first packet of the track.
    pub fn receive(&mut self, packet: &Packet) -> bool {
        let sequence = packet.header.sequence_number;
        let first = self.last_sequence.is_none();
        if let Some(last) = self.last_sequence {
            let missing = sequence.wrapping_sub(last).wrapping_sub(1);
            if missing >= 0x8000 {
                return false; // late or duplicate: it was concealed already
            }
            for _ in 0..missing.min(MAX_CONCEALED) {
                if self.decoder.decode(None, &mut self.frame).is_ok() {
                    self.feed.push(&self.frame[..]);
                }
            }
        }
        self.last_sequence = Some(sequence);
        match self.decoder.decode(Some(&packet.payload), &mut self.frame) {
            Ok(()) => self.feed.push(&self.frame[..]),
            Err(err) => log::debug!("an audio packet did not decode: {err}"),
        }
        first
    }
}
