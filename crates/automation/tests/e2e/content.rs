//! The content pipeline in the real binary, on both stacks: books uploaded through the files
//! service (FB2, EPUB, windows-1251 TXT, PDF) become chapters and blocks, blocks summaries (from a local server speaking the
//! OpenAI chat-completions API, or offline), summaries posts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hybrid_testkit::{Stack, TestServer, TestUser, assert_error, json_of, stack_tests, until};
use serde_json::{Value, json};

use super::{start, token};

stack_tests!(
    books_become_chapters_and_blocks,
    summaries_and_posts_come_from_an_openai_compatible_server,
    without_a_model_the_offline_summariser_and_template_run,
    a_killed_run_resumes_without_paying_twice,
);

/// The books of `crates/books/tests/fixtures` (written by its `make_books.py`).
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../books/tests/fixtures");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

/// The e2e settings, with the AI provider on this machine reachable.
const LOCAL_AI: &[(&str, &str)] = &[("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true")];

async fn upload(server: &TestServer, user: &TestUser, name: &str, bytes: Vec<u8>) -> i64 {
    let response = server
        .http
        .post(server.url(&format!("/api/v1/files?name={name}")))
        .bearer_auth(&user.access_token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let (status, file) = json_of(response).await;
    assert!(status.is_success(), "{status} {file}");
    file["id"].as_i64().unwrap()
}

/// Adds uploaded `file` as a book and waits until it is read (or failed).
async fn add_book(server: &TestServer, user: &TestUser, file: i64) -> Value {
    let (status, source) = server
        .post("/api/v1/automation/sources", token(user), json!({"file_id": file}))
        .await;
    assert_eq!(status, 201, "{source}");
    let path = format!("/api/v1/automation/sources/{}", source["id"]);
    until("the book read", || async {
        let (_, source) = server.get(&path, token(user)).await;
        (source["state"] != "extracting").then_some(source)
    })
    .await
}

pub(super) async fn upload_book(server: &TestServer, user: &TestUser, name: &str) -> Value {
    let file = upload(server, user, name, fixture(name)).await;
    let source = add_book(server, user, file).await;
    assert_eq!(source["state"], "ready", "{source}");
    source
}

/// A book's chapters: (title, blocks).
async fn chapters_of(server: &TestServer, user: &TestUser, source: &Value) -> Vec<(String, i64)> {
    let path = format!("/api/v1/automation/sources/{}/chapters", source["id"]);
    let (status, chapters) = server.get(&path, token(user)).await;
    assert_eq!(status, 200, "{chapters}");
    chapters
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["title"].as_str().unwrap().to_owned(), c["blocks"].as_i64().unwrap()))
        .collect()
}

/// Every block of a book, in reading order, read page by page.
async fn all_blocks(server: &TestServer, user: &TestUser, source: &Value) -> Vec<Value> {
    let mut blocks = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!(
            "/api/v1/automation/sources/{}/blocks?limit=2&cursor={cursor}",
            source["id"]
        );
        let (status, page) = server.get(&path, token(user)).await;
        assert_eq!(status, 200, "{page}");
        blocks.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return blocks,
        }
    }
}

/// The numbered markers ("(б12)") of `text`, in order.
fn markers(text: &str) -> Vec<String> {
    text.split('(')
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(inside, _)| inside.to_owned()))
        .filter(|m| m.chars().skip(1).all(|c| c.is_ascii_digit()) && m.chars().count() > 1)
        .collect()
}

/// The blocks hold every numbered sentence of each chapter (tag, count), once and in order.
fn every_sentence_once(blocks: &[Value], chapters: &[(&str, usize)]) {
    for (tag, count) in chapters {
        let found: Vec<String> = blocks
            .iter()
            .flat_map(|b| markers(b["text"].as_str().unwrap()))
            .filter(|m| m.starts_with(tag))
            .collect();
        let expected: Vec<String> = (1..=*count).map(|n| format!("{tag}{n}")).collect();
        assert_eq!(found, expected, "every sentence of chapter {tag}, once, in order");
    }
}

async fn books_become_chapters_and_blocks(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let pavel = server.register("pavel").await;

    // FB2: its sections are the chapters; a long one is cut into parts at sentence ends, and
    // no sentence is lost or repeated (the legacy system dropped short tails)
    let fb2 = upload_book(&server, &olga, "book.fb2").await;
    assert_eq!(fb2["format"], "fb2");
    assert_eq!(fb2["title"], "Тестовая книга");
    let chapters = chapters_of(&server, &olga, &fb2).await;
    let titles: Vec<&str> = chapters.iter().map(|(title, _)| title.as_str()).collect();
    assert_eq!(titles, ["Глава 1. Начало", "Глава 2. Середина", "Глава 3. Конец"]);
    let per_chapter: Vec<i64> = chapters.iter().map(|(_, blocks)| *blocks).collect();
    assert_eq!(per_chapter[0], 1);
    assert!(per_chapter[1] >= 3, "{chapters:?}");
    assert_eq!(per_chapter[2], 1);
    assert_eq!(fb2["chapters"], 3);
    let blocks = all_blocks(&server, &olga, &fb2).await;
    assert_eq!(blocks.len() as i64, per_chapter.iter().sum::<i64>());
    assert_eq!(fb2["blocks"], blocks.len());
    for block in &blocks {
        let chars = block["chars"].as_i64().unwrap();
        assert!((500..=4000).contains(&chars), "{block}");
        assert_eq!(chars, block["text"].as_str().unwrap().chars().count() as i64);
        assert_eq!(block["summary_state"], "none");
        assert_eq!(block["used"], false);
    }
    assert_eq!(blocks[1]["title"], "Глава 2. Середина (part 1)");
    assert_eq!(
        (
            blocks[1]["chapter_title"].clone(),
            blocks[1]["part"].clone(),
            blocks[1]["parts"].clone()
        ),
        (json!("Глава 2. Середина"), json!(1), json!(per_chapter[1]))
    );
    assert_eq!(blocks[2]["title"], "Глава 2. Середина (part 2)");
    assert_eq!(blocks[0]["title"], "Глава 1. Начало");
    every_sentence_once(&blocks, &[("а", 20), ("б", 150), ("в", 15)]);
    // one chapter's blocks
    let (_, second) = server
        .get(
            &format!("/api/v1/automation/sources/{}/blocks?chapter=1&limit=100", fb2["id"]),
            token(&olga),
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len() as i64, per_chapter[1]);

    // EPUB: the spine in order, titled by the NCX
    let epub = upload_book(&server, &olga, "book.epub").await;
    let titles: Vec<String> = chapters_of(&server, &olga, &epub)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(titles, ["Chapter One", "Chapter Two", "Chapter Three"]);
    let blocks = all_blocks(&server, &olga, &epub).await;
    assert!(
        blocks.iter().any(|b| b["title"] == "Chapter Two (part 2)"),
        "{blocks:?}"
    );
    assert!(
        !blocks[0]["text"].as_str().unwrap().contains("Chapter One"),
        "the heading is the title, not text"
    );

    // TXT in windows-1251, chapters by their heading lines
    let txt = upload_book(&server, &olga, "book.txt").await;
    let blocks = all_blocks(&server, &olga, &txt).await;
    let titles: Vec<&str> = blocks.iter().map(|b| b["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Глава 1", "Глава 2"]);
    assert!(blocks[0]["text"].as_str().unwrap().contains("Герой выходит из дома"));

    // PDF: page furniture gone, hyphenated words whole, chapters by their heading lines
    let pdf = upload_book(&server, &olga, "book.pdf").await;
    assert_eq!(pdf["format"], "pdf");
    let blocks = all_blocks(&server, &olga, &pdf).await;
    let chapters: Vec<&str> = blocks
        .iter()
        .map(|b| b["title"].as_str().unwrap().split(" (").next().unwrap())
        .collect();
    assert_eq!(chapters.first(), Some(&"Глава 1"));
    assert_eq!(chapters.last(), Some(&"Глава 2"));
    every_sentence_once(&blocks, &[("п", 32), ("р", 40)]);
    assert!(
        blocks
            .iter()
            .all(|b| !b["text"].as_str().unwrap().contains("Тестовая книга"))
    );

    // what is not a book, or not one's own, is refused; a broken one fails with why
    let picture = upload(&server, &olga, "pic.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).await;
    let refused = server
        .post("/api/v1/automation/sources", token(&olga), json!({"file_id": picture}))
        .await;
    assert_error(&refused, 422, "validation_failed", Some("file_id"));
    let theirs = upload(&server, &pavel, "book.txt", fixture("book.txt")).await;
    let refused = server
        .post("/api/v1/automation/sources", token(&olga), json!({"file_id": theirs}))
        .await;
    assert_error(&refused, 422, "validation_failed", Some("file_id"));
    let broken = upload(&server, &olga, "broken.epub", b"PK\x03\x04 not really a zip".to_vec()).await;
    let failed = add_book(&server, &olga, broken).await;
    assert_eq!(failed["state"], "failed");
    assert!(failed["error"].as_str().unwrap().contains("cannot be read"), "{failed}");
    let again = upload(&server, &olga, "book.txt", fixture("book.txt")).await;
    let bad_name = server
        .post(
            "/api/v1/automation/sources",
            token(&olga),
            json!({"file_id": again, "name": " "}),
        )
        .await;
    assert_error(&bad_name, 422, "validation_failed", Some("name"));

    // a book is its owner's alone
    let path = format!("/api/v1/automation/sources/{}", fb2["id"]);
    assert_error(&server.get(&path, token(&pavel)).await, 404, "not_found", None);
    let blocks_path = format!("{path}/blocks");
    assert_error(&server.get(&blocks_path, token(&pavel)).await, 404, "not_found", None);
    let (_, mine) = server.get("/api/v1/automation/sources", token(&pavel)).await;
    assert_eq!(mine["items"], json!([]));
    let (_, mine) = server.get("/api/v1/automation/sources?limit=2", token(&olga)).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    assert!(mine["next_cursor"].is_string());

    // renamed by its owner only
    let renamed = server
        .request("PATCH", &path, token(&olga), Some(json!({"name": "Новое имя"})))
        .await;
    assert_eq!(
        (renamed.0.as_u16(), renamed.1["name"].clone()),
        (200, json!("Новое имя"))
    );
    let refused = server
        .request("PATCH", &path, token(&olga), Some(json!({"name": ""})))
        .await;
    assert_error(&refused, 422, "validation_failed", Some("name"));
    let refused = server
        .request("PATCH", &path, token(&pavel), Some(json!({"name": "Mine"})))
        .await;
    assert_error(&refused, 404, "not_found", None);

    // deleting forgets it
    let (status, _) = server.request("DELETE", &path, token(&olga), None).await;
    assert_eq!(status, 204);
    assert_error(&server.get(&blocks_path, token(&olga)).await, 404, "not_found", None);
}

/// A local server speaking OpenAI's chat-completions API: it answers the first call with a 429
/// (Retry-After: 1), refuses the key `sk-bad`, writes summaries and posts from the prompt, and
/// keeps every call.
#[derive(Default)]
struct FakeAi {
    calls: Mutex<Vec<Call>>,
    limited: Mutex<bool>,
    delay: Duration,
}

#[derive(Debug, Clone)]
struct Call {
    authorization: String,
    model: String,
    prompt: String,
    status: u16,
}

impl FakeAi {
    async fn start(delay: Duration) -> (String, Arc<FakeAi>) {
        let ai = Arc::new(FakeAi {
            delay,
            ..FakeAi::default()
        });
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(ai.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (base, ai)
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Calls answered 200, per prompt.
    fn answered(&self) -> HashMap<String, usize> {
        let mut answered = HashMap::new();
        for call in self.calls().into_iter().filter(|c| c.status == 200) {
            *answered.entry(call.prompt).or_default() += 1;
        }
        answered
    }
}

/// The summary the fake writes for a block: its first and last markers.
fn fake_summary(text: &str) -> String {
    let found = markers(text);
    format!("Summary of {} to {}.", found.first().unwrap(), found.last().unwrap())
}

async fn complete(State(ai): State<Arc<FakeAi>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap();
    let prompt = request["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let authorization = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let refused = authorization == "Bearer sk-bad";
    let first = !refused && !std::mem::replace(&mut *ai.limited.lock().unwrap(), true);
    let (status, answer) = if refused {
        (
            401,
            json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
        )
    } else if first {
        (
            429,
            json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
        )
    } else {
        tokio::time::sleep(ai.delay).await;
        let content = match prompt.split_once('\n') {
            Some(("SUMMARY", text)) => fake_summary(text),
            Some((chapter, summary)) => format!("**Post** for *{}*\n\n{summary}", chapter.trim_start_matches("POST ")),
            None => "?".into(),
        };
        (
            200,
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": request["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt.chars().count() / 4, "completion_tokens": 7, "total_tokens": 0}
            }),
        )
    };
    ai.calls.lock().unwrap().push(Call {
        authorization,
        model: request["model"].as_str().unwrap_or_default().to_owned(),
        prompt,
        status,
    });
    let mut response = (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response();
    if status == 429 {
        response.headers_mut().insert("retry-after", "1".parse().unwrap());
    }
    response
}

async fn set_provider(server: &TestServer, user: &TestUser, change: Value) -> Value {
    let (status, settings) = server
        .request(
            "PATCH",
            "/api/v1/automation/content/settings",
            token(user),
            Some(change),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    settings
}

async fn source_of(server: &TestServer, user: &TestUser, source: &Value) -> Value {
    let (_, source) = server
        .get(&format!("/api/v1/automation/sources/{}", source["id"]), token(user))
        .await;
    source
}

pub(super) async fn summarised(server: &TestServer, user: &TestUser, source: &Value) -> Value {
    until("the summaries", || async {
        let now = source_of(server, user, source).await;
        (now["summaries"]["running"] == false).then_some(now)
    })
    .await
}

pub(super) async fn start_summaries(server: &TestServer, user: &TestUser, source: &Value) -> Value {
    let path = format!("/api/v1/automation/sources/{}/summaries/start", source["id"]);
    let (status, started) = server.post(&path, token(user), json!({})).await;
    assert_eq!(status, 200, "{started}");
    started
}

pub(super) async fn make_post(server: &TestServer, user: &TestUser, source: &Value) -> (StatusCode, Value) {
    server
        .post(
            &format!("/api/v1/automation/sources/{}/posts", source["id"]),
            token(user),
            json!({}),
        )
        .await
}

pub(super) async fn change_post(
    server: &TestServer,
    user: &TestUser,
    post: &Value,
    change: Value,
) -> (StatusCode, Value) {
    server
        .request(
            "PATCH",
            &format!("/api/v1/automation/posts/{}", post["id"]),
            token(user),
            Some(change),
        )
        .await
}

async fn summaries_and_posts_come_from_an_openai_compatible_server(stack: Stack) {
    let server = start(stack, LOCAL_AI).await;
    let (base_url, ai) = FakeAi::start(Duration::ZERO).await;
    let olga = server.register("olga").await;
    let pavel = server.register("pavel").await;
    let settings = set_provider(
        &server,
        &olga,
        json!({"base_url": base_url, "api_key": "sk-bad", "model": "test-model",
               "summary_prompt": "SUMMARY\n{text}", "post_prompt": "POST {chapter}\n{summary}",
               "price_in": 2.0, "price_out": 8.0, "requests_per_minute": 600}),
    )
    .await;
    assert_eq!(settings["has_api_key"], true);
    assert!(!settings.to_string().contains("sk-bad"), "the key is never shown");
    let (_, theirs) = server.get("/api/v1/automation/content/settings", token(&pavel)).await;
    assert_eq!(
        (theirs["has_api_key"].clone(), theirs["model"].clone()),
        (json!(false), json!(""))
    );
    let refused = server
        .request(
            "PATCH",
            "/api/v1/automation/content/settings",
            token(&olga),
            Some(json!({"summary_prompt": "no place for the text"})),
        )
        .await;
    assert_error(&refused, 422, "validation_failed", Some("summary_prompt"));
    let refused = server
        .request(
            "PATCH",
            "/api/v1/automation/content/settings",
            token(&olga),
            Some(json!({"base_url": "ftp://example.com"})),
        )
        .await;
    assert_error(&refused, 422, "validation_failed", Some("base_url"));

    let book = upload_book(&server, &olga, "book.epub").await;
    let blocks = all_blocks(&server, &olga, &book).await;
    let (_, estimate) = server
        .get(
            &format!("/api/v1/automation/sources/{}/summaries/estimate", book["id"]),
            token(&olga),
        )
        .await;
    assert_eq!(estimate["blocks"], blocks.len());
    assert_eq!(estimate["by"], "test-model");
    let chars: i64 = blocks.iter().map(|b| b["chars"].as_i64().unwrap()).sum();
    let tokens_in = estimate["tokens_in"].as_i64().unwrap();
    assert!(tokens_in > chars / 4 && tokens_in < chars / 2, "{estimate}");
    let expected_cost = (tokens_in as f64 * 2.0 + estimate["tokens_out"].as_f64().unwrap() * 8.0) / 1e6;
    assert!(
        (estimate["cost_usd"].as_f64().unwrap() - expected_cost).abs() < 1e-9,
        "{estimate}"
    );

    // a key the provider refuses stops the run at once, saying why
    start_summaries(&server, &olga, &book).await;
    let stopped = summarised(&server, &olga, &book).await;
    assert!(
        stopped["summaries"]["error"].as_str().unwrap().contains("401"),
        "{stopped}"
    );
    assert_eq!(stopped["summaries"]["done"], 0);
    assert_eq!(stopped["summaries"]["queued"], 0);

    // with the right key: one 429 (waited out), then one call per block
    set_provider(&server, &olga, json!({"api_key": "sk-good"})).await;
    let started = start_summaries(&server, &olga, &book).await;
    assert!(
        started["summaries"].get("error").is_none(),
        "a new run clears the old error: {started}"
    );
    let done = summarised(&server, &olga, &book).await;
    assert_eq!(done["summaries"]["done"], blocks.len(), "{done}");
    let good: Vec<Call> = ai
        .calls()
        .into_iter()
        .filter(|c| c.authorization == "Bearer sk-good")
        .collect();
    assert_eq!(good[0].status, 429);
    assert_eq!(good.len(), blocks.len() + 1, "the 429 asked again once: {good:?}");
    assert!(good.iter().all(|c| c.model == "test-model"));
    assert!(ai.answered().values().all(|n| *n == 1), "one paid call per block");
    let blocks = all_blocks(&server, &olga, &book).await;
    let mut tokens = 0;
    for block in &blocks {
        let summary = &block["summary"];
        assert_eq!(
            summary["text"],
            fake_summary(block["text"].as_str().unwrap()),
            "{block}"
        );
        assert_eq!(summary["by"], "test-model");
        assert_eq!(summary["tokens_out"], 7);
        tokens += summary["tokens_in"].as_i64().unwrap();
    }
    assert_eq!(done["summaries"]["tokens_in"], tokens);
    // starting again has nothing left to do and calls nobody
    let calls = ai.calls().len();
    start_summaries(&server, &olga, &book).await;
    assert_eq!(
        summarised(&server, &olga, &book).await["summaries"]["done"],
        blocks.len()
    );
    assert_eq!(ai.calls().len(), calls);

    // posts: the model writes them from the next unused summary, in reading order
    let (status, post) = make_post(&server, &olga, &book).await;
    assert_eq!(status, 201, "{post}");
    assert_eq!(post["state"], "generating");
    assert_eq!(post["block_id"], blocks[0]["id"]);
    let path = format!("/api/v1/automation/posts/{}", post["id"]);
    let post = until("the post written", || async {
        let (_, post) = server.get(&path, token(&olga)).await;
        (post["state"] != "generating").then_some(post)
    })
    .await;
    assert_eq!(post["state"], "draft", "{post}");
    let summary = blocks[0]["summary"]["text"].as_str().unwrap();
    assert_eq!(post["text"], format!("Post for Chapter One\n\n{summary}"));
    assert_eq!(
        post["entities"],
        json!([{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 9, "length": 11}])
    );
    assert_eq!(post["made_by"], "test-model");
    assert_eq!(post["block_title"], "Chapter One");
    assert!(post["targets"].as_array().unwrap().iter().all(|t| t["fits"] == true));

    // edited as Markdown, kept as text and entities
    let (status, edited) = change_post(
        &server,
        &olga,
        &post,
        json!({"markdown": "**New** title\n\nRead [more](https://example.com/a_b)"}),
    )
    .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["text"], "New title\n\nRead more");
    assert_eq!(
        edited["entities"],
        json!([{"type": "bold", "offset": 0, "length": 3},
               {"type": "text_link", "offset": 16, "length": 4, "url": "https://example.com/a_b"}])
    );
    assert_eq!(edited["made_by"], "edited");
    let again = change_post(&server, &olga, &post, json!({"markdown": edited["markdown"]})).await;
    assert_eq!(
        (again.1["text"].clone(), again.1["entities"].clone()),
        (edited["text"].clone(), edited["entities"].clone())
    );
    let (_, approved) = change_post(&server, &olga, &post, json!({"state": "approved"})).await;
    assert_eq!(approved["state"], "approved");
    assert_error(
        &change_post(&server, &olga, &post, json!({"state": "published"})).await,
        422,
        "validation_failed",
        Some("state"),
    );
    assert_error(
        &change_post(&server, &olga, &post, json!({"markdown": "  "})).await,
        422,
        "validation_failed",
        Some("markdown"),
    );
    assert_error(&server.get(&path, token(&pavel)).await, 404, "not_found", None);
    assert_error(
        &change_post(&server, &pavel, &post, json!({"state": "skipped"})).await,
        404,
        "not_found",
        None,
    );

    // the next post takes the next block; skipping it keeps it used
    let (_, second) = make_post(&server, &olga, &book).await;
    assert_eq!(second["block_id"], blocks[1]["id"]);
    until("the second post written", || async {
        let (_, post) = server
            .get(&format!("/api/v1/automation/posts/{}", second["id"]), token(&olga))
            .await;
        (post["state"] == "draft").then_some(())
    })
    .await;
    let (_, skipped) = change_post(&server, &olga, &second, json!({"state": "skipped"})).await;
    assert_eq!(skipped["state"], "skipped");
    let (_, listed) = server
        .get("/api/v1/automation/posts?state=approved", token(&olga))
        .await;
    let ids: Vec<&Value> = listed["items"].as_array().unwrap().iter().map(|p| &p["id"]).collect();
    assert_eq!(ids, [&post["id"]]);
    let blocks = all_blocks(&server, &olga, &book).await;
    let used: Vec<bool> = blocks.iter().map(|b| b["used"] == true).collect();
    assert_eq!(&used[..3], [true, true, false]);
    for _ in 2..blocks.len() {
        assert_eq!(make_post(&server, &olga, &book).await.0, 201);
    }
    assert_error(&make_post(&server, &olga, &book).await, 409, "wrong_state", None);
    assert_error(&make_post(&server, &pavel, &book).await, 404, "not_found", None);
}

async fn without_a_model_the_offline_summariser_and_template_run(stack: Stack) {
    let server = start(stack, &[]).await;
    let olga = server.register("olga").await;
    let book = upload_book(&server, &olga, "book.fb2").await;
    let (_, estimate) = server
        .get(
            &format!("/api/v1/automation/sources/{}/summaries/estimate", book["id"]),
            token(&olga),
        )
        .await;
    assert_eq!(estimate["by"], "offline");
    assert_eq!(estimate["tokens_in"], 0);
    assert!(estimate.get("cost_usd").is_none(), "{estimate}");
    start_summaries(&server, &olga, &book).await;
    let done = summarised(&server, &olga, &book).await;
    let blocks = all_blocks(&server, &olga, &book).await;
    assert_eq!(done["summaries"]["done"], blocks.len());
    for block in &blocks {
        let (text, summary) = (block["text"].as_str().unwrap(), &block["summary"]);
        assert_eq!(summary["by"], "offline");
        let summary = summary["text"].as_str().unwrap();
        assert!(!summary.is_empty() && summary.chars().count() <= 600, "{summary}");
        // extractive: its sentences are the block's own
        for marker in markers(summary) {
            assert!(text.contains(&format!("({marker})")), "{marker} of {summary}");
        }
    }
    let (status, post) = make_post(&server, &olga, &book).await;
    assert_eq!(status, 201, "{post}");
    assert_eq!(post["state"], "draft", "no model: made at once");
    assert_eq!(post["made_by"], "template");
    let summary = blocks[0]["summary"]["text"].as_str().unwrap();
    assert_eq!(post["text"], format!("Глава 1. Начало\n\n{summary}"));
    assert_eq!(post["entities"], json!([{"type": "bold", "offset": 0, "length": 15}]));
    // a stopped book cannot be summarised before it is read; stop answers as it is
    let (status, stopped) = server
        .post(
            &format!("/api/v1/automation/sources/{}/summaries/stop", book["id"]),
            token(&olga),
            json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), stopped["summaries"]["running"].clone()),
        (200, json!(false))
    );
}

async fn a_killed_run_resumes_without_paying_twice(stack: Stack) {
    // a short lease, so the killed process's job is taken over within the test's wait
    let env = [LOCAL_AI[0], ("HYBRID_JOBS__LEASE_MS", "2000")];
    let mut server = start(stack, &env).await;
    let (base_url, ai) = FakeAi::start(Duration::from_millis(300)).await;
    let olga = server.register("olga").await;
    set_provider(
        &server,
        &olga,
        json!({"base_url": base_url, "model": "slow-model", "summary_prompt": "SUMMARY\n{text}",
               "requests_per_minute": 600}),
    )
    .await;
    let book = upload_book(&server, &olga, "book.fb2").await;
    let total = book["blocks"].as_i64().unwrap() as usize;
    start_summaries(&server, &olga, &book).await;
    let before = until("two summaries", || async {
        let now = source_of(&server, &olga, &book).await;
        (now["summaries"]["done"].as_i64().unwrap() >= 2).then_some(now)
    })
    .await;
    server.kill().await;
    let finished_before: Vec<String> = {
        // what the provider had answered by the kill
        ai.answered().into_keys().collect()
    };
    server.resume().await;
    let done = until("every summary", || async {
        let now = source_of(&server, &olga, &book).await;
        (now["summaries"]["running"] == false).then_some(now)
    })
    .await;
    assert_eq!(done["summaries"]["done"], total, "{done}");
    let done_before = before["summaries"]["done"].as_i64().unwrap() as usize;
    assert!((2..total).contains(&done_before), "the kill landed mid-run: {before}");
    let answered = ai.answered();
    assert_eq!(answered.len(), total);
    // a block whose summary was answered before the kill may have been cut before it was kept
    // (at most one: calls go one at a time); every other block was paid for once
    let twice: Vec<&String> = answered.iter().filter(|(_, n)| **n > 1).map(|(p, _)| p).collect();
    assert!(twice.len() <= 1, "{twice:?}");
    assert!(answered.values().all(|n| *n <= 2));
    assert!(finished_before.len() >= 2);
    let blocks = all_blocks(&server, &olga, &book).await;
    assert!(blocks.iter().all(|b| b["summary"]["by"] == "slow-model"));
}
