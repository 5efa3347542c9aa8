//! The Bot API's answers, as Telegram's server gives them: `{"ok": true, "result": …}`, or
//! `{"ok": false, "error_code": N, "description": "…"}` with HTTP status N. Libraries branch
//! on the status and on the description's prefix ("Bad Request: …", "Forbidden: …"); a 429
//! carries `parameters.retry_after` in whole seconds, the only flood signal they read.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hybrid_core::ApiError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

pub type BotResult<T> = Result<T, BotError>;

impl BotError {
    fn new(code: u16, description: String) -> Self {
        BotError {
            code,
            description,
            retry_after: None,
        }
    }

    /// 400: the call cannot be done as asked (what Telegram answers for anything not found
    /// inside a method, too).
    pub fn bad_request(what: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Bad Request: {what}"))
    }

    pub fn forbidden(what: impl std::fmt::Display) -> Self {
        Self::new(403, format!("Forbidden: {what}"))
    }

    pub fn conflict(what: impl std::fmt::Display) -> Self {
        Self::new(409, format!("Conflict: {what}"))
    }

    /// 401: only for a token that names no bot.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized".into())
    }

    /// 404: only for a method that does not exist.
    pub fn unknown_method() -> Self {
        Self::new(404, "Not Found".into())
    }

    pub fn too_large() -> Self {
        Self::new(413, "Request Entity Too Large".into())
    }

    pub fn flood(retry_after: u64) -> Self {
        let retry_after = retry_after.max(1);
        BotError {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }

    /// "chat not found": Telegram's answer for a chat the bot is not in, or that does not exist.
    pub fn chat_not_found() -> Self {
        Self::bad_request("chat not found")
    }
}

/// An error of Hybrid's own API, met inside a method, in the Bot API's terms. Callers that know
/// better (a missing message is "message to edit not found") map 404s themselves first.
impl From<ApiError> for BotError {
    fn from(err: ApiError) -> Self {
        match err.status {
            StatusCode::TOO_MANY_REQUESTS => BotError::flood(err.retry_after.unwrap_or(1)),
            StatusCode::FORBIDDEN => BotError::forbidden(err.message),
            StatusCode::UNPROCESSABLE_ENTITY => match err.field {
                Some(field) => BotError::bad_request(format!("{field}: {}", err.message)),
                None => BotError::bad_request(err.message),
            },
            status if status.is_server_error() => BotError::new(
                status.as_u16().max(500),
                format!("Internal Server Error: {}", err.message),
            ),
            _ => BotError::bad_request(err.message),
        }
    }
}

#[derive(Serialize)]
struct Failure<'a> {
    ok: bool,
    error_code: u16,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<Parameters>,
}

#[derive(Serialize)]
struct Parameters {
    retry_after: u64,
}

impl IntoResponse for BotError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = Failure {
            ok: false,
            error_code: self.code,
            description: &self.description,
            parameters: self.retry_after.map(|retry_after| Parameters { retry_after }),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A successful answer.
pub fn ok<T: Serialize>(result: T) -> Response {
    #[derive(Serialize)]
    struct Success<T> {
        ok: bool,
        result: T,
    }
    axum::Json(Success { ok: true, result }).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_errors_read_as_telegrams() {
        let flood = BotError::from(ApiError::too_many_requests(7));
        assert_eq!((flood.code, flood.retry_after), (429, Some(7)));
        assert_eq!(flood.description, "Too Many Requests: retry after 7");
        let forbidden = BotError::from(ApiError::forbidden("this user does not accept your messages"));
        assert_eq!(
            forbidden.description,
            "Forbidden: this user does not accept your messages"
        );
        let invalid = BotError::from(ApiError::validation("text", "must be at most 4096 UTF-16 code units"));
        assert_eq!(
            (invalid.code, invalid.description.as_str()),
            (400, "Bad Request: text: must be at most 4096 UTF-16 code units")
        );
        let missing = BotError::from(ApiError::not_found("message"));
        assert_eq!(
            (missing.code, missing.description.as_str()),
            (400, "Bad Request: message not found")
        );
    }
}
