//! [`EventStream`] across processes: one generic gRPC service (`hybrid.stream.v1.EventStream`),
//! served for every local producer, and a client per remote producer.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::bus::Topic;
use hybrid_core::stream::{EventStream, EventStreams, StreamBatch, StreamEvent};
use hybrid_core::{ApiResult, PeerLink};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::intern::Vocabulary;
use crate::proto::stream::event_stream_client::EventStreamClient;
use crate::proto::stream::event_stream_server::{self, EventStreamServer};
use crate::proto::stream::{Batch, Event, ReadRequest};
use crate::{Call, Idempotent, reply};

/// The gRPC service name, for health reports.
pub const STREAM_SERVICE: &str = "hybrid.stream.v1.EventStream";

/// Serves the event streams of this process's modules.
pub fn serve_streams(streams: Arc<EventStreams>, routes: &mut RoutesBuilder) {
    routes.add_service(EventStreamServer::new(Server(streams)));
}

/// The event stream of `producer`, which runs at the other end of `peer`.
pub fn remote_stream(peer: PeerLink, producer: &'static str) -> Arc<dyn EventStream> {
    Arc::new(Client { peer, producer })
}

struct Server(Arc<EventStreams>);

#[tonic::async_trait]
impl event_stream_server::EventStream for Server {
    async fn read(&self, request: Request<ReadRequest>) -> Result<Response<Batch>, Status> {
        let ReadRequest { producer, after, limit } = request.into_inner();
        let Some(stream) = self.0.get(&producer) else {
            return Err(Status::not_found(format!("no event stream `{producer}` here")));
        };
        reply(stream.read(after, limit).await.map(|batch| {
            Batch {
                events: batch
                    .events
                    .into_iter()
                    .map(|event| Event {
                        position: event.position,
                        namespace: event.topic.namespace.to_owned(),
                        topic_id: event.topic.id,
                        pts: event.pts,
                        kind: event.kind,
                        payload: event.payload,
                    })
                    .collect(),
                head: batch.head,
                oldest: batch.oldest,
            }
        }))
    }
}

struct Client {
    peer: PeerLink,
    producer: &'static str,
}

impl EventStream for Client {
    fn read(&self, after: i64, limit: u32) -> BoxFuture<'_, ApiResult<StreamBatch>> {
        let message = ReadRequest {
            producer: self.producer.to_owned(),
            after,
            limit,
        };
        Box::pin(async move {
            let batch = self
                .peer
                .call("Read", Idempotent::Yes, message, |channel, request| async move {
                    EventStreamClient::new(channel).read(request).await
                })
                .await?;
            let events = batch
                .events
                .into_iter()
                .map(|event| StreamEvent {
                    position: event.position,
                    topic: Topic::new(namespace(&event.namespace), event.topic_id),
                    pts: event.pts,
                    kind: event.kind,
                    payload: event.payload,
                })
                .collect();
            Ok(StreamBatch {
                events,
                head: batch.head,
                oldest: batch.oldest,
            })
        })
    }
}

/// Topic namespaces are `&'static str`: the ones peers send.
fn namespace(name: &str) -> &'static str {
    static NAMESPACES: Vocabulary = Vocabulary::new(64, "unknown");
    NAMESPACES.intern(name)
}
