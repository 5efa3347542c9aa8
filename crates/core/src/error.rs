//! The one error shape of the HTTP API:
//!
//! ```json
//! {"error": {"code": "validation_failed", "message": "must be 3 to 32 characters", "field": "username"}}
//! ```
//!
//! `code` is stable and meant for programs; `message` is for people; `field` names the input
//! at fault where there is one. Codes are enums: [`Code`] holds those every service shares, and
//! each service declares its own with [`error_codes!`] and lists them in
//! [`Module::error_codes`](crate::Module::error_codes), so the OpenAPI document names every code
//! (`ErrorCode`) and programs compare codes with [`ApiError::is`], not strings.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hybrid_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Cow<'static, str>,
    pub field: Option<String>,
    /// Seconds, sent as `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `not_found`.
    #[schema(value_type = ErrorCodeName)]
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A stable error code and the HTTP status it comes with. Services declare theirs with
/// [`error_codes!`].
pub trait ErrorCode: Copy + Send + Sync + 'static {
    fn as_str(self) -> &'static str;
    fn status(self) -> StatusCode;
}

/// An error code as the API reference lists it.
#[derive(Debug, Clone, Copy)]
pub struct CodeDoc {
    pub code: &'static str,
    pub status: u16,
    pub description: &'static str,
}

/// Stands for the `ErrorCode` schema the binary assembles from every module's codes.
#[derive(utoipa::ToSchema)]
#[schema(as = ErrorCode)]
#[allow(dead_code)]
pub struct ErrorCodeName(String);

/// Declares a service's error codes: an enum implementing [`ErrorCode`], with `ALL` listing
/// them for the API reference (return it from [`Module::error_codes`](crate::Module::error_codes)).
///
/// ```ignore
/// hybrid_core::error_codes! {
///     /// Errors of the chats service.
///     pub enum ChatsCode {
///         /// The chat holds as many members as it may.
///         ChatFull = (CONFLICT, "chat_full"),
///     }
/// }
/// ```
#[macro_export]
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = ($status:ident, $code:literal) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[doc = $doc])* $variant ),*
        }

        impl $crate::ErrorCode for $name {
            fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $code ),* }
            }
            fn status(self) -> $crate::StatusCode {
                match self { $( $name::$variant => $crate::StatusCode::$status ),* }
            }
        }

        impl $name {
            /// Every code, for the API reference.
            pub const ALL: &'static [$crate::CodeDoc] = &[
                $( $crate::CodeDoc {
                    code: $code,
                    status: $crate::StatusCode::$status.as_u16(),
                    description: concat!($($doc),*),
                } ),*
            ];
        }
    };
}

error_codes! {
    /// The codes every service may answer with.
    pub enum Code {
        /// A well-formed request whose `field` breaks a rule.
        ValidationFailed = (UNPROCESSABLE_ENTITY, "validation_failed"),
        /// The request makes no sense as sent.
        BadRequest = (BAD_REQUEST, "bad_request"),
        /// The body is not the JSON the endpoint takes.
        InvalidJson = (BAD_REQUEST, "invalid_json"),
        /// A path segment is not what the endpoint takes.
        InvalidPath = (BAD_REQUEST, "invalid_path"),
        /// The query string is not what the endpoint takes.
        InvalidQuery = (BAD_REQUEST, "invalid_query"),
        /// Send `Content-Type: application/json`.
        UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        /// The body is over the endpoint's limit.
        PayloadTooLarge = (PAYLOAD_TOO_LARGE, "payload_too_large"),
        /// The endpoint exists, with other methods.
        MethodNotAllowed = (METHOD_NOT_ALLOWED, "method_not_allowed"),
        /// No access token was sent.
        Unauthorized = (UNAUTHORIZED, "unauthorized"),
        /// The access token is not valid: log in again.
        InvalidToken = (UNAUTHORIZED, "invalid_token"),
        /// The access token has expired: refresh it.
        TokenExpired = (UNAUTHORIZED, "token_expired"),
        /// The session was signed out: log in again.
        SessionRevoked = (UNAUTHORIZED, "session_revoked"),
        /// The caller may not do this.
        Forbidden = (FORBIDDEN, "forbidden"),
        /// No such thing, or the caller may not know it exists.
        NotFound = (NOT_FOUND, "not_found"),
        /// This conflicts with existing data.
        Conflict = (CONFLICT, "conflict"),
        /// Too many requests or attempts: wait `Retry-After` seconds.
        TooManyRequests = (TOO_MANY_REQUESTS, "too_many_requests"),
        /// Over a rate limit: wait `Retry-After` seconds.
        RateLimited = (TOO_MANY_REQUESTS, "rate_limited"),
        /// The server is busy: retry after `Retry-After` seconds.
        Busy = (SERVICE_UNAVAILABLE, "busy"),
        /// A backend is unavailable: retry after `Retry-After` seconds.
        Unavailable = (SERVICE_UNAVAILABLE, "unavailable"),
        /// Another process of Hybrid failed to answer.
        BadGateway = (BAD_GATEWAY, "bad_gateway"),
        /// A failure the client can do nothing about.
        Internal = (INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// A wait as people say it: seconds under a minute, else whole minutes (rounded up).
pub fn wait_in_words(secs: u64) -> String {
    match secs {
        0..=1 => "1 second".to_owned(),
        2..=59 => format!("{secs} seconds"),
        60 => "1 minute".to_owned(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

impl ApiError {
    pub fn new(code: impl ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::raw(code.status(), code.as_str(), message)
    }

    /// An error with a code as it came from another process (`hybrid-rpc`).
    pub fn raw(status: StatusCode, code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Whether this error has `code`.
    pub fn is(&self, code: impl ErrorCode) -> bool {
        self.code == code.as_str()
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// 422: a well-formed request whose `field` breaks a rule.
    pub fn validation(field: &str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::ValidationFailed, message).with_field(field)
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::BadRequest, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Forbidden, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self::new(
            Code::TooManyRequests,
            format!("too many attempts; try again in {}", wait_in_words(retry_after)),
        )
        .with_retry_after(retry_after)
    }

    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::Unavailable, message).with_retry_after(1)
    }

    /// 500 for a failure the client can do nothing about. The detail goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(Code::Internal, "internal server error")
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Busy => ApiError::new(Code::Busy, "the server is busy, retry shortly").with_retry_after(1),
            StoreError::Unavailable => ApiError::unavailable("the database is unavailable"),
            StoreError::UniqueViolation(_) => ApiError::new(Code::Conflict, "this conflicts with existing data"),
            other => ApiError::internal(other),
        }
    }
}

impl From<hybrid_state::StateError> for ApiError {
    fn from(err: hybrid_state::StateError) -> Self {
        tracing::warn!(error = %err, "shared state unavailable");
        ApiError::unavailable("shared state (Redis) is unavailable, retry shortly")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.into_owned(),
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::new(Code::InvalidPath, rejection.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::new(Code::InvalidQuery, rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_in_minutes_past_a_minute() {
        let words: Vec<String> = [1, 45, 60, 61, 897, 900].into_iter().map(wait_in_words).collect();
        assert_eq!(
            words,
            [
                "1 second",
                "45 seconds",
                "1 minute",
                "2 minutes",
                "15 minutes",
                "15 minutes"
            ]
        );
    }

    #[test]
    fn busy_store_is_503_with_retry_after() {
        let response = ApiError::from(StoreError::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        let unique = ApiError::from(StoreError::UniqueViolation(None));
        assert_eq!((unique.status, unique.code), (StatusCode::CONFLICT, "conflict"));
        assert!(unique.is(Code::Conflict) && !unique.is(Code::NotFound));
    }

    #[test]
    fn declared_codes_carry_their_status_and_description() {
        let doc = Code::ALL.iter().find(|c| c.code == "session_revoked").unwrap();
        assert_eq!(doc.status, 401);
        assert_eq!(doc.description.trim(), "The session was signed out: log in again.");
        assert_eq!(Code::ALL.len(), 21);
        assert_eq!(Code::RateLimited.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn field_is_omitted_when_absent() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: "x".into(),
                message: "y".into(),
                field: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":{"code":"x","message":"y"}}"#
        );
    }
}
