-- SQLite's full-text index keeps a deleted row's words until a merge unless told otherwise
-- (its 0008). PostgreSQL deletes index entries with the row (vacuum reclaims the space):
-- nothing to do here.
SELECT 1;
