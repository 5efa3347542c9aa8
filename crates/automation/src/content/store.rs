//! The content pipeline's SQL, the same text on SQLite and PostgreSQL.

use hybrid_store::{Sql, StoreError, params};

use super::api::{Chapter, SummaryProgress};

type StoreResult<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone)]
pub struct SourceRow {
    pub id: i64,
    pub owner_id: i64,
    pub file_id: i64,
    pub name: String,
    pub format: String,
    pub state: String,
    pub error: String,
    pub title: String,
    pub summarising: i64,
    pub run_error: String,
    pub created_at: i64,
}

const SOURCE_COLUMNS: &str =
    "id, owner_id, file_id, name, format, state, error, title, summarising, run_error, created_at";

hybrid_store::from_row!(SourceRow {
    id,
    owner_id,
    file_id,
    name,
    format,
    state,
    error,
    title,
    summarising,
    run_error,
    created_at,
});

/// A source's counts, from its blocks.
#[derive(Debug, Clone, Default)]
pub struct SourceCounts {
    pub source_id: i64,
    pub chapters: i64,
    pub blocks: i64,
    pub chars: i64,
    pub done: i64,
    pub queued: i64,
    pub failed: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

hybrid_store::from_row!(SourceCounts {
    source_id,
    chapters,
    blocks,
    chars,
    done,
    queued,
    failed,
    tokens_in,
    tokens_out,
});

impl SourceCounts {
    pub fn progress(&self, source: &SourceRow) -> SummaryProgress {
        SummaryProgress {
            running: source.summarising != 0,
            done: self.done,
            queued: self.queued,
            failed: self.failed,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            error: source.run_error.clone(),
        }
    }
}

/// Per source, grouped; `{where}` picks the sources.
const COUNTS: &str = "SELECT source_id, COUNT(DISTINCT chapter), COUNT(*), CAST(SUM(chars) AS BIGINT), \
     CAST(SUM(CASE WHEN summary_state = 'done' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN summary_state = 'queued' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(CASE WHEN summary_state = 'failed' THEN 1 ELSE 0 END) AS BIGINT), \
     CAST(SUM(tokens_in) AS BIGINT), CAST(SUM(tokens_out) AS BIGINT) \
     FROM content_blocks WHERE source_id IN ({where}) GROUP BY source_id";

#[derive(Debug, Clone)]
pub struct BlockRow {
    pub id: i64,
    pub source_id: i64,
    pub seq: i64,
    pub chapter: i64,
    pub chapter_title: String,
    pub part: i64,
    pub body: String,
    pub chars: i64,
    pub summary_state: String,
    pub summary: String,
    pub summary_by: String,
    pub summary_error: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
    /// Posts made from it.
    pub posts: i64,
    /// Blocks its chapter has.
    pub parts: i64,
}

const BLOCK_COLUMNS: &str = "b.id, b.source_id, b.seq, b.chapter, b.chapter_title, b.part, b.body, b.chars, \
     b.summary_state, b.summary, b.summary_by, b.summary_error, b.tokens_in, b.tokens_out, \
     (SELECT COUNT(*) FROM content_posts p WHERE p.block_id = b.id), \
     (SELECT COUNT(*) FROM content_blocks c WHERE c.source_id = b.source_id AND c.chapter = b.chapter)";

hybrid_store::from_row!(BlockRow {
    id,
    source_id,
    seq,
    chapter,
    chapter_title,
    part,
    body,
    chars,
    summary_state,
    summary,
    summary_by,
    summary_error,
    tokens_in,
    tokens_out,
    posts,
    parts,
});

/// A block to store.
#[derive(Debug)]
pub struct NewBlock {
    pub chapter: i64,
    pub chapter_title: String,
    pub part: i64,
    pub body: String,
    pub chars: i64,
}

#[derive(Debug, Clone)]
pub struct PostRow {
    pub id: i64,
    pub owner_id: i64,
    pub source_id: i64,
    pub block_id: i64,
    pub state: String,
    pub body: String,
    pub entities: String,
    pub made_by: String,
    pub error: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Its block's chapter title, part, and the parts of that chapter (for the block's title).
    pub chapter_title: String,
    pub part: i64,
    pub parts: i64,
}

const POST_COLUMNS: &str = "p.id, p.owner_id, p.source_id, p.block_id, p.state, p.body, p.entities, p.made_by, p.error, \
     p.created_at, p.updated_at, \
     COALESCE((SELECT b.chapter_title FROM content_blocks b WHERE b.id = p.block_id), ''), \
     COALESCE((SELECT b.part FROM content_blocks b WHERE b.id = p.block_id), 0), \
     (SELECT COUNT(*) FROM content_blocks b, content_blocks c \
      WHERE b.id = p.block_id AND c.source_id = b.source_id AND c.chapter = b.chapter)";

hybrid_store::from_row!(PostRow {
    id,
    owner_id,
    source_id,
    block_id,
    state,
    body,
    entities,
    made_by,
    error,
    created_at,
    updated_at,
    chapter_title,
    part,
    parts,
});

/// An owner's provider settings as stored (the key sealed, or empty).
#[derive(Debug, Clone)]
pub struct SettingsRow {
    pub owner_id: i64,
    pub base_url: String,
    pub api_key: Vec<u8>,
    pub model: String,
    pub summary_prompt: String,
    pub post_prompt: String,
    pub price_in: i64,
    pub price_out: i64,
    pub requests_per_minute: i64,
}

hybrid_store::from_row!(SettingsRow {
    owner_id,
    base_url,
    api_key,
    model,
    summary_prompt,
    post_prompt,
    price_in,
    price_out,
    requests_per_minute,
});

const SETTINGS_COLUMNS: &str =
    "owner_id, base_url, api_key, model, summary_prompt, post_prompt, price_in, price_out, requests_per_minute";

// ---- sources

pub async fn insert_source(
    sql: &mut Sql<'_>,
    owner_id: i64,
    file_id: i64,
    name: &str,
    format: &str,
    now: i64,
) -> StoreResult<SourceRow> {
    let query = format!(
        "INSERT INTO content_sources (owner_id, file_id, name, format, state, created_at) \
         VALUES ($1, $2, $3, $4, 'extracting', $5) RETURNING {SOURCE_COLUMNS}"
    );
    sql.fetch_one(&query, params![owner_id, file_id, name, format, now])
        .await
}

pub async fn source(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<SourceRow>> {
    let query = format!("SELECT {SOURCE_COLUMNS} FROM content_sources WHERE id = $1");
    sql.fetch_optional(&query, params![id]).await
}

pub async fn sources_page(sql: &mut Sql<'_>, owner_id: i64, before: i64, limit: i64) -> StoreResult<Vec<SourceRow>> {
    let query = format!(
        "SELECT {SOURCE_COLUMNS} FROM content_sources WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    );
    sql.fetch_all(&query, params![owner_id, before, limit]).await
}

pub async fn count_sources(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM content_sources WHERE owner_id = $1",
            params![owner_id],
        )
        .await?;
    Ok(count)
}

/// The counts of each of `ids` that has blocks.
pub async fn counts(sql: &mut Sql<'_>, ids: &[i64]) -> StoreResult<Vec<SourceCounts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = COUNTS.replace("{where}", &hybrid_store::id_list(ids.iter().copied()));
    sql.fetch_all(&query, params![]).await
}

/// Ends an extraction: `ready` with its blocks, or `failed` with `error`. False when the
/// source is gone or was read already (a repeated job).
pub async fn finish_extraction(
    sql: &mut Sql<'_>,
    id: i64,
    title: &str,
    error: &str,
    blocks: &[NewBlock],
) -> StoreResult<bool> {
    let state = if error.is_empty() { "ready" } else { "failed" };
    let changed = sql
        .execute(
            "UPDATE content_sources SET state = $2, error = $3, title = $4 WHERE id = $1 AND state = 'extracting'",
            params![id, state, error, title],
        )
        .await?;
    if changed == 0 {
        return Ok(false);
    }
    // a few hundred rows per statement keeps each well under both databases' parameter limits
    for (batch, chunk) in blocks.chunks(200).enumerate() {
        let mut query = String::from(
            "INSERT INTO content_blocks (source_id, seq, chapter, chapter_title, part, body, chars) VALUES ",
        );
        let mut values: Vec<&dyn hybrid_store::sql::DynToSql> = Vec::with_capacity(chunk.len() * 6);
        let seqs: Vec<i64> = (0..chunk.len()).map(|i| (batch * 200 + i) as i64).collect();
        for (i, block) in chunk.iter().enumerate() {
            let at = i * 6;
            if i > 0 {
                query.push_str(", ");
            }
            query.push_str(&format!(
                "($1, ${}, ${}, ${}, ${}, ${}, ${})",
                at + 2,
                at + 3,
                at + 4,
                at + 5,
                at + 6,
                at + 7
            ));
            values.extend([
                &seqs[i] as &dyn hybrid_store::sql::DynToSql,
                &block.chapter,
                &block.chapter_title,
                &block.part,
                &block.body,
                &block.chars,
            ]);
        }
        let mut all: Vec<&dyn hybrid_store::sql::DynToSql> = vec![&id];
        all.extend(values);
        sql.execute(&query, &all).await?;
    }
    Ok(true)
}

pub async fn rename_source(sql: &mut Sql<'_>, id: i64, name: &str) -> StoreResult<()> {
    sql.execute("UPDATE content_sources SET name = $2 WHERE id = $1", params![id, name])
        .await?;
    Ok(())
}

/// Deletes a source with its blocks and posts.
pub async fn delete_source(sql: &mut Sql<'_>, id: i64) -> StoreResult<()> {
    sql.execute("DELETE FROM content_posts WHERE source_id = $1", params![id])
        .await?;
    sql.execute("DELETE FROM content_blocks WHERE source_id = $1", params![id])
        .await?;
    sql.execute("DELETE FROM content_sources WHERE id = $1", params![id])
        .await?;
    Ok(())
}

pub async fn chapters(sql: &mut Sql<'_>, source_id: i64) -> StoreResult<Vec<Chapter>> {
    sql.fetch_all(
        "SELECT b.chapter, MIN(b.chapter_title), COUNT(*), CAST(SUM(b.chars) AS BIGINT), \
         CAST(SUM(CASE WHEN b.summary_state = 'done' THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM content_posts p WHERE p.block_id = b.id) THEN 1 ELSE 0 END) AS BIGINT) \
         FROM content_blocks b WHERE b.source_id = $1 GROUP BY b.chapter ORDER BY b.chapter",
        params![source_id],
    )
    .await
}

hybrid_store::from_row!(Chapter {
    index,
    title,
    blocks,
    chars,
    summarised,
    used
});

pub async fn blocks_page(
    sql: &mut Sql<'_>,
    source_id: i64,
    chapter: Option<i64>,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<BlockRow>> {
    let query = format!(
        "SELECT {BLOCK_COLUMNS} FROM content_blocks b WHERE b.source_id = $1 AND b.seq > $2 \
         AND ($3 IS NULL OR b.chapter = $3) ORDER BY b.seq LIMIT $4"
    );
    sql.fetch_all(&query, params![source_id, after, chapter, limit]).await
}

pub async fn block(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<BlockRow>> {
    let query = format!("SELECT {BLOCK_COLUMNS} FROM content_blocks b WHERE b.id = $1");
    sql.fetch_optional(&query, params![id]).await
}

/// The ids and lengths of a source's blocks without a summary (or whose summary failed).
pub async fn unsummarised(sql: &mut Sql<'_>, source_id: i64) -> StoreResult<Vec<(i64, i64)>> {
    sql.fetch_all(
        "SELECT id, chars FROM content_blocks WHERE source_id = $1 AND summary_state IN ('none', 'failed') ORDER BY seq",
        params![source_id],
    )
    .await
}

/// Marks a source's run started or stopped (with why, when the provider stopped it).
pub async fn set_summarising(sql: &mut Sql<'_>, id: i64, running: bool, error: &str) -> StoreResult<()> {
    sql.execute(
        "UPDATE content_sources SET summarising = $2, run_error = $3 WHERE id = $1",
        params![id, running as i64, error],
    )
    .await?;
    Ok(())
}

/// Blocks `ids` wait for a summary job.
pub async fn queue_blocks(sql: &mut Sql<'_>, ids: &[i64]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let query = format!(
        "UPDATE content_blocks SET summary_state = 'queued', summary_error = '' WHERE id IN ({})",
        hybrid_store::id_list(ids.iter().copied())
    );
    sql.execute(&query, params![]).await?;
    Ok(())
}

/// A stopped run's queued blocks go back to waiting.
pub async fn unqueue_blocks(sql: &mut Sql<'_>, source_id: i64) -> StoreResult<()> {
    sql.execute(
        "UPDATE content_blocks SET summary_state = 'none' WHERE source_id = $1 AND summary_state = 'queued'",
        params![source_id],
    )
    .await?;
    Ok(())
}

/// Records a block's summary (or its failure, `text` empty and `error` set).
pub async fn set_summary(
    sql: &mut Sql<'_>,
    id: i64,
    text: &str,
    by: &str,
    error: &str,
    tokens: (i64, i64),
) -> StoreResult<()> {
    let state = if error.is_empty() { "done" } else { "failed" };
    sql.execute(
        "UPDATE content_blocks SET summary_state = $2, summary = $3, summary_by = $4, summary_error = $5, \
         tokens_in = tokens_in + $6, tokens_out = tokens_out + $7 WHERE id = $1",
        params![id, state, text, by, error, tokens.0, tokens.1],
    )
    .await?;
    Ok(())
}

/// Whether `source_id` still has queued blocks; when none, its run is over.
pub async fn end_run_if_done(sql: &mut Sql<'_>, source_id: i64) -> StoreResult<bool> {
    let (queued,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM content_blocks WHERE source_id = $1 AND summary_state = 'queued'",
            params![source_id],
        )
        .await?;
    if queued == 0 {
        sql.execute(
            "UPDATE content_sources SET summarising = 0 WHERE id = $1",
            params![source_id],
        )
        .await?;
    }
    Ok(queued == 0)
}

/// The first summarised block of a source, in reading order, that no post was made from.
pub async fn next_unused(sql: &mut Sql<'_>, source_id: i64) -> StoreResult<Option<i64>> {
    let found: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT b.id FROM content_blocks b WHERE b.source_id = $1 AND b.summary_state = 'done' \
             AND NOT EXISTS (SELECT 1 FROM content_posts p WHERE p.block_id = b.id) ORDER BY b.seq LIMIT 1",
            params![source_id],
        )
        .await?;
    Ok(found.map(|(id,)| id))
}

// ---- posts

/// A new post of `owner_id` from `block`: its id.
pub async fn insert_post(
    sql: &mut Sql<'_>,
    owner_id: i64,
    block: &BlockRow,
    state: &str,
    body: (&str, &str),
    made_by: &str,
    now: i64,
) -> StoreResult<i64> {
    let (id,): (i64,) = sql
        .fetch_one(
            "INSERT INTO content_posts (owner_id, source_id, block_id, state, body, entities, made_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            params![owner_id, block.source_id, block.id, state, body.0, body.1, made_by, now],
        )
        .await?;
    Ok(id)
}

pub async fn post(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<PostRow>> {
    let query = format!("SELECT {POST_COLUMNS} FROM content_posts p WHERE p.id = $1");
    sql.fetch_optional(&query, params![id]).await
}

pub async fn posts_page(
    sql: &mut Sql<'_>,
    owner_id: i64,
    source_id: Option<i64>,
    state: Option<&str>,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<PostRow>> {
    let query = format!(
        "SELECT {POST_COLUMNS} FROM content_posts p WHERE p.owner_id = $1 AND p.id < $2 \
         AND ($3 IS NULL OR p.source_id = $3) AND ($4 IS NULL OR p.state = $4) ORDER BY p.id DESC LIMIT $5"
    );
    sql.fetch_all(&query, params![owner_id, before, source_id, state, limit])
        .await
}

pub async fn count_posts(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM content_posts WHERE owner_id = $1",
            params![owner_id],
        )
        .await?;
    Ok(count)
}

/// Sets a post's text, state, maker and error; `only_in` guards the state it must be in
/// (a model's answer lands only on a post still `generating`). False when it was not.
pub async fn save_post(sql: &mut Sql<'_>, post: &PostRow, only_in: &str, now: i64) -> StoreResult<bool> {
    let changed = sql
        .execute(
            "UPDATE content_posts SET state = $2, body = $3, entities = $4, made_by = $5, error = $6, updated_at = $7 \
             WHERE id = $1 AND state = $8",
            params![
                post.id,
                post.state,
                post.body,
                post.entities,
                post.made_by,
                post.error,
                now,
                only_in
            ],
        )
        .await?;
    Ok(changed > 0)
}

pub async fn delete_post(sql: &mut Sql<'_>, id: i64) -> StoreResult<()> {
    sql.execute("DELETE FROM content_posts WHERE id = $1", params![id])
        .await?;
    Ok(())
}

// ---- settings

pub async fn settings(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<Option<SettingsRow>> {
    let query = format!("SELECT {SETTINGS_COLUMNS} FROM content_settings WHERE owner_id = $1");
    sql.fetch_optional(&query, params![owner_id]).await
}

pub async fn save_settings(sql: &mut Sql<'_>, row: &SettingsRow, now: i64) -> StoreResult<()> {
    sql.execute(
        "INSERT INTO content_settings (owner_id, base_url, api_key, model, summary_prompt, post_prompt, price_in, \
         price_out, requests_per_minute, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (owner_id) DO UPDATE SET base_url = $2, api_key = $3, model = $4, summary_prompt = $5, \
         post_prompt = $6, price_in = $7, price_out = $8, requests_per_minute = $9, updated_at = $10",
        params![
            row.owner_id,
            row.base_url,
            row.api_key,
            row.model,
            row.summary_prompt,
            row.post_prompt,
            row.price_in,
            row.price_out,
            row.requests_per_minute,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Every sealed key, for resealing under a new master key.
pub async fn sealed_keys(sql: &mut Sql<'_>) -> StoreResult<Vec<(i64, Vec<u8>)>> {
    sql.fetch_all(
        "SELECT owner_id, api_key FROM content_settings WHERE api_key <> $1",
        params![Vec::<u8>::new()],
    )
    .await
}

pub async fn set_sealed_key(sql: &mut Sql<'_>, owner_id: i64, sealed: Vec<u8>) -> StoreResult<()> {
    sql.execute(
        "UPDATE content_settings SET api_key = $2 WHERE owner_id = $1",
        params![owner_id, sealed],
    )
    .await?;
    Ok(())
}
