//! Message bodies: text plus entities with offsets and lengths in UTF-16 code units, as in
//! Telegram, so the Bot API maps them one to one.

use hybrid_core::{ApiError, ApiResult};
use unicode_normalization::UnicodeNormalization;

pub const MAX_ENTITIES: usize = 100;

pub use hybrid_chats_api::body::{Entity, EntityKind};

/// Length of `text` in UTF-16 code units.
pub fn utf16_len(text: &str) -> i64 {
    text.chars().map(|c| c.len_utf16() as i64).sum()
}

/// The substring at a UTF-16 range (which must be valid).
pub fn utf16_slice(text: &str, offset: i64, length: i64) -> &str {
    let mut units = 0i64;
    let (mut start, mut end) = (text.len(), text.len());
    for (i, c) in text.char_indices() {
        if units == offset {
            start = i;
        }
        if units == offset + length {
            end = i;
            break;
        }
        units += c.len_utf16() as i64;
    }
    &text[start.min(end)..end]
}

/// Checks text and entities; returns the entities sorted, with mentions found in the text that
/// no entity covered added.
pub fn validate(text: &str, mut entities: Vec<Entity>, max_len: i64) -> ApiResult<Vec<Entity>> {
    let len = utf16_len(text);
    if !hybrid_core::text::has_visible(text) {
        return Err(ApiError::validation("text", "must contain visible characters"));
    }
    if len > max_len {
        return Err(ApiError::validation(
            "text",
            format!("must be at most {max_len} UTF-16 code units"),
        ));
    }
    if entities.len() > MAX_ENTITIES {
        return Err(ApiError::validation(
            "entities",
            format!("at most {MAX_ENTITIES} entities"),
        ));
    }
    // Offsets that split a surrogate pair are invalid: collect the boundaries.
    let mut boundaries = Vec::with_capacity(text.len() + 1);
    let mut units = 0i64;
    for c in text.chars() {
        boundaries.push(units);
        units += c.len_utf16() as i64;
    }
    boundaries.push(units);
    for (i, entity) in entities.iter_mut().enumerate() {
        let field = format!("entities[{i}]");
        let end = entity.offset.checked_add(entity.length).unwrap_or(i64::MAX);
        if entity.offset < 0 || entity.length <= 0 || end > len {
            return Err(ApiError::validation(
                &field,
                "offset and length must lie within the text",
            ));
        }
        if boundaries.binary_search(&entity.offset).is_err() || boundaries.binary_search(&end).is_err() {
            return Err(ApiError::validation(
                &field,
                "offset and length must not split a character",
            ));
        }
        match entity.kind {
            EntityKind::TextLink => {
                let url = entity.url.as_deref().unwrap_or("");
                if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with("tg://"))
                    || url.len() > 2048
                {
                    return Err(ApiError::validation(&field, "text_link needs an http(s) url"));
                }
            }
            EntityKind::TextMention if entity.user_id.is_none() => {
                return Err(ApiError::validation(&field, "text_mention needs user_id"));
            }
            EntityKind::Mention => {
                if !utf16_slice(text, entity.offset, entity.length).starts_with('@') {
                    return Err(ApiError::validation(&field, "a mention covers @username"));
                }
                entity.user_id = None; // resolved by the server
            }
            _ => {}
        }
        if entity.kind != EntityKind::TextLink {
            entity.url = None;
        }
        if entity.kind != EntityKind::Pre {
            entity.language = None;
        }
        if let Some(language) = &entity.language
            && (language.len() > 32
                || !language
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+#-._".contains(c)))
        {
            return Err(ApiError::validation(
                &field,
                "language: up to 32 of a-z, 0-9, +, #, -, ., _",
            ));
        }
        if entity.kind != EntityKind::TextMention && entity.kind != EntityKind::Mention {
            entity.user_id = None;
        }
    }
    for (offset, length) in find_mentions(text) {
        let covered = entities.iter().any(|e| {
            matches!(
                e.kind,
                EntityKind::Mention | EntityKind::TextMention | EntityKind::Code | EntityKind::Pre
            ) && e.offset <= offset
                && e.offset + e.length >= offset + length
        });
        if !covered && entities.len() < MAX_ENTITIES {
            entities.push(Entity {
                kind: EntityKind::Mention,
                offset,
                length,
                url: None,
                user_id: None,
                language: None,
            });
        }
    }
    for (offset, length) in find_commands(text) {
        let covered = entities.iter().any(|e| {
            matches!(e.kind, EntityKind::BotCommand | EntityKind::Code | EntityKind::Pre)
                && e.offset <= offset
                && e.offset + e.length >= offset + length
        });
        if !covered && entities.len() < MAX_ENTITIES {
            entities.push(Entity {
                kind: EntityKind::BotCommand,
                offset,
                length,
                url: None,
                user_id: None,
                language: None,
            });
        }
    }
    entities.sort_by_key(|e| (e.offset, -e.length));
    Ok(entities)
}

/// `/command` and `/command@botname` spans (UTF-16 offset, length), as Telegram marks them for
/// bots: a slash at the start of the text or after a space, then 1 to 32 of `a-z0-9_`
/// (any case), then an optional `@name`; the span ends at a space or the end of the text.
pub fn find_commands(text: &str) -> Vec<(i64, i64)> {
    let word = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut units = 0i64;
    for (i, c) in chars.iter().enumerate() {
        if *c == '/' && (i == 0 || chars[i - 1].is_whitespace()) {
            let name = chars[i + 1..].iter().take_while(|c| word(c)).count();
            let mut end = i + 1 + name;
            if chars.get(end) == Some(&'@') {
                let bot = chars[end + 1..].iter().take_while(|c| word(c)).count();
                if (3..=32).contains(&bot) {
                    end += 1 + bot;
                }
            }
            let ends_word = chars.get(end).is_none_or(|c| c.is_whitespace());
            if (1..=32).contains(&name) && ends_word {
                found.push((units, (end - i) as i64));
            }
        }
        units += c.len_utf16() as i64;
    }
    found
}

/// `@name` spans (UTF-16 offset, length) that look like usernames.
pub fn find_mentions(text: &str) -> Vec<(i64, i64)> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut units = 0i64;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '@' && starts_word {
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                .collect();
            if (3..=32).contains(&name.len()) && name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                found.push((units, 1 + name.len() as i64));
            }
        }
        units += c.len_utf16() as i64;
        i += 1;
    }
    found
}

/// Text as the search index and queries see it: NFKC, lowercase, `ё` as `е`, and only letters
/// and digits as words (so SQLite and PostgreSQL split `https://example.com` alike).
pub fn normalize_for_search(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ё' => 'е',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect()
}

/// The words of a search query, normalised; at most 8.
pub fn query_terms(query: &str) -> Vec<String> {
    normalize_for_search(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(8)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: EntityKind, offset: i64, length: i64) -> Entity {
        Entity::new(kind, offset, length)
    }

    #[test]
    fn utf16_units() {
        assert_eq!(utf16_len("hi"), 2);
        assert_eq!(utf16_len("привет"), 6);
        assert_eq!(utf16_len("👍"), 2);
        assert_eq!(utf16_slice("a👍b", 1, 2), "👍");
        assert_eq!(utf16_slice("a👍b", 3, 1), "b");
    }

    #[test]
    fn entities_are_checked() {
        let ok = validate("hello 👍 world", vec![entity(EntityKind::Bold, 9, 5)], 4096).unwrap();
        assert_eq!(ok[0].offset, 9);
        assert!(validate("hi", vec![entity(EntityKind::Bold, 1, 5)], 4096).is_err());
        assert!(validate("hi", vec![entity(EntityKind::Bold, -1, 1)], 4096).is_err());
        assert!(validate("hi", vec![entity(EntityKind::Bold, 0, 0)], 4096).is_err());
        // splitting the emoji's surrogate pair
        assert!(validate("a👍", vec![entity(EntityKind::Bold, 2, 1)], 4096).is_err());
        assert!(validate("link", vec![entity(EntityKind::TextLink, 0, 4)], 4096).is_err());
        assert!(validate("   ", vec![], 4096).is_err());
        assert!(validate(&"x".repeat(11), vec![], 10).is_err());
    }

    #[test]
    fn mentions_are_found() {
        let text = "hi @alice and @Bob_1, not a@b or @x";
        assert_eq!(find_mentions(text), vec![(3, 6), (14, 6)]);
        let entities = validate("ты @alice?", vec![], 4096).unwrap();
        assert_eq!(
            entities,
            vec![Entity {
                kind: EntityKind::Mention,
                offset: 3,
                length: 6,
                url: None,
                user_id: None,
                language: None
            }]
        );
    }

    #[test]
    fn commands_are_found() {
        // "👋" is two UTF-16 units; a path, a fraction and an over-long name are not commands
        let text = "/start now 👋 /help@echo_bot and a/b or 1/2 /x-y /";
        assert_eq!(find_commands(text), vec![(0, 6), (14, 14)]);
        assert!(find_commands(&format!("/{}", "a".repeat(33))).is_empty());
        let entities = validate("/start@echo_bot", vec![], 4096).unwrap();
        assert_eq!(entities.len(), 1, "a command, and its @name no mention: {entities:?}");
        assert_eq!(
            (entities[0].kind, entities[0].offset, entities[0].length),
            (EntityKind::BotCommand, 0, 15)
        );
        // inside code it stays text
        let code = validate("/start", vec![entity(EntityKind::Code, 0, 6)], 4096).unwrap();
        assert_eq!(code.len(), 1);
    }

    #[test]
    fn search_normalisation() {
        assert_eq!(normalize_for_search("Ёлка ＡＢＣ"), "елка abc");
        assert_eq!(normalize_for_search("see https://ex.com!"), "see https   ex com ");
        assert_eq!(query_terms("Ёжик, в тумане!"), vec!["ежик", "в", "тумане"]);
    }
}

/// Properties of the body parser over arbitrary text and entities (proptest, 512 cases each):
/// it never panics, and what it accepts is well formed.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    const KINDS: [EntityKind; 14] = [
        EntityKind::Mention,
        EntityKind::Hashtag,
        EntityKind::BotCommand,
        EntityKind::Url,
        EntityKind::Email,
        EntityKind::Bold,
        EntityKind::Italic,
        EntityKind::Underline,
        EntityKind::Strikethrough,
        EntityKind::Spoiler,
        EntityKind::Code,
        EntityKind::Pre,
        EntityKind::TextLink,
        EntityKind::TextMention,
    ];

    /// Text with what breaks naive parsers: astral characters (surrogate pairs in UTF-16),
    /// combining marks, `@` names, controls and whitespace.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9_ ]{1,8}",
            Just("@alice".to_owned()),
            Just("😀".to_owned()),
            Just("e\u{301}".to_owned()),
            Just("ё".to_owned()),
            Just("\u{200b}\n\t".to_owned()),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    fn entity() -> impl Strategy<Value = Entity> {
        (
            0..KINDS.len(),
            -2i64..80,
            -2i64..40,
            prop::option::of(prop_oneof![Just("https://x.org".to_owned()), "[a-z:/.]{0,12}"]),
            prop::option::of(any::<i64>()),
            prop::option::of("[a-z+#.]{0,40}"),
        )
            .prop_map(|(kind, offset, length, url, user_id, language)| Entity {
                kind: KINDS[kind],
                offset,
                length,
                url,
                user_id,
                language,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn accepted_entities_lie_on_characters_of_the_text(
            text in text(),
            entities in prop::collection::vec(entity(), 0..6),
        ) {
            let Ok(accepted) = validate(&text, entities, 4096) else { return Ok(()) };
            let len = utf16_len(&text);
            prop_assert!(accepted.len() <= MAX_ENTITIES);
            prop_assert!(accepted.windows(2).all(|w| (w[0].offset, -w[0].length) <= (w[1].offset, -w[1].length)));
            for entity in &accepted {
                prop_assert!(entity.offset >= 0 && entity.length > 0 && entity.offset + entity.length <= len);
                // on character boundaries: the slice has exactly the entity's length
                prop_assert_eq!(utf16_len(utf16_slice(&text, entity.offset, entity.length)), entity.length);
                if entity.kind == EntityKind::Mention {
                    prop_assert!(utf16_slice(&text, entity.offset, entity.length).starts_with('@'));
                    prop_assert_eq!(entity.user_id, None, "the server resolves mentions");
                }
                prop_assert!(entity.url.is_none() || entity.kind == EntityKind::TextLink);
            }
        }

        #[test]
        fn found_mentions_are_at_names_in_the_text(text in text()) {
            for (offset, length) in find_mentions(&text) {
                let name = utf16_slice(&text, offset, length);
                prop_assert_eq!(utf16_len(name), length);
                prop_assert!(name.starts_with('@') && (4..=33).contains(&name.len()), "{name:?}");
            }
        }

        #[test]
        fn search_terms_are_words(query in text()) {
            let terms = query_terms(&query);
            prop_assert!(terms.len() <= 8);
            for term in terms {
                prop_assert!(!term.is_empty() && term.chars().all(char::is_alphanumeric), "{term:?}");
            }
        }
    }
}
