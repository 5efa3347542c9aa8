-- Relayed events stay in the outbox, as the chats' event stream that other services consume
-- durably (hybrid_core::stream), until they are pruned with the event log. `position` is set by
-- the relay and increases in commit order: consumers read the rows after their cursor.
-- Rows without one are waiting for the relay.
ALTER TABLE outbox ADD COLUMN position INTEGER;
ALTER TABLE outbox ADD COLUMN relayed_at INTEGER;
CREATE UNIQUE INDEX outbox_position ON outbox (position);
CREATE INDEX outbox_pending ON outbox (id) WHERE position IS NULL;
