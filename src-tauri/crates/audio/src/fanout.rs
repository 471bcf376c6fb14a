//! Hands each mixed frame to every consumer of the room mix (the Realtime peer, the room).
//! Each consumer has its own bounded queue: one that is slow misses the frames that come
//! while its queue is full, one that has gone away is removed, and neither ever holds up
//! the mixer or the other consumers.

use std::sync::Arc;

use tokio::sync::mpsc::{self, error::TrySendError};

use crate::frame::Frame;
use crate::voices::{MixFrame, Voices};

/// The receiving end a consumer reads mixed frames from.
pub type MixReceiver = mpsc::Receiver<Arc<MixFrame>>;

struct Outlet {
    name: String,
    sender: mpsc::Sender<Arc<MixFrame>>,
    dropped: u64,
}

#[derive(Default)]
pub struct Fanout {
    outlets: Vec<Outlet>,
}

impl Fanout {
    pub fn new() -> Self {
        Fanout::default()
    }

    /// Adds a consumer that may fall up to `queue_frames` frames behind before frames are dropped for it.
    pub fn attach(&mut self, name: &str, queue_frames: usize) -> MixReceiver {
        let (sender, receiver) = mpsc::channel(queue_frames.max(1));
        self.outlets.push(Outlet { name: name.to_owned(), sender, dropped: 0 });
        receiver
    }

    /// Offers `frame` to every consumer without waiting, with who spoke in it (asked only
    /// if anyone consumes); consumers that hung up are removed.
    pub fn send(&mut self, frame: &Frame, voices: impl FnOnce() -> Voices) {
        if self.outlets.is_empty() {
            return;
        }
        let shared = Arc::new(MixFrame { samples: *frame, voices: voices() });
        self.outlets.retain_mut(|outlet| match outlet.sender.try_send(Arc::clone(&shared)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                outlet.dropped += 1;
                true
            }
            Err(TrySendError::Closed(_)) => false,
        });
    }

    /// No consumer is attached (one that hung up counts until the next frame is offered).
    pub fn is_empty(&self) -> bool {
        self.outlets.is_empty()
    }

    /// Each consumer's name and how many frames it has missed by falling behind.
    pub fn dropped(&self) -> Vec<(String, u64)> {
        self.outlets.iter().map(|o| (o.name.clone(), o.dropped)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FRAME_LEN;

    #[test]
    fn a_stalled_consumer_loses_only_its_own_frames() {
        let mut fanout = Fanout::new();
        let mut live = fanout.attach("realtime", 8);
        let _stalled = fanout.attach("room", 4);
        for i in 0..50 {
            fanout.send(&[i as f32; FRAME_LEN], Voices::new);
            assert_eq!(live.try_recv().unwrap()[0], i as f32, "the live consumer gets every frame, in order");
        }
        assert_eq!(fanout.dropped(), [("realtime".to_string(), 0), ("room".to_string(), 46)]);
    }

    #[test]
    fn a_consumer_that_hung_up_is_removed() {
        let mut fanout = Fanout::new();
        let gone = fanout.attach("gone", 4);
        let mut kept = fanout.attach("kept", 4);
        drop(gone);
        fanout.send(&[0.5; FRAME_LEN], Voices::new);
        assert_eq!(fanout.dropped().len(), 1);
        assert_eq!(kept.try_recv().unwrap()[0], 0.5);
    }
}
