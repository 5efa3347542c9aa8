//! How bots get updates: the service consumes chats' event stream durably
//! (`hybrid_core::stream`), so an update is queued exactly when its event counts as consumed,
//! nothing lost across a restart. It learns which chats each bot is in from the bot's own
//! `chat.added` / `chat.removed` events, turns messages in those chats into `message`,
//! `edited_message`, `channel_post` and `edited_channel_post` updates (privacy mode applied),
//! drops the queued updates of a deleted message, and once the batch is committed wakes the
//! long polls of the bots that got something.

use std::collections::HashMap;
use std::sync::Arc;

use hybrid_chats_api::body::EntityKind;
use hybrid_chats_api::{Action, ChatActions, ChatMessage, Outcome};
use hybrid_core::ApiResult;
use hybrid_core::bus::{Control, Envelope};
use hybrid_core::stream::{Handler, StreamEvent};
use hybrid_store::Sql;
use hybrid_users_api::UserDirectory;
use serde::Deserialize;

use crate::botapi::shapes::{self, Cards, ChatMeta};
use crate::botapi::updates;
use crate::store::{self, BotInChat};

/// The handler of the consumer of chats' events.
pub fn follow_chats(chats: Arc<dyn ChatActions>, directory: Arc<dyn UserDirectory>) -> Arc<Handler> {
    Arc::new(move |tx: &mut Sql<'_>, events: &[StreamEvent]| {
        let (chats, directory) = (chats.clone(), directory.clone());
        Box::pin(async move {
            let follower = Follower {
                chats: chats.as_ref(),
                directory: directory.as_ref(),
            };
            follower.follow(tx, events).await
        })
    })
}

/// The parts of an event's frame read here (`{"type":"event","chat_id",…,"data":{…}}`; a
/// user event has no `chat_id`).
#[derive(Deserialize)]
struct Frame<D> {
    chat_id: Option<i64>,
    data: D,
}

/// A message frame's data: the message, as chats' API shows it.
#[derive(Deserialize)]
struct MessageData {
    #[serde(flatten)]
    message: ChatMessage,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    action: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SeqData {
    seq: i64,
}

#[derive(Deserialize)]
struct ChatAddedData {
    chat_id: i64,
    kind: String,
    #[serde(default)]
    title: String,
    by: i64,
}

#[derive(Deserialize)]
struct ChatRemovedData {
    chat_id: i64,
}

#[derive(Deserialize)]
struct ChatUpdatedData {
    title: String,
}

/// An update to queue: for `bot`, of `kind`, about `message`.
struct Pending {
    bot: BotInChat,
    kind: &'static str,
    message: ChatMessage,
}

struct Follower<'c> {
    chats: &'c dyn ChatActions,
    directory: &'c dyn UserDirectory,
}

impl Follower<'_> {
    async fn follow(&self, tx: &mut Sql<'_>, events: &[StreamEvent]) -> ApiResult<Vec<Envelope>> {
        let message_chats: Vec<i64> = events
            .iter()
            .filter(|e| e.topic.namespace == "chat" && e.kind.starts_with("message."))
            .map(|e| e.topic.id)
            .collect();
        let mut bots: HashMap<i64, Vec<BotInChat>> = HashMap::new();
        for bot in store::follow::bots_in(tx, &message_chats).await? {
            bots.entry(bot.chat_id).or_default().push(bot);
        }
        let mut pending = Vec::new();
        for event in events {
            let payload = event.payload.as_str();
            match (event.topic.namespace, event.kind.as_str()) {
                ("user", "chat.added") => {
                    let Some(frame) = parse::<ChatAddedData>(payload) else {
                        continue;
                    };
                    let bot_id = event.topic.id;
                    if store::follow::is_bot(tx, bot_id).await? {
                        let joined = self.join(tx, bot_id, frame.data).await?;
                        bots.entry(joined.chat_id).or_default().push(joined);
                    }
                }
                ("user", "chat.removed") => {
                    let Some(frame) = parse::<ChatRemovedData>(payload) else {
                        continue;
                    };
                    let (bot_id, chat_id) = (event.topic.id, frame.data.chat_id);
                    store::follow::leave(tx, bot_id, chat_id).await?;
                    if let Some(list) = bots.get_mut(&chat_id) {
                        list.retain(|bot| bot.bot_id != bot_id);
                    }
                }
                ("chat", "chat.updated") => {
                    let Some(frame) = parse::<ChatUpdatedData>(payload) else {
                        continue;
                    };
                    store::follow::retitle(tx, event.topic.id, &frame.data.title).await?;
                    for bot in bots.get_mut(&event.topic.id).into_iter().flatten() {
                        bot.title = frame.data.title.clone();
                    }
                }
                ("chat", "message.deleted") => {
                    let Some(frame) = parse::<SeqData>(payload) else {
                        continue;
                    };
                    store::follow::forget_message(tx, event.topic.id, frame.data.seq).await?;
                }
                ("chat", kind @ ("message.new" | "message.edited")) => {
                    let Some(frame) = parse::<MessageData>(payload) else {
                        continue;
                    };
                    let chat_id = frame.chat_id.unwrap_or(event.topic.id);
                    if frame.data.deleted || frame.data.action.is_some() || frame.data.message.text.is_empty() {
                        continue;
                    }
                    for bot in bots.get(&chat_id).into_iter().flatten() {
                        if bot.bot_id == frame.data.message.sender_id {
                            continue;
                        }
                        let kind = update_kind(&bot.kind, kind == "message.edited");
                        if updates::wants(bot.allowed_updates.as_deref(), kind) {
                            pending.push(Pending {
                                bot: bot.clone(),
                                kind,
                                message: frame.data.message.clone(),
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        self.queue(tx, pending).await
    }

    /// Records that a bot is in a chat. A private chat's other member is who opened it, or,
    /// for one the bot is in from elsewhere, what chats says.
    async fn join(&self, tx: &mut Sql<'_>, bot_id: i64, added: ChatAddedData) -> ApiResult<BotInChat> {
        let peer_id = match added.kind.as_str() {
            "direct" if added.by != bot_id => Some(added.by),
            "direct" => match self.chats.act(bot_id, Action::Chat { chat_id: added.chat_id }).await {
                Ok(Outcome::Chat(view)) => view.peer_id,
                _ => None,
            },
            _ => None,
        };
        store::follow::join(tx, bot_id, added.chat_id, &added.kind, &added.title, peer_id).await?;
        let (privacy, username, allowed_updates) = store::follow::settings(tx, bot_id).await?;
        Ok(BotInChat {
            bot_id,
            chat_id: added.chat_id,
            kind: added.kind,
            title: added.title,
            peer_id,
            privacy,
            username,
            allowed_updates,
        })
    }

    /// Renders and queues the updates that privacy mode lets through, in event order.
    async fn queue(&self, tx: &mut Sql<'_>, pending: Vec<Pending>) -> ApiResult<Vec<Envelope>> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        // the messages replied to, read once each (as a bot in that chat)
        let mut replied: HashMap<(i64, i64), Option<ChatMessage>> = HashMap::new();
        for item in &pending {
            if let Some(seq) = item.message.reply_to {
                let key = (item.message.chat_id, seq);
                if !replied.contains_key(&key) {
                    let read = Action::Message { chat_id: key.0, seq };
                    let message = match self.chats.act(item.bot.bot_id, read).await {
                        Ok(Outcome::Message(message)) => Some(message),
                        _ => None,
                    };
                    replied.insert(key, message);
                }
            }
        }
        let mut users: Vec<i64> = Vec::new();
        let mut kept = Vec::with_capacity(pending.len());
        for item in pending {
            let reply = item
                .message
                .reply_to
                .and_then(|seq| replied.get(&(item.message.chat_id, seq)).cloned().flatten());
            if !visible_to(&item.bot, &item.message, reply.as_ref()) {
                continue;
            }
            let meta = meta(&item.bot);
            users.extend(shapes::users_of(&item.message, &meta));
            if let Some(reply) = &reply {
                users.extend(shapes::users_of(reply, &meta));
            }
            kept.push((item, meta, reply));
        }
        users.sort_unstable();
        users.dedup();
        let cards: Cards = self
            .directory
            .cards(&users)
            .await?
            .into_iter()
            .map(|card| (card.id, card))
            .collect();
        let mut woken: Vec<i64> = Vec::new();
        let mut webhooks = false;
        for (item, meta, reply) in kept {
            let reply = reply.map(|reply| shapes::Message::of(&reply, &meta, &cards, None));
            let rendered = shapes::Message::of(&item.message, &meta, &cards, reply);
            let payload = serde_json::to_string(&rendered).expect("messages serialise");
            let (chat_id, seq) = (item.message.chat_id, item.message.seq);
            let pushed = store::follow::push(tx, item.bot.bot_id, item.kind, chat_id, seq, &payload).await?;
            webhooks |= pushed;
            if !woken.contains(&item.bot.bot_id) {
                woken.push(item.bot.bot_id);
            }
        }
        let mut envelopes: Vec<Envelope> = woken
            .into_iter()
            .map(|bot| Envelope::control(updates::topic(bot), Control::new(updates::WAKE)))
            .collect();
        if webhooks {
            envelopes.push(hybrid_core::job_board::wake_envelope(crate::SERVICE));
        }
        Ok(envelopes)
    }
}

fn parse<D: serde::de::DeserializeOwned>(payload: &str) -> Option<Frame<D>> {
    serde_json::from_str(payload).ok()
}

fn meta(bot: &BotInChat) -> ChatMeta {
    ChatMeta {
        chat_id: bot.chat_id,
        kind: bot.kind.clone(),
        title: bot.title.clone(),
        peer_id: bot.peer_id,
    }
}

/// The update's field: a channel's messages are posts.
fn update_kind(chat_kind: &str, edited: bool) -> &'static str {
    match (chat_kind == "channel", edited) {
        (true, false) => "channel_post",
        (true, true) => "edited_channel_post",
        (false, false) => "message",
        (false, true) => "edited_message",
    }
}

/// Telegram's privacy mode: in a group, a bot with privacy on sees only commands (its own
/// `/cmd@name`, or without a name), replies to its messages, and mentions of it. Private
/// chats and channels show it everything.
fn visible_to(bot: &BotInChat, message: &ChatMessage, reply: Option<&ChatMessage>) -> bool {
    if bot.kind != "group" || bot.privacy == 0 {
        return true;
    }
    if reply.is_some_and(|reply| reply.sender_id == bot.bot_id) {
        return true;
    }
    message.entities.iter().any(|entity| {
        let text = utf16_slice(&message.text, entity.offset, entity.length);
        match entity.kind {
            EntityKind::BotCommand => match text.split_once('@') {
                Some((_, name)) => name.eq_ignore_ascii_case(&bot.username),
                None => true,
            },
            EntityKind::Mention => {
                entity.user_id == Some(bot.bot_id) || text.trim_start_matches('@').eq_ignore_ascii_case(&bot.username)
            }
            EntityKind::TextMention => entity.user_id == Some(bot.bot_id),
            _ => false,
        }
    })
}

/// The text at a UTF-16 range (empty when the range is not on character boundaries).
fn utf16_slice(text: &str, offset: i64, length: i64) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    let (start, end) = (offset.max(0) as usize, (offset + length).max(0) as usize);
    units
        .get(start..end.min(units.len()))
        .map(|slice| String::from_utf16(slice).unwrap_or_default())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use hybrid_chats_api::body::Entity;

    use super::*;

    fn bot(kind: &str, privacy: i64) -> BotInChat {
        BotInChat {
            bot_id: 9,
            chat_id: 1,
            kind: kind.into(),
            title: "Team".into(),
            peer_id: None,
            privacy,
            username: "echo_bot".into(),
            allowed_updates: None,
        }
    }

    fn message(text: &str, entities: Vec<(EntityKind, i64, i64, Option<i64>)>) -> ChatMessage {
        ChatMessage {
            chat_id: 1,
            seq: 2,
            sender_id: 5,
            text: text.into(),
            entities: entities
                .into_iter()
                .map(|(kind, offset, length, user_id)| Entity {
                    kind,
                    offset,
                    length,
                    url: None,
                    user_id,
                    language: None,
                })
                .collect(),
            reply_to: None,
            created_at: 0,
            edited_at: None,
            forwarded_from: None,
            reply_markup: None,
            changed: true,
        }
    }

    #[test]
    fn privacy_mode_lets_through_what_telegrams_does() {
        let group = bot("group", 1);
        let plain = message("hello all", vec![]);
        assert!(!visible_to(&group, &plain, None));
        assert!(visible_to(&bot("group", 0), &plain, None), "privacy off");
        assert!(visible_to(&bot("direct", 1), &plain, None));
        assert!(visible_to(&bot("channel", 1), &plain, None));
        let command = message("/start", vec![(EntityKind::BotCommand, 0, 6, None)]);
        assert!(visible_to(&group, &command, None));
        let mine = message("/start@Echo_Bot", vec![(EntityKind::BotCommand, 0, 15, None)]);
        assert!(visible_to(&group, &mine, None));
        let theirs = message("/start@other_bot", vec![(EntityKind::BotCommand, 0, 16, None)]);
        assert!(!visible_to(&group, &theirs, None));
        let mention = message("hi @echo_bot", vec![(EntityKind::Mention, 3, 9, Some(9))]);
        assert!(visible_to(&group, &mention, None));
        let other = message("hi @amy_1", vec![(EntityKind::Mention, 3, 6, Some(4))]);
        assert!(!visible_to(&group, &other, None));
        let mut to_bot = message("ok", vec![]);
        to_bot.sender_id = 9;
        assert!(visible_to(&group, &plain, Some(&to_bot)), "a reply to the bot");
    }

    #[test]
    fn utf16_ranges() {
        assert_eq!(utf16_slice("👋 /go", 3, 3), "/go");
        assert_eq!(utf16_slice("ab", 1, 5), "b");
    }
}
