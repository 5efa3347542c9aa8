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

/// Properties of the body parser (proptest, 512 cases each): any bytes get a 400 or a 422,
/// never a panic or a 5xx, and any value of a request type reads back as itself.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Body {
        title: String,
        count: Option<i64>,
        tags: Vec<String>,
        nested: Nested,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Nested {
        on: bool,
        ratio: f32,
    }

    fn body() -> impl Strategy<Value = Body> {
        (
            any::<String>(),
            any::<Option<i64>>(),
            prop::collection::vec(any::<String>(), 0..4),
            any::<bool>(),
            -1e6f32..1e6,
        )
            .prop_map(|(title, count, tags, on, ratio)| Body {
                title,
                count,
                tags,
                nested: Nested { on, ratio },
            })
    }

    fn refused_cleanly(result: Result<Body, ApiError>) -> Result<(), TestCaseError> {
        if let Err(err) = result {
            prop_assert!(
                err.is(Code::InvalidJson) || err.is(Code::ValidationFailed),
                "{} {}",
                err.code,
                err.message
            );
            prop_assert!(!err.message.is_empty());
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_bytes_are_a_clear_client_error(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            refused_cleanly(parse::<Body>(&bytes))?;
        }

        #[test]
        fn any_json_is_a_clear_client_error(text in r#"[{}\[\]",:0-9a-z \\.eE+-]{0,80}"#) {
            refused_cleanly(parse::<Body>(text.as_bytes()))?;
        }

        #[test]
        fn request_bodies_read_back_as_written(value in body()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            prop_assert_eq!(parse::<Body>(&bytes).unwrap(), value.clone());
            // anything after the one object is refused
            let mut trailing = bytes.clone();
            trailing.extend_from_slice(b" {}");
            let err = parse::<Body>(&trailing).unwrap_err();
            prop_assert!(err.is(Code::InvalidJson), "{}", err.message);
            // a field of the wrong type names its path
            let mut wrong = serde_json::to_value(&value).unwrap();
            wrong["nested"]["on"] = serde_json::json!("yes");
            let err = parse::<Body>(&serde_json::to_vec(&wrong).unwrap()).unwrap_err();
            prop_assert!(err.is(Code::ValidationFailed));
            prop_assert_eq!(err.field.as_deref(), Some("nested.on"));
        }
    }
}
