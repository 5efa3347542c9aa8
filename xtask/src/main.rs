//! `cargo xtask new-service NAME`: a compiling service from `xtask/template` (a route, a table on
//! both dialects, an internal API over gRPC, a frame to sockets, e2e tests on both stacks), put
//! in `crates/NAME` and wired into the binary with the only two lines a service needs outside
//! its folder. docs/adding-a-service.md says what to do next.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the binary lists its services; the generator adds a line above each marker.
const REGISTRY: &str = "crates/hybrid/src/registry.rs";
const REGISTRY_MARKER: &str = "// new services: above this line (cargo xtask new-service)";
const BINARY_MANIFEST: &str = "crates/hybrid/Cargo.toml";
const MANIFEST_MARKER: &str = "# new services: above this line (cargo xtask new-service)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["new-service", name] => new_service(&repository_root(), name),
        _ => Err("usage: cargo xtask new-service NAME   (NAME: 2 to 32 letters a-z)".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The checkout this xtask belongs to.
fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the repository")
        .to_owned()
}

fn new_service(root: &Path, name: &str) -> Result<(), String> {
    check_name(name)?;
    let crate_dir = root.join("crates").join(name);
    if crate_dir.exists() {
        return Err(format!("crates/{name} exists already"));
    }
    let registry = read(&root.join(REGISTRY))?;
    if registry.contains(&format!("hybrid_{name}::")) {
        return Err(format!("the registry names a service `{name}` already"));
    }
    let camel = camel_case(name);
    let fill = |text: &str| text.replace("{{name}}", name).replace("{{Name}}", &camel);
    let template = root.join("xtask/template");
    for source in files_under(&template)? {
        let relative = source.strip_prefix(&template).expect("under the template");
        let target = match relative.to_str() {
            Some("Cargo.toml.tmpl") => PathBuf::from("Cargo.toml"),
            Some("proto/service.proto") => PathBuf::from(format!("proto/hybrid/{name}/v1/{name}.proto")),
            _ => relative.to_owned(),
        };
        let target = crate_dir.join(target);
        fs::create_dir_all(target.parent().expect("a file has a folder")).map_err(|e| e.to_string())?;
        fs::write(&target, fill(&read(&source)?)).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    insert_above(
        &root.join(REGISTRY),
        REGISTRY_MARKER,
        &format!("Box::new(hybrid_{name}::{camel}Module),"),
    )?;
    insert_above(
        &root.join(BINARY_MANIFEST),
        MANIFEST_MARKER,
        &format!("hybrid-{name} = {{ path = \"../{name}\" }}"),
    )?;
    // Imports sort by the name: let rustfmt lay the new code out as the repository does.
    let formatted = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["fmt", "-p", &format!("hybrid-{name}")])
        .current_dir(root)
        .status();
    if !formatted.is_ok_and(|status| status.success()) {
        eprintln!("note: could not run cargo fmt on crates/{name}; run it before committing");
    }
    println!(
        "made crates/{name} and added it to {REGISTRY} and {BINARY_MANIFEST}.\n\
         next: cargo test -p hybrid-{name} (after cargo build -p hybrid), then the checklist in \
         docs/adding-a-service.md: deploy files, docs, web screens, abuse coverage."
    );
    Ok(())
}

/// A service name is a plain lowercase word: it names the crate, the database, the config
/// section, the URL prefix and the proto package.
fn check_name(name: &str) -> Result<(), String> {
    let plain = (2..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase());
    if !plain {
        return Err(format!("`{name}`: a service name is 2 to 32 letters a-z"));
    }
    const TAKEN: &[&str] = &[
        "all", "api", "core", "store", "bus", "state", "rpc", "testkit", "web", "xtask",
    ];
    if TAKEN.contains(&name) {
        return Err(format!("`{name}` is a name Hybrid uses for something else"));
    }
    Ok(())
}

fn camel_case(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Inserts `line` above the line holding `marker`, with the marker's indentation.
fn insert_above(path: &Path, marker: &str, line: &str) -> Result<(), String> {
    let text = read(path)?;
    let at = text
        .find(marker)
        .ok_or_else(|| format!("{}: the line `{marker}` is gone; put it back", path.display()))?;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..at];
    let updated = format!("{}{indent}{line}\n{}", &text[..line_start], &text[line_start..]);
    fs::write(path, updated).map_err(|e| format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_words_not_taken() {
        assert!(check_name("notes").is_ok());
        for bad in ["a", "Notes", "my_notes", "notes2", "all", "web", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(camel_case("notes"), "Notes");
    }

    #[test]
    fn lines_go_above_the_marker_with_its_indent() {
        let dir = std::env::temp_dir().join(format!("xtask-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("list.rs");
        fs::write(&file, "vec![\n    a,\n    // marker\n]\n").unwrap();
        insert_above(&file, "// marker", "b,").unwrap();
        assert_eq!(read(&file).unwrap(), "vec![\n    a,\n    b,\n    // marker\n]\n");
        assert!(insert_above(&file, "// gone", "c,").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
