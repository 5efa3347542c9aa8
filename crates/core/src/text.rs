//! Text shared by every module: normalising user-typed names, HTML escaping.

use unicode_normalization::UnicodeNormalization;

use crate::{ApiError, ApiResult};

/// NFKC, then lowercase: `Ｂob`, `BOB` and `bob` are one username.
pub fn fold(input: &str) -> String {
    input
        .trim()
        .nfkc()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfkc()
        .collect()
}

/// Usernames, after folding: 3 to 32 of `a-z 0-9 _`, starting with a letter.
pub fn validate_username(folded: &str) -> ApiResult<()> {
    let len = folded.chars().count();
    if !(3..=32).contains(&len) {
        return Err(ApiError::validation("username", "must be 3 to 32 characters"));
    }
    if !folded.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(ApiError::validation("username", "must start with a letter"));
    }
    if !folded
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ApiError::validation(
            "username",
            "may contain only letters a-z, digits and _",
        ));
    }
    Ok(())
}

/// Bidirectional formatting characters (marks, embeddings, overrides, isolates): in a name
/// they make one name read as another (`U+202E` turns `evil` around).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing by themselves: whitespace, format characters (zero-width
/// spaces and joiners, bidi controls, the byte-order mark, tags), variation selectors, and the
/// blanks people use to fake emptiness (Hangul fillers, the braille blank).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || is_bidi_control(c)
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Whether `text` shows anything: at least one character that is not [`is_invisible`].
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !is_invisible(c))
}

/// `text` safe inside HTML text and attribute values (the pages and email a module writes).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_only_text_and_bidi_controls() {
        for blank in [
            "",
            " \n\t",
            "\u{200B}\u{200D}",
            "\u{3164}",
            "\u{2800}\u{FEFF}",
            "\u{202E}\u{2066}",
            "\u{E0041}",
        ] {
            assert!(!has_visible(blank), "{blank:?}");
        }
        for shown in ["a", "\u{200B}a", "👍", "я", "\u{0301}x"] {
            assert!(has_visible(shown), "{shown:?}");
        }
        assert!("ev\u{202E}il".chars().any(is_bidi_control));
        assert!(
            !"שלום Hello".chars().any(is_bidi_control),
            "right-to-left letters are not controls"
        );
    }

    #[test]
    fn folds_case_and_compatibility_forms() {
        assert_eq!(fold("Alice"), "alice");
        assert_eq!(fold("ＡＬＩＣＥ"), "alice"); // full-width
        assert_eq!(fold("\u{212A}elvin"), "kelvin"); // KELVIN SIGN
        assert_eq!(fold("  bob "), "bob");
    }

    #[test]
    fn usernames() {
        assert!(validate_username("alice_1").is_ok());
        for bad in ["al", "1alice", "alice-b", "алиса", &"a".repeat(33)] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }
}
