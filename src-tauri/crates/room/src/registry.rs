//! Who is in the room: names, ids, mute and connection state, the participant cap, and
//! rejoining after a dropped connection. Plain Rust; the hub owns the one registry.

use crate::admission::Refusal;
use room_protocol::names::{self, NameError};
use room_protocol::{Connection, Participant, HOST_ID};

pub const DEFAULT_CAP: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("the room is full ({0} participants); ask the host to raise the limit")]
    Full(usize),
    #[error(transparent)]
    BadName(#[from] NameError),
    #[error(transparent)]
    Refused(#[from] Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("nobody with id \"{0}\" is in the room")]
pub struct UnknownParticipant(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub id: String,
    pub name: String,
    pub resume: String,
    /// The same person coming back: their old connection must be closed.
    pub rejoined: bool,
}

struct Entry {
    participant: Participant,
    resume: String,
    /// The key their browser or app keeps, by which the host can keep them out.
    device: String,
}

pub struct Registry {
    cap: usize,
    host: Participant,
    guests: Vec<Entry>,
    next_number: u64,
}

impl Registry {
    pub fn new(cap: usize, host_name: &str) -> Self {
        let host = Participant {
            id: HOST_ID.into(),
            name: host_name.into(),
            host: true,
            muted: false,
            muted_by_host: false,
            connection: Connection::Connected,
        };
        Registry { cap, host, guests: Vec::new(), next_number: 1 }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn is_full(&self) -> bool {
        self.guests.len() >= self.cap
    }

    /// Whether `resume` is the key of someone in the room.
    pub fn knows(&self, resume: &str) -> bool {
        self.guests.iter().any(|e| e.resume == resume)
    }

    /// Lets someone in. With the `resume` key of someone present, it is them rejoining; a
    /// key nobody has is ignored. `fresh_resume` is the key a newcomer gets.
    pub fn join(
        &mut self,
        name: &str,
        resume: Option<&str>,
        device: &str,
        fresh_resume: String,
    ) -> Result<Joined, JoinError> {
        if let Some(entry) = resume.and_then(|key| self.guests.iter_mut().find(|e| e.resume == key)) {
            entry.participant.connection = Connection::Joining;
            let p = &entry.participant;
            return Ok(Joined { id: p.id.clone(), name: p.name.clone(), resume: entry.resume.clone(), rejoined: true });
        }
        let name = names::name(name)?;
        self.check_newcomer(&name)?;
        if self.is_full() {
            return Err(JoinError::Full(self.cap));
        }
        let name = self.unique(name);
        let id = format!("p{}", self.next_number);
        self.next_number += 1;
        let participant = Participant {
            id: id.clone(),
            name: name.clone(),
            host: false,
            muted: false,
            muted_by_host: false,
            connection: Connection::Joining,
        };
        self.guests.push(Entry { participant, resume: fresh_resume.clone(), device: device.to_owned() });
        Ok(Joined { id, name, resume: fresh_resume, rejoined: false })
    }

    /// Whether a newcomer may go by `name` (cleaned): not as "Host" or "You", nor as a
    /// look-alike of someone in the room (see `names::newcomer`).
    pub fn check_newcomer(&self, name: &str) -> Result<(), NameError> {
        names::newcomer(name, self.names())
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.host.name.as_str()).chain(self.guests.iter().map(|e| e.participant.name.as_str()))
    }

    /// Two people called Ana become "Ana" and "Ana (2)", so the list and the activity log can
    /// tell them apart; the number skips past anything that looks like a name in the room.
    fn unique(&self, name: String) -> String {
        let taken = |candidate: &str| self.names().any(|present| names::alike(present, candidate));
        if !taken(&name) {
            return name;
        }
        (2..).map(|n| format!("{name} ({n})")).find(|candidate| !taken(candidate)).expect("some suffix is free")
    }

    pub fn leave(&mut self, id: &str) -> Option<Participant> {
        let index = self.guests.iter().position(|e| e.participant.id == id)?;
        Some(self.guests.remove(index).participant)
    }

    /// Participant `id`'s device key and resume key.
    pub fn identity(&self, id: &str) -> Option<(&str, &str)> {
        self.guests.iter().find(|e| e.participant.id == id).map(|e| (e.device.as_str(), e.resume.as_str()))
    }

    pub fn get(&self, id: &str) -> Option<&Participant> {
        self.guests.iter().map(|e| &e.participant).find(|p| p.id == id)
    }

    fn guest_mut(&mut self, id: &str) -> Result<&mut Participant, UnknownParticipant> {
        self.guests
            .iter_mut()
            .map(|e| &mut e.participant)
            .find(|p| p.id == id)
            .ok_or_else(|| UnknownParticipant(id.to_owned()))
    }

    pub fn set_connection(&mut self, id: &str, connection: Connection) -> Result<(), UnknownParticipant> {
        self.guest_mut(id)?.connection = connection;
        Ok(())
    }

    pub fn set_muted(&mut self, id: &str, muted: bool) -> Result<(), UnknownParticipant> {
        self.guest_mut(id)?.muted = muted;
        Ok(())
    }

    pub fn set_muted_by_host(&mut self, id: &str, muted: bool) -> Result<(), UnknownParticipant> {
        self.guest_mut(id)?.muted_by_host = muted;
        Ok(())
    }

    pub fn set_host_muted(&mut self, muted: bool) {
        self.host.muted = muted;
    }

    /// Everyone, the host first, then in the order they joined.
    pub fn list(&self) -> Vec<Participant> {
        std::iter::once(self.host.clone()).chain(self.guests.iter().map(|e| e.participant.clone())).collect()
    }

    pub fn guest_ids(&self) -> Vec<String> {
        self.guests.iter().map(|e| e.participant.id.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(cap: usize) -> Registry {
        Registry::new(cap, "Host")
    }

    #[test]
    fn people_join_with_unique_names_up_to_the_cap() {
        let mut room = registry(2);
        let ana = room.join(" Ana ", None, "dev", "k1".into()).unwrap();
        assert_eq!((ana.id.as_str(), ana.name.as_str(), ana.rejoined), ("p1", "Ana", false));
        let second = room.join("Ana", None, "dev", "k2".into()).unwrap();
        assert_eq!(second.name, "Ana (2)");
        assert_eq!(room.join("Bo", None, "dev", "k3".into()), Err(JoinError::Full(2)));
        assert!(matches!(room.join("", None, "dev", "k4".into()), Err(JoinError::BadName(_))));
        let names: Vec<_> = room.list().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["Host", "Ana", "Ana (2)"]);
    }

    #[test]
    fn nobody_new_passes_for_the_host_or_someone_present() {
        let mut room = Registry::new(8, "Maria");
        room.join("Ana", None, "dev", "k1".into()).unwrap();
        let refused = |room: &mut Registry, name: &str| match room.join(name, None, "dev", "k".into()) {
            Err(JoinError::BadName(err)) => err,
            other => panic!("{name:?} was let in: {other:?}"),
        };
        assert_eq!(refused(&mut room, "Host"), NameError::Reserved("Host"));
        assert_eq!(refused(&mut room, "You"), NameError::Reserved("You"));
        assert_eq!(refused(&mut room, "MARIA"), NameError::LooksLike("Maria".into()));
        assert_eq!(refused(&mut room, "ana"), NameError::LooksLike("Ana".into()));
        assert_eq!(refused(&mut room, "Ana\u{200B}"), NameError::Invisible('\u{200B}'));
        assert_eq!(room.list().len(), 2, "nobody refused is in the list");
        // A namesake is numbered, past whatever looks like the number taken.
        room.join("Ana 2", None, "dev", "k2".into()).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(room.join("Ana", None, "dev", "k3".into()).unwrap().name, "Ana (3)");
    }

    #[test]
    fn a_resume_key_rejoins_as_the_same_person_even_when_full() {
        let mut room = registry(1);
        let ana = room.join("Ana", None, "dev", "secret".into()).unwrap();
        room.set_connection(&ana.id, Connection::Reconnecting).unwrap();
        let again = room.join("whatever", Some("secret"), "dev", "unused".into()).unwrap();
        assert_eq!((again.id, again.name, again.rejoined), (ana.id.clone(), "Ana".into(), true));
        assert_eq!(room.get(&ana.id).unwrap().connection, Connection::Joining);
        assert_eq!(room.join("Bo", Some("wrong"), "dev", "k".into()), Err(JoinError::Full(1)));
    }

    #[test]
    fn ids_are_never_reused_and_unknown_ids_are_errors() {
        let mut room = registry(4);
        let ana = room.join("Ana", None, "dev", "k1".into()).unwrap();
        assert_eq!(room.leave(&ana.id).unwrap().name, "Ana");
        assert_eq!(room.join("Bo", None, "dev", "k2".into()).unwrap().id, "p2");
        assert_eq!(room.set_muted("p1", true), Err(UnknownParticipant("p1".into())));
        room.set_muted_by_host("p2", true).unwrap();
        assert!(room.get("p2").unwrap().muted_by_host);
        assert!(room.leave("p1").is_none());
    }
}
