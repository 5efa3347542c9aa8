//! The module registry: which services exist, which a process runs (`--services`), and
//! starting them in dependency order, each on its own migrated database.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::future::BoxFuture;
use hybrid_core::api::TokenAuthority;
use hybrid_core::bus::{Bus, LocalBus, NatsBus, NatsConfig};
use hybrid_core::config::PeersConfig;
use hybrid_core::state::{MemoryState, RedisConfig, RedisState, SharedState};
use hybrid_core::{Config, InternalApis, Module, ModuleContext, Shutdown, TokenFollower, TokenVerifier};
use hybrid_rpc::{GrpcServer, PeerOptions, served_apis};
use hybrid_store::Db;
use utoipa_axum::router::OpenApiRouter;

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

/// The services `modules` need that run elsewhere, each with its gRPC address. Every process
/// needs `auth` (its keys verify access tokens); the rest come from [`Module::needs`].
pub fn remote_needs<'a>(
    modules: &[Box<dyn Module>],
    peers: &'a PeersConfig,
) -> anyhow::Result<Vec<(&'static str, &'a str)>> {
    let local: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    let mut needed: Vec<(&'static str, String)> =
        vec![("auth", "every process verifies access tokens with its keys".into())];
    for module in modules {
        needed.extend(
            module
                .needs()
                .iter()
                .map(|need| (*need, format!("`{}` calls it", module.name()))),
        );
    }
    let mut remote: Vec<(&'static str, &str)> = Vec::new();
    for (need, why) in needed {
        if local.contains(&need) || remote.iter().any(|(name, _)| *name == need) {
            continue;
        }
        let Some(url) = peers.of(need) else {
            bail!(
                "this process needs the `{need}` service ({why}): add it to --services, or give its gRPC \
                 address as peers.{need} (HYBRID_PEERS__{})",
                need.to_uppercase()
            );
        };
        remote.push((need, url));
    }
    Ok(remote)
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
    let tokens = Arc::new(TokenVerifier::new(&config.auth.issuer));
    let apis = Arc::new(InternalApis::default());
    let peer_options = PeerOptions {
        timeout: Duration::from_millis(config.grpc.timeout_ms.max(1)),
        connect_timeout: Duration::from_millis(config.grpc.connect_timeout_ms.max(1)),
    };
    for (service, url) in remote_needs(modules, &config.peers)? {
        hybrid_rpc::provide_peer(&apis, service, url, peer_options)?;
        tracing::info!(service, url, "calling a service in another process");
    }
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
        .push(follow_tokens(&running, &config, shutdown.clone()).await?);
    if !config.grpc.listen.is_empty() {
        let server = GrpcServer::bind(&config.grpc.listen, &apis, peer_options.timeout).await?;
        let addr = server.local_addr()?;
        tracing::info!(%addr, apis = %served_apis(&apis).join(","), "serving gRPC");
        running.tasks.push(server.run(shutdown));
    }
    Ok(running)
}

/// Loads the token keys once (a process whose auth runs elsewhere goes on without them, and
/// answers 503 until they arrive), and returns the task that keeps them current.
async fn follow_tokens(
    running: &Running,
    config: &Config,
    shutdown: Shutdown,
) -> anyhow::Result<BoxFuture<'static, ()>> {
    let authority = running.apis.require::<dyn TokenAuthority>("auth")?;
    let ttl = Duration::from_secs(config.auth.access_token_ttl_secs);
    let follower = TokenFollower::new(authority, running.tokens.clone(), ttl);
    if let Err(err) = follower.reload().await {
        if config.peers.of("auth").is_none() {
            anyhow::bail!("loading the token keys: {}", err.message);
        }
        tracing::warn!(error = %err.message, "the auth service did not answer yet; requests get 503 until it does");
    }
    Ok(Box::pin(follower.run(running.bus.clone(), shutdown)))
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

    #[test]
    fn services_run_elsewhere_need_an_address() {
        let mut peers = PeersConfig::default();
        assert!(remote_needs(&select("all").unwrap(), &peers).unwrap().is_empty());
        let tokens = remote_needs(&select("users").unwrap(), &peers)
            .err()
            .unwrap()
            .to_string();
        assert!(
            tokens.contains("needs the `auth` service") && tokens.contains("HYBRID_PEERS__AUTH"),
            "{tokens}"
        );
        let directory = remote_needs(&select("auth").unwrap(), &peers)
            .err()
            .unwrap()
            .to_string();
        assert!(
            directory.contains("needs the `users` service (`auth` calls it)"),
            "{directory}"
        );
        peers.auth = "http://auth:9090".into();
        peers.chats = "http://chats:9090".into();
        assert_eq!(
            remote_needs(&select("realtime").unwrap(), &peers).unwrap(),
            [("auth", "http://auth:9090"), ("chats", "http://chats:9090")]
        );
        let users = remote_needs(&select("chats").unwrap(), &peers)
            .err()
            .unwrap()
            .to_string();
        assert!(users.contains("peers.users"), "{users}");
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
