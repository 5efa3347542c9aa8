//! What the notify test binaries share: making chats and messages, the time.
#![allow(dead_code)] // each test binary uses its own part

pub mod mail;

use hybrid_testkit::{TestServer, TestUser};
use serde_json::{Value, json};

/// A group `owner` makes with `members`: its id.
pub async fn group(server: &TestServer, owner: &TestUser, title: &str, members: &[&TestUser]) -> i64 {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&owner.access_token),
            json!({"kind": "group", "title": title, "member_ids": ids}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    chat["id"].as_i64().unwrap()
}

/// The direct chat `from` opens with `to`: its id.
pub async fn direct_chat(server: &TestServer, from: &TestUser, to: &TestUser) -> i64 {
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&from.access_token),
            json!({"kind": "direct", "user_id": to.id}),
        )
        .await;
    assert!(status.is_success(), "{chat}");
    chat["id"].as_i64().unwrap()
}

/// Sends `body` in `chat_id` as `sender`: the message's seq.
pub async fn send(server: &TestServer, sender: &TestUser, chat_id: i64, body: Value) -> i64 {
    let (status, message) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(&sender.access_token),
            body,
        )
        .await;
    assert!(status.is_success(), "{message}");
    message["seq"].as_i64().unwrap()
}

/// Sends the text `text`: the message's seq.
pub async fn say(server: &TestServer, sender: &TestUser, chat_id: i64, text: &str) -> i64 {
    send(server, sender, chat_id, json!({"text": text})).await
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
