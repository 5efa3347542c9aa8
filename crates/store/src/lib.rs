//! Storage for Hybrid's modules. Each module owns one database: an SQLite file in the data
//! directory (embedded) or a schema in PostgreSQL (scaled), with its own migrations. The same
//! SQL runs on both: use `$1`-style placeholders, `RETURNING`, `ON CONFLICT`, integer
//! timestamps (epoch milliseconds) and integers for flags.

pub mod clock;
mod config;
mod copy;
mod db;
mod error;
mod introspect;
mod migrate;
pub mod sql;
pub mod testing;
pub mod time;

pub use clock::Clock;
pub use config::{StoreConfig, Synchronous};
pub use copy::TableCopy;
pub use db::{Db, Dialect, WriteFn};
pub use error::StoreError;
pub use introspect::{Column, Index, Schema};
pub use migrate::Migration;
pub use sql::{FromRow, FromSql, Row, Sql, ToSql};

/// `1, 2, 3` for an `IN (…)` list. The sqlx `Any` driver binds no arrays, and integers cannot
/// carry SQL, so listing them inline is safe.
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
}
