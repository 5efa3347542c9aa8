//! What browser and app clients rely on beyond the basics: the refresh-token cookie, the
//! account's 2FA status, member names, the peer's read position, history around a message,
//! and presence on demand.

use hybrid_testkit::{PASSWORD, Stack, TestServer, assert_error, json_of, stack_tests};
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;

use crate::{create_chat, direct, send, start, start_with};

stack_tests!(
    refresh_cookie,
    account_members_and_read_position,
    history_around,
    presence_on_demand
);

/// The `hybrid_refresh=…` pair of a response's Set-Cookie, and the whole header.
fn refresh_cookie_of(response: &reqwest::Response) -> (String, String) {
    let header = response
        .headers()
        .get(SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned();
    (header.split(';').next().unwrap().to_owned(), header)
}

async fn login_with_cookie(server: &TestServer, username: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD, "refresh_in_cookie": true}))
        .send()
        .await
        .unwrap()
}

async fn refresh_cookie(stack: Stack) {
    let server = start(stack).await;
    server.register("ola").await;
    let response = login_with_cookie(&server, "ola").await;
    let (cookie, header) = refresh_cookie_of(&response);
    assert!(cookie.starts_with("hybrid_refresh=hrt_"), "{header}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(header.contains(flag), "{header} lacks {flag}");
    }
    assert!(!header.contains("Secure"), "plain HTTP gets no Secure flag: {header}");
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200);
    assert!(
        body.get("refresh_token").is_none(),
        "the token is not in the body: {body}"
    );

    // The cookie alone refreshes, and is renewed.
    let refresh = |cookie: String| {
        server
            .http
            .post(server.url("/api/v1/auth/refresh"))
            .header(COOKIE, cookie)
            .json(&json!({}))
            .send()
    };
    let response = refresh(cookie.clone()).await.unwrap();
    let (renewed, _) = refresh_cookie_of(&response);
    assert_ne!(renewed, cookie);
    let (status, tokens) = json_of(response).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    // Without a token or cookie: 401, not a validation error.
    assert_error(
        &server.post("/api/v1/auth/refresh", None, json!({})).await,
        401,
        "invalid_refresh_token",
        None,
    );
    // Behind a TLS proxy the cookie is Secure.
    let secure = server
        .http
        .post(server.url("/api/v1/auth/refresh"))
        .header(COOKIE, renewed.clone())
        .header("x-forwarded-proto", "https")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(refresh_cookie_of(&secure).1.contains("; Secure"));
    // Or always, when configured (a TLS proxy that does not say so).
    let strict = start_with(stack, &[("HYBRID_AUTH__REFRESH_COOKIE_SECURE", "true")]).await;
    strict.register("ola").await;
    let response = login_with_cookie(&strict, "ola").await;
    assert!(refresh_cookie_of(&response).1.contains("; Secure"));

    // Logout clears it.
    let response = server
        .http
        .post(server.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (cleared, header) = refresh_cookie_of(&response);
    assert_eq!(cleared, "hybrid_refresh=");
    assert!(header.contains("Max-Age=0"), "{header}");
}

async fn account_members_and_read_position(stack: Stack) {
    let server = start(stack).await;
    let pia = server.register("pia").await;
    let quinn = server.register("quinn").await;
    let (status, account) = server.get("/api/v1/auth/account", Some(&pia.access_token)).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(
        account,
        json!({"id": pia.id, "username": "pia", "is_admin": false, "totp_enabled": false})
    );
    assert_eq!(server.get("/api/v1/auth/account", None).await.0, 401);

    // Members come with their names.
    let (status, _) = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            Some(&quinn.access_token),
            Some(json!({"display_name": "Quinn Q."})),
        )
        .await;
    assert_eq!(status, 200);
    let group = create_chat(&server, &pia, "group", "Names", &[&quinn]).await;
    let (_, members) = server
        .get(&format!("/api/v1/chats/{group}/members"), Some(&pia.access_token))
        .await;
    let names: Vec<(i64, &str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_i64().unwrap(),
                m["username"].as_str().unwrap(),
                m["display_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [(pia.id, "pia", ""), (quinn.id, "quinn", "Quinn Q.")]);

    // In a direct chat each side sees how far the other has read.
    let chat = direct(&server, &pia, &quinn).await;
    send(&server, &pia, chat, "one").await;
    send(&server, &pia, chat, "two").await;
    let peer_read = |token: String| {
        let server = &server;
        async move {
            let (_, info) = server.get(&format!("/api/v1/chats/{chat}"), Some(&token)).await;
            info["peer_read_seq"].as_i64()
        }
    };
    assert_eq!(peer_read(pia.access_token.clone()).await, Some(0));
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat}/read"),
            Some(&quinn.access_token),
            json!({"seq": 2}),
        )
        .await;
    assert!(status.is_success());
    assert_eq!(peer_read(pia.access_token.clone()).await, Some(2));
    let (_, list) = server.get("/api/v1/chats", Some(&pia.access_token)).await;
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == chat)
        .unwrap()
        .clone();
    assert_eq!(listed["peer_read_seq"], 2);
    let (_, group_info) = server
        .get(&format!("/api/v1/chats/{group}"), Some(&pia.access_token))
        .await;
    assert!(
        group_info.get("peer_read_seq").is_none(),
        "groups have no single peer: {group_info}"
    );
}

async fn history_around(stack: Stack) {
    let server = start(stack).await;
    let rex = server.register("rex").await;
    let sam = server.register("sam").await;
    let chat = direct(&server, &rex, &sam).await;
    for i in 1..=30 {
        send(&server, &rex, chat, &format!("m{i}")).await;
    }
    let page = |query: String| {
        let (server, token) = (&server, sam.access_token.clone());
        async move {
            server
                .get(&format!("/api/v1/chats/{chat}/messages?{query}"), Some(&token))
                .await
        }
    };
    let (status, around) = page("around=15&limit=10".into()).await;
    assert_eq!(status, 200, "{around}");
    let seqs: Vec<i64> = around["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (11..=20).collect::<Vec<_>>());
    assert_eq!(
        (around["has_more"].as_bool(), around["has_newer"].as_bool()),
        (Some(true), Some(true))
    );
    let (_, end) = page("around=29&limit=10".into()).await;
    let seqs: Vec<i64> = end["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (25..=30).collect::<Vec<_>>());
    assert_eq!(end["has_newer"], false);
    assert_error(
        &page("around=5&before=9".into()).await,
        422,
        "validation_failed",
        Some("before"),
    );
    let (_, latest) = page("limit=5".into()).await;
    assert!(latest.get("has_newer").is_none(), "only around pages say it: {latest}");
}

async fn presence_on_demand(stack: Stack) {
    let server = start(stack).await;
    let tia = server.register("tia").await;
    let uma = server.register("uma").await;
    let vic = server.register("vic").await;
    let chat = direct(&server, &tia, &uma).await;
    // presence is shared once both have written (tests/e2e/security.rs has the empty chat)
    send(&server, &tia, chat, "hi").await;
    send(&server, &uma, chat, "hey").await;
    let _uma_ws = server.ws(&uma).await;
    let _vic_ws = server.ws(&vic).await;
    let query = format!("/api/v1/realtime/presence?user_ids={},{}", uma.id, vic.id);
    let (status, presence) = server.get(&query, Some(&tia.access_token)).await;
    assert_eq!(status, 200, "{presence}");
    // vic shares no direct chat with tia: left out, though online
    assert_eq!(presence, json!([{"user_id": uma.id, "online": true}]));
    let (_, nobody) = server
        .get(
            &format!("/api/v1/realtime/presence?user_ids={}", vic.id),
            Some(&uma.access_token),
        )
        .await;
    assert_eq!(nobody, json!([]));
    // A block either way hides presence too.
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/users/{}/block", tia.id),
            Some(&uma.access_token),
            None,
        )
        .await;
    assert!(status.is_success());
    let (_, hidden) = server.get(&query, Some(&tia.access_token)).await;
    assert_eq!(hidden, json!([]), "uma blocked tia");
    assert_error(
        &server
            .get("/api/v1/realtime/presence?user_ids=1,x", Some(&tia.access_token))
            .await,
        422,
        "validation_failed",
        Some("user_ids"),
    );
    assert_eq!(server.get(&query, None).await.0, 401);
}
