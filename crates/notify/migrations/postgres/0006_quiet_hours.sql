-- A user's quiet hours (quiet.rs): no push from quiet_from to quiet_to (minutes after midnight
-- in time_zone, an IANA name); the in-app list still fills. No row: none.
CREATE TABLE quiet_hours (
    user_id BIGINT PRIMARY KEY,
    time_zone TEXT NOT NULL,
    quiet_from BIGINT NOT NULL,
    quiet_to BIGINT NOT NULL
);
