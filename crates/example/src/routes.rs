//! The example's HTTP API, under `/api/v1/example`: thin handlers over [`Example`].

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, Json, Path};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{CardRequest, Hook, HookRequest, NoticeRequest, PanicRequest, Posted, Seen, Visibility};
use crate::service::Example;
use hybrid_core::webhooks::DeliveryLog;

type Svc = State<Arc<Example>>;

pub fn routes(example: Arc<Example>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(seen))
        .routes(routes!(panic))
        .routes(routes!(notice))
        .routes(routes!(post_card))
        .routes(routes!(update_card))
        .routes(routes!(visible))
        .routes(routes!(add_hook))
        .routes(routes!(deliveries))
        .with_state(example)
}

/// Every chats event consumed, by position.
#[utoipa::path(get, path = "/example/seen", tag = "example", security(("bearer" = [])),
    responses((status = 200, body = Vec<Seen>)))]
async fn seen(State(example): Svc, _me: AuthUser) -> ApiResult<Json<Vec<Seen>>> {
    example.seen().await.map(Json)
}

/// Makes the `flaky` worker panic this many times in a row.
#[utoipa::path(post, path = "/example/panic", tag = "example", security(("bearer" = [])),
    request_body = PanicRequest, responses((status = 204)))]
async fn panic(State(example): Svc, _me: AuthUser, Json(req): Json<PanicRequest>) -> StatusCode {
    example.panic(req.times);
    StatusCode::NO_CONTENT
}

/// Keeps a notice for the caller and sends it to their sockets as an `example.notice` frame
/// (an ephemeral frame of another service, forwarded by realtime); `POST /sync` returns the
/// notices a client missed. With `delay_ms`, a background job does it that much later.
#[utoipa::path(post, path = "/example/notice", tag = "example", security(("bearer" = [])),
    request_body = NoticeRequest, responses((status = 204), (status = 422, body = hybrid_core::ErrorBody)))]
async fn notice(State(example): Svc, me: AuthUser, Json(req): Json<NoticeRequest>) -> ApiResult<StatusCode> {
    example.notice(me.user_id, req.text, req.delay_ms).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Posts a card into a chat as the caller, through the chats API.
#[utoipa::path(post, path = "/example/cards", tag = "example", security(("bearer" = [])),
    request_body = CardRequest, responses((status = 200, body = Posted)))]
async fn post_card(State(example): Svc, me: AuthUser, Json(req): Json<CardRequest>) -> ApiResult<Json<Posted>> {
    example.post_card(me.user_id, &req).await.map(Json)
}

/// Updates the card of message `seq` through the chats API.
#[utoipa::path(put, path = "/example/cards/{seq}", tag = "example", security(("bearer" = [])),
    request_body = CardRequest, responses((status = 204)))]
async fn update_card(
    State(example): Svc,
    _me: AuthUser,
    Path(seq): Path<i64>,
    Json(req): Json<CardRequest>,
) -> ApiResult<StatusCode> {
    example.update_card(seq, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether user `user_id` may see message (`chat_id`, `seq`), as the chats API answers.
#[utoipa::path(get, path = "/example/visible/{user_id}/{chat_id}/{seq}", tag = "example",
    security(("bearer" = [])), responses((status = 200, body = Visibility)))]
async fn visible(
    State(example): Svc,
    _me: AuthUser,
    Path((user_id, chat_id, seq)): Path<(i64, i64, i64)>,
) -> ApiResult<Json<Visibility>> {
    let visible = example.may_see(user_id, chat_id, seq).await?;
    Ok(Json(Visibility { visible }))
}

/// Adds a webhook: each of the caller's notices is POSTed to it, signed.
#[utoipa::path(post, path = "/example/hooks", tag = "example", security(("bearer" = [])),
    request_body = HookRequest, responses((status = 201, body = Hook), (status = 422, body = hybrid_core::ErrorBody)))]
async fn add_hook(
    State(example): Svc,
    me: AuthUser,
    Json(req): Json<HookRequest>,
) -> ApiResult<(StatusCode, Json<Hook>)> {
    Ok((StatusCode::CREATED, Json(example.add_hook(me.user_id, req).await?)))
}

/// The delivery log of one of the caller's webhooks, newest first, each with its attempts.
#[utoipa::path(get, path = "/example/hooks/{id}/deliveries", tag = "example", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<DeliveryLog>), (status = 404, body = hybrid_core::ErrorBody)))]
async fn deliveries(State(example): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Vec<DeliveryLog>>> {
    example.deliveries(me.user_id, id).await.map(Json)
}
