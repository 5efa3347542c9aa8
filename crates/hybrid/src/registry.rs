//! The module registry: which services exist, which a process runs (`--services`), and
//! starting them in dependency order, each on its own migrated database.

use std::sync::Arc;

use anyhow::{Context, bail};
use futures::future::BoxFuture;
use hybrid_core::bus::{Bus, LocalBus, NatsBus, NatsConfig};
use hybrid_core::state::{MemoryState, RedisConfig, RedisState, SharedState};
use hybrid_core::{Config, InternalApis, Module, ModuleContext, Shutdown, TokenVerifier};
use hybrid_rpc::{GrpcServer, served_apis};
use hybrid_store::Db;
use utoipa_axum::router::OpenApiRouter;

use crate::peers;

/// Every service, in an order where each comes after those it needs.
pub fn all_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(hybrid_users::UsersModule),
        Box::new(hybrid_auth::AuthModule),
        Box::new(hybrid_chats::ChatsModule),
        Box::new(hybrid_realtime::RealtimeModule),
    ]
}

/// The modules named in `spec` (`all`, or comma-separated names), checked.
pub fn select(spec: &str) -> anyhow::Result<Vec<Box<dyn Module>>> {
    let all = all_modules();
    let spec = spec.trim();
    if spec.is_empty() || spec == "all" {
        return Ok(all);
    }
    let wanted: Vec<&str> = spec.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let known: Vec<&str> = all.iter().map(|m| m.name()).collect();
    for name in &wanted {
        if !known.contains(name) {
            bail!("unknown service `{name}`; known services: {}", known.join(", "));
        }
    }
    Ok(all.into_iter().filter(|m| wanted.contains(&m.name())).collect())
}

/// Opens a module's database and brings its schema up to date.
pub async fn open_migrated(module: &dyn Module, config: &Config) -> anyhow::Result<(Db, usize)> {
    let db = Db::open(module.name(), &config.store_config())
        .await
        .with_context(|| format!("opening the {} database", module.name()))?;
    let ran = db
        .migrate(module.migrations())
        .await
        .with_context(|| format!("migrating the {} database", module.name()))?;
    Ok((db, ran))
}

/// The started modules of this process.
pub struct Running {
    pub databases: Vec<Db>,
    pub routes: OpenApiRouter,
    pub tasks: Vec<BoxFuture<'static, ()>>,
    pub apis: Arc<InternalApis>,
    pub tokens: Arc<TokenVerifier>,
    pub bus: Arc<dyn Bus>,
    pub state: Arc<dyn SharedState>,
}

/// The event bus this process uses: NATS when configured, else in process.
async fn connect_bus(config: &Config) -> anyhow::Result<Arc<dyn Bus>> {
    if config.bus.nats_url.is_empty() {
        return Ok(Arc::new(LocalBus::new(config.realtime.topic_buffer)));
    }
    let bus = NatsBus::connect(NatsConfig {
        url: config.bus.nats_url.clone(),
        prefix: config.bus.nats_prefix.clone(),
        stream_max_age: std::time::Duration::from_secs(config.bus.stream_max_age_hours.max(1) * 3600),
        capacity: config.realtime.topic_buffer,
    })
    .await
    .context("connecting to NATS")?;
    Ok(bus)
}

/// The shared state this process uses: Redis when configured, else memory.
fn connect_state(config: &Config) -> anyhow::Result<Arc<dyn SharedState>> {
    if config.state.redis_url.is_empty() {
        return Ok(Arc::new(MemoryState::default()));
    }
    let state = RedisState::new(RedisConfig {
        url: config.state.redis_url.clone(),
        prefix: config.state.redis_prefix.clone(),
    })
    .context("configuring Redis")?;
    Ok(Arc::new(state))
}

pub async fn start(modules: &[Box<dyn Module>], config: Arc<Config>, shutdown: Shutdown) -> anyhow::Result<Running> {
    peers::require_shared_bus(&config)?;
    let tokens = Arc::new(TokenVerifier::new(&config.auth.issuer));
    let apis = Arc::new(InternalApis::default());
    let peer_options = peers::connect(&apis, &peers::remote_needs(modules, &config.peers)?, &config)?;
    let bus = connect_bus(&config).await?;
    let state = connect_state(&config)?;
    let mut running = Running {
        databases: Vec::new(),
        routes: OpenApiRouter::new(),
        tasks: Vec::new(),
        apis: apis.clone(),
        tokens: tokens.clone(),
        bus: bus.clone(),
        state: state.clone(),
    };
    for module in modules {
        let db = if module.migrations().is_empty() {
            None
        } else {
            let (db, ran) = open_migrated(module.as_ref(), &config).await?;
            if ran > 0 {
                tracing::info!(service = module.name(), migrations = ran, "migrated");
            }
            Some(db)
        };
        let ctx = ModuleContext {
            db: db.clone(),
            config: config.clone(),
            tokens: tokens.clone(),
            apis: apis.clone(),
            bus: bus.clone(),
            state: state.clone(),
            shutdown: shutdown.clone(),
        };
        let started = module
            .start(ctx)
            .await
            .with_context(|| format!("starting the {} service", module.name()))?;
        running.routes = running.routes.merge(started.routes);
        running.tasks.extend(started.tasks);
        running.databases.extend(db);
    }
    running
        .tasks
        .push(peers::follow_tokens(&running, &config, shutdown.clone()).await?);
    if !config.grpc.listen.is_empty() {
        let server = GrpcServer::bind(&config.grpc.listen, &apis, peer_options.timeout).await?;
        let addr = server.local_addr()?;
        tracing::info!(%addr, apis = %served_apis(&apis).join(","), "serving gRPC");
        running.tasks.push(server.run(shutdown));
    }
    Ok(running)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(spec: &str) -> Vec<&'static str> {
        select(spec).unwrap().iter().map(|m| m.name()).collect()
    }

    #[test]
    fn selects_services() {
        assert_eq!(names("all"), ["users", "auth", "chats", "realtime"]);
        assert_eq!(names(" auth , users "), ["users", "auth"]);
        assert_eq!(names("users,auth,chats"), ["users", "auth", "chats"]);
        let unknown = select("users,chatz").err().unwrap().to_string();
        assert!(unknown.contains("unknown service `chatz`"), "{unknown}");
    }
}

#[cfg(test)]
mod schema_tests {
    use hybrid_store::testing::TestPostgres;

    use super::*;

    /// Every module's SQLite and PostgreSQL migrations build the same tables, columns (name,
    /// kind, nullability) and indexes (columns, uniqueness).
    #[tokio::test]
    async fn both_dialects_build_equivalent_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let postgres = TestPostgres::create()
            .await
            .expect("PostgreSQL for the schema comparison");
        let sqlite_config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let mut postgres_config = sqlite_config.clone();
        postgres_config.database.url = postgres.url.clone();
        for module in all_modules().into_iter().filter(|m| !m.migrations().is_empty()) {
            let (sqlite, _) = open_migrated(module.as_ref(), &sqlite_config).await.unwrap();
            let (pg, ran) = open_migrated(module.as_ref(), &postgres_config).await.unwrap();
            assert_eq!(ran, module.migrations().len());
            let a = sqlite.describe_schema().await.unwrap();
            let b = pg.describe_schema().await.unwrap();
            assert!(!a.tables.is_empty(), "{} has no tables", module.name());
            assert_eq!(a.tables, b.tables, "columns differ in {}", module.name());
            assert_eq!(a.indexes, b.indexes, "indexes differ in {}", module.name());
            // running the migrations again does nothing
            assert_eq!(pg.migrate(module.migrations()).await.unwrap(), 0);
            assert_eq!(sqlite.migrate(module.migrations()).await.unwrap(), 0);
            sqlite.close().await;
            pg.close().await;
        }
    }
}
