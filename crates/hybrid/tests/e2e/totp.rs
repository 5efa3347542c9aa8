use hybrid_testkit::{PASSWORD, Stack, TestUser, assert_error, stack_tests};
use serde_json::json;
use totp_rs::Totp;

use crate::start;

stack_tests!(totp_two_factor);

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The code an authenticator app shows `offset` steps (30 s) from now.
fn code(totp: &Totp, offset: i64) -> String {
    totp.generate((now_secs() + offset * 30) as u64).to_string()
}

/// A code no step the server accepts right now shows.
fn wrong_code(totp: &Totp) -> String {
    let valid: Vec<String> = (-1..=1).map(|offset| code(totp, offset)).collect();
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_owned()
}

/// Codes one step away are accepted (clock skew); this test uses steps -1, 0 and +1, so it
/// starts early in a step to finish inside it.
async fn wait_for_step_start() {
    let into_step = now_secs() % 30;
    if into_step > 10 {
        tokio::time::sleep(std::time::Duration::from_secs((31 - into_step) as u64)).await;
    }
}

async fn totp_two_factor(stack: Stack) {
    let server = start(stack).await;
    wait_for_step_start().await;
    let quinn: TestUser = server.register("quinn").await;
    let token = Some(quinn.access_token.as_str());

    let no_password = server
        .post(
            "/api/v1/auth/totp/setup",
            token,
            json!({"password": "not the password"}),
        )
        .await;
    assert_error(&no_password, 403, "wrong_password", Some("password"));
    let (status, setup) = server
        .post("/api/v1/auth/totp/setup", token, json!({"password": PASSWORD}))
        .await;
    assert_eq!(status, 200, "{setup}");
    // the otpauth URI is what authenticator apps read from the QR code
    let uri = setup["otpauth_uri"].as_str().unwrap();
    let totp = Totp::from_url(uri).expect("a valid otpauth URI");
    assert_eq!(totp.issuer(), Some("Hybrid"));
    assert_eq!(totp.account_name(), "quinn");
    assert!(uri.contains(setup["secret"].as_str().unwrap()));

    let wrong = server
        .post("/api/v1/auth/totp/confirm", token, json!({"code": wrong_code(&totp)}))
        .await;
    assert_error(&wrong, 422, "validation_failed", Some("code"));
    // confirm with the previous step's code (within the skew); it can't be used again after
    let (status, body) = server
        .post("/api/v1/auth/totp/confirm", token, json!({"code": code(&totp, -1)}))
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, account) = server.get("/api/v1/auth/account", token).await;
    assert_eq!(account["totp_enabled"], true, "{account}");
    assert_error(
        &server
            .post("/api/v1/auth/totp/setup", token, json!({"password": PASSWORD}))
            .await,
        409,
        "totp_enabled",
        None,
    );

    // login now needs the code
    assert_error(&server.login("quinn", PASSWORD, None).await, 401, "totp_required", None);
    assert_error(
        &server.login("quinn", "wrong password!", None).await,
        401,
        "invalid_credentials",
        None,
    );
    assert_error(
        &server.login("quinn", PASSWORD, Some(&wrong_code(&totp))).await,
        401,
        "invalid_totp",
        None,
    );
    let current = code(&totp, 0);
    let (status, body) = server.login("quinn", PASSWORD, Some(&current)).await;
    assert_eq!(status, 200, "{body}");
    // a code works once, and codes older than the last one used don't work at all
    assert_error(
        &server.login("quinn", PASSWORD, Some(&current)).await,
        401,
        "invalid_totp",
        None,
    );
    assert_error(
        &server.login("quinn", PASSWORD, Some(&code(&totp, -1))).await,
        401,
        "invalid_totp",
        None,
    );

    // disabling needs the password and a fresh code
    let path = "/api/v1/auth/totp/disable";
    let denied = server
        .post(
            path,
            token,
            json!({"password": "not my password", "code": code(&totp, 1)}),
        )
        .await;
    assert_error(&denied, 403, "wrong_password", Some("password"));
    let replayed = server
        .post(path, token, json!({"password": PASSWORD, "code": current}))
        .await;
    assert_error(&replayed, 401, "invalid_totp", None);
    // the next step's code (within the skew) has not been used yet
    let fresh = code(&totp, 1);
    let (status, body) = server
        .post(path, token, json!({"password": PASSWORD, "code": fresh}))
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(!fresh.is_empty());
    assert_eq!(server.login("quinn", PASSWORD, None).await.0, 200);
    assert_error(
        &server
            .post(path, token, json!({"password": PASSWORD, "code": fresh}))
            .await,
        409,
        "totp_disabled",
        None,
    );
}
