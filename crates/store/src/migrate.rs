//! Per-module migrations, written once per dialect and applied in order.
//!
//! Each module keeps `migrations/sqlite/NNNN_name.sql` and `migrations/postgres/NNNN_name.sql`
//! and lists them with [`migration!`](crate::migration). Applied versions are recorded in the
//! module's own `schema_migrations` table; on PostgreSQL an advisory lock keeps two processes
//! starting at once from applying the same migration twice.

use sqlx::{AssertSqlSafe, Connection, Executor};

use crate::{Db, Dialect, StoreError, time::now_ms};

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// `migration!(1, "0001_init")` embeds `migrations/{sqlite,postgres}/0001_init.sql` of the
/// calling crate.
#[macro_export]
macro_rules! migration {
    ($version:expr, $name:literal) => {
        $crate::Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/sqlite/",
                $name,
                ".sql"
            )),
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/postgres/",
                $name,
                ".sql"
            )),
        }
    };
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
/// Tables the store keeps in every module database for itself, not the module's data: never
/// copied by `hybrid migrate-data` (consumers' cursors point into the old install's streams;
/// in the new one they start from its beginning).
pub(crate) const BOOKKEEPING: [&str; 2] = ["schema_migrations", "stream_cursors"];
/// Where a module's durable consumers keep their place in the streams they read
/// (`hybrid_core::stream`), committed with their effects: every module database has it.
const CREATE_CURSORS: &str = "CREATE TABLE IF NOT EXISTS stream_cursors (\
    consumer TEXT PRIMARY KEY, position BIGINT NOT NULL, updated_at BIGINT NOT NULL)";

impl Db {
    /// Applies the migrations this database has not seen yet. Returns how many ran.
    pub async fn migrate(&self, migrations: &[Migration]) -> Result<usize, StoreError> {
        let known: Vec<(i64, &str)> = migrations.iter().map(|m| (m.version, m.name)).collect();
        if known.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(StoreError::Migration(format!(
                "{}: migrations must be listed in increasing version order",
                self.module()
            )));
        }
        let dialect = self.dialect();
        let module = self.module();
        let migrations = migrations.to_vec();
        self.write_sqlx(move |tx| {
            Box::pin(async move {
                if dialect == Dialect::Postgres {
                    // Held until this transaction ends.
                    sqlx::query("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
                        .execute(&mut *tx)
                        .await?;
                }
                tx.execute(CREATE_TABLE).await?;
                tx.execute(CREATE_CURSORS).await?;
                let applied: Vec<(i64, String)> =
                    sqlx::query_as("SELECT version, name FROM schema_migrations ORDER BY version")
                        .fetch_all(&mut *tx)
                        .await?;
                for (version, name) in &applied {
                    match migrations.iter().find(|m| m.version == *version) {
                        Some(m) if m.name == name => {}
                        Some(m) => {
                            return Err(StoreError::Migration(format!(
                                "{module}: version {version} was applied as {name:?} but this \
                                 build calls it {:?}",
                                m.name
                            )));
                        }
                        None => {
                            return Err(StoreError::Migration(format!(
                                "{module}: the database has migration {version} ({name}), \
                                 which this build does not know; is it older than the data?"
                            )));
                        }
                    }
                }
                let mut ran = 0;
                for m in migrations.iter().filter(|m| !applied.iter().any(|a| a.0 == m.version)) {
                    let sql = match dialect {
                        Dialect::Sqlite => m.sqlite,
                        Dialect::Postgres => m.postgres,
                    };
                    let mut step = tx.begin().await?;
                    sqlx::raw_sql(AssertSqlSafe(sql))
                        .execute(&mut *step)
                        .await
                        .map_err(|err| StoreError::Migration(format!("{module}: {}: {err}", m.name)))?;
                    sqlx::query(
                        "INSERT INTO schema_migrations (version, name, applied_at) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(m.version)
                    .bind(m.name)
                    .bind(now_ms())
                    .execute(&mut *step)
                    .await?;
                    step.commit().await?;
                    ran += 1;
                }
                Ok::<_, StoreError>(ran)
            })
        })
        .await
    }
}
