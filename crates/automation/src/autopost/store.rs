//! The autopost's SQL, the same text on SQLite and PostgreSQL.

use hybrid_store::{Sql, StoreError, params};

type StoreResult<T> = std::result::Result<T, StoreError>;

#[derive(Debug, Clone)]
pub struct ScheduleRow {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub timezone: String,
    /// JSON `["HH:MM", …]`.
    pub times: String,
    pub weekdays: i64,
    pub random_order: i64,
    pub source_id: Option<i64>,
    pub state: String,
    pub next_slot_at: Option<i64>,
    pub slot_job_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SCHEDULE_COLUMNS: &str = "id, owner_id, name, timezone, times, weekdays, random_order, source_id, state, \
                                next_slot_at, slot_job_id, created_at, updated_at";

hybrid_store::from_row!(ScheduleRow {
    id,
    owner_id,
    name,
    timezone,
    times,
    weekdays,
    random_order,
    source_id,
    state,
    next_slot_at,
    slot_job_id,
    created_at,
    updated_at,
});

impl ScheduleRow {
    pub fn times(&self) -> Vec<String> {
        serde_json::from_str(&self.times).unwrap_or_default()
    }
}

/// What a schedule is made of (its settings, without its state).
#[derive(Debug, Clone)]
pub struct Fields {
    pub name: String,
    pub timezone: String,
    pub times: Vec<String>,
    pub weekdays: i64,
    pub random_order: bool,
    pub source_id: Option<i64>,
}

impl Fields {
    pub fn of(row: &ScheduleRow) -> Fields {
        Fields {
            name: row.name.clone(),
            timezone: row.timezone.clone(),
            times: row.times(),
            weekdays: row.weekdays,
            random_order: row.random_order != 0,
            source_id: row.source_id,
        }
    }
}

pub async fn insert_schedule(sql: &mut Sql<'_>, owner_id: i64, fields: &Fields, now: i64) -> StoreResult<i64> {
    let times = serde_json::to_string(&fields.times).expect("strings serialize");
    let (id,): (i64,) = sql
        .fetch_one(
            "INSERT INTO autopost_schedules (owner_id, name, timezone, times, weekdays, random_order, source_id, \
             state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'stopped', $8, $8) RETURNING id",
            params![
                owner_id,
                &fields.name,
                &fields.timezone,
                &times,
                fields.weekdays,
                fields.random_order as i64,
                fields.source_id,
                now
            ],
        )
        .await?;
    Ok(id)
}

pub async fn update_fields(sql: &mut Sql<'_>, id: i64, fields: &Fields, now: i64) -> StoreResult<()> {
    let times = serde_json::to_string(&fields.times).expect("strings serialize");
    sql.execute(
        "UPDATE autopost_schedules SET name = $2, timezone = $3, times = $4, weekdays = $5, random_order = $6, \
         source_id = $7, updated_at = $8 WHERE id = $1",
        params![
            id,
            &fields.name,
            &fields.timezone,
            &times,
            fields.weekdays,
            fields.random_order as i64,
            fields.source_id,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Sets where the schedule stands: running with its next slot and that slot's job, or stopped.
pub async fn set_slot(
    sql: &mut Sql<'_>,
    id: i64,
    state: &str,
    next_slot_at: Option<i64>,
    slot_job_id: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    sql.execute(
        "UPDATE autopost_schedules SET state = $2, next_slot_at = $3, slot_job_id = $4, updated_at = $5 WHERE id = $1",
        params![id, state, next_slot_at, slot_job_id, now],
    )
    .await?;
    Ok(())
}

pub async fn schedule(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<ScheduleRow>> {
    let query = format!("SELECT {SCHEDULE_COLUMNS} FROM autopost_schedules WHERE id = $1");
    sql.fetch_optional(&query, params![id]).await
}

pub async fn schedules_page(sql: &mut Sql<'_>, owner_id: i64, after: i64, limit: i64) -> StoreResult<Vec<ScheduleRow>> {
    let query = format!(
        "SELECT {SCHEDULE_COLUMNS} FROM autopost_schedules WHERE owner_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    );
    sql.fetch_all(&query, params![owner_id, after, limit]).await
}

pub async fn count_schedules(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<i64> {
    let (n,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM autopost_schedules WHERE owner_id = $1",
            params![owner_id],
        )
        .await?;
    Ok(n)
}

/// Deletes a schedule with its targets and log.
pub async fn delete_schedule(sql: &mut Sql<'_>, id: i64) -> StoreResult<()> {
    sql.execute(
        "DELETE FROM autopost_deliveries WHERE publication_id IN \
         (SELECT id FROM autopost_publications WHERE schedule_id = $1)",
        params![id],
    )
    .await?;
    for table in ["autopost_publications", "autopost_targets"] {
        sql.execute(&format!("DELETE FROM {table} WHERE schedule_id = $1"), params![id])
            .await?;
    }
    sql.execute("DELETE FROM autopost_schedules WHERE id = $1", params![id])
        .await?;
    Ok(())
}

/// A target with its account's name and connector (empty once the account is deleted).
#[derive(Debug, Clone)]
pub struct TargetRow {
    pub id: i64,
    pub account_id: i64,
    pub chat_id: i64,
    pub account_name: String,
    pub connector: String,
}

hybrid_store::from_row!(TargetRow {
    id,
    account_id,
    chat_id,
    account_name,
    connector,
});

pub async fn targets(sql: &mut Sql<'_>, schedule_id: i64) -> StoreResult<Vec<TargetRow>> {
    sql.fetch_all(
        "SELECT t.id, t.account_id, t.chat_id, COALESCE(a.name, ''), COALESCE(a.connector, '') \
         FROM autopost_targets t LEFT JOIN accounts a ON a.id = t.account_id \
         WHERE t.schedule_id = $1 ORDER BY t.id",
        params![schedule_id],
    )
    .await
}

/// Replaces a schedule's targets (their deliveries keep the account and chat they went to).
pub async fn replace_targets(sql: &mut Sql<'_>, schedule_id: i64, targets: &[(i64, i64)]) -> StoreResult<()> {
    sql.execute(
        "DELETE FROM autopost_targets WHERE schedule_id = $1",
        params![schedule_id],
    )
    .await?;
    for &(account_id, chat_id) in targets {
        sql.execute(
            "INSERT INTO autopost_targets (schedule_id, account_id, chat_id) VALUES ($1, $2, $3)",
            params![schedule_id, account_id, chat_id],
        )
        .await?;
    }
    Ok(())
}

/// The approved posts a schedule would take, not yet published.
pub async fn posts_waiting(sql: &mut Sql<'_>, owner_id: i64, source_id: Option<i64>) -> StoreResult<i64> {
    let (n,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM content_posts WHERE owner_id = $1 AND state = 'approved' \
             AND ($2 IS NULL OR source_id = $2)",
            params![owner_id, source_id],
        )
        .await?;
    Ok(n)
}

/// A post as it goes out: (id, body, entities JSON).
pub type PostBody = (i64, String, String);

/// Takes the next approved post (oldest first, or at random) and marks it published.
pub async fn take_post(
    sql: &mut Sql<'_>,
    owner_id: i64,
    source_id: Option<i64>,
    random: bool,
    now: i64,
) -> StoreResult<Option<PostBody>> {
    let order = if random { "RANDOM()" } else { "id" };
    let query = format!(
        "SELECT id, body, entities FROM content_posts WHERE owner_id = $1 AND state = 'approved' \
         AND ($2 IS NULL OR source_id = $2) ORDER BY {order} LIMIT 1"
    );
    let post: Option<PostBody> = sql.fetch_optional(&query, params![owner_id, source_id]).await?;
    if let Some((id, _, _)) = &post {
        mark_published(sql, *id, now).await?;
    }
    Ok(post)
}

pub async fn mark_published(sql: &mut Sql<'_>, post_id: i64, now: i64) -> StoreResult<()> {
    sql.execute(
        "UPDATE content_posts SET state = 'published', published_at = $2, updated_at = $2 WHERE id = $1",
        params![post_id, now],
    )
    .await?;
    Ok(())
}

/// One of the owner's posts with its state: (id, state, body, entities JSON).
pub async fn owned_post(
    sql: &mut Sql<'_>,
    owner_id: i64,
    id: i64,
) -> StoreResult<Option<(i64, String, String, String)>> {
    sql.fetch_optional(
        "SELECT id, state, body, entities FROM content_posts WHERE id = $1 AND owner_id = $2",
        params![id, owner_id],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct PublicationRow {
    pub id: i64,
    pub owner_id: i64,
    pub schedule_id: i64,
    pub post_id: Option<i64>,
    pub trigger: String,
    pub slot_at: Option<i64>,
    pub state: String,
    pub detail: String,
    pub body: String,
    pub entities: String,
    pub created_at: i64,
}

const PUBLICATION_COLUMNS: &str =
    "id, owner_id, schedule_id, post_id, trigger, slot_at, state, detail, body, entities, created_at";

hybrid_store::from_row!(PublicationRow {
    id,
    owner_id,
    schedule_id,
    post_id,
    trigger,
    slot_at,
    state,
    detail,
    body,
    entities,
    created_at,
});

/// A publication to record.
pub struct NewPublication<'a> {
    pub owner_id: i64,
    pub schedule_id: i64,
    pub post: Option<&'a PostBody>,
    pub trigger: &'a str,
    pub slot_at: Option<i64>,
}

/// Records a publication: `publishing` with a pending delivery per target (their ids given),
/// or `empty` when there is no post or no target.
pub async fn insert_publication(
    sql: &mut Sql<'_>,
    new: &NewPublication<'_>,
    targets: &[TargetRow],
    now: i64,
) -> StoreResult<(i64, Vec<i64>)> {
    let (state, detail) = match new.post {
        _ if targets.is_empty() => ("failed", "the schedule has no targets"),
        None => ("empty", "no approved post was left to publish"),
        Some(_) => ("publishing", ""),
    };
    let (post_id, body, entities) = match new.post {
        Some((id, body, entities)) => (Some(*id), body.as_str(), entities.as_str()),
        None => (None, "", "[]"),
    };
    let (id,): (i64,) = sql
        .fetch_one(
            "INSERT INTO autopost_publications (owner_id, schedule_id, post_id, trigger, slot_at, state, detail, \
             body, entities, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            params![
                new.owner_id,
                new.schedule_id,
                post_id,
                new.trigger,
                new.slot_at,
                state,
                detail,
                body,
                entities,
                now
            ],
        )
        .await?;
    let mut deliveries = Vec::new();
    if state == "publishing" {
        for target in targets {
            let key = hybrid_core::secrets::random_token("ap");
            let (delivery,): (i64,) = sql
                .fetch_one(
                    "INSERT INTO autopost_deliveries (owner_id, publication_id, target_id, account_id, chat_id, \
                     state, key, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id",
                    params![
                        new.owner_id,
                        id,
                        target.id,
                        target.account_id,
                        target.chat_id,
                        &key,
                        now
                    ],
                )
                .await?;
            deliveries.push(delivery);
        }
    }
    Ok((id, deliveries))
}

pub async fn publication(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<PublicationRow>> {
    let query = format!("SELECT {PUBLICATION_COLUMNS} FROM autopost_publications WHERE id = $1");
    sql.fetch_optional(&query, params![id]).await
}

/// A schedule's log, newest first, before publication `before`.
pub async fn publications_page(
    sql: &mut Sql<'_>,
    schedule_id: i64,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<PublicationRow>> {
    let query = format!(
        "SELECT {PUBLICATION_COLUMNS} FROM autopost_publications WHERE schedule_id = $1 AND id < $2 \
         ORDER BY id DESC LIMIT $3"
    );
    sql.fetch_all(&query, params![schedule_id, before, limit]).await
}

#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub id: i64,
    pub owner_id: i64,
    pub publication_id: i64,
    pub target_id: i64,
    pub account_id: i64,
    pub chat_id: i64,
    pub state: String,
    pub message_id: Option<i64>,
    pub plain_text: i64,
    pub error: String,
    pub key: String,
    pub sent_at: Option<i64>,
    pub account_name: String,
}

hybrid_store::from_row!(DeliveryRow {
    id,
    owner_id,
    publication_id,
    target_id,
    account_id,
    chat_id,
    state,
    message_id,
    plain_text,
    error,
    key,
    sent_at,
    account_name,
});

const DELIVERY_SELECT: &str = "SELECT d.id, d.owner_id, d.publication_id, d.target_id, d.account_id, d.chat_id, \
                               d.state, d.message_id, d.plain_text, d.error, d.key, d.sent_at, COALESCE(a.name, '') \
                               FROM autopost_deliveries d LEFT JOIN accounts a ON a.id = d.account_id";

pub async fn delivery(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<DeliveryRow>> {
    sql.fetch_optional(&format!("{DELIVERY_SELECT} WHERE d.id = $1"), params![id])
        .await
}

pub async fn deliveries(sql: &mut Sql<'_>, publication_id: i64) -> StoreResult<Vec<DeliveryRow>> {
    sql.fetch_all(
        &format!("{DELIVERY_SELECT} WHERE d.publication_id = $1 ORDER BY d.id"),
        params![publication_id],
    )
    .await
}

/// How a delivery ended.
pub struct Settled<'a> {
    pub state: &'a str,
    pub message_id: Option<i64>,
    pub plain_text: bool,
    pub error: &'a str,
    pub sent_at: Option<i64>,
}

/// Settles a pending delivery, then its publication once no delivery is pending:
/// `published`, `failed` or `partial`. Returns the publication's state.
pub async fn settle_delivery(sql: &mut Sql<'_>, delivery: &DeliveryRow, settled: &Settled<'_>) -> StoreResult<String> {
    // the publication's row first: two deliveries settling at once (PostgreSQL, two workers)
    // take turns, so the second counts the first's as settled
    sql.execute(
        "UPDATE autopost_publications SET state = state WHERE id = $1",
        params![delivery.publication_id],
    )
    .await?;
    sql.execute(
        "UPDATE autopost_deliveries SET state = $2, message_id = $3, plain_text = $4, error = $5, sent_at = $6 \
         WHERE id = $1 AND state = 'pending'",
        params![
            delivery.id,
            settled.state,
            settled.message_id,
            settled.plain_text as i64,
            settled.error,
            settled.sent_at
        ],
    )
    .await?;
    let (pending, sent, failed): (i64, i64, i64) = sql
        .fetch_one(
            "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) \
             FROM autopost_deliveries WHERE publication_id = $1",
            params![delivery.publication_id],
        )
        .await?;
    let state = match (pending, sent, failed) {
        (0, _, 0) => "published",
        (0, 0, _) => "failed",
        (0, _, _) => "partial",
        _ => "publishing",
    };
    sql.execute(
        "UPDATE autopost_publications SET state = $2 WHERE id = $1",
        params![delivery.publication_id, state],
    )
    .await?;
    Ok(state.to_owned())
}
