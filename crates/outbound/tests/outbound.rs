//! The client against real local servers: what private addresses, redirects, slow and long
//! answers do, and that a signed delivery verifies. Loopback is private, so every test that
//! delivers opens it explicitly, as the issue asks tests to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use bytes::Bytes;
use hybrid_outbound::signature::{SIGNATURE_HEADER, sign, verify};
use hybrid_outbound::{AddressPolicy, Outbound, OutboundConfig, OutboundError};

/// A server on `ip` that counts the requests reaching it.
async fn serve(ip: &str, app: Router) -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = app.layer(axum::middleware::from_fn(move |req, next: axum::middleware::Next| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { next.run(req).await }
    }));
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hits)
}

fn hook() -> Router {
    Router::new().route(
        "/hook",
        post(|headers: HeaderMap, body: Bytes| async move {
            let signature = headers
                .get(SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            if verify(b"s3cret", signature, &body, now, 300) {
                (StatusCode::OK, "verified").into_response()
            } else {
                (StatusCode::UNAUTHORIZED, "bad signature").into_response()
            }
        }),
    )
}

fn client(addresses: AddressPolicy) -> Outbound {
    Outbound::new(OutboundConfig {
        addresses,
        ..OutboundConfig::default()
    })
    .unwrap()
}

fn signed(body: &[u8]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    sign(b"s3cret", now, body)
}

#[tokio::test]
async fn private_addresses_are_refused_by_default_and_never_contacted() {
    let (addr, hits) = serve("127.0.0.1", hook()).await;
    let outbound = client(AddressPolicy::default());
    for url in [
        format!("http://{addr}/hook"),
        format!("http://localhost:{}/hook", addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/hook", addr.port()),
    ] {
        let err = outbound
            .post_json(&url, Bytes::from_static(b"{}"), &[])
            .await
            .unwrap_err();
        assert!(matches!(err, OutboundError::Refused(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("not a public address"), "{err}");
        assert!(!err.is_transient(), "a refusal is final");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request reached the private server");
    let err = outbound.get("ftp://example.com/x").await.unwrap_err();
    assert!(matches!(err, OutboundError::BadUrl(_)), "{err:?}");
}

#[tokio::test]
async fn an_allowed_delivery_arrives_signed() {
    let (addr, hits) = serve("127.0.0.1", hook()).await;
    let outbound = client(AddressPolicy::allow_all());
    let body = Bytes::from_static(br#"{"event":"message.new"}"#);
    let signature = signed(&body);
    let answer = outbound
        .post_json(
            &format!("http://{addr}/hook"),
            body.clone(),
            &[(SIGNATURE_HEADER, &signature)],
        )
        .await
        .unwrap();
    assert_eq!((answer.status, &answer.body[..]), (200, &b"verified"[..]));
    let forged = outbound
        .post_json(
            &format!("http://{addr}/hook"),
            Bytes::from_static(b"{}"),
            &[(SIGNATURE_HEADER, &signature)],
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 401, "the signature is bound to the body");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_opened_network_does_not_open_a_redirect_elsewhere() {
    // 127.0.0.2 is opened, 127.0.0.1 is not: a redirect there is refused before connecting
    let (inside, inside_hits) = serve("127.0.0.1", hook()).await;
    let target = format!("http://{inside}/hook");
    let (opened, _) = serve(
        "127.0.0.2",
        Router::new()
            .route("/ok", get(|| async { "fine" }))
            .route("/away", post(move || async move { Redirect::temporary(&target) })),
    )
    .await;
    let outbound = client(AddressPolicy {
        allow_private: false,
        allow_networks: vec!["127.0.0.2/32".parse().unwrap()],
    });
    let ok = outbound.get(&format!("http://{opened}/ok")).await.unwrap();
    assert_eq!((ok.status, &ok.body[..]), (200, &b"fine"[..]));
    let err = outbound
        .post_json(&format!("http://{opened}/away"), Bytes::from_static(b"{}"), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OutboundError::Refused(ip) if ip == "127.0.0.1"),
        "{err:?}"
    );
    assert_eq!(inside_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn redirects_answers_and_time_are_limited() {
    let (addr, _) = serve(
        "127.0.0.1",
        Router::new()
            .route("/loop", get(|| async { Redirect::temporary("/loop") }))
            .route("/long", get(|| async { vec![b'x'; 64 * 1024] }))
            .route(
                "/long-unannounced",
                get(|| async { ([(header::CONTENT_TYPE, "text/plain")], unannounced_body()) }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "late"
                }),
            ),
    )
    .await;
    let outbound = Outbound::new(OutboundConfig {
        addresses: AddressPolicy::allow_all(),
        max_response_bytes: 1024,
        timeout_ms: 300,
        max_redirects: 3,
        ..OutboundConfig::default()
    })
    .unwrap();
    let err = outbound.get(&format!("http://{addr}/loop")).await.unwrap_err();
    assert!(matches!(err, OutboundError::TooManyRedirects(3)), "{err:?}");
    for path in ["/long", "/long-unannounced"] {
        let err = outbound.get(&format!("http://{addr}{path}")).await.unwrap_err();
        assert!(matches!(err, OutboundError::TooLarge(1024)), "{path}: {err:?}");
    }
    let err = outbound.get(&format!("http://{addr}/slow")).await.unwrap_err();
    assert!(matches!(err, OutboundError::Timeout(300)), "{err:?}");
    assert!(err.is_transient(), "a timeout is worth retrying");
}

/// A body of unknown length (no Content-Length), so the limit is enforced while reading.
fn unannounced_body() -> axum::body::Body {
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(Bytes::from_static(&[b'y'; 1024])));
    axum::body::Body::from_stream(futures::stream::iter(chunks))
}
