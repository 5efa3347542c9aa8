//! The README's tour runs exactly as written against a fresh server on the default address.

use hybrid_testkit::{Stack, TestServer};

use crate::BIN;

/// The ```bash blocks of the README's "## Tour" section, in order.
fn tour_script() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let tour = readme.split("\n## Tour\n").nth(1).expect("a Tour section");
    let tour = tour.split("\n## ").next().unwrap();
    let mut script = String::from("set -euo pipefail\n");
    let mut in_block = false;
    for line in tour.lines() {
        match line.trim() {
            "```bash" => in_block = true,
            "```" => in_block = false,
            _ if in_block => {
                script.push_str(line);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

#[tokio::test]
async fn readme_tour_works_as_written() {
    let script = tour_script();
    assert!(script.lines().count() > 10, "{script}");
    let server = TestServer::start_at(BIN, Stack::Embedded, "127.0.0.1:8080", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("HYBRID", BIN)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tour failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(r#""display_name":"Alice""#), "{stdout}");
    assert!(stdout.contains(r#""username":"bob""#), "{stdout}");
    assert!(stdout.contains(r#""device":"laptop""#), "{stdout}");
    assert!(stdout.contains(r#""code":"username_taken""#), "{stdout}");
    // Bob's socket saw Alice's message, its notification and her typing
    assert!(
        stdout.contains(r#""kind":"message.new""#) && stdout.contains(r#""text":"Hi Bob! 👋""#),
        "{stdout}"
    );
    assert!(stdout.contains(r#"{"type":"notification.new""#), "{stdout}");
    assert!(stdout.contains(r#"{"type":"typing""#), "{stdout}");
    assert!(
        stdout.contains(r#""text":"Hello Alice!""#) && stdout.contains(r#""reply_to":1"#),
        "{stdout}"
    );
    drop(server);
}
