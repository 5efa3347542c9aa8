//! The auth tables. All SQL of this module lives here.

use std::sync::Arc;

use hybrid_core::{ApiError, ApiResult, Secrets};
use hybrid_store::{Db, Sql, params, values};

use crate::service::{MASTER_KEY_CHECK, MASTER_KEY_CHECK_CONTEXT};

#[derive(Debug)]
pub struct SigningKeyRow {
    pub kid: String,
    pub private_key: Vec<u8>,
    pub public_key: Vec<u8>,
}

hybrid_store::from_row!(SigningKeyRow {
    kid,
    private_key,
    public_key
});

#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub password_hash: String,
    pub is_admin: i64,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_pending: Option<Vec<u8>>,
}

hybrid_store::from_row!(CredentialRow {
    password_hash,
    is_admin,
    totp_secret,
    totp_pending
});

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub device: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

// in the column order of every SELECT of sessions here
hybrid_store::from_row!(SessionRow {
    id,
    user_id,
    device,
    ip,
    user_agent,
    created_at,
    last_seen_at,
    expires_at
});

/// A new session's details.
pub struct NewSession {
    pub user_id: i64,
    pub device: String,
    pub ip: String,
    pub user_agent: String,
    pub now: i64,
    pub expires_at: i64,
    pub refresh_hash: Vec<u8>,
}

/// What presenting a refresh token led to.
pub enum RefreshOutcome {
    /// The token was current: the successor is now current.
    Rotated { session_id: i64, user_id: i64 },
    /// The token was spent moments ago (another tab refreshed first): same successor.
    Grace { session_id: i64, user_id: i64 },
    /// A spent token came back after the grace period: the session has been revoked.
    Reused { session_id: i64, user_id: i64 },
    /// Unknown token, or its session has ended.
    Invalid,
}

/// Stores `value` unless `key` already has one; returns the value now stored.
pub async fn meta_put_if_absent(db: &Db, key: &'static str, value: Vec<u8>) -> ApiResult<Vec<u8>> {
    db.write(move |tx| {
        Box::pin(async move {
            let sql = "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
            tx.execute(sql, params![key, value]).await?;
            let (stored,): (Vec<u8>,) = tx
                .fetch_one("SELECT value FROM meta WHERE key = $1", params![key])
                .await?;
            Ok::<_, ApiError>(stored)
        })
    })
    .await
}

/// Trusted signing keys, newest first.
pub async fn signing_keys(db: &Db) -> ApiResult<Vec<SigningKeyRow>> {
    Ok(db
        .reads()
        .fetch_all(
            "SELECT kid, private_key, public_key FROM signing_keys WHERE retired_at IS NULL \
         ORDER BY created_at DESC, kid",
            params![],
        )
        .await?)
}

/// Stores the first signing key unless one was already made: every auth process of a fresh
/// deployment tries at once, and the claim in `meta` lets exactly one key through (PostgreSQL
/// makes the losers wait on the claim's row, then skip). True if this key was stored.
pub async fn insert_first_signing_key(
    db: &Db,
    kid: String,
    private_key: Vec<u8>,
    public_key: Vec<u8>,
) -> ApiResult<bool> {
    let now = hybrid_core::now_ms();
    db.write(move |tx| {
        Box::pin(async move {
            let claim = "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
            if tx.execute(claim, params![FIRST_SIGNING_KEY, kid.as_bytes()]).await? == 0 {
                return Ok::<_, ApiError>(false);
            }
            let sql = "INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES ($1, $2, $3, $4)";
            tx.execute(sql, params![kid, private_key, public_key, now]).await?;
            Ok(true)
        })
    })
    .await
}

/// The `meta` key claimed by the auth process that made the first signing key.
const FIRST_SIGNING_KEY: &str = "first_signing_key";

pub async fn credentials(db: &Db, user_id: i64) -> ApiResult<Option<CredentialRow>> {
    Ok(db
        .reads()
        .fetch_optional(
            "SELECT password_hash, is_admin, totp_secret, totp_pending \
         FROM credentials WHERE user_id = $1",
            params![user_id],
        )
        .await?)
}

/// Stores a new user's credentials, spending one use of `invite` (hash) when given.
pub async fn insert_credentials(
    db: &Db,
    user_id: i64,
    password_hash: String,
    is_admin: bool,
    invite: Option<Vec<u8>>,
) -> ApiResult<()> {
    let now = hybrid_core::now_ms();
    db.write(move |tx| {
        Box::pin(async move {
            if let Some(invite) = invite {
                let spend = "UPDATE registration_invites SET uses_left = uses_left - 1 \
                             WHERE code_hash = $1 AND uses_left > 0 AND expires_at > $2";
                if tx.execute(spend, params![invite, now]).await? != 1 {
                    return Err(ApiError::validation(
                        "invite_code",
                        "this invite code is not valid (unknown, used up or expired)",
                    ));
                }
            }
            tx.execute(
                "INSERT INTO credentials (user_id, password_hash, is_admin, totp_last_step, \
                 created_at, updated_at) VALUES ($1, $2, $3, 0, $4, $4)",
                params![user_id, password_hash, is_admin, now],
            )
            .await?;
            Ok(())
        })
    })
    .await
}

/// Grants or takes away administration; whether the account exists.
pub async fn set_admin(db: &Db, user_id: i64, admin: bool) -> ApiResult<bool> {
    let now = hybrid_core::now_ms();
    let changed = db
        .execute(
            "UPDATE credentials SET is_admin = $2, updated_at = $3 WHERE user_id = $1",
            values![user_id, admin, now],
        )
        .await?;
    Ok(changed == 1)
}

pub async fn create_invite(
    db: &Db,
    code_hash: Vec<u8>,
    created_by: Option<i64>,
    expires_at: i64,
    uses: i64,
) -> ApiResult<()> {
    let sql = "INSERT INTO registration_invites (code_hash, created_by, created_at, expires_at, uses_left) \
               VALUES ($1, $2, $3, $4, $5)";
    let now = hybrid_core::now_ms();
    db.execute(sql, values![code_hash, created_by, now, expires_at, uses])
        .await?;
    Ok(())
}

pub async fn invite_usable(db: &Db, code_hash: Vec<u8>, now: i64) -> ApiResult<bool> {
    let found: Option<(i64,)> = db
        .reads()
        .fetch_optional(
            "SELECT uses_left FROM registration_invites WHERE code_hash = $1 AND uses_left > 0 AND expires_at > $2",
            params![code_hash, now],
        )
        .await?;
    Ok(found.is_some())
}

/// Creates a session and its first refresh token; returns the session id.
pub async fn create_session(db: &Db, new: NewSession) -> ApiResult<i64> {
    db.write(move |tx| {
        Box::pin(async move {
            let (id,): (i64,) = tx
                .fetch_one(
                    "INSERT INTO sessions (user_id, device, ip, user_agent, created_at, last_seen_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
                    params![new.user_id, new.device, new.ip, new.user_agent, new.now, new.expires_at],
                )
                .await?;
            tx.execute(
                "INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)",
                params![new.refresh_hash, id, new.now],
            )
            .await?;
            Ok::<_, ApiError>(id)
        })
    })
    .await
}

/// Spends the refresh token `presented` (hash) in favour of `successor` (hash).
pub async fn refresh(
    db: &Db,
    presented: Vec<u8>,
    successor: Vec<u8>,
    now: i64,
    grace_ms: i64,
    new_expiry: i64,
    on_commit: impl FnOnce(&mut RefreshOutcome) + Send + 'static,
) -> ApiResult<RefreshOutcome> {
    db.write_then(
        move |tx| {
            Box::pin(async move {
                let found: Option<(i64, Option<i64>, i64, i64, Option<i64>)> = tx
                    .fetch_optional(
                        "SELECT r.session_id, r.spent_at, s.user_id, s.expires_at, s.revoked_at \
                         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id \
                         WHERE r.token_hash = $1",
                        params![presented],
                    )
                    .await?;
                let Some((session_id, spent_at, user_id, expires_at, revoked_at)) = found else {
                    return Ok(RefreshOutcome::Invalid);
                };
                if revoked_at.is_some() || expires_at <= now {
                    return Ok(RefreshOutcome::Invalid);
                }
                if let Some(spent_at) = spent_at {
                    if now - spent_at <= grace_ms {
                        return Ok(RefreshOutcome::Grace { session_id, user_id });
                    }
                    tx.execute(
                        "UPDATE sessions SET revoked_at = $2 WHERE id = $1",
                        params![session_id, now],
                    )
                    .await?;
                    return Ok(RefreshOutcome::Reused { session_id, user_id });
                }
                // Only one concurrent refresh wins the spend; PostgreSQL runs them in parallel.
                let spend = "UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL";
                if tx.execute(spend, params![presented, now]).await? == 0 {
                    return Ok(RefreshOutcome::Grace { session_id, user_id });
                }
                tx.execute(
                    "INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (token_hash) DO NOTHING",
                    params![successor, session_id, now],
                )
                .await?;
                tx.execute(
                    "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1",
                    params![session_id, now, new_expiry],
                )
                .await?;
                Ok::<_, ApiError>(RefreshOutcome::Rotated { session_id, user_id })
            })
        },
        on_commit,
    )
    .await
}

/// Sessions revoked after `since` (ms), whose access tokens may still be valid.
pub async fn revoked_since(db: &Db, since: i64) -> ApiResult<Vec<i64>> {
    let rows: Vec<(i64,)> = db
        .reads()
        .fetch_all("SELECT id FROM sessions WHERE revoked_at > $1", params![since])
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Of `ids`, the sessions neither revoked nor expired at `now`.
pub async fn live_sessions(db: &Db, ids: &[i64], now: i64) -> ApiResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM sessions WHERE id IN ({}) AND revoked_at IS NULL AND expires_at > $1",
        hybrid_store::id_list(ids.iter().copied())
    );
    let rows: Vec<(i64,)> = db.reads().fetch_all(&sql, params![now]).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn active_sessions(db: &Db, user_id: i64, now: i64) -> ApiResult<Vec<SessionRow>> {
    Ok(db
        .reads()
        .fetch_all(
            "SELECT id, user_id, device, ip, user_agent, created_at, last_seen_at, expires_at \
         FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY last_seen_at DESC, id DESC",
            params![user_id, now],
        )
        .await?)
}

/// Revokes the user's sessions matching `which` inside a transaction; returns their ids.
async fn revoke_in(tx: &mut Sql<'_>, user_id: i64, which: Revoke) -> ApiResult<Vec<i64>> {
    let (sql, session): (&'static str, i64) = match which {
        Revoke::One(id) => (
            "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id = $2 \
             AND revoked_at IS NULL RETURNING id",
            id,
        ),
        Revoke::AllBut(id) => (
            "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND id <> $2 \
             AND revoked_at IS NULL RETURNING id",
            id,
        ),
        Revoke::BeyondNewest(keep) => (
            "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL AND id IN \
             (SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL \
             ORDER BY last_seen_at DESC, id DESC LIMIT 1000000 OFFSET $2) RETURNING id",
            keep,
        ),
    };
    let ids: Vec<(i64,)> = tx
        .fetch_all(sql, params![user_id, session, hybrid_core::now_ms()])
        .await?;
    Ok(ids.into_iter().map(|r| r.0).collect())
}

/// Revokes the user's sessions matching `which`; returns their ids. `on_commit` gets them
/// once the revocation is durable, even if the caller has gone.
pub async fn revoke_sessions(
    db: &Db,
    user_id: i64,
    which: Revoke,
    on_commit: impl FnOnce(&mut Vec<i64>) + Send + 'static,
) -> ApiResult<Vec<i64>> {
    db.write_then(move |tx| Box::pin(revoke_in(tx, user_id, which)), on_commit)
        .await
}

/// Sets a new password and revokes every other session, in one transaction.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    password_hash: String,
    keep_session: i64,
    on_commit: impl FnOnce(&mut Vec<i64>) + Send + 'static,
) -> ApiResult<Vec<i64>> {
    db.write_then(
        move |tx| {
            Box::pin(async move {
                let sql = "UPDATE credentials SET password_hash = $2, updated_at = $3 WHERE user_id = $1";
                tx.execute(sql, params![user_id, password_hash, hybrid_core::now_ms()])
                    .await?;
                revoke_in(tx, user_id, Revoke::AllBut(keep_session)).await
            })
        },
        on_commit,
    )
    .await
}

#[derive(Debug, Clone, Copy)]
pub enum Revoke {
    One(i64),
    AllBut(i64),
    /// All but the this many most recently used.
    BeyondNewest(i64),
}

/// Sets (or clears, with `None`) the TOTP secret awaiting confirmation.
pub async fn set_totp_pending(db: &Db, user_id: i64, sealed: Option<Vec<u8>>) -> ApiResult<()> {
    let sql = "UPDATE credentials SET totp_pending = $2, updated_at = $3 WHERE user_id = $1";
    db.execute(sql, values![user_id, sealed, hybrid_core::now_ms()]).await?;
    Ok(())
}

/// Makes the pending secret `verified` the active one, recording the step of the code that
/// confirmed it. False when the pending secret changed meanwhile (a new setup).
pub async fn confirm_totp(db: &Db, user_id: i64, verified: Vec<u8>, step: i64) -> ApiResult<bool> {
    let sql = "UPDATE credentials SET totp_secret = totp_pending, totp_pending = NULL, \
               totp_last_step = $2, updated_at = $3 WHERE user_id = $1 AND totp_pending = $4";
    let now = hybrid_core::now_ms();
    Ok(db.execute(sql, values![user_id, step, now, verified]).await? == 1)
}

pub async fn disable_totp(db: &Db, user_id: i64) -> ApiResult<()> {
    let sql = "UPDATE credentials SET totp_secret = NULL, totp_pending = NULL, updated_at = $2 WHERE user_id = $1";
    db.execute(sql, values![user_id, hybrid_core::now_ms()]).await?;
    Ok(())
}

/// Records that a TOTP code of `step` was used. False if that step (or a later one) already
/// was: a replayed code.
pub async fn use_totp_step(db: &Db, user_id: i64, step: i64) -> ApiResult<bool> {
    let sql = "UPDATE credentials SET totp_last_step = $2 WHERE user_id = $1 AND totp_last_step < $2";
    Ok(db.execute(sql, values![user_id, step]).await? == 1)
}

/// Seals every stored secret again under the current master key (after a rotation): the
/// master-key check, the signing keys (retired ones too) and TOTP secrets. One transaction;
/// returns how many values changed.
pub async fn reseal(db: &Db, secrets: &Arc<Secrets>) -> ApiResult<usize> {
    let secrets = secrets.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let reseal = |context: &str, sealed: &[u8]| {
                secrets
                    .reseal(context, sealed)
                    .map_err(|err| ApiError::internal(format!("resealing {context}: {err}")))
            };
            let mut changed = 0;
            let check: Option<(Vec<u8>,)> = tx
                .fetch_optional("SELECT value FROM meta WHERE key = $1", params![MASTER_KEY_CHECK])
                .await?;
            if let Some((value,)) = check
                && let Some(value) = reseal(MASTER_KEY_CHECK_CONTEXT, &value)?
            {
                let sql = "UPDATE meta SET value = $2 WHERE key = $1";
                changed += tx.execute(sql, params![MASTER_KEY_CHECK, value]).await?;
            }
            let keys: Vec<(String, Vec<u8>)> = tx
                .fetch_all("SELECT kid, private_key FROM signing_keys", params![])
                .await?;
            for (kid, private_key) in keys {
                if let Some(sealed) = reseal(&format!("signing-key:{kid}"), &private_key)? {
                    let sql = "UPDATE signing_keys SET private_key = $2 WHERE kid = $1";
                    changed += tx.execute(sql, params![kid, sealed]).await?;
                }
            }
            let totp: Vec<(i64, Option<Vec<u8>>, Option<Vec<u8>>)> = tx
                .fetch_all(
                    "SELECT user_id, totp_secret, totp_pending FROM credentials \
                     WHERE totp_secret IS NOT NULL OR totp_pending IS NOT NULL",
                    params![],
                )
                .await?;
            for (user_id, secret, pending) in totp {
                let context = format!("totp:{user_id}");
                let resealed = |value: Option<Vec<u8>>| match value {
                    Some(value) => Ok::<_, ApiError>(Some(reseal(&context, &value)?.unwrap_or(value))),
                    None => Ok(None),
                };
                let (secret_now, pending_now) = (resealed(secret.clone())?, resealed(pending.clone())?);
                if secret_now != secret || pending_now != pending {
                    let sql = "UPDATE credentials SET totp_secret = $2, totp_pending = $3 WHERE user_id = $1";
                    changed += tx.execute(sql, params![user_id, secret_now, pending_now]).await?;
                }
            }
            Ok::<_, ApiError>(changed as usize)
        })
    })
    .await
}
