-- A profile's picture (JSON hybrid_chats_api::avatar::Avatar: an avatar file of the files
-- service, its blurhash and thumbnail sides); NULL: none, clients draw the initial.
ALTER TABLE users ADD COLUMN avatar TEXT;
-- How many times the profile changed: the pts of its latest profile event.
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- Profile changes (events.rs), which chats consumes to tell the people who see the user; kept
-- a week, like the outbox rows that make them a stream (hybrid_core::outbox).
CREATE TABLE profile_events (
    user_id INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, pts)
);
CREATE INDEX profile_events_created ON profile_events (created_at);

-- As chats' (its migrations 0002 to 0004): topic 0 = profile_events (key = user id).
-- AUTOINCREMENT: ids never come back after rows are deleted, so the relay's cursor holds.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic INTEGER NOT NULL,
    key INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    control TEXT,
    trace TEXT,
    created_at INTEGER
);
CREATE TABLE stream (
    position INTEGER PRIMARY KEY,
    topic INTEGER NOT NULL,
    key INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    relayed_at INTEGER NOT NULL
);
