//! Each board operation: what it changes, the change record it produces and what it refuses.

use board::{seed, Board, BoardError, Edit, Source, Status};

fn ids(board: &Board, status: Status) -> Vec<&str> {
    board.column(status).iter().map(|c| c.id.as_str()).collect()
}

fn apply(board: &mut Board, edit: Edit) -> Result<board::Change, BoardError> {
    board.apply(edit, Source::Hand, 1_000)
}

fn mv(id: &str, status: Status, position: Option<u32>) -> Edit {
    Edit::Move { card_id: id.into(), status, position }
}

fn create(status: Status, title: &str) -> Edit {
    Edit::Create { status, title: title.into(), notes: String::new(), tags: vec![], position: None }
}

#[test]
fn seed_board_has_five_backlog_cards() {
    let board = seed::board();
    assert_eq!(ids(&board, Status::Backlog), ["card-001", "card-002", "card-003", "card-004", "card-005"]);
    assert!(board.cards().all(|c| c.tags[0] == "webrtc" && c.tags.len() == 3 && !c.notes.is_empty()));
    board.check().unwrap();
}

#[test]
fn create_assigns_new_ids_that_are_never_reused() {
    let mut board = seed::board();
    let first = apply(&mut board, create(Status::Done, "Shipped TURN")).unwrap();
    assert_eq!(first.card_id(), "kanban-card-001");
    assert_eq!(first.revision, 1);
    assert!(first.before.is_none());
    apply(&mut board, Edit::Delete { card_id: "kanban-card-001".into() }).unwrap();
    let second = apply(&mut board, create(Status::Done, "Again")).unwrap();
    assert_eq!(second.card_id(), "kanban-card-002");
}

#[test]
fn create_at_a_position() {
    let mut board = seed::board();
    let edit = Edit::Create {
        status: Status::Backlog,
        title: "Top".into(),
        notes: "n".into(),
        tags: vec!["a".into()],
        position: Some(0),
    };
    let change = apply(&mut board, edit).unwrap();
    assert_eq!(ids(&board, Status::Backlog)[0], change.card_id());
    assert_eq!(change.after.unwrap().position, 0);
}

#[test]
fn move_between_and_within_columns() {
    let mut board = seed::board();
    let change = apply(&mut board, mv("card-003", Status::InProgress, None)).unwrap();
    assert_eq!(ids(&board, Status::InProgress), ["card-003"]);
    assert_eq!(change.before.as_ref().unwrap().position, 2);
    assert_eq!(change.after.as_ref().unwrap().card.status, Status::InProgress);

    apply(&mut board, mv("card-001", Status::Backlog, Some(3))).unwrap();
    assert_eq!(ids(&board, Status::Backlog), ["card-002", "card-004", "card-005", "card-001"]);
    apply(&mut board, mv("card-005", Status::Backlog, Some(0))).unwrap();
    assert_eq!(ids(&board, Status::Backlog), ["card-005", "card-002", "card-004", "card-001"]);
    // Past the end means at the end.
    apply(&mut board, mv("card-002", Status::InProgress, Some(99))).unwrap();
    assert_eq!(ids(&board, Status::InProgress), ["card-003", "card-002"]);
}

#[test]
fn moving_to_where_a_card_already_is_changes_nothing() {
    let mut board = seed::board();
    let before = board.clone();
    assert!(matches!(apply(&mut board, mv("card-005", Status::Backlog, None)), Err(BoardError::NothingToChange(_))));
    assert!(matches!(apply(&mut board, mv("card-001", Status::Backlog, Some(0))), Err(BoardError::NothingToChange(_))));
    assert_eq!(board, before);
}

#[test]
fn add_tags_merges_and_update_replaces() {
    let mut board = seed::board();
    let edit =
        Edit::AddTags { card_id: "card-001".into(), tags: vec![" blocked ".into(), "RTP".into(), "risk".into()] };
    apply(&mut board, edit).unwrap();
    assert_eq!(board.card("card-001").unwrap().tags, ["webrtc", "rtp", "hevc", "blocked", "risk"]);

    let edit = Edit::Update {
        card_id: "card-001".into(),
        title: Some("  HEVC packetizer ".into()),
        notes: None,
        tags: Some(vec!["x".into()]),
    };
    let change = apply(&mut board, edit).unwrap();
    let card = board.card("card-001").unwrap();
    assert_eq!((card.title.as_str(), card.tags.as_slice()), ("HEVC packetizer", &["x".to_string()][..]));
    assert_eq!(card.notes, change.before.unwrap().card.notes, "notes not given stay as they were");
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut board = seed::board();
    let before = board.clone();
    let refused = [
        (mv("card-404", Status::Done, None), "no card"),
        (Edit::Delete { card_id: "x".repeat(10_000) }, "no card"),
        (create(Status::Done, "   "), "needs a title"),
        (create(Status::Done, &"t".repeat(201)), "201 characters"),
        (
            Edit::Update { card_id: "card-001".into(), title: None, notes: Some("n".repeat(8_001)), tags: None },
            "8001 characters",
        ),
        (
            Edit::AddTags { card_id: "card-001".into(), tags: (0..30).map(|i| i.to_string()).collect() },
            "at most 32 tags",
        ),
        (Edit::AddTags { card_id: "card-001".into(), tags: vec!["t".repeat(41)] }, "too long"),
        (Edit::AddTags { card_id: "card-001".into(), tags: vec!["RTP".into()] }, "already has"),
        (
            Edit::Update {
                card_id: "card-001".into(),
                title: Some("Finish RTP HEVC Packetizer".into()),
                notes: None,
                tags: None,
            },
            "nothing to change",
        ),
        (Edit::Undo { revision: 7 }, "not in the activity log"),
    ];
    for (edit, expected) in refused {
        let err = apply(&mut board, edit.clone()).unwrap_err().to_string();
        assert!(err.contains(expected), "{edit:?}: {err}");
        assert_eq!(board, before, "{edit:?} left the board as it was");
    }
}

#[test]
fn change_records_say_who_and_when() {
    let mut board = seed::board();
    let source = Source::Voice {
        call_id: "call_1".into(),
        transcript: Some("ICE restart is in progress".into()),
        speakers: vec!["Ana".into()],
    };
    let change = board.apply(mv("card-003", Status::InProgress, None), source.clone(), 42).unwrap();
    assert_eq!((change.at, &change.source), (42, &source));
    assert_eq!(board.activity().last().unwrap(), &change);
    let json = serde_json::to_value(&change).unwrap();
    assert_eq!(
        json["source"],
        serde_json::json!({"kind": "voice", "callId": "call_1", "transcript": "ICE restart is in progress", "speakers": ["Ana"]})
    );
    // Changes saved before names were kept read as nobody known.
    let saved = serde_json::json!({"kind": "voice", "callId": "call_1", "transcript": null});
    assert_eq!(
        serde_json::from_value::<Source>(saved).unwrap(),
        Source::Voice { call_id: "call_1".into(), transcript: None, speakers: vec![] }
    );
    assert_eq!(json["operation"]["type"], "move");
}

#[test]
fn undo_restores_each_kind_of_change() {
    let mut board = seed::board();
    let original = board.clone();
    let moved = apply(&mut board, mv("card-002", Status::Blocked, None)).unwrap();
    let edited = apply(
        &mut board,
        Edit::Update { card_id: "card-004".into(), title: Some("DTLS".into()), notes: None, tags: None },
    )
    .unwrap();
    let created = apply(&mut board, create(Status::Done, "New")).unwrap();
    let deleted = apply(&mut board, Edit::Delete { card_id: "card-001".into() }).unwrap();
    for change in [deleted, created, edited, moved] {
        let undo = apply(&mut board, Edit::Undo { revision: change.revision }).unwrap();
        assert_eq!(undo.before, change.after);
        assert_eq!(undo.after, change.before);
    }
    assert_eq!(board.columns(), original.columns(), "undoing everything, newest first, gives the original board back");
    assert_eq!(board.revision(), 8);
}

#[test]
fn undo_is_refused_when_the_card_changed_since() {
    let mut board = seed::board();
    let moved = apply(&mut board, mv("card-002", Status::Done, None)).unwrap();
    apply(&mut board, Edit::AddTags { card_id: "card-002".into(), tags: vec!["shipped".into()] }).unwrap();
    let before = board.clone();
    let err = apply(&mut board, Edit::Undo { revision: moved.revision }).unwrap_err();
    assert!(matches!(err, BoardError::UndoConflict { revision: 1, .. }), "{err}");
    assert_eq!(board, before);
    // Undoing twice is refused the same way: the card is no longer as the change left it.
    let tagged = board.activity().last().unwrap().revision;
    apply(&mut board, Edit::Undo { revision: tagged }).unwrap();
    assert!(matches!(apply(&mut board, Edit::Undo { revision: tagged }), Err(BoardError::UndoConflict { .. })));
}

#[test]
fn undo_of_an_edit_keeps_the_card_where_it_now_is() {
    let mut board = seed::board();
    let edited = apply(
        &mut board,
        Edit::Update { card_id: "card-005".into(), title: Some("Simulcast".into()), notes: None, tags: None },
    )
    .unwrap();
    apply(&mut board, mv("card-001", Status::Backlog, None)).unwrap();
    apply(&mut board, Edit::Undo { revision: edited.revision }).unwrap();
    assert_eq!(ids(&board, Status::Backlog), ["card-002", "card-003", "card-004", "card-005", "card-001"]);
    assert_eq!(board.card("card-005").unwrap().title, "Add Simulcast Forwarding Controls");
}

#[test]
fn the_activity_log_keeps_the_latest_500() {
    let mut board = seed::board();
    for i in 0..510 {
        let status = if i % 2 == 0 { Status::Done } else { Status::Backlog };
        apply(&mut board, mv("card-001", status, None)).unwrap();
    }
    assert_eq!(board.activity().len(), 500);
    assert_eq!(board.activity().next().unwrap().revision, 11);
    assert!(matches!(apply(&mut board, Edit::Undo { revision: 10 }), Err(BoardError::UnknownChange(10))));
    board.check().unwrap();
}

#[test]
fn an_edit_made_on_an_older_board_applies_unless_its_card_changed_since() {
    let mut board = seed::board();
    let participant = Source::Participant { name: "Ana".into() };
    apply(&mut board, mv("card-002", Status::Done, None)).unwrap();
    // Ana saw revision 0; card-001 has not changed since, so her move goes through.
    board.apply_seen(mv("card-001", Status::Blocked, None), participant.clone(), 1_000, 0).unwrap();
    // card-002 has: her edit of it is refused and the board stays as it is.
    let before = board.clone();
    let refused = board.apply_seen(mv("card-002", Status::Backlog, None), participant.clone(), 1_000, 0);
    assert!(matches!(refused, Err(BoardError::Stale { seen: 0, current: 2 })), "{refused:?}");
    assert_eq!(board, before);
    // Creations do not clash with anything.
    board.apply_seen(create(Status::Backlog, "New"), participant, 1_000, 0).unwrap();
}

#[test]
fn an_edit_older_than_the_activity_log_is_stale() {
    let mut board = seed::board();
    for i in 0..510 {
        let status = if i % 2 == 0 { Status::Done } else { Status::Backlog };
        apply(&mut board, mv("card-001", status, None)).unwrap();
    }
    let refused = board.apply_seen(mv("card-003", Status::Done, None), Source::Hand, 1_000, 5);
    assert!(matches!(refused, Err(BoardError::Stale { .. })));
    board.apply_seen(mv("card-003", Status::Done, None), Source::Hand, 1_000, 505).unwrap();
}
