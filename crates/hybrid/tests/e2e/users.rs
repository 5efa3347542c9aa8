use hybrid_testkit::{Stack, assert_error, stack_tests};
use serde_json::json;

use crate::{start, start_with, try_create_chat};

stack_tests!(
    profiles,
    search_by_prefix,
    blocks,
    profile_changes_are_rate_limited,
    privacy_decides_who_may_add_me,
);

async fn profiles(stack: Stack) {
    let server = start(stack).await;
    let rita = server.register("rita").await;
    let sam = server.register("sam_s").await;
    let token = Some(rita.access_token.as_str());

    let (status, me) = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            token,
            Some(json!({"display_name": "  Рита  ", "bio": "line one\nline two"})),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], "Рита");
    assert_eq!(me["bio"], "line one\nline two");
    // omitted fields stay
    let (_, me) = server
        .request("PATCH", "/api/v1/users/me", token, Some(json!({"bio": "new"})))
        .await;
    assert_eq!(me["display_name"], "Рита");
    assert_eq!(me["bio"], "new");

    let too_long = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            token,
            Some(json!({"display_name": "x".repeat(65)})),
        )
        .await;
    assert_error(&too_long, 422, "validation_failed", Some("display_name"));
    let control = server
        .request("PATCH", "/api/v1/users/me", token, Some(json!({"bio": "bell\u{7}"})))
        .await;
    assert_error(&control, 422, "validation_failed", Some("bio"));

    let (status, other) = server.get(&format!("/api/v1/users/{}", sam.id), token).await;
    assert_eq!(status, 200);
    assert_eq!(other["username"], "sam_s");
    let (status, by_name) = server.get("/api/v1/users/by-username/SAM_S", token).await;
    assert_eq!(status, 200);
    assert_eq!(by_name["id"], sam.id);

    assert_error(&server.get("/api/v1/users/999999", token).await, 404, "not_found", None);
    assert_error(
        &server.get("/api/v1/users/by-username/nobody", token).await,
        404,
        "not_found",
        None,
    );
    assert_error(&server.get("/api/v1/users/abc", token).await, 400, "invalid_path", None);
    assert_error(
        &server.get(&format!("/api/v1/users/{}", sam.id), None).await,
        401,
        "unauthorized",
        None,
    );
}

async fn search_by_prefix(stack: Stack) {
    let server = start(stack).await;
    let me = server.register("searcher").await;
    for name in ["ann_a", "ann_b", "anna", "annette", "anton", "bob_ann"] {
        server.register(name).await;
    }
    let token = Some(me.access_token.as_str());
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = server
            .get(
                &format!("/api/v1/users/search?prefix=ANN&limit=2&cursor={cursor}"),
                token,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["ann_a", "ann_b", "anna", "annette"]);

    assert_error(
        &server.get("/api/v1/users/search?prefix=", token).await,
        422,
        "validation_failed",
        Some("prefix"),
    );
    assert_error(
        &server.get("/api/v1/users/search?prefix=a&limit=500", token).await,
        422,
        "validation_failed",
        Some("limit"),
    );
    assert_error(
        &server.get("/api/v1/users/search", token).await,
        400,
        "invalid_query",
        None,
    );
    let (_, none) = server.get("/api/v1/users/search?prefix=zzz", token).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}

async fn blocks(stack: Stack) {
    let server = start(stack).await;
    let tom = server.register("tom").await;
    let uma = server.register("uma").await;
    let vic = server.register("vic").await;
    let token = Some(tom.access_token.as_str());
    let block = |id: i64| format!("/api/v1/users/{id}/block");

    assert_eq!(server.request("PUT", &block(uma.id), token, None).await.0, 204);
    assert_eq!(server.request("PUT", &block(uma.id), token, None).await.0, 204); // idempotent
    assert_eq!(server.request("PUT", &block(vic.id), token, None).await.0, 204);
    let (_, list) = server.get("/api/v1/users/me/blocks", token).await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&uma.id) && ids.contains(&vic.id));

    assert_eq!(server.request("DELETE", &block(uma.id), token, None).await.0, 204);
    let (_, list) = server.get("/api/v1/users/me/blocks", token).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], vic.id);
    // blocks are per user
    let (_, theirs) = server.get("/api/v1/users/me/blocks", Some(&vic.access_token)).await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    assert_error(
        &server.request("PUT", &block(tom.id), token, None).await,
        422,
        "validation_failed",
        Some("id"),
    );
    assert_error(
        &server.request("PUT", &block(424242), token, None).await,
        404,
        "not_found",
        None,
    );
    assert_error(
        &server.request("PUT", &block(uma.id), None, None).await,
        401,
        "unauthorized",
        None,
    );
}

async fn profile_changes_are_rate_limited(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_USERS__PROFILE_CHANGES_PER_MINUTE", "2")]).await;
    let rita = server.register("rita").await;
    let token = Some(rita.access_token.as_str());
    let change = |bio: &'static str| server.request("PATCH", "/api/v1/users/me", token, Some(json!({"bio": bio})));
    assert_eq!(change("one").await.0, 200);
    assert_eq!(change("two").await.0, 200);
    let refused = change("three").await;
    assert_error(&refused, 429, "rate_limited", None);
    // a request that changes nothing costs nothing, and the refused change was not made
    let (status, me) = server
        .request("PATCH", "/api/v1/users/me", token, Some(json!({})))
        .await;
    assert_eq!((status.as_u16(), me["bio"].as_str()), (200, Some("two")));
    // the budget is the user's own
    let sam = server.register("sam_s").await;
    let (status, _) = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            Some(&sam.access_token),
            Some(json!({"bio": "hi"})),
        )
        .await;
    assert_eq!(status, 200);
}

/// "Who may add me to groups" holds on both add paths: a new group's member list and
/// `POST /chats/{id}/members`.
async fn privacy_decides_who_may_add_me(stack: Stack) {
    let server = start(stack).await;
    let ann = server.register("ann").await;
    let ben = server.register("ben").await;
    let cat = server.register("cat").await;
    let privacy = "/api/v1/users/me/privacy";
    let set = |user: &hybrid_testkit::TestUser, policy: &str| {
        let token = user.access_token.clone();
        let body = json!({"add_to_groups": policy});
        let server = &server;
        async move { server.request("PUT", privacy, Some(&token), Some(body)).await }
    };
    let create = |user: &hybrid_testkit::TestUser, ids: Vec<i64>| {
        let (server, user) = (&server, user.clone());
        async move { try_create_chat(server, &user, "group", "G", &ids).await }
    };

    let (status, mine) = server.get(privacy, Some(&cat.access_token)).await;
    assert_eq!((status.as_u16(), mine), (200, json!({"add_to_groups": "everyone"})));

    // nobody: neither path adds cat, whoever asks
    let (status, changed) = set(&cat, "nobody").await;
    assert_eq!((status.as_u16(), changed), (200, json!({"add_to_groups": "nobody"})));
    assert_eq!(
        server.get(privacy, Some(&cat.access_token)).await.1["add_to_groups"],
        "nobody"
    );
    assert_error(
        &create(&ann, vec![ben.id, cat.id]).await,
        403,
        "privacy_restricted",
        Some("member_ids"),
    );
    let (status, group) = create(&ann, vec![ben.id]).await;
    assert_eq!(status, 201, "{group}");
    let members = format!("/api/v1/chats/{}/members", group["id"]);
    assert_error(
        &server
            .post(&members, Some(&ann.access_token), json!({"user_ids": [cat.id]}))
            .await,
        403,
        "privacy_restricted",
        Some("user_ids"),
    );

    // people I share a chat with: ben, who shares none with cat yet, may not; after cat writes
    // to ben directly, he may
    assert_eq!(set(&cat, "shared_chats").await.0, 200);
    assert_error(
        &server
            .post(&members, Some(&ben.access_token), json!({"user_ids": [cat.id]}))
            .await,
        403,
        "privacy_restricted",
        Some("user_ids"),
    );
    let (status, direct) = server
        .post(
            "/api/v1/chats",
            Some(&cat.access_token),
            json!({"kind": "direct", "user_id": ben.id}),
        )
        .await;
    assert!(status == 200 || status == 201, "{direct}");
    let (status, added) = server
        .post(&members, Some(&ben.access_token), json!({"user_ids": [cat.id]}))
        .await;
    assert!(status.is_success(), "{added}");
    let (_, list) = server.get(&members, Some(&ann.access_token)).await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [ann.id, ben.id, cat.id]);

    // everyone again; and a value outside the three is refused
    assert_eq!(set(&cat, "everyone").await.0, 200);
    let (status, _) = create(&ann, vec![cat.id]).await;
    assert_eq!(status, 201);
    assert_error(
        &set(&cat, "friends").await,
        422,
        "validation_failed",
        Some("add_to_groups"),
    );
    assert_eq!(
        server.get(privacy, Some(&cat.access_token)).await.1["add_to_groups"],
        "everyone"
    );
    assert_error(&server.get(privacy, None).await, 401, "unauthorized", None);
}
