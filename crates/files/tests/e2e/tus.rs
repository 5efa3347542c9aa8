//! Resumable uploads over tus 1.0: the protocol's rules through plain requests, and a cut
//! upload resumed by tus-js-client in Node (`tus-resume.mjs`), on both stacks.

use reqwest::Method;

use super::*;

stack_tests!(
    tus_uploads_resume_from_what_is_stored,
    tus_uploads_keep_to_limits_and_expire,
    tus_js_client_resumes_an_upload_cut_midway
);

const MIB: usize = 1 << 20;

/// A tus request from `user` (`None`: no token), with `Tus-Resumable` unless `headers` sets
/// it; the status, headers and body.
async fn tus(
    server: &TestServer,
    user: Option<&TestUser>,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = server.http.request(method, server.url(path)).body(body);
    if let Some(user) = user {
        request = request.bearer_auth(&user.access_token);
    }
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("tus-resumable"))
    {
        request = request.header("Tus-Resumable", "1.0.0");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.unwrap();
    (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Starts an upload of `length` bytes named `name`: its path.
pub(crate) async fn create(server: &TestServer, user: &TestUser, length: usize, name: &str) -> String {
    let metadata = format!("filename {}", base64(name.as_bytes()));
    let length = length.to_string();
    let headers = [
        ("Upload-Length", length.as_str()),
        ("Upload-Metadata", metadata.as_str()),
    ];
    let (status, headers, body) = tus(
        server,
        Some(user),
        Method::POST,
        "/api/v1/files/uploads",
        &headers,
        vec![],
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(header_of(&headers, "tus-resumable"), "1.0.0");
    assert!(httpdate_is_future(header_of(&headers, "upload-expires")), "{headers:?}");
    let location = header_of(&headers, "location").to_owned();
    assert!(location.starts_with("/api/v1/files/uploads/"), "{location}");
    location
}

/// PATCHes `bytes` at `offset`.
pub(crate) async fn patch(
    server: &TestServer,
    user: &TestUser,
    path: &str,
    offset: usize,
    bytes: &[u8],
) -> (StatusCode, HeaderMap, Value) {
    let offset = offset.to_string();
    let headers = [
        ("Upload-Offset", offset.as_str()),
        ("Content-Type", "application/offset+octet-stream"),
    ];
    tus(server, Some(user), Method::PATCH, path, &headers, bytes.to_vec()).await
}

/// The upload's offset, as `HEAD` tells it (after checking the answer's other headers).
async fn offset(server: &TestServer, user: &TestUser, path: &str) -> Result<usize, StatusCode> {
    let (status, headers, _) = tus(server, Some(user), Method::HEAD, path, &[], vec![]).await;
    if status != 200 {
        return Err(status);
    }
    assert_eq!(header_of(&headers, "cache-control"), "no-store");
    assert!(!header_of(&headers, "upload-length").is_empty());
    Ok(header_of(&headers, "upload-offset").parse().unwrap())
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn httpdate_is_future(text: &str) -> bool {
    httpdate::parse_http_date(text).is_ok_and(|at| at > std::time::SystemTime::now())
}

async fn used_bytes(server: &TestServer, user: &TestUser) -> i64 {
    let (_, usage) = server.get("/api/v1/files/usage", Some(&user.access_token)).await;
    usage["used_bytes"].as_i64().unwrap()
}

async fn tus_uploads_resume_from_what_is_stored(stack: Stack) {
    let server = start(stack, &[]).await;
    let amy = server.register("amy").await;
    let ben = server.register("ben").await;

    // discovery needs neither the header nor a token
    let (status, headers, _) = tus(
        &server,
        None,
        Method::OPTIONS,
        "/api/v1/files/uploads",
        &[("Tus-Resumable", "")],
        vec![],
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(header_of(&headers, "tus-version"), "1.0.0");
    assert_eq!(header_of(&headers, "tus-extension"), "creation,termination,expiration");
    assert_eq!(header_of(&headers, "tus-max-size"), (2u64 << 30).to_string());
    // another protocol version, no length
    let (status, headers, body) = tus(
        &server,
        Some(&amy),
        Method::POST,
        "/api/v1/files/uploads",
        &[("Tus-Resumable", "0.2.2"), ("Upload-Length", "10")],
        vec![],
    )
    .await;
    assert_error(&(status, body), 412, "tus_version_unsupported", None);
    assert_eq!(header_of(&headers, "tus-version"), "1.0.0");
    let (status, _, body) = tus(&server, Some(&amy), Method::POST, "/api/v1/files/uploads", &[], vec![]).await;
    assert_error(&(status, body), 400, "bad_request", None);

    // 9 MiB in three requests of 3 MiB: a whole part (8 MiB) and a last one, with the bytes
    // past a part kept as a tail between requests; the type is sniffed, never told
    let bytes = png(9 * MIB);
    let path = create(&server, &amy, bytes.len(), "отчёт.png").await;
    assert_eq!(offset(&server, &amy, &path).await, Ok(0));
    assert_eq!(
        used_bytes(&server, &amy).await,
        9 * MIB as i64,
        "the upload reserves its length"
    );
    let (status, _, body) = tus(
        &server,
        Some(&amy),
        Method::PATCH,
        &path,
        &[("Upload-Offset", "0")],
        bytes[..10].to_vec(),
    )
    .await;
    assert_error(&(status, body), 415, "unsupported_media_type", None);
    let wrong_offset = patch(&server, &amy, &path, 5, &bytes[5..10]).await;
    assert_error(&(wrong_offset.0, wrong_offset.2), 409, "offset_mismatch", None);
    let strangers = patch(&server, &ben, &path, 0, &bytes[..10]).await;
    assert_error(&(strangers.0, strangers.2), 404, "not_found", None);
    assert_eq!(offset(&server, &ben, &path).await, Err(StatusCode::NOT_FOUND));
    for step in 0..3 {
        let (from, to) = (step * 3 * MIB, (step + 1) * 3 * MIB);
        let (status, headers, body) = patch(&server, &amy, &path, from, &bytes[from..to]).await;
        assert_eq!(status, 204, "{body}");
        assert_eq!(header_of(&headers, "upload-offset"), to.to_string());
        assert_eq!(offset(&server, &amy, &path).await, Ok(to));
        let file_id = header_of(&headers, "hybrid-file-id");
        assert_eq!(file_id.is_empty(), step < 2, "only the last request names the file");
    }
    let (_, headers, _) = tus(&server, Some(&amy), Method::HEAD, &path, &[], vec![]).await;
    let file_id = header_of(&headers, "hybrid-file-id").to_owned();
    let (status, file) = server
        .get(&format!("/api/v1/files/{file_id}"), Some(&amy.access_token))
        .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["name"], "отчёт.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], 9 * MIB);
    assert_eq!(file["sha256"], sha256_hex(&bytes));
    assert_eq!(
        used_bytes(&server, &amy).await,
        9 * MIB as i64,
        "counted once: the file, not the upload"
    );
    // the bytes across the first part's end
    let range = format!("bytes={}-{}", 8 * MIB - 10, 8 * MIB + 9);
    let (status, _, body) = fetch(
        &server,
        &format!("/api/v1/files/{file_id}/content"),
        Some(&amy.access_token),
        &[("range", &range)],
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(body, bytes[8 * MIB - 10..8 * MIB + 10]);
    let again = patch(&server, &amy, &path, 9 * MIB, b"x").await;
    assert_error(&(again.0, again.2), 409, "offset_mismatch", None);
    assert_eq!(stored_objects(&server).await, 1, "parts and tails are gone once joined");

    // more bytes than the length: refused, nothing kept
    let path = create(&server, &amy, 10, "short.bin").await;
    let long = patch(&server, &amy, &path, 0, &[1; 11]).await;
    assert_error(&(long.0, long.2), 400, "bad_request", None);
    assert_eq!(offset(&server, &amy, &path).await, Ok(0));
    // termination: the unfinished upload is gone with its reservation; the file stays
    let (status, _, _) = patch(&server, &amy, &path, 0, &[1; 4]).await;
    assert_eq!(status, 204);
    let (status, _, _) = tus(&server, Some(&ben), Method::DELETE, &path, &[], vec![]).await;
    assert_eq!(status, 404, "only the owner ends an upload");
    let (status, _, _) = tus(&server, Some(&amy), Method::DELETE, &path, &[], vec![]).await;
    assert_eq!(status, 204);
    assert_eq!(offset(&server, &amy, &path).await, Err(StatusCode::NOT_FOUND));
    assert_eq!(used_bytes(&server, &amy).await, 9 * MIB as i64);
    assert_eq!(stored_objects(&server).await, 1);
}

async fn tus_uploads_keep_to_limits_and_expire(stack: Stack) {
    let limits = [
        ("HYBRID_FILES__MAX_FILE_BYTES", "60000"),
        ("HYBRID_FILES__MAX_IMAGE_BYTES", "1000"),
        ("HYBRID_FILES__QUOTA_BYTES", "100000"),
        ("HYBRID_FILES__UPLOAD_TTL_SECS", "3"),
        // every second, so the test sees expired uploads cleaned
        ("HYBRID_FILES__CLEANUP_CRON", "* * * * * *"),
    ];
    let server = start(stack, &limits).await;
    let amy = server.register("amy").await;
    let post = |length: usize| {
        let length = length.to_string();
        let server = &server;
        let amy = &amy;
        async move {
            let (status, _, body) = tus(
                server,
                Some(amy),
                Method::POST,
                "/api/v1/files/uploads",
                &[("Upload-Length", length.as_str())],
                vec![],
            )
            .await;
            (status, body)
        }
    };
    assert_error(&post(60_001).await, 413, "file_too_large", None);
    // reservations count against the quota
    let first = create(&server, &amy, 60_000, "a.bin").await;
    assert_error(&post(50_000).await, 413, "quota_exceeded", None);
    // a picture past the image limit is known only by its bytes: refused when complete
    let (status, _, _) = tus(&server, Some(&amy), Method::DELETE, &first, &[], vec![]).await;
    assert_eq!(status, 204);
    let picture = create(&server, &amy, 2000, "big.png").await;
    let refused = patch(&server, &amy, &picture, 0, &png(2000)).await;
    assert_error(&(refused.0, refused.2), 413, "file_too_large", None);
    assert_eq!(offset(&server, &amy, &picture).await, Err(StatusCode::NOT_FOUND));
    assert_eq!(stored_objects(&server).await, 0);

    // an upload left half done expires (410), then the job cleans it away (404)
    let path = create(&server, &amy, 50_000, "left.bin").await;
    let (status, _, _) = patch(&server, &amy, &path, 0, &[5; 20_000]).await;
    assert_eq!(status, 204);
    assert_eq!(used_bytes(&server, &amy).await, 50_000);
    let mut seen = Vec::new();
    for _ in 0..200 {
        let now = offset(&server, &amy, &path).await;
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        if now == Err(StatusCode::NOT_FOUND) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen.last(), Some(&Err(StatusCode::NOT_FOUND)), "{seen:?}");
    assert_eq!(seen[0], Ok(20_000), "{seen:?}");
    assert_eq!(used_bytes(&server, &amy).await, 0, "the reservation ends with it");
    assert_eq!(stored_objects(&server).await, 0, "its tail is cleaned away");
}

async fn tus_js_client_resumes_an_upload_cut_midway(stack: Stack) {
    let server = start(stack, &[]).await;
    let amy = server.register("amy").await;
    let bytes: Vec<u8> = (0..24 * MIB).map(|i| (i * 7 % 253) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload.bin");
    std::fs::write(&file, &bytes).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/tus-resume.mjs");
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web");
    let output = tokio::process::Command::new("node")
        .arg(script)
        .env("HYBRID_URL", server.url(""))
        .env("HYBRID_TOKEN", &amy.access_token)
        .env("UPLOAD_FILE", &file)
        .env("CUT_AFTER", (13 * MIB).to_string())
        .env("WEB_DIR", web)
        .output()
        .await
        .expect("node runs (the tests need Node.js and web/node_modules: npm ci in web/)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tus-resume.mjs failed: {stderr}");
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["cuts"], 1, "{result}");
    // all that reached the server before the cut is kept: a whole part (8 MiB), and the
    // bytes past it as a tail
    let kept = result["offset_after_cut"].as_u64().unwrap() as usize;
    assert!(
        kept > 12 * MIB && kept < 13 * MIB,
        "the cut kept {kept} bytes: {result}"
    );
    let (status, file) = server
        .get(&format!("/api/v1/files/{}", result["file_id"]), Some(&amy.access_token))
        .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["name"], "отчёт.bin");
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["sha256"], sha256_hex(&bytes));
    assert_eq!(stored_objects(&server).await, 1);
}
