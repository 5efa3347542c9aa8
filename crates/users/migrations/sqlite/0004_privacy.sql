-- Who may add the user to groups and channels: 0 everyone, 1 people who share a chat with
-- them, 2 nobody (they join by invite link themselves). Private: never part of the profile.
ALTER TABLE users ADD COLUMN add_policy INTEGER NOT NULL DEFAULT 0;
