//! The host's controls on standard input, one command a line: let people in or not, lock
//! the room, mute or remove someone. People are named by their id (`p1`, `w1`), shown beside
//! each name in the status lines, never by their name: anyone can call themselves "w2". Plain
//! Rust: a line and the room as it is now in, what to do out.

use std::path::PathBuf;

use board::import::Incoming;
use board::Status;
use realtime::Language;
use room::Lobby;
use room_protocol::Participant;

pub const HELP: &str = "commands: admit ID, decline ID, remove ID, allow ID (back in after a removal), \
mute ID, unmute ID, lock, unlock, ask (newcomers wait for you), open (they come straight in); \
ID is the one shown beside each name in the participants and lobby lines, such as p1 or w1; \
accept N, reject N: a suggestion of the voice operator's, by the number in its board line; \
language CODE: the meeting's language, such as en, de or fr; \
new-link: the room gets a new link and the old one lets nobody in any more; \
export FILE: the board as Markdown (.md), JSON (.json) or CSV (.csv); \
import FILE [replace] [\"LIST=COLUMN\" ...]: cards from Boardroom's JSON or CSV, a Trello JSON export or a Jira CSV \
export, added after the board's (or in place of them, with replace), each list in the column its name says or the one \
given; quote names with spaces";

/// What the host asked for, with the id it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Admit(String),
    Decline(String),
    Remove(String),
    AllowBack(String),
    Mute(String, bool),
    Lock(bool),
    AskToJoin(bool),
    /// Accept (true) or reject a waiting suggestion, by its number.
    Answer(u64, bool),
    /// Hold the meeting in this language from now on.
    Language(Language),
    /// Replace the room's link.
    NewLink,
    /// Write the board to this file.
    Export(PathBuf),
    Import(Import),
}

/// Bring in the cards of a file: after the board's or in place of them, with the columns
/// given for some of its lists by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub file: PathBuf,
    pub replace: bool,
    pub columns: Vec<(String, Status)>,
}

impl Import {
    /// The column of each of `incoming`'s lists: the one given, else the one its name says.
    pub fn columns(&self, incoming: &Incoming) -> Result<Vec<Status>, String> {
        let mut unmapped = Vec::new();
        let columns: Vec<Status> = incoming
            .lists
            .iter()
            .filter_map(|list| {
                let given = self.columns.iter().find(|(name, _)| name.eq_ignore_ascii_case(&list.name));
                let column = given.map(|(_, column)| *column).or(list.column);
                if column.is_none() {
                    unmapped.push(format!("\"{}={}\"", list.name, Status::Backlog));
                }
                column
            })
            .collect();
        if let Some(unknown) =
            self.columns.iter().find(|(name, _)| !incoming.lists.iter().any(|l| l.name.eq_ignore_ascii_case(name)))
        {
            let lists: Vec<String> = incoming.lists.iter().map(|l| format!("\"{}\"", l.name)).collect();
            return Err(format!("the file has no list \"{}\"; its lists are {}", unknown.0, lists.join(", ")));
        }
        if !unmapped.is_empty() {
            return Err(format!(
                "say which column the cards of these lists go in, adding for example {} to the command",
                unmapped.join(" ")
            ));
        }
        Ok(columns)
    }
}

/// Reads one line; `Err` says what is wrong with it (or lists the commands).
pub fn parse(line: &str, people: &[Participant], lobby: &Lobby) -> Result<Action, String> {
    let line = line.trim();
    let (command, who) = line.split_once(char::is_whitespace).map_or((line, ""), |(c, w)| (c, w.trim()));
    let in_room = || find(who, people.iter().filter(|p| !p.host).map(|p| &p.id), "in the room");
    let waiting = || find(who, lobby.waiting.iter().map(|p| &p.id), "waiting");
    match command {
        "admit" => waiting().map(Action::Admit),
        "decline" => waiting().map(Action::Decline),
        "allow" => find(who, lobby.removed.iter().map(|p| &p.id), "removed").map(Action::AllowBack),
        "remove" => in_room().map(Action::Remove),
        "mute" => in_room().map(|id| Action::Mute(id, true)),
        "unmute" => in_room().map(|id| Action::Mute(id, false)),
        "lock" => Ok(Action::Lock(true)),
        "unlock" => Ok(Action::Lock(false)),
        "ask" => Ok(Action::AskToJoin(true)),
        "open" => Ok(Action::AskToJoin(false)),
        "accept" => suggestion(who).map(|n| Action::Answer(n, true)),
        "reject" => suggestion(who).map(|n| Action::Answer(n, false)),
        "language" => Language::from_code(who).map(Action::Language).map_err(|err| err.to_string()),
        "new-link" => Ok(Action::NewLink),
        "export" => file_words(who).and_then(|words| match words.as_slice() {
            [file] => Ok(Action::Export(PathBuf::from(file))),
            _ => Err("say where: `export FILE`, such as `export standup.md`".to_owned()),
        }),
        "import" => import(who).map(Action::Import),
        _ => Err(HELP.to_owned()),
    }
}

/// The words of a command that names files and lists, which may be quoted as in a shell.
fn file_words(rest: &str) -> Result<Vec<String>, String> {
    shlex::split(rest).ok_or_else(|| "a quote is not closed".to_owned())
}

fn import(rest: &str) -> Result<Import, String> {
    let words = file_words(rest)?;
    let Some((file, options)) = words.split_first() else {
        return Err("say which file: `import FILE`, such as `import trello.json`".to_owned());
    };
    let mut import = Import { file: PathBuf::from(file), replace: false, columns: Vec::new() };
    for option in options {
        match option.split_once('=') {
            _ if option == "replace" => import.replace = true,
            Some((list, column)) => {
                let column = column.parse().map_err(|err: board::model::UnknownStatus| err.to_string())?;
                import.columns.push((list.trim().to_owned(), column));
            }
            None => return Err(format!("\"{option}\" is neither `replace` nor a \"LIST=COLUMN\"")),
        }
    }
    Ok(import)
}

fn suggestion(number: &str) -> Result<u64, String> {
    number.parse().map_err(|_| "say which suggestion: the number in its board line, such as `accept 7`".to_owned())
}

/// `who`, if it is the id of someone among `ids`.
fn find<'a>(who: &str, mut ids: impl Iterator<Item = &'a String>, where_: &str) -> Result<String, String> {
    if who.is_empty() {
        return Err(format!("say who: the id of someone {where_}, as shown beside their name"));
    }
    ids.find(|id| id.as_str() == who)
        .cloned()
        .ok_or_else(|| format!("nobody with id \"{who}\" is {where_} (use the id shown beside the name, not the name)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use room::admission::Person;
    use room_protocol::Connection;

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
    fn people_are_named_by_their_id_where_they_are_never_by_their_name() {
        let people = [person("host", "Host", true), person("p1", "Ana", false), person("p2", "w1", false)];
        let lobby = Lobby {
            waiting: vec![Person { id: "w1".into(), name: "w2".into() }, Person { id: "w2".into(), name: "p1".into() }],
            removed: vec![Person { id: "p0".into(), name: "Cy".into() }],
            ..Lobby::default()
        };
        let parse = |line| parse(line, &people, &lobby);
        assert_eq!(parse("admit w2"), Ok(Action::Admit("w2".into())), "w2, not w1 who calls themselves \"w2\"");
        assert_eq!(parse("  decline w2 "), Ok(Action::Decline("w2".into())));
        assert_eq!(parse("remove p1"), Ok(Action::Remove("p1".into())));
        assert_eq!(parse("mute p1"), Ok(Action::Mute("p1".into(), true)));
        assert_eq!(parse("unmute p2"), Ok(Action::Mute("p2".into(), false)));
        assert_eq!(parse("allow p0"), Ok(Action::AllowBack("p0".into())));
        assert_eq!(parse("lock"), Ok(Action::Lock(true)));
        assert_eq!(parse("new-link"), Ok(Action::NewLink));
        assert_eq!(parse("open"), Ok(Action::AskToJoin(false)));
        let not = |id: &str, where_: &str| {
            Err(format!("nobody with id \"{id}\" is {where_} (use the id shown beside the name, not the name)"))
        };
        assert_eq!(parse("admit Ana"), not("Ana", "waiting"), "names are not ids");
        assert_eq!(parse("remove Ana"), not("Ana", "in the room"));
        assert_eq!(parse("allow Cy"), not("Cy", "removed"));
        assert_eq!(parse("admit p1"), not("p1", "waiting"), "Ana is in the room, whatever w2 calls themselves");
        assert_eq!(parse("remove w1"), not("w1", "in the room"), "w1 waits, whatever p2 calls themselves");
        assert_eq!(parse("remove host"), not("host", "in the room"));
        assert_eq!(parse("remove"), Err("say who: the id of someone in the room, as shown beside their name".into()));
        assert_eq!(parse("dance"), Err(HELP.into()));
        assert_eq!(parse("accept 7"), Ok(Action::Answer(7, true)));
        assert_eq!(parse("reject 7"), Ok(Action::Answer(7, false)));
        assert!(parse("accept Ana").unwrap_err().contains("say which suggestion"));
        assert_eq!(parse("export 'my board.md'"), Ok(Action::Export("my board.md".into())));
        assert!(parse("export").unwrap_err().starts_with("say where"));
        let import = Import {
            file: "jira export.csv".into(),
            replace: true,
            columns: vec![("Waiting for customer".into(), Status::Blocked)],
        };
        assert_eq!(
            parse(r#"import "jira export.csv" replace "Waiting for customer=blocked""#),
            Ok(Action::Import(import))
        );
        assert_eq!(
            parse("import x.csv QA=Later"),
            Err("\"Later\" is not a column; use Backlog, In Progress, Blocked or Done".into())
        );
        assert_eq!(
            parse("import x.csv sideways"),
            Err("\"sideways\" is neither `replace` nor a \"LIST=COLUMN\"".into())
        );
        assert_eq!(parse("import 'x.csv"), Err("a quote is not closed".into()));
    }
}
