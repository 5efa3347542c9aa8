//! Everything Hybrid sends out over HTTP goes through [`Outbound`]: webhook deliveries now;
//! push, link previews, bot webhooks and AI calls as they arrive. One place enforces:
//! - **public addresses only** ([`address`]): checked on what a name resolves to and on every
//!   redirect, so a user-supplied URL cannot reach the server's own network unless the
//!   operator opened it (`allow_private`, `allow_networks`);
//! - **limits**: a deadline for the whole request, a cap on the answer's size, a cap on
//!   redirects, and no proxy taken from the environment;
//! - **signatures** ([`signature`]): HMAC-SHA256 over the timestamp and body, so receivers
//!   can check where a webhook came from.
//!
//! Retries are not here: a delivery runs as a job, which retries what
//! [`OutboundError::is_transient`] calls transient.

pub mod address;
mod client;
pub mod signature;

pub use address::{AddressPolicy, is_public};
pub use client::{Answer, Outbound, OutboundConfig, OutboundError, tls_config};
