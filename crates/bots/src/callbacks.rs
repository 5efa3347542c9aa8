//! Buttons people press under bots' messages. Pressing one (`POST /api/v1/chats/{chat_id}/
//! messages/{seq}/callback`) queues a `callback_query` update for the bot and waits, up to
//! `bots.callback_wait_ms`, for the bot's answerCallbackQuery, which may land in any process:
//! the answer is stored and pinged on the press's own topic.

use std::time::Duration;

use hybrid_chats_api::{Action, ChatMessage, Outcome};
use hybrid_core::bus::{Control, Envelope, Topic};
use hybrid_core::secrets::random_bytes;
use hybrid_core::{ApiError, ApiResult, now_ms};
use hybrid_store::params;
use serde_json::{Value, json};

use crate::api::CallbackAnswer;
use crate::botapi::reply::{BotError, BotResult};
use crate::botapi::shapes::{self, ChatMeta, User};
use crate::botapi::updates;
use crate::service::Bots;
use crate::store;

/// How long a press can be answered (Telegram's queries expire too).
const ANSWERABLE_MS: i64 = 3_600_000;
/// Buttons one person may press per minute, over all bots.
const PRESSES_PER_MINUTE: u32 = 60;
/// Characters of an answer's text (Telegram: 200).
const MAX_ANSWER_TEXT: usize = 200;

fn topic(id: i64) -> Topic {
    Topic::new("bot_callbacks", id)
}

impl Bots {
    /// `me` presses the button with `data` under message (`chat_id`, `seq`).
    pub async fn press(&self, me: i64, chat_id: i64, seq: i64, data: String) -> ApiResult<CallbackAnswer> {
        if data.is_empty() || data.len() > 64 {
            return Err(ApiError::validation("data", "must be 1 to 64 bytes"));
        }
        // each press is an update in a bot's queue: nobody fills it by pressing in a loop
        let key = format!("bot-press:{me}");
        hybrid_core::rate::take(
            self.state.as_ref(),
            &key,
            PRESSES_PER_MINUTE,
            Duration::from_secs(60),
            "pressing buttons",
        )
        .await?;
        let message = match self.chats.act(me, Action::Message { chat_id, seq }).await? {
            Outcome::Message(message) => message,
            _ => return Err(ApiError::not_found("message")),
        };
        let bot = match self.store.get(message.sender_id).await? {
            Some(bot) if has_button(&message, &data) => bot,
            _ => return Err(ApiError::validation("data", "no button of this message has this data")),
        };
        let meta = self.bot_chat(bot.user_id, chat_id).await?;
        let cards = self
            .cards_of(&[shapes::users_of(&message, &meta), vec![me]].concat())
            .await?;
        let presser = cards
            .get(&me)
            .map(User::of)
            .ok_or_else(|| ApiError::not_found("user"))?;
        let sent_as = match &message.attachment {
            Some(_) => self.store.sent_as(message.chat_id, message.seq).await?,
            None => None,
        };
        let id = i64::from_le_bytes(random_bytes::<8>()) & i64::MAX;
        let query = json!({
            "id": id.to_string(),
            "from": presser,
            "message": shapes::Message::of(&message, &meta, &cards, None).with_media(&message, &self.file_ids(bot.user_id), sent_as.as_deref()),
            "chat_instance": chat_id.to_string(),
            "data": data,
        });
        let mut answered = self.bus.subscribe(topic(id));
        self.bus
            .settle()
            .await
            .map_err(|err| ApiError::unavailable(err.to_string()))?;
        let wanted = updates::wants(bot.allowed_updates.as_deref(), "callback_query");
        let payload = query.to_string();
        let bot_id = bot.user_id;
        let webhook = self
            .store
            .db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO callbacks (id, bot_id, user_id, chat_id, seq, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                        params![id, bot_id, me, chat_id, seq, now_ms()],
                    )
                    .await?;
                    if !wanted {
                        return Ok::<_, ApiError>(false);
                    }
                    let pushed = store::follow::push(tx, bot_id, "callback_query", chat_id, seq, &payload).await?;
                    Ok(pushed)
                })
            })
            .await?;
        if webhook {
            self.jobs.wake();
        }
        self.bus
            .publish(Envelope::control(updates::topic(bot_id), Control::new(updates::WAKE)));
        let wait = Duration::from_millis(self.config.callback_wait_ms);
        let _ = tokio::time::timeout(wait, answered.recv()).await;
        self.answer_of(id).await
    }

    /// The bot's answerCallbackQuery: stored for the press, which is told at once.
    pub async fn answer_callback(&self, bot_id: i64, id: &str, answer: CallbackAnswer) -> BotResult<()> {
        let invalid = || BotError::bad_request("query is too old and response timeout expired or query ID is invalid");
        let id: i64 = id.trim().parse().map_err(|_| invalid())?;
        let text = answer.text.map(|t| t.chars().take(MAX_ANSWER_TEXT).collect::<String>());
        let stored = json!({"text": text, "show_alert": answer.show_alert, "url": answer.url}).to_string();
        let changed = self
            .store
            .db
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, ApiError>(
                        tx.execute(
                            "UPDATE callbacks SET answer = $3 WHERE id = $1 AND bot_id = $2 AND answer IS NULL \
                             AND created_at > $4",
                            params![id, bot_id, stored, now_ms() - ANSWERABLE_MS],
                        )
                        .await?,
                    )
                })
            })
            .await?;
        if changed == 0 {
            return Err(invalid());
        }
        self.bus.publish(Envelope::control(topic(id), Control::new("answered")));
        Ok(())
    }

    async fn answer_of(&self, id: i64) -> ApiResult<CallbackAnswer> {
        let row: Option<(Option<String>,)> = self
            .store
            .db
            .reads()
            .fetch_optional("SELECT answer FROM callbacks WHERE id = $1", params![id])
            .await?;
        let Some(answer) = row.and_then(|(answer,)| answer) else {
            return Ok(CallbackAnswer::default());
        };
        let mut answer: CallbackAnswer = match serde_json::from_str(&answer) {
            Ok(answer) => answer,
            Err(err) => {
                tracing::error!(callback = id, error = %err, stored = %answer, "a stored callback answer does not read back");
                CallbackAnswer::default()
            }
        };
        answer.answered = true;
        Ok(answer)
    }

    /// A chat as `bot_id` sees it: what the service learned of it, else what chats says.
    pub async fn bot_chat(&self, bot_id: i64, chat_id: i64) -> ApiResult<ChatMeta> {
        if let Some(meta) = self.store.chat_of(bot_id, chat_id).await? {
            return Ok(meta);
        }
        match self.chats.act(bot_id, Action::Chat { chat_id }).await? {
            Outcome::Chat(view) => Ok(ChatMeta {
                chat_id: view.id,
                kind: view.kind,
                title: view.title,
                peer_id: view.peer_id,
            }),
            _ => Err(ApiError::not_found("chat")),
        }
    }

    pub async fn cards_of(&self, ids: &[i64]) -> ApiResult<shapes::Cards> {
        let cards = self.directory.cards(ids).await?;
        Ok(cards.into_iter().map(|card| (card.id, card)).collect())
    }

    /// Drops presses past the time they could be answered.
    pub async fn prune_callbacks(&self) -> ApiResult<u64> {
        let cutoff = now_ms() - ANSWERABLE_MS;
        self.store
            .db
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, ApiError>(
                        tx.execute("DELETE FROM callbacks WHERE created_at < $1", params![cutoff])
                            .await?,
                    )
                })
            })
            .await
    }
}

/// Whether the message's inline keyboard has a button with `data`.
fn has_button(message: &ChatMessage, data: &str) -> bool {
    let rows = message
        .reply_markup
        .as_ref()
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array);
    rows.into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .any(|button| button.get("callback_data").and_then(Value::as_str) == Some(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_answers_read_back() {
        let stored = json!({"text": Some("Counted"), "show_alert": true, "url": None::<String>}).to_string();
        let answer: CallbackAnswer = serde_json::from_str(&stored).unwrap();
        assert_eq!((answer.text.as_deref(), answer.show_alert), (Some("Counted"), true));
    }
}
