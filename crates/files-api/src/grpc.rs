//! [`FileStore`] over gRPC: the server adapter a process running `files` serves, the client a
//! process calling it from afar uses. Cards cross as the JSON of the files API's `FileInfo`;
//! bytes whole, in messages of up to [`MAX_MESSAGE_BYTES`].

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use hybrid_core::{ApiError, ApiResult, InternalApis, PeerLink};
use hybrid_rpc::{Call, Idempotent, reply};
use tonic::service::RoutesBuilder;
use tonic::{Request, Response, Status};

use crate::proto::file_store_client::FileStoreClient;
use crate::proto::file_store_server::{self, FileStoreServer};
use crate::{FileBytes, FileCard, FileStore, MAX_MESSAGE_BYTES, Reader, SERVICE, proto};

pub(crate) fn serve(apis: &InternalApis, routes: &mut RoutesBuilder) -> anyhow::Result<()> {
    let api = apis.require::<dyn FileStore>(SERVICE)?;
    routes.add_service(
        FileStoreServer::new(Server(api))
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES),
    );
    Ok(())
}

pub(crate) fn connect(apis: &InternalApis, peer: PeerLink) {
    apis.provide::<dyn FileStore>(Arc::new(Client(peer)));
}

struct Server(Arc<dyn FileStore>);

fn card_json(card: FileCard) -> proto::FileCardJson {
    proto::FileCardJson {
        json: serde_json::to_string(&card).expect("cards serialise"),
    }
}

fn reader_of(request: &proto::FileRequest) -> Reader {
    Reader {
        user_id: request.user_id,
        via: (request.chat_id != 0).then_some((request.chat_id, request.seq)),
    }
}

#[tonic::async_trait]
impl file_store_server::FileStore for Server {
    async fn store(&self, request: Request<proto::StoreRequest>) -> Result<Response<proto::FileCardJson>, Status> {
        let proto::StoreRequest { owner_id, name, data } = request.into_inner();
        reply(self.0.store(owner_id, name, Bytes::from(data)).await.map(card_json))
    }

    async fn describe(&self, request: Request<proto::FileRequest>) -> Result<Response<proto::FileCardJson>, Status> {
        let request = request.into_inner();
        reply(
            self.0
                .describe(reader_of(&request), request.file_id)
                .await
                .map(card_json),
        )
    }

    async fn read(&self, request: Request<proto::FileRequest>) -> Result<Response<proto::FileData>, Status> {
        let request = request.into_inner();
        let variant = Some(request.variant.clone()).filter(|v| !v.is_empty());
        let read = self.0.read(reader_of(&request), request.file_id, variant).await;
        reply(read.map(|file| proto::FileData {
            content_type: file.content_type,
            data: file.data.into(),
        }))
    }
}

struct Client(PeerLink);

fn client(channel: tonic::transport::Channel) -> FileStoreClient<tonic::transport::Channel> {
    FileStoreClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

fn card_of(json: &str) -> ApiResult<FileCard> {
    serde_json::from_str(json)
        .map_err(|err| ApiError::internal(format!("files answered a card this process does not read: {err}")))
}

fn request_for(reader: Reader, id: i64, variant: Option<String>) -> proto::FileRequest {
    let (chat_id, seq) = reader.via.unwrap_or((0, 0));
    proto::FileRequest {
        user_id: reader.user_id,
        file_id: id,
        chat_id,
        seq,
        variant: variant.unwrap_or_default(),
    }
}

impl FileStore for Client {
    fn store(&self, owner_id: i64, name: String, data: Bytes) -> BoxFuture<'_, ApiResult<FileCard>> {
        Box::pin(async move {
            let message = proto::StoreRequest {
                owner_id,
                name,
                data: data.into(),
            };
            // a retry would store a second file
            let card = (self.0)
                .call("Store", Idempotent::No, message, |channel, request| async move {
                    client(channel).store(request).await
                })
                .await?;
            card_of(&card.json)
        })
    }

    fn describe(&self, reader: Reader, id: i64) -> BoxFuture<'_, ApiResult<FileCard>> {
        Box::pin(async move {
            let message = request_for(reader, id, None);
            let card = (self.0)
                .call("Describe", Idempotent::Yes, message, |channel, request| async move {
                    client(channel).describe(request).await
                })
                .await?;
            card_of(&card.json)
        })
    }

    fn read(&self, reader: Reader, id: i64, variant: Option<String>) -> BoxFuture<'_, ApiResult<FileBytes>> {
        Box::pin(async move {
            let message = request_for(reader, id, variant);
            let file = (self.0)
                .call("Read", Idempotent::Yes, message, |channel, request| async move {
                    client(channel).read(request).await
                })
                .await?;
            Ok(FileBytes {
                content_type: file.content_type,
                data: Bytes::from(file.data),
            })
        })
    }
}
