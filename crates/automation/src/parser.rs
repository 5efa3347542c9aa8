//! The member parser: fills an audience from a source chat, one page (200 members or messages)
//! per job step. A step's entries, its progress and the next step commit together with the
//! job's completion, so a killed process reads the same page again and the audience's
//! deduplication absorbs the repeat; cancelling cancels the pending step.

use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::{ApiError, ApiResult};
use hybrid_store::Sql;
use serde::{Deserialize, Serialize};

use crate::alerts::{self, Kind};
use crate::connector::{Refusal, Scan};
use crate::engine::{Engine, lost};
use crate::events::AutomationFrame;
use crate::store::{self, ParseRow};

/// The queue of parse steps.
pub const STEP: &str = "automation.parse";

/// Members or messages read per step.
const PAGE: i64 = 200;

#[derive(Serialize, Deserialize)]
struct Step {
    parse: i64,
}

/// Enqueues a running parse's next step at `run_at`, in the caller's transaction.
pub async fn schedule_step(sql: &mut Sql<'_>, parse: i64, run_at: i64, now: i64) -> ApiResult<()> {
    let job = NewJob::new(STEP, &Step { parse })
        .run_at(run_at)
        .concurrency_key(format!("parse:{parse}"))
        .max_attempts(20);
    let id = hybrid_core::jobs::enqueue(sql, &job, now).await?;
    store::set_parse_step_job(sql, parse, id).await?;
    Ok(())
}

/// How one step ends.
#[derive(Clone)]
enum Next {
    /// Read on from here at once.
    Page(Option<i64>),
    /// Try the same page again at this time (the platform asked to wait).
    Wait(i64),
    /// The parse is over: `state`, `detail`.
    End(&'static str, String),
}

impl Engine {
    pub fn register_parser(self: &std::sync::Arc<Self>) {
        let engine = self.clone();
        self.jobs.handle(STEP, move |job: Job| {
            let engine = engine.clone();
            async move {
                match engine.parse_step(&job).await {
                    Ok(()) => Outcome::Done,
                    Err(err) if err.status.is_server_error() => Outcome::Retry(err.message.into_owned()),
                    Err(err) => Outcome::Fail(err.message.into_owned()),
                }
            }
        });
    }

    async fn parse_step(&self, job: &Job) -> ApiResult<()> {
        let Step { parse } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let Some(row) = store::parse(&mut self.db.reads(), parse).await? else {
            return Ok(());
        };
        if row.state != "running" {
            return Ok(());
        }
        let (scan, next) = self.read_page(&row, job.now_ms()).await?;
        self.record_page(job, &row, scan, next).await
    }

    /// Reads the parse's next page; what it held and what comes after.
    async fn read_page(&self, row: &ParseRow, now: i64) -> ApiResult<(Scan, Next)> {
        let end = |detail: &str| Ok((Scan::default(), Next::End("failed", detail.to_owned())));
        if row.audience_id.is_none() {
            return Ok((
                Scan::default(),
                Next::End("cancelled", "its audience was deleted".into()),
            ));
        }
        let Some(account) = store::account(&mut self.db.reads(), row.owner_id, row.account_id).await? else {
            return end("its account was deleted");
        };
        let Some(connector) = self.connector(&account.connector) else {
            return end(&format!("the {} connector does not run here", account.connector));
        };
        let identity = self.identity(&account)?;
        let read = async {
            connector.check(&identity).await?;
            match row.source.as_str() {
                "authors" => {
                    connector
                        .authors(&identity, row.source_chat_id, row.next_cursor, PAGE)
                        .await
                }
                _ => {
                    connector
                        .members(&identity, row.source_chat_id, row.next_cursor, PAGE)
                        .await
                }
            }
        };
        match read.await {
            Ok(scan) => {
                let next = Next::Page(scan.next);
                Ok((scan, next))
            }
            Err(Refusal::FloodWait(secs)) => Ok((Scan::default(), Next::Wait(now + secs.max(1) * 1000))),
            Err(Refusal::Failed {
                reason,
                transient: true,
            }) => Err(ApiError::unavailable(reason)),
            Err(Refusal::LoggedOut) => end("the account's session was signed out"),
            Err(Refusal::Banned) => end("the account is banned"),
            Err(Refusal::Forbidden(reason)) | Err(Refusal::Failed { reason, .. }) => end(&reason),
            Err(other) => end(&format!("{other:?}")),
        }
    }

    /// Adds a page's people to the audience and moves the parse on, with the job's completion.
    async fn record_page(&self, job: &Job, row: &ParseRow, scan: Scan, next: Next) -> ApiResult<()> {
        let (now, job) = (job.now_ms(), job.clone());
        let (id, audience_id, cursor_now) = (row.id, row.audience_id, row.next_cursor);
        let (owner, source_chat) = (row.owner_id, row.source_chat_id);
        let room = row.max_people - row.found;
        let max_size = self.config.max_audience_size;
        let mut people: Vec<String> = Vec::with_capacity(scan.people.len());
        for found in scan.people.into_iter().filter(|f| !f.is_bot) {
            if let Some(username) = found.username
                && !people.contains(&username)
            {
                people.push(username);
            }
        }
        let read = scan.read;
        let moved = self
            .db
            .write(move |tx| {
                let (job, people, next) = (job.clone(), people.clone(), next.clone());
                Box::pin(async move {
                    let mut added = 0;
                    let mut full = false;
                    if let (Some(audience), Next::Page(_)) = (audience_id, &next) {
                        let space = room.min(max_size - store::audience_size(tx, audience).await?).max(0);
                        let entries: Vec<(&str, &str)> = people.iter().map(|p| ("username", p.as_str())).collect();
                        let take = entries.len().min(space as usize);
                        added = store::add_entries(tx, audience, &entries[..take]).await?;
                        full = added >= space;
                    }
                    let (cursor, ending, run_at) = match next {
                        Next::Page(_) if full => (cursor_now, Some(("finished", "reached its limit".into())), now),
                        Next::Page(None) => (None, Some(("finished", String::new())), now),
                        Next::Page(cursor) => (cursor, None, now),
                        Next::Wait(at) => (cursor_now, None, at),
                        Next::End(state, detail) => (cursor_now, Some((state, detail)), now),
                    };
                    let ending = ending.as_ref().map(|(state, detail)| (*state, detail.as_str()));
                    let moved = store::advance_parse(tx, id, (cursor, read, added), ending, now).await?;
                    if let (Some(_), Some(("failed", detail))) = (&moved, ending) {
                        let text = format!("A parse of chat {source_chat} failed: {detail}");
                        alerts::raise(tx, owner, Kind::JobFailed, &text, now).await?;
                    }
                    if moved.is_some() && ending.is_none() {
                        schedule_step(tx, id, run_at, now).await?;
                    }
                    job.complete_in(tx).await.map_err(lost)?;
                    Ok::<_, ApiError>(moved)
                })
            })
            .await?;
        if let Some(row) = moved {
            if row.state == "running" {
                self.jobs.wake();
            }
            let owner = row.owner_id;
            self.tell_owner(owner, &AutomationFrame::ParseUpdated { parse: row.view() });
        }
        Ok(())
    }
}
