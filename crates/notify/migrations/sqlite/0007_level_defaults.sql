-- A user's level for each kind of chat without a level of its own (defaults.rs): all | mentions
-- | none. No row: all for every kind. From now on a chat_settings row may have level 'default'
-- (a mute on a chat that follows these).
CREATE TABLE level_defaults (
    user_id BIGINT PRIMARY KEY,
    direct TEXT NOT NULL,
    grp TEXT NOT NULL,
    channel TEXT NOT NULL
);
