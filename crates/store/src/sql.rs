//! The statement interface of [`Db::write`](crate::Db::write), [`Db::reads`](crate::Db::reads)
//! and [`Db::scan`](crate::Db::scan): one set of calls that runs on SQLite with rusqlite (writes
//! straight on the writer thread, on the writer's own connection) and on PostgreSQL through
//! sqlx. Services use nothing else; sqlx stays inside this crate.
//!
//! Why not sqlx on SQLite too: sqlx runs every SQLite connection on a worker thread of its own,
//! so each statement is a round trip between two threads, two wake-ups. A message send is about
//! ten statements; on a busy 2-core machine those hand-offs, not SQLite, were what bounded how
//! many sends one writer commits (docs/benchmarks.md).
//!
//! SQL is written once, with `$1`, `$2`… placeholders, for both dialects (SQLite reads `$N` as
//! a named parameter; [`Sql`] binds it by its number). Values are the few kinds the schemas use:
//! 64-bit integers, text and bytes.

use std::borrow::Cow;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, AnyPool, Arguments, AssertSqlSafe, Row as _, ValueRef as _};

use crate::{Dialect, StoreError};

/// A value bound to a placeholder. A null keeps its kind: PostgreSQL types its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Int(i64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
    Null(Kind),
}

impl Value<'_> {
    /// The value with its text or bytes owned, to move into a write.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Int(v) => Value::Int(v),
            Value::Text(v) => Value::Text(Cow::Owned(v.into_owned())),
            Value::Blob(v) => Value::Blob(Cow::Owned(v.into_owned())),
            Value::Null(kind) => Value::Null(kind),
        }
    }
}

/// A value already made, as [`values!`](crate::values) collects them.
impl DynToSql for Value<'_> {
    fn dyn_to_sql(&self) -> Value<'_> {
        match self {
            Value::Int(v) => Value::Int(*v),
            Value::Text(v) => Value::Text(Cow::Borrowed(v)),
            Value::Blob(v) => Value::Blob(Cow::Borrowed(v)),
            Value::Null(kind) => Value::Null(*kind),
        }
    }
}

/// Owned values for [`Db::execute`](crate::Db::execute): `values![user_id, &name]`.
#[macro_export]
macro_rules! values {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::sql::DynToSql::dyn_to_sql(&$value).into_owned()),*]
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Blob,
}

/// What can be bound to a placeholder.
pub trait ToSql: Sync {
    const KIND: Kind;
    fn to_sql(&self) -> Value<'_>;
}

impl ToSql for i64 {
    const KIND: Kind = Kind::Int;
    fn to_sql(&self) -> Value<'_> {
        Value::Int(*self)
    }
}

impl ToSql for i32 {
    const KIND: Kind = Kind::Int;
    fn to_sql(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToSql for u32 {
    const KIND: Kind = Kind::Int;
    fn to_sql(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

/// Stored as 0 or 1 (the schemas have no boolean columns).
impl ToSql for bool {
    const KIND: Kind = Kind::Int;
    fn to_sql(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToSql for str {
    const KIND: Kind = Kind::Text;
    fn to_sql(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToSql for String {
    const KIND: Kind = Kind::Text;
    fn to_sql(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToSql for [u8] {
    const KIND: Kind = Kind::Blob;
    fn to_sql(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl ToSql for Vec<u8> {
    const KIND: Kind = Kind::Blob;
    fn to_sql(&self) -> Value<'_> {
        Value::Blob(Cow::Borrowed(self))
    }
}

impl<T: ToSql + ?Sized> ToSql for &T {
    const KIND: Kind = T::KIND;
    fn to_sql(&self) -> Value<'_> {
        (**self).to_sql()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    const KIND: Kind = T::KIND;
    fn to_sql(&self) -> Value<'_> {
        match self {
            Some(value) => value.to_sql(),
            None => Value::Null(T::KIND),
        }
    }
}

/// The values of a statement's placeholders, in order: `params![chat_id, &text]`.
#[macro_export]
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$(&$value as &(dyn $crate::sql::DynToSql)),*][..]
    };
}

/// [`ToSql`] without its associated constant, so values of different types fit in one slice.
pub trait DynToSql: Sync {
    fn dyn_to_sql(&self) -> Value<'_>;
}

impl<T: ToSql + ?Sized> DynToSql for T {
    fn dyn_to_sql(&self) -> Value<'_> {
        self.to_sql()
    }
}

pub type Params<'a> = &'a [&'a dyn DynToSql];

/// What can be read from a column.
pub trait FromSql: Sized + Send + 'static {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError>;
    fn from_any(row: &AnyRow, index: usize) -> Result<Self, StoreError>;
}

fn decode_error(what: &str, got: impl std::fmt::Debug) -> StoreError {
    StoreError::Decode(format!("expected {what}, found {got:?}"))
}

impl FromSql for i64 {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError> {
        match value {
            rusqlite::types::ValueRef::Integer(v) => Ok(v),
            other => Err(decode_error("an integer", other.data_type())),
        }
    }
    fn from_any(row: &AnyRow, index: usize) -> Result<Self, StoreError> {
        Ok(row.try_get(index)?)
    }
}

/// An integer column read as a flag: anything but 0 is true.
impl FromSql for bool {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError> {
        i64::from_sqlite(value).map(|v| v != 0)
    }
    fn from_any(row: &AnyRow, index: usize) -> Result<Self, StoreError> {
        i64::from_any(row, index).map(|v| v != 0)
    }
}

impl FromSql for String {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError> {
        match value {
            rusqlite::types::ValueRef::Text(bytes) => {
                String::from_utf8(bytes.to_vec()).map_err(|_| StoreError::Decode("text that is not UTF-8".into()))
            }
            other => Err(decode_error("text", other.data_type())),
        }
    }
    fn from_any(row: &AnyRow, index: usize) -> Result<Self, StoreError> {
        Ok(row.try_get(index)?)
    }
}

impl FromSql for Vec<u8> {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError> {
        match value {
            rusqlite::types::ValueRef::Blob(bytes) => Ok(bytes.to_vec()),
            other => Err(decode_error("bytes", other.data_type())),
        }
    }
    fn from_any(row: &AnyRow, index: usize) -> Result<Self, StoreError> {
        Ok(row.try_get(index)?)
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Result<Self, StoreError> {
        match value {
            rusqlite::types::ValueRef::Null => Ok(None),
            value => T::from_sqlite(value).map(Some),
        }
    }
    fn from_any(row: &AnyRow, index: usize) -> Result<Self, StoreError> {
        if row.try_get_raw(index)?.is_null() {
            return Ok(None);
        }
        T::from_any(row, index).map(Some)
    }
}

/// One result row, from either dialect.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Any(&'r AnyRow),
}

impl Row<'_> {
    /// The value of column `index` (from 0).
    pub fn get<T: FromSql>(&self, index: usize) -> Result<T, StoreError> {
        match self {
            Row::Sqlite(row) => T::from_sqlite(row.get_ref(index)?),
            Row::Any(row) => T::from_any(row, index),
        }
    }
}

/// A type a row turns into: tuples of [`FromSql`] values by position, or a struct that
/// implements it by hand.
pub trait FromRow: Sized + Send + 'static {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError>;
}

/// Implements [`FromRow`] for a struct whose fields are the query's columns, in the order
/// listed: `from_row!(MessageRow { chat_id, seq, text })`.
#[macro_export]
macro_rules! from_row {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::FromRow for $name {
            fn from_row(row: &$crate::Row<'_>) -> Result<Self, $crate::StoreError> {
                let mut column = 0..;
                Ok($name {
                    $($field: row.get(column.next().unwrap_or_default())?),+
                })
            }
        }
    };
}

macro_rules! tuple_from_row {
    ($($name:ident $index:tt),+) => {
        impl<$($name: FromSql),+> FromRow for ($($name,)+) {
            fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
                Ok(($(row.get::<$name>($index)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// Where statements run: a write's transaction ([`Db::write`](crate::Db::write), inside its own
/// savepoint on SQLite, where writes are batched), or the read connections
/// ([`Db::reads`](crate::Db::reads), [`Db::scan`](crate::Db::scan)), so that read helpers serve
/// both. Its calls are `async` for PostgreSQL; on SQLite point reads and writes run on the
/// calling thread and finish without waiting, and a scan's statements on a blocking thread.
pub struct Sql<'c> {
    conn: Conn<'c>,
}

enum Conn<'c> {
    /// The SQLite writer's own connection (`&mut`: a shared `&Connection` is not `Send`, and
    /// a write's future must be).
    Sqlite(&'c mut rusqlite::Connection),
    /// A PostgreSQL transaction.
    Postgres(&'c mut AnyConnection),
    /// SQLite read connections, one taken per statement.
    SqliteReads(&'c SqliteReaders),
    /// The PostgreSQL pool, one connection per statement.
    PostgresReads(&'c AnyPool),
    /// SQLite read connections, each statement run on a blocking thread.
    SqliteScan(&'c std::sync::Arc<SqliteReaders>),
}

/// Read-only SQLite connections used on the calling thread: a point read in WAL mode takes
/// microseconds, less than the two thread hand-offs of a read through sqlx's connection
/// worker. Idle connections are kept up to `keep`; a busy moment opens more.
pub(crate) struct SqliteReaders {
    path: std::path::PathBuf,
    idle: std::sync::Mutex<Vec<rusqlite::Connection>>,
    keep: usize,
}

impl SqliteReaders {
    pub(crate) fn new(path: std::path::PathBuf, keep: usize) -> Self {
        SqliteReaders {
            path,
            idle: std::sync::Mutex::new(Vec::new()),
            keep: keep.max(1),
        }
    }

    /// Runs `f` on an idle connection (or a new one), then keeps it for the next read.
    fn with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = rusqlite::Connection::open_with_flags(
                    &self.path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn.set_prepared_statement_cache_capacity(128);
                conn
            }
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.keep {
            idle.push(conn);
        }
        result
    }
}

impl<'c> Sql<'c> {
    pub(crate) fn sqlite(conn: &'c mut rusqlite::Connection) -> Self {
        Sql {
            conn: Conn::Sqlite(conn),
        }
    }

    pub(crate) fn postgres(conn: &'c mut AnyConnection) -> Self {
        Sql {
            conn: Conn::Postgres(conn),
        }
    }

    pub(crate) fn sqlite_reads(readers: &'c SqliteReaders) -> Self {
        Sql {
            conn: Conn::SqliteReads(readers),
        }
    }

    pub(crate) fn postgres_reads(pool: &'c AnyPool) -> Self {
        Sql {
            conn: Conn::PostgresReads(pool),
        }
    }

    pub(crate) fn sqlite_scan(readers: &'c std::sync::Arc<SqliteReaders>) -> Self {
        Sql {
            conn: Conn::SqliteScan(readers),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.conn {
            Conn::Sqlite(_) | Conn::SqliteReads(_) | Conn::SqliteScan(_) => Dialect::Sqlite,
            Conn::Postgres(_) | Conn::PostgresReads(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement; returns the rows it changed. `sql` may be built at run time (an
    /// `IN` list of placeholders, say), never from user input: values go in `params`. A
    /// statement with `RETURNING` goes through a `fetch_*` call (SQLite refuses it here).
    pub async fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
        let done = match &mut self.conn {
            Conn::Sqlite(conn) => return sqlite_execute(conn, sql, params),
            Conn::SqliteReads(readers) => return readers.with(|conn| sqlite_execute(conn, sql, params)),
            Conn::SqliteScan(readers) => {
                return off_thread(readers, sql, params, |conn, sql, params| {
                    sqlite_execute(conn, sql, params)
                })
                .await;
            }
            Conn::Postgres(conn) => any_query(sql, params)?.execute(&mut **conn).await?,
            Conn::PostgresReads(pool) => any_query(sql, params)?.execute(*pool).await?,
        };
        Ok(done.rows_affected())
    }

    /// The rows of a query, each turned into `R`.
    pub async fn fetch_all<R: FromRow>(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<R>, StoreError> {
        let rows = match &mut self.conn {
            Conn::Sqlite(conn) => return sqlite_fetch(conn, sql, params, usize::MAX),
            Conn::SqliteReads(readers) => return readers.with(|conn| sqlite_fetch(conn, sql, params, usize::MAX)),
            Conn::SqliteScan(readers) => {
                return off_thread(readers, sql, params, |conn, sql, params| {
                    sqlite_fetch(conn, sql, params, usize::MAX)
                })
                .await;
            }
            Conn::Postgres(conn) => any_query(sql, params)?.fetch_all(&mut **conn).await?,
            Conn::PostgresReads(pool) => any_query(sql, params)?.fetch_all(*pool).await?,
        };
        rows.iter().map(|row| R::from_row(&Row::Any(row))).collect()
    }

    /// The first row of a query, if any.
    pub async fn fetch_optional<R: FromRow>(&mut self, sql: &str, params: Params<'_>) -> Result<Option<R>, StoreError> {
        let row = match &mut self.conn {
            Conn::Sqlite(conn) => return Ok(sqlite_fetch(conn, sql, params, 1)?.pop()),
            Conn::SqliteReads(readers) => return Ok(readers.with(|conn| sqlite_fetch(conn, sql, params, 1))?.pop()),
            Conn::SqliteScan(readers) => {
                let rows = off_thread(readers, sql, params, |conn, sql, params| {
                    sqlite_fetch(conn, sql, params, 1)
                });
                return Ok(rows.await?.pop());
            }
            Conn::Postgres(conn) => any_query(sql, params)?.fetch_optional(&mut **conn).await?,
            Conn::PostgresReads(pool) => any_query(sql, params)?.fetch_optional(*pool).await?,
        };
        row.as_ref().map(|row| R::from_row(&Row::Any(row))).transpose()
    }

    /// The first row of a query; no row is an error.
    pub async fn fetch_one<R: FromRow>(&mut self, sql: &str, params: Params<'_>) -> Result<R, StoreError> {
        self.fetch_optional(sql, params).await?.ok_or(StoreError::NoRow)
    }
}

/// Runs `run` with `sql` and owned copies of `params` on a read connection, on a blocking
/// thread: a long read must not hold a runtime thread.
async fn off_thread<T: Send + 'static>(
    readers: &std::sync::Arc<SqliteReaders>,
    sql: &str,
    params: Params<'_>,
    run: impl FnOnce(&rusqlite::Connection, &str, Params<'_>) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let readers = readers.clone();
    let sql = sql.to_owned();
    let values: Vec<Value<'static>> = params.iter().map(|p| p.dyn_to_sql().into_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let params: Vec<&dyn DynToSql> = values.iter().map(|v| v as &dyn DynToSql).collect();
        readers.with(|conn| run(conn, &sql, &params))
    })
    .await
    .map_err(|_| StoreError::Unavailable)?
}

fn sqlite_execute(conn: &rusqlite::Connection, sql: &str, params: Params<'_>) -> Result<u64, StoreError> {
    Ok(prepare(conn, sql, params)?.raw_execute()? as u64)
}

/// Up to `limit` rows of a query, each turned into `R`.
fn sqlite_fetch<R: FromRow>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: Params<'_>,
    limit: usize,
) -> Result<Vec<R>, StoreError> {
    let mut statement = prepare(conn, sql, params)?;
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while out.len() < limit
        && let Some(row) = rows.next()?
    {
        out.push(R::from_row(&Row::Sqlite(row))?);
    }
    Ok(out)
}

/// `sql` with `params` bound, for sqlx.
fn any_query(sql: &str, params: Params<'_>) -> Result<crate::db::AnyQuery, StoreError> {
    Ok(sqlx::query_with(AssertSqlSafe(sql.to_owned()), any_arguments(params)?))
}

/// A cached statement of `sql` with `params` bound: `$N` (and `?N`) to the N-th value.
fn prepare<'conn>(
    conn: &'conn rusqlite::Connection,
    sql: &str,
    params: Params<'_>,
) -> Result<rusqlite::CachedStatement<'conn>, StoreError> {
    let mut statement = conn.prepare_cached(sql)?;
    for index in 1..=statement.parameter_count() {
        let number = match statement.parameter_name(index) {
            Some(name) => name[1..]
                .parse::<usize>()
                .map_err(|_| StoreError::Decode(format!("placeholder {name} is not $N")))?,
            None => index,
        };
        let value = params
            .get(number - 1)
            .ok_or_else(|| StoreError::Decode(format!("no value for placeholder ${number}")))?;
        match value.dyn_to_sql() {
            Value::Int(v) => statement.raw_bind_parameter(index, v)?,
            Value::Text(v) => statement.raw_bind_parameter(index, v.as_ref())?,
            Value::Blob(v) => statement.raw_bind_parameter(index, v.as_ref())?,
            Value::Null(_) => statement.raw_bind_parameter(index, rusqlite::types::Null)?,
        }
    }
    Ok(statement)
}

fn any_arguments(params: Params<'_>) -> Result<AnyArguments, StoreError> {
    let mut args = AnyArguments::default();
    for value in params {
        let added = match value.dyn_to_sql() {
            Value::Int(v) => args.add(v),
            Value::Text(v) => args.add(v.into_owned()),
            Value::Blob(v) => args.add(v.into_owned()),
            Value::Null(Kind::Int) => args.add(None::<i64>),
            Value::Null(Kind::Text) => args.add(None::<String>),
            Value::Null(Kind::Blob) => args.add(None::<Vec<u8>>),
        };
        added.map_err(|err| StoreError::Decode(format!("binding a value: {err}")))?;
    }
    Ok(args)
}
