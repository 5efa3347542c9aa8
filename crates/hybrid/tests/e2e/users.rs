use hybrid_testkit::{Stack, assert_error, stack_tests};
use serde_json::json;

use crate::{start, start_with};

stack_tests!(profiles, search_by_prefix, blocks, profile_changes_are_rate_limited);

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
