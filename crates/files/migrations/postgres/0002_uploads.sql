-- Resumable (tus) uploads in progress. `received` counts the bytes stored durably: whole
-- parts of `upload_parts` plus a tail object under a part's size. A request appending holds
-- the lease (`lease`, until `lease_until`), so two requests never append at once. Once
-- complete, `file_id` names the file, and the row stays until `expires_at` so the client can
-- learn it; a row without `file_id` reserves `length` bytes of its owner's quota.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL,
    key TEXT NOT NULL UNIQUE,
    multipart_id TEXT,
    lease TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    file_id BIGINT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX uploads_by_owner ON uploads (owner_id);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);

-- The parts an upload has stored, and the id completing it needs (S3's ETag).
CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL,
    part_no BIGINT NOT NULL,
    part_id TEXT NOT NULL,
    PRIMARY KEY (upload_id, part_no)
);
