//! Size limits on what a card and the whole board may hold, and the normalisation of user
//! text. Kept in one place so the UI, the model's tools and remote participants all meet the
//! same rules.

use crate::edit::BoardError;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NOTES_CHARS: usize = 8_000;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_CHARS: usize = 40;
/// The longest card id an imported file may keep (generated ones are 15 characters).
pub const MAX_ID_CHARS: usize = 64;
/// The most tags one edit may name (the card's own plus the new ones), duplicates and blanks
/// included: past this it is refused before any other work, so no edit costs more than a
/// few hundred short comparisons.
pub const MAX_TAGS_NAMED: usize = 4 * MAX_TAGS;

/// The most cards a board holds; an edit that would add one more is refused.
pub const MAX_CARDS: usize = 2_000;
/// The most text all cards together hold, in UTF-8 bytes of their ids, titles, notes and tags
/// (see [`crate::Card::text_bytes`]): 2 MiB, about 1 KB a card at [`MAX_CARDS`]. An edit that
/// would take the board past it is refused; one that shrinks or keeps its size never is.
pub const MAX_CARDS_TEXT_BYTES: usize = 2 << 20;
/// The most text the activity log keeps (see [`crate::Change::text_bytes`]); past it the
/// oldest changes are dropped, as past [`crate::model::ACTIVITY_LIMIT`] entries.
pub const MAX_ACTIVITY_TEXT_BYTES: usize = 512 << 10;
/// What the caps above bound the board to as JSON, as it is saved and as a newcomer receives
/// it in one `welcome` message. JSON at most doubles the cards' text (`"`, `\\`, line breaks
/// and tabs are escaped; no other control character is left in a card) and at most sextuples
/// the text of the edits as they were asked (`\u0001`): tests/caps.rs fills a board at every
/// cap (with [`crate::suggestion::MAX_PENDING`] suggestions waiting) with such text and gets
/// 8.2 MB; with plain text the cards take 2.4 MB. The room's
/// messages may be bigger still (the room protocol's `MAX_ROOM_MESSAGE_BYTES`, which the app's
/// guest connection accepts); browsers set no limit.
pub const MAX_BOARD_BYTES: usize = 10 << 20;

/// Removes control characters (C0, DEL and C1): invisible, they only ever come from a paste
/// gone wrong or from someone probing. Line breaks and tabs are text in notes (`multiline`);
/// in one-line text they and the other whitespace controls become spaces.
fn without_controls(raw: &str, multiline: bool) -> String {
    raw.chars()
        .filter_map(|c| match c {
            '\n' | '\t' if multiline => Some(c),
            c if !c.is_control() => Some(c),
            c if c.is_whitespace() && !multiline => Some(' '),
            _ => None,
        })
        .collect()
}

/// Trims a title, strips its control characters and checks it is present and short enough.
pub fn title(raw: &str) -> Result<String, BoardError> {
    let title = without_controls(raw, false);
    let title = title.trim();
    if title.is_empty() {
        return Err(BoardError::EmptyTitle);
    }
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        return Err(BoardError::TitleTooLong { chars });
    }
    Ok(title.to_owned())
}

/// Checks a card id a file brings: 1 to [`MAX_ID_CHARS`] ASCII letters, digits, `-`, `_` or
/// `.`, so it reads plainly wherever the id is said (to the model, in a link, in notes).
pub fn card_id(raw: &str) -> Result<String, BoardError> {
    let id = raw.trim();
    let fits = (1..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if fits {
        Ok(id.to_owned())
    } else {
        Err(BoardError::BadId(shorten(raw, MAX_ID_CHARS)))
    }
}

/// Trims notes, strips their control characters but line breaks and tabs, and checks their length.
pub fn notes(raw: &str) -> Result<String, BoardError> {
    let notes = without_controls(raw, true);
    let notes = notes.trim();
    let chars = notes.chars().count();
    if chars > MAX_NOTES_CHARS {
        return Err(BoardError::NotesTooLong { chars });
    }
    Ok(notes.to_owned())
}

/// Merges `added` into `existing`: each tag stripped of control characters and trimmed,
/// blanks dropped, duplicates (ignoring case) dropped with the first spelling kept. Linear in
/// the input, and the number of tags is checked before anything else.
pub fn merge_tags(existing: &[String], added: &[String]) -> Result<Vec<String>, BoardError> {
    let named = existing.len() + added.len();
    if named > MAX_TAGS_NAMED {
        return Err(BoardError::TooManyTagsNamed { named });
    }
    let mut tags: Vec<String> = Vec::with_capacity(named.min(MAX_TAGS + 1));
    let mut seen = std::collections::HashSet::with_capacity(named);
    for raw in existing.iter().chain(added) {
        let tag = without_controls(raw, false);
        let tag = tag.trim();
        if tag.is_empty() {
            continue;
        }
        // Counting stops at the first character past the limit, however long the tag is.
        if tag.chars().nth(MAX_TAG_CHARS).is_some() {
            return Err(BoardError::TagTooLong { tag: shorten(tag, MAX_TAG_CHARS) });
        }
        if seen.insert(tag.to_lowercase()) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(BoardError::TooManyTags { count: tags.len() });
    }
    Ok(tags)
}

/// Normalises a full list of tags (as the card editor sends it).
pub fn tags(raw: &[String]) -> Result<Vec<String>, BoardError> {
    merge_tags(&[], raw)
}

/// The first `max` characters of `text` followed by an ellipsis, for error messages.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(title("  Ship it ").unwrap(), "Ship it");
        assert!(matches!(title(" \t\n"), Err(BoardError::EmptyTitle)));
        assert!(title(&"é".repeat(200)).is_ok());
        assert!(matches!(title(&"é".repeat(201)), Err(BoardError::TitleTooLong { chars: 201 })));
    }

    #[test]
    fn notes_are_bounded() {
        assert_eq!(notes("").unwrap(), "");
        assert!(notes(&"x".repeat(8_000)).is_ok());
        assert!(matches!(notes(&"x".repeat(8_001)), Err(BoardError::NotesTooLong { chars: 8_001 })));
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_keep_case() {
        let merged = merge_tags(&strings(&["webrtc", "RTP"]), &strings(&[" rtp ", "", "Hevc", "hevc"])).unwrap();
        assert_eq!(merged, strings(&["webrtc", "RTP", "Hevc"]));
    }

    #[test]
    fn control_characters_are_stripped() {
        assert_eq!(title("Ship\u{0}\u{7} it\u{7f}\u{85}\u{9b}").unwrap(), "Ship it");
        assert_eq!(title(" Two\tlines\r\nhere \u{1b}").unwrap(), "Two lines  here");
        assert!(matches!(title("\u{0}\u{7}\u{1f}\n"), Err(BoardError::EmptyTitle)));
        assert_eq!(notes("a\u{0}b\r\n\tc\u{7}\u{8}\u{b}\u{c}\u{9f}d").unwrap(), "ab\n\tcd");
        assert_eq!(tags(&strings(&["we\u{0}b", "WEB", "\u{7}", "a\tb"])).unwrap(), strings(&["web", "a b"]));
        // Lengths count what is kept: 200 characters pass however many controls come with them.
        assert!(title(&format!("{}{}", "x".repeat(200), "\u{0}".repeat(500))).is_ok());
        assert!(
            matches!(tags(&[format!("{}\u{7}", "x".repeat(41))]), Err(BoardError::TagTooLong { tag }) if !tag.contains('\u{7}'))
        );
    }

    #[test]
    fn tag_limits() {
        let many: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
        assert!(matches!(tags(&many), Err(BoardError::TooManyTags { count: 33 })));
        assert!(tags(&many[..32]).is_ok());
        assert!(matches!(tags(&["x".repeat(41)]), Err(BoardError::TagTooLong { .. })));
        assert!(tags(&["x".repeat(40)]).is_ok());
        // Duplicates still count towards what one edit may name.
        let repeated = vec!["same".to_owned(); MAX_TAGS_NAMED + 1];
        assert!(matches!(tags(&repeated), Err(BoardError::TooManyTagsNamed { named }) if named == MAX_TAGS_NAMED + 1));
        assert_eq!(tags(&repeated[..MAX_TAGS_NAMED]).unwrap(), strings(&["same"]));
        assert!(matches!(tags(&["y".repeat(60_000)]), Err(BoardError::TagTooLong { .. })));
    }
}
