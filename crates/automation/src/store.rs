//! All of the automation service's SQL, the same text on SQLite and PostgreSQL. Functions
//! taking `&mut Sql` run inside the caller's transaction (the campaign engine's writes commit
//! together with its job's completion).

use hybrid_store::{Sql, StoreError, params};

use crate::api::{Audience, Contact, Entry, Parse};

type StoreResult<T> = std::result::Result<T, StoreError>;

/// An account as stored (with its sealed secret).
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: i64,
    pub connector: String,
    pub name: String,
    pub actor_id: i64,
    pub actor_name: String,
    pub session_id: i64,
    pub state: String,
    pub state_detail: String,
    pub rest_until: Option<i64>,
    pub daily_limit: i64,
    pub last_used_at: Option<i64>,
    pub next_at: i64,
    pub created_at: i64,
    /// Sealed with [`crate::service::secret_context`].
    pub secret: Vec<u8>,
    pub endpoint: String,
    pub update_offset: i64,
}

const ACCOUNT_COLUMNS: &str = "id, connector, name, actor_id, actor_name, session_id, state, state_detail, \
                               rest_until, daily_limit, last_used_at, next_at, created_at, secret, endpoint, \
                               update_offset";

hybrid_store::from_row!(AccountRow {
    id,
    connector,
    name,
    actor_id,
    actor_name,
    session_id,
    state,
    state_detail,
    rest_until,
    daily_limit,
    last_used_at,
    next_at,
    created_at,
    secret,
    endpoint,
    update_offset,
});

/// A new account's row.
pub struct NewAccountRow {
    pub owner_id: i64,
    pub connector: String,
    pub name: String,
    pub actor_id: i64,
    pub actor_name: String,
    pub session_id: i64,
    pub endpoint: String,
    pub daily_limit: i64,
    pub now: i64,
}

#[derive(Debug, Clone)]
pub struct CampaignRow {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub audience_id: Option<i64>,
    pub target_chat_id: i64,
    pub mode: String,
    pub link_text: String,
    pub pause_min_ms: i64,
    pub pause_max_ms: i64,
    pub state: String,
    pub waiting: String,
    pub step_job: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub inbound_hook: Option<String>,
}

const CAMPAIGN_COLUMNS: &str = "id, owner_id, name, audience_id, target_chat_id, mode, link_text, pause_min_ms, pause_max_ms, \
                                state, waiting, step_job, created_at, finished_at, inbound_hook";

hybrid_store::from_row!(CampaignRow {
    id,
    owner_id,
    name,
    audience_id,
    target_chat_id,
    mode,
    link_text,
    pause_min_ms,
    pause_max_ms,
    state,
    waiting,
    step_job,
    created_at,
    finished_at,
    inbound_hook,
});

hybrid_store::from_row!(Audience {
    id,
    name,
    size,
    created_at
});
hybrid_store::from_row!(Entry { id, kind, value });
hybrid_store::from_row!(Contact {
    id,
    kind,
    value,
    outcome,
    detail,
    user_id,
    account_id,
    attempts,
    updated_at,
});

const CONTACT_COLUMNS: &str = "id, kind, value, outcome, detail, user_id, account_id, attempts, updated_at";

pub async fn count_owned(sql: &mut Sql<'_>, table: &'static str, owner_id: i64) -> StoreResult<i64> {
    let query = format!("SELECT COUNT(*) FROM {table} WHERE owner_id = $1");
    let (count,): (i64,) = sql.fetch_one(&query, params![owner_id]).await?;
    Ok(count)
}

// ---- accounts

pub async fn insert_account(sql: &mut Sql<'_>, new: &NewAccountRow) -> StoreResult<AccountRow> {
    let query = format!(
        "INSERT INTO accounts (owner_id, connector, name, actor_id, actor_name, session_id, secret, state, \
         daily_limit, created_at, endpoint) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10) \
         RETURNING {ACCOUNT_COLUMNS}"
    );
    // the secret is sealed with the row's id, which exists only now: an empty one first
    sql.fetch_one(
        &query,
        params![
            new.owner_id,
            &new.connector,
            &new.name,
            new.actor_id,
            &new.actor_name,
            new.session_id,
            Vec::<u8>::new(),
            new.daily_limit,
            new.now,
            &new.endpoint
        ],
    )
    .await
}

pub async fn set_secret(sql: &mut Sql<'_>, id: i64, sealed: Vec<u8>) -> StoreResult<()> {
    sql.execute("UPDATE accounts SET secret = $2 WHERE id = $1", params![id, sealed])
        .await?;
    Ok(())
}

pub async fn secrets(sql: &mut Sql<'_>) -> StoreResult<Vec<(i64, Vec<u8>)>> {
    sql.fetch_all("SELECT id, secret FROM accounts", params![]).await
}

pub async fn account(sql: &mut Sql<'_>, owner_id: i64, id: i64) -> StoreResult<Option<AccountRow>> {
    let query = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 AND owner_id = $2");
    sql.fetch_optional(&query, params![id, owner_id]).await
}

pub async fn accounts_page(sql: &mut Sql<'_>, owner_id: i64, after: i64, limit: i64) -> StoreResult<Vec<AccountRow>> {
    let query = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE owner_id = $1 AND id > $2 ORDER BY id LIMIT $3");
    sql.fetch_all(&query, params![owner_id, after, limit]).await
}

pub async fn update_account(
    sql: &mut Sql<'_>,
    id: i64,
    name: Option<String>,
    daily_limit: Option<i64>,
    state: Option<(&str, &str, Option<i64>)>,
) -> StoreResult<()> {
    let (state, detail, rest_until) = match state {
        Some((state, detail, rest)) => (Some(state.to_owned()), Some(detail.to_owned()), rest),
        None => (None, None, None),
    };
    let changes_state = state.is_some() as i64;
    sql.execute(
        "UPDATE accounts SET name = COALESCE($2, name), daily_limit = COALESCE($3, daily_limit), \
         state = COALESCE($4, state), state_detail = COALESCE($5, state_detail), \
         rest_until = CASE WHEN $6 = 1 THEN $7 ELSE rest_until END WHERE id = $1",
        params![id, name, daily_limit, state, detail, changes_state, rest_until],
    )
    .await?;
    Ok(())
}

pub async fn delete_account(sql: &mut Sql<'_>, owner_id: i64, id: i64) -> StoreResult<bool> {
    let gone = sql
        .execute(
            "DELETE FROM accounts WHERE id = $1 AND owner_id = $2",
            params![id, owner_id],
        )
        .await?;
    // only what was the caller's: another's id leaves everything as it was
    if gone == 1 {
        for table in ["campaign_accounts", "bot_people", "bot_posts", "telegram_peers"] {
            let query = format!("DELETE FROM {table} WHERE account_id = $1");
            sql.execute(&query, params![id]).await?;
        }
    }
    Ok(gone == 1)
}

/// An account by id alone (the bot updates job's).
pub async fn account_by_id(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<AccountRow>> {
    let query = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    sql.fetch_optional(&query, params![id]).await
}

/// Whether a bot is connected here already (two pollers of one bot would take each other's updates).
pub async fn bot_connected(sql: &mut Sql<'_>, actor_id: i64, endpoint: &str) -> StoreResult<bool> {
    let found: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT id FROM accounts WHERE connector = 'telegram_bot' AND actor_id = $1 AND endpoint = $2",
            params![actor_id, endpoint],
        )
        .await?;
    Ok(found.is_some())
}

// ---- what bot accounts learn from their updates

/// Someone wrote to the bot: it may write to them (by their username too).
pub async fn remember_person(
    sql: &mut Sql<'_>,
    account_id: i64,
    user_id: i64,
    username: &str,
    now: i64,
) -> StoreResult<()> {
    sql.execute(
        "INSERT INTO bot_people (account_id, user_id, username, seen_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, user_id) DO UPDATE SET username = excluded.username, seen_at = excluded.seen_at",
        params![account_id, user_id, username, now],
    )
    .await?;
    Ok(())
}

pub async fn person_by_username(sql: &mut Sql<'_>, account_id: i64, username: &str) -> StoreResult<Option<i64>> {
    let found: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT user_id FROM bot_people WHERE account_id = $1 AND username = $2",
            params![account_id, username],
        )
        .await?;
    Ok(found.map(|(id,)| id))
}

/// How many people each of `ids` may write to (bot accounts; others have none).
pub async fn reachable(sql: &mut Sql<'_>, ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = hybrid_store::id_list(ids.iter().copied());
    let query = format!("SELECT account_id, COUNT(*) FROM bot_people WHERE account_id IN ({list}) GROUP BY account_id");
    sql.fetch_all(&query, params![]).await
}

pub async fn set_update_offset(sql: &mut Sql<'_>, account_id: i64, offset: i64) -> StoreResult<()> {
    sql.execute(
        "UPDATE accounts SET update_offset = $2 WHERE id = $1",
        params![account_id, offset],
    )
    .await?;
    Ok(())
}

pub async fn post_by_key(sql: &mut Sql<'_>, account_id: i64, key: &str) -> StoreResult<Option<(i64, i64)>> {
    sql.fetch_optional(
        "SELECT chat_id, message_id FROM bot_posts WHERE account_id = $1 AND post_key = $2",
        params![account_id, key],
    )
    .await
}

pub async fn remember_post(
    sql: &mut Sql<'_>,
    account_id: i64,
    key: &str,
    chat_id: i64,
    message_id: i64,
) -> StoreResult<()> {
    sql.execute(
        "INSERT INTO bot_posts (account_id, post_key, chat_id, message_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, post_key) DO NOTHING",
        params![account_id, key, chat_id, message_id],
    )
    .await?;
    Ok(())
}

pub async fn set_contact_detail(
    sql: &mut Sql<'_>,
    campaign_id: i64,
    id: i64,
    detail: &str,
    now: i64,
) -> StoreResult<()> {
    sql.execute(
        "UPDATE contacts SET detail = $3, updated_at = $4 WHERE campaign_id = $1 AND id = $2",
        params![campaign_id, id, detail, now],
    )
    .await?;
    Ok(())
}

/// The campaigns into `chat_id` by `account_id` that sent `user_id` a link: a join request of
/// theirs is one the campaign asked for.
pub async fn link_sent_to(
    sql: &mut Sql<'_>,
    account_id: i64,
    chat_id: i64,
    user_id: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    sql.fetch_all(
        "SELECT c.campaign_id, c.id FROM contacts c JOIN campaigns k ON k.id = c.campaign_id \
         WHERE c.account_id = $1 AND c.user_id = $2 AND c.outcome = 'link_sent' AND k.target_chat_id = $3",
        params![account_id, user_id, chat_id],
    )
    .await
}

/// Actions of each of `ids` since `since`, all targets together.
pub async fn used_since(sql: &mut Sql<'_>, ids: &[i64], since: i64) -> StoreResult<Vec<(i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = hybrid_store::id_list(ids.iter().copied());
    let query = format!(
        "SELECT account_id, COUNT(*) FROM attempts WHERE account_id IN ({list}) AND started_at > $1 \
         GROUP BY account_id"
    );
    sql.fetch_all(&query, params![since]).await
}

// ---- audiences

pub async fn insert_audience(sql: &mut Sql<'_>, owner_id: i64, name: &str, now: i64) -> StoreResult<Audience> {
    sql.fetch_one(
        "INSERT INTO audiences (owner_id, name, created_at) VALUES ($1, $2, $3) \
         RETURNING id, name, size, created_at",
        params![owner_id, name, now],
    )
    .await
}

pub async fn audience(sql: &mut Sql<'_>, owner_id: i64, id: i64) -> StoreResult<Option<Audience>> {
    sql.fetch_optional(
        "SELECT id, name, size, created_at FROM audiences WHERE id = $1 AND owner_id = $2",
        params![id, owner_id],
    )
    .await
}

pub async fn audiences_page(sql: &mut Sql<'_>, owner_id: i64, before: i64, limit: i64) -> StoreResult<Vec<Audience>> {
    sql.fetch_all(
        "SELECT id, name, size, created_at FROM audiences WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        params![owner_id, before, limit],
    )
    .await
}

/// Adds entries not in the audience yet; returns how many were new.
pub async fn add_entries(sql: &mut Sql<'_>, audience_id: i64, entries: &[(&str, &str)]) -> StoreResult<i64> {
    let (next,): (i64,) = sql
        .fetch_one(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM audience_entries WHERE audience_id = $1",
            params![audience_id],
        )
        .await?;
    let mut added = 0;
    for (kind, value) in entries {
        added += sql
            .execute(
                "INSERT INTO audience_entries (audience_id, id, kind, value) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (audience_id, value) DO NOTHING",
                params![audience_id, next + added, *kind, *value],
            )
            .await? as i64;
    }
    sql.execute(
        "UPDATE audiences SET size = size + $2 WHERE id = $1",
        params![audience_id, added],
    )
    .await?;
    Ok(added)
}

pub async fn audience_size(sql: &mut Sql<'_>, audience_id: i64) -> StoreResult<i64> {
    let (size,): (i64,) = sql
        .fetch_one("SELECT size FROM audiences WHERE id = $1", params![audience_id])
        .await?;
    Ok(size)
}

pub async fn entries_page(sql: &mut Sql<'_>, audience_id: i64, after: i64, limit: i64) -> StoreResult<Vec<Entry>> {
    sql.fetch_all(
        "SELECT id, kind, value FROM audience_entries WHERE audience_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        params![audience_id, after, limit],
    )
    .await
}

pub async fn delete_audience(sql: &mut Sql<'_>, owner_id: i64, id: i64) -> StoreResult<bool> {
    let gone = sql
        .execute(
            "DELETE FROM audiences WHERE id = $1 AND owner_id = $2",
            params![id, owner_id],
        )
        .await?;
    if gone == 1 {
        sql.execute("DELETE FROM audience_entries WHERE audience_id = $1", params![id])
            .await?;
        // the campaigns made from it keep their outcomes, not whom they concern
        sql.execute(
            "UPDATE contacts SET value = '', detail = '', user_id = NULL \
             WHERE campaign_id IN (SELECT id FROM campaigns WHERE audience_id = $1)",
            params![id],
        )
        .await?;
        sql.execute(
            "UPDATE campaigns SET audience_id = NULL WHERE audience_id = $1",
            params![id],
        )
        .await?;
        sql.execute(
            "UPDATE parses SET audience_id = NULL WHERE audience_id = $1",
            params![id],
        )
        .await?;
    }
    Ok(gone == 1)
}

// ---- campaigns

pub struct NewCampaignRow<'a> {
    pub owner_id: i64,
    pub name: &'a str,
    pub target_chat_id: i64,
    pub mode: &'a str,
    pub link_text: &'a str,
    pub pause_min_ms: i64,
    pub pause_max_ms: i64,
    pub now: i64,
}

/// Makes a running campaign with the audience's people as its contacts.
pub async fn insert_campaign(
    sql: &mut Sql<'_>,
    new: &NewCampaignRow<'_>,
    audience_id: i64,
    account_ids: &[i64],
) -> StoreResult<CampaignRow> {
    let query = format!(
        "INSERT INTO campaigns (owner_id, name, target_chat_id, mode, link_text, pause_min_ms, pause_max_ms, \
         state, created_at, audience_id) VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9) \
         RETURNING {CAMPAIGN_COLUMNS}"
    );
    let row: CampaignRow = sql
        .fetch_one(
            &query,
            params![
                new.owner_id,
                new.name,
                new.target_chat_id,
                new.mode,
                new.link_text,
                new.pause_min_ms,
                new.pause_max_ms,
                new.now,
                audience_id
            ],
        )
        .await?;
    for &account in account_ids {
        sql.execute(
            "INSERT INTO campaign_accounts (campaign_id, account_id) VALUES ($1, $2)",
            params![row.id, account],
        )
        .await?;
    }
    sql.execute(
        "INSERT INTO contacts (campaign_id, id, kind, value, updated_at) \
         SELECT $1, id, kind, value, $3 FROM audience_entries WHERE audience_id = $2",
        params![row.id, audience_id, new.now],
    )
    .await?;
    Ok(row)
}

pub async fn campaign(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<CampaignRow>> {
    let query = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1");
    sql.fetch_optional(&query, params![id]).await
}

pub async fn campaigns_page(
    sql: &mut Sql<'_>,
    owner_id: i64,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<CampaignRow>> {
    let query =
        format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
    sql.fetch_all(&query, params![owner_id, before, limit]).await
}

pub async fn campaign_accounts(sql: &mut Sql<'_>, campaign_id: i64) -> StoreResult<Vec<(i64, Option<String>)>> {
    sql.fetch_all(
        "SELECT account_id, invite_code FROM campaign_accounts WHERE campaign_id = $1 ORDER BY account_id",
        params![campaign_id],
    )
    .await
}

pub async fn set_invite_link(sql: &mut Sql<'_>, campaign_id: i64, account_id: i64, link: &str) -> StoreResult<()> {
    sql.execute(
        "UPDATE campaign_accounts SET invite_code = $3 WHERE campaign_id = $1 AND account_id = $2",
        params![campaign_id, account_id, link],
    )
    .await?;
    Ok(())
}

/// The campaigns made from an audience that still run or wait.
pub async fn live_campaigns_of(sql: &mut Sql<'_>, audience_id: i64) -> StoreResult<Vec<CampaignRow>> {
    let query =
        format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE audience_id = $1 AND state IN ('running', 'paused')");
    sql.fetch_all(&query, params![audience_id]).await
}

/// Moves a campaign from one of `from` to `to`; returns the row as it is after, if it moved.
pub async fn set_campaign_state(
    sql: &mut Sql<'_>,
    id: i64,
    from: &[&str],
    to: &str,
    now: i64,
) -> StoreResult<Option<CampaignRow>> {
    let states = from.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let query = format!(
        "UPDATE campaigns SET state = $2, waiting = '', \
         finished_at = CASE WHEN $2 IN ('cancelled', 'finished') THEN $3 WHEN $2 = 'running' THEN NULL \
         ELSE finished_at END \
         WHERE id = $1 AND state IN ({states}) RETURNING {CAMPAIGN_COLUMNS}"
    );
    sql.fetch_optional(&query, params![id, to, now]).await
}

/// Takes the next step number of a running campaign (locking its row), or `None` when it
/// no longer runs.
pub async fn next_step(sql: &mut Sql<'_>, id: i64, waiting: &str) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "UPDATE campaigns SET step_seq = step_seq + 1, waiting = $2 WHERE id = $1 AND state = 'running' \
             RETURNING step_seq",
            params![id, waiting],
        )
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn set_step_job(sql: &mut Sql<'_>, id: i64, job: i64) -> StoreResult<()> {
    sql.execute("UPDATE campaigns SET step_job = $2 WHERE id = $1", params![id, job])
        .await?;
    Ok(())
}

pub async fn progress(sql: &mut Sql<'_>, campaign_id: i64) -> StoreResult<Vec<(Option<String>, i64)>> {
    sql.fetch_all(
        "SELECT outcome, COUNT(*) FROM contacts WHERE campaign_id = $1 GROUP BY outcome",
        params![campaign_id],
    )
    .await
}

/// When the campaign's first and latest actions started, and how many there were.
pub async fn pace(sql: &mut Sql<'_>, campaign_id: i64) -> StoreResult<(Option<i64>, Option<i64>, i64)> {
    sql.fetch_one(
        "SELECT MIN(started_at), MAX(started_at), COUNT(*) FROM attempts WHERE campaign_id = $1",
        params![campaign_id],
    )
    .await
}

/// Where a page of contacts starts.
pub enum ContactsFrom {
    /// In audience order, after this contact id.
    After(i64),
    /// Most recently changed first, before this (updated_at, id); `None`: from the newest.
    RecentBefore(Option<(i64, i64)>),
}

pub async fn contacts_page(
    sql: &mut Sql<'_>,
    campaign_id: i64,
    outcome: Option<&str>,
    from: ContactsFrom,
    limit: i64,
) -> StoreResult<Vec<Contact>> {
    let filter = match outcome {
        None => "",
        Some("pending") => "AND outcome IS NULL",
        Some(_) => "AND outcome = $5",
    };
    // $3 and $4 place the page; both orders bind them, so the parameters stay the same
    let (place, order, (a, b)) = match from {
        ContactsFrom::After(id) => ("id > $3 AND $4 = 0", "id", (id, 0)),
        ContactsFrom::RecentBefore(None) => ("$3 = 0 AND $4 = 0", "updated_at DESC, id DESC", (0, 0)),
        ContactsFrom::RecentBefore(Some(before)) => (
            "(updated_at < $3 OR (updated_at = $3 AND id < $4))",
            "updated_at DESC, id DESC",
            before,
        ),
    };
    let query = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE campaign_id = $1 AND {place} {filter} ORDER BY {order} LIMIT $2"
    );
    match outcome {
        Some(outcome) if outcome != "pending" => {
            sql.fetch_all(&query, params![campaign_id, limit, a, b, outcome]).await
        }
        _ => sql.fetch_all(&query, params![campaign_id, limit, a, b]).await,
    }
}

// ---- the engine's steps

/// The first unsettled contact due by `now`.
pub async fn next_contact(sql: &mut Sql<'_>, campaign_id: i64, now: i64) -> StoreResult<Option<Contact>> {
    let query = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE campaign_id = $1 AND outcome IS NULL AND retry_at <= $2 \
         ORDER BY retry_at, id LIMIT 1"
    );
    sql.fetch_optional(&query, params![campaign_id, now]).await
}

/// When the earliest unsettled contact falls due (`None`: all are settled).
pub async fn earliest_retry(sql: &mut Sql<'_>, campaign_id: i64) -> StoreResult<Option<i64>> {
    let (at,): (Option<i64>,) = sql
        .fetch_one(
            "SELECT MIN(retry_at) FROM contacts WHERE campaign_id = $1 AND outcome IS NULL",
            params![campaign_id],
        )
        .await?;
    Ok(at)
}

/// The campaign's accounts with how many actions each made into `target` since `since`.
pub async fn campaign_account_rows(
    sql: &mut Sql<'_>,
    campaign_id: i64,
    target: i64,
    since: i64,
) -> StoreResult<Vec<(AccountRow, i64)>> {
    let query = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN \
         (SELECT account_id FROM campaign_accounts WHERE campaign_id = $1) ORDER BY id"
    );
    let accounts: Vec<AccountRow> = sql.fetch_all(&query, params![campaign_id]).await?;
    let used: Vec<(i64, i64)> = sql
        .fetch_all(
            "SELECT account_id, COUNT(*) FROM attempts WHERE target_chat_id = $1 AND started_at > $2 \
             AND account_id IN (SELECT account_id FROM campaign_accounts WHERE campaign_id = $3) GROUP BY account_id",
            params![target, since, campaign_id],
        )
        .await?;
    Ok(accounts
        .into_iter()
        .map(|a| {
            let count = used.iter().find(|(id, _)| *id == a.id).map_or(0, |u| u.1);
            (a, count)
        })
        .collect())
}

/// The oldest action of `account` into `target` since `since` (the daily window frees a slot
/// 24 hours after it).
pub async fn oldest_in_window(sql: &mut Sql<'_>, account: i64, target: i64, since: i64) -> StoreResult<Option<i64>> {
    let (at,): (Option<i64>,) = sql
        .fetch_one(
            "SELECT MIN(started_at) FROM attempts WHERE account_id = $1 AND target_chat_id = $2 AND started_at > $3",
            params![account, target, since],
        )
        .await?;
    Ok(at)
}

/// Records an action about to happen: the attempt row, the contact's count, the account's
/// use and its next pause.
pub async fn begin_attempt(
    sql: &mut Sql<'_>,
    campaign: &CampaignRow,
    contact_id: i64,
    account_id: i64,
    now: i64,
    next_at: i64,
) -> StoreResult<i64> {
    let (id,): (i64,) = sql
        .fetch_one(
            "INSERT INTO attempts (campaign_id, contact_id, account_id, target_chat_id, started_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![campaign.id, contact_id, account_id, campaign.target_chat_id, now],
        )
        .await?;
    sql.execute(
        "UPDATE contacts SET attempts = attempts + 1, account_id = $3, updated_at = $4 \
         WHERE campaign_id = $1 AND id = $2",
        params![campaign.id, contact_id, account_id, now],
    )
    .await?;
    sql.execute(
        "UPDATE accounts SET last_used_at = $2, next_at = $3 WHERE id = $1",
        params![account_id, now, next_at],
    )
    .await?;
    Ok(id)
}

/// The attempt of a campaign a crash left open, if any: (attempt, contact, account, what it
/// had begun: `sending_link` once a link message was on its way).
pub async fn open_attempt(sql: &mut Sql<'_>, campaign_id: i64) -> StoreResult<Option<(i64, i64, i64, Option<String>)>> {
    sql.fetch_optional(
        "SELECT id, contact_id, account_id, outcome FROM attempts WHERE campaign_id = $1 AND finished_at IS NULL \
         ORDER BY id LIMIT 1",
        params![campaign_id],
    )
    .await
}

pub async fn contact(sql: &mut Sql<'_>, campaign_id: i64, id: i64) -> StoreResult<Option<Contact>> {
    let query = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE campaign_id = $1 AND id = $2");
    sql.fetch_optional(&query, params![campaign_id, id]).await
}

/// Notes what an open attempt is about to do (what a recovery cannot look up afterwards).
pub async fn mark_attempt(sql: &mut Sql<'_>, attempt: i64, doing: &str) -> StoreResult<()> {
    sql.execute(
        "UPDATE attempts SET outcome = $2 WHERE id = $1",
        params![attempt, doing],
    )
    .await?;
    Ok(())
}

pub async fn finish_attempt(sql: &mut Sql<'_>, attempt: i64, outcome: &str, now: i64) -> StoreResult<()> {
    sql.execute(
        "UPDATE attempts SET finished_at = $2, outcome = $3 WHERE id = $1",
        params![attempt, now, outcome],
    )
    .await?;
    Ok(())
}

/// What an action came to for its contact: an outcome settles it; `None` leaves it pending
/// until `retry_at`.
pub struct Settle<'a> {
    pub campaign_id: i64,
    pub contact_id: i64,
    pub outcome: Option<&'a str>,
    pub detail: &'a str,
    pub user_id: Option<i64>,
    pub retry_at: i64,
    pub now: i64,
}

pub async fn settle(sql: &mut Sql<'_>, settle: &Settle<'_>) -> StoreResult<()> {
    sql.execute(
        "UPDATE contacts SET outcome = $3, detail = $4, user_id = COALESCE($5, user_id), retry_at = $6, \
         updated_at = $7 WHERE campaign_id = $1 AND id = $2",
        params![
            settle.campaign_id,
            settle.contact_id,
            settle.outcome,
            settle.detail,
            settle.user_id,
            settle.retry_at,
            settle.now
        ],
    )
    .await?;
    Ok(())
}

/// Every contact of a campaign, for the CSV export (in id order, a page at a time).
pub async fn contacts_after(sql: &mut Sql<'_>, campaign_id: i64, after: i64, limit: i64) -> StoreResult<Vec<Contact>> {
    contacts_page(sql, campaign_id, None, ContactsFrom::After(after), limit).await
}

pub async fn delete_campaign(sql: &mut Sql<'_>, id: i64) -> StoreResult<()> {
    for query in [
        "DELETE FROM contacts WHERE campaign_id = $1",
        "DELETE FROM attempts WHERE campaign_id = $1",
        "DELETE FROM campaign_accounts WHERE campaign_id = $1",
        "DELETE FROM campaigns WHERE id = $1",
    ] {
        sql.execute(query, params![id]).await?;
    }
    Ok(())
}

// ---- the inbound webhook

/// Sets (or with `None`, removes) a campaign's inbound hook and its sealed secret.
pub async fn set_inbound(sql: &mut Sql<'_>, campaign_id: i64, hook: Option<(&str, Vec<u8>)>) -> StoreResult<()> {
    let (hook, sealed) = hook.map_or((None, None), |(h, s)| (Some(h), Some(s)));
    sql.execute(
        "UPDATE campaigns SET inbound_hook = $2, inbound_secret = $3 WHERE id = $1",
        params![campaign_id, hook, sealed],
    )
    .await?;
    Ok(())
}

/// The campaign an inbound hook belongs to, with its sealed secret.
pub async fn campaign_by_hook(sql: &mut Sql<'_>, hook: &str) -> StoreResult<Option<(CampaignRow, Vec<u8>)>> {
    let query = format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE inbound_hook = $1");
    let Some(row): Option<CampaignRow> = sql.fetch_optional(&query, params![hook]).await? else {
        return Ok(None);
    };
    let (sealed,): (Vec<u8>,) = sql
        .fetch_one("SELECT inbound_secret FROM campaigns WHERE id = $1", params![row.id])
        .await?;
    Ok(Some((row, sealed)))
}

/// Every sealed inbound secret, for resealing under a new master key.
pub async fn inbound_secrets(sql: &mut Sql<'_>) -> StoreResult<Vec<(i64, Vec<u8>)>> {
    sql.fetch_all(
        "SELECT id, inbound_secret FROM campaigns WHERE inbound_secret IS NOT NULL",
        params![],
    )
    .await
}

pub async fn set_inbound_secret(sql: &mut Sql<'_>, campaign_id: i64, sealed: Vec<u8>) -> StoreResult<()> {
    sql.execute(
        "UPDATE campaigns SET inbound_secret = $2 WHERE id = $1",
        params![campaign_id, sealed],
    )
    .await?;
    Ok(())
}

/// The campaign's contact for `value`, if it has one.
pub async fn contact_by_value(sql: &mut Sql<'_>, campaign_id: i64, value: &str) -> StoreResult<Option<Contact>> {
    let query = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE campaign_id = $1 AND value = $2");
    sql.fetch_optional(&query, params![campaign_id, value]).await
}

pub async fn contact_count(sql: &mut Sql<'_>, campaign_id: i64) -> StoreResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM contacts WHERE campaign_id = $1",
            params![campaign_id],
        )
        .await?;
    Ok(count)
}

/// Adds one pending contact to a campaign.
pub async fn add_contact(
    sql: &mut Sql<'_>,
    campaign_id: i64,
    kind: &str,
    value: &str,
    now: i64,
) -> StoreResult<Contact> {
    let query = format!(
        "INSERT INTO contacts (campaign_id, id, kind, value, updated_at) \
         SELECT $1, COALESCE(MAX(id), 0) + 1, $2, $3, $4 FROM contacts WHERE campaign_id = $1 \
         RETURNING {CONTACT_COLUMNS}"
    );
    sql.fetch_one(&query, params![campaign_id, kind, value, now]).await
}

// ---- parses

/// A parse as stored.
#[derive(Debug, Clone)]
pub struct ParseRow {
    pub id: i64,
    pub owner_id: i64,
    pub account_id: i64,
    pub audience_id: Option<i64>,
    pub source_chat_id: i64,
    pub source: String,
    pub max_people: i64,
    pub state: String,
    pub detail: String,
    pub next_cursor: Option<i64>,
    pub scanned: i64,
    pub found: i64,
    pub step_job: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

const PARSE_COLUMNS: &str = "id, owner_id, account_id, audience_id, source_chat_id, source, max_people, state, detail, \
                             next_cursor, scanned, found, step_job, created_at, finished_at";

hybrid_store::from_row!(ParseRow {
    id,
    owner_id,
    account_id,
    audience_id,
    source_chat_id,
    source,
    max_people,
    state,
    detail,
    next_cursor,
    scanned,
    found,
    step_job,
    created_at,
    finished_at,
});

impl ParseRow {
    pub fn view(self) -> Parse {
        Parse {
            id: self.id,
            account_id: self.account_id,
            source_chat_id: self.source_chat_id,
            source: self.source,
            audience_id: self.audience_id,
            max_people: self.max_people,
            state: self.state,
            detail: self.detail,
            scanned: self.scanned,
            found: self.found,
            created_at: self.created_at,
            finished_at: self.finished_at,
        }
    }
}

pub struct NewParseRow<'a> {
    pub owner_id: i64,
    pub account_id: i64,
    pub audience_id: i64,
    pub source_chat_id: i64,
    pub source: &'a str,
    pub max_people: i64,
    pub now: i64,
}

pub async fn insert_parse(sql: &mut Sql<'_>, new: &NewParseRow<'_>) -> StoreResult<ParseRow> {
    let query = format!(
        "INSERT INTO parses (owner_id, account_id, audience_id, source_chat_id, source, max_people, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'running', $7) RETURNING {PARSE_COLUMNS}"
    );
    sql.fetch_one(
        &query,
        params![
            new.owner_id,
            new.account_id,
            new.audience_id,
            new.source_chat_id,
            new.source,
            new.max_people,
            new.now
        ],
    )
    .await
}

pub async fn parse(sql: &mut Sql<'_>, id: i64) -> StoreResult<Option<ParseRow>> {
    let query = format!("SELECT {PARSE_COLUMNS} FROM parses WHERE id = $1");
    sql.fetch_optional(&query, params![id]).await
}

pub async fn parses_page(sql: &mut Sql<'_>, owner_id: i64, before: i64, limit: i64) -> StoreResult<Vec<ParseRow>> {
    let query = format!("SELECT {PARSE_COLUMNS} FROM parses WHERE owner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
    sql.fetch_all(&query, params![owner_id, before, limit]).await
}

pub async fn running_parses(sql: &mut Sql<'_>, owner_id: i64) -> StoreResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM parses WHERE owner_id = $1 AND state = 'running'",
            params![owner_id],
        )
        .await?;
    Ok(count)
}

/// Records a page read by a running parse: where the next starts, what it read and added, and
/// `state` (with `detail`) when it ends here. `None` if it no longer runs.
pub async fn advance_parse(
    sql: &mut Sql<'_>,
    id: i64,
    page: (Option<i64>, i64, i64),
    ending: Option<(&str, &str)>,
    now: i64,
) -> StoreResult<Option<ParseRow>> {
    let (next_cursor, scanned, found) = page;
    let (state, detail) = ending.unwrap_or(("running", ""));
    let query = format!(
        "UPDATE parses SET next_cursor = $2, scanned = scanned + $3, found = found + $4, state = $5, detail = $6, \
         finished_at = CASE WHEN $5 = 'running' THEN NULL ELSE $7 END \
         WHERE id = $1 AND state = 'running' RETURNING {PARSE_COLUMNS}"
    );
    sql.fetch_optional(&query, params![id, next_cursor, scanned, found, state, detail, now])
        .await
}

pub async fn set_parse_step_job(sql: &mut Sql<'_>, id: i64, job: i64) -> StoreResult<()> {
    sql.execute("UPDATE parses SET step_job = $2 WHERE id = $1", params![id, job])
        .await?;
    Ok(())
}

/// Ends a running parse as `state` (`cancelled`, `failed`, `finished`); `None` if it no
/// longer runs.
pub async fn end_parse(
    sql: &mut Sql<'_>,
    id: i64,
    state: &str,
    detail: &str,
    now: i64,
) -> StoreResult<Option<ParseRow>> {
    let query = format!(
        "UPDATE parses SET state = $2, detail = $3, finished_at = $4 WHERE id = $1 AND state = 'running' \
         RETURNING {PARSE_COLUMNS}"
    );
    sql.fetch_optional(&query, params![id, state, detail, now]).await
}

/// The `telegram_user` connector's access hashes of users and channels.
#[cfg(feature = "telegram-user")]
pub mod peers {
    use hybrid_store::{Sql, params};

    use super::StoreResult;

    /// Keeps the access hashes an answer gave (`peer_id`: a user's id or a channel's chat id).
    pub async fn remember_peers(sql: &mut Sql<'_>, account_id: i64, peers: &[(i64, i64)]) -> StoreResult<()> {
        for &(peer_id, access_hash) in peers {
            sql.execute(
                "INSERT INTO telegram_peers (account_id, peer_id, access_hash) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id, peer_id) DO UPDATE SET access_hash = excluded.access_hash",
                params![account_id, peer_id, access_hash],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn access_hash(sql: &mut Sql<'_>, account_id: i64, peer_id: i64) -> StoreResult<Option<i64>> {
        let row: Option<(i64,)> = sql
            .fetch_optional(
                "SELECT access_hash FROM telegram_peers WHERE account_id = $1 AND peer_id = $2",
                params![account_id, peer_id],
            )
            .await?;
        Ok(row.map(|(hash,)| hash))
    }
}

/// QR logins of Telegram user accounts.
pub mod logins {
    use hybrid_store::{Sql, params};

    use super::StoreResult;

    /// A QR login as stored (its session sealed).
    #[derive(Debug, Clone)]
    pub struct LoginRow {
        pub id: i64,
        pub owner_id: i64,
        pub name: String,
        pub daily_limit: i64,
        pub state: String,
        pub session: Vec<u8>,
        pub qr_url: String,
        pub qr_expires_at: i64,
        pub password_hint: String,
        pub error: String,
        pub account_id: Option<i64>,
        pub expires_at: i64,
    }

    hybrid_store::from_row!(LoginRow {
        id,
        owner_id,
        name,
        daily_limit,
        state,
        session,
        qr_url,
        qr_expires_at,
        password_hint,
        error,
        account_id,
        expires_at,
    });

    const LOGIN_COLUMNS: &str = "id, owner_id, name, daily_limit, state, session, qr_url, qr_expires_at, \
                                 password_hint, error, account_id, expires_at";

    pub async fn insert_login(
        sql: &mut Sql<'_>,
        owner_id: i64,
        name: &str,
        daily_limit: i64,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<i64> {
        // the session is sealed with the row's id: an empty one first
        let (id,): (i64,) = sql
            .fetch_one(
                "INSERT INTO telegram_logins (owner_id, name, daily_limit, state, session, expires_at, created_at) \
                 VALUES ($1, $2, $3, 'waiting', $4, $5, $6) RETURNING id",
                params![owner_id, name, daily_limit, Vec::<u8>::new(), expires_at, now],
            )
            .await?;
        Ok(id)
    }

    pub async fn set_login_session(sql: &mut Sql<'_>, id: i64, sealed: Vec<u8>) -> StoreResult<()> {
        sql.execute(
            "UPDATE telegram_logins SET session = $2 WHERE id = $1",
            params![id, sealed],
        )
        .await?;
        Ok(())
    }

    pub async fn login(sql: &mut Sql<'_>, owner_id: i64, id: i64) -> StoreResult<Option<LoginRow>> {
        let query = format!("SELECT {LOGIN_COLUMNS} FROM telegram_logins WHERE id = $1 AND owner_id = $2");
        sql.fetch_optional(&query, params![id, owner_id]).await
    }

    /// Writes a login's state back (the row as the flow left it).
    pub async fn save_login(sql: &mut Sql<'_>, row: &LoginRow) -> StoreResult<()> {
        sql.execute(
            "UPDATE telegram_logins SET state = $2, session = $3, qr_url = $4, qr_expires_at = $5, \
             password_hint = $6, error = $7, account_id = $8 WHERE id = $1",
            params![
                row.id,
                &row.state,
                &row.session,
                &row.qr_url,
                row.qr_expires_at,
                &row.password_hint,
                &row.error,
                row.account_id
            ],
        )
        .await?;
        Ok(())
    }

    /// Marks the login done with its account, unless it is done already (then `false`).
    pub async fn finish_login(sql: &mut Sql<'_>, id: i64, account_id: i64) -> StoreResult<bool> {
        let done = sql
            .execute(
                "UPDATE telegram_logins SET state = 'done', account_id = $2, session = $3 \
                 WHERE id = $1 AND account_id IS NULL",
                params![id, account_id, Vec::<u8>::new()],
            )
            .await?;
        Ok(done > 0)
    }

    pub async fn delete_login(sql: &mut Sql<'_>, owner_id: i64, id: i64) -> StoreResult<bool> {
        let gone = sql
            .execute(
                "DELETE FROM telegram_logins WHERE id = $1 AND owner_id = $2",
                params![id, owner_id],
            )
            .await?;
        Ok(gone > 0)
    }

    /// Drops logins that ended before `before` (kept a while so a late poll still reads how
    /// they ended).
    pub async fn purge_logins(sql: &mut Sql<'_>, before: i64) -> StoreResult<()> {
        sql.execute("DELETE FROM telegram_logins WHERE expires_at < $1", params![before])
            .await?;
        Ok(())
    }
}
