//! Size limits on what a card may hold, and the normalisation of user text.
//! Kept in one place so the UI, the model's tools and remote participants all meet the same rules.

use crate::edit::BoardError;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NOTES_CHARS: usize = 8_000;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_CHARS: usize = 40;
/// The most tags one edit may name (the card's own plus the new ones), duplicates and blanks
/// included: past this it is refused before any other work, so no edit costs more than a
/// few hundred short comparisons.
pub const MAX_TAGS_NAMED: usize = 4 * MAX_TAGS;

/// Trims a title and checks it is present and short enough.
pub fn title(raw: &str) -> Result<String, BoardError> {
    let title = raw.trim();
    if title.is_empty() {
        return Err(BoardError::EmptyTitle);
    }
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        return Err(BoardError::TitleTooLong { chars });
    }
    Ok(title.to_owned())
}

/// Trims notes and checks their length.
pub fn notes(raw: &str) -> Result<String, BoardError> {
    let notes = raw.trim();
    let chars = notes.chars().count();
    if chars > MAX_NOTES_CHARS {
        return Err(BoardError::NotesTooLong { chars });
    }
    Ok(notes.to_owned())
}

/// Merges `added` into `existing`: each tag trimmed, blanks dropped, duplicates
/// (ignoring case) dropped with the first spelling kept. Linear in the input, and the
/// number of tags is checked before anything else.
pub fn merge_tags(existing: &[String], added: &[String]) -> Result<Vec<String>, BoardError> {
    let named = existing.len() + added.len();
    if named > MAX_TAGS_NAMED {
        return Err(BoardError::TooManyTagsNamed { named });
    }
    let mut tags: Vec<String> = Vec::with_capacity(named.min(MAX_TAGS + 1));
    let mut seen = std::collections::HashSet::with_capacity(named);
    for raw in existing.iter().chain(added) {
        let tag = raw.trim();
        if tag.is_empty() {
            continue;
        }
        // Stops at the first character past the limit, however long the tag is.
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
