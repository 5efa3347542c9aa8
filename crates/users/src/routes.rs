//! HTTP API of the users service, under `/api/v1/users`.

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::text::fold;
use hybrid_core::{ApiError, ApiResult, AuthUser, ErrorBody, Json, Path, Query};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::store::{UserRow, Users};

/// A user's public profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    /// Epoch milliseconds, UTC.
    pub created_at: i64,
}

impl From<UserRow> for Profile {
    fn from(row: UserRow) -> Self {
        Profile {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            bio: row.bio,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileUpdate {
    /// Up to 64 characters; omit to keep.
    pub display_name: Option<String>,
    /// Up to 500 characters; omit to keep.
    pub bio: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Start of the username (folded like usernames are).
    pub prefix: String,
    /// 1 to 50, default 20.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProfilePage {
    pub items: Vec<Profile>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub fn router(users: Users) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me))
        .routes(routes!(search))
        .routes(routes!(list_blocks))
        .routes(routes!(get_by_username))
        .routes(routes!(get_user))
        .routes(routes!(block, unblock))
        .with_state(users)
}

async fn profile_of(users: &Users, id: i64) -> ApiResult<Profile> {
    users
        .get(id)
        .await?
        .map(Profile::from)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// My profile.
#[utoipa::path(get, path = "/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Profile), (status = 401, body = ErrorBody)))]
async fn get_me(State(users): State<Users>, me: AuthUser) -> ApiResult<Json<Profile>> {
    profile_of(&users, me.user_id).await.map(Json)
}

fn clean_text(field: &str, value: Option<String>, max: usize) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_owned();
    if value.chars().count() > max {
        return Err(ApiError::validation(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::validation(field, "must not contain control characters"));
    }
    Ok(Some(value))
}

/// Change my display name or bio.
#[utoipa::path(patch, path = "/users/me", tag = "users", security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses((status = 200, body = Profile), (status = 422, body = ErrorBody)))]
async fn update_me(
    State(users): State<Users>,
    me: AuthUser,
    Json(update): Json<ProfileUpdate>,
) -> ApiResult<Json<Profile>> {
    let display_name = clean_text("display_name", update.display_name, 64)?;
    if let Some(name) = display_name.as_deref() {
        if name.contains('\n') {
            return Err(ApiError::validation("display_name", "must be one line"));
        }
        // Bidi controls make one name read as another; an invisible name impersonates nobody
        // in particular, but hides who is speaking. Empty clears the name.
        if name.chars().any(hybrid_core::text::is_bidi_control) {
            return Err(ApiError::validation(
                "display_name",
                "must not contain bidirectional control characters",
            ));
        }
        if !name.is_empty() && !hybrid_core::text::has_visible(name) {
            return Err(ApiError::validation("display_name", "must contain visible characters"));
        }
    }
    let bio = clean_text("bio", update.bio, 500)?;
    let row = users.update_profile(me.user_id, display_name, bio).await?;
    Ok(Json(row.into()))
}

/// A user by id.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path, description = "user id")),
    responses((status = 200, body = Profile), (status = 404, body = ErrorBody)))]
async fn get_user(State(users): State<Users>, _me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Profile>> {
    profile_of(&users, id).await.map(Json)
}

/// A user by username (any case or Unicode form of it).
#[utoipa::path(get, path = "/users/by-username/{username}", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path)),
    responses((status = 200, body = Profile), (status = 404, body = ErrorBody)))]
async fn get_by_username(
    State(users): State<Users>,
    _me: AuthUser,
    Path(username): Path<String>,
) -> ApiResult<Json<Profile>> {
    users
        .by_username(&fold(&username))
        .await?
        .map(|row| Json(row.into()))
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Users whose username starts with a prefix, in username order.
#[utoipa::path(get, path = "/users/search", tag = "users", security(("bearer" = [])),
    params(SearchParams),
    responses((status = 200, body = ProfilePage), (status = 422, body = ErrorBody)))]
async fn search(
    State(users): State<Users>,
    _me: AuthUser,
    Query(params): Query<SearchParams>,
) -> ApiResult<Json<ProfilePage>> {
    let prefix = fold(&params.prefix);
    if prefix.is_empty() || prefix.chars().count() > 32 || !prefix.is_ascii() {
        return Err(ApiError::validation(
            "prefix",
            "must be 1 to 32 characters a-z, 0-9 or _",
        ));
    }
    let limit = params.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 50"));
    }
    let cursor = params.cursor.filter(|c| !c.is_empty());
    let mut rows = users.search_prefix(&prefix, cursor.as_deref(), limit + 1).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.username.clone())
    } else {
        None
    };
    Ok(Json(ProfilePage {
        items: rows.into_iter().map(Profile::from).collect(),
        next_cursor,
    }))
}

/// Users I block.
#[utoipa::path(get, path = "/users/me/blocks", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<Profile>)))]
async fn list_blocks(State(users): State<Users>, me: AuthUser) -> ApiResult<Json<Vec<Profile>>> {
    let rows = users.blocked_by(me.user_id).await?;
    Ok(Json(rows.into_iter().map(Profile::from).collect()))
}

/// Block a user. Blocking twice is fine.
#[utoipa::path(put, path = "/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn block(State(users): State<Users>, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    if id == me.user_id {
        return Err(ApiError::validation("id", "you cannot block yourself"));
    }
    profile_of(&users, id).await?;
    users.block(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblock a user.
#[utoipa::path(delete, path = "/users/{id}/block", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn unblock(State(users): State<Users>, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    profile_of(&users, id).await?;
    users.unblock(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
