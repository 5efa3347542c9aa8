//! Email notifications: a user's address (confirmed by a link before anything else goes to
//! it), mentions, replies and direct messages still unread N minutes after they came, and a
//! daily digest of what is unread. Everything is a `notify-email` job, so nothing is lost
//! across a restart and a refused delivery is retried:
//!
//! - `confirm`: sends a fresh confirmation link (valid 24 hours);
//! - `unread`: queued with each such entry, due N minutes after it; when it runs it claims
//!   every such entry of the user that is still unread and not emailed yet (later ones too: a
//!   burst makes one message), and sends them in one message. An entry read meanwhile (on any
//!   device), or withdrawn with its message, is not in it; nothing left means no message;
//! - `digest`: due at the user's digest time; it queues the next day's first, then sends the
//!   last day's unread entries, if there are any. Changing the time queues a new one, and the
//!   one queued before finds itself superseded (`next_digest_at` no longer names it).
//!
//! Every message but the confirmation carries a one-click unsubscribe link (`mail.rs`).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::secrets::{random_token, token_hash};
use hybrid_core::state::SharedState;
use hybrid_core::{ApiError, ApiResult, now_ms};
use hybrid_store::{Db, Sql, params};
use hybrid_users_api::UserDirectory;
use serde::{Deserialize, Serialize};

use crate::api::{EmailSettings, EmailSettingsUpdate, Notification, NotificationKind, NotifyCode};
use crate::mail::{self, Letter, Line, Mailer, SendError};
use crate::quiet;

/// The queue of email deliveries.
pub const EMAIL_QUEUE: &str = "notify-email";
/// How long a confirmation link works.
const LINK_VALID_MS: i64 = 24 * 3600 * 1000;
/// Confirmation links one user may have sent per hour (a new address, or again): enough to
/// fix a typo, too few to flood someone's inbox.
const LINKS_PER_HOUR: u32 = 5;
/// How far back a digest looks.
const DIGEST_SPAN_MS: i64 = 24 * 3600 * 1000;
/// The longest wait before unread entries are emailed: a day.
const MAX_UNREAD_AFTER_MINUTES: i64 = 1440;
/// Entries a digest reads (it lists fewer and counts the rest).
const DIGEST_READS: i64 = 200;

/// What a `notify-email` job does.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum EmailJob {
    Confirm {
        user_id: i64,
    },
    /// Email what is unread.
    Unread {
        user_id: i64,
    },
    /// The digest due at `at` (ms).
    Digest {
        user_id: i64,
        at: i64,
    },
}

/// The kinds of entries emailed when left unread.
const EMAILED_KINDS: &str = "('mention', 'reply', 'direct_message')";

struct Row {
    address: String,
    verified_at: i64,
    unsubscribe_token: String,
    unread_after_minutes: i64,
    digest_at: i64,
    time_zone: String,
    next_digest_at: i64,
}

hybrid_store::from_row!(Row {
    address,
    verified_at,
    unsubscribe_token,
    unread_after_minutes,
    digest_at,
    time_zone,
    next_digest_at,
});

const ROW: &str = "address, verified_at, unsubscribe_token, unread_after_minutes, digest_at, \
                   time_zone, next_digest_at";

async fn row(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<Option<Row>> {
    Ok(sql
        .fetch_optional(
            &format!("SELECT {ROW} FROM email_settings WHERE user_id = $1"),
            params![user_id],
        )
        .await?)
}

fn settings_of(row: Option<Row>, available: bool) -> EmailSettings {
    match row {
        Some(row) => EmailSettings {
            address: Some(row.address),
            verified: row.verified_at > 0,
            unread_after_minutes: row.unread_after_minutes,
            digest_at: (row.digest_at >= 0).then(|| quiet::hh_mm(row.digest_at)),
            time_zone: row.time_zone,
            available,
        },
        None => EmailSettings {
            address: None,
            verified: false,
            unread_after_minutes: 15,
            digest_at: None,
            time_zone: "UTC".into(),
            available,
        },
    }
}

/// The first time after `after` (ms) that is `digest_at` (minutes after midnight) in `zone`.
fn next_digest(digest_at: i64, zone: &str, after: i64) -> ApiResult<i64> {
    let cron = format!("{} {} * * *", digest_at % 60, digest_at / 60);
    hybrid_core::jobs::next_after(&cron, zone, after)
        .map_err(|e| ApiError::internal(format!("the digest time cannot be scheduled: {e}")))
}

/// Queues `user_id`'s next digest after `after`, superseding any queued before.
async fn queue_digest(tx: &mut Sql<'_>, user_id: i64, digest_at: i64, zone: &str, after: i64) -> ApiResult<()> {
    let at = next_digest(digest_at, zone, after)?;
    tx.execute(
        "UPDATE email_settings SET next_digest_at = $2 WHERE user_id = $1",
        params![user_id, at],
    )
    .await?;
    let job = NewJob::new(EMAIL_QUEUE, &EmailJob::Digest { user_id, at })
        .run_at(at)
        .dedup_key(format!("digest:{user_id}:{at}"));
    hybrid_core::jobs::enqueue(tx, &job, now_ms()).await?;
    Ok(())
}

async fn queue_confirmation(tx: &mut Sql<'_>, user_id: i64, now: i64) -> ApiResult<()> {
    // each is its own request (no dedup key): two within a millisecond are two links
    let job = NewJob::new(EMAIL_QUEUE, &EmailJob::Confirm { user_id });
    hybrid_core::jobs::enqueue(tx, &job, now).await?;
    Ok(())
}

/// Queues the email of `entry` (and whatever else is unread by then) for when it has been
/// unread long enough, if its user wants that: in the transaction that made it.
pub async fn queue_unread(tx: &mut Sql<'_>, user_id: i64, entry: &Notification) -> ApiResult<()> {
    if !matches!(
        entry.kind,
        NotificationKind::Mention | NotificationKind::Reply | NotificationKind::DirectMessage
    ) {
        return Ok(());
    }
    let wait: Option<(i64,)> = tx
        .fetch_optional(
            "SELECT unread_after_minutes FROM email_settings WHERE user_id = $1 AND verified_at > 0 \
             AND unread_after_minutes > 0",
            params![user_id],
        )
        .await?;
    let Some((minutes,)) = wait else {
        return Ok(());
    };
    let job = NewJob::new(EMAIL_QUEUE, &EmailJob::Unread { user_id })
        .run_at(entry.created_at + minutes * 60_000)
        .dedup_key(format!("unread:{user_id}:{}", entry.id));
    hybrid_core::jobs::enqueue(tx, &job, now_ms()).await?;
    Ok(())
}

/// The settings API.
pub struct EmailSettingsStore {
    pub db: Db,
    pub mailer: Arc<Mailer>,
    /// Where the budget of confirmation links is kept.
    pub state: Arc<dyn SharedState>,
}

impl EmailSettingsStore {
    pub async fn get(&self, user_id: i64) -> ApiResult<EmailSettings> {
        let found = row(&mut self.db.reads(), user_id).await?;
        Ok(settings_of(found, self.mailer.available()))
    }

    /// Replaces `user_id`'s settings. A new address is not confirmed: a link goes to it, and
    /// until it is opened nothing else does.
    pub async fn set(&self, user_id: i64, update: EmailSettingsUpdate) -> ApiResult<EmailSettings> {
        let Some(address) = update.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()) else {
            self.db
                .execute(
                    "DELETE FROM email_settings WHERE user_id = $1",
                    hybrid_store::values![user_id],
                )
                .await?;
            return self.get(user_id).await;
        };
        if !self.mailer.available() {
            return Err(ApiError::new(
                NotifyCode::EmailNotConfigured,
                "this server sends no email: its operator has not set notify.smtp_url",
            ));
        }
        if address.len() > 254 || lettre::Address::from_str(&address).is_err() {
            return Err(ApiError::validation("address", "must be an email address"));
        }
        if !(0..=MAX_UNREAD_AFTER_MINUTES).contains(&update.unread_after_minutes) {
            return Err(ApiError::validation(
                "unread_after_minutes",
                "must be 0 (never) to 1440 (a day)",
            ));
        }
        let digest_at = update
            .digest_at
            .as_deref()
            .map(|at| quiet::minutes(at, "digest_at"))
            .transpose()?
            .unwrap_or(-1);
        quiet::check_time_zone(&update.time_zone)?;
        let current = row(&mut self.db.reads(), user_id).await?;
        if current.is_none_or(|c| c.address != address) {
            self.take_link(user_id).await?;
        }
        let (minutes, zone) = (update.unread_after_minutes, update.time_zone);
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let now = now_ms();
                    let before = row(tx, user_id).await?;
                    let same = before.as_ref().filter(|b| b.address == address);
                    let verified_at = same.map_or(0, |b| b.verified_at);
                    let token = same.map_or_else(|| random_token("hun_"), |b| b.unsubscribe_token.clone());
                    tx.execute(
                        "INSERT INTO email_settings (user_id, address, verified_at, unsubscribe_token, \
                         unread_after_minutes, digest_at, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (user_id) DO UPDATE SET address = excluded.address, \
                         verified_at = excluded.verified_at, unsubscribe_token = excluded.unsubscribe_token, \
                         unread_after_minutes = excluded.unread_after_minutes, digest_at = excluded.digest_at, \
                         time_zone = excluded.time_zone, next_digest_at = 0",
                        params![user_id, &address, verified_at, token, minutes, digest_at, &zone],
                    )
                    .await?;
                    if same.is_none() {
                        tx.execute(
                            "UPDATE email_settings SET verify_hash = NULL, verify_expires_at = 0 WHERE user_id = $1",
                            params![user_id],
                        )
                        .await?;
                        queue_confirmation(tx, user_id, now).await?;
                    }
                    if verified_at > 0 && digest_at >= 0 {
                        queue_digest(tx, user_id, digest_at, &zone, now).await?;
                    }
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.get(user_id).await
    }

    /// Sends another confirmation link.
    pub async fn resend(&self, user_id: i64) -> ApiResult<()> {
        let waiting = row(&mut self.db.reads(), user_id)
            .await?
            .is_some_and(|r| r.verified_at == 0);
        if !waiting {
            return Err(ApiError::new(
                NotifyCode::NothingToVerify,
                "there is no address waiting to be confirmed",
            ));
        }
        self.take_link(user_id).await?;
        self.db
            .write(move |tx| Box::pin(async move { queue_confirmation(tx, user_id, now_ms()).await }))
            .await
    }

    /// One confirmation link from `user_id`'s budget ([`LINKS_PER_HOUR`]).
    async fn take_link(&self, user_id: i64) -> ApiResult<()> {
        let key = format!("notify:email-links:{user_id}");
        let hour = std::time::Duration::from_secs(3600);
        hybrid_core::rate::take(
            self.state.as_ref(),
            &key,
            LINKS_PER_HOUR,
            hour,
            "asking for confirmation links",
        )
        .await
    }

    /// Confirms the address whose link carries `token`: whether one did.
    pub async fn confirm(&self, token: &str) -> ApiResult<bool> {
        let hash = token_hash(token);
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let now = now_ms();
                    let confirmed: Option<(i64, i64, String)> = tx
                        .fetch_optional(
                            "UPDATE email_settings SET verified_at = $2, verify_hash = NULL, verify_expires_at = 0 \
                             WHERE verify_hash = $1 AND verify_expires_at > $2 RETURNING user_id, digest_at, time_zone",
                            params![hash, now],
                        )
                        .await?;
                    let Some((user_id, digest_at, zone)) = confirmed else {
                        return Ok(false);
                    };
                    if digest_at >= 0 {
                        queue_digest(tx, user_id, digest_at, &zone, now).await?;
                    }
                    Ok(true)
                })
            })
            .await
    }

    /// Turns off every email of the user whose unsubscribe link carries `token` (the address
    /// stays, confirmed): whether there was one.
    pub async fn unsubscribe(&self, token: &str) -> ApiResult<bool> {
        let done = self
            .db
            .execute(
                "UPDATE email_settings SET unread_after_minutes = 0, digest_at = -1, next_digest_at = 0 \
                 WHERE unsubscribe_token = $1",
                hybrid_store::values![token.to_owned()],
            )
            .await?;
        Ok(done > 0)
    }
}

/// Runs the `notify-email` jobs.
pub struct Emailer {
    pub db: Db,
    pub mailer: Arc<Mailer>,
    pub users: Arc<dyn UserDirectory>,
}

impl Emailer {
    pub async fn run(self: Arc<Self>, job: Job) -> Outcome {
        let Ok(what) = job.payload::<EmailJob>() else {
            return Outcome::Fail("not a notify-email payload".into());
        };
        let sent = match what {
            EmailJob::Confirm { user_id } => self.confirm(user_id).await,
            EmailJob::Unread { user_id } => self.unread(user_id).await,
            EmailJob::Digest { user_id, at } => self.digest(user_id, at, job.attempt).await,
        };
        match sent {
            Ok(None) => Outcome::Done,
            Ok(Some(SendError::Transient(why))) => Outcome::Retry(why),
            Ok(Some(SendError::Permanent(why))) => Outcome::Fail(why),
            Err(e) => Outcome::Retry(e.message.to_string()),
        }
    }

    async fn send(&self, letter: Letter) -> Option<SendError> {
        self.mailer.send(letter).await.err()
    }

    async fn confirm(&self, user_id: i64) -> ApiResult<Option<SendError>> {
        let Some(found) = row(&mut self.db.reads(), user_id).await?.filter(|r| r.verified_at == 0) else {
            return Ok(None); // gone, or confirmed meanwhile
        };
        let token = random_token("hev_");
        let (hash, address) = (token_hash(&token), found.address.clone());
        let expires = now_ms() + LINK_VALID_MS;
        let stored = self
            .db
            .execute(
                "UPDATE email_settings SET verify_hash = $2, verify_expires_at = $3 WHERE user_id = $1 \
                 AND address = $4 AND verified_at = 0",
                hybrid_store::values![user_id, hash, expires, address],
            )
            .await?;
        if stored == 0 {
            return Ok(None); // the address changed meanwhile: its own job sends its link
        }
        let link = self
            .mailer
            .link(&format!("/api/v1/notifications/email/confirm?token={token}"));
        Ok(self.send(mail::confirmation(&found.address, &link)).await)
    }

    async fn unread(&self, user_id: i64) -> ApiResult<Option<SendError>> {
        let Some(found) = row(&mut self.db.reads(), user_id).await? else {
            return Ok(None);
        };
        if found.verified_at == 0 || found.unread_after_minutes == 0 {
            return Ok(None);
        }
        // claimed before sending, so two of these jobs never send one entry twice
        let sql = format!(
            "UPDATE notifications SET emailed_at = $2 WHERE user_id = $1 \
             AND read_at IS NULL AND emailed_at IS NULL AND kind IN {EMAILED_KINDS} RETURNING {}",
            crate::store::COLUMNS
        );
        let claimed: Vec<Notification> = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    let rows: Vec<crate::store::Row> = tx.fetch_all(&sql, params![user_id, now_ms()]).await?;
                    Ok::<_, ApiError>(rows.into_iter().map(Notification::from).collect())
                })
            })
            .await?;
        if claimed.is_empty() {
            return Ok(None); // read, withdrawn, or sent with an earlier one
        }
        let mut claimed = claimed;
        claimed.sort_by_key(|n| std::cmp::Reverse(n.id));
        let subject = match claimed.len() {
            1 => "1 unread message in Hybrid".to_owned(),
            n => format!("{n} unread messages in Hybrid"),
        };
        let failed = self.send_entries(&found, subject, &claimed, claimed.len()).await?;
        if failed.is_some() {
            // not sent: the next try (or another job) takes them again
            let ids = hybrid_store::id_list(claimed.iter().map(|n| n.id));
            let sql = format!("UPDATE notifications SET emailed_at = NULL WHERE id IN ({ids})");
            self.db
                .write(move |tx| Box::pin(async move { tx.execute(&sql, params![]).await }))
                .await?;
        }
        Ok(failed)
    }

    async fn digest(&self, user_id: i64, at: i64, attempt: i64) -> ApiResult<Option<SendError>> {
        let Some(found) = row(&mut self.db.reads(), user_id).await? else {
            return Ok(None);
        };
        if found.verified_at == 0 || found.digest_at < 0 {
            return Ok(None); // turned off meanwhile
        }
        // a retry finds the next day's digest queued by its first run
        if attempt == 1 {
            if found.next_digest_at != at {
                return Ok(None); // superseded by a change of the time
            }
            let (digest_at, zone) = (found.digest_at, found.time_zone.clone());
            self.db
                .write(move |tx| {
                    Box::pin(async move { queue_digest(tx, user_id, digest_at, &zone, at.max(now_ms())).await })
                })
                .await?;
        }
        let mut reads = self.db.reads();
        let rows: Vec<crate::store::Row> = reads
            .fetch_all(
                &format!(
                    "SELECT {} FROM notifications WHERE user_id = $1 AND read_at IS NULL AND created_at > $2 \
                     ORDER BY id DESC LIMIT $3",
                    crate::store::COLUMNS
                ),
                params![user_id, now_ms() - DIGEST_SPAN_MS, DIGEST_READS],
            )
            .await?;
        if rows.is_empty() {
            return Ok(None); // nothing unread: no digest today
        }
        let entries: Vec<Notification> = rows.into_iter().map(Notification::from).collect();
        let subject = format!("Your day in Hybrid: {} unread", entries.len());
        self.send_entries(&found, subject, &entries, entries.len()).await
    }

    async fn send_entries(
        &self,
        to: &Row,
        subject: String,
        entries: &[Notification],
        total: usize,
    ) -> ApiResult<Option<SendError>> {
        let mut actors: Vec<i64> = entries.iter().map(|n| n.actor_id).collect();
        actors.sort_unstable();
        actors.dedup();
        let names: HashMap<i64, String> = self
            .users
            .cards(&actors)
            .await?
            .into_iter()
            .map(|card| {
                let name = if card.display_name.is_empty() {
                    card.username
                } else {
                    card.display_name
                };
                (card.id, name)
            })
            .collect();
        let lines: Vec<Line<'_>> = entries
            .iter()
            .map(|entry| Line {
                entry,
                actor: names.get(&entry.actor_id).map_or("Someone", String::as_str),
                link: self.mailer.link(&match entry.seq {
                    Some(seq) => format!("/chat/{}?seq={seq}", entry.chat_id),
                    None => format!("/chat/{}", entry.chat_id),
                }),
            })
            .collect();
        let unsubscribe = self.mailer.link(&format!(
            "/api/v1/notifications/email/unsubscribe?token={}",
            to.unsubscribe_token
        ));
        Ok(self
            .send(mail::entries(&to.address, subject, &lines, total, &unsubscribe))
            .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_digest_is_at_its_time_in_the_users_zone() {
        let at = |text: &str| text.parse::<jiff::Zoned>().unwrap().timestamp().as_millisecond();
        // 08:30 in Moscow (UTC+3) is 05:30 UTC: after 06:00 UTC, it is the next day's
        let after = at("2026-12-05T06:00:00+00:00[UTC]");
        let next = next_digest(8 * 60 + 30, "Europe/Moscow", after).unwrap();
        assert_eq!(next, at("2026-12-06T05:30:00+00:00[UTC]"));
        let next = next_digest(8 * 60 + 30, "UTC", after).unwrap();
        assert_eq!(next, at("2026-12-05T08:30:00+00:00[UTC]"));
    }
}
