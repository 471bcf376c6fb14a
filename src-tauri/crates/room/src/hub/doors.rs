//! The hub at the room's doors: someone saying hello is let in, waits for the host, or is
//! refused (`crate::admission` decides); the host admits, declines, allows back, locks the
//! room and turns "ask to join" on and off; the host's window sees the lobby change.

use tokio::sync::{mpsc, oneshot};

use super::{Hub, Welcome};
use crate::admission::{Admitted, Refusal, Verdict};
use crate::registry::{JoinError, UnknownParticipant};
use room_protocol::names::{self, NameError};
use room_protocol::ServerMessage;

/// Someone saying hello.
pub struct JoinRequest {
    pub name: String,
    /// The key from an earlier `welcome`, to come back as the same participant.
    pub resume: Option<String>,
    /// The key their browser or app keeps (checked by the connection).
    pub device: String,
}

/// What a connection that said hello gets.
pub enum Entry {
    Welcome(Welcome),
    /// The host lets people in one by one: the decision comes later (the channel closes if
    /// the room ends first). `id` is their place in the queue, to withdraw it.
    Waiting {
        id: String,
        decision: oneshot::Receiver<Result<Welcome, JoinError>>,
    },
}

/// Why the host could not admit or decline someone waiting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmitError {
    #[error("nobody with id \"{0}\" is waiting to join (they may have given up)")]
    NotWaiting(String),
    #[error("the room is full ({0} participants); remove someone or raise the limit first")]
    Full(usize),
    /// Someone with a look-alike name came in while they waited; they were told to pick another.
    #[error("they were turned away and told why: {0}")]
    BadName(NameError),
}

/// What the hub keeps of someone waiting for the host, to answer them.
pub(super) struct Knocker {
    outbox: mpsc::Sender<ServerMessage>,
    decision: oneshot::Sender<Result<Welcome, JoinError>>,
}

impl Hub {
    /// Someone said hello: in, waiting for the host, or refused.
    pub(super) async fn join(
        &mut self,
        request: JoinRequest,
        outbox: mpsc::Sender<ServerMessage>,
    ) -> Result<Entry, JoinError> {
        let name = names::name(&request.name)?;
        let resume = request.resume.as_deref();
        let returning = resume.is_some_and(|key| self.registry.knows(key));
        if !returning {
            // Before the host is asked: nobody waits under a name that passes for another's.
            self.registry.check_newcomer(&name)?;
        }
        match self.admission.verdict(&request.device, resume, returning) {
            Verdict::Refuse(refusal) => {
                log::info!("{name} was not let in: {refusal}");
                Err(refusal.into())
            }
            Verdict::Admit => self.enter(&name, resume, &request.device, outbox).await.map(Entry::Welcome),
            Verdict::Wait => {
                let (decision, decided) = oneshot::channel();
                let id = self.admission.knock(name.clone(), request.device, Knocker { outbox, decision });
                log::info!("{name} asks to join ({id})");
                self.lobby_changed();
                Ok(Entry::Waiting { id, decision: decided })
            }
        }
    }

    /// Someone waiting for the host gave up.
    pub(super) fn withdraw(&mut self, id: &str) {
        if self.admission.take(id).is_ok() {
            log::info!("{id} stopped waiting to join");
            self.lobby_changed();
        }
    }

    /// Lets in someone who waited for the host.
    pub(super) async fn admit(&mut self, id: &str) -> Result<(), AdmitError> {
        if self.registry.is_full() {
            return Err(AdmitError::Full(self.registry.cap()));
        }
        let Admitted { name, device, ticket } =
            self.admission.take(id).map_err(|_| AdmitError::NotWaiting(id.into()))?;
        self.lobby_changed();
        if ticket.decision.is_closed() {
            return Err(AdmitError::NotWaiting(id.into()));
        }
        match self.enter(&name, None, &device, ticket.outbox).await {
            Ok(welcome) => {
                let admitted = welcome.id.clone();
                // They gave up just now: nobody is there to take the place.
                if ticket.decision.send(Ok(welcome)).is_err() {
                    self.leave(&admitted);
                }
                Ok(())
            }
            Err(err) => {
                let _ = ticket.decision.send(Err(err.clone()));
                Err(match err {
                    JoinError::Full(cap) => AdmitError::Full(cap),
                    JoinError::BadName(why) => AdmitError::BadName(why),
                    JoinError::Refused(_) => AdmitError::NotWaiting(id.into()),
                })
            }
        }
    }

    /// The host turns someone waiting away.
    pub(super) fn decline(&mut self, id: String) -> Result<(), AdmitError> {
        let Admitted { name, ticket, .. } = self.admission.take(&id).map_err(|_| AdmitError::NotWaiting(id))?;
        log::info!("the host did not let {name} in");
        let _ = ticket.decision.send(Err(Refusal::Declined.into()));
        self.lobby_changed();
        Ok(())
    }

    /// The host lets someone they removed come back (as a newcomer).
    pub(super) fn allow_back(&mut self, id: &str) -> Result<(), UnknownParticipant> {
        self.admission.allow_back(id)?;
        self.lobby_changed();
        Ok(())
    }

    pub(super) fn lock(&mut self, locked: bool) {
        self.admission.set_locked(locked);
        log::info!("the room is {}", if locked { "locked" } else { "open to newcomers again" });
        self.lobby_changed();
    }

    /// Turns "ask to join" on or off; off lets everyone waiting in, unless the room is locked.
    pub(super) async fn ask_to_join(&mut self, ask: bool) {
        self.admission.set_ask_to_join(ask);
        if !ask && !self.admission.locked() {
            for id in self.admission.waiting_ids() {
                if let Err(err) = self.admit(&id).await {
                    log::warn!("{id} could not be let in: {err}");
                }
            }
        }
        self.lobby_changed();
    }

    /// Shows the host's window the doors as they are now, if that changed.
    pub(super) fn lobby_changed(&self) {
        self.lobby.send_if_modified(|lobby| {
            let now = self.admission.view();
            let changed = *lobby != now;
            *lobby = now;
            changed
        });
    }
}
