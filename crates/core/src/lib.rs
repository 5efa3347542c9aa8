//! The service kit: what every Hybrid service shares — the error shape, JSON and auth
//! extractors, access-token verification, the config schema, the [`Module`] trait and the
//! registry of internal APIs modules offer each other. It names no service: each service's
//! contract lives in its own api crate.

pub mod admin;
pub mod clock_admin;
pub mod config;
mod error;
mod extract;
pub mod http;
pub mod job_board;
pub mod json;
pub mod module;
pub mod named;
pub mod outbox;
pub mod page;
pub mod rate;
pub mod secrets;
pub mod stream;
pub mod sync;
pub mod text;
mod token;
pub mod trace_context;
pub mod worker;

pub use axum::http::StatusCode;
pub use config::Config;
pub use error::{ApiError, ApiResult, Code, CodeDoc, ErrorBody, ErrorCode, ErrorDetail, wait_in_words};
pub use extract::{Path, Query};
pub use http::{AuthUser, ClientInfo, HttpShared};
pub use hybrid_store::Clock;
pub use json::Json;
pub use module::{
    ApiTag, GrpcApi, InternalApis, Module, ModuleContext, PeerLink, Schemas, Shutdown, Started, frame_text, schema_of,
};
pub use page::{Page, page_limit, parse_cursor};
pub use secrets::Secrets;
pub use token::{AccessClaims, TokenVerifier};
pub use worker::Worker;

pub use hybrid_bus as bus;
pub use hybrid_jobs as jobs;
pub use hybrid_outbound as outbound;
pub use hybrid_state as state;
pub use hybrid_store as store;
pub use hybrid_store::time::now_ms;
pub use hybrid_webhooks as webhooks;
