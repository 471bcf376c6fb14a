//! The service's voice detection (`server_vad`), as the fake does it: 20 ms frames of the
//! call's audio in timeline order (RTP time, so a lost packet's concealed frame keeps its
//! place), speech when a frame is louder than a threshold for a few frames running. Like the
//! real service, a start is reported `prefix_padding_ms` before the speech and an end
//! `silence_duration_ms` after it, both in ms of the call's audio.

use serde_json::{json, Value};

/// Louder than this (RMS, dBFS) is speech to the fake.
const SPEECH_DBFS: f32 = -45.0;
/// Frames in a row that start speech: a click is not an utterance.
const ONSET_FRAMES: u64 = 3;
const FRAME_MS: u64 = 20;

/// One utterance as the fake reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Utterance {
    pub item_id: String,
    pub audio_start_ms: u64,
    /// `None` while it goes on.
    pub audio_end_ms: Option<u64>,
}

pub struct Vad {
    prefix_padding_ms: u64,
    silence_duration_ms: u64,
    /// Frames of the call's audio seen so far.
    frames: u64,
    /// Loud frames in a row, and where the run began.
    run: (u64, u64),
    /// The utterance under way and the frame after its last loud one.
    current: Option<(Utterance, u64)>,
    next_item: u32,
    call: String,
}

impl Vad {
    /// Detection as `session`'s `audio.input.turn_detection` asks (the API's defaults otherwise).
    pub fn new(call: &str, session: &Value) -> Vad {
        let detection = &session["audio"]["input"]["turn_detection"];
        Vad {
            prefix_padding_ms: detection["prefix_padding_ms"].as_u64().unwrap_or(300),
            silence_duration_ms: detection["silence_duration_ms"].as_u64().unwrap_or(500),
            frames: 0,
            run: (0, 0),
            current: None,
            next_item: 0,
            call: call.to_owned(),
        }
    }

    /// The next frame's level; returns the server events it leads to, and the utterance
    /// that started or ended.
    pub fn frame(&mut self, dbfs: f32) -> Option<(Vec<Value>, Utterance)> {
        let index = self.frames;
        self.frames += 1;
        let loud = dbfs > SPEECH_DBFS;
        if loud {
            if self.run.0 == 0 {
                self.run.1 = index;
            }
            self.run.0 += 1;
        } else {
            self.run.0 = 0;
        }
        match &mut self.current {
            None if self.run.0 == ONSET_FRAMES => {
                self.next_item += 1;
                let item_id = format!("item_{}_vad{:03}", self.call, self.next_item);
                let audio_start_ms = (self.run.1 * FRAME_MS).saturating_sub(self.prefix_padding_ms);
                let utterance = Utterance { item_id: item_id.clone(), audio_start_ms, audio_end_ms: None };
                self.current = Some((utterance.clone(), index + 1));
                let started = json!({ "type": "input_audio_buffer.speech_started", "item_id": item_id, "audio_start_ms": audio_start_ms });
                Some((vec![started], utterance))
            }
            None => None,
            Some((_, speech_end)) if loud => {
                *speech_end = index + 1;
                None
            }
            Some((_, speech_end)) if (index + 1 - *speech_end) * FRAME_MS >= self.silence_duration_ms => {
                let (mut utterance, _) = self.current.take()?;
                let audio_end_ms = (index + 1) * FRAME_MS;
                utterance.audio_end_ms = Some(audio_end_ms);
                let item_id = &utterance.item_id;
                let stopped = json!({ "type": "input_audio_buffer.speech_stopped", "item_id": item_id, "audio_end_ms": audio_end_ms });
                let committed =
                    json!({ "type": "input_audio_buffer.committed", "item_id": item_id, "previous_item_id": null });
                Some((vec![stopped, committed], utterance))
            }
            Some(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_is_reported_with_its_padding_and_its_ending_silence() {
        let session = json!({ "audio": { "input": { "turn_detection": { "prefix_padding_ms": 300, "silence_duration_ms": 200 } } } });
        let mut vad = Vad::new("c1", &session);
        let mut events = Vec::new();
        // 1 s quiet, a 2-frame click, 1 s quiet, 1 s speech, 1 s quiet.
        let levels = [(50, -80.0), (2, -20.0), (48, -80.0), (50, -20.0), (50, -80.0)];
        for (frames, level) in levels {
            for _ in 0..frames {
                if let Some((sent, _)) = vad.frame(level) {
                    events.extend(sent);
                }
            }
        }
        assert_eq!(events.len(), 3, "{events:#?}");
        assert_eq!(events[0]["type"], "input_audio_buffer.speech_started");
        assert_eq!(events[0]["audio_start_ms"], 2000 - 300);
        assert_eq!(events[1]["type"], "input_audio_buffer.speech_stopped");
        assert_eq!(events[1]["audio_end_ms"], 3000 + 200);
        assert_eq!(events[2]["type"], "input_audio_buffer.committed");
        assert_eq!(events[0]["item_id"], events[2]["item_id"]);
    }
}
