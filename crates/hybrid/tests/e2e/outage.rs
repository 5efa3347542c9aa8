//! Backends going away and coming back: the test runs its own PostgreSQL, NATS and Redis,
//! stops each in turn under a running server, and checks `/readyz`, the errors requests get,
//! that nothing acknowledged is lost, and that the server recovers by itself.

use std::time::Duration;

use hybrid_testkit::{OwnServer, Scaled, TestServer, WsClient};
use serde_json::{Value, json};

use crate::{BIN, direct};

async fn wait_ready(server: &TestServer, ready: bool) -> (u16, Value) {
    let mut last = (0, Value::Null);
    for _ in 0..150 {
        let (status, body) = server.get("/readyz", None).await;
        last = (status.as_u16(), body);
        if (last.0 == 200) == ready {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "readyz did not become {}: {last:?}",
        if ready { "ready" } else { "unready" }
    );
}

async fn send(server: &TestServer, token: &str, chat: i64, text: &str) -> (u16, Value) {
    let (status, body) = server
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(token),
            json!({"text": text}),
        )
        .await;
    (status.as_u16(), body)
}

fn assert_unavailable(response: &(u16, Value), mentions: &str) {
    assert_eq!(response.0, 503, "{response:?}");
    assert_eq!(response.1["error"]["code"], "unavailable", "{response:?}");
    let message = response.1["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(mentions), "{message:?} should mention {mentions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backends_down_and_back() {
    let (mut postgres, mut nats, mut redis) = (OwnServer::postgres(), OwnServer::nats(), OwnServer::redis());
    let scaled = Scaled::on(postgres.url(), nats.url(), redis.url());
    let server = TestServer::start_scaled(BIN, scaled, &[]).await;
    let eve = server.register("eve").await;
    let fay = server.register("fay").await;
    let chat = direct(&server, &eve, &fay).await;
    let mut acknowledged = Vec::new();
    let (status, _) = send(&server, &eve.access_token, chat, "m0").await;
    assert_eq!(status, 201);
    acknowledged.push("m0".to_owned());
    wait_ready(&server, true).await;

    // Redis down: attempt budgets cannot be counted, so logins and sends are refused clearly.
    redis.stop();
    assert_unavailable(&wait_ready(&server, false).await, "Redis");
    let login = server.login("eve", hybrid_testkit::PASSWORD, None).await;
    assert_unavailable(&(login.0.as_u16(), login.1), "Redis");
    assert_unavailable(&send(&server, &eve.access_token, chat, "lost?").await, "Redis");
    redis.start();
    wait_ready(&server, true).await;
    let (status, _) = server.login("eve", hybrid_testkit::PASSWORD, None).await;
    assert_eq!(status, 200);
    assert_eq!(send(&server, &eve.access_token, chat, "m1").await.0, 201);
    acknowledged.push("m1".to_owned());

    // NATS down: writes still commit (their events wait in the outbox); live sockets are told
    // to resync once NATS is back, and the relay delivers what waited.
    let mut fay_ws: WsClient = server.ws(&fay).await;
    nats.stop();
    assert_unavailable(&wait_ready(&server, false).await, "NATS");
    assert_eq!(send(&server, &eve.access_token, chat, "m2").await.0, 201);
    acknowledged.push("m2".to_owned());
    nats.start();
    wait_ready(&server, true).await;
    assert_eq!(fay_ws.close_code().await, Some(hybrid_realtime::close::RESYNC));
    let mut fay_ws = server.ws(&fay).await;
    assert_eq!(send(&server, &eve.access_token, chat, "m3").await.0, 201);
    acknowledged.push("m3".to_owned());
    let live = fay_ws
        .next_where(|f| f["kind"] == "message.new" && f["data"]["text"] == "m3")
        .await;
    assert_eq!(live["chat_id"].as_i64(), Some(chat));

    // PostgreSQL down: requests get 503 from the database, nothing half-done.
    postgres.stop();
    assert_unavailable(&wait_ready(&server, false).await, "database");
    assert_unavailable(&send(&server, &eve.access_token, chat, "lost?").await, "database");
    let (status, body) = server.get("/api/v1/chats", Some(&eve.access_token)).await;
    assert_unavailable(&(status.as_u16(), body), "database");
    postgres.start();
    wait_ready(&server, true).await;
    assert_eq!(send(&server, &eve.access_token, chat, "m4").await.0, 201);
    acknowledged.push("m4".to_owned());

    // Everything acknowledged is there, once, in order; nothing refused slipped in.
    let (status, history) = server
        .get(
            &format!("/api/v1/chats/{chat}/messages?limit=50"),
            Some(&fay.access_token),
        )
        .await;
    assert_eq!(status, 200, "{history}");
    let mut texts: Vec<String> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    texts.sort_by_key(|t| acknowledged.iter().position(|a| a == t));
    assert_eq!(texts, acknowledged);
}
