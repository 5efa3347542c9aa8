-- Invite links with a name (shown to admins) and links that admit nobody by themselves: who
-- follows one asks to join and waits for an admin or a bot to decide (docs/chats.md, "Join
-- requests").
ALTER TABLE invite_links ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE invite_links ADD COLUMN needs_approval INTEGER NOT NULL DEFAULT 0;
-- Requests waiting for a decision; one per person and chat. Approving adds the person (the
-- row goes), declining drops the row: they may ask again.
CREATE TABLE join_requests (
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    code TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
-- A person's own pending requests, and a chat's oldest first.
CREATE INDEX join_requests_user ON join_requests (user_id);
CREATE INDEX join_requests_chat_at ON join_requests (chat_id, requested_at, user_id);
