//! How bots get updates: the service consumes chats' event stream durably
//! (`hybrid_core::stream`), so an update is queued exactly when its event counts as consumed,
//! nothing lost across a restart. It learns which chats each bot is in (and its role there)
//! from the bot's own events, and turns what happens in those chats into updates: messages
//! (`message`, `edited_message`, `channel_post`, `edited_channel_post`; privacy mode applied;
//! service messages as their fields), the bot's own membership (`my_chat_member`), other
//! members' changes for bots that administer the chat (`chat_member`), and requests to join
//! (`chat_join_request`). It drops the queued updates of a deleted message, and once the batch
//! is committed wakes the long polls of the bots that got something.

use std::collections::HashMap;
use std::sync::Arc;

use hybrid_chats_api::body::EntityKind;
use hybrid_chats_api::{Action, ChatMessage, EventFrame, InviteView, MemberView, Outcome};
use hybrid_core::bus::{Control, Envelope};
use hybrid_core::stream::{Handler, StreamEvent};
use hybrid_core::{ApiResult, now_ms};
use hybrid_store::Sql;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::botapi::shapes::{self, Cards, ChatMeta};
use crate::botapi::updates;
use crate::service::Bots;
use crate::store::{self, BotInChat};

/// The handler of the consumer of chats' events.
pub fn follow_chats(bots: Arc<Bots>) -> Arc<Handler> {
    Arc::new(move |tx: &mut Sql<'_>, events: &[StreamEvent]| {
        let bots = bots.clone();
        Box::pin(async move { Follower { bots: &bots }.follow(tx, events).await })
    })
}

/// A message frame's data: the message, as chats' API shows it.
#[derive(Deserialize)]
struct MessageData {
    #[serde(flatten)]
    message: ChatMessage,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    action: Option<shapes::Action>,
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
    by: i64,
}

#[derive(Deserialize)]
struct ChatUpdatedData {
    title: String,
}

/// `member.joined`, `member.left`, `member.removed` (no user: a channel's subscriber).
#[derive(Deserialize)]
struct MemberData {
    user_id: Option<i64>,
    by: Option<i64>,
    role: String,
    /// A removal's ban end.
    #[serde(default)]
    until: Option<i64>,
}

#[derive(Deserialize)]
struct MemberUpdatedData {
    member: MemberChange,
    by: i64,
    previous: MemberChange,
}

#[derive(Deserialize)]
struct MemberChange {
    user_id: i64,
    role: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
}

#[derive(Deserialize)]
struct JoinRequestedData {
    chat_id: i64,
    user_id: i64,
    code: String,
    link_created_by: i64,
    #[serde(default)]
    link_name: String,
    requested_at: i64,
}

impl MemberChange {
    fn view(&self) -> MemberView {
        MemberView {
            user_id: self.user_id,
            status: self.role.clone(),
            permissions: self.permissions.clone(),
            allow: self.allow.clone(),
            deny: self.deny.clone(),
            until: None,
        }
    }
}

/// An update to queue for `bot`, of `kind`.
struct Pending {
    bot: BotInChat,
    kind: &'static str,
    what: What,
}

enum What {
    /// A message, or a service message (`action`).
    Message {
        message: ChatMessage,
        action: Option<shapes::Action>,
    },
    /// A member's standing changed, by `by` (ChatMemberUpdated).
    Member { by: i64, old: MemberView, new: MemberView },
    /// Someone asks to join (ChatJoinRequest).
    JoinRequest(JoinRequestedData),
}

struct Follower<'b> {
    bots: &'b Bots,
}

impl Follower<'_> {
    async fn follow(&self, tx: &mut Sql<'_>, events: &[StreamEvent]) -> ApiResult<Vec<Envelope>> {
        let watched_chats: Vec<i64> = events
            .iter()
            .filter(|e| {
                e.topic.namespace == "chat" && (e.kind.starts_with("message.") || e.kind.starts_with("member."))
            })
            .map(|e| e.topic.id)
            .collect();
        let mut bots: HashMap<i64, Vec<BotInChat>> = HashMap::new();
        for bot in store::follow::bots_in(tx, &watched_chats).await? {
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
                    let by = frame.data.by;
                    let Some(joined) = self.join(tx, event.topic.id, frame.data).await? else {
                        continue;
                    };
                    if joined.kind != "direct" {
                        let (old, new) = (standing(joined.bot_id, "none"), standing(joined.bot_id, &joined.role));
                        pending.push(Pending::member(&joined, "my_chat_member", by, old, new));
                    }
                    bots.entry(joined.chat_id).or_default().push(joined);
                }
                ("user", "chat.removed") => {
                    let Some(frame) = parse::<ChatRemovedData>(payload) else {
                        continue;
                    };
                    let (bot_id, chat_id) = (event.topic.id, frame.data.chat_id);
                    let Some(was) = store::follow::leave(tx, bot_id, chat_id).await? else {
                        continue;
                    };
                    if let Some(list) = bots.get_mut(&chat_id) {
                        list.retain(|bot| bot.bot_id != bot_id);
                    }
                    if was.kind != "direct" {
                        let by = frame.data.by;
                        // removing a member bans them (chats' rule)
                        let status = if by == bot_id { "none" } else { "banned" };
                        let (old, new) = (standing(bot_id, &was.role), standing(bot_id, status));
                        pending.push(Pending::member(&was, "my_chat_member", by, old, new));
                    }
                }
                ("user", "join_request.new") => {
                    let Some(frame) = parse::<JoinRequestedData>(payload) else {
                        continue;
                    };
                    let Some(bot) = store::follow::in_chat(tx, event.topic.id, frame.data.chat_id).await? else {
                        continue;
                    };
                    pending.push(Pending {
                        bot,
                        kind: "chat_join_request",
                        what: What::JoinRequest(frame.data),
                    });
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
                ("chat", kind @ ("member.joined" | "member.left" | "member.removed")) => {
                    let Some(frame) = parse::<MemberData>(payload) else {
                        continue;
                    };
                    let (Some(user_id), Some(by)) = (frame.data.user_id, frame.data.by) else {
                        continue; // a channel's subscriber: not named
                    };
                    let (old, new) = match kind {
                        "member.joined" => (standing(user_id, "none"), standing(user_id, &frame.data.role)),
                        "member.left" => (standing(user_id, &frame.data.role), standing(user_id, "none")),
                        _ => {
                            let banned = MemberView {
                                until: frame.data.until,
                                ..standing(user_id, "banned")
                            };
                            (standing(user_id, &frame.data.role), banned)
                        }
                    };
                    for bot in administrators(&bots, event.topic.id, user_id) {
                        pending.push(Pending::member(bot, "chat_member", by, old.clone(), new.clone()));
                    }
                }
                ("chat", "member.updated") => {
                    let Some(frame) = parse::<MemberUpdatedData>(payload) else {
                        continue;
                    };
                    let (chat_id, change) = (event.topic.id, &frame.data.member);
                    let (old, new) = (frame.data.previous.view(), change.view());
                    if let Some(bot) = bots
                        .get_mut(&chat_id)
                        .and_then(|list| list.iter_mut().find(|bot| bot.bot_id == change.user_id))
                    {
                        store::follow::set_role(tx, bot.bot_id, chat_id, &change.role).await?;
                        bot.role = change.role.clone();
                        let bot = bot.clone();
                        pending.push(Pending::member(
                            &bot,
                            "my_chat_member",
                            frame.data.by,
                            old.clone(),
                            new.clone(),
                        ));
                    }
                    for bot in administrators(&bots, chat_id, change.user_id) {
                        pending.push(Pending::member(
                            bot,
                            "chat_member",
                            frame.data.by,
                            old.clone(),
                            new.clone(),
                        ));
                    }
                }
                ("chat", kind @ ("message.new" | "message.edited")) => {
                    let Some(frame) = parse::<MessageData>(payload) else {
                        continue;
                    };
                    let chat_id = frame.chat_id.unwrap_or(event.topic.id);
                    let MessageData {
                        message,
                        deleted,
                        action,
                    } = frame.data;
                    let service = action.is_some();
                    let empty = message.text.is_empty() && message.attachment.is_none();
                    if deleted || (!service && empty) || (service && kind == "message.edited") {
                        continue;
                    }
                    for bot in bots.get(&chat_id).into_iter().flatten() {
                        if bot.bot_id == message.sender_id {
                            continue;
                        }
                        let kind = update_kind(&bot.kind, kind == "message.edited");
                        if updates::wants(bot.allowed_updates.as_deref(), kind) {
                            pending.push(Pending {
                                bot: bot.clone(),
                                kind,
                                what: What::Message {
                                    message: message.clone(),
                                    action: action.clone(),
                                },
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        pending.retain(|item| updates::wants(item.bot.allowed_updates.as_deref(), item.kind));
        self.queue(tx, pending).await
    }

    /// Records that a user who is a bot is in a chat (`None` for a person). A private chat's
    /// other member is who opened it, or, for one the bot is in from elsewhere, what chats
    /// says.
    async fn join(&self, tx: &mut Sql<'_>, bot_id: i64, added: ChatAddedData) -> ApiResult<Option<BotInChat>> {
        let Some((privacy, username, allowed_updates)) = store::follow::settings(tx, bot_id).await? else {
            return Ok(None);
        };
        let peer_id = match added.kind.as_str() {
            "direct" if added.by != bot_id => Some(added.by),
            "direct" => match self
                .bots
                .chats
                .act(bot_id, Action::Chat { chat_id: added.chat_id })
                .await
            {
                Ok(Outcome::Chat(view)) => view.peer_id,
                _ => None,
            },
            _ => None,
        };
        store::follow::join(tx, bot_id, added.chat_id, &added.kind, &added.title, peer_id).await?;
        Ok(Some(BotInChat {
            bot_id,
            chat_id: added.chat_id,
            kind: added.kind,
            title: added.title,
            peer_id,
            privacy,
            username,
            allowed_updates,
            role: "member".into(),
        }))
    }

    /// Renders and queues the updates that privacy mode lets through, in event order.
    async fn queue(&self, tx: &mut Sql<'_>, pending: Vec<Pending>) -> ApiResult<Vec<Envelope>> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        // the messages replied to and pinned, read once each (as a bot in that chat)
        let mut read: HashMap<(i64, i64), Option<ChatMessage>> = HashMap::new();
        for item in &pending {
            let What::Message { message, action } = &item.what else {
                continue;
            };
            let pinned = match action {
                Some(shapes::Action::MessagePinned { seq }) => Some(*seq),
                _ => None,
            };
            for seq in message.reply_to.into_iter().chain(pinned) {
                let key = (message.chat_id, seq);
                if let std::collections::hash_map::Entry::Vacant(slot) = read.entry(key) {
                    let action = Action::Message { chat_id: key.0, seq };
                    let message = match self.bots.chats.act(item.bot.bot_id, action).await {
                        Ok(Outcome::Message(message)) => Some(message),
                        _ => None,
                    };
                    slot.insert(message);
                }
            }
        }
        let mut users: Vec<i64> = Vec::new();
        let mut kept = Vec::with_capacity(pending.len());
        for item in pending {
            let meta = meta(&item.bot);
            let mut reply = None;
            match &item.what {
                What::Message { message, action } => {
                    reply = message
                        .reply_to
                        .and_then(|seq| read.get(&(message.chat_id, seq)).cloned().flatten());
                    // service messages pass privacy mode, as in Telegram
                    if action.is_none() && !visible_to(&item.bot, message, reply.as_ref()) {
                        continue;
                    }
                    users.extend(shapes::users_of(message, &meta));
                    for related in reply.iter().chain(pinned_of(&read, message, action.as_ref())) {
                        users.extend(shapes::users_of(related, &meta));
                    }
                    users.extend(action.iter().flat_map(shapes::Action::users));
                }
                What::Member { by, new, .. } => users.extend([*by, new.user_id]),
                What::JoinRequest(request) => users.extend([request.user_id, request.link_created_by]),
            }
            users.extend(meta.peer_id);
            kept.push((item, meta, reply));
        }
        users.sort_unstable();
        users.dedup();
        let with_files: Vec<(i64, i64)> = kept
            .iter()
            .filter_map(|(item, ..)| match &item.what {
                What::Message { message, .. } if message.attachment.is_some() => Some((message.chat_id, message.seq)),
                _ => None,
            })
            .collect();
        let sent_as = store::follow::sent_as(tx, &with_files).await?;
        let cards: Cards = self
            .bots
            .directory
            .cards(&users)
            .await?
            .into_iter()
            .map(|card| (card.id, card))
            .collect();
        let mut woken: Vec<i64> = Vec::new();
        let mut webhooks = false;
        let date = shapes::seconds(now_ms());
        for (item, meta, reply) in kept {
            let (payload, seq) = match &item.what {
                What::Message { message, action } => {
                    let reply = reply.map(|reply| shapes::Message::of(&reply, &meta, &cards, None));
                    let files = self.bots.file_ids(item.bot.bot_id);
                    let mut rendered = shapes::Message::of(message, &meta, &cards, reply).with_media(
                        message,
                        &files,
                        sent_as.get(&(message.chat_id, message.seq)).map(String::as_str),
                    );
                    if let Some(action) = action {
                        let pinned = pinned_of(&read, message, Some(action))
                            .map(|pinned| shapes::Message::of(pinned, &meta, &cards, None));
                        rendered.service = action.service(&meta, &cards, pinned);
                    }
                    (
                        serde_json::to_value(&rendered).expect("messages serialise"),
                        message.seq,
                    )
                }
                What::Member { by, old, new } => {
                    let chat = shapes::Chat::of(&meta, &cards);
                    let updated = json!({
                        "chat": chat,
                        "from": shapes::user(&cards, *by),
                        "date": date,
                        "old_chat_member": shapes::chat_member(shapes::user(&cards, old.user_id), old, &meta.kind),
                        "new_chat_member": shapes::chat_member(shapes::user(&cards, new.user_id), new, &meta.kind),
                    });
                    (updated, 0)
                }
                What::JoinRequest(request) => (self.join_request(request, &meta, &cards), 0),
            };
            let payload = payload.to_string();
            let pushed = store::follow::push(tx, item.bot.bot_id, item.kind, meta.chat_id, seq, &payload).await?;
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

    /// Telegram's ChatJoinRequest. `user_chat_id` is the person's id, the id of a private
    /// chat with them.
    fn join_request(&self, request: &JoinRequestedData, meta: &ChatMeta, cards: &Cards) -> Value {
        let link = InviteView {
            code: request.code.clone(),
            created_by: request.link_created_by,
            expires_at: None,
            usage_limit: None,
            uses: 0,
            revoked: false,
            name: request.link_name.clone(),
            needs_approval: true,
            pending: 0,
        };
        let url = self.bots.invite_url(&request.code);
        let mut invite = shapes::invite_link(&link, shapes::user(cards, request.link_created_by), url);
        if let Some(object) = invite.as_object_mut() {
            object.remove("pending_join_request_count");
        }
        json!({
            "chat": shapes::Chat::of(meta, cards),
            "from": shapes::user(cards, request.user_id),
            "user_chat_id": request.user_id,
            "date": shapes::seconds(request.requested_at),
            "invite_link": invite,
        })
    }
}

impl Pending {
    fn member(bot: &BotInChat, kind: &'static str, by: i64, old: MemberView, new: MemberView) -> Pending {
        Pending {
            bot: bot.clone(),
            kind,
            what: What::Member { by, old, new },
        }
    }
}

/// A standing known only by its status (`none`, `member`, `admin`, `owner`, `banned`).
fn standing(user_id: i64, status: &str) -> MemberView {
    MemberView {
        user_id,
        status: status.to_owned(),
        permissions: Vec::new(),
        allow: Vec::new(),
        deny: Vec::new(),
        until: None,
    }
}

/// The bots administering `chat_id` that hear about `user_id`'s changes (not the user itself:
/// a bot hears about its own through `my_chat_member`).
fn administrators(bots: &HashMap<i64, Vec<BotInChat>>, chat_id: i64, user_id: i64) -> impl Iterator<Item = &BotInChat> {
    bots.get(&chat_id)
        .into_iter()
        .flatten()
        .filter(move |bot| bot.role != "member" && bot.bot_id != user_id)
}

/// The message a pin service message is about, when it could be read.
fn pinned_of<'r>(
    read: &'r HashMap<(i64, i64), Option<ChatMessage>>,
    message: &ChatMessage,
    action: Option<&shapes::Action>,
) -> Option<&'r ChatMessage> {
    match action {
        Some(shapes::Action::MessagePinned { seq }) => read.get(&(message.chat_id, *seq))?.as_ref(),
        _ => None,
    }
}

fn parse<D: serde::de::DeserializeOwned>(payload: &str) -> Option<EventFrame<D>> {
    EventFrame::parse(payload)
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
            role: "member".into(),
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
            attachment: None,
            service: false,
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
