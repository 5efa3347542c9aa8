//! The harness every end-to-end test uses: start the real `hybrid` binary on an ephemeral
//! port, on one of the two stacks — embedded (a temporary data dir: SQLite, in-process bus,
//! memory state) or scaled (a fresh PostgreSQL database, NATS and Redis under a prefix of its
//! own) — and talk to it over HTTP as several users.
//!
//! ```ignore
//! let server = TestServer::start(bin, Stack::Embedded).await;
//! let alice = server.register("alice").await;
//! let (status, me) = server.get("/api/v1/users/me", Some(&alice.access_token)).await;
//! ```

mod push;
mod servers;
mod smtp;
mod stack;
mod ws;

pub use push::{push_check, python_tools, run_python};
pub use servers::{OwnServer, free_port};
pub use smtp::{SmtpSink, link_in};
pub use stack::{Scaled, Stack};
pub use ws::{Polled, WAIT, WsClient, check_frames_with};

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The master key test servers share, so a PostgreSQL-backed server can restart on its data.
pub const TEST_MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const PASSWORD: &str = "correct horse battery";

/// Runs an async test body `fn(Stack)` on both stacks: `stack_tests!(my_test);` makes
/// `my_test::embedded` and `my_test::scaled`.
#[macro_export]
macro_rules! stack_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() { super::$name($crate::Stack::Embedded).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn scaled() { super::$name($crate::Stack::Scaled).await }
        }
    )*};
}

/// The `hybrid` binary cargo built next to the running test, for the tests of service crates
/// (only the binary's own package can name it with `CARGO_BIN_EXE_hybrid`). `cargo test
/// --workspace` builds it first; alone, run `cargo build -p hybrid` before `cargo test -p …`.
pub fn hybrid_binary() -> String {
    let test = std::env::current_exe().expect("the test knows its path");
    let profile = test
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let binary = profile.join(format!("hybrid{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it first (cargo build -p hybrid)",
        binary.display()
    );
    binary.to_string_lossy().into_owned()
}

pub struct TestServer {
    pub stack: Stack,
    /// The process's own HTTP API.
    pub api: Api,
    /// `http://host:port` of the internal gRPC API, when the process serves one
    /// (`HYBRID_GRPC__LISTEN`).
    pub grpc_url: Option<String>,
    /// `http://host:port/metrics` of the process's metrics listener (`HYBRID_METRICS__LISTEN`,
    /// a free port unless the test sets one; empty: none).
    pub metrics_url: Option<String>,
    bin: PathBuf,
    listen: String,
    env: Vec<(String, String)>,
    data_dir: tempfile::TempDir,
    scaled: Option<Arc<Scaled>>,
    child: Option<Child>,
    logs: Arc<Mutex<VecDeque<String>>>,
}

/// A registered user with a live session.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: i64,
}

impl TestServer {
    pub async fn start(bin: &str, stack: Stack) -> TestServer {
        Self::start_with(bin, stack, &[]).await
    }

    /// Starts with extra environment, e.g. `[("HYBRID_AUTH__REGISTRATION", "closed")]`.
    pub async fn start_with(bin: &str, stack: Stack, env: &[(&str, &str)]) -> TestServer {
        Self::start_at(bin, stack, "127.0.0.1:0", env).await
    }

    /// Starts listening on a fixed address (for scripts that expect one, like the README tour).
    pub async fn start_at(bin: &str, stack: Stack, listen: &str, env: &[(&str, &str)]) -> TestServer {
        let scaled = match stack {
            Stack::Embedded => None,
            Stack::Scaled => Some(Arc::new(Scaled::create().await)),
        };
        Self::start_on(bin, stack, scaled, listen, env).await
    }

    /// Starts on scaled backends the test made itself (`Scaled::on`).
    pub async fn start_scaled(bin: &str, scaled: Scaled, env: &[(&str, &str)]) -> TestServer {
        Self::start_on(bin, Stack::Scaled, Some(Arc::new(scaled)), "127.0.0.1:0", env).await
    }

    /// Another process of the same scaled deployment as `self` (same database, NATS subjects
    /// and Redis keys), with its own data dir and extra environment.
    pub async fn start_peer(&self, env: &[(&str, &str)]) -> TestServer {
        let scaled = self.scaled.clone().expect("peers exist on the scaled stack only");
        let mut merged: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // a peer listens on ports of its own
        merged.retain(|(k, _)| {
            !["HYBRID_GRPC__LISTEN", "HYBRID_METRICS__LISTEN"].contains(k) && !env.iter().any(|(e, _)| e == k)
        });
        merged.extend_from_slice(env);
        Self::start_on(
            self.bin.to_str().unwrap(),
            self.stack,
            Some(scaled),
            "127.0.0.1:0",
            &merged,
        )
        .await
    }

    async fn start_on(
        bin: &str,
        stack: Stack,
        scaled: Option<Arc<Scaled>>,
        listen: &str,
        env: &[(&str, &str)],
    ) -> TestServer {
        // the metrics listener on a free port, as tests run many servers at once
        let metrics = ("HYBRID_METRICS__LISTEN", "127.0.0.1:0");
        let env = std::iter::once(&metrics)
            .filter(|(key, _)| !env.iter().any(|(k, _)| k == key))
            .chain(env);
        let mut server = TestServer {
            stack,
            api: Api::new(""),
            grpc_url: None,
            metrics_url: None,
            bin: PathBuf::from(bin),
            listen: listen.to_owned(),
            env: env.map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            data_dir: tempfile::tempdir().expect("temp dir"),
            scaled,
            child: None,
            logs: Arc::new(Mutex::new(VecDeque::new())),
        };
        if let Some(scaled) = &server.scaled {
            scaled.make_bucket().await;
        }
        server.spawn().await;
        server
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn database_url(&self) -> String {
        self.scaled.as_ref().map(|s| s.database_url()).unwrap_or_default()
    }

    /// The NATS, Redis and PostgreSQL of a scaled server.
    pub fn scaled(&self) -> Option<&Scaled> {
        self.scaled.as_deref()
    }

    /// The `hybrid` binary with this server's data and environment, for CLI commands.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HYBRID_DATA_DIR", self.data_dir.path())
            .env("HYBRID_DATABASE__URL", self.database_url())
            .env("HYBRID_SECRETS__MASTER_KEY", TEST_MASTER_KEY)
            .env("HYBRID_LOG__LEVEL", "info,sqlx=warn")
            .env("HYBRID_LOG__FORMAT", "json")
            .kill_on_drop(true);
        if let Some(scaled) = &self.scaled {
            command.envs(scaled.env());
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// An administrator named `username` (with [`PASSWORD`]), made with the CLI as an operator
    /// would, signed in; panics unless that works.
    pub async fn admin(&self, username: &str) -> TestUser {
        let created = self
            .command()
            .args([
                "admin",
                "create-user",
                "--username",
                username,
                "--password",
                PASSWORD,
                "--admin",
            ])
            .output()
            .await
            .unwrap();
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let (status, body) = self.login(username, PASSWORD, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        user_from(&body, PASSWORD)
    }

    async fn spawn(&mut self) {
        let mut child = self
            .command()
            .args(["serve", "--listen", &self.listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the hybrid binary");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = child.stderr.take().unwrap();
        let logs = self.logs.clone();
        tokio::spawn(async move {
            let mut stderr = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = stderr.next_line().await {
                push_log(&logs, line);
            }
        });
        let mut grpc_addr = None;
        let mut metrics_addr = None;
        let found = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = stdout.next_line().await {
                push_log(&self.logs, line.clone());
                let Ok(event) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if event["message"] == "serving gRPC" {
                    grpc_addr = event["addr"].as_str().map(str::to_owned);
                }
                if event["message"] == "serving metrics" {
                    metrics_addr = event["addr"].as_str().map(str::to_owned);
                }
                if event["message"] == "listening" {
                    return event["addr"].as_str().map(str::to_owned);
                }
            }
            None
        })
        .await;
        let Ok(Some(addr)) = found else {
            let status = child.try_wait().ok().flatten();
            panic!("hybrid did not start (exit: {status:?}); log:\n{}", self.log_text());
        };
        let logs = self.logs.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                push_log(&logs, line);
            }
        });
        self.api.base_url = format!("http://{addr}");
        // A restart comes back on the same ports, as a restarted service does behind its
        // address: peers and the gateway keep pointing at it.
        self.listen = addr;
        if let Some(grpc) = grpc_addr {
            self.grpc_url = Some(format!("http://{grpc}"));
            self.set_env("HYBRID_GRPC__LISTEN", &grpc);
        }
        if let Some(metrics) = metrics_addr {
            self.metrics_url = Some(format!("http://{metrics}/metrics"));
            self.set_env("HYBRID_METRICS__LISTEN", &metrics);
        }
        self.child = Some(child);
    }

    /// The Prometheus text of the process's metrics listener.
    pub async fn metrics(&self) -> String {
        let url = self.metrics_url.as_deref().expect("the server serves no metrics");
        let response = self.api.http.get(url).send().await.expect("request failed");
        assert!(response.status().is_success(), "GET {url}: {}", response.status());
        response.text().await.expect("reading the body")
    }

    /// The last lines the server printed.
    pub fn log_text(&self) -> String {
        let logs = self.logs.lock().unwrap();
        logs.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(|child| child.id())
    }

    /// Stops with SIGTERM (graceful) and waits; returns the exit status code.
    pub async fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(20), child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => {
                let _ = child.kill().await;
                None
            }
        }
    }

    /// Kills the process with SIGKILL: no shutdown work at all, as in a crash.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the process again on the same data and configuration (after `stop` or `kill`).
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "the server is still running");
        self.spawn().await;
    }

    /// Sets an environment variable for the next start (see [`restart`](Self::restart)).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Stops gracefully and starts again on the same data (new port).
    pub async fn restart(&mut self) {
        let code = self.stop().await;
        assert_eq!(
            code,
            Some(0),
            "graceful shutdown should exit 0; log:\n{}",
            self.log_text()
        );
        self.spawn().await;
    }
}

/// A client of the HTTP API at `base_url`: a process of its own, or the gateway in front of
/// several (a [`TestServer`] derefs to its own).
#[derive(Clone)]
pub struct Api {
    pub base_url: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base_url: impl Into<String>) -> Api {
        Api {
            base_url: base_url.into(),
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends a JSON request; returns the status and the JSON body (`Null` when empty).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request failed");
        json_of(response).await
    }

    /// GETs `path` as text (for answers that are not JSON).
    pub async fn text(&self, path: &str) -> String {
        let response = self.http.get(self.url(path)).send().await.expect("request failed");
        response.text().await.expect("reading the body")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.request("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.request("POST", path, token, Some(body)).await
    }

    /// A WebSocket authenticated as `user`.
    /// `POST /api/v1/auth/refresh` with a refresh token (a `String`, `&str` or JSON value).
    pub async fn refresh(&self, refresh_token: impl serde::Serialize) -> (StatusCode, Value) {
        self.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh_token}))
            .await
    }

    pub async fn ws(&self, user: &TestUser) -> WsClient {
        WsClient::connect(&self.base_url, &user.access_token).await
    }

    /// Registers `username` with [`PASSWORD`]; panics unless that works.
    pub async fn register(&self, username: &str) -> TestUser {
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "register {username}: {body}");
        user_from(&body, PASSWORD)
    }

    /// Logs in; returns the status and body.
    pub async fn login(&self, username: &str, password: &str, totp_code: Option<&str>) -> (StatusCode, Value) {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"username": username, "password": password, "totp_code": totp_code}),
        )
        .await
    }
}

/// A [`TestUser`] from a token response.
pub fn user_from(body: &Value, password: &str) -> TestUser {
    TestUser {
        id: body["user"]["id"].as_i64().expect("user.id"),
        username: body["user"]["username"].as_str().expect("user.username").to_owned(),
        password: password.to_owned(),
        access_token: body["access_token"].as_str().expect("access_token").to_owned(),
        refresh_token: body["refresh_token"].as_str().expect("refresh_token").to_owned(),
        session_id: body["session_id"].as_i64().expect("session_id"),
    }
}

pub async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("reading the body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, body)
}

/// Asserts an error response: status, `error.code`, and `error.field` when given.
#[track_caller]
pub fn assert_error(response: &(StatusCode, Value), status: u16, code: &str, field: Option<&str>) {
    let (actual, body) = response;
    assert_eq!(actual.as_u16(), status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    assert!(
        body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message of {body}"
    );
    if let Some(field) = field {
        assert_eq!(body["error"]["field"], field, "field of {body}");
    }
}

fn push_log(logs: &Mutex<VecDeque<String>>, line: String) {
    let mut logs = logs.lock().unwrap();
    if logs.len() >= 400 {
        logs.pop_front();
    }
    logs.push_back(line);
}

impl std::ops::Deref for TestServer {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- hybrid log ({:?}) ---\n{}", self.stack, self.log_text());
        }
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
    }
}

/// Polls `check` every 50 ms until it returns a value, for at most 20 s: for effects that
/// land after an answer (a consumer's work, a job's).
pub async fn until<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
