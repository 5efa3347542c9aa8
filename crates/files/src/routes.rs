//! The files service's HTTP API: thin handlers that take the contract's types, call the
//! service, and answer. Downloads set the headers a file needs to be served safely.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use hybrid_core::{ApiError, ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::api::{FileInfo, FileLink, FilesCode, LinkParams, LinkVariant, PageParams, UploadParams, Usage, ViaMessage};
use crate::service::{Files, Reader};
use crate::storage::Range;

type Svc = State<Arc<Files>>;

pub fn routes(service: Arc<Files>) -> OpenApiRouter {
    OpenApiRouter::new()
        // an upload's size is checked as it streams, against the files.* limits
        .routes(routes!(upload).layer(DefaultBodyLimit::disable()))
        .routes(routes!(list_files))
        .routes(routes!(usage))
        .routes(routes!(file_info, delete_file))
        .routes(routes!(download))
        .routes(routes!(thumbnail))
        .routes(routes!(create_link))
        .routes(routes!(download_by_link))
        .with_state(service)
}

/// Uploads a file: the body is the file itself (name in `?name=`), or `multipart/form-data`
/// with the file in a part named `file` (name from the part). The content type is sniffed
/// from the bytes; the one sent is ignored.
#[utoipa::path(post, path = "/files", tag = "files", security(("bearer" = [])), params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileInfo), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn upload(State(files): Svc, me: AuthUser, Query(params): Query<UploadParams>, request: Request) -> Response {
    match store_upload(&files, me.user_id, params, request).await {
        Ok(info) => (StatusCode::CREATED, Json(info)).into_response(),
        Err(error) => {
            let mut response = error.into_response();
            // a refused upload may be unread still: the client must not reuse the connection
            if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}

async fn store_upload(files: &Files, user_id: i64, params: UploadParams, request: Request) -> ApiResult<FileInfo> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let info = if multipart {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let field = loop {
            match form
                .next_field()
                .await
                .map_err(|e| ApiError::bad_request(e.body_text()))?
            {
                Some(field) if field.name() == Some("file") => break field,
                Some(_) => continue,
                None => return Err(ApiError::validation("file", "the form has no part named `file`")),
            }
        };
        let name = field.file_name().map(str::to_owned);
        files
            .upload(user_id, name.as_deref(), params.purpose, None, field)
            .await?
    } else {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let body = request.into_body().into_data_stream();
        files
            .upload(user_id, params.name.as_deref(), params.purpose, declared, body)
            .await?
    };
    Ok(info)
}

/// Your files, newest first.
#[utoipa::path(get, path = "/files", tag = "files", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<FileInfo>), (status = 422, body = ErrorBody)))]
async fn list_files(
    State(files): Svc,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<FileInfo>>> {
    Ok(Json(files.page(me.user_id, page.cursor.as_deref(), page.limit).await?))
}

/// How much you keep, and the limits.
#[utoipa::path(get, path = "/files/usage", tag = "files", security(("bearer" = [])),
    responses((status = 200, body = Usage)))]
async fn usage(State(files): Svc, me: AuthUser) -> ApiResult<Json<Usage>> {
    Ok(Json(files.usage(me.user_id).await?))
}

/// A file: one of yours (with a fresh `attach_token`), an avatar, or one a message you may
/// read carries (give the message's `chat_id` and `seq`).
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path), ViaMessage),
    responses((status = 200, body = FileInfo), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn file_info(
    State(files): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(via): Query<ViaMessage>,
) -> ApiResult<Json<FileInfo>> {
    Ok(Json(files.info(reader(&me, &via)?, id).await?))
}

/// Who reads: the caller, through the message they name.
fn reader(me: &AuthUser, via: &ViaMessage) -> ApiResult<Reader> {
    Ok(Reader::User {
        user_id: me.user_id,
        via: via.message()?,
    })
}

/// Deletes one of your files: unreadable at once, its space freed.
#[utoipa::path(delete, path = "/files/{id}", tag = "files", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_file(State(files): Svc, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    files.delete(me.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The file's bytes, with `Range` (one range), `If-None-Match` and `If-Range` support. Read
/// as `GET /files/{id}` is.
#[utoipa::path(get, path = "/files/{id}/content", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path), ViaMessage),
    responses((status = 200, description = "the bytes, as their sniffed type", content_type = "*/*"), (status = 206), (status = 304),
        (status = 404, body = ErrorBody), (status = 416, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn download(
    State(files): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(via): Query<ViaMessage>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&files, reader(&me, &via)?, id, None, &headers).await
}

/// A thumbnail of a processed picture (`media.thumbnails` of the file lists them):
/// `{side}.webp`, or `{side}.jpg` for clients without WebP. Read as the file is.
#[utoipa::path(get, path = "/files/{id}/thumbnails/{name}", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path), ("name" = String, Path, description = "`320.webp`, `320.jpg`, `1280.webp` …"), ViaMessage),
    responses((status = 200, description = "the thumbnail", content_type = "*/*"), (status = 304),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 416, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn thumbnail(
    State(files): Svc,
    me: AuthUser,
    Path((id, name)): Path<(i64, String)>,
    Query(via): Query<ViaMessage>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    serve(&files, reader(&me, &via)?, id, Some(&name), &headers).await
}

/// A link to the file that works without a token for `files.link_ttl_secs`, for `<img>`
/// tags and bots. Whoever holds it can read the file until then. For a file you may read,
/// as `GET /files/{id}` says.
#[utoipa::path(post, path = "/files/{id}/link", tag = "files", security(("bearer" = [])),
    params(("id" = i64, Path), ViaMessage, LinkVariant),
    responses((status = 200, body = FileLink), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_link(
    State(files): Svc,
    me: AuthUser,
    Path(id): Path<i64>,
    Query(via): Query<ViaMessage>,
    Query(link): Query<LinkVariant>,
) -> ApiResult<Json<FileLink>> {
    Ok(Json(files.link(reader(&me, &via)?, id, link.variant.as_deref()).await?))
}

/// The file's bytes through a signed link (no token), as `GET /files/{id}/content`.
#[utoipa::path(get, path = "/files/links/{id}", tag = "files", params(("id" = i64, Path), LinkParams),
    responses((status = 200, description = "the bytes, as their sniffed type", content_type = "*/*"), (status = 206), (status = 304),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 416, body = ErrorBody)))]
async fn download_by_link(
    State(files): Svc,
    Path(id): Path<i64>,
    Query(link): Query<LinkParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let variant = link.variant.as_deref();
    files.check_link(id, variant, link.expires, link.signature.as_deref())?;
    serve(&files, Reader::Link, id, variant, &headers).await
}

/// Answers a download: 304 when the client's copy is current, 206 for a range it asked for
/// (unless `If-Range` names another version), else the whole file.
async fn serve(
    files: &Files,
    reader: Reader,
    id: i64,
    variant: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let served = files.served(reader, id, variant).await?;
    let size = served.size;
    let etag = format!("\"{}\"", served.etag);
    if text(header::IF_NONE_MATCH).is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, value(&etag));
        return Ok(response);
    }
    let asked = text(header::RANGE)
        .filter(|_| text(header::IF_RANGE).is_none_or(|tag| tag.trim() == etag))
        .and_then(Range::parse);
    let range = match asked.map(|r| r.resolve(size)) {
        Some(None) => {
            let message = format!("the file has {size} bytes");
            let mut response = ApiError::new(FilesCode::RangeNotSatisfiable, message).into_response();
            // a 416 says how long the file is
            response
                .headers_mut()
                .insert(header::CONTENT_RANGE, value(&format!("bytes */{size}")));
            return Ok(response);
        }
        Some(Some(range)) => Some(range),
        None => None,
    };
    let body = files.storage.read(&served.key, range.clone()).await?;
    let mut response = Response::new(Body::from_stream(body.map_err(axum::Error::new)));
    let out = response.headers_mut();
    if let Some(range) = &range {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let out = response.headers_mut();
        out.insert(
            header::CONTENT_RANGE,
            value(&format!("bytes {}-{}/{size}", range.start, range.end - 1)),
        );
        out.insert(header::CONTENT_LENGTH, value(&(range.end - range.start).to_string()));
    } else {
        out.insert(header::CONTENT_LENGTH, value(&size.to_string()));
    }
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, value(&served.content_type));
    out.insert(header::ETAG, value(&etag));
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    // access can end (a deleted file, later a deleted message): revalidate on each use
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    out.insert(
        header::CONTENT_DISPOSITION,
        value(&disposition(&served.name, &served.content_type)),
    );
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // opened directly, a file can run nothing and load nothing
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(response)
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// `inline` for pictures, video and sound (safe to show), `attachment` for everything else;
/// the name as ASCII for old clients and in full as RFC 8187 `filename*`.
pub fn disposition(name: &str, content_type: &str) -> String {
    let shown = ["image/", "video/", "audio/"]
        .iter()
        .any(|kind| content_type.starts_with(kind));
    let kind = if shown { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        // RFC 8187 attr-char
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_quote_nothing_they_should_not() {
        assert_eq!(
            disposition("отчёт 1.pdf", "application/pdf"),
            "attachment; filename=\"_____ 1.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%201.pdf"
        );
        assert_eq!(
            disposition("a\"b\\c;.png", "image/png"),
            "inline; filename=\"a_b_c;.png\"; filename*=UTF-8''a%22b%5Cc%3B.png"
        );
    }
}
