//! A user's default levels: what they hear of each kind of chat (direct, group, channel) that
//! has no level of its own. Stored as one row per user who changed them; no row: all.

use std::collections::HashMap;

use hybrid_core::ApiResult;
use hybrid_store::{Db, Sql, params};

use crate::api::{Level, LevelDefaults};

type Row = (i64, String, String, String);

fn defaults((_, direct, group, channel): Row) -> LevelDefaults {
    let level = |text: &str| Level::parse(text).unwrap_or(Level::All);
    LevelDefaults {
        direct: level(&direct),
        group: level(&group),
        channel: level(&channel),
    }
}

/// The defaults of `users` who changed theirs (the others hear all).
pub async fn of_users(sql: &mut Sql<'_>, users: &[i64]) -> ApiResult<HashMap<i64, LevelDefaults>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let query = format!(
        "SELECT user_id, direct, grp, channel FROM level_defaults WHERE user_id IN ({})",
        hybrid_store::id_list(users.iter().copied())
    );
    let rows: Vec<Row> = sql.fetch_all(&query, params![]).await?;
    Ok(rows.into_iter().map(|row| (row.0, defaults(row))).collect())
}

pub async fn get(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<LevelDefaults> {
    Ok(of_users(sql, &[user_id]).await?.remove(&user_id).unwrap_or_default())
}

/// Stores `user_id`'s defaults (all of them `all`: no row).
pub async fn set(db: &Db, user_id: i64, new: LevelDefaults) -> ApiResult<LevelDefaults> {
    if new == LevelDefaults::default() {
        db.execute(
            "DELETE FROM level_defaults WHERE user_id = $1",
            hybrid_store::values![user_id],
        )
        .await?;
    } else {
        db.execute(
            "INSERT INTO level_defaults (user_id, direct, grp, channel) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET direct = excluded.direct, grp = excluded.grp, \
             channel = excluded.channel",
            hybrid_store::values![user_id, new.direct.as_str(), new.group.as_str(), new.channel.as_str()],
        )
        .await?;
    }
    Ok(new)
}
