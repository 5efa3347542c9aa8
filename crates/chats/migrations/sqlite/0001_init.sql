CREATE TABLE chats (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                 -- direct | group | channel
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    -- "<smaller user id>:<larger user id>" for direct chats: one chat per pair
    direct_key TEXT,
    history_visibility TEXT NOT NULL,   -- all | since_join
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    pts INTEGER NOT NULL DEFAULT 0,     -- last event of the chat
    last_seq INTEGER NOT NULL DEFAULT 0,-- last message of the chat
    last_activity_at INTEGER NOT NULL,
    member_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX chats_direct_key ON chats (direct_key);

CREATE TABLE members (
    chat_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,                 -- owner | admin | member
    allow_bits INTEGER NOT NULL DEFAULT 0,
    deny_bits INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    joined_seq INTEGER NOT NULL,        -- last_seq when the member joined
    joined_pts INTEGER NOT NULL,        -- pts of the member's join event
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX members_user ON members (user_id);
CREATE INDEX members_joined ON members (chat_id, joined_seq);

CREATE TABLE messages (
    chat_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    sender_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    entities TEXT NOT NULL,             -- JSON array
    reply_to INTEGER,
    nonce TEXT,
    created_at INTEGER NOT NULL,
    edited_at INTEGER,
    deleted_at INTEGER,
    PRIMARY KEY (chat_id, seq)
);
CREATE UNIQUE INDEX messages_nonce ON messages (chat_id, sender_id, nonce);

CREATE TABLE reactions (
    chat_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    emoji TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, seq, user_id, emoji)
);

CREATE TABLE pins (
    chat_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    pinned_by INTEGER NOT NULL,
    pinned_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, seq)
);

CREATE TABLE invite_links (
    code TEXT PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    usage_limit INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
);
CREATE INDEX invite_links_chat ON invite_links (chat_id);

-- The event log of each chat (also the outbox the bus is fed from); payload is the frame
-- clients receive, serialised once.
CREATE TABLE events (
    chat_id INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (chat_id, pts)
);
CREATE INDEX events_created ON events (created_at);

-- Events that belong to one user: added to or removed from a chat, read markers.
CREATE TABLE user_events (
    user_id INTEGER NOT NULL,
    pts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, pts)
);
CREATE INDEX user_events_created ON user_events (created_at);

CREATE TABLE user_state (
    user_id INTEGER PRIMARY KEY,
    pts INTEGER NOT NULL
);

-- Full-text index of message text, normalised in Rust. rowid = chat_id << 32 | seq.
CREATE VIRTUAL TABLE message_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 0');
