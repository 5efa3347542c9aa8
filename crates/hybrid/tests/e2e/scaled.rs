//! Several processes of one scaled deployment (PostgreSQL + NATS + Redis): the outbox relay
//! across a crash, live delivery between processes, and the presence, throttles and
//! revocations they share.

use std::time::Duration;

use hybrid_testkit::{Stack, TestServer, WsClient, assert_error};
use serde_json::{Value, json};

use crate::{BIN, direct, send};

/// Runs SQL against a scaled server's database with `psql`; returns the output rows.
async fn psql(server: &TestServer, sql: &str) -> String {
    let output = tokio::process::Command::new("psql")
        .args([
            server.database_url().as_str(),
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .await
        .expect("psql runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

async fn count(server: &TestServer, sql: &str) -> u64 {
    psql(server, sql).await.parse().expect("a count")
}

/// Polls until `token` is refused as signed out, failing after `limit`.
async fn assert_refused_within(server: &TestServer, token: &str, limit: Duration) {
    let started = std::time::Instant::now();
    loop {
        let response = server.get("/api/v1/users/me", Some(token)).await;
        if response.0 == 401 {
            assert_error(&response, 401, "session_revoked", None);
            return;
        }
        assert!(
            started.elapsed() < limit,
            "the revoked token still works after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Frames of `kind` among what arrives within a short while.
async fn events_of(ws: &mut WsClient, kind: &str) -> Vec<Value> {
    ws.drain(Duration::from_millis(600))
        .await
        .into_iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_before_a_crash_are_relayed_once() {
    // Process a commits but does not relay; process b holds the socket and does not relay either.
    let relay_off = [("HYBRID_CHATS__RELAY_EVENTS", "false")];
    let mut a = TestServer::start_with(BIN, Stack::Scaled, &relay_off).await;
    let b = a.start_peer(&relay_off).await;
    let ann = a.register("ann").await;
    let ben = a.register("ben").await;
    let chat = direct(&a, &ann, &ben).await;
    let mut ben_ws = b.ws(&ben).await;

    send(&a, &ann, chat, "before the crash").await;
    assert!(
        events_of(&mut ben_ws, "message.new").await.is_empty(),
        "nothing relays yet"
    );
    assert!(count(&a, "SELECT count(*) FROM chats.outbox").await > 0);

    // SIGKILL after the commit, before any relay; the restarted process relays.
    a.kill().await;
    a.set_env("HYBRID_CHATS__RELAY_EVENTS", "true");
    a.resume().await;
    let event = ben_ws.next_event("message.new").await;
    assert_eq!(event["data"]["text"], "before the crash");
    let pts = event["pts"].as_i64().unwrap();

    // A relay that dies after publishing and before moving the row to the stream (one
    // transaction) publishes it again: put the row back as it was.
    psql(
        &a,
        &format!(
            "DELETE FROM chats.stream WHERE topic = 0 AND key = {chat} AND pts = {pts}; \
             INSERT INTO chats.outbox (topic, key, pts) VALUES (0, {chat}, {pts})"
        ),
    )
    .await;
    send(&a, &ann, chat, "after the crash").await;
    let next = ben_ws.next_event("message.new").await;
    assert_eq!(next["data"]["text"], "after the crash");
    assert_eq!(next["pts"].as_i64(), Some(pts + 1), "in order, nothing in between");
    assert!(events_of(&mut ben_ws, "message.new").await.is_empty(), "no duplicate");

    // Every relayed event is stored once in JetStream, the repeat included.
    for _ in 0..50 {
        if count(&a, "SELECT count(*) FROM chats.outbox").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&a, "SELECT count(*) FROM chats.outbox").await, 0);
    // and enters the stream of durable consumers once
    let repeats = "SELECT count(*) - count(DISTINCT (topic, key, pts)) FROM chats.stream";
    assert_eq!(count(&a, repeats).await, 0);
    let logged = count(
        &a,
        "SELECT (SELECT count(*) FROM chats.events) + (SELECT count(*) FROM chats.user_events)",
    )
    .await;
    let scaled = a.scaled().unwrap();
    let nats = async_nats::connect(scaled.nats_url.as_str()).await.unwrap();
    let mut stream = async_nats::jetstream::new(nats)
        .get_stream(scaled.stream_name())
        .await
        .unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, logged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_share_delivery_presence_throttles_and_revocations() {
    let strict = [("HYBRID_AUTH__LOGIN_MAX_FAILURES_PER_ACCOUNT", "2")];
    let a = TestServer::start_with(BIN, Stack::Scaled, &strict).await;
    let b = a.start_peer(&[]).await;
    let cat = a.register("cat").await;
    let dan = b.register("dan").await;
    let chat = direct(&a, &cat, &dan).await;
    send(&a, &cat, chat, "hi").await;
    send(&b, &dan, chat, "hey").await;

    // Presence: cat is online on a; dan, connecting to b, is told so.
    let mut cat_ws = a.ws(&cat).await;
    let mut dan_ws = b.ws(&dan).await;
    let online = dan_ws.next_of_type("presence").await;
    assert_eq!(
        (online["user_id"].as_i64(), online["online"].as_bool()),
        (Some(cat.id), Some(true))
    );
    let dan_online = cat_ws.next_of_type("presence").await;
    assert_eq!(dan_online["user_id"].as_i64(), Some(dan.id));

    // Live both ways, and typing, across processes.
    send(&a, &cat, chat, "from a").await;
    // (the earlier messages' events may still be on their way: wait for this one)
    let from_a = dan_ws
        .next_where(|f| f["kind"] == "message.new" && f["data"]["text"] == "from a")
        .await;
    assert_eq!(from_a["chat_id"].as_i64(), Some(chat));
    send(&b, &dan, chat, "from b").await;
    let from_b = cat_ws
        .next_where(|f| f["kind"] == "message.new" && f["data"]["text"] == "from b")
        .await;
    assert_eq!(from_b["chat_id"].as_i64(), Some(chat));
    let (status, _) = b
        .post(
            &format!("/api/v1/chats/{chat}/typing"),
            Some(&dan.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(cat_ws.next_of_type("typing").await["user_id"].as_i64(), Some(dan.id));

    cat_ws.close().await;
    let offline = dan_ws.next_of_type("presence").await;
    assert_eq!(
        (offline["user_id"].as_i64(), offline["online"].as_bool()),
        (Some(cat.id), Some(false))
    );

    // Failed logins count together: two on a spend the budget on b too.
    for _ in 0..2 {
        let (status, _) = a.login("cat", "wrong password!", None).await;
        assert_eq!(status, 401);
    }
    assert_error(
        &b.login("cat", "wrong password!", None).await,
        429,
        "too_many_requests",
        None,
    );

    // A session signed out on a stops working on b at once.
    let (status, _) = a.post("/api/v1/auth/logout", Some(&cat.access_token), json!({})).await;
    assert_eq!(status, 204);
    assert_refused_within(&b, &cat.access_token, Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_missed_on_the_bus_still_takes_effect() {
    // Heartbeats every 6 s: the socket's first check after the 10 s reload comes before the
    // unanswered pings (this client reads nothing meanwhile) would close it.
    let server = TestServer::start_with(BIN, Stack::Scaled, &[("HYBRID_REALTIME__HEARTBEAT_MS", "6000")]).await;
    let yan = server.register("yan").await;
    let mut ws = server.ws(&yan).await;
    // Signed out behind the bus's back, as if its message had been lost.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    psql(
        &server,
        &format!(
            "UPDATE auth.sessions SET revoked_at = {now} WHERE id = {}",
            yan.session_id
        ),
    )
    .await;
    assert_refused_within(&server, &yan.access_token, Duration::from_secs(15)).await;
    assert_eq!(ws.close_code().await, Some(hybrid_realtime::close::SESSION_REVOKED));
}

/// A registration that stopped between creating the user and storing its password (a users
/// call whose outcome was unknown, a crash) leaves the name held by a user without credentials.
/// Past the grace a registration still in flight could need, the next one of that name gets it.
#[tokio::test]
async fn a_name_left_by_an_interrupted_registration_is_reclaimed() {
    let server = TestServer::start(BIN, Stack::Scaled).await;
    server.register("kept").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    psql(
        &server,
        &format!(
            "INSERT INTO users.users (username, display_name, bio, created_at, updated_at) VALUES \
             ('ghost', '', '', {old}, {old}), ('fresh', '', '', {now}, {now})",
            old = now - 60_000
        ),
    )
    .await;
    let ghost = count(&server, "SELECT id FROM users.users WHERE username = 'ghost'").await;
    let register = |username: &str| {
        server.post(
            "/api/v1/auth/register",
            None,
            json!({"username": username, "password": hybrid_testkit::PASSWORD}),
        )
    };
    let (status, body) = register("ghost").await;
    assert_eq!(status, 201, "{body}");
    assert_ne!(
        body["user"]["id"].as_u64(),
        Some(ghost),
        "a new user, not the half-made one"
    );
    let (status, _) = server.login("ghost", hybrid_testkit::PASSWORD, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        count(&server, "SELECT count(*) FROM users.users WHERE username = 'ghost'").await,
        1
    );
    // too recent to be told from a registration still completing: retry later, name kept
    assert_error(&register("fresh").await, 503, "unavailable", None);
    assert_eq!(
        count(&server, "SELECT count(*) FROM users.users WHERE username = 'fresh'").await,
        1
    );
    // a name with an account behind it stays taken
    assert_error(&register("kept").await, 409, "username_taken", Some("username"));
}
