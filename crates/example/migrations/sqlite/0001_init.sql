-- Every chats event the example service consumed, once: the primary key would refuse a
-- second application of the same event.
CREATE TABLE seen (
    position INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    topic_id INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    kind TEXT NOT NULL
);

-- Notices for a user that must survive a disconnect: the example's part of POST /sync.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    frame TEXT NOT NULL
);
CREATE INDEX notices_user ON notices (user_id, id);
