//! [`ChatActions`]: another service (the bots service) acting in chats on a user's behalf.
//! Every action is one of the chats API's own operations, with the same rules, so a bot can do
//! in a chat exactly what a person with its role could.

use futures::future::BoxFuture;
use hybrid_chats_api::{Action, ChatActions, ChatMessage, ChatView, Outcome};
use hybrid_core::{ApiError, ApiResult};

use crate::api::{ChatInfo, Message, kind_str, role_str};
use crate::messages::{MessageEdit, NewMessage, visible_message};
use crate::service::{Chats, member};

impl ChatActions for Chats {
    fn act(&self, user_id: i64, action: Action) -> BoxFuture<'_, ApiResult<Outcome>> {
        Box::pin(self.act_as(user_id, action))
    }
}

impl Chats {
    async fn act_as(&self, me: i64, action: Action) -> ApiResult<Outcome> {
        let done = Ok(Outcome::Done);
        match action {
            Action::Send {
                chat_id,
                text,
                entities,
                reply_to,
                reply_markup,
            } => {
                let new = NewMessage {
                    text,
                    entities,
                    reply_to,
                    nonce: None,
                    attachment: None,
                    forwarded_from: None,
                    reply_markup: reply_markup.map(|markup| markup.to_string()),
                };
                let (message, _) = self.send(me, chat_id, new).await?;
                Ok(message_outcome(message, true))
            }
            Action::Forward {
                from_chat_id,
                seq,
                chat_id,
            } => {
                let new = self.forwarded(me, from_chat_id, seq).await?;
                let (message, _) = self.send(me, chat_id, new).await?;
                Ok(message_outcome(message, true))
            }
            Action::Edit {
                chat_id,
                seq,
                text,
                entities,
                reply_markup,
            } => {
                let edit = MessageEdit {
                    text: text.map(|text| (text, entities)),
                    reply_markup: reply_markup.map(|markup| markup.map(|m| m.to_string())),
                };
                let (message, changed) = self.edit_message(me, chat_id, seq, edit).await?;
                Ok(message_outcome(message, changed))
            }
            Action::Delete { chat_id, seq } => self.delete(me, chat_id, seq).await.and(done),
            Action::Pin { chat_id, seq, pinned } => self.pin(me, chat_id, seq, pinned).await.and(done),
            Action::React { chat_id, seq, emoji } => self.set_reactions(me, chat_id, seq, emoji).await.and(done),
            Action::Typing { chat_id } => self.typing(me, chat_id).await.and(done),
            Action::Leave { chat_id } => self.leave(me, chat_id).await.and(done),
            Action::Message { chat_id, seq } => {
                let mut reads = self.db.reads();
                let member = member(&mut reads, chat_id, me).await?;
                let row = visible_message(&mut reads, chat_id, seq, &member, false).await?;
                Ok(message_outcome(Message::from(row), false))
            }
            Action::Chat { chat_id } => Ok(Outcome::Chat(chat_view(self.chat(me, chat_id).await?))),
            Action::Direct { peer } => {
                let key = format!("{}:{}", me.min(peer), me.max(peer));
                let chat_id = crate::store::chats::direct(&mut self.db.reads(), &key).await?;
                Ok(Outcome::Direct { chat_id })
            }
        }
    }

    /// Makes `me`'s reactions on a message exactly `emoji`: removes the others, adds the
    /// missing ones.
    async fn set_reactions(&self, me: i64, chat_id: i64, seq: i64, emoji: Vec<String>) -> ApiResult<()> {
        if emoji.len() > 3 {
            return Err(ApiError::validation("reaction", "at most 3 reactions"));
        }
        let current = crate::store::messages::reactions_of(&mut self.db.reads(), chat_id, seq, me).await?;
        for old in current.iter().filter(|old| !emoji.contains(old)) {
            self.react(me, chat_id, seq, old, false).await?;
        }
        for new in emoji.iter().filter(|new| !current.contains(new)) {
            self.react(me, chat_id, seq, new, true).await?;
        }
        Ok(())
    }
}

fn message_outcome(message: Message, changed: bool) -> Outcome {
    Outcome::Message(ChatMessage {
        chat_id: message.chat_id,
        seq: message.seq,
        sender_id: message.sender_id,
        text: message.text,
        entities: message.entities,
        reply_to: message.reply_to,
        created_at: message.created_at,
        edited_at: message.edited_at,
        forwarded_from: message.forwarded_from,
        reply_markup: message.reply_markup,
        changed,
    })
}

fn chat_view(chat: ChatInfo) -> ChatView {
    ChatView {
        id: chat.id,
        kind: kind_str(chat.kind).to_owned(),
        title: chat.title,
        description: chat.description,
        peer_id: chat.peer_id,
        member_count: chat.member_count,
        role: role_str(chat.my_role).to_owned(),
    }
}
