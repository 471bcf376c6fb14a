//! Opus over WebRTC, both ways, for the room, a guest and the voice operator: [`track`]
//! makes an outgoing Opus track; [`send`] encodes a feed onto whichever track is current
//! (the operator's room mix moves to each new call without a new encoder) and
//! [`send_voice`] onto a track of its own (the host's microphone in its room; a guest's in
//! somebody else's); [`Receiver`] decodes an incoming track's packets into the mix,
//! concealing short losses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use audio::{MixReceiver, OpusDecoder, OpusEncoder, SourceFeed, VoiceLog};
use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use webrtc::api::media_engine::MIME_TYPE_OPUS;
use webrtc::media::Sample;
use webrtc::rtp::packet::Packet;
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

/// Voice at 32 kbit/s: clear speech, small packets.
const VOICE_BITRATE: i32 = 32_000;
/// What one packet carries: one room frame.
const FRAME_DURATION: Duration = Duration::from_millis(20);
/// Lost packets concealed per gap; a longer gap is left as silence.
const MAX_CONCEALED: u16 = 5;

/// An outgoing Opus track: an encoder writes to it, peers send it.
pub type OpusTrack = Arc<TrackLocalStaticSample>;

/// What an outgoing track's fmtp line says besides 10 ms packets and in-band FEC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmtp {
    /// A person's voice: nothing more.
    Voice,
    /// `stereo=1`, as the call to the Realtime API offers it.
    Stereo,
}

impl Fmtp {
    fn line(self) -> &'static str {
        match self {
            Fmtp::Voice => "minptime=10;useinbandfec=1",
            Fmtp::Stereo => "minptime=10;useinbandfec=1;stereo=1",
        }
    }
}

/// An outgoing 48 kHz Opus track `id` in stream `stream` (how the other side tells whose it is).
pub fn track(id: &str, stream: &str, fmtp: Fmtp) -> OpusTrack {
    Arc::new(TrackLocalStaticSample::new(
        RTCRtpCodecCapability {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: audio::SAMPLE_RATE,
            channels: 2,
            sdp_fmtp_line: fmtp.line().to_owned(),
            rtcp_feedback: vec![],
        },
        id.to_owned(),
        stream.to_owned(),
    ))
}

/// Starts encoding `feed` at `bitrate` onto the track `current` holds when each frame comes:
/// a new track takes over from the next frame with the same encoder, and while there is
/// none, frames are dropped unencoded. `name` says in the log what is sent. With `sent`,
/// who spoke in each frame is logged as it goes out, the log starting afresh with each new
/// track (its call's audio clock starts at zero). The task ends when the feed does or when
/// it is aborted.
pub fn send(
    mut feed: MixReceiver,
    bitrate: i32,
    current: watch::Receiver<Option<OpusTrack>>,
    name: &'static str,
    sent: Option<Arc<Mutex<VoiceLog>>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut encoder = match OpusEncoder::new(bitrate) {
            Ok(encoder) => encoder,
            Err(err) => return log::error!("{name} cannot be encoded: {err}"),
        };
        let mut last_track: Option<OpusTrack> = None;
        while let Some(frame) = feed.recv().await {
            let Some(track) = current.borrow().clone() else {
                continue;
            };
            if let Some(sent) = &sent {
                // The lock is only ever held for a frame's bookkeeping or one look-up.
                let mut sent = sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if !last_track.as_ref().is_some_and(|last| Arc::ptr_eq(last, &track)) {
                    sent.new_call();
                    last_track = Some(Arc::clone(&track));
                }
                sent.sent(&frame.voices);
            }
            let packet = match encoder.encode(&frame) {
                Ok(packet) => packet,
                Err(err) => {
                    log::warn!("encoding {name}: {err}");
                    continue;
                }
            };
            if let Err(err) = write_packet(&track, packet).await {
                log::debug!("sending {name}: {err}");
            }
        }
    })
}

/// Starts encoding `microphone` onto a voice track of its own whose stream is `owner`; the
/// task ends when the feed does or when it is aborted.
pub fn send_voice(microphone: MixReceiver, owner: &str) -> (OpusTrack, JoinHandle<()>) {
    let track = track(&format!("audio-{owner}"), owner, Fmtp::Voice);
    // The track never changes, so the sending half is not kept: the value stays.
    let (_, current) = watch::channel(Some(Arc::clone(&track)));
    (track, send(microphone, VOICE_BITRATE, current, "the microphone", None))
}

/// Sends one Opus packet of one room frame on `track`.
pub async fn write_packet(track: &TrackLocalStaticSample, packet: &[u8]) -> Result<(), webrtc::Error> {
    let sample = Sample { data: Bytes::copy_from_slice(packet), duration: FRAME_DURATION, ..Default::default() };
    track.write_sample(&sample).await
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
