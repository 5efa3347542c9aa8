//! How entries are made: notify consumes chats' event stream durably
//! (`hybrid_core::stream`), so an entry is recorded exactly when its event counts as consumed,
//! nothing lost across a restart or an outage. For each event it asks chats whom the message
//! concerns (`ChatMembership::message_context`) and records at most one entry per person and
//! message: a mention, else a reply to them, else a message in their direct chat; a reaction to
//! their message; being added to a group or channel. A deleted message takes its entries with
//! it, an edit updates their preview, leaving a chat takes that chat's entries, reading a chat
//! (on any device) marks its entries up to the read message read. Frames are
//! sent once the entries are committed (ephemeral: the list is what survives).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hybrid_chats_api::{ChatMembership, EventFrame, MessageContext};
use hybrid_core::bus::{Bytes, Envelope};
use hybrid_core::stream::{Handler, StreamEvent};
use hybrid_core::{ApiResult, now_ms};
use hybrid_store::Sql;
use serde::Deserialize;

use crate::api::{Level, NotificationKind};
use crate::defaults;
use crate::events::NotifyFrame;
use crate::store::{self, NewNotification};

/// Characters of a message kept as an entry's preview.
const PREVIEW_CHARS: usize = 200;

/// The handler of the consumer of chats' events: the frames to send once its entries are
/// committed.
pub fn follow_chats(chats: Arc<dyn ChatMembership>) -> Arc<Handler> {
    Arc::new(move |tx: &mut Sql<'_>, events: &[StreamEvent]| {
        let chats = chats.clone();
        Box::pin(async move {
            let mut follower = Follower {
                chats: chats.as_ref(),
                frames: Vec::new(),
            };
            for event in events {
                follower.follow(tx, event).await?;
            }
            let frames = follower.frames.into_iter().map(|(user_id, frame)| {
                let topic = hybrid_realtime_api::user(user_id);
                Envelope::ephemeral(topic, Bytes::from(hybrid_core::frame_text(&frame)))
            });
            Ok(frames.collect())
        })
    })
}

#[derive(Deserialize)]
struct MessageData {
    seq: i64,
    #[serde(default)]
    text: String,
    #[serde(default)]
    entities: Vec<EntityData>,
    attachment: Option<AttachmentData>,
    action: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EntityData {
    user_id: Option<i64>,
}

#[derive(Deserialize)]
struct AttachmentData {
    #[serde(default)]
    searchable_text: String,
}

#[derive(Deserialize)]
struct SeqData {
    seq: i64,
}

#[derive(Deserialize)]
struct ReadData {
    chat_id: i64,
    seq: i64,
}

#[derive(Deserialize)]
struct ReactionData {
    seq: i64,
    user_id: Option<i64>,
    emoji: String,
    added: bool,
}

#[derive(Deserialize)]
struct ChatData {
    chat_id: i64,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    by: Option<i64>,
}

struct Follower<'c> {
    chats: &'c dyn ChatMembership,
    /// Frames to send once the batch is handled, by user.
    frames: Vec<(i64, NotifyFrame)>,
}

impl Follower<'_> {
    async fn follow(&mut self, tx: &mut Sql<'_>, event: &StreamEvent) -> ApiResult<()> {
        let payload = event.payload.as_str();
        match (event.topic.namespace, event.kind.as_str()) {
            ("chat", "message.new") => {
                if let Some(frame) = parse::<MessageData>(payload) {
                    self.message_new(tx, frame).await?;
                }
            }
            ("chat", "message.edited") => {
                if let Some(EventFrame {
                    chat_id: Some(chat_id),
                    data,
                }) = parse::<MessageData>(payload)
                {
                    store::edit_preview(tx, chat_id, data.seq, &preview_of(&data)).await?;
                }
            }
            ("chat", "message.deleted") => {
                if let Some(EventFrame {
                    chat_id: Some(chat_id),
                    data,
                }) = parse::<SeqData>(payload)
                {
                    let mut gone: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
                    for (id, user_id) in store::remove_message(tx, chat_id, data.seq).await? {
                        gone.entry(user_id).or_default().push(id);
                    }
                    for (user_id, ids) in gone {
                        self.removed(tx, user_id, chat_id, ids).await?;
                    }
                }
            }
            ("chat", "reaction.changed") => {
                if let Some(EventFrame {
                    chat_id: Some(chat_id),
                    data,
                }) = parse::<ReactionData>(payload)
                {
                    self.reaction(tx, chat_id, data).await?;
                }
            }
            ("user", "chat.added") => {
                if let Some(frame) = parse::<ChatData>(payload) {
                    let (user_id, data) = (event.topic.id, frame.data);
                    // a direct chat opened with them: its first message will tell
                    let by = data.by.filter(|by| *by != user_id && data.kind != "direct");
                    if let Some(by) = by {
                        let new = NewNotification {
                            user_id,
                            kind: NotificationKind::AddedToChat,
                            chat_id: data.chat_id,
                            seq: 0,
                            actor_id: by,
                            chat_title: &data.title,
                            preview: "",
                            created_at: now_ms(),
                        };
                        self.record(tx, new, Level::All).await?;
                    }
                }
            }
            ("user", "read.updated") => {
                if let Some(frame) = parse::<ReadData>(payload) {
                    let user_id = event.topic.id;
                    let read = frame.data;
                    let ids = store::read_chat(tx, user_id, read.chat_id, read.seq, now_ms()).await?;
                    if !ids.is_empty() {
                        let unread_count = store::unread(tx, user_id).await?;
                        let frame = NotifyFrame::Read {
                            up_to: None,
                            ids: Some(ids),
                            unread_count,
                        };
                        self.frames.push((user_id, frame));
                    }
                }
            }
            ("user", "chat.removed") => {
                if let Some(frame) = parse::<ChatData>(payload) {
                    let user_id = event.topic.id;
                    let chat_id = frame.data.chat_id;
                    let ids = store::remove_chat(tx, user_id, chat_id).await?;
                    self.removed(tx, user_id, chat_id, ids).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A new message: an entry for each person it concerns.
    async fn message_new(&mut self, tx: &mut Sql<'_>, frame: EventFrame<MessageData>) -> ApiResult<()> {
        let (Some(chat_id), message) = (frame.chat_id, frame.data) else {
            return Ok(());
        };
        if message.action.is_some() {
            return Ok(()); // "X joined": chat.added covers what concerns a person
        }
        // gone already (deleted before this was read): nothing to tell
        let Some(context) = self.chats.message_context(chat_id, message.seq).await? else {
            return Ok(());
        };
        let mut concerned: BTreeMap<i64, NotificationKind> = BTreeMap::new();
        for user_id in message.entities.iter().filter_map(|e| e.user_id) {
            // someone mentioned who is not in the chat hears nothing of it
            if self.chats.membership(chat_id, user_id).await?.is_some() {
                concerned.insert(user_id, NotificationKind::Mention);
            }
        }
        let others = [
            (context.reply_to_sender, NotificationKind::Reply),
            (context.direct_peer, NotificationKind::DirectMessage),
        ];
        for (user_id, kind) in others {
            if let Some(user_id) = user_id {
                concerned.entry(user_id).or_insert(kind);
            }
        }
        concerned.remove(&context.sender_id);
        let preview = preview_of(&message);
        let users: Vec<i64> = concerned.keys().copied().collect();
        let levels = Levels::read(tx, chat_id, &context.chat_kind, &users).await?;
        let now = now_ms();
        for (user_id, kind) in concerned {
            let level = levels.heard(user_id, now);
            let new = NewNotification {
                user_id,
                kind,
                chat_id,
                seq: message.seq,
                actor_id: context.sender_id,
                chat_title: title(&context),
                preview: &preview,
                created_at: now,
            };
            self.record(tx, new, level).await?;
        }
        Ok(())
    }

    /// A reaction added to someone's message: their entry for that message's reactions.
    async fn reaction(&mut self, tx: &mut Sql<'_>, chat_id: i64, data: ReactionData) -> ApiResult<()> {
        // channels' subscribers react anonymously: no user_id, nobody to name
        let (true, Some(reactor)) = (data.added, data.user_id) else {
            return Ok(());
        };
        let Some(context) = self.chats.message_context(chat_id, data.seq).await? else {
            return Ok(());
        };
        let author = context.sender_id;
        if author == reactor {
            return Ok(());
        }
        let levels = Levels::read(tx, chat_id, &context.chat_kind, &[author]).await?;
        let now = now_ms();
        let new = NewNotification {
            user_id: author,
            kind: NotificationKind::Reaction,
            chat_id,
            seq: data.seq,
            actor_id: reactor,
            chat_title: title(&context),
            preview: &data.emoji,
            created_at: now,
        };
        self.record(tx, new, levels.heard(author, now)).await
    }

    /// Records `new` if `level` lets it through.
    async fn record(&mut self, tx: &mut Sql<'_>, new: NewNotification<'_>, level: Level) -> ApiResult<()> {
        let heard = match level {
            Level::All => true,
            Level::Mentions => matches!(new.kind, NotificationKind::Mention | NotificationKind::Reply),
            Level::None => false,
        };
        if !heard {
            return Ok(());
        }
        let user_id = new.user_id;
        let (notification, replaced) = store::record(tx, new).await?;
        crate::push::queue(tx, user_id, &notification).await?;
        crate::email::queue_unread(tx, user_id, &notification).await?;
        crate::hooks::queue_new(tx, user_id, &notification).await?;
        let unread_count = store::unread(tx, user_id).await?;
        if let Some(replaced) = replaced {
            crate::hooks::queue_removed(tx, user_id, notification.chat_id, &[replaced]).await?;
            let ids = vec![replaced];
            self.frames.push((user_id, NotifyFrame::Removed { ids, unread_count }));
        }
        self.frames.push((
            user_id,
            NotifyFrame::New {
                notification,
                unread_count,
            },
        ));
        Ok(())
    }

    async fn removed(&mut self, tx: &mut Sql<'_>, user_id: i64, chat_id: i64, ids: Vec<i64>) -> ApiResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        crate::hooks::queue_removed(tx, user_id, chat_id, &ids).await?;
        let unread_count = store::unread(tx, user_id).await?;
        self.frames.push((user_id, NotifyFrame::Removed { ids, unread_count }));
        Ok(())
    }
}

fn parse<D: for<'de> Deserialize<'de>>(payload: &str) -> Option<EventFrame<D>> {
    EventFrame::parse(payload)
}

/// What the people a message concerns hear of its chat: their settings for it, and their
/// defaults for its kind.
struct Levels {
    chat_kind_defaults: HashMap<i64, Level>,
    settings: HashMap<i64, store::Setting>,
}

impl Levels {
    async fn read(tx: &mut Sql<'_>, chat_id: i64, chat_kind: &str, users: &[i64]) -> ApiResult<Levels> {
        let defaults = defaults::of_users(tx, users).await?;
        Ok(Levels {
            chat_kind_defaults: defaults
                .into_iter()
                .map(|(user, defaults)| (user, defaults.for_kind(chat_kind)))
                .collect(),
            settings: store::settings_for(tx, chat_id, users).await?,
        })
    }

    fn heard(&self, user_id: i64, now: i64) -> Level {
        let default = self.chat_kind_defaults.get(&user_id).copied().unwrap_or(Level::All);
        heard_level(self.settings.get(&user_id).copied(), default, now)
    }
}

/// What a user hears of a chat now: its level (else `default`), or nothing while muted.
fn heard_level(setting: Option<store::Setting>, default: Level, now: i64) -> Level {
    match setting {
        Some((_, muted_until)) if muted_until > now => Level::None,
        Some((level, _)) => level.unwrap_or(default),
        None => default,
    }
}

/// The chat's title, as an entry names it (none for a direct chat: the actor names it).
fn title(context: &MessageContext) -> &str {
    if context.chat_kind == "direct" {
        ""
    } else {
        &context.chat_title
    }
}

/// A message's preview: its text's first characters, else its attachment's name.
fn preview_of(message: &MessageData) -> String {
    let text = if message.text.is_empty() {
        message.attachment.as_ref().map_or("", |a| a.searchable_text.as_str())
    } else {
        &message.text
    };
    text.chars().take(PREVIEW_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mute_silences_until_its_time_whatever_the_level() {
        assert_eq!(heard_level(None, Level::All, 10), Level::All);
        assert_eq!(
            heard_level(Some((Some(Level::Mentions), 0)), Level::All, 10),
            Level::Mentions
        );
        assert_eq!(heard_level(Some((Some(Level::All), 11)), Level::All, 10), Level::None);
        assert_eq!(
            heard_level(Some((Some(Level::Mentions), 10)), Level::All, 10),
            Level::Mentions
        );
    }

    #[test]
    fn a_chat_without_a_level_of_its_own_follows_the_default() {
        assert_eq!(heard_level(None, Level::Mentions, 10), Level::Mentions);
        assert_eq!(heard_level(Some((None, 0)), Level::None, 10), Level::None);
        assert_eq!(heard_level(Some((Some(Level::All), 0)), Level::None, 10), Level::All);
        assert_eq!(heard_level(Some((None, 11)), Level::All, 10), Level::None);
    }

    #[test]
    fn a_preview_is_the_text_or_the_file_name_cut_short() {
        let message = |text: &str, file: Option<&str>| MessageData {
            seq: 1,
            text: text.into(),
            entities: Vec::new(),
            attachment: file.map(|name| AttachmentData {
                searchable_text: name.into(),
            }),
            action: None,
        };
        assert_eq!(preview_of(&message("hi", Some("a.pdf"))), "hi");
        assert_eq!(preview_of(&message("", Some("a.pdf"))), "a.pdf");
        assert_eq!(
            preview_of(&message(&"я".repeat(300), None)).chars().count(),
            PREVIEW_CHARS
        );
    }
}
