//! Room audio, in the order the sound flows: the microphone (`capture`), converted to the
//! room format (`resample`), 20 ms stereo frames (`frame`), per-source automatic gain
//! (`agc`), the microphone's echo cancellation, noise suppression and gain (`processing`,
//! WebRTC's module, on a thread of its own), level meters (`meter`), the mixer that sums every source into one room
//! mix (`mixer`), its hand-out to every consumer with who spoke in each frame (`fanout`, `voices`), the Opus codec (`codec`), the
//! speakers that play everyone but you (`playback`), what this computer's other
//! applications play (`system_audio`, through the sound server), the thread that opens devices
//! (`devices`, keeping their `stream`s), and the audio thread that runs it all (`engine`)
//! on a 20 ms `clock`. Apart from `capture`, `playback`, `stream`, `devices` and `engine`, the
//! thin shells over the devices and the clock, and `processing`'s thread, it is plain Rust
//! without I/O.

pub mod agc;
pub mod capture;
mod clock;
pub mod codec;
mod devices;
pub mod engine;
pub mod fanout;
pub mod frame;
pub mod meter;
pub mod mixer;
pub mod playback;
pub mod processing;
pub mod resample;
pub mod signal;
mod stream;
pub mod system_audio;
pub mod voices;

pub use agc::{Agc, AgcConfig};
pub use capture::{input_names, CaptureError, Microphone};
pub use codec::{CodecError, OpusDecoder, OpusEncoder};
pub use engine::{AudioEngine, EngineEvent, Feed, Levels, MicrophoneStatus, SourceFeed, Sources};
pub use fanout::{Fanout, MixReceiver};
pub use frame::{Frame, FRAME_LEN, FRAME_SAMPLES_PER_CHANNEL, SAMPLE_RATE};
pub use meter::{Level, Meter};
pub use mixer::{LocalProcessing, Mixer, MixerConfig, SourceKind, SourceLevel, UnknownSource};
pub use playback::{PlaybackError, Speakers};
pub use processing::{MicProcessing, ProcessingConfig, ProcessingError, ProcessingThread};
pub use stream::DeviceStream;
pub use system_audio::{SystemAudio, SystemAudioStatus, SYSTEM_AUDIO_SOURCE};
pub use voices::{MixFrame, VoiceLog, Voices};
