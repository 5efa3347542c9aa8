//! HTTP conventions every endpoint shares, and the operational endpoints.

use hybrid_testkit::{PASSWORD, Stack, assert_error, json_of, stack_tests};
use serde_json::json;

use crate::{start, start_with};

stack_tests!(error_shape_and_limits, health_metrics_and_docs);

async fn error_shape_and_limits(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_HTTP__BODY_LIMIT_BYTES", "2048")]).await;
    let url = server.url("/api/v1/auth/register");
    let send = |body: String, content_type: &'static str| {
        let request = server
            .http
            .post(url.clone())
            .header("content-type", content_type)
            .body(body);
        async move { json_of(request.send().await.unwrap()).await }
    };
    assert_error(
        &send("{\"username\": ".into(), "application/json").await,
        400,
        "invalid_json",
        None,
    );
    assert_error(
        &send("not json".into(), "application/json").await,
        400,
        "invalid_json",
        None,
    );
    assert_error(
        &send("{}".into(), "text/plain").await,
        415,
        "unsupported_media_type",
        None,
    );
    // strict JSON: one object per body, nothing after it
    let account = json!({"username": "strict", "password": PASSWORD}).to_string();
    assert_error(
        &send(format!("{account} {account} x"), "application/json").await,
        400,
        "invalid_json",
        None,
    );
    assert_error(
        &send(format!("{account} {{}}"), "application/json").await,
        400,
        "invalid_json",
        None,
    );
    assert_error(
        &send(json!(["strict", PASSWORD]).to_string(), "application/json").await,
        422,
        "validation_failed",
        None,
    );
    assert_error(
        &send("\"strict\"".into(), "application/json").await,
        422,
        "validation_failed",
        None,
    );
    let big = json!({"username": "big", "password": "x".repeat(4096)}).to_string();
    assert_error(&send(big, "application/json").await, 413, "payload_too_large", None);
    // a body just under the limit is fine
    let (status, _) = send(
        json!({"username": "fits", "password": PASSWORD}).to_string(),
        "application/json",
    )
    .await;
    assert_eq!(status, 201);

    // a route may hold a tighter limit of its own: message writes take at most 64 KiB
    let server = start(stack).await;
    let ann = server.register("ann").await;
    let bob = server.register("bob").await;
    let chat = crate::direct(&server, &ann, &bob).await;
    let text = "x".repeat(100 * 1024);
    let message = server
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ann.access_token),
            json!({ "text": text }),
        )
        .await;
    assert_error(&message, 413, "payload_too_large", None);
    let profile = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            Some(&ann.access_token),
            Some(json!({ "bio": text })),
        )
        .await;
    assert_error(&profile, 422, "validation_failed", Some("bio"));

    assert_error(&server.get("/api/v1/nothing-here", None).await, 404, "not_found", None);
    assert_error(
        &server.request("DELETE", "/api/v1/auth/login", None, None).await,
        405,
        "method_not_allowed",
        None,
    );

    // every response carries a request id; a client's own id is kept
    let response = server
        .http
        .get(server.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let response = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"].len(), 36);
}

async fn health_metrics_and_docs(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_HTTP__CORS_ORIGINS", "https://app.example")]).await;
    let (status, health) = server.get("/healthz", None).await;
    assert_eq!((status.as_u16(), health["status"].as_str()), (200, Some("ok")));
    let (status, ready) = server.get("/readyz", None).await;
    assert_eq!((status.as_u16(), ready["status"].as_str()), (200, Some("ready")));

    server.register("metric_user").await;
    // metrics answer on their own listener only: the public port does not describe the traffic
    let (status, _) = server.get("/metrics", None).await;
    assert_eq!(status.as_u16(), 404);
    let metrics = server.metrics().await;
    assert!(
        metrics.lines().any(|l| l.starts_with("http_requests_total{")
            && l.contains("route=\"/api/v1/auth/register\"")
            && l.contains("status=\"201\"")),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket{"), "{metrics}");
    assert!(
        metrics.contains("store_write_queue_depth{module=\"auth\"}"),
        "{metrics}"
    );
    if stack == Stack::Embedded {
        assert!(
            metrics.contains("store_write_batch_size_count{module=\"auth\"}"),
            "{metrics}"
        );
    }

    let (status, spec) = server.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(spec["openapi"], "3.1.0");
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/users/me",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing from the spec");
    }
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
    // the tags come from the modules, each with its description
    let tags: Vec<&str> = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        [
            "auth",
            "users",
            "chats",
            "messages",
            "realtime",
            "files",
            "notify",
            "bots",
            "automation",
            "admin"
        ]
    );
    assert!(spec["tags"][1]["description"].as_str().unwrap().contains("Profiles"));
    assert!(spec["components"]["schemas"]["ErrorBody"].is_object());
    // Generated clients name their functions after operationIds: each must be unique.
    let mut operation_ids: Vec<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let count = operation_ids.len();
    operation_ids.sort_unstable();
    operation_ids.dedup();
    assert_eq!(operation_ids.len(), count, "duplicate operationIds in the spec");
    let docs = server.http.get(server.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));

    // CORS: the configured origin may call, others get no CORS grant
    let allowed = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/users/me"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    let denied = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/users/me"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(denied.headers().get("access-control-allow-origin").is_none());
}
