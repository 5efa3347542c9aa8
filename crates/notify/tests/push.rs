//! Web Push end to end, on both stacks: a mention reaches each subscribed browser as a request
//! to its push endpoint (here a local one), encrypted for that browser and signed with the
//! server's VAPID key. The test decrypts with Python's `http_ece` and checks the signature with
//! `cryptography` (independent implementations, `hybrid_testkit::push_check`), and checks what the server does with the
//! endpoint's answers (410: the subscription goes), hidden content, a muted chat, bad input.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hybrid_testkit::{
    PASSWORD, Stack, TestServer, assert_error, hybrid_binary, push_check, stack_tests, until, user_from,
};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::{Value, json};

mod support;
use support::mail::{self, admin, confirmed, email_jobs, run_jobs_due_before};
use support::{direct_chat, group, now_ms, say as send};

stack_tests!(
    pushes_reach_browsers_encrypted_and_signed,
    a_device_in_use_gets_no_push,
    quiet_hours_send_no_push,
    an_endpoint_subscribed_again_serves_its_new_user,
    a_signed_out_device_gets_no_push,
    a_mention_reaches_every_channel_once
);

/// What the local push endpoint received: (browser, headers, body).
type Received = Arc<Mutex<Vec<(String, HashMap<String, String>, Vec<u8>)>>>;

/// A push service on 127.0.0.1: takes every push, but answers 410 for the browser `gone`.
async fn push_service() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/push/{browser}",
            axum::routing::post(
                |State(received): State<Received>,
                 Path(browser): Path<String>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    let headers = headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    let gone = browser == "gone";
                    received.lock().unwrap().push((browser, headers, body.to_vec()));
                    if gone { StatusCode::GONE } else { StatusCode::CREATED }
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (origin, received)
}

/// A browser's keys: its private key and the subscription JSON it would send.
struct Browser {
    private: SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new(seed: u8) -> Browser {
        let mut bytes = [seed; 32];
        bytes[0] = 1;
        Browser {
            private: SecretKey::from_slice(&bytes).unwrap(),
            auth: [seed; 16],
        }
    }

    fn subscription(&self, endpoint: &str, hide_content: bool) -> Value {
        let public = self.private.public_key().to_encoded_point(false);
        json!({
            "endpoint": endpoint,
            "keys": {"p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()), "auth": URL_SAFE_NO_PAD.encode(self.auth)},
            "hide_content": hide_content,
        })
    }
}

/// Decrypts a push body for `browser` and verifies its VAPID header, in Python: the payload
/// (parsed) and the token's claims and key.
fn open_in_python(browser: &Browser, authorization: &str, body: &[u8]) -> Value {
    let mut seen = push_check(&json!({
        "private": URL_SAFE_NO_PAD.encode(browser.private.to_bytes()),
        "auth": URL_SAFE_NO_PAD.encode(browser.auth),
        "body": URL_SAFE_NO_PAD.encode(body),
        "authorization": authorization,
    }));
    seen["payload"] = serde_json::from_str(seen["payload"].as_str().unwrap()).unwrap();
    seen
}

/// Waits until the endpoint has received `count` pushes in all; those pushes.
async fn received_until(received: &Received, count: usize) -> Vec<(String, HashMap<String, String>, Vec<u8>)> {
    until(&format!("{count} pushes"), || async {
        let all = received.lock().unwrap().clone();
        (all.len() >= count).then_some(all)
    })
    .await
}

/// Hybrid, allowed to reach the local push service.
async fn start(stack: Stack) -> TestServer {
    let env = [
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
        ("HYBRID_NOTIFY__VAPID_SUBJECT", "mailto:ops@example.com"),
    ];
    TestServer::start_with(&hybrid_binary(), stack, &env).await
}

async fn pushes_reach_browsers_encrypted_and_signed(stack: Stack) {
    let (origin, received) = push_service().await;
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let bob_token = Some(bob.access_token.as_str());
    let (_, key) = server.get("/api/v1/notifications/push/key", bob_token).await;
    let server_key = key["public_key"].as_str().unwrap().to_owned();
    assert_eq!(URL_SAFE_NO_PAD.decode(&server_key).unwrap().len(), 65, "{key}");

    let (_, chat) = server
        .post(
            "/api/v1/chats",
            Some(&amy.access_token),
            json!({"kind": "group", "title": "Team", "member_ids": [bob.id]}),
        )
        .await;
    let chat = chat["id"].as_i64().unwrap();
    until("bob's entry for being added", || async {
        let (_, page) = server.get("/api/v1/notifications", bob_token).await;
        (page["unread_count"] == 1).then_some(())
    })
    .await;

    // three browsers: one shows text, one hides it, one has unsubscribed at the push service
    let (shown, hidden, gone) = (Browser::new(3), Browser::new(5), Browser::new(7));
    let path = "/api/v1/notifications/push/subscriptions";
    for (browser, name, hide) in [
        (&shown, "shown", false),
        (&hidden, "hidden", true),
        (&gone, "gone", false),
    ] {
        let (status, sub) = server
            .post(
                path,
                bob_token,
                browser.subscription(&format!("{origin}/push/{name}"), hide),
            )
            .await;
        assert_eq!(status, 201, "{sub}");
        assert_eq!(sub["hide_content"], hide);
    }

    // mentioned: one push to each browser
    send(&server, &amy, chat, "hi @bob").await;
    let pushes = received_until(&received, 3).await;
    let browsers = [("shown", &shown), ("hidden", &hidden), ("gone", &gone)];
    for (name, headers, body) in &pushes {
        let browser = browsers.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(headers["content-encoding"], "aes128gcm");
        assert_eq!(headers["ttl"], "86400");
        let opened = open_in_python(browser, &headers["authorization"], body);
        assert_eq!(
            opened["k"],
            server_key.as_str(),
            "signed with the key browsers subscribed with"
        );
        assert_eq!(opened["claims"]["aud"], origin.as_str());
        assert_eq!(opened["claims"]["sub"], "mailto:ops@example.com");
        let payload = &opened["payload"];
        assert_eq!(
            (&payload["chat_id"], &payload["actor_id"]),
            (&json!(chat), &json!(amy.id)),
            "{payload}"
        );
        assert_eq!(
            (&payload["kind"], &headers["urgency"]),
            (&json!("mention"), &"high".to_owned())
        );
        match name.as_str() {
            "hidden" => assert!(payload.get("preview").is_none(), "{payload}"),
            _ => assert_eq!(payload["preview"], "hi @bob", "{payload}"),
        }
    }
    let mut names: Vec<&str> = pushes.iter().map(|(name, ..)| name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["gone", "hidden", "shown"], "one push to each browser");
    // the push service said the browser is gone: its subscription went
    until("the gone subscription to be dropped", || async {
        let (_, subs) = server.get(path, bob_token).await;
        (subs.as_array()?.len() == 2).then_some(())
    })
    .await;

    // a muted chat sends nothing; a direct message still does (to the two browsers left)
    let hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 3_600_000;
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/notifications/chats/{chat}"),
            bob_token,
            Some(json!({"level": "all", "muted_until": hour})),
        )
        .await;
    assert_eq!(status, 200);
    send(&server, &amy, chat, "@bob muted?").await;
    let direct = direct_chat(&server, &amy, &bob).await;
    send(&server, &amy, direct, "psst").await;
    let pushes = received_until(&received, 5).await;
    for (name, headers, body) in &pushes[3..] {
        let browser = browsers.iter().find(|(n, _)| n == name).unwrap().1;
        let payload = &open_in_python(browser, &headers["authorization"], body)["payload"];
        assert_eq!(
            payload["kind"], "direct_message",
            "{payload}: nothing from the muted chat"
        );
    }

    // bad subscriptions, someone else's, and the cap's error shape
    let bad = [
        (
            json!({"endpoint": "ftp://x", "keys": {"p256dh": "AA", "auth": "AA"}}),
            "endpoint",
        ),
        (Browser::new(9).subscription("https://push.example.com/x", false), ""),
    ];
    let mut broken = bad[1].0.clone();
    broken["keys"]["p256dh"] = json!("AAAA");
    assert_error(
        &server.post(path, bob_token, bad[0].0.clone()).await,
        422,
        "validation_failed",
        Some(bad[0].1),
    );
    assert_error(
        &server.post(path, bob_token, broken.clone()).await,
        422,
        "validation_failed",
        Some("keys.p256dh"),
    );
    broken["keys"] = Browser::new(9).subscription("x", false)["keys"].clone();
    broken["keys"]["auth"] = json!("AAAA");
    assert_error(
        &server.post(path, bob_token, broken).await,
        422,
        "validation_failed",
        Some("keys.auth"),
    );
    let (_, subs) = server.get(path, bob_token).await;
    let id = subs[0]["id"].as_i64().unwrap();
    let theirs = server
        .request("DELETE", &format!("{path}/{id}"), Some(&amy.access_token), None)
        .await;
    assert_error(&theirs, 404, "not_found", None);
    let (status, _) = server.request("DELETE", &format!("{path}/{id}"), bob_token, None).await;
    assert_eq!(status, 204);
}

async fn a_device_in_use_gets_no_push(stack: Stack) {
    let (origin, received) = push_service().await;
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    // bob on two devices: a laptop (this session, with a socket) and a phone (another login)
    let (status, phone) = server.login("bob", &bob.password, None).await;
    assert_eq!(status, 200, "{phone}");
    let path = "/api/v1/notifications/push/subscriptions";
    for (token, name, seed) in [
        (&bob.access_token, "laptop", 3),
        (&phone["access_token"].as_str().unwrap().to_owned(), "phone", 5),
    ] {
        let subscription = Browser::new(seed).subscription(&format!("{origin}/push/{name}"), false);
        let (status, sub) = server.post(path, Some(token), subscription).await;
        assert_eq!(status, 201, "{sub}");
    }
    let direct = direct_chat(&server, &amy, &bob).await;
    let mut laptop = server.ws(&bob).await;
    let focus = |focused: bool| json!({"type": "focus", "focused": focused});

    // the laptop is in front of bob: only the phone is pushed
    laptop.send(focus(true)).await;
    laptop.send(json!({"type": "ping"})).await;
    laptop.next_where(|f| f["type"] == "pong").await;
    send(&server, &amy, direct, "first").await;
    let pushes = received_until(&received, 1).await;
    assert_eq!(pushes[0].0, "phone");
    // no longer: both are
    laptop.send(focus(false)).await;
    laptop.send(json!({"type": "ping"})).await;
    laptop.next_where(|f| f["type"] == "pong").await;
    send(&server, &amy, direct, "second").await;
    let pushes = received_until(&received, 3).await;
    let laptop_pushes: Vec<Value> = pushes
        .iter()
        .filter(|(name, ..)| name == "laptop")
        .map(|(_, headers, body)| open_in_python(&Browser::new(3), &headers["authorization"], body)["payload"].clone())
        .collect();
    assert_eq!(laptop_pushes.len(), 1, "{laptop_pushes:?}");
    assert_eq!(laptop_pushes[0]["preview"], "second");
    // a closed socket lapses the focus too
    laptop.send(focus(true)).await;
    laptop.send(json!({"type": "ping"})).await;
    laptop.next_where(|f| f["type"] == "pong").await;
    drop(laptop);
    until("the laptop's push once its socket closed", || async {
        send(&server, &amy, direct, "third").await;
        let laptop = received
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, ..)| name == "laptop")
            .count();
        (laptop >= 2).then_some(())
    })
    .await;
}

async fn quiet_hours_send_no_push(stack: Stack) {
    let (origin, received) = push_service().await;
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let bob_token = Some(bob.access_token.as_str());
    let subscription = Browser::new(3).subscription(&format!("{origin}/push/phone"), false);
    let (status, _) = server
        .post("/api/v1/notifications/push/subscriptions", bob_token, subscription)
        .await;
    assert_eq!(status, 201);
    let direct = direct_chat(&server, &amy, &bob).await;

    // quiet from an hour ago to an hour from now, in UTC (wrapping past midnight if need be)
    let minute = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60) as i64;
    let hh_mm = |m: i64| format!("{:02}:{:02}", m.rem_euclid(1440) / 60, m.rem_euclid(60));
    let all = json!({"direct": "all", "group": "all", "channel": "all"});
    let quiet = json!({
        "quiet_hours": {"time_zone": "UTC", "from": hh_mm(minute - 60), "to": hh_mm(minute + 60)},
        "defaults": all,
    });
    let settings = "/api/v1/notifications/settings";
    let (status, got) = server.request("PUT", settings, bob_token, Some(quiet.clone())).await;
    assert_eq!((status.as_u16(), &got), (200, &quiet));
    assert_eq!(server.get(settings, bob_token).await.1, quiet);
    send(&server, &amy, direct, "shh").await;
    until("the entry in the list", || async {
        let (_, page) = server.get("/api/v1/notifications", bob_token).await;
        (page["items"][0]["preview"] == "shh").then_some(())
    })
    .await;

    // quiet no more: the next one is pushed, and only it
    let (status, got) = server
        .request("PUT", settings, bob_token, Some(json!({"quiet_hours": null})))
        .await;
    assert_eq!(
        (status.as_u16(), got),
        (200, json!({"quiet_hours": null, "defaults": all}))
    );
    send(&server, &amy, direct, "now").await;
    let pushes = received_until(&received, 1).await;
    let (_, headers, body) = &pushes[0];
    let payload = &open_in_python(&Browser::new(3), &headers["authorization"], body)["payload"];
    assert_eq!(payload["preview"], "now", "{payload}: nothing during quiet hours");
    assert_eq!(received.lock().unwrap().len(), 1);

    // what is not a time zone or a time of day
    for (bad, field) in [
        (
            json!({"time_zone": "Mars/Olympus", "from": "22:00", "to": "07:00"}),
            "time_zone",
        ),
        (json!({"time_zone": "UTC", "from": "25:00", "to": "07:00"}), "from"),
        (json!({"time_zone": "UTC", "from": "22:00", "to": "7"}), "to"),
    ] {
        let refused = server
            .request("PUT", settings, bob_token, Some(json!({"quiet_hours": bad})))
            .await;
        assert_error(&refused, 422, "validation_failed", Some(field));
    }
}

async fn an_endpoint_subscribed_again_serves_its_new_user(stack: Stack) {
    let (origin, received) = push_service().await;
    let server = start(stack).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    // one browser: bob used it, then amy signed in there and subscribed it
    let browser = Browser::new(3).subscription(&format!("{origin}/push/shared"), false);
    let path = "/api/v1/notifications/push/subscriptions";
    for user in [&bob, &amy] {
        let (status, sub) = server.post(path, Some(&user.access_token), browser.clone()).await;
        assert_eq!(status, 201, "{sub}");
    }
    assert_eq!(server.get(path, Some(&bob.access_token)).await.1, json!([]));
    // a message to bob is not pushed to amy's browser; one to amy is
    for (to, text) in [(&bob, "for bob"), (&amy, "for amy")] {
        let direct = direct_chat(&server, &cyd, to).await;
        send(&server, &cyd, direct, text).await;
    }
    let pushes = received_until(&received, 1).await;
    let (_, headers, body) = &pushes[0];
    let payload = &open_in_python(&Browser::new(3), &headers["authorization"], body)["payload"];
    assert_eq!(payload["preview"], "for amy", "{payload}");
}

async fn a_signed_out_device_gets_no_push(stack: Stack) {
    let (origin, received) = push_service().await;
    let server = start(stack).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    // bob's laptop (his first session) and phone (a second sign-in), each subscribed
    let (status, phone) = server.login("bob", PASSWORD, None).await;
    assert_eq!(status, 200, "{phone}");
    let phone = user_from(&phone, PASSWORD);
    let path = "/api/v1/notifications/push/subscriptions";
    for (user, browser, seed) in [(&bob, "laptop", 4), (&phone, "phone", 5)] {
        let subscription = Browser::new(seed).subscription(&format!("{origin}/push/{browser}"), false);
        let (status, sub) = server.post(path, Some(&user.access_token), subscription).await;
        assert_eq!(status, 201, "{sub}");
    }
    // the laptop signs out: it hears no more, and its subscription goes
    let (status, body) = server
        .post("/api/v1/auth/logout", Some(&bob.access_token), json!({}))
        .await;
    assert!(status.is_success(), "{body}");
    let direct = direct_chat(&server, &amy, &bob).await;
    send(&server, &amy, direct, "are you there?").await;
    until("the laptop's subscription dropped", || async {
        let (_, subs) = server.get(path, Some(&phone.access_token)).await;
        (subs.as_array()?.len() == 1).then_some(())
    })
    .await;
    let pushes = received_until(&received, 1).await;
    let browsers: Vec<&str> = pushes.iter().map(|(browser, _, _)| browser.as_str()).collect();
    assert_eq!(browsers, ["phone"]);
    let (_, subs) = server.get(path, Some(&phone.access_token)).await;
    assert!(subs[0]["endpoint"].as_str().unwrap().ends_with("/push/phone"), "{subs}");
}

/// The whole path at once: a mention of someone away gives one entry, one push
/// (decrypted by http_ece) and, after the delay, one email; a muted chat gives none; reading
/// the chat before the delay cancels the email; a deleted message's entry goes, and its email
/// with it.
async fn a_mention_reaches_every_channel_once(stack: Stack) {
    let (origin, received) = push_service().await;
    let sink = hybrid_testkit::SmtpSink::start().await;
    let env = [
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
        ("HYBRID_NOTIFY__VAPID_SUBJECT", "mailto:ops@example.com"),
    ];
    let server = mail::start_with(stack, &sink, &env).await;
    let boss = admin(&server).await;
    let [amy, bob, cyd] = [
        server.register("amy").await,
        server.register("bob").await,
        server.register("cyd").await,
    ];
    let bob_token = Some(bob.access_token.as_str());
    let team = group(&server, &amy, "Team", &[&bob]).await;
    let noise = group(&server, &cyd, "Noise", &[&bob]).await;
    let list = || async {
        let (_, page) = server.get("/api/v1/notifications", bob_token).await;
        page["items"].as_array().unwrap().clone()
    };
    // being added to both, before the browser subscribes
    until("two entries", || async { (list().await.len() == 2).then_some(()) }).await;
    let mute = json!({"muted_until": now_ms() + 3_600_000});
    let (status, _) = server
        .request(
            "PUT",
            &format!("/api/v1/notifications/chats/{noise}"),
            bob_token,
            Some(mute),
        )
        .await;
    assert_eq!(status, 200);
    let laptop = Browser::new(9);
    let subscription = laptop.subscription(&format!("{origin}/push/laptop"), false);
    let (status, _) = server
        .post("/api/v1/notifications/push/subscriptions", bob_token, subscription)
        .await;
    assert_eq!(status, 201);
    let settings = json!({"address": "bob@example.com", "unread_after_minutes": 10});
    confirmed(&server, &sink, &bob, settings, 1).await;
    let before = 2;

    send(&server, &cyd, noise, "@bob ignore me").await;
    send(&server, &amy, team, "@bob lunch at one?").await;
    let pushes = received_until(&received, 1).await;
    let (_, headers, body) = &pushes[0];
    let payload = &open_in_python(&laptop, &headers["authorization"], body)["payload"];
    assert_eq!(payload["preview"], "@bob lunch at one?", "{payload}");
    let entries = list().await;
    assert_eq!(entries.len(), before + 1, "one entry, none for the muted chat");
    let waiting = email_jobs(&server, &boss, "ready").await;
    assert_eq!(waiting.len(), 1, "one email waits: {waiting:?}");
    run_jobs_due_before(&server, &boss, i64::MAX).await;
    let mails = sink.wait_for(2).await;
    let text = mails[1]["text"].as_str().unwrap();
    assert!(
        text.contains("@bob lunch at one?") && !text.contains("ignore me"),
        "{text}"
    );

    // read on another device before the delay: no email; deleted: its entry goes, no email
    let read = send(&server, &amy, team, "@bob still on?").await;
    let (status, _) = server
        .post(&format!("/api/v1/chats/{team}/read"), bob_token, json!({"seq": read}))
        .await;
    assert_eq!(status, 200);
    let gone = send(&server, &amy, team, "@bob oops, wrong chat").await;
    until("the third entry", || async {
        (list().await.len() == before + 3).then_some(())
    })
    .await;
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/chats/{team}/messages/{gone}"),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    until("the deleted message's entry gone", || async {
        let entries = list().await;
        let read_one = entries.iter().find(|n| n["seq"] == read)?;
        (entries.len() == before + 2 && read_one["read_at"].is_i64()).then_some(())
    })
    .await;
    run_jobs_due_before(&server, &boss, i64::MAX).await;
    assert_eq!(sink.messages().len(), 2, "no email for what was read or deleted");
}
