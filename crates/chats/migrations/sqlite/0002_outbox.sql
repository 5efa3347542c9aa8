-- Logged events waiting for the relay to publish them (relay.rs); a row is deleted once the
-- bus has it. topic: 0 = events (key = chat id), 1 = user_events (key = user id).
-- AUTOINCREMENT: ids never come back after rows are deleted, so the relay's cursor holds.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic INTEGER NOT NULL,
    key INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    control TEXT
);
