//! HTTP API of the users service, under `/api/v1/users`: thin handlers over [`Users`].

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::api::{Privacy, Profile, ProfileUpdate, SearchParams};
use crate::service::Users;

type Svc = State<Arc<Users>>;

pub fn router(users: Arc<Users>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me))
        .routes(routes!(search_users))
        .routes(routes!(list_blocks))
        .routes(routes!(get_privacy, set_privacy))
        .routes(routes!(get_by_username))
        .routes(routes!(get_user))
        .routes(routes!(block, unblock))
        .with_state(users)
}

/// My profile.
#[utoipa::path(get, path = "/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = ErrorBody)))]
async fn get_me(State(users): Svc, me: AuthUser) -> ApiResult<Json<Profile>> {
    users.profile(me.user_id).await.map(Json)
}

/// Change my display name, bio or picture; everyone who shares a chat with me sees it at once.
#[utoipa::path(patch, path = "/users/me", tag = "users", security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses((status = 200, body = Profile), (status = 422, body = ErrorBody),
        (status = 429, description = "over the caller's rate; see Retry-After", body = ErrorBody)))]
async fn update_me(State(users): Svc, me: AuthUser, Json(update): Json<ProfileUpdate>) -> ApiResult<Json<Profile>> {
    users.update(me.user_id, update).await.map(Json)
}

/// A user by id.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = Profile), (status = 404, body = ErrorBody)))]
async fn get_user(State(users): Svc, _me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Profile>> {
    users.profile(id).await.map(Json)
}

/// A user by username (any case or Unicode form of it).
#[utoipa::path(get, path = "/users/by-username/{username}", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 200, body = Profile), (status = 404, body = ErrorBody)))]
async fn get_by_username(State(users): Svc, _me: AuthUser, Path(username): Path<String>) -> ApiResult<Json<Profile>> {
    users.by_username(&username).await.map(Json)
}

/// Users whose username starts with a prefix, in username order.
#[utoipa::path(get, path = "/users/search", tag = "users", security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, body = Page<Profile>), (status = 422, body = ErrorBody)))]
async fn search_users(
    State(users): Svc,
    _me: AuthUser,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<Page<Profile>>> {
    users.search(params).await.map(Json)
}

/// Users I block.
#[utoipa::path(get, path = "/users/me/blocks", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<Profile>)))]
async fn list_blocks(State(users): Svc, me: AuthUser) -> ApiResult<Json<Vec<Profile>>> {
    users.blocked_by(me.user_id).await.map(Json)
}

/// My privacy settings.
#[utoipa::path(get, path = "/users/me/privacy", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Privacy), (status = 401, body = ErrorBody)))]
async fn get_privacy(State(users): Svc, me: AuthUser) -> ApiResult<Json<Privacy>> {
    users.privacy(me.user_id).await.map(Json)
}

/// Set who may add me to groups and channels; it applies to the next add.
#[utoipa::path(put, path = "/users/me/privacy", tag = "users", security(("bearer" = [])),
    request_body = Privacy,
    responses((status = 200, body = Privacy), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_privacy(State(users): Svc, me: AuthUser, Json(privacy): Json<Privacy>) -> ApiResult<Json<Privacy>> {
    users.set_privacy(me.user_id, privacy).await.map(Json)
}

/// Block a user. Blocking twice is fine.
#[utoipa::path(put, path = "/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn block(State(users): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    users.block(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblock a user.
#[utoipa::path(delete, path = "/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unblock(State(users): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    users.unblock(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
