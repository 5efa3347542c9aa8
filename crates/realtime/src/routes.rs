//! The realtime service's HTTP surface: the WebSocket upgrade and the presence query.

use std::sync::Arc;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hybrid_core::{ApiError, ApiResult, AuthUser, Code, ErrorBody, Json, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{Presence, PresenceParams};
use crate::events::ClientFrames;
use crate::service::Realtime;
use crate::socket;

pub fn routes(rt: Arc<Realtime>) -> OpenApiRouter {
    OpenApiRouter::with_openapi(<ClientFrames as utoipa::OpenApi>::openapi())
        .route("/realtime", axum::routing::get(upgrade))
        .routes(routes!(presence))
        .with_state(rt)
}

/// Who of these users is online now. Presence is shared only between users with a direct
/// chat together: other ids are left out of the answer. Changes arrive on the WebSocket as
/// `presence` frames.
#[utoipa::path(get, path = "/realtime/presence", tag = "realtime", security(("bearer" = [])),
    params(PresenceParams),
    responses((status = 200, body = Vec<Presence>), (status = 422, body = ErrorBody)))]
async fn presence(
    State(rt): State<Arc<Realtime>>,
    me: AuthUser,
    Query(q): Query<PresenceParams>,
) -> ApiResult<Json<Vec<Presence>>> {
    let asked = q
        .user_ids
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::validation("user_ids", "comma-separated user ids"))?;
    rt.presence(me.user_id, asked).await.map(Json)
}

/// Upgrades to a WebSocket speaking `hybrid.v1`. Small buffers keep an idle socket cheap.
async fn upgrade(State(rt): State<Arc<Realtime>>, headers: axum::http::HeaderMap, ws: WebSocketUpgrade) -> Response {
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == socket::PROTOCOL);
    if !offered {
        return ApiError::new(Code::BadRequest, "request the WebSocket subprotocol hybrid.v1").into_response();
    }
    ws.protocols([socket::PROTOCOL])
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| socket::run(socket, rt))
}
