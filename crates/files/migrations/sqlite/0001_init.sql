-- Stored files. The bytes live in the object store under `key`; `sha256` is their hex
-- digest (the ETag); `content_type` was sniffed from the bytes, never taken from the client.
CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE INDEX files_by_owner ON files (owner_id, id);
