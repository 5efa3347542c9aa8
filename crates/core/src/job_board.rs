//! The jobs of this process's modules, gathered as each module takes its own
//! ([`ModuleContext::jobs`](crate::ModuleContext::jobs)): wake-ups between processes over the
//! bus, and the admin API under `/api/v1/admin/jobs` (docs/jobs.md#operating).

use std::sync::Arc;

use axum::extract::State;
use futures::StreamExt;
use futures::stream::BoxStream;
use hybrid_bus::{Bus, Envelope, Topic};
use hybrid_jobs::{JobFilter, JobInfo, JobState, Jobs, Wakeups};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admin::require_admin;
use crate::named::ByName;
use crate::{
    ApiError, ApiResult, AuthUser, Code, ErrorBody, InternalApis, Json, Page, Path, Query, page_limit, parse_cursor,
};

/// The jobs of each module running here that has some, by module name.
pub type JobBoard = ByName<Jobs>;

/// Wake-ups of one module's workers in every process, over the bus: an empty ephemeral frame
/// on a topic of the `jobs` namespace whose id is derived from the module's name.
pub struct BusWakeups {
    bus: Arc<dyn Bus>,
    topic: Topic,
}

impl BusWakeups {
    pub fn new(bus: Arc<dyn Bus>, module: &str) -> Self {
        BusWakeups {
            bus,
            topic: wake_topic(module),
        }
    }
}

/// The topic that wakes `module`'s job workers in every process.
fn wake_topic(module: &str) -> Topic {
    // FNV-1a: stable across processes and builds, unlike std's hasher
    let hash = module.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    Topic::new("jobs", (hash >> 1) as i64)
}

/// What wakes `module`'s job workers, as an envelope to publish once a transaction that
/// enqueued jobs has committed (a stream consumer's handler answers such envelopes).
pub fn wake_envelope(module: &str) -> Envelope {
    Envelope::ephemeral(wake_topic(module), Default::default())
}

impl Wakeups for BusWakeups {
    fn announce(&self) {
        self.bus.publish(Envelope::ephemeral(self.topic, Default::default()));
    }

    fn listen(&self) -> BoxStream<'static, ()> {
        futures::stream::unfold(self.bus.subscribe(self.topic), |mut receiver| async move {
            match receiver.recv().await {
                // one that fell behind has missed wake-ups: looking once covers them all
                Ok(_) | Err(RecvError::Lagged(_)) => Some(((), receiver)),
                Err(RecvError::Closed) => None,
            }
        })
        .boxed()
    }
}

/// The admin API over `board`; every call needs an administrator.
pub fn routes(board: Arc<JobBoard>, apis: Arc<InternalApis>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(jobs_overview))
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(retry_job))
        .routes(routes!(cancel_job))
        .with_state(Arc::new(Admin { board, apis }))
}

struct Admin {
    board: Arc<JobBoard>,
    apis: Arc<InternalApis>,
}

type Svc = State<Arc<Admin>>;

impl Admin {
    /// The jobs of `module`, once the caller is known to be an administrator.
    async fn jobs(&self, me: &AuthUser, module: &str) -> ApiResult<Arc<Jobs>> {
        require_admin(&self.apis, me, "manage background jobs").await?;
        self.board
            .get(module)
            .ok_or_else(|| ApiError::not_found("module with jobs in this process"))
    }
}

/// One queue of a module: how many jobs it holds in each state.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct QueueSummary {
    pub queue: String,
    pub ready: i64,
    pub running: i64,
    pub done: i64,
    pub dead: i64,
    pub cancelled: i64,
    /// When the oldest job that is due and waiting fell due (Unix ms): how far behind the
    /// queue is.
    pub oldest_due_ms: Option<i64>,
}

/// A module's queues.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModuleJobs {
    pub module: String,
    pub queues: Vec<QueueSummary>,
}

/// The modules with jobs in this process and their queues.
#[utoipa::path(get, path = "/admin/jobs", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<ModuleJobs>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn jobs_overview(State(admin): Svc, me: AuthUser) -> ApiResult<Json<Vec<ModuleJobs>>> {
    require_admin(&admin.apis, &me, "manage background jobs").await?;
    let mut modules = Vec::new();
    for (module, jobs) in admin.board.all() {
        let stats = hybrid_jobs::stats(&mut jobs.db().reads(), jobs.now_ms()).await?;
        let mut queues: Vec<QueueSummary> = Vec::new();
        for row in stats {
            if queues.last().is_none_or(|q| q.queue != row.queue) {
                queues.push(QueueSummary {
                    queue: row.queue.clone(),
                    ..Default::default()
                });
            }
            let queue = queues.last_mut().expect("pushed above");
            *match row.state {
                JobState::Ready => &mut queue.ready,
                JobState::Running => &mut queue.running,
                JobState::Done => &mut queue.done,
                JobState::Dead => &mut queue.dead,
                JobState::Cancelled => &mut queue.cancelled,
            } = row.count;
            queue.oldest_due_ms = queue.oldest_due_ms.or(row.oldest_due_ms);
        }
        modules.push(ModuleJobs {
            module: module.to_owned(),
            queues,
        });
    }
    Ok(Json(modules))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct JobsParams {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this queue.
    pub queue: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    pub limit: Option<i64>,
}

/// A module's jobs, newest first.
#[utoipa::path(get, path = "/admin/jobs/{module}", tag = "admin", security(("bearer" = [])),
    params(("module" = String, Path), JobsParams),
    responses((status = 200, body = Page<JobInfo>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_jobs(
    State(admin): Svc,
    me: AuthUser,
    Path(module): Path<String>,
    Query(params): Query<JobsParams>,
) -> ApiResult<Json<Page<JobInfo>>> {
    let jobs = admin.jobs(&me, &module).await?;
    let limit = page_limit(params.limit, 50, 200)?;
    let filter = JobFilter {
        state: params.state,
        queue: params.queue,
        before: parse_cursor::<1>(params.cursor.as_deref())?.map(|[id]| id),
    };
    let rows = hybrid_jobs::list(&mut jobs.db().reads(), &filter, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |job| job.id.to_string())))
}

/// One job.
#[utoipa::path(get, path = "/admin/jobs/{module}/{id}", tag = "admin", security(("bearer" = [])),
    params(("module" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = JobInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_job(State(admin): Svc, me: AuthUser, Path((module, id)): Path<(String, i64)>) -> ApiResult<Json<JobInfo>> {
    let jobs = admin.jobs(&me, &module).await?;
    find(&jobs, id).await.map(Json)
}

async fn find(jobs: &Jobs, id: i64) -> ApiResult<JobInfo> {
    hybrid_jobs::get(&mut jobs.db().reads(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))
}

/// Runs a waiting, dead or cancelled job now, with its attempts counted afresh. 409 for a job
/// that is running or done.
#[utoipa::path(post, path = "/admin/jobs/{module}/{id}/retry", tag = "admin", security(("bearer" = [])),
    params(("module" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = JobInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn retry_job(
    State(admin): Svc,
    me: AuthUser,
    Path((module, id)): Path<(String, i64)>,
) -> ApiResult<Json<JobInfo>> {
    let jobs = admin.jobs(&me, &module).await?;
    let changed = jobs.retry_now(id).await?;
    changed_or_conflict(&jobs, id, changed, "retried").await
}

/// Cancels a waiting or running job: it never starts, or stops at once. 409 for a job that
/// has finished.
#[utoipa::path(post, path = "/admin/jobs/{module}/{id}/cancel", tag = "admin", security(("bearer" = [])),
    params(("module" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = JobInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn cancel_job(
    State(admin): Svc,
    me: AuthUser,
    Path((module, id)): Path<(String, i64)>,
) -> ApiResult<Json<JobInfo>> {
    let jobs = admin.jobs(&me, &module).await?;
    let changed = jobs.cancel(id).await?;
    changed_or_conflict(&jobs, id, changed, "cancelled").await
}

/// The job after an action; 404 if there is none, 409 naming its state if the action did not
/// apply to it.
async fn changed_or_conflict(jobs: &Jobs, id: i64, changed: bool, done: &str) -> ApiResult<Json<JobInfo>> {
    let job = find(jobs, id).await?;
    if !changed {
        return Err(ApiError::new(
            Code::Conflict,
            format!("a {} job cannot be {done}", job.state.as_str()),
        ));
    }
    Ok(Json(job))
}
