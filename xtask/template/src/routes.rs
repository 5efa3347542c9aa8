//! The {{name}} service's HTTP API: thin handlers that take the contract's types, call the
//! service, and answer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use hybrid_core::{ApiResult, AuthUser, ErrorBody, Json, Page, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{Item, NewItem, PageParams};
use crate::service::{{Name}};

pub fn routes(service: Arc<{{Name}}>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(add_item, list_items))
        .with_state(service)
}

/// Adds an item; your sockets get a `{{name}}.item_added` frame.
#[utoipa::path(post, path = "/{{name}}/items", tag = "{{name}}", security(("bearer" = [])),
    request_body = NewItem,
    responses((status = 201, body = Item), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_item(
    State(service): State<Arc<{{Name}}>>,
    me: AuthUser,
    Json(new): Json<NewItem>,
) -> ApiResult<(StatusCode, Json<Item>)> {
    Ok((StatusCode::CREATED, Json(service.add(me.user_id, &new.text).await?)))
}

/// Your items, newest first.
#[utoipa::path(get, path = "/{{name}}/items", tag = "{{name}}", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<Item>), (status = 422, body = ErrorBody)))]
async fn list_items(
    State(service): State<Arc<{{Name}}>>,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<Item>>> {
    Ok(Json(service.page(me.user_id, page.cursor.as_deref(), page.limit).await?))
}
