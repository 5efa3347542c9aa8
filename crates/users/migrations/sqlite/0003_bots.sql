-- Bot accounts (the bots service creates them): 1 for a bot, 0 for a person. Bots have no
-- credentials in auth, so nobody signs in as one; they act through the Bot API.
ALTER TABLE users ADD COLUMN is_bot INTEGER NOT NULL DEFAULT 0;
