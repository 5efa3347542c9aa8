//! How long a file lives. A file uploaded to attach lives while a message carries it: files
//! follows chats' event stream (a durable consumer, `hybrid_core::stream`) into `file_refs`,
//! and when the last message carrying a file is deleted the file goes in the same
//! transaction. A file no message ever carried is an orphan once `files.orphan_grace_secs`
//! pass. Avatars stay until deleted. The cleanup job removes orphans, expired uploads, and the
//! bytes of deleted files.

use futures::future::BoxFuture;
use hybrid_chats_api::EventFrame;
use hybrid_core::bus::Envelope;
use hybrid_core::stream::StreamEvent;
use hybrid_core::{ApiResult, now_ms};
use hybrid_store::Sql;
use serde::Deserialize;

use crate::service::Files;
use crate::store;

/// Rows the cleanup job handles per query.
const BATCH: i64 = 100;

/// Records which messages carry files, and lets a file go with its last message: the
/// handler of the consumer of chats' events.
pub fn follow_messages<'a, 'c>(
    tx: &'a mut Sql<'c>,
    events: &'a [StreamEvent],
) -> BoxFuture<'a, ApiResult<Vec<Envelope>>> {
    Box::pin(async move {
        let now = now_ms();
        for event in events {
            match event.kind.as_str() {
                "message.new" => {
                    if let Some(carried) = carried_file(&event.payload) {
                        store::add_ref(tx, &carried, now).await?;
                    }
                }
                "message.deleted" => {
                    if let Some((chat_id, seq)) = deleted_message(&event.payload) {
                        store::drop_ref(tx, chat_id, seq, now).await?;
                    }
                }
                _ => {}
            }
        }
        Ok(Vec::new())
    })
}

#[derive(Deserialize)]
struct NewMessage {
    seq: i64,
    attachment: Option<Card>,
}

#[derive(Deserialize)]
struct Card {
    service: String,
    object_id: String,
    version: i64,
}

/// A message that carries a file, with the version of the card it was sent with.
#[derive(Debug, PartialEq, Eq)]
pub struct Carried {
    pub chat_id: i64,
    pub seq: i64,
    pub file_id: i64,
    pub card_version: i64,
}

#[derive(Deserialize)]
struct Deleted {
    seq: i64,
}

/// The message and file of a `message.new` whose attachment is one of this service's files.
fn carried_file(payload: &str) -> Option<Carried> {
    let frame = EventFrame::<NewMessage>::parse(payload)?;
    let card = frame.data.attachment.filter(|card| card.service == crate::SERVICE)?;
    Some(Carried {
        chat_id: frame.chat_id?,
        seq: frame.data.seq,
        file_id: card.object_id.parse().ok()?,
        card_version: card.version,
    })
}

fn deleted_message(payload: &str) -> Option<(i64, i64)> {
    let frame = EventFrame::<Deleted>::parse(payload)?;
    Some((frame.chat_id?, frame.data.seq))
}

impl Files {
    /// The cleanup job: expired uploads, orphans past their grace, deleted files' bytes.
    pub async fn clean_up(&self) -> ApiResult<()> {
        self.expire_uploads().await?;
        let grace_ms = self.config.orphan_grace_secs as i64 * 1000;
        loop {
            let orphans = self.store.orphans(now_ms() - grace_ms, BATCH).await?;
            for id in &orphans {
                if let Some(key) = self.store.delete_orphan(*id).await? {
                    self.storage.delete(&key).await;
                }
            }
            if (orphans.len() as i64) < BATCH {
                break;
            }
        }
        loop {
            let doomed = self.store.doomed_keys(BATCH).await?;
            for key in &doomed {
                // kept for the next run when storage fails now
                self.storage.try_delete(key).await?;
                self.store.forget_doomed(key).await?;
            }
            if (doomed.len() as i64) < BATCH {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_services_cards_are_followed() {
        let new = |service: &str, object_id: &str| {
            format!(
                r#"{{"type":"event","chat_id":3,"pts":9,"kind":"message.new","data":{{"chat_id":3,"seq":5,
                "sender_id":1,"text":"","attachment":{{"type":"file","service":"{service}","object_id":"{object_id}",
                "version":1,"preview":{{}}}}}}}}"#
            )
        };
        let carried = Carried {
            chat_id: 3,
            seq: 5,
            file_id: 42,
            card_version: 1,
        };
        assert_eq!(carried_file(&new("files", "42")), Some(carried));
        assert_eq!(carried_file(&new("tasks", "42")), None);
        assert_eq!(carried_file(&new("files", "x")), None);
        let plain = r#"{"type":"event","chat_id":3,"pts":9,"kind":"message.new","data":{"seq":5,"text":"hi"}}"#;
        assert_eq!(carried_file(plain), None);
        let deleted = r#"{"type":"event","chat_id":3,"pts":10,"kind":"message.deleted","data":{"seq":5,"by":1}}"#;
        assert_eq!(deleted_message(deleted), Some((3, 5)));
    }
}
