//! The auth service's settings: `[auth]` in the config file, `HYBRID_AUTH__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationPolicy {
    /// Anyone can register.
    Open,
    /// Registration needs an invite code made by an admin.
    InviteOnly,
    /// Only admins create accounts (`hybrid admin create-user`).
    Closed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    pub registration: RegistrationPolicy,
    /// Lifetime of access tokens (seconds).
    pub access_token_ttl_secs: u64,
    /// Lifetime of a session's refresh token without use (days).
    pub refresh_token_ttl_days: u64,
    /// A spent refresh token presented again within this many seconds gets the same new token
    /// instead of revoking the session (two tabs refreshing at once).
    pub refresh_grace_secs: u64,
    pub password_min_length: usize,
    /// Mark the refresh cookie `Secure` always. Without it only requests a proxy says came over
    /// HTTPS (`X-Forwarded-Proto: https`) get it; turn it on behind a TLS proxy that does not
    /// send that header.
    pub refresh_cookie_secure: bool,
    /// argon2id memory cost of new password hashes (KiB).
    pub password_hash_memory_kib: u32,
    /// argon2id passes over that memory.
    pub password_hash_iterations: u32,
    /// Failed logins per account from one client address within `login_window_secs` before
    /// that address gets 429 for the account.
    pub login_max_failures_per_account_and_ip: u32,
    /// Failed logins per account from devices that never signed in to it, from any address,
    /// within `login_window_secs`, before strangers get 429 for the account. The owner's
    /// devices (with a device cookie) are not locked out.
    pub login_max_failures_per_account: u32,
    /// Failed logins per client address within `login_window_secs` before 429.
    pub login_max_failures_per_ip: u32,
    /// Sessions (signed-in devices) one account may have; signing in once more ends the least
    /// recently used.
    pub max_sessions_per_user: u32,
    /// How long a device cookie proves that a browser signed in to an account before.
    pub login_device_cookie_days: u64,
    pub login_window_secs: u64,
    /// Registration attempts per client address per hour before 429 (each costs a hash).
    pub registrations_per_ip_per_hour: u32,
    /// `iss` of access tokens.
    pub issuer: String,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            registration: RegistrationPolicy::Open,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_days: 30,
            refresh_grace_secs: 30,
            password_min_length: 8,
            refresh_cookie_secure: false,
            password_hash_memory_kib: 19 * 1024,
            password_hash_iterations: 2,
            login_max_failures_per_account_and_ip: 5,
            login_max_failures_per_account: 50,
            login_max_failures_per_ip: 20,
            login_device_cookie_days: 365,
            max_sessions_per_user: 100,
            login_window_secs: 15 * 60,
            registrations_per_ip_per_hour: 30,
            issuer: "hybrid".into(),
        }
    }
}
