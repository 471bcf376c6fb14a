//! What the hub tells every joined page (and the host's window, the roster): who is in,
//! their sound levels, the voice operator's status and the transcript.

use audio::{SourceKind, SourceLevel};
use meeting::status::{OperatorStatus, TranscriptLine};

use super::Hub;
use room_protocol::{ParticipantLevel, ServerMessage, HOST_ID};

/// Transcript lines a newcomer gets.
const TRANSCRIPT_KEPT: usize = 50;

impl Hub {
    pub(super) fn roster_changed(&self) {
        let participants = self.registry.list();
        let _ = self.roster.send(participants.clone());
        let _ = self.news.send(ServerMessage::Participants { participants });
    }

    /// The mix's levels, for the people in the room.
    pub(super) fn levels(&self, levels: Vec<SourceLevel>) {
        let levels = levels
            .into_iter()
            .filter_map(|source| {
                let id = match source.kind {
                    // This machine's microphone: the host's, whatever the mixer calls it.
                    SourceKind::Local => HOST_ID.to_owned(),
                    SourceKind::Remote if self.guests.contains_key(&source.id) => source.id,
                    // Someone who just left, a sound that is not a participant's, or what
                    // the host's computer plays (the host's call app: not the room's to show).
                    SourceKind::Remote | SourceKind::Captured => return None,
                };
                Some(ParticipantLevel { id, level: source.level })
            })
            .collect();
        let _ = self.news.send(ServerMessage::Levels { levels });
    }

    pub(super) fn voice_changed(&mut self, status: OperatorStatus) {
        self.voice = status;
        let _ = self.news.send(ServerMessage::Voice { status: self.voice.clone() });
    }

    pub(super) fn transcript(&mut self, line: TranscriptLine) {
        if self.transcript.len() == TRANSCRIPT_KEPT {
            self.transcript.pop_front();
        }
        self.transcript.push_back(line.clone());
        let _ = self.news.send(ServerMessage::Transcript { line });
    }
}
