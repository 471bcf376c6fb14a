//! The voice operator: runs while it should listen (this person joined, or always for a
//! headless host) and has what it needs (a key, an endpoint, a model); restarts when those
//! change; publishes its status and what it heard.

use std::sync::Arc;
use std::time::Duration;

use board::BoardHandle;
use meeting::{OperatorStatus, TranscriptLine};
use realtime::{Endpoint, Operator, OperatorConfig, OperatorEvent};
use tokio::sync::{broadcast, watch, Mutex};
use tokio::task::JoinHandle;

use crate::{next_change, Audio};

/// How far the operator may fall behind the mix before frames are dropped for it.
const MIX_QUEUE_FRAMES: usize = 50;
const MIX_CONSUMER: &str = "realtime";
/// Transcript lines kept for a slow reader; past that it misses the oldest (and is told).
const TRANSCRIPT_QUEUE: usize = 64;
/// Leave never waits longer than this for the operator to hang up.
const SETTLE_LIMIT: Duration = Duration::from_secs(2);

/// What the operator is to use, as the settings (and the key store) decide it.
#[derive(Debug, Clone, PartialEq)]
pub enum VoiceChoice {
    Ready {
        endpoint: Endpoint,
        model: String,
    },
    /// It cannot run; `reason` tells the person what to do.
    Unavailable {
        reason: String,
    },
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
    /// Starts following `choice` and `listening`; call inside a Tokio runtime.
    pub fn start(
        board: BoardHandle,
        audio: Audio,
        choice: watch::Receiver<VoiceChoice>,
        listening: watch::Receiver<bool>,
    ) -> Voice {
        let (status_tx, status) = watch::channel(OperatorStatus::Off);
        let (transcript, _) = broadcast::channel(TRANSCRIPT_QUEUE);
        let (stop, stopping) = watch::channel(false);
        let run = Run { board, audio, status: status_tx, transcript: transcript.clone() };
        let task = tokio::spawn(run.follow(choice, listening, stopping));
        Voice { status, transcript, stop, task: Mutex::new(Some(task)) }
    }

    pub fn status(&self) -> watch::Receiver<OperatorStatus> {
        self.status.clone()
    }

    pub fn transcript(&self) -> broadcast::Receiver<TranscriptLine> {
        self.transcript.subscribe()
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
    transcript: broadcast::Sender<TranscriptLine>,
}

impl Run {
    async fn follow(
        self,
        mut choice: watch::Receiver<VoiceChoice>,
        mut listening: watch::Receiver<bool>,
        mut stopping: watch::Receiver<bool>,
    ) {
        let mut running: Option<(Operator, VoiceChoice)> = None;
        loop {
            let stop = *stopping.borrow_and_update();
            let listen = *listening.borrow_and_update() && !stop;
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

    /// Starts an operator with `choice`, or says why it cannot run.
    async fn start(&self, choice: &VoiceChoice) -> Option<Operator> {
        let (endpoint, model) = match choice {
            VoiceChoice::Ready { endpoint, model } => (endpoint.clone(), model.clone()),
            VoiceChoice::Unavailable { reason } => {
                self.publish(OperatorStatus::Stopped { reason: reason.clone() });
                return None;
            }
        };
        let Some(mix) = self.audio.room_mix(MIX_CONSUMER, MIX_QUEUE_FRAMES).await else {
            self.publish(OperatorStatus::Stopped { reason: "The audio thread has stopped.".into() });
            return None;
        };
        let (status, transcript) = (self.status.clone(), self.transcript.clone());
        let notify = Arc::new(move |event| match event {
            OperatorEvent::Status(new) => publish(&status, new),
            OperatorEvent::Transcript(line) => {
                log::debug!("heard: {}", line.text);
                // Nobody listening is fine; a lagging reader learns it missed lines.
                let _ = transcript.send(line);
            }
        });
        Some(Operator::start(OperatorConfig::new(endpoint, model), self.board.clone(), mix, notify))
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
