//! `find_cards`: the model looks up any card, including those the snapshot leaves out, by
//! words in its id, title, notes or tags, optionally only with given tags or in one column.
//! Best matches first (most words found, then active columns first). Plain Rust, no I/O.

use board::{Board, Card, Status};
use serde_json::{json, Value};

use crate::board_items::{compact_card, ACTIVE_FIRST};

/// At most this many cards are returned, so an answer stays small.
pub const MAX_FOUND: usize = 10;
/// Notes are cut to this many characters in what is found: enough to tell cards apart.
const FOUND_NOTES_CHARS: usize = 200;
/// Words shorter than this are not searched for ("a", "to").
const MIN_WORD_CHARS: usize = 2;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// Searched for in a card's id, title, notes and tags, case-insensitively.
    pub words: String,
    /// A card must have every one of these tags.
    pub tags: Vec<String>,
    pub status: Option<Status>,
}

/// The result for the model: how many cards matched and the best [`MAX_FOUND`] of them.
pub fn find(board: &Board, query: &Query) -> Value {
    let words: Vec<String> = query
        .words
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| w.chars().count() >= MIN_WORD_CHARS)
        .map(str::to_lowercase)
        .collect();
    let tags: Vec<String> = query.tags.iter().map(|t| t.trim().to_lowercase()).collect();
    let mut found: Vec<(usize, usize, &Card)> = Vec::new();
    for (rank, status) in ACTIVE_FIRST.iter().enumerate() {
        if query.status.is_some_and(|wanted| wanted != *status) {
            continue;
        }
        for card in board.column(*status) {
            let card_tags: Vec<String> = card.tags.iter().map(|t| t.to_lowercase()).collect();
            if !tags.iter().all(|t| card_tags.contains(t)) {
                continue;
            }
            let text = format!("{} {} {} {}", card.id, card.title, card.notes, card.tags.join(" ")).to_lowercase();
            let hits = words.iter().filter(|w| text.contains(w.as_str())).count();
            if words.is_empty() || hits > 0 {
                found.push((hits, rank, card));
            }
        }
    }
    // Most words found first; then the column order; the sort is stable within a column.
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let cards: Vec<Value> =
        found.iter().take(MAX_FOUND).map(|(_, _, card)| compact_card(card, FOUND_NOTES_CHARS)).collect();
    json!({ "ok": true, "changed": false, "found": found.len(), "cards": cards })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board_of(count: usize) -> Board {
        let cards = (0..count)
            .map(|i| Card {
                id: format!("card-{i:04}"),
                status: Status::ALL[i % 4],
                title: format!("Routine task {i}"),
                notes: String::new(),
                tags: vec![format!("t{}", i % 7)],
            })
            .collect();
        Board::with_cards(cards)
    }

    fn ids(result: &Value) -> Vec<&str> {
        result["cards"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect()
    }

    #[test]
    fn a_card_deep_in_a_board_of_2000_is_found_by_its_words() {
        let mut board = board_of(1_999);
        let hidden = board::Edit::Create {
            status: Status::Done,
            title: "Migrate the HEVC encoder".into(),
            notes: "waiting on licences".into(),
            tags: vec!["video".into()],
            position: None,
        };
        board.apply(hidden, board::Source::Hand, 0).unwrap();
        let result = find(&board, &Query { words: "the hevc encoder card".into(), ..Query::default() });
        assert_eq!(result["cards"][0]["title"], "Migrate the HEVC encoder");
        assert_eq!(result["cards"][0]["notes"], "waiting on licences");
        assert!(result["cards"].as_array().unwrap().len() <= MAX_FOUND);
    }

    #[test]
    fn tags_and_column_narrow_the_search() {
        let board = board_of(100);
        let result =
            find(&board, &Query { words: String::new(), tags: vec!["T3".into()], status: Some(Status::Blocked) });
        let found = result["found"].as_u64().unwrap();
        assert!(found > 0);
        for card in result["cards"].as_array().unwrap() {
            assert_eq!(card["status"], "Blocked");
            assert!(card["tags"].as_array().unwrap().contains(&json!("t3")));
        }
        let by_id = find(&board, &Query { words: "card-0042".into(), ..Query::default() });
        assert_eq!(ids(&by_id), ["card-0042"]);
    }

    #[test]
    fn nothing_found_says_so() {
        let result = find(&board_of(10), &Query { words: "kubernetes".into(), ..Query::default() });
        assert_eq!((result["found"].as_u64(), result["cards"].as_array().unwrap().len()), (Some(0), 0));
        assert_eq!(result["ok"], true);
    }
}
