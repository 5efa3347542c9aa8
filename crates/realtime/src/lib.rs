//! The realtime service: WebSocket sessions at `GET /api/v1/realtime` (subprotocol
//! `hybrid.v1`) that push chat and user events, typing and presence. The protocol is in
//! `docs/protocol.md`.

mod events;
mod hub;
mod settings;
mod socket;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use hybrid_chats_api::ChatMembership;
use hybrid_core::state::SharedState;
use hybrid_core::{
    ApiError, ApiResult, ApiTag, AuthUser, Code, ErrorBody, Json, Module, ModuleContext, Query, Started, TokenVerifier,
    Worker,
};
use hybrid_store::Migration;
use serde::{Deserialize, Serialize};
pub use settings::RealtimeConfig;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use events::RealtimeFrame;
pub use hub::close;

pub struct Realtime {
    hub: Arc<hub::Hub>,
    membership: Arc<dyn ChatMembership>,
    tokens: Arc<TokenVerifier>,
    state: Arc<dyn SharedState>,
    config: RealtimeConfig,
    /// Sockets on this node that have not authenticated yet.
    unauthenticated: std::sync::atomic::AtomicUsize,
}

/// A process's presence entries expire this long after its last refresh, so the users of a
/// process that died go offline by themselves.
const PRESENCE_TTL: Duration = Duration::from_secs(60);

pub struct RealtimeModule;

impl Module for RealtimeModule {
    fn name(&self) -> &'static str {
        "realtime"
    }

    fn description(&self) -> &'static str {
        "WebSocket sessions: live events, typing, presence"
    }

    fn migrations(&self) -> &'static [Migration] {
        &[]
    }

    fn needs(&self) -> &'static [&'static str] {
        &[hybrid_chats_api::SERVICE]
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<RealtimeConfig>())
    }

    fn frames(&self) -> Option<hybrid_core::Schemas> {
        Some(hybrid_core::schema_of::<RealtimeFrame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "realtime",
            description: "Catch-up (sync) and the WebSocket; see docs/protocol.md",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let membership = ctx.apis.require::<dyn ChatMembership>(hybrid_chats_api::SERVICE)?;
            let config: RealtimeConfig = ctx.config.section("realtime")?;
            let realtime = Arc::new(Realtime {
                hub: hub::Hub::new(ctx.bus.clone(), membership.clone(), config.max_queued_frames),
                membership,
                tokens: ctx.tokens.clone(),
                state: ctx.state.clone(),
                config,
                unauthenticated: Default::default(),
            });
            let refreshed = realtime.clone();
            let refresher = Worker::every("presence", PRESENCE_TTL / 3, move || {
                refresh_presence(refreshed.clone())
            });
            let hub = realtime.hub.clone();
            let closer = Worker::new("close-sockets", move |mut shutdown| {
                let hub = hub.clone();
                async move {
                    shutdown.wait().await;
                    hub.close_all(close::GOING_AWAY, "server shutting down", Duration::from_secs(5))
                        .await;
                    Ok(())
                }
            });
            let routes = OpenApiRouter::with_openapi(<events::ClientFrames as utoipa::OpenApi>::openapi())
                .route("/realtime", axum::routing::get(upgrade))
                .routes(routes!(presence))
                .with_state(realtime);
            Ok(Started {
                routes,
                workers: vec![closer, refresher],
            })
        })
    }
}

/// Keeps this process's presence entries alive while it runs.
async fn refresh_presence(rt: Arc<Realtime>) -> anyhow::Result<()> {
    let users = rt.hub.online_users();
    if let Err(err) = rt.state.presence_refresh(&users, PRESENCE_TTL).await {
        tracing::warn!(error = %err, "could not refresh presence");
    }
    // A user whose last socket left while the refresh was on its way was just marked present
    // again: take that back.
    for user in users.into_iter().filter(|u| !rt.hub.has_user(*u)) {
        if let Err(err) = rt.state.presence_leave(user).await {
            tracing::warn!(error = %err, "presence not cleared; it expires");
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PresenceParams {
    /// Comma-separated user ids, at most 200.
    pub user_ids: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Presence {
    pub user_id: i64,
    pub online: bool,
}

/// Most ids one presence query takes.
const MAX_PRESENCE_IDS: usize = 200;

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
    if asked.len() > MAX_PRESENCE_IDS {
        return Err(ApiError::validation("user_ids", "at most 200 ids"));
    }
    let peers = rt.membership.direct_peers(me.user_id).await?;
    let shown: Vec<i64> = asked.into_iter().filter(|id| peers.contains(id)).collect();
    let online = rt.state.online(&shown).await?;
    Ok(Json(
        shown
            .into_iter()
            .zip(online)
            .map(|(user_id, online)| Presence { user_id, online })
            .collect(),
    ))
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
