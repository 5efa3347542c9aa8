//! The authorization matrix: every operation of the API reference (`/api/openapi.json`) is made
//! concrete by a fixture, then called by each kind of caller who must not reach it (a member
//! without the right, an ex-member, a banned user, a user the owner blocks, an outsider,
//! nobody) — each must get 401, 403 or 404 and an error body that shows nothing of the
//! resource — and last by one who may, which must succeed: the positive control, so a refusal
//! caused by a wrong id cannot pass. List answers (chat list, search, sync) are checked the
//! other way: those callers get an answer that leaves the resource out. An operation without
//! a fixture fails the test, so a new endpoint cannot skip it. Runs on the embedded stack:
//! the rules live in the services, not in the storage. The test-only example service runs
//! too, so the admin API has jobs to act on; the example's own routes are left out (they
//! exist to exercise the service kit and guard nothing).

use std::collections::BTreeMap;

use hybrid_testkit::{PASSWORD, SmtpSink, Stack, TestServer, TestUser, link_in, until, user_from};
use serde_json::{Value, json};
use totp_rs::Totp;

use crate::{create_user_by_cli, start_with};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// In the chat, without the right the operation needs (a group's plain member may post
    /// and invite, nothing more).
    Member,
    /// Was in the chat and left.
    ExMember,
    /// Was removed from the chat, which bans them.
    Banned,
    /// Blocked by the chat's owner, never in the chat.
    Blocked,
    /// Has an account, nothing to do with the resource.
    Outsider,
    /// No access token.
    Anonymous,
}

use Caller::*;

/// Refused: callers who are not in the chat.
const NON_MEMBERS: &[Caller] = &[ExMember, Banned, Blocked, Outsider, Anonymous];
/// Refused: those, and a member without the right.
const WITHOUT_THE_RIGHT: &[Caller] = &[Member, ExMember, Banned, Blocked, Outsider, Anonymous];
/// Refused: only callers without a token (the operation acts on the caller's own things).
const SIGNED_IN: &[Caller] = &[Anonymous];
/// Nobody is refused: the operation is public (login, registration, the token keys).
const PUBLIC: &[Caller] = &[];
/// Refused: everyone who is not an administrator (read from the database on each call).
const ADMINS_ONLY: &[Caller] = &[Member, Outsider, Anonymous];
/// Refused: everyone but the owner (automation objects, bots).
const OWNER_ONLY: &[Caller] = &[Outsider, Anonymous];
/// Answered, but without the resource: those who never were in the chat.
const STRANGERS: &[Caller] = &[Blocked, Outsider];

/// The text every fixture's chat and message carry: no refused answer may contain it.
const SECRET: &str = "matrixsecret";

/// One operation, made concrete.
struct Case {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// Bytes sent as they are instead of a JSON body (uploads).
    raw: Option<&'static [u8]>,
    headers: Vec<(&'static str, String)>,
    /// The token of the caller who may make the call; `None` for a public operation.
    allowed: Option<String>,
    refused: &'static [Caller],
    /// Callers answered with a list that must leave the resource out.
    hidden_from: &'static [Caller],
    /// The positive control's status when it cannot be a success here (see `owner_gets`).
    owner_gets: Option<u16>,
}

impl Case {
    fn new(method: &'static str, path: String, allowed: &TestUser, refused: &'static [Caller]) -> Case {
        Case {
            method,
            path,
            body: None,
            raw: None,
            headers: Vec::new(),
            allowed: Some(allowed.access_token.clone()),
            refused,
            hidden_from: &[],
            owner_gets: None,
        }
    }

    /// The owner's call must get this status instead of a success: for an operation whose
    /// success needs a service out of reach from tests (Telegram). A refusal caused by a wrong
    /// id still cannot pass: the status is the one only the resource's own state gives.
    fn owner_gets(mut self, status: u16) -> Case {
        self.owner_gets = Some(status);
        self
    }

    fn body(mut self, body: Value) -> Case {
        self.body = Some(body);
        self
    }

    fn hidden_from(mut self, callers: &'static [Caller]) -> Case {
        self.hidden_from = callers;
        self
    }

    fn raw(mut self, bytes: &'static [u8]) -> Case {
        self.raw = Some(bytes);
        self
    }

    fn header(mut self, name: &'static str, value: &str) -> Case {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// A tus request (resumable uploads): it must say the protocol's version.
    fn tus(self) -> Case {
        self.header("tus-resumable", "1.0.0")
    }

    fn public(method: &'static str, path: &str, body: Option<Value>) -> Case {
        Case {
            method,
            path: path.to_owned(),
            body,
            raw: None,
            headers: Vec::new(),
            allowed: None,
            refused: PUBLIC,
            hidden_from: &[],
            owner_gets: None,
        }
    }
}

/// The callers, and the owner of every fixture (an administrator).
struct World {
    server: TestServer,
    owner: TestUser,
    member: TestUser,
    member2: TestUser,
    ex_member: TestUser,
    banned: TestUser,
    blocked: TestUser,
    outsider: TestUser,
    /// Whom the positive controls add, ban or let in by link, so `outsider` stays a stranger.
    joiner: TestUser,
    /// Users made for operations that change their caller's account (password, sessions, 2FA).
    made: std::sync::atomic::AtomicUsize,
    /// Where notify's email goes: the links in it are the keys of its public operations.
    mail: SmtpSink,
}

/// A group as the fixtures need it: the owner, `member` and `member2` in it, `ex_member`
/// gone by themselves, `banned` removed, and one message of the owner's.
struct Group {
    id: i64,
    seq: i64,
}

impl World {
    async fn new() -> World {
        let mail = SmtpSink::start().await;
        let server = start_with(
            Stack::Embedded,
            &[
                ("HYBRID_AUTH__REGISTRATIONS_PER_IP_PER_HOUR", "1000"),
                ("HYBRID_CHATS__MAX_CHATS_CREATED_PER_DAY", "0"),
                ("HYBRID_SERVICES", "all,example"),
                ("HYBRID_NOTIFY__SMTP_URL", &mail.url),
                ("HYBRID_NOTIFY__WEB_URL", "http://hybrid.example"),
                // a press nobody answers ends at once
                ("HYBRID_BOTS__CALLBACK_WAIT_MS", "50"),
                // Telegram logins can start; "Telegram" is a closed local port
                ("HYBRID_AUTOMATION__TELEGRAM_API_ID", "1"),
                ("HYBRID_AUTOMATION__TELEGRAM_API_HASH", "matrix"),
                ("HYBRID_AUTOMATION__TELEGRAM_DC_ADDRESS", "127.0.0.1:1"),
            ],
        )
        .await;
        let output = create_user_by_cli(&server, "owner", true).await;
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let owner = login(&server, "owner").await;
        let world = World {
            member: server.register("member").await,
            member2: server.register("member_two").await,
            ex_member: server.register("ex_member").await,
            banned: server.register("banned").await,
            blocked: server.register("blocked").await,
            outsider: server.register("outsider").await,
            joiner: server.register("joiner").await,
            owner,
            server,
            made: Default::default(),
            mail,
        };
        world
            .expect(
                "PUT",
                &format!("/api/v1/users/{}/block", world.blocked.id),
                &world.owner,
                None,
            )
            .await;
        world
    }

    fn token(&self, caller: Caller) -> Option<&str> {
        let user = match caller {
            Member => &self.member,
            ExMember => &self.ex_member,
            Banned => &self.banned,
            Blocked => &self.blocked,
            Outsider => &self.outsider,
            Anonymous => return None,
        };
        Some(&user.access_token)
    }

    /// A call a fixture needs to succeed; its body.
    async fn expect(&self, method: &str, path: &str, user: &TestUser, body: Option<Value>) -> Value {
        let (status, answer) = self.server.request(method, path, Some(&user.access_token), body).await;
        assert!(status.is_success(), "fixture {method} {path}: {status} {answer}");
        answer
    }

    async fn group(&self) -> Group {
        let members = [&self.member, &self.member2, &self.ex_member, &self.banned].map(|u| u.id);
        let chat = self
            .expect(
                "POST",
                "/api/v1/chats",
                &self.owner,
                Some(json!({"kind": "group", "title": format!("{SECRET} group"), "member_ids": members})),
            )
            .await;
        let id = chat["id"].as_i64().unwrap();
        let chat_path = format!("/api/v1/chats/{id}");
        self.expect("POST", &format!("{chat_path}/leave"), &self.ex_member, None)
            .await;
        let removal = format!("{chat_path}/members/{}", self.banned.id);
        self.expect("DELETE", &removal, &self.owner, None).await;
        let message = self
            .expect(
                "POST",
                &format!("{chat_path}/messages"),
                &self.owner,
                Some(json!({"text": format!("{SECRET} message")})),
            )
            .await;
        Group {
            id,
            seq: message["seq"].as_i64().unwrap(),
        }
    }

    /// An invite link of the owner's to `group`.
    async fn invite_link(&self, group: &Group) -> String {
        let link = self
            .expect(
                "POST",
                &format!("/api/v1/chats/{}/invites", group.id),
                &self.owner,
                Some(json!({})),
            )
            .await;
        link["code"].as_str().unwrap().to_owned()
    }

    /// `joiner` asks to join `group` by a link that needs approval: their id.
    async fn join_request(&self, group: &Group) -> i64 {
        let link = self
            .expect(
                "POST",
                &format!("/api/v1/chats/{}/invites", group.id),
                &self.owner,
                Some(json!({"needs_approval": true})),
            )
            .await;
        let join = format!("/api/v1/invites/{}/join", link["code"].as_str().unwrap());
        let (status, pending) = self
            .server
            .request("POST", &join, Some(&self.joiner.access_token), None)
            .await;
        assert_eq!(status, 202, "fixture: a join request: {pending}");
        self.joiner.id
    }

    /// The id of a new job of the example's, waiting an hour to run.
    async fn job(&self) -> i64 {
        let notice = json!({"text": "later", "delay_ms": 3_600_000});
        self.expect("POST", "/api/v1/example/notice", &self.owner, Some(notice))
            .await;
        let jobs = self
            .expect(
                "GET",
                "/api/v1/admin/jobs/example?state=ready&limit=1",
                &self.owner,
                None,
            )
            .await;
        jobs["items"][0]["id"].as_i64().unwrap()
    }

    /// A file of the owner's, named and holding the secret, in a message of a new group: its
    /// id and the group (whose `seq` is that message).
    async fn attached_file(&self) -> (i64, Group) {
        let path = format!("/api/v1/files?name={SECRET}.txt");
        let file = self.expect("POST", &path, &self.owner, Some(json!(SECRET))).await;
        self.in_new_group(&file).await
    }

    /// A photo of the owner's, processed (so it has thumbnails), in a message of a new group.
    async fn attached_picture(&self) -> (i64, Group) {
        let photo = hybrid_media::fixtures::photo(400, 200, 1);
        let response = self
            .server
            .http
            .post(self.server.url(&format!("/api/v1/files?name={SECRET}.jpg")))
            .bearer_auth(&self.owner.access_token)
            .body(photo)
            .send()
            .await
            .unwrap();
        let (status, file) = hybrid_testkit::json_of(response).await;
        assert_eq!(status, 201, "fixture: a photo: {file}");
        let id = file["id"].as_i64().unwrap();
        hybrid_testkit::until("the photo to be processed", || async {
            let seen = self
                .expect("GET", &format!("/api/v1/files/{id}"), &self.owner, None)
                .await;
            (seen["media"]["state"] == "ready").then_some(())
        })
        .await;
        self.in_new_group(&file).await
    }

    /// Uploaded `file` sent by the owner in a new group: its id, and the group whose `seq` is
    /// that message.
    async fn in_new_group(&self, file: &Value) -> (i64, Group) {
        let mut group = self.group().await;
        let message = json!({"text": "", "attach": file["attach_token"]});
        let path = format!("/api/v1/chats/{}/messages", group.id);
        let sent = self.expect("POST", &path, &self.owner, Some(message)).await;
        group.seq = sent["seq"].as_i64().unwrap();
        (file["id"].as_i64().unwrap(), group)
    }

    /// A new resumable upload of 5 bytes by the owner: its path.
    async fn tus_upload(&self) -> String {
        let response = self
            .server
            .http
            .post(self.server.url("/api/v1/files/uploads"))
            .bearer_auth(&self.owner.access_token)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "5")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "fixture: a tus upload");
        let location = response.headers()["location"].to_str().unwrap();
        // the Location is absolute or from the root: keep the path
        let at = location.find("/api/").unwrap();
        location[at..].to_owned()
    }

    /// Makes `case`'s call as the holder of `token`.
    async fn send(&self, case: &Case, token: Option<&str>) -> (reqwest::StatusCode, Value) {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut request = self.server.http.request(method, self.server.url(&case.path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &case.headers {
            request = request.header(*name, value);
        }
        if let Some(raw) = case.raw {
            request = request.body(raw);
        } else if let Some(body) = &case.body {
            request = request.json(body);
        }
        hybrid_testkit::json_of(request.send().await.expect("request failed")).await
    }

    /// A new user, for operations that change their caller's own account.
    async fn fresh_user(&self) -> TestUser {
        let n = self.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.server.register(&format!("fresh_{n}")).await
    }

    /// A fresh user with an address waiting to be confirmed, and the link that confirms it.
    async fn confirmation_link(&self) -> (TestUser, String) {
        let user = self.fresh_user().await;
        let address = format!("{}@example.com", user.username);
        let settings = json!({"address": address, "unread_after_minutes": 1});
        self.expect("PUT", "/api/v1/notifications/email", &user, Some(settings))
            .await;
        let mail = self
            .mail_to(&address, "/api/v1/notifications/email/confirm?token=")
            .await;
        (user, mail)
    }

    /// The path of the first link under `prefix` in the first email to `address`.
    async fn mail_to(&self, address: &str, prefix: &str) -> String {
        let text = until(&format!("an email to {address}"), || async {
            let all = self.mail.messages();
            let mail = all.iter().find(|m| m["rcpt_tos"][0] == address)?;
            Some(mail["text"].as_str()?.to_owned())
        })
        .await;
        link_in(&text, prefix).to_owned()
    }

    /// The one-click unsubscribe link of an email about an unread direct message.
    async fn unsubscribe_link(&self) -> String {
        let (user, confirm) = self.confirmation_link().await;
        let (status, page) = self.server.get(&confirm, None).await;
        assert_eq!(status, 200, "{page}");
        let direct = self
            .expect(
                "POST",
                "/api/v1/chats",
                &self.owner,
                Some(json!({"kind": "direct", "user_id": user.id})),
            )
            .await;
        let path = format!("/api/v1/chats/{}/messages", direct["id"]);
        self.expect("POST", &path, &self.owner, Some(json!({"text": "hello"})))
            .await;
        // the email waits a minute for the message to be read: the admin API runs it now
        let jobs = "/api/v1/admin/jobs/notify?queue=notify-email&state=ready";
        let waiting = until("the unread email's job", || async {
            let page = self.expect("GET", jobs, &self.owner, None).await;
            let items = page["items"].as_array()?.clone();
            (!items.is_empty()).then_some(items)
        })
        .await;
        for job in waiting {
            let retry = format!("/api/v1/admin/jobs/notify/{}/retry", job["id"]);
            self.expect("POST", &retry, &self.owner, None).await;
        }
        let address = format!("{}@example.com", user.username);
        let link = until("the unread email", || async {
            let all = self.mail.messages();
            let mail = all
                .iter()
                .filter(|m| m["rcpt_tos"][0] == address.as_str())
                .find(|m| m["headers"].get("list-unsubscribe").is_some())?;
            Some(mail["headers"]["list-unsubscribe"].as_str()?.to_owned())
        })
        .await;
        link.trim_matches(['<', '>']).to_owned()
    }

    /// The operation `key` ("METHOD /api/v1/path/{param}") made concrete, or `None` when no
    /// fixture knows it.
    async fn case(&self, key: &str) -> Option<Case> {
        let (method, template) = key.split_once(' ').unwrap();
        let method: &'static str = match method {
            "GET" => "GET",
            "POST" => "POST",
            "PUT" => "PUT",
            "PATCH" => "PATCH",
            "DELETE" => "DELETE",
            "HEAD" => "HEAD",
            "OPTIONS" => "OPTIONS",
            other => panic!("unexpected method {other}: teach World::case and World::send it"),
        };
        let owner = &self.owner;
        if let Some(rest) = template.strip_prefix("/api/v1/chats/{chat_id}") {
            let group = self.group().await;
            let seq = group.seq;
            let path = |suffix: &str| format!("/api/v1/chats/{}{suffix}", group.id);
            let thumbs = "%F0%9F%91%8D"; // 👍
            let case = match (method, rest) {
                ("GET", "") => Case::new(method, path(""), owner, NON_MEMBERS),
                ("PATCH", "") => {
                    Case::new(method, path(""), owner, WITHOUT_THE_RIGHT).body(json!({"title": "renamed"}))
                }
                ("GET", "/bans") => Case::new(method, path("/bans"), owner, WITHOUT_THE_RIGHT),
                ("PUT", "/bans/{user_id}") => Case::new(
                    method,
                    path(&format!("/bans/{}", self.joiner.id)),
                    owner,
                    WITHOUT_THE_RIGHT,
                ),
                ("DELETE", "/bans/{user_id}") => Case::new(
                    method,
                    path(&format!("/bans/{}", self.banned.id)),
                    owner,
                    WITHOUT_THE_RIGHT,
                ),
                ("GET", "/invites") => Case::new(method, path("/invites"), owner, NON_MEMBERS),
                ("POST", "/invites") => Case::new(method, path("/invites"), owner, NON_MEMBERS).body(json!({})),
                ("DELETE", "/invites/{code}") => {
                    let code = self.invite_link(&group).await;
                    Case::new(method, path(&format!("/invites/{code}")), owner, WITHOUT_THE_RIGHT)
                }
                // a plain member may not edit the owner's link
                ("PATCH", "/invites/{code}") => {
                    let code = self.invite_link(&group).await;
                    Case::new(method, path(&format!("/invites/{code}")), owner, WITHOUT_THE_RIGHT)
                        .body(json!({"name": "renamed"}))
                }
                ("GET", "/join-requests") => {
                    self.join_request(&group).await;
                    Case::new(method, path("/join-requests"), owner, WITHOUT_THE_RIGHT)
                }
                ("POST", "/join-requests/{user_id}/approve") | ("POST", "/join-requests/{user_id}/decline") => {
                    let user = self.join_request(&group).await;
                    let decision = rest.rsplit('/').next().unwrap();
                    let path = path(&format!("/join-requests/{user}/{decision}"));
                    Case::new(method, path, owner, WITHOUT_THE_RIGHT)
                }
                // the owner must transfer first: a member leaves
                ("POST", "/leave") => Case::new(method, path("/leave"), &self.member2, NON_MEMBERS),
                ("GET", "/members") => Case::new(method, path("/members"), owner, NON_MEMBERS),
                ("POST", "/members") => {
                    Case::new(method, path("/members"), owner, NON_MEMBERS).body(json!({"user_ids": [self.joiner.id]}))
                }
                ("DELETE", "/members/{user_id}") => Case::new(
                    method,
                    path(&format!("/members/{}", self.member2.id)),
                    owner,
                    WITHOUT_THE_RIGHT,
                ),
                ("PATCH", "/members/{user_id}") => Case::new(
                    method,
                    path(&format!("/members/{}", self.member2.id)),
                    owner,
                    WITHOUT_THE_RIGHT,
                )
                .body(json!({"role": "admin"})),
                ("GET", "/messages") => Case::new(method, path("/messages"), owner, NON_MEMBERS),
                ("POST", "/messages") => {
                    Case::new(method, path("/messages"), owner, NON_MEMBERS).body(json!({"text": "hi"}))
                }
                ("DELETE", "/messages/{seq}") => {
                    Case::new(method, path(&format!("/messages/{seq}")), owner, WITHOUT_THE_RIGHT)
                }
                ("PATCH", "/messages/{seq}") => {
                    Case::new(method, path(&format!("/messages/{seq}")), owner, WITHOUT_THE_RIGHT)
                        .body(json!({"text": "edited"}))
                }
                ("GET", "/messages/{seq}/reactions") => {
                    Case::new(method, path(&format!("/messages/{seq}/reactions")), owner, NON_MEMBERS)
                }
                ("PUT", "/messages/{seq}/reactions/{emoji}") => Case::new(
                    method,
                    path(&format!("/messages/{seq}/reactions/{thumbs}")),
                    owner,
                    NON_MEMBERS,
                ),
                ("DELETE", "/messages/{seq}/reactions/{emoji}") => {
                    let reaction = path(&format!("/messages/{seq}/reactions/{thumbs}"));
                    self.expect("PUT", &reaction, owner, None).await;
                    Case::new(method, reaction, owner, NON_MEMBERS)
                }
                ("GET", "/pins") => Case::new(method, path("/pins"), owner, NON_MEMBERS),
                ("PUT", "/pins/{seq}") => Case::new(method, path(&format!("/pins/{seq}")), owner, WITHOUT_THE_RIGHT),
                ("DELETE", "/pins/{seq}") => {
                    let pin = path(&format!("/pins/{seq}"));
                    self.expect("PUT", &pin, owner, None).await;
                    Case::new(method, pin, owner, WITHOUT_THE_RIGHT)
                }
                ("POST", "/read") => Case::new(method, path("/read"), owner, NON_MEMBERS).body(json!({"seq": seq})),
                ("POST", "/transfer") => Case::new(method, path("/transfer"), owner, WITHOUT_THE_RIGHT)
                    .body(json!({"user_id": self.member2.id})),
                ("POST", "/typing") => Case::new(method, path("/typing"), owner, NON_MEMBERS),
                ("POST", "/messages/{seq}/callback") => {
                    // a bot's message with a button, in the group
                    let (bot_id, token) = self.bot().await;
                    let members = format!("/api/v1/chats/{}/members", group.id);
                    self.expect("POST", &members, owner, Some(json!({"user_ids": [bot_id]})))
                        .await;
                    let keyboard = json!({"inline_keyboard": [[{"text": "Press", "callback_data": "press"}]]});
                    let send = json!({"chat_id": -(1_000_000_000_000 + group.id), "text": "buttons", "reply_markup": keyboard});
                    let response = self
                        .server
                        .http
                        .post(self.server.url(&format!("/bot{token}/sendMessage")))
                        .json(&send)
                        .send()
                        .await
                        .unwrap();
                    let (status, sent) = hybrid_testkit::json_of(response).await;
                    assert_eq!(status, 200, "fixture: a bot's message: {sent}");
                    let path = format!(
                        "/api/v1/chats/{}/messages/{}/callback",
                        group.id, sent["result"]["message_id"]
                    );
                    Case::new(method, path, owner, NON_MEMBERS).body(json!({"data": "press"}))
                }
                _ => return None,
            };
            return Some(case);
        }
        let case = match (method, template) {
            // lists: answered to everyone signed in, without what is not theirs
            ("GET", "/api/v1/chats") => {
                self.group().await;
                Case::new(method, "/api/v1/chats".into(), owner, SIGNED_IN)
                    .hidden_from(&[ExMember, Banned, Blocked, Outsider])
            }
            ("GET", "/api/v1/search/messages") => {
                self.group().await;
                let path = format!("/api/v1/search/messages?q={SECRET}");
                Case::new(method, path, owner, SIGNED_IN).hidden_from(&[ExMember, Banned, Blocked, Outsider])
            }
            ("POST", "/api/v1/sync") => {
                self.group().await;
                // ex-members and the banned were added once: their own log says so, by title
                Case::new(method, "/api/v1/sync".into(), owner, SIGNED_IN)
                    .body(json!({}))
                    .hidden_from(STRANGERS)
            }
            // a direct chat with someone who blocks you cannot be opened
            ("POST", "/api/v1/chats") => Case::new(method, "/api/v1/chats".into(), &self.member, &[Blocked, Anonymous])
                .body(json!({"kind": "direct", "user_id": owner.id})),
            ("GET", "/api/v1/invites/{code}") => {
                let code = self.invite_link(&self.group().await).await;
                Case::new(method, format!("/api/v1/invites/{code}"), &self.joiner, SIGNED_IN)
            }
            ("POST", "/api/v1/invites/{code}/join") => {
                let code = self.invite_link(&self.group().await).await;
                Case::new(
                    method,
                    format!("/api/v1/invites/{code}/join"),
                    &self.joiner,
                    &[Banned, Anonymous],
                )
            }
            ("GET", "/api/v1/realtime/presence") => Case::new(
                method,
                format!("/api/v1/realtime/presence?user_ids={}", owner.id),
                &self.member,
                SIGNED_IN,
            ),
            ("GET", "/api/v1/users/by-username/{username}") => Case::new(
                method,
                "/api/v1/users/by-username/owner".into(),
                &self.member,
                SIGNED_IN,
            ),
            ("GET", "/api/v1/users/me") | ("GET", "/api/v1/users/me/blocks") | ("GET", "/api/v1/users/me/privacy") => {
                Case::new(method, template.into(), owner, SIGNED_IN)
            }
            ("PUT", "/api/v1/users/me/privacy") => {
                Case::new(method, template.into(), &self.member, SIGNED_IN).body(json!({"add_to_groups": "everyone"}))
            }
            ("PATCH", "/api/v1/users/me") => {
                Case::new(method, template.into(), &self.member, SIGNED_IN).body(json!({"display_name": "Member"}))
            }
            ("GET", "/api/v1/users/search") => Case::new(
                method,
                "/api/v1/users/search?prefix=own".into(),
                &self.member,
                SIGNED_IN,
            ),
            ("GET", "/api/v1/users/{id}") => {
                Case::new(method, format!("/api/v1/users/{}", owner.id), &self.member, SIGNED_IN)
            }
            ("PUT", "/api/v1/users/{id}/block") => Case::new(
                method,
                format!("/api/v1/users/{}/block", self.member2.id),
                &self.member,
                SIGNED_IN,
            ),
            ("DELETE", "/api/v1/users/{id}/block") => {
                let path = format!("/api/v1/users/{}/block", self.member2.id);
                self.expect("PUT", &path, &self.member, None).await;
                Case::new(method, path, &self.member, SIGNED_IN)
            }
            // files: the owner's own, and others' through a message that carries the file
            ("POST", "/api/v1/files") => {
                Case::new(method, "/api/v1/files?name=note.txt".into(), owner, SIGNED_IN).raw(b"hello")
            }
            ("GET", "/api/v1/files") => {
                self.attached_file().await;
                Case::new(method, template.into(), owner, SIGNED_IN).hidden_from(&[Member, Outsider])
            }
            ("GET", "/api/v1/files/usage") => Case::new(method, template.into(), &self.member, SIGNED_IN),
            ("GET", "/api/v1/files/{id}")
            | ("GET", "/api/v1/files/{id}/content")
            | ("POST", "/api/v1/files/{id}/link") => {
                let (id, group) = self.attached_file().await;
                let path = template.replace("{id}", &id.to_string());
                let via = format!("{path}?chat_id={}&seq={}", group.id, group.seq);
                Case::new(method, via, &self.member, NON_MEMBERS)
            }
            // a member may read it through the message, but not delete it
            ("DELETE", "/api/v1/files/{id}") => {
                let (id, _) = self.attached_file().await;
                let refused = &[Member, Outsider, Anonymous];
                Case::new(method, format!("/api/v1/files/{id}"), owner, refused)
            }
            ("GET", "/api/v1/files/{id}/thumbnails/{name}") => {
                let (id, group) = self.attached_picture().await;
                let path = format!(
                    "/api/v1/files/{id}/thumbnails/320.webp?chat_id={}&seq={}",
                    group.id, group.seq
                );
                Case::new(method, path, &self.member, NON_MEMBERS)
            }
            ("GET", "/api/v1/files/links/{id}") => {
                let (id, _) = self.attached_file().await;
                let link = self
                    .expect("POST", &format!("/api/v1/files/{id}/link"), owner, None)
                    .await;
                Case::public(method, link["url"].as_str().unwrap(), None)
            }
            ("OPTIONS", "/api/v1/files/uploads") => Case::public(method, template, None),
            ("POST", "/api/v1/files/uploads") => Case::new(method, template.into(), owner, SIGNED_IN)
                .tus()
                .header("upload-length", "5"),
            ("HEAD", "/api/v1/files/uploads/{id}")
            | ("PATCH", "/api/v1/files/uploads/{id}")
            | ("DELETE", "/api/v1/files/uploads/{id}") => {
                let case = Case::new(method, self.tus_upload().await, owner, &[Member, Outsider, Anonymous]).tus();
                if method == "PATCH" {
                    case.header("upload-offset", "0")
                        .header("content-type", "application/offset+octet-stream")
                        .raw(b"hello")
                } else {
                    case
                }
            }
            // auth: public operations, then the caller's own account
            ("GET", "/api/v1/auth/jwks") => Case::public(method, template, None),
            ("POST", "/api/v1/auth/login") => Case::public(
                method,
                template,
                Some(json!({"username": "member", "password": PASSWORD})),
            ),
            ("POST", "/api/v1/auth/register") => Case::public(
                method,
                template,
                Some(json!({"username": "newcomer", "password": PASSWORD})),
            ),
            ("POST", "/api/v1/auth/refresh") => {
                let user = self.fresh_user().await;
                Case::public(method, template, Some(json!({"refresh_token": user.refresh_token})))
            }
            ("GET", "/api/v1/auth/account") | ("GET", "/api/v1/auth/sessions") => {
                Case::new(method, template.into(), &self.member, SIGNED_IN)
            }
            // administrators only, read from the database on each call
            ("POST", "/api/v1/auth/invites") => {
                Case::new(method, template.into(), owner, &[Member, Anonymous]).body(json!({}))
            }
            ("GET", "/api/v1/admin/jobs") => Case::new(method, template.into(), owner, ADMINS_ONLY),
            ("GET", "/api/v1/admin/jobs/{module}") => {
                self.job().await;
                Case::new(method, "/api/v1/admin/jobs/example".into(), owner, ADMINS_ONLY)
            }
            ("GET", "/api/v1/admin/jobs/{module}/{id}")
            | ("POST", "/api/v1/admin/jobs/{module}/{id}/retry")
            | ("POST", "/api/v1/admin/jobs/{module}/{id}/cancel") => {
                let path = template
                    .replace("{module}", "example")
                    .replace("{id}", &self.job().await.to_string());
                Case::new(method, path, owner, ADMINS_ONLY)
            }
            ("POST", "/api/v1/auth/logout") | ("POST", "/api/v1/auth/sessions/revoke-others") => {
                Case::new(method, template.into(), &self.fresh_user().await, SIGNED_IN)
            }
            ("POST", "/api/v1/auth/password") => {
                Case::new(method, template.into(), &self.fresh_user().await, SIGNED_IN)
                    .body(json!({"current_password": PASSWORD, "new_password": "another long password"}))
            }
            ("DELETE", "/api/v1/auth/sessions/{id}") => {
                let other = login(&self.server, "member").await;
                let path = format!("/api/v1/auth/sessions/{}", other.session_id);
                Case::new(method, path, &self.member, &[Outsider, Anonymous])
            }
            // notifications: one's own list, settings and browsers; a chat's setting for members
            ("GET", "/api/v1/notifications")
            | ("GET", "/api/v1/notifications/chats")
            | ("GET", "/api/v1/notifications/push/key")
            | ("GET", "/api/v1/notifications/push/subscriptions")
            | ("GET", "/api/v1/notifications/settings") => Case::new(method, template.into(), owner, SIGNED_IN),
            ("GET", "/api/v1/notifications/webhooks") => Case::new(method, template.into(), owner, SIGNED_IN),
            ("POST", "/api/v1/notifications/webhooks") => Case::new(method, template.into(), owner, SIGNED_IN)
                .body(json!({"url": "http://127.0.0.1:9/matrix-new"})),
            ("DELETE", "/api/v1/notifications/webhooks/{id}")
            | ("POST", "/api/v1/notifications/webhooks/{id}/enable")
            | ("GET", "/api/v1/notifications/webhooks/{id}/deliveries") => {
                let hooks = "/api/v1/notifications/webhooks";
                let made = self
                    .expect("POST", hooks, owner, Some(json!({"url": "http://127.0.0.1:9/matrix"})))
                    .await;
                let path = template.replace("{id}", &made["id"].to_string());
                let case = Case::new(method, path, owner, &[Outsider, Anonymous]);
                if method == "POST" { case.body(json!({})) } else { case }
            }
            ("GET", "/api/v1/notifications/email") => Case::new(method, template.into(), owner, SIGNED_IN),
            ("PUT", "/api/v1/notifications/email") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({"address": "owner@example.com"}))
            }
            ("POST", "/api/v1/notifications/email/confirmation") => {
                let user = self.fresh_user().await;
                let address = json!({"address": format!("{}@example.com", user.username)});
                self.expect("PUT", "/api/v1/notifications/email", &user, Some(address))
                    .await;
                Case::new(method, template.into(), &user, SIGNED_IN).body(json!({}))
            }
            // the links in email: the token is the key, whoever opens them
            ("GET", "/api/v1/notifications/email/confirm") => {
                let (_, link) = self.confirmation_link().await;
                Case::public(method, link.trim_start_matches("http://hybrid.example"), None)
            }
            ("GET", "/api/v1/notifications/email/unsubscribe")
            | ("POST", "/api/v1/notifications/email/unsubscribe") => {
                let link = self.unsubscribe_link().await;
                Case::public(method, link.trim_start_matches("http://hybrid.example"), None)
            }
            ("POST", "/api/v1/notifications/read") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({}))
            }
            ("PUT", "/api/v1/notifications/settings") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({"quiet_hours": null}))
            }
            ("POST", "/api/v1/notifications/push/subscriptions") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(push_subscription("matrix-new"))
            }
            ("DELETE", "/api/v1/notifications/push/subscriptions/{id}") => {
                let path = "/api/v1/notifications/push/subscriptions";
                let made = self
                    .expect("POST", path, owner, Some(push_subscription("matrix-delete")))
                    .await;
                Case::new(method, format!("{path}/{}", made["id"]), owner, &[Outsider, Anonymous])
            }
            ("GET", "/api/v1/notifications/chats/{chat_id}") | ("PUT", "/api/v1/notifications/chats/{chat_id}") => {
                let path = format!("/api/v1/notifications/chats/{}", self.group().await.id);
                let case = Case::new(method, path, owner, NON_MEMBERS);
                if method == "PUT" {
                    case.body(json!({"level": "mentions"}))
                } else {
                    case
                }
            }
            ("POST", "/api/v1/auth/totp/setup") => {
                Case::new(method, template.into(), &self.fresh_user().await, SIGNED_IN)
                    .body(json!({"password": PASSWORD}))
            }
            ("POST", "/api/v1/auth/totp/confirm") | ("POST", "/api/v1/auth/totp/disable") => {
                let user = self.fresh_user().await;
                let setup = self
                    .expect(
                        "POST",
                        "/api/v1/auth/totp/setup",
                        &user,
                        Some(json!({"password": PASSWORD})),
                    )
                    .await;
                let totp = Totp::from_url(setup["otpauth_uri"].as_str().unwrap()).unwrap();
                // this step's code and the next one's (the server accepts one step of skew),
                // taken at one instant so the second is newer than the first
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                let (this_step, next_step) = (totp.generate(now), totp.generate(now + 30));
                if template.ends_with("confirm") {
                    Case::new(method, template.into(), &user, SIGNED_IN).body(json!({"code": this_step.to_string()}))
                } else {
                    let confirm = json!({"code": this_step.to_string()});
                    self.expect("POST", "/api/v1/auth/totp/confirm", &user, Some(confirm))
                        .await;
                    Case::new(method, template.into(), &user, SIGNED_IN)
                        .body(json!({"password": PASSWORD, "code": next_step.to_string()}))
                }
            }
            ("GET", "/api/v1/bots") => Case::new(method, template.into(), owner, SIGNED_IN),
            ("POST", "/api/v1/bots") => {
                let n = self.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Case::new(method, template.into(), owner, SIGNED_IN)
                    .body(json!({"username": format!("matrix_{n}_bot"), "name": "Matrix"}))
            }
            ("GET", "/api/v1/bots/{id}")
            | ("PATCH", "/api/v1/bots/{id}")
            | ("DELETE", "/api/v1/bots/{id}")
            | ("POST", "/api/v1/bots/{id}/token") => {
                let (id, _) = self.bot().await;
                let case = Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY);
                match method {
                    "PATCH" => case.body(json!({"name": "Renamed"})),
                    "POST" => case.body(json!({})),
                    _ => case,
                }
            }
            ("GET", "/api/v1/bots/{id}/commands") => {
                let (id, _) = self.bot().await;
                Case::new(method, template.replace("{id}", &id.to_string()), owner, SIGNED_IN)
            }
            // automation objects are their owner's alone
            ("GET", "/api/v1/automation/accounts")
            | ("GET", "/api/v1/automation/audiences")
            | ("GET", "/api/v1/automation/campaigns")
            | ("GET", "/api/v1/automation/parses") => {
                self.automation_audience().await;
                Case::new(method, template.into(), owner, SIGNED_IN).hidden_from(&[Outsider])
            }
            ("POST", "/api/v1/automation/accounts") => Case::new(method, template.into(), owner, SIGNED_IN)
                .body(json!({"name": "Matrix", "connector": "hybrid", "token": self.fresh_user().await.access_token})),
            ("POST", "/api/v1/automation/audiences") => Case::new(method, template.into(), owner, SIGNED_IN)
                .body(json!({"name": "Matrix", "text": "@somebody"})),
            ("POST", "/api/v1/automation/campaigns") => {
                let body = self.campaign_body().await;
                Case::new(method, template.into(), owner, SIGNED_IN).body(body)
            }
            ("POST", "/api/v1/automation/parses") => {
                let body = self.parse_body().await;
                Case::new(method, template.into(), owner, SIGNED_IN).body(body)
            }
            _ if template.starts_with("/api/v1/automation/parses/{id}") => {
                let body = self.parse_body().await;
                let parse = self
                    .expect("POST", "/api/v1/automation/parses", owner, Some(body))
                    .await;
                let path = template.replace("{id}", &parse["id"].to_string());
                Case::new(method, path, owner, OWNER_ONLY)
            }
            // the content pipeline: books and posts are their owner's alone
            ("GET", "/api/v1/automation/sources") | ("GET", "/api/v1/automation/posts") => {
                self.content_post().await;
                Case::new(method, template.into(), owner, SIGNED_IN).hidden_from(&[Outsider])
            }
            ("POST", "/api/v1/automation/sources") => {
                let file = self
                    .expect("POST", "/api/v1/files?name=book.txt", owner, Some(json!("A book.")))
                    .await;
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({"file_id": file["id"]}))
            }
            ("POST", "/api/v1/automation/sources/{id}/posts") => {
                let id = self.content_source().await;
                // not summarised yet: the owner's call gets past the lookup to the book's state
                Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY)
                    .body(json!({}))
                    .owner_gets(409)
            }
            _ if template.starts_with("/api/v1/automation/sources/{id}") => {
                let id = self.content_source().await;
                let case = Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY);
                if method == "PATCH" {
                    case.body(json!({"name": "Renamed"}))
                } else {
                    case
                }
            }
            _ if template.starts_with("/api/v1/automation/posts/{id}") => {
                let id = self.content_post().await;
                let case = Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY);
                if method == "PATCH" {
                    case.body(json!({"state": "approved"}))
                } else {
                    case
                }
            }
            ("GET", "/api/v1/automation/content/settings") => Case::new(method, template.into(), owner, SIGNED_IN),
            ("PATCH", "/api/v1/automation/content/settings") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({"requests_per_minute": 30}))
            }
            // public, keyed by the hook's address and secret
            ("POST", "/api/v1/automation/inbound/{hook}") => {
                let body = self.campaign_body().await;
                let campaign = self
                    .expect("POST", "/api/v1/automation/campaigns", owner, Some(body))
                    .await;
                let opened = format!("/api/v1/automation/campaigns/{}/inbound", campaign["id"]);
                let hook = self.expect("POST", &opened, owner, None).await;
                let contact = json!({"contact": format!("@{}", self.fresh_user().await.username)});
                Case::public(method, hook["path"].as_str().unwrap(), Some(contact))
                    .header("x-hybrid-token", hook["secret"].as_str().unwrap())
            }
            ("POST", "/api/v1/automation/logins") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({"name": "Matrix"}))
            }
            _ if template.starts_with("/api/v1/automation/logins/{id}") => {
                let login = self
                    .expect(
                        "POST",
                        "/api/v1/automation/logins",
                        owner,
                        Some(json!({"name": "Matrix"})),
                    )
                    .await;
                let case = Case::new(
                    method,
                    template.replace("{id}", &login["id"].to_string()),
                    owner,
                    OWNER_ONLY,
                );
                if method == "POST" {
                    // the password: with Telegram out of reach the login never asks for one, so
                    // the owner's call gets past the lookup to the login's state
                    case.body(json!({"password": "secret"})).owner_gets(409)
                } else {
                    case
                }
            }
            ("POST", "/api/v1/automation/accounts/{id}/posts") => {
                let (id, chat) = self.automation_account_in_group().await;
                let path = format!("/api/v1/automation/accounts/{id}/posts");
                Case::new(method, path, owner, OWNER_ONLY).body(json!({"chat_id": chat, "text": "matrix post"}))
            }
            _ if template.starts_with("/api/v1/automation/accounts/{id}") => {
                let id = self.automation_account().await;
                let case = Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY);
                if method == "PATCH" {
                    case.body(json!({"daily_limit": 10}))
                } else {
                    case
                }
            }
            _ if template.starts_with("/api/v1/automation/audiences/{id}") => {
                let id = self.automation_audience().await;
                let case = Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY);
                if method == "POST" {
                    case.body(json!({"text": "@someone_else"}))
                } else {
                    case
                }
            }
            _ if template.starts_with("/api/v1/automation/campaigns/{id}") => {
                let body = self.campaign_body().await;
                let campaign = self
                    .expect("POST", "/api/v1/automation/campaigns", owner, Some(body))
                    .await;
                let id = campaign["id"].as_i64().unwrap();
                // each action must find the campaign in a state it acts on
                let before: &[&str] = match (method, template.rsplit('/').next().unwrap()) {
                    ("POST", "resume") => &["pause"],
                    ("DELETE", _) => &["cancel"],
                    _ => &[],
                };
                for action in before {
                    self.expect(
                        "POST",
                        &format!("/api/v1/automation/campaigns/{id}/{action}"),
                        owner,
                        None,
                    )
                    .await;
                }
                Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY)
            }
            // autopost schedules and their log, statistics and alerts are their owner's alone
            ("GET", "/api/v1/automation/schedules") => {
                self.schedule().await;
                Case::new(method, template.into(), owner, SIGNED_IN).hidden_from(&[Outsider])
            }
            ("POST", "/api/v1/automation/schedules") => {
                let body = self.schedule_body().await;
                Case::new(method, template.into(), owner, SIGNED_IN).body(body)
            }
            ("POST", "/api/v1/automation/schedules/{id}/publish") => {
                let (id, draft) = (self.schedule().await, self.content_post().await);
                // a draft: the owner's call gets past the lookup to the post's state
                Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY)
                    .body(json!({"post_id": draft}))
                    .owner_gets(409)
            }
            _ if template.starts_with("/api/v1/automation/schedules/{id}") => {
                let id = self.schedule().await;
                if template.ends_with("/start") {
                    let stop = format!("/api/v1/automation/schedules/{id}/stop");
                    self.expect("POST", &stop, owner, None).await;
                }
                let case = Case::new(method, template.replace("{id}", &id.to_string()), owner, OWNER_ONLY);
                match method {
                    "PATCH" => case.body(json!({"name": "Renamed"})),
                    "POST" => case.body(json!({})),
                    _ => case,
                }
            }
            ("POST", "/api/v1/automation/publications/{id}/republish") => {
                let schedule = self.schedule().await;
                let post = self.content_post().await;
                let approve = json!({"state": "approved"});
                self.expect(
                    "PATCH",
                    &format!("/api/v1/automation/posts/{post}"),
                    owner,
                    Some(approve),
                )
                .await;
                let publish = format!("/api/v1/automation/schedules/{schedule}/publish");
                let made = self
                    .expect("POST", &publish, owner, Some(json!({"post_id": post})))
                    .await;
                Case::new(
                    method,
                    template.replace("{id}", &made["id"].to_string()),
                    owner,
                    OWNER_ONLY,
                )
                .body(json!({}))
            }
            ("GET", "/api/v1/automation/stats")
            | ("GET", "/api/v1/automation/stats/export")
            | ("GET", "/api/v1/automation/alerts")
            | ("GET", "/api/v1/automation/alerts/settings") => Case::new(method, template.into(), owner, SIGNED_IN),
            ("PATCH", "/api/v1/automation/alerts/settings") => {
                Case::new(method, template.into(), owner, SIGNED_IN).body(json!({"min_interval_secs": 60}))
            }
            // no chat set: the owner's call gets past authentication to the settings
            ("POST", "/api/v1/automation/alerts/test") => Case::new(method, template.into(), owner, SIGNED_IN)
                .body(json!({}))
                .owner_gets(422),
            // the matrix server's clock is the machine's: an administrator's move is refused
            ("GET", "/api/v1/admin/clock") => Case::new(method, template.into(), owner, ADMINS_ONLY),
            ("POST", "/api/v1/admin/clock") => Case::new(method, template.into(), owner, ADMINS_ONLY)
                .body(json!({"advance_ms": 1000}))
                .owner_gets(409),
            _ => return None,
        };
        Some(case)
    }

    /// A running autopost schedule of the owner's, posting to a new group: its id.
    async fn schedule(&self) -> i64 {
        let body = self.schedule_body().await;
        let schedule = self
            .expect("POST", "/api/v1/automation/schedules", &self.owner, Some(body))
            .await;
        schedule["id"].as_i64().unwrap()
    }

    /// A schedule's body: a new account of the owner's posting to a new group it is in.
    async fn schedule_body(&self) -> Value {
        let (account, chat) = self.automation_account_in_group().await;
        json!({"name": format!("{SECRET} schedule"), "timezone": "Europe/Moscow", "times": ["09:00"],
               "targets": [{"account_id": account, "chat_id": chat}]})
    }

    /// A book of the owner's, read (one short block holding the secret): its id.
    async fn content_source(&self) -> i64 {
        let path = format!("/api/v1/files?name={SECRET}.txt");
        let text = format!("{SECRET} book. It has two sentences.");
        let file = self.expect("POST", &path, &self.owner, Some(json!(text))).await;
        let body = json!({"file_id": file["id"], "name": format!("{SECRET} book")});
        let source = self
            .expect("POST", "/api/v1/automation/sources", &self.owner, Some(body))
            .await;
        let path = format!("/api/v1/automation/sources/{}", source["id"]);
        let read = until("the book read", || async {
            let read = self.expect("GET", &path, &self.owner, None).await;
            (read["state"] != "extracting").then_some(read)
        })
        .await;
        assert_eq!(read["state"], "ready", "fixture: a book read: {read}");
        source["id"].as_i64().unwrap()
    }

    /// A post of the owner's, from a book summarised offline: its id.
    async fn content_post(&self) -> i64 {
        let source = self.content_source().await;
        let path = format!("/api/v1/automation/sources/{source}");
        self.expect("POST", &format!("{path}/summaries/start"), &self.owner, None)
            .await;
        until("the summary", || async {
            let read = self.expect("GET", &path, &self.owner, None).await;
            (read["summaries"]["done"] == 1).then_some(())
        })
        .await;
        let post = self
            .expect("POST", &format!("{path}/posts"), &self.owner, Some(json!({})))
            .await;
        post["id"].as_i64().unwrap()
    }

    /// A new automation account of the owner's: a fresh user's session.
    async fn automation_account(&self) -> i64 {
        self.automation_account_of(&self.fresh_user().await).await
    }

    /// A new automation account of the owner's acting as `agent`.
    async fn automation_account_of(&self, agent: &TestUser) -> i64 {
        let body = json!({"name": "Fixture", "connector": "hybrid", "token": agent.access_token});
        let account = self
            .expect("POST", "/api/v1/automation/accounts", &self.owner, Some(body))
            .await;
        account["id"].as_i64().unwrap()
    }

    /// A new account of the owner's, and a new group of the owner's its user is in.
    async fn automation_account_in_group(&self) -> (i64, Value) {
        let agent = self.fresh_user().await;
        let account = self.automation_account_of(&agent).await;
        let group = json!({"kind": "group", "title": "automation fixture", "member_ids": [agent.id]});
        let chat = self.expect("POST", "/api/v1/chats", &self.owner, Some(group)).await;
        (account, chat["id"].clone())
    }

    /// A parse's body: a new account of the owner's reading a new group it is in.
    async fn parse_body(&self) -> Value {
        let (account, source) = self.automation_account_in_group().await;
        json!({"account_id": account, "source_chat_id": source, "audience_name": format!("{SECRET} parsed")})
    }

    /// A new audience of the owner's, holding the secret.
    async fn automation_audience(&self) -> i64 {
        let body = json!({"name": format!("{SECRET} audience"), "text": format!("@{SECRET}")});
        let imported = self
            .expect("POST", "/api/v1/automation/audiences", &self.owner, Some(body))
            .await;
        imported["audience"]["id"].as_i64().unwrap()
    }

    /// A campaign's body: two fresh users invited into a new group by a new account (a member
    /// of it). With
    /// the server's default pause (minutes) the campaign is still running when the case runs.
    async fn campaign_body(&self) -> Value {
        let people = [self.fresh_user().await, self.fresh_user().await];
        let text = people.map(|p| p.username).join("\n");
        let audience = json!({"name": format!("{SECRET} people"), "text": text});
        let imported = self
            .expect("POST", "/api/v1/automation/audiences", &self.owner, Some(audience))
            .await;
        let (account, target) = self.automation_account_in_group().await;
        json!({
            "name": format!("{SECRET} campaign"),
            "audience_id": imported["audience"]["id"],
            "target_chat_id": target,
            "account_ids": [account],
        })
    }

    /// A new bot of the owner's: its id and token.
    async fn bot(&self) -> (i64, String) {
        let n = self.made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let bot = self
            .expect(
                "POST",
                "/api/v1/bots",
                &self.owner,
                Some(json!({"username": format!("fixture_{n}_bot"), "name": "Fixture"})),
            )
            .await;
        (bot["id"].as_i64().unwrap(), bot["token"].as_str().unwrap().to_owned())
    }

    /// Makes the calls of one case; what went wrong, if anything.
    async fn check(&self, key: &str, case: &Case) -> Vec<String> {
        let mut wrong = Vec::new();
        for &caller in case.refused {
            let (status, body) = self.send(case, self.token(caller)).await;
            let expected: &[u16] = if caller == Anonymous { &[401] } else { &[401, 403, 404] };
            // a HEAD answer has no body
            let only_an_error = (case.method == "HEAD" && body.is_null())
                || body
                    .as_object()
                    .is_some_and(|o| o.len() == 1 && o.contains_key("error"));
            if !expected.contains(&status.as_u16()) || !only_an_error || body.to_string().contains(SECRET) {
                wrong.push(format!("{key} as {caller:?}: {status} {body}"));
            }
        }
        for &caller in case.hidden_from {
            let (status, body) = self.send(case, self.token(caller)).await;
            if !status.is_success() || body.to_string().contains(SECRET) {
                wrong.push(format!("{key} as {caller:?} shows what is not theirs: {status} {body}"));
            }
        }
        let (status, body) = self.send(case, case.allowed.as_deref()).await;
        let controlled = match case.owner_gets {
            Some(expected) => status.as_u16() == expected,
            None => status.is_success(),
        };
        if !controlled {
            wrong.push(format!("{key}, the positive control: {status} {body}"));
        }
        wrong
    }
}

/// A browser's push subscription, as the notify service takes it: the key is P-256's
/// generator point (a valid public key), the push service a closed local port, so the pushes
/// that follow from the fixtures fail without leaving the machine.
fn push_subscription(name: &str) -> Value {
    json!({
        "endpoint": format!("http://127.0.0.1:9/{name}"),
        "keys": {
            "p256dh": "BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
            "auth": "AAECAwQFBgcICQoLDA0ODw",
        },
    })
}

async fn login(server: &TestServer, username: &str) -> TestUser {
    let (status, body) = server.login(username, PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    user_from(&body, PASSWORD)
}

#[tokio::test]
async fn every_operation_refuses_who_must_not_reach_it() {
    let world = World::new().await;
    let (status, openapi) = world.server.get("/api/openapi.json", None).await;
    assert_eq!(status, 200);
    let mut operations: BTreeMap<String, ()> = BTreeMap::new();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert(format!("{} {path}", method.to_uppercase()), ());
        }
    }
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut calls = 0;
    operations.retain(|key, _| !key.contains(" /api/v1/example/"));
    for key in operations.keys() {
        let Some(case) = world.case(key).await else {
            missing.push(key.clone());
            continue;
        };
        calls += case.refused.len() + case.hidden_from.len() + 1;
        wrong.extend(world.check(key, &case).await);
    }
    println!(
        "authorization matrix: {} operations, {calls} calls",
        operations.len() - missing.len()
    );
    assert!(
        missing.is_empty(),
        "operations without a fixture in tests/e2e/matrix.rs (add one: who may, who must be refused): {missing:#?}"
    );
    assert!(wrong.is_empty(), "{} wrong answers: {wrong:#?}", wrong.len());
    assert!(
        operations.len() >= 55,
        "the API reference lists the operations ({})",
        operations.len()
    );
}
