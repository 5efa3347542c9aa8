//! The dependency policy, read from `cargo metadata` (what Cargo.lock resolves):
//! every crate's licence allows Hybrid to stay MIT OR Apache-2.0 (no GPL, AGPL or LGPL unless
//! a permissive alternative is offered), and no heavy crate is built in two versions, which
//! costs the 2-core build twice. A crate that breaks either fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Licences a dependency may have (SPDX ids). BSL-1.0 (Boost) is as permissive as MIT and
/// asks for no notice in binaries; MPL-2.0 is file-level copyleft, fine for a dependency we
/// do not modify.
const ALLOWED: [&str; 13] = [
    "MIT",
    "MIT-0",
    "Apache-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "0BSD",
    "ISC",
    "Zlib",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "MPL-2.0",
    "BSL-1.0",
];

/// Crates whose second version would cost real build time or binary size.
const HEAVY: [&str; 24] = [
    "tokio",
    "hyper",
    "h2",
    "http",
    "axum",
    "tower",
    "tonic",
    "prost",
    "prost-types",
    "sqlx",
    "sqlx-core",
    "libsqlite3-sys",
    "rustls",
    "ring",
    "aws-lc-rs",
    "serde",
    "serde_json",
    "reqwest",
    "regex-automata",
    "utoipa",
    "opentelemetry",
    "async-nats",
    "redis",
    "syn",
];

/// Heavy crates in two versions for now, and why; the test fails when one is no longer
/// doubled, so this list cannot outlive its reason.
const KNOWN_DOUBLES: [(&str, &str); 1] = [(
    "syn",
    "the ecosystem is moving to syn 3 (serde, tokio, clap, utoipa have); axum-macros, \
     ed25519-dalek's derive, logos (protox) and miette still use syn 2",
)];

/// The packages Cargo.lock resolves for this machine's platform (those the build uses; the
/// others may not even be downloaded).
fn metadata() -> serde_json::Value {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc).arg("-vV").output().expect("running rustc -vV");
    let version = String::from_utf8(version.stdout).unwrap();
    let host = version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--filter-platform",
            host,
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .expect("running cargo metadata");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Whether an SPDX licence expression allows use: `OR` needs one side allowed, `AND` both,
/// `X WITH exception` is X. Also reads the old `MIT/Apache-2.0` spelling.
fn allowed(expression: &str) -> bool {
    let spaced = expression.replace('/', " OR ").replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut at = 0;
    let verdict = or_expression(&tokens, &mut at);
    assert_eq!(at, tokens.len(), "cannot read the licence {expression:?}");
    verdict
}

fn or_expression(tokens: &[&str], at: &mut usize) -> bool {
    let mut verdict = and_expression(tokens, at);
    while tokens.get(*at) == Some(&"OR") {
        *at += 1;
        verdict |= and_expression(tokens, at);
    }
    verdict
}

fn and_expression(tokens: &[&str], at: &mut usize) -> bool {
    let mut verdict = licence(tokens, at);
    while tokens.get(*at) == Some(&"AND") {
        *at += 1;
        verdict &= licence(tokens, at);
    }
    verdict
}

fn licence(tokens: &[&str], at: &mut usize) -> bool {
    let token = tokens.get(*at).copied().unwrap_or_default();
    *at += 1;
    if token == "(" {
        let verdict = or_expression(tokens, at);
        assert_eq!(tokens.get(*at), Some(&")"), "unbalanced licence expression");
        *at += 1;
        return verdict;
    }
    if tokens.get(*at) == Some(&"WITH") {
        *at += 2;
    }
    ALLOWED.contains(&token)
}

#[test]
fn the_licence_reader_follows_spdx() {
    assert!(allowed("MIT OR Apache-2.0"));
    assert!(allowed("MIT/Apache-2.0"));
    assert!(allowed("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(allowed("Apache-2.0 WITH LLVM-exception OR MIT"));
    assert!(allowed("MIT OR Apache-2.0 OR LGPL-2.1-or-later"));
    assert!(!allowed("GPL-3.0-only"));
    assert!(!allowed("MIT AND GPL-2.0-or-later"));
    assert!(!allowed("AGPL-3.0-or-later OR SSPL-1.0"));
    assert!(!allowed("LGPL-2.1-only"));
}

#[test]
fn every_dependency_has_an_allowed_licence() {
    let metadata = metadata();
    let workspace: BTreeSet<&str> = metadata["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    let mut refused = Vec::new();
    let mut checked = 0;
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let licence = package["license"].as_str().unwrap_or_default();
        if workspace.contains(package["id"].as_str().unwrap()) {
            assert_eq!(
                licence, "MIT OR Apache-2.0",
                "{name}: Hybrid's own crates share its licence"
            );
            continue;
        }
        checked += 1;
        if licence.is_empty() || !allowed(licence) {
            refused.push(format!("{name} {}: {licence:?}", package["version"]));
        }
    }
    assert!(checked > 100, "cargo metadata listed the dependencies ({checked})");
    assert!(
        refused.is_empty(),
        "dependencies under a licence outside {ALLOWED:?} (tests/dependencies.rs): {refused:#?}"
    );
}

#[test]
fn no_heavy_crate_is_built_twice() {
    let metadata = metadata();
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for package in metadata["packages"].as_array().unwrap() {
        versions
            .entry(package["name"].as_str().unwrap())
            .or_default()
            .insert(package["version"].as_str().unwrap());
    }
    for name in HEAVY {
        let found = versions.get(name).map(BTreeSet::len).unwrap_or(0);
        let known = KNOWN_DOUBLES.iter().find(|(known, _)| *known == name);
        match known {
            None => assert!(
                found <= 1,
                "{name} is in the build in versions {:?}: align the dependencies that pull the old \
                 one (cargo tree -i {name}@<version>)",
                versions[name]
            ),
            Some((_, why)) => assert!(
                found > 1,
                "{name} is built once now: remove it from KNOWN_DOUBLES (it was there because {why})"
            ),
        }
    }
}
