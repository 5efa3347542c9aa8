//! Message bodies' formatting: entities with offsets and lengths in UTF-16 code units, as in
//! Telegram, so the Bot API maps them one to one. Chats validates them (its `body.rs`); the
//! bots service reads and writes them through [`ChatActions`](crate::ChatActions).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// `@username`; the server fills `user_id` when the name is known.
    Mention,
    Hashtag,
    /// `/command` or `/command@botname`; the server marks those people write.
    BotCommand,
    Url,
    Email,
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    /// A code block; `language` optional.
    Pre,
    /// Text that links to `url`.
    TextLink,
    /// A mention of `user_id` by any text.
    TextMention,
    /// A quoted passage.
    Blockquote,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entity {
    #[serde(rename = "type")]
    pub kind: EntityKind,
    /// In UTF-16 code units from the start of the text.
    pub offset: i64,
    /// In UTF-16 code units.
    pub length: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl Entity {
    /// An entity of `kind` over `length` units from `offset`, without a URL, user or language.
    pub fn new(kind: EntityKind, offset: i64, length: i64) -> Entity {
        Entity {
            kind,
            offset,
            length,
            url: None,
            user_id: None,
            language: None,
        }
    }
}
