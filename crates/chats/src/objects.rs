//! The chats API for other services ([`ChatWriter`]): posting a message on a user's behalf,
//! and the objects that live in a chat as a message's attachment, which their owning service
//! creates and updates. The rules are in `docs/architecture.md` ("Objects that live in a chat").
//!
//! An attachment update bumps the chat's pts with a `message.attachment` event, but not its
//! `last_seq` or activity time: no unread count grows, the chat list does not reorder. Members
//! get at most one such event per second per message: an update within a second of the last
//! event is stored and marked pending, and the `attachment-events` worker sends the newest
//! version once the second is over (the mark is in the database, so a restart loses none).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_chats_api::attach::{self, Refused};
use hybrid_chats_api::{Attachment as Card, AttachmentUpdate, ChatWriter, ObjectRef, Post, Posted};
use hybrid_core::{ApiError, ApiResult, Worker, now_ms};
use hybrid_store::Sql;

use crate::api::{Attachment, ChatsCode, HistoryVisibility, StoredAttachment};
use crate::events::{ChatEvent, MessageChange, MessageRef, Outbox};
use crate::messages::{NewMessage, hidden_from_some, search_body};
use crate::service::{Chats, member};
use crate::store;

/// The longest preview, in bytes of JSON.
const MAX_PREVIEW: usize = 2048;
/// The most words an attachment adds to search.
const MAX_SEARCHABLE: usize = 4096;
/// At most one attachment event per message per this long.
const EVENT_EVERY_MS: i64 = 1000;
/// How often the worker looks for pending attachment events.
const FLUSH_EVERY: Duration = Duration::from_millis(250);

pub struct Writer(pub Arc<Chats>);

impl Chats {
    /// The card an attach token lets `user_id` put in a message; 422 on `attach` when the
    /// token is not valid, not theirs or expired.
    pub(crate) fn attachment_from_token(&self, user_id: i64, token: &str) -> ApiResult<StoredAttachment> {
        let card = attach::verify(&self.attach_keys, token, user_id, now_ms()).map_err(|refused| {
            let why = match refused {
                Refused::Invalid => "not a valid attach token",
                Refused::NotYours => "this attach token was given to someone else",
                Refused::Expired => "this attach token has expired: ask for a new one",
            };
            ApiError::validation("attach", why)
        })?;
        checked(card)
    }
}

/// The card checked: kind, service and id of sane sizes, a version, a JSON object preview.
fn checked(card: Card) -> ApiResult<StoredAttachment> {
    let name_like = |value: &str| {
        (1..=32).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    if !name_like(&card.kind) {
        return Err(ApiError::validation("attachment.type", "1 to 32 of a-z, 0-9, _ and -"));
    }
    if !name_like(&card.service) {
        return Err(ApiError::validation(
            "attachment.service",
            "1 to 32 of a-z, 0-9, _ and -",
        ));
    }
    if card.object_id.is_empty() || card.object_id.len() > 128 {
        return Err(ApiError::validation("attachment.object_id", "1 to 128 bytes"));
    }
    if card.version < 1 {
        return Err(ApiError::validation("attachment.version", "must be 1 or more"));
    }
    if card.preview.len() > MAX_PREVIEW {
        return Err(ApiError::validation(
            "attachment.preview",
            format!("at most {MAX_PREVIEW} bytes"),
        ));
    }
    let preview: serde_json::Value = serde_json::from_str(&card.preview)
        .ok()
        .filter(serde_json::Value::is_object)
        .ok_or_else(|| ApiError::validation("attachment.preview", "must be a JSON object"))?;
    if card.searchable_text.chars().count() > MAX_SEARCHABLE {
        return Err(ApiError::validation(
            "attachment.searchable_text",
            format!("at most {MAX_SEARCHABLE} characters"),
        ));
    }
    Ok(StoredAttachment {
        card: Attachment {
            kind: card.kind,
            service: card.service,
            object_id: card.object_id,
            version: card.version,
            preview,
        },
        searchable_text: card.searchable_text,
    })
}

impl ChatWriter for Writer {
    fn post(&self, post: Post) -> BoxFuture<'_, ApiResult<Posted>> {
        Box::pin(async move {
            let new = NewMessage {
                text: post.text,
                entities: Vec::new(),
                reply_to: None,
                nonce: Some(post.idempotency_key),
                attachment: post.attachment.map(checked).transpose()?,
                forwarded_from: None,
                reply_markup: None,
            };
            let (message, created) = self.0.send(post.sender_id, post.chat_id, new).await?;
            Ok(Posted {
                chat_id: message.chat_id,
                seq: message.seq,
                created,
            })
        })
    }

    fn update_attachment(&self, update: AttachmentUpdate) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move {
            let AttachmentUpdate {
                chat_id,
                seq,
                attachment,
            } = update;
            let stored = checked(attachment)?;
            self.0
                .commit_in(chat_id, move |tx, out| {
                    Box::pin(async move { replace_attachment(tx, out, chat_id, seq, stored).await })
                })
                .await
        })
    }

    fn may_see(
        &self,
        user_id: i64,
        chat_id: i64,
        seq: i64,
        carrying: Option<ObjectRef>,
    ) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async move {
            let mut reads = self.0.db.reads();
            let member = match member(&mut reads, chat_id, user_id).await {
                Ok(member) => member,
                Err(err) if err.status == axum::http::StatusCode::NOT_FOUND => return Ok(false),
                Err(err) => return Err(err),
            };
            if seq < member.first_visible_seq() {
                return Ok(false);
            }
            let Some(object) = carrying else {
                return store::objects::is_live(&mut reads, chat_id, seq).await;
            };
            // a live message whose card is that object
            let stored = store::objects::attachment_of(&mut reads, chat_id, seq).await?;
            let card = stored
                .and_then(|(_, card, _)| card)
                .and_then(|card| serde_json::from_str::<StoredAttachment>(&card).ok());
            Ok(card.is_some_and(|card| card.card.service == object.service && card.card.object_id == object.object_id))
        })
    }
}

async fn replace_attachment(
    tx: &mut Sql<'_>,
    out: &mut Outbox,
    chat_id: i64,
    seq: i64,
    new: StoredAttachment,
) -> ApiResult<()> {
    let row = store::objects::attachment_of(tx, chat_id, seq).await?;
    let (text, current, event_at) = row.ok_or_else(|| ApiError::not_found("message"))?;
    let current: StoredAttachment = current
        .and_then(|c| serde_json::from_str(&c).ok())
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    if current.card.service != new.card.service || current.card.object_id != new.card.object_id {
        return Err(ApiError::forbidden("this message carries another service's object"));
    }
    if new.card.version <= current.card.version {
        return Err(ApiError::new(
            ChatsCode::StaleAttachment,
            format!("the message has version {} of this object", current.card.version),
        ));
    }
    let json = serde_json::to_string(&new).expect("attachments serialise");
    store::search::unindex(tx, chat_id, seq).await?;
    store::search::index(tx, chat_id, seq, &search_body(&text, Some(&json))).await?;
    let now = now_ms();
    let due = event_at.is_none_or(|at| now - at >= EVENT_EVERY_MS);
    store::objects::set_attachment(tx, chat_id, seq, &json, !due).await?;
    if due {
        attachment_event(tx, out, chat_id, seq, now).await?;
    }
    Ok(())
}

/// The `message.attachment` event of message `seq` (`message.changed` where some member may not
/// see the message).
async fn attachment_event(tx: &mut Sql<'_>, out: &mut Outbox, chat_id: i64, seq: i64, now: i64) -> ApiResult<()> {
    let history = store::objects::history_visibility(tx, chat_id).await?;
    if hidden_from_some(tx, chat_id, seq, HistoryVisibility::parse(&history)).await? {
        out.chat_event(tx, chat_id, ChatEvent::MessageChanged(MessageRef { seq }), None)
            .await?;
    } else {
        out.message_event(tx, chat_id, MessageChange::Attachment, seq).await?;
    }
    store::objects::event_sent(tx, chat_id, seq, now).await
}

/// The worker that sends the attachment events held back to keep to one per second.
pub fn attachment_events(chats: Arc<Chats>) -> Worker {
    Worker::every("attachment-events", FLUSH_EVERY, move || {
        let chats = chats.clone();
        async move {
            let due = store::objects::pending_events(&mut chats.db.reads(), now_ms() - EVENT_EVERY_MS).await?;
            for (chat_id, seq) in due {
                chats
                    .commit_in(chat_id, move |tx, out| {
                        Box::pin(async move {
                            if !store::objects::is_pending(tx, chat_id, seq).await? {
                                return Ok(());
                            }
                            attachment_event(tx, out, chat_id, seq, now_ms()).await
                        })
                    })
                    .await?;
            }
            Ok(())
        }
    })
}
