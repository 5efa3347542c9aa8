//! The Bot API's message methods: send, forward, copy, edit, delete, pin, react, chat actions.

use std::time::Duration;

use hybrid_chats_api::body::Entity;
use hybrid_chats_api::{Action, ChatMessage, Outcome};
use hybrid_core::ApiError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Call;
use super::markup;
use super::params::Params;
use super::reply::{BotError, BotResult};
use super::shapes::{self, ChatMeta, MessageEntity};
use crate::format::{self, ParseMode};

/// Messages one deleteMessages call may name (Telegram: 100).
const MAX_DELETE: usize = 100;
/// The longest caption, in UTF-16 units (Telegram: 1024).
const MAX_CAPTION: usize = 1024;

/// `reply_parameters`: the message to answer.
#[derive(Debug, Deserialize)]
struct ReplyParameters {
    message_id: i64,
    #[serde(default)]
    allow_sending_without_reply: bool,
}

#[derive(Debug, Deserialize)]
struct ReactionType {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    emoji: String,
}

impl Call<'_> {
    pub(super) async fn send_message(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let (text, entities) = formatted(params, "text", "entities")?;
        let message = self.post(&meta, (text, entities), None, params).await?;
        self.render(&message, &meta).await
    }

    /// Posts a message in `meta`'s chat with the call's reply target and keyboard (after the
    /// flood budget): `text` and its entities, carrying the object of `attach` when given.
    pub(super) async fn post(
        &self,
        meta: &ChatMeta,
        (text, entities): (String, Vec<Entity>),
        attach: Option<String>,
        params: &Params,
    ) -> BotResult<ChatMessage> {
        let reply_markup = reply_markup(params)?;
        let (reply_to, without_reply) = reply_target(params)?;
        self.take_flood_budget(meta.chat_id).await?;
        let send = |reply_to| Action::Send {
            chat_id: meta.chat_id,
            text: text.clone(),
            entities: entities.clone(),
            reply_to,
            reply_markup: reply_markup.clone(),
            attach: attach.clone(),
            nonce: None,
        };
        let sent = match self.act(send(reply_to)).await {
            Err(err) if err.field.as_deref() == Some("reply_to") && without_reply => self.act(send(None)).await,
            other => other,
        };
        message_of(sent.map_err(send_error)?)
    }

    pub(super) async fn forward_message(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let from = self.chat(params, "from_chat_id").await?;
        let seq = params.required_integer("message_id")?;
        self.take_flood_budget(meta.chat_id).await?;
        let forward = Action::Forward {
            from_chat_id: from.chat_id,
            seq,
            chat_id: meta.chat_id,
        };
        let forwarded = self
            .act(forward)
            .await
            .map_err(|err| missing(err, "message to forward not found"))?;
        self.render(&message_of(forwarded)?, &meta).await
    }

    /// A copy: the message's text sent anew by the bot (a new caption replaces it), with no
    /// link to the original. Answers the new `message_id`.
    pub(super) async fn copy_message(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let from = self.chat(params, "from_chat_id").await?;
        let seq = params.required_integer("message_id")?;
        let original = self
            .act(Action::Message {
                chat_id: from.chat_id,
                seq,
            })
            .await
            .map_err(|err| missing(err, "message to copy not found"))?;
        let original = message_of(original)?;
        let (text, entities) = match params.string("caption")? {
            Some(_) => formatted(params, "caption", "caption_entities")?,
            None => (original.text, original.entities),
        };
        if text.is_empty() {
            return Err(BotError::bad_request("message can't be copied"));
        }
        let (reply_to, _) = reply_target(params)?;
        self.take_flood_budget(meta.chat_id).await?;
        let send = Action::Send {
            chat_id: meta.chat_id,
            text,
            entities,
            reply_to,
            reply_markup: reply_markup(params)?,
            attach: None,
            nonce: None,
        };
        let copy = message_of(self.act(send).await.map_err(send_error)?)?;
        Ok(json!({ "message_id": copy.seq }))
    }

    pub(super) async fn edit_message_text(&self, params: &Params) -> BotResult<Value> {
        let (meta, seq) = self.own_message(params).await?;
        let (text, entities) = formatted(params, "text", "entities")?;
        let edit = Action::Edit {
            chat_id: meta.chat_id,
            seq,
            text: Some(text),
            entities,
            reply_markup: Some(inline_markup(params)?),
        };
        self.edit(edit, &meta).await
    }

    pub(super) async fn edit_message_reply_markup(&self, params: &Params) -> BotResult<Value> {
        let (meta, seq) = self.own_message(params).await?;
        let edit = Action::Edit {
            chat_id: meta.chat_id,
            seq,
            text: None,
            entities: Vec::new(),
            reply_markup: Some(inline_markup(params)?),
        };
        self.edit(edit, &meta).await
    }

    async fn edit(&self, edit: Action, meta: &ChatMeta) -> BotResult<Value> {
        let edited = message_of(self.act(edit).await.map_err(send_error)?)?;
        if !edited.changed {
            return Err(BotError::bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same \
                 as a current content and reply markup of the message",
            ));
        }
        self.render(&edited, meta).await
    }

    /// The message an edit names, which must be the bot's own (bots edit only what they sent).
    async fn own_message(&self, params: &Params) -> BotResult<(ChatMeta, i64)> {
        if params.string("inline_message_id")?.is_some() {
            return Err(BotError::bad_request(
                "inline messages are not supported by this server",
            ));
        }
        let meta = self.chat(params, "chat_id").await?;
        let seq = params.required_integer("message_id")?;
        let message = self
            .act(Action::Message {
                chat_id: meta.chat_id,
                seq,
            })
            .await
            .map_err(|err| missing(err, "message to edit not found"))?;
        if message_of(message)?.sender_id != self.id() {
            return Err(BotError::bad_request("message can't be edited"));
        }
        Ok((meta, seq))
    }

    pub(super) async fn delete_message(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let seq = params.required_integer("message_id")?;
        let delete = Action::Delete {
            chat_id: meta.chat_id,
            seq,
        };
        self.act(delete).await.map_err(|err| match err.status.as_u16() {
            403 => BotError::bad_request("message can't be deleted"),
            _ => missing(err, "message to delete not found"),
        })?;
        Ok(Value::Bool(true))
    }

    /// Deletes what it can of up to 100 messages; those missing or not deletable are skipped,
    /// as Telegram does.
    pub(super) async fn delete_messages(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let ids: Vec<i64> = params
            .json("message_ids", "message_ids")?
            .ok_or_else(|| BotError::bad_request("message_ids is empty"))?;
        if ids.is_empty() || ids.len() > MAX_DELETE {
            return Err(BotError::bad_request("too many messages to delete"));
        }
        for seq in ids {
            let delete = Action::Delete {
                chat_id: meta.chat_id,
                seq,
            };
            if let Err(err) = self.act(delete).await
                && (err.status.is_server_error() || err.status.as_u16() == 429)
            {
                return Err(err.into());
            }
        }
        Ok(Value::Bool(true))
    }

    /// Hybrid shows one activity, typing, for every action a bot reports.
    pub(super) async fn send_chat_action(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        const ACTIONS: &[&str] = &[
            "typing",
            "upload_photo",
            "record_video",
            "upload_video",
            "record_voice",
            "upload_voice",
            "upload_document",
            "choose_sticker",
            "find_location",
            "record_video_note",
            "upload_video_note",
        ];
        let action = params.string("action")?.unwrap_or_default();
        if !ACTIONS.contains(&action.as_str()) {
            return Err(BotError::bad_request("wrong parameter action in request"));
        }
        self.act(Action::Typing { chat_id: meta.chat_id }).await?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn pin_chat_message(&self, params: &Params, pinned: bool) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let seq = params.required_integer("message_id")?;
        let pin = Action::Pin {
            chat_id: meta.chat_id,
            seq,
            pinned,
        };
        self.act(pin).await.map_err(|err| match err.status.as_u16() {
            403 => BotError::bad_request("not enough rights to manage pinned messages in the chat"),
            _ => missing(err, "message to pin not found"),
        })?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn set_message_reaction(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let seq = params.required_integer("message_id")?;
        let reactions: Vec<ReactionType> = params.json("reaction", "reaction")?.unwrap_or_default();
        let mut emoji = Vec::with_capacity(reactions.len());
        for reaction in reactions {
            if reaction.kind != "emoji" || reaction.emoji.is_empty() {
                return Err(BotError::bad_request("REACTION_INVALID"));
            }
            emoji.push(reaction.emoji);
        }
        let react = Action::React {
            chat_id: meta.chat_id,
            seq,
            emoji,
        };
        self.act(react).await.map_err(|err| match err.field.as_deref() {
            Some("emoji") | Some("reaction") => BotError::bad_request("REACTION_INVALID"),
            _ => missing(err, "message to react not found"),
        })?;
        Ok(Value::Bool(true))
    }

    /// Telegram's flood limits for bots: about one message a second per chat (in bursts),
    /// and 30 a second over all chats; past them, 429 with `retry_after`.
    async fn take_flood_budget(&self, chat_id: i64) -> BotResult<()> {
        let config = &self.bots.config;
        let state = self.bots.state.as_ref();
        let per_chat = format!("bot-chat:{}:{chat_id}", self.id());
        let window = Duration::from_secs(config.chat_window_secs.max(1));
        hybrid_core::rate::take(state, &per_chat, config.messages_per_chat, window, "sending").await?;
        let overall = format!("bot-all:{}", self.id());
        hybrid_core::rate::take(
            state,
            &overall,
            config.messages_per_second,
            Duration::from_secs(1),
            "sending",
        )
        .await?;
        Ok(())
    }
}

/// A message's text and entities from the call: parsed by `parse_mode` when one is given,
/// else the `entities` as sent.
fn formatted(params: &Params, text_field: &str, entities_field: &str) -> BotResult<(String, Vec<Entity>)> {
    let text = params.required_string(text_field, "message text is empty")?;
    parsed(params, text, entities_field)
}

/// A file's caption, formatted as a text is (none: empty), at most [`MAX_CAPTION`] characters.
pub(super) fn caption(params: &Params) -> BotResult<(String, Vec<Entity>)> {
    let text = params.string("caption")?.unwrap_or_default();
    if text.trim().is_empty() {
        return Ok((String::new(), Vec::new()));
    }
    let (text, entities) = parsed(params, text, "caption_entities")?;
    if text.encode_utf16().count() > MAX_CAPTION {
        return Err(BotError::bad_request("message caption is too long"));
    }
    Ok((text, entities))
}

/// A text parsed by the call's `parse_mode`, or with the entities in `entities_field`.
fn parsed(params: &Params, text: String, entities_field: &str) -> BotResult<(String, Vec<Entity>)> {
    let mode =
        ParseMode::from_name(&params.string("parse_mode")?.unwrap_or_default()).map_err(BotError::bad_request)?;
    let (text, entities) = match mode {
        Some(mode) => format::parse(mode, &text).map_err(BotError::bad_request)?,
        None => {
            let entities: Vec<MessageEntity> = params.json(entities_field, "entities")?.unwrap_or_default();
            (text, shapes::entities_in(entities))
        }
    };
    if text.trim().is_empty() {
        return Err(BotError::bad_request("message text is empty"));
    }
    Ok((text, entities))
}

fn reply_markup(params: &Params) -> BotResult<Option<Value>> {
    params
        .json_value("reply_markup", "reply keyboard markup")?
        .map(markup::check)
        .transpose()
}

/// An edit's markup: only an inline keyboard, or none (which removes the buttons).
fn inline_markup(params: &Params) -> BotResult<Option<Value>> {
    match reply_markup(params)? {
        Some(markup) if !markup::is_inline(&markup) => Err(BotError::bad_request("inline keyboard expected")),
        markup => Ok(markup),
    }
}

/// The message to answer (`reply_parameters`, or the older `reply_to_message_id`), and whether
/// to send anyway when it is gone.
fn reply_target(params: &Params) -> BotResult<(Option<i64>, bool)> {
    if let Some(reply) = params.json::<ReplyParameters>("reply_parameters", "reply parameters")? {
        return Ok((Some(reply.message_id), reply.allow_sending_without_reply));
    }
    let without = params.boolean("allow_sending_without_reply")?.unwrap_or(false);
    Ok((params.integer("reply_to_message_id")?, without))
}

pub(super) fn message_of(outcome: Outcome) -> BotResult<ChatMessage> {
    match outcome {
        Outcome::Message(message) => Ok(message),
        _ => Err(BotError::bad_request(
            "chats answered with something other than a message",
        )),
    }
}

/// A 404 from chats inside a method: Telegram's "… not found" for what the method names.
fn missing(err: ApiError, what: &str) -> BotError {
    if err.status.as_u16() == 404 {
        BotError::bad_request(what)
    } else {
        err.into()
    }
}

/// Chats' refusals of a text, in Telegram's words.
fn send_error(err: ApiError) -> BotError {
    match err.field.as_deref() {
        Some("text") if err.message.contains("at most") => BotError::bad_request("message is too long"),
        Some("text") => BotError::bad_request("message text is empty"),
        Some("reply_to") => BotError::bad_request("message to be replied not found"),
        Some(field) if field.starts_with("entities") => {
            BotError::bad_request(format!("can't parse entities: {}", err.message))
        }
        _ => missing(err, "message to edit not found"),
    }
}
