-- How many times each user's list changed (an entry made, updated, read or removed): the
-- cursor of notify's part of /sync, which tells a client that comes back whether to reload.
CREATE TABLE list_versions (
    user_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
