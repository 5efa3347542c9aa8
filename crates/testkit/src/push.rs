//! What Hybrid sends to a Web Push service, opened by implementations that share no code with
//! Hybrid's (`push_check.py`: Python's http_ece and cryptography, which `scripts/backends.sh
//! ensure_python_tools` installs into `~/.cache/hybrid/python`, or `$HYBRID_TEST_PYTHON`).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `push_check.py` on `input` (`{"private", "auth", "body"}` base64url, and/or
/// `{"authorization"}`): `{"payload"}` (the decrypted text), `{"head", "claims", "k"}` of a
/// VAPID header whose signature verified. Panics when a check fails.
pub fn push_check(input: &Value) -> Value {
    // embedded, not read from the checkout: build caches are shared between checkouts, and a
    // path baked in at build time may be another (gone) copy's
    run_python(include_str!("../push_check.py"), input)
}

/// Runs the Python `script` with the test tools, `input` as JSON on its standard input: what
/// it prints, as JSON. Panics when it fails.
pub fn run_python(script: &str, input: &Value) -> Value {
    let mut child = Command::new(python_tools())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the Python test tools (scripts/backends.sh ensure_python_tools)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The Python that has the test tools (http_ece, cryptography, aiosmtpd).
pub fn python_tools() -> String {
    std::env::var("HYBRID_TEST_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/hybrid/python/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    })
}
