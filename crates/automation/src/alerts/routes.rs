//! The alerts' HTTP API under `/api/v1/automation/alerts`: thin handlers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Alerts;
use super::api::{Alert, AlertSettings, AlertSettingsChange};
use crate::api::PageParams;

type Svc = State<Arc<Alerts>>;

pub fn routes(alerts: Arc<Alerts>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(get_alert_settings, change_alert_settings))
        .routes(routes!(list_alerts))
        .routes(routes!(test_alert))
        .with_state(alerts)
}

/// Where your alerts go and which kinds are sent.
#[utoipa::path(get, path = "/automation/alerts/settings", tag = "automation", security(("bearer" = [])),
    responses((status = 200, body = AlertSettings)))]
async fn get_alert_settings(State(alerts): Svc, me: AuthUser) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(alerts.settings(me.user_id).await?))
}

/// Set where alerts go (an account and a chat), the kinds sent, the queue threshold and the
/// rate limit.
#[utoipa::path(patch, path = "/automation/alerts/settings", tag = "automation", security(("bearer" = [])),
    request_body = AlertSettingsChange,
    responses((status = 200, body = AlertSettings), (status = 422, body = ErrorBody)))]
async fn change_alert_settings(
    State(alerts): Svc,
    me: AuthUser,
    Json(change): Json<AlertSettingsChange>,
) -> ApiResult<Json<AlertSettings>> {
    Ok(Json(alerts.change_settings(me.user_id, change).await?))
}

/// Your alerts, newest first.
#[utoipa::path(get, path = "/automation/alerts", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Alert>), (status = 422, body = ErrorBody)))]
async fn list_alerts(State(alerts): Svc, me: AuthUser, Query(page): Query<PageParams>) -> ApiResult<Json<Page<Alert>>> {
    Ok(Json(
        alerts.alerts(me.user_id, page.cursor.as_deref(), page.limit).await?,
    ))
}

/// Send a test alert to the chat set.
#[utoipa::path(post, path = "/automation/alerts/test", tag = "automation", security(("bearer" = [])),
    responses((status = 201, body = Alert), (status = 422, body = ErrorBody)))]
async fn test_alert(State(alerts): Svc, me: AuthUser) -> ApiResult<(StatusCode, Json<Alert>)> {
    Ok((StatusCode::CREATED, Json(alerts.test(me.user_id).await?)))
}
