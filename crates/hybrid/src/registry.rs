//! The module registry: which services exist, which a process runs (`--services`), and
//! starting them in the order their needs give, each on its own migrated database; then the
//! gRPC server of their internal APIs.

use std::sync::Arc;

use anyhow::{Context, bail};
use futures::future::BoxFuture;
use hybrid_core::bus::{Bus, LocalBus, NatsBus, NatsConfig};
use hybrid_core::job_board::{self, JobBoard};
use hybrid_core::state::{MemoryState, RedisConfig, RedisState, SharedState};
use hybrid_core::stream::EventStreams;
use hybrid_core::sync::SyncSources;
use hybrid_core::worker::{Workers, supervise};
use hybrid_core::{
    ApiTag, Clock, CodeDoc, Config, InternalApis, Module, ModuleContext, Schemas, Shutdown, TokenVerifier,
};
use hybrid_rpc::GrpcServer;
use hybrid_store::Db;
use utoipa_axum::router::OpenApiRouter;

use crate::peers;

/// Every service, in the order `hybrid services` and the API reference list them; the start
/// order, which [`select`] derives from each module's needs, only breaks ties with it.
pub fn all_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(hybrid_auth::AuthModule),
        Box::new(hybrid_users::UsersModule),
        Box::new(hybrid_chats::ChatsModule),
        Box::new(hybrid_realtime::RealtimeModule),
        Box::new(hybrid_files::FilesModule),
        Box::new(hybrid_notify::NotifyModule),
        Box::new(hybrid_bots::BotsModule),
        Box::new(hybrid_automation::AutomationModule),
        // new services: above this line (cargo xtask new-service)
        #[cfg(feature = "example-service")]
        Box::new(hybrid_example::ExampleModule),
    ]
}

/// The modules named in `spec` (comma-separated names; `all` for every service that runs by
/// default), checked, in start order.
pub fn select(spec: &str) -> anyhow::Result<Vec<Box<dyn Module>>> {
    let all = all_modules();
    let mut wanted: Vec<&str> = spec.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if wanted.is_empty() {
        wanted.push("all");
    }
    let known: Vec<&str> = all.iter().map(|m| m.name()).collect();
    for name in wanted.iter().filter(|name| **name != "all") {
        if !known.contains(name) {
            bail!("unknown service `{name}`; known services: {}", known.join(", "));
        }
    }
    let every = wanted.contains(&"all");
    start_order(
        all.into_iter()
            .filter(|m| (every && m.in_all()) || wanted.contains(&m.name()))
            .collect(),
    )
}

/// Two services naming different schemas alike would silently give one of them the other's
/// type in the API reference (utoipa keeps the last): refuse to start instead.
fn same_schema_names_agree(service: &str, running: &OpenApiRouter, started: &OpenApiRouter) -> anyhow::Result<()> {
    let (Some(had), Some(new)) = (
        running.get_openapi().components.as_ref(),
        started.get_openapi().components.as_ref(),
    ) else {
        return Ok(());
    };
    for (name, schema) in &new.schemas {
        if let Some(earlier) = had.schemas.get(name)
            && serde_json::to_value(earlier)? != serde_json::to_value(schema)?
        {
            bail!(
                "the {service} service defines an API schema `{name}` unlike another service's; \
                 name it apart with #[schema(as = …)]"
            );
        }
    }
    Ok(())
}
/// `modules` reordered so each comes after those it needs among them (the others are reached
/// over gRPC); ties keep the given order. A cycle cannot be started and is refused, named.
fn start_order(mut modules: Vec<Box<dyn Module>>) -> anyhow::Result<Vec<Box<dyn Module>>> {
    let mut ordered: Vec<Box<dyn Module>> = Vec::with_capacity(modules.len());
    while !modules.is_empty() {
        let waiting = |module: &dyn Module, among: &[Box<dyn Module>]| {
            module
                .needs()
                .iter()
                .any(|need| among.iter().any(|m| m.name() == *need))
        };
        match modules.iter().position(|m| !waiting(m.as_ref(), &modules)) {
            Some(ready) => ordered.push(modules.remove(ready)),
            None => bail!(
                "these services need each other in a cycle, so none can start first: {}",
                cycle(&modules)
            ),
        }
    }
    Ok(ordered)
}

/// A cycle among `modules`, each of which needs another of them: `a → b → a`.
fn cycle(modules: &[Box<dyn Module>]) -> String {
    let next = |name: &str| {
        let module = modules.iter().find(|m| m.name() == name)?;
        module
            .needs()
            .iter()
            .copied()
            .find(|need| modules.iter().any(|m| m.name() == *need))
    };
    let mut path = vec![modules[0].name()];
    while let Some(need) = next(path[path.len() - 1]) {
        if let Some(start) = path.iter().position(|name| *name == need) {
            path.drain(..start);
            path.push(need);
            break;
        }
        path.push(need);
    }
    path.join(" → ")
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
    /// The modules' routes outside `/api/v1` (`Started::outside_api`).
    pub outside_api: axum::Router,
    /// The modules' workers, each under its supervisor, and the process's own tasks.
    pub tasks: Vec<BoxFuture<'static, ()>>,
    /// How the workers fare, for `/readyz`.
    pub workers: Arc<Workers>,
    pub apis: Arc<InternalApis>,
    /// The OpenAPI tags of the modules' routes, in the order of [`all_modules`].
    pub tags: Vec<ApiTag>,
    /// The modules' own error codes, for the API reference's `ErrorCode`.
    pub error_codes: Vec<CodeDoc>,
    /// The frames the modules send to sockets, for the API reference's `ServerFrame`.
    pub frames: Vec<Schemas>,
    pub tokens: Arc<TokenVerifier>,
    pub bus: Arc<dyn Bus>,
    pub state: Arc<dyn SharedState>,
}

/// The event bus this process uses: NATS when configured, else in process.
async fn connect_bus(config: &Config) -> anyhow::Result<Arc<dyn Bus>> {
    // each topic's buffer is realtime's setting: it sizes what a busy node holds for its sockets
    let realtime: hybrid_realtime::RealtimeConfig = config.section("realtime")?;
    let topic_buffer = realtime.topic_buffer;
    if config.bus.nats_url.is_empty() {
        return Ok(Arc::new(LocalBus::new(topic_buffer)));
    }
    let bus = NatsBus::connect(NatsConfig {
        url: config.bus.nats_url.clone(),
        prefix: config.bus.nats_prefix.clone(),
        stream_max_age: std::time::Duration::from_secs(config.bus.stream_max_age_secs.max(10)),
        capacity: topic_buffer,
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
    let auth: hybrid_auth::AuthConfig = config.section(hybrid_auth_api::SERVICE)?;
    let tokens = Arc::new(TokenVerifier::new(&auth.issuer));
    let apis = Arc::new(InternalApis::default());
    let secrets: Arc<std::sync::OnceLock<_>> = Arc::default();
    let credential = peers::internal_credential(&config, &secrets)?;
    let remote = peers::remote_needs(modules, &config.peers)?;
    let peer_options = peers::connect(&apis, &remote, &config, credential.as_ref())?;
    let bus = connect_bus(&config).await?;
    let state = connect_state(&config)?;
    let sync = Arc::new(SyncSources::default());
    let streams = Arc::new(EventStreams::default());
    let job_board = Arc::new(JobBoard::default());
    let clock = if config.clock.movable {
        tracing::warn!("the clock is movable (clock.movable): administrators can move it forward");
        Clock::movable()
    } else {
        Clock::system()
    };
    peers::connect_by_name(&streams, &sync, modules, &config, peer_options, credential.as_ref())?;
    let mut running = Running {
        databases: Vec::new(),
        routes: OpenApiRouter::new(),
        outside_api: axum::Router::new(),
        tasks: Vec::new(),
        workers: Arc::default(),
        apis: apis.clone(),
        tags: Vec::new(),
        error_codes: Vec::new(),
        frames: Vec::new(),
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
            secrets: secrets.clone(),
            sync: sync.clone(),
            streams: streams.clone(),
            job_board: job_board.clone(),
            clock: clock.clone(),
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
        same_schema_names_agree(module.name(), &running.routes, &started.routes)?;
        running.routes = running.routes.merge(started.routes);
        running.outside_api = running.outside_api.merge(started.outside_api);
        for worker in started.workers {
            let supervised = supervise(module.name(), worker, shutdown.clone(), running.workers.clone());
            running.tasks.push(supervised);
        }
        running.databases.extend(db);
    }
    // in every process, so the API reference is one whatever runs where; it lists the jobs of
    // this process's modules
    running.routes = running
        .routes
        .merge(hybrid_core::clock_admin::routes(clock, job_board.clone(), apis.clone()))
        .merge(job_board::routes(job_board, apis.clone()));
    let local: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    for module in all_modules().iter().filter(|m| local.contains(&m.name())) {
        running.error_codes.extend_from_slice(module.error_codes());
        running.frames.extend(module.frames());
        for tag in module.tags() {
            if !running.tags.iter().any(|t| t.name == tag.name) {
                running.tags.push(*tag);
            }
        }
    }
    running.tags.push(ApiTag {
        name: "admin",
        description: "Operating the deployment: background jobs, the clock (administrators only)",
    });
    running
        .tasks
        .push(peers::follow_tokens(&running, &config, shutdown.clone()).await?);
    if let Some(credential) = credential.filter(|_| !config.grpc.listen.is_empty()) {
        let named = (streams, sync);
        let grpc = serve_grpc(
            modules,
            &running.apis,
            named,
            &config,
            (peer_options.timeout, credential),
            shutdown,
        )
        .await?;
        running.tasks.push(grpc);
    }
    Ok(running)
}

/// Binds the gRPC port and returns the task serving the internal APIs of `modules`, from the
/// providers they put in `apis` at start.
async fn serve_grpc(
    modules: &[Box<dyn Module>],
    apis: &InternalApis,
    (streams, sync): (Arc<EventStreams>, Arc<SyncSources>),
    config: &Config,
    (timeout, credential): (std::time::Duration, hybrid_rpc::InternalCredential),
    shutdown: Shutdown,
) -> anyhow::Result<BoxFuture<'static, ()>> {
    let mut routes = tonic::service::RoutesBuilder::default();
    let mut services = Vec::new();
    for (module, api) in modules.iter().filter_map(|m| Some((m.name(), m.grpc()?))) {
        (api.serve)(apis, &mut routes).with_context(|| format!("serving the {module} API over gRPC"))?;
        services.extend(api.services);
    }
    if modules.iter().any(|m| m.publishes_events()) {
        hybrid_rpc::serve_streams(streams, &mut routes);
        services.push(hybrid_rpc::STREAM_SERVICE);
    }
    if modules.iter().any(|m| m.contributes_sync()) {
        hybrid_rpc::serve_sync(sync, &mut routes);
        services.push(hybrid_rpc::SYNC_SERVICE);
    }
    let server = GrpcServer::bind(
        &config.grpc.listen,
        routes.routes(),
        services.clone(),
        timeout,
        credential,
    )
    .await?;
    let addr = server.local_addr()?;
    tracing::info!(%addr, apis = %services.join(","), "serving gRPC");
    Ok(server.run(shutdown))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A router whose API reference holds one schema `Account` with the given fields.
    fn api_with_account(fields: &[&str]) -> OpenApiRouter {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let account = fields
            .iter()
            .fold(ObjectBuilder::new(), |object, field| {
                object.property(*field, ObjectBuilder::new().schema_type(Type::String))
            })
            .build();
        let components = utoipa::openapi::ComponentsBuilder::new()
            .schema("Account", account)
            .build();
        OpenApiRouter::with_openapi(
            utoipa::openapi::OpenApiBuilder::new()
                .components(Some(components))
                .build(),
        )
    }

    #[test]
    fn two_services_may_not_name_different_schemas_alike() {
        let auth = api_with_account(&["username"]);
        let same = api_with_account(&["username"]);
        let other = api_with_account(&["connector"]);
        assert!(
            same_schema_names_agree("users", &auth, &same).is_ok(),
            "a shared schema"
        );
        let clash = same_schema_names_agree("automation", &auth, &other).unwrap_err();
        assert!(clash.to_string().contains("`Account`"), "{clash}");
        assert!(same_schema_names_agree("chats", &OpenApiRouter::new(), &other).is_ok());
    }

    fn names(spec: &str) -> Vec<&'static str> {
        select(spec).unwrap().iter().map(|m| m.name()).collect()
    }

    #[test]
    fn selects_services() {
        assert_eq!(
            names("all"),
            [
                "users",
                "auth",
                "chats",
                "realtime",
                "files",
                "notify",
                "bots",
                "automation"
            ]
        );
        assert_eq!(names(" auth , users "), ["users", "auth"]);
        assert_eq!(names("users,auth,chats"), ["users", "auth", "chats"]);
        let unknown = select("users,chatz").err().unwrap().to_string();
        assert!(unknown.contains("unknown service `chatz`"), "{unknown}");
    }

    /// A module that only has a name and needs.
    struct Named(&'static str, &'static [&'static str]);

    impl Module for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn description(&self) -> &'static str {
            "test"
        }
        fn migrations(&self) -> &'static [hybrid_store::Migration] {
            &[]
        }
        fn needs(&self) -> &'static [&'static str] {
            self.1
        }
        fn start(&self, _: ModuleContext) -> BoxFuture<'static, anyhow::Result<hybrid_core::Started>> {
            unreachable!("never started")
        }
    }

    fn order(modules: Vec<Named>) -> anyhow::Result<Vec<&'static str>> {
        let modules = modules.into_iter().map(|m| Box::new(m) as Box<dyn Module>).collect();
        Ok(start_order(modules)?.iter().map(|m| m.name()).collect())
    }

    #[test]
    fn the_start_order_follows_needs_whatever_the_listed_order() {
        let listed = vec![
            Named("realtime", &["chats"]),
            Named("chats", &["users"]),
            Named("auth", &["users"]),
            Named("users", &[]),
        ];
        assert_eq!(order(listed).unwrap(), ["users", "chats", "realtime", "auth"]);
        // a need that runs elsewhere does not hold a module back
        assert_eq!(order(vec![Named("realtime", &["chats"])]).unwrap(), ["realtime"]);
    }

    #[test]
    fn a_cycle_is_refused_and_named() {
        let refused = order(vec![
            Named("users", &[]),
            Named("a", &["users", "b"]),
            Named("b", &["c"]),
            Named("c", &["a"]),
        ])
        .unwrap_err()
        .to_string();
        assert!(refused.contains("need each other in a cycle"), "{refused}");
        assert!(refused.ends_with("a → b → c → a"), "{refused}");
        let own = order(vec![Named("selfish", &["selfish"])]).unwrap_err().to_string();
        assert!(own.ends_with("selfish → selfish"), "{own}");
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
