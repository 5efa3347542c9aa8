-- Accounts that act for their owner on a platform ('hybrid': a session of a Hybrid user;
-- 'telegram_bot': a bot, through the Bot API at endpoint). The secret (the token it was
-- connected with) is sealed with the master key and never returned. state: active, paused,
-- flood_wait, peer_flood (rests until rest_until), logged_out, banned. next_at: the account's
-- pause between actions ends then. update_offset: a bot's next getUpdates offset.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    connector TEXT NOT NULL,
    name TEXT NOT NULL,
    actor_id INTEGER NOT NULL,
    actor_name TEXT NOT NULL,
    session_id INTEGER NOT NULL,
    secret BLOB NOT NULL,
    state TEXT NOT NULL,
    state_detail TEXT NOT NULL DEFAULT '',
    rest_until INTEGER,
    daily_limit INTEGER NOT NULL,
    last_used_at INTEGER,
    next_at INTEGER NOT NULL DEFAULT 0,
    endpoint TEXT NOT NULL DEFAULT '',
    update_offset INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX accounts_by_owner ON accounts (owner_id, id);

-- Named, deduplicated lists of people: phones in E.164 or usernames (kind 'phone'/'username').
CREATE TABLE audiences (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX audiences_by_owner ON audiences (owner_id, id);

CREATE TABLE audience_entries (
    audience_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (audience_id, id)
);
CREATE UNIQUE INDEX audience_entries_unique ON audience_entries (audience_id, value);

-- Invite campaigns: an audience (copied into contacts at creation) into a target chat by the
-- listed accounts. state: running, paused, cancelled, finished. step_job: the pending or
-- running job of its next step (cancelled on pause and cancel).
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- NULL once the audience is deleted (its people's handles are erased here too)
    audience_id INTEGER,
    target_chat_id INTEGER NOT NULL,
    mode TEXT NOT NULL,
    link_text TEXT NOT NULL,
    pause_min_ms INTEGER NOT NULL,
    pause_max_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    waiting TEXT NOT NULL DEFAULT '',
    step_seq INTEGER NOT NULL DEFAULT 0,
    step_job INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    -- the inbound webhook adding one contact per request: its public id, and its secret
    -- sealed with the master key (HMAC needs it in clear to check a signature)
    inbound_hook TEXT,
    inbound_secret BLOB
);
CREATE UNIQUE INDEX campaigns_by_hook ON campaigns (inbound_hook);
CREATE INDEX campaigns_by_owner ON campaigns (owner_id, id);
CREATE INDEX campaigns_by_audience ON campaigns (audience_id);

-- The accounts a campaign uses, and the invite link each made for it (link modes).
CREATE TABLE campaign_accounts (
    campaign_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    invite_code TEXT,
    PRIMARY KEY (campaign_id, account_id)
);
CREATE INDEX campaign_accounts_by_account ON campaign_accounts (account_id);

-- One row per person of a campaign. outcome NULL: not settled yet (retry_at: not before then).
CREATE TABLE contacts (
    campaign_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    outcome TEXT,
    detail TEXT NOT NULL DEFAULT '',
    user_id INTEGER,
    account_id INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, id)
);
CREATE INDEX contacts_open ON contacts (campaign_id, outcome, retry_at);
CREATE INDEX contacts_by_value ON contacts (campaign_id, value);
-- the live log: most recently changed first
CREATE INDEX contacts_recent ON contacts (campaign_id, updated_at, id);
-- a join request through a campaign's link is matched to the contact it was sent to
CREATE INDEX contacts_by_user ON contacts (user_id, account_id);

-- Written before each action and finished after it: an attempt left open by a crash is
-- settled by re-checking membership, so nobody is invited twice. Also what the daily limit
-- counts (per account and target chat, rolling 24 hours).
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    contact_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    target_chat_id INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    outcome TEXT
);
CREATE INDEX attempts_by_account ON attempts (account_id, target_chat_id, started_at);
CREATE INDEX attempts_open ON attempts (campaign_id, finished_at);

-- The member parser: fills an audience from a source chat, a page per job step. source:
-- 'members' (next_cursor: the last member's user id) or 'authors' (distinct non-bot authors of the
-- history; next_cursor: the oldest message read). state: running, finished, cancelled, failed.
CREATE TABLE parses (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    -- NULL once the audience is deleted
    audience_id INTEGER,
    source_chat_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    max_people INTEGER NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    next_cursor INTEGER,
    scanned INTEGER NOT NULL DEFAULT 0,
    found INTEGER NOT NULL DEFAULT 0,
    step_job INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX parses_by_owner ON parses (owner_id, id);

-- People a bot account may write to: they wrote to the bot (started it), as its updates
-- showed. username: folded, '' for people without one.
CREATE TABLE bot_people (
    account_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    username TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id)
);
CREATE INDEX bot_people_by_username ON bot_people (account_id, username);

-- A bot's posts made with a key (the Bot API has no idempotency of its own): the key's message.
CREATE TABLE bot_posts (
    account_id INTEGER NOT NULL,
    post_key TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (account_id, post_key)
);
