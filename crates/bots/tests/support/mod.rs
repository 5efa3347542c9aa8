//! What the bots test binaries share: making bots and chats, calling the Bot API.
#![allow(dead_code)] // each test binary uses its own part

use hybrid_testkit::{TestServer, TestUser, json_of, until};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A bot `owner` makes: its id and token.
pub async fn make_bot(server: &TestServer, owner: &TestUser, username: &str, name: &str) -> (i64, String) {
    let (status, bot) = server
        .post(
            "/api/v1/bots",
            Some(&owner.access_token),
            json!({"username": username, "name": name}),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    (bot["id"].as_i64().unwrap(), bot["token"].as_str().unwrap().to_owned())
}

/// Calls Bot API `method` with `params` as JSON.
pub async fn call(server: &TestServer, token: &str, method: &str, params: Value) -> (StatusCode, Value) {
    let response = server
        .http
        .post(server.url(&format!("/bot{token}/{method}")))
        .json(&params)
        .send()
        .await
        .expect("request failed");
    json_of(response).await
}

/// Calls `method` and returns its `result`; panics unless it is ok.
pub async fn ok(server: &TestServer, token: &str, method: &str, params: Value) -> Value {
    let (status, body) = call(server, token, method, params).await;
    assert_eq!(status, 200, "{method}: {body}");
    assert_eq!(body["ok"], true, "{method}: {body}");
    body["result"].clone()
}

/// Asserts a Bot API error: status = `error_code`, and the description.
#[track_caller]
pub fn assert_bot_error(response: &(StatusCode, Value), code: u16, description: &str) {
    let (status, body) = response;
    assert_eq!(status.as_u16(), code, "{body}");
    assert_eq!(
        body,
        &json!({"ok": false, "error_code": code, "description": description})
    );
}

/// The updates after `offset` once there are at least `count`.
pub async fn updates(server: &TestServer, token: &str, offset: i64, count: usize) -> Vec<Value> {
    until(&format!("{count} updates"), || async {
        let result = ok(server, token, "getUpdates", json!({"offset": offset})).await;
        let list = result.as_array().unwrap().clone();
        (list.len() >= count).then_some(list)
    })
    .await
}

/// The updates after `offset` that are messages or posts with text (not service messages
/// nor member updates), once there are at least `count`.
pub async fn text_updates(server: &TestServer, token: &str, offset: i64, count: usize) -> Vec<Value> {
    until(&format!("{count} text updates"), || async {
        let result = ok(server, token, "getUpdates", json!({"offset": offset})).await;
        let texts: Vec<Value> = result
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| {
                let message = u.get("message").or_else(|| u.get("channel_post"));
                message.is_some_and(|m| m.get("text").is_some())
            })
            .cloned()
            .collect();
        (texts.len() >= count).then_some(texts)
    })
    .await
}

/// The offset after every update waiting now (the next getUpdates sees only newer ones).
pub async fn next_offset(server: &TestServer, token: &str) -> i64 {
    let waiting = ok(server, token, "getUpdates", json!({})).await;
    let last = waiting.as_array().unwrap().last();
    last.map_or(0, |update| update["update_id"].as_i64().unwrap() + 1)
}

/// The first update after `offset` that carries `kind` (`chat_join_request` …): its object.
pub async fn update_of(server: &TestServer, token: &str, offset: i64, kind: &str) -> Value {
    until(&format!("a {kind} update"), || async {
        let result = ok(server, token, "getUpdates", json!({"offset": offset})).await;
        result.as_array().unwrap().iter().find_map(|u| u.get(kind).cloned())
    })
    .await
}

/// The direct chat `from` opens with user `to`: its id.
pub async fn direct_chat(server: &TestServer, from: &TestUser, to: i64) -> i64 {
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&from.access_token),
            json!({"kind": "direct", "user_id": to}),
        )
        .await;
    assert!(status.is_success(), "{chat}");
    chat["id"].as_i64().unwrap()
}

/// A group or channel `owner` makes with `members`: its id.
pub async fn chat(server: &TestServer, owner: &TestUser, kind: &str, title: &str, members: &[i64]) -> i64 {
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&owner.access_token),
            json!({"kind": kind, "title": title, "member_ids": members}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    chat["id"].as_i64().unwrap()
}

/// Sends `text` in `chat_id` as `sender`: the message's seq.
pub async fn say(server: &TestServer, sender: &TestUser, chat_id: i64, text: &str) -> i64 {
    let (status, message) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(&sender.access_token),
            json!({"text": text}),
        )
        .await;
    assert!(status.is_success(), "{message}");
    message["seq"].as_i64().unwrap()
}

/// Message `seq` of `chat_id` as `reader` sees it in Hybrid's own API (its latest page).
pub async fn message_in(server: &TestServer, reader: &TestUser, chat_id: i64, seq: i64) -> Value {
    let (status, history) = server
        .get(&format!("/api/v1/chats/{chat_id}/messages"), Some(&reader.access_token))
        .await;
    assert_eq!(status, 200, "{history}");
    let messages = history["messages"].as_array().expect("messages");
    messages.iter().find(|m| m["seq"] == seq).expect("the message").clone()
}

/// The Bot API id of a Hybrid group or channel.
pub fn group_id(chat_id: i64) -> i64 {
    -(1_000_000_000_000 + chat_id)
}
