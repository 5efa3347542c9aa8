-- The card of an object that lives in the chat (a file, a task, a poll), kept by its owning
-- service through the chats API: JSON {type, service, object_id, version, preview,
-- searchable_text}. NULL for plain messages.
ALTER TABLE messages ADD COLUMN attachment TEXT;
-- Updates reach members at most once a second per message: when the last attachment event
-- went out, and whether a newer version waits for the attachment-events worker.
ALTER TABLE messages ADD COLUMN attachment_event_at BIGINT;
ALTER TABLE messages ADD COLUMN attachment_pending BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_attachment_pending ON messages (attachment_pending) WHERE attachment_pending = 1;
