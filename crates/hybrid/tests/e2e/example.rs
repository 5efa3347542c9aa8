//! The service kit, driven through the test-only example service (`crates/example`, started
//! with `--services all,example`): a durable consumer of the chats' events across a SIGKILL, a
//! worker that panics, posts with attachments through the chats API, frames to sockets, and
//! the same pieces with the example in a process of its own, reached over gRPC, and a
//! background job run by the module kit.

use std::time::Duration;

use hybrid_core::{InternalApis, Module};
use hybrid_example::{ExampleModule, Tally};
use hybrid_testkit::{
    Api, PASSWORD, Scaled, Stack, TestServer, TestUser, assert_error, free_port, stack_tests, until, user_from,
};
use serde_json::{Value, json};

use crate::{BIN, create_user_by_cli, direct, send, start_with};

stack_tests!(
    chat_events_are_consumed_once_across_a_kill,
    a_worker_that_panics_is_restarted_and_reported,
    services_post_cards_and_send_frames,
    missed_notices_come_back_with_sync,
    a_delayed_notice_is_a_job_that_survives_a_kill,
    administrators_list_retry_and_cancel_jobs
);

const WITH_EXAMPLE: (&str, &str) = ("HYBRID_SERVICES", "all,example");

/// The pts of the chat events the example has seen for `chat`, in position order.
async fn seen_of_chat(api: &Api, user: &TestUser, chat: i64) -> Vec<i64> {
    let (status, seen) = api.get("/api/v1/example/seen", Some(&user.access_token)).await;
    assert_eq!(status, 200, "{seen}");
    let rows = seen.as_array().unwrap();
    let positions: Vec<i64> = rows.iter().map(|r| r["position"].as_i64().unwrap()).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions repeat or go back: {positions:?}"
    );
    rows.iter()
        .filter(|r| r["namespace"] == "chat" && r["topic_id"] == chat)
        .map(|r| r["pts"].as_i64().unwrap())
        .collect()
}

async fn chat_pts(api: &Api, user: &TestUser, chat: i64) -> i64 {
    let (status, info) = api
        .get(&format!("/api/v1/chats/{chat}"), Some(&user.access_token))
        .await;
    assert_eq!(status, 200, "{info}");
    info["pts"].as_i64().unwrap()
}

/// Every event of the chat reaches the consumer exactly once, though the process is killed
/// with events not yet consumed.
async fn chat_events_are_consumed_once_across_a_kill(stack: Stack) {
    let mut server = start_with(stack, &[WITH_EXAMPLE]).await;
    let ann = server.register("ann").await;
    let bob = server.register("bob").await;
    let chat = direct(&server, &ann, &bob).await;
    for i in 0..5 {
        send(&server, &ann, chat, &format!("before {i}")).await;
    }
    server.kill().await;
    server.resume().await;
    for i in 0..5 {
        send(&server, &bob, chat, &format!("after {i}")).await;
    }
    let pts = chat_pts(&server, &ann, chat).await;
    assert!(pts >= 10, "{pts}");
    let seen = until("the consumer to catch up", || async {
        let seen = seen_of_chat(&server, &ann, chat).await;
        (seen.len() as i64 >= pts).then_some(seen)
    })
    .await;
    assert_eq!(seen, (1..=pts).collect::<Vec<_>>(), "every event once, in order");
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("stream_consumer_lag{consumer=\"chat-events\"} 0"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("stream_"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

async fn a_worker_that_panics_is_restarted_and_reported(stack: Stack) {
    let server = start_with(stack, &[WITH_EXAMPLE]).await;
    let ann = server.register("ann").await;
    let (status, _) = server.get("/readyz", None).await;
    assert_eq!(status, 200);
    let (status, body) = server
        .post("/api/v1/example/panic", Some(&ann.access_token), json!({"times": 3}))
        .await;
    assert_eq!(status, 204, "{body}");
    let unready = until("/readyz to report the worker", || async {
        let (status, body) = server.get("/readyz", None).await;
        (status == 503).then_some(body)
    })
    .await;
    let message = unready["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("the example.flaky worker keeps failing") && message.contains("asked to panic"),
        "{message}"
    );
    let restarts = until("three restarts in /metrics", || async {
        let metrics = server.metrics().await;
        metrics
            .lines()
            .find(|l| l.starts_with("worker_restarts_total{worker=\"example.flaky\"}"))
            .filter(|l| l.ends_with(" 3"))
            .map(str::to_owned)
    })
    .await;
    assert!(restarts.ends_with(" 3"), "{restarts}");
    // the fourth run stays up: no more restarts
    let (status, _) = server.get("/api/v1/example/seen", Some(&ann.access_token)).await;
    assert_eq!(status, 200);
}

/// The cards of a chat's messages, by seq, from the history `user` reads.
async fn history(api: &Api, user: &TestUser, chat: i64) -> Vec<Value> {
    let (status, page) = api
        .get(
            &format!("/api/v1/chats/{chat}/messages?limit=50"),
            Some(&user.access_token),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["messages"].as_array().unwrap().clone()
}

async fn services_post_cards_and_send_frames(stack: Stack) {
    let server = start_with(stack, &[WITH_EXAMPLE]).await;
    let ann = server.register("ann").await;
    let bob = server.register("bob").await;
    let carl = server.register("carl").await;
    let chat = direct(&server, &ann, &bob).await;
    let mut bob_ws = server.ws(&bob).await;
    let mut ann_ws = server.ws(&ann).await;

    // a frame of another service reaches the caller's sockets through realtime
    let (status, _) = server
        .post(
            "/api/v1/example/notice",
            Some(&ann.access_token),
            json!({"text": "hello"}),
        )
        .await;
    assert_eq!(status, 204);
    let notice = ann_ws.next_of_type("example.notice").await;
    assert_eq!(notice["text"], "hello");

    // a card posted on ann's behalf, once however often it is asked
    let card = json!({"chat_id": chat, "key": "k1", "title": "Quarterly plan"});
    let (status, first) = server
        .post("/api/v1/example/cards", Some(&ann.access_token), card.clone())
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["created"], true);
    let seq = first["seq"].as_i64().unwrap();
    let (_, again) = server
        .post("/api/v1/example/cards", Some(&ann.access_token), card.clone())
        .await;
    assert_eq!(
        (again["created"].clone(), again["seq"].as_i64()),
        (json!(false), Some(seq))
    );
    let new = bob_ws.next_event("message.new").await;
    assert_eq!(new["data"]["attachment"]["object_id"], "k1");
    let messages = history(&server, &bob, chat).await;
    let posted = messages.iter().find(|m| m["seq"] == seq).unwrap();
    assert_eq!(
        posted["attachment"],
        json!({"type": "card", "service": "example", "object_id": "k1", "version": 1,
               "preview": {"title": "Quarterly plan"}})
    );
    assert_eq!(posted["sender_id"], ann.id);
    let (_, found) = server
        .get("/api/v1/search/messages?q=quarterly", Some(&bob.access_token))
        .await;
    assert!(
        found["items"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["seq"] == seq)),
        "search finds the card by its words: {found}"
    );
    let (_, before) = server
        .get(&format!("/api/v1/chats/{chat}"), Some(&bob.access_token))
        .await;

    // two quick updates: members get one event, with the newest version
    let update = |version: i64, title: &str| json!({"chat_id": chat, "key": "k1", "title": title, "version": version});
    let path = format!("/api/v1/example/cards/{seq}");
    for (version, title) in [(2, "Plan B"), (3, "Plan C")] {
        let (status, body) = server
            .request("PUT", &path, Some(&ann.access_token), Some(update(version, title)))
            .await;
        assert_eq!(status, 204, "{body}");
    }
    let stale = server
        .request("PUT", &path, Some(&ann.access_token), Some(update(3, "Plan C")))
        .await;
    assert_error(&stale, 409, "stale_attachment", None);
    let event = bob_ws.next_event("message.attachment").await;
    assert_eq!(event["data"]["attachment"]["version"], 3, "{event}");
    assert_eq!(event["data"]["attachment"]["preview"]["title"], "Plan C");
    let more = bob_ws.drain(Duration::from_millis(1500)).await;
    assert!(
        !more.iter().any(|f| f["kind"] == "message.attachment"),
        "one event for both updates: {more:?}"
    );
    let (_, after) = server
        .get(&format!("/api/v1/chats/{chat}"), Some(&bob.access_token))
        .await;
    assert_eq!(after["unread_count"], before["unread_count"], "updates are not unread");
    assert_eq!(
        after["last_activity_at"], before["last_activity_at"],
        "nor reorder the list"
    );
    assert!(after["pts"].as_i64() > before["pts"].as_i64(), "but they sync");

    // who may see the message, as other services ask
    let visible = |user: i64| format!("/api/v1/example/visible/{user}/{chat}/{seq}");
    let (_, yes) = server.get(&visible(bob.id), Some(&ann.access_token)).await;
    assert_eq!(yes["visible"], true);
    let (_, stranger) = server.get(&visible(carl.id), Some(&ann.access_token)).await;
    assert_eq!(stranger["visible"], false);
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{chat}/messages/{seq}"),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, deleted) = server.get(&visible(bob.id), Some(&ann.access_token)).await;
    assert_eq!(deleted["visible"], false);
    let messages = history(&server, &bob, chat).await;
    let tombstone = messages.iter().find(|m| m["seq"] == seq).unwrap();
    assert!(tombstone["attachment"].is_null(), "{tombstone}");
    let gone = server
        .request("PUT", &path, Some(&ann.access_token), Some(update(4, "Plan D")))
        .await;
    assert_error(&gone, 404, "not_found", None);
}

/// The example's part of `POST /sync`: `sync` with `services` cursors.
async fn sync_example(api: &Api, user: &TestUser, cursor: Option<&str>) -> (reqwest::StatusCode, Value) {
    let services = match cursor {
        Some(cursor) => json!({"example": cursor}),
        None => json!({}),
    };
    api.post("/api/v1/sync", Some(&user.access_token), json!({"services": services}))
        .await
}

fn notice_texts(part: &Value) -> Vec<&str> {
    part["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect()
}

/// What another service keeps for a user comes back with the one sync call a client makes.
async fn missed_notices_come_back_with_sync(stack: Stack) {
    let server = start_with(stack, &[WITH_EXAMPLE]).await;
    let ann = server.register("ann").await;
    let bob = server.register("bob").await;
    for text in ["one", "two"] {
        let (status, _) = server
            .post("/api/v1/example/notice", Some(&ann.access_token), json!({"text": text}))
            .await;
        assert_eq!(status, 204);
    }
    let (status, synced) = sync_example(&server, &ann, None).await;
    assert_eq!(status, 200, "{synced}");
    let part = &synced["services"]["example"];
    assert_eq!(notice_texts(part), ["one", "two"], "{synced}");
    assert_eq!(part["too_long"], false);
    assert!(synced["user_pts"].is_i64(), "the chats' part is there too: {synced}");
    let cursor = part["cursor"].as_str().unwrap().to_owned();
    let (_, again) = sync_example(&server, &ann, Some(&cursor)).await;
    assert!(notice_texts(&again["services"]["example"]).is_empty(), "{again}");
    let (_, theirs) = sync_example(&server, &bob, None).await;
    assert!(
        notice_texts(&theirs["services"]["example"]).is_empty(),
        "only your own: {theirs}"
    );
    server
        .post(
            "/api/v1/example/notice",
            Some(&ann.access_token),
            json!({"text": "three"}),
        )
        .await;
    let (_, later) = sync_example(&server, &ann, Some(&cursor)).await;
    assert_eq!(notice_texts(&later["services"]["example"]), ["three"]);
    let bad = sync_example(&server, &ann, Some("not a cursor")).await;
    assert_error(&bad, 422, "validation_failed", Some("services.example"));
}

/// The example in a process of its own: it reads the chats' events and posts through the chats
/// API over gRPC, and serves its own internal API there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_in_its_own_process_works_over_grpc() {
    let main_grpc = format!("127.0.0.1:{}", free_port());
    let example_grpc = format!("127.0.0.1:{}", free_port());
    let example_url = format!("http://{example_grpc}");
    let main = TestServer::start_scaled(
        BIN,
        Scaled::create().await,
        &[
            ("HYBRID_SERVICES", "users,auth,chats,realtime"),
            ("HYBRID_GRPC__LISTEN", &main_grpc),
            // where its sync finds the example's part
            ("HYBRID_PEERS__EXAMPLE", &example_url),
        ],
    )
    .await;
    let main_url = format!("http://{main_grpc}");
    let example = main
        .start_peer(&[
            ("HYBRID_SERVICES", "example"),
            ("HYBRID_GRPC__LISTEN", &example_grpc),
            ("HYBRID_PEERS__AUTH", &main_url),
            ("HYBRID_PEERS__CHATS", &main_url),
        ])
        .await;
    let ann = main.register("ann").await;
    let bob = main.register("bob").await;
    let chat = direct(&main, &ann, &bob).await;
    send(&main, &ann, chat, "over there").await;
    let pts = chat_pts(&main, &ann, chat).await;
    let seen = until("the remote consumer to catch up", || async {
        let seen = seen_of_chat(&example, &ann, chat).await;
        (seen.len() as i64 >= pts).then_some(seen)
    })
    .await;
    assert_eq!(seen, (1..=pts).collect::<Vec<_>>());

    // its internal API, called over gRPC as another process would
    let caller = InternalApis::default();
    let options = hybrid_rpc::PeerOptions {
        timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(1),
    };
    let mut config = hybrid_core::Config::default();
    config.secrets.master_key = hybrid_testkit::TEST_MASTER_KEY.into();
    let credential = hybrid_rpc::InternalCredential::new(&hybrid_core::Secrets::resolve(&config).unwrap());
    let link = hybrid_rpc::link("example", &example_url, options, &credential).unwrap();
    (ExampleModule.grpc().unwrap().connect)(&caller, link);
    let tally = caller.get::<dyn Tally>().unwrap();
    assert!(tally.seen().await.unwrap() >= pts);
    // the same call with another deployment's credential is refused at the port
    let stranger = InternalApis::default();
    let foreign = hybrid_rpc::InternalCredential::new(&hybrid_core::Secrets::from_keys([9; 32], &[]));
    let link = hybrid_rpc::link("example", &example_url, options, &foreign).unwrap();
    (ExampleModule.grpc().unwrap().connect)(&stranger, link);
    let refused = stranger.get::<dyn Tally>().unwrap().seen().await.unwrap_err();
    assert_eq!(refused.status.as_u16(), 502, "{}", refused.message);
    assert!(refused.message.contains("internal credential"), "{}", refused.message);

    // a card posted through the chats API over gRPC shows in the chat
    let (status, posted) = example
        .post(
            "/api/v1/example/cards",
            Some(&ann.access_token),
            json!({"chat_id": chat, "key": "far", "title": "From afar"}),
        )
        .await;
    assert_eq!(status, 200, "{posted}");
    let messages = history(&main, &bob, chat).await;
    let card = messages.iter().find(|m| m["seq"] == posted["seq"]).unwrap();
    assert_eq!(card["attachment"]["object_id"], "far");
    let (_, visible) = example
        .get(
            &format!("/api/v1/example/visible/{}/{chat}/{}", bob.id, posted["seq"]),
            Some(&ann.access_token),
        )
        .await;
    assert_eq!(visible["visible"], true);

    // the sync of the chats process includes the example's part, asked over gRPC
    let (status, _) = example
        .post(
            "/api/v1/example/notice",
            Some(&bob.access_token),
            json!({"text": "far away"}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, synced) = sync_example(&main, &bob, None).await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(notice_texts(&synced["services"]["example"]), ["far away"], "{synced}");
}

/// Two replicas of a consuming service share its cursor: each event is applied by one of
/// them, once (`seen`'s primary key would refuse a second application), and when one stops
/// the other carries on from where the pair got to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_of_a_consumer_apply_each_event_once() {
    let main_grpc = format!("127.0.0.1:{}", free_port());
    let main = TestServer::start_scaled(
        BIN,
        Scaled::create().await,
        &[
            ("HYBRID_SERVICES", "users,auth,chats,realtime"),
            ("HYBRID_GRPC__LISTEN", &main_grpc),
        ],
    )
    .await;
    let main_url = format!("http://{main_grpc}");
    let replica = [
        ("HYBRID_SERVICES", "example"),
        ("HYBRID_PEERS__AUTH", main_url.as_str()),
        ("HYBRID_PEERS__CHATS", main_url.as_str()),
    ];
    let (mut first, second) = (main.start_peer(&replica).await, main.start_peer(&replica).await);
    let ann = main.register("ann").await;
    let bob = main.register("bob").await;
    let chat = direct(&main, &ann, &bob).await;
    let texts: Vec<String> = (0..20).map(|i| format!("both up {i}")).collect();
    futures::future::join_all(texts.iter().map(|text| send(&main, &ann, chat, text))).await;
    first.stop().await;
    for i in 0..5 {
        send(&main, &bob, chat, &format!("one left {i}")).await;
    }
    let pts = chat_pts(&main, &ann, chat).await;
    let seen = until("the remaining replica to catch up", || async {
        let seen = seen_of_chat(&second, &ann, chat).await;
        (seen.len() as i64 >= pts).then_some(seen)
    })
    .await;
    assert_eq!(seen, (1..=pts).collect::<Vec<_>>(), "every event once, in order");
}

/// The texts of `user`'s kept notices, once there are any (waiting for `what`).
async fn first_notices(api: &Api, user: &TestUser, what: &str) -> Vec<String> {
    until(what, || async {
        let (_, synced) = sync_example(api, user, None).await;
        let texts: Vec<String> = notice_texts(&synced["services"]["example"])
            .into_iter()
            .map(str::to_owned)
            .collect();
        (!texts.is_empty()).then_some(texts)
    })
    .await
}

/// A notice sent later is a job in the example's own database, run by the worker the module
/// kit starts: it survives a SIGKILL before its time, then runs once and keeps the notice
/// with its completion.
async fn a_delayed_notice_is_a_job_that_survives_a_kill(stack: Stack) {
    let mut server = start_with(stack, &[WITH_EXAMPLE]).await;
    let ann = server.register("ann").await;
    let later = json!({"text": "later", "delay_ms": 1500});
    let (status, body) = server
        .post("/api/v1/example/notice", Some(&ann.access_token), later)
        .await;
    assert_eq!(status, 204, "{body}");
    let too_late = json!({"text": "too late", "delay_ms": 3_600_001});
    let refused = server
        .post("/api/v1/example/notice", Some(&ann.access_token), too_late)
        .await;
    assert_error(&refused, 422, "validation_failed", Some("delay_ms"));
    server.kill().await;
    server.resume().await;
    let texts = first_notices(&server, &ann, "the job to keep the notice").await;
    assert_eq!(texts, ["later"], "kept once");
    let metrics = until("the job's run in the metrics", || async {
        let metrics = server.metrics().await;
        metrics
            .contains("hybrid_job_runs_total{queue=\"example.notice\",outcome=\"done\"} 1")
            .then_some(metrics)
    })
    .await;
    assert!(!metrics.contains("outcome=\"dead\""), "{metrics}");
}

/// Posts a notice of `user`'s that a job sends `delay_ms` later.
async fn notice_later(api: &Api, user: &TestUser, text: &str, delay_ms: i64) {
    let notice = json!({"text": text, "delay_ms": delay_ms});
    let (status, body) = api
        .post("/api/v1/example/notice", Some(&user.access_token), notice)
        .await;
    assert_eq!(status, 204, "{body}");
}

/// The admin API lists a module's jobs by state and queue, page by page, and runs or cancels
/// one: for administrators only, with clear errors for the rest.
async fn administrators_list_retry_and_cancel_jobs(stack: Stack) {
    let server = start_with(stack, &[WITH_EXAMPLE]).await;
    let created = create_user_by_cli(&server, "boss", true).await;
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let (status, body) = server.login("boss", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    let boss = user_from(&body, PASSWORD);
    let ann = server.register("ann").await;
    let (boss_t, ann_t) = (Some(boss.access_token.as_str()), Some(ann.access_token.as_str()));
    notice_later(&server, &ann, "first", 3_600_000).await;
    notice_later(&server, &ann, "second", 3_600_000).await;

    // who may look
    assert_error(&server.get("/api/v1/admin/jobs", ann_t).await, 403, "forbidden", None);
    assert_error(&server.get("/api/v1/admin/jobs", None).await, 401, "unauthorized", None);
    let (status, overview) = server.get("/api/v1/admin/jobs", boss_t).await;
    assert_eq!(status, 200, "{overview}");
    let example = overview
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["module"] == "example")
        .unwrap_or_else(|| panic!("the example's jobs are listed: {overview}"));
    let notices = &example["queues"][0];
    assert_eq!(notices["queue"], "example.notice", "{overview}");
    assert_eq!(
        (notices["ready"].as_i64(), notices["dead"].as_i64()),
        (Some(2), Some(0))
    );

    // pages, newest first, and filters
    let list = |query: &'static str| {
        let server = &server;
        async move { server.get(&format!("/api/v1/admin/jobs/example{query}"), boss_t).await }
    };
    let (status, first_page) = list("?state=ready&limit=1").await;
    assert_eq!(status, 200, "{first_page}");
    let second_id = first_page["items"][0]["id"].as_i64().unwrap();
    let cursor = first_page["next_cursor"].as_str().expect("one more page").to_owned();
    let (status, last_page) = server
        .get(
            &format!("/api/v1/admin/jobs/example?state=ready&limit=1&cursor={cursor}"),
            boss_t,
        )
        .await;
    assert_eq!(status, 200, "{last_page}");
    let first_id = last_page["items"][0]["id"].as_i64().unwrap();
    assert!(first_id < second_id, "{first_page} {last_page}");
    assert_eq!(last_page["next_cursor"], Value::Null, "{last_page}");
    assert_eq!(last_page["items"][0]["attempts"], 0, "{last_page}");
    for empty in ["?state=dead", "?queue=nobody.here"] {
        let (status, page) = list(empty).await;
        assert_eq!(
            (status.as_u16(), page["items"].as_array().map(Vec::len)),
            (200, Some(0)),
            "{empty}: {page}"
        );
    }
    assert_error(&list("?state=sleeping").await, 400, "invalid_query", None);
    assert_error(&list("?limit=0").await, 422, "validation_failed", Some("limit"));
    assert_error(&list("?cursor=x").await, 422, "validation_failed", Some("cursor"));
    assert_error(
        &server.get("/api/v1/admin/jobs/nobody", boss_t).await,
        404,
        "not_found",
        None,
    );
    let missing = server.get("/api/v1/admin/jobs/example/99999999", boss_t).await;
    assert_error(&missing, 404, "not_found", None);
    let job = |id: i64, action: &'static str| {
        let server = &server;
        async move {
            server
                .request(
                    "POST",
                    &format!("/api/v1/admin/jobs/example/{id}/{action}"),
                    boss_t,
                    None,
                )
                .await
        }
    };
    let stranger = server
        .request(
            "POST",
            &format!("/api/v1/admin/jobs/example/{first_id}/cancel"),
            ann_t,
            None,
        )
        .await;
    assert_error(&stranger, 403, "forbidden", None);

    // cancel: the first never runs
    let (status, cancelled) = job(first_id, "cancel").await;
    assert_eq!(
        (status.as_u16(), &cancelled["state"]),
        (200, &json!("cancelled")),
        "{cancelled}"
    );
    assert_error(&job(first_id, "cancel").await, 409, "conflict", None);
    // retry now: the second runs at once, though it was due in an hour
    let (status, retried) = job(second_id, "retry").await;
    assert_eq!(
        (status.as_u16(), &retried["state"]),
        (200, &json!("ready")),
        "{retried}"
    );
    let done = until("the retried job to finish", || async {
        let (_, job) = server
            .get(&format!("/api/v1/admin/jobs/example/{second_id}"), boss_t)
            .await;
        (job["state"] == "done").then_some(job)
    })
    .await;
    assert_eq!(done["attempts"], 1, "{done}");
    assert_error(&job(second_id, "retry").await, 409, "conflict", None);
    assert_error(&job(second_id, "cancel").await, 409, "conflict", None);
    let (_, synced) = sync_example(&server, &ann, None).await;
    assert_eq!(notice_texts(&synced["services"]["example"]), ["second"], "{synced}");

    // the queue gauges follow
    until("the queue gauges", || async {
        let metrics = server.metrics().await;
        let cancelled = "hybrid_jobs_depth{module=\"example\",queue=\"example.notice\",state=\"cancelled\"} 1";
        let done = "hybrid_jobs_depth{module=\"example\",queue=\"example.notice\",state=\"done\"} 1";
        (metrics.contains(cancelled) && metrics.contains(done)).then_some(())
    })
    .await;
}

/// A job enqueued by a process that runs no job workers starts at once in another process's
/// worker: the bus wakes it, though it would otherwise look only every ten minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_enqueued_in_one_process_wakes_the_workers_of_another() {
    let slow_poll = ("HYBRID_JOBS__POLL_MS", "600000");
    let requests_only = start_with(Stack::Scaled, &[WITH_EXAMPLE, slow_poll, ("HYBRID_JOBS__RUN", "false")]).await;
    let worker = requests_only.start_peer(&[("HYBRID_JOBS__RUN", "true")]).await;
    let ann = requests_only.register("ann").await;
    // the worker looked when it started, found nothing, and sleeps for ten minutes
    notice_later(&requests_only, &ann, "woken", 1).await;
    let texts = first_notices(&requests_only, &ann, "the worker of the other process to run the job").await;
    assert_eq!(texts, ["woken"]);
    let ran_here = requests_only.metrics().await;
    assert!(
        !ran_here.contains("hybrid_job_runs_total"),
        "the requests-only process ran no job: {ran_here}"
    );
    let ran_there = worker.metrics().await;
    assert!(
        ran_there.contains("hybrid_job_runs_total{queue=\"example.notice\",outcome=\"done\"} 1"),
        "{ran_there}"
    );
}
