//! An SMTP sink for the email tests: `smtp_sink.py` runs aiosmtpd (installed by
//! `scripts/backends.sh ensure_python_tools`) and parses each message it takes with Python's
//! `email` package, an implementation that shares no code with Hybrid's, so a test reads the
//! headers and parts as a mail client would.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::until;

/// A running sink: its address, and the messages it has taken so far.
pub struct SmtpSink {
    /// `smtp://127.0.0.1:<port>`, for `HYBRID_NOTIFY__SMTP_URL`.
    pub url: String,
    received: Arc<Mutex<Vec<Value>>>,
    /// Killed when the sink is dropped.
    _child: Child,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let port = crate::free_port();
        let mut child = Command::new(crate::python_tools())
            .args(["-c", include_str!("../smtp_sink.py"), &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the email test tools (scripts/backends.sh ensure_python_tools)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap();
        assert_eq!(first.as_deref(), Some("ready"), "the SMTP sink did not start");
        let received: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = received.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(serde_json::from_str(&line).unwrap());
            }
        });
        SmtpSink {
            url: format!("smtp://127.0.0.1:{port}"),
            received,
            _child: child,
        }
    }

    /// Every message taken so far, oldest first: `{mail_from, rcpt_tos, headers (lower-case
    /// names), content_type, text, html}`.
    pub fn messages(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` messages have come; all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        let so_far = || self.messages().len();
        until(
            &format!("{count} emails (the sink has {} when this starts)", so_far()),
            || async {
                let all = self.messages();
                (all.len() >= count).then_some(all)
            },
        )
        .await
    }
}

/// The first link in `text` (an email's) that starts with `prefix`, up to the next space.
pub fn link_in<'a>(text: &'a str, prefix: &str) -> &'a str {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    let rest = &text[start..];
    &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())]
}
