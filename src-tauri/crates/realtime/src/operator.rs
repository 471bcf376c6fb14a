//! The voice operator: keeps one call to the Realtime API going while the room is open.
//! It feeds the room mix to the call as Opus (one encoder, moved to each new call's track
//! through a watch), applies the model's tool calls to the board exactly once each and
//! answers every one, tells the model the board as conversation items (a board message when
//! a call starts, then a line per change) so the instructions never change, refreshes the
//! transcription's hints, follows the meeting's language (the one change of instructions
//! during a call), reconnects with backoff after faults, renews the call before the
//! server's 60-minute limit, and reports its state and the transcript, each line and each
//! change with who said the words behind it (from who was heard in the audio sent).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audio::{MixReceiver, VoiceLog};
use board::{actor::now_ms, BoardHandle, Edit, Source};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use meeting::opus::{self, OpusTrack};
use meeting::status::{OperatorStatus, TranscriptLine};

use crate::api::{CallsApi, Endpoint};
use crate::board_items;
use crate::briefing::Briefing;
use crate::call_plan::{CallPlan, Due};
use crate::calls::{CallLedger, Sighting, Verdict};
use crate::cost::Tokens;
use crate::fault::Fault;
use crate::find;
use crate::language::Language;
use crate::peer::{Call, PeerEvent};
use crate::protocol::{self, ClientEvent, OutputItem, ServerEvent};
use crate::session;
use crate::speakers::{SpeakerNames, Speakers};
use crate::tools::{self, ToolAction};
use crate::transcripts::Transcripts;

/// The transcription's hints are refreshed at most this often; the last state is always sent.
pub const HINTS_EVERY: Duration = Duration::from_secs(2);
/// Calls are renewed this long after they start, before the server's 60-minute limit.
pub const RENEW_AFTER: Duration = Duration::from_secs(55 * 60);
/// The room mix is encoded at this rate: plenty for speech recognition.
const BITRATE: i32 = 48_000;
/// How long Leave or quit waits for the hang-up to reach the service; past that the call
/// ends on the service's side when our peer goes away.
const HANG_UP_ON_LEAVE: Duration = Duration::from_secs(1);
/// Leave or quit never waits longer than this for the operator, whatever the network does.
const STOP_LIMIT: Duration = Duration::from_millis(1800);

pub struct OperatorConfig {
    pub endpoint: Endpoint,
    pub model: String,
    pub renew_after: Duration,
    /// The host's choices, followed during a call.
    pub preferences: watch::Receiver<Preferences>,
    /// Who is behind each of the mix's sources, as the room names them.
    pub names: watch::Receiver<SpeakerNames>,
}

impl OperatorConfig {
    pub fn new(endpoint: Endpoint, model: String) -> Self {
        OperatorConfig {
            endpoint,
            model,
            renew_after: RENEW_AFTER,
            preferences: watch::channel(Preferences::default()).1,
            names: watch::channel(SpeakerNames::default()).1,
        }
    }
}

/// What the host chooses for the voice operator, which it follows without hanging up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Preferences {
    /// Every voice edit waits for a person to accept it (deletions always do); read at each
    /// tool call.
    pub ask_first: bool,
    /// What the meeting is held in: the transcription hears it and the model writes cards in it.
    pub language: Language,
}

/// News from the operator, for the window, the host's log or a test.
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorEvent {
    Status(OperatorStatus),
    Transcript(TranscriptLine),
    /// Tokens the service billed: a response's or a transcription's.
    Billed(Tokens),
}

pub type Notify = Arc<dyn Fn(OperatorEvent) + Send + Sync>;

/// A running operator; stop it with [`Operator::stop`] to hang up cleanly.
pub struct Operator {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    pump: JoinHandle<()>,
}

impl Operator {
    /// Starts calling on the current Tokio runtime; `mix` is the room mix to send.
    pub fn start(config: OperatorConfig, board: BoardHandle, mix: MixReceiver, notify: Notify) -> Operator {
        let (out_tx, out_rx) = watch::channel(None);
        let (stop, stopped) = oneshot::channel();
        let sent = Arc::new(Mutex::new(VoiceLog::default()));
        let pump = opus::send(mix, BITRATE, out_rx, "the room mix for the model", Some(Arc::clone(&sent)));
        let language = config.preferences.borrow().language;
        let task = tokio::spawn(async move {
            let mut operator = Running {
                api: CallsApi::new(config.endpoint),
                model: config.model,
                language,
                preferences: config.preferences,
                preferences_open: true,
                plan: CallPlan::new(config.renew_after, HINTS_EVERY),
                changes_board: board.subscribe(),
                board,
                notify,
                audio_out: out_tx,
                ledger: CallLedger::new(),
                transcripts: Transcripts::new(),
                sent,
                speakers: Speakers::new(),
                names: config.names,
                briefing: Briefing::default(),
                setup_hints: String::new(),
            };
            operator.run(stopped).await;
            operator.audio_out.send_replace(None);
            (operator.notify)(OperatorEvent::Status(OperatorStatus::Off));
        });
        Operator { stop: Some(stop), task, pump }
    }

    /// Hangs up and waits for the operator to finish, at most [`STOP_LIMIT`].
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(STOP_LIMIT, &mut self.task).await.is_err() {
            log::warn!("the voice operator did not finish hanging up in time; it was stopped");
            self.task.abort();
        }
        self.pump.abort();
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.task.abort();
        self.pump.abort();
    }
}

/// How a call ended.
enum End {
    /// The person left the room.
    Stopped(Call),
    /// Time for a fresh call (the server's session limit); the old call's events go on
    /// being read until the new call is up.
    Renew(Call, mpsc::Receiver<PeerEvent>, &'static str),
    Lost(Call, String),
}

struct Running {
    api: CallsApi,
    model: String,
    preferences: watch::Receiver<Preferences>,
    /// Whether anyone can still change the preferences (else there is nothing to wait for).
    preferences_open: bool,
    /// The language the current call was set up in or last told.
    language: Language,
    /// When the call is renewed, the model's board refreshed and a fault retried.
    plan: CallPlan,
    board: BoardHandle,
    changes_board: tokio::sync::broadcast::Receiver<Arc<board::Change>>,
    notify: Notify,
    /// The track the room mix is encoded onto: the current call's, if there is one.
    audio_out: watch::Sender<Option<OpusTrack>>,
    ledger: CallLedger,
    transcripts: Transcripts,
    /// Who was heard in each frame sent on the current call (written by the encoder's task).
    sent: Arc<Mutex<VoiceLog>>,
    speakers: Speakers,
    names: watch::Receiver<SpeakerNames>,
    /// What the current call's model has been told of the board.
    briefing: Briefing,
    /// The transcription hints in the last call set-up.
    setup_hints: String,
}

impl Running {
    fn status(&self, status: OperatorStatus) {
        (self.notify)(OperatorEvent::Status(status));
    }

    async fn run(&mut self, mut stopped: oneshot::Receiver<()>) {
        let mut ready: Option<(Call, mpsc::Receiver<PeerEvent>)> = None;
        loop {
            let connected = match ready.take() {
                Some(call) => Ok(call),
                None => {
                    self.status(OperatorStatus::Connecting);
                    tokio::select! {
                        connected = self.connect() => connected,
                        _ = &mut stopped => return,
                    }
                }
            };
            let fault = match connected {
                Ok((call, events)) => {
                    self.plan.connected(now());
                    self.briefing = Briefing::new(self.setup_hints.clone());
                    self.brief(&call).await;
                    self.audio_out.send_replace(Some(call.audio_out()));
                    log::info!("listening on call {}", call.call_id);
                    self.status(OperatorStatus::Listening { call_id: call.call_id.clone() });
                    match self.serve(call, events, &mut stopped).await {
                        End::Stopped(call) => {
                            call.hang_up(&self.api, HANG_UP_ON_LEAVE).await;
                            return;
                        }
                        End::Renew(old, old_events, why) => {
                            log::info!("renewing call {} ({why})", old.call_id);
                            match self.renew(old, old_events, &mut stopped).await {
                                Some(Ok(call)) => {
                                    ready = Some(call);
                                    continue;
                                }
                                Some(Err(fault)) => fault,
                                None => return,
                            }
                        }
                        End::Lost(call, reason) => {
                            log::warn!("call {} lost: {reason}", call.call_id);
                            self.hang_up_in_background(call);
                            Fault::Connection(reason)
                        }
                    }
                }
                Err(fault) => fault,
            };
            self.audio_out.send_replace(None);
            let told = fault.told(&self.api.endpoint().api_key);
            if fault.is_final() {
                log::error!("the voice operator stopped: {told}");
                self.status(OperatorStatus::Stopped { reason: told });
                let _ = stopped.await;
                return;
            }
            let retry = self.plan.failed(now(), rand::random());
            log::warn!("voice operator: {told}; trying again in {:.1} s", retry.delay.as_secs_f64());
            self.status(OperatorStatus::Reconnecting {
                attempt: retry.attempt,
                retry_in_secs: retry.delay.as_secs_f64().ceil() as u32,
                reason: told,
            });
            tokio::select! {
                () = tokio::time::sleep_until(retry.at.into()) => {}
                _ = &mut stopped => return,
            }
        }
    }

    fn hang_up_in_background(&self, call: Call) {
        let api = self.api.clone();
        tokio::spawn(async move { call.hang_up(&api, crate::api::HANGUP_TIMEOUT).await });
    }

    /// Make before break: sets up the next call while the old one keeps carrying the room's
    /// audio and its events (tool calls among them) are still read and answered; then hangs
    /// the old one up. `None` if the person left meanwhile.
    async fn renew(
        &mut self,
        old: Call,
        mut old_events: mpsc::Receiver<PeerEvent>,
        stopped: &mut oneshot::Receiver<()>,
    ) -> Option<Result<(Call, mpsc::Receiver<PeerEvent>), Fault>> {
        let session = match self.session().await {
            Ok(session) => session,
            Err(fault) => {
                self.hang_up_in_background(old);
                return Some(Err(fault));
            }
        };
        let api = self.api.clone();
        let connecting = Call::connect(&api, &session);
        tokio::pin!(connecting);
        let mut old_open = true;
        let renewed = loop {
            tokio::select! {
                renewed = &mut connecting => break renewed,
                _ = &mut *stopped => {
                    old.hang_up(&self.api, HANG_UP_ON_LEAVE).await;
                    return None;
                }
                event = old_events.recv(), if old_open => match event {
                    // A second reason to renew changes nothing: renewing is under way.
                    Some(PeerEvent::Message(text)) => {
                        let _ = self.on_message(&old, &text).await;
                    }
                    Some(PeerEvent::Lost(_)) | None => old_open = false,
                },
            }
        };
        self.hang_up_in_background(old);
        Some(renewed)
    }

    async fn connect(&mut self) -> Result<(Call, mpsc::Receiver<PeerEvent>), Fault> {
        let session = self.session().await?;
        Call::connect(&self.api, &session).await
    }

    /// The session config, with the board's words as the transcription's hints, in the
    /// meeting's language as it is now.
    async fn session(&mut self) -> Result<Value, Fault> {
        let board = self.board.snapshot().await.map_err(|err| Fault::Connection(err.to_string()))?;
        self.setup_hints = board_items::transcription_hints(&board);
        self.language = self.preferences.borrow_and_update().language;
        Ok(session::session(&self.model, &self.setup_hints, self.language))
    }

    /// A new meeting language reaches the call as the whole session with new instructions
    /// (the one change that re-bills the prefix, made only when a person asks for it).
    async fn follow_language(&mut self, call: &Call) {
        let language = self.preferences.borrow_and_update().language;
        if language == self.language {
            return;
        }
        self.language = language;
        log::info!("the meeting is now held in {language}: the model and the transcription are told");
        let update =
            ClientEvent::SessionUpdate { session: session::session(&self.model, self.briefing.hints(), language) };
        self.send(call, &update, "the meeting's language").await;
    }

    /// Sends the model the board as it is now, as a message that replaces earlier ones.
    async fn brief(&mut self, call: &Call) {
        let board = match self.board.snapshot().await {
            Ok(board) => board,
            Err(err) => return log::warn!("the board could not be read for the model: {err}"),
        };
        let snapshot = board_items::snapshot(&board);
        if snapshot.left_out > 0 {
            log::info!(
                "the board message lists {} cards; the model looks up the other {} with find_cards",
                snapshot.listed,
                snapshot.left_out
            );
        }
        self.briefing.snapshot_sent(snapshot.revision);
        self.send(call, &ClientEvent::system_message(snapshot.text), "the board").await;
    }

    /// Tells the model of a change it does not know of yet.
    async fn tell(&mut self, call: &Call, change: &board::Change) {
        if self.briefing.needs_telling(change) {
            let line = board_items::change_line(change);
            self.send(call, &ClientEvent::system_message(line), "a board change").await;
        }
    }

    /// Gives the transcription the board's words, if they changed.
    async fn refresh_hints(&mut self, call: &Call) {
        let board = match self.board.snapshot().await {
            Ok(board) => board,
            Err(err) => return log::warn!("the board could not be read for the transcription hints: {err}"),
        };
        if let Some(hints) = self.briefing.new_hints(board_items::transcription_hints(&board)) {
            let update = ClientEvent::SessionUpdate { session: session::hints_update(&hints, self.language) };
            self.send(call, &update, "the transcription hints").await;
        }
    }

    async fn send(&self, call: &Call, event: &ClientEvent, what: &str) {
        if let Err(err) = call.send(&event.to_json()).await {
            log::warn!("{what} could not be sent to the model: {err}");
        }
    }

    async fn serve(
        &mut self,
        call: Call,
        mut events: mpsc::Receiver<PeerEvent>,
        stopped: &mut oneshot::Receiver<()>,
    ) -> End {
        loop {
            tokio::select! {
                _ = &mut *stopped => return End::Stopped(call),
                event = events.recv() => match event {
                    Some(PeerEvent::Message(text)) => {
                        if let Some(why) = self.on_message(&call, &text).await {
                            return End::Renew(call, events, why);
                        }
                    }
                    Some(PeerEvent::Lost(reason)) => return End::Lost(call, reason),
                    None => return End::Lost(call, "the call ended".into()),
                },
                change = self.changes_board.recv() => match change {
                    Ok(change) => {
                        self.plan.board_changed();
                        self.tell(&call, &change).await;
                    }
                    Err(RecvError::Lagged(missed)) => {
                        log::info!("{missed} board changes came too fast to tell one by one; sending the board");
                        self.plan.board_changed();
                        self.brief(&call).await;
                    }
                    Err(RecvError::Closed) => return End::Stopped(call),
                },
                changed = self.preferences.changed(), if self.preferences_open => match changed {
                    Ok(()) => self.follow_language(&call).await,
                    Err(_) => self.preferences_open = false,
                },
                () = sleep_until(self.plan.poll_timeout()) => match self.plan.poll(now()) {
                    Some(Due::Renew) => return End::Renew(call, events, "the call is near the server's time limit"),
                    Some(Due::Hints) => self.refresh_hints(&call).await,
                    None => {}
                },
            }
        }
    }

    /// Handles one server event; returns why the call must be renewed, if it must.
    async fn on_message(&mut self, call: &Call, text: &str) -> Option<&'static str> {
        let event = match protocol::parse(text) {
            Ok(event) => event,
            Err(err) => {
                log::warn!("ignoring a Realtime message: {err}: {}", board::limits::shorten(text, 200));
                return None;
            }
        };
        match event {
            ServerEvent::Error { error } if error.code.as_deref() == Some("session_expired") => {
                return Some("the server ended the session");
            }
            ServerEvent::Error { error } => {
                log::warn!("the Realtime API reported an error: {}", error.describe())
            }
            ServerEvent::SpeechStarted { item_id, audio_start_ms } => self.speakers.started(&item_id, audio_start_ms),
            ServerEvent::SpeechStopped { item_id, audio_end_ms } => {
                let sent = self.sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let people = self.speakers.stopped(&item_id, audio_end_ms, &sent, &self.names.borrow());
                log::debug!("{item_id} was said by {people:?}");
            }
            ServerEvent::Committed { item_id } => self.transcripts.committed(&item_id),
            ServerEvent::TranscriptionCompleted { item_id, transcript, usage } => {
                if let Some(usage) = usage {
                    (self.notify)(OperatorEvent::Billed(Tokens::of_transcription(&usage)));
                }
                let speakers = self.speakers.of(&item_id);
                self.transcripts.finished(&item_id, &transcript, speakers.clone());
                let line = TranscriptLine { item_id, text: transcript.trim().to_owned(), speakers, at: now_ms() };
                (self.notify)(OperatorEvent::Transcript(line));
            }
            ServerEvent::TranscriptionFailed { item_id, error } => {
                let why = error.map(|e| e.describe()).unwrap_or_default();
                log::warn!("speech item {item_id} could not be transcribed: {why}");
            }
            ServerEvent::OutputItemDone {
                response_id,
                item: OutputItem::FunctionCall { call_id, name, arguments },
            } => {
                let seen = Sighting {
                    call_id: &call_id,
                    name: Some(&name),
                    arguments: &arguments,
                    response_id: response_id.as_deref(),
                    abandoned: false,
                };
                self.consider(call, seen).await;
            }
            ServerEvent::FunctionCallArgumentsDone { response_id, call_id, name, arguments } => {
                let seen = Sighting {
                    call_id: &call_id,
                    name: name.as_deref(),
                    arguments: &arguments,
                    response_id: response_id.as_deref(),
                    abandoned: false,
                };
                self.consider(call, seen).await;
            }
            ServerEvent::ResponseDone { response } => {
                let abandoned = response.was_abandoned();
                if let (true, Some(id)) = (abandoned, &response.id) {
                    self.ledger.response_abandoned(id);
                }
                for item in &response.output {
                    if let OutputItem::FunctionCall { call_id, name, arguments } = item {
                        let seen = Sighting {
                            call_id,
                            name: Some(name),
                            arguments,
                            response_id: response.id.as_deref(),
                            abandoned,
                        };
                        self.consider(call, seen).await;
                    }
                }
                if let Some(usage) = response.usage {
                    (self.notify)(OperatorEvent::Billed(Tokens::of_response(&usage)));
                    if self.briefing.response_read(usage.input_tokens) {
                        log::info!("the server cut the conversation short; sending the board again");
                        self.brief(call).await;
                    }
                }
                if self.briefing.take_follow_up() {
                    self.send(call, &ClientEvent::ResponseCreate, "a request to act on what was found").await;
                }
            }
            _ => {}
        }
        None
    }

    async fn consider(&mut self, call: &Call, seen: Sighting<'_>) {
        if let Verdict::Apply { call_id, name, arguments } = self.ledger.sighting(seen) {
            let output = self.apply(&call_id, &name, &arguments).await;
            self.briefing.answered(&call_id);
            let event = ClientEvent::function_call_output(&call_id, &output);
            if let Err(err) = call.send(&event.to_json()).await {
                log::warn!("the result of call {call_id} could not be sent: {err}");
            }
        }
    }

    /// Applies one tool call and gives its result for the model.
    async fn apply(&mut self, call_id: &str, name: &str, arguments: &str) -> Value {
        let action = match tools::parse_call(name, arguments) {
            Ok(action) => action,
            Err(err) => {
                log::warn!("refused {name} ({call_id}): {err}");
                return tools::refused(&err.to_string());
            }
        };
        match action {
            ToolAction::Nothing { reason } => {
                log::info!("nothing to change ({call_id}): {reason}");
                self.briefing.acted();
                tools::nothing_done()
            }
            ToolAction::Find(query) => {
                self.briefing.looked();
                match self.board.snapshot().await {
                    Ok(board) => find::find(&board, &query),
                    Err(err) => tools::refused(&err.to_string()),
                }
            }
            ToolAction::Edit(edit) => {
                self.briefing.acted();
                let heard = self.transcripts.for_call();
                let source = Source::Voice {
                    call_id: call_id.to_owned(),
                    speakers: heard.as_ref().map(|heard| heard.speakers.clone()).unwrap_or_default(),
                    transcript: heard.map(|heard| heard.text),
                };
                let waits = tools::waits_for_a_person(&edit, self.preferences.borrow().ask_first);
                let edit = if waits { Edit::Suggest { edit: Box::new(edit) } } else { edit };
                match self.board.apply(edit, source).await {
                    Ok(change) if waits => {
                        log::info!("{name} ({call_id}) waits for a person as suggestion {}", change.revision);
                        tools::suggested(&change)
                    }
                    Ok(change) => {
                        log::info!("{name} ({call_id}) applied as revision {}", change.revision);
                        tools::applied(&change)
                    }
                    Err(err) => {
                        log::warn!("refused {name} ({call_id}): {err}");
                        tools::refused(&err.to_string())
                    }
                }
            }
        }
    }
}

/// The plan's clock is Tokio's, so a test that pauses Tokio's time pauses the plan too.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Waits until `at`; never, for `None`.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
