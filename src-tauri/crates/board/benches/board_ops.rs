//! Board operations on a board of 1,000 cards, the size and serialisation time of the
//! change event the window and (later) every participant receive, and what saving costs
//! per edit at 100 and 2,000 cards.
//! Run: `cargo bench -p boardroom-board --bench board_ops`.

use board::{limits, seed, Board, BoardActor, BoardFile, Edit, Source, Status};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

const CARDS: usize = 1_000;

fn big_board() -> Board {
    board_of(CARDS)
}

/// `cards` cards spread over the columns, with tags and notes of a realistic size.
fn board_of(cards: usize) -> Board {
    let mut board = seed::board();
    while board.card_count() < cards {
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

/// One edit as the board actor makes it, saving included: a move applied, synced to disk
/// and acknowledged, at 100 and 2,000 cards. It uses only what the actor offers, so it
/// measures whichever way of saving the crate has (the whole file then, the journal now).
fn save_per_edit(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut group = c.benchmark_group("save_per_edit");
    group.sample_size(30);
    for cards in [100, 2_000] {
        let board = board_of(cards);
        let id = middle_card(&board);
        let record = board.clone().apply(mv(&id, 0), Source::Hand, 0).unwrap();
        eprintln!(
            "save per edit at {cards} cards: a move's change record is {} bytes of JSON, the whole board {} bytes",
            serde_json::to_vec(&record).unwrap().len(),
            BoardFile::encode(&board).len()
        );
        // In the build folder, on disk: a temporary folder may be in memory, where syncs are free.
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let (actor, handle) = BoardActor::new(board, Some(BoardFile::in_dir(dir.path())));
        runtime.spawn(actor.run());
        let mut n = 0;
        group.bench_function(format!("{cards}_cards"), |b| {
            b.iter(|| {
                n += 1;
                runtime.block_on(handle.apply(mv(&id, n), Source::Hand)).unwrap()
            })
        });
    }
    group.finish();
}

/// The `n`th move of a card back and forth between two columns; each one changes the board.
fn mv(id: &str, n: u64) -> Edit {
    let status = if n.is_multiple_of(2) { Status::Done } else { Status::Blocked };
    Edit::Move { card_id: id.to_owned(), status, position: Some(0) }
}

criterion_group!(benches, operations, change_event, edits_at_the_caps, save_per_edit);
criterion_main!(benches);
