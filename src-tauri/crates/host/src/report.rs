//! The host's status lines on standard output: one line per event, easy to read and to grep.

use audio::SystemAudioStatus;
use board::import::Incoming;
use board::{Change, Edit, Source, Status};
use meeting::{who_spoke, OperatorStatus, TranscriptLine};
use realtime::cost::{self, MeetingCost};
use realtime::Preferences;
use room::acme::AcmeStatus;
use room::{CertificateInfo, CertificateKind, Lobby};
use room_protocol::{Connection, Participant};

pub fn status(status: &OperatorStatus) -> String {
    match status {
        OperatorStatus::Off => "status: off".to_owned(),
        OperatorStatus::Connecting => "status: connecting".to_owned(),
        OperatorStatus::Listening { call_id } => format!("status: listening (call {call_id})"),
        OperatorStatus::Reconnecting { attempt, retry_in_secs, reason } => {
            format!("status: reconnecting in {retry_in_secs} s (attempt {attempt}): {reason}")
        }
        OperatorStatus::Stopped { reason } => format!("status: stopped: {reason}"),
    }
}

/// Whether what this computer plays is heard: "call audio: listening to paplay, Firefox".
pub fn system_audio(status: &SystemAudioStatus) -> String {
    match status {
        SystemAudioStatus::Off => "call audio: off".to_owned(),
        SystemAudioStatus::Listening { apps } if apps.is_empty() => "call audio: listening (nothing plays)".to_owned(),
        SystemAudioStatus::Listening { apps } => format!("call audio: listening to {}", apps.join(", ")),
        SystemAudioStatus::Unavailable { reason } => format!("call audio: unavailable, trying again: {reason}"),
    }
}

/// A line of the transcript: "heard from Ana: …".
pub fn heard(line: &TranscriptLine) -> String {
    match who_spoke(&line.speakers) {
        Some(who) => format!("heard from {who}: {}", line.text),
        None => format!("heard: {}", line.text),
    }
}

/// What the meeting has cost so far.
pub fn spent(cost: &MeetingCost) -> String {
    format!("cost: {}", cost.describe())
}

/// The language the meeting is held in.
pub fn language(preferences: &Preferences) -> String {
    format!("language: {}", preferences.language)
}

/// The prices the cost lines use.
pub fn prices(model: &str) -> String {
    match cost::list_prices(model) {
        Some(prices) => format!(
            "prices: {model} list prices of {}, per million tokens: audio in ${}, text in ${}, cached in ${}, text out ${}",
            cost::PRICES_AS_OF,
            prices.audio_in,
            prices.text_in,
            prices.cached_audio_in,
            prices.text_out
        ),
        None => format!("prices: none known for the model {model}: the cost lines count its tokens only"),
    }
}

pub fn certificate(info: &CertificateInfo) -> String {
    let kind = match info.kind {
        CertificateKind::SelfSigned => {
            "self-signed certificate made by this installation (browsers warn once; compare the fingerprint)"
        }
        CertificateKind::Files => "certificate from the given files",
        CertificateKind::Acme => "ACME certificate",
    };
    match &info.fingerprint {
        Some(fingerprint) => format!("tls: {kind}, SHA-256 {fingerprint}"),
        None => format!("tls: {kind}"),
    }
}

pub fn acme(status: &AcmeStatus) -> String {
    match status {
        AcmeStatus::Ordering => "tls: ordering the certificate".to_owned(),
        AcmeStatus::Serving => "tls: certificate obtained and served".to_owned(),
        AcmeStatus::Failed(why) => format!("warning: {why}"),
    }
}

/// Who is in the room, each guest with the id the commands take: "participants: Host,
/// Ana (p1, joining), Bo (p2, muted by the host)".
pub fn participants(people: &[Participant]) -> String {
    let describe = |p: &Participant| {
        let mut notes = Vec::new();
        if !p.host {
            notes.push(p.id.as_str());
        }
        match p.connection {
            Connection::Joining => notes.push("joining"),
            Connection::Reconnecting => notes.push("reconnecting"),
            Connection::Connected => {}
        }
        if p.muted_by_host {
            notes.push("muted by the host");
        } else if p.muted {
            notes.push("muted");
        }
        if notes.is_empty() {
            p.name.clone()
        } else {
            format!("{} ({})", p.name, notes.join(", "))
        }
    };
    format!("participants: {}", people.iter().map(describe).collect::<Vec<_>>().join(", "))
}

/// The room's doors: "lobby: ask to join; waiting: Bo (w1); removed: Ana (p1)".
pub fn lobby(lobby: &Lobby) -> String {
    let doors = match (lobby.locked, lobby.ask_to_join) {
        (true, _) => "locked",
        (false, true) => "ask to join",
        (false, false) => "open",
    };
    let list = |people: &[room::admission::Person]| {
        people.iter().map(|p| format!("{} ({})", p.name, p.id)).collect::<Vec<_>>().join(", ")
    };
    let mut line = format!("lobby: {doors}");
    if !lobby.waiting.is_empty() {
        line += &format!("; waiting: {}", list(&lobby.waiting));
    }
    if !lobby.removed.is_empty() {
        line += &format!("; removed: {}", list(&lobby.removed));
    }
    line
}

/// `import: jira.csv (Jira): "To Do" → Backlog, "QA" → In Progress; 2 archived cards left out`
pub fn import(file: &std::path::Path, incoming: &Incoming, columns: &[Status]) -> String {
    let lists: Vec<String> =
        incoming.lists.iter().zip(columns).map(|(list, column)| format!("\"{}\" → {column}", list.name)).collect();
    let left_out = match incoming.left_out {
        0 => String::new(),
        n => format!("; {n} archived cards left out"),
    };
    format!("import: {} ({:?}): {}{left_out}", file.display(), incoming.format, lists.join(", "))
}

pub fn change(change: &Change) -> String {
    let card = change.after.as_ref().or(change.before.as_ref()).map(|placed| &placed.card);
    let named = card.map(|c| format!("{} \"{}\"", c.id, c.title)).unwrap_or_default();
    let batch = change.batch.as_ref().map(|b| (b.added.len(), b.removed.len())).unwrap_or_default();
    let what = match &change.operation {
        Edit::Import { from, .. } => format!("imported {} cards from \"{from}\", taking off {}", batch.0, batch.1),
        Edit::Undo { revision } if change.batch.is_some() => {
            format!("undid change {revision}: put back {} cards, took off {}", batch.0, batch.1)
        }
        Edit::Create { status, .. } => format!("created {named} in {status}"),
        Edit::Move { status, .. } => format!("moved {named} to {status}"),
        Edit::AddTags { tags, .. } => format!("tagged {named} with {}", tags.join(", ")),
        Edit::Update { .. } => format!("updated {named}"),
        Edit::Delete { .. } => format!("deleted {named}"),
        Edit::Undo { revision } => format!("undid change {revision} on {named}"),
        Edit::Suggest { .. } => {
            format!("suggestion {}: {}; waiting for a person to accept it", change.revision, asked(change))
        }
        Edit::Accept { suggestion } => format!("accepted suggestion {suggestion} to {}", asked(change)),
        Edit::Reject { suggestion } => format!("rejected suggestion {suggestion} to {}", asked(change)),
        Edit::Expire { suggestion } => format!("suggestion {suggestion} to {} expired unanswered", asked(change)),
    };
    let who = match &change.source {
        Source::Hand => "by hand".to_owned(),
        Source::Voice { transcript, speakers, .. } => {
            let from = who_spoke(speakers).map(|who| format!(", from {who}")).unwrap_or_default();
            match transcript {
                Some(said) => format!("by voice{from}: \"{said}\""),
                None => format!("by voice{from}"),
            }
        }
        Source::Participant { name } => format!("by {name}"),
    };
    format!("board: revision {}: {what} ({who})", change.revision)
}

/// What the suggestion a change filed or answered asks for: "delete card-003 "…"".
fn asked(change: &Change) -> String {
    let Some(suggestion) = &change.suggestion else { return "change the board".to_owned() };
    let named = suggestion.card.as_ref().map(|c| format!("{} \"{}\"", c.id, c.title)).unwrap_or_default();
    match &suggestion.edit {
        Edit::Create { title, status, .. } => format!("create \"{title}\" in {status}"),
        Edit::Move { status, .. } => format!("move {named} to {status}"),
        Edit::AddTags { tags, .. } => format!("tag {named} with {}", tags.join(", ")),
        Edit::Update { .. } => format!("update {named}"),
        Edit::Delete { .. } => format!("delete {named}"),
        Edit::Undo { .. }
        | Edit::Suggest { .. }
        | Edit::Accept { .. }
        | Edit::Reject { .. }
        | Edit::Expire { .. }
        | Edit::Import { .. } => "change the board".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::{Board, Status};

    #[test]
    fn changes_read_as_one_line() {
        let mut board = Board::with_cards(board::seed::board().cards().cloned().collect());
        let edit = Edit::Move { card_id: "card-003".into(), status: Status::Done, position: None };
        let source = Source::Voice {
            call_id: "c1".into(),
            transcript: Some("ICE restarts shipped".into()),
            speakers: vec!["Ana".into()],
        };
        let change = board.apply(edit, source, 0).unwrap();
        assert_eq!(
            super::change(&change),
            "board: revision 1: moved card-003 \"Implement ICE Restart Handling\" to Done (by voice, from Ana: \"ICE restarts shipped\")"
        );
        let delete = Edit::Suggest { edit: Box::new(Edit::Delete { card_id: "card-002".into() }) };
        let suggested =
            board.apply(delete, Source::Voice { call_id: "c2".into(), transcript: None, speakers: vec![] }, 0).unwrap();
        let accepted = board.apply(Edit::Accept { suggestion: 2 }, Source::Participant { name: "Ana".into() }, 0);
        let card = "card-002 \"Add RTP Retransmission Buffer\"";
        assert_eq!(
            super::change(&suggested),
            format!("board: revision 2: suggestion 2: delete {card}; waiting for a person to accept it (by voice)")
        );
        assert_eq!(
            super::change(&accepted.unwrap()),
            format!("board: revision 3: accepted suggestion 2 to delete {card} (by Ana)")
        );
        let line = |speakers: &[&str]| TranscriptLine {
            item_id: "i1".into(),
            text: "Done.".into(),
            speakers: speakers.iter().map(|s| s.to_string()).collect(),
            at: 0,
        };
        assert_eq!(heard(&line(&["Bo"])), "heard from Bo: Done.");
        assert_eq!(heard(&line(&["Bo", "Ana"])), "heard from several people: Bo, Ana: Done.");
        assert_eq!(heard(&line(&[])), "heard: Done.");
        let waiting =
            OperatorStatus::Reconnecting { attempt: 2, retry_in_secs: 3, reason: "Could not reach the API".into() };
        assert_eq!(status(&waiting), "status: reconnecting in 3 s (attempt 2): Could not reach the API");
    }

    #[test]
    fn prices_say_where_they_come_from() {
        assert_eq!(
            prices("gpt-realtime-2"),
            "prices: gpt-realtime-2 list prices of 2026-11-30, per million tokens: audio in $32, text in $4, cached in $0.4, text out $24"
        );
        assert!(prices("my-proxy").contains("count its tokens only"));
    }

    #[test]
    fn participants_read_as_one_line_with_their_ids() {
        let person = |id: &str, name: &str, host: bool, connection: Connection| Participant {
            id: id.into(),
            name: name.into(),
            host,
            muted: false,
            muted_by_host: false,
            connection,
        };
        let mut bo = person("p2", "w1", false, Connection::Connected);
        bo.muted_by_host = true;
        let people =
            [person("host", "Dee", true, Connection::Connected), person("p1", "Ana", false, Connection::Joining), bo];
        assert_eq!(participants(&people), "participants: Dee, Ana (p1, joining), w1 (p2, muted by the host)");
    }

    #[test]
    fn the_lobby_reads_as_one_line() {
        use room::admission::Person;
        let person = |id: &str, name: &str| Person { id: id.into(), name: name.into() };
        assert_eq!(lobby(&Lobby::default()), "lobby: open");
        let busy = Lobby {
            locked: false,
            ask_to_join: true,
            waiting: vec![person("w1", "Bo"), person("w2", "Cy")],
            removed: vec![person("p1", "Ana")],
        };
        assert_eq!(lobby(&busy), "lobby: ask to join; waiting: Bo (w1), Cy (w2); removed: Ana (p1)");
        assert_eq!(
            lobby(&Lobby { locked: true, ..busy }),
            "lobby: locked; waiting: Bo (w1), Cy (w2); removed: Ana (p1)"
        );
    }
}
