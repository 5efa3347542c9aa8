//! Shared ephemeral state: attempt budgets (login throttling, rate limits), presence and
//! typing. In memory for one process ([`MemoryState`]); in Redis ([`RedisState`]) when several
//! processes must agree. Nothing here is durable data: losing it forgets who is online and
//! resets counters, nothing more.

mod memory;
mod redis;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub use memory::MemoryState;
pub use redis::{RedisConfig, RedisState};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
#[error("shared state unavailable: {0}")]
pub struct StateError(pub String);

/// The outcome of taking from attempt budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// One attempt was taken from every budget.
    Taken,
    /// A budget is spent: nothing was taken; try again after this many seconds.
    Spent { retry_after_secs: u64 },
}

pub trait SharedState: Send + Sync + 'static {
    /// Takes one attempt from each `(key, limit)` budget, all or none. Budgets count in fixed
    /// windows that start at a key's first attempt.
    fn take<'a>(&'a self, budgets: &'a [(&'a str, u32)], window: Duration)
    -> BoxFuture<'a, Result<Budget, StateError>>;
    /// Gives one attempt back to each key (the attempt was not a failure).
    fn refund<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<(), StateError>>;
    /// Forgets a key's attempts.
    fn clear<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StateError>>;
    /// Sets `key` for `ttl` unless it is set; true when this call set it.
    fn set_once<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StateError>>;
    /// Sets `key` for `ttl` from now, set or not (`Some`), or unsets it (`None`). The same flags
    /// as [`SharedState::set_once`]'s.
    fn flag<'a>(&'a self, key: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StateError>>;
    /// Whether `key` is set now.
    fn flagged<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StateError>>;
    /// This process holds sockets of `user_id` (until `ttl` unless refreshed). True when no
    /// process held any before: the user just came online.
    fn presence_join(&self, user_id: i64, ttl: Duration) -> BoxFuture<'_, Result<bool, StateError>>;
    /// This process holds no more sockets of `user_id`. True when no process holds any: the
    /// user just went offline.
    fn presence_leave(&self, user_id: i64) -> BoxFuture<'_, Result<bool, StateError>>;
    /// Extends this process's presence entries (called well within `ttl`, so that users of a
    /// process that died drop offline by themselves).
    fn presence_refresh<'a>(&'a self, user_ids: &'a [i64], ttl: Duration) -> BoxFuture<'a, Result<(), StateError>>;
    /// Which of `user_ids` are online anywhere.
    fn online<'a>(&'a self, user_ids: &'a [i64]) -> BoxFuture<'a, Result<Vec<bool>, StateError>>;
    /// Whether the store can be reached now (for `/readyz`).
    fn check(&self) -> BoxFuture<'_, Result<(), StateError>>;
}

/// Milliseconds to whole seconds, rounding up (a Retry-After of 0 would invite a retry storm).
fn ceil_secs(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}
