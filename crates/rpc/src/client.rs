//! Calls to a service in another process. An api crate's client holds a [`PeerLink`] and sends
//! each method with [`Call::call`]: one deadline for the call and its retries, the trace
//! context, and the provider's `ApiError` rebuilt on this side.

use std::future::Future;
use std::time::Duration;

use hybrid_core::{ApiError, ApiResult, PeerLink, trace_context};
use tokio::time::Instant;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Response, Status};
use tracing::Instrument;

use crate::credential::{HEADER, InternalCredential};
use crate::error::{from_status, raised_by_provider, unreachable};

/// How calls to another process behave.
#[derive(Debug, Clone, Copy)]
pub struct PeerOptions {
    /// Deadline of a call, retries included.
    pub timeout: Duration,
    /// Deadline for opening the connection.
    pub connect_timeout: Duration,
}

/// HTTP/2 pings on every peer connection, and how long one may go unanswered.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(3);

/// A link to `service` at `url` (`http://host:port`), its calls carrying `credential`.
/// Connects lazily: a peer that is down now is a 503 per call, not a failed start.
pub fn link(
    service: &'static str,
    url: &str,
    options: PeerOptions,
    credential: &InternalCredential,
) -> anyhow::Result<PeerLink> {
    let channel = Endpoint::from_shared(url.to_owned())
        .map_err(|err| anyhow::anyhow!("peers.{service} = {url:?} is not a valid address: {err}"))?
        .connect_timeout(options.connect_timeout)
        .tcp_nodelay(true)
        // a peer that vanished without a reset (host down, partition) is noticed within
        // seconds, instead of each call waiting out its whole deadline on a dead connection
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true)
        .connect_lazy();
    Ok(PeerLink {
        service,
        channel,
        timeout: options.timeout,
        credential: credential.sent(),
    })
}

/// Retries of an idempotent call that found its peer unavailable, and the pause before each.
const RETRY_BACKOFF: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(200)];

/// Whether a call may be sent again when it may or may not have been carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotent {
    Yes,
    No,
}

/// Sending calls over a [`PeerLink`].
pub trait Call {
    /// Sends `message` with `send` (one generated client method) under the link's deadline,
    /// again for an idempotent call while the peer is unavailable and time remains.
    fn call<M, T, F, Fut>(
        &self,
        method: &'static str,
        idempotent: Idempotent,
        message: M,
        send: F,
    ) -> impl Future<Output = ApiResult<T>> + Send
    where
        M: Clone + Send + Sync,
        T: Send,
        F: Fn(Channel, Request<M>) -> Fut + Send + Sync,
        Fut: Future<Output = Result<Response<T>, Status>> + Send;
}

impl Call for PeerLink {
    async fn call<M, T, F, Fut>(
        &self,
        method: &'static str,
        idempotent: Idempotent,
        message: M,
        send: F,
    ) -> ApiResult<T>
    where
        M: Clone + Send + Sync,
        T: Send,
        F: Fn(Channel, Request<M>) -> Fut + Send + Sync,
        Fut: Future<Output = Result<Response<T>, Status>> + Send,
    {
        let call = |channel, timeout| send(channel, request(message.clone(), timeout, &self.credential));
        let span = tracing::info_span!(
            "grpc call",
            otel.name = %format_args!("{}/{method}", self.service),
            otel.kind = "client",
            rpc.system = "grpc",
        );
        attempts(self, idempotent, call).instrument(span).await
    }
}

async fn attempts<T, F, Fut>(peer: &PeerLink, idempotent: Idempotent, call: F) -> ApiResult<T>
where
    F: Fn(Channel, Duration) -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    let deadline = Instant::now() + peer.timeout;
    let mut backoff = RETRY_BACKOFF.iter();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let status = match tokio::time::timeout(left, call(peer.channel.clone(), left)).await {
            Ok(Ok(response)) => return Ok(response.into_inner()),
            Ok(Err(status)) => status,
            Err(_) => Status::deadline_exceeded("no answer in time"),
        };
        let retry = match backoff.next() {
            Some(pause) if idempotent == Idempotent::Yes && unreachable(&status) => *pause,
            _ => return Err(failed(peer, &status)),
        };
        if Instant::now() + retry >= deadline {
            return Err(failed(peer, &status));
        }
        tracing::debug!(service = peer.service, error = %status.message(), "retrying an internal call");
        tokio::time::sleep(retry).await;
    }
}

fn failed(peer: &PeerLink, status: &Status) -> ApiError {
    // the caller's own deadline, or the server's (it gets `grpc-timeout`), ran out
    let timed_out = matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled);
    if timed_out && !raised_by_provider(status) {
        return ApiError::unavailable(format!(
            "the {} service did not answer within {} ms",
            peer.service,
            peer.timeout.as_millis()
        ));
    }
    from_status(peer.service, status)
}

/// A request that tells the server who calls (the internal credential), how long the caller
/// will wait (`grpc-timeout`), and in which trace it runs.
fn request<T>(message: T, timeout: Duration, credential: &MetadataValue<Ascii>) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(HEADER, credential.clone());
    request.set_timeout(timeout);
    if let Some(value) = trace_context::current().and_then(|t| MetadataValue::try_from(t).ok()) {
        request.metadata_mut().insert(trace_context::TRACEPARENT, value);
    }
    request
}
