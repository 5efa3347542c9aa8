//! Avatars: the picture of a profile (users) or of a chat (chats). It is an avatar file of the
//! files service (`POST /files?purpose=avatar`: cut to its centred square, readable by anyone
//! signed in), named by the file's attach token once its media is ready. The owning service
//! reads the token here, locally, as chats reads a message's ([`crate::attach`]), and keeps
//! the [`Avatar`] it gives.

use hybrid_core::{ApiError, now_ms};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::attach::{self, Refused};

/// A picture clients draw for a user or chat: `GET /files/{file_id}/thumbnails/{side}.webp`
/// (or `.jpg`) for a side in `sides`, with `blurhash` while it loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Avatar {
    pub file_id: i64,
    /// https://blurha.sh
    pub blurhash: String,
    /// The square thumbnails there are, in pixels, smallest first (128, and 512 when the
    /// picture is larger than that).
    pub sides: Vec<u32>,
}

/// What a files card's preview says of an avatar (the part read here).
#[derive(Deserialize)]
struct Preview {
    #[serde(default)]
    avatar: bool,
    media: Option<PreviewMedia>,
}

#[derive(Deserialize)]
struct PreviewMedia {
    state: String,
    blurhash: Option<String>,
    #[serde(default)]
    thumbnails: Vec<PreviewThumbnail>,
}

#[derive(Deserialize)]
struct PreviewThumbnail {
    side: u32,
}

/// What a PATCH's `avatar` field asks, as the owning service stores it: `None` keeps the
/// picture, `""` removes it, a token sets it (JSON of its [`Avatar`]; a bad token is a 422).
pub fn change(keys: &[[u8; 32]], field: Option<&str>, user_id: i64) -> Result<Option<String>, ApiError> {
    Ok(match field {
        None => None,
        Some("") => Some(String::new()),
        Some(token) => {
            let avatar = read(keys, token, user_id, "avatar")?;
            Some(serde_json::to_string(&avatar).expect("avatars serialise"))
        }
    })
}

/// A stored avatar (written only from a valid [`Avatar`] by [`change`]).
pub fn stored(json: Option<&str>) -> Option<Avatar> {
    json.and_then(|json| serde_json::from_str(json).ok())
}

/// The avatar `token` (an attach token of an avatar file) names, when `user_id` may use it
/// now; otherwise a 422 on `field` that says why.
pub fn read(keys: &[[u8; 32]], token: &str, user_id: i64, field: &'static str) -> Result<Avatar, ApiError> {
    let card = attach::verify(keys, token, user_id, now_ms()).map_err(|refused| {
        ApiError::validation(
            field,
            match refused {
                Refused::Invalid | Refused::NotYours => "not an attach token of one of your files",
                Refused::Expired => "the token expired: get the file again for a fresh one",
            },
        )
    })?;
    let preview: Option<Preview> = serde_json::from_str(&card.preview).ok();
    let (Some(preview), "files", "file") = (preview, card.service.as_str(), card.kind.as_str()) else {
        return Err(ApiError::validation(field, "not an avatar file"));
    };
    let file_id = card.object_id.parse().ok().filter(|_| preview.avatar);
    let Some(file_id) = file_id else {
        return Err(ApiError::validation(
            field,
            "not an avatar file: upload the picture with ?purpose=avatar",
        ));
    };
    match preview.media {
        Some(media) if media.state == "ready" && media.blurhash.is_some() && !media.thumbnails.is_empty() => {
            Ok(Avatar {
                file_id,
                blurhash: media.blurhash.unwrap_or_default(),
                sides: media.thumbnails.iter().map(|t| t.side).collect(),
            })
        }
        Some(media) if media.state == "pending" => Err(ApiError::validation(
            field,
            "the picture is still being processed: get the file again once its media is ready",
        )),
        _ => Err(ApiError::validation(field, "the picture could not be processed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Attachment;

    const KEY: [u8; 32] = [9; 32];

    fn token(preview: serde_json::Value, kind: &str) -> String {
        let card = Attachment {
            kind: kind.into(),
            service: "files".into(),
            object_id: "42".into(),
            version: 2,
            preview: preview.to_string(),
            searchable_text: "me.jpg".into(),
        };
        attach::sign(&KEY, 7, now_ms() + 60_000, card)
    }

    fn ready() -> serde_json::Value {
        serde_json::json!({"state": "ready", "blurhash": "LKO2?U%2Tw=w]~RBVZRi};RPxuwH",
            "thumbnails": [{"side": 128, "width": 128, "height": 128}, {"side": 512, "width": 512, "height": 512}]})
    }

    #[test]
    fn a_ready_avatar_file_reads_as_its_avatar() {
        let token = token(
            serde_json::json!({"name": "me.jpg", "avatar": true, "media": ready()}),
            "file",
        );
        let avatar = read(&[KEY], &token, 7, "avatar").unwrap();
        assert_eq!((avatar.file_id, avatar.sides.as_slice()), (42, &[128, 512][..]));
        assert_eq!(avatar.blurhash.len(), 28);
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        let cases = [
            (
                token(serde_json::json!({"avatar": true, "media": ready()}), "file"),
                8,
                "not an attach token",
            ),
            (
                token(serde_json::json!({"media": ready()}), "file"),
                7,
                "?purpose=avatar",
            ),
            (
                token(serde_json::json!({"avatar": true, "media": ready()}), "task"),
                7,
                "not an avatar file",
            ),
            (
                token(
                    serde_json::json!({"avatar": true, "media": {"state": "pending"}}),
                    "file",
                ),
                7,
                "still being processed",
            ),
            (
                token(
                    serde_json::json!({"avatar": true, "media": {"state": "failed"}}),
                    "file",
                ),
                7,
                "could not be processed",
            ),
            (
                token(serde_json::json!({"avatar": true}), "file"),
                7,
                "could not be processed",
            ),
            ("junk".to_owned(), 7, "not an attach token"),
        ];
        for (token, user, reason) in cases {
            let error = read(&[KEY], &token, user, "avatar").unwrap_err();
            assert_eq!(error.status, hybrid_core::StatusCode::UNPROCESSABLE_ENTITY);
            assert!(error.message.contains(reason), "{}: {reason}", error.message);
        }
    }
}
