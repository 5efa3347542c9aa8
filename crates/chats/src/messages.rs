//! Messages: send (idempotent), edit, delete, reactions, pins, read markers, history, typing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use hybrid_core::bus::{Bytes, Envelope};
use hybrid_core::text::fold;
use hybrid_core::{ApiError, ApiResult, Code, now_ms};
use hybrid_store::Sql;
use serde::Serialize;

use crate::api::{HistoryVisibility, Message, MessageRow, ReactionCount, ServiceAction, StoredAttachment};
use crate::body::{self, Entity, EntityKind};
use crate::events::{
    ChatEvent, ChatsFrame, MessageChange, MessageDeleted, MessageRef, Outbox, OwnRead, PeerRead, PinChanged,
    ReactionChanged, Typing, UserEvent,
};
use crate::policy::{ChatKind, Permission};
use crate::service::{Chats, Member, member, member_with};
use crate::store;

pub const MAX_NONCE_LEN: usize = 64;
const MAX_EMOJI_PER_MESSAGE: i64 = 20;

pub struct NewMessage {
    pub text: String,
    pub entities: Vec<Entity>,
    pub reply_to: Option<i64>,
    pub nonce: Option<String>,
    /// From an attach token, another service (`objects.rs`), or the message forwarded.
    pub attachment: Option<StoredAttachment>,
    /// A forwarded message's original author.
    pub forwarded_from: Option<i64>,
    /// A bot's buttons (JSON, checked by the bots service that sends them).
    pub reply_markup: Option<String>,
}

/// A change to a message: what is `Some` is set (`reply_markup: Some(None)` removes the
/// buttons).
#[derive(Debug, Clone, Default)]
pub struct MessageEdit {
    pub text: Option<(String, Vec<Entity>)>,
    /// JSON of the new buttons, checked by the bots service that sends them.
    pub reply_markup: Option<Option<String>>,
}

/// What search finds a message by: its text, and its attachment's words.
/// A plain message (the send path's usual case) borrows its text.
pub(crate) fn search_body<'a>(text: &'a str, attachment: Option<&str>) -> Cow<'a, str> {
    let words = attachment
        .and_then(|stored| serde_json::from_str::<StoredAttachment>(stored).ok())
        .map(|stored| stored.searchable_text)
        .unwrap_or_default();
    if words.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{text}\n{words}"))
    }
}

/// Whether some member of `chat_id` may not see message `seq` (they joined after it, in a chat
/// showing new members no history): an event about it must then not carry its content, since
/// an event is the same for every member.
pub(crate) async fn hidden_from_some(
    tx: &mut Sql<'_>,
    chat_id: i64,
    seq: i64,
    history: HistoryVisibility,
) -> ApiResult<bool> {
    if history != HistoryVisibility::SinceJoin {
        return Ok(false);
    }
    Ok(seq <= store::messages::newest_join(tx, chat_id).await?)
}

/// Posts a service message (`actor` did `action`) inside the transaction that did it, so the
/// message exists if and only if the change committed. It takes the next seq like any message;
/// the actor, if still a member, has read it.
pub(crate) async fn announce(
    tx: &mut Sql<'_>,
    out: &mut Outbox,
    chat_id: i64,
    actor: i64,
    action: &ServiceAction,
) -> ApiResult<()> {
    let now = now_ms();
    let (seq, pts) = store::messages::next_seq(tx, chat_id, now).await?;
    let action = serde_json::to_string(action).expect("actions serialise");
    let row = store::messages::NewRow {
        chat_id,
        seq,
        sender_id: actor,
        text: "",
        entities: "[]",
        reply_to: None,
        nonce: None,
        created_at: now,
        attachment: None,
        attachment_event_at: None,
        action: Some(&action),
        forwarded_from: None,
        reply_markup: None,
    };
    store::messages::insert(tx, &row).await?;
    store::messages::mark_read(tx, chat_id, actor, seq).await?;
    out.message_event_at(tx, chat_id, pts, MessageChange::New, seq).await
}

/// A page of history, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryPage {
    pub messages: Vec<Message>,
    /// More messages exist beyond this page in the direction asked (older for `around`).
    pub has_more: bool,
    /// For `around`: newer messages exist beyond this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_newer: Option<bool>,
}

#[derive(Debug, Clone, Copy)]
pub enum HistoryFrom {
    Latest,
    Before(i64),
    After(i64),
}

/// Which messages a history page holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    All,
    /// Those carrying an attachment: the chat's files and media.
    WithAttachment,
}

/// A message `member` may see (exists, visible to them); deleted ones only when `allow_deleted`.
pub(crate) async fn visible_message(
    tx: &mut Sql<'_>,
    chat_id: i64,
    seq: i64,
    member: &Member,
    allow_deleted: bool,
) -> ApiResult<MessageRow> {
    let row = if seq >= member.first_visible_seq() {
        store::messages::load(tx, chat_id, seq).await?
    } else {
        None
    };
    match row {
        Some(row) if allow_deleted || row.deleted_at.is_none() => Ok(row),
        _ => Err(ApiError::not_found("message")),
    }
}

/// A reaction is one emoji of the Unicode standard (CLDR's list, with skin tones and ZWJ
/// sequences), stored as that emoji's standard form.
fn check_emoji(emoji: &str) -> ApiResult<String> {
    match emojis::get(emoji) {
        Some(known) => Ok(known.as_str().to_owned()),
        None => Err(ApiError::validation("emoji", "must be one standard emoji")),
    }
}

impl Chats {
    /// Fills `user_id` of mention entities whose @name is a known user; a `text_mention` must
    /// name a user who exists.
    async fn resolve_mentions(&self, text: &str, entities: &mut [Entity]) -> ApiResult<()> {
        for entity in entities.iter_mut().filter(|e| e.kind == EntityKind::Mention).take(20) {
            let name = fold(body::utf16_slice(text, entity.offset, entity.length).trim_start_matches('@'));
            entity.user_id = self.directory.find_by_username(&name).await?.map(|u| u.id);
        }
        let mut named: Vec<i64> = entities
            .iter()
            .filter(|e| e.kind == EntityKind::TextMention)
            .filter_map(|e| e.user_id)
            .collect();
        named.sort_unstable();
        named.dedup();
        if !named.is_empty() {
            let found: Vec<i64> = self.directory.cards(&named).await?.into_iter().map(|c| c.id).collect();
            if let Some(missing) = named.iter().find(|id| !found.contains(id)) {
                return Err(ApiError::validation(
                    "entities",
                    format!("text_mention names user {missing}, who does not exist"),
                ));
            }
        }
        Ok(())
    }

    /// Before sending, editing, reacting, pinning, typing: 404 unless `me` is a member (checked first, so a non-member learns
    /// nothing about blocks), 403 in a direct chat whose other member blocks `me`. One read.
    async fn check_can_reach(&self, chat_id: i64, me: i64) -> ApiResult<()> {
        let reach = store::messages::reach(&mut self.db.reads(), chat_id, me).await?;
        let peer = reach.ok_or_else(|| ApiError::not_found("chat"))?;
        if let Some(peer) = peer
            && self.directory.is_blocked(peer, me).await?
        {
            return Err(ApiError::forbidden("this user does not accept your messages"));
        }
        Ok(())
    }

    /// What forwarding message (`chat_id`, `seq`) copies into a new message of `me`'s: its
    /// text, entities and attachment (the card, not the object: a file is not copied, and is
    /// read through either message), and its original author. 404 unless `me` may see it
    /// now; 422 for a service message.
    pub async fn forwarded(&self, me: i64, chat_id: i64, seq: i64) -> ApiResult<NewMessage> {
        let mut reads = self.db.reads();
        let member = member(&mut reads, chat_id, me).await?;
        let row = visible_message(&mut reads, chat_id, seq, &member, false).await?;
        if row.action.is_some() {
            return Err(ApiError::validation("forward", "a service message cannot be forwarded"));
        }
        Ok(NewMessage {
            entities: serde_json::from_str(&row.entities).unwrap_or_default(),
            text: row.text,
            reply_to: None,
            nonce: None,
            attachment: row
                .attachment
                .and_then(|stored| serde_json::from_str::<StoredAttachment>(&stored).ok()),
            // a forward of a forward names the first author
            forwarded_from: Some(row.forwarded_from.unwrap_or(row.sender_id)),
            reply_markup: None,
        })
    }

    /// Sends a message. With a `nonce` already used by this sender in this chat, returns the
    /// message sent then (and `false`) instead of sending again.
    pub async fn send(&self, me: i64, chat_id: i64, new: NewMessage) -> ApiResult<(Message, bool)> {
        self.db.admit_write()?;
        self.check_send_rate(me).await?;
        let nonce = new.nonce.clone();
        match self.send_once(me, chat_id, new).await {
            // Two sends with one nonce raced (PostgreSQL runs them in parallel): the loser
            // hit the unique index; answer with the winner's message.
            Err(err) if err.is(Code::Conflict) && nonce.is_some() => {
                let existing =
                    store::messages::by_nonce(&mut self.db.reads(), chat_id, me, nonce.as_deref().unwrap_or_default())
                        .await?;
                existing.map(|m| (Message::from(m), false)).ok_or(err)
            }
            other => other,
        }
    }

    async fn send_once(&self, me: i64, chat_id: i64, new: NewMessage) -> ApiResult<(Message, bool)> {
        // an object's card may come without a caption
        let mut entities = if new.attachment.is_some() && new.text.is_empty() && new.entities.is_empty() {
            Vec::new()
        } else {
            body::validate(&new.text, new.entities, self.config.max_text_length)?
        };
        if let Some(nonce) = &new.nonce
            && (nonce.is_empty() || nonce.len() > MAX_NONCE_LEN)
        {
            return Err(ApiError::validation(
                "nonce",
                format!("must be 1 to {MAX_NONCE_LEN} bytes"),
            ));
        }
        self.resolve_mentions(&new.text, &mut entities).await?;
        self.check_can_reach(chat_id, me).await?;
        let entities_json = serde_json::to_string(&entities).expect("entities serialise");
        let attachment_json = new
            .attachment
            .as_ref()
            .map(|a| serde_json::to_string(a).expect("attachments serialise"));
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member_with(tx, chat_id, me, Permission::SendMessages, "send messages").await?;
                if let Some(nonce) = &new.nonce
                    && let Some(existing) = store::messages::by_nonce(tx, chat_id, me, nonce).await?
                {
                    return Ok((Message::from(existing), false));
                }
                if let Some(reply_to) = new.reply_to {
                    visible_message(tx, chat_id, reply_to, &member, true)
                        .await
                        .map_err(|_| ApiError::validation("reply_to", "no such message in this chat"))?;
                }
                let now = now_ms();
                // The message's seq and its event's pts in one statement.
                let (seq, pts) = store::messages::next_seq(tx, chat_id, now).await?;
                // a card's first event is this message's: its updates count from now
                let attachment_event_at = attachment_json.is_some().then_some(now);
                let row = store::messages::NewRow {
                    chat_id,
                    seq,
                    sender_id: me,
                    text: &new.text,
                    entities: &entities_json,
                    reply_to: new.reply_to,
                    nonce: new.nonce.as_deref(),
                    created_at: now,
                    attachment: attachment_json.as_deref(),
                    attachment_event_at,
                    action: None,
                    forwarded_from: new.forwarded_from,
                    reply_markup: new.reply_markup.as_deref(),
                };
                store::messages::insert(tx, &row).await?;
                let searched = search_body(&new.text, attachment_json.as_deref());
                store::search::index(tx, chat_id, seq, &searched).await?;
                // Sending reads everything before.
                store::messages::mark_read(tx, chat_id, me, seq).await?;
                let message = Message {
                    chat_id,
                    seq,
                    sender_id: me,
                    text: new.text,
                    entities,
                    reply_to: new.reply_to,
                    created_at: now,
                    edited_at: None,
                    deleted: false,
                    nonce: new.nonce,
                    reactions: Vec::new(),
                    attachment: new.attachment.map(|a| a.card),
                    action: None,
                    forwarded_from: new.forwarded_from,
                    reply_markup: new.reply_markup.and_then(|markup| serde_json::from_str(&markup).ok()),
                };
                out.message_event_at(tx, chat_id, pts, MessageChange::New, seq).await?;
                Ok((message, true))
            })
        })
        .await
    }

    /// Edits a message's text: see [`Chats::edit_message`].
    pub async fn edit(
        &self,
        me: i64,
        chat_id: i64,
        seq: i64,
        text: String,
        entities: Vec<Entity>,
    ) -> ApiResult<Message> {
        let edit = MessageEdit {
            text: Some((text, entities)),
            reply_markup: None,
        };
        Ok(self.edit_message(me, chat_id, seq, edit).await?.0)
    }

    /// Edits a message's text and/or buttons: its author, or a member with the edit-others
    /// right; either way only while allowed to send (a muted member, or a channel admin made a
    /// member, cannot rewrite what they posted), and not into a direct chat whose other member
    /// blocks them. Answers whether anything changed: an edit to what the message already
    /// says writes nothing and tells nobody.
    pub async fn edit_message(&self, me: i64, chat_id: i64, seq: i64, edit: MessageEdit) -> ApiResult<(Message, bool)> {
        let text = match edit.text {
            Some((text, entities)) => {
                let mut entities = body::validate(&text, entities, self.config.max_text_length)?;
                self.resolve_mentions(&text, &mut entities).await?;
                Some((text, entities))
            }
            None => None,
        };
        self.check_can_reach(chat_id, me).await?;
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member_with(tx, chat_id, me, Permission::SendMessages, "edit messages").await?;
                let row = visible_message(tx, chat_id, seq, &member, false).await?;
                if row.action.is_some() {
                    return Err(ApiError::forbidden("a service message cannot be edited"));
                }
                if row.sender_id != me {
                    member.require(Permission::EditOthers, "edit others' messages")?;
                }
                let now = now_ms();
                let mut changed = false;
                let attachment = row.attachment.clone();
                let mut message = Message::from(row);
                if let Some((text, entities)) = text
                    && (text != message.text || entities != message.entities)
                {
                    let entities_json = serde_json::to_string(&entities).expect("entities serialise");
                    store::messages::set_text(tx, chat_id, seq, &text, &entities_json, now).await?;
                    store::search::unindex(tx, chat_id, seq).await?;
                    let searched = search_body(&text, attachment.as_deref());
                    store::search::index(tx, chat_id, seq, &searched).await?;
                    message.text = text;
                    message.entities = entities;
                    changed = true;
                }
                if let Some(markup) = edit.reply_markup {
                    let parsed = markup.as_deref().and_then(|m| serde_json::from_str(m).ok());
                    if parsed != message.reply_markup {
                        store::messages::set_reply_markup(tx, chat_id, seq, markup.as_deref(), now).await?;
                        message.reply_markup = parsed;
                        changed = true;
                    }
                }
                if !changed {
                    return Ok((message, false));
                }
                message.edited_at = Some(now);
                message.reactions = store::messages::reaction_counts(tx, chat_id, seq).await?;
                if hidden_from_some(tx, chat_id, seq, member.history).await? {
                    out.chat_event(tx, chat_id, ChatEvent::MessageChanged(MessageRef { seq }), None)
                        .await?;
                } else {
                    out.message_event(tx, chat_id, MessageChange::Edited, seq).await?;
                }
                Ok((message, true))
            })
        })
        .await
    }

    /// Deletes a message for everyone, leaving a tombstone: its author, or a member with the
    /// delete-others right.
    pub async fn delete(&self, me: i64, chat_id: i64, seq: i64) -> ApiResult<()> {
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member(tx, chat_id, me).await?;
                let row = visible_message(tx, chat_id, seq, &member, false).await?;
                if row.sender_id != me {
                    member.require(Permission::DeleteOthers, "delete others' messages")?;
                }
                store::messages::tombstone(tx, chat_id, seq, now_ms()).await?;
                store::search::unindex(tx, chat_id, seq).await?;
                let deleted = MessageDeleted { seq, by: me };
                out.chat_event(tx, chat_id, ChatEvent::MessageDeleted(deleted), None)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Adds (`add`) or removes `me`'s reaction `emoji` on a message. Any member may react,
    /// except in a direct chat whose other member blocks them (taking one back is allowed).
    pub async fn react(
        &self,
        me: i64,
        chat_id: i64,
        seq: i64,
        emoji: &str,
        add: bool,
    ) -> ApiResult<Vec<ReactionCount>> {
        let emoji = match check_emoji(emoji) {
            Ok(emoji) => emoji,
            // a reaction stored before reactions were checked can still be taken back
            Err(_) if !add && !emoji.is_empty() && emoji.len() <= 32 => emoji.to_owned(),
            Err(err) => return Err(err),
        };
        if add {
            self.check_can_reach(chat_id, me).await?;
        }
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member(tx, chat_id, me).await?;
                visible_message(tx, chat_id, seq, &member, false).await?;
                let changed = if add {
                    if store::messages::other_emoji(tx, chat_id, seq, &emoji).await? >= MAX_EMOJI_PER_MESSAGE {
                        return Err(ApiError::validation(
                            "emoji",
                            "this message has too many different reactions",
                        ));
                    }
                    store::messages::add_reaction(tx, chat_id, seq, me, &emoji, now_ms()).await?
                } else {
                    store::messages::remove_reaction(tx, chat_id, seq, me, &emoji).await?
                };
                let reactions = store::messages::reaction_counts(tx, chat_id, seq).await?;
                if changed > 0 {
                    // a channel's subscribers react anonymously, as in Telegram
                    let changed = ReactionChanged {
                        seq,
                        user_id: Some(me).filter(|_| !member.is_channel_subscriber()),
                        emoji,
                        added: add,
                        reactions: reactions.clone(),
                    };
                    out.chat_event(tx, chat_id, ChatEvent::ReactionChanged(changed), None)
                        .await?;
                }
                Ok(reactions)
            })
        })
        .await
    }

    /// Who reacted with what, up to 100 users per emoji. In a channel only its owner and
    /// admins may ask: subscribers do not learn who else reads it.
    pub async fn reactions(&self, me: i64, chat_id: i64, seq: i64) -> ApiResult<BTreeMap<String, Vec<i64>>> {
        let member = self.member(chat_id, me).await?;
        if member.is_channel_subscriber() {
            return Err(ApiError::forbidden("only a channel's admins see who reacted"));
        }
        let mut reads = self.db.reads();
        visible_message(&mut reads, chat_id, seq, &member, false).await?;
        let rows = store::messages::reactors(&mut reads, chat_id, seq).await?;
        let mut who: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for (emoji, user) in rows {
            let users = who.entry(emoji).or_default();
            if users.len() < 100 {
                users.push(user);
            }
        }
        Ok(who)
    }

    /// Pins or unpins a message (not in a direct chat whose other member blocks `me`).
    pub async fn pin(&self, me: i64, chat_id: i64, seq: i64, pinned: bool) -> ApiResult<()> {
        self.check_can_reach(chat_id, me).await?;
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member_with(tx, chat_id, me, Permission::Pin, "pin messages").await?;
                visible_message(tx, chat_id, seq, &member, !pinned).await?;
                let changed = if pinned {
                    store::messages::pin(tx, chat_id, seq, me, now_ms()).await?
                } else {
                    store::messages::unpin(tx, chat_id, seq).await?
                };
                if changed > 0 {
                    let changed = PinChanged { seq, pinned, by: me };
                    out.chat_event(tx, chat_id, ChatEvent::PinChanged(changed), None)
                        .await?;
                    if pinned {
                        announce(tx, out, chat_id, me, &ServiceAction::MessagePinned { seq }).await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Pinned messages, most recently pinned first.
    pub async fn pins(&self, me: i64, chat_id: i64) -> ApiResult<Vec<Message>> {
        let member = self.member(chat_id, me).await?;
        let rows = store::messages::pinned(&mut self.db.reads(), chat_id, member.first_visible_seq()).await?;
        Ok(rows.into_iter().map(Message::from).collect())
    }

    /// Moves my read marker forward to `seq` (never back). Tells my other devices, and in a
    /// direct chat the other member too.
    pub async fn mark_read(&self, me: i64, chat_id: i64, seq: i64) -> ApiResult<i64> {
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member(tx, chat_id, me).await?;
                let seq = seq.clamp(0, member.last_seq);
                if seq <= member.read_seq {
                    return Ok(member.read_seq);
                }
                store::messages::mark_read(tx, chat_id, me, seq).await?;
                out.user_event(tx, me, UserEvent::ReadUpdated(OwnRead { chat_id, seq }), None)
                    .await?;
                if member.kind() == ChatKind::Direct {
                    let read = PeerRead { user_id: me, seq };
                    out.chat_event(tx, chat_id, ChatEvent::PeerRead(read), None).await?;
                }
                Ok(seq)
            })
        })
        .await
    }

    /// A page of history `me` may read, oldest first.
    pub async fn history(
        &self,
        me: i64,
        chat_id: i64,
        from: HistoryFrom,
        limit: i64,
        only: Only,
    ) -> ApiResult<HistoryPage> {
        let member = self.member(chat_id, me).await?;
        let first = member.first_visible_seq();
        let descending = !matches!(from, HistoryFrom::After(_));
        let (mut reads, last) = (self.db.reads(), member.last_seq);
        let mut rows = store::messages::page(&mut reads, chat_id, first, from, last, limit + 1, only).await?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if descending {
            rows.reverse();
        }
        let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
        if let (Some(lo), Some(hi)) = (messages.first().map(|m| m.seq), messages.last().map(|m| m.seq)) {
            let counts = store::messages::reaction_counts_between(&mut self.db.reads(), chat_id, lo, hi, me).await?;
            for (seq, emoji, count, mine) in counts {
                // by seq: a page of messages with attachments has gaps
                let at = messages.binary_search_by_key(&seq, |m| m.seq);
                if let Some(message) = at.ok().map(|i| &mut messages[i]) {
                    message.reactions.push(ReactionCount {
                        emoji,
                        count,
                        me: mine != 0,
                    });
                }
            }
        }
        Ok(HistoryPage {
            messages,
            has_more,
            has_newer: None,
        })
    }

    /// A page centred on `seq`: it and older messages, then newer ones.
    pub async fn history_around(
        &self,
        me: i64,
        chat_id: i64,
        seq: i64,
        limit: i64,
        only: Only,
    ) -> ApiResult<HistoryPage> {
        let newer_limit = limit / 2;
        let older_from = HistoryFrom::Before(seq.saturating_add(1));
        let older = self.history(me, chat_id, older_from, limit - newer_limit, only).await?;
        let newer = match newer_limit {
            0 => None,
            n => Some(self.history(me, chat_id, HistoryFrom::After(seq), n, only).await?),
        };
        let mut messages = older.messages;
        let has_newer = newer.as_ref().map(|p| p.has_more);
        messages.extend(newer.into_iter().flat_map(|p| p.messages));
        Ok(HistoryPage {
            messages,
            has_more: older.has_more,
            has_newer: Some(has_newer.unwrap_or(true)),
        })
    }

    /// Per-user budget of sends per minute (`chats.send_rate_per_minute`, shared by every
    /// process), so one account cannot flood chats or the disk.
    async fn check_send_rate(&self, me: i64) -> ApiResult<()> {
        self.check_rate(&format!("send:{me}"), self.config.send_rate_per_minute, "sending")
            .await
    }

    /// Tells the chat's listeners that `me` is typing; only in chats up to the configured size,
    /// and not in a direct chat whose other member blocks `me`.
    pub async fn typing(&self, me: i64, chat_id: i64) -> ApiResult<bool> {
        let member = self.member(chat_id, me).await?;
        member.require(Permission::SendMessages, "send messages")?;
        if member.kind() == ChatKind::Direct {
            self.check_can_reach(chat_id, me).await?;
        }
        if member.member_count > self.config.typing_max_members {
            return Ok(false);
        }
        // Clients repeat the call while typing: one frame per repeat interval is enough.
        if !self
            .state
            .set_once(&format!("typing:{chat_id}:{me}"), TYPING_REPEAT)
            .await?
        {
            return Ok(true);
        }
        let frame = ChatsFrame::Typing(Typing {
            chat_id,
            user_id: me,
            expires_ms: TYPING_EXPIRES_MS,
        });
        self.bus.publish(Envelope::ephemeral(
            hybrid_realtime_api::chat(chat_id),
            Bytes::from(hybrid_core::frame_text(&frame)),
        ));
        Ok(true)
    }
}

/// How long a typing notification lasts unless repeated.
pub const TYPING_EXPIRES_MS: i64 = 6000;
/// Repeated typing calls within this time send no new frame.
const TYPING_REPEAT: Duration = Duration::from_millis(TYPING_EXPIRES_MS as u64 / 2);

#[cfg(test)]
mod tests {
    use super::check_emoji;

    #[test]
    fn a_reaction_is_one_standard_emoji() {
        for good in ["👍", "👍🏽", "❤️", "🏳️‍🌈", "🇺🇦", "👨‍👩‍👧", "1️⃣"] {
            assert!(check_emoji(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "!",
            "a",
            ":)",
            "1",
            "👍👍",
            "👍 ",
            "🇺",
            "‼‼",
            "x\u{20E3}",
            "\u{202E}",
        ] {
            assert!(check_emoji(bad).is_err(), "{bad:?}");
        }
    }
}
