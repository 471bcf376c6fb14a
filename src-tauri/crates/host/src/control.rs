//! The host's controls on standard input, one command a line: let people in or not, lock
//! the room, mute or remove someone. People are named by their name or their id (`p1`,
//! `w1`), as the status lines show them. Plain Rust: a line and the room as it is now in,
//! what to do out.

use room::protocol::Participant;
use room::Lobby;

pub const HELP: &str = "commands: admit WHO, decline WHO, remove WHO, allow WHO (back in after a removal), \
mute WHO, unmute WHO, lock, unlock, ask (newcomers wait for you), open (they come straight in)";

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
}

/// Reads one line; `Err` says what is wrong with it (or lists the commands).
pub fn parse(line: &str, people: &[Participant], lobby: &Lobby) -> Result<Action, String> {
    let line = line.trim();
    let (command, who) = line.split_once(char::is_whitespace).map_or((line, ""), |(c, w)| (c, w.trim()));
    let in_room = || find(who, people.iter().filter(|p| !p.host).map(|p| (&p.id, &p.name)), "in the room");
    match command {
        "admit" => find(who, lobby.waiting.iter().map(|p| (&p.id, &p.name)), "waiting").map(Action::Admit),
        "decline" => find(who, lobby.waiting.iter().map(|p| (&p.id, &p.name)), "waiting").map(Action::Decline),
        "allow" => find(who, lobby.removed.iter().map(|p| (&p.id, &p.name)), "removed").map(Action::AllowBack),
        "remove" => in_room().map(Action::Remove),
        "mute" => in_room().map(|id| Action::Mute(id, true)),
        "unmute" => in_room().map(|id| Action::Mute(id, false)),
        "lock" => Ok(Action::Lock(true)),
        "unlock" => Ok(Action::Lock(false)),
        "ask" => Ok(Action::AskToJoin(true)),
        "open" => Ok(Action::AskToJoin(false)),
        _ => Err(HELP.to_owned()),
    }
}

/// The id of whoever `who` names (an id, or a name as shown) among `people`.
fn find<'a>(
    who: &str,
    mut people: impl Iterator<Item = (&'a String, &'a String)>,
    where_: &str,
) -> Result<String, String> {
    if who.is_empty() {
        return Err(format!("say who: a name or an id of someone {where_}"));
    }
    people
        .find(|(id, name)| id.as_str() == who || name.as_str() == who)
        .map(|(id, _)| id.clone())
        .ok_or_else(|| format!("nobody called \"{who}\" is {where_}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use room::admission::Person;
    use room::protocol::Connection;

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
    fn people_are_named_by_name_or_id_where_they_are() {
        let people = [person("host", "Host", true), person("p1", "Ana", false)];
        let lobby = Lobby {
            waiting: vec![Person { id: "w1".into(), name: "Bo Li".into() }],
            removed: vec![Person { id: "p0".into(), name: "Cy".into() }],
            ..Lobby::default()
        };
        let parse = |line| parse(line, &people, &lobby);
        assert_eq!(parse("admit Bo Li"), Ok(Action::Admit("w1".into())));
        assert_eq!(parse("  decline w1 "), Ok(Action::Decline("w1".into())));
        assert_eq!(parse("remove Ana"), Ok(Action::Remove("p1".into())));
        assert_eq!(parse("mute p1"), Ok(Action::Mute("p1".into(), true)));
        assert_eq!(parse("unmute Ana"), Ok(Action::Mute("p1".into(), false)));
        assert_eq!(parse("allow Cy"), Ok(Action::AllowBack("p0".into())));
        assert_eq!(parse("lock"), Ok(Action::Lock(true)));
        assert_eq!(parse("open"), Ok(Action::AskToJoin(false)));
        assert_eq!(parse("admit Ana"), Err("nobody called \"Ana\" is waiting".into()));
        assert_eq!(parse("remove Host"), Err("nobody called \"Host\" is in the room".into()));
        assert_eq!(parse("remove"), Err("say who: a name or an id of someone in the room".into()));
        assert_eq!(parse("dance"), Err(HELP.into()));
    }
}
