//! The notify service in the real binary, on both stacks: entries made from chats' events
//! (mentions, replies, direct messages, reactions, being added), kept in step with edits,
//! deletions and leaving, the badge and its frames, per-chat levels and mutes, the errors, and
//! nothing lost or doubled across a crash. `cargo test --workspace` builds the binary first.

use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, hybrid_binary, stack_tests, until};
use serde_json::{Value, json};

mod support;
use support::{direct_chat, group, now_ms, send};

stack_tests!(
    what_concerns_a_user_reaches_their_list,
    reading_a_chat_reads_its_entries,
    a_later_reaction_comes_to_the_top,
    levels_and_mutes_decide_what_is_heard,
    an_entry_survives_a_crash_once,
    a_list_keeps_its_newest_entries,
    sync_says_whether_the_list_changed
);

async fn start(stack: Stack) -> TestServer {
    TestServer::start_with(&hybrid_binary(), stack, &[]).await
}

async fn list(server: &TestServer, user: &TestUser) -> Value {
    let (status, page) = server.get("/api/v1/notifications", Some(&user.access_token)).await;
    assert_eq!(status, 200, "{page}");
    page
}

/// `user`'s entries as (kind, chat, seq), newest first, once the newest is `newest_kind`:
/// the consumer keeps the stream's order, so what an earlier event made is there by then.
async fn entries_once(server: &TestServer, user: &TestUser, newest_kind: &str) -> Vec<(String, i64, i64)> {
    until(&format!("a {newest_kind} entry"), || async {
        let page = list(server, user).await;
        let items = page["items"].as_array().unwrap().clone();
        (items.first()?["kind"] == newest_kind).then(|| {
            items
                .iter()
                .map(|n| {
                    let kind = n["kind"].as_str().unwrap().to_owned();
                    (kind, n["chat_id"].as_i64().unwrap(), n["seq"].as_i64().unwrap_or(0))
                })
                .collect()
        })
    })
    .await
}

async fn what_concerns_a_user_reaches_their_list(stack: Stack) {
    let server = start(stack).await;
    let [amy, bob, cyd, dan] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
        server.register("dan").await,
    ];
    let mut amy_ws = server.ws(&amy).await;
    let mut bob_ws = server.ws(&bob).await;
    let chat = group(&server, &amy, "Team", &[&bob, &cyd]).await;

    // added to the group: an entry for each member but its creator
    let frame = bob_ws.next_where(|f| f["type"] == "notification.new").await;
    let entry = &frame["notification"];
    assert_eq!(
        (&entry["kind"], &entry["actor_id"]),
        (&json!("added_to_chat"), &json!(amy.id)),
        "{frame}"
    );
    assert!(entry.get("seq").is_none(), "{frame}");

    // a mention: one entry, live, with the badge
    let hello = send(&server, &amy, chat, json!({"text": "hi @bob, look"})).await;
    let frame = bob_ws
        .next_where(|f| f["type"] == "notification.new" && f["notification"]["kind"] == "mention")
        .await;
    let entry = &frame["notification"];
    assert_eq!(
        (&entry["kind"], &entry["chat_id"], &entry["seq"], &entry["actor_id"]),
        (&json!("mention"), &json!(chat), &json!(hello), &json!(amy.id)),
        "{frame}"
    );
    assert_eq!(
        (&entry["chat_title"], &entry["preview"]),
        (&json!("Team"), &json!("hi @bob, look"))
    );
    assert_eq!(frame["unread_count"], 2);

    // a reply to amy, a reaction to her message, a direct message: three entries for her
    let reply = send(&server, &bob, chat, json!({"text": "seen", "reply_to": hello})).await;
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/chats/{chat}/messages/{hello}/reactions/%F0%9F%91%8D"),
            Some(&cyd.access_token),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let direct = direct_chat(&server, &bob, &amy).await;
    let psst = send(&server, &bob, direct, json!({"text": "psst"})).await;
    let seen = entries_once(&server, &amy, "direct_message").await;
    let expected = [
        ("direct_message", direct, psst),
        ("reaction", chat, hello),
        ("reply", chat, reply),
    ];
    let expected: Vec<(String, i64, i64)> = expected.iter().map(|(k, c, s)| ((*k).to_owned(), *c, *s)).collect();
    assert_eq!(seen, expected);
    let page = list(&server, &amy).await;
    assert_eq!(page["unread_count"], 3);
    assert_eq!(page["items"][1]["preview"], "👍");
    assert_eq!(
        page["items"][0]["chat_title"], "",
        "a direct chat is named by its actor"
    );
    // the author hears nothing of their own message (bob: added, mentioned); a page at a time
    assert_eq!(list(&server, &bob).await["items"].as_array().unwrap().len(), 2);
    let (_, first) = server
        .get("/api/v1/notifications?limit=2", Some(&amy.access_token))
        .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = server
        .get(
            &format!("/api/v1/notifications?limit=2&cursor={cursor}"),
            Some(&amy.access_token),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    // read up to one entry, then all; her other devices hear of it
    let up_to = page["items"][1]["id"].as_i64().unwrap();
    let (status, unread) = server
        .post(
            "/api/v1/notifications/read",
            Some(&amy.access_token),
            json!({"up_to": up_to}),
        )
        .await;
    assert_eq!((status.as_u16(), &unread["unread_count"]), (200, &json!(1)));
    let frame = amy_ws.next_where(|f| f["type"] == "notification.read").await;
    assert_eq!((&frame["up_to"], &frame["unread_count"]), (&json!(up_to), &json!(1)));
    let (_, unread) = server
        .post("/api/v1/notifications/read", Some(&amy.access_token), json!({}))
        .await;
    assert_eq!(unread["unread_count"], 0);
    assert!(list(&server, &amy).await["items"][0]["read_at"].is_i64());

    // an edit changes the preview; a deletion takes the entry, live
    let (status, _) = server
        .request(
            "PATCH",
            &format!("/api/v1/chats/{chat}/messages/{reply}"),
            Some(&bob.access_token),
            Some(json!({"text": "seen, thanks"})),
        )
        .await;
    assert_eq!(status, 200);
    until("the edited preview", || async {
        let page = list(&server, &amy).await;
        let items = page["items"].as_array().unwrap().clone();
        items.iter().any(|n| n["preview"] == "seen, thanks").then_some(())
    })
    .await;
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{chat}/messages/{reply}"),
            Some(&bob.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let frame = amy_ws.next_where(|f| f["type"] == "notification.removed").await;
    assert_eq!(frame["ids"].as_array().unwrap().len(), 1, "{frame}");
    assert!(!list(&server, &amy).await.to_string().contains("\"reply\""));

    // being added to a group; leaving a group takes its entries
    let other = group(&server, &cyd, "Book club", &[&dan]).await;
    let seen = entries_once(&server, &dan, "added_to_chat").await;
    assert_eq!(seen, [("added_to_chat".to_owned(), other, 0)]);
    assert_eq!(list(&server, &dan).await["items"][0]["chat_title"], "Book club");
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat}/leave"),
            Some(&bob.access_token),
            json!({}),
        )
        .await;
    assert!(status.is_success());
    let frame = bob_ws.next_where(|f| f["type"] == "notification.removed").await;
    assert_eq!(frame["unread_count"], 0, "{frame}");
    assert_eq!(list(&server, &bob).await["items"], json!([]));

    // a mention of someone outside the chat tells them nothing
    send(&server, &amy, chat, json!({"text": "ask @dan"})).await;
    send(&server, &cyd, other, json!({"text": "hey @dan"})).await;
    let seen = entries_once(&server, &dan, "mention").await;
    assert_eq!(
        seen.len(),
        2,
        "{seen:?}: the mention from the chat dan is not in is not there"
    );
}

async fn reading_a_chat_reads_its_entries(stack: Stack) {
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let mut bob_ws = server.ws(&bob).await;
    let chat = group(&server, &amy, "Team", &[&bob]).await;
    let first = send(&server, &amy, chat, json!({"text": "@bob one"})).await;
    let second = send(&server, &amy, chat, json!({"text": "@bob two"})).await;
    let direct = direct_chat(&server, &amy, &bob).await;
    send(&server, &amy, direct, json!({"text": "psst"})).await;
    let seen = entries_once(&server, &bob, "direct_message").await;
    assert_eq!(seen.len(), 4, "added, two mentions, a direct message: {seen:?}");
    let page = list(&server, &bob).await;
    let id_of = |seq: i64| {
        let items = page["items"].as_array().unwrap();
        items.iter().find(|n| n["seq"] == seq && n["chat_id"] == chat).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (added, one, two) = (page["items"][3]["id"].as_i64().unwrap(), id_of(first), id_of(second));

    // reading the group up to the first mention (on any device) reads what came before it
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat}/read"),
            Some(&bob.access_token),
            json!({"seq": first}),
        )
        .await;
    assert_eq!(status, 200);
    let frame = bob_ws
        .next_where(|f| f["type"] == "notification.read" && f["ids"].is_array())
        .await;
    let mut ids: Vec<i64> = serde_json::from_value(frame["ids"].clone()).unwrap();
    ids.sort_unstable();
    assert_eq!((ids, &frame["unread_count"]), (vec![added, one], &json!(2)), "{frame}");
    let page = list(&server, &bob).await;
    let unread: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["read_at"].is_null())
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(unread.len(), 2);
    assert!(unread.contains(&two), "the later mention is still unread: {page}");
    assert_eq!(page["unread_count"], 2);

    // reading it again as far changes nothing; reading the direct chat reads its entry
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{direct}/read"),
            Some(&bob.access_token),
            json!({"seq": 1_000_000}),
        )
        .await;
    assert_eq!(status, 200);
    let frame = bob_ws
        .next_where(|f| f["type"] == "notification.read" && f["ids"].is_array())
        .await;
    assert_eq!(frame["unread_count"], 1, "{frame}");
}

async fn a_later_reaction_comes_to_the_top(stack: Stack) {
    let server = start(stack).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let chat = group(&server, &amy, "Team", &[&bob, &cyd]).await;
    let mine = send(&server, &amy, chat, json!({"text": "lunch?"})).await;
    let mut amy_ws = server.ws(&amy).await;
    let react = |user: &TestUser, emoji: &'static str| {
        let path = format!("/api/v1/chats/{chat}/messages/{mine}/reactions/{emoji}");
        let token = user.access_token.clone();
        let server = &server;
        async move {
            let (status, _) = server.request("PUT", &path, Some(&token), None).await;
            assert_eq!(status, 200);
        }
    };
    react(&bob, "%F0%9F%91%8D").await;
    let first = amy_ws
        .next_where(|f| f["type"] == "notification.new" && f["notification"]["kind"] == "reaction")
        .await;
    let first_id = first["notification"]["id"].as_i64().unwrap();
    let (_, read) = server
        .post("/api/v1/notifications/read", Some(&amy.access_token), json!({}))
        .await;
    assert_eq!(read["unread_count"], 0);

    // another reaction to the same message: the entry is made anew, on top and unread
    let bystander = send(&server, &cyd, chat, json!({"text": "@amy ping"})).await;
    entries_once(&server, &amy, "mention").await;
    react(&cyd, "%F0%9F%8E%89").await;
    let removed = amy_ws.next_where(|f| f["type"] == "notification.removed").await;
    assert_eq!(removed["ids"], json!([first_id]), "{removed}");
    let again = amy_ws
        .next_where(|f| f["type"] == "notification.new" && f["notification"]["kind"] == "reaction")
        .await;
    let entry = &again["notification"];
    assert!(entry["id"].as_i64().unwrap() > first_id, "{again}");
    assert_eq!((&entry["actor_id"], &entry["preview"]), (&json!(cyd.id), &json!("🎉")));
    let page = list(&server, &amy).await;
    let kinds: Vec<(&str, i64)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap(), n["seq"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("reaction", mine), ("mention", bystander)],
        "one entry for the message"
    );
    assert_eq!(page["unread_count"], 2);
}

async fn levels_and_mutes_decide_what_is_heard(stack: Stack) {
    let server = start(stack).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let chat = group(&server, &amy, "Team", &[&bob, &cyd]).await;
    let direct = direct_chat(&server, &cyd, &amy).await;
    let setting = format!("/api/v1/notifications/chats/{chat}");
    let put = |body: Value| server.request("PUT", &setting, Some(&amy.access_token), Some(body));

    let (status, got) = server.get(&setting, Some(&amy.access_token)).await;
    assert_eq!((status.as_u16(), got), (200, json!({"chat_id": chat})), "the default");

    // mentions only: a reaction is not heard, a reply is
    let (status, got) = put(json!({"level": "mentions"})).await;
    assert_eq!((status.as_u16(), &got["level"]), (200, &json!("mentions")), "{got}");
    let mine = send(&server, &amy, chat, json!({"text": "plan"})).await;
    server
        .request(
            "PUT",
            &format!("/api/v1/chats/{chat}/messages/{mine}/reactions/%F0%9F%91%8D"),
            Some(&bob.access_token),
            None,
        )
        .await;
    send(&server, &cyd, chat, json!({"text": "ok", "reply_to": mine})).await;
    assert_eq!(entries_once(&server, &amy, "reply").await.len(), 1, "no reaction entry");

    // muted for an hour: nothing from the chat, even a mention; other chats still heard
    let hour = now_ms() + 3_600_000;
    let (status, got) = put(json!({"level": "all", "muted_until": hour})).await;
    assert_eq!((status.as_u16(), &got["muted_until"]), (200, &json!(hour)), "{got}");
    send(&server, &bob, chat, json!({"text": "@amy are you there"})).await;
    send(&server, &cyd, direct, json!({"text": "hi"})).await;
    let seen = entries_once(&server, &amy, "direct_message").await;
    assert_eq!(seen.len(), 2, "{seen:?}: the mention in the muted chat is not there");
    let (_, listed) = server.get("/api/v1/notifications/chats", Some(&amy.access_token)).await;
    assert_eq!(listed, json!([{"chat_id": chat, "level": "all", "muted_until": hour}]));

    // back to the default: stored as nothing, heard again
    let (status, got) = put(json!({})).await;
    assert_eq!((status.as_u16(), got), (200, json!({"chat_id": chat})));
    let (_, listed) = server.get("/api/v1/notifications/chats", Some(&amy.access_token)).await;
    assert_eq!(listed, json!([]));
    send(&server, &bob, chat, json!({"text": "@amy now?"})).await;
    assert_eq!(entries_once(&server, &amy, "mention").await.len(), 3);

    // defaults per kind of chat: groups muted, direct chats mentions only; a group with a
    // level of its own keeps it
    let settings = json!({"quiet_hours": null, "defaults": {"direct": "mentions", "group": "none", "channel": "all"}});
    let (status, got) = server
        .request(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&amy.access_token),
            Some(settings.clone()),
        )
        .await;
    assert_eq!((status.as_u16(), &got), (200, &settings));
    let (_, got) = server
        .get("/api/v1/notifications/settings", Some(&amy.access_token))
        .await;
    assert_eq!(got, settings);
    let loud = group(&server, &bob, "Loud", &[&amy]).await;
    let loud_setting = format!("/api/v1/notifications/chats/{loud}");
    server
        .request(
            "PUT",
            &loud_setting,
            Some(&amy.access_token),
            Some(json!({"level": "all"})),
        )
        .await;
    send(&server, &bob, chat, json!({"text": "@amy muted by default"})).await;
    send(&server, &cyd, direct, json!({"text": "not a mention"})).await;
    send(&server, &bob, loud, json!({"text": "@amy heard"})).await;
    let seen = entries_once(&server, &amy, "mention").await;
    assert_eq!(
        seen.len(),
        5,
        "{seen:?}: only Loud's mention is new (plus being added to Loud)"
    );
    assert_eq!(seen[0].1, loud, "{seen:?}");
    // muting a chat that follows the default, then the default again
    let (status, got) = put(json!({"muted_until": hour})).await;
    assert_eq!(
        (status.as_u16(), got),
        (200, json!({"chat_id": chat, "muted_until": hour}))
    );
    let (status, got) = server
        .request(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&amy.access_token),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), got),
        (
            200,
            json!({"quiet_hours": null, "defaults": {"direct": "all", "group": "all", "channel": "all"}})
        )
    );

    // bad input, and chats one is not in
    assert_error(&put(json!({"level": "loud"})).await, 422, "validation_failed", None);
    let refused = server
        .request(
            "PUT",
            "/api/v1/notifications/settings",
            Some(&amy.access_token),
            Some(json!({"defaults": {"group": "loud"}})),
        )
        .await;
    assert_eq!(refused.0, 422, "{}", refused.1);
    assert_error(
        &put(json!({"level": "all", "muted_until": 1000})).await,
        422,
        "validation_failed",
        Some("muted_until"),
    );
    let (_, theirs) = server
        .post(
            "/api/v1/chats",
            Some(&bob.access_token),
            json!({"kind": "group", "title": "Private"}),
        )
        .await;
    let path = format!("/api/v1/notifications/chats/{}", theirs["id"]);
    assert_error(
        &server.get(&path, Some(&amy.access_token)).await,
        404,
        "not_found",
        None,
    );
    let refused = server
        .request("PUT", &path, Some(&amy.access_token), Some(json!({"level": "none"})))
        .await;
    assert_error(&refused, 404, "not_found", None);
    assert_error(
        &server.get("/api/v1/notifications", None).await,
        401,
        "unauthorized",
        None,
    );
    let refused = server
        .post(
            "/api/v1/notifications/read",
            Some(&amy.access_token),
            json!({"up_to": "x"}),
        )
        .await;
    assert_eq!(refused.0, 422, "{}", refused.1);
}

async fn an_entry_survives_a_crash_once(stack: Stack) {
    let mut server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let chat = group(&server, &amy, "Team", &[&bob]).await;
    // killed right after the send: the entry is made after the restart if not before, once
    send(&server, &amy, chat, json!({"text": "@bob before the crash"})).await;
    server.kill().await;
    server.resume().await;
    let seen = entries_once(&server, &bob, "mention").await;
    assert_eq!(
        seen.iter().filter(|(kind, ..)| kind == "mention").count(),
        1,
        "{seen:?}"
    );
}

/// Past `notify.max_entries_per_user`, pruning (here at the restart) keeps a user's newest
/// entries, and the list counts as changed.
async fn a_list_keeps_its_newest_entries(stack: Stack) {
    let mut server =
        TestServer::start_with(&hybrid_binary(), stack, &[("HYBRID_NOTIFY__MAX_ENTRIES_PER_USER", "3")]).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let chat = group(&server, &amy, "Team", &[&bob]).await;
    for i in 0..5 {
        send(&server, &amy, chat, json!({"text": format!("@bob number {i}")})).await;
    }
    until("six entries (being added, five mentions)", || async {
        (list(&server, &bob).await["items"].as_array().unwrap().len() == 6).then_some(())
    })
    .await;
    let cursor = sync_part(&server, &bob, "").await["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    server.stop().await;
    server.resume().await;
    let kept = until("the list cut to three", || async {
        let page = list(&server, &bob).await;
        (page["items"].as_array().unwrap().len() == 3).then_some(page)
    })
    .await;
    let previews: Vec<&str> = kept["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["preview"].as_str().unwrap())
        .collect();
    assert_eq!(previews, ["@bob number 4", "@bob number 3", "@bob number 2"]);
    assert_eq!(kept["unread_count"], 3, "{kept}");
    let part = sync_part(&server, &bob, &cursor).await;
    assert_eq!(
        part["entries"],
        json!([{"type": "notification.state", "unread_count": 3}]),
        "{part}"
    );
}

/// `user`'s notify part of a sync from `cursor`.
async fn sync_part(server: &TestServer, user: &TestUser, cursor: &str) -> Value {
    let (status, answer) = server
        .post(
            "/api/v1/sync",
            Some(&user.access_token),
            json!({"services": {"notify": cursor}}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer["services"]["notify"].clone()
}

async fn sync_says_whether_the_list_changed(stack: Stack) {
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    // from the start: the badge, and a cursor
    let first = sync_part(&server, &bob, "").await;
    assert_eq!(
        first["entries"],
        json!([{"type": "notification.state", "unread_count": 0}]),
        "{first}"
    );
    let cursor = first["cursor"].as_str().unwrap().to_owned();
    assert_eq!(
        sync_part(&server, &bob, &cursor).await["entries"],
        json!([]),
        "nothing changed"
    );

    // an entry made while bob was away: the badge comes back with the sync
    group(&server, &amy, "Team", &[&bob]).await;
    entries_once(&server, &bob, "added_to_chat").await;
    let part = sync_part(&server, &bob, &cursor).await;
    assert_eq!(
        part["entries"],
        json!([{"type": "notification.state", "unread_count": 1}]),
        "{part}"
    );
    let cursor = part["cursor"].as_str().unwrap().to_owned();
    assert_eq!(sync_part(&server, &bob, &cursor).await["entries"], json!([]));
    // read on another device: changed again
    server
        .post("/api/v1/notifications/read", Some(&bob.access_token), json!({}))
        .await;
    let part = sync_part(&server, &bob, &cursor).await;
    assert_eq!(part["entries"][0]["unread_count"], 0, "{part}");
    // a cursor not from this API
    let (status, body) = server
        .post(
            "/api/v1/sync",
            Some(&bob.access_token),
            json!({"services": {"notify": "x"}}),
        )
        .await;
    assert_error(&(status, body), 422, "validation_failed", Some("services.notify"));
}
