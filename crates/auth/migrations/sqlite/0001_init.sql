-- Small named values: the master-key check value.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Password and second factor of each user (users are owned by the users service).
CREATE TABLE credentials (
    user_id INTEGER PRIMARY KEY,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    -- TOTP secrets are encrypted with the master key; pending until confirmed with a code.
    totp_secret BLOB,
    totp_pending BLOB,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A logged-in device.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    device TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Every refresh token a session was given, by SHA-256; spent ones stay to detect reuse.
CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY,
    session_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    spent_at INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Ed25519 keys that sign access tokens; private halves encrypted with the master key.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    private_key BLOB NOT NULL,
    public_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);

-- Codes that let someone register while registration is invite-only.
CREATE TABLE registration_invites (
    code_hash BLOB PRIMARY KEY,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    uses_left INTEGER NOT NULL
);
