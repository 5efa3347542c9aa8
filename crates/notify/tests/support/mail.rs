//! Email in the tests: Hybrid sending to an SMTP sink, an administrator to run the waiting
//! jobs now (what an operator may do through the admin API), and the links in the messages.

use hybrid_testkit::{SmtpSink, Stack, TestServer, TestUser, hybrid_binary, link_in, until};
use serde_json::{Value, json};

pub const WEB_URL: &str = "http://hybrid.example";

pub async fn start(stack: Stack, sink: &SmtpSink) -> TestServer {
    start_with(stack, sink, &[]).await
}

/// Hybrid sending email to `sink`, with `extra` environment.
pub async fn start_with(stack: Stack, sink: &SmtpSink, extra: &[(&str, &str)]) -> TestServer {
    let mut env = vec![
        ("HYBRID_NOTIFY__SMTP_URL", sink.url.as_str()),
        ("HYBRID_NOTIFY__WEB_URL", WEB_URL),
        ("HYBRID_NOTIFY__EMAIL_FROM", "Hybrid <hybrid@hybrid.example>"),
    ];
    env.extend_from_slice(extra);
    TestServer::start_with(&hybrid_binary(), stack, &env).await
}

/// An administrator, to run waiting jobs now.
pub async fn admin(server: &TestServer) -> TestUser {
    server.admin("boss").await
}

/// notify's email jobs in `state`, newest first.
pub async fn email_jobs(server: &TestServer, boss: &TestUser, state: &str) -> Vec<Value> {
    let (status, page) = server
        .get(
            &format!("/api/v1/admin/jobs/notify?queue=notify-email&state={state}&limit=100"),
            Some(&boss.access_token),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Runs now every waiting email job due before `before` (ms); waits until they are done.
pub async fn run_jobs_due_before(server: &TestServer, boss: &TestUser, before: i64) {
    let waiting: Vec<i64> = email_jobs(server, boss, "ready")
        .await
        .iter()
        .filter(|job| job["run_at"].as_i64().unwrap() < before)
        .map(|job| job["id"].as_i64().unwrap())
        .collect();
    assert!(!waiting.is_empty(), "no email job is waiting");
    for id in &waiting {
        let (status, body) = server
            .post(
                &format!("/api/v1/admin/jobs/notify/{id}/retry"),
                Some(&boss.access_token),
                json!({}),
            )
            .await;
        assert!(status.is_success(), "{body}");
    }
    until("the email jobs done", || async {
        let done = email_jobs(server, boss, "done").await;
        waiting
            .iter()
            .all(|id| done.iter().any(|job| job["id"] == *id))
            .then_some(())
    })
    .await;
}

/// The path and query of a link in an email (which points at `WEB_URL`).
pub fn path_of(link: &str) -> &str {
    link.strip_prefix(WEB_URL)
        .unwrap_or_else(|| panic!("{link} is not under {WEB_URL}"))
}

#[derive(Clone, Copy)]
pub enum Method {
    Get,
    /// As a mail client sends RFC 8058's one-click unsubscribe.
    Post,
}

/// Opens a page linked from an email: its status and HTML.
pub async fn open(server: &TestServer, method: Method, link: &str) -> (u16, String) {
    let url = server.url(path_of(link));
    let request = match method {
        Method::Get => server.http.get(url),
        Method::Post => server
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click"),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Sets `user`'s email settings and confirms the address by the link sent to it (message
/// number `nth` the sink gets).
pub async fn confirmed(server: &TestServer, sink: &SmtpSink, user: &TestUser, settings: Value, nth: usize) {
    let (status, got) = server
        .request(
            "PUT",
            "/api/v1/notifications/email",
            Some(&user.access_token),
            Some(settings.clone()),
        )
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        (&got["address"], &got["verified"]),
        (&settings["address"], &json!(false))
    );
    let mail = sink.wait_for(nth).await.pop().unwrap();
    assert_eq!(mail["rcpt_tos"], json!([settings["address"]]), "{mail}");
    assert_eq!(mail["headers"]["subject"], "Confirm your address for Hybrid");
    assert!(mail["headers"].get("list-unsubscribe").is_none(), "{mail}");
    let link = link_in(
        mail["text"].as_str().unwrap(),
        &format!("{WEB_URL}/api/v1/notifications/email/confirm?token="),
    );
    assert!(mail["html"].as_str().unwrap().contains(link), "{mail}");
    let (status, page) = open(server, Method::Get, link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Address confirmed"), "{page}");
    // a link works once
    let (status, page) = open(server, Method::Get, link).await;
    assert_eq!(status, 404, "{page}");
    let (_, got) = server
        .get("/api/v1/notifications/email", Some(&user.access_token))
        .await;
    assert_eq!(got["verified"], true, "{got}");
}

/// Waits until `user`'s list holds `count` entries; the list.
pub async fn entries(server: &TestServer, user: &TestUser, count: usize) -> Vec<Value> {
    until(&format!("{count} entries"), || async {
        let (_, page) = server.get("/api/v1/notifications", Some(&user.access_token)).await;
        let items = page["items"].as_array()?.clone();
        (items.len() == count).then_some(items)
    })
    .await
}
