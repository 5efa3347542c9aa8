//! Chat administration over the Bot API in the real binary, on both stacks: members read,
//! banned, restricted and promoted by a bot with the rights a person would need; invite
//! links and join requests decided by a bot; and the updates that tell a bot about members
//! (`my_chat_member`, `chat_member`, `chat_join_request`, service messages).

use hybrid_testkit::{Stack, TestServer, TestUser, hybrid_binary, stack_tests};
use serde_json::{Value, json};

mod support;
use support::{assert_bot_error, call, chat, group_id, make_bot, next_offset, ok, say, update_of, updates};

stack_tests!(
    a_bot_administers_a_group,
    a_bot_decides_join_requests_and_manages_links,
    bots_hear_about_members
);

/// `owner` makes `user` an admin of `chat_id` with `allow` on top of an admin's rights.
async fn promote(server: &TestServer, owner: &TestUser, chat_id: i64, user: i64, allow: &[&str]) {
    let (status, body) = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{chat_id}/members/{user}"),
            Some(&owner.access_token),
            Some(json!({"role": "admin", "allow": allow})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// What getChatMember says of `user` in `group`.
async fn member_of(server: &TestServer, token: &str, group: i64, user: i64) -> Value {
    ok(
        server,
        token,
        "getChatMember",
        json!({"chat_id": group, "user_id": user}),
    )
    .await
}

/// `person` follows invite link `url` (the Bot API's whole link): the status and answer.
async fn follow(server: &TestServer, person: &TestUser, url: &str) -> (u16, Value) {
    let code = url.rsplit('/').next().unwrap();
    let (status, body) = server
        .post(
            &format!("/api/v1/invites/{code}/join"),
            Some(&person.access_token),
            json!({}),
        )
        .await;
    (status.as_u16(), body)
}

async fn a_bot_administers_a_group(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let cat = server.register("cat").await;
    let (bot, token) = make_bot(&server, &amy, "admin_bot", "Admin").await;
    let chat_id = chat(&server, &amy, "group", "Team", &[bob.id, bot]).await;
    let group = group_id(chat_id);

    // a plain member reads but may not administer, in Telegram's words
    let member = member_of(&server, &token, group, bob.id).await;
    assert_eq!(member["status"], "member");
    assert_eq!(member["user"]["username"], "bob");
    let refused = call(
        &server,
        &token,
        "banChatMember",
        json!({"chat_id": group, "user_id": bob.id}),
    )
    .await;
    assert_bot_error(
        &refused,
        400,
        "Bad Request: not enough rights to restrict/unrestrict chat member",
    );
    assert_eq!(
        ok(&server, &token, "getChatMemberCount", json!({"chat_id": group})).await,
        3
    );

    promote(&server, &amy, chat_id, bot, &["manage_admins"]).await;
    let admins = ok(&server, &token, "getChatAdministrators", json!({"chat_id": group})).await;
    let statuses: Vec<(&Value, &Value)> = admins
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (&a["user"]["id"], &a["status"]))
        .collect();
    assert_eq!(
        statuses,
        [
            (&json!(amy.id), &json!("creator")),
            (&json!(bot), &json!("administrator"))
        ]
    );
    let me = &admins[1];
    assert_eq!(
        (
            &me["can_restrict_members"],
            &me["can_promote_members"],
            &me["can_invite_users"]
        ),
        (&json!(true), &json!(true), &json!(true))
    );
    // nobody and a stranger
    let unknown = call(
        &server,
        &token,
        "getChatMember",
        json!({"chat_id": group, "user_id": 999_999}),
    )
    .await;
    assert_bot_error(&unknown, 400, "Bad Request: user not found");
    let stranger = member_of(&server, &token, group, cat.id).await;
    assert_eq!(stranger["status"], "left");

    // restrict: bob may no longer write
    let mute = json!({"chat_id": group, "user_id": bob.id, "permissions": {"can_send_messages": false}});
    assert_eq!(ok(&server, &token, "restrictChatMember", mute).await, true);
    let muted = member_of(&server, &token, group, bob.id).await;
    assert_eq!(
        (&muted["status"], &muted["can_send_messages"]),
        (&json!("restricted"), &json!(false))
    );
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/messages"),
            Some(&bob.access_token),
            json!({"text": "hello?"}),
        )
        .await;
    assert_eq!(status, 403);
    let unmute = json!({"chat_id": group, "user_id": bob.id, "permissions": {"can_send_messages": true}});
    ok(&server, &token, "restrictChatMember", unmute).await;
    say(&server, &bob, chat_id, "back").await;
    let owner = json!({"chat_id": group, "user_id": amy.id, "permissions": {"can_send_messages": false}});
    let refused = call(&server, &token, "restrictChatMember", owner).await;
    assert_bot_error(&refused, 400, "Bad Request: can't restrict self or an administrator");

    // promote and demote
    let rights = json!({"chat_id": group, "user_id": bob.id, "can_pin_messages": true, "can_invite_users": true});
    assert_eq!(ok(&server, &token, "promoteChatMember", rights).await, true);
    let promoted = member_of(&server, &token, group, bob.id).await;
    assert_eq!(
        (
            &promoted["status"],
            &promoted["can_pin_messages"],
            &promoted["can_delete_messages"]
        ),
        (&json!("administrator"), &json!(true), &json!(false))
    );
    // Hybrid's rule: only a higher role changes an admin (the owner), so the bot may not demote
    let demote = json!({"chat_id": group, "user_id": bob.id});
    let refused = call(&server, &token, "promoteChatMember", demote).await;
    assert_bot_error(&refused, 400, "Bad Request: not enough rights to promote chat member");
    let (status, _) = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{chat_id}/members/{}", bob.id),
            Some(&amy.access_token),
            Some(json!({"role": "member", "allow": [], "deny": []})),
        )
        .await;
    assert_eq!(status, 200);
    let demoted = member_of(&server, &token, group, bob.id).await;
    assert_eq!(demoted["status"], "member");
    // a channel's right alone does not make a group's admin
    let posting = json!({"chat_id": group, "user_id": bob.id, "can_post_messages": true});
    ok(&server, &token, "promoteChatMember", posting).await;
    assert_eq!(member_of(&server, &token, group, bob.id).await["status"], "member");

    // title and description
    ok(
        &server,
        &token,
        "setChatTitle",
        json!({"chat_id": group, "title": "Team B"}),
    )
    .await;
    ok(
        &server,
        &token,
        "setChatDescription",
        json!({"chat_id": group, "description": "by the bot"}),
    )
    .await;
    let chat = ok(&server, &token, "getChat", json!({"chat_id": group})).await;
    assert_eq!(
        (&chat["title"], &chat["description"]),
        (&json!("Team B"), &json!("by the bot"))
    );
    let empty = call(&server, &token, "setChatTitle", json!({"chat_id": group, "title": ""})).await;
    assert_bot_error(&empty, 400, "Bad Request: chat title is empty");

    // a ban until a date removes bob and keeps him out, even by link; unbanning lets him back
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let ban = json!({"chat_id": group, "user_id": bob.id, "until_date": until});
    assert_eq!(ok(&server, &token, "banChatMember", ban).await, true);
    let kicked = member_of(&server, &token, group, bob.id).await;
    // a bot without the right to see bans sees someone who left
    let (plain_id, plain) = make_bot(&server, &amy, "plain_admin_bot", "Plain").await;
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/members"),
            Some(&amy.access_token),
            json!({"user_ids": [plain_id]}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(member_of(&server, &plain, group, bob.id).await["status"], "left");
    assert_eq!(
        (&kicked["status"], &kicked["until_date"]),
        (&json!("kicked"), &json!(until))
    );
    let link = ok(&server, &token, "exportChatInviteLink", json!({"chat_id": group})).await;
    let link = link.as_str().unwrap().to_owned();
    assert_eq!(follow(&server, &bob, &link).await.0, 403, "a ban stops a rejoin");
    let unban = json!({"chat_id": group, "user_id": bob.id, "only_if_banned": true});
    ok(&server, &token, "unbanChatMember", unban).await;
    assert_eq!(follow(&server, &bob, &link).await.0, 200);
    // unbanning a member without only_if_banned removes them (they may come back)
    ok(
        &server,
        &token,
        "unbanChatMember",
        json!({"chat_id": group, "user_id": bob.id}),
    )
    .await;
    let left = member_of(&server, &token, group, bob.id).await;
    assert_eq!(left["status"], "left");
    assert_eq!(follow(&server, &bob, &link).await.0, 200);

    // private chats have nothing to administer; the bot may leave a group
    let private = call(
        &server,
        &token,
        "banChatMember",
        json!({"chat_id": amy.id, "user_id": bob.id}),
    )
    .await;
    assert!(private.0 == 400 || private.0 == 403, "{:?}", private.1);
    assert_eq!(ok(&server, &token, "leaveChat", json!({"chat_id": group})).await, true);
    let gone = call(&server, &token, "getChatMemberCount", json!({"chat_id": group})).await;
    assert_bot_error(&gone, 400, "Bad Request: chat not found");
}

async fn a_bot_decides_join_requests_and_manages_links(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let cat = server.register("cat").await;
    let (bot, token) = make_bot(&server, &amy, "door_bot", "Door").await;
    let chat_id = chat(&server, &amy, "group", "Club", &[bot]).await;
    let group = group_id(chat_id);
    promote(&server, &amy, chat_id, bot, &[]).await;
    let offset = next_offset(&server, &token).await;

    let both = json!({"chat_id": group, "creates_join_request": true, "member_limit": 3});
    let refused = call(&server, &token, "createChatInviteLink", both).await;
    assert_bot_error(
        &refused,
        400,
        "Bad Request: member_limit can't be specified for links requiring administrator approval",
    );
    let made = json!({"chat_id": group, "name": "Door", "creates_join_request": true});
    let link = ok(&server, &token, "createChatInviteLink", made).await;
    assert_eq!(
        (
            &link["name"],
            &link["creates_join_request"],
            &link["is_revoked"],
            &link["creator"]["id"]
        ),
        (&json!("Door"), &json!(true), &json!(false), &json!(bot))
    );
    assert_eq!(link["pending_join_request_count"], 0);
    let url = link["invite_link"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://localhost:8080/join/"), "{url}");

    // bob asks; the bot hears it and approves; cat asks and is declined
    assert_eq!(follow(&server, &bob, &url).await.0, 202);
    let request = update_of(&server, &token, offset, "chat_join_request").await;
    assert_eq!(
        (&request["chat"]["id"], &request["from"]["id"], &request["user_chat_id"]),
        (&json!(group), &json!(bob.id), &json!(bob.id))
    );
    assert_eq!(
        (&request["invite_link"]["invite_link"], &request["invite_link"]["name"]),
        (&json!(url), &json!("Door"))
    );
    let decide = |user: i64| json!({"chat_id": group, "user_id": user});
    assert_eq!(
        ok(&server, &token, "approveChatJoinRequest", decide(bob.id)).await,
        true
    );
    let member = member_of(&server, &token, group, bob.id).await;
    assert_eq!(member["status"], "member");
    let again = call(&server, &token, "approveChatJoinRequest", decide(bob.id)).await;
    assert_bot_error(&again, 400, "Bad Request: HIDE_REQUESTER_MISSING");
    assert_eq!(follow(&server, &cat, &url).await.0, 202);
    ok(&server, &token, "declineChatJoinRequest", decide(cat.id)).await;
    assert_eq!(member_of(&server, &token, group, cat.id).await["status"], "left");

    // edit, then revoke
    let code = url.rsplit('/').next().unwrap();
    let edit = json!({"chat_id": group, "invite_link": url, "name": "Open", "member_limit": 5});
    let edited = ok(&server, &token, "editChatInviteLink", edit).await;
    assert_eq!(
        (
            &edited["name"],
            &edited["member_limit"],
            &edited["creates_join_request"]
        ),
        (&json!("Open"), &json!(5), &json!(false))
    );
    // the code alone names the link too
    let revoked = ok(
        &server,
        &token,
        "revokeChatInviteLink",
        json!({"chat_id": group, "invite_link": code}),
    )
    .await;
    assert_eq!(revoked["is_revoked"], true);
    assert_eq!(follow(&server, &cat, &url).await.0, 404);
    let gone = call(
        &server,
        &token,
        "editChatInviteLink",
        json!({"chat_id": group, "invite_link": url}),
    )
    .await;
    assert_bot_error(&gone, 400, "Bad Request: INVITE_HASH_EXPIRED");
    let past = json!({"chat_id": group, "expire_date": 1_000_000});
    assert_bot_error(
        &call(&server, &token, "createChatInviteLink", past).await,
        400,
        "Bad Request: EXPIRE_DATE_INVALID",
    );

    // exporting makes a new primary link and retires the previous one
    let first = ok(&server, &token, "exportChatInviteLink", json!({"chat_id": group})).await;
    let second = ok(&server, &token, "exportChatInviteLink", json!({"chat_id": group})).await;
    assert_ne!(first, second);
    let dan = server.register("dan").await;
    assert_eq!(follow(&server, &dan, first.as_str().unwrap()).await.0, 404);
    assert_eq!(follow(&server, &dan, second.as_str().unwrap()).await.0, 200);

    // a bot without the admin role may not decide
    let (other, plain_token) = make_bot(&server, &amy, "plain_bot", "Plain").await;
    let chat2 = chat(&server, &amy, "group", "Other", &[other]).await;
    let (status, link2) = server
        .post(
            &format!("/api/v1/chats/{chat2}/invites"),
            Some(&amy.access_token),
            json!({"needs_approval": true}),
        )
        .await;
    assert_eq!(status, 201);
    let code2 = link2["code"].as_str().unwrap();
    let (status, _) = server
        .post(
            &format!("/api/v1/invites/{code2}/join"),
            Some(&cat.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let refused = call(
        &server,
        &plain_token,
        "approveChatJoinRequest",
        json!({"chat_id": group_id(chat2), "user_id": cat.id}),
    )
    .await;
    assert_bot_error(&refused, 400, "Bad Request: not enough rights to invite users");
}

async fn bots_hear_about_members(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let bob = server.register("bob").await;
    let (bot, token) = make_bot(&server, &amy, "watch_bot", "Watch").await;
    // chat_member only when asked for, as in Telegram
    let kinds = json!(["message", "my_chat_member", "chat_member"]);
    ok(
        &server,
        &token,
        "getUpdates",
        json!({"allowed_updates": kinds, "timeout": 0}),
    )
    .await;
    let chat_id = chat(&server, &amy, "group", "Watched", &[bot]).await;
    let group = group_id(chat_id);
    let added = updates(&server, &token, 0, 1).await;
    let mine = added
        .iter()
        .find_map(|u| u.get("my_chat_member"))
        .expect("the bot's join")
        .clone();
    assert_eq!(
        (
            &mine["chat"]["id"],
            &mine["from"]["id"],
            &mine["old_chat_member"]["status"],
            &mine["new_chat_member"]["status"]
        ),
        (&json!(group), &json!(amy.id), &json!("left"), &json!("member"))
    );
    let mut offset = added.last().unwrap()["update_id"].as_i64().unwrap() + 1;

    promote(&server, &amy, chat_id, bot, &[]).await;
    let promoted = updates(&server, &token, offset, 1).await;
    let mine = promoted
        .iter()
        .find_map(|u| u.get("my_chat_member"))
        .expect("the promotion");
    assert_eq!(
        (&mine["old_chat_member"]["status"], &mine["new_chat_member"]["status"]),
        (&json!("member"), &json!("administrator"))
    );
    assert_eq!(mine["new_chat_member"]["can_restrict_members"], true);
    offset = promoted.last().unwrap()["update_id"].as_i64().unwrap() + 1;

    // someone joins: chat_member for the admin bot, and the service message
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/members"),
            Some(&amy.access_token),
            json!({"user_ids": [bob.id]}),
        )
        .await;
    assert_eq!(status, 204);
    let joined = updates(&server, &token, offset, 2).await;
    let member = joined
        .iter()
        .find_map(|u| u.get("chat_member"))
        .expect("a chat_member update");
    assert_eq!(
        (
            &member["new_chat_member"]["user"]["id"],
            &member["old_chat_member"]["status"],
            &member["new_chat_member"]["status"]
        ),
        (&json!(bob.id), &json!("left"), &json!("member"))
    );
    let service = joined
        .iter()
        .find_map(|u| u.get("message"))
        .expect("the service message");
    assert_eq!(service["new_chat_members"][0]["id"], bob.id, "{service}");
    assert!(service.get("text").is_none(), "{service}");
    offset = joined.last().unwrap()["update_id"].as_i64().unwrap() + 1;

    // a title change and a pin, as service messages; then bob is removed
    server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{chat_id}"),
            Some(&amy.access_token),
            Some(json!({"title": "Renamed"})),
        )
        .await;
    let seq = say(&server, &amy, chat_id, "pin me").await;
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/chats/{chat_id}/pins/{seq}"),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{chat_id}/members/{}", bob.id),
            Some(&amy.access_token),
            None,
        )
        .await;
    // privacy mode hides "pin me"; service messages pass it
    let later = updates(&server, &token, offset, 4).await;
    let messages: Vec<&Value> = later.iter().filter_map(|u| u.get("message")).collect();
    assert!(messages.iter().any(|m| m["new_chat_title"] == "Renamed"), "{later:?}");
    let pinned = messages
        .iter()
        .find(|m| m.get("pinned_message").is_some())
        .expect("a pin");
    assert_eq!(
        (
            &pinned["pinned_message"]["message_id"],
            &pinned["pinned_message"]["text"]
        ),
        (&json!(seq), &json!("pin me"))
    );
    assert!(
        messages.iter().any(|m| m["left_chat_member"]["id"] == bob.id),
        "{later:?}"
    );
    let removed = later.iter().find_map(|u| u.get("chat_member")).expect("bob's removal");
    assert_eq!(removed["new_chat_member"]["status"], "kicked");
    offset = later.last().unwrap()["update_id"].as_i64().unwrap() + 1;

    // the bot removed: my_chat_member says kicked
    server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{chat_id}/members/{bot}"),
            Some(&amy.access_token),
            None,
        )
        .await;
    let removed = updates(&server, &token, offset, 1).await;
    let mine = removed
        .iter()
        .find_map(|u| u.get("my_chat_member"))
        .expect("the bot's removal");
    assert_eq!(
        (&mine["old_chat_member"]["status"], &mine["new_chat_member"]["status"]),
        (&json!("administrator"), &json!("kicked"))
    );
}
