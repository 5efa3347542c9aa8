//! The auth service's contract: [`TokenAuthority`], what every process needs to verify access
//! tokens itself, and the [`TokenFollower`] each process runs to keep its verifier current. In
//! one process the auth module's implementation is called directly; across processes [`GRPC`]
//! serves it and builds the client that stands in for it.

mod follow;
mod grpc;

use futures::future::BoxFuture;
use hybrid_core::bus::{Control, Topic};
use hybrid_core::{ApiError, GrpcApi};

pub use follow::{TOKEN_RELOAD, TokenFollower};

/// Generated messages, server and client of `proto/hybrid/auth/v1/auth.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.auth.v1");
}

/// How the token authority is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    services: &["hybrid.auth.v1.TokenAuthority"],
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
    /// Of `session_ids`, those still signed in (neither revoked nor expired): what a service
    /// that keeps something per device (a push subscription) asks before it uses it.
    fn live_sessions(&self, session_ids: Vec<i64>) -> BoxFuture<'_, Result<Vec<i64>, ApiError>>;
}

/// The topic auth announces session revocations on, each as a [`Revoked`] control: every
/// process's [`TokenFollower`] refuses the session's tokens from then on, and realtime nodes
/// close its sockets.
pub const REVOCATIONS: Topic = Topic::new("sessions", 0);

/// A session that was signed out (logout, revocation, password change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoked {
    pub user_id: i64,
    pub session_id: i64,
}

impl Revoked {
    pub fn control(self) -> Control {
        Control::new(format!("revoked:{}:{}", self.user_id, self.session_id))
    }

    /// The revocation a control carries, if it is one.
    pub fn read(control: &Control) -> Option<Revoked> {
        let rest = control.as_str().strip_prefix("revoked:")?;
        let (user_id, session_id) = rest.split_once(':')?;
        Some(Revoked {
            user_id: user_id.parse().ok()?,
            session_id: session_id.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocations_round_trip_and_nothing_else_reads_as_one() {
        let revoked = Revoked {
            user_id: 3,
            session_id: 9,
        };
        assert_eq!(Revoked::read(&revoked.control()), Some(revoked));
        for other in ["revoked:3", "revoked:3:9:1", "joined:3:9", "resync"] {
            assert_eq!(Revoked::read(&Control::new(other)), None, "{other}");
        }
    }
}
