//! Files over the Bot API in the real binary, on both stacks: uploads as multipart parts
//! (by parameter name and by `attach://`), reuse by `file_id`, photos with their real sizes,
//! sound with its duration, albums, getFile and downloads byte for byte, people's files
//! reaching a bot, and every refusal in Telegram's words.

use hybrid_testkit::{Stack, TestServer, TestUser, hybrid_binary, json_of, stack_tests, until};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

mod support;
use support::{assert_bot_error, call, direct_chat, make_bot, next_offset, ok, update_of};

stack_tests!(
    a_bot_sends_documents_and_reads_them_back,
    photos_have_their_sizes_and_people_send_files_to_bots,
    sound_albums_and_refusals,
    files_by_url_only_when_the_server_fetches_them
);

/// Calls `method` with a multipart body: `fields` as text, `files` as (field, file name, bytes).
async fn upload(
    server: &TestServer,
    token: &str,
    method: &str,
    fields: &[(&str, String)],
    files: &[(&str, &str, Vec<u8>)],
) -> (reqwest::StatusCode, Value) {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.clone());
    }
    for (name, file_name, bytes) in files {
        form = form.part(
            name.to_string(),
            Part::bytes(bytes.clone()).file_name(file_name.to_string()),
        );
    }
    let response = server
        .http
        .post(server.url(&format!("/bot{token}/{method}")))
        .multipart(form)
        .send()
        .await
        .expect("request failed");
    json_of(response).await
}

/// [`upload`], which must succeed: the result.
async fn uploaded(
    server: &TestServer,
    token: &str,
    method: &str,
    fields: &[(&str, String)],
    files: &[(&str, &str, Vec<u8>)],
) -> Value {
    let (status, body) = upload(server, token, method, fields, files).await;
    assert_eq!(status, 200, "{method}: {body}");
    body["result"].clone()
}

/// The bytes at a getFile's `file_path`, downloaded as a bot library does.
async fn download(server: &TestServer, token: &str, file_id: &str) -> Vec<u8> {
    let file = ok(server, token, "getFile", json!({"file_id": file_id})).await;
    let path = file["file_path"].as_str().expect("a file_path");
    let response = server
        .http
        .get(server.url(&format!("/file/bot{token}/{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "downloading {path}");
    response.bytes().await.unwrap().to_vec()
}

/// A person's upload through the files API, processed, and its attach token.
async fn person_file(server: &TestServer, person: &TestUser, name: &str, bytes: Vec<u8>) -> Value {
    let response = server
        .http
        .post(server.url(&format!("/api/v1/files?name={name}")))
        .bearer_auth(&person.access_token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let (status, file) = json_of(response).await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_i64().unwrap();
    until("the file to be processed", || async {
        let (_, seen) = server
            .get(&format!("/api/v1/files/{id}"), Some(&person.access_token))
            .await;
        (seen.get("media").is_none() || seen["media"]["state"] == "ready").then_some(seen)
    })
    .await
}

/// A person, a bot, and the direct chat the person opened with it.
async fn person_and_bot(server: &TestServer, username: &str) -> (TestUser, i64, String, i64) {
    let amy = server.register("amy").await;
    let (bot, token) = make_bot(server, &amy, username, "Files").await;
    let chat = direct_chat(server, &amy, bot).await;
    (amy, bot, token, chat)
}

async fn a_bot_sends_documents_and_reads_them_back(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let (amy, _, token, chat) = person_and_bot(&server, "docs_bot").await;
    let notes = b"line one\nline two: \xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\n".to_vec();
    let fields = [
        ("chat_id", amy.id.to_string()),
        ("caption", "<b>Notes</b> for you".to_owned()),
        ("parse_mode", "HTML".to_owned()),
    ];
    let sent = uploaded(
        &server,
        &token,
        "sendDocument",
        &fields,
        &[("document", "notes.txt", notes.clone())],
    )
    .await;
    let document = &sent["document"];
    assert_eq!(
        (&document["file_name"], &document["mime_type"], &document["file_size"]),
        (&json!("notes.txt"), &json!("text/plain"), &json!(notes.len()))
    );
    assert_eq!(sent["caption"], "Notes for you");
    assert_eq!(
        sent["caption_entities"],
        json!([{"type": "bold", "offset": 0, "length": 5}])
    );
    assert!(sent.get("text").is_none(), "{sent}");
    let file_id = document["file_id"].as_str().unwrap().to_owned();
    assert_eq!(
        download(&server, &token, &file_id).await,
        notes,
        "downloaded byte for byte"
    );

    // the person sees the file in the chat and reads it through the message
    let seq = sent["message_id"].as_i64().unwrap();
    let (_, history) = server
        .get(&format!("/api/v1/chats/{chat}/messages"), Some(&amy.access_token))
        .await;
    let message = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["seq"] == seq)
        .unwrap()
        .clone();
    assert_eq!(message["attachment"]["preview"]["name"], "notes.txt");
    let id = message["attachment"]["object_id"].as_str().unwrap();
    let response = server
        .http
        .get(server.url(&format!("/api/v1/files/{id}/content?chat_id={chat}&seq={seq}")))
        .bearer_auth(&amy.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.bytes().await.unwrap().to_vec(), notes);

    // attach://: the part named by the parameter's value
    let fields = [
        ("chat_id", amy.id.to_string()),
        ("document", "attach://report".to_owned()),
    ];
    let again = uploaded(
        &server,
        &token,
        "sendDocument",
        &fields,
        &[("report", "report.csv", b"a,b\n1,2\n".to_vec())],
    )
    .await;
    assert_eq!(again["document"]["file_name"], "report.csv");
    let report = again["document"]["file_id"].as_str().unwrap().to_owned();
    assert_eq!(download(&server, &token, &report).await, b"a,b\n1,2\n");

    // a file_id the bot has: sent again, the same file
    let reused = ok(
        &server,
        &token,
        "sendDocument",
        json!({"chat_id": amy.id, "document": file_id}),
    )
    .await;
    assert_eq!(reused["document"]["file_unique_id"], document["file_unique_id"]);

    // another bot cannot use or read this bot's file ids
    let (other_id, other) = make_bot(&server, &amy, "other_files_bot", "Other").await;
    direct_chat(&server, &amy, other_id).await;
    let foreign = call(
        &server,
        &other,
        "sendDocument",
        json!({"chat_id": amy.id, "document": file_id}),
    )
    .await;
    assert_bot_error(&foreign, 400, "Bad Request: wrong file identifier/HTTP URL specified");
    let path = ok(&server, &token, "getFile", json!({"file_id": file_id})).await["file_path"].clone();
    let stolen = server
        .http
        .get(server.url(&format!("/file/bot{other}/{}", path.as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 404);
    let bad_token = server
        .http
        .get(server.url(&format!("/file/bot1:nope/{}", path.as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), 401);
}

async fn photos_have_their_sizes_and_people_send_files_to_bots(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let (amy, _, token, chat) = person_and_bot(&server, "photo_bot").await;
    let photo = hybrid_media::fixtures::photo(1600, 900, 1);
    let fields = [("chat_id", amy.id.to_string())];
    let sent = uploaded(&server, &token, "sendPhoto", &fields, &[("photo", "view.jpg", photo)]).await;
    let sizes = sent["photo"].as_array().expect("photo sizes").clone();
    assert!(sizes.len() >= 2, "thumbnails and the original: {sizes:?}");
    let original = sizes.last().unwrap();
    assert_eq!((&original["width"], &original["height"]), (&json!(1600), &json!(900)));
    let mut last = 0;
    for size in &sizes {
        let width = size["width"].as_i64().unwrap();
        assert!(width > last, "smallest first: {sizes:?}");
        last = width;
        // each size reads back as a picture of its own
        let bytes = download(&server, &token, size["file_id"].as_str().unwrap()).await;
        let picture = image_size(&bytes);
        assert_eq!(
            (picture.0 as i64, picture.1 as i64),
            (width, size["height"].as_i64().unwrap()),
            "{size}"
        );
    }
    let unique: std::collections::HashSet<&str> = sizes.iter().map(|s| s["file_unique_id"].as_str().unwrap()).collect();
    assert_eq!(unique.len(), sizes.len());

    // the method decides how it shows, as in Telegram: a picture sent as a document is one
    let picture = hybrid_media::fixtures::photo(300, 200, 1);
    let fields = [("chat_id", amy.id.to_string())];
    let as_file = uploaded(
        &server,
        &token,
        "sendDocument",
        &fields,
        &[("document", "plan.jpg", picture)],
    )
    .await;
    assert!(as_file.get("photo").is_none(), "{as_file}");
    assert_eq!(
        (&as_file["document"]["mime_type"], &as_file["document"]["file_name"]),
        (&json!("image/jpeg"), &json!("plan.jpg"))
    );
    let path = ok(
        &server,
        &token,
        "getFile",
        json!({"file_id": as_file["document"]["file_id"]}),
    )
    .await;
    assert!(path["file_path"].as_str().unwrap().ends_with(".jpg"), "{path}");

    // a person's photo and document reach the bot with their sizes, and the bot reads them
    let offset = next_offset(&server, &token).await;
    let picture = person_file(&server, &amy, "cat.jpg", hybrid_media::fixtures::photo(640, 480, 1)).await;
    let (status, _) = server
        .post(
            &format!("/api/v1/chats/{chat}/messages"),
            Some(&amy.access_token),
            json!({"text": "my cat", "attach": picture["attach_token"]}),
        )
        .await;
    assert_eq!(status, 201);
    let message = update_of(&server, &token, offset, "message").await;
    assert_eq!(message["caption"], "my cat");
    let theirs = message["photo"].as_array().expect("the person's photo").clone();
    assert_eq!(
        (&theirs.last().unwrap()["width"], &theirs.last().unwrap()["height"]),
        (&json!(640), &json!(480))
    );
    let their_id = theirs.last().unwrap()["file_id"].as_str().unwrap().to_owned();
    let bytes = download(&server, &token, &their_id).await;
    assert_eq!(image_size(&bytes), (640, 480));
    // sending it on makes the bot a copy of its own
    let forwarded = ok(
        &server,
        &token,
        "sendPhoto",
        json!({"chat_id": amy.id, "photo": their_id}),
    )
    .await;
    assert_eq!(forwarded["photo"].as_array().unwrap().last().unwrap()["width"], 640);
}

/// A picture's dimensions, read from its bytes.
fn image_size(bytes: &[u8]) -> (u32, u32) {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .unwrap();
    reader.into_dimensions().unwrap()
}

async fn sound_albums_and_refusals(stack: Stack) {
    let server = TestServer::start(&hybrid_binary(), stack).await;
    let (amy, _, token, _) = person_and_bot(&server, "sound_bot").await;
    let dir = tempfile::tempdir().unwrap();
    let ogg = hybrid_media::fixtures::generated(
        dir.path(),
        "note.ogg",
        &["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "libopus"],
    );
    let ogg = std::fs::read(ogg).unwrap();
    let fields = [("chat_id", amy.id.to_string())];
    let voice = uploaded(&server, &token, "sendVoice", &fields, &[("voice", "note.ogg", ogg)]).await;
    // Opus in Ogg (Telegram's voice notes' type), two seconds
    assert_eq!(
        (&voice["voice"]["mime_type"], &voice["voice"]["duration"]),
        (&json!("audio/ogg"), &json!(2))
    );
    // a GIF sent as an animation is an animation and a document, as in Telegram
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let fields = [("chat_id", amy.id.to_string())];
    let animated = uploaded(
        &server,
        &token,
        "sendAnimation",
        &fields,
        &[("animation", "dot.gif", gif)],
    )
    .await;
    assert_eq!(animated["animation"]["mime_type"], "image/gif", "{animated}");
    assert_eq!(animated["document"]["file_id"], animated["animation"]["file_id"]);

    // an album: each item a message of its own, files by attach://
    let mixed = json!([
        {"type": "photo", "media": "attach://one"},
        {"type": "document", "media": "attach://two"}
    ]);
    let refused = call(
        &server,
        &token,
        "sendMediaGroup",
        json!({"chat_id": amy.id, "media": mixed}),
    )
    .await;
    assert_bot_error(
        &refused,
        400,
        "Bad Request: documents can be grouped in an album only with other documents",
    );
    let media = json!([
        {"type": "photo", "media": "attach://one", "caption": "first"},
        {"type": "photo", "media": "attach://two"}
    ]);
    let fields = [("chat_id", amy.id.to_string()), ("media", media.to_string())];
    let files = [
        ("one", "one.jpg", hybrid_media::fixtures::photo(320, 240, 1)),
        ("two", "two.jpg", hybrid_media::fixtures::photo(240, 320, 1)),
    ];
    let album = uploaded(&server, &token, "sendMediaGroup", &fields, &files).await;
    let album = album.as_array().unwrap();
    assert_eq!(album.len(), 2);
    assert_eq!(
        (&album[0]["caption"], album[0]["photo"].is_array()),
        (&json!("first"), true)
    );
    let second = album[1]["photo"].as_array().expect("a photo").last().unwrap().clone();
    assert_eq!((&second["width"], &second["height"]), (&json!(240), &json!(320)));

    // refusals, in Telegram's words
    let text_as_photo = upload(
        &server,
        &token,
        "sendPhoto",
        &[("chat_id", amy.id.to_string())],
        &[("photo", "a.txt", b"text".to_vec())],
    )
    .await;
    assert_bot_error(
        &text_as_photo,
        400,
        "Bad Request: the file is text/plain, which can't be sent as photo",
    );
    let nothing = call(&server, &token, "sendPhoto", json!({"chat_id": amy.id})).await;
    assert_bot_error(&nothing, 400, "Bad Request: there is no photo in the request");
    let junk = call(
        &server,
        &token,
        "sendDocument",
        json!({"chat_id": amy.id, "document": "AgADBAADbad"}),
    )
    .await;
    assert_bot_error(&junk, 400, "Bad Request: wrong file identifier/HTTP URL specified");
    let by_url = call(
        &server,
        &token,
        "sendDocument",
        json!({"chat_id": amy.id, "document": "https://example.com/a.pdf"}),
    )
    .await;
    assert_bot_error(
        &by_url,
        400,
        "Bad Request: wrong file identifier/HTTP URL specified: this server does not fetch files by URL",
    );
    let missing_part = call(
        &server,
        &token,
        "sendDocument",
        json!({"chat_id": amy.id, "document": "attach://nope"}),
    )
    .await;
    assert_bot_error(&missing_part, 400, "Bad Request: can't find attached file \"nope\"");
    let one = json!([{"type": "photo", "media": "attach://one"}]);
    let short = call(
        &server,
        &token,
        "sendMediaGroup",
        json!({"chat_id": amy.id, "media": one.to_string()}),
    )
    .await;
    assert_bot_error(&short, 400, "Bad Request: wrong number of media in the group (2 to 10)");
    let big = vec![0xFFu8; (10 << 20) + 1];
    let too_big = upload(
        &server,
        &token,
        "sendPhoto",
        &[("chat_id", amy.id.to_string())],
        &[("photo", "big.jpg", big)],
    )
    .await;
    assert_eq!(too_big.0, 413, "{}", too_big.1);
    let long = "x".repeat(1025);
    let caption = upload(
        &server,
        &token,
        "sendDocument",
        &[("chat_id", amy.id.to_string()), ("caption", long)],
        &[("document", "a.txt", b"a".to_vec())],
    )
    .await;
    assert_bot_error(&caption, 400, "Bad Request: message caption is too long");
}

/// A one-shot web server answering every request with `body`: its URL.
async fn serving(body: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/files/report.txt?v=1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(body).await;
        }
    });
    url
}

async fn files_by_url_only_when_the_server_fetches_them(stack: Stack) {
    let url = serving(b"fetched for the bot").await;
    // on, but the outbound rules keep private addresses out
    let guarded = TestServer::start_with(&hybrid_binary(), stack, &[("HYBRID_BOTS__FETCH_URLS", "true")]).await;
    let (amy, _, token, _) = person_and_bot(&guarded, "url_bot").await;
    let refused = call(
        &guarded,
        &token,
        "sendDocument",
        json!({"chat_id": amy.id, "document": url}),
    )
    .await;
    assert_eq!(refused.0, 400, "{}", refused.1);
    let said = refused.1["description"].as_str().unwrap();
    assert!(
        said.starts_with("Bad Request: failed to get HTTP URL content"),
        "{said}"
    );
    drop(guarded);

    let open = [
        ("HYBRID_BOTS__FETCH_URLS", "true"),
        ("HYBRID_OUTBOUND__ALLOW_PRIVATE", "true"),
    ];
    let server = TestServer::start_with(&hybrid_binary(), stack, &open).await;
    let (amy, _, token, _) = person_and_bot(&server, "url_bot").await;
    let sent = ok(
        &server,
        &token,
        "sendDocument",
        json!({"chat_id": amy.id, "document": url}),
    )
    .await;
    assert_eq!(sent["document"]["file_name"], "report.txt", "{sent}");
    let file_id = sent["document"]["file_id"].as_str().unwrap().to_owned();
    assert_eq!(download(&server, &token, &file_id).await, b"fetched for the bot");
}
