//! Board operations on a board of 1,000 cards, and the size and serialisation time of the
//! change event the window and (later) every participant receive.
//! Run: `cargo bench -p boardroom-board --bench board_ops`.

use board::{limits, seed, Board, BoardFile, Edit, Source, Status};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const CARDS: usize = 1_000;

/// 1,000 cards spread over the columns, with tags and notes of a realistic size.
fn big_board() -> Board {
    let mut board = seed::board();
    while board.card_count() < CARDS {
        let n = board.card_count();
        let edit = Edit::Create {
            status: Status::ALL[n % 4],
            title: format!("Ticket {n}: follow up on the retransmission buffer sizing"),
            notes: "Discussed in standup; needs a second look at the jitter buffer interaction.".into(),
            tags: vec!["webrtc".into(), format!("area-{}", n % 7)],
            position: None,
        };
        board.apply(edit, Source::Hand, 0).unwrap();
    }
    board
}

fn middle_card(board: &Board) -> String {
    board.column(Status::InProgress)[board.column(Status::InProgress).len() / 2].id.clone()
}

fn operations(c: &mut Criterion) {
    let board = big_board();
    let id = middle_card(&board);
    let mut group = c.benchmark_group("board_1000_cards");
    let cases: Vec<(&str, Edit)> = vec![
        (
            "create",
            Edit::Create {
                status: Status::Backlog,
                title: "New card".into(),
                notes: String::new(),
                tags: vec!["x".into()],
                position: Some(3),
            },
        ),
        ("move", Edit::Move { card_id: id.clone(), status: Status::Done, position: Some(10) }),
        ("add_tags", Edit::AddTags { card_id: id.clone(), tags: vec!["blocked".into(), "risk".into()] }),
        (
            "update",
            Edit::Update {
                card_id: id.clone(),
                title: Some("Renamed".into()),
                notes: Some("New notes".into()),
                tags: None,
            },
        ),
        ("delete", Edit::Delete { card_id: id.clone() }),
        ("undo", Edit::Undo { revision: board.revision() }),
    ];
    for (name, edit) in cases {
        // Cloning and dropping the board are set-up, outside the measurement.
        group.bench_function(name, |b| {
            b.iter_batched(
                || board.clone(),
                |mut board| {
                    let change = board.apply(edit.clone(), Source::Hand, 0).unwrap();
                    (board, change)
                },
                BatchSize::LargeInput,
            )
        });
    }
    // What the actor adds to every edit before the write itself.
    group.bench_function("encode_for_saving", |b| b.iter(|| BoardFile::encode(&board)));
    group.finish();
}

fn change_event(c: &mut Criterion) {
    let mut board = big_board();
    let id = middle_card(&board);
    let change =
        board.apply(Edit::Move { card_id: id, status: Status::Done, position: Some(0) }, Source::Hand, 0).unwrap();
    let event = serde_json::json!({ "change": change });
    let bytes = serde_json::to_vec(&event).unwrap().len();
    let snapshot = serde_json::to_vec(&board).unwrap().len();
    eprintln!("change event: {bytes} bytes of JSON; a full board snapshot at {CARDS} cards: {snapshot} bytes");
    c.bench_function("change_event_serialise", |b| b.iter(|| serde_json::to_vec(&event).unwrap()));
    c.bench_function("board_snapshot_serialise", |b| b.iter(|| serde_json::to_vec(&board).unwrap()));
}

/// The costliest edits anyone may send, at the size caps: what one participant or tool call
/// can make the actor spend on a single edit (refused ones included).
fn edits_at_the_caps(c: &mut Criterion) {
    let board = big_board();
    let id = middle_card(&board);
    let long = |n: usize| "é".repeat(n);
    let full_tags: Vec<String> =
        (0..limits::MAX_TAGS).map(|i| format!("{i:02}{}", "t".repeat(limits::MAX_TAG_CHARS - 2))).collect();
    // About 60 KB of short tags: what fits in one room message under its 64 KB cap.
    let flood: Vec<String> = (0..8_000).map(|i| format!("t{i}")).collect();
    let named: Vec<String> = (0..limits::MAX_TAGS_NAMED).map(|i| format!("T{}", i % 3)).collect();
    let mut group = c.benchmark_group("edits_at_the_caps");
    let cases: Vec<(&str, Edit)> = vec![
        (
            "create_full_card",
            Edit::Create {
                status: Status::Backlog,
                title: long(limits::MAX_TITLE_CHARS),
                notes: long(limits::MAX_NOTES_CHARS),
                tags: full_tags.clone(),
                position: Some(0),
            },
        ),
        (
            "update_full_card",
            Edit::Update {
                card_id: id.clone(),
                title: Some(long(limits::MAX_TITLE_CHARS)),
                notes: Some(long(limits::MAX_NOTES_CHARS)),
                tags: Some(full_tags),
            },
        ),
        ("add_tags_most_named", Edit::AddTags { card_id: id.clone(), tags: named }),
        ("add_tags_8000_refused", Edit::AddTags { card_id: id.clone(), tags: flood }),
        (
            "notes_over_the_cap_refused",
            Edit::Update { card_id: id, title: None, notes: Some(long(60_000)), tags: None },
        ),
    ];
    for (name, edit) in cases {
        group.bench_function(name, |b| {
            // The edit arrives by value (parsed in the sender's task), so copying it is set-up too.
            b.iter_batched(
                || (board.clone(), edit.clone()),
                |(mut board, edit)| (board.apply(edit, Source::Hand, 0).is_ok(), board),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, operations, change_event, edits_at_the_caps);
criterion_main!(benches);
