//! The Telegram Bot API connector: an account is a bot, calling `<endpoint>/bot<token>/<method>`
//! on Telegram's server or on any server that speaks the Bot API (another Hybrid's).
//!
//! A bot cannot add people, find them by phone number, or read a chat's members or history,
//! and it may write only to people who wrote to it first. So its campaigns send links in every
//! mode — invite links that ask to join, which the bot approves for the people it sent them to
//! — and it finds people among those who started it, as its updates show. Those updates are
//! followed by a chain of jobs (`automation.bot_updates`, one at a time per bot, surviving
//! restarts), which also answers the join requests. A 429's `retry_after` is a flood wait.

use std::sync::Arc;

use hybrid_chats_api::body::Entity;
use hybrid_core::bus::Bytes;
use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::outbound::Outbound;
use hybrid_core::{ApiError, ApiResult};
use hybrid_store::{Db, Sql};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::connector::{Connector, Credentials, Handle, Identity, Person, Refusal, Reply, Scan, SignedIn};
use crate::engine::{Engine, lost};
use crate::store;

/// The connector's name, as accounts give it.
pub const NAME: &str = "telegram_bot";
/// The queue of update polls.
const UPDATES: &str = "automation.bot_updates";
/// An invite link's name is at most this long (Telegram's limit).
const MAX_LINK_NAME_CHARS: usize = 32;
/// How soon a poll that failed (network, a webhook set meanwhile) is tried again.
const POLL_RETRY_MS: i64 = 30_000;

pub struct TelegramBot {
    pub http: Outbound,
    pub db: Db,
}

/// The endpoint as stored: an http(s) URL without a trailing slash.
pub fn clean_endpoint(endpoint: &str) -> ApiResult<String> {
    let endpoint = endpoint.trim().trim_end_matches('/');
    let valid = (endpoint.starts_with("https://") || endpoint.starts_with("http://"))
        && endpoint.len() <= 200
        && !endpoint.contains(['?', '#', ' ']);
    if !valid {
        return Err(ApiError::validation(
            "endpoint",
            "must be the Bot API's base URL, like https://api.telegram.org",
        ));
    }
    Ok(endpoint.to_owned())
}

impl TelegramBot {
    async fn call(&self, endpoint: &str, token: &str, method: &str, params: Value) -> Result<Value, Refusal> {
        let url = format!("{endpoint}/bot{token}/{method}");
        let answer = self
            .http
            .post_json(&url, Bytes::from(params.to_string()), &[])
            .await
            .map_err(|err| Refusal::Failed {
                // an error may quote the URL: the token stays out of details and logs
                reason: redacted(format!("{method}: {err}"), token),
                transient: err.is_transient(),
            })?;
        let body: Value = serde_json::from_slice(&answer.body).map_err(|_| Refusal::Failed {
            reason: format!("{method}: the answer ({}) is not the Bot API's", answer.status),
            transient: answer.status >= 500,
        })?;
        if body["ok"] == true {
            return Ok(body["result"].clone());
        }
        Err(refusal_of(answer.status, &body))
    }

    async fn act(&self, account: &Identity, method: &str, params: Value) -> Result<Value, Refusal> {
        self.call(&account.endpoint, &account.secret, method, params).await
    }
}

/// The Bot API's error in campaign words.
fn refusal_of(status: u16, body: &Value) -> Refusal {
    let code = body["error_code"].as_u64().map_or(status, |c| c as u16);
    let description = body["description"].as_str().unwrap_or("no description").to_owned();
    match code {
        429 => Refusal::FloodWait(body["parameters"]["retry_after"].as_i64().unwrap_or(30).max(1)),
        // the token was revoked, or the bot deleted
        401 => Refusal::LoggedOut,
        403 => Refusal::Forbidden(description),
        // Telegram's words for formatting it refuses: "can't parse entities: …",
        // "MESSAGE_ENTITIES_TOO_LONG", "entity beginning/end is out of bounds"
        400 if description.to_ascii_lowercase().contains("entit") => Refusal::Formatting(description),
        code => Refusal::Failed {
            reason: description,
            transient: code >= 500,
        },
    }
}

fn redacted(text: String, token: &str) -> String {
    if token.is_empty() {
        text
    } else {
        text.replace(token, "<token>")
    }
}

fn unexpected(method: &str, result: &Value) -> Refusal {
    Refusal::Failed {
        reason: format!("{method}: unexpected answer {result}"),
        transient: false,
    }
}

fn unavailable(err: impl std::fmt::Display) -> Refusal {
    Refusal::Failed {
        reason: err.to_string(),
        transient: true,
    }
}

/// Whether a 400's description says the person is not in the chat (Telegram's words vary).
fn not_a_member(refusal: &Refusal) -> bool {
    let Refusal::Failed { reason, .. } = refusal else {
        return false;
    };
    let reason = reason.to_ascii_lowercase();
    [
        "user not found",
        "member not found",
        "participant_id_invalid",
        "user_not_participant",
    ]
    .iter()
    .any(|words| reason.contains(words))
}

impl Connector for TelegramBot {
    /// The token must be a bot's that delivers its updates by getUpdates (a bot with a webhook
    /// would lose them to the webhook).
    fn sign_in<'a>(&'a self, credentials: &'a Credentials<'a>) -> Reply<'a, SignedIn> {
        Box::pin(async move {
            let (endpoint, token) = (credentials.endpoint, credentials.token);
            if token.is_empty() || token.contains(['/', '?', '#', ' ']) {
                return Err(Refusal::Forbidden("not a bot token".into()));
            }
            let me = self.call(endpoint, token, "getMe", json!({})).await?;
            let (Some(id), Some(true)) = (me["id"].as_i64(), me["is_bot"].as_bool()) else {
                return Err(Refusal::Forbidden("the token is not a bot's".into()));
            };
            let hook = self.call(endpoint, token, "getWebhookInfo", json!({})).await?;
            if let Some(url) = hook["url"].as_str().filter(|url| !url.is_empty()) {
                return Err(Refusal::Forbidden(format!(
                    "the bot sends its updates to a webhook ({url}): remove it (deleteWebhook) to connect the bot here"
                )));
            }
            Ok(SignedIn {
                actor_id: id,
                actor_name: me["username"].as_str().unwrap_or_default().to_owned(),
                session_id: 0,
            })
        })
    }

    fn check<'a>(&'a self, account: &'a Identity) -> Reply<'a, ()> {
        Box::pin(async move { self.act(account, "getMe", json!({})).await.map(|_| ()) })
    }

    fn adds_people(&self) -> bool {
        false
    }

    fn not_found_detail(&self) -> &'static str {
        "has not written to the bot (a bot may write only to people who wrote to it first)"
    }

    /// Only people who wrote to the bot, by their username (a bot cannot look up phones).
    fn resolve<'a>(&'a self, account: &'a Identity, handle: &'a Handle) -> Reply<'a, Person> {
        Box::pin(async move {
            let Handle::Username(name) = handle else {
                return Err(Refusal::NotFound);
            };
            let folded = hybrid_core::text::fold(name);
            match store::person_by_username(&mut self.db.reads(), account.account_id, &folded)
                .await
                .map_err(unavailable)?
            {
                Some(user_id) => Ok(Person { user_id, is_bot: false }),
                None => Err(Refusal::NotFound),
            }
        })
    }

    fn is_member<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, bool> {
        Box::pin(async move {
            let member = match self
                .act(
                    account,
                    "getChatMember",
                    json!({"chat_id": chat_id, "user_id": user_id}),
                )
                .await
            {
                Ok(member) => member,
                Err(refusal) if not_a_member(&refusal) => return Ok(false),
                Err(refusal) => return Err(refusal),
            };
            match member["status"].as_str() {
                Some("creator" | "administrator" | "member") => Ok(true),
                Some("restricted") => Ok(member["is_member"].as_bool().unwrap_or(false)),
                Some("left" | "kicked") => Ok(false),
                _ => Err(unexpected("getChatMember", &member)),
            }
        })
    }

    fn invite<'a>(&'a self, _account: &'a Identity, _chat_id: i64, _user_id: i64) -> Reply<'a, ()> {
        // the engine sends bots' links instead (adds_people is false)
        Box::pin(async { Err(Refusal::Forbidden("a bot cannot add people; it sends links".into())) })
    }

    /// A link that asks to join: the bot lets in the people it sent it to (see the updates).
    fn create_link<'a>(&'a self, account: &'a Identity, chat_id: i64, name: &'a str) -> Reply<'a, String> {
        Box::pin(async move {
            let params = json!({
                "chat_id": chat_id,
                "name": name.chars().take(MAX_LINK_NAME_CHARS).collect::<String>(),
                "creates_join_request": true,
            });
            let link = self.act(account, "createChatInviteLink", params).await?;
            link["invite_link"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| unexpected("createChatInviteLink", &link))
        })
    }

    fn send_private<'a>(&'a self, account: &'a Identity, user_id: i64, text: &'a str) -> Reply<'a, ()> {
        Box::pin(async move {
            match self
                .act(account, "sendMessage", json!({"chat_id": user_id, "text": text}))
                .await
            {
                Ok(_) => Ok(()),
                // they blocked the bot
                Err(Refusal::Forbidden(_)) => Err(Refusal::PrivacyRestricted),
                // they never started it
                Err(Refusal::Failed { reason, .. }) if reason.to_ascii_lowercase().contains("chat not found") => {
                    Err(Refusal::NotFound)
                }
                Err(refusal) => Err(refusal),
            }
        })
    }

    /// The Bot API has no idempotency: the key's message is remembered here once sent (a
    /// crash between the two could post twice; nothing can tell from the Bot API alone).
    fn post<'a>(
        &'a self,
        account: &'a Identity,
        chat_id: i64,
        text: &'a str,
        entities: &'a [Entity],
        key: &'a str,
    ) -> Reply<'a, i64> {
        Box::pin(async move {
            let known = store::post_by_key(&mut self.db.reads(), account.account_id, key)
                .await
                .map_err(unavailable)?;
            if let Some((_, message_id)) = known {
                return Ok(message_id);
            }
            let sent = self
                .act(account, "sendMessage", send_message(chat_id, text, entities))
                .await?;
            let message_id = sent["message_id"]
                .as_i64()
                .ok_or_else(|| unexpected("sendMessage", &sent))?;
            let (account_id, key) = (account.account_id, key.to_owned());
            self.db
                .write(move |tx| {
                    let key = key.clone();
                    Box::pin(async move { store::remember_post(tx, account_id, &key, chat_id, message_id).await })
                })
                .await
                .map_err(unavailable)?;
            Ok(message_id)
        })
    }

    fn members<'a>(&'a self, _: &'a Identity, _: i64, _: Option<i64>, _: i64) -> Reply<'a, Scan> {
        Box::pin(async { Err(cannot_read()) })
    }

    fn authors<'a>(&'a self, _: &'a Identity, _: i64, _: Option<i64>, _: i64) -> Reply<'a, Scan> {
        Box::pin(async { Err(cannot_read()) })
    }
}

/// `sendMessage`'s parameters: formatting as `entities`, never a parse mode, so no stray `_`
/// can break a send.
fn send_message(chat_id: i64, text: &str, entities: &[Entity]) -> Value {
    let mut params = json!({"chat_id": chat_id, "text": text});
    if !entities.is_empty() {
        params["entities"] = json!(entities);
    }
    params
}

fn cannot_read() -> Refusal {
    Refusal::Forbidden("the Bot API cannot read a chat's members or history: parse with a user account".into())
}

// ---- the updates a bot follows

#[derive(Serialize, Deserialize)]
struct Follow {
    account: i64,
}

/// What the polls of one bot's chain share: one runs at a time.
fn updates_key(account: i64) -> String {
    format!("bot-updates:{account}")
}

/// Enqueues the bot's next poll of its updates at `run_at`, in the caller's transaction.
/// `after` names what enqueues it (the poll before, by its job id; or a connect or check): one
/// successor per poll, so the chain neither forks nor stops on a repeated key.
pub async fn follow_updates(sql: &mut Sql<'_>, account: i64, run_at: i64, after: &str) -> ApiResult<()> {
    let job = NewJob::new(UPDATES, &Follow { account })
        .run_at(run_at)
        .dedup_key(format!("bot-updates:{account}:{after}"))
        .concurrency_key(updates_key(account))
        .max_attempts(20);
    hybrid_core::jobs::enqueue(sql, &job, run_at).await?;
    Ok(())
}

/// Starts the bot's chain of polls again if none is waiting or running (one that died after
/// its retries, say, in a long database outage), in the caller's transaction.
pub async fn revive_updates(sql: &mut Sql<'_>, account: i64, now: i64) -> ApiResult<()> {
    if !hybrid_core::jobs::pending_with_key(sql, &updates_key(account)).await? {
        follow_updates(sql, account, now, &format!("revived-{now}")).await?;
    }
    Ok(())
}

pub fn register_updates(engine: &Arc<Engine>, bot: Arc<TelegramBot>) {
    let engine_for_jobs = engine.clone();
    engine.jobs.handle(UPDATES, move |job: Job| {
        let (engine, bot) = (engine_for_jobs.clone(), bot.clone());
        async move {
            match poll(&engine, &bot, &job).await {
                Ok(()) => Outcome::Done,
                Err(err) => Outcome::Retry(err.message.into_owned()),
            }
        }
    });
}

/// What one page of updates holds for the campaigns.
#[derive(Default)]
struct Learned {
    /// People who wrote to the bot privately: (user id, folded username).
    people: Vec<(i64, String)>,
    /// Join requests: (chat id, user id).
    requests: Vec<(i64, i64)>,
    next_offset: i64,
}

fn learn(updates: &[Value], offset: i64) -> Learned {
    let mut learned = Learned {
        next_offset: offset,
        ..Learned::default()
    };
    for update in updates {
        if let Some(id) = update["update_id"].as_i64() {
            learned.next_offset = learned.next_offset.max(id + 1);
        }
        let message = &update["message"];
        if message["chat"]["type"] == "private"
            && let Some(user_id) = message["from"]["id"].as_i64()
        {
            let username = hybrid_core::text::fold(message["from"]["username"].as_str().unwrap_or_default());
            learned.people.push((user_id, username));
        }
        let request = &update["chat_join_request"];
        if let (Some(chat_id), Some(user_id)) = (request["chat"]["id"].as_i64(), request["from"]["id"].as_i64()) {
            learned.requests.push((chat_id, user_id));
        }
    }
    learned
}

/// One poll: reads the updates after the stored offset, approves the join requests the bot's
/// links asked for, remembers who wrote to it, and enqueues the next poll — at once after a
/// page of updates, after `automation.bot_poll_ms` when there was none. The chain ends only
/// with its account: a logged-out or banned one is looked at again every 30 s without calling
/// the Bot API, so once `check` finds the token working again the updates follow.
async fn poll(engine: &Engine, bot: &TelegramBot, job: &Job) -> ApiResult<()> {
    let Follow { account } = job
        .payload()
        .map_err(|e| ApiError::validation("payload", e.to_string()))?;
    let now = job.now_ms();
    let Some(row) = store::account_by_id(&mut engine.db.reads(), account).await? else {
        return finish(engine, job, None).await;
    };
    if matches!(row.state.as_str(), "logged_out" | "banned") {
        return finish(engine, job, Some((account, now + POLL_RETRY_MS))).await;
    }
    let identity = engine.identity(&row)?;
    let params = json!({
        "offset": row.update_offset,
        "timeout": 0,
        "allowed_updates": ["message", "chat_join_request"],
    });
    let updates = match bot.act(&identity, "getUpdates", params).await {
        Ok(Value::Array(updates)) => updates,
        Ok(other) => {
            // not the Bot API's answer: a retried job would only die on it, so the chain
            // waits and asks again
            tracing::warn!(account, answer = %other, "getUpdates answered something else than a list; trying again later");
            return finish(engine, job, Some((account, now + POLL_RETRY_MS))).await;
        }
        Err(Refusal::LoggedOut) => {
            let state = (
                "logged_out",
                "the Bot API refused the token (revoked, or the bot deleted)",
            );
            engine
                .db
                .write(move |tx| {
                    Box::pin(async move {
                        store::update_account(tx, account, None, None, Some((state.0, state.1, None))).await
                    })
                })
                .await?;
            return finish(engine, job, Some((account, now + POLL_RETRY_MS))).await;
        }
        Err(Refusal::FloodWait(secs)) => return finish(engine, job, Some((account, now + secs * 1000))).await,
        Err(refusal) => {
            tracing::warn!(
                account,
                ?refusal,
                "a bot's updates could not be read; trying again later"
            );
            return finish(engine, job, Some((account, now + POLL_RETRY_MS))).await;
        }
    };
    let learned = learn(&updates, row.update_offset);
    let mut joined = Vec::new();
    for &(chat_id, user_id) in &learned.requests {
        let contacts = store::link_sent_to(&mut engine.db.reads(), account, chat_id, user_id).await?;
        if contacts.is_empty() {
            continue; // not ours to decide: the chat's admins do
        }
        match bot
            .act(
                &identity,
                "approveChatJoinRequest",
                json!({"chat_id": chat_id, "user_id": user_id}),
            )
            .await
        {
            Ok(_) => joined.extend(contacts),
            Err(refusal) => tracing::warn!(account, chat_id, user_id, ?refusal, "a join request was not approved"),
        }
    }
    let next_at = if updates.is_empty() {
        now + engine.config.bot_poll_ms
    } else {
        now
    };
    let (job, learned) = (job.clone(), Arc::new(learned));
    engine
        .db
        .write(move |tx| {
            let (job, learned, joined) = (job.clone(), learned.clone(), joined.clone());
            Box::pin(async move {
                for (user_id, username) in &learned.people {
                    store::remember_person(tx, account, *user_id, username, now).await?;
                }
                for (campaign_id, contact_id) in joined {
                    store::set_contact_detail(tx, campaign_id, contact_id, "joined through the link", now).await?;
                }
                store::set_update_offset(tx, account, learned.next_offset).await?;
                follow_updates(tx, account, next_at, &format!("after-{}", job.id)).await?;
                job.complete_in(tx).await.map_err(lost)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    engine.jobs.wake();
    Ok(())
}

/// Completes the poll, enqueuing the next one at (account, when) if given.
async fn finish(engine: &Engine, job: &Job, next: Option<(i64, i64)>) -> ApiResult<()> {
    let job = job.clone();
    engine
        .db
        .write(move |tx| {
            let job = job.clone();
            Box::pin(async move {
                if let Some((account, at)) = next {
                    follow_updates(tx, account, at, &format!("after-{}", job.id)).await?;
                }
                job.complete_in(tx).await.map_err(lost)?;
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_onto_outcomes_as_telegram_words_them() {
        let flood = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7}});
        assert_eq!(refusal_of(429, &flood), Refusal::FloodWait(7));
        let revoked = json!({"ok": false, "error_code": 401, "description": "Unauthorized"});
        assert_eq!(refusal_of(401, &revoked), Refusal::LoggedOut);
        let blocked = json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"});
        assert_eq!(
            refusal_of(403, &blocked),
            Refusal::Forbidden("Forbidden: bot was blocked by the user".into())
        );
        let gone = json!({"ok": false, "error_code": 400, "description": "Bad Request: user not found"});
        let gone = refusal_of(400, &gone);
        assert!(not_a_member(&gone), "{gone:?}");
        let busy = json!({"ok": false, "error_code": 502, "description": "Bad Gateway"});
        assert!(matches!(
            refusal_of(502, &busy),
            Refusal::Failed { transient: true, .. }
        ));
        assert!(!not_a_member(&refusal_of(
            400,
            &json!({"description": "Bad Request: chat not found"})
        )));
        // formatting refused: the post is sent again as plain text
        for words in [
            "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0",
            "Bad Request: MESSAGE_ENTITIES_TOO_LONG",
        ] {
            let refused = refusal_of(400, &json!({"description": words}));
            assert_eq!(refused, Refusal::Formatting(words.into()));
        }
    }

    #[test]
    fn posts_carry_their_formatting_as_entities_never_a_parse_mode() {
        let plain = send_message(-100, "hi", &[]);
        assert_eq!(plain, json!({"chat_id": -100, "text": "hi"}));
        let bold = send_message(
            -100,
            "hi",
            &[Entity::new(hybrid_chats_api::body::EntityKind::Bold, 0, 2)],
        );
        assert_eq!(
            bold,
            json!({"chat_id": -100, "text": "hi", "entities": [{"type": "bold", "offset": 0, "length": 2}]})
        );
    }

    #[test]
    fn updates_teach_who_wrote_and_who_asks_to_join() {
        let updates = json!([
            {"update_id": 10, "message": {"chat": {"id": 5, "type": "private"}, "from": {"id": 5, "username": "Pavel"}, "text": "/start"}},
            {"update_id": 11, "message": {"chat": {"id": -1000000000003_i64, "type": "group"}, "from": {"id": 6}, "text": "hi"}},
            {"update_id": 12, "chat_join_request": {"chat": {"id": -1000000000003_i64}, "from": {"id": 7}}},
            {"update_id": 13, "message": {"chat": {"id": 8, "type": "private"}, "from": {"id": 8}, "text": "/start"}},
        ]);
        let learned = learn(updates.as_array().unwrap(), 10);
        assert_eq!(learned.people, vec![(5, "pavel".to_owned()), (8, String::new())]);
        assert_eq!(learned.requests, vec![(-1_000_000_000_003, 7)]);
        assert_eq!(learned.next_offset, 14);
        assert_eq!(learn(&[], 14).next_offset, 14, "nothing new keeps the offset");
    }

    #[test]
    fn endpoints_are_base_urls() {
        assert_eq!(
            clean_endpoint(" https://api.telegram.org/ ").unwrap(),
            "https://api.telegram.org"
        );
        assert_eq!(
            clean_endpoint("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in ["api.telegram.org", "ftp://x", "https://x/?a=1", ""] {
            assert!(clean_endpoint(bad).is_err(), "{bad}");
        }
    }
}
