-- A deleted or edited message's words leave the full-text index at once, not at the next
-- segment merge (FTS5 secure-delete, SQLite 3.42+).
INSERT INTO message_fts (message_fts, rank) VALUES ('secure-delete', 1);
