//! The web client, served at `/` from its built files.
//!
//! Where the files are: `http.web_dir` names a folder, or is `auto` (the default) to take the
//! first that holds an `index.html` of: `web/` beside the binary (a release archive),
//! `../share/hybrid/web` from the binary (an installed package), `web/dist` in the working
//! directory, and the checkout the binary was built from. A log line says which one serves.
//!
//! Paths outside `/api/` (and `/metrics`) that name no file get `index.html`, so the client's own
//! router handles deep links such as `/join/<code>`. Vite puts content-hashed files under
//! `/assets/`: those are cached for a year; everything else is revalidated so a new release shows
//! up on reload. The build writes `.br` and `.gz` beside each text file, sent to browsers that
//! accept them; source maps (`*.map`) are never served.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use hybrid_core::{ApiError, Code};
use tower_http::services::{ServeDir, ServeFile};

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// `http.web_dir`'s value that searches the usual places.
pub const AUTO: &str = "auto";

/// Where the web client's files were found, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub dir: PathBuf,
    pub how: &'static str,
}

/// The folder to serve for `http.web_dir = configured`: `Ok` with the folder holding
/// `index.html`, or `Err` with the folders looked in (none when the setting is empty).
pub fn locate(configured: &str, exe: Option<&Path>, cwd: &Path) -> Result<Located, Vec<PathBuf>> {
    let candidates: Vec<(PathBuf, &'static str)> = match configured {
        "" => Vec::new(),
        AUTO => {
            let beside = exe.and_then(Path::parent);
            [
                beside.map(|dir| (dir.join("web"), "beside the binary")),
                beside.map(|dir| (dir.join("../share/hybrid/web"), "installed beside the binary")),
                Some((cwd.join("web/dist"), "in the working directory")),
                Some((
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist"),
                    "in the checkout the binary was built from",
                )),
            ]
            .into_iter()
            .flatten()
            .collect()
        }
        path => vec![(cwd.join(path), "configured in http.web_dir")],
    };
    match candidates.iter().find(|(dir, _)| dir.join("index.html").is_file()) {
        Some((dir, how)) => Ok(Located {
            dir: dir.canonicalize().unwrap_or_else(|_| dir.clone()),
            how,
        }),
        None => Err(candidates.into_iter().map(|(dir, _)| dir).collect()),
    }
}

/// The fallback service for every path no API route took.
pub fn fallback(web_dir: &str) -> Router {
    let cwd = std::env::current_dir().unwrap_or_default();
    let exe = std::env::current_exe().ok();
    match locate(web_dir, exe.as_deref(), &cwd) {
        Ok(Located { dir, how }) => {
            tracing::info!(dir = %dir.display(), "serving the web client {how}");
            serve(&dir)
        }
        Err(looked_in) if looked_in.is_empty() => Router::new().fallback(|| async { api_not_found() }),
        Err(looked_in) => {
            let looked_in: Vec<String> = looked_in.iter().map(|dir| dir.display().to_string()).collect();
            tracing::info!(looked_in = %looked_in.join(", "), "web client not found; `/` shows how to build it");
            Router::new().fallback(move |request: Request| not_built(request, looked_in.clone()))
        }
    }
}

fn serve(dir: &Path) -> Router {
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(guard_and_cache))
}

async fn guard_and_cache(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_api(path) || path.ends_with(".map") {
        return api_not_found();
    }
    let cache = if path.starts_with("/assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut response = next.run(request).await;
    if response.status().is_success() {
        response.headers_mut().insert(header::CACHE_CONTROL, cache);
    }
    response
}

async fn not_built(request: Request, looked_in: Vec<String>) -> Response {
    if is_api(request.uri().path()) {
        return api_not_found();
    }
    let folders: String = looked_in
        .iter()
        .map(|dir| format!("<li><code>{}</code></li>", hybrid_core::text::html_escape(dir)))
        .collect();
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Hybrid</title>\
         <h1>Hybrid is running</h1><p>The web client is not built. Looked in:</p><ul>{folders}</ul>\
         <p>Build it with <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code> \
         (or set <code>http.web_dir</code>), or use the API: <a href=/api/docs>/api/docs</a>.</p>"
    );
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

/// Paths the client never owns: the API, and `/metrics`, which answers on its own listener
/// (a 404 here, not the client's page, so nobody mistakes the public port for a scrape target).
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

fn api_not_found() -> Response {
    ApiError::new(Code::NotFound, "no such endpoint").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_in(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
    }

    #[test]
    fn auto_prefers_the_build_beside_the_binary_then_the_installed_one() {
        let root = tempfile::tempdir().unwrap();
        let exe = root.path().join("bin/hybrid");
        std::fs::create_dir(root.path().join("bin")).unwrap();
        let cwd = root.path().join("elsewhere");
        build_in(&root.path().join("share/hybrid/web"));
        let found = locate(AUTO, Some(&exe), &cwd).unwrap();
        assert_eq!(found.how, "installed beside the binary");
        build_in(&root.path().join("bin/web"));
        let found = locate(AUTO, Some(&exe), &cwd).unwrap();
        assert_eq!(
            (found.dir, found.how),
            (root.path().join("bin/web").canonicalize().unwrap(), "beside the binary")
        );
    }

    #[test]
    fn a_configured_folder_is_the_only_one_looked_in() {
        let root = tempfile::tempdir().unwrap();
        build_in(&root.path().join("bin/web"));
        let exe = root.path().join("bin/hybrid");
        assert_eq!(
            locate("ui", Some(&exe), root.path()),
            Err(vec![root.path().join("ui")]),
            "relative to the working directory, and nowhere else"
        );
        build_in(&root.path().join("ui"));
        assert_eq!(
            locate("ui", Some(&exe), root.path()).unwrap().how,
            "configured in http.web_dir"
        );
        assert_eq!(locate("", Some(&exe), root.path()), Err(vec![]), "empty: no web UI");
    }
}
