//! The meeting room: opened and ended on request, fed while open with what the audio and the
//! voice operator publish (levels, the host's mute, the operator's status, the transcript)
//! and with whether the host asks newcomers to wait, and published itself for the window and
//! the host's status lines. While a room is open it publishes who is behind each source of
//! the mix by name (the room's roster), for the voice operator to name who spoke.

use audio::engine::LOCAL_SOURCE;
use audio::SYSTEM_AUDIO_SOURCE;
use board::BoardHandle;
use meeting::{OperatorStatus, TranscriptLine};
use realtime::SpeakerNames;
use room::acme::AcmeStatus;
use room::token::InviteToken;
use room::{Access, CertificateInfo, HubHandle, Room, RoomAudio, RoomConfig, RoomError};
use room_protocol::Participant;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch, Mutex};
use tokio::task::JoinHandle;

use crate::room_link::{KeptLink, LinkFile};
use crate::voice::VoiceNews;
use crate::{next_change, Audio, Voice};

/// The open room as others see it.
#[derive(Clone)]
pub struct OpenRoom {
    /// The link to share; it carries the room's secret token.
    pub invite_link: String,
    /// Whether other computers can reach it (otherwise only this one).
    pub lan: bool,
    pub certificate: Option<CertificateInfo>,
    /// Problems that leave the room working for whoever it can reach.
    pub warnings: Vec<String>,
    pub acme: Option<watch::Receiver<AcmeStatus>>,
    pub hub: HubHandle,
}

/// Owns the open room, if any.
pub struct Hosting {
    board: BoardHandle,
    audio: Audio,
    voice: VoiceNews,
    ask_to_join: watch::Receiver<bool>,
    open: Mutex<Option<Running>>,
    published: watch::Sender<Option<OpenRoom>>,
    names: watch::Sender<SpeakerNames>,
    /// The link each room opens with, the same until the host asks for a new one.
    link: LinkFile,
}

struct Running {
    room: Room,
    relay: JoinHandle<()>,
}

impl Hosting {
    /// `ask_to_join` says whether newcomers wait for the host, in the room open then and as it
    /// changes; `names` is where who is behind each source of the mix is published; `link`
    /// keeps the room's link from one room to the next.
    pub fn new(
        board: BoardHandle,
        audio: Audio,
        voice: &Voice,
        ask_to_join: watch::Receiver<bool>,
        names: watch::Sender<SpeakerNames>,
        link: LinkFile,
    ) -> Hosting {
        let published = watch::Sender::new(None);
        names.send_replace(no_room_names());
        let open = Mutex::default();
        Hosting { board, audio, voice: voice.news(), ask_to_join, open, published, names, link }
    }

    /// Opens the room (or returns the one already open) with the link it had before: its
    /// token, and its port unless `config` names one. With `speakers`, this machine plays the
    /// participants while it is open.
    pub async fn start(&self, mut config: RoomConfig, speakers: bool) -> Result<OpenRoom, RoomError> {
        let mut open = self.open.lock().await;
        if let (Some(_), Some(room)) = (open.as_ref(), self.published.borrow().clone()) {
            return Ok(room);
        }
        let mut ask_to_join = self.ask_to_join.clone();
        config.ask_to_join = *ask_to_join.borrow_and_update();
        let lan = config.access != Access::ThisComputer;
        let kept = self.link.load();
        let token = kept.as_ref().map_or_else(InviteToken::generate, |kept| kept.token.clone());
        config.token = Some(token.clone());
        let kept_port = kept.map_or(0, |kept| kept.port);
        let mut warnings = Vec::new();
        let room = match config.port {
            0 if kept_port != 0 => {
                let kept_config = RoomConfig { port: kept_port, ..config.clone() };
                match Room::start(kept_config, self.board.clone(), self.room_audio().await).await {
                    Err(RoomError::Bind { source, .. }) if source.kind() == std::io::ErrorKind::AddrInUse => {
                        warnings.push(format!(
                            "port {kept_port}, which the room's link had, is taken by another program: the room has \
                             a new port, so send the new link"
                        ));
                        Room::start(config, self.board.clone(), self.room_audio().await).await?
                    }
                    started => started?,
                }
            }
            _ => Room::start(config, self.board.clone(), self.room_audio().await).await?,
        };
        let port = room.address().port();
        if let Err(err) = self.link.save(&KeptLink { token, port }) {
            warnings.push(format!("the room's link could not be kept ({err}): the next room gets a new one"));
        }
        warnings.extend(room.warnings().iter().cloned());
        // The host hears the participants (and never themselves) while the room is open.
        self.audio.set_speakers(speakers);
        let opened = OpenRoom {
            invite_link: room.invite_link().to_owned(),
            lan,
            certificate: room.certificate().cloned(),
            warnings,
            acme: room.acme_status(),
            hub: room.hub().clone(),
        };
        let relay = tokio::spawn(relay(
            room.hub().clone(),
            self.audio.levels(),
            self.audio.muted(),
            self.voice.status.clone(),
            self.voice.transcript(),
            ask_to_join,
            (room.hub().roster(), self.names.clone()),
        ));
        *open = Some(Running { room, relay });
        self.published.send_replace(Some(opened.clone()));
        Ok(opened)
    }

    /// Gives the room a new link, for the room open now (the old link lets nobody in from now
    /// on; those in stay) and the next ones. Returns the open room with its new link, if any.
    pub async fn new_link(&self) -> std::io::Result<Option<OpenRoom>> {
        let token = InviteToken::generate();
        let mut open = self.open.lock().await;
        let port = match open.as_ref() {
            Some(running) => running.room.address().port(),
            None => self.link.load().map_or(0, |kept| kept.port),
        };
        self.link.save(&KeptLink { token: token.clone(), port })?;
        let (Some(running), Some(published)) = (open.as_mut(), self.published.borrow().clone()) else {
            return Ok(None);
        };
        let renewed = OpenRoom { invite_link: running.room.new_link(token).to_owned(), ..published };
        self.published.send_replace(Some(renewed.clone()));
        Ok(Some(renewed))
    }

    async fn room_audio(&self) -> RoomAudio {
        RoomAudio { sources: self.audio.sources(), microphone: self.audio.microphone_feed().await }
    }

    /// Ends the room: everyone is told, every connection and peer is closed, the port is freed.
    pub async fn end(&self) {
        let Some(Running { room, relay }) = self.open.lock().await.take() else { return };
        relay.abort();
        self.published.send_replace(None);
        self.names.send_replace(no_room_names());
        room.end().await;
        self.audio.set_speakers(false);
    }

    /// The open room, now and as it changes.
    pub fn room(&self) -> watch::Receiver<Option<OpenRoom>> {
        self.published.subscribe()
    }

    /// The open room's hub, for the host's controls.
    pub fn hub(&self) -> Option<HubHandle> {
        self.published.borrow().as_ref().map(|room| room.hub.clone())
    }
}

/// Feeds the room what the audio and the voice operator publish, and the host's choice of
/// asking newcomers to wait, until the room ends.
async fn relay(
    hub: HubHandle,
    mut levels: watch::Receiver<Option<audio::Levels>>,
    mut muted: watch::Receiver<bool>,
    mut voice: watch::Receiver<OperatorStatus>,
    mut transcript: broadcast::Receiver<TranscriptLine>,
    mut ask_to_join: watch::Receiver<bool>,
    (mut roster, names): (watch::Receiver<Vec<Participant>>, watch::Sender<SpeakerNames>),
) {
    names.send_replace(names_of(&roster.borrow_and_update()));
    hub.host_muted(*muted.borrow_and_update());
    hub.voice(voice.borrow_and_update().clone());
    levels.mark_unchanged();
    loop {
        tokio::select! {
            () = next_change(&mut levels) => {
                if let Some(levels) = levels.borrow_and_update().as_ref() {
                    hub.levels(levels.sources.clone());
                }
            }
            () = next_change(&mut muted) => hub.host_muted(*muted.borrow_and_update()),
            () = next_change(&mut roster) => {
                let named = names_of(&roster.borrow_and_update());
                names.send_if_modified(|current| current.add(named));
            }
            () = next_change(&mut voice) => hub.voice(voice.borrow_and_update().clone()),
            () = next_change(&mut ask_to_join) => {
                let ask = *ask_to_join.borrow_and_update();
                hub.ask_to_join(ask).await;
            }
            line = transcript.recv() => match line {
                Ok(line) => hub.transcript(line),
                Err(RecvError::Lagged(missed)) => log::warn!("the room missed {missed} transcript lines"),
                Err(RecvError::Closed) => std::future::pending().await,
            },
        }
    }
}

/// Who is behind each source of the mix in a room with these people: this machine's
/// microphone is the host's, a participant's voice is theirs, and what this computer plays
/// is "call audio". Names are only ever added
/// while the room is open (ids are never reused in it), so the last words of somebody who
/// just left are still theirs.
fn names_of(roster: &[Participant]) -> SpeakerNames {
    let people = roster.iter().map(|person| {
        let source = if person.host { LOCAL_SOURCE.to_owned() } else { person.id.clone() };
        (source, person.name.clone())
    });
    SpeakerNames::new(people.chain([call_audio()]))
}

fn call_audio() -> (String, String) {
    (SYSTEM_AUDIO_SOURCE.to_owned(), SYSTEM_AUDIO_SOURCE.to_owned())
}

/// Without a room, only this machine's microphone is heard: its person goes by the host's name.
fn no_room_names() -> SpeakerNames {
    SpeakerNames::new([(LOCAL_SOURCE.to_owned(), RoomConfig::default().host_name), call_audio()])
}
