//! For the benchmarks: a board of standup cards, and the real voice operator on a board of
//! its own (saved to a temporary folder), listening on a call to the fake Realtime service.

use std::sync::Arc;
use std::time::Duration;

use audio::Fanout;
use board::{Board, BoardActor, BoardFile, BoardHandle, Card, Status};
use fake_realtime::{FakeCall, FakeRealtime};
use meeting::OperatorStatus;
use realtime::{Endpoint, Operator, OperatorConfig, OperatorEvent};

/// `count` cards as a standup makes them, spread over the columns.
pub fn board_of(count: usize) -> Board {
    let cards = (0..count)
        .map(|i| Card {
            id: format!("card-{i:03}"),
            status: Status::ALL[i % 4],
            title: format!("Follow up on item {i} from the standup"),
            notes: "Owner and context as said in the meeting; the blocker, if any, and what it waits on.".into(),
            tags: vec!["webrtc".into(), format!("topic-{}", i % 7)],
        })
        .collect();
    Board::with_cards(cards)
}

pub struct OnCall {
    pub operator: Operator,
    pub board: BoardHandle,
    pub call: FakeCall,
    /// Kept so the operator's room mix stays open; nothing is sent on it.
    _mix: Fanout,
    _dir: tempfile::TempDir,
}

/// Starts the operator on `board` with `key` and waits until it listens on a call.
pub async fn on_call(fake: &FakeRealtime, key: &str, board: Board) -> OnCall {
    let dir = tempfile::tempdir().unwrap();
    let (actor, board) = BoardActor::new(board, Some(BoardFile::in_dir(dir.path())));
    tokio::spawn(actor.run());
    let mut fanout = Fanout::new();
    let mix = fanout.attach("realtime", 50);
    let (ready_tx, mut ready) = tokio::sync::mpsc::unbounded_channel();
    let notify = Arc::new(move |event| {
        if let OperatorEvent::Status(OperatorStatus::Listening { .. }) = event {
            let _ = ready_tx.send(());
        }
    });
    let config =
        OperatorConfig::new(Endpoint { base_url: fake.base_url.clone(), api_key: key.into() }, "gpt-realtime-2".into());
    let operator = Operator::start(config, board.clone(), mix, notify);
    ready.recv().await;
    let call = fake.next_call(Duration::from_secs(20)).await;
    OnCall { operator, board, call, _mix: fanout, _dir: dir }
}
