//! `GET`/`POST /api/v1/admin/clock`: reading the process's clock, and moving it forward when it
//! was started movable (`clock.movable`, for end-to-end tests of what happens at a time of day:
//! schedules, reminders, expiry). A clock that is not movable answers `409` to a move.

use std::sync::Arc;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admin::require_admin;
use crate::job_board::JobBoard;
use crate::{ApiError, ApiResult, AuthUser, Clock, Code, ErrorBody, InternalApis, Json};

/// The process's clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockReading {
    /// Unix milliseconds by the clock schedules and jobs go by.
    pub now_ms: i64,
    /// Whether `POST /admin/clock` may move it (`clock.movable`).
    pub movable: bool,
}

/// Where to move the clock: to `to_ms`, or `advance_ms` on. It never goes back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockMove {
    pub to_ms: Option<i64>,
    pub advance_ms: Option<i64>,
}

struct ClockAdmin {
    clock: Clock,
    board: Arc<JobBoard>,
    apis: Arc<InternalApis>,
}

type Svc = State<Arc<ClockAdmin>>;

pub fn routes(clock: Clock, board: Arc<JobBoard>, apis: Arc<InternalApis>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(read_clock, move_clock))
        .with_state(Arc::new(ClockAdmin { clock, board, apis }))
}

fn reading(clock: &Clock) -> ClockReading {
    ClockReading {
        now_ms: clock.now_ms(),
        movable: clock.is_movable(),
    }
}

#[utoipa::path(get, path = "/admin/clock", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ClockReading), (status = 403, body = ErrorBody)))]
async fn read_clock(State(admin): Svc, me: AuthUser) -> ApiResult<Json<ClockReading>> {
    require_admin(&admin.apis, &me, "read the clock").await?;
    Ok(Json(reading(&admin.clock)))
}

/// Move a movable clock forward (tests); the job workers look at once for what fell due.
#[utoipa::path(post, path = "/admin/clock", tag = "admin", security(("bearer" = [])),
    request_body = ClockMove,
    responses((status = 200, body = ClockReading), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn move_clock(State(admin): Svc, me: AuthUser, Json(to): Json<ClockMove>) -> ApiResult<Json<ClockReading>> {
    require_admin(&admin.apis, &me, "move the clock").await?;
    if !admin.clock.is_movable() {
        return Err(ApiError::new(
            Code::Conflict,
            "this process's clock is the machine's: start it with clock.movable = true to move it",
        ));
    }
    let at = match (to.to_ms, to.advance_ms) {
        (Some(at), None) => at,
        (None, Some(by)) if by >= 0 => admin.clock.now_ms().saturating_add(by),
        (None, Some(_)) => return Err(ApiError::validation("advance_ms", "the clock never goes back")),
        _ => return Err(ApiError::validation("to_ms", "give to_ms or advance_ms, one of them")),
    };
    admin.clock.set(at);
    for (_, jobs) in admin.board.all() {
        jobs.wake();
    }
    Ok(Json(reading(&admin.clock)))
}
