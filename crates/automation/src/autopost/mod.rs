//! Autopost: schedules that publish approved content posts to chats at times of day in a time
//! zone (`slots.rs`), through the accounts' connectors — a Hybrid chat natively, a Telegram
//! channel through a bot — with a log of every publication and its delivery per target.
//!
//! A running schedule always has one job waiting for its next slot (`automation.autopost.slot`,
//! its id kept on the schedule). That job takes the next post, records the publication with a
//! pending delivery per target and enqueues one job per delivery
//! (`automation.autopost.deliver`), moves the schedule to its next slot and completes, all in
//! one write: a slot publishes once, and a server that was down over several slots publishes
//! once when it is back. Stop cancels the waiting job, and a slot job that finds its schedule
//! stopped or moved on does nothing, so stop takes effect at once. A delivery posts with a key
//! kept on its row, so a retried job never posts twice; a target that refuses the formatting
//! gets the text plain, and the delivery says so.

pub mod api;
mod routes;
pub mod slots;
mod store;

use std::sync::Arc;

use hybrid_chats_api::body::Entity;
use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::{ApiError, ApiResult, Page, page_limit, parse_cursor};
use hybrid_store::{Db, Sql};
use serde::{Deserialize, Serialize};

use crate::alerts::{self, Kind};
use crate::api::AutomationCode;
use crate::connector::{Refusal, retry_later};
use crate::engine::{Engine, lost};
use crate::events::AutomationFrame;
use api::{Delivery, NewSchedule, NewTarget, Publication, PublishNow, Schedule, ScheduleChange, Target};
use store::{DeliveryRow, Fields, NewPublication, PublicationRow, ScheduleRow, Settled};

pub use routes::routes;

/// The queue of schedules' slots.
pub const SLOT: &str = "automation.autopost.slot";
/// The queue of deliveries to targets.
pub const DELIVER: &str = "automation.autopost.deliver";

const MAX_SCHEDULES: i64 = 50;
const MAX_TARGETS: usize = 10;
const DELIVERY_ATTEMPTS: i64 = 8;
const PREVIEW_CHARS: usize = 200;

#[derive(Serialize, Deserialize)]
struct SlotJob {
    schedule: i64,
    slot_at: i64,
}

#[derive(Serialize, Deserialize)]
struct DeliverJob {
    delivery: i64,
}

pub struct Autopost {
    pub db: Db,
    pub engine: Arc<Engine>,
}

/// Enqueues the job of a schedule's next slot after `after` and makes the schedule running
/// with it; a pattern that never matches again stops it.
async fn plan_next(sql: &mut Sql<'_>, row: &ScheduleRow, after: i64, now: i64) -> ApiResult<Option<i64>> {
    let Some(next) = slots::next_slot(&row.times(), row.weekdays, &row.timezone, after) else {
        store::set_slot(sql, row.id, "stopped", None, None, now).await?;
        return Ok(None);
    };
    let job = NewJob::new(
        SLOT,
        &SlotJob {
            schedule: row.id,
            slot_at: next,
        },
    )
    .run_at(next)
    .max_attempts(20);
    let job_id = hybrid_core::jobs::enqueue(sql, &job, now).await?;
    store::set_slot(sql, row.id, "running", Some(next), Some(job_id), now).await?;
    Ok(Some(next))
}

/// Records a publication and queues its deliveries.
async fn publish(
    sql: &mut Sql<'_>,
    new: &NewPublication<'_>,
    targets: &[store::TargetRow],
    now: i64,
) -> ApiResult<i64> {
    let (id, deliveries) = store::insert_publication(sql, new, targets, now).await?;
    for delivery in deliveries {
        let job = NewJob::new(DELIVER, &DeliverJob { delivery }).max_attempts(DELIVERY_ATTEMPTS);
        hybrid_core::jobs::enqueue(sql, &job, now).await?;
    }
    Ok(id)
}

fn preview(body: &str) -> String {
    match body.char_indices().nth(PREVIEW_CHARS) {
        Some((end, _)) => format!("{}…", &body[..end]),
        None => body.to_owned(),
    }
}

fn delivery_view(row: DeliveryRow) -> Delivery {
    Delivery {
        id: row.id,
        target_id: row.target_id,
        account_name: row.account_name,
        chat_id: row.chat_id,
        state: row.state,
        message_id: row.message_id,
        plain_text: row.plain_text != 0,
        error: Some(row.error).filter(|e| !e.is_empty()),
        sent_at: row.sent_at,
    }
}

impl Autopost {
    pub fn register(self: &Arc<Self>) {
        let jobs = &self.engine.jobs;
        let autopost = self.clone();
        jobs.handle(SLOT, move |job: Job| {
            let autopost = autopost.clone();
            async move { outcome(autopost.slot(&job).await) }
        });
        let autopost = self.clone();
        jobs.handle(DELIVER, move |job: Job| {
            let autopost = autopost.clone();
            async move { autopost.deliver(&job).await.unwrap_or_else(|e| outcome(Err(e))) }
        });
    }

    fn now(&self) -> i64 {
        self.engine.jobs.now_ms()
    }

    fn tell(&self, owner: i64, schedule_id: i64, publication_id: Option<i64>) {
        self.engine.tell_owner(
            owner,
            &AutomationFrame::AutopostUpdated {
                schedule_id,
                publication_id,
            },
        );
    }

    async fn own_schedule(&self, me: i64, id: i64) -> ApiResult<ScheduleRow> {
        store::schedule(&mut self.db.reads(), id)
            .await?
            .filter(|s| s.owner_id == me)
            .ok_or_else(|| ApiError::not_found("schedule"))
    }

    async fn view(&self, row: ScheduleRow) -> ApiResult<Schedule> {
        let mut reads = self.db.reads();
        let targets = store::targets(&mut reads, row.id).await?;
        let posts_waiting = store::posts_waiting(&mut reads, row.owner_id, row.source_id).await?;
        Ok(Schedule {
            id: row.id,
            times: row.times(),
            weekdays: slots::weekdays(row.weekdays),
            random_order: row.random_order != 0,
            source_id: row.source_id,
            next_slot_at: row.next_slot_at.filter(|_| row.state == "running"),
            targets: targets
                .into_iter()
                .map(|t| Target {
                    id: t.id,
                    account_id: t.account_id,
                    account_name: t.account_name,
                    connector: t.connector,
                    chat_id: t.chat_id,
                })
                .collect(),
            posts_waiting,
            name: row.name,
            timezone: row.timezone,
            state: row.state,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    async fn publication_view(&self, row: PublicationRow) -> ApiResult<Publication> {
        let deliveries = store::deliveries(&mut self.db.reads(), row.id).await?;
        Ok(Publication {
            id: row.id,
            schedule_id: row.schedule_id,
            post_id: row.post_id,
            preview: preview(&row.body),
            trigger: row.trigger,
            slot_at: row.slot_at,
            state: row.state,
            detail: Some(row.detail).filter(|d| !d.is_empty()),
            deliveries: deliveries.into_iter().map(delivery_view).collect(),
            created_at: row.created_at,
        })
    }

    async fn publication_of(&self, id: i64) -> ApiResult<Publication> {
        let row = store::publication(&mut self.db.reads(), id)
            .await?
            .ok_or_else(|| ApiError::not_found("publication"))?;
        self.publication_view(row).await
    }

    /// The targets checked: the caller's accounts, 1 to 10, no repeats.
    async fn targets(&self, me: i64, targets: &[NewTarget]) -> ApiResult<Vec<(i64, i64)>> {
        if targets.is_empty() || targets.len() > MAX_TARGETS {
            return Err(ApiError::validation("targets", format!("1 to {MAX_TARGETS} targets")));
        }
        let mut checked: Vec<(i64, i64)> = Vec::with_capacity(targets.len());
        for (i, target) in targets.iter().enumerate() {
            crate::store::account(&mut self.db.reads(), me, target.account_id)
                .await?
                .ok_or_else(|| ApiError::validation(&format!("targets[{i}].account_id"), "no such account of yours"))?;
            if target.chat_id == 0 {
                return Err(ApiError::validation(&format!("targets[{i}].chat_id"), "a chat's id"));
            }
            let pair = (target.account_id, target.chat_id);
            if checked.contains(&pair) {
                return Err(ApiError::validation(
                    &format!("targets[{i}]"),
                    "this target is given twice",
                ));
            }
            checked.push(pair);
        }
        Ok(checked)
    }

    async fn check_source(&self, me: i64, source_id: Option<i64>) -> ApiResult<()> {
        if let Some(id) = source_id {
            crate::content::source_owner(&self.db, id)
                .await?
                .filter(|owner| *owner == me)
                .ok_or_else(|| ApiError::validation("source_id", "no such book of yours"))?;
        }
        Ok(())
    }

    pub async fn create(&self, me: i64, new: NewSchedule) -> ApiResult<Schedule> {
        let fields = Fields {
            name: crate::service::clean_name(&new.name)?,
            timezone: new.timezone.trim().to_owned(),
            times: slots::times(&new.times)?,
            weekdays: slots::weekday_mask(new.weekdays.as_deref())?,
            random_order: new.random_order,
            source_id: new.source_id,
        };
        slots::check_zone(&fields.timezone)?;
        self.check_source(me, fields.source_id).await?;
        let targets = self.targets(me, &new.targets).await?;
        let now = self.now();
        let id = self
            .db
            .write(move |tx| {
                let (fields, targets) = (fields.clone(), targets.clone());
                Box::pin(async move {
                    if store::count_schedules(tx, me).await? >= MAX_SCHEDULES {
                        return Err(crate::service::too_many("schedules", MAX_SCHEDULES));
                    }
                    let id = store::insert_schedule(tx, me, &fields, now).await?;
                    store::replace_targets(tx, id, &targets).await?;
                    let row = store::schedule(tx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("schedule"))?;
                    plan_next(tx, &row, now, now).await?;
                    Ok::<_, ApiError>(id)
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.tell(me, id, None);
        self.schedule(me, id).await
    }

    pub async fn schedule(&self, me: i64, id: i64) -> ApiResult<Schedule> {
        let row = self.own_schedule(me, id).await?;
        self.view(row).await
    }

    pub async fn schedules(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Schedule>> {
        let limit = page_limit(limit, 50, 200)?;
        let after = parse_cursor::<1>(cursor)?.map_or(0, |[id]| id);
        let rows = store::schedules_page(&mut self.db.reads(), me, after, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |s| s.id.to_string());
        let mut items = Vec::with_capacity(page.items.len());
        for row in page.items {
            items.push(self.view(row).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn change(&self, me: i64, id: i64, change: ScheduleChange) -> ApiResult<Schedule> {
        let row = self.own_schedule(me, id).await?;
        let mut fields = Fields::of(&row);
        if let Some(name) = &change.name {
            fields.name = crate::service::clean_name(name)?;
        }
        if let Some(zone) = &change.timezone {
            slots::check_zone(zone.trim())?;
            fields.timezone = zone.trim().to_owned();
        }
        if let Some(times) = &change.times {
            fields.times = slots::times(times)?;
        }
        if let Some(days) = &change.weekdays {
            fields.weekdays = slots::weekday_mask(Some(days))?;
        }
        if let Some(random) = change.random_order {
            fields.random_order = random;
        }
        if let Some(source_id) = change.source_id {
            self.check_source(me, source_id).await?;
            fields.source_id = source_id;
        }
        let targets = match &change.targets {
            Some(targets) => Some(self.targets(me, targets).await?),
            None => None,
        };
        let now = self.now();
        let replaced = self
            .db
            .write(move |tx| {
                let (fields, targets) = (fields.clone(), targets.clone());
                Box::pin(async move {
                    store::update_fields(tx, id, &fields, now).await?;
                    if let Some(targets) = &targets {
                        store::replace_targets(tx, id, targets).await?;
                    }
                    let row = store::schedule(tx, id)
                        .await?
                        .ok_or_else(|| ApiError::not_found("schedule"))?;
                    let old_job = row.slot_job_id;
                    if row.state == "running" {
                        // the waiting slot job no longer matches and will do nothing
                        plan_next(tx, &row, now, now).await?;
                    }
                    Ok::<_, ApiError>(old_job.filter(|_| row.state == "running"))
                })
            })
            .await?;
        if let Some(job) = replaced {
            self.engine.jobs.cancel(job).await?;
        }
        self.engine.jobs.wake();
        self.tell(me, id, None);
        self.schedule(me, id).await
    }

    pub async fn start(&self, me: i64, id: i64) -> ApiResult<Schedule> {
        let row = self.own_schedule(me, id).await?;
        if row.state == "running" {
            return Err(ApiError::new(AutomationCode::WrongState, "the schedule runs already"));
        }
        let now = self.now();
        let next = self
            .db
            .write(move |tx| {
                let row = row.clone();
                Box::pin(async move { plan_next(tx, &row, now, now).await })
            })
            .await?;
        if next.is_none() {
            return Err(ApiError::validation("times", "the schedule has no slot left"));
        }
        self.engine.jobs.wake();
        self.tell(me, id, None);
        self.schedule(me, id).await
    }

    pub async fn stop(&self, me: i64, id: i64) -> ApiResult<Schedule> {
        let row = self.own_schedule(me, id).await?;
        if row.state != "running" {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                "the schedule is stopped already",
            ));
        }
        let now = self.now();
        self.db
            .write(move |tx| Box::pin(async move { store::set_slot(tx, id, "stopped", None, None, now).await }))
            .await?;
        if let Some(job) = row.slot_job_id {
            self.engine.jobs.cancel(job).await?;
        }
        self.tell(me, id, None);
        self.schedule(me, id).await
    }

    pub async fn delete(&self, me: i64, id: i64) -> ApiResult<()> {
        let row = self.own_schedule(me, id).await?;
        self.db
            .write(move |tx| Box::pin(async move { store::delete_schedule(tx, id).await }))
            .await?;
        if let Some(job) = row.slot_job_id {
            self.engine.jobs.cancel(job).await?;
        }
        self.tell(me, id, None);
        Ok(())
    }

    /// Publishes now: the given post (approved, or published before) or the next one.
    pub async fn publish_now(&self, me: i64, id: i64, what: PublishNow) -> ApiResult<Publication> {
        let row = self.own_schedule(me, id).await?;
        let chosen = match what.post_id {
            Some(post_id) => {
                let (post, state, body, entities) = store::owned_post(&mut self.db.reads(), me, post_id)
                    .await?
                    .ok_or_else(|| ApiError::validation("post_id", "no such post of yours"))?;
                if state != "approved" && state != "published" {
                    return Err(ApiError::new(
                        AutomationCode::WrongState,
                        format!("the post is {state}: approve it first"),
                    ));
                }
                Some((post, body, entities))
            }
            None => None,
        };
        let targets = store::targets(&mut self.db.reads(), id).await?;
        let now = self.now();
        let publication = self
            .db
            .write(move |tx| {
                let (row, chosen, targets) = (row.clone(), chosen.clone(), targets.clone());
                Box::pin(async move {
                    let post = match chosen {
                        Some(post) => {
                            store::mark_published(tx, post.0, now).await?;
                            Some(post)
                        }
                        None => store::take_post(tx, me, row.source_id, row.random_order != 0, now).await?,
                    };
                    if post.is_none() {
                        return Err(ApiError::new(
                            AutomationCode::WrongState,
                            "no approved post is waiting: approve one first",
                        ));
                    }
                    let new = NewPublication {
                        owner_id: me,
                        schedule_id: row.id,
                        post: post.as_ref(),
                        trigger: "now",
                        slot_at: None,
                    };
                    publish(tx, &new, &targets, now).await
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.tell(me, id, Some(publication));
        self.publication_of(publication).await
    }

    /// Publishes a logged publication's post again, as it went out, to the schedule's targets.
    pub async fn republish(&self, me: i64, publication_id: i64) -> ApiResult<Publication> {
        let old = store::publication(&mut self.db.reads(), publication_id)
            .await?
            .filter(|p| p.owner_id == me)
            .ok_or_else(|| ApiError::not_found("publication"))?;
        let Some(post_id) = old.post_id else {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                "this entry published nothing",
            ));
        };
        let targets = store::targets(&mut self.db.reads(), old.schedule_id).await?;
        let now = self.now();
        let schedule_id = old.schedule_id;
        let publication = self
            .db
            .write(move |tx| {
                let (old, targets) = (old.clone(), targets.clone());
                Box::pin(async move {
                    let post = (post_id, old.body.clone(), old.entities.clone());
                    let new = NewPublication {
                        owner_id: me,
                        schedule_id: old.schedule_id,
                        post: Some(&post),
                        trigger: "republish",
                        slot_at: None,
                    };
                    publish(tx, &new, &targets, now).await
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.tell(me, schedule_id, Some(publication));
        self.publication_of(publication).await
    }

    pub async fn log(
        &self,
        me: i64,
        id: i64,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> ApiResult<Page<Publication>> {
        self.own_schedule(me, id).await?;
        let limit = page_limit(limit, 20, 100)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = store::publications_page(&mut self.db.reads(), id, before, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |p| p.id.to_string());
        let mut items = Vec::with_capacity(page.items.len());
        for row in page.items {
            items.push(self.publication_view(row).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// A slot came: publish the next post, and wait for the slot after it.
    async fn slot(&self, job: &Job) -> ApiResult<()> {
        let SlotJob { schedule, slot_at } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let mut reads = self.db.reads();
        let current = |row: &ScheduleRow| row.state == "running" && row.slot_job_id == Some(job.id);
        let Some(row) = store::schedule(&mut reads, schedule).await?.filter(current) else {
            return Ok(());
        };
        let targets = store::targets(&mut reads, schedule).await?;
        let now = job.now_ms();
        let (job, owner) = (job.clone(), row.owner_id);
        let publication = self
            .db
            .write(move |tx| {
                let (job, targets) = (job.clone(), targets.clone());
                Box::pin(async move {
                    let Some(row) = store::schedule(tx, schedule).await? else {
                        return Ok(None);
                    };
                    if !(row.state == "running" && row.slot_job_id == Some(job.id)) {
                        return Ok(None);
                    }
                    let post = match targets.is_empty() {
                        true => None,
                        false => store::take_post(tx, row.owner_id, row.source_id, row.random_order != 0, now).await?,
                    };
                    let new = NewPublication {
                        owner_id: row.owner_id,
                        schedule_id: row.id,
                        post: post.as_ref(),
                        trigger: "slot",
                        slot_at: Some(slot_at),
                    };
                    let id = publish(tx, &new, &targets, now).await?;
                    if post.is_none() {
                        let why = if targets.is_empty() {
                            "it has no targets"
                        } else {
                            "no approved post was left"
                        };
                        let text = format!("Autopost «{}» published nothing at its slot: {why}", row.name);
                        alerts::raise(tx, row.owner_id, Kind::AutopostFailed, &text, now).await?;
                    }
                    plan_next(tx, &row, slot_at.max(now), now).await?;
                    job.complete_in(tx).await.map_err(lost)?;
                    Ok::<_, ApiError>(Some(id))
                })
            })
            .await?;
        self.engine.jobs.wake();
        if let Some(id) = publication {
            self.tell(owner, schedule, Some(id));
        }
        Ok(())
    }

    /// Posts the publication to the delivery's target: the message's id and whether it went
    /// plain, or the platform's refusal.
    async fn attempt(
        &self,
        delivery: &DeliveryRow,
        publication: &PublicationRow,
    ) -> ApiResult<Result<(i64, bool), Refusal>> {
        let account = crate::store::account(&mut self.db.reads(), delivery.owner_id, delivery.account_id).await?;
        Ok(match account {
            None => Err(Refusal::Failed {
                reason: "the account was deleted".into(),
                transient: false,
            }),
            Some(account) if account.state == "logged_out" || account.state == "banned" => Err(Refusal::Failed {
                reason: format!("the account is {}", account.state.replace('_', " ")),
                transient: false,
            }),
            Some(account) => {
                let connector = self.engine.connector(&account.connector).ok_or_else(|| {
                    ApiError::unavailable(format!("the {} connector does not run here", account.connector))
                })?;
                let identity = self.engine.identity(&account)?;
                let entities: Vec<Entity> = serde_json::from_str(&publication.entities).unwrap_or_default();
                let (chat, text, key) = (delivery.chat_id, &publication.body, &delivery.key);
                match connector.post(&identity, chat, text, &entities, key).await {
                    Ok(message) => Ok((message, false)),
                    Err(Refusal::Formatting(_)) => {
                        // a key of its own: the formatted send made no message
                        let plain = format!("{key}p");
                        connector
                            .post(&identity, chat, text, &[], &plain)
                            .await
                            .map(|m| (m, true))
                    }
                    Err(refusal) => Err(refusal),
                }
            }
        })
    }

    /// Posts one publication to one target.
    async fn deliver(&self, job: &Job) -> ApiResult<Outcome> {
        let DeliverJob { delivery } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let mut reads = self.db.reads();
        let Some(delivery) = store::delivery(&mut reads, delivery)
            .await?
            .filter(|d| d.state == "pending")
        else {
            return Ok(Outcome::Done);
        };
        let publication = store::publication(&mut reads, delivery.publication_id)
            .await?
            .ok_or_else(|| ApiError::not_found("publication"))?;
        let last = job.attempt >= job.max_attempts;
        let result = match self.attempt(&delivery, &publication).await {
            Ok(result) => result,
            // the last try failed on this side (a connector that does not run here, say): the
            // delivery fails rather than stay pending
            Err(err) if last => Err(Refusal::Failed {
                reason: err.message.into_owned(),
                transient: false,
            }),
            Err(err) => return Err(err),
        };
        let (settled, account_down) = match result {
            Ok((message, plain_text)) => (
                ("sent", Some(message), plain_text, String::new(), Some(job.now_ms())),
                None,
            ),
            Err(refusal) => {
                if let Some(later) = retry_later(&refusal, last) {
                    return Ok(later);
                }
                let down = crate::service::ended(&refusal);
                (("failed", None, false, alerts::describe(&refusal), None), down)
            }
        };
        let schedule_name = store::schedule(&mut reads, publication.schedule_id)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        let now = job.now_ms();
        let job = job.clone();
        let owner = delivery.owner_id;
        self.db
            .write(move |tx| {
                let (job, delivery, settled, account_down, name) = (
                    job.clone(),
                    delivery.clone(),
                    settled.clone(),
                    account_down.clone(),
                    schedule_name.clone(),
                );
                Box::pin(async move {
                    let (state, message_id, plain_text, error, sent_at) = settled;
                    let settled = Settled {
                        state,
                        message_id,
                        plain_text,
                        error: &error,
                        sent_at,
                    };
                    store::settle_delivery(tx, &delivery, &settled).await?;
                    if state == "failed" {
                        let text = format!(
                            "Autopost «{name}» could not post to chat {} as {}: {error}",
                            delivery.chat_id, delivery.account_name
                        );
                        alerts::raise(tx, delivery.owner_id, Kind::AutopostFailed, &text, now).await?;
                    }
                    if let Some((account_state, detail, until)) = &account_down {
                        let account = delivery.account_id;
                        crate::store::update_account(tx, account, None, None, Some((account_state, detail, *until)))
                            .await?;
                        alerts::account_down(tx, account, account_state, detail, now).await?;
                    }
                    job.complete_in(tx).await.map_err(lost)?;
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.tell(owner, publication.schedule_id, Some(publication.id));
        Ok(Outcome::Done)
    }
}

/// A handler's error as the job's outcome: a server's trouble is retried, a bad job is not.
fn outcome(result: ApiResult<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(err) if err.status.is_server_error() => Outcome::Retry(err.message.into_owned()),
        Err(err) => Outcome::Fail(err.message.into_owned()),
    }
}
