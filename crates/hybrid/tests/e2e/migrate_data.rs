//! `hybrid migrate-data`: an embedded install filled through the API moves onto PostgreSQL,
//! and the same API calls give the same answers there.

use hybrid_store::testing::TestPostgres;
use hybrid_testkit::{PASSWORD, Scaled, Stack, TestServer, TestUser};
use serde_json::{Value, json};

use crate::{BIN, create_chat, direct, send};

/// The answers compared before and after the move, as `alice` and `bob` see them.
async fn snapshot(server: &TestServer, alice: &TestUser, bob: &TestUser, chats: &[i64]) -> Vec<(String, Value)> {
    let mut answers = Vec::new();
    let mut get = async |path: String, user: &TestUser| {
        let (status, body) = server.get(&path, Some(&user.access_token)).await;
        assert_eq!(status, 200, "{path}: {body}");
        answers.push((path, body));
    };
    get("/api/v1/users/me".into(), alice).await;
    get("/api/v1/users/search?prefix=b".into(), alice).await;
    get("/api/v1/users/me/blocks".into(), bob).await;
    get("/api/v1/chats".into(), alice).await;
    get("/api/v1/chats".into(), bob).await;
    get("/api/v1/search/messages?q=hello".into(), bob).await;
    for chat in chats {
        get(format!("/api/v1/chats/{chat}"), alice).await;
        get(format!("/api/v1/chats/{chat}/messages?limit=100"), bob).await;
        get(format!("/api/v1/chats/{chat}/members"), alice).await;
        get(format!("/api/v1/chats/{chat}/pins"), bob).await;
    }
    let sync = json!({"user_pts": 0, "chats": chats.iter().map(|c| (c.to_string(), json!(0))).collect::<serde_json::Map<_, _>>()});
    let (status, body) = server.post("/api/v1/sync", Some(&bob.access_token), sync).await;
    assert_eq!(status, 200, "{body}");
    answers.push(("/api/v1/sync".into(), body));
    answers
}

/// Runs `hybrid migrate-data` (with `extra` flags); returns whether it succeeded, and its
/// standard output and error.
async fn migrate(server: &TestServer, to: &str, extra: &[&str]) -> (bool, String, String) {
    let output = server
        .command()
        .args(["migrate-data", "--from"])
        .arg(server.data_dir())
        .args(["--to", to])
        .args(extra)
        .output()
        .await
        .expect("hybrid migrate-data runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// `(read, copied)` of a table in the report.
fn counts(report: &str, table: &str) -> (u64, u64) {
    let line = report
        .lines()
        .find(|l| l.split_whitespace().next() == Some(table))
        .unwrap_or_else(|| panic!("{table} is not in the report:\n{report}"));
    let numbers: Vec<u64> = line.split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    (numbers[0], numbers[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_data_moves_to_postgres_with_the_same_answers() {
    let mut embedded = TestServer::start(BIN, Stack::Embedded).await;
    let alice = embedded.register("alice").await;
    let bob = embedded.register("bob").await;
    let carl = embedded.register("carl").await;
    let dm = direct(&embedded, &alice, &bob).await;
    let group = create_chat(&embedded, &alice, "group", "Plans", &[&bob, &carl]).await;
    send(&embedded, &alice, dm, "hello bob").await;
    send(&embedded, &bob, dm, "hello alice, and good day").await;
    send(&embedded, &carl, group, "hello all").await;
    send(&embedded, &alice, group, "to be deleted").await;
    let messages = format!("/api/v1/chats/{group}/messages");
    for (method, path, body) in [
        (
            "PATCH",
            format!("{messages}/2"),
            Some(json!({"text": "hello everyone"})),
        ),
        // seq 1 is the group's creation, a service message (it moves too)
        ("DELETE", format!("{messages}/3"), None),
        ("PUT", format!("{messages}/2/reactions/%F0%9F%91%8D"), None),
        ("PUT", format!("/api/v1/chats/{group}/pins/2"), None),
        ("POST", format!("/api/v1/chats/{dm}/read"), Some(json!({"seq": 2}))),
        ("PUT", format!("/api/v1/users/{}/block", carl.id), None),
    ] {
        let user = if path.contains("/block") || path.contains("/read") {
            &bob
        } else {
            &alice
        };
        let (status, answer) = embedded.request(method, &path, Some(&user.access_token), body).await;
        assert!(status.is_success(), "{method} {path}: {answer}");
    }
    let before = snapshot(&embedded, &alice, &bob, &[dm, group]).await;
    assert_eq!(embedded.stop().await, Some(0));

    let postgres = TestPostgres::create().await.expect("PostgreSQL for the target");
    let (ok, report, errors) = migrate(&embedded, &postgres.url, &[]).await;
    assert!(ok, "{report}\n{errors}");
    assert_eq!(counts(&report, "users.users"), (3, 3));
    assert_eq!(
        counts(&report, "chats.messages"),
        (6, 6),
        "4 written, 2 service messages (the group made, a message pinned)"
    );
    assert_eq!(counts(&report, "chats.chats"), (2, 2));
    assert!(counts(&report, "chats.events").1 > 0);
    assert!(report.contains("search index rebuilt, messages indexed: 3"), "{report}");
    assert!(!report.contains("chats.outbox"), "pending relays stay behind: {report}");
    // A database with data is refused: rows are copied, never merged.
    let (ok, _, refused) = migrate(&embedded, &postgres.url, &[]).await;
    assert!(!ok && refused.contains("already holds users data"), "{refused}");
    // Finishing an interrupted run: everything is there already, nothing is copied twice.
    let (ok, again, errors) = migrate(&embedded, &postgres.url, &["--resume"]).await;
    assert!(ok, "{again}\n{errors}");
    for line in again.lines().skip(1).take_while(|l| !l.is_empty() && !l.contains(':')) {
        let copied: u64 = line.split_whitespace().nth(2).unwrap().parse().unwrap();
        assert_eq!(copied, 0, "{line}");
    }

    // The same data on PostgreSQL: old access tokens still verify (the keys moved too).
    let moved = TestServer::start_scaled(BIN, Scaled::with_database(postgres.url.clone()), &[]).await;
    let after = snapshot(&moved, &alice, &bob, &[dm, group]).await;
    for ((path, old), (_, new)) in before.iter().zip(&after) {
        assert_eq!(old, new, "{path} answers differently after the move");
    }
    // Passwords, ids and pts carry on: a login works, new rows get fresh ids.
    let (status, _) = moved.login("carl", PASSWORD, None).await;
    assert_eq!(status, 200);
    let next = send(&moved, &bob, dm, "after the move").await;
    assert_eq!(next["seq"], 3);
    let dan = moved.register("dan").await;
    assert!(dan.id > carl.id);
    let third = direct(&moved, &dan, &alice).await;
    assert!(third > group);
}
