//! Messages: sending (idempotent), replies, edits, deletes, reactions, pins, history, read
//! markers and unread counts, search.

use hybrid_testkit::{Stack, TestUser, assert_error, stack_tests};
use serde_json::{Value, json};

use crate::{create_chat, direct, send, start};

stack_tests!(
    send_edit_delete,
    forwarding_copies_what_the_sender_may_read,
    reactions_and_pins,
    history_pages_and_unread,
    search_messages
);

async fn forwarding_copies_what_the_sender_may_read(stack: Stack) {
    let server = start(stack).await;
    let [amy, bo, cy] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let source = create_chat(&server, &amy, "group", "Source", &[&bo]).await;
    let target = create_chat(&server, &bo, "group", "Target", &[&cy]).await;
    let (status, original) = server
        .post(
            &format!("/api/v1/chats/{source}/messages"),
            Some(&amy.access_token),
            json!({"text": "look *here*", "entities": [{"type": "bold", "offset": 5, "length": 6}]}),
        )
        .await;
    assert_eq!(status, 201, "{original}");
    let forward = |user: &TestUser, from: i64, seq: &Value, extra: Value| {
        let mut body = json!({"text": "", "forward": {"chat_id": from, "seq": seq}});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let path = format!("/api/v1/chats/{target}/messages");
        let token = user.access_token.clone();
        let server = &server;
        async move { server.post(&path, Some(&token), body).await }
    };
    // bob, in both chats, forwards amy's message: the text, the entities, amy as the author
    let (status, copy) = forward(&bo, source, &original["seq"], json!({})).await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(copy["text"], "look *here*");
    assert_eq!(copy["entities"], original["entities"]);
    assert_eq!(
        (copy["sender_id"].as_i64(), copy["forwarded_from"].as_i64()),
        (Some(bo.id), Some(amy.id))
    );
    // cyd sees it in the target chat's history; a forward of the forward still names amy
    let (_, page) = server
        .get(&format!("/api/v1/chats/{target}/messages"), Some(&cy.access_token))
        .await;
    assert!(page.to_string().contains("look *here*"), "{page}");
    let (status, again) = forward(&cy, target, &copy["seq"], json!({})).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["forwarded_from"].as_i64(), Some(amy.id));
    // cyd cannot forward from a chat she is not in; a forward carries nothing of its own;
    // a service message is not forwarded
    let stranger = forward(&cy, source, &original["seq"], json!({})).await;
    assert_error(&stranger, 404, "not_found", None);
    let with_text = forward(&bo, source, &original["seq"], json!({"text": "mine"})).await;
    assert_error(&with_text, 422, "validation_failed", Some("forward"));
    let service = forward(&bo, source, &json!(1), json!({})).await;
    assert_error(&service, 422, "validation_failed", Some("forward"));
    // a deleted original cannot be forwarded any more
    let deleted = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{source}/messages/{}", original["seq"]),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(deleted.0, 204);
    let gone = forward(&bo, source, &original["seq"], json!({})).await;
    assert_error(&gone, 404, "not_found", None);
}

async fn send_edit_delete(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let bo = server.register("bob").await;
    let cy = server.register("cyd").await;
    let chat_id = create_chat(&server, &amy, "group", "G", &[&bo, &cy]).await;
    let path = format!("/api/v1/chats/{chat_id}/messages");
    let amy_t = Some(amy.access_token.as_str());

    // idempotent send
    let body = json!({"text": "Hello @bob and @nobody_here 👋", "nonce": "client-1"});
    let (status, first) = server.post(&path, amy_t, body.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["seq"], 2, "seq 1 is the group's creation");
    assert_eq!(first["nonce"], "client-1");
    let mentions: Vec<_> = first["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "mention")
        .collect();
    assert_eq!(mentions.len(), 2);
    assert_eq!(
        (mentions[0]["offset"].as_i64(), mentions[0]["length"].as_i64()),
        (Some(6), Some(4))
    );
    assert_eq!(mentions[0]["user_id"], bo.id);
    assert!(mentions[1].get("user_id").is_none());
    let (status, retry) = server.post(&path, amy_t, body).await;
    assert_eq!(status, 200);
    assert_eq!(retry["seq"], 2);
    // seq is gapless
    let second = send(&server, &bo, chat_id, "second").await;
    assert_eq!(second["seq"], 3);

    // reply
    let (status, reply) = server.post(&path, amy_t, json!({"text": "re", "reply_to": 3})).await;
    assert_eq!(status, 201);
    assert_eq!(reply["reply_to"], 3);
    let dangling = server.post(&path, amy_t, json!({"text": "re", "reply_to": 99})).await;
    assert_error(&dangling, 422, "validation_failed", Some("reply_to"));

    // bad bodies
    let long = "я".repeat(4097);
    assert_error(
        &server.post(&path, amy_t, json!({"text": long})).await,
        422,
        "validation_failed",
        Some("text"),
    );
    assert_error(
        &server.post(&path, amy_t, json!({"text": " \n "})).await,
        422,
        "validation_failed",
        Some("text"),
    );
    let outside = json!({"text": "abc", "entities": [{"type": "bold", "offset": 2, "length": 5}]});
    assert_error(
        &server.post(&path, amy_t, outside).await,
        422,
        "validation_failed",
        Some("entities[0]"),
    );
    let split = json!({"text": "a👍", "entities": [{"type": "italic", "offset": 2, "length": 1}]});
    assert_error(
        &server.post(&path, amy_t, split).await,
        422,
        "validation_failed",
        Some("entities[0]"),
    );
    let unknown = json!({"text": "abc", "entities": [{"type": "blink", "offset": 0, "length": 1}]});
    assert_error(
        &server.post(&path, amy_t, unknown).await,
        422,
        "validation_failed",
        None,
    );
    let ok = json!({"text": "a👍 bold", "entities": [{"type": "bold", "offset": 4, "length": 4}]});
    let (status, styled) = server.post(&path, amy_t, ok).await;
    assert_eq!(status, 201);
    assert_eq!(styled["entities"][0]["offset"], 4);
    assert_error(
        &server
            .post("/api/v1/chats/424242/messages", amy_t, json!({"text": "x"}))
            .await,
        404,
        "not_found",
        None,
    );

    // edit: the author, not another member; edited_at set
    let edit = json!({"text": "second, edited"});
    let by_other = server
        .request(
            "PATCH",
            &format!("{path}/3"),
            Some(&cy.access_token),
            Some(edit.clone()),
        )
        .await;
    assert_error(&by_other, 403, "forbidden", None);
    let (status, edited) = server
        .request("PATCH", &format!("{path}/3"), Some(&bo.access_token), Some(edit))
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["text"], "second, edited");
    assert!(edited["edited_at"].as_i64().is_some());
    // the owner (edit_others) may edit anyone's
    let (status, _) = server
        .request("PATCH", &format!("{path}/3"), amy_t, Some(json!({"text": "moderated"})))
        .await;
    assert_eq!(status, 200);

    // delete: author or delete_others; a tombstone stays, seq does not move
    assert_error(
        &server
            .request("DELETE", &format!("{path}/2"), Some(&cy.access_token), None)
            .await,
        403,
        "forbidden",
        None,
    );
    assert_eq!(
        server
            .request("DELETE", &format!("{path}/3"), Some(&bo.access_token), None)
            .await
            .0,
        204
    );
    assert_eq!(server.request("DELETE", &format!("{path}/2"), amy_t, None).await.0, 204);
    assert_error(
        &server.request("DELETE", &format!("{path}/2"), amy_t, None).await,
        404,
        "not_found",
        None,
    );
    let gone = server
        .request("PATCH", &format!("{path}/2"), amy_t, Some(json!({"text": "undead"})))
        .await;
    assert_error(&gone, 404, "not_found", None);
    let (_, page) = server.get(&path, Some(&cy.access_token)).await;
    let messages = page["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5);
    assert_eq!(messages[0]["action"]["type"], "chat_created");
    assert_eq!(messages[1]["deleted"], true);
    assert_eq!(messages[1]["text"], "");
    assert_eq!(messages[2]["deleted"], true);
    assert_eq!(messages[3]["seq"], 4);
    assert_eq!(send(&server, &cy, chat_id, "after").await["seq"], 6);
}

async fn reactions_and_pins(stack: Stack) {
    let server = start(stack).await;
    let kim = server.register("kim").await;
    let lee = server.register("lee").await;
    let chat_id = direct(&server, &kim, &lee).await;
    let msg = send(&server, &kim, chat_id, "react to me").await;
    let seq = msg["seq"].as_i64().unwrap();
    let base = format!("/api/v1/chats/{chat_id}/messages/{seq}/reactions");
    let thumbs = "%F0%9F%91%8D";
    let heart = "%E2%9D%A4%EF%B8%8F";
    let (status, counts) = server
        .request("PUT", &format!("{base}/{thumbs}"), Some(&kim.access_token), None)
        .await;
    assert_eq!(status, 200, "{counts}");
    server
        .request("PUT", &format!("{base}/{thumbs}"), Some(&lee.access_token), None)
        .await;
    server
        .request("PUT", &format!("{base}/{thumbs}"), Some(&lee.access_token), None)
        .await; // twice: once
    let (_, counts) = server
        .request("PUT", &format!("{base}/{heart}"), Some(&lee.access_token), None)
        .await;
    assert_eq!(
        counts,
        json!([{"emoji": "👍", "count": 2}, {"emoji": "❤️", "count": 1}])
    );
    let (_, who) = server.get(&base, Some(&kim.access_token)).await;
    assert_eq!(who["👍"], json!([kim.id, lee.id]));
    let (_, counts) = server
        .request("DELETE", &format!("{base}/{thumbs}"), Some(&kim.access_token), None)
        .await;
    assert_eq!(counts[0]["count"], 1);
    // history marks my own reactions
    let (_, page) = server
        .get(&format!("/api/v1/chats/{chat_id}/messages"), Some(&lee.access_token))
        .await;
    assert_eq!(
        page["messages"][0]["reactions"],
        json!([{"emoji": "👍", "count": 1, "me": true}, {"emoji": "❤️", "count": 1, "me": true}])
    );
    assert_error(
        &server
            .request("PUT", &format!("{base}/abc"), Some(&kim.access_token), None)
            .await,
        422,
        "validation_failed",
        Some("emoji"),
    );
    let missing = format!("/api/v1/chats/{chat_id}/messages/77/reactions/{thumbs}");
    assert_error(
        &server.request("PUT", &missing, Some(&kim.access_token), None).await,
        404,
        "not_found",
        None,
    );

    // pins (both members of a direct chat may pin)
    let pins = format!("/api/v1/chats/{chat_id}/pins");
    assert_eq!(
        server
            .request("PUT", &format!("{pins}/{seq}"), Some(&lee.access_token), None)
            .await
            .0,
        204
    );
    let (_, pinned) = server.get(&pins, Some(&kim.access_token)).await;
    assert_eq!(pinned[0]["seq"], seq);
    assert_eq!(
        server
            .request("DELETE", &format!("{pins}/{seq}"), Some(&kim.access_token), None)
            .await
            .0,
        204
    );
    let (_, pinned) = server.get(&pins, Some(&kim.access_token)).await;
    assert_eq!(pinned.as_array().unwrap().len(), 0);
    // in a group, members may not pin
    let other = server.register("other").await;
    let group = create_chat(&server, &kim, "group", "g", &[&other]).await;
    let m = send(&server, &other, group, "pin me").await;
    let pin = server
        .request(
            "PUT",
            &format!("/api/v1/chats/{group}/pins/{}", m["seq"]),
            Some(&other.access_token),
            None,
        )
        .await;
    assert_error(&pin, 403, "forbidden", None);
}

async fn history_pages_and_unread(stack: Stack) {
    let server = start(stack).await;
    let pat = server.register("pat").await;
    let quin = server.register("quin").await;
    let chat_id = direct(&server, &pat, &quin).await;
    for i in 1..=25 {
        send(&server, &pat, chat_id, &format!("message {i}")).await;
    }
    let path = format!("/api/v1/chats/{chat_id}/messages");
    let q = Some(quin.access_token.as_str());
    let seqs = |page: &serde_json::Value| -> Vec<i64> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect()
    };
    let (_, latest) = server.get(&format!("{path}?limit=10"), q).await;
    assert_eq!(seqs(&latest), (16..=25).collect::<Vec<_>>());
    assert_eq!(latest["has_more"], true);
    let (_, older) = server.get(&format!("{path}?limit=10&before=16"), q).await;
    assert_eq!(seqs(&older), (6..=15).collect::<Vec<_>>());
    let (_, oldest) = server.get(&format!("{path}?limit=10&before=6"), q).await;
    assert_eq!(seqs(&oldest), (1..=5).collect::<Vec<_>>());
    assert_eq!(oldest["has_more"], false);
    let (_, newer) = server.get(&format!("{path}?limit=10&after=20"), q).await;
    assert_eq!(seqs(&newer), (21..=25).collect::<Vec<_>>());
    assert_eq!(newer["has_more"], false);
    assert_error(
        &server.get(&format!("{path}?limit=101"), q).await,
        422,
        "validation_failed",
        Some("limit"),
    );
    assert_error(
        &server.get(&format!("{path}?before=3&after=1"), q).await,
        422,
        "validation_failed",
        None,
    );

    // unread counts and the read marker
    let (_, list) = server.get("/api/v1/chats", q).await;
    assert_eq!(list["items"][0]["unread_count"], 25);
    assert_eq!(list["items"][0]["last_message"]["text"], "message 25");
    let (status, marker) = server
        .post(&format!("/api/v1/chats/{chat_id}/read"), q, json!({"seq": 20}))
        .await;
    assert_eq!((status.as_u16(), marker["seq"].as_i64()), (200, Some(20)));
    // never backwards, never past the end
    let (_, marker) = server
        .post(&format!("/api/v1/chats/{chat_id}/read"), q, json!({"seq": 3}))
        .await;
    assert_eq!(marker["seq"], 20);
    let (_, chat) = server.get(&format!("/api/v1/chats/{chat_id}"), q).await;
    assert_eq!(chat["unread_count"], 5);
    let (_, marker) = server
        .post(&format!("/api/v1/chats/{chat_id}/read"), q, json!({"seq": 1000}))
        .await;
    assert_eq!(marker["seq"], 25);
    // my own messages are never unread
    let (_, mine) = server
        .get(&format!("/api/v1/chats/{chat_id}"), Some(&pat.access_token))
        .await;
    assert_eq!(mine["unread_count"], 0);

    // the chat list is paginated, newest activity first
    let mut ids = Vec::new();
    for i in 0..3 {
        let other = server.register(&format!("friend{i}")).await;
        ids.push(direct(&server, &quin, &other).await);
    }
    let (_, page1) = server.get("/api/v1/chats?limit=2", q).await;
    let got: Vec<i64> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2], ids[1]]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = server.get(&format!("/api/v1/chats?limit=2&cursor={cursor}"), q).await;
    let got: Vec<i64> = page2["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, vec![ids[0], chat_id]);
    assert_error(
        &server.get("/api/v1/chats?cursor=garbage", q).await,
        422,
        "validation_failed",
        Some("cursor"),
    );
}

async fn search_messages(stack: Stack) {
    let server = start(stack).await;
    let rae = server.register("rae").await;
    let sol = server.register("sol").await;
    let tam = server.register("tam").await;
    let ours = direct(&server, &rae, &sol).await;
    let theirs = direct(&server, &sol, &tam).await;
    send(&server, &rae, ours, "Новогодняя ЁЛКА стоит во дворе").await;
    send(&server, &sol, ours, "Meeting about the budget tomorrow").await;
    send(&server, &sol, theirs, "secret budget numbers").await;
    let edited = send(&server, &rae, ours, "draft text").await;
    let deleted = send(&server, &rae, ours, "budget to delete").await;
    let search = |q: &str| {
        let q = q.to_owned();
        let token = rae.access_token.clone();
        let server = &server;
        async move {
            let (status, page) = server
                .get(&format!("/api/v1/search/messages?q={q}"), Some(&token))
                .await;
            assert_eq!(status, 200, "{page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["text"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // ё and е, case, and a word prefix all match
    assert_eq!(search("елка").await, ["Новогодняя ЁЛКА стоит во дворе"]);
    assert_eq!(
        search("%D0%81%D0%BB%D0%BA%D0%B0").await,
        ["Новогодняя ЁЛКА стоит во дворе"]
    ); // Ёлка
    assert_eq!(search("новогод").await, ["Новогодняя ЁЛКА стоит во дворе"]);
    // only chats I am in
    let budget = search("budget").await;
    assert!(budget.contains(&"Meeting about the budget tomorrow".to_owned()));
    assert!(!budget.iter().any(|t| t.contains("secret")));
    // edits and deletes update the index
    server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{ours}/messages/{}", edited["seq"]),
            Some(&rae.access_token),
            Some(json!({"text": "final wording"})),
        )
        .await;
    assert!(search("draft").await.is_empty());
    assert_eq!(search("wording").await, ["final wording"]);
    server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{ours}/messages/{}", deleted["seq"]),
            Some(&rae.access_token),
            None,
        )
        .await;
    assert_eq!(search("budget").await, ["Meeting about the budget tomorrow"]);
    // all words must match
    assert!(search("budget+yesterday").await.is_empty());
    let (_, in_chat) = server
        .get(
            &format!("/api/v1/search/messages?q=budget&chat_id={theirs}"),
            Some(&sol.access_token),
        )
        .await;
    assert_eq!(in_chat["items"].as_array().unwrap().len(), 1);
    assert_error(
        &server
            .get("/api/v1/search/messages?q=%21%21", Some(&rae.access_token))
            .await,
        422,
        "validation_failed",
        Some("q"),
    );
}
