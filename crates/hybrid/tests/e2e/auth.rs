use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use hybrid_testkit::{PASSWORD, Stack, assert_error, stack_tests, user_from};
use serde_json::json;

use crate::{create_user_by_cli, start, start_with};

stack_tests!(
    register_login_refresh_logout,
    refresh_reuse_after_grace_revokes_session,
    sessions_list_and_revoke,
    change_password_signs_out_other_sessions,
    login_is_throttled,
    registration_policies,
    register_validation,
    forged_and_expired_tokens,
    restart_keeps_everything,
);

async fn register_login_refresh_logout(stack: Stack) {
    let server = start(stack).await;
    let alice = server.register("Alice").await;
    assert_eq!(alice.username, "alice");
    assert!(alice.id > 0 && alice.id < (1 << 53));

    let (status, me) = server.get("/api/v1/users/me", Some(&alice.access_token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], alice.id);
    assert_eq!(me["username"], "alice");

    assert_error(
        &server.login("alice", "wrong password!", None).await,
        401,
        "invalid_credentials",
        None,
    );
    assert_error(
        &server.login("nobody", PASSWORD, None).await,
        401,
        "invalid_credentials",
        None,
    );

    // any case or compatibility form of the name logs in
    let (status, body) = server.login("ＡＬＩＣＥ", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    let second = user_from(&body, PASSWORD);
    assert_ne!(second.session_id, alice.session_id);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);

    // refresh rotates the token
    let (status, refreshed) = server.refresh(&second.refresh_token).await;
    assert_eq!(status, 200, "{refreshed}");
    let new_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, second.refresh_token);
    assert_eq!(refreshed["session_id"], second.session_id);

    // the same spent token again, within the grace period: the same new token (two tabs)
    let (status, again) = server.refresh(&second.refresh_token).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["refresh_token"], new_refresh.as_str());

    // the new token works, and its access token too
    let (status, latest) = server.refresh(&new_refresh).await;
    assert_eq!(status, 200, "{latest}");
    let access = latest["access_token"].as_str().unwrap();
    assert_eq!(server.get("/api/v1/users/me", Some(access)).await.0, 200);

    assert_error(
        &server.refresh(&"hrt_made_up").await,
        401,
        "invalid_refresh_token",
        None,
    );

    // logout ends the session: its access token and refresh token stop working
    let (status, _) = server.post("/api/v1/auth/logout", Some(access), json!({})).await;
    assert_eq!(status, 204);
    assert_error(
        &server.get("/api/v1/users/me", Some(access)).await,
        401,
        "session_revoked",
        None,
    );
    assert_error(
        &server.refresh(&latest["refresh_token"]).await,
        401,
        "invalid_refresh_token",
        None,
    );
    // the first session is untouched
    assert_eq!(server.get("/api/v1/users/me", Some(&alice.access_token)).await.0, 200);
}

async fn refresh_reuse_after_grace_revokes_session(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_AUTH__REFRESH_GRACE_SECS", "1")]).await;
    let bob = server.register("bob").await;
    let (status, rotated) = server.refresh(&bob.refresh_token).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // a stolen, spent token comes back: the whole session is signed out
    assert_error(
        &server.refresh(&bob.refresh_token).await,
        401,
        "refresh_token_reused",
        None,
    );
    assert_error(
        &server.refresh(&rotated["refresh_token"]).await,
        401,
        "invalid_refresh_token",
        None,
    );
    let access = rotated["access_token"].as_str().unwrap();
    assert_error(
        &server.get("/api/v1/users/me", Some(access)).await,
        401,
        "session_revoked",
        None,
    );
}

async fn sessions_list_and_revoke(stack: Stack) {
    let server = start(stack).await;
    let carol = server.register("carol").await;
    let (status, body) = server
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "carol", "password": PASSWORD, "device_name": "Carol's phone"}),
        )
        .await;
    assert_eq!(status, 200);
    let phone = user_from(&body, PASSWORD);
    let (_, third) = server.login("carol", PASSWORD, None).await;
    let third = user_from(&third, PASSWORD);

    let (status, sessions) = server.get("/api/v1/auth/sessions", Some(&carol.access_token)).await;
    assert_eq!(status, 200);
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], carol.session_id);
    let phone_entry = sessions.iter().find(|s| s["id"] == phone.session_id).unwrap();
    assert_eq!(phone_entry["device"], "Carol's phone");
    assert_eq!(phone_entry["ip"], "127.0.0.1");
    assert!(phone_entry["last_seen_at"].as_i64().unwrap() > 0);

    // someone else's session is not found
    let dave = server.register("dave").await;
    let path = format!("/api/v1/auth/sessions/{}", phone.session_id);
    assert_error(
        &server.request("DELETE", &path, Some(&dave.access_token), None).await,
        404,
        "not_found",
        None,
    );

    let (status, _) = server.request("DELETE", &path, Some(&carol.access_token), None).await;
    assert_eq!(status, 204);
    assert_error(
        &server.get("/api/v1/users/me", Some(&phone.access_token)).await,
        401,
        "session_revoked",
        None,
    );
    assert_error(
        &server.refresh(&phone.refresh_token).await,
        401,
        "invalid_refresh_token",
        None,
    );
    assert_error(
        &server.request("DELETE", &path, Some(&carol.access_token), None).await,
        404,
        "not_found",
        None,
    );

    let (status, body) = server
        .post(
            "/api/v1/auth/sessions/revoke-others",
            Some(&carol.access_token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["revoked"], 1);
    assert_error(
        &server.get("/api/v1/users/me", Some(&third.access_token)).await,
        401,
        "session_revoked",
        None,
    );
    let (_, sessions) = server.get("/api/v1/auth/sessions", Some(&carol.access_token)).await;
    assert_eq!(sessions.as_array().unwrap().len(), 1);
    assert_eq!(server.get("/api/v1/users/me", Some(&dave.access_token)).await.0, 200);
}

async fn change_password_signs_out_other_sessions(stack: Stack) {
    let server = start(stack).await;
    let erin = server.register("erin").await;
    let (_, other) = server.login("erin", PASSWORD, None).await;
    let other = user_from(&other, PASSWORD);
    let path = "/api/v1/auth/password";
    let token = Some(erin.access_token.as_str());

    let wrong = server
        .post(
            path,
            token,
            json!({"current_password": "not it at all", "new_password": "a brand new secret"}),
        )
        .await;
    assert_error(&wrong, 403, "wrong_password", Some("current_password"));
    let weak = server
        .post(
            path,
            token,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_error(&weak, 422, "validation_failed", Some("new_password"));

    let (status, body) = server
        .post(
            path,
            token,
            json!({"current_password": PASSWORD, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revoked"], 1);
    assert_error(
        &server.get("/api/v1/users/me", Some(&other.access_token)).await,
        401,
        "session_revoked",
        None,
    );
    assert_eq!(server.get("/api/v1/users/me", token).await.0, 200);
    assert_error(
        &server.login("erin", PASSWORD, None).await,
        401,
        "invalid_credentials",
        None,
    );
    assert_eq!(server.login("erin", "a brand new secret", None).await.0, 200);
}

async fn login_is_throttled(stack: Stack) {
    let server = start_with(
        stack,
        &[
            ("HYBRID_AUTH__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3"),
            ("HYBRID_AUTH__LOGIN_MAX_FAILURES_PER_IP", "5"),
        ],
    )
    .await;
    server.register("frank").await;
    server.register("grace").await;
    for _ in 0..3 {
        assert_error(
            &server.login("frank", "bad password 1", None).await,
            401,
            "invalid_credentials",
            None,
        );
    }
    // locked: even the right password gets 429 until the window ends
    let response = server
        .http
        .post(server.url("/api/v1/auth/login"))
        .json(&json!({"username": "Frank", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=901).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");

    // registrations per address are limited too
    let limited = start_with(stack, &[("HYBRID_AUTH__REGISTRATIONS_PER_IP_PER_HOUR", "2")]).await;
    limited.register("reg_one").await;
    limited.register("reg_two").await;
    let third = limited
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "reg_three", "password": PASSWORD}),
        )
        .await;
    assert_error(&third, 429, "too_many_requests", None);
    drop(limited);

    // the address limit: two more failures on another account reach 5 for this address
    assert_eq!(server.login("grace", PASSWORD, None).await.0, 200);
    for _ in 0..2 {
        assert_error(
            &server.login("grace", "bad password 2", None).await,
            401,
            "invalid_credentials",
            None,
        );
    }
    assert_error(
        &server.login("grace", PASSWORD, None).await,
        429,
        "too_many_requests",
        None,
    );
}

async fn registration_policies(stack: Stack) {
    let closed = start_with(stack, &[("HYBRID_AUTH__REGISTRATION", "closed")]).await;
    let attempt = closed
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "henry", "password": PASSWORD}),
        )
        .await;
    assert_error(&attempt, 403, "registration_closed", None);
    drop(closed);

    let server = start_with(stack, &[("HYBRID_AUTH__REGISTRATION", "invite_only")]).await;
    let register = |name: &str, code: Option<&str>| {
        server.post(
            "/api/v1/auth/register",
            None,
            json!({"username": name, "password": PASSWORD, "invite_code": code}),
        )
    };
    assert_error(
        &register("henry", None).await,
        403,
        "invite_required",
        Some("invite_code"),
    );
    assert_error(
        &register("henry", Some("inv_forged")).await,
        422,
        "validation_failed",
        Some("invite_code"),
    );
    // a failed invite leaves the name free
    let output = create_user_by_cli(&server, "root", true).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let (status, body) = server.login("root", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    let root = user_from(&body, PASSWORD);

    let (status, invite) = server
        .post(
            "/api/v1/auth/invites",
            Some(&root.access_token),
            json!({"uses": 1, "expires_in_hours": 2}),
        )
        .await;
    assert_eq!(status, 201, "{invite}");
    let code = invite["code"].as_str().unwrap();
    let (status, body) = register("henry", Some(code)).await;
    assert_eq!(status, 201, "{body}");
    let henry = user_from(&body, PASSWORD);
    assert_error(
        &register("ivan", Some(code)).await,
        422,
        "validation_failed",
        Some("invite_code"),
    );
    // only admins make invites
    let denied = server
        .post("/api/v1/auth/invites", Some(&henry.access_token), json!({}))
        .await;
    assert_error(&denied, 403, "forbidden", None);
    let bad = server
        .post("/api/v1/auth/invites", Some(&root.access_token), json!({"uses": 0}))
        .await;
    assert_error(&bad, 422, "validation_failed", Some("uses"));
    // invites from the command line work too
    let output = server
        .command()
        .args(["admin", "create-invite", "--uses", "2"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let cli_code = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(cli_code.starts_with("inv_"));
    assert_eq!(register("ivan", Some(&cli_code)).await.0, 201);
}

async fn register_validation(stack: Stack) {
    let server = start(stack).await;
    server.register("judy").await;
    let register = |username: &str, password: &str| {
        server.post(
            "/api/v1/auth/register",
            None,
            json!({"username": username, "password": password}),
        )
    };
    // the same name in another case or Unicode form
    for taken in ["JUDY", "Ｊｕｄｙ", " judy "] {
        assert_error(
            &register(taken, PASSWORD).await,
            409,
            "username_taken",
            Some("username"),
        );
    }
    for bad in ["jo", "9lives", "white space", "dash-ed", "кирилл"] {
        assert_error(
            &register(bad, PASSWORD).await,
            422,
            "validation_failed",
            Some("username"),
        );
    }
    for weak in ["short", "aaaaaaaaaaaa", "kevin_the_great"] {
        assert_error(
            &register("kevin_the_great", weak).await,
            422,
            "validation_failed",
            Some("password"),
        );
    }
    // the failed attempts did not take the name
    assert_eq!(register("kevin_the_great", PASSWORD).await.0, 201);
    let missing = server
        .post("/api/v1/auth/register", None, json!({"username": "lena"}))
        .await;
    assert_error(&missing, 422, "validation_failed", None);
    assert!(
        missing.1["error"]["message"].as_str().unwrap().contains("password"),
        "{}",
        missing.1
    );
    let wrong_type = server
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": 5, "password": PASSWORD}),
        )
        .await;
    assert_error(&wrong_type, 422, "validation_failed", Some("username"));
}

async fn forged_and_expired_tokens(stack: Stack) {
    let server = start_with(stack, &[("HYBRID_AUTH__ACCESS_TOKEN_TTL_SECS", "1")]).await;
    let other = crate::start(Stack::Embedded).await;
    let mallory = server.register("mallory").await;
    let foreign = other.register("mallory").await;

    let response = server.http.get(server.url("/api/v1/users/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = hybrid_testkit::json_of(response).await;
    assert_error(&(status, body), 401, "unauthorized", None);

    assert_error(
        &server.get("/api/v1/users/me", Some("not-a-jwt")).await,
        401,
        "invalid_token",
        None,
    );
    // signed by another server's key
    assert_error(
        &server.get("/api/v1/users/me", Some(&foreign.access_token)).await,
        401,
        "invalid_token",
        None,
    );
    // a payload changed after signing (another user id)
    let parts: Vec<&str> = mallory.access_token.split('.').collect();
    let claims = URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    let forged_claims = String::from_utf8(claims).unwrap().replace(
        &format!("\"sub\":\"{}\"", mallory.id),
        &format!("\"sub\":\"{}\"", mallory.id + 1),
    );
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged_claims.as_bytes()),
        parts[2]
    );
    assert_error(
        &server.get("/api/v1/users/me", Some(&forged)).await,
        401,
        "invalid_token",
        None,
    );
    // "alg: none"
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert_error(
        &server.get("/api/v1/users/me", Some(&unsigned)).await,
        401,
        "invalid_token",
        None,
    );

    // the token verifies against the published JWKS with an independent decoder setup
    let (status, jwks) = server.get("/api/v1/auth/jwks", None).await;
    assert_eq!(status, 200);
    let header = jsonwebtoken::decode_header(&mallory.access_token).unwrap();
    let jwk_json = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header.kid.clone().unwrap())
        .expect("the token's kid is published")
        .clone();
    assert_eq!(jwk_json["kty"], "OKP");
    assert_eq!(jwk_json["crv"], "Ed25519");
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk_json).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["hybrid"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(&mallory.access_token, &key, &validation).unwrap();
    assert_eq!(data.claims["sub"], mallory.id.to_string());
    assert_eq!(data.claims["sid"], mallory.session_id);

    // expiry (1 s lifetime + 5 s leeway)
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_error(
        &server.get("/api/v1/users/me", Some(&mallory.access_token)).await,
        401,
        "token_expired",
        None,
    );
    // refreshing still works and gives a fresh token
    let (status, body) = server.refresh(&mallory.refresh_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        server.get("/api/v1/users/me", body["access_token"].as_str()).await.0,
        200
    );
}

async fn restart_keeps_everything(stack: Stack) {
    let mut server = start(stack).await;
    let nina = server.register("nina").await;
    let (status, _) = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            Some(&nina.access_token),
            Some(json!({"display_name": "Nina", "bio": "hi"})),
        )
        .await;
    assert_eq!(status, 200);
    let oscar = server.register("oscar").await;
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/users/{}/block", oscar.id),
            Some(&nina.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);

    server.restart().await;

    // same signing key: the access token from before still verifies
    let (status, me) = server.get("/api/v1/users/me", Some(&nina.access_token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["display_name"], "Nina");
    assert_eq!(me["bio"], "hi");
    let (_, blocks) = server.get("/api/v1/users/me/blocks", Some(&nina.access_token)).await;
    assert_eq!(blocks[0]["id"], oscar.id);
    assert_eq!(server.login("nina", PASSWORD, None).await.0, 200);
    let (status, _) = server.refresh(&oscar.refresh_token).await;
    assert_eq!(status, 200);
    let (_, sessions) = server.get("/api/v1/auth/sessions", Some(&nina.access_token)).await;
    assert_eq!(sessions.as_array().unwrap().len(), 2);
    // ids keep counting up after a restart
    let paul = server.register("paul").await;
    assert!(paul.id > oscar.id);
}
