//! Login throttling: failed attempts counted per account and per client address in fixed
//! windows; past the limit, logins answer 429 with Retry-After until the window ends.
//! In memory, per process (a shared store comes with the scaled-out runtime).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginThrottle {
    window: Duration,
    per_account: u32,
    per_ip: u32,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Entries kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;

impl LoginThrottle {
    pub fn new(window: Duration, per_account: u32, per_ip: u32) -> Self {
        LoginThrottle {
            window,
            per_account: per_account.max(1),
            per_ip: per_ip.max(1),
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, ip: Option<IpAddr>) -> [Option<String>; 2] {
        [Some(format!("a:{account}")), ip.map(|ip| format!("i:{ip}"))]
    }

    /// `Err(seconds)` while the account or the address is over its limit.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let limits = [self.per_account, self.per_ip];
        let mut wait = Duration::ZERO;
        for (key, limit) in Self::keys(account, ip).iter().zip(limits) {
            let Some(key) = key else { continue };
            if let Some((started, failures)) = counts.get(key) {
                let ends = *started + self.window;
                if *failures >= limit && ends > now {
                    wait = wait.max(ends - now);
                }
            }
        }
        if wait.is_zero() { Ok(()) } else { Err(wait.as_secs() + 1) }
    }

    pub fn record_failure(&self, account: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() >= SWEEP_AT {
            counts.retain(|_, (started, _)| *started + self.window > now);
        }
        for key in Self::keys(account, ip).into_iter().flatten() {
            let entry = counts.entry(key).or_insert((now, 0));
            if entry.0 + self.window <= now {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }

    /// A successful login forgives the account's failures (not the address's).
    pub fn clear_account(&self, account: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.remove(&format!("a:{account}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_accounts_and_addresses_separately() {
        let throttle = LoginThrottle::new(Duration::from_secs(60), 2, 3);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(throttle.check("alice", Some(ip)).is_ok());
        throttle.record_failure("alice", Some(ip));
        throttle.record_failure("alice", Some(ip));
        let wait = throttle.check("alice", Some(ip)).unwrap_err();
        assert!((1..=61).contains(&wait));
        // another account from the same address: one more failure allowed
        assert!(throttle.check("bob", Some(ip)).is_ok());
        throttle.record_failure("bob", Some(ip));
        assert!(throttle.check("bob", Some(ip)).is_err());
        assert!(throttle.check("bob", None).is_ok());
        throttle.clear_account("alice");
        assert!(throttle.check("alice", None).is_ok());
    }
}
