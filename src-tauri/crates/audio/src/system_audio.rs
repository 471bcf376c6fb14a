//! What this computer plays (the call app the team already meets in) as one more source of
//! the room mix, "call audio", for the voice operator only. cpal cannot open the sound
//! server's monitor sources, so this is a client of the sound server itself, through
//! PulseAudio's client library (which PipeWire serves too). It records each application
//! that plays on the default output on its own (a monitor of that one stream), and never
//! Boardroom's own playback, so the room is never heard twice. The streams are summed every
//! 20 ms and handed to the mixer as a [`SourceKind::Captured`](crate::SourceKind) source:
//! neither played again nor sent to the participants.
//!
//! What to record ([`recordable`]) and the summing ([`StreamSum`]) are plain Rust; the
//! rest is a thin shell over the sound server on a thread of its own.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use libpulse_binding as pulse;
use pulse::callbacks::ListResult;
use pulse::context::subscribe::{Facility, InterestMaskSet, Operation};
use pulse::context::{Context, FlagSet as ContextFlags, State as ContextState};
use pulse::def::BufferAttr;
use pulse::mainloop::standard::Mainloop;
use pulse::proplist::{properties, Proplist};
use pulse::sample::{Format, Spec};
use pulse::stream::{FlagSet as StreamFlags, PeekResult, State as StreamState, Stream};
use pulse::time::MicroSeconds;
use serde::Serialize;
use specta::Type;

use crate::engine::{SourceFeed, Sources};
use crate::frame::{Frame, CHANNELS, FRAME_LEN, FRAME_MS, SAMPLE_RATE};

/// The mixer source name of what this computer plays, as transcripts and notes name it.
pub const SYSTEM_AUDIO_SOURCE: &str = "call audio";
/// A stream's audio waits this long before it is first summed, and after running dry: the
/// sound server delivers whole fragments, so one late fragment is no gap.
const PRIME: usize = 2 * FRAME_LEN;
/// The most a stream may have waiting (160 ms); older audio is dropped, so a stall or the
/// sound card's clock running fast against this computer's costs a glitch, not delay.
const MOST_WAITING: usize = 8 * FRAME_LEN;
/// What the sound server is asked to deliver at once: 20 ms of 32-bit float stereo.
const FRAGMENT_BYTES: u32 = (FRAME_LEN * 4) as u32;
/// How long connecting to the sound server may take.
const CONNECT_DEADLINE: Duration = Duration::from_secs(5);
/// The most applications recorded at once; more streams than a meeting's computer plays,
/// and each costs a stream from the sound server and a buffer here.
const MOST_STREAMS: usize = 16;
/// How often a lost or missing sound server is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// Whether Boardroom hears what this computer plays, for the window and the host's lines.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum SystemAudioStatus {
    Off,
    /// Connected to the sound server; `apps` are the applications playing now, by name.
    Listening {
        apps: Vec<String>,
    },
    /// Not listening; `reason` says why. It is tried again every two seconds.
    Unavailable {
        reason: String,
    },
}

/// An application's stream on the sound server, as far as choosing what to record goes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayingStream {
    /// The sink input's index.
    pub index: u32,
    /// The output (sink) it plays on.
    pub sink: u32,
    /// The process that plays it, if the application said.
    pub pid: Option<u32>,
    /// Whether a client application plays it: streams a sound server module plays (a loopback,
    /// a combined output) replay other outputs, so recording them would double what they carry.
    pub from_client: bool,
    /// The application's name, to show.
    pub app: String,
}

/// Whether a stream is part of what this computer plays for the person: on the default output,
/// played by an application, and not by Boardroom (`own_pid`), whose playback is the room.
pub fn recordable(stream: &PlayingStream, default_sink: u32, own_pid: u32) -> bool {
    stream.sink == default_sink && stream.from_client && stream.pid != Some(own_pid)
}

/// The applications' streams summed 20 ms at a time. Each stream waits in a buffer of its
/// own, since the sound server delivers each one on its own schedule.
pub struct StreamSum {
    streams: BTreeMap<u32, Waiting>,
    frame: Box<Frame>,
}

#[derive(Default)]
struct Waiting {
    samples: VecDeque<f32>,
    primed: bool,
}

impl Default for StreamSum {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamSum {
    pub fn new() -> Self {
        StreamSum { streams: BTreeMap::new(), frame: Box::new([0.0; FRAME_LEN]) }
    }

    /// Queues a stream's interleaved 48 kHz stereo samples; past [`MOST_WAITING`] the oldest go.
    pub fn push(&mut self, stream: u32, samples: &[f32]) {
        let waiting = self.streams.entry(stream).or_default();
        waiting.samples.extend(samples);
        let excess = waiting.samples.len().saturating_sub(MOST_WAITING);
        waiting.samples.drain(..excess.next_multiple_of(CHANNELS).min(waiting.samples.len()));
    }

    pub fn remove(&mut self, stream: u32) {
        self.streams.remove(&stream);
    }

    pub fn clear(&mut self) {
        self.streams.clear();
    }

    /// The next 20 ms of every stream that has it, summed; `None` when no stream had any
    /// (nothing plays), so the mixer shows silence without being handed zeros.
    pub fn next_frame(&mut self) -> Option<&Frame> {
        self.frame.fill(0.0);
        let mut any = false;
        for waiting in self.streams.values_mut() {
            waiting.primed |= waiting.samples.len() >= PRIME;
            if !waiting.primed {
                continue;
            }
            if waiting.samples.len() < FRAME_LEN {
                waiting.primed = false; // ran dry: wait for a margin again
                continue;
            }
            for (sum, sample) in self.frame.iter_mut().zip(waiting.samples.drain(..FRAME_LEN)) {
                *sum += sample;
            }
            any = true;
        }
        any.then_some(&*self.frame)
    }
}

/// Listening to what this computer plays, until dropped (which takes "call audio" out of the mix).
pub struct SystemAudio {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    sources: Sources,
}

impl SystemAudio {
    /// Adds "call audio" to the mix and starts listening on a thread of its own; `report` is
    /// called from it with each new status.
    pub fn start(
        sources: Sources,
        mut report: impl FnMut(SystemAudioStatus) + Send + 'static,
    ) -> std::io::Result<SystemAudio> {
        let stop = Arc::new(AtomicBool::new(false));
        let feed = sources.captured_feed(SYSTEM_AUDIO_SOURCE);
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("system audio".into()).spawn(move || {
            listen(feed, &stopped, &mut report);
            report(SystemAudioStatus::Off);
        })?;
        Ok(SystemAudio { stop, thread: Some(thread), sources })
    }
}

impl Drop for SystemAudio {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join(); // it looks at `stop` at least every 20 ms
        }
        self.sources.remove(SYSTEM_AUDIO_SOURCE);
    }
}

/// Connects, listens until the sound server goes or `stop` is set, and tries again.
fn listen(mut feed: SourceFeed, stop: &AtomicBool, report: &mut impl FnMut(SystemAudioStatus)) {
    let mut last: Option<SystemAudioStatus> = None;
    let mut report = |status: SystemAudioStatus| {
        if last.as_ref() != Some(&status) {
            log::info!("call audio: {status:?}");
            last = Some(status.clone());
            report(status);
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let reason = match Session::connect() {
            Ok(mut session) => match session.run(&mut feed, stop, &mut report) {
                Ok(()) => return,
                Err(err) => err,
            },
            Err(err) => err,
        };
        report(SystemAudioStatus::Unavailable { reason });
        let retry_at = Instant::now() + RETRY_EVERY;
        while Instant::now() < retry_at && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(FRAME_MS.into()));
        }
    }
}

/// What the sound server's callbacks tell the session; they only queue it, as they run
/// while the session is busy turning the main loop.
enum Event {
    DefaultSink(Option<String>),
    Sink { index: u32, monitor: u32 },
    Stream(PlayingStream),
    StreamChanged(u32),
    StreamGone(u32),
    ServerChanged,
}

type Events = Rc<RefCell<VecDeque<Event>>>;

struct Recording {
    stream: Stream,
    app: String,
}

/// One connection to the sound server. Fields drop in order: the streams before the
/// context they belong to, the context before its main loop.
struct Session {
    recordings: BTreeMap<u32, Recording>,
    context: Context,
    mainloop: Mainloop,
    events: Events,
    default_sink_name: Option<String>,
    /// The default output's index and that of its monitor.
    default_sink: Option<(u32, u32)>,
    sum: StreamSum,
    own_pid: u32,
    /// The recordings changed since the status was last reported.
    news: bool,
}

impl Session {
    fn connect() -> Result<Session, String> {
        let mut mainloop = Mainloop::new().ok_or("the sound server's main loop could not start")?;
        let mut proplist = Proplist::new().ok_or("out of memory")?;
        let _ = proplist.set_str(properties::APPLICATION_NAME, "Boardroom");
        let _ = proplist.set_str(properties::APPLICATION_ICON_NAME, "boardroom");
        let mut context = Context::new_with_proplist(&mainloop, "Boardroom", &proplist).ok_or("out of memory")?;
        // Never start a sound server of our own: on PipeWire that would be a second one.
        context.connect(None, ContextFlags::NOAUTOSPAWN, None).map_err(no_server)?;
        let deadline = Instant::now() + CONNECT_DEADLINE;
        loop {
            match context.get_state() {
                ContextState::Ready => break,
                ContextState::Failed | ContextState::Terminated => {
                    return Err(no_server(context.errno()));
                }
                _ if Instant::now() > deadline => return Err(no_server("it did not answer within 5 s")),
                _ => turn(&mut mainloop, Duration::from_millis(50))?,
            }
        }
        let events: Events = Rc::default();
        let queue = Rc::clone(&events);
        context.set_subscribe_callback(Some(Box::new(move |facility, operation, index| {
            let event = match (facility, operation) {
                (Some(Facility::SinkInput), Some(Operation::Removed)) => Event::StreamGone(index),
                (Some(Facility::SinkInput), Some(_)) => Event::StreamChanged(index),
                (Some(Facility::Server), _) => Event::ServerChanged,
                _ => return,
            };
            queue.borrow_mut().push_back(event);
        })));
        context.subscribe(InterestMaskSet::SINK_INPUT | InterestMaskSet::SERVER, |_| {});
        let session = Session {
            recordings: BTreeMap::new(),
            context,
            mainloop,
            events,
            default_sink_name: None,
            default_sink: None,
            sum: StreamSum::new(),
            own_pid: std::process::id(),
            news: true,
        };
        session.ask_default_sink();
        Ok(session)
    }

    /// Records and sums until `stop` is set (`Ok`) or the sound server goes (why, as `Err`).
    fn run(
        &mut self,
        feed: &mut SourceFeed,
        stop: &AtomicBool,
        report: &mut impl FnMut(SystemAudioStatus),
    ) -> Result<(), String> {
        let tick = Duration::from_millis(FRAME_MS.into());
        let mut next_tick = Instant::now() + tick;
        let mut samples = Vec::with_capacity(SAMPLE_RATE as usize * CHANNELS);
        while !stop.load(Ordering::Relaxed) {
            turn(&mut self.mainloop, next_tick.saturating_duration_since(Instant::now()))?;
            if matches!(self.context.get_state(), ContextState::Failed | ContextState::Terminated) {
                return Err(format!("the sound server went away ({})", self.context.errno()));
            }
            let events: Vec<Event> = self.events.borrow_mut().drain(..).collect();
            for event in events {
                self.handle(event);
            }
            self.read(&mut samples);
            if std::mem::take(&mut self.news) {
                report(SystemAudioStatus::Listening {
                    apps: self.recordings.values().map(|r| r.app.clone()).collect(),
                });
            }
            let now = Instant::now();
            if now.duration_since(next_tick) > 10 * tick {
                next_tick = now; // this thread was held up: go on from now rather than catch up
            }
            while next_tick <= now {
                if let Some(frame) = self.sum.next_frame() {
                    feed.push(frame);
                }
                next_tick += tick;
            }
        }
        Ok(())
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::ServerChanged => self.ask_default_sink(),
            Event::DefaultSink(name) if name != self.default_sink_name => {
                self.default_sink_name = name.clone();
                self.stop_all();
                self.default_sink = None;
                if let Some(name) = name {
                    let queue = Rc::clone(&self.events);
                    self.context.introspect().get_sink_info_by_name(&name, move |result| {
                        if let ListResult::Item(sink) = result {
                            queue
                                .borrow_mut()
                                .push_back(Event::Sink { index: sink.index, monitor: sink.monitor_source });
                        }
                    });
                }
            }
            Event::DefaultSink(_) => {}
            Event::Sink { index, monitor } => {
                self.stop_all();
                self.default_sink = Some((index, monitor));
                let queue = Rc::clone(&self.events);
                self.context.introspect().get_sink_input_info_list(move |result| {
                    if let ListResult::Item(info) = result {
                        queue.borrow_mut().push_back(Event::Stream(playing(info)));
                    }
                });
            }
            Event::StreamChanged(index) => {
                let queue = Rc::clone(&self.events);
                self.context.introspect().get_sink_input_info(index, move |result| {
                    if let ListResult::Item(info) = result {
                        queue.borrow_mut().push_back(Event::Stream(playing(info)));
                    }
                });
            }
            Event::StreamGone(index) => self.stop_recording(index),
            Event::Stream(stream) => {
                let wanted = self.default_sink.is_some_and(|(sink, _)| recordable(&stream, sink, self.own_pid));
                match (wanted, self.recordings.contains_key(&stream.index)) {
                    (true, false) => self.record(stream),
                    (false, true) => self.stop_recording(stream.index),
                    _ => {}
                }
            }
        }
    }

    fn ask_default_sink(&self) {
        let queue = Rc::clone(&self.events);
        self.context.introspect().get_server_info(move |server| {
            let name = server.default_sink_name.as_deref().map(str::to_owned);
            queue.borrow_mut().push_back(Event::DefaultSink(name));
        });
    }

    /// Starts recording one application's stream alone, through the default output's monitor.
    fn record(&mut self, playing: PlayingStream) {
        let Some((_, monitor)) = self.default_sink else { return };
        if self.recordings.len() >= MOST_STREAMS {
            return log::warn!("call audio: \"{}\" is not heard: {MOST_STREAMS} applications already are", playing.app);
        }
        let spec = Spec { format: Format::F32le, channels: CHANNELS as u8, rate: SAMPLE_RATE };
        let Some(mut stream) =
            Stream::new(&mut self.context, "Listening for the meeting's voice operator", &spec, None)
        else {
            return log::warn!("call audio: no stream for \"{}\"", playing.app);
        };
        let attr = BufferAttr {
            maxlength: u32::MAX,
            tlength: u32::MAX,
            prebuf: u32::MAX,
            minreq: u32::MAX,
            fragsize: FRAGMENT_BYTES,
        };
        let connected = stream.set_monitor_stream(playing.index).and_then(|()| {
            // DONT_MOVE: if the application moves to another output, this recording ends
            // with it (and its change event decides afresh).
            stream.connect_record(
                Some(&monitor.to_string()),
                Some(&attr),
                StreamFlags::DONT_MOVE | StreamFlags::ADJUST_LATENCY,
            )
        });
        match connected {
            Ok(()) => {
                log::info!("call audio: listening to \"{}\"", playing.app);
                self.recordings.insert(playing.index, Recording { stream, app: playing.app });
                self.news = true;
            }
            Err(err) => log::warn!("call audio: \"{}\" cannot be listened to: {err}", playing.app),
        }
    }

    fn stop_recording(&mut self, index: u32) {
        if let Some(recording) = self.recordings.remove(&index) {
            log::info!("call audio: \"{}\" stopped playing", recording.app);
            self.news = true;
        }
        self.sum.remove(index);
    }

    fn stop_all(&mut self) {
        self.news |= !self.recordings.is_empty();
        self.recordings.clear();
        self.sum.clear();
    }

    /// Takes what each recording delivered into the sum; drops recordings that ended.
    fn read(&mut self, samples: &mut Vec<f32>) {
        let mut ended = Vec::new();
        for (&index, recording) in &mut self.recordings {
            match recording.stream.get_state() {
                StreamState::Ready => {}
                StreamState::Failed | StreamState::Terminated => {
                    ended.push(index);
                    continue;
                }
                _ => continue,
            }
            loop {
                match recording.stream.peek() {
                    Ok(PeekResult::Empty) => break,
                    Ok(PeekResult::Hole(_)) => {}
                    Ok(PeekResult::Data(bytes)) => {
                        samples.clear();
                        samples.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
                        self.sum.push(index, samples);
                    }
                    Err(_) => {
                        ended.push(index);
                        break;
                    }
                }
                if recording.stream.discard().is_err() {
                    ended.push(index);
                    break;
                }
            }
        }
        for index in ended {
            self.stop_recording(index);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.recordings.clear();
        self.context.disconnect();
    }
}

fn playing(info: &pulse::context::introspect::SinkInputInfo) -> PlayingStream {
    let app = info
        .proplist
        .get_str(properties::APPLICATION_NAME)
        .or_else(|| info.name.as_deref().map(str::to_owned))
        .unwrap_or_else(|| format!("stream {}", info.index));
    PlayingStream {
        index: info.index,
        sink: info.sink,
        pid: info.proplist.get_str(properties::APPLICATION_PROCESS_ID).and_then(|pid| pid.parse().ok()),
        from_client: info.client.is_some(),
        app,
    }
}

/// Runs the main loop's callbacks that are due, waiting at most `timeout` for one.
fn turn(mainloop: &mut Mainloop, timeout: Duration) -> Result<(), String> {
    let lost = |err: pulse::error::PAErr| format!("the sound server's connection failed ({err})");
    mainloop.prepare(Some(MicroSeconds(timeout.as_micros() as u64))).map_err(lost)?;
    mainloop.poll().map_err(lost)?;
    mainloop.dispatch().map_err(lost)?;
    Ok(())
}

fn no_server(detail: impl std::fmt::Display) -> String {
    format!("no sound server (PulseAudio or PipeWire) could be reached: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(index: u32, sink: u32, pid: Option<u32>, from_client: bool) -> PlayingStream {
        PlayingStream { index, sink, pid, from_client, app: format!("app {index}") }
    }

    #[test]
    fn records_other_applications_on_the_default_output_only() {
        let (default_sink, own_pid) = (3, 4242);
        assert!(recordable(&stream(1, 3, Some(17), true), default_sink, own_pid), "the call app");
        assert!(recordable(&stream(1, 3, None, true), default_sink, own_pid), "an app that gives no pid");
        assert!(!recordable(&stream(2, 3, Some(own_pid), true), default_sink, own_pid), "Boardroom's own playback");
        assert!(!recordable(&stream(3, 5, Some(17), true), default_sink, own_pid), "another output");
        assert!(!recordable(&stream(4, 3, None, false), default_sink, own_pid), "a module's loopback");
    }

    #[test]
    fn streams_are_summed_after_a_margin_and_silence_is_not_invented() {
        let mut sum = StreamSum::new();
        assert!(sum.next_frame().is_none(), "nothing plays");
        sum.push(1, &[0.25; FRAME_LEN]);
        assert!(sum.next_frame().is_none(), "one fragment is not yet a margin");
        sum.push(1, &[0.25; FRAME_LEN]);
        sum.push(2, &[0.5; 2 * FRAME_LEN]);
        assert!(sum.next_frame().unwrap().iter().all(|&s| s == 0.75), "both apps, summed");
        sum.remove(2);
        assert!(sum.next_frame().unwrap().iter().all(|&s| s == 0.25));
        assert!(sum.next_frame().is_none(), "ran dry");
        sum.push(1, &[0.25; FRAME_LEN]);
        assert!(sum.next_frame().is_none(), "after running dry it waits for a margin again");
    }

    #[test]
    fn a_stream_never_waits_beyond_its_bound() {
        let mut sum = StreamSum::new();
        let ramp: Vec<f32> = (0..20 * FRAME_LEN).map(|i| i as f32).collect();
        // Pieces of odd length: what is dropped still keeps stereo pairs whole.
        let (early, late) = ramp.split_at(10 * FRAME_LEN + 1);
        sum.push(1, early);
        sum.push(1, late);
        let frame = sum.next_frame().unwrap();
        let first = frame[0] as usize;
        assert_eq!(first % CHANNELS, 0, "left stays left");
        assert!(ramp.len() - first <= MOST_WAITING + 1, "only the newest audio is kept");
    }
}
