-- A user's outgoing webhooks (hooks.rs): each new entry of theirs (chat_id 0), or of one chat,
-- is POSTed to url, signed with the secret (sealed with the master key). failures counts the
-- deliveries in a row that failed for good; at three the hook is disabled (disabled_at, 0:
-- active) until its owner turns it on again. Deliveries and their log: the webhooks tables.
CREATE TABLE hooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    disabled_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX hooks_user ON hooks (user_id);
