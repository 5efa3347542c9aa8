//! `ApiError` across a gRPC hop. The status code says roughly what happened (for gRPC tools);
//! metadata carries the exact HTTP status, code, field and Retry-After, so the caller rebuilds
//! the very error the provider raised. A status without that metadata came from the transport:
//! a peer that cannot be reached (or a deadline that passed) is `503 unavailable`, anything else
//! (a method the peer lacks, a reply that does not decode) is `502 bad_gateway`.

use http::StatusCode;
use hybrid_core::{ApiError, Code as ApiCode};
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Code, Status};

use crate::intern::Vocabulary;

const HTTP_STATUS: &str = "hybrid-http-status";
const ERROR_CODE: &str = "hybrid-error-code";
const ERROR_FIELD: &str = "hybrid-error-field";
const RETRY_AFTER: &str = "hybrid-retry-after";

pub fn to_status(err: ApiError) -> Status {
    let code = match err.status.as_u16() {
        400 | 422 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::AlreadyExists,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        504 => Code::DeadlineExceeded,
        _ => Code::Internal,
    };
    let mut metadata = MetadataMap::new();
    metadata.insert(HTTP_STATUS, MetadataValue::from(err.status.as_u16()));
    if let Ok(value) = err.code.parse() {
        metadata.insert(ERROR_CODE, value);
    }
    if let Some(field) = err.field.as_deref().and_then(|f| f.parse().ok()) {
        metadata.insert(ERROR_FIELD, field);
    }
    if let Some(seconds) = err.retry_after {
        metadata.insert(RETRY_AFTER, MetadataValue::from(seconds));
    }
    Status::with_metadata(code, err.message.into_owned(), metadata)
}

/// Whether the provider raised `status` (rather than the transport or a deadline).
pub fn raised_by_provider(status: &Status) -> bool {
    status.metadata().get(HTTP_STATUS).is_some()
}

/// Whether the call may not have reached a provider able to answer: the peer was unavailable
/// (or said so itself), or the connection failed under it (`Unknown`: what a connection cut
/// or refused mid-handshake reads as). An idempotent call is worth sending again.
pub fn unreachable(status: &Status) -> bool {
    match status.code() {
        Code::Unavailable => true,
        Code::Unknown => !raised_by_provider(status),
        _ => false,
    }
}

/// The error a call to `service` ended with.
pub fn from_status(service: &str, status: &Status) -> ApiError {
    let metadata = status.metadata();
    let text = |key: &str| metadata.get(key).and_then(|v| v.to_str().ok());
    let Some(http) = text(HTTP_STATUS)
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
    else {
        return if unreachable(status) {
            ApiError::unavailable(format!("the {service} service is unreachable: {}", status.message()))
        } else if status.code() == Code::Unauthenticated {
            // the server's credential guard: the processes do not share one master key
            tracing::error!(
                service,
                "a peer refused this process's internal credential: set the same secrets.master_key in every process"
            );
            ApiError::new(
                ApiCode::BadGateway,
                format!("the {service} service refused this process's internal credential"),
            )
        } else {
            let code = status.code();
            tracing::error!(service, ?code, message = status.message(), "an internal call failed");
            ApiError::new(
                ApiCode::BadGateway,
                format!("the {service} service could not answer the call"),
            )
        };
    };
    let mut err = ApiError::raw(
        http,
        intern(text(ERROR_CODE).unwrap_or("remote_error")),
        status.message().to_owned(),
    );
    if let Some(field) = text(ERROR_FIELD) {
        err = err.with_field(field);
    }
    if let Some(seconds) = text(RETRY_AFTER).and_then(|s| s.parse().ok()) {
        err = err.with_retry_after(seconds);
    }
    err
}

/// `ApiError::code` is `&'static str`: the codes peers send.
fn intern(code: &str) -> &'static str {
    static CODES: Vocabulary = Vocabulary::new(128, "remote_error");
    CODES.intern(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    hybrid_core::error_codes! {
        enum TestCode {
            /// A code only this test knows.
            UsernameTaken = (CONFLICT, "username_taken"),
        }
    }

    #[test]
    fn an_error_crosses_the_hop_unchanged() {
        let sent = ApiError::new(TestCode::UsernameTaken, "that username is taken")
            .with_field("username")
            .with_retry_after(7);
        let status = to_status(sent.clone());
        assert_eq!(status.code(), Code::AlreadyExists);
        let got = from_status("directory", &status);
        assert_eq!(got.status, sent.status);
        assert_eq!(got.code, "username_taken");
        assert_eq!(got.message, sent.message);
        assert_eq!(got.field.as_deref(), Some("username"));
        assert_eq!(got.retry_after, Some(7));
    }

    #[test]
    fn a_transport_failure_is_unavailable() {
        let got = from_status("membership", &Status::unavailable("tcp connect error"));
        assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            got.message.contains("the membership service is unreachable"),
            "{}",
            got.message
        );
    }

    #[test]
    fn a_peer_that_cannot_serve_the_call_is_a_bad_gateway() {
        for status in [
            Status::unimplemented("unknown method"),
            Status::internal("failed to decode the reply"),
            Status::data_loss("truncated"),
        ] {
            let got = from_status("directory", &status);
            assert_eq!(got.status, StatusCode::BAD_GATEWAY, "{status:?}");
            assert_eq!(got.code, "bad_gateway");
        }
    }
}
