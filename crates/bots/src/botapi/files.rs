//! The Bot API's files: sendPhoto, sendDocument, sendAudio, sendVoice, sendVideo,
//! sendAnimation, sendMediaGroup, getFile, and downloads at `/file/bot<token>/<file_path>`.
//! Files live in the files service ([`FileStore`]) as the bot's own, under the bot's quota and
//! the same sniffing and processing as people's uploads; a message carries one file, with its
//! caption as the text. A file comes as a multipart part (named by the parameter, or by
//! `attach://<name>`), as a `file_id` the bot got before, or as an http(s) URL when the server
//! fetches them (`bots.fetch_urls`, off by default, through the outbound component's rules).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hybrid_files_api::{FileCard, Reader};
use serde::Deserialize;
use serde_json::{Value, json};

use hybrid_chats_api::ChatMessage;

use super::Call;
use super::file_ids::{FileRef, unique_id};
use super::messages::caption;
use super::params::{Params, Upload};
use super::reply::{BotError, BotResult};
use super::shapes::ChatMeta;
use crate::service::Bots;

/// Telegram's limits: photos up to 10 MB; other uploads are `bots.max_upload_bytes`.
const MAX_PHOTO_BYTES: usize = 10 << 20;
/// How long a send waits for the files service to process a picture, sound or video (so the
/// message has its sizes and duration, as Telegram's answer does).
const PROCESSING_WAIT: Duration = Duration::from_secs(20);
/// sendMediaGroup: 2 to 10 items (Telegram's).
const ALBUM: std::ops::RangeInclusive<usize> = 2..=10;
/// Where a download's `file_path` starts.
const FILE_PATH_PREFIX: &str = "files/";

/// What kind of file a method sends: what its parameter is called and what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Photo,
    Document,
    Audio,
    Voice,
    Video,
    Animation,
}

impl Kind {
    fn parameter(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::Document => "document",
            Kind::Audio => "audio",
            Kind::Voice => "voice",
            Kind::Video => "video",
            Kind::Animation => "animation",
        }
    }

    /// What `InputMedia.type` names.
    fn of_media_type(name: &str) -> Option<Kind> {
        [Kind::Photo, Kind::Document, Kind::Audio, Kind::Video, Kind::Animation]
            .into_iter()
            .find(|kind| kind.parameter() == name)
    }

    /// Whether a file of `content_type` may be sent as this kind (Telegram refuses a photo
    /// that is no picture, and so on).
    fn accepts(self, content_type: &str) -> bool {
        match self {
            Kind::Photo => matches!(content_type, "image/jpeg" | "image/png" | "image/webp"),
            Kind::Voice => is_voice(content_type),
            Kind::Audio => content_type.starts_with("audio/"),
            Kind::Video => content_type.starts_with("video/"),
            Kind::Animation => content_type == "image/gif" || content_type.starts_with("video/"),
            Kind::Document => true,
        }
    }
}

/// Where a file comes from.
enum Input {
    Upload(Upload),
    FileId(FileRef),
    Url(String),
}

/// One item of sendMediaGroup's `media`.
#[derive(Debug, Deserialize)]
struct InputMedia {
    #[serde(rename = "type")]
    kind: String,
    media: String,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    parse_mode: Option<String>,
    #[serde(default)]
    caption_entities: Option<Value>,
}

impl Call<'_> {
    /// sendPhoto, sendDocument, …: one message carrying the file, its caption as the text.
    pub(super) async fn send_file(&self, params: &Params, kind: Kind) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let text = caption(params)?;
        let input = self.input(params, params.string(kind.parameter())?, kind.parameter())?;
        let token = self.attachable(input, kind).await?;
        let message = self.post(&meta, text, Some(token), params).await?;
        self.render_sent(&message, &meta, kind).await
    }

    /// A message the bot just sent with a file of `kind`: recorded so that it shows as that
    /// kind from now on, then rendered.
    async fn render_sent(&self, message: &ChatMessage, meta: &ChatMeta, kind: Kind) -> BotResult<Value> {
        let store = &self.bots.store;
        store
            .record_sent(message.chat_id, message.seq, kind.parameter())
            .await?;
        self.render(message, meta).await
    }

    /// sendMediaGroup: each item a message of its own, in order (Hybrid has no albums); the
    /// answer lists them all.
    pub(super) async fn send_media_group(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        let items: Vec<InputMedia> = params
            .json("media", "media")?
            .ok_or_else(|| BotError::bad_request("media is empty"))?;
        if !ALBUM.contains(&items.len()) {
            return Err(BotError::bad_request("wrong number of media in the group (2 to 10)"));
        }
        // Telegram's rule: documents, and audio, go only with their own kind
        for alone in ["document", "audio"] {
            if items.iter().any(|i| i.kind == alone) && !items.iter().all(|i| i.kind == alone) {
                return Err(BotError::bad_request(format!(
                    "{alone}s can be grouped in an album only with other {alone}s"
                )));
            }
        }
        // every file is checked and stored before the first message goes
        let mut prepared = Vec::with_capacity(items.len());
        for item in items {
            let kind = Kind::of_media_type(&item.kind)
                .ok_or_else(|| BotError::bad_request(format!("unsupported media type {:?}", item.kind)))?;
            let input = self.input(params, Some(item.media.clone()), kind.parameter())?;
            let token = self.attachable(input, kind).await?;
            let mut one = serde_json::Map::new();
            one.insert("caption".into(), json!(item.caption));
            one.insert("parse_mode".into(), json!(item.parse_mode));
            one.insert("caption_entities".into(), json!(item.caption_entities));
            prepared.push((caption(&Params::from_object(one))?, token, kind));
        }
        let mut sent = Vec::with_capacity(prepared.len());
        for (text, token, kind) in prepared {
            let message = self.post(&meta, text, Some(token), params).await?;
            sent.push(self.render_sent(&message, &meta, kind).await?);
        }
        Ok(Value::Array(sent))
    }

    /// getFile: a file the bot may read, with the `file_path` to download it from.
    pub(super) async fn get_file(&self, params: &Params) -> BotResult<Value> {
        let file_id = params.required_string("file_id", "file_id is empty")?;
        let file = self.file_ref(&file_id)?;
        let card = self
            .bots
            .files
            .describe(self.reader(file), file.file)
            .await
            .map_err(file_error)?;
        // a thumbnail's size in bytes is not kept (its dimensions are, in the message)
        let size = (file.side == 0).then_some(card.size);
        // an extension, as Telegram's paths have (bots name what they save by it)
        let extension = match file.side {
            0 => extension_of(&card.name),
            _ => Some("jpg".to_owned()),
        };
        let path = match extension {
            Some(extension) => format!("{FILE_PATH_PREFIX}{file_id}.{extension}"),
            None => format!("{FILE_PATH_PREFIX}{file_id}"),
        };
        let mut answer = json!({
            "file_id": file_id,
            "file_unique_id": unique_id(file.file, file.side),
            "file_path": path,
        });
        if let Some(size) = size {
            answer["file_size"] = json!(size);
        }
        Ok(answer)
    }

    fn file_ref(&self, file_id: &str) -> BotResult<FileRef> {
        self.bots
            .file_ids(self.id())
            .read(file_id)
            .ok_or_else(|| BotError::bad_request("wrong file identifier/HTTP URL specified"))
    }

    fn reader(&self, file: FileRef) -> Reader {
        Reader {
            user_id: self.id(),
            via: file.via,
        }
    }

    /// Where the file parameter `name` (whose value is `value`) comes from.
    fn input(&self, params: &Params, value: Option<String>, name: &str) -> BotResult<Input> {
        if let Some(upload) = params.file(name) {
            return Ok(Input::Upload(upload.clone()));
        }
        let value = value.filter(|v| !v.trim().is_empty());
        let value = value.ok_or_else(|| BotError::bad_request(format!("there is no {name} in the request")))?;
        let value = value.trim();
        if let Some(part) = value.strip_prefix("attach://") {
            return params
                .file(part)
                .cloned()
                .map(Input::Upload)
                .ok_or_else(|| BotError::bad_request(format!("can't find attached file \"{part}\"")));
        }
        if value.starts_with("http://") || value.starts_with("https://") {
            return Ok(Input::Url(value.to_owned()));
        }
        Ok(Input::FileId(self.file_ref(value)?))
    }

    /// An attach token for `input` as a file of the bot's: stored when it is new, reused when
    /// the bot already owns it, copied when the bot got it from someone else.
    async fn attachable(&self, input: Input, kind: Kind) -> BotResult<String> {
        let files = self.bots.files.as_ref();
        let card = match input {
            Input::Upload(upload) => self.store(upload.file_name, upload.data, kind).await?,
            Input::Url(url) => {
                let (name, data) = self.fetch(&url).await?;
                self.store(name, data, kind).await?
            }
            Input::FileId(file) => {
                let seen = files.describe(self.reader(file), file.file).await.map_err(file_error)?;
                if file.side == 0 && seen.attach_token.is_some() {
                    seen
                } else {
                    let bytes = files
                        .read(self.reader(file), file.file, file.variant())
                        .await
                        .map_err(file_error)?;
                    self.store(seen.name, bytes.data, kind).await?
                }
            }
        };
        if !kind.accepts(&card.content_type) {
            return Err(BotError::bad_request(format!(
                "the file is {}, which can't be sent as {}",
                card.content_type,
                kind.parameter()
            )));
        }
        let card = self.processed(card).await?;
        card.attach_token
            .ok_or_else(|| BotError::bad_request("the file can't be sent now: try again"))
    }

    /// Stores bytes as a new file of the bot's.
    async fn store(&self, name: String, data: bytes::Bytes, kind: Kind) -> BotResult<FileCard> {
        let limit = match kind {
            Kind::Photo => MAX_PHOTO_BYTES,
            _ => self.bots.config.max_upload_bytes,
        };
        if data.len() > limit {
            return Err(BotError::too_large());
        }
        let name = if name.trim().is_empty() {
            kind.parameter().to_owned()
        } else {
            name
        };
        self.bots.files.store(self.id(), name, data).await.map_err(file_error)
    }

    /// The card once the files service has processed the file (a picture's sizes, a sound's
    /// duration), or as it is after [`PROCESSING_WAIT`].
    async fn processed(&self, mut card: FileCard) -> BotResult<FileCard> {
        let started = tokio::time::Instant::now();
        let mut pause = Duration::from_millis(25);
        while card.media.as_ref().is_some_and(|m| m.state == "pending") && started.elapsed() < PROCESSING_WAIT {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
            card = self
                .bots
                .files
                .describe(Reader::owner(self.id()), card.id)
                .await
                .map_err(file_error)?;
        }
        Ok(card)
    }

    /// A file from an http(s) URL, through the outbound component (when the server allows it).
    async fn fetch(&self, url: &str) -> BotResult<(String, bytes::Bytes)> {
        let Some(outbound) = &self.bots.fetcher else {
            return Err(BotError::bad_request(
                "wrong file identifier/HTTP URL specified: this server does not fetch files by URL",
            ));
        };
        let answer = outbound
            .get(url)
            .await
            .map_err(|err| BotError::bad_request(format!("failed to get HTTP URL content: {err}")))?;
        if !(200..300).contains(&answer.status) {
            return Err(BotError::bad_request(format!(
                "failed to get HTTP URL content: the server answered {}",
                answer.status
            )));
        }
        let name = url
            .split(['?', '#'])
            .next()
            .and_then(|path| path.rsplit('/').next())
            .unwrap_or_default()
            .to_owned();
        Ok((name, answer.body))
    }
}

/// A file name's extension, when it is a plain one (1 to 8 letters or digits).
fn extension_of(name: &str) -> Option<String> {
    let (_, extension) = name.rsplit_once('.')?;
    let plain = (1..=8).contains(&extension.len()) && extension.chars().all(|c| c.is_ascii_alphanumeric());
    plain.then(|| extension.to_ascii_lowercase())
}

/// An Ogg voice note (the sniffer names Opus in Ogg `audio/opus`), what Telegram's voice
/// messages are.
pub fn is_voice(content_type: &str) -> bool {
    matches!(content_type, "audio/ogg" | "audio/opus")
}

/// The files service's refusals in Telegram's words.
fn file_error(err: hybrid_core::ApiError) -> BotError {
    match err.status.as_u16() {
        404 => BotError::bad_request("wrong file identifier/HTTP URL specified"),
        413 => BotError::too_large(),
        409 => BotError::bad_request("the file is being processed: try again in a moment"),
        _ => err.into(),
    }
}

/// `GET /file/bot<token>/<file_path>`: a file's bytes, for the bot whose `file_id` the path
/// holds (as getFile gave it).
pub async fn download(
    State(bots): State<std::sync::Arc<Bots>>,
    Path((token, path)): Path<(String, String)>,
) -> Response {
    let answer = async {
        let bot = bots.authenticate(&token).await?;
        // `files/<file_id>[.<extension>]` (a file id has no dot)
        let file_id = path
            .strip_prefix(FILE_PATH_PREFIX)
            .and_then(|rest| rest.split('.').next())
            .ok_or_else(BotError::unknown_method)?;
        let file = bots
            .file_ids(bot.user_id)
            .read(file_id)
            .ok_or_else(|| BotError::unknown_method())?;
        let reader = Reader {
            user_id: bot.user_id,
            via: file.via,
        };
        let bytes = bots
            .files
            .read(reader, file.file, file.variant())
            .await
            .map_err(file_error)?;
        if bytes.data.len() > bots.config.max_download_bytes {
            return Err(BotError::bad_request("file is too big"));
        }
        Ok::<_, BotError>(bytes)
    };
    match answer.await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, bytes.content_type),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            bytes.data,
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}
