//! The chats service's HTTP contract: what it returns, its error codes, and the rows it is
//! read from.

use hybrid_chats_api::avatar::Avatar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::body::Entity;

hybrid_core::error_codes! {
    /// Errors of the chats service.
    pub enum ChatsCode {
        /// The chat holds as many members as it may.
        ChatFull = (CONFLICT, "chat_full"),
        /// The user is a member already.
        AlreadyMember = (CONFLICT, "already_member"),
        /// Not possible in a direct chat.
        DirectChat = (CONFLICT, "direct_chat"),
        /// The owner must transfer ownership before leaving.
        OwnerMustTransfer = (CONFLICT, "owner_must_transfer"),
        /// The caller is in as many groups and channels as one may be.
        TooManyChats = (CONFLICT, "too_many_chats"),
        /// The chat has as many invite links as it may.
        TooManyInviteLinks = (CONFLICT, "too_many_invite_links"),
        /// As many people wait to join the chat as may.
        TooManyJoinRequests = (CONFLICT, "too_many_join_requests"),
        /// An attachment update older than the stored version.
        StaleAttachment = (CONFLICT, "stale_attachment"),
        /// The user's privacy settings do not let the caller add them (send them an invite
        /// link instead).
        PrivacyRestricted = (FORBIDDEN, "privacy_restricted"),
    }
}
use crate::policy::{ChatKind, Permission, Role};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: i64,
    /// Whether the requesting user is among them (history only; events leave it out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub me: bool,
}

/// A message. Deleted messages stay as tombstones: `deleted: true`, no text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub chat_id: i64,
    /// Position in the chat: 1, 2, 3… with no gaps.
    pub seq: i64,
    pub sender_id: i64,
    pub text: String,
    pub entities: Vec<Entity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<i64>,
    #[serde(default)]
    pub deleted: bool,
    /// The sender's idempotency key, echoed so its client can match the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<ReactionCount>,
    /// The card of an object that lives in the chat (a file, a task, a poll), kept by the
    /// service that owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Set on service messages ("X joined", "group created"), which have no text; absent on
    /// messages people write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ServiceAction>,
    /// A forwarded message: who wrote the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_from: Option<i64>,
    /// A bot's buttons under its message, as the Bot API's `reply_markup` (`docs/bots.md`):
    /// `inline_keyboard` (pressing a button: `POST …/messages/{seq}/callback`), `keyboard`
    /// (a reply keyboard replacing the composer's row), `remove_keyboard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub reply_markup: Option<serde_json::Value>,
}

/// What a service message records. Its `sender_id` is who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceAction {
    /// The sender created the group or channel, with this title.
    ChatCreated { title: String },
    /// The sender added these people; `[sender_id]` alone means they joined by a link.
    /// Channels do not announce their subscribers.
    MembersAdded { user_ids: Vec<i64> },
    /// `user_id` left (it is the sender), or the sender removed them.
    MemberLeft { user_id: i64 },
    /// The sender renamed the chat.
    TitleChanged { title: String },
    /// The sender pinned message `seq`.
    MessagePinned { seq: i64 },
}

/// The card of an object that lives in a chat, as clients see it; its service keeps the
/// object and its API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    /// What the object is (`file`, `task`, `poll`).
    #[serde(rename = "type")]
    pub kind: String,
    /// The service that owns the object.
    pub service: String,
    pub object_id: String,
    /// Increases with every update of the card.
    pub version: i64,
    /// What to show without asking the service (at most 2 KB of JSON).
    #[schema(value_type = Object)]
    pub preview: serde_json::Value,
}

/// How an attachment is stored: what clients see, and the words search finds it by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredAttachment {
    #[serde(flatten)]
    pub card: Attachment,
    pub searchable_text: String,
}

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub chat_id: i64,
    pub seq: i64,
    pub sender_id: i64,
    pub text: String,
    pub entities: String,
    pub reply_to: Option<i64>,
    pub nonce: Option<String>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub attachment: Option<String>,
    pub action: Option<String>,
    pub forwarded_from: Option<i64>,
    pub reply_markup: Option<String>,
}

pub const MESSAGE_COLUMNS: &str = "chat_id, seq, sender_id, text, entities, reply_to, nonce, created_at, edited_at, \
    deleted_at, attachment, action, forwarded_from, reply_markup";

hybrid_store::from_row!(MessageRow {
    chat_id,
    seq,
    sender_id,
    text,
    entities,
    reply_to,
    nonce,
    created_at,
    edited_at,
    deleted_at,
    attachment,
    action,
    forwarded_from,
    reply_markup,
});

/// [`MESSAGE_COLUMNS`] of a `messages` table aliased `msg`, for joins.
pub const MSG_COLUMNS: &str = "msg.chat_id, msg.seq, msg.sender_id, msg.text, msg.entities, msg.reply_to, \
    msg.nonce, msg.created_at, msg.edited_at, msg.deleted_at, msg.attachment, msg.action, msg.forwarded_from, \
    msg.reply_markup";

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        let deleted = row.deleted_at.is_some();
        Message {
            chat_id: row.chat_id,
            seq: row.seq,
            sender_id: row.sender_id,
            text: if deleted { String::new() } else { row.text },
            entities: if deleted {
                Vec::new()
            } else {
                serde_json::from_str(&row.entities).unwrap_or_default()
            },
            reply_to: row.reply_to,
            created_at: row.created_at,
            edited_at: row.edited_at,
            deleted,
            nonce: row.nonce,
            reactions: Vec::new(),
            attachment: row
                .attachment
                .filter(|_| !deleted)
                .and_then(|stored| serde_json::from_str::<StoredAttachment>(&stored).ok())
                .map(|stored| stored.card),
            action: row.action.and_then(|stored| serde_json::from_str(&stored).ok()),
            forwarded_from: row.forwarded_from,
            reply_markup: row
                .reply_markup
                .filter(|_| !deleted)
                .and_then(|stored| serde_json::from_str(&stored).ok()),
        }
    }
}

/// A chat as one member sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChatInfo {
    pub id: i64,
    pub kind: ChatKind,
    pub title: String,
    pub description: String,
    pub history_visibility: HistoryVisibility,
    /// A group's or channel's picture; absent: none (a direct chat shows the other member's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Avatar>,
    pub member_count: i64,
    pub created_at: i64,
    /// The chat's latest event: where `sync` continues from.
    pub pts: i64,
    pub last_seq: i64,
    pub last_activity_at: i64,
    /// For direct chats: the other member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<i64>,
    /// For direct chats: how far the other member has read (their `read_seq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_read_seq: Option<i64>,
    pub my_role: Role,
    pub my_permissions: Vec<Permission>,
    pub read_seq: i64,
    pub unread_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryVisibility {
    /// New members see the whole history.
    All,
    /// New members see messages from their join on.
    SinceJoin,
}

impl HistoryVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryVisibility::All => "all",
            HistoryVisibility::SinceJoin => "since_join",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "since_join" {
            HistoryVisibility::SinceJoin
        } else {
            HistoryVisibility::All
        }
    }
}

pub fn kind_str(kind: ChatKind) -> &'static str {
    match kind {
        ChatKind::Direct => "direct",
        ChatKind::Group => "group",
        ChatKind::Channel => "channel",
    }
}

pub fn parse_kind(s: &str) -> ChatKind {
    match s {
        "direct" => ChatKind::Direct,
        "channel" => ChatKind::Channel,
        _ => ChatKind::Group,
    }
}

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Owner => "owner",
        Role::Admin => "admin",
        Role::Member => "member",
    }
}

pub fn parse_role(s: &str) -> Role {
    match s {
        "owner" => Role::Owner,
        "admin" => Role::Admin,
        _ => Role::Member,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberInfo {
    pub user_id: i64,
    pub username: String,
    /// Empty when the user set none.
    pub display_name: String,
    pub role: Role,
    /// Effective rights.
    pub permissions: Vec<Permission>,
    /// Rights added to the role's.
    pub allow: Vec<Permission>,
    /// Rights taken from the role's.
    pub deny: Vec<Permission>,
    pub joined_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InviteLink {
    pub code: String,
    pub chat_id: i64,
    pub created_by: i64,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit: Option<i64>,
    pub uses: i64,
    pub revoked: bool,
    /// What admins call the link (at most 32 characters); empty when unnamed.
    #[serde(default)]
    pub name: String,
    /// Whether people who follow it ask to join and wait for an admin's decision.
    #[serde(default)]
    pub needs_approval: bool,
}

#[derive(Debug, Clone)]
pub struct InviteRow {
    pub code: String,
    pub chat_id: i64,
    pub created_by: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub usage_limit: Option<i64>,
    pub uses: i64,
    pub revoked_at: Option<i64>,
    pub name: String,
    pub needs_approval: bool,
}

// in the column order of the `RETURNING` that creates a link
hybrid_store::from_row!(InviteRow {
    code,
    chat_id,
    created_by,
    created_at,
    expires_at,
    usage_limit,
    uses,
    revoked_at,
    name,
    needs_approval,
});

impl From<InviteRow> for InviteLink {
    fn from(row: InviteRow) -> Self {
        InviteLink {
            code: row.code,
            chat_id: row.chat_id,
            created_by: row.created_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
            usage_limit: row.usage_limit,
            uses: row.uses,
            revoked: row.revoked_at.is_some(),
            name: row.name,
            needs_approval: row.needs_approval,
        }
    }
}

/// What an invite link shows before joining.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvitePreview {
    pub chat_id: i64,
    pub kind: ChatKind,
    pub title: String,
    pub description: String,
    pub member_count: i64,
    /// Whether the caller is already a member.
    pub joined: bool,
    /// Whether joining asks an admin first (`POST /invites/{code}/join` then answers 202).
    #[serde(default)]
    pub needs_approval: bool,
    /// Whether the caller already asked and waits.
    #[serde(default)]
    pub requested: bool,
}

/// A change to a chat's info; what is absent stays.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateChat {
    pub title: Option<String>,
    pub description: Option<String>,
    pub history_visibility: Option<HistoryVisibility>,
    /// A group's or channel's new picture: the `attach_token` of an avatar file
    /// (`POST /files?purpose=avatar`) whose media is ready; `""` removes it.
    pub avatar: Option<String>,
}

/// A change to a member's role or rights; what is absent stays.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMember {
    /// `admin` or `member`.
    pub role: Option<Role>,
    /// Rights added to the role's (replaces the current list).
    pub allow: Option<Vec<Permission>>,
    /// Rights taken from the role's (replaces the current list).
    pub deny: Option<Vec<Permission>>,
}
