//! Alerts: what an owner should hear about at once (a job failing for good, an account banned
//! or logged out, a queue above its threshold, a campaign finished, autopost failing), posted
//! into their admin chat — a Hybrid chat through a `hybrid` account (a direct chat with the
//! owner reaches them through the notify service: in-app, push, email), or a Telegram chat
//! through a bot. Each kind can be
//! switched off, and within `min_interval_secs` of an alert the next ones of its kind are only
//! counted on it (`repeats`), so a storm sends one message.
//!
//! [`raise`] runs inside the write that found the trouble, so an alert is recorded exactly when
//! its cause commits; a job (`automation.alert`) sends it.

pub mod api;
mod routes;
mod store;

use std::sync::Arc;

use hybrid_core::jobs::{Job, NewJob, Outcome, Schedule};
use hybrid_core::{ApiError, ApiResult, Page, page_limit, parse_cursor};
use hybrid_store::{Db, Sql};
use serde::{Deserialize, Serialize};

use crate::connector::{Refusal, retry_later};
use crate::engine::Engine;
use api::{Alert, AlertSettings, AlertSettingsChange};

pub use routes::routes;
pub use store::queue_depth;

/// The queue that sends alerts.
pub const SEND: &str = "automation.alert";
/// The queue of the periodic look at owners' queues.
pub const WATCH: &str = "automation.alerts.watch";
const SEND_ATTEMPTS: i64 = 6;
const MAX_THRESHOLD: i64 = 10_000_000;
const MAX_INTERVAL_SECS: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    JobFailed,
    AccountDown,
    QueueHigh,
    CampaignFinished,
    AutopostFailed,
    /// Asked for by the owner: always sent, never rate-limited.
    Test,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::JobFailed => "job_failed",
            Kind::AccountDown => "account_down",
            Kind::QueueHigh => "queue_high",
            Kind::CampaignFinished => "campaign_finished",
            Kind::AutopostFailed => "autopost_failed",
            Kind::Test => "test",
        }
    }

    fn enabled(self, kinds: &api::AlertKinds) -> bool {
        match self {
            Kind::JobFailed => kinds.job_failed,
            Kind::AccountDown => kinds.account_down,
            Kind::QueueHigh => kinds.queue_high,
            Kind::CampaignFinished => kinds.campaign_finished,
            Kind::AutopostFailed => kinds.autopost_failed,
            Kind::Test => true,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Send {
    alert: i64,
}

/// Raises an alert in the caller's write: recorded and queued to send, folded into the last
/// one of its kind under the rate limit, or nothing when the kind is switched off. Returns the
/// alert's id when one was recorded; wake the jobs once the write commits.
pub async fn raise(sql: &mut Sql<'_>, owner: i64, kind: Kind, text: &str, now: i64) -> ApiResult<Option<i64>> {
    let settings = store::settings(sql, owner).await?;
    if !kind.enabled(&settings.kinds) {
        return Ok(None);
    }
    store::lock_owner(sql, owner).await?;
    if kind != Kind::Test && settings.min_interval_secs > 0 {
        let since = now - settings.min_interval_secs * 1000;
        if let Some(last) = store::latest_since(sql, owner, kind.as_str(), since).await? {
            store::add_repeat(sql, last).await?;
            return Ok(None);
        }
    }
    let sending = settings.account_id.is_some() && settings.chat_id.is_some();
    let (state, detail) = if sending {
        ("pending", "")
    } else {
        ("suppressed", "no chat to send alerts to is set")
    };
    let id = store::insert(sql, owner, kind.as_str(), text, state, detail, now).await?;
    if sending {
        let job = NewJob::new(SEND, &Send { alert: id }).max_attempts(SEND_ATTEMPTS);
        hybrid_core::jobs::enqueue(sql, &job, now).await?;
    }
    Ok(Some(id))
}

/// Raises `account_down` when an account's new state is `logged_out` or `banned`.
pub async fn account_down(sql: &mut Sql<'_>, account_id: i64, state: &str, detail: &str, now: i64) -> ApiResult<()> {
    if state != "logged_out" && state != "banned" {
        return Ok(());
    }
    let account: Option<(i64, String)> = sql
        .fetch_optional(
            "SELECT owner_id, name FROM accounts WHERE id = $1",
            hybrid_store::params![account_id],
        )
        .await?;
    if let Some((owner, name)) = account {
        let text = format!("Account «{name}» is {}: {detail}", state.replace('_', " "));
        raise(sql, owner, Kind::AccountDown, &text, now).await?;
    }
    Ok(())
}

/// [`raise`] in a write of its own, waking the sender.
pub async fn raise_now(engine: &Engine, owner: i64, kind: Kind, text: String) -> ApiResult<Option<i64>> {
    let now = engine.jobs.now_ms();
    let raised = engine
        .db
        .write(move |tx| {
            let text = text.clone();
            Box::pin(async move { raise(tx, owner, kind, &text, now).await })
        })
        .await?;
    engine.jobs.wake();
    Ok(raised)
}

pub struct Alerts {
    pub db: Db,
    pub engine: Arc<Engine>,
}

impl Alerts {
    /// Runs the sender, and declares the look at queues every five minutes.
    pub async fn register(self: &Arc<Self>) -> anyhow::Result<()> {
        let jobs = &self.engine.jobs;
        let alerts = self.clone();
        jobs.handle(SEND, move |job: Job| {
            let alerts = alerts.clone();
            async move {
                alerts
                    .send(&job)
                    .await
                    .unwrap_or_else(|e| Outcome::Retry(e.message.into_owned()))
            }
        });
        let alerts = self.clone();
        jobs.handle(WATCH, move |_job: Job| {
            let alerts = alerts.clone();
            async move {
                match alerts.watch_queues().await {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Retry(e.message.into_owned()),
                }
            }
        });
        jobs.declare(Schedule {
            name: "automation.alerts.queues".into(),
            queue: WATCH.into(),
            payload: "{}".into(),
            cron: "*/5 * * * *".into(),
            timezone: "UTC".into(),
        })
        .await?;
        Ok(())
    }

    async fn send(&self, job: &Job) -> ApiResult<Outcome> {
        let Send { alert } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let mut reads = self.db.reads();
        let Some(alert) = store::alert(&mut reads, alert).await?.filter(|a| a.state == "pending") else {
            return Ok(Outcome::Done);
        };
        let settings = store::settings(&mut reads, alert.owner_id).await?;
        let account = match settings.account_id {
            Some(id) => crate::store::account(&mut reads, alert.owner_id, id).await?,
            None => None,
        };
        let (Some(account), Some(chat_id)) = (account, settings.chat_id) else {
            self.settle(alert.id, "suppressed", "no chat to send alerts to is set")
                .await?;
            return Ok(Outcome::Done);
        };
        let connector = self
            .engine
            .connector(&account.connector)
            .ok_or_else(|| ApiError::unavailable(format!("the {} connector does not run here", account.connector)))?;
        let identity = self.engine.identity(&account)?;
        // one message per alert, however often the job runs
        let key = format!("alert-{}-{}", alert.id, alert.created_at);
        let text = match alert.repeats {
            0 => alert.text.clone(),
            n => format!("{} (+{n} more like it)", alert.text),
        };
        let last = job.attempt >= job.max_attempts;
        match connector.post(&identity, chat_id, &text, &[], &key).await {
            Ok(_) => self.settle(alert.id, "sent", "").await?,
            Err(refusal) => match retry_later(&refusal, last) {
                Some(later) => return Ok(later),
                None => self.settle(alert.id, "failed", &describe(&refusal)).await?,
            },
        }
        Ok(Outcome::Done)
    }

    async fn settle(&self, id: i64, state: &'static str, detail: &str) -> ApiResult<()> {
        let detail = detail.to_owned();
        self.db
            .write(move |tx| {
                let detail = detail.clone();
                Box::pin(async move { store::set_state(tx, id, state, &detail).await })
            })
            .await?;
        Ok(())
    }

    /// Raises `queue_high` for each owner whose queue is above their threshold.
    async fn watch_queues(&self) -> ApiResult<()> {
        let watchers = store::queue_watchers(&mut self.db.reads()).await?;
        for (owner, threshold, kinds) in watchers {
            let kinds: api::AlertKinds = serde_json::from_str(&kinds).unwrap_or_default();
            if !kinds.queue_high {
                continue;
            }
            let (contacts, deliveries) = store::queue_depth(&mut self.db.reads(), owner).await?;
            if contacts + deliveries > threshold {
                let text = format!(
                    "Automation queue is at {} (threshold {threshold}): {contacts} people waiting in running campaigns, {deliveries} posts waiting to be delivered",
                    contacts + deliveries
                );
                raise_now(&self.engine, owner, Kind::QueueHigh, text).await?;
            }
        }
        Ok(())
    }

    pub async fn settings(&self, me: i64) -> ApiResult<AlertSettings> {
        Ok(store::settings(&mut self.db.reads(), me).await?)
    }

    pub async fn change_settings(&self, me: i64, change: AlertSettingsChange) -> ApiResult<AlertSettings> {
        let mut settings = store::settings(&mut self.db.reads(), me).await?;
        if let Some(account_id) = change.account_id {
            if let Some(id) = account_id {
                crate::store::account(&mut self.db.reads(), me, id)
                    .await?
                    .ok_or_else(|| ApiError::validation("account_id", "no such account of yours"))?;
            }
            settings.account_id = account_id;
        }
        if let Some(chat_id) = change.chat_id {
            settings.chat_id = Some(chat_id);
        }
        if settings.account_id.is_some() && settings.chat_id.is_none() {
            return Err(ApiError::validation(
                "chat_id",
                "the chat the account posts alerts into",
            ));
        }
        if let Some(kinds) = change.kinds {
            let k = &mut settings.kinds;
            k.job_failed = kinds.job_failed.unwrap_or(k.job_failed);
            k.account_down = kinds.account_down.unwrap_or(k.account_down);
            k.queue_high = kinds.queue_high.unwrap_or(k.queue_high);
            k.campaign_finished = kinds.campaign_finished.unwrap_or(k.campaign_finished);
            k.autopost_failed = kinds.autopost_failed.unwrap_or(k.autopost_failed);
        }
        if let Some(threshold) = change.queue_threshold {
            if !(1..=MAX_THRESHOLD).contains(&threshold) {
                return Err(ApiError::validation("queue_threshold", format!("1 to {MAX_THRESHOLD}")));
            }
            settings.queue_threshold = threshold;
        }
        if let Some(secs) = change.min_interval_secs {
            if !(0..=MAX_INTERVAL_SECS).contains(&secs) {
                return Err(ApiError::validation(
                    "min_interval_secs",
                    format!("0 to {MAX_INTERVAL_SECS} seconds"),
                ));
            }
            settings.min_interval_secs = secs;
        }
        let now = self.engine.jobs.now_ms();
        let saved = settings.clone();
        self.db
            .write(move |tx| {
                let saved = saved.clone();
                Box::pin(async move { store::save_settings(tx, me, &saved, now).await })
            })
            .await?;
        Ok(settings)
    }

    pub async fn alerts(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Alert>> {
        let limit = page_limit(limit, 50, 200)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = store::alerts_page(&mut self.db.reads(), me, before, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |a| a.id.to_string());
        Ok(Page {
            items: page.items.into_iter().map(Alert::from).collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// Sends a test alert now (no rate limit); `422` when no chat is set.
    pub async fn test(&self, me: i64) -> ApiResult<Alert> {
        let settings = self.settings(me).await?;
        if settings.account_id.is_none() {
            return Err(ApiError::validation(
                "account_id",
                "set the account and chat alerts go to first",
            ));
        }
        let id = raise_now(&self.engine, me, Kind::Test, "Test alert from Hybrid automation".into())
            .await?
            .ok_or_else(|| ApiError::internal("the test alert was not recorded"))?;
        store::alert(&mut self.db.reads(), id)
            .await?
            .map(Alert::from)
            .ok_or_else(|| ApiError::not_found("alert"))
    }
}

/// A refusal in an owner's words.
pub fn describe(refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotFound => "not found".into(),
        Refusal::PrivacyRestricted => "privacy settings forbid it".into(),
        Refusal::NotMutualContact => "not a mutual contact".into(),
        Refusal::AlreadyMember => "already a member".into(),
        Refusal::FloodWait(secs) => format!("the platform asked to wait {secs} s"),
        Refusal::PeerFlood => "the platform says the account writes to too many strangers".into(),
        Refusal::LoggedOut => "the account's session was signed out".into(),
        Refusal::Banned => "the account is banned or deleted".into(),
        Refusal::Forbidden(why) | Refusal::Formatting(why) => why.clone(),
        Refusal::Failed { reason, .. } => reason.clone(),
    }
}
