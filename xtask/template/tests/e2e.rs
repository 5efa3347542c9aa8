//! The {{name}} service in the real binary, on both stacks: items over HTTP, the frame on the
//! owner's socket, the errors. `cargo test --workspace` builds the binary first.

use hybrid_testkit::{Stack, TestServer, assert_error, hybrid_binary, stack_tests};
use serde_json::json;

stack_tests!(items_are_added_listed_and_pushed, bad_requests_are_refused);

async fn items_are_added_listed_and_pushed(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let ben = server.register("ben").await;
    let mut amy_ws = server.ws(&amy).await;
    let mut ids = Vec::new();
    for text in ["first", "second", "third"] {
        let (status, item) = server
            .post("/api/v1/{{name}}/items", Some(&amy.access_token), json!({"text": text}))
            .await;
        assert_eq!(status, 201, "{item}");
        assert_eq!(item["text"], text);
        let frame = amy_ws.next_where(|f| f["type"] == "{{name}}.item_added").await;
        assert_eq!(frame["item"], item);
        ids.push(item["id"].as_i64().unwrap());
    }
    // newest first, a page at a time
    let (status, page) = server
        .get("/api/v1/{{name}}/items?limit=2", Some(&amy.access_token))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["text"], "third");
    assert_eq!(page["items"][1]["text"], "second");
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(cursor, ids[1].to_string());
    let (_, rest) = server
        .get(&format!("/api/v1/{{name}}/items?cursor={cursor}"), Some(&amy.access_token))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["text"], "first");
    assert!(rest["next_cursor"].is_null(), "{rest}");
    // each user sees only their own
    let (_, theirs) = server.get("/api/v1/{{name}}/items", Some(&ben.access_token)).await;
    assert_eq!(theirs["items"], json!([]));
}

async fn bad_requests_are_refused(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let amy = server.register("amy").await;
    let token = Some(amy.access_token.as_str());
    let no_token = server.post("/api/v1/{{name}}/items", None, json!({"text": "x"})).await;
    assert_error(&no_token, 401, "unauthorized", None);
    let empty = server.post("/api/v1/{{name}}/items", token, json!({"text": "  "})).await;
    assert_error(&empty, 422, "validation_failed", Some("text"));
    let long = server
        .post("/api/v1/{{name}}/items", token, json!({"text": "x".repeat(1001)}))
        .await;
    assert_error(&long, 422, "validation_failed", Some("text"));
    let limit = server.get("/api/v1/{{name}}/items?limit=0", token).await;
    assert_error(&limit, 422, "validation_failed", Some("limit"));
    let cursor = server.get("/api/v1/{{name}}/items?cursor=yesterday", token).await;
    assert_error(&cursor, 422, "validation_failed", Some("cursor"));
    // what was refused was not stored
    let (_, page) = server.get("/api/v1/{{name}}/items", token).await;
    assert_eq!(page["items"], json!([]));
}
