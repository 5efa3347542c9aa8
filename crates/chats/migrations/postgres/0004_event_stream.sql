-- The chats' event stream, which other services consume durably (hybrid_core::stream), by a
-- position that increases in commit order, until it is pruned with the event log. On SQLite
-- the outbox is the stream (outbox ids are in commit order; published rows stay, and
-- created_at dates them for pruning). On PostgreSQL the relay moves each published row into
-- `stream` with a position, as ids there are not in commit order.
ALTER TABLE outbox ADD COLUMN created_at BIGINT;
CREATE TABLE stream (
    position BIGINT PRIMARY KEY,
    topic BIGINT NOT NULL,
    key BIGINT NOT NULL,
    pts BIGINT NOT NULL,
    relayed_at BIGINT NOT NULL
);
