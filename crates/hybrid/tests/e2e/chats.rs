//! Chats, members, rights and invite links.

use hybrid_testkit::{Api, Stack, TestUser, assert_error, stack_tests};
use serde_json::{Value, json};

use crate::{create_chat, send, start};

stack_tests!(
    direct_chats,
    groups_members_and_rights,
    channels,
    invite_links,
    history_visibility_since_join,
    service_messages,
    join_requests
);

async fn direct_chats(stack: Stack) {
    let server = start(stack).await;
    let ann = server.register("ann").await;
    let ben = server.register("ben").await;
    let cat = server.register("cat").await;
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&ann.access_token),
            json!({"kind": "direct", "user_id": ben.id}),
        )
        .await;
    assert_eq!(status, 201, "{chat}");
    assert_eq!(chat["kind"], "direct");
    assert_eq!(chat["peer_id"], ben.id);
    assert_eq!(chat["member_count"], 2);
    // the same pair, either way round, is the same chat
    let (status, again) = server
        .post(
            "/api/v1/chats",
            Some(&ben.access_token),
            json!({"kind": "direct", "user_id": ann.id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], chat["id"]);
    assert_eq!(again["peer_id"], ann.id);

    let chat_id = chat["id"].as_i64().unwrap();
    send(&server, &ann, chat_id, "hi ben").await;
    // outsiders see nothing: 404, never 403
    let path = format!("/api/v1/chats/{chat_id}");
    assert_error(
        &server.get(&path, Some(&cat.access_token)).await,
        404,
        "not_found",
        None,
    );
    assert_error(
        &server.get(&format!("{path}/messages"), Some(&cat.access_token)).await,
        404,
        "not_found",
        None,
    );
    let intrude = server
        .post(
            &format!("{path}/messages"),
            Some(&cat.access_token),
            json!({"text": "hey"}),
        )
        .await;
    assert_error(&intrude, 404, "not_found", None);
    // direct chats have no members to add, no title, no leaving
    let add = server
        .post(
            &format!("{path}/members"),
            Some(&ann.access_token),
            json!({"user_ids": [cat.id]}),
        )
        .await;
    assert_error(&add, 403, "forbidden", None);
    let rename = server
        .request("PATCH", &path, Some(&ann.access_token), Some(json!({"title": "x"})))
        .await;
    assert_error(&rename, 403, "forbidden", None);
    assert_error(
        &server
            .post(&format!("{path}/leave"), Some(&ann.access_token), json!({}))
            .await,
        409,
        "direct_chat",
        None,
    );

    // a user who blocked you cannot be messaged, in an existing chat or a new one
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/users/{}/block", ann.id),
            Some(&ben.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let blocked = server
        .post(
            &format!("{path}/messages"),
            Some(&ann.access_token),
            json!({"text": "still there?"}),
        )
        .await;
    assert_error(&blocked, 403, "forbidden", None);
    // ben can still write to ann
    send(&server, &ben, chat_id, "I blocked you").await;
    server
        .request(
            "PUT",
            &format!("/api/v1/users/{}/block", cat.id),
            Some(&ben.access_token),
            None,
        )
        .await;
    let new_chat = server
        .post(
            "/api/v1/chats",
            Some(&cat.access_token),
            json!({"kind": "direct", "user_id": ben.id}),
        )
        .await;
    assert_error(&new_chat, 403, "forbidden", None);

    let to_self = server
        .post(
            "/api/v1/chats",
            Some(&ann.access_token),
            json!({"kind": "direct", "user_id": ann.id}),
        )
        .await;
    assert_error(&to_self, 422, "validation_failed", Some("user_id"));
    let nobody = server
        .post(
            "/api/v1/chats",
            Some(&ann.access_token),
            json!({"kind": "direct", "user_id": 987654}),
        )
        .await;
    assert_error(&nobody, 404, "not_found", None);
    let no_kind = server
        .post(
            "/api/v1/chats",
            Some(&ann.access_token),
            json!({"kind": "forum", "title": "x"}),
        )
        .await;
    assert_error(&no_kind, 422, "validation_failed", Some("kind"));
}

async fn groups_members_and_rights(stack: Stack) {
    let server = start(stack).await;
    let owner = server.register("owner").await;
    let adm = server.register("adm").await;
    let mem = server.register("mem").await;
    let late = server.register("late").await;
    let chat_id = create_chat(&server, &owner, "group", "Team", &[&adm, &mem]).await;
    let path = format!("/api/v1/chats/{chat_id}");
    let tok = |u: &hybrid_testkit::TestUser| Some(u.access_token.clone());

    let (_, chat) = server.get(&path, tok(&mem).as_deref()).await;
    assert_eq!(chat["title"], "Team");
    assert_eq!(chat["member_count"], 3);
    assert_eq!(chat["my_role"], "member");
    assert_eq!(chat["my_permissions"], json!(["send_messages", "invite"]));

    // promote: only with manage_admins (the owner)
    let promote = json!({"role": "admin"});
    let denied = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", adm.id),
            tok(&mem).as_deref(),
            Some(promote.clone()),
        )
        .await;
    assert_error(&denied, 403, "forbidden", None);
    let (status, member) = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", adm.id),
            tok(&owner).as_deref(),
            Some(promote),
        )
        .await;
    assert_eq!(status, 200, "{member}");
    assert_eq!(member["role"], "admin");
    let to_owner = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", mem.id),
            tok(&owner).as_deref(),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_error(&to_owner, 422, "validation_failed", Some("role"));

    // members may not rename; admins may
    let rename = json!({"title": "Team 2", "description": "we ship"});
    assert_error(
        &server
            .request("PATCH", &path, tok(&mem).as_deref(), Some(rename.clone()))
            .await,
        403,
        "forbidden",
        None,
    );
    let (status, chat) = server.request("PATCH", &path, tok(&adm).as_deref(), Some(rename)).await;
    assert_eq!(status, 200);
    assert_eq!(
        (chat["title"].as_str(), chat["description"].as_str()),
        (Some("Team 2"), Some("we ship"))
    );
    let bad = server
        .request("PATCH", &path, tok(&adm).as_deref(), Some(json!({"title": "  "})))
        .await;
    assert_error(&bad, 422, "validation_failed", Some("title"));

    // members may add (invite right), but may not remove
    let (status, _) = server
        .post(
            &format!("{path}/members"),
            tok(&mem).as_deref(),
            json!({"user_ids": [late.id]}),
        )
        .await;
    assert_eq!(status, 204);
    let twice = server
        .post(
            &format!("{path}/members"),
            tok(&mem).as_deref(),
            json!({"user_ids": [late.id]}),
        )
        .await;
    assert_error(&twice, 409, "already_member", None);
    let remove = server
        .request(
            "DELETE",
            &format!("{path}/members/{}", late.id),
            tok(&mem).as_deref(),
            None,
        )
        .await;
    assert_error(&remove, 403, "forbidden", None);
    // an admin removes a member, not another admin or the owner
    let (status, _) = server
        .request(
            "DELETE",
            &format!("{path}/members/{}", late.id),
            tok(&adm).as_deref(),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_error(&server.get(&path, tok(&late).as_deref()).await, 404, "not_found", None);
    let up = server
        .request(
            "DELETE",
            &format!("{path}/members/{}", owner.id),
            tok(&adm).as_deref(),
            None,
        )
        .await;
    assert_error(&up, 403, "forbidden", None);

    // nobody grants rights they lack: an admin with manage_admins but without delete_others
    let (status, _) = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", adm.id),
            tok(&owner).as_deref(),
            Some(json!({"allow": ["manage_admins"], "deny": ["delete_others"]})),
        )
        .await;
    assert_eq!(status, 200);
    let escalate = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", mem.id),
            tok(&adm).as_deref(),
            Some(json!({"allow": ["delete_others"]})),
        )
        .await;
    assert_error(&escalate, 403, "forbidden", None);
    let (status, _) = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", mem.id),
            tok(&adm).as_deref(),
            Some(json!({"allow": ["pin"]})),
        )
        .await;
    assert_eq!(status, 200);
    // nor by lifting a deny: the owner takes `invite` from both, the admin may not give it back
    for who in [adm.id, mem.id] {
        let deny = if who == adm.id {
            json!({"deny": ["delete_others", "invite"]})
        } else {
            json!({"deny": ["invite"]})
        };
        let (status, _) = server
            .request(
                "PATCH",
                &format!("{path}/members/{who}"),
                tok(&owner).as_deref(),
                Some(deny),
            )
            .await;
        assert_eq!(status, 200);
    }
    let lift = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", mem.id),
            tok(&adm).as_deref(),
            Some(json!({"deny": []})),
        )
        .await;
    assert_error(&lift, 403, "forbidden", None);
    let (status, _) = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", mem.id),
            tok(&owner).as_deref(),
            Some(json!({"deny": []})),
        )
        .await;
    assert_eq!(status, 200);

    // nobody is put into a chat by someone they block
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/users/{}/block", mem.id),
            tok(&late).as_deref(),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let unwanted = server
        .post(
            &format!("{path}/members"),
            tok(&mem).as_deref(),
            json!({"user_ids": [late.id]}),
        )
        .await;
    assert_error(&unwanted, 403, "forbidden", Some("user_ids"));
    server
        .request(
            "DELETE",
            &format!("/api/v1/users/{}/block", mem.id),
            tok(&late).as_deref(),
            None,
        )
        .await;

    // a per-member override: mute `mem`
    let mute = json!({"deny": ["send_messages"]});
    let (status, member) = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", mem.id),
            tok(&owner).as_deref(),
            Some(mute),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(member["permissions"], json!(["invite", "pin"]));
    assert!(member["joined_at"].as_i64().unwrap() > 0);
    let muted = server
        .post(
            &format!("{path}/messages"),
            tok(&mem).as_deref(),
            json!({"text": "hello?"}),
        )
        .await;
    assert_error(&muted, 403, "forbidden", None);

    // promote, then demote
    let late_add = server
        .post(
            &format!("{path}/members"),
            tok(&owner).as_deref(),
            json!({"user_ids": [late.id]}),
        )
        .await;
    assert_eq!(late_add.0, 204);
    for role in ["admin", "member"] {
        let (status, m) = server
            .request(
                "PATCH",
                &format!("{path}/members/{}", late.id),
                tok(&owner).as_deref(),
                Some(json!({"role": role})),
            )
            .await;
        assert_eq!((status.as_u16(), m["role"].as_str()), (200, Some(role)));
    }
    server
        .request(
            "DELETE",
            &format!("{path}/members/{}", late.id),
            tok(&owner).as_deref(),
            None,
        )
        .await;

    let (_, members) = server.get(&format!("{path}/members"), tok(&mem).as_deref()).await;
    let roles: Vec<(i64, String)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user_id"].as_i64().unwrap(), m["role"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        roles,
        vec![
            (owner.id, "owner".into()),
            (adm.id, "admin".into()),
            (mem.id, "member".into())
        ]
    );

    // the owner cannot leave before handing over
    assert_error(
        &server
            .post(&format!("{path}/leave"), tok(&owner).as_deref(), json!({}))
            .await,
        409,
        "owner_must_transfer",
        None,
    );
    let not_owner = server
        .post(
            &format!("{path}/transfer"),
            tok(&adm).as_deref(),
            json!({"user_id": mem.id}),
        )
        .await;
    assert_error(&not_owner, 403, "forbidden", None);
    let (status, _) = server
        .post(
            &format!("{path}/transfer"),
            tok(&owner).as_deref(),
            json!({"user_id": adm.id}),
        )
        .await;
    assert_eq!(status, 204);
    let (_, chat) = server.get(&path, tok(&adm).as_deref()).await;
    assert_eq!(chat["my_role"], "owner");
    let (status, _) = server
        .post(&format!("{path}/leave"), tok(&owner).as_deref(), json!({}))
        .await;
    assert_eq!(status, 204);
    assert_error(&server.get(&path, tok(&owner).as_deref()).await, 404, "not_found", None);
    // my chats list no longer has it
    let (_, list) = server.get("/api/v1/chats", tok(&owner).as_deref()).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

async fn channels(stack: Stack) {
    let server = start(stack).await;
    let editor = server.register("editor").await;
    let reader = server.register("reader").await;
    let chat_id = create_chat(&server, &editor, "channel", "News", &[&reader]).await;
    let path = format!("/api/v1/chats/{chat_id}/messages");
    let post = send(&server, &editor, chat_id, "first post").await;
    let attempt = server
        .post(&path, Some(&reader.access_token), json!({"text": "can I post?"}))
        .await;
    assert_error(&attempt, 403, "forbidden", None);
    // readers read and react
    let (_, page) = server.get(&path, Some(&reader.access_token)).await;
    assert_eq!(
        page["messages"].as_array().unwrap().last().unwrap()["text"],
        "first post"
    );
    let (status, _) = server
        .request(
            "PUT",
            &format!("{path}/{}/reactions/%F0%9F%94%A5", post["seq"]),
            Some(&reader.access_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let invite = server
        .post(
            &format!("/api/v1/chats/{chat_id}/invites"),
            Some(&reader.access_token),
            json!({}),
        )
        .await;
    assert_error(&invite, 403, "forbidden", None);
}

async fn invite_links(stack: Stack) {
    let server = start(stack).await;
    let host = server.register("host").await;
    let guest = server.register("guest").await;
    let third = server.register("third").await;
    let chat_id = create_chat(&server, &host, "group", "Party", &[]).await;
    let invites = format!("/api/v1/chats/{chat_id}/invites");
    let (status, link) = server
        .post(
            &invites,
            Some(&host.access_token),
            json!({"usage_limit": 1, "expires_in_secs": 3600}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let code = link["code"].as_str().unwrap().to_owned();
    assert!(code.len() >= 16);

    let (status, preview) = server
        .get(&format!("/api/v1/invites/{code}"), Some(&guest.access_token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            preview["title"].as_str(),
            preview["member_count"].as_i64(),
            preview["joined"].as_bool()
        ),
        (Some("Party"), Some(1), Some(false))
    );
    let (status, chat) = server
        .post(
            &format!("/api/v1/invites/{code}/join"),
            Some(&guest.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{chat}");
    assert_eq!(chat["member_count"], 2);
    // used up
    let used = server
        .post(
            &format!("/api/v1/invites/{code}/join"),
            Some(&third.access_token),
            json!({}),
        )
        .await;
    assert_error(&used, 404, "not_found", None);
    assert_error(
        &server
            .get(&format!("/api/v1/invites/{code}"), Some(&third.access_token))
            .await,
        404,
        "not_found",
        None,
    );

    // revoked links stop working
    let (_, open) = server.post(&invites, Some(&host.access_token), json!({})).await;
    let open_code = open["code"].as_str().unwrap();
    let (status, _) = server
        .request(
            "DELETE",
            &format!("{invites}/{open_code}"),
            Some(&host.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let revoked = server
        .post(
            &format!("/api/v1/invites/{open_code}/join"),
            Some(&third.access_token),
            json!({}),
        )
        .await;
    assert_error(&revoked, 404, "not_found", None);
    let (_, listed) = server.get(&invites, Some(&host.access_token)).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed.as_array().unwrap().iter().any(|l| l["revoked"] == true));

    let bad = server
        .post(&invites, Some(&host.access_token), json!({"expires_in_secs": 5}))
        .await;
    assert_error(&bad, 422, "validation_failed", Some("expires_in_secs"));
    assert_error(
        &server.get("/api/v1/invites/nope", Some(&third.access_token)).await,
        404,
        "not_found",
        None,
    );
}

async fn history_visibility_since_join(stack: Stack) {
    let server = start(stack).await;
    let old = server.register("oldtimer").await;
    let new = server.register("newcomer").await;
    let (status, chat) = server
        .post(
            "/api/v1/chats",
            Some(&old.access_token),
            json!({"kind": "group", "title": "Private past", "history_visibility": "since_join"}),
        )
        .await;
    assert_eq!(status, 201);
    let chat_id = chat["id"].as_i64().unwrap();
    let past = send(&server, &old, chat_id, "before you came").await["seq"].clone();
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat_id}/members"),
            Some(&old.access_token),
            json!({"user_ids": [new.id]}),
        )
        .await;
    assert_eq!(status, 204);
    let welcome = send(&server, &old, chat_id, "welcome").await["seq"].clone();
    // an edit of a message from before the join reaches the newcomer as `message.changed`:
    // only its seq, one shape for everyone in the chat
    let mut new_ws = server.ws(&new).await;
    let edit = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{chat_id}/messages/{past}"),
            Some(&old.access_token),
            Some(json!({"text": "the secret past"})),
        )
        .await;
    assert_eq!(edit.0, 200);
    let event = new_ws.next_event("message.changed").await;
    assert_eq!(event["data"], json!({"seq": past}), "{event}");
    let (_, synced) = server
        .post(
            "/api/v1/sync",
            Some(&new.access_token),
            json!({"chats": {chat_id.to_string(): event["pts"].as_i64().unwrap() - 1}}),
        )
        .await;
    assert!(!synced.to_string().contains("secret past"), "{synced}");
    // edits of messages everyone may see carry the message
    server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{chat_id}/messages/{welcome}"),
            Some(&old.access_token),
            Some(json!({"text": "welcome!"})),
        )
        .await;
    assert_eq!(new_ws.next_event("message.edited").await["data"]["text"], "welcome!");
    let (_, page) = server
        .get(&format!("/api/v1/chats/{chat_id}/messages"), Some(&new.access_token))
        .await;
    let seen: Vec<(&str, &Value)> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["text"].as_str().unwrap(), &m["action"]))
        .collect();
    let added = json!({"type": "members_added", "user_ids": [new.id]});
    assert_eq!(
        seen,
        [("", &added), ("welcome!", &Value::Null)],
        "from their own arrival on"
    );
    let hidden = server
        .get(
            &format!("/api/v1/chats/{chat_id}/messages/{past}/reactions"),
            Some(&new.access_token),
        )
        .await;
    assert_error(&hidden, 404, "not_found", None);
    let (_, found) = server
        .get("/api/v1/search/messages?q=secret", Some(&new.access_token))
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0);
    let (_, found) = server
        .get("/api/v1/search/messages?q=secret", Some(&old.access_token))
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
}

/// The service messages of a chat's history, as `(sender_id, action)`, oldest first.
async fn actions(server: &Api, reader: &TestUser, chat_id: i64) -> Vec<(i64, Value)> {
    let (status, page) = server
        .get(
            &format!("/api/v1/chats/{chat_id}/messages?limit=100"),
            Some(&reader.access_token),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m.get("action").is_some())
        .map(|m| {
            assert_eq!(m["text"], "", "a service message has no text: {m}");
            (m["sender_id"].as_i64().unwrap(), m["action"].clone())
        })
        .collect()
}

/// Creating, adding, joining, renaming, leaving and removing leave service messages in
/// the history (with seqs, live on the socket); channels do not announce their subscribers.
async fn service_messages(stack: Stack) {
    let server = start(stack).await;
    let ann = server.register("ann").await;
    let ben = server.register("ben").await;
    let cat = server.register("cat").await;
    let dan = server.register("dan").await;
    let chat_id = create_chat(&server, &ann, "group", "Team", &[&ben]).await;
    let path = format!("/api/v1/chats/{chat_id}");
    assert_eq!(
        actions(&server, &ben, chat_id).await,
        vec![(ann.id, json!({"type": "chat_created", "title": "Team"}))]
    );

    let mut ben_ws = server.ws(&ben).await;
    let (status, body) = server
        .post(
            &format!("{path}/members"),
            Some(&ann.access_token),
            json!({"user_ids": [cat.id, dan.id]}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    // Split processes deliver through the bus, so the socket may still see the earlier
    // `chat_created` arrive after it connected: skip to the announcement of this change.
    let live = ben_ws
        .next_where(|f| f["kind"] == "message.new" && f["data"]["action"]["type"] != "chat_created")
        .await;
    assert_eq!(
        live["data"]["action"],
        json!({"type": "members_added", "user_ids": [cat.id, dan.id]})
    );

    let renamed = server
        .request(
            "PATCH",
            &path,
            Some(&ann.access_token),
            Some(json!({"title": "Team 2"})),
        )
        .await;
    assert_eq!(renamed.0, 200, "{}", renamed.1);
    // the same title again, or only the description: nothing to announce
    for change in [json!({"title": "Team 2"}), json!({"description": "about"})] {
        let same = server
            .request("PATCH", &path, Some(&ann.access_token), Some(change))
            .await;
        assert_eq!(same.0, 200, "{}", same.1);
    }
    let left = server
        .post(&format!("{path}/leave"), Some(&dan.access_token), json!({}))
        .await;
    assert_eq!(left.0, 204, "{}", left.1);
    let removed = server
        .request(
            "DELETE",
            &format!("{path}/members/{}", cat.id),
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(removed.0, 204, "{}", removed.1);
    let (_, invite) = server
        .post(&format!("{path}/invites"), Some(&ann.access_token), json!({}))
        .await;
    let eve = server.register("eve").await;
    let joined = server
        .post(
            &format!("/api/v1/invites/{}/join", invite["code"].as_str().unwrap()),
            Some(&eve.access_token),
            json!({}),
        )
        .await;
    assert_eq!(joined.0, 200, "{}", joined.1);
    assert_eq!(
        actions(&server, &ben, chat_id).await,
        vec![
            (ann.id, json!({"type": "chat_created", "title": "Team"})),
            (ann.id, json!({"type": "members_added", "user_ids": [cat.id, dan.id]})),
            (ann.id, json!({"type": "title_changed", "title": "Team 2"})),
            (dan.id, json!({"type": "member_left", "user_id": dan.id})),
            (ann.id, json!({"type": "member_left", "user_id": cat.id})),
            (eve.id, json!({"type": "members_added", "user_ids": [eve.id]})),
        ]
    );
    // the one who acted has read their own service message; the others have one more unread
    let (_, chat) = server.get(&path, Some(&eve.access_token)).await;
    assert_eq!(chat["unread_count"], 0, "{chat}");
    let (_, page) = server
        .get(&format!("{path}/messages?limit=1"), Some(&ann.access_token))
        .await;
    let last = page["messages"][0]["seq"].as_i64().unwrap();
    let edit = server
        .request(
            "PATCH",
            &format!("{path}/messages/{last}"),
            Some(&eve.access_token),
            Some(json!({"text": "I did not join"})),
        )
        .await;
    assert_error(&edit, 403, "forbidden", None);

    // a channel announces its creation, not who subscribes
    let news = create_chat(&server, &ann, "channel", "News", &[]).await;
    let (_, invite) = server
        .post(
            &format!("/api/v1/chats/{news}/invites"),
            Some(&ann.access_token),
            json!({}),
        )
        .await;
    let follow = server
        .post(
            &format!("/api/v1/invites/{}/join", invite["code"].as_str().unwrap()),
            Some(&ben.access_token),
            json!({}),
        )
        .await;
    assert_eq!(follow.0, 200, "{}", follow.1);
    assert_eq!(
        actions(&server, &ann, news).await,
        vec![(ann.id, json!({"type": "chat_created", "title": "News"}))]
    );

    // pinning announces what was pinned (unpinning does not)
    let post = send(&server, &ann, news, "read this").await["seq"].as_i64().unwrap();
    let pin = format!("/api/v1/chats/{news}/pins/{post}");
    for method in ["PUT", "PUT", "DELETE"] {
        let done = server.request(method, &pin, Some(&ann.access_token), None).await;
        assert!(done.0.is_success(), "{method} {}", done.1);
    }
    assert_eq!(
        actions(&server, &ben, news).await,
        vec![
            (ann.id, json!({"type": "chat_created", "title": "News"})),
            (ann.id, json!({"type": "message_pinned", "seq": post}))
        ]
    );
}

/// Links that need approval: following one asks to join; the chat's admins who may invite
/// see the request live and decide; a plain member may not; the banned may not even ask.
async fn join_requests(stack: Stack) {
    let server = start(stack).await;
    let owner = server.register("owner").await;
    let admin = server.register("admin").await;
    let member = server.register("member").await;
    let (amy, bob, cat) = (
        server.register("amy").await,
        server.register("bob").await,
        server.register("cat").await,
    );
    let chat_id = create_chat(&server, &owner, "group", "Club", &[&admin, &member]).await;
    let path = format!("/api/v1/chats/{chat_id}");
    let promote = server
        .request(
            "PATCH",
            &format!("{path}/members/{}", admin.id),
            Some(&owner.access_token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promote.0, 200, "{}", promote.1);
    // only admins make links that need approval, and those have no usage limit
    let by_member = server
        .post(
            &format!("{path}/invites"),
            Some(&member.access_token),
            json!({"needs_approval": true}),
        )
        .await;
    assert_error(&by_member, 403, "forbidden", None);
    let limited = server
        .post(
            &format!("{path}/invites"),
            Some(&admin.access_token),
            json!({"needs_approval": true, "usage_limit": 5}),
        )
        .await;
    assert_error(&limited, 422, "validation_failed", Some("usage_limit"));
    let (status, link) = server
        .post(
            &format!("{path}/invites"),
            Some(&admin.access_token),
            json!({"needs_approval": true, "name": "Friends"}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(
        (link["name"].as_str(), link["needs_approval"].as_bool()),
        (Some("Friends"), Some(true))
    );
    let code = link["code"].as_str().unwrap().to_owned();
    let join = format!("/api/v1/invites/{code}/join");

    let mut owner_ws = server.ws(&owner).await;
    let (status, preview) = server
        .get(&format!("/api/v1/invites/{code}"), Some(&amy.access_token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (preview["needs_approval"].as_bool(), preview["requested"].as_bool()),
        (Some(true), Some(false))
    );
    let (status, pending) = server.post(&join, Some(&amy.access_token), json!({})).await;
    assert_eq!(status, 202, "{pending}");
    assert_eq!(pending, json!({"chat_id": chat_id, "title": "Club", "requested": true}));
    // asking twice asks once
    assert_eq!(server.post(&join, Some(&amy.access_token), json!({})).await.0, 202);
    let asked = owner_ws.next_event("join_request.new").await;
    assert_eq!(
        (
            &asked["data"]["chat_id"],
            &asked["data"]["user_id"],
            &asked["data"]["pending"],
            &asked["data"]["link_name"]
        ),
        (&json!(chat_id), &json!(amy.id), &json!(1), &json!("Friends"))
    );
    let (_, preview) = server
        .get(&format!("/api/v1/invites/{code}"), Some(&amy.access_token))
        .await;
    assert_eq!(
        (preview["joined"].as_bool(), preview["requested"].as_bool()),
        (Some(false), Some(true))
    );
    // a request is not membership
    assert_error(
        &server.get(&path, Some(&amy.access_token)).await,
        404,
        "not_found",
        None,
    );
    assert_eq!(server.post(&join, Some(&bob.access_token), json!({})).await.0, 202);

    let requests = format!("{path}/join-requests");
    assert_error(
        &server.get(&requests, Some(&member.access_token)).await,
        403,
        "forbidden",
        None,
    );
    assert_error(
        &server.get(&requests, Some(&cat.access_token)).await,
        404,
        "not_found",
        None,
    );
    let (status, first) = server
        .get(&format!("{requests}?limit=1"), Some(&admin.access_token))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["items"][0]["user_id"], amy.id);
    assert_eq!(first["items"][0]["username"], "amy");
    let cursor = first["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, second) = server
        .get(
            &format!("{requests}?limit=1&cursor={cursor}"),
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(second["items"][0]["user_id"], bob.id);
    assert!(second["next_cursor"].is_null(), "{second}");

    // a plain member may not decide; the admin approves amy and declines bob
    let approve = |user: i64| format!("{requests}/{user}/approve");
    let decline = |user: i64| format!("{requests}/{user}/decline");
    let refused = server
        .post(&approve(amy.id), Some(&member.access_token), json!({}))
        .await;
    assert_error(&refused, 403, "forbidden", None);
    let mut amy_ws = server.ws(&amy).await;
    assert_eq!(
        server
            .post(&approve(amy.id), Some(&admin.access_token), json!({}))
            .await
            .0,
        204
    );
    let added = amy_ws.next_event("chat.added").await;
    assert_eq!(added["data"]["chat_id"], chat_id);
    let decided = amy_ws.next_event("join_request.decided").await;
    assert_eq!(
        (decided["data"]["approved"].as_bool(), &decided["data"]["by"]),
        (Some(true), &json!(admin.id))
    );
    let (status, chat) = server.get(&path, Some(&amy.access_token)).await;
    assert_eq!((status.as_u16(), chat["member_count"].as_i64()), (200, Some(4)));
    assert_eq!(
        server
            .post(&decline(bob.id), Some(&admin.access_token), json!({}))
            .await
            .0,
        204
    );
    let gone = owner_ws
        .next_where(|f| f["kind"] == "join_request.decided" && f["data"]["user_id"] == bob.id)
        .await;
    assert_eq!(
        (gone["data"]["approved"].as_bool(), &gone["data"]["pending"]),
        (Some(false), &json!(0))
    );
    assert_error(
        &server.get(&path, Some(&bob.access_token)).await,
        404,
        "not_found",
        None,
    );
    // nothing left to decide
    let again = server
        .post(&approve(bob.id), Some(&admin.access_token), json!({}))
        .await;
    assert_error(&again, 404, "not_found", None);

    // the banned may not ask; a ban placed while someone waits turns approval into a decline
    let ban = |user: i64| format!("{path}/bans/{user}");
    assert_eq!(
        server
            .request("PUT", &ban(bob.id), Some(&owner.access_token), Some(json!({})))
            .await
            .0,
        204
    );
    assert_error(
        &server.post(&join, Some(&bob.access_token), json!({})).await,
        403,
        "forbidden",
        None,
    );
    assert_eq!(server.post(&join, Some(&cat.access_token), json!({})).await.0, 202);
    assert_eq!(
        server
            .request("PUT", &ban(cat.id), Some(&owner.access_token), Some(json!({})))
            .await
            .0,
        204
    );
    assert_eq!(
        server
            .post(&approve(cat.id), Some(&owner.access_token), json!({}))
            .await
            .0,
        204
    );
    assert_error(
        &server.get(&path, Some(&cat.access_token)).await,
        404,
        "not_found",
        None,
    );

    // editing a link: its creator, or who may change the chat's info; a revoked one stays so
    let edit = format!("{path}/invites/{code}");
    let by_member = server
        .request("PATCH", &edit, Some(&member.access_token), Some(json!({"name": "x"})))
        .await;
    assert_error(&by_member, 403, "forbidden", None);
    let (status, edited) = server
        .request(
            "PATCH",
            &edit,
            Some(&admin.access_token),
            Some(json!({"usage_limit": 3})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (
            edited["needs_approval"].as_bool(),
            edited["usage_limit"].as_i64(),
            edited["name"].as_str()
        ),
        (Some(false), Some(3), Some(""))
    );
    let dan = server.register("dan").await;
    assert_eq!(
        server.post(&join, Some(&dan.access_token), json!({})).await.0,
        200,
        "joins at once now"
    );
    server.request("DELETE", &edit, Some(&admin.access_token), None).await;
    let revoked = server
        .request("PATCH", &edit, Some(&admin.access_token), Some(json!({"name": "back"})))
        .await;
    assert_error(&revoked, 404, "not_found", None);
}
