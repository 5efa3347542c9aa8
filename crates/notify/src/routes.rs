//! The notify service's HTTP API: thin handlers that take the contract's types, call the
//! service, and answer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use hybrid_core::text::html_escape;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Path, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{
    ChatSetting, ChatSettingUpdate, DeliveryPage, EmailSettings, EmailSettingsUpdate, EmailToken, MarkRead,
    NewPushSubscription, NewWebhook, NotificationPage, PageParams, PushKey, PushSubscription, Unread, UserSettings,
    Webhook,
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
        .routes(routes!(email_settings, set_email_settings))
        .routes(routes!(resend_confirmation))
        .routes(routes!(confirm_email))
        .routes(routes!(email_unsubscribe_page, email_unsubscribe))
        .routes(routes!(webhooks, add_webhook))
        .routes(routes!(remove_webhook))
        .routes(routes!(enable_webhook))
        .routes(routes!(webhook_deliveries))
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

/// My email notifications: the address, whether it is confirmed, what is sent.
#[utoipa::path(get, path = "/notifications/email", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = EmailSettings)))]
async fn email_settings(State(service): Svc, me: AuthUser) -> ApiResult<Json<EmailSettings>> {
    Ok(Json(service.email.get(me.user_id).await?))
}

/// Set my email notifications (all of them at once). A new address gets a link to confirm
/// it; nothing else goes to it before. No address: no email.
#[utoipa::path(put, path = "/notifications/email", tag = "notify", security(("bearer" = [])),
    request_body = EmailSettingsUpdate,
    responses((status = 200, body = EmailSettings), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn set_email_settings(
    State(service): Svc,
    me: AuthUser,
    Json(update): Json<EmailSettingsUpdate>,
) -> ApiResult<Json<EmailSettings>> {
    Ok(Json(service.email.set(me.user_id, update).await?))
}

/// Send another link to confirm my address (five links an hour at most, new addresses included).
#[utoipa::path(post, path = "/notifications/email/confirmation", tag = "notify", security(("bearer" = [])),
    responses((status = 204), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn resend_confirmation(State(service): Svc, me: AuthUser) -> ApiResult<StatusCode> {
    service.email.resend(me.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The link in the confirmation email: confirms the address, and says so in a page.
#[utoipa::path(get, path = "/notifications/email/confirm", tag = "notify", params(EmailToken),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 404, content_type = "text/html", body = String)))]
async fn confirm_email(State(service): Svc, Query(link): Query<EmailToken>) -> ApiResult<(StatusCode, Html<String>)> {
    Ok(match service.email.confirm(&link.token).await? {
        true => page(
            StatusCode::OK,
            "Address confirmed",
            "<p>Your address is confirmed: Hybrid will email you as your settings say.</p>",
        ),
        false => page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "<p>This link is not valid: it was used already, a newer one was sent, or it is more \
             than a day old. Ask for another in Hybrid's notification settings.</p>",
        ),
    })
}

/// The unsubscribe link of an email, opened in a browser: a page with a button that sends
/// the `POST` (opening the link alone changes nothing, so a link checker cannot unsubscribe).
#[utoipa::path(get, path = "/notifications/email/unsubscribe", tag = "notify", params(EmailToken),
    responses((status = 200, content_type = "text/html", body = String)))]
async fn email_unsubscribe_page(Query(link): Query<EmailToken>) -> (StatusCode, Html<String>) {
    let action = format!(
        "/api/v1/notifications/email/unsubscribe?token={}",
        html_escape(&link.token)
    );
    let form = format!(
        "<p>Stop Hybrid's notification emails to this address?</p>\
         <form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"List-Unsubscribe\" \
         value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>"
    );
    page(StatusCode::OK, "Unsubscribe", &form)
}

/// One-click unsubscribe (RFC 8058): what a mail client sends for `List-Unsubscribe-Post`,
/// and the page's button. Turns off every notification email of the link's address.
#[utoipa::path(post, path = "/notifications/email/unsubscribe", tag = "notify", params(EmailToken),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 404, content_type = "text/html", body = String)))]
async fn email_unsubscribe(
    State(service): Svc,
    Query(link): Query<EmailToken>,
) -> ApiResult<(StatusCode, Html<String>)> {
    Ok(match service.email.unsubscribe(&link.token).await? {
        true => page(
            StatusCode::OK,
            "Unsubscribed",
            "<p>No more notification emails will come. Turn them on again in Hybrid's settings.</p>",
        ),
        false => page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "<p>This link is not valid.</p>",
        ),
    })
}

/// My outgoing webhooks.
#[utoipa::path(get, path = "/notifications/webhooks", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = Vec<Webhook>)))]
async fn webhooks(State(service): Svc, me: AuthUser) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(service.hooks.list(me.user_id).await?))
}

/// Add a webhook: my new notifications (or one chat's) are POSTed to it as
/// `notification.new`, and `notification.removed` when they go, signed with the secret in this
/// answer (`x-hybrid-signature`), which is not shown again.
#[utoipa::path(post, path = "/notifications/webhooks", tag = "notify", security(("bearer" = [])),
    request_body = NewWebhook,
    responses((status = 201, body = Webhook), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn add_webhook(
    State(service): Svc,
    me: AuthUser,
    Json(new): Json<NewWebhook>,
) -> ApiResult<(StatusCode, Json<Webhook>)> {
    Ok((StatusCode::CREATED, Json(service.add_webhook(me.user_id, new).await?)))
}

/// Remove one of my webhooks (its queued deliveries fail).
#[utoipa::path(delete, path = "/notifications/webhooks/{id}", tag = "notify", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn remove_webhook(State(service): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    service.hooks.remove(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn on again a webhook disabled for failing.
#[utoipa::path(post, path = "/notifications/webhooks/{id}/enable", tag = "notify", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody)))]
async fn enable_webhook(State(service): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Webhook>> {
    Ok(Json(service.hooks.enable(me.user_id, id).await?))
}

/// A webhook's deliveries, newest first, each with its attempts (status, error, time).
#[utoipa::path(get, path = "/notifications/webhooks/{id}/deliveries", tag = "notify", security(("bearer" = [])),
    params(("id" = i64, Path), PageParams),
    responses((status = 200, body = DeliveryPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn webhook_deliveries(
    State(service): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<DeliveryPage>> {
    Ok(Json(
        service
            .webhook_deliveries(me.user_id, id, page.cursor.as_deref(), page.limit)
            .await?,
    ))
}

/// A small page for someone who followed a link from an email.
fn page(status: StatusCode, title: &str, body: &str) -> (StatusCode, Html<String>) {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{title} · Hybrid</title></head>\
         <body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto\"><h1>{title}</h1>{body}</body></html>"
    );
    (status, Html(html))
}
