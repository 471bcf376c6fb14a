//! The host's microphone for the participants: the audio thread's microphone feed (after
//! gain control, silent while muted), encoded to Opus and sent as one track that every
//! participant's peer carries.

use std::sync::Arc;
use std::time::Duration;

use audio::{MixReceiver, OpusEncoder};
use bytes::Bytes;
use tokio::task::JoinHandle;
use webrtc::api::media_engine::MIME_TYPE_OPUS;
use webrtc::media::Sample;
use webrtc::rtp_transceiver::rtp_codec::RTCRtpCodecCapability;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;

use crate::peer::OutgoingTrack;
use crate::registry::HOST_ID;

/// Voice at 32 kbit/s: clear speech, small packets.
const BITRATE: i32 = 32_000;

/// Starts encoding `microphone`; the task ends when the feed does or when it is aborted.
pub fn start(mut microphone: MixReceiver) -> (OutgoingTrack, JoinHandle<()>) {
    let track = Arc::new(TrackLocalStaticSample::new(
        RTCRtpCodecCapability {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: audio::SAMPLE_RATE,
            channels: 2,
            sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
            rtcp_feedback: vec![],
        },
        format!("audio-{HOST_ID}"),
        HOST_ID.to_owned(),
    ));
    let sending = Arc::clone(&track);
    let task = tokio::spawn(async move {
        let mut encoder = match OpusEncoder::new(BITRATE) {
            Ok(encoder) => encoder,
            Err(err) => return log::error!("the host's microphone cannot be encoded: {err}"),
        };
        while let Some(frame) = microphone.recv().await {
            let packet = match encoder.encode(&frame) {
                Ok(packet) => Bytes::copy_from_slice(packet),
                Err(err) => {
                    log::warn!("encoding the host's microphone: {err}");
                    continue;
                }
            };
            let sample = Sample { data: packet, duration: Duration::from_millis(20), ..Default::default() };
            if let Err(err) = sending.write_sample(&sample).await {
                log::debug!("sending the host's microphone: {err}");
            }
        }
    });
    (track, task)
}
