//! The voice operator: runs while it should listen (this person joined, or always for a
//! headless host) and has what it needs (a key, an endpoint, a model); restarts when those
//! change; publishes its status, what it heard and what the meeting has cost.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use board::BoardHandle;
use meeting::{OperatorStatus, TranscriptLine};
use realtime::cost::{MeetingCost, Prices};
use realtime::{Endpoint, Operator, OperatorConfig, OperatorEvent, Preferences, SpeakerNames};
use tokio::sync::{broadcast, watch, Mutex};
use tokio::task::JoinHandle;

use crate::meetings::{self, MeetingRecord};
use crate::{next_change, Audio};

/// How far the operator may fall behind the mix before frames are dropped for it.
const MIX_QUEUE_FRAMES: usize = 50;
const MIX_CONSUMER: &str = "realtime";
/// Transcript lines kept for a slow reader; past that it misses the oldest (and is told). The meeting
/// notes need every line, so this covers minutes of talk on a busy machine, not seconds.
const TRANSCRIPT_QUEUE: usize = 256;
/// Leave never waits longer than this for the operator to hang up.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// What the operator is to use, as the settings (and the key store) decide it.
#[derive(Debug, Clone, PartialEq)]
pub enum VoiceChoice {
    Ready {
        endpoint: Endpoint,
        model: String,
        /// What the model's tokens cost: the person's own prices, else its list prices;
        /// `None` for a model whose prices nobody knows.
        prices: Option<Prices>,
    },
    /// It cannot run; `reason` tells the person what to do.
    Unavailable { reason: String },
}

/// When the operator listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listening {
    /// While this person is in the meeting (the window).
    WhileJoined,
    /// All the time (the headless host, which listens to the room).
    Always,
}

/// The operator's owner; its status and transcript are published.
pub struct Voice {
    status: watch::Receiver<OperatorStatus>,
    meeting: watch::Receiver<Option<i64>>,
    cost: watch::Receiver<MeetingCost>,
    transcript: broadcast::Sender<TranscriptLine>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// What the voice publishes, for whoever relays it (the room).
#[derive(Clone)]
pub struct VoiceNews {
    pub status: watch::Receiver<OperatorStatus>,
    transcript: broadcast::Sender<TranscriptLine>,
}

impl VoiceNews {
    pub fn transcript(&self) -> broadcast::Receiver<TranscriptLine> {
        self.transcript.subscribe()
    }
}

impl Voice {
    /// Starts following `choice` and `listening`, with the host's `preferences` and the room's
    /// names of who is behind each source; call inside a Tokio runtime. Each meeting's record
    /// is added to `record` when it ends.
    pub fn start(
        board: BoardHandle,
        audio: Audio,
        choice: watch::Receiver<VoiceChoice>,
        listening: watch::Receiver<bool>,
        (preferences, names): (watch::Receiver<Preferences>, watch::Receiver<SpeakerNames>),
        record: PathBuf,
    ) -> Voice {
        let (status_tx, status) = watch::channel(OperatorStatus::Off);
        let (cost_tx, cost) = watch::channel(MeetingCost::default());
        let (meeting_tx, meeting) = watch::channel(None);
        let (transcript, _) = broadcast::channel(TRANSCRIPT_QUEUE);
        let (stop, stopping) = watch::channel(false);
        let transcript_tx = transcript.clone();
        let run = Run {
            board,
            audio,
            status: status_tx,
            cost: cost_tx,
            meeting: meeting_tx,
            transcript: transcript_tx,
            preferences,
            names,
            record,
        };
        let task = tokio::spawn(run.follow(choice, listening, stopping));
        Voice { status, meeting, cost, transcript, stop, task: Mutex::new(Some(task)) }
    }

    pub fn status(&self) -> watch::Receiver<OperatorStatus> {
        self.status.clone()
    }

    pub fn transcript(&self) -> broadcast::Receiver<TranscriptLine> {
        self.transcript.subscribe()
    }

    /// When the meeting under way began (Unix ms); `None` between meetings. A meeting is the
    /// time the voice listens: this person joined (the window), or the host's whole run.
    pub fn meeting(&self) -> watch::Receiver<Option<i64>> {
        self.meeting.clone()
    }

    /// What this meeting's voice operator has cost so far; it starts again at zero when
    /// this person joins a meeting again.
    pub fn cost(&self) -> watch::Receiver<MeetingCost> {
        self.cost.clone()
    }

    pub fn news(&self) -> VoiceNews {
        VoiceNews { status: self.status.clone(), transcript: self.transcript.clone() }
    }

    /// Waits (at most 2 s) until the operator is off, after this person left.
    pub async fn settled(&self) {
        let mut status = self.status.clone();
        let _ = tokio::time::timeout(SETTLE_LIMIT, status.wait_for(|s| *s == OperatorStatus::Off)).await;
    }

    /// Hangs up for good (quitting); returns within 2 s whatever the network does.
    pub async fn stop(&self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.lock().await.take() {
            if let Err(err) = task.await {
                log::warn!("the voice operator's task failed: {err}");
            }
        }
    }
}

struct Run {
    board: BoardHandle,
    audio: Audio,
    status: watch::Sender<OperatorStatus>,
    cost: watch::Sender<MeetingCost>,
    meeting: watch::Sender<Option<i64>>,
    transcript: broadcast::Sender<TranscriptLine>,
    /// The host's choices the operator follows during a call.
    preferences: watch::Receiver<Preferences>,
    /// Who is behind each source of the mix.
    names: watch::Receiver<SpeakerNames>,
    record: PathBuf,
}

/// The meeting under way: when it began and the model last used.
struct Meeting {
    started_at: i64,
    model: Option<String>,
}

impl Run {
    async fn follow(
        self,
        mut choice: watch::Receiver<VoiceChoice>,
        mut listening: watch::Receiver<bool>,
        mut stopping: watch::Receiver<bool>,
    ) {
        let mut running: Option<(Operator, VoiceChoice)> = None;
        let mut meeting: Option<Meeting> = None;
        // Suggestions left from a meeting that ended without this (a crash) are answered by nobody now.
        self.expire_suggestions().await;
        loop {
            let stop = *stopping.borrow_and_update();
            let listen = *listening.borrow_and_update() && !stop;
            if listen && meeting.is_none() {
                // A new meeting: its meter starts at zero (the last one's stays shown until then);
                // a meter already at zero is not news to its readers.
                self.cost.send_if_modified(|cost| std::mem::take(cost) != MeetingCost::default());
                let started_at = board::actor::now_ms();
                meeting = Some(Meeting { started_at, model: None });
                self.meeting.send_replace(Some(started_at));
            }
            let chosen = choice.borrow_and_update().clone();
            let unchanged = running.as_ref().is_some_and(|(_, was)| listen && *was == chosen);
            if !unchanged {
                if let Some((operator, _)) = running.take() {
                    operator.stop().await;
                }
                running = match listen {
                    true => self.start(&chosen).await.map(|operator| (operator, chosen)),
                    false => {
                        self.publish(OperatorStatus::Off);
                        None
                    }
                };
            }
            if let (Some(meeting), Some((_, VoiceChoice::Ready { model, .. }))) = (&mut meeting, &running) {
                meeting.model = Some(model.clone());
            }
            if !listen {
                if let Some(ended) = meeting.take() {
                    self.expire_suggestions().await;
                    self.keep_record(ended).await;
                    self.meeting.send_replace(None);
                }
            }
            if stop {
                return;
            }
            tokio::select! {
                () = next_change(&mut choice) => {}
                () = next_change(&mut listening) => {}
                // The stop flag's owner is gone: stop as if told to.
                changed = stopping.changed() => if changed.is_err() { stopping = watch::channel(true).1 },
            }
        }
    }

    /// Lets the voice operator's unanswered suggestions expire: the meeting that made them is over.
    async fn expire_suggestions(&self) {
        match self.board.expire_suggestions().await {
            Ok(0) => {}
            Ok(expired) => log::info!("{expired} suggestions nobody answered expired with the meeting"),
            Err(err) => log::warn!("the unanswered suggestions could not expire: {err}"),
        }
    }

    /// Adds the meeting that ended to the record, if its voice operator was billed anything.
    async fn keep_record(&self, meeting: Meeting) {
        let cost = self.cost.borrow().clone();
        if cost.tokens.input() == 0 {
            return;
        }
        let record = MeetingRecord {
            started_at: meeting.started_at,
            ended_at: board::actor::now_ms(),
            model: meeting.model,
            cost,
        };
        let path = self.record.clone();
        let kept = tokio::task::spawn_blocking(move || meetings::append(&path, &record)).await;
        match kept {
            Ok(Ok(())) => log::info!("the meeting's cost is kept in {}", self.record.display()),
            Ok(Err(err)) => log::warn!("the meeting's record could not be kept in {}: {err}", self.record.display()),
            Err(err) => log::warn!("the meeting's record could not be kept: {err}"),
        }
    }

    /// Starts an operator with `choice`, or says why it cannot run.
    async fn start(&self, choice: &VoiceChoice) -> Option<Operator> {
        let (endpoint, model, prices) = match choice {
            VoiceChoice::Ready { endpoint, model, prices } => (endpoint.clone(), model.clone(), *prices),
            VoiceChoice::Unavailable { reason } => {
                self.publish(OperatorStatus::Stopped { reason: reason.clone() });
                return None;
            }
        };
        let Some(mix) = self.audio.room_mix(MIX_CONSUMER, MIX_QUEUE_FRAMES).await else {
            self.publish(OperatorStatus::Stopped { reason: "The audio thread has stopped.".into() });
            return None;
        };
        let (status, transcript, cost) = (self.status.clone(), self.transcript.clone(), self.cost.clone());
        let notify = Arc::new(move |event| match event {
            OperatorEvent::Status(new) => publish(&status, new),
            OperatorEvent::Transcript(line) => {
                log::debug!("heard: {}", line.text);
                // Nobody listening is fine; a lagging reader learns it missed lines.
                let _ = transcript.send(line);
            }
            OperatorEvent::Billed(tokens) => cost.send_modify(|meeting| meeting.add(&tokens, prices.as_ref())),
        });
        let config = OperatorConfig {
            preferences: self.preferences.clone(),
            names: self.names.clone(),
            ..OperatorConfig::new(endpoint, model)
        };
        Some(Operator::start(config, self.board.clone(), mix, notify))
    }

    fn publish(&self, new: OperatorStatus) {
        publish(&self.status, new);
    }
}

/// Publishes a new status; the same one again wakes nobody.
fn publish(status: &watch::Sender<OperatorStatus>, new: OperatorStatus) {
    status.send_if_modified(|current| {
        if *current == new {
            return false;
        }
        log::info!("voice operator: {new:?}");
        *current = new;
        true
    });
}
