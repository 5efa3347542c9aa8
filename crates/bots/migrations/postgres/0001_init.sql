-- Bot accounts: the bot is a user of the users service (`user_id`, is_bot there), owned by
-- the person who made it. The token is `<user_id>:<secret>`; only its SHA-256 is kept.
CREATE TABLE bots (
    user_id BIGINT PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    username TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    -- 1: in groups the bot sees only commands, replies to it and mentions of it
    privacy BIGINT NOT NULL DEFAULT 1,
    -- setMyCommands: JSON {"<scope>|<language>": [{"command", "description"}]}
    commands TEXT NOT NULL DEFAULT '{}',
    -- getUpdates/setWebhook allowed_updates: JSON list; NULL: the default kinds
    allowed_updates TEXT,
    -- setWebhook: where updates are POSTed ('' : none, getUpdates instead), and the
    -- secret_token sent as X-Telegram-Bot-Api-Secret-Token, sealed (NULL: none)
    webhook_url TEXT NOT NULL DEFAULT '',
    webhook_secret BYTEA,
    webhook_set_at BIGINT NOT NULL DEFAULT 0,
    -- the highest update_id given to the bot so far
    last_update_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX bots_owner ON bots (owner_id, user_id);

-- The chats each bot is a member of (from chats' events), with what updates need of them.
CREATE TABLE bot_chats (
    bot_id BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    -- direct, group or channel
    kind TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    -- a direct chat's other member
    peer_id BIGINT,
    PRIMARY KEY (bot_id, chat_id)
);
CREATE INDEX bot_chats_chat ON bot_chats (chat_id, bot_id);

-- Updates waiting for the bot: `payload` is the update's object (a Message) without its
-- update_id, `kind` its field in the Update (message, edited_message, channel_post …).
CREATE TABLE updates (
    bot_id BIGINT NOT NULL,
    update_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    chat_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX updates_message ON updates (chat_id, seq);
CREATE INDEX updates_created ON updates (created_at);

-- Buttons pressed (callback queries): the person waits for the bot's answerCallbackQuery,
-- which fills `answer` (JSON {"text", "show_alert", "url"}). Kept an hour.
CREATE TABLE callbacks (
    id BIGINT PRIMARY KEY,
    bot_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    chat_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    answer TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX callbacks_created ON callbacks (created_at);
