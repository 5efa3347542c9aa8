//! The notify service's HTTP API: thin handlers that take the contract's types, call the
//! service, and answer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Path, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{
    ChatSetting, ChatSettingUpdate, MarkRead, NewPushSubscription, NotificationPage, PageParams, PushKey,
    PushSubscription, Unread, UserSettings,
};
use crate::service::Notify;

type Svc = State<Arc<Notify>>;

pub fn routes(service: Arc<Notify>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(mark_read))
        .routes(routes!(chat_settings))
        .routes(routes!(chat_setting, set_chat_setting))
        .routes(routes!(user_settings, set_user_settings))
        .routes(routes!(push_key))
        .routes(routes!(subscribe, subscriptions))
        .routes(routes!(unsubscribe))
        .with_state(service)
}

/// My notifications, newest first, with the unread count (the badge).
#[utoipa::path(get, path = "/notifications", tag = "notify", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = NotificationPage), (status = 422, body = ErrorBody)))]
async fn list(State(service): Svc, me: AuthUser, Query(page): Query<PageParams>) -> ApiResult<Json<NotificationPage>> {
    Ok(Json(
        service.page(me.user_id, page.cursor.as_deref(), page.limit).await?,
    ))
}

/// Mark my notifications read, up to one or all; my other devices get `notification.read`.
#[utoipa::path(post, path = "/notifications/read", tag = "notify", security(("bearer" = [])),
    request_body = MarkRead,
    responses((status = 200, body = Unread), (status = 422, body = ErrorBody)))]
async fn mark_read(State(service): Svc, me: AuthUser, Json(read): Json<MarkRead>) -> ApiResult<Json<Unread>> {
    let unread_count = service.mark_read(me.user_id, read.up_to).await?;
    Ok(Json(Unread { unread_count }))
}

/// My chats with a setting of their own (a level, or a mute not yet over); the others follow
/// my defaults for their kind.
#[utoipa::path(get, path = "/notifications/chats", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = Vec<ChatSetting>)))]
async fn chat_settings(State(service): Svc, me: AuthUser) -> ApiResult<Json<Vec<ChatSetting>>> {
    Ok(Json(service.settings(me.user_id).await?))
}

/// What I hear of a chat I am in.
#[utoipa::path(get, path = "/notifications/chats/{chat_id}", tag = "notify", security(("bearer" = [])),
    params(("chat_id" = i64, Path)),
    responses((status = 200, body = ChatSetting), (status = 404, body = ErrorBody)))]
async fn chat_setting(State(service): Svc, me: AuthUser, Path(chat_id): Path<i64>) -> ApiResult<Json<ChatSetting>> {
    Ok(Json(service.setting(me.user_id, chat_id).await?))
}

/// Choose what I hear of a chat I am in: all, mentions only or none, and mute it for a while.
#[utoipa::path(put, path = "/notifications/chats/{chat_id}", tag = "notify", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = ChatSettingUpdate,
    responses((status = 200, body = ChatSetting), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_chat_setting(
    State(service): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(update): Json<ChatSettingUpdate>,
) -> ApiResult<Json<ChatSetting>> {
    Ok(Json(service.set(me.user_id, chat_id, update).await?))
}

/// The key a browser subscribes with (`applicationServerKey` of `pushManager.subscribe`).
#[utoipa::path(get, path = "/notifications/push/key", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = PushKey)))]
async fn push_key(State(service): Svc, _me: AuthUser) -> Json<PushKey> {
    Json(PushKey {
        public_key: service.push_key.clone(),
    })
}

/// Send my notifications to this browser (its `PushSubscription`, as JSON); none while this
/// session's socket says the device is in use (a `focus` frame).
#[utoipa::path(post, path = "/notifications/push/subscriptions", tag = "notify", security(("bearer" = [])),
    request_body = NewPushSubscription,
    responses((status = 201, body = PushSubscription), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn subscribe(
    State(service): Svc,
    me: AuthUser,
    Json(new): Json<NewPushSubscription>,
) -> ApiResult<(StatusCode, Json<PushSubscription>)> {
    Ok((
        StatusCode::CREATED,
        Json(service.subscribe(me.user_id, me.session_id, new).await?),
    ))
}

/// The browsers that receive my notifications.
#[utoipa::path(get, path = "/notifications/push/subscriptions", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = Vec<PushSubscription>)))]
async fn subscriptions(State(service): Svc, me: AuthUser) -> ApiResult<Json<Vec<PushSubscription>>> {
    Ok(Json(service.subscriptions(me.user_id).await?))
}

/// Stop sending my notifications to a browser.
#[utoipa::path(delete, path = "/notifications/push/subscriptions/{id}", tag = "notify", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unsubscribe(State(service): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    service.unsubscribe(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My settings for all chats: quiet hours, and the level of each kind of chat.
#[utoipa::path(get, path = "/notifications/settings", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = UserSettings)))]
async fn user_settings(State(service): Svc, me: AuthUser) -> ApiResult<Json<UserSettings>> {
    Ok(Json(service.user_settings(me.user_id).await?))
}

/// Set my quiet hours (no push then, in my time zone; `null` clears them) and the level of
/// each kind of chat without one of its own.
#[utoipa::path(put, path = "/notifications/settings", tag = "notify", security(("bearer" = [])),
    request_body = UserSettings,
    responses((status = 200, body = UserSettings), (status = 422, body = ErrorBody)))]
async fn set_user_settings(
    State(service): Svc,
    me: AuthUser,
    Json(settings): Json<UserSettings>,
) -> ApiResult<Json<UserSettings>> {
    Ok(Json(service.set_user_settings(me.user_id, settings).await?))
}
