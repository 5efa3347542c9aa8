//! Email notifications end to end, on both stacks, through a real SMTP server: aiosmtpd takes
//! each message and Python's `email` package parses it (`hybrid_testkit::SmtpSink`), so the
//! test reads what a mail client would. An address is confirmed by its link before anything
//! else goes to it; mentions and direct messages still unread after the delay arrive in one
//! message with RFC 8058 one-click unsubscribe; reading first, a deleted message and a muted
//! chat send nothing; the digest; unsubscribing; the errors.
//!
//! The delay is minutes long: the test runs a waiting job at once through the admin API (what
//! an operator may do), which is the same job the delay would run.

use hybrid_testkit::{SmtpSink, Stack, TestServer, assert_error, hybrid_binary, stack_tests, until};
use serde_json::json;

mod support;
use support::mail::{Method, WEB_URL, admin, confirmed, email_jobs, entries, open, run_jobs_due_before, start};
use support::{direct_chat, group, now_ms, say as send};

stack_tests!(
    mentions_left_unread_are_emailed_once_confirmed,
    a_digest_and_one_click_unsubscribe,
    email_settings_refuse_what_cannot_work
);

async fn mentions_left_unread_are_emailed_once_confirmed(stack: Stack) {
    let sink = SmtpSink::start().await;
    let server = start(stack, &sink).await;
    let boss = admin(&server).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let (_, profile) = server
        .request(
            "PATCH",
            "/api/v1/users/me",
            Some(&amy.access_token),
            Some(json!({"display_name": "Amy <Pond>"})),
        )
        .await;
    assert_eq!(profile["display_name"], "Amy <Pond>", "{profile}");
    let team = group(&server, &amy, "Team & Co", &[&bob, &cyd]).await;
    let muted = group(&server, &cyd, "Noise", &[&bob, &amy]).await;
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/notifications/chats/{muted}"),
            Some(&bob.access_token),
            Some(json!({"muted_until": now_ms() + 3_600_000})),
        )
        .await;
    assert_eq!(status, 200);

    // nothing but the link goes to an address not confirmed
    send(&server, &amy, team, "@bob before").await;
    entries(&server, &bob, 3).await; // added twice, the mention
    confirmed(
        &server,
        &sink,
        &bob,
        json!({"address": "bob@example.com", "unread_after_minutes": 5}),
        1,
    )
    .await;
    assert!(email_jobs(&server, &boss, "ready").await.is_empty(), "nothing waits");

    // a mention and a direct message, a mention in a muted chat
    let sent_at = now_ms();
    send(&server, &amy, team, "@bob look <here>").await;
    let direct = direct_chat(&server, &amy, &bob).await;
    let psst = send(&server, &amy, direct, "psst").await;
    send(&server, &cyd, muted, "@bob shh").await;
    entries(&server, &bob, 5).await;
    let waiting = email_jobs(&server, &boss, "ready").await;
    assert_eq!(waiting.len(), 2, "one per entry, none for the muted chat: {waiting:?}");
    for job in &waiting {
        let due = job["run_at"].as_i64().unwrap();
        assert!(
            (sent_at + 300_000..now_ms() + 300_000).contains(&due),
            "due 5 minutes after the entry: {job}"
        );
    }
    run_jobs_due_before(&server, &boss, i64::MAX).await;
    let all = sink.wait_for(2).await;
    assert_eq!(all.len(), 2, "the entries in one message");
    let mail = &all[1];
    assert_eq!(mail["rcpt_tos"], json!(["bob@example.com"]));
    assert_eq!(mail["mail_from"], "hybrid@hybrid.example");
    assert_eq!(mail["content_type"], "multipart/alternative");
    // the mention made before the address was confirmed is still unread: it comes too
    assert_eq!(mail["headers"]["subject"], "3 unread messages in Hybrid");
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().unwrap();
    assert!(
        text.contains("Amy <Pond> mentioned you in Team & Co:\n  @bob look <here>"),
        "{text}"
    );
    assert!(text.contains("Amy <Pond> wrote to you:\n  psst"), "{text}");
    assert!(text.contains("@bob before"), "{text}");
    assert!(!text.contains("shh"), "{text}");
    assert!(
        html.contains("Amy &lt;Pond&gt; mentioned you in Team &amp; Co"),
        "{html}"
    );
    assert!(html.contains("@bob look &lt;here&gt;"), "{html}");
    assert!(html.contains(&format!("{WEB_URL}/chat/{direct}?seq={psst}")), "{html}");
    let unsubscribe = mail["headers"]["list-unsubscribe"].as_str().unwrap();
    assert!(
        unsubscribe.starts_with(&format!("<{WEB_URL}/api/v1/notifications/email/unsubscribe?token=")),
        "{unsubscribe}"
    );
    assert_eq!(mail["headers"]["list-unsubscribe-post"], "List-Unsubscribe=One-Click");

    // read on another device before the delay: no email
    let again = send(&server, &amy, direct, "are you there?").await;
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{direct}/read"),
            Some(&bob.access_token),
            json!({"seq": again}),
        )
        .await;
    assert_eq!(status, 200);
    until("the entry read", || async {
        let (_, page) = server.get("/api/v1/notifications", Some(&bob.access_token)).await;
        let items = page["items"].as_array()?.clone();
        items
            .iter()
            .any(|n| n["seq"] == again && n["chat_id"] == direct && n["read_at"].is_i64())
            .then_some(())
    })
    .await;
    // a deleted message: no email
    let secret = send(&server, &amy, team, "@bob secret").await;
    entries(&server, &bob, 7).await;
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{team}/messages/{secret}"),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    entries(&server, &bob, 6).await;
    run_jobs_due_before(&server, &boss, i64::MAX).await;
    assert_eq!(sink.messages().len(), 2, "{:?}", sink.messages().last());
}

async fn a_digest_and_one_click_unsubscribe(stack: Stack) {
    let sink = SmtpSink::start().await;
    let server = start(stack, &sink).await;
    let boss = admin(&server).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    // the digest half a day away, so it is not mistaken for anything due sooner
    let digest = (now_ms() / 60_000 + 12 * 60) % (24 * 60);
    let digest_at = format!("{:02}:{:02}", digest / 60, digest % 60);
    let settings =
        json!({"address": "bob@example.com", "unread_after_minutes": 0, "digest_at": digest_at, "time_zone": "UTC"});
    confirmed(&server, &sink, &bob, settings, 1).await;
    let waiting = email_jobs(&server, &boss, "ready").await;
    assert_eq!(waiting.len(), 1, "the digest: {waiting:?}");
    let due = waiting[0]["run_at"].as_i64().unwrap();
    assert!(
        (now_ms() + 11 * 3_600_000..now_ms() + 13 * 3_600_000).contains(&due),
        "{waiting:?}"
    );

    let team = group(&server, &amy, "Team", &[&bob]).await;
    send(&server, &amy, team, "@bob lunch?").await;
    entries(&server, &bob, 2).await;
    assert_eq!(email_jobs(&server, &boss, "ready").await.len(), 1, "no unread email");
    run_jobs_due_before(&server, &boss, i64::MAX).await;
    let mail = sink.wait_for(2).await.pop().unwrap();
    assert_eq!(mail["headers"]["subject"], "Your day in Hybrid: 2 unread", "{mail}");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("amy mentioned you in Team:\n  @bob lunch?"), "{text}");
    assert!(text.contains("amy added you to Team"), "{text}");
    // the next day's is queued
    let next = email_jobs(&server, &boss, "ready").await;
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(next[0]["run_at"].as_i64().unwrap(), due + 24 * 3_600_000);

    // unsubscribe: the page alone changes nothing; its POST (a mail client's) turns email off
    let link = mail["headers"]["list-unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>']);
    let (status, page) = open(&server, Method::Get, link).await;
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\""), "{page}");
    let (_, got) = server.get("/api/v1/notifications/email", Some(&bob.access_token)).await;
    assert_eq!(got["digest_at"], json!(digest_at));
    let (status, page) = open(&server, Method::Post, link).await;
    assert_eq!(status, 200, "{page}");
    let (_, got) = server.get("/api/v1/notifications/email", Some(&bob.access_token)).await;
    assert_eq!(
        (&got["unread_after_minutes"], got.get("digest_at"), &got["verified"]),
        (&json!(0), None, &json!(true)),
        "{got}"
    );
    // the digest queued before finds itself off, and sends nothing
    run_jobs_due_before(&server, &boss, i64::MAX).await;
    assert_eq!(sink.messages().len(), 2);
    let wrong = format!("{WEB_URL}/api/v1/notifications/email/unsubscribe?token=hun_nope");
    assert_eq!(open(&server, Method::Post, &wrong).await.0, 404);
}

async fn email_settings_refuse_what_cannot_work(stack: Stack) {
    let sink = SmtpSink::start().await;
    let server = start(stack, &sink).await;
    let bob = server.register("bob").await;
    let token = Some(bob.access_token.as_str());
    let path = "/api/v1/notifications/email";
    let (status, got) = server.get(path, token).await;
    assert_eq!(status, 200);
    assert_eq!(
        got,
        json!({"verified": false, "unread_after_minutes": 15, "time_zone": "UTC", "available": true})
    );
    for (bad, field) in [
        (json!({"address": "not an address"}), "address"),
        (
            json!({"address": "bob@example.com", "unread_after_minutes": 5000}),
            "unread_after_minutes",
        ),
        (json!({"address": "bob@example.com", "digest_at": "25:00"}), "digest_at"),
        (
            json!({"address": "bob@example.com", "time_zone": "Mars/Base"}),
            "time_zone",
        ),
    ] {
        let refused = server.request("PUT", path, token, Some(bad)).await;
        assert_error(&refused, 422, "validation_failed", Some(field));
    }
    let unknown = server
        .request(
            "PUT",
            path,
            token,
            Some(json!({"address": "b@example.com", "colour": 1})),
        )
        .await;
    assert_eq!(unknown.0, 422, "{}", unknown.1);
    // nothing to confirm yet; then five links an hour, a new address's included
    let resend = "/api/v1/notifications/email/confirmation";
    assert_error(
        &server.post(resend, token, json!({})).await,
        409,
        "nothing_to_verify",
        None,
    );
    let (status, _) = server
        .request("PUT", path, token, Some(json!({"address": "bob@example.com"})))
        .await;
    assert_eq!(status, 200);
    for _ in 0..4 {
        let (status, body) = server.post(resend, token, json!({})).await;
        assert_eq!(status, 204, "{body}");
    }
    assert_error(&server.post(resend, token, json!({})).await, 429, "rate_limited", None);
    let refused = server
        .request("PUT", path, token, Some(json!({"address": "other@example.com"})))
        .await;
    assert_error(&refused, 429, "rate_limited", None);
    let (_, got) = server.get(path, token).await;
    assert_eq!(got["address"], "bob@example.com", "a refused change changes nothing");
    // the same address again is not a new link
    let (status, _) = server
        .request(
            "PUT",
            path,
            token,
            Some(json!({"address": "bob@example.com", "unread_after_minutes": 30})),
        )
        .await;
    assert_eq!(status, 200);
    let mails = sink.wait_for(5).await;
    assert!(mails.iter().all(|m| m["rcpt_tos"] == json!(["bob@example.com"])));
    // a link that is not one
    let confirm = format!("{WEB_URL}/api/v1/notifications/email/confirm?token=hev_nope");
    assert_eq!(open(&server, Method::Get, &confirm).await.0, 404);
    // no address: no email, the settings go
    let (status, got) = server.request("PUT", path, token, Some(json!({}))).await;
    assert_eq!((status.as_u16(), got.get("address")), (200, None), "{got}");
    assert_error(&server.get(path, None).await, 401, "unauthorized", None);

    // a server without SMTP says so
    let plain = TestServer::start_with(&hybrid_binary(), stack, &[]).await;
    let ann = plain.register("ann").await;
    let (_, got) = plain.get(path, Some(&ann.access_token)).await;
    assert_eq!(got["available"], false, "{got}");
    let refused = plain
        .request(
            "PUT",
            path,
            Some(&ann.access_token),
            Some(json!({"address": "ann@example.com"})),
        )
        .await;
    assert_error(&refused, 409, "email_not_configured", None);
}
