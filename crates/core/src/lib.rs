//! The service kit: what every Hybrid service shares — the error shape, JSON and auth
//! extractors, access-token verification, the config schema, the [`Module`] trait and the
//! internal APIs modules offer each other.

pub mod api;
pub mod config;
mod error;
mod extract;
pub mod http;
pub mod json;
pub mod module;
pub mod text;
mod token;
mod token_follow;
pub mod trace_context;

pub use config::Config;
pub use error::{ApiError, ApiResult, ErrorBody, ErrorDetail};
pub use extract::{Path, Query};
pub use http::{AuthUser, ClientInfo, HttpShared};
pub use json::Json;
pub use module::{InternalApis, Module, ModuleContext, Shutdown, Started};
pub use token::{AccessClaims, TokenVerifier};
pub use token_follow::{TOKEN_RELOAD, TokenFollower};

pub use hybrid_bus as bus;
pub use hybrid_state as state;
pub use hybrid_store as store;
pub use hybrid_store::time::now_ms;
