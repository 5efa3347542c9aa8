//! Resumable uploads over the tus 1.0.0 protocol (https://tus.io/protocols/resumable-upload),
//! with its creation, termination and expiration extensions, so standard clients
//! (tus-js-client, Uppy) work. The handlers only translate headers; `uploads.rs` holds the
//! logic. A finished upload names its file in `Hybrid-File-Id`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hybrid_core::{ApiError, ApiResult, AuthUser, Code, ErrorBody, Path};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::api::FilesCode;
use crate::service::{Files, drain};
use crate::store::UploadRow;

type Svc = State<Arc<Files>>;

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,termination,expiration";
/// The content type of a `PATCH`'s bytes.
const OFFSET_STREAM: &str = "application/offset+octet-stream";
/// Where uploads live, as `Location` gives it.
const BASE: &str = "/api/v1/files/uploads";

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION: HeaderName = HeaderName::from_static("tus-version");
const TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
const TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
const FILE_ID: HeaderName = HeaderName::from_static("hybrid-file-id");

pub fn routes(service: Arc<Files>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(capabilities, create_upload))
        // a PATCH's size is checked as it streams, against the upload's length
        .routes(routes!(upload_offset, append, cancel).layer(DefaultBodyLimit::disable()))
        .layer(axum::middleware::from_fn(protocol))
        .with_state(service)
}

/// Every answer says the protocol's version; every request but `OPTIONS` must speak it.
async fn protocol(request: Request, next: Next) -> Response {
    let speaks = request.headers().get(&TUS_RESUMABLE).is_some_and(|v| v == VERSION);
    let mut response = if speaks || request.method() == Method::OPTIONS {
        next.run(request).await
    } else {
        let message = format!("send `Tus-Resumable: {VERSION}`: this server speaks tus {VERSION}");
        let mut response = ApiError::new(FilesCode::TusVersion, message).into_response();
        response
            .headers_mut()
            .insert(TUS_VERSION, HeaderValue::from_static(VERSION));
        response
    };
    response
        .headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(VERSION));
    response
}

/// tus discovery: the version, extensions and largest upload this server takes.
#[utoipa::path(options, path = "/files/uploads", tag = "files",
    responses((status = 204, headers(("Tus-Version" = String), ("Tus-Extension" = String), ("Tus-Max-Size" = i64)))))]
async fn capabilities(State(files): Svc) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    out.insert(TUS_VERSION, HeaderValue::from_static(VERSION));
    out.insert(TUS_EXTENSION, HeaderValue::from_static(EXTENSIONS));
    out.insert(TUS_MAX_SIZE, HeaderValue::from(files.config.max_file_bytes));
    response
}

/// Starts a resumable upload (tus creation) of `Upload-Length` bytes, named by the
/// `filename` of `Upload-Metadata`. Refused at once past the size limit or the quota, which
/// it reserves until it ends. Append with `PATCH` at `Location`.
#[utoipa::path(post, path = "/files/uploads", tag = "files", security(("bearer" = [])),
    params(("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Length" = i64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = Option<String>, Header,
            description = "Comma-separated `key base64(value)` pairs; `filename` names the file")),
    responses((status = 201, headers(("Location" = String), ("Upload-Expires" = String))),
        (status = 400, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_upload(State(files): Svc, me: AuthUser, headers: HeaderMap) -> ApiResult<Response> {
    let length = number(&headers, &UPLOAD_LENGTH).ok_or_else(|| {
        ApiError::bad_request("Upload-Length must give the file's size in bytes (Upload-Defer-Length is not supported)")
    })?;
    let metadata = headers.get(&UPLOAD_METADATA).map(|v| v.to_str().unwrap_or("\u{0}"));
    let name = metadata.map(file_name).transpose()?.flatten();
    let upload = files.create_upload(me.user_id, name.as_deref(), length).await?;
    let mut response = state(StatusCode::CREATED, &upload);
    response
        .headers_mut()
        .insert(header::LOCATION, text(&format!("{BASE}/{}", upload.id)));
    Ok(response)
}

/// Where an upload stands: `Upload-Offset` is the bytes stored durably, the place to resume
/// from; `Hybrid-File-Id` once it is complete.
#[utoipa::path(head, path = "/files/uploads/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses((status = 200, headers(("Upload-Offset" = i64), ("Upload-Length" = i64), ("Upload-Expires" = String),
            ("Hybrid-File-Id" = Option<i64>))),
        (status = 404), (status = 410), (status = 412)))]
async fn upload_offset(State(files): Svc, me: AuthUser, Path(id): Path<String>) -> ApiResult<Response> {
    let upload = files.upload_state(me.user_id, &id).await?;
    let mut response = state(StatusCode::OK, &upload);
    let out = response.headers_mut();
    out.insert(UPLOAD_LENGTH, HeaderValue::from(upload.length));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Appends the body to the upload from `Upload-Offset`, which must be where it stands (409
/// otherwise). Bytes that arrive are kept even if the request breaks off; the last of them
/// completes the file (`Hybrid-File-Id`).
#[utoipa::path(patch, path = "/files/uploads/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Offset" = i64, Header, description = "Where these bytes go")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 204, headers(("Upload-Offset" = i64), ("Upload-Expires" = String), ("Hybrid-File-Id" = Option<i64>))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 412, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 423, body = ErrorBody)))]
async fn append(
    State(files): Svc,
    me: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let mut bytes = body.into_data_stream();
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let refused = if content_type != Some(OFFSET_STREAM) {
        Some(ApiError::new(
            Code::UnsupportedMediaType,
            format!("send the bytes as `Content-Type: {OFFSET_STREAM}`"),
        ))
    } else {
        None
    };
    let offset = number(&headers, &UPLOAD_OFFSET);
    let (Some(offset), None) = (offset, &refused) else {
        drain(&mut bytes).await;
        return Err(refused.unwrap_or_else(|| ApiError::bad_request("Upload-Offset must say where these bytes go")));
    };
    // Its own task: when the client goes away hyper drops this handler, but the bytes that
    // came must still be stored (the tail past the last part) and the lease given back.
    let appending = tokio::spawn(async move { files.append(me.user_id, &id, offset, bytes).await });
    let upload = appending
        .await
        .map_err(|e| ApiError::internal(format!("appending to an upload: {e}")))??;
    Ok(state(StatusCode::NO_CONTENT, &upload))
}

/// Ends an upload (tus termination): an unfinished one's bytes are dropped and its quota
/// freed; a finished one's file stays.
#[utoipa::path(delete, path = "/files/uploads/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody),
        (status = 412, body = ErrorBody), (status = 423, body = ErrorBody)))]
async fn cancel(State(files): Svc, me: AuthUser, Path(id): Path<String>) -> ApiResult<StatusCode> {
    files.cancel_upload(me.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An answer with the upload's offset, expiry and (once complete) file.
fn state(status: StatusCode, upload: &UploadRow) -> Response {
    let mut response = status.into_response();
    let out = response.headers_mut();
    out.insert(UPLOAD_OFFSET, HeaderValue::from(upload.received));
    let expires = SystemTime::UNIX_EPOCH + Duration::from_millis(upload.expires_at.max(0) as u64);
    out.insert(UPLOAD_EXPIRES, text(&httpdate::fmt_http_date(expires)));
    if let Some(file_id) = upload.file_id {
        out.insert(FILE_ID, HeaderValue::from(file_id));
    }
    response
}

fn number(headers: &HeaderMap, name: &HeaderName) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn text(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The `filename` (or `name`) of an `Upload-Metadata` header: comma-separated pairs of a
/// key and its base64 value (or a lone key). 400 when it is malformed.
fn file_name(metadata: &str) -> ApiResult<Option<String>> {
    let malformed = || ApiError::bad_request("Upload-Metadata must be comma-separated `key base64(value)` pairs");
    let mut found = None;
    for pair in metadata.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(malformed());
        }
        let value = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| malformed())?;
        if key == "filename" || (key == "name" && found.is_none()) {
            found = Some(String::from_utf8(value).map_err(|_| malformed())?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_yields_the_file_name_as_the_spec_writes_it() {
        // the tus 1.0.0 specification's own example
        let spec = "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential";
        assert_eq!(file_name(spec).unwrap().as_deref(), Some("world_domination_plan.pdf"));
        assert_eq!(
            file_name("name 0L7RgtGH0ZHRgi5wZGY=").unwrap().as_deref(),
            Some("отчёт.pdf")
        );
        assert_eq!(file_name("type aW1hZ2UvcG5n").unwrap(), None);
        assert_eq!(file_name("").unwrap(), None);
        for malformed in ["filename not-base64!", "filename /w==", " x y z", "\u{0}"] {
            assert!(file_name(malformed).is_err(), "{malformed:?}");
        }
    }
}

/// `Upload-Metadata` from arbitrary headers (proptest): never a panic, and a name written as
/// the specification says reads back as written.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_metadata_parses_without_panic(header in ".{0,80}") {
            let _ = file_name(&header);
        }

        #[test]
        fn an_encoded_name_reads_back(name in ".{0,60}", other in "[a-z_]{1,10}") {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&name);
            let header = format!("{other} eA==,filename {encoded}");
            prop_assert_eq!(file_name(&header).unwrap(), Some(name));
        }
    }
}
