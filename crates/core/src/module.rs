//! What a service is to the binary: a [`Module`] with a name, its migrations, the services it
//! calls, the gRPC face of its own internal API, and a `start` that returns its routes and
//! background workers. The binary's registry starts the modules a process runs
//! (`hybrid serve --services …`), each on its own database, in the order their needs give.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_bus::Bus;
use hybrid_state::SharedState;
use hybrid_store::{Db, Migration};
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;

use crate::stream::EventStreams;
use crate::sync::SyncSources;
use crate::{Clock, Config, Secrets, TokenVerifier, Worker};

pub trait Module: Send + Sync + 'static {
    /// Short lowercase name: the `--services` value, the SQLite file and the PostgreSQL schema.
    fn name(&self) -> &'static str;
    fn description(&self) -> &'static str;
    /// The module's schema; a module without migrations gets no database.
    fn migrations(&self) -> &'static [Migration];
    /// Modules whose internal APIs this one calls: started first when they run in the same
    /// process, reached over gRPC (`peers.<name>`) when they do not.
    fn needs(&self) -> &'static [&'static str] {
        &[]
    }
    /// The gRPC face of the internal API this module provides in `start`, from its api crate:
    /// how a process running it serves it, and how one calling it from afar reaches it.
    fn grpc(&self) -> Option<GrpcApi> {
        None
    }
    /// Whether `--services all` runs it and `hybrid services` lists it: every real service
    /// does; a module built only for tests is started by name.
    fn in_all(&self) -> bool {
        true
    }
    /// Whether the module publishes an event stream (it provides an
    /// [`EventStream`](crate::stream::EventStream) in `start`): a process whose modules need it
    /// but do not run it reads it over gRPC at `peers.<name>`.
    fn publishes_events(&self) -> bool {
        false
    }
    /// Whether the module keeps entries for users that `POST /api/v1/sync` returns (it provides
    /// a [`SyncSource`](crate::sync::SyncSource) in `start`): a process running chats without
    /// it asks it over gRPC when `peers.<name>` gives its address.
    fn contributes_sync(&self) -> bool {
        false
    }
    /// The type of the module's settings section (`[name]` in the config file,
    /// `HYBRID_<NAME>__*`): `Some(hybrid_core::config::section::<MySettings>())`. The module
    /// reads it with `ctx.config.section(name)`.
    fn settings(&self) -> Option<crate::config::Section> {
        None
    }
    /// The OpenAPI tags of the module's routes, with their descriptions.
    fn tags(&self) -> &'static [ApiTag] {
        &[]
    }
    /// The module's own error codes (its `error_codes!` enum's `ALL`), which the API reference
    /// lists under `ErrorCode` with those every service shares.
    fn error_codes(&self) -> &'static [crate::CodeDoc] {
        &[]
    }
    /// The frames the module sends to sockets (`schema_of::<MyFrame>()`, an enum tagged by
    /// `type`), which the API reference joins into `ServerFrame`.
    fn frames(&self) -> Option<Schemas> {
        None
    }
    /// Called with the module's migrated database.
    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>>;
    /// Tables `hybrid migrate-data` leaves behind: work pending in the old install (an outbox
    /// of events already delivered there) rather than data.
    fn not_migrated(&self) -> &'static [&'static str] {
        &[]
    }
    /// Seals every secret the module stores again under the current master key (`hybrid admin
    /// reseal`, after a rotation); returns how many values changed.
    fn reseal(&self, _db: Db, _secrets: Arc<Secrets>) -> BoxFuture<'static, anyhow::Result<usize>> {
        Box::pin(async { Ok(0) })
    }
    /// Rebuilds data derived from the module's rows (a search index) after they were copied
    /// in by `hybrid migrate-data`; returns a line for the report.
    fn rebuild_derived(&self, _db: Db) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async { Ok(None) })
    }
}

/// A type's OpenAPI schema under its name, with the schemas it refers to.
pub struct Schemas {
    pub name: String,
    pub schemas: Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>,
}

/// A frame as the JSON text a socket receives (and a service publishes on a realtime topic).
pub fn frame_text<T: serde::Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).expect("frames serialise")
}

/// The schemas of `T` for [`Module::frames`].
pub fn schema_of<T: utoipa::ToSchema>() -> Schemas {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    Schemas {
        name: T::name().into_owned(),
        schemas,
    }
}

/// An OpenAPI tag: a group of operations in the API reference.
#[derive(Debug, Clone, Copy)]
pub struct ApiTag {
    pub name: &'static str,
    pub description: &'static str,
}

/// A module's internal API across processes, as its api crate builds it with `hybrid_rpc`.
#[derive(Clone, Copy)]
pub struct GrpcApi {
    /// The gRPC service names (`hybrid.users.v1.UserDirectory`), each reported by the health
    /// service.
    pub services: &'static [&'static str],
    /// Adds the server of the provider the module put in `apis` at start to `routes`.
    pub serve: fn(&InternalApis, &mut tonic::service::RoutesBuilder) -> anyhow::Result<()>,
    /// Puts a client of the provider at the other end of `peer` into `apis`, behind the same
    /// trait the provider implements, so callers cannot tell the difference.
    pub connect: fn(&InternalApis, PeerLink),
}

/// A connection to a service that runs in another process, made by the registry from
/// `peers.<name>`; `hybrid_rpc::Call` sends calls over it.
#[derive(Debug, Clone)]
pub struct PeerLink {
    pub service: &'static str,
    /// Connects lazily and reconnects by itself.
    pub channel: tonic::transport::Channel,
    /// Deadline of a call, retries included (`grpc.timeout_ms`).
    pub timeout: Duration,
    /// The `authorization` value every call carries (`hybrid_rpc::InternalCredential`).
    pub credential: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
}

/// Everything a module gets from the process it runs in.
#[derive(Clone)]
pub struct ModuleContext {
    /// The module's own database; `None` for modules without migrations.
    pub db: Option<Db>,
    pub config: Arc<Config>,
    /// Wall-clock time for schedules, reminders and expiry; a test can move it.
    pub clock: Clock,
    /// The master keys, resolved on first use (see [`ModuleContext::secrets`]).
    pub secrets: Arc<OnceLock<Arc<Secrets>>>,
    pub tokens: Arc<TokenVerifier>,
    pub apis: Arc<InternalApis>,
    /// Where modules put what `POST /api/v1/sync` returns besides chats' events.
    pub sync: Arc<SyncSources>,
    /// Event streams by producing service, to consume durably (`hybrid_core::stream`).
    pub streams: Arc<EventStreams>,
    /// The jobs of this process's modules, as each takes its own ([`ModuleContext::jobs`]).
    pub job_board: Arc<crate::job_board::JobBoard>,
    pub bus: Arc<dyn Bus>,
    /// Presence, typing, attempt budgets: shared by every process of the deployment.
    pub state: Arc<dyn SharedState>,
    pub shutdown: Shutdown,
}

impl ModuleContext {
    /// What seals and opens the module's secrets at rest. Resolved on first use, so a process
    /// whose modules keep no secrets needs no master key.
    pub fn secrets(&self) -> anyhow::Result<Arc<Secrets>> {
        if let Some(secrets) = self.secrets.get() {
            return Ok(secrets.clone());
        }
        let resolved = Arc::new(Secrets::resolve(&self.config)?);
        Ok(self.secrets.get_or_init(|| resolved).clone())
    }

    /// The module's database (for modules that declare migrations).
    pub fn db(&self) -> anyhow::Result<Db> {
        self.db
            .clone()
            .ok_or_else(|| anyhow::anyhow!("this module declared no migrations, so it has no database"))
    }

    /// The module's background jobs, in its own database (which must list
    /// `hybrid_core::jobs::migration(N)` among its migrations), with the `[jobs]` settings and
    /// the process's clock. Register handlers, then hand it to [`Worker::jobs`](crate::Worker::jobs).
    ///
    /// Call it once: the jobs join the process's [`JobBoard`](crate::job_board::JobBoard)
    /// (the admin API) and wake the module's workers in other processes over the bus.
    pub fn jobs(&self) -> anyhow::Result<hybrid_jobs::Jobs> {
        let db = self.db()?;
        let module = db.module();
        let jobs = hybrid_jobs::Jobs::new(db, self.config.jobs.clone(), self.clock.clone());
        jobs.set_wakeups(Arc::new(crate::job_board::BusWakeups::new(self.bus.clone(), module)));
        self.job_board.provide(module, Arc::new(jobs.clone()));
        Ok(jobs)
    }

    /// The client for what the module sends out over HTTP, with the `[outbound]` settings
    /// (public addresses only unless the operator opened others).
    pub fn outbound(&self) -> anyhow::Result<hybrid_outbound::Outbound> {
        Ok(hybrid_outbound::Outbound::new(self.config.outbound.clone())?)
    }
}

/// A started module: its HTTP routes (paths relative to `/api/v1`) and the background workers
/// the registry runs, supervised, until shutdown.
pub struct Started {
    pub routes: OpenApiRouter,
    pub workers: Vec<Worker>,
    /// Routes outside `/api/v1` and the API reference, at the server's root: an API whose
    /// paths another system fixed (the bots service's Telegram Bot API, `/bot<token>/…`).
    /// Empty for most modules.
    pub outside_api: axum::Router,
}

impl Started {
    pub fn routes(routes: OpenApiRouter) -> Self {
        Started {
            routes,
            ..Started::default()
        }
    }
}

impl Default for Started {
    fn default() -> Self {
        Started {
            routes: OpenApiRouter::new(),
            workers: Vec::new(),
            outside_api: axum::Router::new(),
        }
    }
}

/// Internal APIs that modules offer each other, by trait: `apis.provide::<dyn UserDirectory>(…)`
/// and `apis.get::<dyn UserDirectory>()`. In one process these are direct calls.
#[derive(Default)]
pub struct InternalApis {
    map: RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
}

impl InternalApis {
    pub fn provide<T: ?Sized + Send + Sync + 'static>(&self, api: Arc<T>) {
        self.map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(TypeId::of::<Arc<T>>(), Box::new(api));
    }

    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&TypeId::of::<Arc<T>>())
            .and_then(|api| api.downcast_ref::<Arc<T>>())
            .cloned()
    }

    /// Like [`get`](Self::get), with an error naming the module that must run alongside.
    pub fn require<T: ?Sized + Send + Sync + 'static>(&self, provider: &str) -> anyhow::Result<Arc<T>> {
        self.get::<T>().ok_or_else(|| {
            anyhow::anyhow!(
                "{} is provided by the `{provider}` service, which must run in this process",
                std::any::type_name::<T>()
            )
        })
    }
}

/// Resolves when the process begins shutting down.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub fn new() -> (watch::Sender<bool>, Shutdown) {
        let (tx, rx) = watch::channel(false);
        (tx, Shutdown(rx))
    }

    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|stopping| *stopping).await;
    }

    pub fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }
}
