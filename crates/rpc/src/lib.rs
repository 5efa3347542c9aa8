//! The generic machinery of Hybrid's internal APIs across processes. A service's api crate
//! (`hybrid-users-api`, …) holds its contract: the trait, its `.proto`, and the two adapters
//! built from the pieces here — a client that sends each call with [`Call`], and a server added
//! to the process's [`GrpcServer`]. The registry connects a [`link`] per peer.
//!
//! Every call carries the deployment's [`InternalCredential`] and every server refuses calls
//! without it (the health service excepted). Every call has a deadline (`grpc.timeout_ms`, retries included); only idempotent calls are
//! retried, and only when the peer was unavailable. Errors keep their HTTP shape across the
//! hop: a `409 username_taken` raised in the users process is the same `ApiError` in auth.

mod client;
mod credential;
mod error;
mod intern;
mod server;
mod stream;
mod sync;

pub use client::{Call, Idempotent, PeerOptions, link};
pub use credential::InternalCredential;
pub use error::to_status;
pub use server::{DRAIN, GrpcServer, reply};
pub use stream::{STREAM_SERVICE, remote_stream, serve_streams};
pub use sync::{SYNC_SERVICE, remote_sync, serve_sync};

/// Generated messages, servers and clients of the platform's own protocols (`proto/`).
mod proto {
    pub mod sync {
        tonic::include_proto!("hybrid.sync.v1");
    }
    pub mod stream {
        tonic::include_proto!("hybrid.stream.v1");
    }
}
