//! A module's database handle: the same code runs on SQLite (embedded) and PostgreSQL (scaled).
//!
//! Reads go to a pool. Writes go through [`Db::write`], which runs a closure inside a
//! transaction and returns only after that transaction committed:
//! - on PostgreSQL each write is its own transaction from the pool;
//! - on SQLite one writer task per file drains the queue and commits everything it found in a
//!   single `BEGIN IMMEDIATE` transaction, each write inside its own savepoint so a failing one
//!   rolls back alone. One fsync then covers the whole batch.
//!
//! Services use one interface, [`Sql`] (`sql.rs`), for reads and writes alike:
//! - [`Db::write`] (and [`Db::write_then`], [`Db::execute`]) runs a write's statements; on
//!   SQLite straight on the writer's own rusqlite connection, no thread hand-off per statement;
//! - [`Db::reads`] for point reads, on SQLite on the calling thread;
//! - [`Db::scan`] for long reads, on SQLite on a blocking thread so the runtime keeps going.
//!
//! Inside this crate a second path gives a write a sqlx connection (on SQLite a round trip to
//! sqlx's connection worker per statement): migrations (scripts of several statements) and
//! `hybrid migrate-data`'s copies of rows of any shape. A batch with both kinds commits each
//! run of one kind in turn.

use std::any::Any as StdAny;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, ConnectOptions, Connection, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::sql::{DynToSql, Sql, SqliteReaders, Value};
use crate::{StoreConfig, StoreError, Synchronous};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A module's database. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    module: &'static str,
    reader: AnyPool,
    /// SQLite: read connections used on the calling thread, for [`Db::reads`].
    sqlite_readers: Option<Arc<SqliteReaders>>,
    writer: Writer,
}

enum Writer {
    Postgres(AnyPool),
    Sqlite { queue: mpsc::Sender<Job>, capacity: usize },
}

/// A statement with its bound values, ready to move to the writer.
pub(crate) type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// A write as the SQLite writer task sees it: run it, then tell it how the batch ended.
enum Job {
    /// From [`Db::write_sqlx`]: on the writer's sqlx connection.
    Sqlx(Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Pending> + Send>),
    /// From [`Db::write`]: on the writer's own rusqlite connection.
    Direct(Box<dyn for<'a, 'c> FnOnce(&'a mut Sql<'c>) -> BoxFuture<'a, Pending> + Send>),
}

/// A finished write waiting for its batch to commit. `deliver(None)` after a commit,
/// `deliver(Some(err))` when the batch failed.
struct Pending {
    ok: bool,
    deliver: Deliver,
}

type Deliver = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// The closure type of the sqlx write path: it gets a connection inside a transaction.
/// It must not begin or commit transactions itself.
pub trait SqlxWriteFn<T, E>:
    for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static
{
}
impl<T, E, F> SqlxWriteFn<T, E> for F where
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static
{
}

/// The closure type [`Db::write`] takes. It must not begin or commit transactions itself,
/// and should only run statements: on SQLite it runs on the writer thread, in the batch.
pub trait WriteFn<T, E>: for<'a, 'c> FnOnce(&'a mut Sql<'c>) -> BoxFuture<'a, Result<T, E>> + Send + 'static {}
impl<T, E, F> WriteFn<T, E> for F where
    F: for<'a, 'c> FnOnce(&'a mut Sql<'c>) -> BoxFuture<'a, Result<T, E>> + Send + 'static
{
}

impl Db {
    /// Opens (creating if needed) the database of `module`: `<data_dir>/<module>.db` or the
    /// PostgreSQL schema named after the module.
    pub async fn open(module: &'static str, config: &StoreConfig) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        assert!(
            module.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "module names are plain identifiers"
        );
        let inner = if config.is_postgres() {
            open_postgres(module, config).await?
        } else {
            open_sqlite(module, config).await?
        };
        Ok(Db { inner: Arc::new(inner) })
    }

    pub fn module(&self) -> &'static str {
        self.inner.module
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner.writer {
            Writer::Postgres(_) => Dialect::Postgres,
            Writer::Sqlite { .. } => Dialect::Sqlite,
        }
    }

    /// The sqlx pool for reads (copies and schema checks). Reads see every write whose
    /// [`Db::write`] has returned.
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.inner.reader
    }

    /// Writes waiting for the SQLite writer (0 on PostgreSQL).
    pub fn queue_depth(&self) -> usize {
        match &self.inner.writer {
            Writer::Postgres(_) => 0,
            Writer::Sqlite { queue, capacity } => capacity - queue.capacity(),
        }
    }

    /// Fails fast with [`StoreError::Busy`] while the SQLite write queue is full, so a request
    /// that will write anyway is refused before it spends reads (and waits for a reader) only to
    /// be refused at the queue. Always passes on PostgreSQL.
    pub fn admit_write(&self) -> Result<(), StoreError> {
        match &self.inner.writer {
            Writer::Sqlite { queue, .. } if queue.capacity() == 0 => Err(StoreError::Busy),
            _ => Ok(()),
        }
    }

    /// Reads through [`Sql`], so helpers that read inside writes serve plain reads too. On
    /// SQLite each statement runs on the calling thread (no hand-off to another thread): use it
    /// for point reads and short lists, and [`scan`](Self::scan) for reads that may take long.
    pub fn reads(&self) -> Sql<'_> {
        match &self.inner.sqlite_readers {
            Some(readers) => Sql::sqlite_reads(readers),
            None => Sql::postgres_reads(&self.inner.reader),
        }
    }

    /// Reads that may take long (a search across many chats, a scan for pruning): on SQLite
    /// each statement runs on a blocking thread, so the runtime thread keeps serving others.
    /// The same as [`reads`](Self::reads) on PostgreSQL, whose statements are awaited anyway.
    pub fn scan(&self) -> Sql<'_> {
        match &self.inner.sqlite_readers {
            Some(readers) => Sql::sqlite_scan(readers),
            None => Sql::postgres_reads(&self.inner.reader),
        }
    }

    /// Checks that reads and writes can reach the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        match &self.inner.writer {
            Writer::Postgres(_) => Ok(()),
            Writer::Sqlite { queue, .. } if queue.is_closed() => Err(StoreError::Unavailable),
            Writer::Sqlite { .. } => Ok(()),
        }
    }

    /// Runs `f` on a sqlx connection in a transaction and returns once it has committed (or
    /// failed): for migrations (scripts of several statements) and `migrate-data`'s copies of
    /// rows of any shape. Services write through [`write`](Self::write).
    pub(crate) async fn write_sqlx<T, E>(&self, f: impl SqlxWriteFn<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match &self.inner.writer {
            Writer::Postgres(pool) => postgres_write(pool, f, |_| {}).await,
            Writer::Sqlite { queue, .. } => {
                queued(queue, |reply| {
                    Job::Sqlx(Box::new(move |conn| {
                        Box::pin(async move { pending(f(conn).await, |_| {}, reply) })
                    }))
                })
                .await
            }
        }
    }

    /// Runs `f` in a transaction and returns once it has committed (or failed). Its statements
    /// go through a [`Sql`]: on SQLite straight on the writer's connection, without a thread
    /// hand-off per statement.
    ///
    /// ```ignore
    /// let id: i64 = db.write(move |tx| Box::pin(async move {
    ///     let (id,) = tx.fetch_one("INSERT INTO t (v) VALUES ($1) RETURNING id", params![v]).await?;
    ///     Ok::<_, StoreError>(id)
    /// })).await?;
    /// ```
    pub async fn write<T, E>(&self, f: impl WriteFn<T, E>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.write_then(f, |_| {}).await
    }

    /// [`write`](Self::write), and runs `on_commit` with the result once the transaction
    /// has committed, even if the caller has gone away meanwhile (a cancelled request). On
    /// SQLite the hooks of a batch run in commit order, inside the writer; use them to publish
    /// what the transaction wrote.
    pub async fn write_then<T, E>(
        &self,
        f: impl WriteFn<T, E>,
        on_commit: impl FnOnce(&mut T) + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        match &self.inner.writer {
            Writer::Postgres(pool) => {
                let run = as_write_fn(move |conn| {
                    Box::pin(async move {
                        let mut tx = Sql::postgres(conn);
                        f(&mut tx).await
                    })
                });
                postgres_write(pool, run, on_commit).await
            }
            Writer::Sqlite { queue, .. } => {
                queued(queue, |reply| {
                    Job::Direct(Box::new(move |tx| {
                        Box::pin(async move { pending(f(tx).await, on_commit, reply) })
                    }))
                })
                .await
            }
        }
    }

    /// Runs one statement, with owned values ([`values!`](crate::values)), as its own write.
    /// Returns the rows it changed.
    pub async fn execute(&self, sql: &'static str, values: Vec<Value<'static>>) -> Result<u64, StoreError> {
        self.write(move |tx| {
            Box::pin(async move {
                let params: Vec<&dyn DynToSql> = values.iter().map(|v| v as &dyn DynToSql).collect();
                tx.execute(sql, &params).await
            })
        })
        .await
    }

    /// One sqlx statement as its own write (rows of any shape, for `copy.rs`).
    pub(crate) async fn execute_query(&self, query: AnyQuery) -> Result<u64, StoreError> {
        self.write_sqlx(move |tx| {
            Box::pin(async move { Ok::<_, StoreError>(query.execute(&mut *tx).await?.rows_affected()) })
        })
        .await
    }

    /// Closes the pools; queued SQLite writes still finish.
    pub async fn close(&self) {
        self.inner.reader.close().await;
        if let Writer::Postgres(pool) = &self.inner.writer {
            pool.close().await;
        }
    }
}

/// A write on PostgreSQL: its own transaction from the pool, in a task of its own so a dropped
/// request cannot stop it between commit and hook.
async fn postgres_write<T, E>(
    pool: &AnyPool,
    f: impl SqlxWriteFn<T, E>,
    on_commit: impl FnOnce(&mut T) + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let pool = pool.clone();
    let task = tokio::spawn(async move {
        let mut tx = pool.begin().await.map_err(StoreError::from)?;
        match f(&mut tx).await {
            Ok(mut value) => {
                tx.commit().await.map_err(StoreError::from)?;
                run_hook(on_commit, &mut value);
                Ok(value)
            }
            Err(err) => {
                let _ = tx.rollback().await;
                Err(err)
            }
        }
    });
    task.await.map_err(|_| StoreError::Unavailable)?
}

/// A finished SQLite write: once its batch has ended, `reply` gets the result, or the batch's
/// error; `on_commit` runs after a commit.
fn pending<T, E>(
    result: Result<T, E>,
    on_commit: impl FnOnce(&mut T) + Send + 'static,
    reply: oneshot::Sender<Result<T, E>>,
) -> Pending
where
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    Pending {
        ok: result.is_ok(),
        deliver: Box::new(move |batch_error| {
            let result = match (result, batch_error) {
                (Ok(_), Some(err)) => Err(E::from(err.clone())),
                (Ok(mut value), None) => {
                    run_hook(on_commit, &mut value);
                    Ok(value)
                }
                (err, _) => err,
            };
            let _ = reply.send(result);
        }),
    }
}

/// Gives a closure the higher-ranked signature of a [`SqlxWriteFn`] (inference alone does not).
fn as_write_fn<T, E, F>(f: F) -> F
where
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
{
    f
}

/// Hands the SQLite writer the job `make` builds around its reply channel, and waits for the
/// reply. A full queue is [`StoreError::Busy`] at once.
async fn queued<T, E: From<StoreError>>(
    queue: &mpsc::Sender<Job>,
    make: impl FnOnce(oneshot::Sender<Result<T, E>>) -> Job,
) -> Result<T, E> {
    let (reply, answer) = oneshot::channel();
    queue.try_send(make(reply)).map_err(|err| match err {
        mpsc::error::TrySendError::Full(_) => StoreError::Busy,
        mpsc::error::TrySendError::Closed(_) => StoreError::Unavailable,
    })?;
    answer.await.map_err(|_| StoreError::Unavailable)?
}

async fn open_postgres(module: &'static str, config: &StoreConfig) -> Result<Inner, StoreError> {
    let options: AnyConnectOptions = config.url.parse().map_err(StoreError::from)?;
    // The schema must exist before pooled connections put it on their search path.
    let mut conn = options.connect().await?;
    conn.execute(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {module}")))
        .await?;
    conn.close().await?;

    let pool = AnyPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(AssertSqlSafe(format!("SET search_path TO {module}")))
                    .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(Inner {
        module,
        reader: pool.clone(),
        sqlite_readers: None,
        writer: Writer::Postgres(pool),
    })
}

async fn open_sqlite(module: &'static str, config: &StoreConfig) -> Result<Inner, StoreError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|err| StoreError::Migration(format!("cannot create data dir {}: {err}", config.data_dir.display())))?;
    let path = config.data_dir.join(format!("{module}.db"));
    let synchronous = match config.sqlite_synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };

    let mut writer = AnyConnection::connect_with(&sqlite_options(&path, true)?).await?;
    writer
        .execute(AssertSqlSafe(format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
             PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;"
        )))
        .await?;
    let direct = rusqlite::Connection::open_with_flags(
        &path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    direct.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;"
    ))?;
    direct.set_prepared_statement_cache_capacity(256);

    let reader = AnyPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")
                    .await?;
                Ok(())
            })
        })
        .connect_with(sqlite_options(&path, false)?)
        .await?;

    let capacity = config.write_queue_capacity.max(1);
    let (queue, jobs) = mpsc::channel(capacity);
    // Its own thread and runtime: a writer that shares the request threads waits behind them
    // (for each statement's round trip to sqlx's connection worker, on its sqlx connection).
    let max_batch = config.max_batch.max(1);
    std::thread::Builder::new()
        .name(format!("{module}-writer"))
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the writer");
            runtime.block_on(run_writer(module, writer, direct, jobs, max_batch));
        })
        .map_err(|err| StoreError::Database(std::sync::Arc::new(sqlx::Error::Io(err))))?;
    Ok(Inner {
        module,
        reader,
        sqlite_readers: Some(Arc::new(SqliteReaders::new(path, config.max_connections as usize))),
        writer: Writer::Sqlite { queue, capacity },
    })
}

fn sqlite_options(path: &Path, create: bool) -> Result<AnyConnectOptions, StoreError> {
    let mode = if create { "rwc" } else { "rw" };
    let url = format!("sqlite://{}?mode={mode}", path.display());
    Ok(url.parse::<AnyConnectOptions>()?.disable_statement_logging())
}

/// The SQLite writer: one per file, so writes never wait on `SQLITE_BUSY` from each other. It
/// holds two connections to the file and uses one at a time: each run of jobs of one kind in a
/// batch commits before the next run starts.
async fn run_writer(
    module: &'static str,
    mut sqlx_conn: AnyConnection,
    mut direct: rusqlite::Connection,
    mut jobs: mpsc::Receiver<Job>,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    let batch_size = metrics::histogram!("store_write_batch_size", "module" => module);
    while jobs.recv_many(&mut batch, max_batch).await > 0 {
        batch_size.record(batch.len() as f64);
        let mut queued = batch.drain(..).peekable();
        while let Some(first) = queued.next() {
            let kind = std::mem::discriminant(&first);
            let mut run = vec![first];
            while let Some(next) = queued.next_if(|job| std::mem::discriminant(job) == kind) {
                run.push(next);
            }
            let outcome = match run[0] {
                Job::Sqlx(_) => run_sqlx(&mut sqlx_conn, run).await,
                Job::Direct(_) => run_direct(&mut direct, run).await,
            };
            match outcome {
                Ok(pending) => pending.into_iter().for_each(|p| (p.deliver)(None)),
                Err((pending, err)) => {
                    tracing::error!(module, error = %err, "write batch failed");
                    pending.into_iter().for_each(|p| (p.deliver)(Some(&err)));
                }
            }
        }
    }
    let _ = sqlx_conn.close().await;
}

type BatchFailure = (Vec<Pending>, StoreError);

/// A write that panicked: rolled back, and its caller learns the database is unavailable
/// (its reply sender is gone).
fn panicked(panic: Box<dyn StdAny + Send>) -> Pending {
    tracing::error!(panic = panic_message(&panic), "a write panicked");
    Pending {
        ok: false,
        deliver: Box::new(|_| {}),
    }
}

async fn run_sqlx(conn: &mut AnyConnection, run: Vec<Job>) -> Result<Vec<Pending>, BatchFailure> {
    let mut pending = Vec::with_capacity(run.len());
    // Nothing ran on an error here: dropping the jobs drops their reply senders, so every
    // caller learns that the database is unavailable.
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(err) => return Err((pending, err.into())),
    };
    for job in run {
        let Job::Sqlx(job) = job else {
            unreachable!("a run holds jobs of one kind")
        };
        let mut savepoint = match tx.begin().await {
            Ok(sp) => sp,
            Err(err) => return Err((pending, err.into())),
        };
        let outcome = AssertUnwindSafe(job(&mut savepoint)).catch_unwind().await;
        let outcome = outcome.unwrap_or_else(panicked);
        let closed = if outcome.ok {
            savepoint.commit().await
        } else {
            savepoint.rollback().await
        };
        pending.push(outcome);
        if let Err(err) = closed {
            return Err((pending, err.into()));
        }
    }
    match tx.commit().await {
        Ok(()) => Ok(pending),
        Err(err) => Err((pending, err.into())),
    }
}

async fn run_direct(conn: &mut rusqlite::Connection, run: Vec<Job>) -> Result<Vec<Pending>, BatchFailure> {
    let mut pending = Vec::with_capacity(run.len());
    if let Err(err) = statement(conn, "BEGIN IMMEDIATE") {
        return Err((pending, err));
    }
    for job in run {
        let Job::Direct(job) = job else {
            unreachable!("a run holds jobs of one kind")
        };
        if let Err(err) = statement(conn, "SAVEPOINT write") {
            return Err((pending, rolled_back(conn, err)));
        }
        let outcome = {
            let mut tx = Sql::sqlite(conn);
            AssertUnwindSafe(job(&mut tx)).catch_unwind().await
        };
        let outcome = outcome.unwrap_or_else(panicked);
        let closed = if outcome.ok {
            statement(conn, "RELEASE write")
        } else {
            statement(conn, "ROLLBACK TO write").and_then(|()| statement(conn, "RELEASE write"))
        };
        pending.push(outcome);
        if let Err(err) = closed {
            return Err((pending, rolled_back(conn, err)));
        }
    }
    match statement(conn, "COMMIT") {
        Ok(()) => Ok(pending),
        Err(err) => Err((pending, rolled_back(conn, err))),
    }
}

/// One statement without values, prepared once.
fn statement(conn: &rusqlite::Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Ends a failed batch's transaction, so the connection is clean for the next one.
fn rolled_back(conn: &rusqlite::Connection, err: StoreError) -> StoreError {
    if !conn.is_autocommit()
        && let Err(rollback) = statement(conn, "ROLLBACK")
    {
        tracing::error!(error = %rollback, "could not roll back a failed write batch");
    }
    err
}

/// Runs an after-commit hook; a panicking hook is logged, never takes the writer down, and
/// the committed write still reports success.
fn run_hook<T>(hook: impl FnOnce(&mut T), value: &mut T) {
    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(|| hook(value))) {
        tracing::error!(panic = panic_message(&panic), "an after-commit hook panicked");
    }
}

fn panic_message(panic: &Box<dyn StdAny + Send>) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}
