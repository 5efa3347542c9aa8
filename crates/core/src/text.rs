//! Text normalisation shared by every module that compares user-typed names.

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

#[cfg(test)]
mod tests {
    use super::*;

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
