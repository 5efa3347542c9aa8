-- The chats' event stream, which other services consume durably (hybrid_core::stream): every
-- event the relay published, by a position that increases in commit order (set by the relay,
-- which moves each published outbox row here), until it is pruned with the event log.
-- Append-only: the send path pays nothing for it, the relay one insert per event.
CREATE TABLE stream (
    position INTEGER PRIMARY KEY,
    topic INTEGER NOT NULL,
    key INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    relayed_at INTEGER NOT NULL
);
