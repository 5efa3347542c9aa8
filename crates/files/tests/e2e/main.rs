//! The files service in the real binary, on both stacks: uploads (a raw body, multipart, a
//! stream of unknown length), sniffed types, the download's ranges and headers, who may read,
//! limits and quotas, links; resumable uploads in `tus.rs`; reading through messages and a
//! file's lifetime in `access.rs`. `cargo test --workspace` builds
//! the binary first.

use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, hybrid_binary, json_of, stack_tests};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod access;
mod avatars;
mod media;
mod tus;

stack_tests!(
    uploads_are_sniffed_hashed_and_served_with_ranges,
    only_the_owner_reads_lists_and_deletes,
    limits_and_quotas_answer_413_and_keep_nothing,
    links_work_without_a_token_and_only_as_signed
);

const WITH_FILES: (&str, &str) = ("HYBRID_SERVICES", "all,files");

async fn start(stack: Stack, env: &[(&str, &str)]) -> TestServer {
    let mut all = vec![WITH_FILES];
    all.extend_from_slice(env);
    TestServer::start_with(&hybrid_binary(), stack, &all).await
}

/// A PNG signature and header, then `len` bytes in all: enough for any sniffer.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.extend((0..len.saturating_sub(bytes.len())).map(|i| (i % 251) as u8));
    bytes
}

/// Uploads `body` as the raw request body, claiming `claimed` as its type.
async fn upload(server: &TestServer, user: &TestUser, name: &str, claimed: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let path = format!("/api/v1/files?name={}", urlencode(name));
    upload_to(server, user, &path, claimed, body).await
}

/// As [`upload`], to `path` with its query.
async fn upload_to(
    server: &TestServer,
    user: &TestUser,
    path: &str,
    claimed: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = server
        .http
        .post(server.url(path))
        .bearer_auth(&user.access_token)
        .header(header::CONTENT_TYPE, claimed)
        .body(body)
        .send()
        .await
        .unwrap();
    json_of(response).await
}

/// Uploads `chunks` as a chunked body: no length announced, the size told by the bytes.
async fn upload_stream(server: &TestServer, user: &TestUser, name: &str, chunks: Vec<Vec<u8>>) -> (StatusCode, Value) {
    let chunks = futures::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    let response = server
        .http
        .post(server.url(&format!("/api/v1/files?name={}", urlencode(name))))
        .bearer_auth(&user.access_token)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    json_of(response).await
}

/// Posts `form` as `multipart/form-data` with `boundary`.
async fn post_form(server: &TestServer, user: &TestUser, boundary: &str, form: Vec<u8>) -> (StatusCode, Value) {
    let response = server
        .http
        .post(server.url("/api/v1/files"))
        .bearer_auth(&user.access_token)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .unwrap();
    json_of(response).await
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// GETs `path` with `headers`; the status, headers and body.
async fn fetch(
    server: &TestServer,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = server.http.get(server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn uploads_are_sniffed_hashed_and_served_with_ranges(stack: Stack) {
    let server = start(stack, &[]).await;
    let amy = server.register("amy").await;
    let token = Some(amy.access_token.as_str());
    let bytes = png(5000);

    // a picture that says it is a web page, with a path for a name
    let (status, file) = upload(&server, &amy, "../../etc/pic.png", "text/html", bytes.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["content_type"], "image/png", "sniffed, not taken: {file}");
    assert_eq!(file["name"], "pic.png");
    assert_eq!(file["size"], 5000);
    let sha256 = sha256_hex(&bytes);
    assert_eq!(file["sha256"], sha256.as_str());
    let id = file["id"].as_i64().unwrap();
    let content = format!("/api/v1/files/{id}/content");

    let (status, headers, body) = fetch(&server, &content, token, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);
    assert_eq!(header_of(&headers, "content-type"), "image/png");
    assert_eq!(header_of(&headers, "content-length"), "5000");
    let etag = format!("\"{sha256}\"");
    assert_eq!(header_of(&headers, "etag"), etag);
    assert_eq!(header_of(&headers, "accept-ranges"), "bytes");
    assert_eq!(header_of(&headers, "x-content-type-options"), "nosniff");
    assert!(header_of(&headers, "content-security-policy").contains("sandbox"));
    assert_eq!(
        header_of(&headers, "content-disposition"),
        "inline; filename=\"pic.png\"; filename*=UTF-8''pic.png"
    );
    assert!(
        headers.get("content-encoding").is_none(),
        "files are not compressed on the way"
    );

    // ranges: a middle, a suffix, one past the end
    let (status, headers, body) = fetch(&server, &content, token, &[("range", "bytes=10-19")]).await;
    assert_eq!((status.as_u16(), &body[..]), (206, &bytes[10..20]));
    assert_eq!(header_of(&headers, "content-range"), "bytes 10-19/5000");
    let (status, _, body) = fetch(&server, &content, token, &[("range", "bytes=-7")]).await;
    assert_eq!((status.as_u16(), &body[..]), (206, &bytes[4993..]));
    let (status, headers, body) = fetch(&server, &content, token, &[("range", "bytes=5000-")]).await;
    assert_eq!(status, 416, "{}", String::from_utf8_lossy(&body));
    assert_eq!(header_of(&headers, "content-range"), "bytes */5000");
    let error: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "range_not_satisfiable");
    // several ranges are answered with the whole file
    let (status, _, body) = fetch(&server, &content, token, &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!((status.as_u16(), body.len()), (200, 5000));
    // the client's copy is current; a range of another version is the whole file instead
    let (status, _, body) = fetch(&server, &content, token, &[("if-none-match", &etag)]).await;
    assert_eq!((status.as_u16(), body.len()), (304, 0));
    let other = [("range", "bytes=0-9"), ("if-range", "\"another\"")];
    let (status, _, body) = fetch(&server, &content, token, &other).await;
    assert_eq!((status.as_u16(), body.len()), (200, 5000));

    // a web page is text, downloaded, never shown
    let page = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let (status, file) = upload(&server, &amy, "page.html", "text/html", page).await;
    assert_eq!(
        (status.as_u16(), &file["content_type"]),
        (201, &json!("text/plain")),
        "{file}"
    );
    let (_, headers, _) = fetch(&server, &format!("/api/v1/files/{}/content", file["id"]), token, &[]).await;
    assert!(header_of(&headers, "content-disposition").starts_with("attachment;"));

    // multipart, as a browser form sends it: the part's name and claimed type, ignored type
    let boundary = "hybridboundary7";
    let mut form = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"отчёт.txt\"\r\n\
         content-type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice("строка текста".as_bytes());
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, file) = post_form(&server, &amy, boundary, form).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(
        (&file["name"], &file["content_type"]),
        (&json!("отчёт.txt"), &json!("text/plain"))
    );
    assert_eq!(file["size"], "строка текста".len());
    let (_, headers, body) = fetch(&server, &format!("/api/v1/files/{}/content", file["id"]), token, &[]).await;
    assert_eq!(body, "строка текста".as_bytes());
    assert_eq!(
        header_of(&headers, "content-disposition"),
        "attachment; filename=\"_____.txt\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt"
    );

    // a stream of unknown length (chunked) is taken as it comes
    let chunks = (0..40).map(|i| vec![b'a' + (i % 26) as u8; 1000]).collect();
    let (status, file) = upload_stream(&server, &amy, "stream.txt", chunks).await;
    assert_eq!((status.as_u16(), &file["size"]), (201, &json!(40_000)), "{file}");
    // text is compressible, but a file is sent as stored, so its ranges mean its bytes
    let path = format!("/api/v1/files/{}/content", file["id"]);
    let (_, headers, body) = fetch(&server, &path, token, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!((headers.get("content-encoding"), body.len()), (None, 40_000));

    // a form without the file part is a clear 422
    let empty = format!("--{boundary}\r\ncontent-disposition: form-data; name=\"note\"\r\n\r\nx\r\n--{boundary}--\r\n");
    let refused = post_form(&server, &amy, boundary, empty.into_bytes()).await;
    assert_error(&refused, 422, "validation_failed", Some("file"));
    let long_name = "n".repeat(256);
    let refused = upload(&server, &amy, &long_name, "text/plain", b"x".to_vec()).await;
    assert_error(&refused, 422, "validation_failed", Some("name"));
}

async fn only_the_owner_reads_lists_and_deletes(stack: Stack) {
    let server = start(stack, &[]).await;
    let amy = server.register("amy").await;
    let ben = server.register("ben").await;
    let (amy_t, ben_t) = (Some(amy.access_token.as_str()), Some(ben.access_token.as_str()));
    let mut ids = Vec::new();
    for name in ["one.txt", "two.txt", "three.txt"] {
        let (status, file) = upload(&server, &amy, name, "text/plain", name.as_bytes().to_vec()).await;
        assert_eq!(status, 201, "{file}");
        ids.push(file["id"].as_i64().unwrap());
    }
    let id = ids[0];

    // a stranger learns nothing, not even that the file exists; nobody without a token
    for path in [format!("/api/v1/files/{id}"), format!("/api/v1/files/{id}/content")] {
        assert_error(&server.get(&path, ben_t).await, 404, "not_found", None);
        assert_error(&server.get(&path, None).await, 401, "unauthorized", None);
    }
    let refused = server
        .request("DELETE", &format!("/api/v1/files/{id}"), ben_t, None)
        .await;
    assert_error(&refused, 404, "not_found", None);
    let refused = server
        .request("POST", &format!("/api/v1/files/{id}/link"), ben_t, None)
        .await;
    assert_error(&refused, 404, "not_found", None);
    let (_, theirs) = server.get("/api/v1/files", ben_t).await;
    assert_eq!(theirs["items"], json!([]));

    // the owner's list, newest first, a page at a time
    let (status, page) = server.get("/api/v1/files?limit=2", amy_t).await;
    assert_eq!(status, 200, "{page}");
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["three.txt", "two.txt"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = server
        .get(&format!("/api/v1/files?limit=2&cursor={cursor}"), amy_t)
        .await;
    assert_eq!(rest["items"][0]["name"], "one.txt");
    assert!(rest["next_cursor"].is_null(), "{rest}");
    assert_error(
        &server.get("/api/v1/files?limit=0", amy_t).await,
        422,
        "validation_failed",
        Some("limit"),
    );
    let (_, usage) = server.get("/api/v1/files/usage", amy_t).await;
    assert_eq!(usage["used_bytes"], "one.txttwo.txtthree.txt".len(), "{usage}");

    // deleted: gone at once, its bytes and its space too
    let (status, _) = server
        .request("DELETE", &format!("/api/v1/files/{id}"), amy_t, None)
        .await;
    assert_eq!(status, 204);
    let gone = server.get(&format!("/api/v1/files/{id}/content"), amy_t).await;
    assert_error(&gone, 404, "not_found", None);
    let (_, usage) = server.get("/api/v1/files/usage", amy_t).await;
    assert_eq!(usage["used_bytes"], "two.txtthree.txt".len(), "{usage}");
    assert_eq!(stored_objects(&server).await, 2, "the deleted file's bytes are removed");
}

/// Files kept in the server's storage: its bucket on the scaled stack, its data dir else.
async fn stored_objects(server: &TestServer) -> usize {
    stored_contents(server).await.len()
}

/// Every object in the server's storage (local files, or the S3 bucket), with its bytes.
async fn stored_contents(server: &TestServer) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, found: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    match server.scaled() {
        Some(scaled) => {
            let mut found = Vec::new();
            for key in scaled.objects().await {
                let bytes = scaled.object(&key).await;
                found.push((key, bytes));
            }
            found
        }
        None => {
            let mut found = Vec::new();
            walk(&server.data_dir().join("files"), &mut found);
            found
        }
    }
}

async fn limits_and_quotas_answer_413_and_keep_nothing(stack: Stack) {
    let limits = [
        ("HYBRID_FILES__MAX_FILE_BYTES", "60000"),
        ("HYBRID_FILES__MAX_IMAGE_BYTES", "1000"),
        ("HYBRID_FILES__QUOTA_BYTES", "100000"),
    ];
    let server = start(stack, &limits).await;
    let amy = server.register("amy").await;

    let too_big = upload(&server, &amy, "big.bin", "application/octet-stream", vec![7; 60_001]).await;
    assert_error(&too_big, 413, "file_too_large", None);
    // told only by the bytes: a chunked stream, and a picture past the image limit
    let stream = upload_stream(&server, &amy, "stream.bin", vec![vec![1u8; 1000]; 61]).await;
    assert_error(&stream, 413, "file_too_large", None);
    let picture = upload(&server, &amy, "huge.png", "application/octet-stream", png(1001)).await;
    assert_error(&picture, 413, "file_too_large", None);
    assert_eq!(stored_objects(&server).await, 0, "nothing of a refused upload is kept");

    // the quota: two files fill it, the next byte is refused
    for name in ["a.bin", "b.bin"] {
        let (status, file) = upload(&server, &amy, name, "application/octet-stream", vec![3; 50_000]).await;
        assert_eq!(status, 201, "{file}");
    }
    let over = upload(&server, &amy, "c.bin", "application/octet-stream", vec![3; 1]).await;
    assert_error(&over, 413, "quota_exceeded", None);
    let (_, usage) = server.get("/api/v1/files/usage", Some(&amy.access_token)).await;
    assert_eq!(
        (&usage["used_bytes"], &usage["quota_bytes"]),
        (&json!(100_000), &json!(100_000))
    );
    assert_eq!(stored_objects(&server).await, 2);
    // another user's quota is their own
    let ben = server.register("ben").await;
    let (status, _) = upload(&server, &ben, "b.bin", "application/octet-stream", vec![3; 50_000]).await;
    assert_eq!(status, 201);
}

/// `text` with its last character changed.
fn flip_last(text: &str) -> String {
    let mut changed = text.to_owned();
    let last = changed.pop().unwrap();
    changed.push(if last == 'A' { 'B' } else { 'A' });
    changed
}

async fn links_work_without_a_token_and_only_as_signed(stack: Stack) {
    let server = start(stack, &[]).await;
    let amy = server.register("amy").await;
    let bytes = png(3000);
    let (_, file) = upload(&server, &amy, "pic.png", "image/png", bytes.clone()).await;
    let id = file["id"].as_i64().unwrap();
    let (status, link) = server
        .request(
            "POST",
            &format!("/api/v1/files/{id}/link"),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("/api/v1/files/links/{id}?")), "{url}");

    let (status, headers, body) = fetch(&server, url, None, &[]).await;
    assert_eq!((status.as_u16(), body == bytes), (200, true));
    assert_eq!(header_of(&headers, "content-type"), "image/png");
    let (status, _, body) = fetch(&server, url, None, &[("range", "bytes=0-3")]).await;
    assert_eq!((status.as_u16(), &body[..]), (206, &bytes[..4]));

    // another file's id, a changed time or signature: refused
    let (_, other) = upload(&server, &amy, "other.png", "image/png", png(100)).await;
    let forged = [
        url.replace(&format!("/links/{id}?"), &format!("/links/{}?", other["id"])),
        url.replace("expires=", "expires=1"),
        flip_last(url),
        format!("/api/v1/files/links/{id}"),
    ];
    for forged in &forged {
        let (status, _, body) = fetch(&server, forged, None, &[]).await;
        let error: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(
            (status.as_u16(), &error["error"]["code"]),
            (403, &json!("link_invalid")),
            "{forged}"
        );
    }
    // a deleted file's link is dead
    server
        .request("DELETE", &format!("/api/v1/files/{id}"), Some(&amy.access_token), None)
        .await;
    let (status, _, _) = fetch(&server, url, None, &[]).await;
    assert_eq!(status, 404);
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, now; `VmHWM`, the peak so far).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A 1 GiB upload streams through: the server's peak memory grows by a few parts' worth, not
/// by the file (docs/files.md has the numbers).
#[tokio::test]
async fn a_gigabyte_upload_keeps_the_server_memory_flat() {
    let server = start(Stack::Embedded, &[]).await;
    let amy = server.register("amy").await;
    let pid = server.pid().unwrap();
    let before = memory_kib(pid, "VmRSS:");
    let mib = bytes::Bytes::from(vec![b'x'; 1 << 20]);
    let chunks = futures::stream::iter((0..1024).map(move |_| Ok::<_, std::io::Error>(mib.clone())));
    let started = std::time::Instant::now();
    let response = server
        .http
        .post(server.url("/api/v1/files?name=big.bin"))
        .bearer_auth(&amy.access_token)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    let (status, file) = json_of(response).await;
    let took = started.elapsed();
    assert_eq!((status.as_u16(), &file["size"]), (201, &json!(1u64 << 30)), "{file}");
    let peak = memory_kib(pid, "VmHWM:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    println!(
        "1 GiB upload: {:.1} s ({:.0} MiB/s); server RSS {} MiB before, peak {} MiB (+{growth_mib} MiB)",
        took.as_secs_f64(),
        1024.0 / took.as_secs_f64(),
        before / 1024,
        peak / 1024
    );
    assert!(growth_mib < 100, "the server's peak memory grew by {growth_mib} MiB");
    let (status, _) = server
        .request(
            "DELETE",
            &format!("/api/v1/files/{}", file["id"]),
            Some(&amy.access_token),
            None,
        )
        .await;
    assert_eq!(status, 204);
}
