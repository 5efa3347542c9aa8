-- Who may not come back into a chat, and until when (NULL: until lifted). Every way in (invite
-- links, being added) checks it; removing a member bans them.
CREATE TABLE bans (
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    banned_by INTEGER NOT NULL,
    banned_at INTEGER NOT NULL,
    until INTEGER,
    PRIMARY KEY (chat_id, user_id)
);
-- Invite links are listed newest first, page by page.
CREATE INDEX invite_links_chat_created ON invite_links (chat_id, created_at, code);
