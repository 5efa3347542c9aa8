//! The content pipeline's HTTP API under `/api/v1/automation`: thin handlers.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Content;
use super::api::{
    Block, BlockParams, Chapter, ContentPost, ContentPostChange, ContentSettings, ContentSettingsChange,
    NewContentPost, NewSource, PostParams, Source, SourceChange, SummaryEstimate,
};
use crate::api::PageParams;

type Svc = State<Arc<Content>>;

pub fn routes(content: Arc<Content>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(add_source, list_sources))
        .routes(routes!(get_source, rename_source, delete_source))
        .routes(routes!(list_source_chapters))
        .routes(routes!(list_source_blocks))
        .routes(routes!(estimate_summaries))
        .routes(routes!(start_summaries))
        .routes(routes!(stop_summaries))
        .routes(routes!(make_content_post))
        .routes(routes!(list_content_posts))
        .routes(routes!(get_content_post, change_content_post, delete_content_post))
        .routes(routes!(get_content_settings, change_content_settings))
        .with_state(content)
}

/// Read a book uploaded to the files service (TXT, FB2 or `.fb2.zip`, EPUB, PDF). The answer comes
/// at once, `extracting`; the book is read in the background (`ready` or `failed` then, and an
/// `automation.content_updated` frame says so).
#[utoipa::path(post, path = "/automation/sources", tag = "automation", security(("bearer" = [])),
    request_body = NewSource,
    responses((status = 201, body = Source), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_source(
    State(svc): Svc,
    me: AuthUser,
    Json(new): Json<NewSource>,
) -> ApiResult<(StatusCode, Json<Source>)> {
    Ok((StatusCode::CREATED, Json(svc.add_source(me.user_id, new).await?)))
}

/// My books, newest first.
#[utoipa::path(get, path = "/automation/sources", tag = "automation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Source>), (status = 422, body = ErrorBody)))]
async fn list_sources(State(svc): Svc, me: AuthUser, Query(q): Query<PageParams>) -> ApiResult<Json<Page<Source>>> {
    Ok(Json(svc.sources(me.user_id, q.cursor.as_deref(), q.limit).await?))
}

/// A book, its counts and its summaries' progress.
#[utoipa::path(get, path = "/automation/sources/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Source), (status = 404, body = ErrorBody)))]
async fn get_source(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Source>> {
    Ok(Json(svc.source(me.user_id, id).await?))
}

/// Rename a book.
#[utoipa::path(patch, path = "/automation/sources/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = SourceChange,
    responses((status = 200, body = Source), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn rename_source(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(change): Json<SourceChange>,
) -> ApiResult<Json<Source>> {
    Ok(Json(svc.rename_source(me.user_id, id, change).await?))
}

/// Forget a book: its blocks, summaries and posts.
#[utoipa::path(delete, path = "/automation/sources/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_source(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.delete_source(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A book's chapters in reading order, with their blocks' counts.
#[utoipa::path(get, path = "/automation/sources/{id}/chapters", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Chapter>), (status = 404, body = ErrorBody)))]
async fn list_source_chapters(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Vec<Chapter>>> {
    Ok(Json(svc.chapters(me.user_id, id).await?))
}

/// A book's blocks in reading order (of one chapter, when asked), with their summaries.
#[utoipa::path(get, path = "/automation/sources/{id}/blocks", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path), BlockParams),
    responses((status = 200, body = Page<Block>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_source_blocks(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<BlockParams>,
) -> ApiResult<Json<Page<Block>>> {
    Ok(Json(
        svc.blocks(me.user_id, id, q.chapter, q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// What summarising the book's remaining blocks will take: blocks, tokens, cost, time.
#[utoipa::path(get, path = "/automation/sources/{id}/summaries/estimate", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SummaryEstimate), (status = 404, body = ErrorBody)))]
async fn estimate_summaries(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<SummaryEstimate>> {
    Ok(Json(svc.estimate(me.user_id, id).await?))
}

/// Summarise the book's blocks that have none (failed ones again), one job per block: by the
/// model in the settings, or offline when none is set.
#[utoipa::path(post, path = "/automation/sources/{id}/summaries/start", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Source), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn start_summaries(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Source>> {
    Ok(Json(svc.start_summaries(me.user_id, id).await?))
}

/// Stop summarising: blocks not yet summarised wait for the next start.
#[utoipa::path(post, path = "/automation/sources/{id}/summaries/stop", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Source), (status = 404, body = ErrorBody)))]
async fn stop_summaries(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<Source>> {
    Ok(Json(svc.stop_summaries(me.user_id, id).await?))
}

/// Make a post from the book's next unused summary (or a given block's).
#[utoipa::path(post, path = "/automation/sources/{id}/posts", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = NewContentPost,
    responses((status = 201, body = ContentPost), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn make_content_post(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(new): Json<NewContentPost>,
) -> ApiResult<(StatusCode, Json<ContentPost>)> {
    Ok((StatusCode::CREATED, Json(svc.make_post(me.user_id, id, new).await?)))
}

/// My posts, newest first.
#[utoipa::path(get, path = "/automation/posts", tag = "automation", security(("bearer" = [])),
    params(PostParams),
    responses((status = 200, body = Page<ContentPost>), (status = 422, body = ErrorBody)))]
async fn list_content_posts(
    State(svc): Svc,
    me: AuthUser,
    Query(q): Query<PostParams>,
) -> ApiResult<Json<Page<ContentPost>>> {
    Ok(Json(svc.posts(me.user_id, q).await?))
}

#[utoipa::path(get, path = "/automation/posts/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ContentPost), (status = 404, body = ErrorBody)))]
async fn get_content_post(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<Json<ContentPost>> {
    Ok(Json(svc.post(me.user_id, id).await?))
}

/// Edit a post (Markdown in) or approve, skip, or return it to draft.
#[utoipa::path(patch, path = "/automation/posts/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body = ContentPostChange,
    responses((status = 200, body = ContentPost), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn change_content_post(
    State(svc): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Json(change): Json<ContentPostChange>,
) -> ApiResult<Json<ContentPost>> {
    Ok(Json(svc.change_post(me.user_id, id, change).await?))
}

/// Delete a post; its summary counts as unused again.
#[utoipa::path(delete, path = "/automation/posts/{id}", tag = "automation", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_content_post(State(svc): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    svc.delete_post(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My AI provider and prompts (the key is never shown).
#[utoipa::path(get, path = "/automation/content/settings", tag = "automation", security(("bearer" = [])),
    responses((status = 200, body = ContentSettings)))]
async fn get_content_settings(State(svc): Svc, me: AuthUser) -> ApiResult<Json<ContentSettings>> {
    Ok(Json(svc.settings(me.user_id).await?))
}

/// Change my AI provider and prompts: what is present is set.
#[utoipa::path(patch, path = "/automation/content/settings", tag = "automation", security(("bearer" = [])),
    request_body = ContentSettingsChange,
    responses((status = 200, body = ContentSettings), (status = 422, body = ErrorBody)))]
async fn change_content_settings(
    State(svc): Svc,
    me: AuthUser,
    Json(change): Json<ContentSettingsChange>,
) -> ApiResult<Json<ContentSettings>> {
    Ok(Json(svc.change_settings(me.user_id, change).await?))
}
