//! The two stacks every end-to-end test runs on, and the backends of the scaled one.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hybrid_store::testing::{TestPostgres, cleanup_blocking};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// One process on SQLite, with the in-process bus and in-memory state.
    Embedded,
    /// PostgreSQL, NATS (JetStream) and Redis: the shape of a deployment of several processes.
    Scaled,
}

/// A scaled test deployment: a fresh PostgreSQL database, and a NATS subject prefix and Redis
/// key prefix of its own, so tests running in parallel never see each other's events. Dropping
/// it removes the database, the JetStream stream and the Redis keys.
pub struct Scaled {
    /// The database made for this test, dropped with it; `None` for backends the test owns.
    _database: Option<TestPostgres>,
    database_url: String,
    pub nats_url: String,
    pub redis_url: String,
    /// An S3 server (moto in the tests) for the files service; each deployment has its own
    /// bucket ([`Scaled::bucket`]), made by [`Scaled::make_bucket`].
    pub s3_url: String,
    pub prefix: String,
}

impl Scaled {
    /// Panics with a clear message when a backend is not running: on the scaled stack a
    /// missing server fails the test, it is never skipped.
    pub async fn create() -> Scaled {
        let postgres = TestPostgres::create()
            .await
            .expect("PostgreSQL is needed for the scaled stack: start it, or set HYBRID_TEST_POSTGRES");
        let mut scaled = Self::with_database(postgres.url.clone());
        scaled._database = Some(postgres);
        scaled
    }

    /// The machine's NATS and Redis, with a database the test made itself.
    pub fn with_database(database_url: String) -> Scaled {
        let nats_url = std::env::var("HYBRID_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        let redis_url = std::env::var("HYBRID_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        require("NATS", &nats_url, "HYBRID_TEST_NATS");
        require("Redis", &redis_url, "HYBRID_TEST_REDIS");
        let scaled = Self::on(database_url, nats_url, redis_url);
        require("S3", &scaled.s3_url, "HYBRID_TEST_S3");
        scaled
    }

    /// Backends the test started itself (see [`crate::OwnServer`]).
    pub fn on(database_url: String, nats_url: String, redis_url: String) -> Scaled {
        Scaled {
            _database: None,
            database_url,
            nats_url,
            redis_url,
            s3_url: std::env::var("HYBRID_TEST_S3").unwrap_or_else(|_| "http://127.0.0.1:5055".into()),
            prefix: unique_prefix(),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone()
    }

    /// The configuration that points a process at these backends.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HYBRID_DATABASE__URL", self.database_url.clone()),
            ("HYBRID_BUS__NATS_URL", self.nats_url.clone()),
            ("HYBRID_BUS__NATS_PREFIX", self.prefix.clone()),
            ("HYBRID_STATE__REDIS_URL", self.redis_url.clone()),
            ("HYBRID_STATE__REDIS_PREFIX", self.prefix.clone()),
            ("HYBRID_FILES__STORAGE", "s3".into()),
            ("HYBRID_FILES__S3_ENDPOINT", self.s3_url.clone()),
            ("HYBRID_FILES__S3_BUCKET", self.bucket()),
            ("HYBRID_FILES__S3_REGION", "us-east-1".into()),
            ("HYBRID_FILES__S3_ACCESS_KEY_ID", "test".into()),
            ("HYBRID_FILES__S3_SECRET_ACCESS_KEY", "test".into()),
        ]
    }

    /// The deployment's bucket for files.
    pub fn bucket(&self) -> String {
        format!("hybrid-{}", self.prefix.to_ascii_lowercase())
    }

    /// Makes the bucket (moto takes an unsigned request; making it twice is fine).
    pub async fn make_bucket(&self) {
        let url = format!("{}/{}", self.s3_url, self.bucket());
        let response = reqwest::Client::new().put(&url).send().await;
        let status = response.as_ref().map(|r| r.status().as_u16());
        assert!(
            matches!(status, Ok(200 | 409)),
            "making the bucket {url}: {status:?}: start an S3 server (moto_server) or set HYBRID_TEST_S3"
        );
    }

    /// The keys in the bucket.
    pub async fn objects(&self) -> Vec<String> {
        let url = format!("{}/{}?list-type=2", self.s3_url, self.bucket());
        let listing = reqwest::get(&url).await.unwrap().text().await.unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }

    /// The bytes of object `key` in the bucket (moto reads without a signature).
    pub async fn object(&self, key: &str) -> Vec<u8> {
        let url = format!("{}/{}/{key}", self.s3_url, self.bucket());
        reqwest::get(&url).await.unwrap().bytes().await.unwrap().to_vec()
    }

    /// The JetStream stream the deployment's relay publishes to.
    pub fn stream_name(&self) -> String {
        format!("{}_EVENTS", self.prefix.to_ascii_uppercase())
    }
}

impl Drop for Scaled {
    fn drop(&mut self) {
        let (nats_url, redis_url) = (self.nats_url.clone(), self.redis_url.clone());
        let (stream, pattern) = (self.stream_name(), format!("{}:*", self.prefix));
        cleanup_blocking(async move {
            if let Ok(client) = async_nats::connect(nats_url.as_str()).await {
                let _ = async_nats::jetstream::new(client).delete_stream(&stream).await;
            }
            let client = redis::Client::open(redis_url.as_str()).ok()?;
            let mut redis = client.get_multiplexed_async_connection().await.ok()?;
            let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query_async(&mut redis).await.ok()?;
            if !keys.is_empty() {
                let _: Option<i64> = redis::cmd("DEL").arg(&keys).query_async(&mut redis).await.ok();
            }
            Some(())
        });
    }
}

fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!(
        "t{:x}{:x}{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Fails the test unless something listens at the URL's host and port.
fn require(name: &str, url: &str, variable: &str) {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_port = authority.split(['/', ',']).next().unwrap_or_default();
    let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, hp)| hp);
    let reachable = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "{name} is needed for the scaled stack and does not answer at {url}: run scripts/test.sh \
         (it starts the servers), or point {variable} at one"
    );
}
