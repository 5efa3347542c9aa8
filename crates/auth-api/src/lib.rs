//! The auth service's contract: [`TokenAuthority`], what every process needs to verify access
//! tokens itself, and the [`TokenFollower`] each process runs to keep its verifier current. In
//! one process the auth module's implementation is called directly; across processes [`GRPC`]
//! serves it and builds the client that stands in for it.

mod follow;
mod grpc;

use futures::future::BoxFuture;
use hybrid_core::{ApiError, GrpcApi};

pub use follow::{TOKEN_RELOAD, TokenFollower};

/// Generated messages, server and client of `proto/hybrid/auth/v1/auth.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.auth.v1");
}

/// How the token authority is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    service: "hybrid.auth.v1.TokenAuthority",
    serve: grpc::serve,
    connect: grpc::connect,
};

/// The service that provides [`TokenAuthority`], as `--services` and `peers.*` name it.
pub const SERVICE: &str = "auth";

/// Provided by `auth`: what every process needs to verify access tokens itself.
pub trait TokenAuthority: Send + Sync {
    /// The keys of the JWKS: (key id, raw 32-byte Ed25519 public key).
    fn public_keys(&self) -> BoxFuture<'_, Result<Vec<(String, [u8; 32])>, ApiError>>;
    /// Sessions revoked at or after `since_ms` (Unix milliseconds).
    fn revoked_since(&self, since_ms: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
}
