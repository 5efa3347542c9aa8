//! Access follows the message: a file attached with its attach token is read by whoever may
//! read the message (since_join included) and by no one else; it goes with its last message;
//! orphans are collected, avatars kept; a chat's files are listed apart from its talk.

use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, stack_tests, until};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{fetch, png, start, stored_objects, upload, upload_to};

stack_tests!(
    files_are_read_through_the_messages_that_carry_them,
    a_forward_carries_the_file_without_copying_it,
    a_file_goes_with_its_last_message,
    orphans_are_collected_and_avatars_kept,
    a_chat_lists_its_files_page_by_page
);

/// Collect orphans and deleted files' bytes every second.
const CLEAN_EVERY_SECOND: (&str, &str) = ("HYBRID_FILES__CLEANUP_CRON", "* * * * * *");

pub(crate) async fn group(server: &TestServer, owner: &TestUser, history: &str, members: &[&TestUser]) -> i64 {
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&owner.access_token),
            json!({"kind": "group", "title": "Files", "history_visibility": history}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    let chat_id = chat["id"].as_i64().unwrap();
    add(server, owner, chat_id, members).await;
    chat_id
}

async fn add(server: &TestServer, owner: &TestUser, chat_id: i64, members: &[&TestUser]) {
    let ids: Vec<i64> = members.iter().map(|m| m.id).collect();
    let (status, body) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/members"),
            Some(&owner.access_token),
            json!({"user_ids": ids}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
}

/// Waits until the files-media job is done with picture `id` of `owner`'s; its media.
pub(crate) async fn processed(server: &TestServer, owner: &TestUser, id: i64) -> Value {
    until("the picture to be processed", || async {
        let (_, seen) = server
            .get(&format!("/api/v1/files/{id}"), Some(&owner.access_token))
            .await;
        (seen["media"]["state"] != "pending").then(|| seen["media"].clone())
    })
    .await
}

/// Sends `body` as `sender` in `chat_id`.
async fn send(server: &TestServer, sender: &TestUser, chat_id: i64, body: Value) -> (StatusCode, Value) {
    server
        .post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(&sender.access_token),
            body,
        )
        .await
}

/// Sends a message carrying the file `token` attaches; its seq.
pub(crate) async fn attach(server: &TestServer, sender: &TestUser, chat_id: i64, token: &str) -> i64 {
    let (status, message) = send(server, sender, chat_id, json!({"text": "", "attach": token})).await;
    assert_eq!(status, 201, "{message}");
    message["seq"].as_i64().unwrap()
}

/// The status of `user` reading file `id`'s bytes, through message `via` when given.
pub(crate) async fn read(server: &TestServer, user: &TestUser, id: i64, via: Option<(i64, i64)>) -> StatusCode {
    let query = via.map_or(String::new(), |(chat, seq)| format!("?chat_id={chat}&seq={seq}"));
    let path = format!("/api/v1/files/{id}/content{query}");
    fetch(server, &path, Some(&user.access_token), &[]).await.0
}

async fn files_are_read_through_the_messages_that_carry_them(stack: Stack) {
    let server = start(stack, &[]).await;
    let [amy, bob, cy, dan] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
        server.register("dan").await,
    ];
    let (status, file) = upload(&server, &amy, "q3 report.txt", "application/pdf", b"numbers".to_vec()).await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_i64().unwrap();
    let token = file["attach_token"].as_str().unwrap().to_owned();
    let chat = group(&server, &amy, "since_join", &[&bob]).await;

    // before any message carries it, only amy reads it
    assert_eq!(read(&server, &bob, id, None).await, StatusCode::NOT_FOUND);
    let plain = send(&server, &amy, chat, json!({"text": "hello"})).await.1["seq"]
        .as_i64()
        .unwrap();
    assert_eq!(
        read(&server, &bob, id, Some((chat, plain))).await,
        StatusCode::NOT_FOUND,
        "a message bob may read, but it does not carry the file"
    );

    // the token is amy's alone, and must be a token
    let stolen = send(&server, &bob, chat, json!({"text": "", "attach": token})).await;
    assert_error(&stolen, 422, "validation_failed", Some("attach"));
    let forged = send(&server, &amy, chat, json!({"text": "", "attach": format!("{token}x")})).await;
    assert_error(&forged, 422, "validation_failed", Some("attach"));

    let (status, message) = send(&server, &amy, chat, json!({"text": "see attached", "attach": token})).await;
    assert_eq!(status, 201, "{message}");
    let seq = message["seq"].as_i64().unwrap();
    let card = &message["attachment"];
    assert_eq!(card["type"], "file");
    assert_eq!(card["service"], "files");
    assert_eq!(card["object_id"], id.to_string());
    assert_eq!(
        card["preview"],
        json!({"name": "q3 report.txt", "size": 7, "content_type": "text/plain"})
    );
    // search finds the message by the file's name
    let (_, found) = server
        .get(
            &format!("/api/v1/search/messages?q=report&chat_id={chat}"),
            Some(&bob.access_token),
        )
        .await;
    assert!(found.to_string().contains(&format!("\"seq\":{seq}")), "{found}");

    // bob reads it through the message: the bytes, its card, a link; no attach token
    let via = Some((chat, seq));
    let (status, _, bytes) = fetch(
        &server,
        &format!("/api/v1/files/{id}/content?chat_id={chat}&seq={seq}"),
        Some(&bob.access_token),
        &[],
    )
    .await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, b"numbers".as_slice()));
    let (status, seen) = server
        .get(
            &format!("/api/v1/files/{id}?chat_id={chat}&seq={seq}"),
            Some(&bob.access_token),
        )
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["name"], "q3 report.txt");
    assert!(seen.get("attach_token").is_none(), "{seen}");
    let (status, link) = server
        .post(
            &format!("/api/v1/files/{id}/link?chat_id={chat}&seq={seq}"),
            Some(&bob.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{link}");
    let (status, _, bytes) = fetch(&server, link["url"].as_str().unwrap(), None, &[]).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, b"numbers".as_slice()));
    // half a message is a clear 422; bob may not delete amy's file
    let half = server
        .get(&format!("/api/v1/files/{id}?chat_id={chat}"), Some(&bob.access_token))
        .await;
    assert_error(&half, 422, "validation_failed", Some("seq"));
    let delete = server
        .request("DELETE", &format!("/api/v1/files/{id}"), Some(&bob.access_token), None)
        .await;
    assert_eq!(delete.0, 404);

    // a non-member, and a member who joined after the message in a since_join chat: 404
    assert_eq!(read(&server, &cy, id, via).await, StatusCode::NOT_FOUND);
    add(&server, &amy, chat, &[&dan]).await;
    assert_eq!(read(&server, &dan, id, via).await, StatusCode::NOT_FOUND);
    // an ex-member: 404 from the moment they leave
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat}/leave"),
            Some(&bob.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(read(&server, &bob, id, via).await, StatusCode::NOT_FOUND);
    assert_eq!(read(&server, &amy, id, None).await, StatusCode::OK);
}

async fn a_forward_carries_the_file_without_copying_it(stack: Stack) {
    let server = start(stack, &[CLEAN_EVERY_SECOND]).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let first = group(&server, &amy, "all", &[&bob]).await;
    let second = group(&server, &bob, "all", &[&cyd]).await;
    let (_, file) = upload(&server, &amy, "plan.txt", "text/plain", b"the plan".to_vec()).await;
    let id = file["id"].as_i64().unwrap();
    let original = attach(&server, &amy, first, file["attach_token"].as_str().unwrap()).await;
    assert_eq!(
        read(&server, &cyd, id, Some((first, original))).await,
        StatusCode::NOT_FOUND
    );

    // bob forwards it to a chat amy is not in: cyd reads the file through the forward
    let forward = json!({"text": "", "forward": {"chat_id": first, "seq": original}});
    let (status, copy) = send(&server, &bob, second, forward).await;
    assert_eq!(status, 201, "{copy}");
    assert_eq!(copy["attachment"]["object_id"], id.to_string());
    let forwarded = copy["seq"].as_i64().unwrap();
    assert_eq!(read(&server, &cyd, id, Some((second, forwarded))).await, StatusCode::OK);
    assert_eq!(stored_objects(&server).await, 1, "the bytes are not copied");

    // the original deleted, the forward still carries the file; its deletion takes it away
    let delete = |user: &TestUser, chat: i64, seq: i64| {
        let path = format!("/api/v1/chats/{chat}/messages/{seq}");
        let token = user.access_token.clone();
        let server = &server;
        async move { server.request("DELETE", &path, Some(&token), None).await.0 }
    };
    assert_eq!(delete(&amy, first, original).await, 204);
    assert_eq!(read(&server, &cyd, id, Some((second, forwarded))).await, StatusCode::OK);
    assert_eq!(delete(&bob, second, forwarded).await, 204);
    until("the file to go with the forward", || async {
        (read(&server, &amy, id, None).await == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
}

async fn a_file_goes_with_its_last_message(stack: Stack) {
    let server = start(stack, &[CLEAN_EVERY_SECOND]).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let chat = group(&server, &amy, "all", &[&bob]).await;
    let (_, file) = upload(&server, &amy, "photo.png", "image/png", png(5000)).await;
    let id = file["id"].as_i64().unwrap();
    let token = file["attach_token"].as_str().unwrap();
    // a picture is its owner's alone until processed (this one fails: its pixels are noise)
    processed(&server, &amy, id).await;
    // one file in two messages
    let first = attach(&server, &amy, chat, token).await;
    let second = attach(&server, &amy, chat, token).await;
    assert_eq!(read(&server, &bob, id, Some((chat, first))).await, StatusCode::OK);

    let delete = |seq: i64| {
        let server = &server;
        let amy = &amy;
        async move {
            let path = format!("/api/v1/chats/{chat}/messages/{seq}");
            let deleted = server.request("DELETE", &path, Some(&amy.access_token), None).await;
            assert_eq!(deleted.0, 204, "{}", deleted.1);
        }
    };
    // a deleted message no longer lets anyone read its file: at once
    delete(first).await;
    assert_eq!(
        read(&server, &bob, id, Some((chat, first))).await,
        StatusCode::NOT_FOUND
    );
    // the other message still carries it
    assert_eq!(read(&server, &bob, id, Some((chat, second))).await, StatusCode::OK);
    assert_eq!(read(&server, &amy, id, None).await, StatusCode::OK);

    // the last one deleted: the file is gone, for its owner too, and so are its bytes
    delete(second).await;
    assert_eq!(
        read(&server, &bob, id, Some((chat, second))).await,
        StatusCode::NOT_FOUND
    );
    until("the file to go with its last message", || async {
        (read(&server, &amy, id, None).await == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    until("its bytes to be removed", || async {
        (stored_objects(&server).await == 0).then_some(())
    })
    .await;
    let (_, usage) = server.get("/api/v1/files/usage", Some(&amy.access_token)).await;
    assert_eq!(usage["used_bytes"], 0);
}

async fn orphans_are_collected_and_avatars_kept(stack: Stack) {
    let grace = [
        ("HYBRID_FILES__ORPHAN_GRACE_SECS", "3"),
        ("HYBRID_FILES__ATTACH_TOKEN_TTL_SECS", "1"),
        CLEAN_EVERY_SECOND,
    ];
    let server = start(stack, &grace).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let as_avatar = "/api/v1/files?name=me.png&purpose=avatar";
    let not_a_picture = upload_to(&server, &amy, as_avatar, "image/png", b"<svg onload=alert(1)>".to_vec()).await;
    assert_error(&not_a_picture, 422, "validation_failed", Some("purpose"));
    let (status, avatar) = upload_to(&server, &amy, as_avatar, "image/png", png(3000)).await;
    assert_eq!(status, 201, "{avatar}");
    assert_eq!(avatar["avatar"], true);
    let avatar = avatar["id"].as_i64().unwrap();
    let (_, orphan) = upload(&server, &amy, "never sent.txt", "text/plain", b"lonely".to_vec()).await;
    assert!(orphan["attach_token"].is_string(), "{orphan}");
    let orphan = orphan["id"].as_i64().unwrap();

    // any signed-in user reads an avatar (once processed); nobody else reads an orphan
    processed(&server, &amy, avatar).await;
    assert_eq!(read(&server, &bob, avatar, None).await, StatusCode::OK);
    assert_eq!(read(&server, &bob, orphan, None).await, StatusCode::NOT_FOUND);
    let anonymous = fetch(&server, &format!("/api/v1/files/{avatar}/content"), None, &[]).await;
    assert_eq!(anonymous.0, StatusCode::UNAUTHORIZED);

    // near its grace an orphan offers no attach token; past it, it is collected
    until("the orphan to stop offering a token", || async {
        let (_, seen) = server
            .get(&format!("/api/v1/files/{orphan}"), Some(&amy.access_token))
            .await;
        seen.get("attach_token").is_none().then_some(())
    })
    .await;
    until("the orphan to be collected", || async {
        (read(&server, &amy, orphan, None).await == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    assert_eq!(read(&server, &bob, avatar, None).await, StatusCode::OK);
    assert_eq!(stored_objects(&server).await, 1, "the avatar's bytes alone are left");
}

/// The seqs of a history page.
fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

async fn a_chat_lists_its_files_page_by_page(stack: Stack) {
    let server = start(stack, &[]).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let chat = group(&server, &amy, "all", &[&bob]).await;
    // talk and files in turn: files at the 2nd, 4th and 6th of six messages
    let mut files = Vec::new();
    for i in 0..3 {
        let (status, _) = send(&server, &bob, chat, json!({"text": format!("talk {i}")})).await;
        assert_eq!(status, 201);
        let (_, file) = upload(&server, &amy, &format!("f{i}.txt"), "text/plain", b"some text".to_vec()).await;
        files.push(attach(&server, &amy, chat, file["attach_token"].as_str().unwrap()).await);
    }
    let list = |query: String| {
        let (server, bob) = (&server, &bob);
        async move {
            let path = format!("/api/v1/chats/{chat}/messages?with_attachment=true&{query}");
            let (status, page) = server.get(&path, Some(&bob.access_token)).await;
            assert_eq!(status, 200, "{page}");
            page
        }
    };
    // the newest two, oldest first within the page, then the one before
    let page = list("limit=2".into()).await;
    assert_eq!(
        (seqs(&page), page["has_more"].as_bool()),
        (files[1..].to_vec(), Some(true))
    );
    assert!(
        page["messages"][0]["attachment"]["preview"]["name"] == "f1.txt",
        "{page}"
    );
    let older = list(format!("limit=2&before={}", files[1])).await;
    assert_eq!(
        (seqs(&older), older["has_more"].as_bool()),
        (files[..1].to_vec(), Some(false))
    );
    // newer ones, and around one, skip the talk too
    assert_eq!(seqs(&list(format!("after={}", files[0])).await), files[1..].to_vec());
    assert_eq!(seqs(&list(format!("around={}&limit=3", files[1])).await), files);
    // a reaction shows on the right message despite the gaps
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/chats/{chat}/messages/{}/reactions/%F0%9F%91%8D", files[2]),
            Some(&bob.access_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let page = list("limit=2".into()).await;
    assert_eq!(page["messages"][1]["reactions"][0]["count"], 1, "{page}");
    assert!(
        page["messages"][0]["reactions"].as_array().is_none_or(Vec::is_empty),
        "{page}"
    );
    // a deleted file message leaves the list
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{chat}/messages/{}", files[2]),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(seqs(&list("limit=10".into()).await), files[..2].to_vec());
    // not a member: 404 as for any history
    let cyd = server.register("cyd").await;
    let (status, _) = server
        .get(
            &format!("/api/v1/chats/{chat}/messages?with_attachment=true"),
            Some(&cyd.access_token),
        )
        .await;
    assert_eq!(status, 404);
}
