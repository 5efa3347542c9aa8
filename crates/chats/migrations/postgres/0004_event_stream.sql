-- The chats' event stream, which other services consume durably (hybrid_core::stream): every
-- event the relay published, by a position that increases in commit order (set by the relay,
-- which moves each published outbox row here), until it is pruned with the event log.
-- Append-only: the send path pays nothing for it, the relay one insert per event.
CREATE TABLE stream (
    position BIGINT PRIMARY KEY,
    topic BIGINT NOT NULL,
    key BIGINT NOT NULL,
    pts BIGINT NOT NULL,
    relayed_at BIGINT NOT NULL
);
