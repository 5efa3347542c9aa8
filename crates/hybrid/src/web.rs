//! The web client, served at `/` from its built files (`http.web_dir`, by default `web/dist`).
//!
//! Paths outside `/api/` (and `/metrics`) that name no file get `index.html`, so the client's own router handles
//! deep links such as `/join/<code>`. Vite puts content-hashed files under `/assets/`: those are
//! cached for a year; everything else is revalidated so a new release shows up on reload.

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

/// The fallback service for every path no API route took.
pub fn fallback(web_dir: &str) -> Router {
    let dir = PathBuf::from(web_dir);
    let index = dir.join("index.html");
    if web_dir.is_empty() || !index.is_file() {
        if !web_dir.is_empty() {
            tracing::info!(dir = %dir.display(), "web client not built; `/` shows how to build it");
        }
        return Router::new().fallback(move |request: Request| not_built(request, dir.clone()));
    }
    let files = ServeDir::new(&dir).fallback(ServeFile::new(index));
    Router::new()
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_and_api_404))
}

async fn cache_and_api_404(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_api(path) {
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

async fn not_built(request: Request, dir: PathBuf) -> Response {
    if is_api(request.uri().path()) || dir.as_os_str().is_empty() {
        return api_not_found();
    }
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Hybrid</title>\
         <h1>Hybrid is running</h1><p>The web client is not built in <code>{}</code>. Build it with \
         <code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>, or use the API: \
         <a href=/api/docs>/api/docs</a>.</p>",
        html_escape(&dir)
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

fn html_escape(path: &Path) -> String {
    path.display()
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
