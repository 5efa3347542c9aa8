//! Catch-up through /sync after being offline, and what survives a restart.

use hybrid_testkit::{Stack, assert_error, stack_tests};
use serde_json::{Value, json};

use crate::{create_chat, direct, send, start, start_with};

stack_tests!(
    catch_up_after_offline,
    too_long_and_not_member,
    pruned_events_answer_too_long,
    acknowledged_messages_survive_restart,
);

fn kinds(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn catch_up_after_offline(stack: Stack) {
    let server = start(stack).await;
    let ida = server.register("ida").await;
    let jon = server.register("jon").await;
    let chat_id = direct(&server, &ida, &jon).await;
    send(&server, &ida, chat_id, "one").await;
    // jon is up to date here
    let (_, state) = server
        .post(
            "/api/v1/sync",
            Some(&jon.access_token),
            json!({"user_pts": 0, "chats": {chat_id.to_string(): 0}}),
        )
        .await;
    let user_pts = state["user_pts"].as_i64().unwrap();
    let chat_pts = state["chats"][0]["pts"].as_i64().unwrap();
    assert_eq!(kinds(&state["user_events"]), ["chat.added"]);
    assert_eq!(
        kinds(&state["chats"][0]["events"]),
        ["member.joined", "member.joined", "message.new"]
    );

    // jon goes offline; a lot happens
    let path = format!("/api/v1/chats/{chat_id}/messages");
    send(&server, &ida, chat_id, "two").await;
    server
        .request(
            "PATCH",
            &format!("{path}/1"),
            Some(&ida.access_token),
            Some(json!({"text": "one (edited)"})),
        )
        .await;
    server
        .request(
            "PUT",
            &format!("{path}/2/reactions/%F0%9F%91%80"),
            Some(&ida.access_token),
            None,
        )
        .await;
    server
        .request("DELETE", &format!("{path}/2"), Some(&ida.access_token), None)
        .await;
    let kai = server.register("kai").await;
    let group = create_chat(&server, &kai, "group", "Surprise", &[&jon]).await;

    let (status, missed) = server
        .post(
            "/api/v1/sync",
            Some(&jon.access_token),
            json!({"user_pts": user_pts, "chats": {chat_id.to_string(): chat_pts}}),
        )
        .await;
    assert_eq!(status, 200, "{missed}");
    let chat = &missed["chats"][0];
    assert_eq!(chat["too_long"], false);
    assert_eq!(
        kinds(&chat["events"]),
        ["message.new", "message.edited", "reaction.changed", "message.deleted"]
    );
    let pts: Vec<i64> = chat["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pts"].as_i64().unwrap())
        .collect();
    assert_eq!(
        pts,
        (chat_pts + 1..=chat_pts + 4).collect::<Vec<_>>(),
        "consecutive, in order"
    );
    assert_eq!(chat["pts"], chat_pts + 4);
    assert_eq!(chat["events"][1]["data"]["text"], "one (edited)");
    // the new chat arrives as a user event
    assert_eq!(kinds(&missed["user_events"]), ["chat.added"]);
    assert_eq!(missed["user_events"][0]["data"]["chat_id"], group);
    assert_eq!(missed["user_pts"], user_pts + 1);

    // syncing again with the new pts returns nothing new
    let (_, again) = server
        .post(
            "/api/v1/sync",
            Some(&jon.access_token),
            json!({"user_pts": user_pts + 1, "chats": {chat_id.to_string(): chat_pts + 4}}),
        )
        .await;
    assert!(again["chats"][0]["events"].as_array().unwrap().is_empty());
    assert!(again["user_events"].as_array().unwrap().is_empty());
}

async fn too_long_and_not_member(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_CHATS__SYNC_MAX_EVENTS", "5")]).await;
    let lia = server.register("lia").await;
    let max = server.register("max").await;
    let chat_id = direct(&server, &lia, &max).await;
    for i in 0..10 {
        send(&server, &lia, chat_id, &format!("m{i}")).await;
    }
    let (_, result) = server
        .post(
            "/api/v1/sync",
            Some(&max.access_token),
            json!({"chats": {chat_id.to_string(): 2}}),
        )
        .await;
    assert_eq!(result["chats"][0]["too_long"], true);
    assert!(result["chats"][0]["events"].as_array().unwrap().is_empty());
    assert_eq!(result["chats"][0]["pts"], 12);
    let (_, result) = server
        .post(
            "/api/v1/sync",
            Some(&max.access_token),
            json!({"chats": {chat_id.to_string(): 8}}),
        )
        .await;
    assert_eq!(result["chats"][0]["events"].as_array().unwrap().len(), 4);
    // a chat I am not in
    let other = server.register("ned").await;
    let (_, result) = server
        .post(
            "/api/v1/sync",
            Some(&other.access_token),
            json!({"chats": {chat_id.to_string(): 0}}),
        )
        .await;
    assert_eq!(result["chats"][0]["not_member"], true);
    assert!(result["chats"][0]["events"].as_array().unwrap().is_empty());
    let bad = server
        .post("/api/v1/sync", Some(&max.access_token), json!({"chats": {"abc": 1}}))
        .await;
    assert_error(&bad, 400, "invalid_json", None);
}

async fn acknowledged_messages_survive_restart(stack: Stack) {
    let mut server = start(stack).await;
    let ola = server.register("ola").await;
    let pim = server.register("pim").await;
    let chat_id = direct(&server, &ola, &pim).await;
    let path = format!("/api/v1/chats/{chat_id}/messages");
    // many concurrent sends (batched into few commits on SQLite), each acknowledged
    let sends = (0..50).map(|i| {
        let server = &server;
        let token = ola.access_token.clone();
        let path = path.clone();
        async move {
            server
                .post(
                    &path,
                    Some(&token),
                    json!({"text": format!("m{i}"), "nonce": format!("k{i}")}),
                )
                .await
        }
    });
    let results = futures::future::join_all(sends).await;
    assert!(results.iter().all(|(status, _)| *status == 201));
    let mut seqs: Vec<i64> = results.iter().map(|(_, m)| m["seq"].as_i64().unwrap()).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>(), "gapless");

    server.restart().await;

    let (_, page) = server.get(&format!("{path}?limit=100"), Some(&pim.access_token)).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 50);
    // a retried send after the restart still finds its first attempt
    let (status, retry) = server
        .post(&path, Some(&ola.access_token), json!({"text": "m7", "nonce": "k7"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(retry["text"], "m7");
    let (_, synced) = server
        .post(
            "/api/v1/sync",
            Some(&pim.access_token),
            json!({"chats": {chat_id.to_string(): 2}}),
        )
        .await;
    assert_eq!(synced["chats"][0]["events"].as_array().unwrap().len(), 50);
}

async fn pruned_events_answer_too_long(stack: Stack) {
    let mut server = start(stack).await;
    let rio = server.register("rio").await;
    let sam = server.register("sam").await;
    let chat_id = direct(&server, &rio, &sam).await;
    send(&server, &rio, chat_id, "soon forgotten").await;
    let body = json!({"chats": {chat_id.to_string(): 2}});
    let (_, before) = server.post("/api/v1/sync", Some(&sam.access_token), body.clone()).await;
    assert_eq!(before["chats"][0]["events"].as_array().unwrap().len(), 1);
    // with no retention, the pruner (which runs at start, then hourly) drops the old events
    server.set_env("HYBRID_CHATS__EVENT_RETENTION_DAYS", "0");
    server.restart().await;
    let mut after = Value::Null;
    for _ in 0..50 {
        after = server
            .post("/api/v1/sync", Some(&sam.access_token), body.clone())
            .await
            .1;
        if after["chats"][0]["too_long"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(after["chats"][0]["too_long"], true, "{after}");
    // the messages themselves stay: a client reloads history
    let (_, page) = server
        .get(&format!("/api/v1/chats/{chat_id}/messages"), Some(&sam.access_token))
        .await;
    assert_eq!(page["messages"][0]["text"], "soon forgotten");
}
