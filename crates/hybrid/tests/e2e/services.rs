//! The microservices shape: one process per service (users, auth, chats, files, notify, bots,
//! automation) and two
//! realtime nodes on PostgreSQL, NATS, Redis and S3, calling each other over gRPC, behind a real nginx
//! running the configuration of `deploy/nginx/`. The core flows go through nginx; then the
//! chats process and a realtime node are SIGKILLed and restarted while messages flow.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hybrid_testkit::{Api, OwnServer, Polled, Scaled, TestServer, TestUser, WsClient, assert_error, free_port, until};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use serde_json::{Value, json};

use crate::{BIN, direct, send};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// The upstream names `deploy/nginx/routes.conf` sends requests to.
fn upstreams_in_routes() -> BTreeSet<String> {
    let routes = std::fs::read_to_string(deploy_dir().join("nginx/routes.conf")).unwrap();
    routes
        .lines()
        .filter_map(|line| line.trim().strip_prefix("proxy_pass http://"))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

/// The upstream names `deploy/nginx/upstreams.conf` defines.
fn upstreams_defined() -> BTreeSet<String> {
    let upstreams = std::fs::read_to_string(deploy_dir().join("nginx/upstreams.conf")).unwrap();
    upstreams
        .lines()
        .filter_map(|line| line.trim().strip_prefix("upstream "))
        .map(|rest| rest.trim_end_matches('{').trim().to_owned())
        .collect()
}

/// deploy/nginx/upstreams.conf with each `server host:port` it names replaced by the address in
/// `hosts`: the upstreams nginx runs in production (zones, balancing, failure settings), in
/// front of this test's processes. A host the file names but `hosts` lacks fails the test.
fn upstreams_at(hosts: &BTreeMap<String, String>) -> String {
    let text = std::fs::read_to_string(deploy_dir().join("nginx/upstreams.conf")).unwrap();
    let mut seen = BTreeSet::new();
    let mapped: Vec<String> = text
        .lines()
        .map(|line| {
            let Some(rest) = line.trim().strip_prefix("server ") else {
                return line.to_owned();
            };
            let host = rest.split_whitespace().next().unwrap().trim_end_matches(';');
            let addr = hosts
                .get(host)
                .unwrap_or_else(|| panic!("upstreams.conf names {host}, which this test does not run"));
            seen.insert(host.to_owned());
            line.replacen(host, addr, 1)
        })
        .collect();
    assert_eq!(
        seen.len(),
        hosts.len(),
        "every process of the test is in upstreams.conf"
    );
    mapped.join("\n")
}

/// The `http {}` block of deploy/nginx/nginx.conf, made to run here: listening on `port` of
/// localhost, serving `web_root`, with `upstreams` (see [`upstreams_at`]) and the TLS block on.
fn gateway_http_block(nginx_dir: &Path, upstreams: &str, port: u16, web_root: &str) -> String {
    let conf = std::fs::read_to_string(nginx_dir.join("nginx.conf")).unwrap();
    let start = conf.find("http {").expect("nginx.conf has an http block") + "http {".len();
    let end = conf.rfind('}').unwrap();
    let mut replaced = 0;
    let block: Vec<String> = conf[start..end]
        .lines()
        .filter(|line| !line.contains("listen [::]"))
        .map(|line| {
            let trimmed = line.trim();
            let swapped = match trimmed {
                "include mime.types;" => "include /etc/nginx/mime.types;".to_owned(),
                "include hybrid/upstreams.conf;" => upstreams.to_owned(),
                "listen 80;" => format!("listen 127.0.0.1:{port};"),
                "root /usr/share/hybrid/web;" => format!("root {web_root};"),
                "# include hybrid/tls.conf;" => "include hybrid/tls.conf;".to_owned(),
                // in nginx's own directory (its -p prefix), where the test reads it
                "access_log /var/log/nginx/access.log hybrid;" => "access_log hybrid-access.log hybrid;".to_owned(),
                _ => return line.to_owned(),
            };
            replaced += 1;
            swapped
        })
        .collect();
    assert_eq!(replaced, 6, "nginx.conf changed shape: {conf}");
    block.join("\n")
}

struct Deployment {
    users: TestServer,
    auth: TestServer,
    chats: TestServer,
    realtime: Vec<TestServer>,
    files: TestServer,
    notify: TestServer,
    bots: TestServer,
    automation: TestServer,
    nginx: OwnServer,
    /// nginx: where clients go.
    gateway: Api,
    /// nginx's TLS server block, on this port.
    tls_port: u16,
    _web: tempfile::TempDir,
    _tls: tempfile::TempDir,
}

impl Deployment {
    /// Starts every process with `extra` environment.
    async fn start(extra: &[(&'static str, String)]) -> Deployment {
        let grpc = |port: u16| format!("127.0.0.1:{port}");
        let (users_grpc, auth_grpc, chats_grpc) = (grpc(free_port()), grpc(free_port()), grpc(free_port()));
        let (notify_grpc, files_grpc) = (grpc(free_port()), grpc(free_port()));
        let url = |addr: &str| format!("http://{addr}");
        let mut common = vec![
            ("HYBRID_HTTP__TRUST_FORWARDED_FOR", "true".to_owned()),
            ("HYBRID_PEERS__AUTH", url(&auth_grpc)),
            ("HYBRID_PEERS__USERS", url(&users_grpc)),
            ("HYBRID_PEERS__CHATS", url(&chats_grpc)),
            ("HYBRID_PEERS__NOTIFY", url(&notify_grpc)),
            ("HYBRID_PEERS__FILES", url(&files_grpc)),
        ];
        common.extend_from_slice(extra);
        let with = |own: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
            let mut env = common.clone();
            env.extend(own.iter().map(|(k, v)| (*k, v.to_string())));
            env
        };
        // users first: it waits for auth's keys (and reports not ready until they come)
        let users_env = with(&[("HYBRID_SERVICES", "users"), ("HYBRID_GRPC__LISTEN", &users_grpc)]);
        let users = TestServer::start_scaled(BIN, Scaled::create().await, &pairs(&users_env)).await;
        let auth_env = with(&[("HYBRID_SERVICES", "auth"), ("HYBRID_GRPC__LISTEN", &auth_grpc)]);
        let auth = users.start_peer(&pairs(&auth_env)).await;
        let chats_env = with(&[("HYBRID_SERVICES", "chats"), ("HYBRID_GRPC__LISTEN", &chats_grpc)]);
        let chats = users.start_peer(&pairs(&chats_env)).await;
        let realtime_env = with(&[("HYBRID_SERVICES", "realtime")]);
        let mut realtime = Vec::new();
        for _ in 0..2 {
            realtime.push(users.start_peer(&pairs(&realtime_env)).await);
        }
        let files_env = with(&[("HYBRID_SERVICES", "files"), ("HYBRID_GRPC__LISTEN", &files_grpc)]);
        let files_process = users.start_peer(&pairs(&files_env)).await;
        let notify_env = with(&[("HYBRID_SERVICES", "notify"), ("HYBRID_GRPC__LISTEN", &notify_grpc)]);
        let notify = users.start_peer(&pairs(&notify_env)).await;
        let bots_env = with(&[("HYBRID_SERVICES", "bots")]);
        let bots = users.start_peer(&pairs(&bots_env)).await;
        // no pause between a campaign's actions, so the one below ends at once
        let automation_env = with(&[
            ("HYBRID_SERVICES", "automation"),
            ("HYBRID_AUTOMATION__PAUSE_MIN_MS", "0"),
            ("HYBRID_AUTOMATION__PAUSE_MAX_MS", "0"),
        ]);
        let automation = users.start_peer(&pairs(&automation_env)).await;

        let web = tempfile::tempdir().unwrap();
        std::fs::create_dir(web.path().join("assets")).unwrap();
        std::fs::write(web.path().join("index.html"), "<!doctype html><title>Hybrid</title>").unwrap();
        std::fs::write(web.path().join("assets/app-1234.js"), "console.log('hybrid')").unwrap();
        std::fs::write(web.path().join("assets/app-1234.js.gz"), GZIPPED_ASSET).unwrap();
        std::fs::write(web.path().join("assets/app-1234.js.map"), "{}").unwrap();
        let (tls, tls_port) = (tempfile::tempdir().unwrap(), free_port());
        self_signed_certificate(tls.path());

        // the hosts deploy/nginx/upstreams.conf names, and the process behind each here
        let addr = |server: &TestServer| server.base_url.trim_start_matches("http://").to_owned();
        let hosts: BTreeMap<String, String> = [
            ("auth:8080", addr(&auth)),
            ("users:8080", addr(&users)),
            ("chats:8080", addr(&chats)),
            ("realtime-1:8080", addr(&realtime[0])),
            ("realtime-2:8080", addr(&realtime[1])),
            ("files:8080", addr(&files_process)),
            ("notify:8080", addr(&notify)),
            ("bots:8080", addr(&bots)),
            ("automation:8080", addr(&automation)),
        ]
        .into_iter()
        .map(|(host, addr)| (host.to_owned(), addr))
        .collect();
        let routed = upstreams_in_routes();
        assert_eq!(
            routed,
            upstreams_defined(),
            "routes.conf and upstreams.conf name the same upstreams"
        );
        let upstreams = upstreams_at(&hosts);

        let nginx_dir = deploy_dir().join("nginx");
        let files: Vec<(String, String)> = ["http.conf", "routes.conf", "proxy.conf"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(nginx_dir.join(name)).unwrap();
                (format!("hybrid/{name}"), text)
            })
            .chain([("hybrid/tls.conf".to_owned(), tls_conf(&nginx_dir, tls.path(), tls_port))])
            .collect();
        let web_root = web.path().display().to_string();
        let nginx = OwnServer::nginx(&files, |port| {
            gateway_http_block(&nginx_dir, &upstreams, port, &web_root)
        });
        let deployment = Deployment {
            gateway: Api::new(nginx.url()),
            users,
            auth,
            chats,
            realtime,
            files: files_process,
            notify,
            bots,
            automation,
            nginx,
            tls_port,
            _web: web,
            _tls: tls,
        };
        deployment.wait_ready().await;
        deployment
    }

    fn processes(&self) -> Vec<&TestServer> {
        let mut all = vec![
            &self.users,
            &self.auth,
            &self.chats,
            &self.files,
            &self.notify,
            &self.bots,
            &self.automation,
        ];
        all.extend(self.realtime.iter());
        all
    }

    /// Every process answers `/readyz` (its backends and the auth service's keys are there).
    async fn wait_ready(&self) {
        for process in self.processes() {
            wait_ready(process).await;
        }
    }

    /// Open sockets per realtime node, from each node's `/metrics`.
    async fn sockets_per_node(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for node in &self.realtime {
            let text = node.metrics().await;
            let gauge = text
                .lines()
                .find_map(|line| line.strip_prefix("realtime_connections "))
                .map(|v| v.trim().parse::<f64>().unwrap() as i64)
                .unwrap_or(0);
            counts.push(gauge);
        }
        counts
    }
}

async fn wait_ready(process: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = process.get("/readyz", None).await;
        if status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} is not ready: {body}\n{}",
            process.base_url,
            process.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A certificate for 127.0.0.1 and its key, as `hybrid.crt` and `hybrid.key` in `dir`.
fn self_signed_certificate(dir: &Path) {
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .args(["-days", "1", "-subj", "/CN=127.0.0.1", "-keyout"])
        .arg(dir.join("hybrid.key"))
        .arg("-out")
        .arg(dir.join("hybrid.crt"))
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs (install openssl)");
    assert!(status.success(), "openssl made no certificate");
}

/// `deploy/nginx/tls.conf` with its certificate paths and port pointed at the test's.
fn tls_conf(nginx_dir: &Path, cert_dir: &Path, port: u16) -> String {
    let text = std::fs::read_to_string(nginx_dir.join("tls.conf")).unwrap();
    assert!(
        text.contains("/etc/nginx/tls/") && text.contains("listen 443 ssl"),
        "{text}"
    );
    text.replace("/etc/nginx/tls/", &format!("{}/", cert_dir.display()))
        .lines()
        .filter(|line| !line.contains("listen [::]"))
        .map(|line| line.replace("listen 443 ssl", &format!("listen 127.0.0.1:{port} ssl")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_per_service_behind_nginx() {
    let collector = Collector::start().await;
    let otel = [
        ("HYBRID_OTEL__ENDPOINT", collector.url.clone()),
        // the SDK's own setting: export every 100 ms rather than every 5 s
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
    ];
    let mut deployment = Deployment::start(&otel).await;
    core_flows_through_the_gateway(&deployment).await;
    one_trace_across_processes(&deployment, &collector).await;
    nothing_is_lost_when_processes_die(&mut deployment).await;
    the_gateway_limits_logins(&deployment).await;
    for process in deployment.processes() {
        let log = process.log_text();
        assert!(!log.contains("panicked"), "{log}");
    }
}

/// A stand-in for the build's `.gz` copy: nginx sends the file's bytes unchanged, so any bytes
/// tell whether it chose the copy.
const GZIPPED_ASSET: &[u8] = b"\x1f\x8b pretend gzip";

async fn core_flows_through_the_gateway(deployment: &Deployment) {
    let gateway = &deployment.gateway;
    // nginx's own answers: health, the web client with its caching, unknown API areas, body size
    assert_eq!(gateway.get("/healthz", None).await.0, 200);
    let page = gateway.http.get(gateway.url("/chats/42")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(
        !page.headers().contains_key("strict-transport-security"),
        "no HSTS over plain HTTP"
    );
    assert!(
        page.text().await.unwrap().contains("<title>Hybrid</title>"),
        "client routes get index.html"
    );
    let asset = gateway
        .http
        .get(gateway.url("/assets/app-1234.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(
        !asset.headers().contains_key("content-encoding"),
        "no gzip unless asked"
    );
    let gzipped = gateway
        .http
        .get(gateway.url("/assets/app-1234.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        gzipped.headers()["content-encoding"],
        "gzip",
        "the build's .gz, sent as it is"
    );
    assert_eq!(&gzipped.bytes().await.unwrap()[..], GZIPPED_ASSET);
    let map = gateway
        .http
        .get(gateway.url("/assets/app-1234.js.map"))
        .send()
        .await
        .unwrap();
    assert_eq!(map.status(), 404, "source maps are not served");
    let response = gateway.get("/api/v1/nowhere", None).await;
    assert_error(&response, 404, "not_found", None);
    let response = gateway.get("/metrics", None).await;
    assert_error(&response, 404, "not_found", None);

    // accounts: auth (HTTP) → users (gRPC), tokens verified in every process with auth's keys
    let ann = gateway.register("ann").await;
    let ben = gateway.register("ben").await;
    let taken = gateway
        .post(
            "/api/v1/auth/register",
            None,
            json!({"username": "ann", "password": "another password"}),
        )
        .await;
    assert_error(&taken, 409, "username_taken", Some("username"));
    let (status, me) = gateway.get("/api/v1/users/me", Some(&ann.access_token)).await;
    assert_eq!((status.as_u16(), me["username"].as_str()), (200, Some("ann")), "{me}");
    let (status, login) = gateway.login("ben", hybrid_testkit::PASSWORD, None).await;
    assert_eq!(status, 200, "{login}");

    // the web UI's requests carry a body: one over the limit stops at nginx
    let big = "x".repeat(2 * 1024 * 1024);
    let response = gateway
        .http
        .post(gateway.url("/api/v1/chats/1/messages"))
        .bearer_auth(&ann.access_token)
        .header("content-type", "application/json")
        .body(format!("{{\"text\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    // a chat; one socket each, which nginx puts on different realtime nodes
    let chat = direct(gateway, &ann, &ben).await;
    files_through_the_gateway(gateway, &ann, &ben, chat).await;
    let mut ann_ws = WsClient::connect(&gateway.base_url, &ann.access_token).await;
    let mut ben_ws = WsClient::connect(&gateway.base_url, &ben.access_token).await;
    assert_eq!(deployment.sockets_per_node().await, [1, 1], "one socket per node");

    // live across nodes: send, edit, react, read
    let hello = send(gateway, &ann, chat, "hello across nodes").await;
    let seq = hello["seq"].as_i64().unwrap();
    let event = ben_ws.next_event("message.new").await;
    assert_eq!(event["data"]["text"], "hello across nodes");
    let path = format!("/api/v1/chats/{chat}/messages/{seq}");
    let (status, body) = gateway
        .request(
            "PATCH",
            &path,
            Some(&ann.access_token),
            Some(json!({"text": "hello, edited"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ben_ws.next_event("message.edited").await["data"]["text"],
        "hello, edited"
    );
    let (status, body) = gateway
        .request(
            "PUT",
            &format!("{path}/reactions/%F0%9F%91%8D"),
            Some(&ben.access_token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let reaction = ann_ws.next_event("reaction.changed").await;
    assert_eq!(reaction["data"]["seq"], seq, "{reaction}");
    let (status, body) = gateway
        .post(
            &format!("/api/v1/chats/{chat}/read"),
            Some(&ben.access_token),
            json!({"seq": seq}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let read = ann_ws.next_where(|f| f["kind"] == "read.updated").await;
    assert_eq!(read["data"]["seq"], seq, "{read}");

    // catch-up: ben is away while ann writes, then asks /sync for what he missed
    let (_, state) = gateway
        .post(
            "/api/v1/sync",
            Some(&ben.access_token),
            json!({"user_pts": 0, "chats": {chat.to_string(): 0}}),
        )
        .await;
    let pts = state["chats"][0]["pts"].as_i64().unwrap();
    ben_ws.close().await;
    send(gateway, &ann, chat, "while you were away 1").await;
    send(gateway, &ann, chat, "while you were away 2").await;
    let (status, missed) = gateway
        .post(
            "/api/v1/sync",
            Some(&ben.access_token),
            json!({"user_pts": 0, "chats": {chat.to_string(): pts}}),
        )
        .await;
    assert_eq!(status, 200, "{missed}");
    let texts: Vec<&str> = missed["chats"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "message.new")
        .map(|e| e["data"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["while you were away 1", "while you were away 2"]);
    notifications_through_the_gateway(gateway, &ben).await;
    bots_through_the_gateway(deployment, &ann).await;
    automation_through_the_gateway(gateway, &ann, &ben).await;

    // the TLS server block serves the same routes
    let output = tokio::process::Command::new("curl")
        .args(["-sk", "--max-time", "5"])
        .arg(format!("https://127.0.0.1:{}/api/v1/users/me", deployment.tls_port))
        .args(["-H", &format!("authorization: Bearer {}", ann.access_token)])
        .output()
        .await
        .expect("curl runs");
    let me: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(
        me["username"],
        "ann",
        "over TLS: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // HSTS on every HTTPS answer, also where a location adds headers of its own
    for path in ["/chats/42", "/assets/app-1234.js", "/api/v1/users/me"] {
        let output = tokio::process::Command::new("curl")
            .args(["-sk", "-o", "/dev/null", "-D", "-", "--max-time", "5"])
            .arg(format!("https://127.0.0.1:{}{path}", deployment.tls_port))
            .output()
            .await
            .expect("curl runs");
        let headers = String::from_utf8_lossy(&output.stdout).to_lowercase();
        assert!(
            headers.contains("strict-transport-security: max-age=63072000"),
            "{path} over TLS: {headers}"
        );
    }
    ann_ws.close().await;
}

/// Notify in its own process: it follows chats' events over gRPC into ben's list, served
/// through its nginx location, and chats' /sync asks it for its part over gRPC.
async fn notifications_through_the_gateway(gateway: &Api, ben: &TestUser) {
    let page = until("ben's notification of the last message", || async {
        let (status, page) = gateway.get("/api/v1/notifications", Some(&ben.access_token)).await;
        assert_eq!(status, 200, "{page}");
        (page["items"][0]["preview"] == "while you were away 2").then_some(page)
    })
    .await;
    assert_eq!(page["items"][0]["kind"], "direct_message", "{page}");
    let (status, synced) = gateway
        .post(
            "/api/v1/sync",
            Some(&ben.access_token),
            json!({"services": {"notify": ""}}),
        )
        .await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(
        synced["services"]["notify"]["entries"],
        json!([{"type": "notification.state", "unread_count": page["unread_count"]}]),
        "{synced}"
    );
}

/// Automation in its own process: ann's session, connected as an account, runs a campaign
/// into a new group. Every step crosses a process: the session is checked with auth, ben's
/// privacy ("nobody") read from users, and the add refused, the direct chat opened, the link
/// made and sent by chats, all over gRPC.
async fn automation_through_the_gateway(gateway: &Api, ann: &TestUser, ben: &TestUser) {
    let (status, _) = gateway
        .request(
            "PUT",
            "/api/v1/users/me/privacy",
            Some(&ben.access_token),
            Some(json!({"add_to_groups": "nobody"})),
        )
        .await;
    assert_eq!(status, 200);
    let owner = Some(ann.access_token.as_str());
    let (status, group) = gateway
        .post(
            "/api/v1/chats",
            owner,
            json!({"kind": "group", "title": "Invited", "member_ids": []}),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let account = json!({"name": "Ann", "connector": "hybrid", "token": ann.access_token});
    let (status, account) = gateway.post("/api/v1/automation/accounts", owner, account).await;
    assert_eq!(status, 201, "{account}");
    let people = json!({"name": "People", "text": format!("@{}\n@nobody_by_this_name", ben.username)});
    let (status, audience) = gateway.post("/api/v1/automation/audiences", owner, people).await;
    assert_eq!(status, 201, "{audience}");
    let (status, campaign) = gateway
        .post(
            "/api/v1/automation/campaigns",
            owner,
            json!({"name": "Split", "audience_id": audience["audience"]["id"], "target_chat_id": group["id"],
                   "account_ids": [account["id"]], "mode": "invite_then_link", "link_text": "Join us: {link}"}),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let path = format!("/api/v1/automation/campaigns/{}", campaign["id"]);
    let done = until("the campaign to finish", || async {
        let (status, campaign) = gateway.get(&path, owner).await;
        assert_eq!(status, 200, "{campaign}");
        (campaign["state"] == "finished").then_some(campaign)
    })
    .await;
    assert_eq!(
        done["progress"]["outcomes"],
        json!({"link_sent": 1, "not_found": 1}),
        "{done}"
    );
    let (status, chats) = gateway.get("/api/v1/chats", Some(&ben.access_token)).await;
    assert_eq!(status, 200, "{chats}");
    assert!(chats.to_string().contains("Join us: "), "the link reached ben: {chats}");
}

/// Bots in their own process: a bot made through people's API talks with ann over the Bot API
/// at the root (its long poll through nginx), its button pressed through the callback location
/// in chats' area; bots acts in chats over gRPC and follows chats' events. nginx's access log
/// names the Bot API calls without the token.
async fn bots_through_the_gateway(deployment: &Deployment, ann: &TestUser) {
    let gateway = &deployment.gateway;
    let (status, bot) = gateway
        .post(
            "/api/v1/bots",
            Some(&ann.access_token),
            json!({"username": "gate_bot", "name": "Gate"}),
        )
        .await;
    assert_eq!(status, 201, "{bot}");
    let (bot_id, token) = (bot["id"].as_i64().unwrap(), bot["token"].as_str().unwrap().to_owned());
    let call = |method: &'static str, params: Value| {
        let (gateway, token) = (gateway.clone(), token.clone());
        async move {
            let response = gateway
                .http
                .post(gateway.url(&format!("/bot{token}/{method}")))
                .json(&params)
                .send()
                .await
                .unwrap();
            hybrid_testkit::json_of(response).await
        }
    };
    let (status, opened) = gateway
        .post(
            "/api/v1/chats",
            Some(&ann.access_token),
            json!({"kind": "direct", "user_id": bot_id}),
        )
        .await;
    assert!(status.is_success(), "{opened}");
    let chat = opened["id"].as_i64().unwrap();
    send(gateway, ann, chat, "/start").await;
    let (status, polled) = call("getUpdates", json!({"timeout": 10})).await;
    assert_eq!(status, 200, "{polled}");
    let update = &polled["result"][0];
    assert_eq!(update["message"]["text"], "/start", "{polled}");
    let keyboard = json!({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]});
    let (status, sent) = call(
        "sendMessage",
        json!({"chat_id": ann.id, "text": "Ready?", "reply_markup": keyboard}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    let seq = sent["result"]["message_id"].as_i64().unwrap();
    let press = {
        let (gateway, access) = (gateway.clone(), ann.access_token.clone());
        tokio::spawn(async move {
            gateway
                .post(
                    &format!("/api/v1/chats/{chat}/messages/{seq}/callback"),
                    Some(&access),
                    json!({"data": "go"}),
                )
                .await
        })
    };
    let next = update["update_id"].as_i64().unwrap() + 1;
    let (status, polled) = call("getUpdates", json!({"offset": next, "timeout": 10})).await;
    assert_eq!(status, 200, "{polled}");
    let query = &polled["result"][0]["callback_query"];
    assert_eq!(
        (query["data"].as_str(), query["from"]["id"].as_i64()),
        (Some("go"), Some(ann.id)),
        "{polled}"
    );
    let id = query["id"].as_str().unwrap();
    let (status, _) = call("answerCallbackQuery", json!({"callback_query_id": id, "text": "Going"})).await;
    assert_eq!(status, 200);
    let (status, answer) = press.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"answered": true, "text": "Going", "show_alert": false}));
    // a file: the bots process stores it in the files process (FileStore over gRPC), and the
    // download comes back the same way
    let notes = b"through every process".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", ann.id.to_string())
        .part(
            "document",
            reqwest::multipart::Part::bytes(notes.clone()).file_name("notes.txt"),
        );
    let response = gateway
        .http
        .post(gateway.url(&format!("/bot{token}/sendDocument")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, sent) = hybrid_testkit::json_of(response).await;
    assert_eq!(status, 200, "{sent}");
    let file_id = sent["result"]["document"]["file_id"].clone();
    let (status, file) = call("getFile", json!({"file_id": file_id})).await;
    assert_eq!(status, 200, "{file}");
    let path = file["result"]["file_path"].as_str().unwrap();
    let download = gateway
        .http
        .get(gateway.url(&format!("/file/bot{token}/{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().to_vec(), notes);
    let secret = token.split_once(':').unwrap().1.to_owned();
    // nginx writes a line once the response is sent, so wait for the last request's line
    let log = until("nginx to log the Bot API calls", || async {
        let log = deployment.nginx.file("hybrid-access.log");
        log.contains("\"GET /file/bot<token>/files/").then_some(log)
    })
    .await;
    assert!(!log.contains(&secret), "the token is in nginx's access log");
    assert!(log.contains("\"POST /bot<token>/getUpdates HTTP/1.1\" 200"), "{log}");
    assert!(log.contains("/bot<token>/answerCallbackQuery"), "{log}");
}

/// Messages acknowledged (201) while the chats process and a realtime node are SIGKILLed and
/// restarted: each is stored once, and the reader, reconnecting through nginx and catching up
/// with /sync, sees each once.
/// Files in their own process: uploads past the API's body limit (nginx streams them through),
/// resumable uploads, and a file read through the message that carries it (files asks chats
/// over gRPC).
async fn files_through_the_gateway(gateway: &Api, ann: &TestUser, ben: &TestUser, chat: i64) {
    let bytes: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let response = gateway
        .http
        .post(gateway.url("/api/v1/files?name=big.bin"))
        .bearer_auth(&ann.access_token)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    let (status, file) = hybrid_testkit::json_of(response).await;
    assert_eq!(status, 201, "{file}");
    let message = json!({"text": "", "attach": file["attach_token"]});
    let (status, sent) = gateway
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&ann.access_token),
            message,
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let content = format!(
        "/api/v1/files/{}/content?chat_id={chat}&seq={}",
        file["id"], sent["seq"]
    );
    let ranged = gateway
        .http
        .get(gateway.url(&content))
        .bearer_auth(&ben.access_token)
        .header("range", "bytes=2097152-2097161")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(&ranged.bytes().await.unwrap()[..], &bytes[2_097_152..2_097_162]);

    let tus = |method: reqwest::Method, path: &str| {
        gateway
            .http
            .request(method, gateway.url(path))
            .bearer_auth(&ann.access_token)
            .header("tus-resumable", "1.0.0")
    };
    let created = tus(reqwest::Method::POST, "/api/v1/files/uploads")
        .header("upload-length", bytes.len().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap();
    let path = location[location.find("/api/").unwrap()..].to_owned();
    let patched = tus(reqwest::Method::PATCH, &path)
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    assert!(
        patched.headers().contains_key("hybrid-file-id"),
        "{:?}",
        patched.headers()
    );
}

async fn nothing_is_lost_when_processes_die(deployment: &mut Deployment) {
    const TOTAL: usize = 40;
    let gateway = deployment.gateway.clone();
    let cho = gateway.register("cho").await;
    let dev = gateway.register("dev").await;
    let chat = direct(&gateway, &cho, &dev).await;
    let mut reader = Reader::connect(&gateway, &dev, chat).await;
    reader.catch_up().await;

    // cho sends TOTAL messages, each retried with its nonce until acknowledged
    let acked: Arc<Mutex<Vec<(usize, i64)>>> = Arc::default();
    let refused = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (gateway, acked, token) = (gateway.clone(), acked.clone(), cho.access_token.clone());
        let refused = refused.clone();
        tokio::spawn(async move {
            for i in 0..TOTAL {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let body = json!({"text": format!("m{i}"), "nonce": format!("n{i}")});
                    let (status, message) = gateway
                        .post(&format!("/api/v1/chats/{chat}/messages"), Some(&token), body)
                        .await;
                    if status == 201 || status == 200 {
                        acked.lock().unwrap().push((i, message["seq"].as_i64().unwrap()));
                        break;
                    }
                    assert!(
                        [502, 503, 504].contains(&status.as_u16()) && Instant::now() < deadline,
                        "send {i}: {status} {message}"
                    );
                    refused.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
        })
    };
    let acked_count = || acked.lock().unwrap().len();

    reader.read_until(|| acked_count() >= 10).await;
    deployment.chats.kill().await;
    reader.read_for(Duration::from_millis(800)).await;
    assert!(refused.load(Ordering::Relaxed) > 0, "sends fail while chats is down");
    deployment.chats.resume().await;
    wait_ready(&deployment.chats).await;

    reader.read_until(|| acked_count() >= 25).await;
    let counts = deployment.sockets_per_node().await;
    let node = counts.iter().position(|c| *c == 1).expect("the reader's node");
    deployment.realtime[node].kill().await;
    assert!(reader.read_until_closed().await, "the socket closes with its node");
    reader.reconnect().await;
    reader.catch_up().await;
    deployment.realtime[node].resume().await;
    wait_ready(&deployment.realtime[node]).await;

    sender.await.expect("every message was acknowledged");
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), TOTAL);
    reader.read_until_seen(&acked).await;

    // stored once each, in order
    let (status, page) = gateway
        .get(
            &format!("/api/v1/chats/{chat}/messages?limit=100"),
            Some(&dev.access_token),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let mut stored: Vec<(i64, String)> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["seq"].as_i64().unwrap(), m["text"].as_str().unwrap().to_owned()))
        .collect();
    stored.sort();
    let expected: Vec<(i64, String)> = acked.iter().map(|(i, seq)| (*seq, format!("m{i}"))).collect();
    assert_eq!(stored, expected, "each acknowledged message stored once");
    let nginx_errors = deployment.nginx.error_log();
    assert!(!nginx_errors.contains("[emerg]"), "{nginx_errors}");
}

/// A client reading one chat the way the web client does: live events on the socket, /sync
/// after a reconnect, events applied once by pts.
struct Reader {
    gateway: Api,
    user: TestUser,
    chat: i64,
    ws: Option<WsClient>,
    /// pts of the events the current socket delivered (a repeat is a duplicate).
    on_socket: HashSet<i64>,
    /// Message seqs by the pts of their `message.new`, from both paths.
    messages: BTreeMap<i64, i64>,
    /// The chat pts the client is up to.
    pts: i64,
}

impl Reader {
    async fn connect(gateway: &Api, user: &TestUser, chat: i64) -> Reader {
        Reader {
            gateway: gateway.clone(),
            user: user.clone(),
            chat,
            ws: Some(WsClient::connect(&gateway.base_url, &user.access_token).await),
            on_socket: HashSet::new(),
            messages: BTreeMap::new(),
            pts: 0,
        }
    }

    fn apply(&mut self, event: &Value) {
        let pts = event["pts"].as_i64().unwrap();
        if event["kind"] == "message.new" {
            self.messages.insert(pts, event["data"]["seq"].as_i64().unwrap());
        }
        self.pts = self.pts.max(pts);
    }

    /// Reads what the socket has within `wait`; false when it closed.
    async fn read_for(&mut self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let ws = self.ws.as_mut().expect("connected");
            match ws.poll(left).await {
                Polled::Quiet => return true,
                Polled::Closed => return false,
                Polled::Frame(frame) if frame["type"] == "event" && frame["chat_id"] == self.chat => {
                    let pts = frame["pts"].as_i64().unwrap();
                    assert!(self.on_socket.insert(pts), "pts {pts} delivered twice on one socket");
                    self.apply(&frame);
                }
                Polled::Frame(_) => {}
            }
        }
    }

    async fn read_until(&mut self, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "timed out");
            assert!(self.read_for(Duration::from_millis(50)).await, "the socket closed");
        }
    }

    async fn read_until_closed(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !self.read_for(Duration::from_millis(100)).await {
                self.ws = None;
                return true;
            }
        }
        false
    }

    async fn reconnect(&mut self) {
        self.ws = Some(WsClient::connect(&self.gateway.base_url, &self.user.access_token).await);
        self.on_socket.clear();
    }

    /// /sync from the pts the client is up to; events it already has are skipped by pts.
    async fn catch_up(&mut self) {
        let (status, state) = self
            .gateway
            .post(
                "/api/v1/sync",
                Some(&self.user.access_token),
                json!({"user_pts": 0, "chats": {self.chat.to_string(): self.pts}}),
            )
            .await;
        assert_eq!(status, 200, "{state}");
        assert_eq!(state["chats"][0]["too_long"], false);
        for event in state["chats"][0]["events"].as_array().unwrap() {
            self.apply(event);
        }
    }

    async fn read_until_seen(&mut self, acked: &[(usize, i64)]) {
        let wanted: BTreeSet<i64> = acked.iter().map(|(_, seq)| *seq).collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let seen: BTreeSet<i64> = self.messages.values().copied().collect();
            if seen == wanted {
                let seqs: Vec<i64> = self.messages.values().copied().collect();
                let unique: BTreeSet<i64> = seqs.iter().copied().collect();
                assert_eq!(seqs.len(), unique.len(), "one message.new per message");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the reader has {seen:?}, acknowledged were {wanted:?}"
            );
            self.read_for(Duration::from_millis(200)).await;
        }
    }
}

/// Logins past the rate in deploy/nginx/http.conf get nginx's own 429 (an HTML page, where
/// the auth service's throttle answers JSON).
async fn the_gateway_limits_logins(deployment: &Deployment) {
    let gateway = &deployment.gateway;
    let mut by_nginx = 0;
    for _ in 0..30 {
        let (status, body) = gateway.login("nobody", "wrong password", None).await;
        if status == 429 && body.is_string() {
            by_nginx += 1;
        }
    }
    assert!(by_nginx > 0, "nginx lets 30 logins a second through from one address");
}

/// An OTLP/gRPC trace receiver built on the OpenTelemetry project's own protocol definitions:
/// it keeps every span exported to it, with its process's `service.name`.
struct Collector {
    url: String,
    spans: Arc<Mutex<Vec<(String, Span)>>>,
}

struct Receiver(Arc<Mutex<Vec<(String, Span)>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|a| a.key == "service.name")
                .and_then(|a| match a.value.as_ref()?.value.as_ref()? {
                    any_value::Value::StringValue(name) => Some(name.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for scope in resource_spans.scope_spans {
                spans.extend(scope.spans.into_iter().map(|span| (service.clone(), span)));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Collector {
    async fn start() -> Collector {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let spans: Arc<Mutex<Vec<(String, Span)>>> = Arc::default();
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Receiver(spans.clone())))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
        tokio::spawn(server);
        Collector { url, spans }
    }

    /// Spans of the trace `trace_id` once `wanted` holds for them (waits for the exports).
    async fn trace(&self, trace_id: &[u8], wanted: impl Fn(&[(String, Span)]) -> bool) -> Vec<(String, Span)> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let spans: Vec<(String, Span)> = self
                .spans
                .lock()
                .unwrap()
                .iter()
                .filter(|(_, span)| span.trace_id == trace_id)
                .cloned()
                .collect();
            if wanted(&spans) {
                return spans;
            }
            assert!(Instant::now() < deadline, "the trace is incomplete: {spans:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A `traceparent` starting a trace of the test's own (as a traced client would send), and
/// the trace id in bytes.
fn new_trace(seed: u8) -> (String, Vec<u8>) {
    let trace_id: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(17).wrapping_add(seed)).collect();
    let hex: String = trace_id.iter().map(|b| format!("{b:02x}")).collect();
    (format!("00-{hex}-00f067aa0ba902b7-01"), trace_id)
}

/// The span of `service` whose parent is a span of `parent_service` in the same trace.
fn child_of<'a>(spans: &'a [(String, Span)], service: &str, parent_service: &str) -> Option<&'a Span> {
    spans.iter().find_map(|(name, span)| {
        let parent = spans
            .iter()
            .find(|(p, candidate)| p == parent_service && candidate.span_id == span.parent_span_id);
        (name == service && parent.is_some()).then_some(span)
    })
}

/// One trace from the client's request through nginx into a service, over gRPC into another,
/// and over the outbox relay and NATS to the realtime node that delivers the event.
async fn one_trace_across_processes(deployment: &Deployment, collector: &Collector) {
    let gateway = &deployment.gateway;
    let (traceparent, trace_id) = new_trace(1);
    let response = gateway
        .http
        .post(gateway.url("/api/v1/auth/register"))
        .header("traceparent", &traceparent)
        .json(&json!({"username": "eve", "password": hybrid_testkit::PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, body) = hybrid_testkit::json_of(response).await;
    assert_eq!(status, 201, "{body}");
    let eve = hybrid_testkit::user_from(&body, hybrid_testkit::PASSWORD);
    // auth's request span continues the client's trace; users serves auth's gRPC call in it.
    // Each process exports its spans in its own batches: wait for both.
    let request_span = |spans: &[(String, Span)]| {
        spans
            .iter()
            .any(|(service, span)| service == "hybrid-auth" && span.name == "POST /api/v1/auth/register")
    };
    let spans = collector
        .trace(&trace_id, |spans| {
            child_of(spans, "hybrid-users", "hybrid-auth").is_some() && request_span(spans)
        })
        .await;
    let served = child_of(&spans, "hybrid-users", "hybrid-auth").unwrap();
    assert_eq!(served.name, "hybrid.users.v1.UserDirectory/Create");
    assert!(request_span(&spans), "{spans:#?}");

    let fay = gateway.register("fay").await;
    let chat = direct(gateway, &fay, &eve).await;
    let mut eve_ws = WsClient::connect(&gateway.base_url, &eve.access_token).await;
    let (traceparent, trace_id) = new_trace(2);
    let response = gateway
        .http
        .post(gateway.url(&format!("/api/v1/chats/{chat}/messages")))
        .bearer_auth(&fay.access_token)
        .header("traceparent", &traceparent)
        .json(&json!({"text": "traced"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(eve_ws.next_event("message.new").await["data"]["text"], "traced");
    let spans = collector
        .trace(&trace_id, |spans| {
            child_of(spans, "hybrid-realtime", "hybrid-chats").is_some()
        })
        .await;
    let delivered = child_of(&spans, "hybrid-realtime", "hybrid-chats").unwrap();
    assert_eq!(delivered.name, "deliver");
    eve_ws.close().await;
}
