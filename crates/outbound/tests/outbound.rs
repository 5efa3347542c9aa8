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
    Outbound::new(OutboundConfig::default().with_addresses(addresses)).unwrap()
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
        allow_private: true,
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
    // https is wired through TLS: a plain HTTP server fails the handshake
    let err = outbound.get(&format!("https://{addr}/long")).await.unwrap_err();
    assert!(
        matches!(&err, OutboundError::Network(text) if text.contains("Connect")),
        "a TLS handshake with a plain HTTP server fails: {err:?}"
    );
    let err = outbound.get(&format!("http://{addr}/slow")).await.unwrap_err();
    assert!(matches!(err, OutboundError::Timeout(300)), "{err:?}");
    assert!(err.is_transient(), "a timeout is worth retrying");
}

/// A body of unknown length (no Content-Length), so the limit is enforced while reading.
fn unannounced_body() -> axum::body::Body {
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(Bytes::from_static(&[b'y'; 1024])));
    axum::body::Body::from_stream(futures::stream::iter(chunks))
}

/// An https server on 127.0.0.1 whose certificate, for `localhost` only, is its own (no
/// public CA signed it): it answers every request `200 ok`. Returns its port and the
/// certificate in PEM, for a client to trust.
async fn tls_server() -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls_key(certified.signing_key.serialize_der());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // a client that refuses the certificate ends the handshake: nothing to answer
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut chunk = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
                let _ = tls.write_all(answer).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, certified.cert.pem())
}

fn rustls_key(der: Vec<u8>) -> tokio_rustls::rustls::pki_types::PrivateKeyDer<'static> {
    tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(der.into())
}

#[tokio::test]
async fn https_trusts_the_configured_ca_and_checks_the_name() {
    let (port, pem) = tls_server().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pem).unwrap();
    let trusting = Outbound::new(OutboundConfig {
        allow_private: true,
        ca_file: ca_file.to_str().unwrap().to_owned(),
        ..OutboundConfig::default()
    })
    .unwrap();
    let answer = trusting.get(&format!("https://localhost:{port}/")).await.unwrap();
    assert_eq!((answer.status, &answer.body[..]), (200, &b"ok"[..]));

    // the same server by an address its certificate does not name
    let err = trusting.get(&format!("https://127.0.0.1:{port}/")).await.unwrap_err();
    assert!(
        matches!(&err, OutboundError::Network(text) if text.contains("certificate")),
        "{err:?}"
    );
    // without the CA, the system's roots do not vouch for it
    let err = client(AddressPolicy::allow_all())
        .get(&format!("https://localhost:{port}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OutboundError::Network(text) if text.contains("certificate")),
        "{err:?}"
    );
    // a CA file that is not one is refused when the client is made, not at the first request
    std::fs::write(&ca_file, "not a certificate").unwrap();
    let refused = Outbound::new(OutboundConfig {
        ca_file: ca_file.to_str().unwrap().to_owned(),
        ..OutboundConfig::default()
    });
    assert!(matches!(refused, Err(OutboundError::CaFile(_))), "{:?}", refused.err());
}
