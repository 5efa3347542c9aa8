-- What happened that concerns a user (service.rs): their in-app list, read or not. One row per
-- user, message and kind (a second reaction to the same message updates the row).
-- kind: mention | reply | direct_message | reaction | added_to_chat; seq 0 for added_to_chat.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    actor_id INTEGER NOT NULL,
    chat_title TEXT NOT NULL,
    preview TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, chat_id, seq, kind);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_message ON notifications (chat_id, seq);
CREATE INDEX notifications_created ON notifications (created_at);

-- A user's choice for one chat: level all | mentions | none, muted until a time (epoch ms;
-- 0: not muted). No row: all.
CREATE TABLE chat_settings (
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    level TEXT NOT NULL,
    muted_until INTEGER NOT NULL,
    PRIMARY KEY (user_id, chat_id)
);
