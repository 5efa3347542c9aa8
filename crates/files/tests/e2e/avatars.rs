//! Avatars: an avatar upload becomes its upright centred square without metadata, with square
//! thumbnails; a profile or a group takes it by its attach token once processed, and the people
//! who share a chat with the user see the change at once.

use hybrid_media::fixtures::{GPS_MARKER, photo};
use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, stack_tests};
use serde_json::{Value, json};

use crate::access::{group, processed};
use crate::{fetch, header_of, start, upload, upload_to};

stack_tests!(avatars_are_square_pictures_seen_live_by_who_shares_a_chat);

async fn patch(server: &TestServer, user: &TestUser, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    server
        .request("PATCH", path, Some(&user.access_token), Some(body))
        .await
}

/// Uploads a picture as an avatar and waits for it to be processed: its file and a fresh
/// attach token.
async fn avatar_file(server: &TestServer, user: &TestUser, bytes: Vec<u8>) -> (i64, String) {
    let (status, file) = upload_to(
        server,
        user,
        "/api/v1/files?name=me.jpg&purpose=avatar",
        "image/jpeg",
        bytes,
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_i64().unwrap();
    processed(server, user, id).await;
    let (_, file) = server
        .get(&format!("/api/v1/files/{id}"), Some(&user.access_token))
        .await;
    (id, file["attach_token"].as_str().expect("the owner's token").to_owned())
}

async fn avatars_are_square_pictures_seen_live_by_who_shares_a_chat(stack: Stack) {
    let server = start(stack, &[]).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let chat = group(&server, &amy, "all", &[&bob]).await;
    let mut bob_ws = server.ws(&bob).await;
    let mut amy_ws = server.ws(&amy).await;

    // 400×200 stored, 200×400 upright (red on top), with a GPS position: its centred square
    // is 200×200, red on top, and nothing stored keeps the position
    let (id, token) = avatar_file(&server, &amy, photo(400, 200, 6)).await;
    let (status, me) = patch(&server, &amy, "/api/v1/users/me", json!({"avatar": token})).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["avatar"]["file_id"], id, "{me}");
    assert_eq!(
        me["avatar"]["sides"],
        json!([128]),
        "a 200-pixel square: no 512 thumbnail"
    );
    assert!(me["avatar"]["blurhash"].as_str().is_some_and(|b| b.len() == 28), "{me}");

    // bob shares a chat with amy: the change reaches his socket, and amy's other devices
    for ws in [&mut bob_ws, &mut amy_ws] {
        let frame = ws
            .next_where(|f| f["type"] == "user.updated" && f["user"]["id"] == amy.id)
            .await;
        assert_eq!(frame["user"]["avatar"], me["avatar"], "{frame}");
    }
    let (_, seen) = server
        .get(&format!("/api/v1/users/{}", amy.id), Some(&bob.access_token))
        .await;
    assert_eq!(seen["avatar"], me["avatar"]);

    // anyone signed in reads the square thumbnails, even without a shared chat
    for (name, content_type) in [("128.webp", "image/webp"), ("128.jpg", "image/jpeg")] {
        let path = format!("/api/v1/files/{id}/thumbnails/{name}");
        let (status, headers, bytes) = fetch(&server, &path, Some(&cyd.access_token), &[]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header_of(&headers, "content-type"), content_type);
        let picture = image::load_from_memory(&bytes).unwrap();
        assert_eq!((picture.width(), picture.height()), (128, 128), "{name}");
        assert!(!bytes.windows(GPS_MARKER.len()).any(|w| w == GPS_MARKER));
        let [r, _, b, _] = image::GenericImageView::get_pixel(&picture, 64, 10).0;
        assert!(r > b, "{name}: red on top, upright");
    }
    let (status, _, original) = fetch(
        &server,
        &format!("/api/v1/files/{id}/content"),
        Some(&cyd.access_token),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let original = image::load_from_memory(&original).unwrap();
    assert_eq!(
        (original.width(), original.height()),
        (200, 200),
        "the original is the square"
    );

    // what is not an avatar of one's own, ready, is refused with the reason
    let refused = patch(&server, &bob, "/api/v1/users/me", json!({"avatar": token})).await;
    assert_error(&refused, 422, "validation_failed", Some("avatar"));
    let (_, plain) = upload(&server, &amy, "plain.jpg", "image/jpeg", photo(40, 20, 1)).await;
    processed(&server, &amy, plain["id"].as_i64().unwrap()).await;
    let (_, plain) = server
        .get(&format!("/api/v1/files/{}", plain["id"]), Some(&amy.access_token))
        .await;
    let refused = patch(
        &server,
        &amy,
        "/api/v1/users/me",
        json!({"avatar": plain["attach_token"]}),
    )
    .await;
    assert_error(&refused, 422, "validation_failed", Some("avatar"));
    assert!(refused.1.to_string().contains("purpose=avatar"), "{}", refused.1);
    let refused = patch(&server, &amy, "/api/v1/users/me", json!({"avatar": "not-a-token"})).await;
    assert_error(&refused, 422, "validation_failed", Some("avatar"));
    let (_, still) = server.get("/api/v1/users/me", Some(&amy.access_token)).await;
    assert_eq!(still["avatar"], me["avatar"], "a refused change changes nothing");

    // a group takes a picture the same way, and its members see it in the chat's events
    let (status, info) = patch(
        &server,
        &amy,
        &format!("/api/v1/chats/{chat}"),
        json!({"avatar": token}),
    )
    .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["avatar"], me["avatar"]);
    let event = bob_ws
        .next_where(|f| f["kind"] == "chat.updated" && f["chat_id"] == chat)
        .await;
    assert_eq!(event["data"]["avatar"], me["avatar"], "{event}");
    let (_, listed) = server.get("/api/v1/chats", Some(&bob.access_token)).await;
    assert_eq!(listed["items"][0]["avatar"], me["avatar"], "{listed}");
    // a direct chat has none of its own: it shows the other member's
    let (_, direct) = server
        .post(
            "/api/v1/chats",
            Some(&amy.access_token),
            json!({"kind": "direct", "user_id": cyd.id}),
        )
        .await;
    let refused = patch(
        &server,
        &amy,
        &format!("/api/v1/chats/{}", direct["id"]),
        json!({"avatar": token}),
    )
    .await;
    assert_error(&refused, 403, "forbidden", None);

    // removed: "" clears it, and that is seen too
    let (status, me) = patch(&server, &amy, "/api/v1/users/me", json!({"avatar": ""})).await;
    assert_eq!(status, 200, "{me}");
    assert!(me.get("avatar").is_none(), "{me}");
    let frame = bob_ws
        .next_where(|f| f["type"] == "user.updated" && f["user"]["id"] == amy.id)
        .await;
    assert!(frame["user"].get("avatar").is_none(), "{frame}");
}
