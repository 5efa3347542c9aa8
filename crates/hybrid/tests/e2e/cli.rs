//! The command line: config, services, migrate, admin, and graceful shutdown.

use std::time::Duration;

use base64::Engine;
use hybrid_testkit::{PASSWORD, Stack, TEST_MASTER_KEY, stack_tests};
use serde_json::json;
use tokio::process::Command;
use totp_rs::Totp;

use crate::{BIN, create_user_by_cli, start};

stack_tests!(
    admin_create_user_and_graceful_stop,
    the_master_key_rotates_without_losing_secrets
);

async fn admin_create_user_and_graceful_stop(stack: Stack) {
    let mut server = start(stack).await;
    let output = server
        .command()
        .args(["admin", "create-user", "--username", "Admin_One", "--admin"])
        .env("HYBRID_ADMIN_PASSWORD", PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("created user admin_one"));
    let (status, body) = server.login("admin_one", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let invite = |token: String| {
        let server = &server;
        async move {
            server
                .post("/api/v1/auth/invites", Some(&token), json!({"uses": 1}))
                .await
        }
    };
    assert_eq!(invite(token.clone()).await.0, 201);
    // demoted: the same, still valid access token no longer carries the right
    let set_admin = |args: &'static [&'static str]| {
        let mut command = server.command();
        command.args(["admin", "set-admin"]).args(args);
        async move { command.output().await.unwrap() }
    };
    let output = set_admin(&["--username", "ADMIN_ONE", "--revoke"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no longer an administrator"));
    let (status, refused) = invite(token.clone()).await;
    assert_eq!(
        (status.as_u16(), refused["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{refused}"
    );
    let (_, me) = server.get("/api/v1/auth/account", Some(&token)).await;
    assert_eq!(me["is_admin"], false, "{me}");
    let output = set_admin(&["--username", "admin_one"]).await;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(invite(token).await.0, 201, "promoted again, at once");
    let output = set_admin(&["--username", "nobody_here"]).await;
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not found"),
        "{output:?}"
    );
    // a duplicate is refused with a clear message and a failing exit code
    let output = create_user_by_cli(&server, "ADMIN_ONE", false).await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("taken"));

    let output = server.command().arg("migrate").output().await.unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("auth       0 migration(s) applied"));

    assert_eq!(server.stop().await, Some(0), "SIGTERM should stop the server cleanly");
}

/// A new master key with the old one retired: everything sealed before still opens, `admin
/// reseal` seals it again under the new key, and then the old key can go.
async fn the_master_key_rotates_without_losing_secrets(stack: Stack) {
    let mut server = start(stack).await;
    let rota = server.register("rota").await;
    // a pending TOTP secret, sealed beside the signing key and the key check
    let (status, setup) = server
        .post(
            "/api/v1/auth/totp/setup",
            Some(&rota.access_token),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{setup}");
    let totp = Totp::from_url(setup["otpauth_uri"].as_str().unwrap()).unwrap();
    assert_eq!(server.stop().await, Some(0));

    let new_key = base64::engine::general_purpose::STANDARD.encode([5u8; 32]);
    server.set_env("HYBRID_SECRETS__MASTER_KEY", &new_key);
    let serve = server.command().args(["serve", "--listen", "127.0.0.1:0"]).output();
    let refused = tokio::time::timeout(Duration::from_secs(60), serve)
        .await
        .expect("a wrong key stops the start")
        .unwrap();
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("not the one this auth data was encrypted with"), "{why}");

    server.set_env("HYBRID_SECRETS__RETIRED_KEYS", TEST_MASTER_KEY);
    server.resume().await;
    let (status, body) = server.login("rota", PASSWORD, None).await;
    assert_eq!(status, 200, "the retired key opens the signing key: {body}");
    assert_eq!(server.stop().await, Some(0));

    let reseal = |server: &hybrid_testkit::TestServer| server.command().args(["admin", "reseal"]).output();
    let first = reseal(&server).await.unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let report = String::from_utf8_lossy(&first.stdout);
    assert!(report.contains("auth       3 value(s) sealed again"), "{report}");
    let again = reseal(&server).await.unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("auth       0 value(s) sealed again"));

    server.set_env("HYBRID_SECRETS__RETIRED_KEYS", "");
    server.resume().await;
    let (status, body) = server.login("rota", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (status, body) = server
        .post(
            "/api/v1/auth/totp/confirm",
            Some(&token),
            json!({"code": totp.generate(now).to_string()}),
        )
        .await;
    assert_eq!(
        status, 204,
        "the resealed TOTP secret opens under the new key alone: {body}"
    );
}

#[tokio::test]
async fn config_is_layered_and_masked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hybrid.toml");
    std::fs::write(
        &file,
        "listen = \"0.0.0.0:9000\"\n[auth]\nregistration = \"closed\"\nmaster_key = \"c2VjcmV0\"\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args([
            "--config",
            file.to_str().unwrap(),
            "config",
            "--database-url",
            "postgres://u:hunter2@db/x",
        ])
        .env("HYBRID_AUTH__ACCESS_TOKEN_TTL_SECS", "120")
        .env("HYBRID_HTTP__TRUST_FORWARDED_FOR", "true")
        .env("HYBRID_SECRETS__RETIRED_KEYS", "b2xkIGtleQ==")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let config: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(config["listen"].as_str(), Some("0.0.0.0:9000")); // file
    assert_eq!(config["auth"]["registration"].as_str(), Some("closed")); // file
    assert_eq!(config["auth"]["access_token_ttl_secs"].as_integer(), Some(120)); // env
    assert_eq!(config["http"]["trust_forwarded_for"].as_bool(), Some(true)); // env
    assert_eq!(config["database"]["url"].as_str(), Some("postgres://u:********@db/x")); // flag, masked
    // the deprecated place of the master key still works, shown where it belongs now
    assert!(config["auth"].get("master_key").is_none(), "{text}");
    assert_eq!(config["secrets"]["master_key"].as_str(), Some("********"));
    assert_eq!(config["secrets"]["retired_keys"].as_str(), Some("********"));
    // each service's section, with the defaults of what is not set
    assert_eq!(config["chats"]["max_text_length"].as_integer(), Some(4096));
    assert_eq!(config["realtime"]["heartbeat_ms"].as_integer(), Some(25000));
    assert!(!text.contains("hunter2") && !text.contains("c2VjcmV0") && !text.contains("b2xkIGtleQ"));
}

#[tokio::test]
async fn bad_invocations_fail_clearly() {
    let version = Command::new(BIN).arg("--version").output().await.unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("hybrid "));

    let services = Command::new(BIN).arg("services").output().await.unwrap();
    let listed = String::from_utf8_lossy(&services.stdout).into_owned();
    assert!(listed.contains("auth") && listed.contains("users"), "{listed}");

    let dir = tempfile::tempdir().unwrap();
    let unknown = Command::new(BIN)
        .args([
            "serve",
            "--services",
            "users,chatz",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .await
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown service `chatz`"));

    let bad_value = Command::new(BIN)
        .args(["config"])
        .env("HYBRID_AUTH__REGISTRATION", "sometimes")
        .output()
        .await
        .unwrap();
    assert!(!bad_value.status.success());
    assert!(String::from_utf8_lossy(&bad_value.stderr).contains("invalid configuration"));

    // a section no service owns is refused, not silently ignored
    let unknown_section = Command::new(BIN)
        .args(["config"])
        .env("HYBRID_CHATZ__MAX_MEMBERS", "5")
        .output()
        .await
        .unwrap();
    assert!(!unknown_section.status.success());
    let why = String::from_utf8_lossy(&unknown_section.stderr);
    assert!(why.contains("no setting or service section is called `chatz`"), "{why}");
}
