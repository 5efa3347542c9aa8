//! Statistics of an owner's automation: invite outcomes per day and per campaign, posts
//! published per day, accounts' use against their limits, and what waits in the queue; as
//! JSON for the dashboard and as CSV. Days are the owner's, in the time zone they ask for:
//! events are counted in quarter hours by SQL (every time zone's offset is a whole number of
//! them) and the quarters are put into local days here.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::IntoResponse;
use hybrid_core::{ApiError, ApiResult, AuthUser, ErrorBody, Json, Query};
use hybrid_store::{Db, Sql, StoreError, params};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::engine::Engine;

const QUARTER_MS: i64 = 15 * 60 * 1000;
const MAX_DAYS: i64 = 366;
/// The outcomes of invite attempts that count, in the order the day rows give them.
const OUTCOMES: [&str; 7] = [
    "invited",
    "link_sent",
    "already_member",
    "privacy_restricted",
    "not_mutual_contact",
    "not_found",
    "failed",
];

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsParams {
    /// Days back from today, today included: 1 to 366 (default 30).
    pub days: Option<i64>,
    /// The IANA time zone days are counted in (default UTC).
    pub tz: Option<String>,
}

/// One day's counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct StatsDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub invited: i64,
    pub link_sent: i64,
    pub already_member: i64,
    pub privacy_restricted: i64,
    pub not_mutual_contact: i64,
    pub not_found: i64,
    pub failed: i64,
    /// Deliveries of autopost publications sent, and failed.
    pub posts_sent: i64,
    pub posts_failed: i64,
}

impl StatsDay {
    fn count(&mut self, outcome: &str, n: i64) {
        let slot = match outcome {
            "invited" => &mut self.invited,
            "link_sent" => &mut self.link_sent,
            "already_member" => &mut self.already_member,
            "privacy_restricted" => &mut self.privacy_restricted,
            "not_mutual_contact" => &mut self.not_mutual_contact,
            "not_found" => &mut self.not_found,
            "failed" => &mut self.failed,
            "sent" => &mut self.posts_sent,
            "post_failed" => &mut self.posts_failed,
            _ => return,
        };
        *slot += n;
    }
}

/// A campaign's outcomes within the range.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignStats {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub total: i64,
    /// Outcome name to count.
    pub outcomes: BTreeMap<String, i64>,
}

/// An account's use over the last 24 hours against its daily limit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountUsage {
    pub id: i64,
    pub name: String,
    pub connector: String,
    pub state: String,
    pub used_today: i64,
    pub daily_limit: i64,
}

/// What waits.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct QueueDepth {
    /// People not reached yet in running campaigns.
    pub contacts_pending: i64,
    /// Approved posts not published yet.
    pub posts_approved: i64,
    /// Deliveries to targets not made yet.
    pub deliveries_pending: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    pub tz: String,
    /// The first and last day (`YYYY-MM-DD`).
    pub from: String,
    pub to: String,
    /// Every day of the range, oldest first.
    pub days: Vec<StatsDay>,
    pub campaigns: Vec<CampaignStats>,
    pub accounts: Vec<AccountUsage>,
    pub queue: QueueDepth,
    /// Deliveries sent within the range.
    pub posts_published: i64,
}

/// Counts of one thing (a campaign or a schedule) in one quarter hour.
struct Counted {
    id: i64,
    outcome: String,
    quarter: i64,
    count: i64,
}

hybrid_store::from_row!(Counted {
    id,
    outcome,
    quarter,
    count,
});

/// One row of the CSV: (day, kind, id, outcome) → count.
type Rows = BTreeMap<(String, &'static str, i64, String), i64>;

pub struct Statistics {
    pub db: Db,
    pub engine: Arc<Engine>,
}

struct Range {
    zone: TimeZone,
    tz: String,
    first: Date,
    days: i64,
    since_ms: i64,
}

impl Range {
    fn new(params: &StatsParams, now_ms: i64) -> ApiResult<Range> {
        let days = params.days.unwrap_or(30);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(ApiError::validation("days", format!("1 to {MAX_DAYS}")));
        }
        let tz = params.tz.as_deref().unwrap_or("UTC").trim().to_owned();
        let zone = TimeZone::get(&tz).map_err(|_| {
            ApiError::validation("tz", format!("{tz:?} is not an IANA time zone such as Europe/Moscow"))
        })?;
        let now = Timestamp::from_millisecond(now_ms).map_err(|e| ApiError::internal(e.to_string()))?;
        let today = now.to_zoned(zone.clone()).date();
        let first = today
            .checked_sub((days - 1).days())
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let since_ms = first
            .to_zoned(zone.clone())
            .map_err(|e| ApiError::internal(e.to_string()))?
            .timestamp()
            .as_millisecond();
        Ok(Range {
            zone,
            tz,
            first,
            days,
            since_ms,
        })
    }

    fn day_of(&self, quarter: i64) -> String {
        Timestamp::from_millisecond(quarter * QUARTER_MS)
            .map(|t| t.to_zoned(self.zone.clone()).date().to_string())
            .unwrap_or_default()
    }

    fn all_days(&self) -> Vec<String> {
        (0..self.days)
            .filter_map(|i| self.first.checked_add(i.days()).ok())
            .map(|d| d.to_string())
            .collect()
    }
}

async fn invite_counts(sql: &mut Sql<'_>, owner: i64, since: i64) -> Result<Vec<Counted>, StoreError> {
    sql.fetch_all(
        "SELECT a.campaign_id, a.outcome, a.finished_at / 900000, COUNT(*) FROM attempts a \
         JOIN campaigns c ON c.id = a.campaign_id \
         WHERE c.owner_id = $1 AND a.finished_at >= $2 AND a.outcome IS NOT NULL \
         GROUP BY a.campaign_id, a.outcome, a.finished_at / 900000",
        params![owner, since],
    )
    .await
}

async fn post_counts(sql: &mut Sql<'_>, owner: i64, since: i64) -> Result<Vec<Counted>, StoreError> {
    sql.fetch_all(
        "SELECT p.schedule_id, d.state, COALESCE(d.sent_at, d.created_at) / 900000, COUNT(*) \
         FROM autopost_deliveries d JOIN autopost_publications p ON p.id = d.publication_id \
         WHERE d.owner_id = $1 AND d.created_at >= $2 AND d.state IN ('sent', 'failed') \
         GROUP BY p.schedule_id, d.state, COALESCE(d.sent_at, d.created_at) / 900000",
        params![owner, since],
    )
    .await
}

impl Statistics {
    async fn rows(&self, me: i64, range: &Range) -> ApiResult<Rows> {
        let mut reads = self.db.reads();
        let mut rows = Rows::new();
        for counted in invite_counts(&mut reads, me, range.since_ms).await? {
            if OUTCOMES.contains(&counted.outcome.as_str()) {
                let key = (range.day_of(counted.quarter), "campaign", counted.id, counted.outcome);
                *rows.entry(key).or_default() += counted.count;
            }
        }
        for counted in post_counts(&mut reads, me, range.since_ms).await? {
            let key = (range.day_of(counted.quarter), "schedule", counted.id, counted.outcome);
            *rows.entry(key).or_default() += counted.count;
        }
        Ok(rows)
    }

    /// (id, name, state) of the owner's campaigns, or schedules.
    async fn names(&self, me: i64, table: &str) -> ApiResult<Vec<(i64, String, String)>> {
        let query = format!("SELECT id, name, state FROM {table} WHERE owner_id = $1 ORDER BY id");
        Ok(self.db.reads().fetch_all(&query, params![me]).await?)
    }

    pub async fn stats(&self, me: i64, params: &StatsParams) -> ApiResult<Stats> {
        let range = Range::new(params, self.engine.jobs.now_ms())?;
        let rows = self.rows(me, &range).await?;
        let mut days: BTreeMap<String, StatsDay> = range
            .all_days()
            .into_iter()
            .map(|day| {
                (
                    day.clone(),
                    StatsDay {
                        day,
                        ..StatsDay::default()
                    },
                )
            })
            .collect();
        let mut per_campaign: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
        let mut posts_published = 0;
        for ((day, kind, id, outcome), count) in &rows {
            let outcome = match (*kind, outcome.as_str()) {
                ("schedule", "failed") => "post_failed",
                (_, outcome) => outcome,
            };
            if let Some(entry) = days.get_mut(day) {
                entry.count(outcome, *count);
            }
            match *kind {
                "campaign" => {
                    *per_campaign
                        .entry(*id)
                        .or_default()
                        .entry(outcome.to_owned())
                        .or_default() += count
                }
                _ if outcome == "sent" => posts_published += count,
                _ => {}
            }
        }
        let campaigns = self
            .names(me, "campaigns")
            .await?
            .into_iter()
            .filter_map(|(id, name, state)| {
                let outcomes = per_campaign.remove(&id);
                if outcomes.is_none() && state != "running" {
                    return None;
                }
                let outcomes = outcomes.unwrap_or_default();
                Some(CampaignStats {
                    id,
                    name,
                    state,
                    total: outcomes.values().sum(),
                    outcomes,
                })
            })
            .collect();
        let mut reads = self.db.reads();
        let accounts = crate::store::accounts_page(&mut reads, me, 0, 1_000).await?;
        let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
        let used = crate::store::used_since(&mut reads, &ids, self.engine.jobs.now_ms() - 24 * 3_600_000).await?;
        let accounts = accounts
            .into_iter()
            .map(|a| AccountUsage {
                used_today: used.iter().find(|(id, _)| *id == a.id).map_or(0, |u| u.1),
                id: a.id,
                name: a.name,
                connector: a.connector,
                state: a.state,
                daily_limit: a.daily_limit,
            })
            .collect();
        let (contacts_pending, deliveries_pending) = crate::alerts::queue_depth(&mut reads, me).await?;
        let (posts_approved,): (i64,) = reads
            .fetch_one(
                "SELECT COUNT(*) FROM content_posts WHERE owner_id = $1 AND state = 'approved'",
                params![me],
            )
            .await?;
        Ok(Stats {
            from: range.all_days().first().cloned().unwrap_or_default(),
            to: range.all_days().last().cloned().unwrap_or_default(),
            tz: range.tz,
            days: days.into_values().collect(),
            campaigns,
            accounts,
            queue: QueueDepth {
                contacts_pending,
                posts_approved,
                deliveries_pending,
            },
            posts_published,
        })
    }

    /// `day,kind,id,name,outcome,count`, a row per day, campaign or schedule, and outcome.
    pub async fn csv(&self, me: i64, params: &StatsParams) -> ApiResult<String> {
        let range = Range::new(params, self.engine.jobs.now_ms())?;
        let rows = self.rows(me, &range).await?;
        let campaigns = self.names(me, "campaigns").await?;
        let schedules = self.names(me, "autopost_schedules").await?;
        let name_of = |kind: &str, id: i64| {
            let names = if kind == "campaign" { &campaigns } else { &schedules };
            names.iter().find(|n| n.0 == id).map_or("", |n| n.1.as_str()).to_owned()
        };
        let mut out = String::from("day,kind,id,name,outcome,count\n");
        for ((day, kind, id, outcome), count) in rows {
            let name = crate::service::csv_field(&name_of(kind, id));
            out.push_str(&format!("{day},{kind},{id},{name},{outcome},{count}\n"));
        }
        Ok(out)
    }
}

type Svc = State<Arc<Statistics>>;

pub fn routes(stats: Arc<Statistics>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(automation_stats))
        .routes(routes!(export_automation_stats))
        .with_state(stats)
}

/// Your automation's statistics: outcomes per day and per campaign, posts published, accounts'
/// use, what waits.
#[utoipa::path(get, path = "/automation/stats", tag = "automation", security(("bearer" = [])),
    params(StatsParams),
    responses((status = 200, body = Stats), (status = 422, body = ErrorBody)))]
async fn automation_stats(
    State(stats): Svc,
    me: AuthUser,
    Query(params): Query<StatsParams>,
) -> ApiResult<Json<Stats>> {
    Ok(Json(stats.stats(me.user_id, &params).await?))
}

/// The statistics as CSV: `day,kind,id,name,outcome,count` (kind `campaign` or `schedule`).
#[utoipa::path(get, path = "/automation/stats/export", tag = "automation", security(("bearer" = [])),
    params(StatsParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)))]
async fn export_automation_stats(
    State(stats): Svc,
    me: AuthUser,
    Query(params): Query<StatsParams>,
) -> ApiResult<impl IntoResponse> {
    let body = stats.csv(me.user_id, &params).await?;
    Ok(crate::routes::csv("automation-stats.csv".into(), body))
}
