//! People's HTTP API for their bot accounts (`/api/v1/bots`): thin handlers that take the
//! contract's types, call the service, and answer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query, page_limit, parse_cursor};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{Bot, BotCommand, BotUpdate, CallbackAnswer, CommandParams, NewBot, PressButton};
use crate::service::Bots;

type Svc = State<Arc<Bots>>;

pub fn routes(bots: Arc<Bots>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_bots, create_bot))
        .routes(routes!(get_bot, update_bot, delete_bot))
        .routes(routes!(new_bot_token))
        .routes(routes!(press_button))
        .routes(routes!(bot_commands))
        .with_state(bots)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
}

/// Make a bot. The answer holds its Bot API token, shown this once.
#[utoipa::path(post, path = "/bots", tag = "bots", security(("bearer" = [])), request_body = NewBot,
    responses((status = 201, body = Bot), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_bot(State(bots): Svc, me: AuthUser, Json(new): Json<NewBot>) -> ApiResult<(StatusCode, Json<Bot>)> {
    Ok((StatusCode::CREATED, Json(bots.create(me.user_id, new).await?)))
}

/// My bots, oldest first.
#[utoipa::path(get, path = "/bots", tag = "bots", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<Bot>), (status = 422, body = ErrorBody)))]
async fn list_bots(State(bots): Svc, me: AuthUser, Query(page): Query<PageParams>) -> ApiResult<Json<Page<Bot>>> {
    let limit = page_limit(page.limit, 50, 100)?;
    let after = parse_cursor::<1>(page.cursor.as_deref())?.map_or(0, |[id]| id);
    Ok(Json(bots.list(me.user_id, after, limit).await?))
}

/// One of my bots.
#[utoipa::path(get, path = "/bots/{id}", tag = "bots", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Bot), (status = 404, body = ErrorBody)))]
async fn get_bot(State(bots): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Bot>> {
    Ok(Json(bots.get(me.user_id, id).await?))
}

/// Rename a bot of mine, or turn its privacy mode on or off.
#[utoipa::path(patch, path = "/bots/{id}", tag = "bots", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = BotUpdate,
    responses((status = 200, body = Bot), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_bot(
    State(bots): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(update): Json<BotUpdate>,
) -> ApiResult<Json<Bot>> {
    Ok(Json(bots.update(me.user_id, id, update).await?))
}

/// Delete a bot of mine: its token stops working and it leaves its groups and channels.
#[utoipa::path(delete, path = "/bots/{id}", tag = "bots", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_bot(State(bots): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    bots.delete(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new token for a bot of mine (shown this once); the old one stops working at once.
#[utoipa::path(post, path = "/bots/{id}/token", tag = "bots", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Bot), (status = 404, body = ErrorBody)))]
async fn new_bot_token(State(bots): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Bot>> {
    Ok(Json(bots.new_token(me.user_id, id).await?))
}

/// Press a button under a bot's message: the bot gets a `callback_query`; the answer is what it
/// replied (answerCallbackQuery), or `answered: false` after a few seconds without one.
#[utoipa::path(post, path = "/chats/{chat_id}/messages/{seq}/callback", tag = "bots", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path)), request_body = PressButton,
    responses((status = 200, body = CallbackAnswer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn press_button(
    State(bots): Svc,
    me: AuthUser,
    Path((chat_id, seq)): Path<(i64, i64)>,
    Json(press): Json<PressButton>,
) -> ApiResult<Json<CallbackAnswer>> {
    Ok(Json(bots.press(me.user_id, chat_id, seq, press.data).await?))
}

/// A bot's command menu, for anyone who talks with it: its default list (setMyCommands), in
/// `language_code` when it has one for it.
#[utoipa::path(get, path = "/bots/{id}/commands", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path), CommandParams),
    responses((status = 200, body = Vec<BotCommand>), (status = 404, body = ErrorBody)))]
async fn bot_commands(
    State(bots): Svc,
    _me: AuthUser,
    Path(id): Path<i64>,
    Query(params): Query<CommandParams>,
) -> ApiResult<Json<Vec<BotCommand>>> {
    Ok(Json(
        bots.menu(id, params.language_code.as_deref().unwrap_or("")).await?,
    ))
}
