//! The server under test: a `hybrid serve` (or the reference broadcast server) this run starts
//! itself on a temporary data dir, so its CPU and memory can be sampled.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Target {
    pub base_url: String,
    pub pid: u32,
    child: Child,
    _data: Option<tempfile::TempDir>,
}

/// Settings that let the generator set up thousands of accounts quickly and send, search and
/// connect as fast and as often as the scenario asks (the per-user caps and budgets meant for
/// abuse are lifted). Durability settings are left at their defaults (synchronous=FULL).
const BENCH_ENV: &[(&str, &str)] = &[
    ("HYBRID_LOG__LEVEL", "warn,hybrid::server=info"),
    ("HYBRID_LOG__FORMAT", "json"),
    // a free port: a reference run may overlap a Hybrid one
    ("HYBRID_METRICS__LISTEN", "127.0.0.1:0"),
    ("HYBRID_AUTH__REGISTRATIONS_PER_IP_PER_HOUR", "100000000"),
    ("HYBRID_AUTH__PASSWORD_HASH_MEMORY_KIB", "64"),
    ("HYBRID_AUTH__PASSWORD_HASH_ITERATIONS", "1"),
    ("HYBRID_AUTH__ACCESS_TOKEN_TTL_SECS", "86400"),
    ("HYBRID_CHATS__SEND_RATE_PER_MINUTE", "0"),
    ("HYBRID_CHATS__SEARCH_RATE_PER_MINUTE", "0"),
    ("HYBRID_CHATS__MAX_CHATS_CREATED_PER_DAY", "0"),
    ("HYBRID_REALTIME__MAX_SOCKETS_PER_USER", "1000000"),
    ("HYBRID_REALTIME__MAX_UNAUTHENTICATED_SOCKETS", "1000000"),
    ("HYBRID_CHATS__MAX_MEMBERS", "1000000"),
    ("HYBRID_HTTP__WEB_DIR", ""),
];

impl Target {
    /// Starts `hybrid serve` on a fresh data dir with `env` on top of the bench settings.
    pub async fn hybrid(bin: &Path, env: &[(String, String)]) -> anyhow::Result<Target> {
        let data = tempfile::tempdir()?;
        let mut command = Command::new(bin);
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("HYBRID_DATA_DIR", data.path())
            .envs(BENCH_ENV.iter().copied())
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let (child, base_url) = start(command, "hybrid").await?;
        Ok(Target {
            pid: child.id().unwrap_or_default(),
            base_url,
            child,
            _data: Some(data),
        })
    }

    /// Starts the reference broadcast server (this binary's `ref-server`).
    pub async fn reference() -> anyhow::Result<Target> {
        let mut command = Command::new(std::env::current_exe()?);
        command.args(["ref-server", "--listen", "127.0.0.1:0"]);
        let (child, base_url) = start(command, "ref-server").await?;
        Ok(Target {
            pid: child.id().unwrap_or_default(),
            base_url,
            child,
            _data: None,
        })
    }

    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// Spawns `command` and waits for its JSON log line `{"message":"listening","addr":…}`.
async fn start(mut command: Command, name: &str) -> anyhow::Result<(Child, String)> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                && event["message"] == "listening"
            {
                return event["addr"].as_str().map(str::to_owned);
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    let Some(addr) = addr else {
        bail!("{name} did not start")
    };
    // keep draining its output so it never blocks on a full pipe
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, format!("http://{addr}")))
}
