-- Logged events waiting for the relay to publish them (relay.rs); a row is deleted once the
-- bus has it. topic: 0 = events (key = chat id), 1 = user_events (key = user id).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    topic INTEGER NOT NULL,
    key INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    control TEXT
);
