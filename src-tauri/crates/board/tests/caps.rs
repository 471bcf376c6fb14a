//! A board at every cap still reaches a newcomer in one message: filled with the text JSON
//! escapes most, and its activity log and waiting suggestions with the edits that escape
//! most, it serialises under `limits::MAX_BOARD_BYTES`.

use board::limits::{MAX_BOARD_BYTES, MAX_CARDS, MAX_CARDS_TEXT_BYTES, MAX_NOTES_CHARS, MAX_TAGS, MAX_TAGS_NAMED};
use board::suggestion::MAX_PENDING;
use board::{Board, Card, Edit, Source, Status};

/// `MAX_CARDS` cards of short tags and of `fill` (a quote is escaped to two bytes) that
/// together hold `MAX_CARDS_TEXT_BYTES` of text but `free` bytes. One tag short of the most,
/// so that tags can be added.
fn full_board(fill: char, free: usize) -> Board {
    let card = |n: usize, notes: usize| Card {
        id: format!("c{n:04}"),
        status: Status::ALL[n % 4],
        title: fill.to_string(),
        notes: fill.to_string().repeat(notes),
        tags: (1..MAX_TAGS).map(|t| format!("{fill}{t}")).collect(),
    };
    let per_card = card(0, 0).text_bytes();
    let notes = ((MAX_CARDS_TEXT_BYTES - free) / MAX_CARDS - per_card).min(MAX_NOTES_CHARS);
    let board = Board::with_cards((0..MAX_CARDS).map(|n| card(n, notes)).collect());
    assert!(MAX_CARDS_TEXT_BYTES - free - board.cards_text_bytes() < MAX_CARDS, "the board is full");
    board
}

fn size(board: &Board) -> usize {
    serde_json::to_vec(board).unwrap().len()
}

#[test]
fn a_board_at_the_caps_fits_in_one_message() {
    let who = Source::Participant { name: "\"".repeat(40) };
    // Notes asked for with control characters, which are stripped from the card but kept
    // (each escaped to six bytes) in the edit as it was asked.
    let mut noisy_notes = full_board('"', 0);
    for n in 0..1_000 {
        let notes = format!("{}{}", "\u{1}".repeat(MAX_NOTES_CHARS - 1), n % 2);
        let edit = Edit::Update { card_id: format!("c{:04}", n % 7), title: None, notes: Some(notes), tags: None };
        noisy_notes.apply(edit, who.clone(), 0).unwrap();
    }
    // And as many suggestions waiting as may, each asking for such notes.
    let voice = Source::Voice { call_id: "call".into(), transcript: Some("\"".repeat(200)), speakers: vec![] };
    for n in 0..MAX_PENDING {
        let notes = "\u{1}".repeat(MAX_NOTES_CHARS);
        let edit = Edit::Update { card_id: format!("c{n:04}"), title: None, notes: Some(notes), tags: None };
        noisy_notes.apply(Edit::Suggest { edit: Box::new(edit) }, voice.clone(), 0).unwrap();
    }
    assert_eq!(noisy_notes.pending().len(), MAX_PENDING);
    // The most tags an edit may name, all but one blank once stripped.
    let mut noisy_tags = full_board('"', 10_000);
    for n in 0..1_000 {
        let mut tags = vec!["\u{1}".to_owned(); MAX_TAGS_NAMED - MAX_TAGS];
        tags.push(format!("{n}"));
        noisy_tags.apply(Edit::AddTags { card_id: format!("c{n:04}"), tags }, who.clone(), 0).unwrap();
    }
    let plain = full_board('x', 0);
    for (name, board) in [("noisy notes", &noisy_notes), ("noisy tags", &noisy_tags), ("plain", &plain)] {
        board.check().unwrap();
        let bytes = size(board);
        println!("{name}: {bytes} bytes, {} changes kept", board.activity().len());
        assert!(bytes <= MAX_BOARD_BYTES, "{name}: {bytes} bytes");
    }
}
