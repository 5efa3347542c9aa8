use std::sync::Arc;

/// What can go wrong below a module's SQL.
///
/// `Clone` because one failed SQLite commit fails every request of its batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The write queue is full: the caller should come back shortly (HTTP 503 + Retry-After).
    #[error("the database is busy, retry shortly")]
    Busy,
    /// The database cannot be reached or its writer has stopped.
    #[error("the database is unavailable")]
    Unavailable,
    /// An insert or update hit a unique index. Carries the constraint name where the database
    /// reports one (PostgreSQL does, SQLite does not).
    #[error("unique constraint violated")]
    UniqueViolation(Option<String>),
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
    /// The SQLite writer's own connection (see `sql.rs`).
    #[error("database error: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// A row or value was not what the code reading it expects.
    #[error("unexpected data: {0}")]
    Decode(String),
    /// A query that must return a row returned none.
    #[error("the query returned no row")]
    NoRow,
    #[error("migration error: {0}")]
    Migration(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::UniqueViolation(db.constraint().map(str::to_owned))
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => {
                StoreError::Unavailable
            }
            // PostgreSQL going away: connection exceptions (08…), shutdown or restart in
            // progress (57P01–57P03).
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")) =>
            {
                StoreError::Unavailable
            }
            _ => StoreError::Database(Arc::new(err)),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &err {
            rusqlite::Error::SqliteFailure(failure, _)
                if matches!(
                    failure.extended_code,
                    ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                StoreError::UniqueViolation(None)
            }
            rusqlite::Error::SqliteFailure(failure, _)
                if matches!(
                    failure.code,
                    ffi::ErrorCode::DatabaseBusy | ffi::ErrorCode::DatabaseLocked | ffi::ErrorCode::CannotOpen
                ) =>
            {
                StoreError::Unavailable
            }
            _ => StoreError::Sqlite(Arc::new(err)),
        }
    }
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::UniqueViolation(_))
    }
}
