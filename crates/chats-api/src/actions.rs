//! [`ChatActions`]: what a user does in chats, asked by another service on that user's behalf
//! (the bots service, for a bot). Each action runs the chats service's own rules (membership,
//! rights, blocks, limits) exactly as the HTTP API does for a person; nothing here grants more.
//!
//! Across processes one gRPC call, `ChatActor.Act`, carries an [`Action`] and its [`Outcome`]
//! as JSON: the actions grow with the Bot API, and their shapes are already serde types.

use futures::future::BoxFuture;
use hybrid_core::ApiError;
use serde::{Deserialize, Serialize};

use crate::body::Entity;

/// Something a user does in a chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Posts a message; `forward_of` makes it a forward of (`chat_id`, `seq`) instead, whose
    /// text and entities it takes.
    Send {
        chat_id: i64,
        text: String,
        #[serde(default)]
        entities: Vec<Entity>,
        #[serde(default)]
        reply_to: Option<i64>,
        /// Buttons under the message (a bot's keyboard; see [`ReplyMarkup`]).
        #[serde(default)]
        reply_markup: Option<serde_json::Value>,
        /// An attach token of the object the message carries (a file's).
        #[serde(default)]
        attach: Option<String>,
        /// The sender's key for this message (1 to 64 bytes): a second send with the same key
        /// in the same chat returns the first message instead of posting again.
        #[serde(default)]
        nonce: Option<String>,
    },
    /// Forwards message (`from_chat_id`, `seq`) into `chat_id`, naming its author.
    Forward {
        from_chat_id: i64,
        seq: i64,
        chat_id: i64,
    },
    /// Replaces a message's text (`text` set) and/or its buttons (`reply_markup` set: `null`
    /// removes them).
    Edit {
        chat_id: i64,
        seq: i64,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        entities: Vec<Entity>,
        #[serde(default)]
        reply_markup: Option<Option<serde_json::Value>>,
    },
    Delete {
        chat_id: i64,
        seq: i64,
    },
    Pin {
        chat_id: i64,
        seq: i64,
        pinned: bool,
    },
    /// Sets the user's reactions on a message to `emoji` (empty: none).
    React {
        chat_id: i64,
        seq: i64,
        emoji: Vec<String>,
    },
    Typing {
        chat_id: i64,
    },
    /// Reads one message the user may see.
    Message {
        chat_id: i64,
        seq: i64,
    },
    /// Reads a chat the user is a member of.
    Chat {
        chat_id: i64,
    },
    /// The direct chat between the user and `peer`, if they have one.
    Direct {
        peer: i64,
    },
    /// Leaves a group or channel.
    Leave {
        chat_id: i64,
    },
    /// A user's standing in a chat: a member's role and rights, or a ban.
    Member {
        chat_id: i64,
        user_id: i64,
    },
    /// A chat's owner and admins.
    Administrators {
        chat_id: i64,
    },
    /// Bans `user_id` until `until` (Unix ms; `None`: until lifted), removing them.
    Ban {
        chat_id: i64,
        user_id: i64,
        #[serde(default)]
        until: Option<i64>,
    },
    /// Lifts a ban; unless `only_if_banned`, a member is removed first (they may come back).
    Unban {
        chat_id: i64,
        user_id: i64,
        #[serde(default)]
        only_if_banned: bool,
    },
    /// Sets a member's role (`admin` or `member`) and rights overrides (the chats API's
    /// permission names); what is absent stays.
    SetMember {
        chat_id: i64,
        user_id: i64,
        #[serde(default)]
        role: Option<String>,
        #[serde(default)]
        allow: Option<Vec<String>>,
        #[serde(default)]
        deny: Option<Vec<String>>,
    },
    /// Changes a group's or channel's title and/or description.
    UpdateChat {
        chat_id: i64,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        description: Option<String>,
    },
    /// Creates an invite link.
    CreateInvite {
        chat_id: i64,
        terms: InviteTerms,
    },
    /// Replaces an invite link's terms.
    EditInvite {
        chat_id: i64,
        code: String,
        terms: InviteTerms,
    },
    RevokeInvite {
        chat_id: i64,
        code: String,
    },
    /// Approves or declines a request to join.
    DecideJoin {
        chat_id: i64,
        user_id: i64,
        approve: bool,
    },
    /// Adds users to a group or channel (needs the invite right; each user's privacy setting
    /// may refuse: `403 privacy_restricted`).
    AddMembers {
        chat_id: i64,
        user_ids: Vec<i64>,
    },
    /// The direct chat with `peer`, made if the two have none.
    OpenDirect {
        peer: i64,
    },
    /// A page of a chat's members, by user id after `after` (as the chats API lists them: a
    /// channel's subscribers see only its staff).
    Members {
        chat_id: i64,
        #[serde(default)]
        after: i64,
        limit: i64,
    },
    /// A page of history, newest first, before `before` (absent: from the latest).
    History {
        chat_id: i64,
        #[serde(default)]
        before: Option<i64>,
        limit: i64,
    },
}

/// What an invite link admits (absent: no such rule).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteTerms {
    #[serde(default)]
    pub expires_in_secs: Option<i64>,
    #[serde(default)]
    pub usage_limit: Option<i64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub needs_approval: bool,
}

impl Action {
    /// Whether sending the action twice leaves the same state (a retry across processes is
    /// safe): everything but a post, a forward or a new invite link.
    pub fn is_idempotent(&self) -> bool {
        !matches!(
            self,
            Action::Send { .. } | Action::Forward { .. } | Action::CreateInvite { .. } | Action::AddMembers { .. }
        )
    }
}

/// What an action gives back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Message(ChatMessage),
    Chat(ChatView),
    Direct { chat_id: Option<i64> },
    Member(MemberView),
    Members { members: Vec<MemberView> },
    Messages { messages: Vec<ChatMessage> },
    Invite(InviteView),
    Done,
}

/// A user's standing in a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: i64,
    /// `owner`, `admin`, `member`, `banned`, or `none` (not in the chat).
    pub status: String,
    /// A member's rights (the chats API's permission names).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// A member's overrides: rights given beyond their role's, and taken from them.
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    /// A ban's end (Unix ms); absent: until lifted.
    #[serde(default)]
    pub until: Option<i64>,
}

/// An invite link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    pub code: String,
    pub created_by: i64,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub usage_limit: Option<i64>,
    pub uses: i64,
    pub revoked: bool,
    pub name: String,
    pub needs_approval: bool,
    /// Requests waiting in the chat (all links').
    pub pending: i64,
}

/// A message as the actor sees it (the chats API's `Message`, without what a bot has no use
/// for yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub chat_id: i64,
    pub seq: i64,
    pub sender_id: i64,
    pub text: String,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    #[serde(default)]
    pub edited_at: Option<i64>,
    #[serde(default)]
    pub forwarded_from: Option<i64>,
    #[serde(default)]
    pub reply_markup: Option<serde_json::Value>,
    /// The card of the object it carries, as the chats API shows it (`{"type", "service",
    /// "object_id", "version", "preview"}`).
    #[serde(default)]
    pub attachment: Option<serde_json::Value>,
    /// A service message (someone joined, the title changed …): the server's, not written by
    /// its sender.
    #[serde(default)]
    pub service: bool,
    /// Whether this call changed anything (an edit to the same text and buttons does not).
    #[serde(default = "yes")]
    pub changed: bool,
}

fn yes() -> bool {
    true
}

/// A chat as one member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatView {
    pub id: i64,
    /// `direct`, `group` or `channel`.
    pub kind: String,
    pub title: String,
    pub description: String,
    /// For a direct chat: the other member.
    #[serde(default)]
    pub peer_id: Option<i64>,
    pub member_count: i64,
    /// The actor's role: `owner`, `admin` or `member`.
    pub role: String,
}

/// Provided by `chats`: actions on a user's behalf (see the module's documentation).
pub trait ChatActions: Send + Sync {
    fn act(&self, user_id: i64, action: Action) -> BoxFuture<'_, Result<Outcome, ApiError>>;
}
