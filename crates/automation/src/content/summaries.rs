//! Summaries: one job per block, so a book's run survives restarts and a failure costs one
//! block. A block's summary commits with its job's completion; a job whose block is no longer
//! `queued` (summarised already, or its run stopped) ends without calling the provider, so a
//! restart never pays twice for a finished block.

use std::sync::Arc;
use std::time::Duration;

use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

use super::Content;
use super::ai::{self, Failure};
use super::api::{Source, SummaryEstimate};
use super::provider::{Settings, fill};
use super::sources::block_title;
use super::store::{self, BlockRow, SourceRow};
use crate::api::AutomationCode;
use crate::engine::lost;

/// The queue of block summaries.
pub const SUMMARY: &str = "automation.content.summary";

/// The offline summary's length, in characters.
const OFFLINE_CHARS: usize = 600;
const MAX_ATTEMPTS: i64 = 8;

#[derive(Serialize, Deserialize)]
struct Summarise {
    block: i64,
}

pub fn register(content: &Arc<Content>) {
    let content = content.clone();
    let jobs = content.engine.jobs.clone();
    jobs.handle(SUMMARY, move |job: Job| {
        let content = content.clone();
        async move { content.summarise_block(&job).await.unwrap_or_else(retry) }
    });
}

/// A job's outcome for an error of this server (its store, say): try again.
pub fn retry(err: ApiError) -> Outcome {
    if err.status.is_server_error() {
        Outcome::Retry(err.message.into_owned())
    } else {
        Outcome::Fail(err.message.into_owned())
    }
}

/// The book's name as prompts give it: its own title, else the name it was given here.
pub fn book_name(source: &SourceRow) -> &str {
    if source.title.is_empty() {
        &source.name
    } else {
        &source.title
    }
}

/// What a provider's failure means for a job in its `attempt` of `max`: `Ok(outcome)` to try
/// again, `Err(why)` to give up on this block (or, for [`Failure::Stop`], the run).
pub fn failure_outcome(failure: Failure, attempt: i64, max: i64) -> Result<Outcome, Failure> {
    let last = attempt >= max;
    match failure {
        Failure::Wait(why, _) | Failure::Transient(why) if last => Err(Failure::Rejected(why)),
        Failure::Wait(why, Some(after)) => Ok(Outcome::RetryAfter(why, after.max(Duration::from_secs(1)))),
        Failure::Wait(why, None) | Failure::Transient(why) => Ok(Outcome::Retry(why)),
        failure => Err(failure),
    }
}

impl Content {
    /// What summarising the book's remaining blocks will take.
    pub async fn estimate(&self, me: i64, id: i64) -> ApiResult<SummaryEstimate> {
        let source = self.own_source(me, id).await?;
        let settings = self.provider_settings(me).await?;
        let pending = store::unsummarised(&mut self.db.reads(), id).await?;
        let blocks = pending.len() as i64;
        let prompt_chars =
            (settings.row.summary_prompt.chars().count() + book_name(&source).chars().count() + 60) as i64;
        let tokens_in: i64 = pending
            .iter()
            .map(|(_, chars)| ai::estimate_tokens(chars + prompt_chars))
            .sum();
        let tokens_out = blocks * self.config.ai_max_tokens;
        let (price_in, price_out) = settings.price();
        let online = settings.online();
        let cost_usd = (online && (price_in > 0.0 || price_out > 0.0))
            .then(|| (tokens_in as f64 * price_in + tokens_out as f64 * price_out) / 1_000_000.0);
        let rpm = settings.row.requests_per_minute.max(1);
        Ok(SummaryEstimate {
            blocks,
            by: if online {
                settings.row.model.clone()
            } else {
                "offline".into()
            },
            tokens_in: if online { tokens_in } else { 0 },
            tokens_out: if online { tokens_out } else { 0 },
            cost_usd,
            minutes: if online { (blocks + rpm - 1) / rpm } else { 0 },
        })
    }

    /// Starts summarising the book's blocks that have no summary yet (failed ones again).
    /// Running already: answered as it is.
    pub async fn start_summaries(&self, me: i64, id: i64) -> ApiResult<Source> {
        let source = self.own_source(me, id).await?;
        if source.state != "ready" {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                format!("the book is {}, not ready", source.state),
            ));
        }
        let settings = self.provider_settings(me).await?;
        let (online, rpm) = (settings.online(), settings.row.requests_per_minute);
        let now = self.engine.jobs.now_ms();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    if store::source(tx, id).await?.is_none_or(|s| s.summarising != 0) {
                        return Ok(());
                    }
                    let ids: Vec<i64> = store::unsummarised(tx, id).await?.into_iter().map(|(b, _)| b).collect();
                    if ids.is_empty() {
                        return Ok(());
                    }
                    store::queue_blocks(tx, &ids).await?;
                    store::set_summarising(tx, id, true, "").await?;
                    for block in ids {
                        let mut job = NewJob::new(SUMMARY, &Summarise { block }).max_attempts(MAX_ATTEMPTS);
                        if online {
                            // one call at a time per owner, within the provider's rate
                            let key = format!("ai:{me}");
                            job = job
                                .concurrency_key(key.clone())
                                .rate_limit(key, rpm, Duration::from_secs(60));
                        } else {
                            job = job.concurrency_key(format!("offline:{id}"));
                        }
                        hybrid_core::jobs::enqueue(tx, &job, now).await?;
                    }
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.source(me, id).await
    }

    /// Stops a book's run: queued blocks wait again, and their jobs end without a call (one
    /// already talking to the provider keeps its answer).
    pub async fn stop_summaries(&self, me: i64, id: i64) -> ApiResult<Source> {
        self.own_source(me, id).await?;
        self.stop_run(id, "").await?;
        self.source(me, id).await
    }

    async fn stop_run(&self, id: i64, why: &str) -> ApiResult<()> {
        let why = why.to_owned();
        self.db
            .write(move |tx| {
                let why = why.clone();
                Box::pin(async move {
                    store::set_summarising(tx, id, false, &why).await?;
                    store::unqueue_blocks(tx, id).await
                })
            })
            .await?;
        Ok(())
    }

    /// One block's summary job.
    async fn summarise_block(&self, job: &Job) -> ApiResult<Outcome> {
        let Summarise { block } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let mut reads = self.db.reads();
        let Some(row) = store::block(&mut reads, block).await? else {
            return Ok(Outcome::Done);
        };
        let source = store::source(&mut reads, row.source_id).await?;
        let Some(source) = source.filter(|s| s.summarising != 0 && row.summary_state == "queued") else {
            return Ok(Outcome::Done);
        };
        let settings = self.provider_settings(source.owner_id).await?;
        let written = if settings.online() {
            self.ask_for_summary(&settings, &source, &row).await
        } else {
            let body = row.body.clone();
            let text = tokio::task::spawn_blocking(move || hybrid_books::summarise(&body, OFFLINE_CHARS))
                .await
                .map_err(|e| ApiError::internal(format!("the offline summariser: {e}")))?;
            Ok(ai::Answer {
                text,
                tokens_in: 0,
                tokens_out: 0,
            })
        };
        let by = if settings.online() {
            settings.row.model.as_str()
        } else {
            "offline"
        };
        let (text, error, tokens) = match written {
            Ok(answer) => (answer.text, String::new(), (answer.tokens_in, answer.tokens_out)),
            Err(failure) => match failure_outcome(failure, job.attempt, job.max_attempts) {
                Ok(again) => return Ok(again),
                Err(Failure::Stop(why)) => {
                    tracing::warn!(source = source.id, %why, "the AI provider stopped a book's summaries");
                    self.stop_run(source.id, &why).await?;
                    self.tell(source.owner_id, source.id, None);
                    return Ok(Outcome::Done);
                }
                Err(failure) => (String::new(), failure.to_string(), (0, 0)),
            },
        };
        let (job, by) = (job.clone(), by.to_owned());
        self.db
            .write(move |tx| {
                let (job, text, by, error) = (job.clone(), text.clone(), by.clone(), error.clone());
                Box::pin(async move {
                    store::set_summary(tx, block, &text, &by, &error, tokens).await?;
                    job.complete_in(tx).await.map_err(lost)?;
                    store::end_run_if_done(tx, row.source_id).await?;
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.tell(source.owner_id, source.id, None);
        Ok(Outcome::Done)
    }

    async fn ask_for_summary(
        &self,
        settings: &Settings,
        source: &SourceRow,
        row: &BlockRow,
    ) -> Result<ai::Answer, Failure> {
        let prompt = fill(
            &settings.row.summary_prompt,
            &[
                ("book", book_name(source)),
                ("chapter", &block_title(row)),
                ("text", &row.body),
            ],
        );
        ai::complete(&self.ai, &settings.provider(), &prompt, self.config.ai_max_tokens).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_retry_until_the_last_attempt() {
        let wait = Failure::Wait("429".into(), Some(Duration::from_secs(3)));
        assert!(
            matches!(failure_outcome(wait.clone(), 1, 8), Ok(Outcome::RetryAfter(_, d)) if d == Duration::from_secs(3))
        );
        assert!(matches!(failure_outcome(wait, 8, 8), Err(Failure::Rejected(why)) if why == "429"));
        assert!(matches!(
            failure_outcome(Failure::Transient("t".into()), 2, 8),
            Ok(Outcome::Retry(_))
        ));
        assert!(matches!(
            failure_outcome(Failure::Stop("key".into()), 1, 8),
            Err(Failure::Stop(_))
        ));
        assert!(matches!(
            failure_outcome(Failure::Rejected("long".into()), 1, 8),
            Err(Failure::Rejected(_))
        ));
    }
}
