//! The autopost's HTTP API under `/api/v1/automation`: thin handlers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Autopost;
use super::api::{NewSchedule, Publication, PublishNow, Schedule, ScheduleChange};
use crate::api::PageParams;

type Svc = State<Arc<Autopost>>;

pub fn routes(autopost: Arc<Autopost>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_schedule, list_schedules))
        .routes(routes!(get_schedule, change_schedule, delete_schedule))
        .routes(routes!(start_schedule))
        .routes(routes!(stop_schedule))
        .routes(routes!(publish_now))
        .routes(routes!(schedule_log))
        .routes(routes!(republish))
        .with_state(autopost)
}

/// Make an autopost schedule: it runs at once, publishing approved posts at its times.
#[utoipa::path(post, path = "/automation/schedules", tag = "automation", security(("bearer" = [])),
    request_body = NewSchedule,
    responses((status = 201, body = Schedule), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_schedule(
    State(autopost): Svc,
    me: AuthUser,
    Json(new): Json<NewSchedule>,
) -> ApiResult<(StatusCode, Json<Schedule>)> {
    Ok((StatusCode::CREATED, Json(autopost.create(me.user_id, new).await?)))
}

#[utoipa::path(get, path = "/automation/schedules", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Schedule>), (status = 422, body = ErrorBody)))]
async fn list_schedules(
    State(autopost): Svc,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Schedule>>> {
    Ok(Json(
        autopost
            .schedules(me.user_id, page.cursor.as_deref(), page.limit)
            .await?,
    ))
}

#[utoipa::path(get, path = "/automation/schedules/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorBody)))]
async fn get_schedule(State(autopost): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Schedule>> {
    Ok(Json(autopost.schedule(me.user_id, id).await?))
}

/// Change a schedule; a running one waits for its new next slot.
#[utoipa::path(patch, path = "/automation/schedules/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ScheduleChange,
    responses((status = 200, body = Schedule), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_schedule(
    State(autopost): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(change): Json<ScheduleChange>,
) -> ApiResult<Json<Schedule>> {
    Ok(Json(autopost.change(me.user_id, id, change).await?))
}

/// Delete a schedule with its log.
#[utoipa::path(delete, path = "/automation/schedules/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_schedule(State(autopost): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    autopost.delete(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start a stopped schedule: it publishes from its next slot on.
#[utoipa::path(post, path = "/automation/schedules/{id}/start", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start_schedule(State(autopost): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Schedule>> {
    Ok(Json(autopost.start(me.user_id, id).await?))
}

/// Stop a schedule at once: its next slot publishes nothing.
#[utoipa::path(post, path = "/automation/schedules/{id}/stop", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Schedule), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn stop_schedule(State(autopost): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Schedule>> {
    Ok(Json(autopost.stop(me.user_id, id).await?))
}

/// Publish now to the schedule's targets: the given post, or the next one it would take.
#[utoipa::path(post, path = "/automation/schedules/{id}/publish", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PublishNow,
    responses((status = 201, body = Publication), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn publish_now(
    State(autopost): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(what): Json<PublishNow>,
) -> ApiResult<(StatusCode, Json<Publication>)> {
    Ok((
        StatusCode::CREATED,
        Json(autopost.publish_now(me.user_id, id, what).await?),
    ))
}

/// The schedule's post log, newest first, with each delivery's result.
#[utoipa::path(get, path = "/automation/schedules/{id}/log", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<Publication>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn schedule_log(
    State(autopost): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Publication>>> {
    Ok(Json(
        autopost.log(me.user_id, id, page.cursor.as_deref(), page.limit).await?,
    ))
}

/// Publish a logged post again, as it went out, to the schedule's targets.
#[utoipa::path(post, path = "/automation/publications/{id}/republish", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = Publication), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn republish(
    State(autopost): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Publication>)> {
    Ok((StatusCode::CREATED, Json(autopost.republish(me.user_id, id).await?)))
}
