//! The example's logic: its state, the flaky worker, notices and their sync part, cards posted
//! through the chats API.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::BoxFuture;
use hybrid_chats_api::{Attachment, AttachmentUpdate, ChatWriter, Post};
use hybrid_core::bus::{Bus, Bytes, Envelope};
use hybrid_core::jobs::{self, Job, Jobs, NewJob, Outcome};
use hybrid_core::sync::{SyncPart, SyncSource};
use hybrid_core::{ApiError, ApiResult, Worker};
use hybrid_store::Db;
use tokio::sync::Notify;

use crate::api::{CardRequest, Hook, HookRequest, LaterNotice, Posted, Seen, Tally};
use crate::events::ExampleFrame;
use crate::{SERVICE, store};
use hybrid_core::webhooks::DeliveryLog;

/// Notices returned by one sync at most.
const SYNC_LIMIT: i64 = 100;
/// The queue of notices sent later.
pub const NOTICE_JOB: &str = "example.notice";
const MAX_NOTICE_DELAY_MS: u64 = 3_600_000;

fn send_notice(bus: &dyn Bus, user_id: i64, frame: String) {
    let topic = hybrid_realtime_api::user(user_id);
    bus.publish(Envelope::ephemeral(topic, Bytes::from(frame)));
}

/// The `example.notice` job: keeps the notice and completes the job in one write (so a
/// retry after a crash cannot keep it twice), then sends it to the user's sockets.
pub async fn deliver_later(db: Db, bus: Arc<dyn Bus>, job: Job) -> Outcome {
    let later: LaterNotice = match job.payload() {
        Ok(later) => later,
        Err(e) => return Outcome::Fail(format!("bad payload: {e}")),
    };
    let frame = hybrid_core::frame_text(&ExampleFrame::Notice {
        text: later.text.clone(),
    });
    let kept = frame.clone();
    let user_id = later.user_id;
    let now = job.now_ms();
    let written = db
        .write(move |tx| {
            Box::pin(async move {
                store::insert_notice(tx, user_id, &kept, &later.text, now).await?;
                job.complete_in(tx).await.map_err(|e| ApiError::internal(e.to_string()))
            })
        })
        .await;
    match written {
        Ok(()) => {
            send_notice(bus.as_ref(), user_id, frame);
            Outcome::Done
        }
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

pub struct Example {
    pub db: Db,
    bus: Arc<dyn Bus>,
    writer: Arc<dyn ChatWriter>,
    jobs: Jobs,
    panics_left: AtomicU32,
    poke: Notify,
}

impl Example {
    pub fn new(db: Db, bus: Arc<dyn Bus>, writer: Arc<dyn ChatWriter>, jobs: Jobs) -> Self {
        Example {
            db,
            bus,
            writer,
            jobs,
            panics_left: AtomicU32::new(0),
            poke: Notify::new(),
        }
    }

    /// A supervised worker that panics as often as asked ([`Example::panic`]).
    pub fn flaky_worker(self: &Arc<Self>) -> Worker {
        let flaky = self.clone();
        Worker::new("flaky", move |mut shutdown| {
            let example = flaky.clone();
            async move {
                loop {
                    if example.panics_left.load(Ordering::SeqCst) > 0 {
                        example.panics_left.fetch_sub(1, Ordering::SeqCst);
                        panic!("asked to panic");
                    }
                    tokio::select! {
                        _ = example.poke.notified() => {}
                        _ = shutdown.wait() => return Ok(()),
                    }
                }
            }
        })
    }

    /// Makes the flaky worker panic this many times in a row.
    pub fn panic(&self, times: u32) {
        self.panics_left.store(times, Ordering::SeqCst);
        self.poke.notify_one();
    }

    pub async fn seen(&self) -> ApiResult<Vec<Seen>> {
        store::seen(&self.db).await
    }

    /// Keeps a notice for `user_id` and sends it to their sockets; with a delay, a background
    /// job does it then ([`deliver_later`]), enqueued in its own write.
    pub async fn notice(&self, user_id: i64, text: String, delay_ms: Option<u64>) -> ApiResult<()> {
        if let Some(delay) = delay_ms {
            if delay > MAX_NOTICE_DELAY_MS {
                return Err(ApiError::validation("delay_ms", "at most 3600000 (an hour)"));
            }
            let now = self.jobs.now_ms();
            let job = NewJob::new(NOTICE_JOB, &LaterNotice { user_id, text }).run_at(now + delay as i64);
            self.db
                .write(move |tx| Box::pin(async move { Ok::<_, ApiError>(jobs::enqueue(tx, &job, now).await?) }))
                .await?;
            self.jobs.wake();
            return Ok(());
        }
        let frame = hybrid_core::frame_text(&ExampleFrame::Notice { text: text.clone() });
        store::add_notice(&self.db, user_id, frame.clone(), text, self.jobs.now_ms()).await?;
        self.jobs.wake(); // its webhook deliveries
        send_notice(self.bus.as_ref(), user_id, frame);
        Ok(())
    }

    /// Adds a webhook of `user_id`'s: each of their notices is POSTed to `url`, signed with
    /// `secret`.
    pub async fn add_hook(&self, user_id: i64, req: HookRequest) -> ApiResult<Hook> {
        let scheme_ok = req.url.starts_with("http://") || req.url.starts_with("https://");
        if !scheme_ok || req.url.len() > 2048 || req.url.chars().any(char::is_whitespace) {
            return Err(ApiError::validation(
                "url",
                "an http:// or https:// URL of at most 2048 characters",
            ));
        }
        if !(16..=256).contains(&req.secret.len()) {
            return Err(ApiError::validation("secret", "16 to 256 characters"));
        }
        let id = store::add_hook(&self.db, user_id, req.url, req.secret, self.jobs.now_ms()).await?;
        Ok(Hook { id })
    }

    pub async fn deliveries(&self, user_id: i64, hook: i64) -> ApiResult<Vec<DeliveryLog>> {
        store::deliveries(&self.db, user_id, hook, 50).await
    }

    pub async fn post_card(&self, me: i64, req: &CardRequest) -> ApiResult<Posted> {
        let post = Post {
            chat_id: req.chat_id,
            sender_id: me,
            text: String::new(),
            idempotency_key: req.key.clone(),
            attachment: Some(card(req)),
        };
        let posted = self.writer.post(post).await?;
        Ok(Posted {
            chat_id: posted.chat_id,
            seq: posted.seq,
            created: posted.created,
        })
    }

    pub async fn update_card(&self, seq: i64, req: &CardRequest) -> ApiResult<()> {
        let update = AttachmentUpdate {
            chat_id: req.chat_id,
            seq,
            attachment: card(req),
        };
        self.writer.update_attachment(update).await
    }

    pub async fn may_see(&self, user_id: i64, chat_id: i64, seq: i64) -> ApiResult<bool> {
        self.writer.may_see(user_id, chat_id, seq, None).await
    }
}

fn card(req: &CardRequest) -> Attachment {
    Attachment {
        kind: "card".into(),
        service: SERVICE.into(),
        object_id: req.key.clone(),
        version: req.version,
        preview: serde_json::json!({"title": req.title}).to_string(),
        searchable_text: req.title.clone(),
    }
}

impl Tally for Example {
    fn seen(&self) -> BoxFuture<'_, ApiResult<i64>> {
        Box::pin(store::seen_count(&self.db))
    }
}

impl SyncSource for Example {
    fn sync(&self, user_id: i64, cursor: &str) -> BoxFuture<'_, ApiResult<SyncPart>> {
        let after: Result<i64, _> = if cursor.is_empty() { Ok(0) } else { cursor.parse() };
        Box::pin(async move {
            let after = after.map_err(|_| ApiError::validation("services.example", "not a cursor from this API"))?;
            let rows = store::notices_after(&self.db, user_id, after, SYNC_LIMIT + 1).await?;
            if rows.len() as i64 > SYNC_LIMIT {
                // too many to catch up on: the client reloads, then goes on from the newest
                return Ok(SyncPart {
                    cursor: store::newest_notice(&self.db, user_id).await?.to_string(),
                    too_long: true,
                    ..SyncPart::default()
                });
            }
            let last = rows.last().map_or(after, |(id, _)| *id);
            let entries = rows
                .into_iter()
                .map(|(_, frame)| SyncPart::entry(frame))
                .collect::<ApiResult<_>>()?;
            Ok(SyncPart {
                cursor: last.to_string(),
                entries,
                ..SyncPart::default()
            })
        })
    }
}
