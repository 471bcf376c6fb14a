//! Meeting notes: what a meeting leaves behind besides the board, as Markdown a team can keep
//! or send. When it ran and how long, what it cost, who came and went, the board's changes
//! grouped as done, started, blocked, created and deleted (each with who made it), and the
//! transcript with names. Gathering ([`Attendance`], [`Gathered`]) and writing the text
//! ([`render`]) are plain Rust; the notes folder is `notes_folder`'s.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use board::{Change, Edit, Source, Status};
use chrono::{DateTime, FixedOffset};
use meeting::{who_spoke, TranscriptLine};
use realtime::cost::MeetingCost;
use room_protocol::Participant;

/// Transcript kept for the notes: past either bound, later lines are counted, not kept.
pub const MAX_TRANSCRIPT_LINES: usize = 5_000;
pub const MAX_TRANSCRIPT_BYTES: usize = 512 * 1024;
/// Board changes kept for the notes; more in one meeting are counted, not listed.
pub const MAX_CHANGES: usize = 1_000;
/// The last line of every notes file: a file without it was not written whole.
pub const END_MARK: &str = "<!-- end of notes -->";

/// When each person was in the room: joins and leaves by participant id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attendance {
    /// Participant id → (name, host, stays as (came, went)), in order of first arrival.
    people: Vec<(String, Attendee)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attendee {
    pub name: String,
    pub host: bool,
    /// When they came and went (Unix ms); `None`: still there when the meeting ended.
    pub stays: Vec<(i64, Option<i64>)>,
}

/// A stay that ended this close to the meeting's end ended with it: ending the room takes
/// everyone out a moment before the notes are written.
const ENDED_WITH_THE_MEETING_MS: i64 = 1_000;

/// Everyone in a room can be at most this many people over a meeting; more are not tracked.
const MAX_ATTENDEES: usize = 1_000;

impl Attendance {
    /// The room's people as of `at`: newcomers came, the missing went.
    pub fn seen(&mut self, at: i64, roster: &[Participant]) {
        for (id, attendee) in &mut self.people {
            let here = roster.iter().any(|person| person.id == *id);
            if let Some(stay) = attendee.stays.last_mut().filter(|(_, went)| went.is_none() && !here) {
                stay.1 = Some(at);
            }
        }
        for person in roster {
            match self.people.iter().position(|(id, _)| *id == person.id) {
                Some(known) => {
                    let attendee = &mut self.people[known].1;
                    attendee.name.clone_from(&person.name);
                    if attendee.stays.last().is_none_or(|(_, went)| went.is_some()) {
                        attendee.stays.push((at, None));
                    }
                }
                None if self.people.len() < MAX_ATTENDEES => {
                    let attendee = Attendee { name: person.name.clone(), host: person.host, stays: vec![(at, None)] };
                    self.people.push((person.id.clone(), attendee));
                }
                None => {}
            }
        }
    }

    pub fn attendees(&self) -> impl Iterator<Item = &Attendee> {
        self.people.iter().map(|(_, attendee)| attendee)
    }
}

/// What one meeting gathered while it ran.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub started_at: i64,
    pub attendance: Attendance,
    pub changes: Vec<Change>,
    pub changes_left_out: usize,
    pub transcript: Vec<TranscriptLine>,
    transcript_bytes: usize,
    pub transcript_left_out: usize,
}

impl Gathered {
    pub fn new(started_at: i64) -> Gathered {
        Gathered { started_at, ..Gathered::default() }
    }

    pub fn heard(&mut self, line: TranscriptLine) {
        let bytes = line.text.len() + line.speakers.iter().map(String::len).sum::<usize>();
        if self.transcript.len() >= MAX_TRANSCRIPT_LINES || self.transcript_bytes + bytes > MAX_TRANSCRIPT_BYTES {
            self.transcript_left_out += 1;
            return;
        }
        self.transcript_bytes += bytes;
        self.transcript.push(line);
    }

    pub fn changed(&mut self, change: Change) {
        if self.changes.len() >= MAX_CHANGES {
            self.changes_left_out += 1;
            return;
        }
        self.changes.push(change);
    }
}

/// How the meeting ended, for the notes' header.
#[derive(Debug, Clone)]
pub struct Ending {
    pub ended_at: i64,
    /// What the voice operator cost (`None`: it never ran).
    pub cost: Option<MeetingCost>,
    /// The person at this computer, for changes made by hand in its window.
    pub host_name: String,
    /// The meeting's time zone, for every time in the notes.
    pub zone: FixedOffset,
}

/// The notes as Markdown.
pub fn render(gathered: &Gathered, ending: &Ending) -> String {
    let at = |ms: i64| local(ms, ending.zone);
    let (start, end) = (at(gathered.started_at), at(ending.ended_at));
    let minutes = (ending.ended_at - gathered.started_at).max(0) / 60_000;
    let mut text = String::new();
    let _ = writeln!(text, "# Meeting notes: {}\n", start.format("%A %-d %B %Y, %H:%M"));
    let _ = writeln!(
        text,
        "- **When:** {} to {} ({})",
        start.format("%Y-%m-%d %H:%M"),
        end.format("%H:%M"),
        length(minutes)
    );
    let cost = ending.cost.as_ref().map_or("nothing billed by the voice operator".to_owned(), MeetingCost::describe);
    let _ = writeln!(text, "- **Cost:** {cost}\n");

    text.push_str("## Who attended\n\n");
    let mut anyone = false;
    for attendee in gathered.attendance.attendees() {
        anyone = true;
        let stays: Vec<String> = attendee
            .stays
            .iter()
            .map(|(came, went)| {
                let went = went.filter(|went| ending.ended_at - went > ENDED_WITH_THE_MEETING_MS);
                let went = went.map_or_else(|| "the end".to_owned(), |went| at(went).format("%H:%M").to_string());
                format!("{} to {went}", at(*came).format("%H:%M"))
            })
            .collect();
        let role = if attendee.host { " (host)" } else { "" };
        let _ = writeln!(text, "- {}{role}: {}", attendee.name, stays.join(", "));
    }
    if !anyone {
        let _ = writeln!(text, "- {} (host): the whole meeting", ending.host_name);
    }

    text.push_str("\n## Board changes\n");
    let mut groups: BTreeMap<Group, Vec<String>> = BTreeMap::new();
    for change in &gathered.changes {
        if let Some((group, line)) = describe(change, &ending.host_name) {
            groups.entry(group).or_default().push(line);
        }
    }
    if groups.is_empty() {
        text.push_str("\nNo card changed.\n");
    }
    for (group, lines) in &groups {
        let _ = writeln!(text, "\n### {}\n", group.heading());
        for line in lines {
            let _ = writeln!(text, "- {line}");
        }
    }
    if gathered.changes_left_out > 0 {
        let _ = writeln!(text, "\n…and {} more changes, not listed.", gathered.changes_left_out);
    }

    text.push_str("\n## Transcript\n\n");
    if gathered.transcript.is_empty() {
        text.push_str("Nothing was transcribed.\n");
    }
    for line in &gathered.transcript {
        let who = who_spoke(&line.speakers).map(|who| format!("**{}:** ", markdown(&who))).unwrap_or_default();
        let _ = writeln!(text, "- {} {who}{}", at(line.at).format("%H:%M:%S"), markdown(&line.text));
    }
    if gathered.transcript_left_out > 0 {
        let _ = writeln!(text, "\n…and {} more lines, not kept.", gathered.transcript_left_out);
    }
    let _ = writeln!(text, "\n{END_MARK}");
    text
}

/// The groups the board's changes are listed in, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Done,
    Started,
    Blocked,
    Created,
    Deleted,
}

impl Group {
    fn heading(self) -> &'static str {
        match self {
            Group::Done => "Done",
            Group::Started => "Started",
            Group::Blocked => "Blocked",
            Group::Created => "Created",
            Group::Deleted => "Deleted",
        }
    }
}

/// The group a change belongs in and its line, if it is one the notes list (a card done,
/// started, blocked, created or deleted; an accepted suggestion counts as what it did).
fn describe(change: &Change, host_name: &str) -> Option<(Group, String)> {
    if matches!(change.operation, Edit::Suggest { .. } | Edit::Reject { .. } | Edit::Expire { .. }) {
        return None;
    }
    let by = match (&change.operation, &change.suggestion) {
        // Whose words led to it, and who said yes.
        (Edit::Accept { .. }, Some(suggested)) => {
            format!("{}, accepted {}", who_made(&suggested.source, host_name), who_made(&change.source, host_name))
        }
        _ => who_made(&change.source, host_name),
    };
    if let Some(batch) = &change.batch {
        let cards = |n: usize| if n == 1 { "1 card".to_owned() } else { format!("{n} cards") };
        let taken = match batch.removed.len() {
            0 => String::new(),
            n => format!(" in place of {}", cards(n)),
        };
        let line = match &change.operation {
            Edit::Import { from, .. } => {
                format!("{} imported from “{}”{taken}, {by}", cards(batch.added.len()), markdown(from))
            }
            _ if batch.added.is_empty() => format!("{} taken off by an undo, {by}", cards(batch.removed.len())),
            _ => format!("{} put back by an undo{taken}, {by}", cards(batch.added.len())),
        };
        return Some((Group::Created, line));
    }
    let (before, after) = (change.before.as_ref().map(|p| &p.card), change.after.as_ref().map(|p| &p.card));
    let (group, card) = match (before, after) {
        (None, Some(card)) => (Group::Created, card),
        (Some(card), None) => (Group::Deleted, card),
        (Some(before), Some(after)) if before.status != after.status => match after.status {
            Status::Done => (Group::Done, after),
            Status::InProgress => (Group::Started, after),
            Status::Blocked => (Group::Blocked, after),
            Status::Backlog => return None,
        },
        _ => return None,
    };
    let title = format!("“{}” ({})", markdown(&card.title), card.id);
    let line = match group {
        Group::Blocked if !card.notes.trim().is_empty() => {
            format!("{title}: {}, {by}", markdown(card.notes.trim()))
        }
        Group::Created => format!("{title} in {}, {by}", card.status.as_str()),
        _ => format!("{title}, {by}"),
    };
    Some((group, line))
}

/// "by hand (Host)", "by Ana", "by voice, from Ana: “…”".
fn who_made(source: &Source, host_name: &str) -> String {
    match source {
        Source::Hand => format!("by hand ({})", markdown(host_name)),
        Source::Participant { name } => format!("by {}", markdown(name)),
        Source::Voice { transcript, speakers, .. } => {
            let from = who_spoke(speakers).map(|who| format!(", from {}", markdown(&who))).unwrap_or_default();
            match transcript {
                Some(said) => format!("by voice{from}: “{}”", markdown(said)),
                None => format!("by voice{from}"),
            }
        }
    }
}

/// Text as it reads in Markdown, one line: what people said and named cannot start a
/// heading, a list or a link, nor break the notes' layout.
fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn local(ms: i64, zone: FixedOffset) -> DateTime<FixedOffset> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().with_timezone(&zone)
}

fn length(minutes: i64) -> String {
    match minutes {
        0 => "under a minute".to_owned(),
        1 => "1 minute".to_owned(),
        m if m < 60 => format!("{m} minutes"),
        m => format!("{} h {:02} min", m / 60, m % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use board::{Board, Edit};
    use room_protocol::Connection;

    const MINUTE: i64 = 60_000;
    /// 2026-12-05 09:00 UTC.
    const NINE: i64 = 1_796_461_200_000;

    fn person(id: &str, name: &str, host: bool) -> Participant {
        Participant {
            id: id.into(),
            name: name.into(),
            host,
            muted: false,
            muted_by_host: false,
            connection: Connection::Connected,
        }
    }

    #[test]
    fn attendance_keeps_every_stay() {
        let mut attendance = Attendance::default();
        let (host, ana, bo) = (person("host", "Host", true), person("p1", "Ana", false), person("p2", "Bo", false));
        attendance.seen(NINE, std::slice::from_ref(&host));
        attendance.seen(NINE + MINUTE, &[host.clone(), ana.clone()]);
        attendance.seen(NINE + 2 * MINUTE, &[host.clone(), ana.clone(), bo.clone()]);
        attendance.seen(NINE + 5 * MINUTE, &[host.clone(), bo.clone()]);
        attendance.seen(NINE + 7 * MINUTE, &[host.clone(), bo.clone(), ana.clone()]);
        type Stays = Vec<(i64, Option<i64>)>;
        let stays: Vec<(&str, Stays)> = attendance.attendees().map(|a| (a.name.as_str(), a.stays.clone())).collect();
        assert_eq!(
            stays,
            [
                ("Host", vec![(NINE, None)]),
                ("Ana", vec![(NINE + MINUTE, Some(NINE + 5 * MINUTE)), (NINE + 7 * MINUTE, None)]),
                ("Bo", vec![(NINE + 2 * MINUTE, None)]),
            ]
        );
    }

    /// A scripted meeting: two join, the voice moves, creates and blocks cards, the host
    /// drags one by hand, one person leaves.
    fn meeting() -> (Gathered, Ending) {
        let mut gathered = Gathered::new(NINE);
        let (host, ana, bo) = (person("host", "Host", true), person("p1", "Ana", false), person("p2", "Bo", false));
        gathered.attendance.seen(NINE, std::slice::from_ref(&host));
        gathered.attendance.seen(NINE + MINUTE, &[host.clone(), ana.clone(), bo.clone()]);
        gathered.attendance.seen(NINE + 9 * MINUTE, &[host.clone(), ana.clone()]);
        // Ending the room takes the last ones out just before the notes are written.
        gathered.attendance.seen(NINE + 12 * MINUTE + 29_500, std::slice::from_ref(&host));
        let mut board = Board::with_cards(board::seed::board().cards().cloned().collect());
        let voice = |words: &str, who: &[&str]| Source::Voice {
            call_id: "c".into(),
            transcript: Some(words.into()),
            speakers: who.iter().map(|s| s.to_string()).collect(),
        };
        let edits = [
            (
                Edit::Move { card_id: "card-003".into(), status: Status::Done, position: None },
                voice("ICE restarts shipped", &["Ana"]),
            ),
            (
                Edit::Create {
                    title: "Write the *release* notes".into(),
                    status: Status::InProgress,
                    notes: String::new(),
                    tags: vec![],
                    position: None,
                },
                voice("I'll write the release notes", &["Bo"]),
            ),
            (
                Edit::Update {
                    card_id: "card-004".into(),
                    title: None,
                    notes: Some("waiting on the security review".into()),
                    tags: None,
                },
                voice("DTLS waits on the review", &["Bo"]),
            ),
            (
                Edit::Move { card_id: "card-004".into(), status: Status::Blocked, position: None },
                voice("so it's blocked", &["Bo", "Ana"]),
            ),
            (Edit::Move { card_id: "card-002".into(), status: Status::InProgress, position: None }, Source::Hand),
        ];
        for (edit, source) in edits {
            gathered.changed(board.apply(edit, source, NINE + 3 * MINUTE).unwrap());
        }
        let transcript =
            [("ICE restarts shipped.", &["Ana"][..]), ("So it's blocked.", &["Bo", "Ana"][..]), ("hm", &[][..])];
        for (i, (text, who)) in transcript.into_iter().enumerate() {
            gathered.heard(TranscriptLine {
                item_id: format!("i{i}"),
                text: text.into(),
                speakers: who.iter().map(|s| s.to_string()).collect(),
                at: NINE + 2 * MINUTE + i as i64 * 1000,
            });
        }
        let ending = Ending {
            ended_at: NINE + 12 * MINUTE + 30_000,
            cost: Some(MeetingCost::default()),
            host_name: "Host".into(),
            zone: FixedOffset::east_opt(3600).unwrap(),
        };
        (gathered, ending)
    }

    #[test]
    fn the_notes_have_every_section() {
        let (gathered, ending) = meeting();
        let notes = render(&gathered, &ending);
        println!("{notes}");
        assert!(notes.starts_with("# Meeting notes: Saturday 5 December 2026, 10:00\n"), "in the meeting's time zone");
        assert!(notes.contains("- **When:** 2026-12-05 10:00 to 10:12 (12 minutes)"));
        assert!(notes.contains("- **Cost:** 0 tokens in"));
        assert!(notes.contains(
            "## Who attended\n\n- Host (host): 10:00 to the end\n- Ana: 10:01 to the end\n- Bo: 10:01 to 10:09\n"
        ));
        let done = notes.find("### Done").unwrap();
        let started = notes.find("### Started").unwrap();
        let blocked = notes.find("### Blocked").unwrap();
        let created = notes.find("### Created").unwrap();
        assert!(done < started && started < blocked && blocked < created);
        assert!(!notes.contains("### Deleted"), "no empty groups");
        assert!(
            notes.contains("- “Implement ICE Restart Handling” (card-003), by voice, from Ana: “ICE restarts shipped”")
        );
        assert!(notes.contains("“Add RTP Retransmission Buffer” (card-002), by hand (Host)"));
        assert!(notes.contains(
            "“Harden DTLS/SRTP Cleanup” (card-004): waiting on the security review, by voice, from several people: Bo, Ana: “so it's blocked”"
        ));
        assert!(
            notes.contains("- “Write the \\*release\\* notes” (kanban-card-001) in In Progress, by voice, from Bo"),
            "{notes}"
        );
        assert!(notes.contains("## Transcript\n\n- 10:02:00 **Ana:** ICE restarts shipped.\n- 10:02:01 **several people: Bo, Ana:** So it's blocked.\n- 10:02:02 hm\n"));
        assert!(notes.ends_with(&format!("{END_MARK}\n")));
    }

    #[test]
    fn an_accepted_suggestion_names_whose_words_and_who_accepted() {
        let (mut gathered, ending) = meeting();
        let mut board = Board::with_cards(board::seed::board().cards().cloned().collect());
        let words =
            Source::Voice { call_id: "c".into(), transcript: Some("drop it".into()), speakers: vec!["Ana".into()] };
        let delete = Edit::Delete { card_id: "card-005".into() };
        let suggested = board.apply(Edit::Suggest { edit: Box::new(delete) }, words, NINE).unwrap();
        let id = suggested.revision;
        gathered.changed(suggested);
        let bo = Source::Participant { name: "Bo".into() };
        gathered.changed(board.apply(Edit::Accept { suggestion: id }, bo, NINE + MINUTE).unwrap());
        let notes = render(&gathered, &ending);
        assert_eq!(notes.matches("(card-005)").count(), 1, "the suggestion itself is not a change: {notes}");
        assert!(notes.contains("### Deleted\n\n- “"), "{notes}");
        assert!(notes.contains("(card-005), by voice, from Ana: “drop it”, accepted by Bo\n"), "{notes}");
    }

    #[test]
    fn an_import_and_its_undo_are_one_line_each() {
        let (mut gathered, ending) = meeting();
        let mut board = board::seed::board();
        let card = |title: &str| board::NewCard {
            id: None,
            status: Status::Backlog,
            title: title.into(),
            notes: String::new(),
            tags: vec![],
        };
        let import = Edit::Import { from: "trello.json".into(), replace: true, cards: vec![card("a"), card("b")] };
        let imported = board.apply(import, Source::Hand, NINE).unwrap();
        let revision = imported.revision;
        gathered.changed(imported);
        gathered.changed(board.apply(Edit::Undo { revision }, Source::Hand, NINE + MINUTE).unwrap());
        let notes = render(&gathered, &ending);
        assert!(
            notes.contains("- 2 cards imported from “trello.json” in place of 5 cards, by hand (Host)\n"),
            "{notes}"
        );
        assert!(notes.contains("- 5 cards put back by an undo in place of 2 cards, by hand (Host)\n"), "{notes}");
    }

    #[test]
    fn what_people_said_cannot_break_the_layout_and_the_transcript_is_bounded() {
        let (mut gathered, ending) = meeting();
        gathered.heard(TranscriptLine {
            item_id: "x".into(),
            text: "# not a heading\n- nor [a](link)".into(),
            speakers: vec![],
            at: NINE,
        });
        let notes = render(&gathered, &ending);
        assert!(notes.contains("\\# not a heading - nor \\[a\\](link)"));
        for i in 0..MAX_TRANSCRIPT_LINES + 10 {
            gathered.heard(TranscriptLine { item_id: format!("{i}"), text: "word".into(), speakers: vec![], at: NINE });
        }
        assert_eq!(gathered.transcript.len(), MAX_TRANSCRIPT_LINES);
        assert!(render(&gathered, &ending).contains("more lines, not kept."));
    }
}
