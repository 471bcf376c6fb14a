//! The languages a meeting can be held in: those the input transcription knows, each with
//! its ISO 639-1 code (what the transcription takes), its English name (what the
//! instructions say) and its own name (what a person picks from). Plain Rust, no I/O.

/// One meeting language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    pub code: &'static str,
    pub english: &'static str,
    /// The language's name in itself: "Deutsch", "日本語".
    pub own: &'static str,
}

const fn language(code: &'static str, english: &'static str, own: &'static str) -> Language {
    Language { code, english, own }
}

/// The languages the transcription model transcribes well (OpenAI's list for its
/// speech-to-text models); English first, the default where nothing else is known.
pub const LANGUAGES: [Language; 57] = [
    language("en", "English", "English"),
    language("af", "Afrikaans", "Afrikaans"),
    language("ar", "Arabic", "العربية"),
    language("hy", "Armenian", "Հայերեն"),
    language("az", "Azerbaijani", "Azərbaycan dili"),
    language("be", "Belarusian", "Беларуская"),
    language("bs", "Bosnian", "Bosanski"),
    language("bg", "Bulgarian", "Български"),
    language("ca", "Catalan", "Català"),
    language("zh", "Chinese", "中文"),
    language("hr", "Croatian", "Hrvatski"),
    language("cs", "Czech", "Čeština"),
    language("da", "Danish", "Dansk"),
    language("nl", "Dutch", "Nederlands"),
    language("et", "Estonian", "Eesti"),
    language("fi", "Finnish", "Suomi"),
    language("fr", "French", "Français"),
    language("gl", "Galician", "Galego"),
    language("de", "German", "Deutsch"),
    language("el", "Greek", "Ελληνικά"),
    language("he", "Hebrew", "עברית"),
    language("hi", "Hindi", "हिन्दी"),
    language("hu", "Hungarian", "Magyar"),
    language("is", "Icelandic", "Íslenska"),
    language("id", "Indonesian", "Bahasa Indonesia"),
    language("it", "Italian", "Italiano"),
    language("ja", "Japanese", "日本語"),
    language("kn", "Kannada", "ಕನ್ನಡ"),
    language("kk", "Kazakh", "Қазақ тілі"),
    language("ko", "Korean", "한국어"),
    language("lv", "Latvian", "Latviešu"),
    language("lt", "Lithuanian", "Lietuvių"),
    language("mk", "Macedonian", "Македонски"),
    language("ms", "Malay", "Bahasa Melayu"),
    language("mr", "Marathi", "मराठी"),
    language("mi", "Maori", "Māori"),
    language("ne", "Nepali", "नेपाली"),
    language("no", "Norwegian", "Norsk"),
    language("fa", "Persian", "فارسی"),
    language("pl", "Polish", "Polski"),
    language("pt", "Portuguese", "Português"),
    language("ro", "Romanian", "Română"),
    language("ru", "Russian", "Русский"),
    language("sr", "Serbian", "Српски"),
    language("sk", "Slovak", "Slovenčina"),
    language("sl", "Slovenian", "Slovenščina"),
    language("es", "Spanish", "Español"),
    language("sw", "Swahili", "Kiswahili"),
    language("sv", "Swedish", "Svenska"),
    language("tl", "Tagalog", "Tagalog"),
    language("ta", "Tamil", "தமிழ்"),
    language("th", "Thai", "ไทย"),
    language("tr", "Turkish", "Türkçe"),
    language("uk", "Ukrainian", "Українська"),
    language("ur", "Urdu", "اردو"),
    language("vi", "Vietnamese", "Tiếng Việt"),
    language("cy", "Welsh", "Cymraeg"),
];

pub const ENGLISH: Language = LANGUAGES[0];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a meeting language: give a two-letter code such as en, de, fr, es or ja")]
pub struct UnknownLanguage(pub String);

impl Language {
    /// The language with this ISO 639-1 code, in any case.
    pub fn from_code(code: &str) -> Result<Language, UnknownLanguage> {
        let wanted = code.trim().to_ascii_lowercase();
        LANGUAGES.iter().copied().find(|l| l.code == wanted).ok_or_else(|| UnknownLanguage(code.trim().to_owned()))
    }

    /// The language of a system locale ("de_DE.UTF-8", "pt-BR", "nb_NO"), if it is one of
    /// the meeting languages; "C" and "POSIX" name none.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let code = locale.split(['_', '-', '.', '@']).next()?.to_ascii_lowercase();
        // Norway's two written forms are both Norwegian to the transcription.
        let code = match code.as_str() {
            "nb" | "nn" => "no",
            other => other,
        };
        LANGUAGES.iter().copied().find(|l| l.code == code)
    }
}

/// The language of this system's locale, as POSIX picks the locale for messages (the first
/// of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set), if it is a meeting language.
pub fn of_environment(env: impl Fn(&str) -> Option<String>) -> Option<Language> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find_map(|var| env(var).filter(|value| !value.is_empty()))
        .and_then(|locale| Language::from_locale(&locale))
}

impl Default for Language {
    fn default() -> Self {
        ENGLISH
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.english, self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_two_letter_lowercase() {
        let mut codes: Vec<&str> = LANGUAGES.iter().map(|l| l.code).collect();
        assert!(codes.iter().all(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_lowercase())));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), LANGUAGES.len());
    }

    #[test]
    fn a_code_or_a_locale_names_a_language() {
        assert_eq!(Language::from_code(" DE ").unwrap().own, "Deutsch");
        assert_eq!(
            Language::from_code("xx").unwrap_err().to_string().split(':').next(),
            Some("\"xx\" is not a meeting language")
        );
        assert_eq!(Language::from_locale("de_DE.UTF-8").unwrap().code, "de");
        assert_eq!(Language::from_locale("pt-BR").unwrap().english, "Portuguese");
        assert_eq!(Language::from_locale("nb_NO.UTF-8").unwrap().code, "no");
        assert_eq!(Language::from_locale("C"), None);
        assert_eq!(Language::from_locale("POSIX"), None);
        assert_eq!(Language::from_locale(""), None);
    }

    #[test]
    fn the_environment_names_the_locale_as_posix_does() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(var, _)| *var == name).map(|(_, value)| value.to_string())
        };
        assert_eq!(of_environment(env(&[("LANG", "fr_FR.UTF-8")])).unwrap().code, "fr");
        assert_eq!(of_environment(env(&[("LANG", "fr_FR.UTF-8"), ("LC_MESSAGES", "ja_JP.UTF-8")])).unwrap().code, "ja");
        assert_eq!(of_environment(env(&[("LANG", "fr_FR.UTF-8"), ("LC_ALL", "C")])), None, "LC_ALL wins, even as C");
        assert_eq!(
            of_environment(env(&[("LANG", "fr_FR.UTF-8"), ("LC_ALL", "")])).unwrap().code,
            "fr",
            "empty is unset"
        );
        assert_eq!(of_environment(env(&[])), None);
    }
}
