//! The names people go by in a room and the device keys that keep removed people out, as the
//! room accepts them: the app checks a name with the same rule before it joins. Names follow
//! UTS #39 (via `unicode-security`): no hidden characters, no alphabets mixed to pass for
//! another, and no newcomer who passes for someone present, for the host or for "You".

use unicode_normalization::UnicodeNormalization;
use unicode_security::general_security_profile::IdentifierType;
use unicode_security::{skeleton, GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection};

pub const MAX_NAME_CHARS: usize = 40;

/// Names nobody else may take, nor anything that looks like them: the host's label, and what
/// a window calls its own person's edits.
pub const RESERVED: [&str; 2] = ["Host", "You"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("please type your name")]
    Empty,
    #[error("names can be at most {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("names cannot hold invisible or direction-changing characters (here U+{code:04X}): please type the name again without it", code = u32::from(*.0))]
    Invisible(char),
    #[error("names cannot use \"{0}\" (U+{code:04X}): please type it as an ordinary letter or digit", code = u32::from(*.0))]
    Unusual(char),
    #[error("names cannot mix letters of different alphabets (such as Latin and Cyrillic) that could pass for each other: please type the name in one alphabet")]
    MixedScripts,
    #[error("names need at least one letter or digit")]
    NoLetters,
    #[error("\"{0}\" and names that look like it are kept for the room's own labels: please pick another name")]
    Reserved(&'static str),
    #[error("your name looks too much like \"{0}\", who is in the room: please add an initial or pick another name")]
    LooksLike(String),
}

/// A display name, trimmed, in NFC, with control characters, variation selectors and runs of
/// spaces removed; refused when it hides characters or mixes look-alike alphabets (UTS #39).
pub fn name(raw: &str) -> Result<String, NameError> {
    let cleaned: String = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        // Emoji keyboards add variation selectors: they change no letter, so they go quietly.
        .filter(|&c| !c.is_control() && !is_variation_selector(c))
        .collect();
    match cleaned.chars().count() {
        0 => return Err(NameError::Empty),
        n if n > MAX_NAME_CHARS => return Err(NameError::TooLong),
        _ => {}
    }
    if let Some(hidden) = cleaned.chars().find(|&c| is_invisible(c)) {
        return Err(NameError::Invisible(hidden));
    }
    // Spaces, punctuation and emoji belong to no alphabet; the letters and digits must be
    // ones UTS #39 allows in identifiers, from one alphabet (Latin may join one other that
    // cannot pass for it, as in Japanese or Korean names with Latin initials).
    let letters: String = cleaned.chars().filter(|c| c.is_alphanumeric()).collect();
    if letters.is_empty() {
        return Err(NameError::NoLetters);
    }
    if let Some(unusual) = letters.chars().find(|&c| !c.identifier_allowed()) {
        return Err(NameError::Unusual(unusual));
    }
    if letters.as_str().detect_restriction_level() > RestrictionLevel::ModeratelyRestrictive {
        return Err(NameError::MixedScripts);
    }
    Ok(cleaned)
}

/// Whether a newcomer may go by `name` (as [`name`] cleaned it) among the names of the
/// people `present`: not a [`RESERVED`] name or a look-alike of one, nor a look-alike of
/// someone present. The very same name as someone's is fine: the room numbers namesakes.
pub fn newcomer<'a>(name: &str, present: impl IntoIterator<Item = &'a str>) -> Result<(), NameError> {
    if let Some(reserved) = RESERVED.iter().find(|reserved| alike(reserved, name)) {
        return Err(NameError::Reserved(reserved));
    }
    match present.into_iter().find(|other| *other != name && alike(other, name)) {
        Some(other) => Err(NameError::LooksLike(other.to_owned())),
        None => Ok(()),
    }
}

/// Whether two names could be taken for one another: the same UTS #39 confusable skeleton,
/// ignoring case, accents, spaces and punctuation.
pub fn alike(a: &str, b: &str) -> bool {
    // Skeletons are case-sensitive: a capital I passes for an l but a small one does not, so
    // "MARIA" is Maria's only in lower case; a Cyrillic capital Es passes for a C, a small one
    // for a c only as written. Both readings count; lower case is skeletonised again, since
    // "m" passes for "rn".
    let glance = |name: &str| {
        let lower: String = skeleton(name).flat_map(char::to_lowercase).collect();
        plain(skeleton(&lower))
    };
    let folded = |name: &str| plain(skeleton(&name.to_lowercase()));
    glance(a) == glance(b) || folded(a) == folded(b)
}

/// Letters and digits in lower case: accents (combining marks after a skeleton's NFD), spaces
/// and punctuation go.
fn plain(skeleton: impl Iterator<Item = char>) -> String {
    skeleton.flat_map(char::to_lowercase).filter(|c| c.is_alphanumeric()).collect()
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Characters that show nothing or turn text around: zero-width spaces and joiners, bidi
/// controls and overrides, fillers, and whatever Unicode does not assign.
fn is_invisible(c: char) -> bool {
    // The Braille blank is an ordinary symbol that happens to draw nothing.
    c == '\u{2800}'
        || matches!(
            c.identifier_type(),
            None | Some(IdentifierType::Default_Ignorable | IdentifierType::Deprecated | IdentifierType::Not_Character)
        )
}

/// A browser's (or app's) own random key, kept on that device, by which a removed
/// participant is kept out: 16–64 letters, digits, `-` or `_`.
pub fn device(raw: &str) -> Result<(), DeviceError> {
    let ok = (16..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(DeviceError)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the device key must be 16 to 64 letters, digits, '-' or '_'")]
pub struct DeviceError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_checked() {
        assert_eq!(name("  Ana \t María\n").unwrap(), "Ana María");
        assert_eq!(name("Bo\u{7}b"), Ok("Bob".into()));
        assert_eq!(name("   "), Err(NameError::Empty));
        assert_eq!(name(&"x".repeat(41)), Err(NameError::TooLong));
        assert!(name(&"é".repeat(40)).is_ok());
    }

    #[test]
    fn ordinary_names_in_any_one_alphabet_pass_in_nfc() {
        for ok in [
            "Ana María",
            "O'Brien",
            "Jean-Luc",
            "Zoë",
            "Ana (2)",
            "Иван Петров",
            "Γιώργος",
            "김민준",
            "山田 太郎",
            "やまだ タロウ",
            "محمد",
            "דוד",
            "अनिल",
            "Ana 🎉",
            "Ana ❤\u{FE0F}",
            "R2",
            "Ōsaka Team",
        ] {
            assert!(name(ok).is_ok(), "{ok}: {:?}", name(ok));
        }
        // A decomposed é (e and a combining accent) is stored composed, as a keyboard types it.
        assert_eq!(name("Jose\u{301}"), Ok("Jos\u{E9}".into()));
        assert_eq!(name("Ana ❤\u{FE0F}"), Ok("Ana ❤".into()));
    }

    #[test]
    fn hidden_characters_and_mixed_alphabets_are_refused_saying_what_to_change() {
        assert_eq!(name("Host\u{200B}"), Err(NameError::Invisible('\u{200B}')));
        assert_eq!(name("\u{202E}tsoH"), Err(NameError::Invisible('\u{202E}')));
        assert_eq!(name("Ana\u{2066}"), Err(NameError::Invisible('\u{2066}')));
        assert_eq!(name("Bo\u{200D}b"), Err(NameError::Invisible('\u{200D}')));
        for only_invisible in ["\u{200B}", "\u{3164}", "\u{115F}\u{1160}", "\u{FFA0}", "\u{2800}", "\u{E0041}"] {
            assert!(matches!(name(only_invisible), Err(NameError::Invisible(_))), "{only_invisible:?}");
        }
        assert_eq!(name("\u{E000}"), Err(NameError::Invisible('\u{E000}')), "private use");
        assert_eq!(name("Hоst"), Err(NameError::MixedScripts), "a Cyrillic o");
        assert_eq!(name("Αna"), Err(NameError::MixedScripts), "a Greek capital alpha");
        assert_eq!(name("𝐇𝐨𝐬𝐭"), Err(NameError::Unusual('𝐇')));
        assert_eq!(name("Ｈｏｓｔ"), Err(NameError::Unusual('Ｈ')));
        assert_eq!(name("!!!"), Err(NameError::NoLetters));
        assert_eq!(name("🎉"), Err(NameError::NoLetters));
        let told = NameError::Invisible('\u{200B}').to_string();
        assert!(told.contains("U+200B") && told.contains("without it"), "{told}");
    }

    #[test]
    fn nobody_new_passes_for_the_host_for_you_or_for_someone_present() {
        let present = ["Maria", "Ana", "Bo Li", "Coco", "Ella"];
        let newcomer = |raw: &str| name(raw).and_then(|cleaned| newcomer(&cleaned, present));
        for host in
            ["Host", "host", "HOST", "H0st", "Hóst", "Host.", "H o s t", "Host 🎉", "\u{41D}\u{41E}\u{405}\u{422}"]
        {
            assert_eq!(newcomer(host), Err(NameError::Reserved("Host")), "{host:?}");
        }
        for you in ["You", "you", "YOU!", "Y-o-u", "Yoü"] {
            assert_eq!(newcomer(you), Err(NameError::Reserved("You")), "{you:?}");
        }
        assert_eq!(newcomer("Yоu"), Err(NameError::MixedScripts), "a Cyrillic o is refused as mixing");
        assert_eq!(newcomer("Ηost"), Err(NameError::MixedScripts), "and so is a Greek eta");
        let cyrillic = "\u{421}\u{43E}\u{441}\u{43E}";
        assert_eq!(newcomer(cyrillic), Err(NameError::LooksLike("Coco".into())), "all Cyrillic, one alphabet");
        assert_eq!(newcomer("ana"), Err(NameError::LooksLike("Ana".into())));
        assert_eq!(newcomer("Marla"), Ok(()), "l is not i");
        assert_eq!(newcomer("EIIa"), Err(NameError::LooksLike("Ella".into())), "a capital I passes for an l");
        assert_eq!(newcomer("Bo-Li"), Err(NameError::LooksLike("Bo Li".into())));
        assert_eq!(newcomer("Ana"), Ok(()), "a namesake: the room numbers them");
        assert_eq!(newcomer("Anabel"), Ok(()));
        assert!(newcomer("Hosta").is_ok() && newcomer("Yousef").is_ok());
        let told = NameError::LooksLike("Ana".into()).to_string();
        assert!(told.contains("\"Ana\"") && told.contains("add an initial"), "{told}");
    }

    #[test]
    fn look_alikes_are_alike_in_any_case() {
        assert!(alike("rn", "m"));
        assert!(alike("SAM", "Sam") && alike("MARIA", "Maria") && alike("Sam", "sarn"));
        assert!(alike("l1I|", "llll"));
        assert!(alike("\u{421}\u{41E}\u{421}\u{41E}", "COCO"));
        assert!(!alike("Ana", "Anna") && !alike("Ana", "Ama"));
    }

    #[test]
    fn device_keys_are_checked() {
        assert!(device("0123456789abcdef").is_ok());
        assert!(device(&"x".repeat(64)).is_ok());
        assert_eq!(device("short"), Err(DeviceError));
        assert_eq!(device(&"x".repeat(65)), Err(DeviceError));
        assert_eq!(device("0123456789abcdef "), Err(DeviceError));
    }
}
