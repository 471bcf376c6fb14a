//! Who may come in: the lock (nobody new), "ask to join" (newcomers wait until the host
//! admits or declines them) and the people the host removed, who stay out for the room's
//! life unless the host lets them back. Plain Rust; the hub owns the one `Admission`, and
//! attaches to each waiting person whatever it needs to answer them later (`W`).

use serde::Serialize;
use specta::Type;

use crate::registry::UnknownParticipant;

/// People waiting for the host at once; the next one is turned away (and may knock again).
pub const MAX_WAITING: usize = 16;

/// Why someone saying hello is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the host removed you from this meeting")]
    Removed,
    #[error("the host has locked this meeting: nobody new can join")]
    Locked,
    #[error("the host did not let you in")]
    Declined,
    #[error("too many people are waiting for the host; try again in a moment")]
    LobbyFull,
}

/// What happens to someone saying hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admit,
    /// They wait until the host admits or declines them.
    Wait,
    Refuse(Refusal),
}

/// The room's doors as the host sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Lobby {
    /// Nobody new can join (people who dropped may still come back).
    pub locked: bool,
    /// Newcomers wait for the host to admit them.
    pub ask_to_join: bool,
    /// Waiting for the host, oldest first.
    pub waiting: Vec<Person>,
    /// Removed by the host: kept out until the host lets them back.
    pub removed: Vec<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    pub name: String,
}

/// Someone the host let in after they waited.
#[derive(Debug)]
pub struct Admitted<W> {
    pub name: String,
    pub device: String,
    pub ticket: W,
}

struct Waiting<W> {
    person: Person,
    device: String,
    ticket: W,
}

struct Removed {
    person: Person,
    device: String,
    resume: String,
}

pub struct Admission<W> {
    locked: bool,
    ask_to_join: bool,
    waiting: Vec<Waiting<W>>,
    removed: Vec<Removed>,
    next_knock: u64,
}

impl<W> Admission<W> {
    pub fn new(ask_to_join: bool) -> Self {
        Admission { locked: false, ask_to_join, waiting: Vec::new(), removed: Vec::new(), next_knock: 1 }
    }

    /// The verdict on someone saying hello from `device`. `returning`: their resume key
    /// belongs to someone in the room, coming back after a drop, who is never locked out.
    pub fn verdict(&self, device: &str, resume: Option<&str>, returning: bool) -> Verdict {
        let barred = self.removed.iter().any(|r| r.device == device || resume == Some(r.resume.as_str()));
        if barred {
            Verdict::Refuse(Refusal::Removed)
        } else if returning {
            Verdict::Admit
        } else if self.locked {
            Verdict::Refuse(Refusal::Locked)
        } else if !self.ask_to_join {
            Verdict::Admit
        } else if self.waiting.len() >= MAX_WAITING {
            Verdict::Refuse(Refusal::LobbyFull)
        } else {
            Verdict::Wait
        }
    }

    /// Puts someone in the queue for the host (after a [`Verdict::Wait`]); returns their id there.
    pub fn knock(&mut self, name: String, device: String, ticket: W) -> String {
        let id = format!("w{}", self.next_knock);
        self.next_knock += 1;
        self.waiting.push(Waiting { person: Person { id: id.clone(), name }, device, ticket });
        id
    }

    /// Takes someone out of the queue: admitted, declined, or gone.
    pub fn take(&mut self, id: &str) -> Result<Admitted<W>, UnknownParticipant> {
        let index = self.waiting.iter().position(|w| w.person.id == id).ok_or_else(|| UnknownParticipant(id.into()))?;
        let Waiting { person, device, ticket } = self.waiting.remove(index);
        Ok(Admitted { name: person.name, device, ticket })
    }

    /// Who is waiting, oldest first.
    pub fn waiting_ids(&self) -> Vec<String> {
        self.waiting.iter().map(|w| w.person.id.clone()).collect()
    }

    /// Keeps participant `id` (and their browser, and their resume key) out for the room's life.
    pub fn bar(&mut self, id: &str, name: &str, device: &str, resume: &str) {
        let person = Person { id: id.into(), name: name.into() };
        self.removed.push(Removed { person, device: device.into(), resume: resume.into() });
    }

    /// The host lets a removed participant back in (as a newcomer: the lock and "ask to join" apply).
    pub fn allow_back(&mut self, id: &str) -> Result<(), UnknownParticipant> {
        let before = self.removed.len();
        self.removed.retain(|r| r.person.id != id);
        if self.removed.len() == before {
            return Err(UnknownParticipant(id.into()));
        }
        Ok(())
    }

    pub fn set_locked(&mut self, locked: bool) {
        self.locked = locked;
    }

    pub fn set_ask_to_join(&mut self, ask: bool) {
        self.ask_to_join = ask;
    }

    pub fn locked(&self) -> bool {
        self.locked
    }

    pub fn view(&self) -> Lobby {
        Lobby {
            locked: self.locked,
            ask_to_join: self.ask_to_join,
            waiting: self.waiting.iter().map(|w| w.person.clone()).collect(),
            removed: self.removed.iter().map(|r| r.person.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_room_admits_and_a_locked_one_refuses_newcomers_but_not_people_coming_back() {
        let mut doors: Admission<()> = Admission::new(false);
        assert_eq!(doors.verdict("dev-a", None, false), Verdict::Admit);
        doors.set_locked(true);
        assert_eq!(doors.verdict("dev-a", None, false), Verdict::Refuse(Refusal::Locked));
        assert_eq!(doors.verdict("dev-a", Some("key"), true), Verdict::Admit);
        assert!(doors.view().locked);
    }

    #[test]
    fn asking_to_join_queues_newcomers_for_the_host_in_order() {
        let mut doors = Admission::new(true);
        assert_eq!(doors.verdict("dev-a", None, false), Verdict::Wait);
        let ana = doors.knock("Ana".into(), "dev-a".into(), 1);
        let bo = doors.knock("Bo".into(), "dev-b".into(), 2);
        let names: Vec<_> = doors.view().waiting.into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["Ana", "Bo"]);
        let admitted = doors.take(&bo).unwrap();
        assert_eq!((admitted.name.as_str(), admitted.ticket), ("Bo", 2));
        assert_eq!(doors.take(&bo).unwrap_err(), UnknownParticipant(bo));
        assert_eq!(doors.waiting_ids(), std::slice::from_ref(&ana));
        assert_eq!(doors.take(&ana).unwrap().ticket, 1);
        assert!(doors.view().waiting.is_empty());
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut doors = Admission::new(true);
        for n in 0..MAX_WAITING {
            assert_eq!(doors.verdict("d", None, false), Verdict::Wait);
            doors.knock(format!("P{n}"), "d".into(), ());
        }
        assert_eq!(doors.verdict("d", None, false), Verdict::Refuse(Refusal::LobbyFull));
    }

    #[test]
    fn removed_people_stay_out_by_browser_and_by_resume_key_until_let_back() {
        let mut doors: Admission<()> = Admission::new(false);
        doors.bar("p1", "Ana", "dev-a", "key-a");
        assert_eq!(doors.verdict("dev-a", None, false), Verdict::Refuse(Refusal::Removed));
        assert_eq!(doors.verdict("dev-other", Some("key-a"), false), Verdict::Refuse(Refusal::Removed));
        assert_eq!(doors.verdict("dev-b", None, false), Verdict::Admit);
        assert_eq!(doors.view().removed, [Person { id: "p1".into(), name: "Ana".into() }]);
        assert_eq!(doors.allow_back("p9"), Err(UnknownParticipant("p9".into())));
        doors.allow_back("p1").unwrap();
        assert_eq!(doors.verdict("dev-a", None, false), Verdict::Admit);
        assert!(doors.view().removed.is_empty());
    }
}
