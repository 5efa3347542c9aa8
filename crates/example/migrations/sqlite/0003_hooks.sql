-- A user's webhooks: each notice of theirs is POSTed to each (crates/webhooks delivers).
CREATE TABLE hooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX hooks_user ON hooks (user_id);
