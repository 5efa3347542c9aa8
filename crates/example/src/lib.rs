//! A service built only for tests (the binary's `example-service` feature; `--services
//! all,example`): the smallest service that uses every piece of the service kit, so the tests
//! of the kit run against something real, and a model for new services.
//!
//! - routes under `/api/v1/example`;
//! - an internal API ([`Tally`], `proto/`) served over gRPC when it runs in its own process;
//! - a durable consumer of the chats' events, recording each in `seen` exactly once;
//! - a supervised worker that panics on demand (`POST /example/panic`);
//! - posts with an attachment through the chats API, and updates of it;
//! - frames to the caller's sockets through realtime's user topic, kept for `POST /sync` too.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use futures::future::BoxFuture;
use hybrid_chats_api::{Attachment, AttachmentUpdate, ChatWriter, Post};
use hybrid_core::bus::{Bus, Bytes, Envelope};
use hybrid_core::stream::{Handler, StreamEvent, consume};
use hybrid_core::sync::{SyncPart, SyncSource};
use hybrid_core::{
    ApiError, ApiResult, ApiTag, AuthUser, GrpcApi, InternalApis, Json, Module, ModuleContext, Path, PeerLink, Started,
    Worker,
};
use hybrid_rpc::{Call, Idempotent, reply};
use hybrid_store::{Db, Migration, Sql, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Generated messages, server and client of `proto/hybrid/example/v1/example.proto`.
pub mod proto {
    tonic::include_proto!("hybrid.example.v1");
}

static MIGRATIONS: &[Migration] = &[hybrid_store::migration!(1, "0001_init")];

pub const SERVICE: &str = "example";

/// The example's internal API: how many chats events it has consumed.
pub trait Tally: Send + Sync {
    fn seen(&self) -> BoxFuture<'_, ApiResult<i64>>;
}

/// How [`Tally`] is served and reached over gRPC.
pub const GRPC: GrpcApi = GrpcApi {
    services: &["hybrid.example.v1.Tally"],
    serve: serve_tally,
    connect: connect_tally,
};

pub struct ExampleModule;

impl Module for ExampleModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "test-only: exercises the service kit"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &[hybrid_chats_api::SERVICE]
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(GRPC)
    }

    fn frames(&self) -> Option<hybrid_core::Schemas> {
        Some(hybrid_core::schema_of::<ExampleFrame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "example",
            description: "Test-only: the example service",
        }]
    }

    fn in_all(&self) -> bool {
        false
    }

    fn contributes_sync(&self) -> bool {
        true
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let db = ctx.db()?;
            let events = ctx.streams.require(hybrid_chats_api::SERVICE)?;
            let example = Arc::new(Example {
                db: db.clone(),
                bus: ctx.bus.clone(),
                writer: ctx.apis.require::<dyn ChatWriter>(hybrid_chats_api::SERVICE)?,
                panics_left: AtomicU32::new(0),
                poke: Notify::new(),
            });
            ctx.apis.provide::<dyn Tally>(example.clone());
            ctx.sync.provide(SERVICE, example.clone());
            let record: Arc<Handler> = Arc::new(record);
            let consumer = consume(
                "chat-events",
                hybrid_chats_api::SERVICE,
                events,
                db,
                ctx.bus.clone(),
                record,
            );
            let flaky = example.clone();
            let worker = Worker::new("flaky", move |mut shutdown| {
                let example = flaky.clone();
                async move {
                    loop {
                        if example.panics_left.load(Ordering::SeqCst) > 0 {
                            example.panics_left.fetch_sub(1, Ordering::SeqCst);
                            panic!("asked to panic");
                        }
                        tokio::select! {
                            _ = example.poke.notified() => {}
                            _ = shutdown.wait() => return Ok(()),
                        }
                    }
                }
            });
            let routes = OpenApiRouter::new()
                .routes(routes!(seen))
                .routes(routes!(panic))
                .routes(routes!(notice))
                .routes(routes!(post_card))
                .routes(routes!(update_card))
                .routes(routes!(visible))
                .with_state(example);
            Ok(Started {
                routes,
                workers: vec![consumer, worker],
            })
        })
    }
}

struct Example {
    db: Db,
    bus: Arc<dyn Bus>,
    writer: Arc<dyn ChatWriter>,
    panics_left: AtomicU32,
    poke: Notify,
}

/// The consumer's handler: each event into `seen`, in the consumer's transaction.
fn record<'a, 'c>(tx: &'a mut Sql<'c>, events: &'a [StreamEvent]) -> BoxFuture<'a, ApiResult<()>> {
    Box::pin(async move {
        for event in events {
            tx.execute(
                "INSERT INTO seen (position, namespace, topic_id, pts, kind) VALUES ($1, $2, $3, $4, $5)",
                params![
                    event.position,
                    event.topic.namespace,
                    event.topic.id,
                    event.pts,
                    event.kind.as_str()
                ],
            )
            .await?;
        }
        Ok(())
    })
}

impl Tally for Example {
    fn seen(&self) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(async move {
            let (count,): (i64,) = self
                .db
                .reads()
                .fetch_one("SELECT COUNT(*) FROM seen", params![])
                .await?;
            Ok(count)
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Seen {
    pub position: i64,
    pub namespace: String,
    pub topic_id: i64,
    pub pts: i64,
    pub kind: String,
}

/// Every chats event consumed, by position.
#[utoipa::path(get, path = "/example/seen", tag = "example", security(("bearer" = [])),
    responses((status = 200, body = Vec<Seen>)))]
async fn seen(State(example): State<Arc<Example>>, _me: AuthUser) -> ApiResult<Json<Vec<Seen>>> {
    let rows: Vec<(i64, String, i64, i64, String)> = example
        .db
        .reads()
        .fetch_all(
            "SELECT position, namespace, topic_id, pts, kind FROM seen ORDER BY position",
            params![],
        )
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|(position, namespace, topic_id, pts, kind)| Seen {
                position,
                namespace,
                topic_id,
                pts,
                kind,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PanicRequest {
    pub times: u32,
}

/// Makes the `flaky` worker panic this many times in a row.
#[utoipa::path(post, path = "/example/panic", tag = "example", security(("bearer" = [])),
    request_body = PanicRequest, responses((status = 204)))]
async fn panic(State(example): State<Arc<Example>>, _me: AuthUser, Json(req): Json<PanicRequest>) -> StatusCode {
    example.panics_left.store(req.times, Ordering::SeqCst);
    example.poke.notify_one();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeRequest {
    pub text: String,
}

/// Keeps a notice for the caller and sends it to their sockets as an `example.notice` frame
/// (an ephemeral frame of another service, forwarded by realtime); `POST /sync` returns the
/// notices a client missed.
#[utoipa::path(post, path = "/example/notice", tag = "example", security(("bearer" = [])),
    request_body = NoticeRequest, responses((status = 204)))]
async fn notice(
    State(example): State<Arc<Example>>,
    me: AuthUser,
    Json(req): Json<NoticeRequest>,
) -> ApiResult<StatusCode> {
    let frame = serde_json::to_string(&ExampleFrame::Notice { text: req.text }).expect("frames serialise");
    let stored = frame.clone();
    example
        .db
        .write(move |tx| {
            Box::pin(async move {
                let sql = "INSERT INTO notices (user_id, frame) VALUES ($1, $2)";
                tx.execute(sql, params![me.user_id, stored]).await
            })
        })
        .await?;
    example.bus.publish(Envelope::ephemeral(
        hybrid_realtime_api::user(me.user_id),
        Bytes::from(frame),
    ));
    Ok(StatusCode::NO_CONTENT)
}

/// The frames the example sends to sockets; the API reference lists them under `ServerFrame`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum ExampleFrame {
    /// A notice for you.
    #[serde(rename = "example.notice")]
    Notice { text: String },
}

/// Notices returned by one sync at most.
const SYNC_LIMIT: i64 = 100;

impl SyncSource for Example {
    fn sync(&self, user_id: i64, cursor: &str) -> BoxFuture<'_, ApiResult<SyncPart>> {
        let after: Result<i64, _> = if cursor.is_empty() { Ok(0) } else { cursor.parse() };
        Box::pin(async move {
            let after = after.map_err(|_| ApiError::validation("services.example", "not a cursor from this API"))?;
            let rows: Vec<(i64, String)> = self
                .db
                .reads()
                .fetch_all(
                    "SELECT id, frame FROM notices WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                    params![user_id, after, SYNC_LIMIT + 1],
                )
                .await?;
            if rows.len() as i64 > SYNC_LIMIT {
                // too many to catch up on: the client reloads, then goes on from the newest
                let (newest,): (i64,) = self
                    .db
                    .reads()
                    .fetch_one(
                        "SELECT COALESCE(MAX(id), 0) FROM notices WHERE user_id = $1",
                        params![user_id],
                    )
                    .await?;
                return Ok(SyncPart {
                    cursor: newest.to_string(),
                    too_long: true,
                    ..SyncPart::default()
                });
            }
            let last = rows.last().map_or(after, |(id, _)| *id);
            let entries = rows
                .into_iter()
                .map(|(_, frame)| SyncPart::entry(frame))
                .collect::<ApiResult<_>>()?;
            Ok(SyncPart {
                cursor: last.to_string(),
                entries,
                ..SyncPart::default()
            })
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CardRequest {
    pub chat_id: i64,
    /// The card's object id, and the post's idempotency key.
    pub key: String,
    pub title: String,
    /// 1 for a new card.
    #[serde(default = "first_version")]
    pub version: i64,
}

fn first_version() -> i64 {
    1
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Posted {
    pub chat_id: i64,
    pub seq: i64,
    pub created: bool,
}

fn card(req: &CardRequest) -> Attachment {
    Attachment {
        kind: "card".into(),
        service: SERVICE.into(),
        object_id: req.key.clone(),
        version: req.version,
        preview: json!({"title": req.title}).to_string(),
        searchable_text: req.title.clone(),
    }
}

/// Posts a card into a chat as the caller, through the chats API.
#[utoipa::path(post, path = "/example/cards", tag = "example", security(("bearer" = [])),
    request_body = CardRequest, responses((status = 200, body = Posted)))]
async fn post_card(
    State(example): State<Arc<Example>>,
    me: AuthUser,
    Json(req): Json<CardRequest>,
) -> ApiResult<Json<Posted>> {
    let posted = example
        .writer
        .post(Post {
            chat_id: req.chat_id,
            sender_id: me.user_id,
            text: String::new(),
            idempotency_key: req.key.clone(),
            attachment: Some(card(&req)),
        })
        .await?;
    Ok(Json(Posted {
        chat_id: posted.chat_id,
        seq: posted.seq,
        created: posted.created,
    }))
}

/// Updates the card of message `seq` through the chats API.
#[utoipa::path(put, path = "/example/cards/{seq}", tag = "example", security(("bearer" = [])),
    request_body = CardRequest, responses((status = 204)))]
async fn update_card(
    State(example): State<Arc<Example>>,
    _me: AuthUser,
    Path(seq): Path<i64>,
    Json(req): Json<CardRequest>,
) -> ApiResult<StatusCode> {
    let update = AttachmentUpdate {
        chat_id: req.chat_id,
        seq,
        attachment: card(&req),
    };
    example.writer.update_attachment(update).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether user `user_id` may see message (`chat_id`, `seq`), as the chats API answers.
#[utoipa::path(get, path = "/example/visible/{user_id}/{chat_id}/{seq}", tag = "example",
    security(("bearer" = [])), responses((status = 200)))]
async fn visible(
    State(example): State<Arc<Example>>,
    _me: AuthUser,
    Path((user_id, chat_id, seq)): Path<(i64, i64, i64)>,
) -> ApiResult<Json<serde_json::Value>> {
    let visible = example.writer.may_see(user_id, chat_id, seq).await?;
    Ok(Json(json!({"visible": visible})))
}

fn serve_tally(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn Tally>(SERVICE)?;
    routes.add_service(proto::tally_server::TallyServer::new(TallyServer(api)));
    Ok(())
}

fn connect_tally(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn Tally>(Arc::new(TallyClient(peer)));
}

struct TallyServer(Arc<dyn Tally>);

#[tonic::async_trait]
impl proto::tally_server::Tally for TallyServer {
    async fn seen(&self, _request: Request<proto::SeenRequest>) -> Result<Response<proto::Count>, Status> {
        reply(self.0.seen().await.map(|value| proto::Count { value }))
    }
}

struct TallyClient(PeerLink);

impl Tally for TallyClient {
    fn seen(&self) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(async move {
            let count = (self.0)
                .call("Seen", Idempotent::Yes, proto::SeenRequest {}, |channel, request| async move {
                    proto::tally_client::TallyClient::new(channel).seen(request).await
                })
                .await?;
            Ok(count.value)
        })
    }
}
