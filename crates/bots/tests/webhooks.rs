//! Bots' webhooks end to end, on both stacks, against a local receiver: updates POSTed with
//! the bot's secret token in `X-Telegram-Bot-Api-Secret-Token`, the queue emptied as they are
//! delivered, getUpdates refused meanwhile, a failing receiver's error in getWebhookInfo, and
//! deleteWebhook giving the waiting updates back to getUpdates.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use hybrid_testkit::{Stack, TestServer, hybrid_binary, stack_tests, until};
use serde_json::{Value, json};

mod support;
use support::{assert_bot_error, call, direct_chat, make_bot, ok, say, updates};

stack_tests!(updates_reach_a_bots_webhook);

/// What the receiver got: (path, secret header, body).
type Received = Arc<Mutex<Vec<(String, String, Value)>>>;

/// A receiver on 127.0.0.1: `/ok` answers 200, `/down` 500.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/{state}",
            axum::routing::post(
                |State(received): State<Received>, Path(state): Path<String>, headers: HeaderMap, body: String| async move {
                    let secret = headers
                        .get("x-telegram-bot-api-secret-token")
                        .map_or("", |v| v.to_str().unwrap_or(""))
                        .to_owned();
                    let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                    received.lock().unwrap().push((format!("/{state}"), secret, body));
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

/// The bodies the receiver got at `path` with `secret`, once there are `count`.
async fn bodies(received: &Received, path: &str, secret: &str, count: usize) -> Vec<Value> {
    until(&format!("{count} deliveries to {path}"), || async {
        let got: Vec<Value> = received
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, s, _)| p == path && s == secret)
            .map(|(_, _, body)| body.clone())
            .collect();
        (got.len() >= count).then_some(got)
    })
    .await
}

async fn updates_reach_a_bots_webhook(stack: Stack) {
    let env = [
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
        ("HYBRID_JOBS__BACKOFF_BASE_MS", "5"),
        ("HYBRID_JOBS__BACKOFF_MAX_MS", "10"),
    ];
    let server = TestServer::start_with(&hybrid_binary(), stack, &env).await;
    let (origin, received) = receiver().await;
    let amy = server.register("amy").await;
    let (bot_id, token) = make_bot(&server, &amy, "hook_bot", "Hook").await;
    let dm = direct_chat(&server, &amy, bot_id).await;
    // an update waiting from before is delivered when the webhook is set
    say(&server, &amy, dm, "before").await;
    updates(&server, &token, 0, 1).await;
    assert_bot_error(
        &call(&server, &token, "setWebhook", json!({"url": "ftp://example.com/x"})).await,
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    );
    assert_bot_error(
        &call(
            &server,
            &token,
            "setWebhook",
            json!({"url": format!("{origin}/ok"), "secret_token": "no spaces"}),
        )
        .await,
        400,
        "Bad Request: secret token contains unallowed characters",
    );
    let set = json!({"url": format!("{origin}/ok"), "secret_token": "s3cret_Token-1", "allowed_updates": ["message"]});
    assert_eq!(ok(&server, &token, "setWebhook", set).await, true);
    say(&server, &amy, dm, "after").await;
    let got = bodies(&received, "/ok", "s3cret_Token-1", 2).await;
    let texts: Vec<&str> = got.iter().map(|b| b["message"]["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 2, "{got:?}");
    assert!(texts.contains(&"before") && texts.contains(&"after"), "{got:?}");
    assert!(
        got.iter()
            .all(|b| b["update_id"].as_i64().is_some() && b["message"]["chat"]["id"] == amy.id)
    );
    // delivered updates leave the queue; getUpdates is refused while the webhook is set
    let info = until("the queue to empty", || async {
        let info = ok(&server, &token, "getWebhookInfo", json!({})).await;
        (info["pending_update_count"] == 0).then_some(info)
    })
    .await;
    assert_eq!(info["url"], format!("{origin}/ok"));
    assert_eq!(info["allowed_updates"], json!(["message"]));
    assert!(info.get("last_error_date").is_none(), "{info}");
    assert_bot_error(
        &call(&server, &token, "getUpdates", json!({})).await,
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );

    // a receiver that fails: the error shows, the update waits
    ok(&server, &token, "setWebhook", json!({"url": format!("{origin}/down")})).await;
    say(&server, &amy, dm, "lost?").await;
    let info = until("the failure in getWebhookInfo", || async {
        let info = ok(&server, &token, "getWebhookInfo", json!({})).await;
        info.get("last_error_message").is_some().then_some(info)
    })
    .await;
    assert_eq!(info["last_error_message"], "the receiver answered 500", "{info}");
    assert!(info["last_error_date"].as_i64().unwrap() > 1_600_000_000);
    assert_eq!(info["pending_update_count"], 1);
    // no secret: no header
    let down = bodies(&received, "/down", "", 1).await;
    assert_eq!(down[0]["message"]["text"], "lost?");
    // deleteWebhook: getUpdates gets what waits
    assert_eq!(ok(&server, &token, "deleteWebhook", json!({})).await, true);
    let waiting = until("all attempts on the failing receiver to end", || async {
        let list = ok(&server, &token, "getUpdates", json!({})).await;
        (list.as_array().unwrap().len() == 1).then_some(list)
    })
    .await;
    assert_eq!(waiting[0]["message"]["text"], "lost?");
    let info = ok(&server, &token, "getWebhookInfo", json!({})).await;
    assert_eq!(info["url"], "");
}
