-- hybrid-jobs, schema 1: the module's queue (see crates/jobs).
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready',
    priority INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    dedup_key TEXT,
    concurrency_key TEXT,
    -- at most rate_max starts per rate_window_ms among the jobs sharing rate_key
    rate_key TEXT,
    rate_max INTEGER,
    rate_window_ms INTEGER,
    started_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_dedup ON jobs (queue, dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_rate ON jobs (rate_key, started_at) WHERE rate_key IS NOT NULL;
CREATE UNIQUE INDEX jobs_one_running_per_key ON jobs (concurrency_key)
    WHERE state = 'running' AND concurrency_key IS NOT NULL;
-- recurring schedules: each due period enqueues one job (dedup key: name and period)
CREATE TABLE job_schedules (
    name TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    cron TEXT NOT NULL,
    timezone TEXT NOT NULL,
    next_run_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX job_schedules_due ON job_schedules (next_run_at);
