//! The files service's logic: limits, quotas, who may read, signed links. Bytes go through
//! [`Storage`], records through [`Store`].

use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use hmac::{Hmac, KeyInit, Mac};
use hybrid_chats_api::{ChatWriter, ObjectRef, attach};
use hybrid_core::{ApiError, ApiResult, Page, now_ms, page_limit, parse_cursor};
use hybrid_store::Db;
use sha2::Sha256;

use crate::api::{FileInfo, FileLink, FilesCode, Media, MediaState, Purpose, Usage};
use crate::settings::FilesConfig;
use crate::storage::{Digest, Digester, Storage, Upload};
use crate::store::{NewFile, Store, Stored};

/// Longest file name, in characters.
const MAX_NAME_CHARS: usize = 255;

pub struct Files {
    pub(crate) store: Store,
    pub(crate) storage: Storage,
    pub(crate) config: FilesConfig,
    keys: Keys,
    /// Who may see the message a non-owner reads a file through.
    pub(crate) chats: Arc<dyn ChatWriter>,
}

/// The keys the service signs with, derived from the master key.
pub struct Keys {
    /// Download links: the current key, then retired ones (checked with any).
    pub links: Vec<[u8; 32]>,
    /// Attach tokens, which chats checks (`hybrid_chats_api::attach`).
    pub attach: [u8; 32],
}

impl Files {
    pub fn new(db: Db, storage: Storage, config: FilesConfig, keys: Keys, chats: Arc<dyn ChatWriter>) -> Self {
        Files {
            store: Store::new(db),
            storage,
            config,
            keys,
            chats,
        }
    }

    pub async fn usage(&self, owner_id: i64) -> ApiResult<Usage> {
        Ok(Usage {
            used_bytes: self.store.used(owner_id).await?,
            quota_bytes: self.config.quota_bytes as i64,
            max_file_bytes: self.config.max_file_bytes as i64,
            max_image_bytes: self.config.max_image_bytes as i64,
        })
    }

    /// Stores the bytes of `body` as a file of `owner_id`'s, streaming them to storage: never
    /// more than a part's worth in memory, cut off as soon as a limit is passed.
    pub async fn upload<S, E>(
        &self,
        owner_id: i64,
        name: Option<&str>,
        purpose: Purpose,
        declared: Option<u64>,
        mut body: S,
    ) -> ApiResult<FileInfo>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let name = clean_name(name.unwrap_or(""))?;
        let limits = self.limits(owner_id).await?;
        if let Some(Err(e)) = declared.map(|declared| limits.check(declared, None)) {
            drain(&mut body).await;
            return Err(e);
        }
        let key = new_key(owner_id);
        let written = self.write(&key, &limits, body).await?;
        let avatar = purpose == Purpose::Avatar;
        let media = match self.picture(&written) {
            Ok(_) if avatar && !written.content_type.starts_with("image/") => {
                Err(ApiError::validation("purpose", "an avatar must be an image"))
            }
            checked => checked,
        };
        let media = match media {
            Ok(media) => media,
            Err(e) => {
                self.storage.delete(&key).await;
                return Err(e);
            }
        };
        let file = NewFile {
            owner_id,
            name,
            content_type: written.content_type,
            size: written.size as i64,
            sha256: written.sha256,
            key: key.clone(),
            created_at: now_ms(),
            avatar,
            media,
        };
        match self.store.insert(file, self.config.quota_bytes as i64).await {
            Ok(Some(info)) => Ok(self.with_attach_token(owner_id, info, None)),
            // another upload took the room meanwhile, or the record failed: the bytes go
            result => {
                self.storage.delete(&key).await;
                match result {
                    Ok(_) => Err(quota_exceeded()),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// For a picture, sound or video this server processes: its pending media, once a
    /// picture's declared size is within `files.max_image_pixels` (422 `image_too_large`
    /// otherwise: a decompression bomb stops here). `None` for other files.
    pub(crate) fn picture(&self, digest: &Digest) -> ApiResult<Option<Media>> {
        if !crate::media::processed(&digest.content_type) {
            return Ok(None);
        }
        if let Some((width, height)) = digest.dimensions {
            self.media_limits()
                .check(width, height)
                .map_err(|e| ApiError::new(FilesCode::ImageTooLarge, format!("{e}: this server does not take it")))?;
        }
        Ok(Some(Media::pending()))
    }

    /// What one upload of `owner_id`'s may hold now.
    pub(crate) async fn limits(&self, owner_id: i64) -> ApiResult<Limits> {
        let room = (self.config.quota_bytes as i64 - self.store.used(owner_id).await?).max(0) as u64;
        Ok(Limits {
            file: self.config.max_file_bytes,
            image: self.config.max_image_bytes,
            room,
        })
    }

    /// Streams `body` into storage under `key`, checking the limits as bytes arrive.
    async fn write<S, E>(&self, key: &str, limits: &Limits, mut body: S) -> ApiResult<Digest>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut upload: Upload = self.storage.upload(key).await?;
        let mut digester = Digester::default();
        let failed = loop {
            let chunk = match body.next().await {
                None => break None,
                Some(Ok(chunk)) => chunk,
                Some(Err(e)) => break Some(ApiError::bad_request(format!("the upload broke off: {e}"))),
            };
            digester.feed(&chunk);
            if let Err(e) = limits.check(digester.size(), digester.content_type()) {
                drain(&mut body).await;
                break Some(e);
            }
            if let Err(e) = upload.write(chunk).await {
                break Some(e);
            }
        };
        if let Some(error) = failed {
            upload.abort().await;
            return Err(error);
        }
        let digest = digester.finish();
        // the sniffed type may bring a tighter limit than the bytes so far were held to
        if let Err(e) = limits.check(digest.size, Some(&digest.content_type)) {
            upload.abort().await;
            return Err(e);
        }
        upload.finish().await?;
        Ok(digest)
    }

    /// The file `id` if `reader` may read it: its owner; anyone signed in, for an avatar;
    /// another user through a message they may see that carries the file; the holder of a
    /// link. 404 otherwise, so a stranger cannot tell a file exists.
    pub async fn open(&self, reader: Reader, id: i64) -> ApiResult<Stored> {
        let not_found = || ApiError::not_found("file");
        let file = self.store.get(id).await?.ok_or_else(not_found)?;
        let allowed = match reader {
            Reader::Link => true,
            Reader::User { user_id, .. } if user_id == file.owner_id || file.info.avatar => true,
            Reader::User {
                user_id,
                via: Some((chat_id, seq)),
            } => {
                let carrying = ObjectRef {
                    service: crate::SERVICE.to_owned(),
                    object_id: id.to_string(),
                };
                self.chats.may_see(user_id, chat_id, seq, Some(carrying)).await?
            }
            Reader::User { via: None, .. } => false,
        };
        if allowed { Ok(file) } else { Err(not_found()) }
    }

    /// As [`open`](Self::open), to read the bytes: a picture still being processed (its
    /// GPS position not yet removed) is its owner's alone until then.
    pub async fn open_bytes(&self, reader: Reader, id: i64) -> ApiResult<Stored> {
        let file = self.open(reader, id).await?;
        let owner = match reader {
            Reader::User { user_id, .. } => user_id == file.owner_id,
            // only an owner gets a link while the picture is pending
            Reader::Link => true,
        };
        let pending = file.info.media.as_ref().is_some_and(|m| m.state == MediaState::Pending);
        if pending && !owner {
            return Err(ApiError::new(
                FilesCode::MediaProcessing,
                "the file is being processed: try again in a moment",
            ));
        }
        Ok(file)
    }

    /// File `id` as `reader` sees it: with an attach token for its owner.
    pub async fn info(&self, reader: Reader, id: i64) -> ApiResult<FileInfo> {
        let file = self.open(reader, id).await?;
        Ok(match reader {
            Reader::User { user_id, .. } if user_id == file.owner_id => {
                self.with_attach_token(user_id, file.info, file.attached_at)
            }
            _ => file.info,
        })
    }

    /// `info` with a token that lets its owner attach it to a message, unless the file is
    /// too near its orphan grace for a token to be safe (the cleanup job could remove the
    /// file while a message is being sent with it).
    pub(crate) fn with_attach_token(&self, owner_id: i64, mut info: FileInfo, attached_at: Option<i64>) -> FileInfo {
        let now = now_ms();
        let ttl_ms = self.config.attach_token_ttl_secs as i64 * 1000;
        let collected_at = info.created_at + self.config.orphan_grace_secs as i64 * 1000;
        if attached_at.is_none() && !info.avatar && now + ttl_ms >= collected_at {
            return info;
        }
        let card = crate::media::card(&info);
        info.attach_token = Some(attach::sign(&self.keys.attach, owner_id, now + ttl_ms, card));
        info
    }

    pub async fn page(&self, owner_id: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<FileInfo>> {
        let limit = page_limit(limit, 50, 100)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = self.store.page(owner_id, before, limit + 1).await?;
        Ok(Page::from_rows(rows, limit, |file| file.id.to_string()))
    }

    /// Deletes one of `owner_id`'s files: unreadable at once, its bytes removed after.
    pub async fn delete(&self, owner_id: i64, id: i64) -> ApiResult<()> {
        let file = self.open(Reader::owner(owner_id), id).await?;
        if file.owner_id != owner_id {
            return Err(ApiError::not_found("file"));
        }
        if let Some(key) = self.store.delete(id).await? {
            self.storage.delete(&key).await;
        }
        Ok(())
    }

    /// What `reader` reads of file `id`: the file, or its thumbnail `variant`.
    pub async fn served(&self, reader: Reader, id: i64, variant: Option<&str>) -> ApiResult<Served> {
        let file = self.open_bytes(reader, id).await?;
        let info = file.info;
        let Some(name) = variant else {
            return Ok(Served {
                key: file.key,
                size: info.size as u64,
                etag: info.sha256,
                content_type: info.content_type,
                name: info.name,
            });
        };
        let variant = self
            .store
            .variant(id, name)
            .await?
            .ok_or_else(|| ApiError::not_found("thumbnail"))?;
        Ok(Served {
            key: variant.key,
            size: variant.size as u64,
            // the original's digest and the variant's name: a new original, new thumbnails
            etag: format!("{}-{name}", info.sha256),
            content_type: variant.content_type,
            name: format!("{}.{name}", info.name),
        })
    }

    /// A link to file `id` (or its thumbnail `variant`) that works without a token until it
    /// expires.
    pub async fn link(&self, reader: Reader, id: i64, variant: Option<&str>) -> ApiResult<FileLink> {
        self.served(reader, id, variant).await?;
        let expires_at = now_ms() / 1000 + self.config.link_ttl_secs as i64;
        let signature = sign(&self.keys.links[0], id, variant, expires_at);
        let variant = variant.map_or(String::new(), |name| format!("&variant={name}"));
        Ok(FileLink {
            url: format!("/api/v1/files/links/{id}?expires={expires_at}&signature={signature}{variant}"),
            expires_at,
        })
    }

    /// Checks a link's signature and time (any key still accepted, for a master-key rotation).
    pub fn check_link(
        &self,
        id: i64,
        variant: Option<&str>,
        expires: Option<i64>,
        signature: Option<&str>,
    ) -> ApiResult<()> {
        check_link(&self.keys.links, id, variant, expires, signature, now_ms() / 1000)
    }
}

/// Whether a link to file `id` is signed with one of `keys` and not expired at `now` (epoch
/// seconds).
fn check_link(
    keys: &[[u8; 32]],
    id: i64,
    variant: Option<&str>,
    expires: Option<i64>,
    signature: Option<&str>,
    now: i64,
) -> ApiResult<()> {
    let invalid = || ApiError::new(FilesCode::LinkInvalid, "the link is not valid or has expired");
    let (Some(expires), Some(signature)) = (expires, signature) else {
        return Err(invalid());
    };
    if expires < now {
        return Err(invalid());
    }
    let given = base64_decode(signature).ok_or_else(invalid)?;
    let valid = keys
        .iter()
        .any(|key| link_mac(key, id, variant, expires).verify_slice(&given).is_ok());
    if valid { Ok(()) } else { Err(invalid()) }
}

/// What a download sends: the file's bytes or a thumbnail's.
pub struct Served {
    pub key: String,
    pub size: u64,
    /// Without the quotes.
    pub etag: String,
    pub content_type: String,
    /// For `Content-Disposition`.
    pub name: String,
}

/// Who reads a file.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    /// A signed-in user, through message (`chat_id`, `seq`) when given.
    User { user_id: i64, via: Option<(i64, i64)> },
    /// The holder of a valid signed link.
    Link,
}

impl Reader {
    /// A user reading without a message: only their own files and avatars.
    pub fn owner(user_id: i64) -> Reader {
        Reader::User { user_id, via: None }
    }
}

/// Reads and drops what is left of a refused upload, up to [`DRAIN_BYTES`] or
/// [`DRAIN_TIME`]: a client still sending when the answer comes would otherwise see the
/// connection close instead of the 413 (what nginx's lingering close does too).
pub(crate) async fn drain<S, E>(body: &mut S)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut left = DRAIN_BYTES;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = body.next().await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                break;
            }
        }
    })
    .await;
}

const DRAIN_BYTES: usize = 1 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// The most an upload may hold.
pub(crate) struct Limits {
    pub file: u64,
    pub image: u64,
    /// What is left of the owner's quota.
    pub room: u64,
}

impl Limits {
    /// 413 once `size` bytes are too many for a file of `content_type` (not known yet: any
    /// file).
    pub fn check(&self, size: u64, content_type: Option<&str>) -> ApiResult<()> {
        let image = content_type.is_some_and(|t| t.starts_with("image/"));
        let (max, what) = if image {
            (self.image, "an image")
        } else {
            (self.file, "a file")
        };
        if size > max {
            return Err(ApiError::new(
                FilesCode::FileTooLarge,
                format!("{what} may have at most {max} bytes"),
            ));
        }
        if size > self.room {
            return Err(quota_exceeded());
        }
        Ok(())
    }
}

/// Where a new file of `owner_id`'s goes in storage.
pub(crate) fn new_key(owner_id: i64) -> String {
    format!("{owner_id}/{}", random_id())
}

/// 128 random bits in hex: names that never collide (who may use them is checked apart).
pub(crate) fn random_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

pub(crate) fn quota_exceeded() -> ApiError {
    ApiError::new(
        FilesCode::QuotaExceeded,
        "this upload would take you past your storage quota: delete files you no longer need",
    )
}

/// The name to keep: its last path segment, without control characters, trimmed; "file"
/// when nothing is left. 422 when longer than 255 characters.
pub fn clean_name(name: &str) -> ApiResult<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end();
    if cleaned.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::validation("name", "at most 255 characters"));
    }
    Ok(if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned.to_owned()
    })
}

/// The HMAC a link to file `id` valid until `expires` carries, under `key`.
fn link_mac(key: &[u8; 32], id: i64, variant: Option<&str>, expires: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    let variant = variant.unwrap_or("");
    mac.update(format!("file-link:{id}:{variant}:{expires}").as_bytes());
    mac
}

fn sign(key: &[u8; 32], id: i64, variant: Option<&str>, expires: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(link_mac(key, id, variant, expires).finalize().into_bytes())
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_name("C:\\Users\\amy\\photo.jpg").unwrap(), "photo.jpg");
        assert_eq!(clean_name("re\u{0}port\n.pdf").unwrap(), "report.pdf");
        assert_eq!(clean_name("  ").unwrap(), "file");
        assert_eq!(clean_name(".hidden").unwrap(), "hidden");
        // found by the property below: dots and spaces in turn
        assert_eq!(clean_name(". .").unwrap(), "file");
        assert_eq!(clean_name(" . .x").unwrap(), "x");
        assert_eq!(clean_name("отчёт.pdf").unwrap(), "отчёт.pdf");
        let long = "я".repeat(256);
        assert_eq!(clean_name(&long).unwrap_err().field.as_deref(), Some("name"));
    }

    #[test]
    fn links_hold_for_their_file_and_time_under_any_accepted_key() {
        let (old, new) = ([1u8; 32], [2u8; 32]);
        let signature = sign(&old, 7, None, 1000);
        let thumb = sign(&old, 7, Some("320.webp"), 1000);
        let accepted = [new, old];
        assert!(check_link(&accepted, 7, None, Some(1000), Some(&signature), 1000).is_ok());
        assert!(check_link(&accepted, 7, Some("320.webp"), Some(1000), Some(&thumb), 1000).is_ok());
        let refused = [
            check_link(&accepted, 7, None, Some(1000), Some(&signature), 1001),
            check_link(&accepted, 8, None, Some(1000), Some(&signature), 900),
            check_link(&accepted, 7, None, Some(1001), Some(&signature), 900),
            check_link(&[new], 7, None, Some(1000), Some(&signature), 900),
            check_link(&accepted, 7, None, Some(1000), Some("not base64!"), 900),
            check_link(&accepted, 7, None, None, Some(&signature), 900),
            // a link to a thumbnail does not read the file, nor another thumbnail
            check_link(&accepted, 7, None, Some(1000), Some(&thumb), 900),
            check_link(&accepted, 7, Some("1280.webp"), Some(1000), Some(&thumb), 900),
        ];
        for result in refused {
            assert!(result.unwrap_err().is(FilesCode::LinkInvalid));
        }
    }

    #[test]
    fn limits_follow_the_kind_and_the_quota() {
        let limits = Limits {
            file: 100,
            image: 10,
            room: 50,
        };
        assert!(limits.check(10, Some("image/png")).is_ok());
        assert!(
            limits
                .check(11, Some("image/png"))
                .unwrap_err()
                .is(FilesCode::FileTooLarge)
        );
        assert!(limits.check(50, None).is_ok());
        assert!(limits.check(51, None).unwrap_err().is(FilesCode::QuotaExceeded));
        assert!(
            limits
                .check(101, Some("application/pdf"))
                .unwrap_err()
                .is(FilesCode::FileTooLarge)
        );
    }
}

/// Names from arbitrary input (proptest): a kept name has no path, no control character and
/// no leading dot, and is at most 255 characters.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn kept_names_are_safe(name in "(?s).{0,300}|[./\\\\\\x00-\\x1f a-z]{0,40}") {
            if let Ok(kept) = clean_name(&name) {
                prop_assert!(!kept.is_empty());
                prop_assert!(kept.chars().count() <= MAX_NAME_CHARS);
                prop_assert!(!kept.contains(['/', '\\']), "{kept:?}");
                prop_assert!(!kept.chars().any(char::is_control), "{kept:?}");
                prop_assert!(!kept.starts_with('.'), "{kept:?}");
            }
        }
    }
}
