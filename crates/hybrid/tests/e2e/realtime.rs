//! The WebSocket: live delivery, typing, presence, read markers, and when sockets close.

use std::time::Duration;

use hybrid_testkit::{Stack, WsClient, stack_tests};
use serde_json::json;

use crate::{create_chat, direct, send, start, start_with};

stack_tests!(
    live_delivery,
    delivery_goes_on_after_the_outbox_empties,
    typing_presence_and_read_markers,
    group_limits_on_typing_and_read_markers,
    removal_and_revocation_close_the_stream,
    token_expiry_closes_the_socket,
    shutdown_says_going_away,
    slow_consumer_is_closed,
    a_frame_over_the_limit_closes_with_1009,
);

/// A client frame over 64 KiB ends the socket with 1009 (message too big), before and after
/// the `auth` frame, instead of a dropped connection.
async fn a_frame_over_the_limit_closes_with_1009(stack: Stack) {
    let server = start(stack).await;
    let ann = server.register("ann").await;
    let big = serde_json::json!({"type": "ping", "padding": "x".repeat(70 * 1024)});
    let mut authed = server.ws(&ann).await;
    authed.send(big.clone()).await;
    assert_eq!(authed.close_code().await, Some(1009));
    let mut fresh = hybrid_testkit::WsClient::open(&server.base_url).await;
    fresh.send(big).await;
    assert_eq!(fresh.close_code().await, Some(1009));
}

/// The relay marks what it published; events after a quiet spell (nothing pending in the
/// outbox) must still go out, in order.
async fn delivery_goes_on_after_the_outbox_empties(stack: Stack) {
    let server = start(stack).await;
    let wes = server.register("wes").await;
    let xia = server.register("xia").await;
    let chat_id = direct(&server, &wes, &xia).await;
    let mut xia_ws = server.ws(&xia).await;
    for round in 0..3 {
        let text = format!("after quiet {round}");
        send(&server, &wes, chat_id, &text).await;
        let event = xia_ws.next_event("message.new").await;
        assert_eq!(event["data"]["text"], text.as_str());
        // longer than the relay's sweep, so it has marked everything
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

async fn live_delivery(stack: Stack) {
    let server = start(stack).await;
    let una = server.register("una").await;
    let vik = server.register("vik").await;
    let chat_id = direct(&server, &una, &vik).await;
    let mut una_ws = server.ws(&una).await;
    let mut vik_ws = server.ws(&vik).await;
    assert_eq!(una_ws.hello["protocol"], "hybrid.v1");
    assert!(una_ws.hello["heartbeat_ms"].as_u64().unwrap() >= 1000);

    let path = format!("/api/v1/chats/{chat_id}/messages");
    let (status, _) = server
        .post(&path, Some(&una.access_token), json!({"text": "live!", "nonce": "n-1"}))
        .await;
    assert_eq!(status, 201);
    for ws in [&mut una_ws, &mut vik_ws] {
        let event = ws.next_event("message.new").await;
        assert_eq!(event["type"], "event");
        assert_eq!(event["chat_id"], chat_id);
        assert_eq!(event["data"]["text"], "live!");
        assert_eq!(event["data"]["nonce"], "n-1");
        assert!(event["pts"].as_i64().unwrap() > 0);
    }
    server
        .request(
            "PATCH",
            &format!("{path}/1"),
            Some(&una.access_token),
            Some(json!({"text": "live, edited"})),
        )
        .await;
    let edited = vik_ws.next_event("message.edited").await;
    assert_eq!(edited["data"]["text"], "live, edited");
    server
        .request(
            "PUT",
            &format!("{path}/1/reactions/%F0%9F%8E%89"),
            Some(&vik.access_token),
            None,
        )
        .await;
    let reaction = una_ws.next_event("reaction.changed").await;
    assert_eq!(reaction["data"]["user_id"], vik.id);
    assert_eq!(reaction["data"]["reactions"][0]["count"], 1);
    server
        .request("DELETE", &format!("{path}/1"), Some(&una.access_token), None)
        .await;
    assert_eq!(vik_ws.next_event("message.deleted").await["data"]["seq"], 1);

    // a chat created while connected is delivered too
    let wes = server.register("wes").await;
    let group = create_chat(&server, &wes, "group", "New", &[&vik]).await;
    let added = vik_ws.next_event("chat.added").await;
    assert_eq!(added["type"], "user_event");
    assert_eq!(added["data"]["chat_id"], group);
    send(&server, &wes, group, "in the new group").await;
    assert_eq!(
        vik_ws.next_event("message.new").await["data"]["text"],
        "in the new group"
    );
    // pts within a chat increase by one, in order
    let (_, page) = server
        .get(&format!("/api/v1/chats/{group}"), Some(&vik.access_token))
        .await;
    assert!(page["pts"].as_i64().unwrap() >= 3);

    // the socket answers pings and ignores unknown frames
    una_ws.send(json!({"type": "something_new"})).await;
    una_ws.send(json!({"type": "ping"})).await;
    una_ws.next_of_type("pong").await;
}

async fn typing_presence_and_read_markers(stack: Stack) {
    let server = start(stack).await;
    let xia = server.register("xia").await;
    let yul = server.register("yul").await;
    let chat_id = direct(&server, &xia, &yul).await;
    // presence is shared once both have written
    send(&server, &xia, chat_id, "hi").await;
    send(&server, &yul, chat_id, "hey").await;
    let mut xia_ws = server.ws(&xia).await;
    let mut yul_ws = server.ws(&yul).await;
    // presence: xia learns that yul came online
    let presence = xia_ws.next_of_type("presence").await;
    assert_eq!(
        (presence["user_id"].as_i64(), presence["online"].as_bool()),
        (Some(yul.id), Some(true))
    );

    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/typing"),
            Some(&xia.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    let typing = yul_ws.next_of_type("typing").await;
    assert_eq!(
        (typing["chat_id"].as_i64(), typing["user_id"].as_i64()),
        (Some(chat_id), Some(xia.id))
    );
    assert!(typing["expires_ms"].as_i64().unwrap() > 0);

    // read markers: to my other devices (user event) and to the peer of a direct chat
    let mut xia_phone = server.ws(&xia).await;
    send(&server, &yul, chat_id, "read me").await;
    server
        .post(
            &format!("/api/v1/chats/{chat_id}/read"),
            Some(&xia.access_token),
            json!({"seq": 3}),
        )
        .await;
    let mine = xia_phone
        .next_where(|f| f["type"] == "user_event" && f["kind"] == "read.updated")
        .await;
    assert_eq!(
        (mine["data"]["chat_id"].as_i64(), mine["data"]["seq"].as_i64()),
        (Some(chat_id), Some(3))
    );
    let peer = yul_ws
        .next_where(|f| f["type"] == "event" && f["kind"] == "read.updated")
        .await;
    assert_eq!(
        (peer["data"]["user_id"].as_i64(), peer["data"]["seq"].as_i64()),
        (Some(xia.id), Some(3))
    );

    // presence goes only to direct-chat peers: zed shares a group with yul, not a direct chat
    let zed = server.register("zed").await;
    create_chat(&server, &yul, "group", "g", &[&zed]).await;
    let mut zed_ws = server.ws(&zed).await;
    yul_ws.close().await;
    // (presence frames are state: a repeated "online" may come first)
    let offline = xia_ws
        .next_where(|f| f["type"] == "presence" && f["online"] == false)
        .await;
    assert_eq!(offline["user_id"].as_i64(), Some(yul.id));
    let zed_frames = zed_ws.drain(Duration::from_millis(500)).await;
    assert!(!zed_frames.iter().any(|f| f["type"] == "presence"), "{zed_frames:?}");
}

async fn removal_and_revocation_close_the_stream(stack: Stack) {
    let server = start(stack).await;
    let ada = server.register("ada").await;
    let bea = server.register("bea").await;
    let chat_id = create_chat(&server, &ada, "group", "Club", &[&bea]).await;
    let mut bea_ws = server.ws(&bea).await;
    send(&server, &ada, chat_id, "before removal").await;
    bea_ws.next_event("message.new").await;
    server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{chat_id}/members/{}", bea.id),
            Some(&ada.access_token),
            None,
        )
        .await;
    // bea sees her removal, then nothing more from the chat
    let removed = bea_ws.next_event("member.removed").await;
    assert_eq!(removed["data"]["user_id"], bea.id);
    send(&server, &ada, chat_id, "after removal").await;
    let later = bea_ws.drain(Duration::from_millis(700)).await;
    assert!(!later.iter().any(|f| f["kind"] == "message.new"), "{later:?}");

    // logging out closes that session's sockets with 4003
    server
        .post("/api/v1/auth/logout", Some(&bea.access_token), json!({}))
        .await;
    assert_eq!(bea_ws.close_code().await, Some(4003));
    // and its token cannot open a new one
    let mut again = WsClient::open(&server.base_url).await;
    again.send(json!({"type": "auth", "token": bea.access_token})).await;
    assert_eq!(again.close_code().await, Some(4003));

    // a bad token or a first frame that is not auth
    let mut bad = WsClient::open(&server.base_url).await;
    bad.send(json!({"type": "auth", "token": "nope"})).await;
    assert_eq!(bad.close_code().await, Some(4001));
    let mut rude = WsClient::open(&server.base_url).await;
    rude.send(json!({"type": "ping"})).await;
    assert_eq!(rude.close_code().await, Some(4400));

    // the subprotocol is required
    let response = server
        .http
        .get(server.url("/api/v1/realtime"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // a password change closes the other sessions' sockets
    let (_, login) = server.login("ada", hybrid_testkit::PASSWORD, None).await;
    let other = hybrid_testkit::user_from(&login, hybrid_testkit::PASSWORD);
    let mut other_ws = server.ws(&other).await;
    server
        .post(
            "/api/v1/auth/password",
            Some(&ada.access_token),
            json!({"current_password": hybrid_testkit::PASSWORD, "new_password": "another long secret"}),
        )
        .await;
    assert_eq!(other_ws.close_code().await, Some(4003));
}

async fn slow_consumer_is_closed(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_REALTIME__MAX_QUEUED_FRAMES", "8")]).await;
    let cal = server.register("cal").await;
    let dee = server.register("dee").await;
    let chat_id = direct(&server, &cal, &dee).await;
    // a client with a tiny receive buffer that stops reading
    let mut slow = WsClient::connect_with_buffer(&server.base_url, &dee.access_token, Some(4096)).await;
    let text = "x".repeat(4000);
    let path = format!("/api/v1/chats/{chat_id}/messages");
    let sent = 800;
    for _ in 0..sent {
        let (status, _) = server.post(&path, Some(&cal.access_token), json!({"text": text})).await;
        assert_eq!(status, 201);
    }
    // what was buffered arrives, then the close: resync
    assert_eq!(slow.close_code().await, Some(4008));
    // sending never waited for the slow socket, and nothing was lost: it is all in history
    let (_, chat) = server
        .get(&format!("/api/v1/chats/{chat_id}"), Some(&dee.access_token))
        .await;
    assert_eq!(chat["last_seq"], sent);
}

async fn group_limits_on_typing_and_read_markers(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_CHATS__TYPING_MAX_MEMBERS", "2")]).await;
    let ema = server.register("ema").await;
    let fin = server.register("fin").await;
    let gus = server.register("gus").await;
    let group = create_chat(&server, &ema, "group", "Three", &[&fin, &gus]).await;
    let mut fin_ws = server.ws(&fin).await;
    send(&server, &fin, group, "hello all").await;
    fin_ws.next_event("message.new").await;
    // three members is above the typing limit of two: accepted, not broadcast
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{group}/typing"),
            Some(&ema.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    // in a group, a read marker goes to the reader's devices only
    server
        .post(
            &format!("/api/v1/chats/{group}/read"),
            Some(&gus.access_token),
            json!({"seq": 1}),
        )
        .await;
    send(&server, &ema, group, "marker").await;
    let frames = fin_ws.drain(Duration::from_millis(700)).await;
    assert!(frames.iter().any(|f| f["data"]["text"] == "marker"), "{frames:?}");
    assert!(
        !frames
            .iter()
            .any(|f| f["type"] == "typing" || f["kind"] == "read.updated"),
        "{frames:?}"
    );
}

async fn token_expiry_closes_the_socket(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_AUTH__ACCESS_TOKEN_TTL_SECS", "2")]).await;
    let hal = server.register("hal").await;
    let mut ws = server.ws(&hal).await;
    let started = std::time::Instant::now();
    assert_eq!(ws.close_code().await, Some(4001));
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn shutdown_says_going_away(stack: Stack) {
    let mut server = start(stack).await;
    let ivy = server.register("ivy").await;
    let mut ws = server.ws(&ivy).await;
    let stopping = tokio::spawn(async move { (server.stop().await, server) });
    assert_eq!(ws.close_code().await, Some(1001));
    let (code, _server) = stopping.await.unwrap();
    assert_eq!(code, Some(0));
}
