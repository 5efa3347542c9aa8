//! Shared state for a single process.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::{BoxFuture, Budget, SharedState, StateError, ceil_secs};

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Default)]
pub struct MemoryState {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// key → (expires, count)
    counters: HashMap<String, (Instant, u32)>,
    /// key → expires
    flags: HashMap<String, Instant>,
    online: HashSet<i64>,
}

impl MemoryState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, Result<T, StateError>> {
    Box::pin(std::future::ready(Ok(value)))
}

impl SharedState for MemoryState {
    fn take<'a>(
        &'a self,
        budgets: &'a [(&'a str, u32)],
        window: Duration,
    ) -> BoxFuture<'a, Result<Budget, StateError>> {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.counters.len() >= SWEEP_AT {
            inner.counters.retain(|_, (expires, _)| *expires > now);
        }
        let mut wait = Duration::ZERO;
        for &(key, limit) in budgets {
            if let Some(&(expires, used)) = inner.counters.get(key)
                && expires > now
                && used >= limit.max(1)
            {
                wait = wait.max(expires - now);
            }
        }
        if !wait.is_zero() {
            return ready(Budget::Spent {
                retry_after_secs: ceil_secs(wait.as_millis() as u64),
            });
        }
        for &(key, _) in budgets {
            let entry = inner.counters.entry(key.to_owned()).or_insert((now + window, 0));
            if entry.0 <= now {
                *entry = (now + window, 0);
            }
            entry.1 += 1;
        }
        ready(Budget::Taken)
    }

    fn refund<'a>(&'a self, keys: &'a [&'a str]) -> BoxFuture<'a, Result<(), StateError>> {
        let mut inner = self.lock();
        for key in keys {
            if let Some(entry) = inner.counters.get_mut(*key) {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
        ready(())
    }

    fn clear<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StateError>> {
        self.lock().counters.remove(key);
        ready(())
    }

    fn set_once<'a>(&'a self, key: &'a str, ttl: Duration) -> BoxFuture<'a, Result<bool, StateError>> {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.flags.len() >= SWEEP_AT {
            inner.flags.retain(|_, expires| *expires > now);
        }
        let set = match inner.flags.get(key) {
            Some(expires) if *expires > now => false,
            _ => {
                inner.flags.insert(key.to_owned(), now + ttl);
                true
            }
        };
        ready(set)
    }

    fn flag<'a>(&'a self, key: &'a str, ttl: Option<Duration>) -> BoxFuture<'a, Result<(), StateError>> {
        let mut inner = self.lock();
        match ttl {
            Some(ttl) => inner.flags.insert(key.to_owned(), Instant::now() + ttl),
            None => inner.flags.remove(key),
        };
        ready(())
    }

    fn flagged<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StateError>> {
        let now = Instant::now();
        ready(self.lock().flags.get(key).is_some_and(|expires| *expires > now))
    }

    fn presence_join(&self, user_id: i64, _ttl: Duration) -> BoxFuture<'_, Result<bool, StateError>> {
        ready(self.lock().online.insert(user_id))
    }

    fn presence_leave(&self, user_id: i64) -> BoxFuture<'_, Result<bool, StateError>> {
        ready(self.lock().online.remove(&user_id))
    }

    fn presence_refresh<'a>(&'a self, _user_ids: &'a [i64], _ttl: Duration) -> BoxFuture<'a, Result<(), StateError>> {
        ready(())
    }

    fn online<'a>(&'a self, user_ids: &'a [i64]) -> BoxFuture<'a, Result<Vec<bool>, StateError>> {
        let inner = self.lock();
        ready(user_ids.iter().map(|id| inner.online.contains(id)).collect())
    }

    fn check(&self) -> BoxFuture<'_, Result<(), StateError>> {
        ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn budgets_are_all_or_none_and_reset_after_the_window() {
        let state = MemoryState::default();
        let window = Duration::from_secs(60);
        assert_eq!(state.take(&[("a", 2), ("b", 1)], window).await.unwrap(), Budget::Taken);
        // b is spent, so a is not charged either
        let spent = state.take(&[("a", 2), ("b", 1)], window).await.unwrap();
        assert_eq!(spent, Budget::Spent { retry_after_secs: 60 });
        assert_eq!(state.take(&[("a", 2)], window).await.unwrap(), Budget::Taken);
        assert!(matches!(
            state.take(&[("a", 2)], window).await.unwrap(),
            Budget::Spent { .. }
        ));
        state.refund(&["a"]).await.unwrap();
        assert_eq!(state.take(&[("a", 2)], window).await.unwrap(), Budget::Taken);
        tokio::time::advance(window).await;
        assert_eq!(state.take(&[("a", 2), ("b", 1)], window).await.unwrap(), Budget::Taken);
        state.clear("b").await.unwrap();
        assert_eq!(state.take(&[("b", 1)], window).await.unwrap(), Budget::Taken);
    }

    #[tokio::test(start_paused = true)]
    async fn set_once_holds_for_its_ttl() {
        let state = MemoryState::default();
        assert!(state.set_once("k", Duration::from_secs(3)).await.unwrap());
        assert!(!state.set_once("k", Duration::from_secs(3)).await.unwrap());
        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(state.set_once("k", Duration::from_secs(3)).await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn a_flag_holds_until_its_ttl_or_until_unset() {
        let state = MemoryState::default();
        assert!(!state.flagged("f").await.unwrap());
        state.flag("f", Some(Duration::from_secs(3))).await.unwrap();
        assert!(state.flagged("f").await.unwrap());
        tokio::time::advance(Duration::from_secs(2)).await;
        state.flag("f", Some(Duration::from_secs(3))).await.unwrap(); // refreshed
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(state.flagged("f").await.unwrap());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(!state.flagged("f").await.unwrap());
        state.flag("f", Some(Duration::from_secs(3))).await.unwrap();
        state.flag("f", None).await.unwrap();
        assert!(!state.flagged("f").await.unwrap());
    }

    #[tokio::test]
    async fn presence_counts_first_and_last() {
        let state = MemoryState::default();
        let ttl = Duration::from_secs(60);
        assert!(state.presence_join(1, ttl).await.unwrap());
        assert!(!state.presence_join(1, ttl).await.unwrap());
        assert_eq!(state.online(&[1, 2]).await.unwrap(), [true, false]);
        assert!(state.presence_leave(1).await.unwrap());
        assert_eq!(state.online(&[1]).await.unwrap(), [false]);
    }
}
