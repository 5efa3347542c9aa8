//! Autopost, statistics and alerts in the real binary, on both stacks, with its clock movable
//! (`clock.movable`, moved through `POST /admin/clock`): a schedule publishes to a Hybrid
//! channel natively and, through the Bot API connector, to a channel of a second Hybrid process
//! standing in for Telegram, at local times across the night Berlin's summer time begins.

use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, hybrid_binary, stack_tests, until};
use serde_json::{Value, json};

use super::content::{change_post, make_post, start_summaries, summarised, upload_book};
use super::{connect, start, token};

stack_tests!(
    a_schedule_publishes_at_local_times_and_its_failures_alert_once,
    random_order_takes_every_approved_post_once_not_oldest_first,
);

fn ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn move_clock(server: &TestServer, admin: &TestUser, to: &str) {
    let (status, clock) = server
        .post("/api/v1/admin/clock", token(admin), json!({"to_ms": ms(to)}))
        .await;
    assert_eq!(status, 200, "{clock}");
    assert!(clock["now_ms"].as_i64().unwrap() >= ms(to), "{clock}");
}

/// `n` approved posts of the fixture book, summarised offline, oldest first.
async fn approved_posts(server: &TestServer, user: &TestUser, n: usize) -> Vec<Value> {
    let book = upload_book(server, user, "book.fb2").await;
    start_summaries(server, user, &book).await;
    summarised(server, user, &book).await;
    let mut posts = Vec::new();
    for _ in 0..n {
        let (status, post) = make_post(server, user, &book).await;
        assert_eq!(status, 201, "{post}");
        let (status, post) = change_post(server, user, &post, json!({"state": "approved"})).await;
        assert_eq!(status, 200, "{post}");
        posts.push(post);
    }
    posts
}

async fn schedule(server: &TestServer, user: &TestUser, body: Value) -> Value {
    let (status, schedule) = server.post("/api/v1/automation/schedules", token(user), body).await;
    assert_eq!(status, 201, "{schedule}");
    schedule
}

async fn get_schedule(server: &TestServer, user: &TestUser, id: &Value) -> Value {
    let (status, schedule) = server
        .get(&format!("/api/v1/automation/schedules/{id}"), token(user))
        .await;
    assert_eq!(status, 200, "{schedule}");
    schedule
}

/// The schedule's log, newest first, once it holds `n` entries with every delivery settled.
async fn settled_log(server: &TestServer, user: &TestUser, id: &Value, n: usize) -> Vec<Value> {
    until("the publications to settle", || async {
        let (status, page) = server
            .get(&format!("/api/v1/automation/schedules/{id}/log"), token(user))
            .await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap().clone();
        let settled = items.iter().all(|p| p["state"] != "publishing");
        (items.len() == n && settled).then_some(items)
    })
    .await
}

/// The latest messages of a chat (newest last) as (text, entities).
async fn messages(server: &TestServer, user: &TestUser, chat: i64) -> Vec<(String, Value)> {
    let (status, page) = server
        .get(&format!("/api/v1/chats/{chat}/messages?limit=50"), token(user))
        .await;
    assert_eq!(status, 200, "{page}");
    let mut all: Vec<Value> = page["messages"].as_array().unwrap().clone();
    all.sort_by_key(|m| m["seq"].as_i64());
    all.into_iter()
        .filter(|m| m["text"].as_str().is_some_and(|t| !t.is_empty()))
        .map(|m| {
            let entities = m.get("entities").cloned().unwrap_or(json!([]));
            (m["text"].as_str().unwrap().to_owned(), entities)
        })
        .collect()
}

async fn chat(server: &TestServer, owner: &TestUser, kind: &str, title: &str, members: &[i64]) -> i64 {
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            token(owner),
            json!({"kind": kind, "title": title, "member_ids": members}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    chat["id"].as_i64().unwrap()
}

async fn a_schedule_publishes_at_local_times_and_its_failures_alert_once(stack: Stack) {
    let telegram = TestServer::start_with(
        &hybrid_binary(),
        Stack::Embedded,
        &[
            ("HYBRID_AUTH__PASSWORD_HASH_MEMORY_KIB", "1024"),
            ("HYBRID_AUTH__PASSWORD_HASH_ITERATIONS", "1"),
        ],
    )
    .await;
    let server = start(
        stack,
        &[
            ("HYBRID_CLOCK__MOVABLE", "true"),
            ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
        ],
    )
    .await;
    let root = server.admin("root").await;
    let olga = server.register("olga").await;
    let ivan = server.register("ivan").await;

    // the Hybrid target: Olga's channel, posted to as Olga (an account of her own session)
    let news = chat(&server, &olga, "channel", "News", &[]).await;
    let native = connect(&server, &olga, &olga, None).await;
    // the Telegram target: a channel on "Telegram" whose admin is a bot connected here
    let tg = telegram.register("tg_owner").await;
    let (status, bot) = telegram
        .post(
            "/api/v1/bots",
            token(&tg),
            json!({"username": "autopost_bot", "name": "Autopost"}),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    let bot_id = bot["id"].as_i64().unwrap();
    let tg_channel = chat(&telegram, &tg, "channel", "Telegram news", &[bot_id]).await;
    let (status, promoted) = telegram
        .request(
            "PATCH",
            &format!("/api/v1/chats/{tg_channel}/members/{bot_id}"),
            token(&tg),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 200, "{promoted}");
    let (status, account) = server
        .post(
            "/api/v1/automation/accounts",
            token(&olga),
            json!({"name": "Autopost bot", "connector": "telegram_bot", "token": bot["token"], "endpoint": telegram.base_url}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    let bot_account = account["id"].as_i64().unwrap();
    let bot_chat = -(1_000_000_000_000 + tg_channel);

    // three approved posts; the second carries more formatting (101 bold words) than a chat
    // or Telegram takes in one message
    let mut posts = approved_posts(&server, &olga, 3).await;
    let many: Vec<String> = (0..101).map(|i| format!("**w{i}**")).collect();
    let (status, heavy) = change_post(
        &server,
        &olga,
        &posts[1],
        json!({"markdown": many.join(" "), "state": "approved"}),
    )
    .await;
    assert_eq!(status, 200, "{heavy}");
    assert_eq!(heavy["entities"].as_array().unwrap().len(), 101);
    posts[1] = heavy;

    // refusals, before the clock moves
    let targets = json!([{"account_id": native, "chat_id": news}, {"account_id": bot_account, "chat_id": bot_chat}]);
    let body = json!({"name": "Morning", "timezone": "Europe/Berlin", "times": ["09:00", "02:30"], "targets": targets});
    let mut bad = body.clone();
    bad["timezone"] = json!("Europe/Atlantis");
    assert_error(
        &server.post("/api/v1/automation/schedules", token(&olga), bad).await,
        422,
        "validation_failed",
        Some("timezone"),
    );
    let mut bad = body.clone();
    bad["times"] = json!(["9:00"]);
    assert_error(
        &server.post("/api/v1/automation/schedules", token(&olga), bad).await,
        422,
        "validation_failed",
        Some("times[0]"),
    );
    let theirs = server
        .post("/api/v1/automation/schedules", token(&ivan), body.clone())
        .await;
    assert_error(&theirs, 422, "validation_failed", Some("targets[0].account_id"));

    // Saturday noon in Berlin, the day before summer time begins: the next slot is 02:30 on
    // Sunday, a time that does not exist that night, so it runs at 03:00 CEST
    move_clock(&server, &root, "2027-03-27T12:00:00Z").await;
    let morning = schedule(&server, &olga, body).await;
    let id = morning["id"].clone();
    assert_eq!(morning["state"], "running");
    assert_eq!(morning["times"], json!(["02:30", "09:00"]));
    assert_eq!(morning["weekdays"], json!([1, 2, 3, 4, 5, 6, 7]));
    assert_eq!(morning["posts_waiting"], 3);
    assert_eq!(morning["next_slot_at"], ms("2027-03-28T01:00:00Z"));
    let hidden = server
        .get(&format!("/api/v1/automation/schedules/{id}"), token(&ivan))
        .await;
    assert_error(&hidden, 404, "not_found", None);

    move_clock(&server, &root, "2027-03-28T01:00:00Z").await;
    let log = settled_log(&server, &olga, &id, 1).await;
    let first = &log[0];
    assert_eq!(first["trigger"], "slot");
    assert_eq!(first["slot_at"], ms("2027-03-28T01:00:00Z"));
    assert_eq!(first["state"], "published", "{first}");
    assert_eq!(first["post_id"], posts[0]["id"]);
    for delivery in first["deliveries"].as_array().unwrap() {
        assert_eq!(delivery["state"], "sent", "{delivery}");
        assert_eq!(delivery["plain_text"], false);
        assert!(delivery["message_id"].as_i64().is_some());
    }
    let text = posts[0]["text"].as_str().unwrap();
    let formatted = (text.to_owned(), posts[0]["entities"].clone());
    assert_eq!(messages(&server, &olga, news).await, vec![formatted.clone()]);
    assert_eq!(messages(&telegram, &tg, tg_channel).await, vec![formatted]);
    // then 09:00 summer time, 07:00 UTC
    let morning = get_schedule(&server, &olga, &id).await;
    assert_eq!(morning["next_slot_at"], ms("2027-03-28T07:00:00Z"));
    assert_eq!(morning["posts_waiting"], 2);

    // the second post's formatting is refused by both targets: it goes as plain text
    move_clock(&server, &root, "2027-03-28T07:00:00Z").await;
    let log = settled_log(&server, &olga, &id, 2).await;
    assert_eq!(log[0]["post_id"], posts[1]["id"]);
    assert_eq!(log[0]["state"], "published", "{}", log[0]);
    for delivery in log[0]["deliveries"].as_array().unwrap() {
        assert_eq!(
            (delivery["state"].clone(), delivery["plain_text"].clone()),
            (json!("sent"), json!(true)),
            "{delivery}"
        );
    }
    let plain = posts[1]["text"].as_str().unwrap().to_owned();
    let last = messages(&server, &olga, news).await.pop().unwrap();
    assert_eq!(
        (last.0.as_str(), last.1.as_array().map_or(0, |e| e.len())),
        (plain.as_str(), 0)
    );
    assert_eq!(messages(&telegram, &tg, tg_channel).await.pop().unwrap().0, plain);
    // Monday 02:30 is 00:30 UTC now
    assert_eq!(
        get_schedule(&server, &olga, &id).await["next_slot_at"],
        ms("2027-03-29T00:30:00Z")
    );

    // stopped, it misses Monday's 02:30, which another schedule's post proves has passed
    let (status, stopped) = server
        .post(
            &format!("/api/v1/automation/schedules/{id}/stop"),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(
        (stopped["state"].clone(), stopped["next_slot_at"].clone()),
        (json!("stopped"), Value::Null)
    );
    let again = server
        .post(
            &format!("/api/v1/automation/schedules/{id}/stop"),
            token(&olga),
            json!({}),
        )
        .await;
    assert_error(&again, 409, "wrong_state", None);
    let witness = schedule(
        &server,
        &olga,
        json!({"name": "Witness", "timezone": "Europe/Berlin", "times": ["02:30"], "weekdays": [1],
               "targets": [{"account_id": native, "chat_id": news}]}),
    )
    .await;
    assert_eq!(witness["next_slot_at"], ms("2027-03-29T00:30:00Z"));
    move_clock(&server, &root, "2027-03-29T00:31:00Z").await;
    let witnessed = settled_log(&server, &olga, &witness["id"], 1).await;
    assert_eq!(witnessed[0]["post_id"], posts[2]["id"]);
    let log = settled_log(&server, &olga, &id, 2).await;
    assert_eq!(log.len(), 2, "nothing published after stop");

    // nothing approved is left to publish now; republishing an entry sends its post again
    let empty = server
        .post(
            &format!("/api/v1/automation/schedules/{id}/publish"),
            token(&olga),
            json!({}),
        )
        .await;
    assert_error(&empty, 409, "wrong_state", None);
    let (status, republished) = server
        .post(
            &format!("/api/v1/automation/publications/{}/republish", first["id"]),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{republished}");
    assert_eq!(republished["trigger"], "republish");
    let log = settled_log(&server, &olga, &id, 3).await;
    assert_eq!(log[0]["state"], "published", "{}", log[0]);
    assert_eq!(messages(&telegram, &tg, tg_channel).await.len(), 3);

    // alerts go to Olga's ops group; a target that fails twice raises one alert there
    let ops = chat(&server, &olga, "group", "Ops", &[]).await;
    let (status, settings) = server
        .request(
            "PATCH",
            "/api/v1/automation/alerts/settings",
            token(&olga),
            Some(json!({"account_id": native, "chat_id": ops, "min_interval_secs": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["kinds"]["autopost_failed"], true);
    let broken = schedule(
        &server,
        &olga,
        json!({"name": "Broken", "timezone": "UTC", "times": ["12:00"], "targets": [{"account_id": native, "chat_id": 987_654_321}]}),
    )
    .await;
    for _ in 0..2 {
        let (status, made) = server
            .post(
                &format!("/api/v1/automation/schedules/{}/publish", broken["id"]),
                token(&olga),
                json!({"post_id": posts[0]["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{made}");
    }
    let failed = settled_log(&server, &olga, &broken["id"], 2).await;
    assert!(failed.iter().all(|p| p["state"] == "failed"), "{failed:?}");
    let alert = until("the alert sent, its repeat counted", || async {
        let (_, page) = server.get("/api/v1/automation/alerts", token(&olga)).await;
        let items = page["items"].as_array().unwrap().clone();
        (items.len() == 1 && items[0]["state"] == "sent" && items[0]["repeats"] == 1).then(|| items[0].clone())
    })
    .await;
    assert_eq!(alert["kind"], "autopost_failed");
    let said = messages(&server, &olga, ops).await;
    assert_eq!(said.len(), 1, "one alert for the storm: {said:?}");
    assert!(said[0].0.contains("Broken"), "{said:?}");

    // the statistics: what each day published, in Berlin's days
    let (status, stats) = server
        .get("/api/v1/automation/stats?days=3&tz=Europe/Berlin", token(&olga))
        .await;
    assert_eq!(status, 200, "{stats}");
    let days: Vec<(String, i64, i64)> = stats["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap().to_owned(),
                d["posts_sent"].as_i64().unwrap(),
                d["posts_failed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2027-03-27".to_owned(), 0, 0),
            ("2027-03-28".to_owned(), 4, 0),
            ("2027-03-29".to_owned(), 3, 2)
        ]
    );
    assert_eq!(stats["posts_published"], 7);
    assert_eq!(stats["queue"]["posts_approved"], 0);
    let bad = server.get("/api/v1/automation/stats?tz=Mars", token(&olga)).await;
    assert_error(&bad, 422, "validation_failed", Some("tz"));
    let response = server
        .http
        .get(server.url("/api/v1/automation/stats/export?days=3&tz=Europe/Berlin"))
        .bearer_auth(&olga.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "day,kind,id,name,outcome,count");
    assert!(
        lines.contains(&format!("2027-03-28,schedule,{id},Morning,sent,4").as_str()),
        "{csv}"
    );
    assert!(
        lines.contains(&format!("2027-03-29,schedule,{},Broken,failed,2", broken["id"]).as_str()),
        "{csv}"
    );
}

/// A round of publish-now on a random-order schedule takes each approved post once; it comes
/// out oldest first by chance once in 5! = 120 rounds, so rounds repeat (the posts approved
/// again) until one does not: four in a row in id order (one in 2·10⁸) fails the test.
async fn random_order_takes_every_approved_post_once_not_oldest_first(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let news = chat(&server, &olga, "channel", "News", &[]).await;
    let native = connect(&server, &olga, &olga, None).await;
    let posts = approved_posts(&server, &olga, 5).await;
    let ids: Vec<i64> = posts.iter().map(|p| p["id"].as_i64().unwrap()).collect();
    // its one daily slot is twelve hours away: only publish-now takes posts here
    let slot = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(12);
    let shuffled = schedule(
        &server,
        &olga,
        json!({"name": "Shuffled", "timezone": "UTC", "times": [slot.strftime("%H:%M").to_string()],
               "random_order": true, "targets": [{"account_id": native, "chat_id": news}]}),
    )
    .await;
    assert_eq!(shuffled["random_order"], true);
    let publish = format!("/api/v1/automation/schedules/{}/publish", shuffled["id"]);
    for round in 1..=4 {
        let mut taken = Vec::new();
        for _ in &ids {
            let (status, made) = server.post(&publish, token(&olga), json!({})).await;
            assert_eq!(status, 201, "{made}");
            taken.push(made["post_id"].as_i64().unwrap());
        }
        let empty = server.post(&publish, token(&olga), json!({})).await;
        assert_error(&empty, 409, "wrong_state", None);
        let mut once_each = taken.clone();
        once_each.sort_unstable();
        assert_eq!(once_each, ids, "round {round} took {taken:?}");
        if taken != ids {
            return;
        }
        for post in &posts {
            let (status, again) = change_post(&server, &olga, post, json!({"state": "approved"})).await;
            assert_eq!(status, 200, "{again}");
        }
    }
    panic!("four rounds of a random-order schedule came out oldest first");
}
