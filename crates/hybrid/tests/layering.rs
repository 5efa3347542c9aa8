//! The layering the architecture promises: the generic crates (core, rpc, rpc-build, bus,
//! store, state, jobs, outbound) depend on no service crate, and their code names no service (by its name in
//! `hybrid services`), no service's crate and no contract; the bus names no kind of addressee. Read from `cargo metadata` and from the sources, so a change that breaks it fails
//! here rather than in review.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const GENERIC: [&str; 9] = [
    "hybrid-core",
    "hybrid-rpc",
    "hybrid-rpc-build",
    "hybrid-bus",
    "hybrid-store",
    "hybrid-state",
    "hybrid-jobs",
    "hybrid-outbound",
    "hybrid-webhooks",
];
/// Workspace members that are neither generic nor a service: the binary and the test and
/// benchmark harnesses, which may know every service.
const ABOVE: [&str; 3] = ["hybrid", "hybrid-testkit", "hybrid-bench"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("running cargo metadata");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every workspace package: (name, its directory, the names of everything it depends on).
fn packages() -> Vec<(String, PathBuf, Vec<String>)> {
    let metadata = metadata();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap());
            let dependencies = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            (
                package["name"].as_str().unwrap().to_owned(),
                manifest.parent().unwrap().to_path_buf(),
                dependencies,
            )
        })
        .collect()
}

/// Every `.rs` file under `dir` (its sources, tests and build script).
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The names of each api crate's gRPC services and packages, from its `.proto` files:
/// `UserDirectory`, `hybrid.users.v1`.
fn contract_names(api_crate: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![api_crate.join("proto")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                match words.as_slice() {
                    ["service", name, ..] | ["package", name, ..] => names.push(name.trim_end_matches(';').to_owned()),
                    _ => {}
                }
            }
        }
    }
    names
}

/// The services the binary knows, from `hybrid services`.
fn listed_services() -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_hybrid"))
        .arg("services")
        .output()
        .expect("the hybrid binary runs");
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// `code` without its comments (`//` to the end of a line).
fn without_comments(code: &str) -> String {
    code.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn names_word(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        let part_of_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !part_of_word(before) && !part_of_word(after)
    })
}

#[test]
fn generic_crates_depend_on_no_service_and_name_none() {
    let packages = packages();
    let services: Vec<&(String, PathBuf, Vec<String>)> = packages
        .iter()
        .filter(|(name, _, _)| !GENERIC.contains(&name.as_str()) && !ABOVE.contains(&name.as_str()))
        .collect();
    let service_names: BTreeSet<&str> = services.iter().map(|(name, _, _)| name.as_str()).collect();
    assert!(
        service_names.contains("hybrid-chats") && service_names.contains("hybrid-users-api"),
        "{service_names:?}"
    );
    // what generic code must not name: each service (as the binary lists it, and the test-only
    // example), each service crate (as a path) and each contract
    let mut forbidden: Vec<String> = service_names.iter().map(|name| name.replace('-', "_")).collect();
    forbidden.extend(listed_services());
    forbidden.push("example".into());
    assert!(forbidden.iter().any(|n| n == "chats"), "{forbidden:?}");
    for (name, dir, _) in &services {
        if name.ends_with("-api") {
            forbidden.extend(contract_names(dir));
        }
    }
    assert!(
        forbidden.iter().any(|n| n == "UserDirectory") && forbidden.iter().any(|n| n == "hybrid.chats.v1"),
        "the contracts were not found: {forbidden:?}"
    );

    let mut problems = Vec::new();
    for (name, dir, dependencies) in packages.iter().filter(|(name, _, _)| GENERIC.contains(&name.as_str())) {
        for dependency in dependencies.iter().filter(|d| service_names.contains(d.as_str())) {
            problems.push(format!("{name} depends on the service crate {dependency}"));
        }
        let mut files = Vec::new();
        rust_files(dir, &mut files);
        assert!(!files.is_empty(), "no sources found for {name}");
        for file in files {
            let code = without_comments(&std::fs::read_to_string(&file).unwrap());
            for word in forbidden.iter().filter(|word| names_word(&code, word)) {
                problems.push(format!("{} names {word}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The bus carries topics as a namespace and an id, and controls as text: what they mean is
/// agreed by the services using them, so its code names no addressee.
#[test]
fn the_bus_names_no_chat_user_or_session() {
    let mut files = Vec::new();
    rust_files(&root().join("crates/bus"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let code = without_comments(&std::fs::read_to_string(&file).unwrap()).to_lowercase();
        for word in ["chat", "chats", "user", "users", "session", "sessions"] {
            if names_word(&code, word) {
                problems.push(format!("{} names {word}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_sees_what_it_looks_for() {
    let code = without_comments("use hybrid_users_api::UserDirectory; // hybrid_chats");
    assert!(names_word(&code, "UserDirectory"));
    assert!(names_word(&code, "hybrid_users_api"));
    assert!(!names_word(&code, "hybrid_chats"), "comments are not code");
    assert!(
        !names_word(&code, "hybrid_users"),
        "a prefix of a longer name is not the name"
    );
}
