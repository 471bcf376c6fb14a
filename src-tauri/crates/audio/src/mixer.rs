//! The room mix: every 20 ms, one frame from each source (the local microphone, each
//! remote participant), each brought to a common loudness by its own gain control,
//! summed, and kept in range by a soft clipper — never divided by the number of sources,
//! so three quiet people do not get quieter because a fourth joined.
//!
//! A tick never blocks and never allocates: each source buffers up to a bound (oldest
//! audio dropped and counted) and a source without a full frame ready contributes
//! silence to that tick instead of holding up the others.
//!
//! Each source is kept near its own latency target: the local microphone needs no margin,
//! a remote source keeps its jitter margin. Audio that has stood in a source's buffer beyond
//! that for a whole trim window (a device or network stall that delivered late and then all
//! at once) is stale: it is dropped and counted, so a stall costs one glitch, not lasting delay.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Serialize;
use specta::Type;

use crate::agc::{Agc, AgcConfig};
use crate::frame::{rms_and_peak, Frame, CHANNELS, FRAME_LEN, FRAME_MS, SAMPLE_RATE};
use crate::meter::{Level, Meter};
use crate::voices::Voices;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixerConfig {
    pub agc: AgcConfig,
    /// How much audio one source may have waiting, in milliseconds.
    pub max_buffered_ms: u32,
    /// What counts as speaking on a level meter (RMS, linear).
    pub speaking_rms: f32,
    /// How long "speaking" lasts after the last loud frame, in milliseconds.
    pub speaking_hangover_ms: u32,
    /// Where the soft clipper starts to bend the sum (linear; up to here the sum is untouched).
    pub clip_knee: f32,
    /// How much audio a remote source must have waiting before it is mixed, at the start and
    /// after running dry, in milliseconds: packets arrive unevenly, and without this margin
    /// every late one would be a gap.
    pub remote_prefill_ms: u32,
    /// How long a source's backlog must stand above its target before it is dropped.
    pub trim_window_ms: u32,
}

impl Default for MixerConfig {
    fn default() -> Self {
        MixerConfig {
            agc: AgcConfig::default(),
            max_buffered_ms: 1000,
            speaking_rms: 0.01,
            speaking_hangover_ms: 300,
            clip_knee: 0.8,
            remote_prefill_ms: 60,
            trim_window_ms: 500,
        }
    }
}

/// What cleans up the local microphone before it is mixed (see `processing`): it hears what
/// the speakers play, then the microphone's frame, which it changes in place.
pub trait LocalProcessing {
    fn render(&mut self, played: &Frame);
    fn capture(&mut self, frame: &mut Frame);
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no audio source \"{0}\" in the mix")]
pub struct UnknownSource(pub String);

/// A source's state as the participants panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceLevel {
    pub id: String,
    /// Where the sound comes from: the room shows this machine's microphone as the host's.
    /// Not sent to the window.
    #[serde(skip)]
    pub kind: SourceKind,
    pub level: Level,
    pub muted: bool,
    pub gain_db: f32,
    /// Samples dropped because the source sent more than the buffer holds.
    #[specta(type = u32)]
    pub dropped_samples: u64,
    /// Ticks at which the source had no full frame ready.
    #[specta(type = u32)]
    pub late_frames: u64,
    /// Samples dropped because they had waited past the source's latency target.
    #[specta(type = u32)]
    pub trimmed_samples: u64,
}

/// Where a source's sound comes from, which decides where it goes besides the room mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// This machine's microphone: sent to the participants, never played back here.
    Local,
    /// Anyone or anything else (participants, a file): played on this machine's speakers.
    Remote,
    /// What this computer already plays (the call app), taken from the sound server: heard
    /// by the voice operator only, so it is neither played again nor sent to the participants.
    Captured,
}

struct Source {
    /// Shared with every frame it is heard in (see [`Mixer::voices`]), so naming it costs no allocation.
    id: Arc<str>,
    kind: SourceKind,
    /// Its last frame was loud enough to count as speech, and in the mix (not muted).
    spoke: bool,
    /// Has enough buffered to be mixed (see [`MixerConfig::remote_prefill_ms`]).
    primed: bool,
    buffer: VecDeque<f32>,
    /// Samples the buffer may keep after a tick's frame is taken (its latency target).
    target: usize,
    /// How far above the target a backlog may stand before it is trimmed: a frame for a
    /// remote source (network jitter), a few milliseconds for the local microphone, whose
    /// device delivers on its own steady clock.
    leeway: usize,
    /// The fewest samples left after a tick in this trim window: what has stood all along.
    least_left: usize,
    agc: Agc,
    meter: Meter,
    muted: bool,
    dropped_samples: u64,
    late_frames: u64,
    trimmed_samples: u64,
    /// Trimmed since [`Mixer::take_trims`] last asked.
    trimmed_unreported: u64,
    /// The RMS of its last frame as heard (before gain); 0 for a tick it had none.
    last_rms: f32,
}

pub struct Mixer {
    config: MixerConfig,
    max_buffered: usize,
    prefill: usize,
    trim_window_ticks: u32,
    ticks_in_window: u32,
    sources: Vec<Source>,
    scratch: Box<Frame>,
    mix: Box<Frame>,
    /// The remote sources only: what this machine's speakers play (mix-minus: never your own voice).
    others: Box<Frame>,
    /// The local microphone after its gain control: what the participants hear from this machine.
    local: Box<Frame>,
    mix_meter: Meter,
}

impl Mixer {
    pub fn new(config: MixerConfig) -> Self {
        let max_buffered = (SAMPLE_RATE as usize * CHANNELS * config.max_buffered_ms as usize / 1000).max(FRAME_LEN);
        let prefill = (SAMPLE_RATE as usize * CHANNELS * config.remote_prefill_ms as usize / 1000).max(FRAME_LEN);
        Mixer {
            config,
            max_buffered,
            prefill: prefill.min(max_buffered),
            trim_window_ticks: (config.trim_window_ms / FRAME_MS).max(1),
            ticks_in_window: 0,
            sources: Vec::new(),
            scratch: Box::new([0.0; FRAME_LEN]),
            mix: Box::new([0.0; FRAME_LEN]),
            others: Box::new([0.0; FRAME_LEN]),
            local: Box::new([0.0; FRAME_LEN]),
            mix_meter: Self::meter(&config),
        }
    }

    fn meter(config: &MixerConfig) -> Meter {
        Meter::new(config.speaking_rms, config.speaking_hangover_ms / FRAME_MS)
    }

    /// Adds a remote source (a no-op if it is already there).
    pub fn add_source(&mut self, id: &str) {
        self.add_source_of(id, SourceKind::Remote);
    }

    /// Adds a source of the given kind (a no-op if one with this id is already there).
    pub fn add_source_of(&mut self, id: &str, kind: SourceKind) {
        if self.position(id).is_none() {
            let (target, leeway) = match kind {
                SourceKind::Local => (0, FRAME_LEN / 4),
                SourceKind::Remote | SourceKind::Captured => (self.prefill - FRAME_LEN.min(self.prefill), FRAME_LEN),
            };
            self.sources.push(Source {
                id: Arc::from(id),
                kind,
                spoke: false,
                primed: kind == SourceKind::Local,
                buffer: VecDeque::with_capacity(self.max_buffered),
                target,
                leeway,
                least_left: usize::MAX,
                agc: Agc::new(self.config.agc),
                meter: Self::meter(&self.config),
                muted: false,
                dropped_samples: 0,
                late_frames: 0,
                trimmed_samples: 0,
                trimmed_unreported: 0,
                last_rms: 0.0,
            });
        }
    }

    /// Removes a source and whatever it had buffered; false if there was none.
    pub fn remove_source(&mut self, id: &str) -> bool {
        self.position(id).map(|i| self.sources.remove(i)).is_some()
    }

    pub fn set_muted(&mut self, id: &str, muted: bool) -> Result<(), UnknownSource> {
        self.source_mut(id)?.muted = muted;
        Ok(())
    }

    /// Queues interleaved 48 kHz stereo samples from a source. Past the buffer bound the
    /// oldest samples go first, so the mix stays close to live.
    pub fn push(&mut self, id: &str, samples: &[f32]) -> Result<(), UnknownSource> {
        let max = self.max_buffered;
        let source = self.source_mut(id)?;
        let samples = &samples[samples.len().saturating_sub(max)..];
        let excess = (source.buffer.len() + samples.len()).saturating_sub(max);
        if excess > 0 {
            source.buffer.drain(..excess);
            source.dropped_samples += excess as u64;
        }
        source.buffer.extend(samples);
        Ok(())
    }

    /// Mixes the next 20 ms; [`Mixer::others`] and [`Mixer::local`] then hold this tick's parts.
    pub fn tick(&mut self) -> &Frame {
        self.tick_with(None)
    }

    /// Mixes the next 20 ms, with `processing` cleaning up the local microphone (it then
    /// does the microphone's gain, instead of the mixer's gain control). The remote sources
    /// are mixed first, so the processing learns what the speakers play before it hears
    /// the microphone.
    pub fn tick_with(&mut self, mut processing: Option<&mut dyn LocalProcessing>) -> &Frame {
        self.mix.fill(0.0);
        self.others.fill(0.0);
        self.local.fill(0.0);
        let knee = self.config.clip_knee;
        for pass in [SourceKind::Remote, SourceKind::Local, SourceKind::Captured] {
            if pass == SourceKind::Local {
                self.others.iter_mut().for_each(|sample| *sample = soft_clip(*sample, knee));
                if let Some(processing) = processing.as_deref_mut() {
                    processing.render(&self.others);
                }
            }
            for source in self.sources.iter_mut().filter(|source| source.kind == pass) {
                let processing = match pass {
                    SourceKind::Local => processing.as_deref_mut(),
                    SourceKind::Remote | SourceKind::Captured => None,
                };
                let part = match pass {
                    SourceKind::Local => Some(&mut *self.local),
                    SourceKind::Remote => Some(&mut *self.others),
                    SourceKind::Captured => None,
                };
                source.mix_into(&mut self.scratch, &mut self.mix, part, self.prefill, processing);
                source.spoke = !source.muted && source.last_rms >= self.config.speaking_rms;
            }
        }
        self.ticks_in_window += 1;
        if self.ticks_in_window >= self.trim_window_ticks {
            self.ticks_in_window = 0;
            for source in &mut self.sources {
                source.trim();
            }
        }
        for (mix, local) in self.mix.iter_mut().zip(self.local.iter_mut()) {
            *mix = soft_clip(*mix, knee);
            *local = soft_clip(*local, knee);
        }
        let (rms, peak) = rms_and_peak(&self.mix[..]);
        self.mix_meter.update(rms, peak);
        &self.mix
    }

    /// The last tick's room mix (what [`Mixer::tick`] returned).
    pub fn mix(&self) -> &Frame {
        &self.mix
    }

    /// Who was speaking in the last tick's mix: the sources in it loud enough to count as
    /// speech (allocates only when somebody spoke).
    pub fn voices(&self) -> Voices {
        self.sources.iter().filter(|s| s.spoke).map(|s| Arc::clone(&s.id)).collect()
    }

    /// The last tick's remote sources only: what this machine plays (mix-minus).
    pub fn others(&self) -> &Frame {
        &self.others
    }

    /// The last tick's local microphone, after gain control (silence when muted).
    pub fn local(&self) -> &Frame {
        &self.local
    }

    pub fn mix_level(&self) -> Level {
        self.mix_meter.level()
    }

    /// Each source's latest level, for the UI (allocates; call it at UI rate, not per tick).
    pub fn source_levels(&self) -> Vec<SourceLevel> {
        self.sources
            .iter()
            .map(|s| SourceLevel {
                id: s.id.to_string(),
                kind: s.kind,
                level: s.meter.level(),
                muted: s.muted,
                gain_db: crate::frame::dbfs(s.agc.gain()),
                dropped_samples: s.dropped_samples,
                late_frames: s.late_frames,
                trimmed_samples: s.trimmed_samples,
            })
            .collect()
    }

    /// Calls `report` with each source that has had stale audio trimmed since the last call,
    /// and how many samples.
    pub fn take_trims(&mut self, mut report: impl FnMut(&str, u64)) {
        for source in &mut self.sources {
            if source.trimmed_unreported > 0 {
                report(&source.id, std::mem::take(&mut source.trimmed_unreported));
            }
        }
    }

    /// No sources: nobody is in the room.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Samples a source has waiting.
    pub fn buffered(&self, id: &str) -> Option<usize> {
        self.position(id).map(|i| self.sources[i].buffer.len())
    }

    pub fn max_buffered(&self) -> usize {
        self.max_buffered
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.sources.iter().position(|s| &*s.id == id)
    }

    fn source_mut(&mut self, id: &str) -> Result<&mut Source, UnknownSource> {
        match self.position(id) {
            Some(i) => Ok(&mut self.sources[i]),
            None => Err(UnknownSource(id.to_owned())),
        }
    }
}

impl Source {
    /// Takes this tick's frame (silence if none is ready), meters it, and adds it to the mix
    /// and to its part (`others` or `local`, if it has one) unless muted.
    fn mix_into<P: LocalProcessing + ?Sized>(
        &mut self,
        scratch: &mut Frame,
        mix: &mut Frame,
        part: Option<&mut Frame>,
        prefill: usize,
        processing: Option<&mut P>,
    ) {
        let needed = if self.primed { FRAME_LEN } else { prefill };
        if self.buffer.len() >= needed {
            self.primed = true;
            let (front, back) = self.buffer.as_slices();
            let from_front = front.len().min(FRAME_LEN);
            scratch[..from_front].copy_from_slice(&front[..from_front]);
            scratch[from_front..].copy_from_slice(&back[..FRAME_LEN - from_front]);
            self.buffer.drain(..FRAME_LEN);
            let processed = processing.is_some();
            if let Some(processing) = processing {
                processing.capture(scratch);
            }
            // The meter shows what the microphone hears; the gain only shapes the mix.
            let (rms, peak) = rms_and_peak(&scratch[..]);
            self.meter.update(rms, peak);
            self.last_rms = rms;
            if !self.muted {
                if !processed {
                    self.agc.process(&mut scratch[..], rms);
                }
                mix.iter_mut().zip(scratch.iter()).for_each(|(sum, sample)| *sum += sample);
                if let Some(part) = part {
                    part.iter_mut().zip(scratch.iter()).for_each(|(sum, sample)| *sum += sample);
                }
            }
        } else {
            if self.primed {
                self.late_frames += 1;
            }
            self.primed = self.kind == SourceKind::Local;
            self.meter.update(0.0, 0.0);
            self.last_rms = 0.0;
        }
        if self.primed {
            self.least_left = self.least_left.min(self.buffer.len());
        }
    }

    /// Drops what has stood above the target for the whole window (beyond the source's
    /// leeway, so ordinary delivery jitter is left alone), oldest first, whole stereo pairs.
    fn trim(&mut self) {
        let standing = std::mem::replace(&mut self.least_left, usize::MAX);
        if standing == usize::MAX || standing <= self.target + self.leeway {
            return;
        }
        let excess = (standing - self.target) / CHANNELS * CHANNELS;
        self.buffer.drain(..excess);
        self.trimmed_samples += excess as u64;
        self.trimmed_unreported += excess as u64;
    }
}

/// Leaves samples up to `knee` untouched and bends louder ones smoothly towards ±1, so
/// the sum of several speakers never wraps or clips hard.
pub fn soft_clip(x: f32, knee: f32) -> f32 {
    let magnitude = x.abs();
    if magnitude <= knee {
        return x;
    }
    let room = 1.0 - knee;
    x.signum() * (knee + room * ((magnitude - knee) / room).tanh())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_clip_is_transparent_below_the_knee_and_bounded_above() {
        assert_eq!(soft_clip(0.5, 0.8), 0.5);
        assert_eq!(soft_clip(-0.8, 0.8), -0.8);
        assert!((0.99..=1.0).contains(&soft_clip(5.0, 0.8)));
        assert!(soft_clip(1.0, 0.8) < 1.0, "just past the knee it bends, it does not flatten");
        assert!(soft_clip(-50.0, 0.8) >= -1.0);
        // Monotonic: louder in, louder (or equal) out.
        let mut last = 0.0;
        for i in 0..1000 {
            let y = soft_clip(i as f32 * 0.005, 0.8);
            assert!(y >= last);
            last = y;
        }
    }

    #[test]
    fn unknown_sources_are_reported() {
        let mut mixer = Mixer::new(MixerConfig::default());
        assert_eq!(mixer.push("ghost", &[0.0; 4]), Err(UnknownSource("ghost".into())));
        assert!(mixer.set_muted("ghost", true).is_err());
        assert!(!mixer.remove_source("ghost"));
    }
}
