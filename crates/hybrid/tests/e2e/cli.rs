//! The command line: config, services, migrate, admin, and graceful shutdown.

use hybrid_testkit::{PASSWORD, Stack, stack_tests};
use tokio::process::Command;

use crate::{BIN, start};

stack_tests!(admin_create_user_and_graceful_stop);

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
    // a duplicate is refused with a clear message and a failing exit code
    let output = server
        .command()
        .args([
            "admin",
            "create-user",
            "--username",
            "ADMIN_ONE",
            "--password",
            PASSWORD,
        ])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("taken"));

    let output = server.command().arg("migrate").output().await.unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("auth       0 migration(s) applied"));

    assert_eq!(server.stop().await, Some(0), "SIGTERM should stop the server cleanly");
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
    assert_eq!(config["auth"]["master_key"].as_str(), Some("********"));
    assert!(!text.contains("hunter2") && !text.contains("c2VjcmV0"));
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
}
