//! The journal's format: every change made since the board was last written whole, one
//! JSON change record a line, in revision order. JSON escapes line breaks inside strings, so
//! a line break only ever ends a record. Reading it back is pure; `store` writes it.

use crate::change::Change;
use crate::edit::Edit;
use crate::model::Board;

/// One record: `change` as a line.
pub(crate) fn line(change: &Change) -> Vec<u8> {
    let mut line = serde_json::to_vec(change).expect("a change always serialises");
    line.push(b'\n');
    line
}

/// The journal's records. A last line without its line break was cut short by a crash while
/// it was being appended, so it was never acknowledged: it is dropped. Any other line that is
/// not a change record means the journal is damaged.
pub(crate) fn records(bytes: &[u8]) -> Result<Vec<Change>, String> {
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(&[][..], |end| &bytes[..end]);
    if complete.is_empty() {
        return Ok(Vec::new());
    }
    complete
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_slice(line)
                .map_err(|err| format!("its journal of changes is damaged at line {} ({err})", n + 1))
        })
        .collect()
}

/// Places the journal's `records` onto `board`, the snapshot they follow. Records the
/// snapshot already holds are skipped (a crash after the snapshot was written but before the
/// journal was emptied leaves them); the others must follow it one revision after the other,
/// each finding the card it changes as it describes it.
pub(crate) fn replay(board: &mut Board, records: &[Change]) -> Result<(), String> {
    let snapshot = board.revision();
    for change in records.iter().filter(|change| change.revision > snapshot) {
        if change.revision != board.revision() + 1 {
            return Err(format!(
                "its journal of changes goes from revision {} to {}",
                board.revision(),
                change.revision
            ));
        }
        if !describes(board, change) {
            return Err(format!(
                "its journal's change {} does not match the card it changes (\"{}\")",
                change.revision,
                crate::limits::shorten(change.card_id(), 60)
            ));
        }
        board.follow(change);
    }
    Ok(())
}

/// Whether `change` was made on `board`: the card it changed is there as it was before, or,
/// for a new card, no card has its id yet.
fn describes(board: &Board, change: &Change) -> bool {
    if let Some(batch) = &change.batch {
        return board.describes_batch(batch);
    }
    match (&change.before, &change.after) {
        (Some(before), _) => board.column(before.card.status).get(before.position as usize) == Some(&before.card),
        (None, Some(after)) => board.card(&after.card.id).is_none(),
        // Filing a suggestion, or dropping one that waits.
        (None, None) => match (&change.operation, &change.suggestion) {
            (Edit::Suggest { .. }, Some(_)) => true,
            (_, Some(suggestion)) => board.pending().iter().any(|waiting| waiting.id == suggestion.id),
            (_, None) => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::Source;
    use crate::model::Status;
    use crate::seed;

    fn changes(n: usize) -> (Board, Vec<Change>) {
        let mut board = seed::board();
        let start = board.clone();
        let changes = (0..n)
            .map(|i| {
                let status = if i % 2 == 0 { Status::Done } else { Status::Backlog };
                let edit = Edit::Move { card_id: "card-002".into(), status, position: Some(0) };
                board.apply(edit, Source::Hand, i as i64).unwrap()
            })
            .collect();
        (start, changes)
    }

    fn journal(changes: &[Change]) -> Vec<u8> {
        changes.iter().flat_map(line).collect()
    }

    #[test]
    fn replaying_the_records_gives_the_board_back() {
        let (start, changes) = changes(3);
        let mut board = start.clone();
        replay(&mut board, &records(&journal(&changes)).unwrap()).unwrap();
        let mut expected = start;
        for change in &changes {
            expected.follow(change);
        }
        assert_eq!(board, expected);
        assert_eq!(board.revision(), 3);
    }

    #[test]
    fn suggestions_are_replayed_waiting_or_answered() {
        let mut board = seed::board();
        let start = board.clone();
        let voice = Source::Voice { call_id: "c".into(), transcript: None, speakers: vec![] };
        let suggest = |card: &str| Edit::Suggest { edit: Box::new(Edit::Delete { card_id: card.into() }) };
        let changes = vec![
            board.apply(suggest("card-001"), voice.clone(), 0).unwrap(),
            board.apply(suggest("card-002"), voice, 0).unwrap(),
            board.apply(Edit::Accept { suggestion: 1 }, Source::Hand, 0).unwrap(),
        ];
        let mut replayed = start;
        replay(&mut replayed, &records(&journal(&changes)).unwrap()).unwrap();
        assert_eq!(replayed, board);
        assert_eq!(replayed.pending().len(), 1);
    }

    #[test]
    fn a_torn_last_record_is_dropped() {
        let (_, changes) = changes(2);
        let bytes = journal(&changes);
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            let kept = records(&bytes[..cut]).unwrap();
            assert_eq!(kept.len(), usize::from(cut > line(&changes[0]).len() - 1), "cut at {cut}");
        }
        assert_eq!(records(&bytes).unwrap(), changes);
    }

    #[test]
    fn damage_before_the_last_line_is_an_error() {
        let (_, changes) = changes(2);
        let mut bytes = journal(&changes);
        bytes[3] = b'#';
        assert!(records(&bytes).unwrap_err().contains("damaged at line 1"));
        let zeros = [&line(&changes[0])[..], b"\0\0\0\n"].concat();
        assert!(records(&zeros).unwrap_err().contains("damaged at line 2"));
    }

    #[test]
    fn records_must_follow_the_board() {
        let (start, changes) = changes(3);
        // Records the snapshot already holds are skipped.
        let mut board = start.clone();
        replay(&mut board, &changes[..2]).unwrap();
        replay(&mut board, &changes).unwrap();
        assert_eq!(board.revision(), 3);
        // A missing record, or one made on another board, is not.
        let mut board = start.clone();
        assert!(replay(&mut board, &changes[1..]).unwrap_err().contains("goes from revision 0 to 2"));
        let mut other = start.clone();
        other.apply(Edit::Delete { card_id: "card-002".into() }, Source::Hand, 0).unwrap();
        let mut shifted = changes[1].clone();
        shifted.revision = 2;
        assert!(replay(&mut other, &[shifted]).unwrap_err().contains("does not match"));
    }
}
