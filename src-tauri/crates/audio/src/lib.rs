//! Room audio, in the order the sound flows: 20 ms stereo frames (`frame`), per-source
//! automatic gain (`agc`), level meters (`meter`), the mixer that sums every source into
//! one room mix (`mixer`), its hand-out to every consumer (`fanout`), and the Opus codec
//! (`codec`). All of it is plain Rust without I/O; devices and network tracks are thin
//! shells around it.

pub mod agc;
pub mod codec;
pub mod fanout;
pub mod frame;
pub mod meter;
pub mod mixer;

pub use agc::{Agc, AgcConfig};
pub use codec::{CodecError, OpusDecoder, OpusEncoder};
pub use fanout::{Fanout, MixReceiver};
pub use frame::{Frame, FRAME_LEN, FRAME_SAMPLES_PER_CHANNEL, SAMPLE_RATE};
pub use meter::{Level, Meter};
pub use mixer::{Mixer, MixerConfig, SourceLevel, UnknownSource};
