//! A room on loopback with its board and an audio engine, as the test files start one.

use audio::AudioEngine;
use board::{seed, BoardActor, BoardHandle};
use room::{Room, RoomAudio, RoomConfig};

pub struct Rig {
    pub room: Room,
    // Not every test file looks at the board.
    #[allow(dead_code)]
    pub board: BoardHandle,
    _engine: AudioEngine,
}

pub async fn rig() -> Rig {
    rig_with(RoomConfig::default()).await
}

pub async fn rig_with(config: RoomConfig) -> Rig {
    rig_on(seed::board(), config).await
}

/// A room over `board` rather than the seed board.
pub async fn rig_on(board: board::Board, config: RoomConfig) -> Rig {
    let (actor, board) = BoardActor::new(board, None);
    tokio::spawn(actor.run());
    let engine = AudioEngine::start(|_| {}).unwrap();
    let room =
        Room::start(config, board.clone(), RoomAudio { sources: engine.sources(), microphone: None }).await.unwrap();
    Rig { room, board, _engine: engine }
}
