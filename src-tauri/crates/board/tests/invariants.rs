//! Property tests: random sequences of edits (valid and not) keep the board's invariants.

use std::collections::HashSet;

use board::{seed, Board, Edit, Source, Status};
use proptest::prelude::*;

fn status() -> impl Strategy<Value = Status> {
    prop::sample::select(Status::ALL.to_vec())
}

/// Card ids drawn from the seeds, generated ids (some not yet made, some deleted) and junk.
fn card_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..=5).prop_map(|n| format!("card-{n:03}")),
        (1u32..=12).prop_map(|n| format!("kanban-card-{n:03}")),
        "[a-z]{0,6}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[A-Za-z ]{1,20}", 1 => Just("   ".to_string()), 1 => Just("x".repeat(201))]
}

fn tags() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop_oneof!["[a-cA-C]{1,3}", Just(" ".to_string())], 0..5)
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => (status(), text(), tags(), prop::option::of(0u32..8))
            .prop_map(|(status, title, tags, position)| Edit::Create { status, title, notes: String::new(), tags, position }),
        3 => (card_id(), status(), prop::option::of(0u32..8)).prop_map(|(card_id, status, position)| Edit::Move { card_id, status, position }),
        1 => (card_id(), tags()).prop_map(|(card_id, tags)| Edit::AddTags { card_id, tags }),
        1 => (card_id(), prop::option::of(text()), prop::option::of("[a-z ]{0,10}"))
            .prop_map(|(card_id, title, notes)| Edit::Update { card_id, title, notes, tags: None }),
        1 => card_id().prop_map(|card_id| Edit::Delete { card_id }),
        2 => (0u64..40).prop_map(|revision| Edit::Undo { revision }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_edits_keep_the_invariants(edits in prop::collection::vec(edit(), 1..40), undo_last in any::<bool>()) {
        let mut board = seed::board();
        let mut ever_seen: HashSet<String> = board.cards().map(|c| c.id.clone()).collect();
        let mut last_applied = None;
        for edit in edits {
            let before = board.clone();
            match board.apply(edit, Source::Hand, 0) {
                Ok(change) => {
                    prop_assert_eq!(change.revision, before.revision() + 1, "revision goes up by exactly one");
                    if matches!(change.operation, Edit::Create { .. }) {
                        prop_assert!(ever_seen.insert(change.card_id().to_string()), "a created id was never used before");
                    }
                    last_applied = Some((change, before));
                }
                Err(_) => prop_assert_eq!(&board, &before, "a refused edit changes nothing"),
            }
            prop_assert!(board.check().is_ok(), "{:?}", board.check());
            // Each card in exactly one column, positions contiguous: the columns hold every card once.
            let ids: Vec<&str> = board.cards().map(|c| c.id.as_str()).collect();
            prop_assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len());
        }
        // Undoing the last applied change at once restores the card as it was.
        if let (true, Some((change, before))) = (undo_last, last_applied) {
            if board.revision() == change.revision {
                board.apply(Edit::Undo { revision: change.revision }, Source::Hand, 0).unwrap();
                let id = change.card_id();
                prop_assert_eq!(board.card(id), before.card(id));
                let placed = |b: &Board| b.columns().iter().find_map(|col| col.cards.iter().position(|c| c.id == id).map(|i| (col.status, i)));
                prop_assert_eq!(placed(&board), placed(&before), "and its place");
            }
        }
    }
}

/// Tag lists around and past the caps: many, duplicated in any case, blank, too long.
fn tags_at_the_caps() -> impl Strategy<Value = Vec<String>> {
    let tag = prop_oneof![
        4 => "[a-eA-E]{1,2}",
        2 => "[a-z0-9]{1,12}",
        1 => Just(" ".to_string()),
        1 => Just("t".repeat(board::limits::MAX_TAG_CHARS)),
        1 => Just("t".repeat(board::limits::MAX_TAG_CHARS + 1)),
    ];
    prop::collection::vec(tag, 0..(board::limits::MAX_TAGS_NAMED + 40))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn edits_at_the_tag_caps_are_applied_within_the_rules_or_refused_without_a_trace(tags in tags_at_the_caps()) {
        use board::limits::{MAX_TAGS, MAX_TAGS_NAMED, MAX_TAG_CHARS};
        let mut board = seed::board();
        let before = board.clone();
        let existing = before.card("card-001").unwrap().tags.len();
        let result = board.apply(Edit::AddTags { card_id: "card-001".into(), tags: tags.clone() }, Source::Hand, 0);
        let distinct: HashSet<String> = before.card("card-001").unwrap().tags.iter().chain(&tags)
            .map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
        let too_long = tags.iter().any(|t| t.trim().chars().count() > MAX_TAG_CHARS);
        let allowed = existing + tags.len() <= MAX_TAGS_NAMED && !too_long && distinct.len() <= MAX_TAGS;
        match result {
            Ok(_) => {
                prop_assert!(allowed, "applied although it breaks a rule");
                let card = board.card("card-001").unwrap();
                prop_assert_eq!(card.tags.len(), distinct.len());
            }
            Err(_) => prop_assert_eq!(&board, &before, "a refused edit changes nothing"),
        }
    }
}
