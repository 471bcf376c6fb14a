//! The record each meeting leaves in the data folder: when it ran, with which model, and
//! what the voice operator cost. One JSON line per meeting in `meetings.jsonl`, private, and
//! at most 1 MiB: past that the oldest meetings go first.

use std::io;
use std::path::Path;

use realtime::cost::MeetingCost;
use serde::Serialize;

pub const FILE: &str = "meetings.jsonl";
const CAP_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingRecord {
    /// Unix times in milliseconds.
    pub started_at: i64,
    pub ended_at: i64,
    /// The model the voice operator used last in the meeting.
    pub model: Option<String>,
    pub cost: MeetingCost,
}

/// Adds `record` as the file's last line, dropping the oldest lines past 1 MiB.
pub fn append(path: &Path, record: &MeetingRecord) -> io::Result<()> {
    append_capped(path, record, CAP_BYTES)
}

fn append_capped(path: &Path, record: &MeetingRecord, cap: usize) -> io::Result<()> {
    let mut text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(err),
    };
    text.push_str(&serde_json::to_string(record).map_err(io::Error::other)?);
    text.push('\n');
    while text.len() > cap {
        match text.find('\n') {
            Some(end) => drop(text.drain(..=end)),
            None => break,
        }
    }
    private_files::write(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(started_at: i64) -> MeetingRecord {
        MeetingRecord {
            started_at,
            ended_at: started_at + 600_000,
            model: Some("gpt-realtime-2".into()),
            cost: MeetingCost::default(),
        }
    }

    #[test]
    fn each_meeting_is_a_line_and_the_oldest_go_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        append(&path, &record(1)).unwrap();
        append(&path, &record(2)).unwrap();
        let lines: Vec<serde_json::Value> =
            std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0]["startedAt"].as_i64(), lines[1]["model"].as_str()), (Some(1), Some("gpt-realtime-2")));
        assert!(lines[0]["cost"]["tokens"]["audioIn"].is_u64());

        // With a cap of three lines, the tenth meeting leaves the last three.
        let line = serde_json::to_string(&record(100)).unwrap().len() + 1;
        for i in 0..10 {
            append_capped(&path, &record(100 + i), 3 * line).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: Vec<i64> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["startedAt"].as_i64().unwrap())
            .collect();
        assert_eq!(kept, [107, 108, 109], "the oldest went first");
    }
}
