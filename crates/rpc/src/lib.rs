//! Hybrid's internal APIs across processes. A service that needs a synchronous answer from
//! another asks through a trait of `hybrid_core::api`; when the provider runs in the same
//! process that is a direct call, otherwise it is the gRPC client here, and the provider's
//! process serves it with [`serve`]. The `.proto` files live in `proto/` at the repository root.
//!
//! Every call has a deadline (`grpc.timeout_ms`, retries included); only idempotent calls are
//! retried, and only when the peer was unavailable. Errors keep their HTTP shape across the
//! hop: a `409 username_taken` raised in the users process is the same `ApiError` in auth.

mod client;
mod convert;
mod error;
mod server;

pub use client::{PeerOptions, provide_peer};
pub use server::{DRAIN, GrpcServer, served_apis};

/// Generated messages, servers and clients.
pub mod proto {
    pub mod users {
        tonic::include_proto!("hybrid.users.v1");
    }
    pub mod chats {
        tonic::include_proto!("hybrid.chats.v1");
    }
    pub mod auth {
        tonic::include_proto!("hybrid.auth.v1");
    }
}
