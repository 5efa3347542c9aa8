//! The auth service's logic, shared by its HTTP routes and the `hybrid admin` commands.

use std::sync::Arc;
use std::time::Duration;

use crate::settings::AuthConfig;
use futures::future::BoxFuture;
use hybrid_auth_api::{REVOCATIONS, Revoked, SERVICE, TokenAuthority};
use hybrid_core::bus::{Bus, Envelope};
use hybrid_core::state::SharedState;
use hybrid_core::text::fold;
use hybrid_core::{
    AccessClaims, ApiError, ApiResult, AuthUser, ClientInfo, Code, Config, Secrets, TokenVerifier, now_ms,
};
use hybrid_store::Db;
use hybrid_users_api::{UserDirectory, UserRef, UsersCode};
use totp_rs::{Builder, Secret, Totp};

use crate::api::{AuthCode, LoginRequest};
use crate::crypto::{REFRESH_SUCCESSOR, random_token, refresh_successor, token_hash};
use crate::device;
use crate::keys::{self, Signer};
use crate::password::{self, Passwords};
use crate::store::{self, NewSession, RefreshOutcome, Revoke, SessionRow};
use crate::throttle::{Attempt, Throttle};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
pub(crate) const MASTER_KEY_CHECK: &str = "master_key_check";
/// What the master-key check value is sealed for.
pub(crate) const MASTER_KEY_CHECK_CONTEXT: &str = "meta:check";
/// How long a user without credentials may be a registration still in flight: well past the
/// internal call deadline between creating the user and storing its credentials.
const HALF_REGISTERED_GRACE_MS: i64 = 30_000;
const TOTP_ISSUER: &str = "Hybrid";

pub struct AuthService {
    db: Db,
    config: AuthConfig,
    secrets: Arc<Secrets>,
    /// Derived from the master key: links each refresh token to its successor.
    refresh_key: [u8; 32],
    /// Signs device cookies (`device.rs`).
    device_key: [u8; 32],
    /// Signs with the newest key there was at start.
    signer: Signer,
    tokens: Arc<TokenVerifier>,
    directory: Arc<dyn UserDirectory>,
    bus: Arc<dyn Bus>,
    throttle: Throttle,
    registrations: Throttle,
    passwords: Passwords,
}

/// What a successful login, registration or refresh returns.
pub struct Issued {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: String,
    pub session_id: i64,
    pub user: UserRef,
}

/// A successful login: the session's tokens, and the device cookie for this browser (value,
/// lifetime in seconds).
pub struct LoggedIn {
    pub issued: Issued,
    pub device_cookie: (String, u64),
}

pub struct TotpSetup {
    pub secret: String,
    pub otpauth_uri: String,
}

impl AuthService {
    pub async fn start(
        db: Db,
        config: &Config,
        secrets: Arc<Secrets>,
        tokens: Arc<TokenVerifier>,
        directory: Arc<dyn UserDirectory>,
        bus: Arc<dyn Bus>,
        state: Arc<dyn SharedState>,
    ) -> anyhow::Result<Arc<Self>> {
        // Fail at start, clearly, if no configured key is the one the data was sealed with.
        let check = secrets.seal(MASTER_KEY_CHECK_CONTEXT, b"hybrid");
        let stored = store::meta_put_if_absent(&db, MASTER_KEY_CHECK, check).await?;
        secrets.open(MASTER_KEY_CHECK_CONTEXT, &stored).map_err(|_| {
            anyhow::anyhow!("the configured master key is not the one this auth data was encrypted with")
        })?;
        let signer = keys::load_or_create(&db, &secrets).await?;
        let auth = &config.section::<AuthConfig>(SERVICE)?;
        let service = Arc::new(AuthService {
            db,
            config: auth.clone(),
            refresh_key: secrets.derive(REFRESH_SUCCESSOR),
            device_key: secrets.derive(device::DEVICE_COOKIE),
            secrets,
            signer,
            tokens,
            directory,
            bus,
            throttle: Throttle::new(state.clone(), "login", Duration::from_secs(auth.login_window_secs)),
            registrations: Throttle::new(state, "register", Duration::from_secs(3600)),
            passwords: Passwords::new(auth.password_hash_memory_kib, auth.password_hash_iterations)?,
        });
        Ok(service)
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    pub async fn jwks(&self) -> ApiResult<serde_json::Value> {
        Ok(keys::jwks(&keys::trusted(&self.db).await?))
    }

    /// Creates a user with a password, bypassing the registration policy (callers check it).
    pub async fn create_account(
        &self,
        username: &str,
        password: String,
        is_admin: bool,
        invite_code: Option<&str>,
    ) -> ApiResult<UserRef> {
        let username = fold(username);
        hybrid_core::text::validate_username(&username)?;
        password::check_policy("password", &password, &username, self.config.password_min_length)?;
        // Hash first: a slow hash must not sit between creating the user and its credentials.
        let hash = self.passwords.hash(password).await?;
        let user = match self.directory.create(username.clone()).await {
            Err(taken) if taken.is(UsersCode::UsernameTaken) => self.reclaim_half_registered(&username, taken).await?,
            created => created?,
        };
        let invite = invite_code.map(token_hash);
        if let Err(err) = store::insert_credentials(&self.db, user.id, hash, is_admin, invite).await {
            // Undo the half-made account so the name is free again.
            if let Err(undo) = self.directory.delete(user.id).await {
                tracing::error!(user_id = user.id, error = %undo, "could not remove a half-registered user");
            }
            return Err(err);
        }
        Ok(user)
    }

    /// A name can be held by a user with no credentials: a registration that stopped between
    /// creating the user and storing its password (a call that timed out with its outcome
    /// unknown, a crash). Once such a user is older than any registration still in flight could
    /// be, it is removed and the name given to this registration; before that, the caller is
    /// asked to retry. A name held by an account with credentials stays `taken`.
    async fn reclaim_half_registered(&self, username: &str, taken: ApiError) -> ApiResult<UserRef> {
        let Some(holder) = self.directory.find_by_username(username).await? else {
            // removed meanwhile
            return self.directory.create(username.to_owned()).await;
        };
        if store::credentials(&self.db, holder.id).await?.is_some() {
            return Err(taken);
        }
        let age = now_ms() - holder.created_at;
        if age < HALF_REGISTERED_GRACE_MS {
            let wait = ((HALF_REGISTERED_GRACE_MS - age) as u64).div_ceil(1000);
            return Err(ApiError::unavailable(
                "a registration of this username is still being completed; try again shortly",
            )
            .with_retry_after(wait));
        }
        tracing::warn!(
            user_id = holder.id,
            "removing a user an interrupted registration left without credentials"
        );
        self.directory.delete(holder.id).await?;
        self.directory.create(username.to_owned()).await
    }

    /// Logs in with `input`; `device_cookie` is the request's device cookie, if any
    /// (`device.rs`).
    pub async fn login(
        &self,
        input: LoginRequest,
        device_cookie: Option<&str>,
        client: &ClientInfo,
    ) -> ApiResult<LoggedIn> {
        if input.username.len() > 128 {
            return Err(ApiError::new(
                AuthCode::InvalidCredentials,
                "wrong username or password",
            ));
        }
        let folded = fold(&input.username);
        let ip = client.ip.map(|ip| ip.to_string()).unwrap_or_default();
        let address = format!("i:{ip}");
        let config = &self.config;
        // A device that signed in to this account since its password was last set is counted
        // on its own; others per (account, address) and, together, per account (`device.rs`).
        // Checking a cookie needs the account's password hash; without one, a locked-out
        // guesser gets 429 before anything is looked up.
        let mut found = None;
        let mut known_device = None;
        if let Some(cookie) = device_cookie {
            let (user, credentials) = self.account_of(&folded).await?;
            known_device = credentials.as_ref().and_then(|credentials| {
                let not_before = now_ms() / 1000 - config.login_device_cookie_days as i64 * 86_400;
                let account = device::Account::new(&folded, &credentials.password_hash);
                device::verify(&self.device_key, &account, cookie, not_before)
            });
            found = Some((user, credentials));
        }
        let (own, account) = match &known_device {
            Some(device) => (format!("d:{device}"), None),
            None => (format!("a:{folded}@{ip}"), Some(format!("a:{folded}"))),
        };
        let mut budgets = vec![
            (own.as_str(), config.login_max_failures_per_account_and_ip),
            (address.as_str(), config.login_max_failures_per_ip),
        ];
        if let Some(account) = &account {
            budgets.push((account.as_str(), config.login_max_failures_per_account));
        }
        // An attempt is taken before the password is checked; only wrong credentials keep it.
        let attempt = self.throttle.attempt(&budgets).await?;
        let (user, credentials) = match found {
            Some(found) => found,
            None => self.account_of(&folded).await?,
        };
        let hash = credentials.as_ref().map(|c| c.password_hash.clone());
        let (Some(user), Some(credentials), true) =
            (user, credentials, self.passwords.verify(input.password, hash).await)
        else {
            attempt.failed();
            return Err(ApiError::new(
                AuthCode::InvalidCredentials,
                "wrong username or password",
            ));
        };
        if let Some(sealed) = &credentials.totp_secret {
            let Some(code) = input.totp_code.as_deref().filter(|c| !c.is_empty()) else {
                // the password was right: not a failed attempt
                return Err(ApiError::new(
                    AuthCode::TotpRequired,
                    "this account needs a code from its authenticator app (totp_code)",
                ));
            };
            // The password was right. Codes are guessed against the account's own budget,
            // which no address or device cookie widens.
            drop(attempt);
            let attempt = self.account_attempt(&format!("t:{}", user.id)).await?;
            self.check_totp(attempt, user.id, &user.username, sealed, code).await?;
        } else {
            drop(attempt);
        }
        // the owner's success forgives this device's or address's failures, not strangers'
        self.throttle.clear(&own).await?;
        let device = input
            .device_name
            .filter(|d| !d.trim().is_empty())
            .unwrap_or_else(|| client.user_agent.clone());
        let issued = self.open_session(user, &device, client).await?;
        let account = device::Account::new(&folded, &credentials.password_hash);
        let cookie = device::issue(&self.device_key, &account, now_ms() / 1000);
        Ok(LoggedIn {
            issued,
            device_cookie: (cookie, self.config.login_device_cookie_days * 86_400),
        })
    }

    /// The user of a folded username and their credentials, when they exist.
    async fn account_of(&self, folded: &str) -> ApiResult<(Option<UserRef>, Option<store::CredentialRow>)> {
        let user = self.directory.find_by_username(folded).await?;
        let credentials = match &user {
            Some(user) => store::credentials(&self.db, user.id).await?,
            None => None,
        };
        Ok((user, credentials))
    }

    /// Counts a registration attempt from this address (each costs a password hash).
    pub async fn begin_registration(&self, client: &ClientInfo) -> ApiResult<()> {
        let address = format!("r:{}", client.ip.map(|ip| ip.to_string()).unwrap_or_default());
        self.registrations
            .begin(&[(&address, self.config.registrations_per_ip_per_hour)])
            .await
            .map(drop)
    }

    /// Whether an invite code can still be used (checked before any hashing; spent atomically
    /// with the account's creation).
    pub async fn invite_usable(&self, code: &str) -> ApiResult<bool> {
        store::invite_usable(&self.db, token_hash(code), now_ms()).await
    }

    /// Starts a session for a user who just proved who they are.
    pub async fn open_session(&self, user: UserRef, device: &str, client: &ClientInfo) -> ApiResult<Issued> {
        let now = now_ms();
        let refresh_token = random_token("hrt_");
        let session_id = store::create_session(
            &self.db,
            NewSession {
                user_id: user.id,
                device: device.trim().chars().take(128).collect(),
                ip: client.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                user_agent: client.user_agent.clone(),
                now,
                expires_at: now + self.refresh_ttl_ms(),
                refresh_hash: token_hash(&refresh_token),
            },
        )
        .await?;
        // The least recently used sessions beyond the cap end (as a new device signs in).
        let max = self.config.max_sessions_per_user.max(1) as i64;
        self.revoke(user.id, Revoke::BeyondNewest(max)).await?;
        self.issue(user, session_id, refresh_token)
    }

    fn refresh_ttl_ms(&self) -> i64 {
        self.config.refresh_token_ttl_days as i64 * DAY_MS
    }

    /// Signs an access token. It names the user and session only: rights such as
    /// administration are read from the database when used ([`Auth::require_admin`]), so a
    /// change applies at once rather than when the token expires.
    fn issue(&self, user: UserRef, session_id: i64, refresh_token: String) -> ApiResult<Issued> {
        let iat = (now_ms() / 1000) as u64;
        let claims = AccessClaims {
            sub: user.id.to_string(),
            sid: session_id,
            iss: self.config.issuer.clone(),
            iat,
            exp: iat + self.config.access_token_ttl_secs,
        };
        let access_token = self.signer.sign(&claims).map_err(ApiError::internal)?;
        Ok(Issued {
            access_token,
            expires_in: self.config.access_token_ttl_secs,
            refresh_token,
            session_id,
            user,
        })
    }

    pub async fn refresh(&self, refresh_token: &str) -> ApiResult<Issued> {
        let invalid = || {
            ApiError::new(
                AuthCode::InvalidRefreshToken,
                "the refresh token is not valid; log in again",
            )
        };
        if !refresh_token.starts_with("hrt_") {
            return Err(invalid());
        }
        let now = now_ms();
        let successor = refresh_successor(&self.refresh_key, refresh_token);
        let forget = self.forgetter();
        let outcome = store::refresh(
            &self.db,
            token_hash(refresh_token),
            token_hash(&successor),
            now,
            self.config.refresh_grace_secs as i64 * 1000,
            now + self.refresh_ttl_ms(),
            move |outcome| {
                if let RefreshOutcome::Reused { session_id, user_id } = *outcome {
                    forget.run(user_id, &[session_id]);
                }
            },
        )
        .await?;
        let (session_id, user_id) = match outcome {
            RefreshOutcome::Rotated { session_id, user_id } | RefreshOutcome::Grace { session_id, user_id } => {
                (session_id, user_id)
            }
            RefreshOutcome::Reused { session_id, user_id } => {
                tracing::warn!(session_id, user_id, "a spent refresh token was reused; session revoked");
                return Err(ApiError::new(
                    AuthCode::RefreshTokenReused,
                    "this refresh token was already used; the session has been signed out",
                ));
            }
            RefreshOutcome::Invalid => return Err(invalid()),
        };
        let user = self.directory.get(user_id).await?.ok_or_else(invalid)?;
        self.issue(user, session_id, successor)
    }

    fn forgetter(&self) -> Forget {
        Forget {
            tokens: self.tokens.clone(),
            bus: self.bus.clone(),
            ttl: Duration::from_secs(self.config.access_token_ttl_secs + 60),
        }
    }

    /// Revokes sessions; once that is committed (even if the request was cancelled), their
    /// access tokens stop working here and realtime nodes close their sockets.
    async fn revoke(&self, user_id: i64, which: Revoke) -> ApiResult<Vec<i64>> {
        let forget = self.forgetter();
        store::revoke_sessions(&self.db, user_id, which, move |revoked| forget.run(user_id, revoked)).await
    }

    /// The signed-in account: name, admin flag, whether two-factor authentication is on.
    pub async fn account(&self, me: &AuthUser) -> ApiResult<(UserRef, bool, bool)> {
        let user = self.my_user(me).await?;
        let credentials = store::credentials(&self.db, me.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        Ok((user, credentials.is_admin != 0, credentials.totp_secret.is_some()))
    }

    /// Whether `user_id` is an administrator now (read on every call, not from the token).
    pub async fn is_admin(&self, user_id: i64) -> ApiResult<bool> {
        Ok(store::credentials(&self.db, user_id)
            .await?
            .is_some_and(|c| c.is_admin != 0))
    }

    /// 403 unless `user_id` is an administrator now.
    pub async fn require_admin(&self, user_id: i64, doing: &str) -> ApiResult<()> {
        if self.is_admin(user_id).await? {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("only administrators can {doing}")))
        }
    }

    /// Grants or takes away administration (`hybrid admin set-admin`); the account's username.
    pub async fn set_admin(&self, username: &str, admin: bool) -> ApiResult<UserRef> {
        let user = self
            .directory
            .find_by_username(&fold(username))
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        if !store::set_admin(&self.db, user.id, admin).await? {
            return Err(ApiError::not_found("account"));
        }
        Ok(user)
    }

    pub async fn sessions(&self, me: &AuthUser) -> ApiResult<Vec<SessionRow>> {
        store::active_sessions(&self.db, me.user_id, now_ms()).await
    }

    /// Revokes one of my sessions (404 if it is not mine or already ended).
    pub async fn revoke_session(&self, me: &AuthUser, session_id: i64) -> ApiResult<()> {
        let revoked = self.revoke(me.user_id, Revoke::One(session_id)).await?;
        if revoked.is_empty() {
            return Err(ApiError::not_found("session"));
        }
        Ok(())
    }

    /// Revokes every session of mine but the current one; returns how many.
    pub async fn revoke_other_sessions(&self, me: &AuthUser) -> ApiResult<usize> {
        Ok(self.revoke(me.user_id, Revoke::AllBut(me.session_id)).await?.len())
    }

    /// An attempt from the budget of a signed-in account's sensitive checks (password, TOTP).
    async fn account_attempt(&self, account: &str) -> ApiResult<Attempt> {
        self.throttle
            .attempt(&[(account, self.config.login_max_failures_per_account_and_ip)])
            .await
    }

    async fn my_user(&self, me: &AuthUser) -> ApiResult<UserRef> {
        self.directory
            .get(me.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))
    }

    async fn my_credentials(&self, me: &AuthUser) -> ApiResult<store::CredentialRow> {
        store::credentials(&self.db, me.user_id)
            .await?
            .ok_or_else(|| ApiError::new(Code::InvalidToken, "this account no longer exists"))
    }

    /// Checks my password for a sensitive change; failures count towards login throttling.
    async fn confirm_password(&self, me: &AuthUser, password: String, field: &str) -> ApiResult<store::CredentialRow> {
        let credentials = self.my_credentials(me).await?;
        let account = format!("u:{}", me.user_id);
        let attempt = self.account_attempt(&account).await?;
        if !self
            .passwords
            .verify(password, Some(credentials.password_hash.clone()))
            .await
        {
            attempt.failed();
            return Err(ApiError::new(AuthCode::WrongPassword, "the current password is wrong").with_field(field));
        }
        Ok(credentials)
    }

    /// Changes my password and signs out my other sessions; returns how many were signed out.
    pub async fn change_password(&self, me: &AuthUser, current: String, new: String) -> ApiResult<usize> {
        self.confirm_password(me, current, "current_password").await?;
        let user = self.my_user(me).await?;
        password::check_policy("new_password", &new, &user.username, self.config.password_min_length)?;
        let hash = self.passwords.hash(new).await?;
        let forget = self.forgetter();
        let user_id = me.user_id;
        let revoked = store::change_password(&self.db, user_id, hash, me.session_id, move |revoked| {
            forget.run(user_id, revoked)
        })
        .await?;
        Ok(revoked.len())
    }

    fn totp(&self, secret: Vec<u8>, account: &str) -> ApiResult<Totp> {
        Builder::new()
            .with_secret(secret)
            .with_issuer(Some(TOTP_ISSUER))
            .with_account_name(account)
            .build()
            .map_err(ApiError::internal)
    }

    /// Checks a TOTP code under a throttle attempt: a wrong or replayed code keeps the attempt
    /// (counts as a failure), anything else gives it back.
    async fn check_totp(
        &self,
        attempt: Attempt,
        user_id: i64,
        account: &str,
        sealed: &[u8],
        code: &str,
    ) -> ApiResult<()> {
        let secret = self
            .secrets
            .open(&format!("totp:{user_id}"), sealed)
            .map_err(ApiError::internal)?;
        let step = self.totp(secret, account)?.check_current(code.trim());
        let accepted = match step {
            Some(step) => store::use_totp_step(&self.db, user_id, step as i64).await?,
            None => false,
        };
        if !accepted {
            attempt.failed();
            return Err(ApiError::new(
                AuthCode::InvalidTotp,
                "the authenticator code is wrong or already used",
            ));
        }
        Ok(())
    }

    /// Starts enabling TOTP (needs the password): a new secret to put in an authenticator app,
    /// then `confirm`.
    pub async fn totp_setup(&self, me: &AuthUser, password: String) -> ApiResult<TotpSetup> {
        let credentials = self.confirm_password(me, password, "password").await?;
        if credentials.totp_secret.is_some() {
            return Err(ApiError::new(
                AuthCode::TotpEnabled,
                "two-factor authentication is already on",
            ));
        }
        let user = self.my_user(me).await?;
        let secret = Secret::generate();
        let sealed = self.secrets.seal(&format!("totp:{}", me.user_id), secret.as_bytes());
        let totp = self.totp(secret.as_bytes().to_vec(), &user.username)?;
        store::set_totp_pending(&self.db, me.user_id, Some(sealed)).await?;
        Ok(TotpSetup {
            secret: secret.to_base32(),
            otpauth_uri: totp.to_url().map_err(ApiError::internal)?,
        })
    }

    /// Turns TOTP on with a code from the app that got the new secret.
    pub async fn totp_confirm(&self, me: &AuthUser, code: &str) -> ApiResult<()> {
        let credentials = self.my_credentials(me).await?;
        let Some(pending) = credentials.totp_pending else {
            return Err(ApiError::new(AuthCode::TotpNotPending, "start with /auth/totp/setup"));
        };
        let secret = self
            .secrets
            .open(&format!("totp:{}", me.user_id), &pending)
            .map_err(ApiError::internal)?;
        let user = self.my_user(me).await?;
        let step = self
            .totp(secret, &user.username)?
            .check_current(code.trim())
            .ok_or_else(|| ApiError::validation("code", "the code does not match; check the app's clock"))?;
        if !store::confirm_totp(&self.db, me.user_id, pending, step as i64).await? {
            return Err(ApiError::new(
                AuthCode::TotpNotPending,
                "a newer setup replaced this secret; confirm that one",
            ));
        }
        Ok(())
    }

    /// Turns TOTP off; needs the password and a current code.
    pub async fn totp_disable(&self, me: &AuthUser, password: String, code: &str) -> ApiResult<()> {
        let credentials = self.confirm_password(me, password, "password").await?;
        let Some(sealed) = credentials.totp_secret else {
            return Err(ApiError::new(
                AuthCode::TotpDisabled,
                "two-factor authentication is off",
            ));
        };
        let user = self.my_user(me).await?;
        let account = format!("u:{}", me.user_id);
        let attempt = self.account_attempt(&account).await?;
        self.check_totp(attempt, me.user_id, &user.username, &sealed, code)
            .await?;
        store::disable_totp(&self.db, me.user_id).await
    }

    pub async fn logout(&self, me: &AuthUser) -> ApiResult<()> {
        self.revoke(me.user_id, Revoke::One(me.session_id)).await?;
        Ok(())
    }

    /// A registration invite code usable `uses` times within `ttl_hours`.
    pub async fn create_invite(&self, created_by: Option<i64>, uses: i64, ttl_hours: i64) -> ApiResult<(String, i64)> {
        let code = random_token("inv_");
        let expires_at = now_ms() + ttl_hours * 60 * 60 * 1000;
        store::create_invite(&self.db, token_hash(&code), created_by, expires_at, uses).await?;
        Ok((code, expires_at))
    }
}

/// What revoking sessions does besides the database: stop their tokens here, tell realtime.
struct Forget {
    tokens: Arc<TokenVerifier>,
    bus: Arc<dyn Bus>,
    ttl: Duration,
}

impl Forget {
    fn run(&self, user_id: i64, sessions: &[i64]) {
        for &session_id in sessions {
            self.tokens.revoke_session(session_id, self.ttl);
            self.bus.publish(Envelope::control(
                REVOCATIONS,
                Revoked { user_id, session_id }.control(),
            ));
        }
    }
}

/// What every process's [`TokenFollower`](hybrid_auth_api::TokenFollower) reads, here or over gRPC.
impl TokenAuthority for AuthService {
    fn public_keys(&self) -> BoxFuture<'_, ApiResult<Vec<(String, [u8; 32])>>> {
        Box::pin(keys::trusted(&self.db))
    }

    fn revoked_since(&self, since_ms: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(store::revoked_since(&self.db, since_ms))
    }

    fn live_sessions(&self, session_ids: Vec<i64>) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
        Box::pin(async move { store::live_sessions(&self.db, &session_ids, now_ms()).await })
    }
}

/// What other modules' admin-only routes ask (`hybrid_core::admin::require_admin`).
impl hybrid_core::admin::Administrators for AuthService {
    fn is_admin(&self, user_id: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(AuthService::is_admin(self, user_id))
    }
}
