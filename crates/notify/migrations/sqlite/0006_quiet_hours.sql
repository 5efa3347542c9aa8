-- A user's quiet hours (quiet.rs): no push from quiet_from to quiet_to (minutes after midnight
-- in time_zone, an IANA name); the in-app list still fills. No row: none.
CREATE TABLE quiet_hours (
    user_id INTEGER PRIMARY KEY,
    time_zone TEXT NOT NULL,
    quiet_from INTEGER NOT NULL,
    quiet_to INTEGER NOT NULL
);
