//! Web Push delivery: subscriptions, this server's VAPID key, and the `notify-push` job that
//! sends one entry to one browser. An entry made by `follow.rs` queues one job per browser of
//! its user in the same transaction; the job reads the entry when it runs, so an entry read
//! on another device or withdrawn (its message deleted) meanwhile is not sent. Answers: 2xx
//! done; 404 and 410 (the browser unsubscribed) drop the subscription; 429 and 5xx retry
//! (after `Retry-After` when given); other 4xx fail for good. A subscription lives as long as
//! the session it was made from: once that is signed out (or expired), nothing more is sent to
//! it and it is dropped — when a push finds it so, or at the hourly sweep.

use std::sync::Arc;

use hybrid_auth_api::TokenAuthority;
use hybrid_core::bus::Bytes;
use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::outbound::{Outbound, OutboundError};
use hybrid_core::state::SharedState;
use hybrid_core::{ApiError, ApiResult, Secrets, now_ms};
use hybrid_store::{Db, Sql, params};
use serde::{Deserialize, Serialize};

use crate::api::{Notification, NotificationKind, PushPayload, PushSubscription};
use crate::webpush::{Receiver, Vapid};

/// The queue of push deliveries.
pub const PUSH_QUEUE: &str = "notify-push";
/// What the VAPID key is sealed for (`Secrets::seal`).
const VAPID_CONTEXT: &str = "vapid-key";
/// Sessions asked about at once by the sweep of signed-out devices.
const SWEEP_CHUNK: usize = 500;

#[derive(Serialize, Deserialize)]
struct PushJob {
    notification_id: i64,
    subscription_id: i64,
}

/// Queues the delivery of `notification` to every browser of its user, in the transaction
/// that made it, unless it is made during the user's quiet hours.
pub async fn queue(tx: &mut Sql<'_>, user_id: i64, notification: &Notification) -> ApiResult<()> {
    // what comes during quiet hours is never pushed, even once they are over
    if crate::quiet::quiet_now(tx, user_id, now_ms()).await? {
        return Ok(());
    }
    let subscriptions: Vec<(i64,)> = tx
        .fetch_all("SELECT id FROM push_subscriptions WHERE user_id = $1", params![user_id])
        .await?;
    for (subscription_id,) in subscriptions {
        let job = PushJob {
            notification_id: notification.id,
            subscription_id,
        };
        // an entry brought up to date (a later reaction) is sent again
        let key = format!("{}:{subscription_id}:{}", notification.id, notification.created_at);
        hybrid_core::jobs::enqueue(tx, &NewJob::new(PUSH_QUEUE, &job).dedup_key(key), now_ms()).await?;
    }
    Ok(())
}

/// This server's VAPID key: made and stored sealed on the first start (by whichever process
/// gets there first), opened on the others.
pub async fn vapid_key(db: &Db, secrets: &Secrets, subject: String) -> anyhow::Result<Vapid> {
    let fresh = secrets.seal(VAPID_CONTEXT, &Vapid::generate());
    db.execute(
        "INSERT INTO vapid_key (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
        hybrid_store::values![fresh, now_ms()],
    )
    .await?;
    let (sealed,): (Vec<u8>,) = db
        .reads()
        .fetch_one("SELECT sealed FROM vapid_key WHERE id = 1", params![])
        .await?;
    let private = secrets.open(VAPID_CONTEXT, &sealed)?;
    Vapid::new(&private, subject).ok_or_else(|| anyhow::anyhow!("the stored VAPID key is not a P-256 key"))
}

/// Seals the VAPID key again under the current master key; 1 when it changed.
pub async fn reseal(db: &Db, secrets: &Secrets) -> anyhow::Result<usize> {
    let found: Option<(Vec<u8>,)> = db
        .reads()
        .fetch_optional("SELECT sealed FROM vapid_key WHERE id = 1", params![])
        .await?;
    let Some(resealed) = found
        .map(|(sealed,)| secrets.reseal(VAPID_CONTEXT, &sealed))
        .transpose()?
        .flatten()
    else {
        return Ok(0);
    };
    db.execute(
        "UPDATE vapid_key SET sealed = $1 WHERE id = 1",
        hybrid_store::values![resealed],
    )
    .await?;
    Ok(1)
}

/// Sends entries to browsers.
pub struct Pusher {
    pub db: Db,
    /// Where realtime keeps which devices are in front of their users.
    pub state: Arc<dyn SharedState>,
    /// Whether a subscription's session is still signed in.
    pub sessions: Arc<dyn TokenAuthority>,
    pub vapid: Vapid,
    pub outbound: Outbound,
    pub ttl_secs: u64,
}

struct Target {
    user_id: i64,
    session_id: i64,
    endpoint: String,
    p256dh: String,
    auth: String,
    hide_content: i64,
}

hybrid_store::from_row!(Target {
    user_id,
    session_id,
    endpoint,
    p256dh,
    auth,
    hide_content,
});

impl Pusher {
    /// The `notify-push` job.
    pub async fn run(self: Arc<Self>, job: Job) -> Outcome {
        let Ok(PushJob {
            notification_id,
            subscription_id,
        }) = job.payload()
        else {
            return Outcome::Fail("not a notify-push payload".into());
        };
        match self.deliver(notification_id, subscription_id).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Retry(e.message.to_string()),
        }
    }

    async fn deliver(&self, notification_id: i64, subscription_id: i64) -> ApiResult<Outcome> {
        let mut reads = self.db.reads();
        let target: Option<Target> = reads
            .fetch_optional(
                "SELECT user_id, session_id, endpoint, p256dh, auth, hide_content FROM push_subscriptions WHERE id = $1",
                params![subscription_id],
            )
            .await?;
        let Some(target) = target else {
            return Ok(Outcome::Done); // unsubscribed meanwhile
        };
        if target.session_id != 0 && self.sessions.live_sessions(vec![target.session_id]).await?.is_empty() {
            // signed out on that device: it must not show this account's notifications
            self.drop_subscription(subscription_id).await?;
            return Ok(Outcome::Done);
        }
        if crate::quiet::quiet_now(&mut reads, target.user_id, now_ms()).await? {
            return Ok(Outcome::Done); // quiet hours began while it waited: the list has it
        }
        // the subscription's user now: an endpoint subscribed again by someone else since
        // the job was queued must not get the first user's entry
        let entry = crate::store::get(&mut reads, target.user_id, notification_id).await?;
        let Some(entry) = entry.filter(|n| n.read_at.is_none()) else {
            return Ok(Outcome::Done); // withdrawn, read on another device, or not theirs
        };
        // the device is in front of its user: the socket has shown it already
        if target.session_id != 0
            && self
                .state
                .flagged(&hybrid_realtime_api::focus_flag(target.session_id))
                .await?
        {
            return Ok(Outcome::Done);
        }
        let Ok(receiver) = Receiver::from_base64(&target.p256dh, &target.auth) else {
            self.drop_subscription(subscription_id).await?;
            return Ok(Outcome::Fail("the subscription's keys are not usable".into()));
        };
        let payload = PushPayload {
            id: entry.id,
            kind: entry.kind,
            chat_id: entry.chat_id,
            seq: entry.seq,
            actor_id: entry.actor_id,
            chat_title: entry.chat_title.clone(),
            preview: (target.hide_content == 0).then(|| entry.preview.clone()),
        };
        let plaintext = serde_json::to_vec(&payload).expect("payloads serialise");
        let body = crate::webpush::encrypt(
            &receiver,
            &plaintext[..plaintext.len().min(crate::webpush::MAX_PLAINTEXT)],
        );
        let Some(authorization) = self.vapid.authorization(&target.endpoint, now_ms() / 1000) else {
            self.drop_subscription(subscription_id).await?;
            return Ok(Outcome::Fail("the endpoint is not an http(s) URL".into()));
        };
        let ttl = self.ttl_secs.to_string();
        let urgency = match entry.kind {
            NotificationKind::Mention | NotificationKind::DirectMessage | NotificationKind::Reply => "high",
            _ => "normal",
        };
        let headers = [
            ("content-type", "application/octet-stream"),
            ("content-encoding", "aes128gcm"),
            ("ttl", ttl.as_str()),
            ("urgency", urgency),
            ("authorization", authorization.as_str()),
        ];
        let answer = match self.outbound.post(&target.endpoint, Bytes::from(body), &headers).await {
            Ok(answer) => answer,
            Err(e @ (OutboundError::Timeout(_) | OutboundError::Network(_))) => {
                return Ok(Outcome::Retry(e.to_string()));
            }
            Err(e) => return Ok(Outcome::Fail(e.to_string())),
        };
        Ok(match answer.status {
            200..=299 => Outcome::Done,
            404 | 410 => {
                self.drop_subscription(subscription_id).await?;
                Outcome::Done
            }
            429 | 500..=599 => {
                let why = format!("the push service answered {}", answer.status);
                match answer.retry_after {
                    Some(wait) => Outcome::RetryAfter(why, wait),
                    None => Outcome::Retry(why),
                }
            }
            other => Outcome::Fail(format!("the push service refused the push ({other})")),
        })
    }

    /// Drops the subscriptions whose session is signed out or expired: how many went.
    pub async fn sweep_signed_out(&self) -> ApiResult<u64> {
        let sessions: Vec<(i64,)> = self
            .db
            .reads()
            .fetch_all(
                "SELECT DISTINCT session_id FROM push_subscriptions WHERE session_id <> 0 ORDER BY session_id",
                params![],
            )
            .await?;
        let mut dropped = 0;
        for chunk in sessions.chunks(SWEEP_CHUNK) {
            let asked: Vec<i64> = chunk.iter().map(|(id,)| *id).collect();
            let live: std::collections::HashSet<i64> =
                self.sessions.live_sessions(asked.clone()).await?.into_iter().collect();
            let dead: Vec<i64> = asked.into_iter().filter(|id| !live.contains(id)).collect();
            if dead.is_empty() {
                continue;
            }
            let sql = format!(
                "DELETE FROM push_subscriptions WHERE session_id IN ({})",
                hybrid_store::id_list(dead)
            );
            dropped += self
                .db
                .write(move |tx| Box::pin(async move { tx.execute(&sql, params![]).await }))
                .await?;
        }
        Ok(dropped)
    }

    async fn drop_subscription(&self, id: i64) -> ApiResult<()> {
        self.db
            .execute(
                "DELETE FROM push_subscriptions WHERE id = $1",
                hybrid_store::values![id],
            )
            .await?;
        Ok(())
    }
}

/// A browser to subscribe.
pub struct NewSubscription {
    pub user_id: i64,
    /// The session it was subscribed from (its device's focus is that session's).
    pub session_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub hide_content: bool,
}

/// Subscribes a browser, unless its user has `max` others already.
pub async fn subscribe(db: &Db, new: NewSubscription, max: i64) -> ApiResult<PushSubscription> {
    let NewSubscription {
        user_id,
        session_id,
        endpoint,
        p256dh,
        auth,
        hide_content,
    } = new;
    db.write(move |tx| {
        Box::pin(async move {
            let (count,): (i64,) = tx
                .fetch_one(
                    "SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1 AND endpoint <> $2",
                    params![user_id, &endpoint],
                )
                .await?;
            if count >= max {
                return Err(ApiError::new(
                    crate::api::NotifyCode::TooManySubscriptions,
                    format!("you have {max} browsers subscribed, the most one may: unsubscribe one first"),
                ));
            }
            let row: (i64, String, i64, i64) = tx
                .fetch_one(
                    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, hide_content, created_at, session_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, \
                     p256dh = excluded.p256dh, auth = excluded.auth, hide_content = excluded.hide_content, \
                     created_at = excluded.created_at, session_id = excluded.session_id \
                     RETURNING id, endpoint, hide_content, created_at",
                    params![user_id, endpoint, p256dh, auth, i64::from(hide_content), now_ms(), session_id],
                )
                .await?;
            Ok(subscription(row))
        })
    })
    .await
}

pub async fn subscriptions(db: &Db, user_id: i64) -> ApiResult<Vec<PushSubscription>> {
    let rows: Vec<(i64, String, i64, i64)> = db
        .reads()
        .fetch_all(
            "SELECT id, endpoint, hide_content, created_at FROM push_subscriptions WHERE user_id = $1 ORDER BY id",
            params![user_id],
        )
        .await?;
    Ok(rows.into_iter().map(subscription).collect())
}

/// Removes one of `user_id`'s subscriptions; whether there was one.
pub async fn unsubscribe(db: &Db, user_id: i64, id: i64) -> ApiResult<bool> {
    let removed = db
        .execute(
            "DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2",
            hybrid_store::values![id, user_id],
        )
        .await?;
    Ok(removed > 0)
}

fn subscription((id, endpoint, hide_content, created_at): (i64, String, i64, i64)) -> PushSubscription {
    PushSubscription {
        id,
        endpoint,
        hide_content: hide_content != 0,
        created_at,
    }
}
