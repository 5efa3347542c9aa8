//! Telegram's file identifiers for Hybrid's files. A `file_id` names a file (or one of its
//! thumbnails) and the message the bot saw it in, signed for that bot alone: another bot, or a
//! guess, gets "wrong file identifier". A `file_unique_id` is the same for every bot and over
//! time, and names only the file and the size: it cannot be used to read anything.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// What `Secrets::derive_all` is given for the keys of file ids.
pub const KEY_PURPOSE: &str = "bots-file-ids";

/// The format of the ids below (a later one can change the layout).
const VERSION: u8 = 1;
/// Bytes of the signature kept in an id.
const TAG: usize = 16;
/// version, file, side, chat, seq.
const BODY: usize = 1 + 8 + 4 + 8 + 8;

/// A file a bot may read: file `file` (its thumbnail of `side` when not 0), read through
/// message (`chat_id`, `seq`) when the bot does not own it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRef {
    pub file: i64,
    pub side: u32,
    pub via: Option<(i64, i64)>,
}

impl FileRef {
    /// The thumbnail variant's name in the files service (`320.jpg`: Telegram's photo sizes
    /// are JPEG), if it is one.
    pub fn variant(&self) -> Option<String> {
        (self.side != 0).then(|| format!("{}.jpg", self.side))
    }
}

/// Signs and reads file ids for one bot.
pub struct FileIds<'k> {
    pub keys: &'k [[u8; 32]],
    pub bot_id: i64,
}

impl FileIds<'_> {
    /// The `file_id` of `file` for this bot (signed with the current key).
    pub fn id(&self, file: FileRef) -> String {
        let (chat_id, seq) = file.via.unwrap_or((0, 0));
        let mut bytes = Vec::with_capacity(BODY + TAG);
        bytes.push(VERSION);
        bytes.extend_from_slice(&file.file.to_le_bytes());
        bytes.extend_from_slice(&file.side.to_le_bytes());
        bytes.extend_from_slice(&chat_id.to_le_bytes());
        bytes.extend_from_slice(&seq.to_le_bytes());
        let tag = tag(&self.keys[0], self.bot_id, &bytes);
        bytes.extend_from_slice(&tag[..TAG]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What `file_id` names, when it is one of this bot's under any accepted key.
    pub fn read(&self, file_id: &str) -> Option<FileRef> {
        if file_id.len() > 2 * (BODY + TAG) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(file_id.trim()).ok()?;
        if bytes.len() != BODY + TAG || bytes[0] != VERSION {
            return None;
        }
        let (body, given) = bytes.split_at(BODY);
        let signed = self
            .keys
            .iter()
            .any(|key| bool::from(tag(key, self.bot_id, body)[..TAG].ct_eq(given)));
        if !signed {
            return None;
        }
        let int = |at: usize| i64::from_le_bytes(body[at..at + 8].try_into().expect("8 bytes"));
        let side = u32::from_le_bytes(body[9..13].try_into().expect("4 bytes"));
        let (chat_id, seq) = (int(13), int(21));
        Some(FileRef {
            file: int(1),
            side,
            via: (chat_id != 0).then_some((chat_id, seq)),
        })
    }
}

/// The `file_unique_id` of a file's size `side` (0: the file itself).
pub fn unique_id(file: i64, side: u32) -> String {
    let mut bytes = file.to_le_bytes().to_vec();
    if side != 0 {
        bytes.extend_from_slice(&side.to_le_bytes());
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

fn tag(key: &[u8; 32], bot_id: i64, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"hybrid-bot-file:");
    mac.update(&bot_id.to_le_bytes());
    mac.update(body);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_back_for_its_bot_only() {
        let keys = [[7u8; 32]];
        let ids = FileIds { keys: &keys, bot_id: 5 };
        let file = FileRef {
            file: 42,
            side: 320,
            via: Some((9, 3)),
        };
        let id = ids.id(file);
        assert_eq!(ids.read(&id), Some(file));
        assert_eq!(file.variant().as_deref(), Some("320.jpg"));
        let other_bot = FileIds { keys: &keys, bot_id: 6 };
        assert_eq!(other_bot.read(&id), None);
        // a retired key still reads; an unknown one does not
        let rotated = [[8u8; 32], [7u8; 32]];
        assert_eq!(
            FileIds {
                keys: &rotated,
                bot_id: 5
            }
            .read(&id),
            Some(file)
        );
        assert_eq!(
            FileIds {
                keys: &[[8u8; 32]],
                bot_id: 5
            }
            .read(&id),
            None
        );
        let own = FileRef {
            file: 1,
            side: 0,
            via: None,
        };
        assert_eq!(ids.read(&ids.id(own)), Some(own));
    }

    #[test]
    fn altered_or_junk_ids_are_refused() {
        let keys = [[7u8; 32]];
        let ids = FileIds { keys: &keys, bot_id: 5 };
        let id = ids.id(FileRef {
            file: 42,
            side: 0,
            via: None,
        });
        let mut bytes = URL_SAFE_NO_PAD.decode(&id).unwrap();
        bytes[1] ^= 1;
        assert_eq!(ids.read(&URL_SAFE_NO_PAD.encode(&bytes)), None);
        for junk in ["", "abc", "AgAD", &"A".repeat(500), "not base64!"] {
            assert_eq!(ids.read(junk), None, "{junk:.10}");
        }
        assert_ne!(unique_id(42, 0), unique_id(42, 320));
        assert_eq!(unique_id(42, 0), unique_id(42, 0));
    }
}
