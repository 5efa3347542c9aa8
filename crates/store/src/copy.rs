//! Copying a module's rows from its embedded SQLite database into PostgreSQL, for
//! `hybrid migrate-data`. Both sides must be migrated to the same version first. Rows keep
//! their ids; rows whose key is already in the target are left alone, so a second run copies
//! nothing twice. Full-text tables differ between dialects and are not copied: the module
//! rebuilds them from the copied rows.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::introspect::Column;
use crate::migrate::BOOKKEEPING;
use crate::{Db, Dialect, StoreError};

/// Rows per INSERT (well under PostgreSQL's 65535 parameters for any table here).
const BATCH: i64 = 500;

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    /// Rows in the source.
    pub read: u64,
    /// Rows inserted into the target (the rest were there already).
    pub copied: u64,
}

impl Db {
    /// Whether no table (migrations aside) holds a row.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        for table in self.describe_schema().await?.tables.keys() {
            if BOOKKEEPING.contains(&table.as_str()) {
                continue;
            }
            let sql = format!("SELECT 1 FROM {} LIMIT 1", quoted(table));
            if sqlx::query(AssertSqlSafe(sql))
                .fetch_optional(self.reader())
                .await?
                .is_some()
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Copies every table of this (SQLite) database into `target` (PostgreSQL), except `skip`.
    pub async fn copy_into(&self, target: &Db, skip: &[&str]) -> Result<Vec<TableCopy>, StoreError> {
        if self.dialect() != Dialect::Sqlite || target.dialect() != Dialect::Postgres {
            return Err(StoreError::Migration(
                "data is copied from embedded SQLite into PostgreSQL".into(),
            ));
        }
        let source = self.describe_schema().await?;
        let destination = target.describe_schema().await?;
        let mut copies = Vec::new();
        for (table, columns) in &destination.tables {
            if BOOKKEEPING.contains(&table.as_str()) || skip.contains(&table.as_str()) {
                continue;
            }
            let Some(source_columns) = source.tables.get(table) else {
                return Err(StoreError::Migration(format!(
                    "table {table} is missing in the source: migrate both to the same version"
                )));
            };
            let columns: Vec<&Column> = columns
                .iter()
                .filter(|c| source_columns.iter().any(|s| s.name == c.name))
                .collect();
            copies.push(self.copy_table(target, table, &columns).await?);
        }
        target.reset_identities(&destination.tables).await?;
        Ok(copies)
    }

    async fn copy_table(&self, target: &Db, table: &str, columns: &[&Column]) -> Result<TableCopy, StoreError> {
        let list = columns.iter().map(|c| quoted(&c.name)).collect::<Vec<_>>().join(", ");
        // rowid order: stable, resumable pages whatever the table's key
        let select = format!(
            "SELECT rowid, {list} FROM {} WHERE rowid > $1 ORDER BY rowid LIMIT {BATCH}",
            quoted(table)
        );
        let mut copy = TableCopy {
            table: table.to_owned(),
            read: 0,
            copied: 0,
        };
        let mut after = i64::MIN;
        loop {
            let rows: Vec<AnyRow> = sqlx::query(AssertSqlSafe(select.clone()))
                .bind(after)
                .fetch_all(self.reader())
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get::<i64, _>(0)?;
            copy.read += rows.len() as u64;
            copy.copied += target.execute_query(insert(table, &list, columns, &rows)?).await?;
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
        Ok(copy)
    }

    /// Moves each identity column's sequence past the copied ids, so new rows do not collide.
    async fn reset_identities(
        &self,
        tables: &std::collections::BTreeMap<String, Vec<Column>>,
    ) -> Result<(), StoreError> {
        let identities: Vec<(String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND is_identity = 'YES'",
        )
        .fetch_all(self.reader())
        .await?;
        for (table, column) in identities.into_iter().filter(|(t, _)| tables.contains_key(t)) {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 COALESCE((SELECT max({col}) FROM {tbl}), 0) + 1, false)",
                col = quoted(&column),
                tbl = quoted(&table),
            );
            self.execute_query(sqlx::query(AssertSqlSafe(sql))).await?;
        }
        Ok(())
    }
}

/// `INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING` for a page of source rows (whose first
/// column is the rowid), each value bound with its column's type.
fn insert(table: &str, list: &str, columns: &[&Column], rows: &[AnyRow]) -> Result<crate::db::AnyQuery, StoreError> {
    let width = columns.len();
    let mut sql = format!("INSERT INTO {} ({list}) VALUES ", quoted(table));
    for r in 0..rows.len() {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for row in rows {
        for (i, column) in columns.iter().enumerate() {
            let at = i + 1; // after the rowid
            query = match column.kind.as_str() {
                "integer" => query.bind(row.try_get::<Option<i64>, _>(at)?),
                "real" => query.bind(row.try_get::<Option<f64>, _>(at)?),
                "blob" => query.bind(row.try_get::<Option<Vec<u8>>, _>(at)?),
                _ => query.bind(row.try_get::<Option<String>, _>(at)?),
            };
        }
    }
    Ok(query)
}

/// Table and column names come from the schema, never from users; quoting keeps reserved
/// words (`key`) working.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
