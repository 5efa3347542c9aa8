//! Pictures: processed by a job into an upright original without metadata, a blurhash and
//! thumbnails, which reach the chat as the card's next version; a decompression bomb is
//! refused at upload and the server carries on. Sound and video: measured, and kept without
//! their metadata.

use hybrid_media::fixtures::{GPS_MARKER, bomb, photo};
use hybrid_testkit::{Stack, TestServer, assert_error, stack_tests, until};
use reqwest::StatusCode;

use crate::access::{attach, group, processed, read};
use crate::tus::{create, patch};
use crate::{fetch, header_of, start, stored_contents, upload};

stack_tests!(
    a_photo_comes_back_upright_without_its_gps_position,
    decompression_bombs_are_refused_and_the_server_stays_up,
    voice_and_video_get_a_duration_a_waveform_and_a_poster
);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the pixel at (x, y) of the picture in `bytes` is mostly red (else mostly blue).
fn red_at(bytes: &[u8], x: u32, y: u32) -> bool {
    use image::GenericImageView;
    let [r, _, b, _] = image::load_from_memory(bytes).unwrap().get_pixel(x, y).0;
    r > b
}

async fn a_photo_comes_back_upright_without_its_gps_position(stack: Stack) {
    // the cleanup job removes the replaced original's bytes within a second
    let server = start(stack, &[("HYBRID_FILES__CLEANUP_CRON", "* * * * * *")]).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let chat = group(&server, &amy, "all", &[&bob]).await;
    let mut bob_ws = server.ws(&bob).await;

    // 400×200 as stored, turned by its EXIF to stand 200×400, with a GPS position
    let original = photo(400, 200, 6);
    assert!(contains(&original, GPS_MARKER));
    let (status, file) = upload(&server, &amy, "trip.jpg", "image/jpeg", original).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["media"]["state"], "pending", "{file}");
    let id = file["id"].as_i64().unwrap();
    let seq = attach(&server, &amy, chat, file["attach_token"].as_str().unwrap()).await;

    // the card's next version, when the job is done: size, blurhash, thumbnails
    let event = bob_ws
        .next_where(|frame| frame["kind"] == "message.attachment" && frame["data"]["seq"] == seq)
        .await;
    let card = &event["data"]["attachment"];
    assert_eq!(card["version"], 2, "{event}");
    let media = &card["preview"]["media"];
    assert_eq!(media["state"], "ready", "{card}");
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(200), Some(400))
    );
    assert!(media["blurhash"].as_str().is_some_and(|b| b.len() == 28), "{media}");
    assert_eq!(
        media["thumbnails"],
        serde_json::json!([{"side": 320, "width": 160, "height": 320}])
    );

    // every stored variant, read through the message, is upright and has no GPS position
    let via = format!("chat_id={chat}&seq={seq}");
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for path in [
        format!("/api/v1/files/{id}/content?{via}"),
        format!("/api/v1/files/{id}/thumbnails/320.webp?{via}"),
        format!("/api/v1/files/{id}/thumbnails/320.jpg?{via}"),
    ] {
        let (status, headers, bytes) = fetch(&server, &path, Some(&bob.access_token), &[]).await;
        assert_eq!(status, 200, "{path}");
        variants.push((header_of(&headers, "content-type").to_owned(), bytes));
    }
    let types: Vec<&str> = variants.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["image/jpeg", "image/webp", "image/jpeg"]);
    for (content_type, bytes) in &variants {
        assert!(
            !contains(bytes, GPS_MARKER) && !contains(bytes, b"Exif"),
            "{content_type}"
        );
        let picture = image::load_from_memory(bytes).unwrap();
        assert!(picture.height() > picture.width(), "{content_type} stands upright");
        let (w, h) = (picture.width(), picture.height());
        assert!(
            red_at(bytes, w / 2, h / 8) && !red_at(bytes, w / 2, h * 7 / 8),
            "{content_type}: red on top"
        );
    }
    // the file as recorded now: the rewritten original's size, the same media
    let (_, seen) = server
        .get(&format!("/api/v1/files/{id}?{via}"), Some(&bob.access_token))
        .await;
    assert_eq!(seen["size"].as_u64(), Some(variants[0].1.len() as u64), "{seen}");
    assert_eq!(seen["media"], *media);
    // a link to a thumbnail, for <img src>
    let (status, link) = server
        .post(
            &format!("/api/v1/files/{id}/link?{via}&variant=320.webp"),
            Some(&bob.access_token),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{link}");
    let (status, _, bytes) = fetch(&server, link["url"].as_str().unwrap(), None, &[]).await;
    assert_eq!((status, bytes), (StatusCode::OK, variants[1].1.clone()));
    let missing = server
        .get(
            &format!("/api/v1/files/{id}/thumbnails/9999.webp?{via}"),
            Some(&bob.access_token),
        )
        .await;
    assert_error(&missing, 404, "not_found", None);

    // and nothing in storage holds the position: the uploaded bytes are gone
    until("the replaced original to be removed", || async {
        (stored_contents(&server).await.len() == 3).then_some(())
    })
    .await;
    for (key, bytes) in stored_contents(&server).await {
        assert!(!contains(&bytes, GPS_MARKER), "{key} holds the GPS position");
    }
    // search still finds the message by the file's name
    let (_, found) = server
        .get(
            &format!("/api/v1/search/messages?q=trip&chat_id={chat}"),
            Some(&bob.access_token),
        )
        .await;
    assert!(found.to_string().contains(&format!("\"seq\":{seq}")), "{found}");
}

async fn decompression_bombs_are_refused_and_the_server_stays_up(stack: Stack) {
    let server = start(stack, &[]).await;
    let amy = server.register("amy").await;
    // 100 million pixels declared in a few bytes
    let refused = upload(&server, &amy, "bomb.png", "image/png", bomb(10_000, 10_000)).await;
    assert_error(&refused, 422, "image_too_large", None);
    let message = refused.1["error"]["message"].as_str().unwrap();
    assert!(message.contains("10000×10000"), "{message}");
    assert_eq!(stored_contents(&server).await.len(), 0, "nothing is kept");
    // over tus too
    assert_eq!(tus_bomb(&server, &amy).await, 422);
    // the server carries on, and a picture within the limits is taken
    assert_eq!(server.get("/healthz", None).await.0, 200);
    let (status, file) = upload(&server, &amy, "fine.jpg", "image/jpeg", photo(40, 20, 1)).await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_i64().unwrap();
    let media = processed(&server, &amy, id).await;
    assert_eq!(media["state"], "ready", "{media}");
    assert_eq!(read(&server, &amy, id, None).await, StatusCode::OK);
}

/// A bomb sent over tus: the status of the PATCH that completes it.
async fn tus_bomb(server: &TestServer, user: &hybrid_testkit::TestUser) -> u16 {
    let bytes = bomb(10_000, 10_000);
    let path = create(server, user, bytes.len(), "bomb.png").await;
    let (status, _, body) = patch(server, user, &path, 0, &bytes).await;
    assert_eq!(body["error"]["code"], "image_too_large", "{body}");
    status.as_u16()
}

/// A tag a recording carries, which the copy kept must not.
const TAG: &str = "title=Recorded at home";
const TAG_TEXT: &[u8] = b"Recorded at home";

/// A file made by ffmpeg from one of its generators (`lavfi`): the tests' sound and video.
fn generated(name: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::read(hybrid_media::fixtures::generated(dir.path(), name, args)).unwrap()
}

async fn voice_and_video_get_a_duration_a_waveform_and_a_poster(stack: Stack) {
    let server = start(stack, &[]).await;
    let [amy, bob] = [server.register("amy").await, server.register("bob").await];
    let chat = group(&server, &amy, "all", &[&bob]).await;

    // a voice message as a browser records it: Opus in WebM, two seconds, with a tag
    let voice = generated(
        "voice.webm",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:a",
            "libopus",
            "-metadata",
            TAG,
        ],
    );
    assert!(contains(&voice, TAG_TEXT));
    let (status, file) = upload(&server, &amy, "voice.webm", "audio/webm", voice.clone()).await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_i64().unwrap();
    let media = processed(&server, &amy, id).await;
    assert_eq!(media["state"], "ready", "{media}");
    let duration = media["duration_ms"].as_u64().unwrap();
    assert!((1900..=2100).contains(&duration), "{media}");
    let bars = media["waveform"].as_array().unwrap();
    assert_eq!(bars.len(), 64);
    assert!(bars.iter().all(|b| b.as_u64().unwrap() <= 100), "{media}");
    assert!(media.get("thumbnails").is_none(), "no picture in a voice message");
    // bob plays it through the message: as something a browser plays inline, without the tag
    let seq = attach(&server, &amy, chat, file["attach_token"].as_str().unwrap()).await;
    let path = format!("/api/v1/files/{id}/content?chat_id={chat}&seq={seq}");
    let (status, headers, bytes) = fetch(&server, &path, Some(&bob.access_token), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !contains(&bytes, TAG_TEXT) && bytes.starts_with(&voice[..4]),
        "still WebM, untagged"
    );
    let (_, now) = server
        .get(&format!("/api/v1/files/{id}"), Some(&amy.access_token))
        .await;
    assert_eq!(now["size"].as_u64(), Some(bytes.len() as u64), "{now}");
    assert!(
        header_of(&headers, "content-type").starts_with("video/webm"),
        "{headers:?}"
    );
    assert!(
        header_of(&headers, "content-disposition").starts_with("inline"),
        "{headers:?}"
    );

    // a video: its size, duration, and thumbnails of its first frame
    let clip = generated(
        "clip.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=10:duration=2",
            "-pix_fmt",
            "yuv420p",
            "-metadata",
            TAG,
            "-metadata",
            "location=+48.8584+002.2945/",
        ],
    );
    assert!(contains(&clip, TAG_TEXT));
    let (status, file) = upload(&server, &amy, "clip.mp4", "video/mp4", clip).await;
    assert_eq!(status, 201, "{file}");
    let id = file["id"].as_i64().unwrap();
    let media = processed(&server, &amy, id).await;
    assert_eq!(media["state"], "ready", "{media}");
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(640), Some(360))
    );
    assert!(media["blurhash"].is_string(), "{media}");
    assert_eq!(
        media["thumbnails"],
        serde_json::json!([{"side": 320, "width": 320, "height": 180}])
    );
    let (status, headers, poster) = fetch(
        &server,
        &format!("/api/v1/files/{id}/thumbnails/320.jpg"),
        Some(&amy.access_token),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(header_of(&headers, "content-type"), "image/jpeg");
    assert_eq!(image::load_from_memory(&poster).unwrap().width(), 320);
    // the video kept is a copy without the tags or the place it was filmed
    let (status, _, kept) = fetch(
        &server,
        &format!("/api/v1/files/{id}/content"),
        Some(&amy.access_token),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        !contains(&kept, TAG_TEXT) && !contains(&kept, b"+48.8584"),
        "metadata left"
    );
    assert_eq!(&kept[4..8], b"ftyp", "still MP4");

    // what ffmpeg cannot read fails plainly, and stays readable as uploaded
    let (_, broken) = upload(
        &server,
        &amy,
        "broken.mp4",
        "video/mp4",
        b"\0\0\0\x18ftypmp42 not really".to_vec(),
    )
    .await;
    let id = broken["id"].as_i64().unwrap();
    let media = processed(&server, &amy, id).await;
    assert_eq!(media["state"], "failed", "{media}");
    assert!(media["error"].as_str().is_some_and(|e| !e.is_empty()), "{media}");
    assert_eq!(read(&server, &amy, id, None).await, StatusCode::OK);
}
