//! The event log. Every change in a chat bumps the chat's `pts` and appends an event in the
//! same transaction; events that concern one user (added to a chat, read markers) go to that
//! user's log with a per-user pts. The stored payload is the exact frame clients receive, made
//! once, except for events about a message's content: those keep only the message's seq
//! (`message_seq`), and [`render`] fills in the message as it is when the event is delivered
//! (published, streamed, or read by `sync`). The log never holds a copy of message text, so
//! deleting or editing a message changes every later read of it. Each logged event also gets an `outbox` row in the same transaction, which the relay
//! (`relay.rs`) turns into a bus publish after the commit.

use std::collections::{BTreeSet, HashMap};

use hybrid_chats_api::avatar::Avatar;
use hybrid_core::{ApiResult, frame_text};
use hybrid_realtime_api::Membership;
use hybrid_store::Sql;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Attachment, HistoryVisibility, Message, ReactionCount};
use crate::policy::{ChatKind, Permission, Role};
use crate::store;

/// An event in a chat's log, as clients receive it: `kind` names it, `data` carries it. One
/// shape per kind (`docs/protocol.md`); clients ignore kinds they do not know.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "data")]
pub enum ChatEvent {
    /// A new message.
    #[serde(rename = "message.new")]
    MessageNew(Box<Message>),
    /// A message's text changed: the message as it is now, with `edited_at` and current
    /// reaction counts.
    #[serde(rename = "message.edited")]
    MessageEdited(Box<Message>),
    /// A message's card changed (a newer version). Not unread; at most one per second per
    /// message, always ending with the newest version.
    #[serde(rename = "message.attachment")]
    MessageAttachment(AttachmentChanged),
    /// Message `seq` changed (an edit or a newer card) in a chat where not every member may
    /// see it, so the event cannot carry it: refetch it if you show it.
    #[serde(rename = "message.changed")]
    MessageChanged(MessageRef),
    #[serde(rename = "message.deleted")]
    MessageDeleted(MessageDeleted),
    #[serde(rename = "reaction.changed")]
    ReactionChanged(ReactionChanged),
    #[serde(rename = "pin.changed")]
    PinChanged(PinChanged),
    #[serde(rename = "member.joined")]
    MemberJoined(MemberJoined),
    #[serde(rename = "member.left")]
    MemberLeft(MemberGone),
    #[serde(rename = "member.removed")]
    MemberRemoved(MemberGone),
    #[serde(rename = "member.updated")]
    MemberUpdated(MemberUpdated),
    #[serde(rename = "chat.updated")]
    ChatUpdated(ChatUpdated),
    /// Direct chats only: the other member read up to `seq`.
    #[serde(rename = "read.updated")]
    PeerRead(PeerRead),
}

/// An event in one user's own log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", content = "data")]
pub enum UserEvent {
    /// You are now a member of the chat.
    #[serde(rename = "chat.added")]
    ChatAdded(ChatAdded),
    /// You left the chat or were removed.
    #[serde(rename = "chat.removed")]
    ChatRemoved(ChatRemoved),
    /// You read the chat up to `seq` on another device.
    #[serde(rename = "read.updated")]
    ReadUpdated(OwnRead),
    /// Someone asks to join a chat whose requests you decide on (an admin who may invite).
    #[serde(rename = "join_request.new")]
    JoinRequested(JoinRequested),
    /// A request to join was approved or declined: sent to the chat's deciders and to the
    /// person who asked.
    #[serde(rename = "join_request.decided")]
    JoinDecided(JoinDecided),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentChanged {
    pub seq: i64,
    pub attachment: Attachment,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct MessageRef {
    pub seq: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct MessageDeleted {
    pub seq: i64,
    pub by: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReactionChanged {
    pub seq: i64,
    /// Who reacted; absent in channels, where subscribers react anonymously.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    pub emoji: String,
    pub added: bool,
    /// The message's reaction counts after the change.
    pub reactions: Vec<ReactionCount>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct PinChanged {
    pub seq: i64,
    pub pinned: bool,
    pub by: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct MemberJoined {
    /// Who joined, and who added them; both absent when a subscriber joins a channel (its
    /// subscribers do not learn who else reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct MemberGone {
    /// Who left or was removed, and by whom; both absent for a channel's subscriber.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<i64>,
    /// The role they had.
    pub role: Role,
    /// A removal's ban: when it ends (Unix ms); absent: until lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberUpdated {
    pub member: MemberChange,
    pub by: i64,
    /// The member's role and rights before the change.
    pub previous: MemberChange,
}

/// A member's role and rights (an ownership transfer resets both members' overrides).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberChange {
    pub user_id: i64,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<Permission>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<Permission>>,
}

impl MemberChange {
    pub fn of(user_id: i64, access: &crate::policy::Access) -> MemberChange {
        MemberChange {
            user_id,
            role: access.role,
            permissions: Some(crate::policy::names(access.effective())),
            allow: Some(crate::policy::names(access.allow)),
            deny: Some(crate::policy::names(access.deny)),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChatUpdated {
    pub title: String,
    pub description: String,
    pub history_visibility: HistoryVisibility,
    /// The picture after the change (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<Avatar>,
    pub by: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct PeerRead {
    pub user_id: i64,
    pub seq: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChatAdded {
    pub chat_id: i64,
    pub kind: ChatKind,
    pub title: String,
    pub by: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct ChatRemoved {
    pub chat_id: i64,
    pub by: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JoinRequested {
    pub chat_id: i64,
    /// Who asks.
    pub user_id: i64,
    /// The invite link they followed, who made it, and its name.
    pub code: String,
    pub link_created_by: i64,
    #[serde(default)]
    pub link_name: String,
    /// Unix ms.
    pub requested_at: i64,
    /// How many requests wait in this chat now.
    pub pending: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct JoinDecided {
    pub chat_id: i64,
    /// Who asked.
    pub user_id: i64,
    pub approved: bool,
    pub by: i64,
    /// How many requests wait in this chat now.
    pub pending: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct OwnRead {
    pub chat_id: i64,
    pub seq: i64,
}

/// The frames the chats service pushes to sockets (`docs/protocol.md`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatsFrame {
    /// An event in a chat's log; `pts` orders them per chat (`/sync` catches up).
    Event(EventFrame),
    /// An event in your own log; `pts` orders them for you.
    UserEvent(UserEventFrame),
    /// Someone is typing in a chat; show it for `expires_ms` unless repeated.
    Typing(Typing),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventFrame {
    pub chat_id: i64,
    pub pts: i64,
    #[serde(flatten)]
    pub event: ChatEvent,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserEventFrame {
    pub pts: i64,
    #[serde(flatten)]
    pub event: UserEvent,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Typing {
    pub chat_id: i64,
    pub user_id: i64,
    pub expires_ms: i64,
}

impl ChatEvent {
    /// The event's kind, as stored in `events.kind` and sent as `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChatEvent::MessageNew(_) => "message.new",
            ChatEvent::MessageEdited(_) => "message.edited",
            ChatEvent::MessageAttachment(_) => "message.attachment",
            ChatEvent::MessageChanged(_) => "message.changed",
            ChatEvent::MessageDeleted(_) => "message.deleted",
            ChatEvent::ReactionChanged(_) => "reaction.changed",
            ChatEvent::PinChanged(_) => "pin.changed",
            ChatEvent::MemberJoined(_) => "member.joined",
            ChatEvent::MemberLeft(_) => "member.left",
            ChatEvent::MemberRemoved(_) => "member.removed",
            ChatEvent::MemberUpdated(_) => "member.updated",
            ChatEvent::ChatUpdated(_) => "chat.updated",
            ChatEvent::PeerRead(_) => "read.updated",
        }
    }
}

impl UserEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            UserEvent::ChatAdded(_) => "chat.added",
            UserEvent::ChatRemoved(_) => "chat.removed",
            UserEvent::ReadUpdated(_) => "read.updated",
            UserEvent::JoinRequested(_) => "join_request.new",
            UserEvent::JoinDecided(_) => "join_request.decided",
        }
    }
}

/// A change to a message's content, logged as a reference to the message ([`Outbox::message_event`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChange {
    New,
    Edited,
    Attachment,
}

impl MessageChange {
    fn kind(self) -> &'static str {
        match self {
            MessageChange::New => "message.new",
            MessageChange::Edited => "message.edited",
            MessageChange::Attachment => "message.attachment",
        }
    }

    fn parse(kind: &str) -> Option<MessageChange> {
        match kind {
            "message.new" => Some(MessageChange::New),
            "message.edited" => Some(MessageChange::Edited),
            "message.attachment" => Some(MessageChange::Attachment),
            _ => None,
        }
    }
}

/// Tracks whether a change logged events, so the relay is woken once it has committed.
#[derive(Default)]
pub struct Outbox {
    pub logged: bool,
    /// The `traceparent` of the request making the change (when traces are exported), stored
    /// with its outbox rows so the delivery in another process joins the request's trace.
    pub trace: Option<String>,
}

/// `outbox.topic`: which log an outbox row points into.
pub const CHAT_LOG: i64 = 0;
pub const USER_LOG: i64 = 1;

impl Outbox {
    /// Appends an event to a chat's log; returns its pts.
    pub async fn chat_event(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        event: ChatEvent,
        membership: Option<Membership>,
    ) -> ApiResult<i64> {
        let pts = store::events::next_chat_pts(tx, chat_id).await?;
        self.chat_event_at(tx, chat_id, pts, event, membership).await?;
        Ok(pts)
    }

    /// Appends an event whose pts the caller has already taken (bumping `chats.pts` in the
    /// same statement as another change to the chat's row).
    pub async fn chat_event_at(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        pts: i64,
        event: ChatEvent,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        let kind = event.kind();
        let frame = frame_text(&ChatsFrame::Event(EventFrame { chat_id, pts, event }));
        self.log_chat_frame(tx, chat_id, pts, kind, frame, None, membership)
            .await
    }

    /// Appends an event about message `seq`'s content whose pts the caller has taken. The log
    /// keeps only a reference (the frame with `data: {seq}`): the frame delivered is rendered
    /// from the message as it is then ([`render`]), so a deleted or edited message leaves no
    /// old text behind.
    pub async fn message_event_at(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        pts: i64,
        change: MessageChange,
        seq: i64,
    ) -> ApiResult<()> {
        let reference = serde_json::to_string(&StoredReference {
            frame: "event",
            chat_id,
            pts,
            kind: change.kind(),
            data: MessageRef { seq },
        })
        .expect("references serialise");
        self.log_chat_frame(tx, chat_id, pts, change.kind(), reference, Some(seq), None)
            .await
    }

    /// [`Outbox::message_event_at`], taking the next pts.
    pub async fn message_event(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        change: MessageChange,
        seq: i64,
    ) -> ApiResult<i64> {
        let pts = store::events::next_chat_pts(tx, chat_id).await?;
        self.message_event_at(tx, chat_id, pts, change, seq).await?;
        Ok(pts)
    }

    #[allow(clippy::too_many_arguments)]
    async fn log_chat_frame(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        pts: i64,
        kind: &str,
        frame: String,
        message_seq: Option<i64>,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        store::events::append_chat_event(tx, chat_id, pts, kind, &frame, message_seq).await?;
        self.outbox_row(tx, CHAT_LOG, chat_id, pts, membership).await
    }

    /// Appends an event to a user's log; returns the user's new pts.
    pub async fn user_event(
        &mut self,
        tx: &mut Sql<'_>,
        user_id: i64,
        event: UserEvent,
        membership: Option<Membership>,
    ) -> ApiResult<i64> {
        let pts = store::events::next_user_pts(tx, user_id).await?;
        let kind = event.kind();
        let frame = frame_text(&ChatsFrame::UserEvent(UserEventFrame { pts, event }));
        store::events::append_user_event(tx, user_id, pts, kind, &frame).await?;
        self.outbox_row(tx, USER_LOG, user_id, pts, membership).await?;
        Ok(pts)
    }

    /// The outbox row of an event just logged.
    async fn outbox_row(
        &mut self,
        tx: &mut Sql<'_>,
        log: i64,
        key: i64,
        pts: i64,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        let control = membership.map(|m| m.control().as_str().to_owned());
        store::events::append_outbox(tx, log, key, pts, control, self.trace.as_deref()).await?;
        self.logged = true;
        Ok(())
    }
}

/// How an event about a message's content is stored: the frame, with only the message's seq.
#[derive(Serialize)]
struct StoredReference {
    #[serde(rename = "type")]
    frame: &'static str,
    chat_id: i64,
    pts: i64,
    kind: &'static str,
    data: MessageRef,
}

/// A stored frame that refers to a message, to render for a reader who sees the chat's
/// messages from `visible_from` on (0: everyone who may get the event sees the message).
pub(crate) struct Rendering<'a> {
    pub chat_id: i64,
    pub seq: i64,
    pub visible_from: i64,
    pub payload: &'a mut String,
}

#[derive(Deserialize)]
struct StoredHead {
    pts: i64,
    kind: String,
}

/// Replaces each frame's stored reference with the message as it is now: the whole message for
/// `message.new` (a tombstone once deleted), with reaction counts for `message.edited`, the
/// card for `message.attachment`. A reader who may not see the message, or a message gone
/// altogether, gets `message.changed` with only its seq.
pub(crate) async fn render(sql: &mut Sql<'_>, frames: &mut [Rendering<'_>]) -> ApiResult<()> {
    if frames.is_empty() {
        return Ok(());
    }
    let pairs: BTreeSet<(i64, i64)> = frames.iter().map(|f| (f.chat_id, f.seq)).collect();
    let rows = store::events::messages_at(sql, &pairs).await?;
    let mut messages: HashMap<(i64, i64), Message> = rows
        .into_iter()
        .map(|row| ((row.chat_id, row.seq), Message::from(row)))
        .collect();
    let heads: Vec<Option<(i64, MessageChange)>> = frames
        .iter()
        .map(|f| {
            let head: StoredHead = serde_json::from_str(f.payload).ok()?;
            Some((head.pts, MessageChange::parse(&head.kind)?))
        })
        .collect();
    if heads.iter().any(|h| matches!(h, Some((_, MessageChange::Edited)))) {
        let counts = store::events::reaction_counts_at(sql, &pairs).await?;
        for (chat_id, seq, emoji, count) in counts {
            if let Some(message) = messages.get_mut(&(chat_id, seq)) {
                message.reactions.push(ReactionCount {
                    emoji,
                    count,
                    me: false,
                });
            }
        }
    }
    for (frame, head) in frames.iter_mut().zip(heads) {
        let Some((pts, change)) = head else {
            continue; // not a reference: delivered as stored
        };
        let (chat_id, seq) = (frame.chat_id, frame.seq);
        let shown = messages.get(&(chat_id, seq)).filter(|_| seq >= frame.visible_from);
        let event = match (change, shown) {
            (MessageChange::New, Some(message)) => {
                let mut message = message.clone();
                message.reactions.clear();
                ChatEvent::MessageNew(Box::new(message))
            }
            (MessageChange::Edited, Some(message)) => ChatEvent::MessageEdited(Box::new(message.clone())),
            (
                MessageChange::Attachment,
                Some(Message {
                    attachment: Some(card), ..
                }),
            ) => ChatEvent::MessageAttachment(AttachmentChanged {
                seq,
                attachment: card.clone(),
            }),
            _ => ChatEvent::MessageChanged(MessageRef { seq }),
        };
        *frame.payload = frame_text(&ChatsFrame::Event(EventFrame { chat_id, pts, event }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn wire(frame: &ChatsFrame) -> Value {
        serde_json::from_str(&frame_text(frame)).unwrap()
    }

    /// The frames as `docs/protocol.md` shows them, and back.
    #[test]
    fn frames_have_the_documented_shape() {
        let added = ChatsFrame::UserEvent(UserEventFrame {
            pts: 12,
            event: UserEvent::ChatAdded(ChatAdded {
                chat_id: 9,
                kind: ChatKind::Group,
                title: "Team".into(),
                by: 3,
            }),
        });
        let documented = json!({"type": "user_event", "pts": 12, "kind": "chat.added",
            "data": {"chat_id": 9, "kind": "group", "title": "Team", "by": 3}});
        assert_eq!(wire(&added), documented);
        let typing = ChatsFrame::Typing(Typing {
            chat_id: 7,
            user_id: 3,
            expires_ms: 6000,
        });
        assert_eq!(
            wire(&typing),
            json!({"type": "typing", "chat_id": 7, "user_id": 3, "expires_ms": 6000})
        );
        let joined = ChatsFrame::Event(EventFrame {
            chat_id: 7,
            pts: 118,
            event: ChatEvent::MemberJoined(MemberJoined {
                user_id: None,
                role: Role::Member,
                by: None,
            }),
        });
        // a channel's subscriber joins without a name
        assert_eq!(
            wire(&joined),
            json!({"type": "event", "chat_id": 7, "pts": 118, "kind": "member.joined", "data": {"role": "member"}})
        );
        for frame in [added, typing, joined] {
            let back: ChatsFrame = serde_json::from_value(wire(&frame)).unwrap();
            assert_eq!(wire(&back), wire(&frame));
        }
    }

    /// `kind()`, stored in `events.kind`, is the `kind` the frame carries.
    #[test]
    fn kinds_match_the_wire() {
        let seq = MessageRef { seq: 1 };
        let gone = MemberGone {
            user_id: None,
            by: None,
            role: Role::Member,
            until: None,
        };
        let events = [
            ChatEvent::MessageChanged(seq),
            ChatEvent::MessageDeleted(MessageDeleted { seq: 1, by: 2 }),
            ChatEvent::PinChanged(PinChanged {
                seq: 1,
                pinned: true,
                by: 2,
            }),
            ChatEvent::MemberLeft(gone),
            ChatEvent::MemberRemoved(gone),
            ChatEvent::PeerRead(PeerRead { user_id: 2, seq: 1 }),
        ];
        for event in events {
            let kind = event.kind();
            let frame = wire(&ChatsFrame::Event(EventFrame {
                chat_id: 1,
                pts: 1,
                event,
            }));
            assert_eq!(frame["kind"], kind);
        }
        for change in [MessageChange::New, MessageChange::Edited, MessageChange::Attachment] {
            assert_eq!(MessageChange::parse(change.kind()), Some(change));
        }
        let read = UserEvent::ReadUpdated(OwnRead { chat_id: 1, seq: 2 });
        let kind = read.kind();
        assert_eq!(
            wire(&ChatsFrame::UserEvent(UserEventFrame { pts: 1, event: read }))["kind"],
            kind
        );
    }
}
