//! What a hostile member, ex-member or stranger with an account could do before "Security I"
//! (#14), one test per behaviour, each on both stacks.

use std::time::Duration;

use hybrid_testkit::{PASSWORD, Polled, Stack, WsClient, assert_error, stack_tests};
use serde_json::{Value, json};

use crate::{create_chat, direct, send, start, start_with, try_create_chat};

stack_tests!(
    deleted_and_pre_edit_text_is_gone_from_sync_history_search_and_pins,
    edits_need_the_right_to_post,
    a_block_stops_typing_reactions_pins_and_edits,
    strangers_failing_logins_do_not_lock_out_the_owner,
    a_removed_member_is_banned_and_links_die_with_their_makers_rights,
    an_empty_direct_chat_reveals_no_presence,
    channel_subscribers_see_only_admins_and_themselves,
    search_reads_only_the_callers_chats_and_is_rate_limited,
    sockets_sessions_chats_and_invite_links_have_caps,
    names_messages_reactions_and_mentions_are_parsed_strictly,
);

async fn deleted_and_pre_edit_text_is_gone_from_sync_history_search_and_pins(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let chat_id = create_chat(&server, &amy, "group", "G", &[&bob]).await;
    let amy_t = Some(amy.access_token.as_str());
    let bob_t = Some(bob.access_token.as_str());
    let gone = send(&server, &amy, chat_id, "pineapple secret").await["seq"]
        .as_i64()
        .unwrap();
    let edited = send(&server, &amy, chat_id, "draft wording").await["seq"]
        .as_i64()
        .unwrap();
    for seq in [gone, edited] {
        let (status, body) = server
            .request("PUT", &format!("/api/v1/chats/{chat_id}/pins/{seq}"), amy_t, None)
            .await;
        assert_eq!(status, 204, "{body}");
    }
    let message = |seq: i64| format!("/api/v1/chats/{chat_id}/messages/{seq}");
    let (status, body) = server.request("DELETE", &message(gone), amy_t, None).await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = server
        .request("PATCH", &message(edited), amy_t, Some(json!({"text": "final wording"})))
        .await;
    assert_eq!(status, 200, "{body}");

    // Another member catching up from the start, reading history, searching, listing pins.
    let (status, sync) = server
        .post("/api/v1/sync", bob_t, json!({"chats": {chat_id.to_string(): 0}}))
        .await;
    assert_eq!(status, 200, "{sync}");
    let events = &sync["chats"][0]["events"];
    assert_eq!(sync["chats"][0]["too_long"], false, "{sync}");
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"message.new") && kinds.contains(&"message.edited"),
        "{kinds:?}"
    );
    // the message events show the messages as they are now
    let first = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "message.new" && e["data"]["seq"] == gone)
        .unwrap();
    assert_eq!(
        (first["data"]["seq"].as_i64(), &first["data"]["deleted"]),
        (Some(gone), &json!(true))
    );
    assert!(sync.to_string().contains("final wording"), "{sync}");

    let (status, history) = server.get(&format!("/api/v1/chats/{chat_id}/messages"), bob_t).await;
    assert_eq!(status, 200);
    // after the group's creation
    assert_eq!(history["messages"][1]["deleted"], true);
    assert_eq!(history["messages"][2]["text"], "final wording");
    let (status, pins) = server.get(&format!("/api/v1/chats/{chat_id}/pins"), bob_t).await;
    assert_eq!(status, 200);
    assert_eq!(pins.as_array().map(Vec::len), Some(1), "{pins}");
    let mut found = Vec::new();
    for q in ["pineapple", "secret", "draft", "final"] {
        let (status, hits) = server.get(&format!("/api/v1/search/messages?q={q}"), bob_t).await;
        assert_eq!(status, 200, "{hits}");
        found.push(hits);
    }
    assert_eq!(found[3]["items"].as_array().map(Vec::len), Some(1), "{}", found[3]);

    let everything: Vec<&Value> = [&sync, &history, &pins].into_iter().chain(&found[..3]).collect();
    for answer in everything {
        let text = answer.to_string();
        for old in ["pineapple", "secret", "draft"] {
            assert!(!text.contains(old), "{old:?} came back: {text}");
        }
    }
    // The live frames carry text: NATS keeps them only as long as redelivery needs.
    if let Some(scaled) = server.scaled() {
        let nats = async_nats::connect(scaled.nats_url.as_str()).await.unwrap();
        let mut stream = async_nats::jetstream::new(nats)
            .get_stream(scaled.stream_name())
            .await
            .unwrap();
        let max_age = stream.info().await.unwrap().config.max_age;
        assert!(max_age <= std::time::Duration::from_secs(300), "{max_age:?}");
    }
}

async fn edits_need_the_right_to_post(stack: Stack) {
    let server = start(stack).await;
    let owner = server.register("owner").await;
    let muted = server.register("muted").await;
    let admin = server.register("admin").await;
    let owner_t = Some(owner.access_token.as_str());
    let group = create_chat(&server, &owner, "group", "G", &[&muted]).await;
    let channel = create_chat(&server, &owner, "channel", "C", &[&admin]).await;
    let member = |chat: i64, user: i64| format!("/api/v1/chats/{chat}/members/{user}");
    let (status, body) = server
        .request(
            "PATCH",
            &member(channel, admin.id),
            owner_t,
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let said = send(&server, &muted, group, "before the mute").await["seq"]
        .as_i64()
        .unwrap();
    let posted = send(&server, &admin, channel, "while an admin").await["seq"]
        .as_i64()
        .unwrap();
    let edit = |chat: i64, seq: i64| format!("/api/v1/chats/{chat}/messages/{seq}");
    // the positive control: both may edit while they may post
    for (user, chat, seq) in [(&muted, group, said), (&admin, channel, posted)] {
        let (status, body) = server
            .request(
                "PATCH",
                &edit(chat, seq),
                Some(&user.access_token),
                Some(json!({"text": "fixed"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    let (status, body) = server
        .request(
            "PATCH",
            &member(group, muted.id),
            owner_t,
            Some(json!({"deny": ["send_messages"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .request(
            "PATCH",
            &member(channel, admin.id),
            owner_t,
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for (user, chat, seq) in [(&muted, group, said), (&admin, channel, posted)] {
        let rewrite = server
            .request(
                "PATCH",
                &edit(chat, seq),
                Some(&user.access_token),
                Some(json!({"text": "rewritten"})),
            )
            .await;
        assert_error(&rewrite, 403, "forbidden", None);
        let (_, history) = server.get(&format!("/api/v1/chats/{chat}/messages"), owner_t).await;
        // [0] is the chat's creation
        assert_eq!(history["messages"][1]["text"], "fixed", "{history}");
    }
}

async fn a_block_stops_typing_reactions_pins_and_edits(stack: Stack) {
    let server = start(stack).await;
    let ann = server.register("ann").await;
    let ben = server.register("ben").await;
    let chat = direct(&server, &ann, &ben).await;
    let ben_t = Some(ben.access_token.as_str());
    let mine = send(&server, &ben, chat, "hi").await["seq"].as_i64().unwrap();
    let hers = send(&server, &ann, chat, "hello").await["seq"].as_i64().unwrap();
    let typing = format!("/api/v1/chats/{chat}/typing");
    let react = format!("/api/v1/chats/{chat}/messages/{hers}/reactions/👍");
    let pin = format!("/api/v1/chats/{chat}/pins/{hers}");
    let edit = format!("/api/v1/chats/{chat}/messages/{mine}");
    // the positive control: each works before the block
    let mut ann_ws = server.ws(&ann).await;
    let (status, body) = server.post(&typing, ben_t, json!({})).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(ann_ws.next_of_type("typing").await["user_id"], ben.id);
    for (method, path) in [("PUT", &react), ("DELETE", &react), ("PUT", &pin), ("DELETE", &pin)] {
        let (status, body) = server.request(method, path, ben_t, None).await;
        assert!(status.is_success(), "{method} {path}: {status} {body}");
    }
    ann_ws
        .next_where(|f| f["kind"] == "pin.changed" && f["data"]["pinned"] == false)
        .await;

    let (status, body) = server
        .request(
            "PUT",
            &format!("/api/v1/users/{}/block", ben.id),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert!(status.is_success(), "{body}");
    assert_error(&server.post(&typing, ben_t, json!({})).await, 403, "forbidden", None);
    assert_error(
        &server.request("PUT", &react, ben_t, None).await,
        403,
        "forbidden",
        None,
    );
    assert_error(&server.request("PUT", &pin, ben_t, None).await, 403, "forbidden", None);
    let rewrite = server
        .request("PATCH", &edit, ben_t, Some(json!({"text": "boo"})))
        .await;
    assert_error(&rewrite, 403, "forbidden", None);
    let frames = ann_ws.drain(Duration::from_millis(300)).await;
    assert!(
        frames
            .iter()
            .all(|f| f["type"] != "typing" && f["kind"] != "reaction.changed" && f["kind"] != "pin.changed"),
        "{frames:?}"
    );
}

/// Logs in as `owner` from `address` (X-Forwarded-For), with a device cookie or none; returns
/// the status, Retry-After, the body and the device cookie set.
async fn login_from(
    server: &hybrid_testkit::Api,
    address: &str,
    password: &str,
    device: Option<&str>,
) -> (u16, Option<u64>, Value, Option<String>) {
    let mut request = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"username": "owner", "password": password}));
    if let Some(device) = device {
        request = request.header("cookie", format!("hybrid_device={device}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let device = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.strip_prefix("hybrid_device="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .next();
    (status, retry, response.json().await.unwrap_or(Value::Null), device)
}

async fn strangers_failing_logins_do_not_lock_out_the_owner(stack: Stack) {
    let forwarded = ("HYBRID_HTTP__TRUST_FORWARDED_FOR", "true");
    let server = start_with(stack, &[forwarded]).await;
    server.register("owner").await;
    // The owner's browser has signed in before: it holds a device cookie.
    let (status, _, _, device) = login_from(&server, "10.0.0.1", PASSWORD, None).await;
    assert_eq!(status, 200);
    let device = device.expect("a device cookie");

    // A stranger fails five times from one address: that address is locked out of the account,
    // even with the right password, with the wait in minutes.
    for _ in 0..5 {
        assert_eq!(login_from(&server, "10.6.6.6", "wrong password", None).await.0, 401);
    }
    let (status, retry, body, _) = login_from(&server, "10.6.6.6", PASSWORD, None).await;
    assert_eq!(status, 429, "{body}");
    assert!(retry.is_some_and(|r| r > 60), "{retry:?}");
    assert!(body["error"]["message"].as_str().unwrap().contains("minutes"), "{body}");
    // the owner, from another address, with or without their browser, is not
    assert_eq!(login_from(&server, "10.0.0.2", PASSWORD, None).await.0, 200);
    assert_eq!(login_from(&server, "10.0.0.1", PASSWORD, Some(&device)).await.0, 200);

    // Guessing spread over many addresses locks the account for devices it has not seen…
    let locked = start_with(
        stack,
        &[forwarded, ("HYBRID_AUTH__LOGIN_MAX_FAILURES_PER_ACCOUNT", "4")],
    )
    .await;
    let owner = locked.register("owner").await;
    let (_, _, _, device) = login_from(&locked, "10.0.0.1", PASSWORD, None).await;
    let device = device.expect("a device cookie");
    // an intruder who once knew the password kept a cookie of their own
    let (_, _, _, intruders) = login_from(&locked, "10.9.9.9", PASSWORD, None).await;
    let intruders = intruders.expect("a device cookie");
    for n in 0..4 {
        let address = format!("10.7.0.{n}");
        assert_eq!(login_from(&locked, &address, "wrong password", None).await.0, 401);
    }
    assert_eq!(login_from(&locked, "10.0.0.9", PASSWORD, None).await.0, 429);
    // …but not the owner's browser, which signed in before, from any address
    assert_eq!(login_from(&locked, "10.0.0.9", PASSWORD, Some(&device)).await.0, 200);
    // and a forged or altered device cookie is no way around it
    let last = if device.ends_with('x') { "y" } else { "x" };
    let altered = format!("{}{last}", &device[..device.len() - 1]);
    for fake in ["hd1.1.AAAA", altered.as_str()] {
        assert_eq!(login_from(&locked, "10.0.0.9", PASSWORD, Some(fake)).await.0, 429);
    }
    // A new password voids every cookie issued before it, the intruder's too.
    let new_password = "a brand new passphrase";
    let (status, body) = locked
        .post(
            "/api/v1/auth/password",
            Some(&owner.access_token),
            json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(
        login_from(&locked, "10.9.9.9", new_password, Some(&intruders)).await.0,
        429
    );
}

async fn a_removed_member_is_banned_and_links_die_with_their_makers_rights(stack: Stack) {
    let server = start(stack).await;
    let owner = server.register("owner").await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let cyd = server.register("cyd").await;
    let dan = server.register("dan").await;
    let owner_t = Some(owner.access_token.as_str());
    let group = create_chat(&server, &owner, "group", "G", &[&amy, &bob]).await;
    let link = |user: &hybrid_testkit::TestUser, chat: i64| {
        let token = user.access_token.clone();
        let server = &server;
        async move {
            let (status, link) = server
                .post(&format!("/api/v1/chats/{chat}/invites"), Some(&token), json!({}))
                .await;
            assert_eq!(status, 201, "{link}");
            link["code"].as_str().unwrap().to_owned()
        }
    };
    let join = |user: &hybrid_testkit::TestUser, code: &str| {
        let (token, path) = (user.access_token.clone(), format!("/api/v1/invites/{code}/join"));
        let server = &server;
        async move { server.post(&path, Some(&token), json!({})).await }
    };
    let owners_link = link(&owner, group).await;
    let amys_link = link(&amy, group).await;
    let bobs_link = link(&bob, group).await;

    // Removed, amy cannot come back with an old link; the ban is listed.
    let (status, body) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{group}/members/{}", amy.id),
            owner_t,
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_error(&join(&amy, &owners_link).await, 403, "forbidden", None);
    let (status, bans) = server.get(&format!("/api/v1/chats/{group}/bans"), owner_t).await;
    assert_eq!(status, 200, "{bans}");
    assert_eq!(
        (bans[0]["user_id"].as_i64(), &bans[0]["username"]),
        (Some(amy.id), &json!("amy"))
    );
    let (status, _) = server
        .get(&format!("/api/v1/chats/{group}/bans"), Some(&bob.access_token))
        .await;
    assert_eq!(status, 403, "members without remove_members do not see bans");
    // a member who may invite cannot add her back either; the owner can, which lifts the ban
    let add = format!("/api/v1/chats/{group}/members");
    let by_bob = server
        .post(&add, Some(&bob.access_token), json!({"user_ids": [amy.id]}))
        .await;
    assert_error(&by_bob, 403, "forbidden", None);
    // and her own link went with her
    assert_error(&join(&cyd, &amys_link).await, 404, "not_found", None);

    // Bob's link works while he may invite (the positive control), not after he is removed.
    let (status, body) = join(&cyd, &bobs_link).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{group}/members/{}", bob.id),
            owner_t,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_error(&join(&dan, &bobs_link).await, 404, "not_found", None);

    // A channel admin's link dies when they are made a member (channel members may not invite).
    let channel = create_chat(&server, &owner, "channel", "C", &[&cyd]).await;
    let member = format!("/api/v1/chats/{channel}/members/{}", cyd.id);
    let promote = server
        .request("PATCH", &member, owner_t, Some(json!({"role": "admin"})))
        .await;
    assert_eq!(promote.0, 200, "{}", promote.1);
    let cyds_link = link(&cyd, channel).await;
    let demote = server
        .request("PATCH", &member, owner_t, Some(json!({"role": "member"})))
        .await;
    assert_eq!(demote.0, 200, "{}", demote.1);
    assert_error(&join(&dan, &cyds_link).await, 404, "not_found", None);

    // Lifting the ban lets amy back in; a ban with an end keeps a stranger out until then.
    let lift = format!("/api/v1/chats/{group}/bans/{}", amy.id);
    assert_eq!(server.request("DELETE", &lift, owner_t, None).await.0, 204);
    assert_eq!(server.request("DELETE", &lift, owner_t, None).await.0, 404);
    let (status, body) = join(&amy, &owners_link).await;
    assert_eq!(status, 200, "{body}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let ban_dan = |until: i64| format!("/api/v1/chats/{group}/bans/{}?until={until}", dan.id);
    let past = server.request("PUT", &ban_dan(now - 1000), owner_t, None).await;
    assert_error(&past, 422, "validation_failed", Some("until"));
    assert_eq!(
        server.request("PUT", &ban_dan(now + 3_600_000), owner_t, None).await.0,
        204
    );
    assert_error(&join(&dan, &owners_link).await, 403, "forbidden", None);
    let (_, bans) = server.get(&format!("/api/v1/chats/{group}/bans"), owner_t).await;
    let dans = bans
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["user_id"] == dan.id)
        .unwrap();
    assert_eq!(dans["until"], now + 3_600_000);
    // banning a member removes them
    let ban_amy = format!("/api/v1/chats/{group}/bans/{}", amy.id);
    assert_eq!(server.request("PUT", &ban_amy, owner_t, None).await.0, 204);
    let (status, _) = server
        .get(&format!("/api/v1/chats/{group}"), Some(&amy.access_token))
        .await;
    assert_eq!(status, 404);
    // the owner's add lifts the ban
    let (status, body) = server.post(&add, owner_t, json!({"user_ids": [amy.id]})).await;
    assert!(status.is_success(), "{body}");
}

async fn an_empty_direct_chat_reveals_no_presence(stack: Stack) {
    let server = start(stack).await;
    let nosy = server.register("nosy").await;
    let star = server.register("star").await;
    let mut star_ws = server.ws(&star).await;
    let chat = direct(&server, &nosy, &star).await;
    let query = format!("/api/v1/realtime/presence?user_ids={}", star.id);
    let nosy_t = Some(nosy.access_token.as_str());
    // opening the chat, even writing into it, tells nothing while star has not written back
    let (status, presence) = server.get(&query, nosy_t).await;
    assert_eq!((status.as_u16(), &presence), (200, &json!([])));
    send(&server, &nosy, chat, "are you there?").await;
    assert_eq!(server.get(&query, nosy_t).await.1, json!([]));
    let mut nosy_ws = server.ws(&nosy).await;
    star_ws.close().await;
    star_ws = server.ws(&star).await;
    let frames = nosy_ws.drain(Duration::from_millis(300)).await;
    assert!(!frames.iter().any(|f| f["type"] == "presence"), "{frames:?}");
    // once star answers, they share presence (the positive control)
    send(&server, &star, chat, "yes").await;
    assert_eq!(
        server.get(&query, nosy_t).await.1,
        json!([{"user_id": star.id, "online": true}])
    );
    drop(star_ws);
}

async fn channel_subscribers_see_only_admins_and_themselves(stack: Stack) {
    let server = start(stack).await;
    let owner = server.register("owner").await;
    let admin = server.register("admin").await;
    let ann = server.register("ann").await;
    let ben = server.register("ben").await;
    let channel = create_chat(&server, &owner, "channel", "News", &[&admin, &ann, &ben]).await;
    let path = format!("/api/v1/chats/{channel}/members");
    let (status, body) = server
        .request(
            "PATCH",
            &format!("{path}/{}", admin.id),
            Some(&owner.access_token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ids = |members: &Value| -> Vec<i64> {
        members
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["user_id"].as_i64().unwrap())
            .collect()
    };
    // admins see every subscriber (the positive control)
    let (status, all) = server.get(&path, Some(&admin.access_token)).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all), [owner.id, admin.id, ann.id, ben.id]);
    // a subscriber sees who runs the channel, and themselves, not the other subscribers
    let (status, seen) = server.get(&path, Some(&ann.access_token)).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(ids(&seen), [owner.id, admin.id, ann.id]);
    assert!(!seen.to_string().contains("\"ben\""), "{seen}");
    // the member count stays visible
    let (_, chat) = server
        .get(&format!("/api/v1/chats/{channel}"), Some(&ann.access_token))
        .await;
    assert_eq!(chat["member_count"], 4);

    // Nor do events, reactions or the answers to removals name other subscribers.
    let post = send(&server, &owner, channel, "news").await["seq"].as_i64().unwrap();
    let reactions = format!("/api/v1/chats/{channel}/messages/{post}/reactions");
    let thumbs = format!("{reactions}/%F0%9F%91%8D");
    let (status, body) = server.request("PUT", &thumbs, Some(&ben.access_token), None).await;
    assert!(status.is_success(), "{body}");
    let leave = format!("/api/v1/chats/{channel}/leave");
    assert_eq!(server.post(&leave, Some(&ben.access_token), json!({})).await.0, 204);
    let (_, sync) = server
        .post(
            "/api/v1/sync",
            Some(&ann.access_token),
            json!({"chats": {channel.to_string(): 0}}),
        )
        .await;
    let events = sync["chats"][0]["events"].as_array().unwrap().clone();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(
        kinds.contains(&"member.left") && kinds.contains(&"reaction.changed"),
        "{kinds:?}"
    );
    // the owner and admins are named; ben, a subscriber, is not, in any event
    for event in &events {
        let data = &event["data"];
        assert!(data["user_id"] != ben.id && data["by"] != ben.id, "{event}");
    }
    let reacted = events.iter().find(|e| e["kind"] == "reaction.changed").unwrap();
    assert!(reacted["data"].get("user_id").is_none(), "{reacted}");
    assert_error(
        &server.get(&reactions, Some(&ann.access_token)).await,
        403,
        "forbidden",
        None,
    );
    assert_eq!(server.get(&reactions, Some(&admin.access_token)).await.0, 200);
    // removing a member and removing a stranger answer alike for someone without the right
    for id in [admin.id, 999_999] {
        let removal = server
            .request("DELETE", &format!("{path}/{id}"), Some(&ann.access_token), None)
            .await;
        assert_error(&removal, 403, "forbidden", None);
    }
}

async fn search_reads_only_the_callers_chats_and_is_rate_limited(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_CHATS__SEARCH_RATE_PER_MINUTE", "4")]).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let loner = server.register("loner").await;
    let ours = create_chat(&server, &amy, "group", "Ours", &[&bob]).await;
    let hers = create_chat(&server, &amy, "group", "Hers", &[]).await;
    send(&server, &amy, ours, "walrus in ours").await;
    send(&server, &amy, hers, "walrus in hers").await;
    let search = |user: &hybrid_testkit::TestUser, q: &str| {
        let (token, path) = (user.access_token.clone(), format!("/api/v1/search/messages?q={q}"));
        let server = &server;
        async move { server.get(&path, Some(&token)).await }
    };
    let texts = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        texts(&search(&amy, "walrus").await.1),
        ["walrus in hers", "walrus in ours"]
    );
    assert_eq!(texts(&search(&bob, "walrus").await.1), ["walrus in ours"]);
    let (status, none) = search(&loner, "walrus").await;
    assert_eq!((status.as_u16(), texts(&none).len()), (200, 0));
    // a fifth search within the minute is refused, for this user only
    for _ in 0..3 {
        assert_eq!(search(&loner, "walrus").await.0, 200);
    }
    let flood = search(&loner, "walrus").await;
    assert_error(&flood, 429, "rate_limited", None);
    assert_eq!(search(&bob, "walrus").await.0, 200);
}

async fn sockets_sessions_chats_and_invite_links_have_caps(stack: Stack) {
    let server = start_with(
        stack,
        &[
            ("HYBRID_REALTIME__MAX_SOCKETS_PER_USER", "2"),
            ("HYBRID_REALTIME__MAX_UNAUTHENTICATED_SOCKETS", "2"),
            ("HYBRID_AUTH__MAX_SESSIONS_PER_USER", "2"),
            ("HYBRID_CHATS__MAX_CHATS_PER_USER", "3"),
            ("HYBRID_CHATS__MAX_CHATS_CREATED_PER_DAY", "2"),
            ("HYBRID_CHATS__MAX_INVITE_LINKS_PER_CHAT", "2"),
        ],
    )
    .await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;

    // WebSockets: two per user on this node; a third is closed with 4029.
    let first = server.ws(&amy).await;
    let _second = server.ws(&amy).await;
    let mut third = WsClient::open(&server.base_url).await;
    third.send(json!({"type": "auth", "token": amy.access_token})).await;
    assert_eq!(third.close_code().await, Some(4029));
    first.close().await;
    // The node frees the first socket's place once it has processed the close, which may be
    // just after the client saw it: a new socket gets in within a few tries.
    let mut ready = None;
    for _ in 0..20 {
        let mut again = WsClient::open(&server.base_url).await;
        again.send(json!({"type": "auth", "token": amy.access_token})).await;
        match again.poll(hybrid_testkit::WAIT).await {
            Polled::Frame(frame) if frame["type"] == "ready" => {
                ready = Some(frame);
                break;
            }
            _ => continue,
        }
    }
    assert_eq!(ready.expect("a place after a close")["user_id"], amy.id);
    // Two sockets may wait for their auth frame; a third is refused with 1013.
    let _idle = [
        WsClient::open(&server.base_url).await,
        WsClient::open(&server.base_url).await,
    ];
    assert_eq!(WsClient::open_refused(&server.base_url).await, Some(1013));
    drop(_idle);

    // Sessions: a third sign-in ends the least recently used one.
    let mut latest = Value::Null;
    for _ in 0..2 {
        let (status, body) = server.login("amy", PASSWORD, None).await;
        assert_eq!(status, 200, "{body}");
        latest = body;
    }
    let latest = hybrid_testkit::user_from(&latest, PASSWORD);
    let (_, sessions) = server.get("/api/v1/auth/sessions", Some(&latest.access_token)).await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(2), "{sessions}");
    let refresh = server.refresh(&amy.refresh_token).await;
    assert_eq!(refresh.0, 401, "the first session ended: {}", refresh.1);

    // Groups and channels: amy creates two a day, and is in three at most.
    let amy = latest;
    let g1 = create_chat(&server, &amy, "group", "one", &[]).await;
    create_chat(&server, &amy, "group", "two", &[]).await;
    let create = |user: &hybrid_testkit::TestUser, members: Vec<i64>| {
        let (server, user) = (&server, user.clone());
        async move { try_create_chat(server, &user, "group", "more", &members).await }
    };
    let third_today = create(&amy, vec![]).await;
    assert_error(&third_today, 429, "rate_limited", None);
    assert!(third_today.1.to_string().contains("minutes"), "{}", third_today.1);
    // Adds by others do not count against her quota (nobody can fill someone else's)…
    for _ in 0..2 {
        let (status, body) = create(&bob, vec![amy.id]).await;
        assert_eq!(status, 201, "{body}");
    }
    // …but she cannot join a fourth by herself.
    let cyd = server.register("cyd").await;
    let open = create(&cyd, vec![]).await.1["id"].as_i64().unwrap();
    let (_, link) = server
        .post(
            &format!("/api/v1/chats/{open}/invites"),
            Some(&cyd.access_token),
            json!({}),
        )
        .await;
    let join = format!("/api/v1/invites/{}/join", link["code"].as_str().unwrap());
    let joined = server.post(&join, Some(&amy.access_token), json!({})).await;
    assert_error(&joined, 409, "too_many_chats", None);
    // direct chats do not count
    direct(&server, &amy, &bob).await;

    // Invite links: two working ones per chat; revoking one makes room. Pages go back in time.
    let links = format!("/api/v1/chats/{g1}/invites");
    let amy_t = Some(amy.access_token.as_str());
    let mut codes = Vec::new();
    for _ in 0..2 {
        let (status, link) = server.post(&links, amy_t, json!({})).await;
        assert_eq!(status, 201, "{link}");
        codes.push(link["code"].as_str().unwrap().to_owned());
    }
    assert_error(
        &server.post(&links, amy_t, json!({})).await,
        409,
        "too_many_invite_links",
        None,
    );
    let revoke = format!("{links}/{}", codes[0]);
    assert_eq!(server.request("DELETE", &revoke, amy_t, None).await.0, 204);
    let (status, link) = server.post(&links, amy_t, json!({})).await;
    assert_eq!(status, 201, "{link}");
    codes.push(link["code"].as_str().unwrap().to_owned());
    let mut seen = Vec::new();
    let mut before = String::new();
    loop {
        let (status, page) = server.get(&format!("{links}?limit=1&before={before}"), amy_t).await;
        assert_eq!(status, 200, "{page}");
        let Some(link) = page.as_array().unwrap().first() else {
            break;
        };
        seen.push(link["code"].as_str().unwrap().to_owned());
        before = format!("{}:{}", link["created_at"], link["code"].as_str().unwrap());
    }
    codes.sort();
    seen.sort();
    assert_eq!(seen, codes, "every link, revoked ones too, page by page");
    let bad = server.get(&format!("{links}?before=yesterday"), amy_t).await;
    assert_error(&bad, 422, "validation_failed", Some("before"));
}

async fn names_messages_reactions_and_mentions_are_parsed_strictly(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let amy_t = Some(amy.access_token.as_str());
    let me = "/api/v1/users/me";
    // Display names: no bidi controls (U+202E would show "amy\u{202E}nimda" as "amyadmin"), not
    // only invisible characters; right-to-left letters are fine.
    for bad in ["amy\u{202E}nimda", "\u{2066}bob\u{2069}", "\u{200B}\u{3164}"] {
        let patched = server
            .request("PATCH", me, amy_t, Some(json!({"display_name": bad})))
            .await;
        assert_error(&patched, 422, "validation_failed", Some("display_name"));
    }
    let (status, body) = server
        .request("PATCH", me, amy_t, Some(json!({"display_name": "אמי Amy"})))
        .await;
    assert_eq!(status, 200, "{body}");

    let chat = create_chat(&server, &amy, "group", "G", &[&bob]).await;
    let messages = format!("/api/v1/chats/{chat}/messages");
    // Messages of invisible characters only are refused.
    for blank in ["\u{200B}\u{200D}", "\u{3164}", "\u{2800}\u{FEFF} "] {
        let sent = server.post(&messages, amy_t, json!({"text": blank})).await;
        assert_error(&sent, 422, "validation_failed", Some("text"));
    }
    let seq = send(&server, &amy, chat, "hello").await["seq"].as_i64().unwrap();
    // A reaction is one standard emoji; punctuation, letters or two emoji are not.
    let react = |emoji: &str| format!("{messages}/{seq}/reactions/{}", urlencode(emoji));
    for good in ["👍", "❤️", "👍🏽", "🏳️‍🌈"] {
        let (status, body) = server.request("PUT", &react(good), amy_t, None).await;
        assert!(status.is_success(), "{good}: {status} {body}");
    }
    for bad in ["!", "?!", "a", "👍👍", ":)"] {
        let reacted = server.request("PUT", &react(bad), amy_t, None).await;
        assert_error(&reacted, 422, "validation_failed", Some("emoji"));
    }
    // A text_mention names a user who exists.
    let mention = |user_id: i64| json!({"text": "hey you", "entities": [{"type": "text_mention", "offset": 4, "length": 3, "user_id": user_id}]});
    let (status, body) = server.post(&messages, amy_t, mention(bob.id)).await;
    assert_eq!(status, 201, "{body}");
    let ghost = server.post(&messages, amy_t, mention(bob.id + 1000)).await;
    assert_error(&ghost, 422, "validation_failed", Some("entities"));
}

/// Percent-encodes every byte of a path segment.
fn urlencode(segment: &str) -> String {
    segment.bytes().map(|b| format!("%{b:02X}")).collect()
}
