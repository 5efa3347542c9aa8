//! The automation service in the real binary, on both stacks, with the native connector:
//! accounts are sessions of Hybrid users, campaigns invite this server's users into its chats.
//! Pauses between actions are configured to zero (or a second) here; the server's default is
//! 120–300 s. The content pipeline's tests are in `e2e/content.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::future::join_all;
use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, hybrid_binary, stack_tests, until};
use serde_json::{Value, json};

#[path = "e2e/autopost.rs"]
mod autopost;
#[path = "e2e/content.rs"]
mod content;

stack_tests!(
    a_campaign_gives_each_person_their_outcome,
    the_daily_limit_holds_across_two_accounts,
    a_killed_campaign_invites_nobody_twice_and_loses_nobody,
    pause_resume_and_cancel_take_effect_at_once,
    audiences_import_report_export_and_forget,
    accounts_keep_their_secret_and_follow_their_session,
    an_account_posts_once_per_key,
    a_bot_account_sends_links_and_lets_in_whom_it_sent_them,
    the_parser_reads_a_chat_into_an_audience,
    a_parse_stops_when_cancelled_or_refused,
    the_inbound_webhook_adds_one_contact_per_request,
    telegram_logins_start_where_configured_and_say_when_telegram_is_away,
);

const FAST: &[(&str, &str)] = &[
    ("HYBRID_AUTOMATION__PAUSE_MIN_MS", "0"),
    ("HYBRID_AUTOMATION__PAUSE_MAX_MS", "0"),
    ("HYBRID_AUTH__REGISTRATIONS_PER_IP_PER_HOUR", "10000"),
    ("HYBRID_AUTH__PASSWORD_HASH_MEMORY_KIB", "1024"),
    ("HYBRID_AUTH__PASSWORD_HASH_ITERATIONS", "1"),
];

async fn start(stack: Stack, extra: &[(&str, &str)]) -> TestServer {
    let mut env = FAST.to_vec();
    env.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    env.extend_from_slice(extra);
    TestServer::start_with(&hybrid_binary(), stack, &env).await
}

fn token(user: &TestUser) -> Option<&str> {
    Some(user.access_token.as_str())
}

async fn register_all(server: &TestServer, names: &[String]) -> Vec<TestUser> {
    join_all(names.iter().map(|name| server.register(name))).await
}

async fn group(server: &TestServer, owner: &TestUser, members: &[&TestUser]) -> i64 {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            token(owner),
            json!({"kind": "group", "title": "Target", "member_ids": ids}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    chat["id"].as_i64().unwrap()
}

async fn set_privacy(server: &TestServer, user: &TestUser, policy: &str) {
    let (status, body) = server
        .request(
            "PUT",
            "/api/v1/users/me/privacy",
            token(user),
            Some(json!({"add_to_groups": policy})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Connects `agent`'s session as an account of `owner`.
async fn connect(server: &TestServer, owner: &TestUser, agent: &TestUser, daily_limit: Option<i64>) -> i64 {
    let mut body =
        json!({"name": format!("{} account", agent.username), "connector": "hybrid", "token": agent.access_token});
    if let Some(limit) = daily_limit {
        body["daily_limit"] = json!(limit);
    }
    let (status, account) = server.post("/api/v1/automation/accounts", token(owner), body).await;
    assert_eq!(status, 201, "{account}");
    assert_eq!(account["actor_id"], agent.id);
    account["id"].as_i64().unwrap()
}

async fn audience(server: &TestServer, owner: &TestUser, lines: &[String]) -> i64 {
    let (status, imported) = server
        .post(
            "/api/v1/automation/audiences",
            token(owner),
            json!({"name": "People", "text": lines.join("\n")}),
        )
        .await;
    assert_eq!(status, 201, "{imported}");
    imported["audience"]["id"].as_i64().unwrap()
}

async fn campaign(server: &TestServer, owner: &TestUser, body: Value) -> i64 {
    let (status, campaign) = server.post("/api/v1/automation/campaigns", token(owner), body).await;
    assert_eq!(status, 201, "{campaign}");
    assert_eq!(campaign["state"], "running");
    campaign["id"].as_i64().unwrap()
}

async fn campaign_state(server: &TestServer, owner: &TestUser, id: i64) -> Value {
    let (status, campaign) = server
        .get(&format!("/api/v1/automation/campaigns/{id}"), token(owner))
        .await;
    assert_eq!(status, 200, "{campaign}");
    campaign
}

async fn finished(server: &TestServer, owner: &TestUser, id: i64) -> Value {
    until("the campaign to finish", || async {
        let campaign = campaign_state(server, owner, id).await;
        (campaign["state"] == "finished").then_some(campaign)
    })
    .await
}

/// Every contact of a campaign, by value.
async fn contacts(server: &TestServer, owner: &TestUser, id: i64) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = server
            .get(
                &format!("/api/v1/automation/campaigns/{id}/contacts?limit=20&cursor={cursor}"),
                token(owner),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        for contact in page["items"].as_array().unwrap() {
            all.insert(contact["value"].as_str().unwrap().to_owned(), contact.clone());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return all,
        }
    }
}

async fn member_ids(server: &TestServer, user: &TestUser, chat: i64) -> Vec<i64> {
    let (status, members) = server
        .get(&format!("/api/v1/chats/{chat}/members?limit=200"), token(user))
        .await;
    assert_eq!(status, 200, "{members}");
    let list = members.get("items").unwrap_or(&members);
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect()
}

async fn a_campaign_gives_each_person_their_outcome(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let agents = register_all(&server, &["agent_a".into(), "agent_b".into()]).await;
    let names = |prefix: &str, n: usize| (0..n).map(|i| format!("{prefix}{i:02}")).collect::<Vec<_>>();
    let open = register_all(&server, &names("open", 27)).await;
    let members = register_all(&server, &names("member", 8)).await;
    let closed = register_all(&server, &names("closed", 6)).await;
    let wary = register_all(&server, &names("wary", 3)).await;
    for user in &closed {
        set_privacy(&server, user, "nobody").await;
    }
    for user in &wary {
        set_privacy(&server, user, "shared_chats").await;
    }
    let mut in_target: Vec<&TestUser> = agents.iter().collect();
    in_target.extend(members.iter());
    let target = group(&server, &olga, &in_target).await;
    let accounts = [
        connect(&server, &olga, &agents[0], None).await,
        connect(&server, &olga, &agents[1], None).await,
    ];
    // 50 lines: 27 to invite, 8 already in, 9 whose privacy refuses, 4 unknown names, 2 phones
    let mut lines: Vec<String> = Vec::new();
    lines.extend(open.iter().map(|u| format!("@{}", u.username)));
    lines.extend(members.iter().map(|u| u.username.clone()));
    lines.extend(
        closed
            .iter()
            .chain(&wary)
            .map(|u| format!("https://t.me/{}", u.username)),
    );
    lines.extend(names("@nobody_here_", 4));
    lines.extend(["+7 912 345-67-89".to_owned(), "+1 650 253 0000".to_owned()]);
    assert_eq!(lines.len(), 50);
    let people = audience(&server, &olga, &lines).await;
    let mut olga_ws = server.ws(&olga).await;
    let id = campaign(
        &server,
        &olga,
        json!({"name": "Spring", "audience_id": people, "target_chat_id": target, "account_ids": accounts}),
    )
    .await;
    let done = finished(&server, &olga, id).await;
    assert_eq!(done["progress"]["total"], 50);
    assert_eq!(done["progress"]["settled"], 50);
    assert_eq!(
        done["progress"]["outcomes"],
        json!({"invited": 27, "already_member": 8, "privacy_restricted": 9, "not_found": 6})
    );
    // its end is an alert, and the statistics count its outcomes
    let (_, alerts) = server.get("/api/v1/automation/alerts", token(&olga)).await;
    assert_eq!(alerts["items"][0]["kind"], "campaign_finished", "{alerts}");
    let (_, stats) = server.get("/api/v1/automation/stats?days=1", token(&olga)).await;
    let day = &stats["days"][0];
    assert_eq!(
        [
            &day["invited"],
            &day["already_member"],
            &day["privacy_restricted"],
            &day["not_found"]
        ],
        [27, 8, 9, 6],
        "{stats}"
    );
    assert_eq!(stats["campaigns"][0]["outcomes"]["invited"], 27, "{stats}");
    let frame = olga_ws
        .next_where(|f| f["type"] == "automation.campaign_updated" && f["contact"].is_object())
        .await;
    assert_eq!(frame["campaign_id"], id);

    let outcomes = contacts(&server, &olga, id).await;
    let expect = |users: &[TestUser], outcome: &str| {
        for user in users {
            let contact = &outcomes[&user.username];
            assert_eq!(contact["outcome"], outcome, "{contact}");
            assert_eq!(contact["user_id"], user.id, "{contact}");
            assert_eq!(contact["attempts"], 1, "{contact}");
        }
    };
    expect(&open, "invited");
    expect(&members, "already_member");
    expect(&closed, "privacy_restricted");
    expect(&wary, "privacy_restricted");
    assert_eq!(outcomes["+79123456789"]["outcome"], "not_found");
    assert_eq!(outcomes["+16502530000"]["outcome"], "not_found");
    assert_eq!(outcomes["nobody_here_00"]["outcome"], "not_found");
    // the live log's order: most recently changed first, every contact once over the pages
    let mut log: Vec<(i64, i64)> = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = server
            .get(
                &format!("/api/v1/automation/campaigns/{id}/contacts?order=recent&limit=15&cursor={cursor}"),
                token(&olga),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        for c in page["items"].as_array().unwrap() {
            log.push((c["updated_at"].as_i64().unwrap(), c["id"].as_i64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(log.len(), 50);
    assert!(log.windows(2).all(|w| w[0] > w[1]), "newest first: {log:?}");
    let sideways = server
        .get(
            &format!("/api/v1/automation/campaigns/{id}/contacts?order=sideways"),
            token(&olga),
        )
        .await;
    assert_error(&sideways, 422, "validation_failed", Some("order"));
    // the least recently used account acts next: both took turns
    let by_account = |account: i64| outcomes.values().filter(|c| c["account_id"] == account).count();
    assert!(
        by_account(accounts[0]) >= 20 && by_account(accounts[1]) >= 20,
        "{outcomes:?}"
    );

    // the invited are in the chat, the refused are not
    let in_chat = member_ids(&server, &olga, target).await;
    assert!(open.iter().all(|u| in_chat.contains(&u.id)));
    assert!(closed.iter().chain(&wary).all(|u| !in_chat.contains(&u.id)));
    assert_eq!(in_chat.len(), 1 + 2 + 8 + 27);

    // the CSV says the same, one row per person
    let response = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/automation/campaigns/{id}/export")))
        .bearer_auth(&olga.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = response.text().await.unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "kind,value,outcome,detail,user_id,account_id,attempts,updated_at"
    );
    assert_eq!(rows.len(), 51);
    let first = format!("username,{},invited,,{},", open[0].username, open[0].id);
    assert!(rows.iter().any(|r| r.starts_with(&first)), "{csv}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("phone,+79123456789,not_found,no such user,,")),
        "{csv}"
    );

    // invite, then link: those whose privacy refuses get the link in a private message
    let refused: Vec<String> = closed.iter().map(|u| u.username.clone()).collect();
    let second = audience(&server, &olga, &refused).await;
    let id = campaign(
        &server,
        &olga,
        json!({"name": "Links", "audience_id": second, "target_chat_id": target, "account_ids": [accounts[0]],
               "mode": "invite_then_link", "link_text": "Come to Target: {link}"}),
    )
    .await;
    let done = finished(&server, &olga, id).await;
    assert_eq!(done["progress"]["outcomes"], json!({"link_sent": 6}));
    let (_, chats) = server.get("/api/v1/chats", token(&closed[0])).await;
    let direct = chats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "direct")
        .expect("a direct chat with the account");
    let text = direct["last_message"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Come to Target: http://localhost:8080/join/"),
        "{text}"
    );
    // the link admits them
    let code = text.rsplit('/').next().unwrap();
    let (status, joined) = server
        .post(&format!("/api/v1/invites/{code}/join"), token(&closed[0]), json!({}))
        .await;
    assert!(status.is_success(), "{status} {joined}");
}

async fn the_daily_limit_holds_across_two_accounts(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let agents = register_all(&server, &["agent_a".into(), "agent_b".into()]).await;
    let people = register_all(&server, &(0..10).map(|i| format!("person{i}")).collect::<Vec<_>>()).await;
    let target = group(&server, &olga, &[&agents[0], &agents[1]]).await;
    let accounts = [
        connect(&server, &olga, &agents[0], Some(3)).await,
        connect(&server, &olga, &agents[1], Some(3)).await,
    ];
    let lines: Vec<String> = people.iter().map(|u| u.username.clone()).collect();
    let list = audience(&server, &olga, &lines).await;
    let id = campaign(
        &server,
        &olga,
        json!({"name": "Limited", "audience_id": list, "target_chat_id": target, "account_ids": accounts}),
    )
    .await;
    let waiting = until("both accounts to reach their limit", || async {
        let campaign = campaign_state(&server, &olga, id).await;
        (campaign["waiting"] == "daily_limit").then_some(campaign)
    })
    .await;
    assert_eq!(waiting["state"], "running");
    assert_eq!(waiting["progress"]["settled"], 6);
    assert_eq!(waiting["progress"]["outcomes"], json!({"invited": 6}));
    for account in accounts {
        let (_, row) = server
            .get(&format!("/api/v1/automation/accounts/{account}"), token(&olga))
            .await;
        assert_eq!(row["used_today"], 3, "{row}");
        assert!(row["last_used_at"].is_i64());
    }
    let outcomes = contacts(&server, &olga, id).await;
    let pending = outcomes.values().filter(|c| c["outcome"].is_null()).count();
    assert_eq!(pending, 4);
    // a limit above the server's is refused, one below taken
    let too_high = server
        .request(
            "PATCH",
            &format!("/api/v1/automation/accounts/{}", accounts[0]),
            token(&olga),
            Some(json!({"daily_limit": 201})),
        )
        .await;
    assert_error(&too_high, 422, "validation_failed", Some("daily_limit"));
    assert_eq!(member_ids(&server, &olga, target).await.len(), 3 + 6);
}

async fn a_killed_campaign_invites_nobody_twice_and_loses_nobody(stack: Stack) {
    // paced so the kill lands mid-campaign; a short lease so the killed process's job is taken
    // over within the test's wait rather than after the default 30 s
    let paced = [
        ("HYBRID_AUTOMATION__PAUSE_MIN_MS", "100"),
        ("HYBRID_AUTOMATION__PAUSE_MAX_MS", "150"),
        ("HYBRID_JOBS__LEASE_MS", "2000"),
    ];
    let mut server = start(stack, &paced).await;
    let olga = server.register("olga").await;
    let agents = register_all(&server, &["agent_a".into(), "agent_b".into()]).await;
    let people = register_all(&server, &(0..40).map(|i| format!("person{i:02}")).collect::<Vec<_>>()).await;
    let target = group(&server, &olga, &[&agents[0], &agents[1]]).await;
    let accounts = [
        connect(&server, &olga, &agents[0], None).await,
        connect(&server, &olga, &agents[1], None).await,
    ];
    let lines: Vec<String> = people.iter().map(|u| u.username.clone()).collect();
    let list = audience(&server, &olga, &lines).await;
    let id = campaign(
        &server,
        &olga,
        json!({"name": "Crash", "audience_id": list, "target_chat_id": target, "account_ids": accounts}),
    )
    .await;
    until("a few invites", || async {
        let campaign = campaign_state(&server, &olga, id).await;
        (campaign["progress"]["settled"].as_i64().unwrap() >= 8).then_some(())
    })
    .await;
    server.kill().await;
    server.resume().await;
    let done = finished(&server, &olga, id).await;
    assert_eq!(
        done["progress"]["outcomes"],
        json!({"invited": 40}),
        "nobody found in the chat twice"
    );
    let outcomes = contacts(&server, &olga, id).await;
    for person in &people {
        assert_eq!(
            outcomes[&person.username]["outcome"], "invited",
            "{}",
            outcomes[&person.username]
        );
    }
    // one attempt each, but the one the kill cut (a campaign acts for one person at a time):
    // two, whether the recheck found them in the chat or not in it and so tried again
    let twice: Vec<&Value> = outcomes.values().filter(|c| c["attempts"] != 1).collect();
    assert!(
        twice.len() <= 1 && twice.iter().all(|c| c["attempts"] == 2),
        "{twice:?}"
    );
    let in_chat = member_ids(&server, &olga, target).await;
    assert_eq!(in_chat.len(), 3 + 40);
    // each was added exactly once: one "members_added" service message per person
    let (_, history) = server
        .get(&format!("/api/v1/chats/{target}/messages?limit=100"), token(&olga))
        .await;
    let added: Vec<i64> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["action"])
        .filter(|action| action["type"] == "members_added")
        .flat_map(|action| {
            action["user_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_i64().unwrap())
        })
        .collect();
    let mut distinct = added.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(added.len(), 40, "{added:?}");
    assert_eq!(distinct.len(), 40);
}

async fn pause_resume_and_cancel_take_effect_at_once(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let agent = server.register("agent").await;
    let people = register_all(&server, &(0..12).map(|i| format!("person{i:02}")).collect::<Vec<_>>()).await;
    let target = group(&server, &olga, &[&agent]).await;
    let account = connect(&server, &olga, &agent, None).await;
    let lines: Vec<String> = people.iter().map(|u| u.username.clone()).collect();
    let list = audience(&server, &olga, &lines).await;
    // one account, a second between its actions
    let body = json!({"name": "Slow", "audience_id": list, "target_chat_id": target, "account_ids": [account],
                      "pause_min_secs": 1, "pause_max_secs": 1});
    let id = campaign(&server, &olga, body.clone()).await;
    let path = format!("/api/v1/automation/campaigns/{id}");
    until("the first invite", || async {
        let campaign = campaign_state(&server, &olga, id).await;
        (campaign["progress"]["settled"] == 1).then_some(())
    })
    .await;
    let (status, paused) = server.post(&format!("{path}/pause"), token(&olga), json!({})).await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["state"], "paused");
    let settled = paused["progress"]["settled"].as_i64().unwrap();
    let again = server.post(&format!("{path}/pause"), token(&olga), json!({})).await;
    assert_error(&again, 409, "wrong_state", None);
    // nothing moves while paused (the account's pause would have let two more through)
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let still = campaign_state(&server, &olga, id).await;
    assert_eq!(still["progress"]["settled"], settled);
    let (status, resumed) = server.post(&format!("{path}/resume"), token(&olga), json!({})).await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["state"], "running");
    until("more invites after resuming", || async {
        let campaign = campaign_state(&server, &olga, id).await;
        (campaign["progress"]["settled"].as_i64().unwrap() > settled).then_some(())
    })
    .await;
    // cancel: answered at once, and nothing happens after it
    let asked = std::time::Instant::now();
    let (status, cancelled) = server.post(&format!("{path}/cancel"), token(&olga), json!({})).await;
    assert!(asked.elapsed() < Duration::from_secs(1), "{:?}", asked.elapsed());
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    assert!(cancelled["finished_at"].is_i64());
    let at_cancel = cancelled["progress"]["settled"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = campaign_state(&server, &olga, id).await;
    assert_eq!(after["progress"]["settled"], at_cancel);
    assert!(at_cancel < 12);
    let resume = server.post(&format!("{path}/resume"), token(&olga), json!({})).await;
    assert_error(&resume, 409, "wrong_state", None);
    // a pause shorter than the server allows is refused (its floor is 0 here: negative is)
    let mut short = body.clone();
    short["pause_min_secs"] = json!(-1);
    let refused = server.post("/api/v1/automation/campaigns", token(&olga), short).await;
    assert_error(&refused, 422, "validation_failed", Some("pause_min_secs"));
    // a finished or cancelled campaign can be deleted, a running one cannot
    let running = campaign(&server, &olga, body).await;
    let busy = server
        .request(
            "DELETE",
            &format!("/api/v1/automation/campaigns/{running}"),
            token(&olga),
            None,
        )
        .await;
    assert_error(&busy, 409, "wrong_state", None);
    let (status, _) = server.request("DELETE", &path, token(&olga), None).await;
    assert_eq!(status, 204);
    let gone = server.get(&path, token(&olga)).await;
    assert_error(&gone, 404, "not_found", None);
}

async fn audiences_import_report_export_and_forget(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let ivan = server.register("ivan").await;
    let text = "phone\n+7 912 345-67-89\n8 (912) 345-67-89\n@ann\nann\nnot a name!\n12345\n";
    let (status, imported) = server
        .post(
            "/api/v1/automation/audiences",
            token(&olga),
            json!({"name": "Leads", "text": text, "region": "ru"}),
        )
        .await;
    assert_eq!(status, 201, "{imported}");
    let report = &imported["report"];
    assert_eq!(report["added"], 2, "{report}");
    assert_eq!(report["duplicates"], 2, "{report}");
    assert_eq!(report["rejected_count"], 2, "{report}");
    assert_eq!(report["rejected"][0]["line"], 6);
    assert_eq!(report["rejected"][0]["text"], "not a name!");
    assert_eq!(report["rejected"][1]["line"], 7);
    let id = imported["audience"]["id"].as_i64().unwrap();
    assert_eq!(imported["audience"]["size"], 2);
    // more, with one already there
    let (status, more) = server
        .post(
            &format!("/api/v1/automation/audiences/{id}/entries"),
            token(&olga),
            json!({"text": "@ann\n+1 650 253 0000\n@bob"}),
        )
        .await;
    assert_eq!(status, 200, "{more}");
    assert_eq!(
        (more["report"]["added"].as_i64(), more["report"]["duplicates"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(more["audience"]["size"], 4);
    let (_, page) = server
        .get(
            &format!("/api/v1/automation/audiences/{id}/entries?limit=3"),
            token(&olga),
        )
        .await;
    let values: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["+79123456789", "ann", "+16502530000"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = server
        .get(
            &format!("/api/v1/automation/audiences/{id}/entries?cursor={cursor}"),
            token(&olga),
        )
        .await;
    assert_eq!(rest["items"][0], json!({"id": 4, "kind": "username", "value": "bob"}));
    let export = reqwest::Client::new()
        .get(server.url(&format!("/api/v1/automation/audiences/{id}/export")))
        .bearer_auth(&olga.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        export,
        "kind,value\nphone,+79123456789\nusername,ann\nphone,+16502530000\nusername,bob\n"
    );
    // someone else's audience does not exist for them
    for path in [
        format!("/api/v1/automation/audiences/{id}"),
        format!("/api/v1/automation/audiences/{id}/export"),
    ] {
        let theirs = server.get(&path, token(&ivan)).await;
        assert_error(&theirs, 404, "not_found", None);
    }
    let (_, list) = server.get("/api/v1/automation/audiences", token(&ivan)).await;
    assert_eq!(list["items"], json!([]));
    // bad input
    let no_name = server
        .post(
            "/api/v1/automation/audiences",
            token(&olga),
            json!({"name": " ", "text": "@x"}),
        )
        .await;
    assert_error(&no_name, 422, "validation_failed", Some("name"));
    let bad_region = server
        .post(
            "/api/v1/automation/audiences",
            token(&olga),
            json!({"name": "x", "text": "@x", "region": "XX1"}),
        )
        .await;
    assert_error(&bad_region, 422, "validation_failed", Some("region"));
    let unknown = server
        .post(
            "/api/v1/automation/audiences",
            token(&olga),
            json!({"name": "x", "text": "@x", "extra": 1}),
        )
        .await;
    assert_eq!(unknown.0, 422, "{:?}", unknown.1);

    // a campaign from it, then the audience deleted: its people are gone from the campaign too
    let agent = server.register("agent").await;
    let target = group(&server, &olga, &[&agent]).await;
    let account = connect(&server, &olga, &agent, None).await;
    let made = campaign(
        &server,
        &olga,
        json!({"name": "From leads", "audience_id": id, "target_chat_id": target, "account_ids": [account]}),
    )
    .await;
    finished(&server, &olga, made).await;
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/automation/audiences/{id}"),
            token(&olga),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let gone = server
        .get(&format!("/api/v1/automation/audiences/{id}"), token(&olga))
        .await;
    assert_error(&gone, 404, "not_found", None);
    let left = campaign_state(&server, &olga, made).await;
    assert!(left["audience_id"].is_null(), "{left}");
    assert_eq!(left["progress"]["total"], 4);
    let outcomes = contacts(&server, &olga, made).await;
    assert_eq!(
        outcomes.keys().collect::<Vec<_>>(),
        [""],
        "only blanks remain: {outcomes:?}"
    );
}

async fn accounts_keep_their_secret_and_follow_their_session(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let ivan = server.register("ivan").await;
    let agent = server.register("agent").await;
    let bad = server
        .post(
            "/api/v1/automation/accounts",
            token(&olga),
            json!({"name": "Bad", "connector": "hybrid", "token": "not-a-token"}),
        )
        .await;
    assert_error(&bad, 422, "bad_credentials", Some("token"));
    let telegram = server
        .post(
            "/api/v1/automation/accounts",
            token(&olga),
            json!({"name": "TG", "connector": "telegram", "token": agent.access_token}),
        )
        .await;
    assert_error(&telegram, 422, "validation_failed", Some("connector"));
    let account = connect(&server, &olga, &agent, Some(50)).await;
    let path = format!("/api/v1/automation/accounts/{account}");
    let (_, listed) = server.get("/api/v1/automation/accounts", token(&olga)).await;
    assert_eq!(listed["items"][0]["state"], "active");
    assert_eq!(listed["items"][0]["actor_name"], "agent");
    assert_eq!(listed["items"][0]["daily_limit"], 50);
    assert!(
        !listed.to_string().contains(&agent.access_token),
        "the token is never shown"
    );
    // only its owner sees or touches it
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({"name": "Mine"}))),
        ("DELETE", None),
    ] {
        let theirs = server.request(method, &path, token(&ivan), body).await;
        assert_error(&theirs, 404, "not_found", None);
    }
    let (_, ivans) = server.get("/api/v1/automation/accounts", token(&ivan)).await;
    assert_eq!(ivans["items"], json!([]));
    // pause and resume
    let (_, paused) = server
        .request("PATCH", &path, token(&olga), Some(json!({"paused": true})))
        .await;
    assert_eq!(paused["state"], "paused");
    let (_, active) = server
        .request("PATCH", &path, token(&olga), Some(json!({"paused": false})))
        .await;
    assert_eq!(active["state"], "active");
    // the agent signs that session out: the account is logged out, a campaign cannot use it
    let (status, _) = server.post("/api/v1/auth/logout", token(&agent), json!({})).await;
    assert!(status.is_success(), "{status}");
    let (status, checked) = server.post(&format!("{path}/check"), token(&olga), json!({})).await;
    assert_eq!(status, 200, "{checked}");
    assert_eq!(checked["state"], "logged_out");
    let (_, again) = server.login("agent", &agent.password, None).await;
    let reconnect = server
        .post(
            "/api/v1/automation/accounts",
            token(&olga),
            json!({"name": "Old", "connector": "hybrid", "token": agent.access_token}),
        )
        .await;
    assert_error(&reconnect, 422, "bad_credentials", Some("token"));
    let fresh = again["access_token"].as_str().unwrap();
    let (status, _) = server
        .post(
            "/api/v1/automation/accounts",
            token(&olga),
            json!({"name": "New", "connector": "hybrid", "token": fresh}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = server.request("DELETE", &path, token(&olga), None).await;
    assert_eq!(status, 204);
    let gone = server.get(&path, token(&olga)).await;
    assert_error(&gone, 404, "not_found", None);
    // a campaign needs accounts that are in the target chat
    let outsider = server.register("outsider").await;
    let elsewhere = connect(&server, &olga, &outsider, None).await;
    let target = group(&server, &olga, &[]).await;
    let list = audience(&server, &olga, &["@ivan".to_owned()]).await;
    let refused = server
        .post(
            "/api/v1/automation/campaigns",
            token(&olga),
            json!({"name": "No", "audience_id": list, "target_chat_id": target, "account_ids": [elsewhere]}),
        )
        .await;
    assert_error(&refused, 422, "validation_failed", Some("target_chat_id"));
    let not_mine = server
        .post(
            "/api/v1/automation/campaigns",
            token(&ivan),
            json!({"name": "No", "audience_id": list, "target_chat_id": target, "account_ids": [elsewhere]}),
        )
        .await;
    assert_error(&not_mine, 422, "validation_failed", Some("audience_id"));
}

async fn an_account_posts_once_per_key(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let ivan = server.register("ivan").await;
    let agent = server.register("agent").await;
    let account = connect(&server, &olga, &agent, None).await;
    let posts = format!("/api/v1/automation/accounts/{account}/posts");
    let news = group(&server, &olga, &[&agent]).await;
    let history = || async {
        let (status, page) = server
            .get(&format!("/api/v1/chats/{news}/messages?limit=100"), token(&olga))
            .await;
        assert_eq!(status, 200, "{page}");
        let messages = page["messages"].as_array().unwrap().clone();
        messages
            .into_iter()
            .filter(|m| m["sender_id"] == agent.id)
            .map(|m| (m["seq"].as_i64().unwrap(), m["text"].as_str().unwrap().to_owned()))
            .collect::<Vec<_>>()
    };
    // a key makes the post once, however often it is asked
    let body = json!({"chat_id": news, "text": "Monday's digest", "key": "digest-2026-12-07"});
    let (status, first) = server.post(&posts, token(&olga), body.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["chat_id"], news);
    let (status, again) = server.post(&posts, token(&olga), body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["message_id"], first["message_id"]);
    let seq = first["message_id"].as_i64().unwrap();
    assert_eq!(history().await, vec![(seq, "Monday's digest".to_owned())]);
    // without a key each request publishes
    for _ in 0..2 {
        let (status, sent) = server
            .post(&posts, token(&olga), json!({"chat_id": news, "text": "hello"}))
            .await;
        assert_eq!(status, 201, "{sent}");
    }
    assert_eq!(history().await.len(), 3);
    // bad input, a chat the account may not post in, someone else's account
    let long_key = server
        .post(
            &posts,
            token(&olga),
            json!({"chat_id": news, "text": "x", "key": "k".repeat(65)}),
        )
        .await;
    assert_error(&long_key, 422, "validation_failed", Some("key"));
    let empty = server
        .post(&posts, token(&olga), json!({"chat_id": news, "text": ""}))
        .await;
    assert_error(&empty, 422, "validation_failed", Some("text"));
    let (status, channel) = server
        .post(
            "/api/v1/chats",
            token(&olga),
            json!({"kind": "channel", "title": "Announcements", "member_ids": [agent.id]}),
        )
        .await;
    assert_eq!(status, 201, "{channel}");
    let not_admin = server
        .post(
            &posts,
            token(&olga),
            json!({"chat_id": channel["id"], "text": "mine now"}),
        )
        .await;
    assert_error(&not_admin, 403, "forbidden", Some("chat_id"));
    let theirs = server
        .post(&posts, token(&ivan), json!({"chat_id": news, "text": "hijack"}))
        .await;
    assert_error(&theirs, 404, "not_found", None);
    assert_eq!(history().await.len(), 3, "nothing posted by refused requests");
    // the agent signs out: the post is refused and the account marked
    let (status, _) = server.post("/api/v1/auth/logout", token(&agent), json!({})).await;
    assert!(status.is_success(), "{status}");
    let ended = server
        .post(&posts, token(&olga), json!({"chat_id": news, "text": "after"}))
        .await;
    assert_error(&ended, 409, "wrong_state", None);
    let (_, marked) = server
        .get(&format!("/api/v1/automation/accounts/{account}"), token(&olga))
        .await;
    assert_eq!(marked["state"], "logged_out");
    let (_, alerts) = server.get("/api/v1/automation/alerts", token(&olga)).await;
    assert_eq!(alerts["items"][0]["kind"], "account_down", "{alerts}");
    let still = server
        .post(&posts, token(&olga), json!({"chat_id": news, "text": "after"}))
        .await;
    assert_error(&still, 409, "wrong_state", None);
    assert_eq!(history().await.len(), 3);
}

/// A Bot API call with `token` on `telegram`, as any bot library makes it.
async fn bot_call(telegram: &TestServer, token: &str, method: &str, params: Value) -> Value {
    let (status, body) = telegram.post(&format!("/bot{token}/{method}"), None, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    body["result"].clone()
}

/// The last message of `user`'s direct chat with `peer` on `telegram`.
async fn last_direct_message(telegram: &TestServer, user: &TestUser, peer: i64) -> String {
    let (status, chat) = telegram
        .post("/api/v1/chats", token(user), json!({"kind": "direct", "user_id": peer}))
        .await;
    assert!(status.is_success(), "{chat}");
    let (_, page) = telegram
        .get(&format!("/api/v1/chats/{}/messages?limit=1", chat["id"]), token(user))
        .await;
    page["messages"][0]["text"].as_str().unwrap_or_default().to_owned()
}

/// The bot connector against a second Hybrid process standing in for Telegram (its Bot API):
/// people who started the bot get invite links that ask to join, and the bot lets in those it
/// sent one to (and no one else); a 429 (the bot's one message per chat per 4 s, spent just
/// before) is waited out; a post is made once per key.
async fn a_bot_account_sends_links_and_lets_in_whom_it_sent_them(stack: Stack) {
    let telegram = TestServer::start_with(
        &hybrid_binary(),
        Stack::Embedded,
        &[
            ("HYBRID_BOTS__MESSAGES_PER_CHAT", "1"),
            ("HYBRID_BOTS__CHAT_WINDOW_SECS", "4"),
            ("HYBRID_AUTH__PASSWORD_HASH_MEMORY_KIB", "1024"),
            ("HYBRID_AUTH__PASSWORD_HASH_ITERATIONS", "1"),
        ],
    )
    .await;
    let server = start(
        stack,
        &[
            ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
            ("HYBRID_AUTOMATION__BOT_POLL_MS", "200"),
        ],
    )
    .await;
    // on "Telegram": the bot, an admin of the target group, and people
    let tg = telegram.register("tg_owner").await;
    let (status, bot) = telegram
        .post(
            "/api/v1/bots",
            token(&tg),
            json!({"username": "invite_bot", "name": "Invites"}),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    let (bot_id, bot_token) = (bot["id"].as_i64().unwrap(), bot["token"].as_str().unwrap().to_owned());
    let people = register_all(
        &telegram,
        &[
            "first".into(),
            "second".into(),
            "insider".into(),
            "stranger".into(),
            "lurker".into(),
        ],
    )
    .await;
    let [first, second, insider, _stranger, lurker] = &people[..] else {
        unreachable!()
    };
    let (status, chat) = telegram
        .post(
            "/api/v1/chats",
            token(&tg),
            json!({"kind": "group", "title": "Target", "member_ids": [bot_id, insider.id]}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    let group = chat["id"].as_i64().unwrap();
    let (status, promoted) = telegram
        .request(
            "PATCH",
            &format!("/api/v1/chats/{group}/members/{bot_id}"),
            token(&tg),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 200, "{promoted}");
    let bot_chat_id = -(1_000_000_000_000 + group);

    // connecting: a bad token, a bad endpoint, then the bot
    let olga = server.register("olga").await;
    let accounts = "/api/v1/automation/accounts";
    let endpoint = telegram.base_url.clone();
    let wrong = server
        .post(
            accounts,
            token(&olga),
            json!({"name": "Bot", "connector": "telegram_bot", "token": format!("{bot_id}:wrong"), "endpoint": endpoint}),
        )
        .await;
    assert_error(&wrong, 422, "bad_credentials", Some("token"));
    let nowhere = server
        .post(
            accounts,
            token(&olga),
            json!({"name": "Bot", "connector": "telegram_bot", "token": bot_token, "endpoint": "telegram.example"}),
        )
        .await;
    assert_error(&nowhere, 422, "validation_failed", Some("endpoint"));
    let body = json!({"name": "Invites", "connector": "telegram_bot", "token": bot_token, "endpoint": endpoint});
    let (status, account) = server.post(accounts, token(&olga), body.clone()).await;
    assert_eq!(status, 201, "{account}");
    assert_eq!(account["actor_id"], bot_id);
    assert_eq!(account["actor_name"], "invite_bot");
    assert_eq!(account["reachable"], 0);
    assert!(!account.to_string().contains(&bot_token), "the token is never shown");
    let again = server.post(accounts, token(&olga), body).await;
    assert_error(&again, 409, "conflict", Some("token"));
    let account_id = account["id"].as_i64().unwrap();

    // three people start the bot; the stranger and the lurker never do
    for person in [first, second, insider] {
        let (status, direct) = telegram
            .post(
                "/api/v1/chats",
                token(person),
                json!({"kind": "direct", "user_id": bot_id}),
            )
            .await;
        assert!(status.is_success(), "{direct}");
        let (status, sent) = telegram
            .post(
                &format!("/api/v1/chats/{}/messages", direct["id"]),
                token(person),
                json!({"text": "/start"}),
            )
            .await;
        assert_eq!(status, 201, "{sent}");
    }
    until("the bot to learn who started it", || async {
        let (_, account) = server.get(&format!("{accounts}/{account_id}"), token(&olga)).await;
        (account["reachable"] == 3).then_some(())
    })
    .await;

    // the chain of update polls ends (an admin cancels it here; retries running out in a long
    // database outage would too): a check of the account starts it again, and a latecomer
    // who starts the bot is learned
    let root = server.admin("root").await;
    let chain = "/api/v1/admin/jobs/automation?queue=automation.bot_updates";
    until("the chain of polls to be stopped", || async {
        let mut pending = Vec::new();
        for state in ["ready", "running"] {
            let (status, page) = server.get(&format!("{chain}&state={state}"), token(&root)).await;
            assert_eq!(status, 200, "{page}");
            pending.extend(page["items"].as_array().unwrap().iter().map(|j| j["id"].clone()));
        }
        for id in &pending {
            server
                .post(
                    &format!("/api/v1/admin/jobs/automation/{id}/cancel"),
                    token(&root),
                    json!({}),
                )
                .await;
        }
        pending.is_empty().then_some(())
    })
    .await;
    let latecomer = telegram.register("latecomer").await;
    let (_, direct) = telegram
        .post(
            "/api/v1/chats",
            token(&latecomer),
            json!({"kind": "direct", "user_id": bot_id}),
        )
        .await;
    let (status, _) = telegram
        .post(
            &format!("/api/v1/chats/{}/messages", direct["id"]),
            token(&latecomer),
            json!({"text": "/start"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, checked) = server
        .post(&format!("{accounts}/{account_id}/check"), token(&olga), json!({}))
        .await;
    assert_eq!(status, 200, "{checked}");
    until("the revived chain to learn the latecomer", || async {
        let (_, account) = server.get(&format!("{accounts}/{account_id}"), token(&olga)).await;
        (account["reachable"] == 4).then_some(())
    })
    .await;
    // checking again while the chain runs starts no second one
    server
        .post(&format!("{accounts}/{account_id}/check"), token(&olga), json!({}))
        .await;
    let mut alive = 0;
    for state in ["ready", "running"] {
        let (_, page) = server.get(&format!("{chain}&state={state}"), token(&root)).await;
        alive += page["items"].as_array().unwrap().len();
    }
    assert_eq!(alive, 1, "one chain of polls");

    // the bot greets `first` itself: its one message to them per 4 s is spent, so the
    // campaign's link to them meets a 429 and waits it out
    bot_call(
        &telegram,
        &bot_token,
        "sendMessage",
        json!({"chat_id": first.id, "text": "Hello!"}),
    )
    .await;
    let list = audience(
        &server,
        &olga,
        &["@first".into(), "@second".into(), "@insider".into(), "@stranger".into()],
    )
    .await;
    let id = campaign(
        &server,
        &olga,
        json!({"name": "Bot invites", "audience_id": list, "target_chat_id": bot_chat_id,
               "account_ids": [account_id], "mode": "invite", "link_text": "Join us: {link}"}),
    )
    .await;
    finished(&server, &olga, id).await;
    let outcomes = contacts(&server, &olga, id).await;
    let outcome = |value: &str| outcomes[value]["outcome"].as_str().unwrap_or_default().to_owned();
    assert_eq!(outcome("first"), "link_sent", "{outcomes:?}");
    assert!(
        outcomes["first"]["attempts"].as_i64().unwrap() >= 2,
        "the 429 was an attempt: {outcomes:?}"
    );
    assert_eq!(outcome("second"), "link_sent");
    assert_eq!(outcome("insider"), "already_member");
    assert_eq!(outcome("stranger"), "not_found");
    assert!(
        outcomes["stranger"]["detail"]
            .as_str()
            .unwrap()
            .contains("has not written to the bot"),
        "{outcomes:?}"
    );

    // the link asks to join: the bot lets in `second`, whom it sent the link, and leaves the
    // lurker (who got the link passed on) to the chat's admins
    let text = last_direct_message(&telegram, second, bot_id).await;
    assert!(text.starts_with("Join us: "), "{text}");
    let code = text.rsplit('/').next().unwrap().to_owned();
    for person in [lurker, second] {
        let (status, asked) = telegram
            .post(&format!("/api/v1/invites/{code}/join"), token(person), json!({}))
            .await;
        assert!(status.is_success(), "{asked}");
    }
    until("the bot to approve the join request it asked for", || async {
        member_ids(&telegram, &tg, group)
            .await
            .contains(&second.id)
            .then_some(())
    })
    .await;
    assert!(
        !member_ids(&telegram, &tg, group).await.contains(&lurker.id),
        "not the bot's to let in"
    );
    let outcomes = contacts(&server, &olga, id).await;
    assert_eq!(outcomes["second"]["detail"], "joined through the link");

    // a post into the group, once per key
    let posts = format!("{accounts}/{account_id}/posts");
    let post = json!({"chat_id": bot_chat_id, "text": "Welcome, everyone", "key": "welcome"});
    let (status, first_post) = server.post(&posts, token(&olga), post.clone()).await;
    assert_eq!(status, 201, "{first_post}");
    let (status, second_post) = server.post(&posts, token(&olga), post).await;
    assert_eq!(status, 201, "{second_post}");
    assert_eq!(first_post["message_id"], second_post["message_id"]);
    let (_, history) = telegram
        .get(&format!("/api/v1/chats/{group}/messages?limit=100"), token(&tg))
        .await;
    let welcomes = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["text"] == "Welcome, everyone" && m["sender_id"] == bot_id)
        .count();
    assert_eq!(welcomes, 1);

    // the parser cannot read a chat through the Bot API: the parse fails and says why
    let parse = start_parse(
        &server,
        &olga,
        json!({"account_id": account_id, "source_chat_id": bot_chat_id, "audience_name": "From the bot"}),
    )
    .await;
    let ended = parse_ended(&server, &olga, &parse).await;
    assert_eq!(ended["state"], "failed", "{ended}");
    assert!(ended["detail"].as_str().unwrap().contains("Bot API"), "{ended}");

    // the bot's token is revoked on "Telegram": the account is logged out
    let (status, _) = telegram
        .post(&format!("/api/v1/bots/{bot_id}/token"), token(&tg), json!({}))
        .await;
    assert_eq!(status, 200);
    let (_, checked) = server
        .post(&format!("{accounts}/{account_id}/check"), token(&olga), json!({}))
        .await;
    assert_eq!(checked["state"], "logged_out", "{checked}");
}

async fn start_parse(server: &TestServer, owner: &TestUser, body: Value) -> Value {
    let (status, parse) = server.post("/api/v1/automation/parses", token(owner), body).await;
    assert_eq!(status, 201, "{parse}");
    assert_eq!(parse["state"], "running");
    parse
}

async fn parse_ended(server: &TestServer, owner: &TestUser, parse: &Value) -> Value {
    let path = format!("/api/v1/automation/parses/{}", parse["id"]);
    until("the parse to end", || async {
        let (status, parse) = server.get(&path, token(owner)).await;
        assert_eq!(status, 200, "{parse}");
        (parse["state"] != "running").then_some(parse)
    })
    .await
}

/// The usernames of an audience's CSV export, sorted.
async fn exported(server: &TestServer, owner: &TestUser, audience: &Value) -> Vec<String> {
    let response = server
        .http
        .get(server.url(&format!("/api/v1/automation/audiences/{audience}/export")))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("kind,value"));
    let mut names: Vec<String> = lines
        .map(|line| line.strip_prefix("username,").expect("a username line").to_owned())
        .collect();
    names.sort();
    names
}

fn sorted_names(users: &[&TestUser]) -> Vec<String> {
    let mut names: Vec<String> = users.iter().map(|u| u.username.clone()).collect();
    names.sort();
    names
}

async fn the_parser_reads_a_chat_into_an_audience(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let agent = server.register("agent").await;
    let people = register_all(&server, &(0..12).map(|i| format!("member{i:02}")).collect::<Vec<_>>()).await;
    let (status, bot) = server
        .post(
            "/api/v1/bots",
            token(&olga),
            json!({"username": "helper_bot", "name": "Helper"}),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    let mut members: Vec<&TestUser> = people.iter().collect();
    members.push(&agent);
    let source = group(&server, &olga, &members).await;
    let (status, added) = server
        .post(
            &format!("/api/v1/chats/{source}/members"),
            token(&olga),
            json!({"user_ids": [bot["id"]]}),
        )
        .await;
    assert!(status.is_success(), "{added}");
    let account = connect(&server, &olga, &agent, None).await;

    // members: everyone in the chat but the bot
    let parse = start_parse(
        &server,
        &olga,
        json!({"account_id": account, "source_chat_id": source, "audience_name": "Members"}),
    )
    .await;
    let done = parse_ended(&server, &olga, &parse).await;
    assert_eq!(
        (done["state"].as_str(), done["scanned"].as_i64(), done["found"].as_i64()),
        (Some("finished"), Some(15), Some(14)),
        "{done}"
    );
    members.push(&olga);
    assert_eq!(
        exported(&server, &olga, &done["audience_id"]).await,
        sorted_names(&members)
    );
    let (_, audience) = server
        .get(
            &format!("/api/v1/automation/audiences/{}", done["audience_id"]),
            token(&olga),
        )
        .await;
    assert_eq!(
        (audience["name"].as_str(), audience["size"].as_i64()),
        (Some("Members"), Some(14))
    );

    // authors: the first message's author is on the second page of 200; the joins and the
    // people who never wrote are left out
    let say = |user: &TestUser, text: String| {
        let (server, access) = (&server, user.access_token.clone());
        async move {
            let (status, sent) = server
                .post(
                    &format!("/api/v1/chats/{source}/messages"),
                    Some(&access),
                    json!({"text": text}),
                )
                .await;
            assert_eq!(status, 201, "{sent}");
        }
    };
    say(&people[0], "first!".into()).await;
    for i in 0..204 {
        say(&people[1 + i % 3], format!("message {i}")).await;
    }
    let parse = start_parse(
        &server,
        &olga,
        json!({"account_id": account, "source_chat_id": source, "source": "authors", "audience_name": "Authors"}),
    )
    .await;
    let done = parse_ended(&server, &olga, &parse).await;
    assert_eq!(done["state"], "finished", "{done}");
    assert!(
        done["scanned"].as_i64().unwrap() > 205,
        "every message read, the joins too: {done}"
    );
    let authors: Vec<&TestUser> = people[..4].iter().collect();
    assert_eq!(
        exported(&server, &olga, &done["audience_id"]).await,
        sorted_names(&authors)
    );

    // a limit stops it early
    let parse = start_parse(
        &server,
        &olga,
        json!({"account_id": account, "source_chat_id": source, "audience_name": "Few", "max_people": 5}),
    )
    .await;
    let done = parse_ended(&server, &olga, &parse).await;
    assert_eq!(
        (done["state"].as_str(), done["found"].as_i64()),
        (Some("finished"), Some(5)),
        "{done}"
    );
    assert_eq!(done["detail"], "reached its limit");
    let (_, list) = server.get("/api/v1/automation/parses", token(&olga)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(list["items"][0]["id"], parse["id"], "newest first");

    // bad input, and nobody else's
    let outsider_chat = group(&server, &people[5], &[]).await;
    let refusals = [
        (
            json!({"account_id": account, "source_chat_id": outsider_chat, "audience_name": "X"}),
            "source_chat_id",
        ),
        (
            json!({"account_id": 999_999, "source_chat_id": source, "audience_name": "X"}),
            "account_id",
        ),
        (
            json!({"account_id": account, "source_chat_id": source, "audience_name": " "}),
            "audience_name",
        ),
        (
            json!({"account_id": account, "source_chat_id": source, "audience_name": "X", "source": "readers"}),
            "source",
        ),
        (
            json!({"account_id": account, "source_chat_id": source, "audience_name": "X", "max_people": 0}),
            "max_people",
        ),
    ];
    for (body, field) in refusals {
        let refused = server.post("/api/v1/automation/parses", token(&olga), body).await;
        assert_error(&refused, 422, "validation_failed", Some(field));
    }
    let ivan = server.register("ivan").await;
    let theirs = server
        .get(&format!("/api/v1/automation/parses/{}", parse["id"]), token(&ivan))
        .await;
    assert_error(&theirs, 404, "not_found", None);
    let cancel = server
        .post(
            &format!("/api/v1/automation/parses/{}/cancel", parse["id"]),
            token(&ivan),
            json!({}),
        )
        .await;
    assert_error(&cancel, 404, "not_found", None);
    // cancelling one that ended changes nothing
    let (status, ended) = server
        .post(
            &format!("/api/v1/automation/parses/{}/cancel", parse["id"]),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), &ended["state"], &ended["found"]),
        (200, &json!("finished"), &json!(5))
    );
}

/// Cancelled before its first page (this server runs no jobs, so the parse waits for ever),
/// and ended by its account's signed-out session (on a second server, which runs them).
async fn a_parse_stops_when_cancelled_or_refused(stack: Stack) {
    let server = start(stack, &[("HYBRID_JOBS__RUN", "false")]).await;
    let olga = server.register("olga").await;
    let agent = server.register("agent").await;
    let source = group(&server, &olga, &[&agent]).await;
    let account = connect(&server, &olga, &agent, None).await;
    let body = json!({"account_id": account, "source_chat_id": source, "audience_name": "Waiting"});
    let parse = start_parse(&server, &olga, body).await;
    let path = format!("/api/v1/automation/parses/{}", parse["id"]);
    let (status, cancelled) = server.post(&format!("{path}/cancel"), token(&olga), json!({})).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(
        (cancelled["state"].as_str(), cancelled["found"].as_i64()),
        (Some("cancelled"), Some(0))
    );
    assert!(cancelled["finished_at"].is_i64());
    assert_eq!(server.get(&path, token(&olga)).await.1["state"], "cancelled");
    drop(server);

    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let agent = server.register("agent").await;
    let source = group(&server, &olga, &[&agent]).await;
    let account = connect(&server, &olga, &agent, None).await;
    let (status, _) = server.post("/api/v1/auth/logout", token(&agent), json!({})).await;
    assert!(status.is_success());
    let body = json!({"account_id": account, "source_chat_id": source, "audience_name": "Refused"});
    let parse = start_parse(&server, &olga, body).await;
    let done = parse_ended(&server, &olga, &parse).await;
    assert_eq!(done["state"], "failed", "{done}");
    assert_eq!(done["detail"], "the account's session was signed out");
    assert_eq!(done["found"], 0);
    // its failure is an alert (listed only: no chat to send alerts to is set)
    let (_, alerts) = server.get("/api/v1/automation/alerts", token(&olga)).await;
    let alert = &alerts["items"][0];
    assert_eq!(
        (alert["kind"].as_str(), alert["state"].as_str()),
        (Some("job_failed"), Some("suppressed")),
        "{alerts}"
    );
    assert!(alert["text"].as_str().unwrap().contains("signed out"), "{alert}");
}

/// `x-hybrid-signature` for `body`, computed by openssl (not by Hybrid's code).
async fn openssl_signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    use tokio::io::AsyncWriteExt;
    let mut openssl = tokio::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", secret])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl runs");
    let mut stdin = openssl.stdin.take().unwrap();
    stdin
        .write_all(format!("{unix_seconds}.{body}").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let output = openssl.wait_with_output().await.unwrap();
    let printed = String::from_utf8(output.stdout).unwrap();
    let hex = printed.trim().rsplit(' ').next().unwrap().to_owned();
    format!("t={unix_seconds},v1={hex}")
}

async fn the_inbound_webhook_adds_one_contact_per_request(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let agent = server.register("agent").await;
    let people = register_all(&server, &["first".into(), "second".into(), "third".into()]).await;
    let target = group(&server, &olga, &[&agent]).await;
    let account = connect(&server, &olga, &agent, None).await;
    let list = audience(&server, &olga, &[people[0].username.clone()]).await;
    let id = campaign(
        &server,
        &olga,
        json!({"name": "Hooked", "audience_id": list, "target_chat_id": target, "account_ids": [account]}),
    )
    .await;
    finished(&server, &olga, id).await;
    let (status, hook) = server
        .post(
            &format!("/api/v1/automation/campaigns/{id}/inbound"),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{hook}");
    let (path, secret) = (
        hook["path"].as_str().unwrap().to_owned(),
        hook["secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(campaign_state(&server, &olga, id).await["inbound_path"], path.as_str());
    let send = |body: String, headers: Vec<(&'static str, String)>| {
        let (server, path) = (&server, path.clone());
        async move {
            let mut request = server
                .http
                .post(server.url(&path))
                .header("content-type", "application/json")
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            hybrid_testkit::json_of(request.send().await.unwrap()).await
        }
    };
    let with_token = |secret: &str| vec![("x-hybrid-token", secret.to_owned())];
    let second = json!({"contact": format!("@{}", people[1].username)}).to_string();

    // no secret, a wrong one: refused, nothing added
    assert_error(&send(second.clone(), vec![]).await, 401, "unauthorized", None);
    assert_error(
        &send(second.clone(), with_token("not-the-secret")).await,
        401,
        "unauthorized",
        None,
    );
    // the secret: the finished campaign takes the newcomer and runs again
    let (status, contact) = send(second.clone(), with_token(&secret)).await;
    assert_eq!(status, 201, "{contact}");
    assert_eq!(
        (contact["kind"].as_str(), contact["value"].as_str()),
        (Some("username"), Some("second"))
    );
    let done = finished(&server, &olga, id).await;
    assert_eq!(done["progress"]["outcomes"], json!({"invited": 2}), "{done}");
    // the same person again is the contact it has
    let (status, again) = send(second.clone(), with_token(&secret)).await;
    assert_eq!((status.as_u16(), &again["id"]), (200, &contact["id"]));
    // signed with HMAC instead (computed by openssl), fresh; a stale signature is refused
    let third = json!({"contact": people[2].username}).to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let stale = openssl_signature(&secret, now - 3600, &third).await;
    assert_error(
        &send(third.clone(), vec![("x-hybrid-signature", stale)]).await,
        401,
        "unauthorized",
        None,
    );
    let signed = openssl_signature(&secret, now, &third).await;
    let other_body = json!({"contact": "@someone_else"}).to_string();
    assert_error(
        &send(other_body, vec![("x-hybrid-signature", signed.clone())]).await,
        401,
        "unauthorized",
        None,
    );
    let (status, contact) = send(third.clone(), vec![("x-hybrid-signature", signed)]).await;
    assert_eq!(status, 201, "{contact}");
    let done = finished(&server, &olga, id).await;
    assert_eq!(done["progress"]["outcomes"], json!({"invited": 3}), "{done}");
    assert_eq!(member_ids(&server, &olga, target).await.len(), 2 + 3);
    // bad input
    let bad = send(json!({"contact": "not a name!"}).to_string(), with_token(&secret)).await;
    assert_error(&bad, 422, "validation_failed", Some("contact"));
    let broken = send("{".into(), with_token(&secret)).await;
    assert_eq!(broken.0, 400, "{:?}", broken.1);
    // a new secret retires the old one
    let (_, renewed) = server
        .post(
            &format!("/api/v1/automation/campaigns/{id}/inbound"),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(renewed["path"], path.as_str(), "the address stays");
    let fourth = json!({"contact": "+7 912 000-00-01"}).to_string();
    assert_error(
        &send(fourth.clone(), with_token(&secret)).await,
        401,
        "unauthorized",
        None,
    );
    let new_secret = renewed["secret"].as_str().unwrap();
    // nobody else's: ivan cannot make or remove it
    let ivan = server.register("ivan").await;
    let theirs = server
        .post(
            &format!("/api/v1/automation/campaigns/{id}/inbound"),
            token(&ivan),
            json!({}),
        )
        .await;
    assert_error(&theirs, 404, "not_found", None);
    // removed: no such hook
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/automation/campaigns/{id}/inbound"),
            token(&olga),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_error(&send(fourth, with_token(new_secret)).await, 404, "not_found", None);
    assert!(campaign_state(&server, &olga, id).await["inbound_path"].is_null());

    // a cancelled campaign takes nobody (this one waits an hour after its first invite)
    let slow = campaign(
        &server,
        &olga,
        json!({"name": "Slow", "audience_id": list, "target_chat_id": target, "account_ids": [account],
               "pause_min_secs": 3600}),
    )
    .await;
    let (status, _) = server
        .post(
            &format!("/api/v1/automation/campaigns/{slow}/cancel"),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, hook) = server
        .post(
            &format!("/api/v1/automation/campaigns/{slow}/inbound"),
            token(&olga),
            json!({}),
        )
        .await;
    let (path, secret) = (hook["path"].as_str().unwrap(), hook["secret"].as_str().unwrap());
    let refused = server
        .http
        .post(server.url(path))
        .header("x-hybrid-token", secret)
        .json(&json!({"contact": "+7 912 000-00-01"}))
        .send()
        .await
        .unwrap();
    assert_error(&hybrid_testkit::json_of(refused).await, 409, "wrong_state", None);
}

/// The QR login's HTTP side in the real binary (its Telegram side runs against a scripted
/// Telegram in the crate's unit tests: Telegram is unreachable from here). "Telegram" is a
/// closed local port: a login starts, says Telegram is away, and keeps waiting.
async fn telegram_logins_start_where_configured_and_say_when_telegram_is_away(stack: Stack) {
    let server = start(
        stack,
        &[
            ("HYBRID_AUTOMATION__TELEGRAM_API_ID", "12345"),
            (
                "HYBRID_AUTOMATION__TELEGRAM_API_HASH",
                "0123456789abcdef0123456789abcdef",
            ),
            ("HYBRID_AUTOMATION__TELEGRAM_DC_ADDRESS", "127.0.0.1:1"),
        ],
    )
    .await;
    let olga = server.register("olga").await;
    let ivan = server.register("ivan").await;
    let logins = "/api/v1/automation/logins";
    let (status, login) = server
        .post(logins, token(&olga), json!({"name": "Sales 1", "daily_limit": 20}))
        .await;
    assert_eq!(status, 201, "{login}");
    assert_eq!(login["state"], "waiting");
    assert_eq!(login["name"], "Sales 1");
    assert!(login.get("qr_url").is_none(), "no code without Telegram: {login}");
    assert!(
        login["unreachable"]
            .as_str()
            .is_some_and(|why| why.starts_with("could not reach Telegram")),
        "{login}"
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let ten_minutes = login["expires_at"].as_i64().unwrap() - now_ms;
    assert!((9 * 60_000..=10 * 60_000).contains(&ten_minutes), "{login}");
    let this = format!("{logins}/{}", login["id"]);
    // a poll tries again, and the login waits on
    let (status, polled) = server.get(&this, token(&olga)).await;
    assert_eq!(status, 200, "{polled}");
    assert_eq!(
        (polled["id"].clone(), polled["state"].clone()),
        (login["id"].clone(), json!("waiting"))
    );
    assert!(polled["unreachable"].is_string(), "{polled}");
    // no password is asked for
    let asked = server
        .post(&format!("{this}/password"), token(&olga), json!({"password": "x"}))
        .await;
    assert_error(&asked, 409, "wrong_state", None);
    // another's login is not there for them
    assert_error(&server.get(&this, token(&ivan)).await, 404, "not_found", None);
    assert_error(
        &server.request("DELETE", &this, token(&ivan), None).await,
        404,
        "not_found",
        None,
    );
    // bad input
    let nameless = server.post(logins, token(&olga), json!({"name": "  "})).await;
    assert_error(&nameless, 422, "validation_failed", Some("name"));
    let too_many = server
        .post(logins, token(&olga), json!({"name": "x", "daily_limit": 1_000_000}))
        .await;
    assert_error(&too_many, 422, "validation_failed", Some("daily_limit"));
    // a Telegram user account is not connected with a token
    let by_token = server
        .post(
            "/api/v1/automation/accounts",
            token(&olga),
            json!({"name": "x", "connector": "telegram_user", "token": "whatever"}),
        )
        .await;
    assert_error(&by_token, 422, "bad_credentials", Some("token"));
    assert!(
        by_token.1["error"]["message"].as_str().unwrap().contains("QR code"),
        "{by_token:?}"
    );
    // cancelled, it is gone
    let (status, _) = server.request("DELETE", &this, token(&olga), None).await;
    assert_eq!(status, 204);
    assert_error(&server.get(&this, token(&olga)).await, 404, "not_found", None);
    let (_, accounts) = server.get("/api/v1/automation/accounts", token(&olga)).await;
    assert_eq!(accounts["items"], json!([]));

    // a server without Telegram's app credentials says what to set
    let bare = start(stack, &[]).await;
    let anna = bare.register("anna").await;
    let refused = bare.post(logins, token(&anna), json!({"name": "Sales"})).await;
    assert_error(&refused, 503, "unavailable", None);
    assert!(
        refused.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("automation.telegram_api_id"),
        "{refused:?}"
    );
}
