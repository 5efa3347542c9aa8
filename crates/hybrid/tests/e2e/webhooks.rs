//! Webhook delivery through the binary (the test-only example service POSTs each notice to
//! its user's hooks): a private address is refused unless the operator allows it; an allowed
//! one is delivered signed, retried after a failure, and every attempt is logged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use hybrid_core::outbound::signature::verify;
use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, stack_tests};
use serde_json::{Value, json};

use crate::start_with;

stack_tests!(
    a_webhook_to_a_private_address_is_refused_by_default,
    an_allowed_webhook_is_signed_retried_and_logged
);

const WITH_EXAMPLE: (&str, &str) = ("HYBRID_SERVICES", "all,example");
const SECRET: &str = "a secret of the receiver";

/// What the receiver got: each request's headers and body.
type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on 127.0.0.1 that answers `statuses` in turn (then 200), recording each request.
async fn receiver(statuses: &'static [u16]) -> (String, Received) {
    let received: Received = Arc::default();
    let log = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                let status = statuses.get(log.len()).copied().unwrap_or(200);
                log.push((headers, body));
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

async fn add_hook(server: &TestServer, user: &TestUser, url: &str) -> i64 {
    let hook = json!({"url": url, "secret": SECRET});
    let (status, body) = server
        .post("/api/v1/example/hooks", Some(&user.access_token), hook)
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

async fn notice(server: &TestServer, user: &TestUser, text: &str) {
    let (status, body) = server
        .post(
            "/api/v1/example/notice",
            Some(&user.access_token),
            json!({"text": text}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

/// The hook's delivery log once its newest delivery is no longer pending (20 s at most).
async fn settled_log(server: &TestServer, user: &TestUser, hook: i64) -> Value {
    let path = format!("/api/v1/example/hooks/{hook}/deliveries");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, log) = server.get(&path, Some(&user.access_token)).await;
        assert_eq!(status, 200, "{log}");
        if log[0]["state"].as_str().is_some_and(|s| s != "pending") {
            return log;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the delivery never settled: {log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_webhook_to_a_private_address_is_refused_by_default(stack: Stack) {
    let server = start_with(stack, &[WITH_EXAMPLE]).await;
    let ann = server.register("ann").await;
    let (url, received) = receiver(&[]).await;
    let hook = add_hook(&server, &ann, &url).await;
    notice(&server, &ann, "hello").await;
    let log = settled_log(&server, &ann, hook).await;
    assert_eq!(log[0]["state"], "failed", "{log}");
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "refused once, not retried: {log}");
    let error = attempts[0]["error"].as_str().unwrap();
    assert!(
        error.contains("127.0.0.1") && error.contains("not a public address"),
        "{error}"
    );
    assert_eq!(attempts[0]["status"], Value::Null, "{log}");
    assert!(received.lock().unwrap().is_empty(), "the receiver was never contacted");

    // bad hooks are refused up front, and a hook's log is its owner's alone
    for (hook, field) in [
        (json!({"url": "ftp://example.com/x", "secret": SECRET}), "url"),
        (json!({"url": "http://exa mple.com/", "secret": SECRET}), "url"),
        (json!({"url": url, "secret": "short"}), "secret"),
    ] {
        let refused = server
            .post("/api/v1/example/hooks", Some(&ann.access_token), hook)
            .await;
        assert_error(&refused, 422, "validation_failed", Some(field));
    }
    let bob = server.register("bob").await;
    let others = server
        .get(
            &format!("/api/v1/example/hooks/{hook}/deliveries"),
            Some(&bob.access_token),
        )
        .await;
    assert_error(&others, 404, "not_found", None);
}

async fn an_allowed_webhook_is_signed_retried_and_logged(stack: Stack) {
    let allowed = [
        WITH_EXAMPLE,
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
        ("HYBRID_JOBS__BACKOFF_BASE_MS", "100"),
    ];
    let server = start_with(stack, &allowed).await;
    let ann = server.register("ann").await;
    // the receiver is down for the first try
    let (url, received) = receiver(&[503]).await;
    let hook = add_hook(&server, &ann, &url).await;
    notice(&server, &ann, "hello").await;
    let log = settled_log(&server, &ann, hook).await;
    assert_eq!(log[0]["state"], "delivered", "{log}");
    let statuses: Vec<&Value> = log[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200)], "{log}");
    assert_eq!(log[0]["attempts"][0]["error"], "the receiver answered 503", "{log}");

    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2, "sent twice: once refused, once taken");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let delivery = log[0]["id"].as_i64().unwrap().to_string();
    for (headers, body) in &received {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(verify(
            SECRET.as_bytes(),
            header("x-hybrid-signature"),
            body.as_bytes(),
            now,
            300
        ));
        assert!(!verify(
            b"another secret",
            header("x-hybrid-signature"),
            body.as_bytes(),
            now,
            300
        ));
        assert_eq!(header("x-hybrid-event"), "example.notice");
        assert_eq!(header("x-hybrid-delivery"), delivery, "the receiver's idempotency key");
        assert_eq!(header("content-type"), "application/json");
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (&body["text"], &body["user_id"]),
            (&json!("hello"), &json!(ann.id)),
            "{body}"
        );
    }
}
