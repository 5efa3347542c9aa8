//! Attempt budgets per key (an account, a client address) in fixed windows: logins and
//! registrations take an attempt before they start, so parallel requests cannot get past the
//! limit, and successes give theirs back. Past the limit: 429 with Retry-After until the window
//! ends. In memory, per process (a shared store comes with the scaled-out runtime).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Throttle {
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Entries kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;

impl Throttle {
    pub fn new(window: Duration) -> Self {
        Throttle {
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt from each `(key, limit)` budget, or none: `Err(seconds to wait)` when
    /// any of them is spent.
    pub fn begin(&self, budgets: &[(&str, u32)]) -> Result<(), u64> {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= SWEEP_AT {
            counts.retain(|_, (started, _)| *started + self.window > now);
        }
        let mut wait = Duration::ZERO;
        for &(key, limit) in budgets {
            if let Some((started, used)) = counts.get(key) {
                let ends = *started + self.window;
                if ends > now && *used >= limit.max(1) {
                    wait = wait.max(ends - now);
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait.as_secs() + 1);
        }
        for &(key, _) in budgets {
            let entry = counts.entry(key.to_owned()).or_insert((now, 0));
            if entry.0 + self.window <= now {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }

    /// Takes an attempt from each budget, given back when the returned guard drops unless
    /// [`Attempt::failed`] was called: errors that are not the client's fault (a database
    /// outage) cost nothing.
    pub fn attempt(&self, budgets: &[(&str, u32)]) -> Result<Attempt<'_>, u64> {
        self.begin(budgets)?;
        Ok(Attempt {
            throttle: self,
            keys: budgets.iter().map(|(k, _)| (*k).to_owned()).collect(),
            failed: false,
        })
    }

    /// Gives an attempt back (it was not a failure).
    pub fn refund(&self, keys: &[&str]) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            if let Some(entry) = counts.get_mut(*key) {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
    }

    /// Forgets a key's attempts (a successful login forgives the account's failures).
    pub fn clear(&self, key: &str) {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

pub struct Attempt<'a> {
    throttle: &'a Throttle,
    keys: Vec<String>,
    failed: bool,
}

impl Attempt<'_> {
    /// Counts this attempt as a failure: it is not given back.
    pub fn failed(mut self) {
        self.failed = true;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.failed {
            let keys: Vec<&str> = self.keys.iter().map(String::as_str).collect();
            self.throttle.refund(&keys);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_taken_up_front_and_refunded() {
        let throttle = Throttle::new(Duration::from_secs(60));
        let both = [("a:alice", 2), ("i:10.0.0.1", 3)];
        assert!(throttle.begin(&both).is_ok());
        assert!(throttle.begin(&both).is_ok());
        // the account's budget is spent, even for a request that would succeed
        let wait = throttle.begin(&both).unwrap_err();
        assert!((1..=61).contains(&wait));
        // another account from the same address: one attempt left there
        assert!(throttle.begin(&[("a:bob", 2), ("i:10.0.0.1", 3)]).is_ok());
        assert!(throttle.begin(&[("a:bob", 2), ("i:10.0.0.1", 3)]).is_err());
        // a refunded attempt is available again
        throttle.refund(&["a:bob", "i:10.0.0.1"]);
        assert!(throttle.begin(&[("a:bob", 2), ("i:10.0.0.1", 3)]).is_ok());
        throttle.clear("a:alice");
        assert!(throttle.begin(&[("a:alice", 2)]).is_ok());
        // guards give back unless failed
        let carol = [("a:carol", 1)];
        drop(throttle.attempt(&carol).unwrap());
        throttle.attempt(&carol).unwrap().failed();
        assert!(throttle.attempt(&carol).is_err());
    }
}
