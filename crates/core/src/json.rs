//! `Json<T>` that reports bad bodies in the API's error shape, naming the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ApiError, Code};

/// Request and response JSON. As an extractor it needs `Content-Type: application/json`,
/// respects the body limit (413), and answers 400 for broken JSON and 422 for a body of the
/// wrong shape, with the path of the offending field.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                "expected a body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(Code::PayloadTooLarge, "the request body is too large")
            } else {
                ApiError::bad_request(rejection.body_text())
            }
        })?;
        parse(&bytes).map(Json)
    }
}

/// Deserialises a JSON body, mapping serde's errors onto the API error shape. Strict: the body
/// is one JSON object (every request body of the API is one; serde would otherwise read a
/// struct from an array, field by position) and nothing follows it.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(Code::InvalidJson, format!("malformed JSON: {inner}"))
        } else {
            let field = if path == "." { None } else { Some(path) };
            let error = ApiError::new(Code::ValidationFailed, inner.to_string());
            match field {
                Some(field) => error.with_field(field),
                None => error,
            }
        }
    })?;
    de.end().map_err(|err| {
        ApiError::new(
            Code::InvalidJson,
            format!("malformed JSON: {err} (one JSON value per body)"),
        )
    })?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let message = "the body must be a JSON object";
        return Err(ApiError::new(Code::ValidationFailed, message));
    }
    Ok(value)
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
