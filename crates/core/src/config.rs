//! The configuration schema: one struct tree, read from defaults, then a TOML file, then
//! `HYBRID_*` environment variables (`__` separates sections: `HYBRID_AUTH__REGISTRATION`),
//! then command-line flags. `docs/configuration.md` documents every key.
//!
//! The platform's own settings are typed here; each service's section (`[auth]`, `[chats]`)
//! belongs to the service: it declares its type with [`Module::settings`](crate::Module) and
//! reads it with [`Config::section`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// Where embedded data lives: one SQLite file per module, the master key.
    pub data_dir: PathBuf,
    /// Comma-separated services to run in this process, or `all`.
    pub services: String,
    pub database: DatabaseConfig,
    pub http: HttpConfig,
    pub bus: BusConfig,
    pub state: StateConfig,
    pub grpc: GrpcConfig,
    pub metrics: MetricsConfig,
    pub peers: PeersConfig,
    pub secrets: SecretsConfig,
    pub log: LogConfig,
    pub otel: OtelConfig,
    /// The background-job workers of every module that has jobs (docs/jobs.md).
    pub jobs: hybrid_jobs::WorkerConfig,
    /// What Hybrid sends out over HTTP: webhooks now (docs/jobs.md#outbound-requests).
    pub outbound: hybrid_outbound::OutboundConfig,
    /// The clock schedules and jobs go by.
    pub clock: ClockConfig,
    /// Each service's own section, by service name, as read; typed by [`Config::section`].
    #[serde(flatten, skip_serializing)]
    pub sections: BTreeMap<String, ::config::Value>,
}

/// The clock schedules, reminders and jobs go by.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClockConfig {
    /// Lets an administrator move the clock forward (`POST /api/v1/admin/clock`): for
    /// end-to-end tests of what happens at a time of day; never in production.
    pub movable: bool,
}

/// How events travel between processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BusConfig {
    /// Empty: in process (one process only). `nats://host:4222`: NATS with JetStream, for
    /// deployments of several processes.
    pub nats_url: String,
    /// Subject prefix (and JetStream stream `<PREFIX>_EVENTS`): one per deployment.
    pub nats_prefix: String,
    /// Seconds JetStream keeps relayed events: enough for a relay that crashed after
    /// publishing to publish again and be de-duplicated (the live frames carry message text,
    /// which must not outlive a delete by more than this).
    pub stream_max_age_secs: u64,
}

/// Where presence, typing and attempt budgets (login throttling, rate limits) live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StateConfig {
    /// Empty: in process memory (one process only). `redis://host:6379/0`: shared by every
    /// process of the deployment.
    pub redis_url: String,
    /// Key prefix: one per deployment sharing a Redis.
    pub redis_prefix: String,
}

/// The internal gRPC API a process serves to the others (the APIs of the services it runs,
/// and the standard health service).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GrpcConfig {
    /// Empty: no gRPC server (a process that runs every service needs none). `0.0.0.0:9090`:
    /// serve the internal APIs of this process's services there.
    pub listen: String,
    /// Deadline of every call to another process, in milliseconds, retries included.
    pub timeout_ms: u64,
    /// Deadline for opening a connection to another process, in milliseconds.
    pub connect_timeout_ms: u64,
}

/// Prometheus metrics, served on a listener of their own rather than the public port.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConfig {
    /// Address of the `/metrics` listener; empty: no metrics. The default answers only on this
    /// machine; in a container, bind it on all interfaces and let the network policy decide
    /// who scrapes it.
    pub listen: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

/// Where the services this process does not run answer gRPC, by service name
/// (`peers.users = "http://users:9090"`, or `HYBRID_PEERS__USERS`). A service that another
/// one here calls must either run in this process or have its address here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PeersConfig(pub BTreeMap<String, String>);

impl PeersConfig {
    /// The address configured for `service`, if any.
    pub fn of(&self, service: &str) -> Option<&str> {
        self.0.get(service).map(String::as_str).filter(|url| !url.is_empty())
    }

    /// Whether any peer is configured: the process calls others over gRPC.
    pub fn any(&self) -> bool {
        self.0.values().any(|url| !url.is_empty())
    }

    pub fn set(&mut self, service: &str, url: impl Into<String>) {
        self.0.insert(service.to_owned(), url.into());
    }
}

/// The keys that seal secrets at rest (`hybrid_core::secrets`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SecretsConfig {
    /// Base64 of 32 bytes. Embedded: generated into `data_dir/master.key` when empty. Required
    /// with PostgreSQL. Secret.
    pub master_key: String,
    /// Comma-separated former master keys: values they sealed still open until `hybrid admin
    /// reseal` seals them again under `master_key`. Secret.
    pub retired_keys: String,
}

/// Traces, exported with OpenTelemetry (OTLP over gRPC).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct OtelConfig {
    /// Empty: no traces. `http://collector:4317`: export spans there over OTLP/gRPC.
    pub endpoint: String,
    /// `service.name` of this process's spans; empty: `hybrid-<services>` (`hybrid-chats`).
    pub service_name: String,
    /// Share of new traces recorded, 0.0 to 1.0; a trace started elsewhere follows the
    /// caller's decision.
    pub sample_ratio: f64,
}

impl Default for OtelConfig {
    fn default() -> Self {
        OtelConfig {
            endpoint: String::new(),
            service_name: String::new(),
            sample_ratio: 1.0,
        }
    }
}

impl Default for GrpcConfig {
    fn default() -> Self {
        GrpcConfig {
            listen: String::new(),
            timeout_ms: 3000,
            connect_timeout_ms: 1000,
        }
    }
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            nats_url: String::new(),
            nats_prefix: "hybrid".into(),
            stream_max_age_secs: 300,
        }
    }
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            redis_url: String::new(),
            redis_prefix: "hybrid".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// Empty: embedded SQLite in `data_dir`. `postgres://user:pass@host/db`: one schema per module.
    pub url: String,
    /// Per module: PostgreSQL connections, or SQLite readers.
    pub max_connections: u32,
    /// SQLite: writes queued before new ones get 503 + Retry-After.
    pub write_queue_capacity: usize,
    /// SQLite: most writes committed in one transaction.
    pub max_batch: usize,
    /// SQLite `synchronous`: `FULL` (default, durable on power loss) or `NORMAL`.
    pub sqlite_synchronous: hybrid_store::Synchronous,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Largest request body accepted, in bytes (413 beyond).
    pub body_limit_bytes: usize,
    /// Comma-separated origins allowed by CORS; empty allows none (same-origin only).
    pub cors_origins: String,
    /// Take the client address from `X-Forwarded-For`. Only behind a proxy you trust.
    pub trust_forwarded_for: bool,
    /// The built web client's folder, served at `/`: `auto` searches beside the binary, the
    /// working directory's `web/dist` and the checkout it was built from; empty serves no web UI.
    pub web_dir: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `tracing` filter, e.g. `info` or `hybrid=debug,sqlx=warn`.
    pub level: String,
    pub format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            services: "all".into(),
            database: DatabaseConfig::default(),
            http: HttpConfig::default(),
            bus: BusConfig::default(),
            state: StateConfig::default(),
            grpc: GrpcConfig::default(),
            metrics: MetricsConfig::default(),
            peers: PeersConfig::default(),
            secrets: SecretsConfig::default(),
            log: LogConfig::default(),
            otel: OtelConfig::default(),
            jobs: hybrid_jobs::WorkerConfig::default(),
            outbound: hybrid_outbound::OutboundConfig::default(),
            clock: ClockConfig::default(),
            sections: BTreeMap::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: String::new(),
            max_connections: 4,
            write_queue_capacity: 4096,
            max_batch: 256,
            sqlite_synchronous: hybrid_store::Synchronous::Full,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit_bytes: 1024 * 1024,
            cors_origins: String::new(),
            trust_forwarded_for: false,
            web_dir: "auto".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Auto,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// JSON unless standard output is a terminal.
    Auto,
    Json,
    Text,
}

const MASK: &str = "********";

impl Config {
    /// A copy safe to print: secrets replaced, passwords in URLs hidden.
    pub fn masked(&self) -> Config {
        let mut config = self.clone();
        for secret in [&mut config.secrets.master_key, &mut config.secrets.retired_keys] {
            if !secret.is_empty() {
                *secret = MASK.into();
            }
        }
        config.database.url = mask_url_password(&config.database.url);
        config.bus.nats_url = mask_url_password(&config.bus.nats_url);
        config.state.redis_url = mask_url_password(&config.state.redis_url);
        config
    }

    /// Service `name`'s section (`[chats]`, `HYBRID_CHATS__*`), with its defaults where it sets
    /// nothing.
    pub fn section<T: DeserializeOwned + Default>(&self, name: &str) -> anyhow::Result<T> {
        match self.sections.get(name) {
            None => Ok(T::default()),
            Some(value) => {
                T::deserialize(value.clone()).map_err(|err| anyhow::anyhow!("invalid configuration in [{name}]: {err}"))
            }
        }
    }

    pub fn store_config(&self) -> hybrid_store::StoreConfig {
        hybrid_store::StoreConfig {
            url: self.database.url.clone(),
            data_dir: self.data_dir.clone(),
            max_connections: self.database.max_connections,
            write_queue_capacity: self.database.write_queue_capacity,
            max_batch: self.database.max_batch,
            sqlite_synchronous: self.database.sqlite_synchronous,
        }
    }
}

fn mask_url_password(url: &str) -> String {
    // scheme://user:password@host/… → scheme://user:********@host/…
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:{MASK}@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets() {
        let mut config = Config::default();
        config.secrets.master_key = "c2VjcmV0".into();
        config.database.url = "postgres://hybrid:hunter2@db:5432/hybrid".into();
        let masked = config.masked();
        assert_eq!(masked.secrets.master_key, MASK);
        assert_eq!(masked.database.url, "postgres://hybrid:********@db:5432/hybrid");
        assert_eq!(mask_url_password("postgres://db/x"), "postgres://db/x");
    }
}

/// A service's settings section: how the binary checks it at load and shows it in
/// `hybrid config` (with the defaults of what is not set).
#[derive(Clone, Copy)]
pub struct Section {
    pub effective: fn(&Config, &str) -> anyhow::Result<serde_json::Value>,
}

/// The [`Section`] of settings of type `T`.
pub fn section<T: DeserializeOwned + Default + Serialize>() -> Section {
    Section {
        effective: |config, name| {
            let typed: T = config.section(name)?;
            Ok(serde_json::to_value(typed)?)
        },
    }
}
