//! The web client as a release serves it: found beside the binary from any working directory,
//! its build's compressed copies sent to browsers that accept them, source maps never served,
//! and a clear page when the build is missing.

use std::path::Path;

use hybrid_testkit::{Stack, TestServer, json_of};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, VARY};

use crate::BIN;

const SCRIPT: &str = "console.log('hybrid');\n";

/// A release laid out as an archive unpacks: `hybrid` and `web/` side by side.
fn release(dir: &Path) -> String {
    let bin = dir.join("hybrid");
    std::fs::copy(BIN, &bin).expect("copying the binary");
    let web = dir.join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><title>Hybrid release</title>").unwrap();
    std::fs::write(web.join("assets/app-1.js"), SCRIPT).unwrap();
    // the bytes are sent as they are, so stand-ins show which copy was chosen
    std::fs::write(web.join("assets/app-1.js.br"), b"brotli bytes").unwrap();
    std::fs::write(web.join("assets/app-1.js.gz"), b"gzip bytes").unwrap();
    std::fs::write(web.join("assets/app-1.js.map"), "{\"sources\": []}").unwrap();
    bin.display().to_string()
}

async fn fetch(server: &TestServer, path: &str, encodings: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{}{path}", server.base_url));
    if let Some(encodings) = encodings {
        request = request.header(ACCEPT_ENCODING, encodings);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_release_serves_its_client_from_beside_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let bin = release(dir.path());
    // the default (`auto`), started from a folder with no web client in it
    let mut server = TestServer::start_with(&bin, Stack::Embedded, &[("HYBRID_HTTP__WEB_DIR", "auto")]).await;
    let log = server.log_text();
    assert!(log.contains("serving the web client beside the binary"), "{log}");

    let page = fetch(&server, "/chat/12", None).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
    assert!(
        page.text().await.unwrap().contains("Hybrid release"),
        "client routes get index.html"
    );

    let plain = fetch(&server, "/assets/app-1.js", None).await;
    assert!(!plain.headers().contains_key(CONTENT_ENCODING));
    assert_eq!(plain.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(plain.text().await.unwrap(), SCRIPT);
    for (accepts, chosen, bytes) in [
        ("gzip, deflate, br", "br", &b"brotli bytes"[..]),
        ("gzip", "gzip", &b"gzip bytes"[..]),
    ] {
        let asset = fetch(&server, "/assets/app-1.js", Some(accepts)).await;
        assert_eq!(asset.headers()[CONTENT_ENCODING], chosen, "{accepts}");
        let vary: Vec<&str> = asset
            .headers()
            .get_all(VARY)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let names = vary.join(",");
        assert!(
            names.split(',').any(|name| name.trim() == "accept-encoding"),
            "caches keep one copy per encoding: {vary:?}"
        );
        assert_eq!(&asset.bytes().await.unwrap()[..], bytes, "{accepts}: the build's copy");
    }

    let map = json_of(fetch(&server, "/assets/app-1.js.map", None).await).await;
    assert_eq!(
        (map.0.as_u16(), map.1["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    // API answers worth compressing are gzipped for clients that ask; small ones are not
    let reference = fetch(&server, "/api/openapi.json", Some("gzip")).await;
    assert_eq!(reference.headers()[CONTENT_ENCODING], "gzip");
    let health = fetch(&server, "/healthz", Some("gzip")).await;
    assert!(
        !health.headers().contains_key(CONTENT_ENCODING),
        "a tiny answer goes as it is"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_missing_client_shows_where_hybrid_looked() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-build");
    let missing = missing.display().to_string();
    let mut server = TestServer::start_with(BIN, Stack::Embedded, &[("HYBRID_HTTP__WEB_DIR", &missing)]).await;
    let page = fetch(&server, "/", None).await;
    assert_eq!(page.status(), 404);
    let text = page.text().await.unwrap();
    assert!(text.contains(&missing) && text.contains("npm --prefix web"), "{text}");
    let api = json_of(fetch(&server, "/api/v1/nowhere", None).await).await;
    assert_eq!(api.1["error"]["code"], "not_found", "the API keeps its JSON errors");
    server.stop().await;
}
