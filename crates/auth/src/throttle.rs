//! Attempt budgets per key (an account, a client address) in fixed windows, kept in the shared
//! state (memory, or Redis so that every process counts together): logins and registrations
//! take an attempt before they start, so parallel requests cannot get past the limit, and
//! successes give theirs back. Past the limit: 429 with Retry-After until the window ends.

use std::sync::Arc;
use std::time::Duration;

use hybrid_core::state::{Budget, SharedState};
use hybrid_core::{ApiError, ApiResult};

pub struct Throttle {
    state: Arc<dyn SharedState>,
    /// Keeps the budgets of different throttles apart in the shared state.
    namespace: &'static str,
    window: Duration,
}

impl Throttle {
    pub fn new(state: Arc<dyn SharedState>, namespace: &'static str, window: Duration) -> Self {
        Throttle {
            state,
            namespace,
            window,
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }

    /// Takes one attempt from each `(key, limit)` budget, or none (429 when any is spent).
    pub async fn begin(&self, budgets: &[(&str, u32)]) -> ApiResult<Vec<String>> {
        let keys: Vec<String> = budgets.iter().map(|(key, _)| self.key(key)).collect();
        let namespaced: Vec<(&str, u32)> = keys.iter().zip(budgets).map(|(k, (_, l))| (k.as_str(), *l)).collect();
        match self.state.take(&namespaced, self.window).await? {
            Budget::Taken => Ok(keys),
            Budget::Spent { retry_after_secs } => Err(ApiError::too_many_requests(retry_after_secs)),
        }
    }

    /// Takes an attempt from each budget, given back when the returned guard drops unless
    /// [`Attempt::failed`] was called: errors that are not the client's fault (a database
    /// outage) cost nothing.
    pub async fn attempt(&self, budgets: &[(&str, u32)]) -> ApiResult<Attempt> {
        let keys = self.begin(budgets).await?;
        Ok(Attempt {
            state: self.state.clone(),
            keys,
            failed: false,
        })
    }

    /// Forgets a key's attempts (a successful login forgives the account's failures).
    pub async fn clear(&self, key: &str) -> ApiResult<()> {
        Ok(self.state.clear(&self.key(key)).await?)
    }
}

pub struct Attempt {
    state: Arc<dyn SharedState>,
    keys: Vec<String>,
    failed: bool,
}

impl Attempt {
    /// Counts this attempt as a failure: it is not given back.
    pub fn failed(mut self) {
        self.failed = true;
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.failed {
            return;
        }
        let state = self.state.clone();
        let keys = std::mem::take(&mut self.keys);
        tokio::spawn(async move {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            if let Err(err) = state.refund(&keys).await {
                tracing::warn!(error = %err, "could not give a throttle attempt back");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use hybrid_core::state::MemoryState;

    use super::*;

    #[tokio::test]
    async fn budgets_are_taken_up_front_and_refunded_by_guards() {
        let throttle = Throttle::new(Arc::new(MemoryState::default()), "login", Duration::from_secs(60));
        let both = [("a:alice", 2), ("i:10.0.0.1", 3)];
        throttle.begin(&both).await.unwrap();
        throttle.begin(&both).await.unwrap();
        // the account's budget is spent, even for a request that would succeed
        let spent = throttle.begin(&both).await.unwrap_err();
        assert_eq!(spent.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        // another account from the same address: one attempt left there
        throttle.begin(&[("a:bob", 2), ("i:10.0.0.1", 3)]).await.unwrap();
        assert!(throttle.begin(&[("a:bob", 2), ("i:10.0.0.1", 3)]).await.is_err());
        throttle.clear("a:alice").await.unwrap();
        // guards give back unless failed
        let carol = [("a:carol", 1)];
        drop(throttle.attempt(&carol).await.unwrap());
        tokio::task::yield_now().await;
        throttle.attempt(&carol).await.unwrap().failed();
        assert!(throttle.attempt(&carol).await.is_err());
    }
}
