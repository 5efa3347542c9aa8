//! End-to-end tests: the real `hybrid` binary over HTTP, each on SQLite and on PostgreSQL.

mod auth;
mod chats;
mod cli;
mod clients;
mod conventions;
mod deploy;
#[cfg(feature = "example-service")]
mod example;
// runs the example service too, so the admin API has jobs to act on
#[cfg(feature = "example-service")]
mod matrix;
mod messages;
mod migrate_data;
mod outage;
mod readme;
mod realtime;
mod scaled;
mod security;
mod services;
mod sync;
mod totp;
mod users;
mod web_client;
#[cfg(feature = "example-service")]
mod webhooks;

use hybrid_testkit::{Stack, TestServer};

pub const BIN: &str = env!("CARGO_BIN_EXE_hybrid");

pub async fn start(stack: Stack) -> TestServer {
    start_with(stack, &[]).await
}

pub async fn start_with(stack: Stack, env: &[(&str, &str)]) -> TestServer {
    hybrid_testkit::check_frames_with(frame_has_its_type);
    TestServer::start_with(BIN, stack, env).await
}

/// Every frame a test socket gets parses as the frame type its service declares (the types
/// the API reference's `ServerFrame` lists): a frame built by hand somewhere cannot drift.
fn frame_has_its_type(text: &str) -> Result<(), String> {
    let frame: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let parsed = match frame["type"].as_str() {
        Some("event" | "user_event" | "typing") => serde_json::from_value::<hybrid_chats::ChatsFrame>(frame).map(drop),
        Some("hello" | "ready" | "pong" | "presence") => {
            serde_json::from_value::<hybrid_realtime::RealtimeFrame>(frame).map(drop)
        }
        Some("notification.new" | "notification.removed" | "notification.read") => {
            serde_json::from_value::<hybrid_notify::NotifyFrame>(frame).map(drop)
        }
        #[cfg(feature = "example-service")]
        Some("example.notice") => serde_json::from_value::<hybrid_example::ExampleFrame>(frame).map(drop),
        other => return Err(format!("no service declares frames of type {other:?}")),
    };
    parsed.map_err(|e| e.to_string())
}

#[test]
fn the_frame_check_refuses_frames_off_their_type() {
    assert!(frame_has_its_type(r#"{"type": "typing", "chat_id": 7, "user_id": 3, "expires_ms": 6000}"#).is_ok());
    for off in [
        // message.new carries the whole message, not a reference
        r#"{"type": "event", "chat_id": 1, "pts": 2, "kind": "message.new", "data": {"seq": 1}}"#,
        r#"{"type": "event", "chat_id": 1, "pts": 2, "kind": "no.such.kind", "data": {}}"#,
        r#"{"type": "presence", "user_id": 5}"#,
        r#"{"type": "surprise"}"#,
    ] {
        assert!(frame_has_its_type(off).is_err(), "{off}");
    }
}

use hybrid_testkit::{Api, PASSWORD, TestUser};

/// `hybrid admin create-user --username NAME --password PASSWORD [--admin]`, with the
/// server's configuration.
pub async fn create_user_by_cli(server: &TestServer, username: &str, admin: bool) -> std::process::Output {
    let mut command = server.command();
    command.args(["admin", "create-user", "--username", username, "--password", PASSWORD]);
    if admin {
        command.arg("--admin");
    }
    command.output().await.unwrap()
}
use serde_json::{Value, json};

/// Creates a group or channel owned by `owner` with `members`; returns its id.
pub async fn create_chat(server: &Api, owner: &TestUser, kind: &str, title: &str, members: &[&TestUser]) -> i64 {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, chat) = try_create_chat(server, owner, kind, title, &ids).await;
    assert_eq!(status, 201, "{chat}");
    chat["id"].as_i64().unwrap()
}

/// Asks to create a chat with `member_ids`: the answer as it is, refusals included.
pub async fn try_create_chat(
    server: &Api,
    owner: &TestUser,
    kind: &str,
    title: &str,
    member_ids: &[i64],
) -> (reqwest::StatusCode, Value) {
    server
        .post(
            "/api/v1/chats",
            Some(&owner.access_token),
            json!({"kind": kind, "title": title, "member_ids": member_ids}),
        )
        .await
}

/// The direct chat of `a` and `b`.
pub async fn direct(server: &Api, a: &TestUser, b: &TestUser) -> i64 {
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&a.access_token),
            json!({"kind": "direct", "user_id": b.id}),
        )
        .await;
    assert!(status == 200 || status == 201, "{chat}");
    chat["id"].as_i64().unwrap()
}

/// Sends `text` as `user`; panics unless it was accepted.
pub async fn send(server: &Api, user: &TestUser, chat_id: i64, text: &str) -> Value {
    let (status, message) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(&user.access_token),
            json!({"text": text}),
        )
        .await;
    assert_eq!(status, 201, "{message}");
    message
}
