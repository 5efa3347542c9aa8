-- The server's VAPID key pair (webpush.rs): its private key sealed with the master key
-- (context "vapid-key"), made on the first start; one row.
CREATE TABLE vapid_key (
    id INTEGER PRIMARY KEY,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- The browsers that receive a user's notifications (Web Push subscriptions). An endpoint
-- belongs to one browser profile: subscribing it again moves it to whoever did.
CREATE TABLE push_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    hide_content INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX push_subscriptions_endpoint ON push_subscriptions (endpoint);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
