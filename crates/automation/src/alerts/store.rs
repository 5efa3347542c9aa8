//! The alerts' SQL, the same text on SQLite and PostgreSQL.

use hybrid_store::{Sql, StoreError, params};

use super::api::{Alert, AlertKinds, AlertSettings};

type StoreResult<T> = std::result::Result<T, StoreError>;

pub const DEFAULT_QUEUE_THRESHOLD: i64 = 1_000;
pub const DEFAULT_MIN_INTERVAL_SECS: i64 = 600;

pub fn default_settings() -> AlertSettings {
    AlertSettings {
        account_id: None,
        chat_id: None,
        kinds: AlertKinds::default(),
        queue_threshold: DEFAULT_QUEUE_THRESHOLD,
        min_interval_secs: DEFAULT_MIN_INTERVAL_SECS,
    }
}

struct SettingsRow {
    account_id: Option<i64>,
    chat_id: Option<i64>,
    kinds: String,
    queue_threshold: i64,
    min_interval_secs: i64,
}

hybrid_store::from_row!(SettingsRow {
    account_id,
    chat_id,
    kinds,
    queue_threshold,
    min_interval_secs,
});

pub async fn settings(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<AlertSettings> {
    let row: Option<SettingsRow> = sql
        .fetch_optional(
            "SELECT account_id, chat_id, kinds, queue_threshold, min_interval_secs FROM alert_settings \
             WHERE owner_id = $1",
            params![owner_id],
        )
        .await?;
    Ok(match row {
        Some(row) => AlertSettings {
            account_id: row.account_id,
            chat_id: row.chat_id,
            kinds: serde_json::from_str(&row.kinds).unwrap_or_default(),
            queue_threshold: row.queue_threshold,
            min_interval_secs: row.min_interval_secs,
        },
        None => default_settings(),
    })
}

pub async fn save_settings(sql: &mut Sql<'_>, owner_id: i64, settings: &AlertSettings, now: i64) -> StoreResult<()> {
    let kinds = serde_json::to_string(&settings.kinds).expect("flags serialize");
    sql.execute(
        "INSERT INTO alert_settings (owner_id, account_id, chat_id, kinds, queue_threshold, min_interval_secs, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (owner_id) DO UPDATE SET account_id = $2, chat_id = $3, \
         kinds = $4, queue_threshold = $5, min_interval_secs = $6, updated_at = $7",
        params![
            owner_id,
            settings.account_id,
            settings.chat_id,
            &kinds,
            settings.queue_threshold,
            settings.min_interval_secs,
            now
        ],
    )
    .await?;
    Ok(())
}

/// Holds the owner's settings row until the transaction ends, so two alerts raised at once
/// (on PostgreSQL, from two workers) see each other under the rate limit.
pub async fn lock_owner(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<()> {
    sql.execute(
        "UPDATE alert_settings SET updated_at = updated_at WHERE owner_id = $1",
        params![owner_id],
    )
    .await?;
    Ok(())
}

/// The latest alert of `kind` since `since`, if any.
pub async fn latest_since(sql: &mut Sql<'_>, owner_id: i64, kind: &str, since: i64) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT id FROM alerts WHERE owner_id = $1 AND kind = $2 AND created_at >= $3 ORDER BY id DESC LIMIT 1",
            params![owner_id, kind, since],
        )
        .await?;
    Ok(row.map(|(id,)| id))
}

pub async fn add_repeat(sql: &mut Sql<'_>, id: i64) -> StoreResult<()> {
    sql.execute("UPDATE alerts SET repeats = repeats + 1 WHERE id = $1", params![id])
        .await?;
    Ok(())
}

pub async fn insert(
    sql: &mut Sql<'_>,
    owner_id: i64,
    kind: &str,
    text: &str,
    state: &str,
    detail: &str,
    now: i64,
) -> StoreResult<i64> {
    let (id,): (i64,) = sql
        .fetch_one(
            "INSERT INTO alerts (owner_id, kind, text, state, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id",
            params![owner_id, kind, text, state, detail, now],
        )
        .await?;
    Ok(id)
}

pub async fn set_state(sql: &mut Sql<'_>, id: i64, state: &str, detail: &str) -> StoreResult<()> {
    sql.execute(
        "UPDATE alerts SET state = $2, detail = $3 WHERE id = $1",
        params![id, state, detail],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: i64,
    pub owner_id: i64,
    pub kind: String,
    pub text: String,
    pub state: String,
    pub detail: String,
    pub repeats: i64,
    pub created_at: i64,
}

hybrid_store::from_row!(AlertRow {
    id,
    owner_id,
    kind,
    text,
    state,
    detail,
    repeats,
    created_at,
});

impl From<AlertRow> for Alert {
    fn from(row: AlertRow) -> Alert {
        Alert {
            id: row.id,
            kind: row.kind,
            text: row.text,
            state: row.state,
            detail: Some(row.detail).filter(|d| !d.is_empty()),
            repeats: row.repeats,
            created_at: row.created_at,
        }
    }
}

const ALERT_COLUMNS: &str = "id, owner_id, kind, text, state, detail, repeats, created_at";

pub async fn alert(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<AlertRow>> {
    sql.fetch_optional(
        &format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"),
        params![id],
    )
    .await
}

/// The owner's alerts, newest first, before `before`.
pub async fn alerts_page(sql: &mut Sql<'_>, owner_id: i64, before: i64, limit: i64) -> StoreResult<Vec<AlertRow>> {
    sql.fetch_all(
        &format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"),
        params![owner_id, before, limit],
    )
    .await
}

/// Owners who set up alerts: (owner, queue threshold, kinds JSON).
pub async fn queue_watchers(sql: &mut Sql<'_>) -> StoreResult<Vec<(i64, i64, String)>> {
    sql.fetch_all("SELECT owner_id, queue_threshold, kinds FROM alert_settings", params![])
        .await
}

/// What waits for an owner: people not reached yet in running campaigns, and deliveries.
pub async fn queue_depth(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<(i64, i64)> {
    let (contacts,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM contacts c JOIN campaigns k ON k.id = c.campaign_id \
             WHERE k.owner_id = $1 AND k.state = 'running' AND c.outcome IS NULL",
            params![owner_id],
        )
        .await?;
    let (deliveries,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM autopost_deliveries WHERE owner_id = $1 AND state = 'pending'",
            params![owner_id],
        )
        .await?;
    Ok((contacts, deliveries))
}
