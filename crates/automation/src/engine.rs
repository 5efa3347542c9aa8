//! The campaign engine: a campaign advances one action per job ("step"), never by sleeping.
//! A step settles what a crash left open, picks the next due contact and the least recently
//! used account that may act now, writes the attempt row, acts, records the outcome, and
//! enqueues the next step: at once, or when the first account's pause, flood wait or daily
//! window ends. Pausing or cancelling a campaign cancels its pending step, so it takes effect
//! at once, also mid-action.
//!
//! Nobody is invited twice: the attempt row commits before the action, and an attempt found
//! open (the process died mid-action) is settled by asking the platform whether the person is
//! in the chat now, before anyone acts on that contact again.

use std::collections::HashMap;
use std::sync::Arc;

use hybrid_core::bus::{Bus, Bytes, Envelope};
use hybrid_core::jobs::{Job, Jobs, NewJob, Outcome};
use hybrid_core::{ApiError, ApiResult, Secrets};
use hybrid_store::{Db, Sql};
use serde::{Deserialize, Serialize};

use crate::alerts::{self, Kind};
use crate::api::Contact;
use crate::connector::{Connector, Handle, Identity, Refusal};
use crate::events::AutomationFrame;
use crate::settings::AutomationConfig;
use crate::store::{self, AccountRow, CampaignRow, Settle};

/// The queue of campaign steps.
pub const STEP: &str = "automation.campaign";

const DAY_MS: i64 = 24 * 3600 * 1000;
/// How often a campaign with no usable account looks again.
const NO_ACCOUNT_RETRY_MS: i64 = 60_000;
/// A contact failing this many times for passing reasons fails for good.
const MAX_CONTACT_ATTEMPTS: i64 = 5;
const TRANSIENT_RETRY_MS: i64 = 30_000;

#[derive(Serialize, Deserialize)]
struct Step {
    campaign: i64,
}

/// Enqueues a running campaign's next step at `run_at` (nothing if it no longer runs), in the
/// caller's transaction; `waiting` says why it waits, for its owner.
pub async fn schedule_step(sql: &mut Sql<'_>, campaign: i64, run_at: i64, waiting: &str, now: i64) -> ApiResult<()> {
    let Some(seq) = store::next_step(sql, campaign, waiting).await? else {
        return Ok(());
    };
    let job = NewJob::new(STEP, &Step { campaign })
        .run_at(run_at)
        .dedup_key(format!("campaign:{campaign}:{seq}"))
        .concurrency_key(format!("campaign:{campaign}"))
        .max_attempts(20);
    let id = hybrid_core::jobs::enqueue(sql, &job, now).await?;
    store::set_step_job(sql, campaign, id).await?;
    Ok(())
}

pub struct Engine {
    pub db: Db,
    pub jobs: Jobs,
    pub connectors: HashMap<&'static str, Arc<dyn Connector>>,
    pub config: AutomationConfig,
    pub bus: Arc<dyn Bus>,
    /// Opens the accounts' sealed secrets (a bot acts with its token).
    pub secrets: Arc<Secrets>,
}

/// What a step does next.
enum Plan {
    Act(Box<Contact>, Box<AccountRow>),
    Wait(i64, &'static str),
    Finished,
}

/// Who acts in an attempt.
struct Acting<'a> {
    connector: &'a dyn Connector,
    account: &'a Identity,
    account_id: i64,
    attempt: i64,
}

/// What one action came to.
struct Settlement {
    /// `None`: the contact stays pending until `retry_at`.
    outcome: Option<&'static str>,
    /// The attempt's own outcome (a flood wait is one, while its contact waits).
    attempt: &'static str,
    detail: String,
    user_id: Option<i64>,
    retry_at: i64,
    /// A new state for the account: (state, detail, rest until).
    account: Option<(&'static str, String, Option<i64>)>,
}

impl Engine {
    pub fn connector(&self, name: &str) -> Option<Arc<dyn Connector>> {
        self.connectors.get(name).cloned()
    }

    /// The connectors' names, sorted (for an error naming the choices).
    pub fn connector_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.connectors.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Whom the account acts as, its secret unsealed.
    pub fn identity(&self, account: &AccountRow) -> ApiResult<Identity> {
        let secret = self
            .secrets
            .open(&crate::service::secret_context(account.id), &account.secret)
            .map_err(|e| ApiError::internal(format!("account {}'s secret does not open: {e}", account.id)))?;
        Ok(Identity {
            account_id: account.id,
            actor_id: account.actor_id,
            session_id: account.session_id,
            secret: String::from_utf8_lossy(&secret).into_owned(),
            endpoint: account.endpoint.clone(),
        })
    }

    pub fn register(self: &Arc<Self>) {
        let engine = self.clone();
        self.jobs.handle(STEP, move |job: Job| {
            let engine = engine.clone();
            async move {
                match engine.step(&job).await {
                    Ok(()) => Outcome::Done,
                    Err(err) => {
                        let last = job.attempt >= job.max_attempts || !err.status.is_server_error();
                        if last {
                            engine.step_failed(&job, &err).await;
                        }
                        match err.status.is_server_error() {
                            true => Outcome::Retry(err.message.into_owned()),
                            false => Outcome::Fail(err.message.into_owned()),
                        }
                    }
                }
            }
        });
    }

    async fn step(&self, job: &Job) -> ApiResult<()> {
        let Step { campaign } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let now = job.now_ms();
        let Some(campaign) = store::campaign(&mut self.db.reads(), campaign).await? else {
            return Ok(());
        };
        if campaign.state != "running" {
            return Ok(());
        }
        if let Some(open) = store::open_attempt(&mut self.db.reads(), campaign.id).await? {
            return self.recover(job, &campaign, open).await;
        }
        match self.plan(&campaign, now).await? {
            Plan::Finished => {
                let (id, job) = (campaign.id, job.clone());
                let finished = self
                    .db
                    .write(move |tx| {
                        let job = job.clone();
                        Box::pin(async move {
                            let row = store::set_campaign_state(tx, id, &["running"], "finished", now).await?;
                            if let Some(row) = &row {
                                let text = format!("Campaign «{}» finished", row.name);
                                alerts::raise(tx, row.owner_id, Kind::CampaignFinished, &text, now).await?;
                            }
                            job.complete_in(tx).await.map_err(lost)?;
                            Ok::<_, ApiError>(row)
                        })
                    })
                    .await?;
                self.jobs.wake();
                if let Some(row) = finished {
                    self.tell(&row, None);
                }
                Ok(())
            }
            Plan::Wait(at, why) => self.next(job, campaign.id, at, why).await,
            Plan::Act(contact, account) => self.act(job, &campaign, *contact, *account).await,
        }
    }

    /// Enqueues the next step and completes this one, together.
    async fn next(&self, job: &Job, campaign: i64, at: i64, why: &'static str) -> ApiResult<()> {
        let (now, job) = (job.now_ms(), job.clone());
        self.db
            .write(move |tx| {
                let job = job.clone();
                Box::pin(async move {
                    schedule_step(tx, campaign, at, why, now).await?;
                    job.complete_in(tx).await.map_err(lost)?;
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.jobs.wake();
        Ok(())
    }

    async fn plan(&self, campaign: &CampaignRow, now: i64) -> ApiResult<Plan> {
        let mut reads = self.db.reads();
        let Some(contact) = store::next_contact(&mut reads, campaign.id, now).await? else {
            return Ok(match store::earliest_retry(&mut reads, campaign.id).await? {
                Some(at) => Plan::Wait(at, "flood_wait"),
                None => Plan::Finished,
            });
        };
        let since = now - DAY_MS;
        let accounts = store::campaign_account_rows(&mut reads, campaign.id, campaign.target_chat_id, since).await?;
        let mut ready: Option<&AccountRow> = None;
        let mut earliest: Option<(i64, &'static str)> = None;
        for (account, used) in &accounts {
            let resting = matches!(account.state.as_str(), "flood_wait" | "peer_flood");
            let usable = account.state == "active" || resting;
            if !usable {
                continue;
            }
            let rest_end = if resting { account.rest_until.unwrap_or(0) } else { 0 };
            let mut free_at = (account.next_at, "pause");
            if rest_end > free_at.0 {
                free_at = (rest_end, "flood_wait");
            }
            if *used >= account.daily_limit {
                let oldest = store::oldest_in_window(&mut reads, account.id, campaign.target_chat_id, since)
                    .await?
                    .unwrap_or(now);
                free_at = free_at.max((oldest + DAY_MS + 1, "daily_limit"));
            }
            if free_at.0 <= now {
                // least recently used first (never used before all)
                if ready.is_none_or(|r| account.last_used_at.unwrap_or(0) < r.last_used_at.unwrap_or(0)) {
                    ready = Some(account);
                }
            } else if earliest.is_none_or(|(at, _)| free_at.0 < at) {
                earliest = Some(free_at);
            }
        }
        Ok(match (ready, earliest) {
            (Some(account), _) => Plan::Act(Box::new(contact), Box::new(account.clone())),
            (None, Some((at, why))) => Plan::Wait(at, why),
            (None, None) => Plan::Wait(now + NO_ACCOUNT_RETRY_MS, "accounts"),
        })
    }

    async fn act(&self, job: &Job, campaign: &CampaignRow, contact: Contact, account: AccountRow) -> ApiResult<()> {
        let now = job.now_ms();
        let identity = self.identity(&account)?;
        let Some(connector) = self.connector(&account.connector) else {
            let detail = format!("the {} connector does not run here", account.connector);
            return self
                .mark_account(job, campaign.id, account.id, "logged_out", detail)
                .await;
        };
        if let Err(refusal) = connector.check(&identity).await {
            return match refusal {
                Refusal::LoggedOut => {
                    let detail = "its session was signed out".to_owned();
                    self.mark_account(job, campaign.id, account.id, "logged_out", detail)
                        .await
                }
                Refusal::Banned => {
                    let detail = "the user no longer exists".to_owned();
                    self.mark_account(job, campaign.id, account.id, "banned", detail).await
                }
                other => Err(ApiError::unavailable(format!("the platform did not answer: {other:?}"))),
            };
        }
        let pause = random_between(campaign.pause_min_ms, campaign.pause_max_ms);
        let (campaign_id, contact_id, account_id) = (campaign.id, contact.id, account.id);
        let row = campaign.clone();
        let attempt = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    // cancelled or paused meanwhile: no action
                    let running = store::campaign(tx, campaign_id)
                        .await?
                        .is_some_and(|c| c.state == "running");
                    if !running {
                        return Ok::<_, ApiError>(None);
                    }
                    Ok(Some(
                        store::begin_attempt(tx, &row, contact_id, account_id, now, now + pause).await?,
                    ))
                })
            })
            .await?;
        let Some(attempt) = attempt else {
            return Ok(());
        };
        let acting = Acting {
            connector: connector.as_ref(),
            account: &identity,
            account_id,
            attempt,
        };
        let result = self.attempt(&acting, campaign, &contact, now).await?;
        self.record(job, campaign, &contact, account_id, attempt, result).await
    }

    /// Does what the campaign's mode asks for one contact.
    async fn attempt(
        &self,
        acting: &Acting<'_>,
        campaign: &CampaignRow,
        contact: &Contact,
        now: i64,
    ) -> ApiResult<Settlement> {
        let (connector, account) = (acting.connector, acting.account);
        let handle = Handle::from_stored(&contact.kind, contact.value.clone());
        let mut user_id = None;
        let acted: Result<&'static str, Refusal> = async {
            let person = connector.resolve(account, &handle).await?;
            user_id = Some(person.user_id);
            let target = campaign.target_chat_id;
            if connector.is_member(account, target, person.user_id).await? {
                return Ok("already_member");
            }
            // a bot cannot add anyone: it sends the link in every mode
            if campaign.mode == "link" || !connector.adds_people() {
                return self.send_link(acting, campaign, person.user_id).await;
            }
            match connector.invite(account, target, person.user_id).await {
                Ok(()) => Ok("invited"),
                Err(Refusal::PrivacyRestricted) if campaign.mode == "invite_then_link" => {
                    self.send_link(acting, campaign, person.user_id).await
                }
                Err(refusal) => Err(refusal),
            }
        }
        .await;
        let config = &self.config;
        let settled = |outcome: &'static str, detail: String| Settlement {
            outcome: Some(outcome),
            attempt: outcome,
            detail,
            user_id,
            retry_at: now,
            account: None,
        };
        let retried = |attempt: &'static str, detail: String, retry_at: i64, account| Settlement {
            outcome: None,
            attempt,
            detail,
            user_id,
            retry_at,
            account,
        };
        Ok(match acted {
            Ok(outcome) => settled(outcome, String::new()),
            Err(Refusal::AlreadyMember) => settled("already_member", String::new()),
            Err(Refusal::NotFound) => settled("not_found", connector.not_found_detail().into()),
            Err(Refusal::PrivacyRestricted) => settled("privacy_restricted", String::new()),
            Err(Refusal::NotMutualContact) => settled("not_mutual_contact", String::new()),
            Err(Refusal::Forbidden(reason) | Refusal::Formatting(reason)) => settled("failed", reason),
            Err(Refusal::FloodWait(secs)) => {
                let until = now + secs.max(1) * 1000;
                let detail = format!("flood wait {secs} s");
                retried(
                    "flood_wait",
                    detail.clone(),
                    until,
                    Some(("flood_wait", detail, Some(until))),
                )
            }
            Err(Refusal::PeerFlood) => {
                let until = now + config.peer_flood_rest_secs * 1000;
                let detail = "peer flood: the account rests".to_owned();
                retried(
                    "peer_flood",
                    detail.clone(),
                    now,
                    Some(("peer_flood", detail, Some(until))),
                )
            }
            Err(Refusal::LoggedOut) => retried(
                "logged_out",
                "the account was signed out".into(),
                now,
                Some(("logged_out", "its session was signed out".into(), None)),
            ),
            Err(Refusal::Banned) => retried(
                "banned",
                "the account is banned".into(),
                now,
                Some(("banned", "the platform refused the account".into(), None)),
            ),
            Err(Refusal::Failed { reason, transient }) => {
                if transient && contact.attempts + 1 < MAX_CONTACT_ATTEMPTS {
                    retried("failed", reason, now + TRANSIENT_RETRY_MS, None)
                } else {
                    settled("failed", reason)
                }
            }
        })
    }

    /// Sends the campaign's link message, making the account's link first if it has none.
    async fn send_link(
        &self,
        acting: &Acting<'_>,
        campaign: &CampaignRow,
        user_id: i64,
    ) -> Result<&'static str, Refusal> {
        let (connector, account, account_id) = (acting.connector, acting.account, acting.account_id);
        let stored = store::campaign_accounts(&mut self.db.reads(), campaign.id)
            .await
            .map_err(transient)?
            .into_iter()
            .find(|(id, _)| *id == account_id)
            .and_then(|(_, link)| link);
        let link = match stored {
            Some(link) => link,
            None => {
                let link = connector
                    .create_link(account, campaign.target_chat_id, &campaign.name)
                    .await?;
                let (id, saved) = (campaign.id, link.clone());
                self.db
                    .write(move |tx| Box::pin(async move { store::set_invite_link(tx, id, account_id, &saved).await }))
                    .await
                    .map_err(transient)?;
                link
            }
        };
        let text = if campaign.link_text.contains("{link}") {
            campaign.link_text.replace("{link}", &link)
        } else {
            format!("{} {link}", campaign.link_text).trim().to_owned()
        };
        // from here on a recovery must not send it again
        let attempt = acting.attempt;
        self.db
            .write(move |tx| Box::pin(async move { store::mark_attempt(tx, attempt, "sending_link").await }))
            .await
            .map_err(transient)?;
        connector.send_private(account, user_id, &text).await?;
        Ok("link_sent")
    }

    /// Writes what an action came to, then enqueues the next step and completes this one.
    async fn record(
        &self,
        job: &Job,
        campaign: &CampaignRow,
        contact: &Contact,
        account_id: i64,
        attempt: i64,
        result: Settlement,
    ) -> ApiResult<()> {
        let now = job.now_ms();
        let (campaign_id, contact_id) = (campaign.id, contact.id);
        let account_state = result.account.clone();
        let settled = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    store::finish_attempt(tx, attempt, result.attempt, now).await?;
                    let settle = Settle {
                        campaign_id,
                        contact_id,
                        outcome: result.outcome,
                        detail: &result.detail,
                        user_id: result.user_id,
                        retry_at: result.retry_at,
                        now,
                    };
                    store::settle(tx, &settle).await?;
                    if let Some((state, detail, until)) = &account_state {
                        store::update_account(tx, account_id, None, None, Some((state, detail, *until))).await?;
                        alerts::account_down(tx, account_id, state, detail, now).await?;
                    }
                    Ok::<_, ApiError>(store::contact(tx, campaign_id, contact_id).await?)
                })
            })
            .await?;
        // the next step first: a client reading the campaign on this frame sees it scheduled
        self.next(job, campaign.id, now, "").await?;
        self.tell(campaign, settled);
        Ok(())
    }

    /// Settles an attempt a crash left open: a link on its way counts as sent (a message
    /// cannot be looked up as membership can; it is never sent twice); the person in the chat
    /// now means the invite went through; otherwise the contact is tried again.
    async fn recover(&self, job: &Job, campaign: &CampaignRow, open: (i64, i64, i64, Option<String>)) -> ApiResult<()> {
        let (attempt, contact_id, account_id, doing) = open;
        let now = job.now_ms();
        let mut reads = self.db.reads();
        let contact = store::contact(&mut reads, campaign.id, contact_id)
            .await?
            .ok_or_else(|| ApiError::not_found("contact"))?;
        let unconfirmed = |outcome, detail: &str, user_id| Settlement {
            outcome,
            attempt: outcome.unwrap_or("interrupted"),
            detail: detail.to_owned(),
            user_id,
            retry_at: now,
            account: None,
        };
        if doing.as_deref() == Some("sending_link") {
            let result = unconfirmed(
                Some("link_sent"),
                "interrupted by a restart; the link may not have arrived",
                None,
            );
            return self.record(job, campaign, &contact, account_id, attempt, result).await;
        }
        let accounts = store::campaign_account_rows(&mut reads, campaign.id, campaign.target_chat_id, now).await?;
        let account = accounts
            .iter()
            .map(|(a, _)| a)
            .find(|a| a.id == account_id)
            .or_else(|| accounts.first().map(|(a, _)| a));
        let checked = match account.and_then(|a| Some((a, self.connector(&a.connector)?))) {
            Some((account, connector)) => {
                let identity = self.identity(account)?;
                let handle = Handle::from_stored(&contact.kind, contact.value.clone());
                match connector.resolve(&identity, &handle).await {
                    Ok(person) => connector
                        .is_member(&identity, campaign.target_chat_id, person.user_id)
                        .await
                        .map(|member| (member, Some(person.user_id))),
                    Err(Refusal::NotFound) => Ok((false, None)),
                    Err(refusal) => Err(refusal),
                }
            }
            None => Err(Refusal::Failed {
                reason: "no account left to check with".into(),
                transient: true,
            }),
        };
        let (member, user_id) = match checked {
            Ok(found) => found,
            // unsure: look again later rather than risk acting twice
            Err(_) => return self.next(job, campaign.id, now + NO_ACCOUNT_RETRY_MS, "accounts").await,
        };
        let result = match (member, campaign.mode.as_str()) {
            (true, "link") => unconfirmed(Some("already_member"), "", user_id),
            (true, _) => unconfirmed(Some("invited"), "confirmed after a restart", user_id),
            (false, _) => unconfirmed(
                None,
                "interrupted by a restart; not in the chat, so tried again",
                user_id,
            ),
        };
        self.record(job, campaign, &contact, account_id, attempt, result).await
    }

    /// Marks an account unusable and goes on with the others.
    async fn mark_account(
        &self,
        job: &Job,
        campaign: i64,
        account: i64,
        state: &'static str,
        detail: String,
    ) -> ApiResult<()> {
        let now = job.now_ms();
        self.db
            .write(move |tx| {
                let detail = detail.clone();
                Box::pin(async move {
                    store::update_account(tx, account, None, None, Some((state, &detail, None))).await?;
                    alerts::account_down(tx, account, state, &detail, now).await
                })
            })
            .await?;
        self.next(job, campaign, now, "").await
    }

    /// Alerts the owner that a campaign's step failed for good (its retries spent).
    async fn step_failed(&self, job: &Job, err: &ApiError) {
        let Ok(Step { campaign }) = job.payload() else {
            return;
        };
        let Ok(Some(row)) = store::campaign(&mut self.db.reads(), campaign).await else {
            return;
        };
        let text = format!(
            "Campaign «{}»: a step failed after {} tries: {}",
            row.name, job.attempt, err.message
        );
        if let Err(error) = alerts::raise_now(self, row.owner_id, Kind::JobFailed, text).await {
            tracing::warn!(%error, campaign, "raising a job_failed alert");
        }
    }

    /// Tells the owner's sockets how the campaign stands.
    pub fn tell(&self, campaign: &CampaignRow, contact: Option<Contact>) {
        let frame = AutomationFrame::CampaignUpdated {
            campaign_id: campaign.id,
            state: campaign.state.clone(),
            contact,
        };
        self.tell_owner(campaign.owner_id, &frame);
    }

    /// Sends a frame to the sockets of the user `owner`.
    pub fn tell_owner(&self, owner: i64, frame: &AutomationFrame) {
        let topic = hybrid_realtime_api::user(owner);
        self.bus
            .publish(Envelope::ephemeral(topic, Bytes::from(hybrid_core::frame_text(frame))));
    }
}

/// The step's job was cancelled (a pause, a cancel) or taken over while it ran: what it would
/// have enqueued rolls back.
pub(crate) fn lost(err: hybrid_core::jobs::LeaseError) -> ApiError {
    ApiError::internal(format!("the step's job is no longer ours: {err}"))
}

fn transient(err: impl std::fmt::Display) -> Refusal {
    Refusal::Failed {
        reason: err.to_string(),
        transient: true,
    }
}

/// A random whole number in `min..=max`.
fn random_between(min: i64, max: i64) -> i64 {
    if max <= min {
        return min;
    }
    let span = (max - min + 1) as u64;
    min + (u64::from_le_bytes(hybrid_core::secrets::random_bytes::<8>()) % span) as i64
}
