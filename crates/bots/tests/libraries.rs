//! The Bot API against the libraries bots are really written with, on both stacks: aiogram 3
//! and python-telegram-bot 22, each with a bot written as for Telegram (only the server URL and
//! token changed), the example bots of their documentation run unmodified but for those two
//! lines, and webhook bots on each library's own webhook server. The Python is in
//! `tests/python/` (`people.py` drives a person over Hybrid's own API; `scenarios.py` holds the
//! scenarios both suites run through their library — messages, keyboards, privacy, member
//! updates, join requests, bans, administration, files — and each suite wires its library's
//! handlers to them; each script prints one line per scenario and exits non-zero with what
//! failed). Python and the libraries come from
//! `scripts/backends.sh ensure_python_tools` (`HYBRID_TEST_PYTHON`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use hybrid_testkit::{Stack, TestServer, TestUser, hybrid_binary, python_tools, stack_tests};
use tokio::process::Command;

mod support;
use support::{direct_chat, make_bot};

stack_tests!(
    aiogram_bots_work_on_hybrid,
    python_telegram_bot_bots_work_on_hybrid,
    the_libraries_example_bots_run_unmodified,
    webhook_bots_of_both_libraries
);

/// The longest one script may take (each of its waits is at most 20 s; importing aiogram
/// alone takes seconds on a busy machine).
const SCRIPT_LIMIT: Duration = Duration::from_secs(240);

/// Hybrid for the scripts: a low per-chat flood limit whose window outlasts a suite (the
/// flood scenario hits it within a few messages), and webhooks allowed to reach 127.0.0.1.
async fn start(stack: Stack) -> TestServer {
    let env = [
        ("HYBRID_BOTS__MESSAGES_PER_CHAT", "5"),
        ("HYBRID_BOTS__CHAT_WINDOW_SECS", "60"),
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
    ];
    TestServer::start_with(&hybrid_binary(), stack, &env).await
}

/// `tests/python` of this crate: of the checkout `cargo test` runs in (cargo sets
/// `CARGO_MANIFEST_DIR` for the test too), else of the one the test was built from.
fn python_dir() -> PathBuf {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let dir = PathBuf::from(crate_dir).join("tests/python");
    assert!(dir.join("people.py").exists(), "{} is missing", dir.display());
    dir
}

/// What a script needs to be `person` talking with a new bot of theirs in a direct chat:
/// HYBRID_URL, PERSON_TOKEN, PERSON_ID, BOT_TOKEN, BOT_ID, CHAT_ID.
async fn bot_env(server: &TestServer, person: &TestUser, username: &str, name: &str) -> Vec<(&'static str, String)> {
    let (bot_id, token) = make_bot(server, person, username, name).await;
    let chat = direct_chat(server, person, bot_id).await;
    vec![
        ("HYBRID_URL", server.base_url.clone()),
        ("PERSON_TOKEN", person.access_token.clone()),
        ("PERSON_ID", person.id.to_string()),
        ("BOT_TOKEN", token),
        ("BOT_ID", bot_id.to_string()),
        ("CHAT_ID", chat.to_string()),
    ]
}

/// Runs `tests/python/<args…>` with `env`; panics with its output unless it exits 0.
async fn run(args: &[&str], env: &[(&'static str, String)]) {
    let mut command = Command::new(python_tools());
    command
        .args(args)
        .current_dir(python_dir())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        // nothing written into the checkout; nothing local sent through a proxy
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .expect("the Python test tools (scripts/backends.sh ensure_python_tools)");
    let output = tokio::time::timeout(SCRIPT_LIMIT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{args:?} still running after {SCRIPT_LIMIT:?}"))
        .expect("waiting for the script");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{args:?} failed ({}):\n{said}", output.status);
    println!("{said}");
}

async fn aiogram_bots_work_on_hybrid(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let env = bot_env(&server, &amy, "aiogram_bot", "Aiogram").await;
    run(&["aiogram_suite.py"], &env).await;
}

async fn python_telegram_bot_bots_work_on_hybrid(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let env = bot_env(&server, &amy, "ptb_bot", "PTB").await;
    run(&["ptb_suite.py"], &env).await;
}

async fn the_libraries_example_bots_run_unmodified(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let aiogram = bot_env(&server, &amy, "aiogram_echo_bot", "Echo").await;
    run(&["run_example.py", "examples/aiogram_echo_bot.py"], &aiogram).await;
    let ptb = bot_env(&server, &amy, "ptb_echo_bot", "Echo").await;
    run(&["run_example.py", "examples/ptb_echobot.py"], &ptb).await;
}

async fn webhook_bots_of_both_libraries(stack: Stack) {
    let server = start(stack).await;
    let amy = server.register("amy").await;
    let aiogram = bot_env(&server, &amy, "aiogram_hook_bot", "Hook").await;
    run(&["aiogram_webhook.py"], &aiogram).await;
    let ptb = bot_env(&server, &amy, "ptb_hook_bot", "Hook").await;
    run(&["ptb_webhook.py"], &ptb).await;
}
