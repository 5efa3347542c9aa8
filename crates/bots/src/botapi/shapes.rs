//! How Hybrid's objects look in the Bot API: the one place that maps them (docs/bots.md,
//! "Shapes").
//!
//! - **Ids** are integers. A user is their Hybrid user id. A private chat's `chat.id` is the
//!   other user's id (as in Telegram); a group is `-(10^12 + chat id)` typed `supergroup`, a
//!   channel the same typed `channel` (Telegram's `-100…` ids keep the same sign and look).
//! - **`message_id`** is the message's `seq` in its chat.
//! - **Dates** are Unix seconds (libraries break on milliseconds).
//! - **Names**: `first_name` is the display name, or the username when it is empty; Hybrid has
//!   no last names.
//! - **Entities** keep their UTF-16 offsets; Hybrid's kinds are Telegram's names. A mention's
//!   resolved user stays on Hybrid's side; a `text_mention` carries its user.

use std::collections::HashMap;

use hybrid_chats_api::body::{Entity, EntityKind};
use hybrid_chats_api::{ChatMessage, InviteView, MemberView};
use hybrid_users_api::UserCard;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::file_ids::{FileIds, FileRef, unique_id};

/// Groups and channels are `-(CHAT_ID_BASE + id)`.
pub const CHAT_ID_BASE: i64 = 1_000_000_000_000;

/// A chat a bot names by its Bot API id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRef {
    /// A Hybrid group or channel.
    Chat(i64),
    /// The private chat with this user.
    User(i64),
}

impl ChatRef {
    /// What a Bot API `chat_id` names; `None` for ids that can be no Hybrid chat.
    pub fn parse(id: i64) -> Option<ChatRef> {
        if id > 0 {
            Some(ChatRef::User(id))
        } else if id < -CHAT_ID_BASE {
            Some(ChatRef::Chat(-id - CHAT_ID_BASE))
        } else {
            None
        }
    }
}

/// The Bot API id of a Hybrid group or channel.
pub fn group_id(chat_id: i64) -> i64 {
    -(CHAT_ID_BASE + chat_id)
}

/// Unix seconds from Unix milliseconds.
pub fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// What rendering a chat needs: its kind, title, and for a private chat the other member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMeta {
    pub chat_id: i64,
    /// `direct`, `group` or `channel`.
    pub kind: String,
    pub title: String,
    pub peer_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// getMe only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_join_groups: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_read_all_group_messages: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_inline_queries: Option<bool>,
}

impl User {
    pub fn of(card: &UserCard) -> User {
        User {
            id: card.id,
            is_bot: card.is_bot,
            first_name: first_name(card),
            username: Some(card.username.clone()),
            can_join_groups: None,
            can_read_all_group_messages: None,
            supports_inline_queries: None,
        }
    }

    /// A user whose card could not be read (a deleted account).
    fn unknown(id: i64) -> User {
        User {
            id,
            is_bot: false,
            first_name: "Deleted Account".into(),
            username: None,
            can_join_groups: None,
            can_read_all_group_messages: None,
            supports_inline_queries: None,
        }
    }
}

fn first_name(card: &UserCard) -> String {
    if card.display_name.trim().is_empty() {
        card.username.clone()
    } else {
        card.display_name.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chat {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// getChat only: the group's or channel's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Chat {
    pub fn of(meta: &ChatMeta, cards: &Cards) -> Chat {
        match (meta.kind.as_str(), meta.peer_id) {
            ("direct", Some(peer)) => {
                let card = cards.get(&peer);
                Chat {
                    id: peer,
                    kind: "private",
                    title: None,
                    username: card.map(|c| c.username.clone()),
                    first_name: Some(card.map_or_else(|| "Deleted Account".into(), first_name)),
                    description: None,
                }
            }
            (kind, _) => Chat {
                id: group_id(meta.chat_id),
                kind: if kind == "channel" { "channel" } else { "supergroup" },
                title: Some(meta.title.clone()),
                username: None,
                first_name: None,
                description: None,
            },
        }
    }
}

/// Users' cards by id, for rendering.
pub type Cards = HashMap<i64, UserCard>;

pub fn user(cards: &Cards, id: i64) -> User {
    cards.get(&id).map_or_else(|| User::unknown(id), User::of)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageEntity {
    #[serde(rename = "type")]
    pub kind: String,
    pub offset: i64,
    pub length: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<EntityUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The user of a `text_mention`: bots send only the id; Hybrid sends the whole user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EntityUser {
    Full(User),
    Id { id: i64 },
}

impl EntityUser {
    fn id(&self) -> i64 {
        match self {
            EntityUser::Full(user) => user.id,
            EntityUser::Id { id } => *id,
        }
    }
}

const KINDS: &[(EntityKind, &str)] = &[
    (EntityKind::Mention, "mention"),
    (EntityKind::Hashtag, "hashtag"),
    (EntityKind::BotCommand, "bot_command"),
    (EntityKind::Url, "url"),
    (EntityKind::Email, "email"),
    (EntityKind::Bold, "bold"),
    (EntityKind::Italic, "italic"),
    (EntityKind::Underline, "underline"),
    (EntityKind::Strikethrough, "strikethrough"),
    (EntityKind::Spoiler, "spoiler"),
    (EntityKind::Code, "code"),
    (EntityKind::Pre, "pre"),
    (EntityKind::TextLink, "text_link"),
    (EntityKind::TextMention, "text_mention"),
    (EntityKind::Blockquote, "blockquote"),
];

/// Hybrid's entities as the Bot API's.
pub fn entities_out(entities: &[Entity], cards: &Cards) -> Vec<MessageEntity> {
    entities
        .iter()
        .filter_map(|entity| {
            let kind = KINDS.iter().find(|(k, _)| *k == entity.kind)?.1;
            let user = (entity.kind == EntityKind::TextMention)
                .then(|| entity.user_id.map(|id| EntityUser::Full(user(cards, id))))
                .flatten();
            Some(MessageEntity {
                kind: kind.to_owned(),
                offset: entity.offset,
                length: entity.length,
                url: entity.url.clone(),
                user,
                language: entity.language.clone(),
            })
        })
        .collect()
}

/// A bot's entities as Hybrid's: kinds Hybrid does not draw (`cashtag`, `phone_number`,
/// `custom_emoji` …) are dropped, an expandable blockquote is a blockquote.
pub fn entities_in(entities: Vec<MessageEntity>) -> Vec<Entity> {
    entities
        .into_iter()
        .filter_map(|entity| {
            let name = if entity.kind == "expandable_blockquote" {
                "blockquote"
            } else {
                entity.kind.as_str()
            };
            let kind = KINDS.iter().find(|(_, n)| *n == name)?.0;
            Some(Entity {
                kind,
                offset: entity.offset,
                length: entity.length,
                url: entity.url,
                user_id: entity.user.as_ref().map(EntityUser::id),
                language: entity.language,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub message_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<User>,
    /// A channel post's sender: the channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_chat: Option<Chat>,
    pub date: i64,
    pub chat: Chat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_origin: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_message: Option<Box<Message>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<MessageEntity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<Value>,
    /// What a service message says (`new_chat_members`, `left_chat_member`, …).
    #[serde(flatten)]
    pub service: Option<Service>,
    /// The file it carries (`photo`, `document`, …); its text is then the `caption`.
    #[serde(flatten)]
    pub media: MediaFields,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caption_entities: Vec<MessageEntity>,
}

/// A message's file as the Bot API's fields for its kind (an animation has `document` too,
/// as in Telegram).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MediaFields {
    /// Every size, smallest first, the original last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub animation: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<Value>,
}

impl MediaFields {
    pub fn is_empty(&self) -> bool {
        *self == MediaFields::default()
    }
}

/// A file card's preview (the files service's), the parts read here.
#[derive(Debug, Default, Deserialize)]
struct FilePreview {
    #[serde(default)]
    name: String,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    media: Option<hybrid_files_api::MediaCard>,
}

/// The Bot API fields for the file a message of `chat_id`/`seq` carries, with file ids for
/// `files`' bot. `sent_as` is the method's kind when a bot sent it (`document` for a picture
/// sent with sendDocument, as in Telegram); people's files go by their type. Empty for a card
/// of another service's.
pub fn media_fields(card: &Value, chat_id: i64, seq: i64, files: &FileIds, sent_as: Option<&str>) -> MediaFields {
    let mut fields = MediaFields::default();
    if card.get("service").and_then(Value::as_str) != Some(hybrid_files_api::SERVICE) {
        return fields;
    }
    let Some(file) = card
        .get("object_id")
        .and_then(Value::as_str)
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return fields;
    };
    let preview: FilePreview = card
        .get("preview")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .unwrap_or_default();
    let media = preview.media.as_ref().filter(|m| m.state == "ready");
    let via = Some((chat_id, seq));
    let size = |side: u32, width: u32, height: u32| {
        json!({
            "file_id": files.id(FileRef { file, side, via }),
            "file_unique_id": unique_id(file, side),
            "width": width,
            "height": height,
        })
    };
    let content_type = preview.content_type.as_str();
    let (width, height) = media.map_or((None, None), |m| (m.width, m.height));
    let thumbnails = media.map(|m| &m.thumbnails[..]).unwrap_or_default();
    let thumbnail = thumbnails.first().map(|t| size(t.side, t.width, t.height));
    let mut whole = json!({
        "file_id": files.id(FileRef { file, side: 0, via }),
        "file_unique_id": unique_id(file, 0),
        "file_size": preview.size,
    });
    let seconds = media.and_then(|m| m.duration_ms).map_or(0, |ms| (ms + 500) / 1000);
    let picture = matches!(content_type, "image/jpeg" | "image/png" | "image/webp");
    let kind = sent_as.unwrap_or(match content_type {
        _ if picture => "photo",
        voice if super::files::is_voice(voice) => "voice",
        audio if audio.starts_with("audio/") => "audio",
        video if video.starts_with("video/") => "video",
        _ => "document",
    });
    let mut named = whole.clone();
    named["file_name"] = json!(preview.name);
    named["mime_type"] = json!(content_type);
    if let Some(thumbnail) = &thumbnail {
        named["thumbnail"] = thumbnail.clone();
    }
    match (kind, width, height) {
        ("photo", Some(width), Some(height)) => {
            let mut sizes: Vec<Value> = thumbnails
                .iter()
                .filter(|t| t.width < width || t.height < height)
                .map(|t| size(t.side, t.width, t.height))
                .collect();
            whole["width"] = json!(width);
            whole["height"] = json!(height);
            sizes.push(whole);
            fields.photo = Some(sizes);
        }
        ("voice", ..) => {
            whole["duration"] = json!(seconds);
            // Opus in Ogg, what Telegram's voice notes are
            whole["mime_type"] = json!("audio/ogg");
            fields.voice = Some(whole);
        }
        ("audio", ..) => {
            named["duration"] = json!(seconds);
            fields.audio = Some(named);
        }
        (kind @ ("video" | "animation"), ..) => {
            let mut video = named.clone();
            video["duration"] = json!(seconds);
            video["width"] = json!(width.unwrap_or(0));
            video["height"] = json!(height.unwrap_or(0));
            if kind == "video" {
                fields.video = Some(video);
            } else {
                fields.animation = Some(video);
                fields.document = Some(named);
            }
        }
        // a document, or a photo still being processed
        _ => fields.document = Some(named),
    }
    fields
}

/// A service message's fields, from Hybrid's `action` of that message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    NewChatMembers(Vec<User>),
    LeftChatMember(User),
    NewChatTitle(String),
    SupergroupChatCreated(bool),
    ChannelChatCreated(bool),
    PinnedMessage(Box<Message>),
}

/// Hybrid's record of a service message (the chats API's `action`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    ChatCreated {
        title: String,
    },
    MembersAdded {
        user_ids: Vec<i64>,
    },
    MemberLeft {
        user_id: i64,
    },
    TitleChanged {
        title: String,
    },
    MessagePinned {
        seq: i64,
    },
    /// One a newer server writes.
    #[serde(other)]
    Unknown,
}

impl Action {
    /// The users its fields name.
    pub fn users(&self) -> Vec<i64> {
        match self {
            Action::MembersAdded { user_ids } => user_ids.clone(),
            Action::MemberLeft { user_id } => vec![*user_id],
            _ => Vec::new(),
        }
    }

    /// Its fields in a message of chat `meta`; `pinned` is the pinned message when the
    /// caller read it.
    pub fn service(&self, meta: &ChatMeta, cards: &Cards, pinned: Option<Message>) -> Option<Service> {
        Some(match self {
            Action::ChatCreated { .. } if meta.kind == "channel" => Service::ChannelChatCreated(true),
            Action::ChatCreated { .. } => Service::SupergroupChatCreated(true),
            Action::MembersAdded { user_ids } => {
                Service::NewChatMembers(user_ids.iter().map(|id| user(cards, *id)).collect())
            }
            Action::MemberLeft { user_id } => Service::LeftChatMember(user(cards, *user_id)),
            Action::TitleChanged { title } => Service::NewChatTitle(title.clone()),
            Action::MessagePinned { .. } => Service::PinnedMessage(Box::new(pinned?)),
            Action::Unknown => return None,
        })
    }
}

impl Message {
    /// `message` of the chat `meta`, with the users in `cards`; `reply_to` is the message it
    /// answers, when the caller read it.
    pub fn of(message: &ChatMessage, meta: &ChatMeta, cards: &Cards, reply_to: Option<Message>) -> Message {
        let chat = Chat::of(meta, cards);
        let channel = meta.kind == "channel";
        let forward_origin = message.forwarded_from.map(|author| {
            serde_json::json!({
                "type": "user",
                "sender_user": user(cards, author),
                "date": seconds(message.created_at),
            })
        });
        Message {
            message_id: message.seq,
            from: (!channel).then(|| user(cards, message.sender_id)),
            sender_chat: channel.then(|| chat.clone()),
            date: seconds(message.created_at),
            chat,
            forward_origin,
            reply_to_message: reply_to.map(Box::new),
            edit_date: message.edited_at.map(seconds),
            text: Some(message.text.clone()).filter(|t| !t.is_empty()),
            entities: entities_out(&message.entities, cards),
            // only inline keyboards show on the message itself, as in Telegram
            reply_markup: message
                .reply_markup
                .clone()
                .filter(|markup| markup.get("inline_keyboard").is_some()),
            service: None,
            media: MediaFields::default(),
            caption: None,
            caption_entities: Vec::new(),
        }
    }

    /// The message with the file it carries, if any (as the bot sent it: `sent_as`): its
    /// text becomes the caption.
    pub fn with_media(mut self, message: &ChatMessage, files: &FileIds, sent_as: Option<&str>) -> Message {
        let Some(card) = &message.attachment else {
            return self;
        };
        self.media = media_fields(card, message.chat_id, message.seq, files, sent_as);
        if !self.media.is_empty() {
            self.caption = self.text.take();
            self.caption_entities = std::mem::take(&mut self.entities);
        }
        self
    }
}

/// A user's standing in a chat as the Bot API's `ChatMember`: `creator`, `administrator`
/// (rights from Hybrid's permissions), `restricted` (a member with rights taken), `member`,
/// `kicked` (banned) or `left`. Rights Hybrid does not have are `false`.
pub fn chat_member(user: User, view: &MemberView, chat_kind: &str) -> Value {
    let has = |name: &str| view.permissions.iter().any(|p| p == name);
    let user = serde_json::to_value(user).expect("users serialise");
    match view.status.as_str() {
        "owner" => json!({"status": "creator", "user": user, "is_anonymous": false}),
        "admin" => {
            let mut admin = json!({
                "status": "administrator",
                "user": user,
                "can_be_edited": false,
                "is_anonymous": false,
                "can_manage_chat": true,
                "can_delete_messages": has("delete_others"),
                "can_manage_video_chats": false,
                "can_restrict_members": has("remove_members"),
                "can_promote_members": has("manage_admins"),
                "can_change_info": has("change_info"),
                "can_invite_users": has("invite"),
                "can_post_stories": false,
                "can_edit_stories": false,
                "can_delete_stories": false,
                "can_send_welcome_messages": false,
                "can_pin_messages": has("pin"),
            });
            if chat_kind == "channel" {
                admin["can_post_messages"] = json!(has("send_messages"));
                admin["can_edit_messages"] = json!(has("edit_others"));
            } else {
                admin["can_manage_topics"] = json!(false);
            }
            admin
        }
        "member" if !view.deny.is_empty() => {
            let send = has("send_messages");
            json!({
                "status": "restricted",
                "user": user,
                "is_member": true,
                "can_send_messages": send,
                "can_send_audios": send,
                "can_send_documents": send,
                "can_send_photos": send,
                "can_send_videos": send,
                "can_send_video_notes": send,
                "can_send_voice_notes": send,
                "can_send_polls": send,
                "can_send_other_messages": send,
                "can_add_web_page_previews": send,
                "can_react_to_messages": true,
                "can_edit_tag": false,
                "can_change_info": has("change_info"),
                "can_invite_users": has("invite"),
                "can_pin_messages": has("pin"),
                "can_manage_topics": false,
                "until_date": 0,
            })
        }
        "member" => json!({"status": "member", "user": user}),
        "banned" => json!({"status": "kicked", "user": user, "until_date": view.until.map_or(0, seconds)}),
        _ => json!({"status": "left", "user": user}),
    }
}

/// An invite link as the Bot API's `ChatInviteLink`; `url` is where it opens.
pub fn invite_link(link: &InviteView, creator: User, url: String) -> Value {
    let mut out = json!({
        "invite_link": url,
        "creator": creator,
        "creates_join_request": link.needs_approval,
        "is_primary": false,
        "is_revoked": link.revoked,
    });
    if !link.name.is_empty() {
        out["name"] = json!(link.name);
    }
    if let Some(at) = link.expires_at {
        out["expire_date"] = json!(seconds(at));
    }
    if let Some(limit) = link.usage_limit {
        out["member_limit"] = json!(limit);
    }
    if link.needs_approval {
        out["pending_join_request_count"] = json!(link.pending);
    }
    out
}

/// Where invite link `code` opens: the web client at `web_url`.
pub fn invite_url(web_url: &str, code: &str) -> String {
    format!("{}/join/{code}", web_url.trim_end_matches('/'))
}

/// The code of an invite link a bot names (the whole link, or its code).
pub fn invite_code(link: &str) -> &str {
    link.trim().trim_end_matches('/').rsplit('/').next().unwrap_or_default()
}

/// The users a message's rendering names: its sender, a forward's author, text mentions, a
/// private chat's other member.
pub fn users_of(message: &ChatMessage, meta: &ChatMeta) -> Vec<i64> {
    let mut ids = vec![message.sender_id];
    ids.extend(message.forwarded_from);
    ids.extend(meta.peer_id);
    ids.extend(
        message
            .entities
            .iter()
            .filter(|e| e.kind == EntityKind::TextMention)
            .filter_map(|e| e.user_id),
    );
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn card(id: i64, username: &str, display_name: &str, is_bot: bool) -> UserCard {
        UserCard {
            id,
            username: username.into(),
            display_name: display_name.into(),
            is_bot,
        }
    }

    fn message(chat_id: i64) -> ChatMessage {
        ChatMessage {
            chat_id,
            seq: 7,
            sender_id: 5,
            text: "hi 👋 /start".into(),
            entities: vec![Entity {
                kind: EntityKind::BotCommand,
                offset: 6,
                length: 6,
                url: None,
                user_id: None,
                language: None,
            }],
            reply_to: None,
            created_at: 1_700_000_000_999,
            edited_at: None,
            forwarded_from: None,
            reply_markup: None,
            attachment: None,
            service: false,
            changed: true,
        }
    }

    #[test]
    fn chat_ids_round_trip() {
        assert_eq!(group_id(12), -1_000_000_000_012);
        assert_eq!(ChatRef::parse(-1_000_000_000_012), Some(ChatRef::Chat(12)));
        assert_eq!(ChatRef::parse(42), Some(ChatRef::User(42)));
        assert_eq!(ChatRef::parse(-12), None);
        assert_eq!(ChatRef::parse(0), None);
    }

    #[test]
    fn a_private_message_looks_like_telegrams() {
        let cards: Cards = [(5, card(5, "amy", "", false))].into();
        let meta = ChatMeta {
            chat_id: 3,
            kind: "direct".into(),
            title: String::new(),
            peer_id: Some(5),
        };
        let wire = serde_json::to_value(Message::of(&message(3), &meta, &cards, None)).unwrap();
        assert_eq!(
            wire,
            json!({
                "message_id": 7,
                "from": {"id": 5, "is_bot": false, "first_name": "amy", "username": "amy"},
                "date": 1_700_000_000,
                "chat": {"id": 5, "type": "private", "username": "amy", "first_name": "amy"},
                "text": "hi 👋 /start",
                "entities": [{"type": "bot_command", "offset": 6, "length": 6}]
            })
        );
    }

    #[test]
    fn a_channel_post_comes_from_the_channel() {
        let cards: Cards = [(5, card(5, "amy", "Amy", false))].into();
        let meta = ChatMeta {
            chat_id: 9,
            kind: "channel".into(),
            title: "News".into(),
            peer_id: None,
        };
        let post = Message::of(&message(9), &meta, &cards, None);
        assert!(post.from.is_none());
        let chat = json!({"id": -1_000_000_000_009_i64, "type": "channel", "title": "News"});
        assert_eq!(serde_json::to_value(&post.chat).unwrap(), chat);
        assert_eq!(serde_json::to_value(&post.sender_chat).unwrap(), chat);
    }

    #[test]
    fn entities_cross_both_ways() {
        let incoming: Vec<MessageEntity> = serde_json::from_value(json!([
            {"type": "bold", "offset": 0, "length": 2},
            {"type": "text_mention", "offset": 3, "length": 3, "user": {"id": 5, "is_bot": false, "first_name": "A"}},
            {"type": "custom_emoji", "offset": 7, "length": 2, "custom_emoji_id": "1"},
            {"type": "expandable_blockquote", "offset": 0, "length": 9}
        ]))
        .unwrap();
        let entities = entities_in(incoming);
        let kinds: Vec<EntityKind> = entities.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [EntityKind::Bold, EntityKind::TextMention, EntityKind::Blockquote]
        );
        assert_eq!(entities[1].user_id, Some(5));
        let cards: Cards = [(5, card(5, "amy", "Amy", false))].into();
        let out = serde_json::to_value(entities_out(&entities, &cards)).unwrap();
        assert_eq!(
            out[1]["user"],
            json!({"id": 5, "is_bot": false, "first_name": "Amy", "username": "amy"})
        );
        // a bot may name the user by id alone
        let by_id: MessageEntity =
            serde_json::from_value(json!({"type": "text_mention", "offset": 0, "length": 1, "user": {"id": 8}}))
                .unwrap();
        assert_eq!(entities_in(vec![by_id])[0].user_id, Some(8));
    }
}
