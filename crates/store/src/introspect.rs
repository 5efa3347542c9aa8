//! A dialect-neutral description of a module's schema, so a test can check that the SQLite
//! and PostgreSQL migrations build the same tables, columns and indexes.

use std::collections::BTreeMap;

use crate::{Db, Dialect, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub name: String,
    /// `integer`, `text`, `blob` or `real`.
    pub kind: String,
    pub not_null: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    pub columns: Vec<String>,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schema {
    /// table name → columns in declaration order
    pub tables: BTreeMap<String, Vec<Column>>,
    /// table name → indexes, sorted (names differ between dialects, so they are left out)
    pub indexes: BTreeMap<String, Vec<Index>>,
}

fn kind_of(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let kind = if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else if t.contains("real") || t.contains("double") || t.contains("float") {
        "real"
    } else {
        return t;
    };
    kind.to_owned()
}

/// Full-text indexes differ by nature between dialects (an FTS5 virtual table with shadow
/// tables in SQLite, a table with a GIN index in PostgreSQL); tables named `*_fts` and their
/// shadows are left out of the comparison.
fn is_full_text(table: &str) -> bool {
    table.ends_with("_fts") || table.contains("_fts_")
}

impl Db {
    pub async fn describe_schema(&self) -> Result<Schema, StoreError> {
        let pool = self.reader();
        let mut schema = Schema::default();
        match self.dialect() {
            Dialect::Sqlite => {
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .fetch_all(pool)
                .await?;
                for (table,) in tables {
                    // (name, type, notnull, pk)
                    let cols: Vec<(String, String, i64, i64)> =
                        sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                            .bind(&table)
                            .fetch_all(pool)
                            .await?;
                    let columns = cols
                        .into_iter()
                        .map(|(name, ty, not_null, pk)| Column {
                            name,
                            kind: kind_of(&ty),
                            // SQLite lets a primary key be NULL unless told otherwise;
                            // PostgreSQL never does. Both refuse it in practice here.
                            not_null: not_null != 0 || pk != 0,
                        })
                        .collect();
                    let idx: Vec<(String, i64, String)> =
                        sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                            .bind(&table)
                            .fetch_all(pool)
                            .await?;
                    let mut indexes = Vec::new();
                    for (name, unique, _origin) in idx {
                        let cols: Vec<(String,)> =
                            sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                                .bind(&name)
                                .fetch_all(pool)
                                .await?;
                        indexes.push(Index {
                            columns: cols.into_iter().map(|c| c.0).collect(),
                            unique: unique != 0,
                        });
                    }
                    // An INTEGER PRIMARY KEY is the rowid and has no index entry in SQLite;
                    // PostgreSQL lists its primary key index, so add the SQLite one here.
                    let pk: Vec<(String,)> =
                        sqlx::query_as("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk")
                            .bind(&table)
                            .fetch_all(pool)
                            .await?;
                    let pk = Index {
                        columns: pk.into_iter().map(|c| c.0).collect(),
                        unique: true,
                    };
                    if !pk.columns.is_empty() && !indexes.contains(&pk) {
                        indexes.push(pk);
                    }
                    indexes.sort();
                    schema.tables.insert(table.clone(), columns);
                    schema.indexes.insert(table, indexes);
                }
            }
            Dialect::Postgres => {
                let cols: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
                     FROM information_schema.columns WHERE table_schema = current_schema() \
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(pool)
                .await?;
                for (table, name, ty, nullable) in cols {
                    schema.tables.entry(table).or_default().push(Column {
                        name,
                        kind: kind_of(&ty),
                        not_null: nullable == "NO",
                    });
                }
                // (table, unique, columns in index order)
                let idx: Vec<(String, bool, String)> = sqlx::query_as(
                    "SELECT t.relname::text, ix.indisunique, \
                        string_agg(a.attname::text, ',' ORDER BY k.ord) \
                     FROM pg_index ix \
                     JOIN pg_class t ON t.oid = ix.indrelid \
                     JOIN pg_class i ON i.oid = ix.indexrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                     WHERE n.nspname = current_schema() \
                     GROUP BY t.relname, i.relname, ix.indisunique",
                )
                .fetch_all(pool)
                .await?;
                for (table, unique, columns) in idx {
                    schema.indexes.entry(table).or_default().push(Index {
                        columns: columns.split(',').map(str::to_owned).collect(),
                        unique,
                    });
                }
                for table in schema.tables.keys() {
                    schema.indexes.entry(table.clone()).or_default().sort();
                }
            }
        }
        schema.tables.retain(|table, _| !is_full_text(table));
        schema.indexes.retain(|table, _| !is_full_text(table));
        Ok(schema)
    }
}
