//! Outgoing webhooks end to end, on both stacks, against a local receiver: a user's new
//! entries (all, or one chat's) arrive signed (the signature checked with Python's hmac, an
//! implementation that shares no code with Hybrid's), withdrawn ones as
//! `notification.removed`; the delivery log; a hook that keeps failing is disabled and turned
//! on again; the errors and someone else's hook.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, hybrid_binary, run_python, stack_tests, until};
use serde_json::{Value, json};

mod support;
use support::{group, say};

stack_tests!(entries_reach_a_users_webhooks_signed, a_failing_webhook_is_disabled);

/// What the receiver got: (path, signature, event header, body).
type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A receiver on 127.0.0.1: `/ok/…` answers 200, `/down/…` 500.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/{state}/{name}",
            axum::routing::post(
                |State(received): State<Received>,
                 Path((state, name)): Path<(String, String)>,
                 headers: HeaderMap,
                 body: String| async move {
                    let header = |name: &str| headers.get(name).map_or("", |v| v.to_str().unwrap_or("")).to_owned();
                    let path = format!("/{state}/{name}");
                    let seen = (path, header("x-hybrid-signature"), header("x-hybrid-event"), body);
                    received.lock().unwrap().push(seen);
                    if state == "ok" {
                        StatusCode::OK
                    } else {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (origin, received)
}

/// Hybrid, allowed to reach the local receiver, retrying fast (12 attempts in well under a
/// second, so a failing delivery fails for good at once).
async fn start(stack: Stack) -> TestServer {
    let env = [
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
        ("HYBRID_JOBS__BACKOFF_BASE_MS", "5"),
        ("HYBRID_JOBS__BACKOFF_MAX_MS", "10"),
    ];
    TestServer::start_with(&hybrid_binary(), stack, &env).await
}

/// Whether `signature` (`t=…,v1=…`) signs `body` with `secret`, by Python's hmac.
fn signed_by(secret: &str, signature: &str, body: &str) -> bool {
    let check = "import hmac, hashlib, json, sys\n\
                 i = json.load(sys.stdin)\n\
                 parts = dict(p.split('=', 1) for p in i['signature'].split(','))\n\
                 mac = hmac.new(i['secret'].encode(), (parts['t'] + '.' + i['body']).encode(), hashlib.sha256)\n\
                 print(json.dumps(hmac.compare_digest(mac.hexdigest(), parts['v1'])))";
    let input = json!({"secret": secret, "signature": signature, "body": body});
    run_python(check, &input) == json!(true)
}

/// Waits until `user`'s list holds `count` entries (being added to chats, before the hooks).
async fn listed(server: &TestServer, user: &TestUser, count: usize) {
    until(&format!("{count} entries"), || async {
        let (_, page) = server.get("/api/v1/notifications", Some(&user.access_token)).await;
        (page["items"].as_array()?.len() == count).then_some(())
    })
    .await;
}

async fn add_hook(server: &TestServer, user: &TestUser, body: Value) -> Value {
    let (status, hook) = server
        .post("/api/v1/notifications/webhooks", Some(&user.access_token), body)
        .await;
    assert_eq!(status, 201, "{hook}");
    hook
}

/// The deliveries to `path` so far, as (event, body).
fn to(received: &Received, path: &str) -> Vec<(String, Value)> {
    let all = received.lock().unwrap().clone();
    all.into_iter()
        .filter(|(p, ..)| p == path)
        .map(|(_, _, event, body)| (event, serde_json::from_str(&body).unwrap()))
        .collect()
}

async fn entries_reach_a_users_webhooks_signed(stack: Stack) {
    let (origin, received) = receiver().await;
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let token = Some(bob.access_token.as_str());
    let team = group(&server, &amy, "Team", &[&bob]).await;
    let book = group(&server, &amy, "Book club", &[&bob]).await;
    listed(&server, &bob, 2).await;
    let all = add_hook(&server, &bob, json!({"url": format!("{origin}/ok/all")})).await;
    let secret = all["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{all}");
    let only_book = add_hook(
        &server,
        &bob,
        json!({"url": format!("{origin}/ok/book"), "chat_id": book}),
    )
    .await;
    assert_eq!(only_book["chat_id"], book);
    // the secret is shown once
    let (_, hooks) = server.get("/api/v1/notifications/webhooks", token).await;
    assert_eq!(hooks.as_array().unwrap().len(), 2);
    assert!(hooks[0].get("secret").is_none(), "{hooks}");

    let seq = say(&server, &amy, team, "@bob standup?").await;
    say(&server, &amy, book, "@bob chapter 3").await;
    until("three deliveries", || async {
        (received.lock().unwrap().len() >= 3).then_some(())
    })
    .await;
    // deliveries run side by side: in entry order for the checks
    let mut got = to(&received, "/ok/all");
    got.sort_by_key(|(_, body)| body["notification"]["id"].as_i64());
    assert_eq!(got.len(), 2, "{got:?}");
    let (event, body) = &got[0];
    assert_eq!(event, "notification.new");
    assert_eq!(
        (&body["event"], &body["user_id"], &body["notification"]["kind"]),
        (&json!("notification.new"), &json!(bob.id), &json!("mention"))
    );
    assert_eq!(
        (
            &body["notification"]["chat_id"],
            &body["notification"]["seq"],
            &body["notification"]["preview"]
        ),
        (&json!(team), &json!(seq), &json!("@bob standup?"))
    );
    let book_only = to(&received, "/ok/book");
    assert_eq!(book_only.len(), 1, "only the book club's: {book_only:?}");
    assert_eq!(book_only[0].1["notification"]["preview"], "@bob chapter 3");
    for (path, signature, _, body) in received.lock().unwrap().clone() {
        if path == "/ok/all" {
            assert!(signed_by(&secret, &signature, &body), "{signature} {body}");
            assert!(!signed_by("whsec_other", &signature, &body));
        }
    }

    // a deleted message's entry is withdrawn
    let team_entry = got[0].1["notification"]["id"].clone();
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{team}/messages/{seq}"),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let removed = until("the removal", || async {
        to(&received, "/ok/all")
            .into_iter()
            .find(|(event, _)| event == "notification.removed")
    })
    .await;
    assert_eq!(
        (&removed.1["chat_id"], &removed.1["ids"]),
        (&json!(team), &json!([team_entry]))
    );
    assert!(
        to(&received, "/ok/book").len() == 1,
        "another chat's removal is not the book hook's"
    );

    // the delivery log, a page at a time
    let log_path = format!("/api/v1/notifications/webhooks/{}/deliveries?limit=2", all["id"]);
    // the receiver has it; its answer is recorded just after
    let log = until("the removal recorded as delivered", || async {
        let (status, log) = server.get(&log_path, token).await;
        assert_eq!(status, 200, "{log}");
        (log["items"][0]["state"] != "pending").then_some(log)
    })
    .await;
    let newest = &log["items"][0];
    assert_eq!(
        (&newest["event"], &newest["state"]),
        (&json!("notification.removed"), &json!("delivered"))
    );
    assert_eq!(newest["attempts"][0]["status"], 200);
    let cursor = log["next_cursor"].as_str().unwrap();
    let (_, rest) = server.get(&format!("{log_path}&cursor={cursor}"), token).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");

    // someone else's hook, bad input
    let amys = Some(amy.access_token.as_str());
    let (status, _) = server.get(&log_path, amys).await;
    assert_eq!(status, 404);
    let path = format!("/api/v1/notifications/webhooks/{}", all["id"]);
    assert_error(
        &server.request("DELETE", &path, amys, None).await,
        404,
        "not_found",
        None,
    );
    let hooks = "/api/v1/notifications/webhooks";
    let refused = server.post(hooks, token, json!({"url": "ftp://example.com"})).await;
    assert_error(&refused, 422, "validation_failed", Some("url"));
    let outsider = server.register("cyd").await;
    let refused = server
        .post(
            hooks,
            Some(&outsider.access_token),
            json!({"url": "https://example.com/h", "chat_id": team}),
        )
        .await;
    assert_error(&refused, 404, "not_found", None);
    for n in 2..10 {
        add_hook(&server, &bob, json!({"url": format!("https://example.com/{n}")})).await;
    }
    let refused = server
        .post(hooks, token, json!({"url": "https://example.com/11"}))
        .await;
    assert_error(&refused, 409, "too_many_webhooks", None);
    let (status, _) = server.request("DELETE", &path, token, None).await;
    assert_eq!(status, 204);
    assert_error(&server.get(hooks, None).await, 401, "unauthorized", None);
}

async fn a_failing_webhook_is_disabled(stack: Stack) {
    let (origin, received) = receiver().await;
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let token = Some(bob.access_token.as_str());
    let team = group(&server, &amy, "Team", &[&bob]).await;
    listed(&server, &bob, 1).await;
    let hook = add_hook(&server, &bob, json!({"url": format!("{origin}/down/bob")})).await;
    let hooks = "/api/v1/notifications/webhooks";
    // three mentions: three deliveries, each failing every attempt
    for n in 1..=3 {
        say(&server, &amy, team, &format!("@bob ping {n}")).await;
    }
    let disabled = until("the hook disabled", || async {
        let (_, list) = server.get(hooks, token).await;
        let first = list.as_array()?.first()?.clone();
        first.get("disabled_at").is_some().then_some(first)
    })
    .await;
    assert_eq!(disabled["failures"], 3, "{disabled}");
    let log = format!("{hooks}/{}/deliveries", hook["id"]);
    let (_, page) = server.get(&log, token).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .all(|d| d["state"] == "failed" && d["attempts"].as_array().unwrap().len() == 12),
        "{page}"
    );
    assert_eq!(items[0]["attempts"][0]["status"], 500);

    // disabled: nothing more is sent; turned on again, it is
    let before = received.lock().unwrap().len();
    say(&server, &amy, team, "@bob while off").await;
    until("the entry", || async {
        let (_, page) = server.get("/api/v1/notifications", token).await;
        (page["items"][0]["preview"] == "@bob while off").then_some(())
    })
    .await;
    let (_, page) = server.get(&log, token).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "no delivery while off");
    let (status, on) = server
        .post(&format!("{hooks}/{}/enable", hook["id"]), token, json!({}))
        .await;
    assert_eq!(status, 200, "{on}");
    assert_eq!((&on["failures"], on.get("disabled_at")), (&json!(0), None));
    assert_eq!(received.lock().unwrap().len(), before, "nothing went while it was off");
    say(&server, &amy, team, "@bob back on").await;
    until("a delivery again", || async {
        (received.lock().unwrap().len() > before).then_some(())
    })
    .await;
    let (status, _) = server.post(&format!("{hooks}/999999/enable"), token, json!({})).await;
    assert_eq!(status, 404);
}
