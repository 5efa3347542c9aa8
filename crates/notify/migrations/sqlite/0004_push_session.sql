-- The session (signed-in device) that subscribed: no push goes to it while its socket says
-- the device is in front of its user (realtime's focus flag). 0: unknown.
ALTER TABLE push_subscriptions ADD COLUMN session_id INTEGER NOT NULL DEFAULT 0;
