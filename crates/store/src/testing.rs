//! Throwaway PostgreSQL databases for tests: one fresh database per test, dropped afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};

/// The server tests use: `HYBRID_TEST_POSTGRES`, else the local default.
pub fn postgres_admin_url() -> String {
    std::env::var("HYBRID_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for as long as this value does.
pub struct TestPostgres {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestPostgres {
    pub async fn create() -> Result<TestPostgres, sqlx::Error> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        sqlx::any::install_default_drivers();
        let admin_url = postgres_admin_url();
        let name = format!(
            "hybrid_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            crate::time::now_ms() % 1_000_000
        );
        let mut conn = AnyConnection::connect(&admin_url).await?;
        conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
        conn.close().await?;
        let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
        Ok(TestPostgres {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        })
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        cleanup_blocking(async move {
            let mut conn = AnyConnection::connect(&admin_url).await.ok()?;
            conn.execute(AssertSqlSafe(sql)).await.ok()?;
            conn.close().await.ok()
        });
    }
}

/// Runs a clean-up future to completion from a `Drop`, which can't await and may run inside a
/// runtime: on a thread with a runtime of its own.
pub fn cleanup_blocking<T: Send + 'static>(cleanup: impl Future<Output = T> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        Some(rt.block_on(cleanup))
    })
    .join();
}

/// A write through the store's sqlx path (the one migrations and `hybrid migrate-data` use),
/// for the store's own tests of batches that mix it with [`Db::write`](crate::Db::write).
pub async fn write_sqlx<T, E>(db: &crate::Db, f: impl crate::db::SqlxWriteFn<T, E>) -> Result<T, E>
where
    T: Send + 'static,
    E: From<crate::StoreError> + Send + 'static,
{
    db.write_sqlx(f).await
}
