-- Access follows the message (docs/files.md, "Who may read"). `avatar`: readable by any
-- signed-in user and never collected. `attached_at`: when a message first carried the file
-- (NULL: an orphan once its grace is over).
ALTER TABLE files ADD COLUMN avatar BIGINT NOT NULL DEFAULT 0;
ALTER TABLE files ADD COLUMN attached_at BIGINT;
CREATE INDEX files_unattached ON files (created_at) WHERE attached_at IS NULL AND avatar = 0;

-- Which messages carry which file, from chats' event stream: a file goes when its last
-- message does.
CREATE TABLE file_refs (
    chat_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    PRIMARY KEY (chat_id, seq)
);
CREATE INDEX file_refs_by_file ON file_refs (file_id);

-- Storage keys of deleted files whose bytes the cleanup job still has to remove.
CREATE TABLE doomed_keys (
    key TEXT PRIMARY KEY,
    since BIGINT NOT NULL
);
