-- Autopost: schedules publish approved content posts to targets at times of day in a time
-- zone. times: JSON ["09:00", …]; weekdays: bit (d - 1) set for ISO weekday d (1 Monday … 7
-- Sunday); random_order, like every flag here, 0 or 1; source_id NULL: any book's posts.
-- state: running, stopped; slot_job_id: the job of next_slot_at (cancelled by stop).
CREATE TABLE autopost_schedules (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    times TEXT NOT NULL,
    weekdays INTEGER NOT NULL,
    random_order INTEGER NOT NULL,
    source_id INTEGER,
    state TEXT NOT NULL,
    next_slot_at INTEGER,
    slot_job_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX autopost_schedules_by_owner ON autopost_schedules (owner_id, id);
-- Where a schedule publishes: a chat, as one of the owner's accounts.
CREATE TABLE autopost_targets (
    id INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL
);
CREATE INDEX autopost_targets_by_schedule ON autopost_targets (schedule_id);
-- The post log: one row per publication, a copy of the post as it went out (the post may be
-- edited or deleted later). trigger: slot, now, republish; state: publishing, published,
-- partial, failed, empty (no approved post was left).
CREATE TABLE autopost_publications (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    schedule_id INTEGER NOT NULL,
    post_id INTEGER,
    trigger TEXT NOT NULL,
    slot_at INTEGER,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    entities TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX autopost_publications_by_schedule ON autopost_publications (schedule_id, id);
-- A publication's delivery to one target. state: pending, sent, failed; plain_text: sent
-- without its formatting, which the target refused; key: the connector's idempotency key.
CREATE TABLE autopost_deliveries (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    publication_id INTEGER NOT NULL,
    target_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    message_id INTEGER,
    plain_text INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    key TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX autopost_deliveries_by_publication ON autopost_deliveries (publication_id);
CREATE INDEX autopost_deliveries_by_owner ON autopost_deliveries (owner_id, created_at);
-- A content post published by a schedule is 'published' from then on.
ALTER TABLE content_posts ADD COLUMN published_at INTEGER;
-- Alerts: where an owner's go (an account and a chat), which kinds (JSON of switches), the
-- queue threshold, and the least time between two alerts of a kind.
CREATE TABLE alert_settings (
    owner_id INTEGER PRIMARY KEY,
    account_id INTEGER,
    chat_id INTEGER,
    kinds TEXT NOT NULL,
    queue_threshold INTEGER NOT NULL,
    min_interval_secs INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- Alerts raised. state: pending, sent, suppressed (no destination set), failed; repeats: alerts
-- of the same kind the rate limit folded into this one.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    repeats INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX alerts_by_owner ON alerts (owner_id, kind, id);
