-- The content pipeline: books (sources) cut into blocks, each summarised, summaries made posts.
-- content_sources: a book read from an upload of the files service (file_id; the text lives in
-- content_blocks from then on, so the upload may go). state: extracting, ready, failed (error).
-- summarising: 1 while its blocks' summary jobs run (stop sets 0; queued jobs then do nothing).
CREATE TABLE content_sources (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    state TEXT NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    summarising INTEGER NOT NULL DEFAULT 0,
    run_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX content_sources_by_owner ON content_sources (owner_id, id);
-- A block: part `part` (from 1) of chapter `chapter` (from 0, in reading order), `chars`
-- characters. summary_state: none, queued, done, failed (summary_error); summary_by: the model,
-- or "offline"; tokens as the provider counted them.
CREATE TABLE content_blocks (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    chapter INTEGER NOT NULL,
    chapter_title TEXT NOT NULL,
    part INTEGER NOT NULL,
    body TEXT NOT NULL,
    chars INTEGER NOT NULL,
    summary_state TEXT NOT NULL DEFAULT 'none',
    summary TEXT NOT NULL DEFAULT '',
    summary_by TEXT NOT NULL DEFAULT '',
    summary_error TEXT NOT NULL DEFAULT '',
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, seq)
);
-- Posts made from summaries. body: the text; entities: its formatting as JSON (UTF-16
-- offsets). state: generating, draft, approved, skipped, failed (error).
CREATE TABLE content_posts (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL,
    source_id INTEGER NOT NULL,
    block_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    entities TEXT NOT NULL DEFAULT '[]',
    made_by TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX content_posts_by_owner ON content_posts (owner_id, id);
CREATE INDEX content_posts_by_block ON content_posts (block_id);
-- An owner's AI provider (OpenAI-compatible chat completions) and prompts. api_key: sealed
-- with the master key, empty for none. Prices in millionths of a dollar per million tokens.
CREATE TABLE content_settings (
    owner_id INTEGER PRIMARY KEY,
    base_url TEXT NOT NULL,
    api_key BLOB NOT NULL,
    model TEXT NOT NULL,
    summary_prompt TEXT NOT NULL,
    post_prompt TEXT NOT NULL,
    price_in INTEGER NOT NULL,
    price_out INTEGER NOT NULL,
    requests_per_minute INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
