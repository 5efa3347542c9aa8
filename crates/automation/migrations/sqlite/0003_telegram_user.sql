-- Telegram user accounts (the telegram_user connector). telegram_peers: the access hashes an
-- account was given for users and channels (peer_id: a user's id, or a channel's -100… chat
-- id), which Telegram wants back with every request naming them.
CREATE TABLE telegram_peers (
    account_id INTEGER NOT NULL,
    peer_id INTEGER NOT NULL,
    access_hash INTEGER NOT NULL,
    PRIMARY KEY (account_id, peer_id)
);
-- QR logins in progress. session: the MTProto session (auth keys), sealed with the master
-- key. state: waiting (qr_url shown until qr_expires_at), password_needed, done (account_id),
-- expired, failed (error). A login ends at expires_at.
CREATE TABLE telegram_logins (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    daily_limit INTEGER NOT NULL,
    state TEXT NOT NULL,
    session BLOB NOT NULL,
    qr_url TEXT NOT NULL DEFAULT '',
    qr_expires_at INTEGER NOT NULL DEFAULT 0,
    password_hint TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    account_id INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX telegram_logins_by_owner ON telegram_logins (owner_id, id);
