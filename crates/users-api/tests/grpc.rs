//! The user directory over gRPC between two processes, over real TCP: a provider served by
//! `GrpcServer` as the registry serves it, a caller through `GRPC.connect` as the registry
//! connects it. Errors keep their shape, idempotent calls are retried while
//! the provider is unavailable and the others are not, every call has a deadline, and the
//! standard health service answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hybrid_core::{ApiError, ApiResult, InternalApis, Secrets, Shutdown};
use hybrid_rpc::{DRAIN, GrpcServer, InternalCredential, PeerOptions, link};
use hybrid_users_api::{AddPolicy, GRPC, UserCard, UserDirectory, UserRef, UsersCode};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A user directory that fails on purpose and counts how often it is asked.
#[derive(Default)]
struct Flaky {
    calls: AtomicUsize,
}

impl Flaky {
    fn count(&self) -> usize {
        self.calls.fetch_add(1, Ordering::SeqCst) + 1
    }
}

impl UserDirectory for Flaky {
    fn create(&self, username: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        self.count();
        Box::pin(async move {
            if username == "taken" {
                return Err(ApiError::new(UsersCode::UsernameTaken, "that username is taken").with_field("username"));
            }
            Err(ApiError::unavailable("the users database is unavailable"))
        })
    }

    fn create_bot(&self, username: String, display_name: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        self.count();
        Box::pin(async move {
            Ok(UserRef {
                id: display_name.len() as i64,
                username,
                created_at: 1_700_000_000_000,
                is_bot: true,
            })
        })
    }

    fn rename_bot(&self, _id: i64, display_name: String) -> BoxFuture<'_, ApiResult<()>> {
        self.count();
        Box::pin(async move {
            if display_name.is_empty() {
                return Err(ApiError::validation("name", "must contain visible characters"));
            }
            Ok(())
        })
    }

    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ApiResult<Option<UserRef>>> {
        self.count();
        Box::pin(async move {
            Ok(Some(UserRef {
                id: 7,
                username: username.to_owned(),
                created_at: 1_700_000_000_000,
                is_bot: false,
            }))
        })
    }

    fn get(&self, _id: i64) -> BoxFuture<'_, ApiResult<Option<UserRef>>> {
        self.count();
        Box::pin(async { Err(ApiError::unavailable("the users database is unavailable")) })
    }

    fn cards<'a>(&'a self, _ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<UserCard>>> {
        self.count();
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok(Vec::new())
        })
    }

    fn delete(&self, _id: i64) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async { Ok(()) })
    }

    fn is_blocked(&self, _blocker: i64, _target: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(async { Ok(true) })
    }

    fn blocks_between<'a>(&'a self, _user: i64, others: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<i64>>> {
        Box::pin(async move { Ok(others.iter().copied().filter(|id| id % 2 == 0).collect()) })
    }

    fn add_policies<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<(i64, AddPolicy)>>> {
        Box::pin(async move {
            Ok(ids
                .iter()
                .filter_map(|&id| match id % 3 {
                    1 => Some((id, AddPolicy::SharedChats)),
                    2 => Some((id, AddPolicy::Nobody)),
                    _ => None,
                })
                .collect())
        })
    }
}

const OPTIONS: PeerOptions = PeerOptions {
    timeout: Duration::from_millis(600),
    connect_timeout: Duration::from_millis(200),
};

/// The credential of a deployment whose master key is `key`.
fn credential(key: u8) -> InternalCredential {
    InternalCredential::new(&Secrets::from_keys([key; 32], &[]))
}

/// Serves `flaky` on a free port, letting a call run at most `server_timeout` there; returns
/// the caller's view of it and the address.
async fn serve_with(
    flaky: Arc<Flaky>,
    server_timeout: Duration,
) -> (Arc<dyn UserDirectory>, String, tokio::sync::watch::Sender<bool>) {
    let provider = InternalApis::default();
    provider.provide::<dyn UserDirectory>(flaky);
    let mut routes = tonic::service::RoutesBuilder::default();
    (GRPC.serve)(&provider, &mut routes).unwrap();
    let services = GRPC.services.to_vec();
    let server = GrpcServer::bind("127.0.0.1:0", routes.routes(), services, server_timeout, credential(1))
        .await
        .unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let (stop, shutdown) = Shutdown::new();
    tokio::spawn(server.run(shutdown));
    (caller_of(&url), url, stop)
}

async fn serve(flaky: Arc<Flaky>) -> (Arc<dyn UserDirectory>, String, tokio::sync::watch::Sender<bool>) {
    serve_with(flaky, Duration::from_secs(5)).await
}

/// The user directory at `url`, as a process of the same deployment calling it sees it.
fn caller_of(url: &str) -> Arc<dyn UserDirectory> {
    caller_with(url, &credential(1))
}

fn caller_with(url: &str, credential: &InternalCredential) -> Arc<dyn UserDirectory> {
    let caller = InternalApis::default();
    (GRPC.connect)(&caller, link("users", url, OPTIONS, credential).unwrap());
    caller.get::<dyn UserDirectory>().unwrap()
}

#[tokio::test]
async fn a_caller_without_the_deployments_credential_is_refused() {
    let flaky = Arc::new(Flaky::default());
    let (_, url, _stop) = serve(flaky.clone()).await;
    let stranger = caller_with(&url, &credential(2));
    let err = stranger.find_by_username("ann").await.unwrap_err();
    assert_eq!((err.status.as_u16(), err.code), (502, "bad_gateway"), "{}", err.message);
    assert!(
        err.message.contains("refused this process's internal credential"),
        "{}",
        err.message
    );
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 0, "the provider never saw the call");
    // with the credential, the same call is answered
    assert!(caller_of(&url).find_by_username("ann").await.unwrap().is_some());
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn answers_and_errors_cross_the_hop() {
    let flaky = Arc::new(Flaky::default());
    let (users, _, _stop) = serve(flaky.clone()).await;
    let found = users.find_by_username("ann").await.unwrap();
    assert_eq!(
        found,
        Some(UserRef {
            id: 7,
            username: "ann".into(),
            created_at: 1_700_000_000_000,
            is_bot: false,
        })
    );
    // a bot's name and flag cross too, and a bot's create is the same call with its fields
    let bot = users.create_bot("echo_bot".into(), "Echo".into()).await.unwrap();
    assert_eq!((bot.id, bot.username.as_str(), bot.is_bot), (4, "echo_bot", true));
    users.rename_bot(4, "Echo 2".into()).await.unwrap();
    let err = users.rename_bot(4, String::new()).await.unwrap_err();
    assert_eq!((err.status.as_u16(), err.field.as_deref()), (422, Some("name")));
    assert!(users.is_blocked(1, 2).await.unwrap());
    assert_eq!(users.blocks_between(1, &[2, 3, 4]).await.unwrap(), [2, 4]);
    let policies = users.add_policies(&[3, 4, 5]).await.unwrap();
    assert_eq!(policies, [(4, AddPolicy::SharedChats), (5, AddPolicy::Nobody)]);
    let taken = users.create("taken".into()).await.unwrap_err();
    assert_eq!((taken.status.as_u16(), taken.code), (409, "username_taken"));
    assert_eq!(taken.field.as_deref(), Some("username"));
    assert_eq!(taken.message, "that username is taken");
}

#[tokio::test]
async fn only_idempotent_calls_are_retried() {
    let flaky = Arc::new(Flaky::default());
    let (users, _, _stop) = serve(flaky.clone()).await;
    let err = users.get(1).await.unwrap_err();
    assert_eq!((err.status.as_u16(), err.code), (503, "unavailable"));
    assert_eq!(flaky.calls.swap(0, Ordering::SeqCst), 3, "a read is tried three times");
    let err = users.create("new".into()).await.unwrap_err();
    assert_eq!(err.status.as_u16(), 503);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 1, "a create is sent once");
}

#[tokio::test]
async fn every_call_has_a_deadline() {
    let (users, _, _stop) = serve(Arc::default()).await;
    let started = Instant::now();
    let err = users.cards(&[1]).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(err.status.as_u16(), 503);
    assert!(err.message.contains("did not answer within 600 ms"), "{}", err.message);
}

#[tokio::test]
async fn the_servers_own_deadline_ends_a_call_too() {
    // the server allows 150 ms, the caller would wait 600 ms
    let (users, _, _stop) = serve_with(Arc::default(), Duration::from_millis(150)).await;
    let started = Instant::now();
    let err = users.cards(&[1]).await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(500),
        "{took:?}: the server should have ended it"
    );
    assert_eq!((err.status.as_u16(), err.code), (503, "unavailable"));
}

#[tokio::test]
async fn a_peer_that_is_down_is_unavailable() {
    // nothing listens on port 9 of localhost (discard, never served here)
    let users = caller_of("http://127.0.0.1:9");
    let err = users.get(1).await.unwrap_err();
    assert_eq!(err.status.as_u16(), 503);
    assert!(
        err.message.contains("the users service is unreachable"),
        "{}",
        err.message
    );
    let bad = link("users", "not a url", OPTIONS, &credential(1)).unwrap_err();
    assert!(bad.to_string().contains("peers.users"), "{bad}");
}

#[tokio::test]
async fn the_health_service_reports_each_api() {
    let (_, url, stop) = serve(Arc::default()).await;
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    // without the internal credential: probes and load balancers have none
    let mut health = HealthClient::new(channel);
    let status = |service: &str| HealthCheckRequest {
        service: service.into(),
    };
    let serving = health
        .check(status("hybrid.users.v1.UserDirectory"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(serving.status(), ServingStatus::Serving);
    let unknown = health
        .check(status("hybrid.chats.v1.ChatMembership"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound, "not served by this process");
    // stopping: NOT_SERVING for a while before the port closes
    stop.send(true).unwrap();
    let stopping = Instant::now();
    loop {
        let reply = health.check(status("")).await.expect("still answering while draining");
        if reply.get_ref().status() == ServingStatus::NotServing {
            break;
        }
        assert!(stopping.elapsed() < DRAIN, "still SERVING after shutdown");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let per_api = health.check(status("hybrid.users.v1.UserDirectory")).await.unwrap();
    assert_eq!(per_api.get_ref().status(), ServingStatus::NotServing);
    // and then it closes
    loop {
        if health.check(status("")).await.is_err() {
            break;
        }
        assert!(stopping.elapsed() < DRAIN * 4, "still answering long after the drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
