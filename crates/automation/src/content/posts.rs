//! Posts: made from the next unused summary of a book (by the model with the post prompt, or
//! offline as the block's title over its summary), kept as text and entities, edited as
//! Markdown, then approved or skipped. Publishing them is the autopost's.

use std::sync::Arc;

use hybrid_chats_api::body::{Entity, EntityKind};
use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::{ApiError, ApiResult, Page, now_ms, page_limit, parse_cursor};
use serde::{Deserialize, Serialize};

use super::Content;
use super::ai::{self, Failure};
use super::api::{ContentPost, ContentPostChange, NewContentPost, PostParams, TargetFit};
use super::markup::{self, Body};
use super::provider::fill;
use super::sources::{block_title, title};
use super::store::{self, PostRow};
use super::summaries::{book_name, failure_outcome, retry};
use crate::api::AutomationCode;
use crate::engine::lost;

/// The queue of posts a model writes.
pub const WRITE: &str = "automation.content.post";

/// Posts one owner keeps.
const MAX_POSTS: i64 = 10_000;
/// The longest message a Hybrid chat (by default) and Telegram take, in UTF-16 units.
const MAX_LENGTH: i64 = 4096;
const STATES: &[&str] = &["generating", "draft", "approved", "skipped", "failed", "published"];

#[derive(Serialize, Deserialize)]
struct Write {
    post: i64,
}

pub fn register(content: &Arc<Content>) {
    let content = content.clone();
    let jobs = content.engine.jobs.clone();
    jobs.handle(WRITE, move |job: Job| {
        let content = content.clone();
        async move { content.write_post(&job).await.unwrap_or_else(retry) }
    });
}

/// A post made without a model: its chapter's title in bold over the summary.
fn from_template(heading: &str, summary: &str) -> Body {
    let heading = heading.trim();
    if heading.is_empty() {
        return Body {
            text: summary.to_owned(),
            entities: Vec::new(),
        };
    }
    Body {
        text: format!("{heading}\n\n{summary}"),
        entities: vec![Entity::new(EntityKind::Bold, 0, markup::utf16_len(heading))],
    }
}

fn entities_json(entities: &[Entity]) -> String {
    serde_json::to_string(entities).expect("entities serialize")
}

fn post_view(row: PostRow) -> ContentPost {
    let entities: Vec<Entity> = serde_json::from_str(&row.entities).unwrap_or_default();
    let length = markup::utf16_len(&row.body);
    let fits = length > 0 && length <= MAX_LENGTH;
    ContentPost {
        id: row.id,
        source_id: row.source_id,
        block_id: row.block_id,
        block_title: title(&row.chapter_title, row.part, row.parts),
        chapter_title: row.chapter_title.clone(),
        part: row.part,
        parts: row.parts,
        state: row.state,
        markdown: markup::to_markdown(&row.body, &entities),
        length,
        targets: ["hybrid", "telegram"]
            .into_iter()
            .map(|target| TargetFit {
                target: target.into(),
                max_length: MAX_LENGTH,
                fits,
            })
            .collect(),
        text: row.body,
        entities,
        made_by: row.made_by,
        error: row.error,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

impl Content {
    async fn own_post(&self, me: i64, id: i64) -> ApiResult<PostRow> {
        store::post(&mut self.db.reads(), id)
            .await?
            .filter(|p| p.owner_id == me)
            .ok_or_else(|| ApiError::not_found("post"))
    }

    async fn post_of(&self, id: i64) -> ApiResult<ContentPost> {
        let row = store::post(&mut self.db.reads(), id)
            .await?
            .ok_or_else(|| ApiError::not_found("post"))?;
        Ok(post_view(row))
    }

    /// Makes a post from a summary of book `source_id`: at once without a model, else
    /// `generating` until the model's answer lands.
    pub async fn make_post(&self, me: i64, source_id: i64, new: NewContentPost) -> ApiResult<ContentPost> {
        self.own_source(me, source_id).await?;
        let mut reads = self.db.reads();
        let block_id = match new.block_id {
            Some(id) => id,
            None => store::next_unused(&mut reads, source_id).await?.ok_or_else(|| {
                ApiError::new(
                    AutomationCode::WrongState,
                    "no summarised block of this book is left without a post: summarise (more of) it first",
                )
            })?,
        };
        let block = store::block(&mut reads, block_id)
            .await?
            .filter(|b| b.source_id == source_id)
            .ok_or_else(|| ApiError::validation("block_id", "no such block of this book"))?;
        if block.summary_state != "done" {
            return Err(ApiError::validation("block_id", "the block has no summary yet"));
        }
        let settings = self.provider_settings(me).await?;
        let online = settings.online();
        let (state, body, made_by) = if online {
            ("generating", Body::default(), settings.row.model.clone())
        } else {
            (
                "draft",
                from_template(&block_title(&block), &block.summary),
                "template".to_owned(),
            )
        };
        let now = now_ms();
        let id = self
            .db
            .write(move |tx| {
                let (block, body, made_by) = (block.clone(), body.clone(), made_by.clone());
                Box::pin(async move {
                    if store::count_posts(tx, me).await? >= MAX_POSTS {
                        return Err(crate::service::too_many("posts", MAX_POSTS));
                    }
                    let entities = entities_json(&body.entities);
                    let id = store::insert_post(tx, me, &block, state, (&body.text, &entities), &made_by, now).await?;
                    if online {
                        // one call at a time per owner, as summaries; a post someone waits
                        // for goes before a book's queued summaries
                        let job = NewJob::new(WRITE, &Write { post: id })
                            .max_attempts(8)
                            .priority(1)
                            .concurrency_key(format!("ai:{me}"));
                        hybrid_core::jobs::enqueue(tx, &job, now).await?;
                    }
                    Ok(id)
                })
            })
            .await?;
        if online {
            self.engine.jobs.wake();
        }
        self.tell(me, source_id, Some(id));
        self.post_of(id).await
    }

    /// The model writes a `generating` post.
    async fn write_post(&self, job: &Job) -> ApiResult<Outcome> {
        let Write { post } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let mut reads = self.db.reads();
        let Some(mut row) = store::post(&mut reads, post).await?.filter(|p| p.state == "generating") else {
            return Ok(Outcome::Done);
        };
        let (Some(block), Some(source)) = (
            store::block(&mut reads, row.block_id).await?,
            store::source(&mut reads, row.source_id).await?,
        ) else {
            return Ok(Outcome::Done);
        };
        let settings = self.provider_settings(row.owner_id).await?;
        let written = if settings.online() {
            let prompt = fill(
                &settings.row.post_prompt,
                &[
                    ("book", book_name(&source)),
                    ("chapter", &block_title(&block)),
                    ("summary", &block.summary),
                ],
            );
            ai::complete(&self.ai, &settings.provider(), &prompt, self.config.ai_max_tokens)
                .await
                .map(|answer| (markup::from_markdown(&answer.text), settings.row.model.clone()))
        } else {
            // the model was unset meanwhile: the offline way
            Ok((
                from_template(&block_title(&block), &block.summary),
                "template".to_owned(),
            ))
        };
        match written {
            Ok((body, made_by)) if !body.text.trim().is_empty() => {
                row.state = "draft".into();
                row.entities = entities_json(&body.entities);
                row.body = body.text;
                row.made_by = made_by;
            }
            Ok(_) => {
                row.state = "failed".into();
                row.error = "the model's answer has no text".into();
            }
            Err(failure) => match failure_outcome(failure, job.attempt, job.max_attempts) {
                Ok(again) => return Ok(again),
                Err(Failure::Stop(why) | Failure::Rejected(why) | Failure::Wait(why, _) | Failure::Transient(why)) => {
                    row.state = "failed".into();
                    row.error = why;
                }
            },
        }
        let (job, now) = (job.clone(), now_ms());
        let (owner, source_id) = (row.owner_id, row.source_id);
        self.db
            .write(move |tx| {
                let (job, row) = (job.clone(), row.clone());
                Box::pin(async move {
                    store::save_post(tx, &row, "generating", now).await?;
                    job.complete_in(tx).await.map_err(lost)?;
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.tell(owner, source_id, Some(post));
        Ok(Outcome::Done)
    }

    pub async fn posts(&self, me: i64, params: PostParams) -> ApiResult<Page<ContentPost>> {
        let limit = page_limit(params.limit, 50, 200)?;
        let before = parse_cursor::<1>(params.cursor.as_deref())?.map_or(i64::MAX, |[id]| id);
        if let Some(state) = params.state.as_deref()
            && !STATES.contains(&state)
        {
            return Err(ApiError::validation(
                "state",
                format!("must be one of {}", STATES.join(", ")),
            ));
        }
        let rows = store::posts_page(
            &mut self.db.reads(),
            me,
            params.source_id,
            params.state.as_deref(),
            before,
            limit + 1,
        )
        .await?;
        let page = Page::from_rows(rows, limit, |p| p.id.to_string());
        Ok(Page {
            items: page.items.into_iter().map(post_view).collect(),
            next_cursor: page.next_cursor,
        })
    }

    pub async fn post(&self, me: i64, id: i64) -> ApiResult<ContentPost> {
        Ok(post_view(self.own_post(me, id).await?))
    }

    /// Edits a post's text (Markdown in, text and entities kept) or moves it between draft,
    /// approved and skipped.
    pub async fn change_post(&self, me: i64, id: i64, change: ContentPostChange) -> ApiResult<ContentPost> {
        let mut row = self.own_post(me, id).await?;
        let (was, row_source) = (row.state.clone(), row.source_id);
        if was == "generating" {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                "the model is still writing this post",
            ));
        }
        if let Some(markdown) = change.markdown {
            let body = markup::from_markdown(&markdown);
            let length = markup::utf16_len(&body.text);
            if !hybrid_core::text::has_visible(&body.text) {
                return Err(ApiError::validation("markdown", "must contain visible text"));
            }
            if length > MAX_LENGTH {
                return Err(ApiError::validation(
                    "markdown",
                    format!("the text is {length} UTF-16 units; a post may be at most {MAX_LENGTH}"),
                ));
            }
            row.body = body.text;
            row.entities = entities_json(&body.entities);
            row.made_by = "edited".into();
            row.error.clear();
            if row.state == "failed" {
                row.state = "draft".into();
            }
        }
        if let Some(state) = change.state {
            if !["draft", "approved", "skipped"].contains(&state.as_str()) {
                return Err(ApiError::validation("state", "must be draft, approved or skipped"));
            }
            if state == "approved" && !hybrid_core::text::has_visible(&row.body) {
                return Err(ApiError::new(
                    AutomationCode::WrongState,
                    "a post without text cannot be approved",
                ));
            }
            row.state = state;
        }
        let now = now_ms();
        let saved = self
            .db
            .write(move |tx| {
                let (row, was) = (row.clone(), was.clone());
                Box::pin(async move { store::save_post(tx, &row, &was, now).await })
            })
            .await?;
        if !saved {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                "the post changed meanwhile: read it again",
            ));
        }
        self.tell(me, row_source, Some(id));
        self.post_of(id).await
    }

    /// Deletes a post; its summary counts as unused again.
    pub async fn delete_post(&self, me: i64, id: i64) -> ApiResult<()> {
        let post = self.own_post(me, id).await?;
        self.db
            .write(move |tx| Box::pin(async move { store::delete_post(tx, id).await }))
            .await?;
        self.tell(me, post.source_id, Some(id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_post_is_the_title_in_bold_over_the_summary() {
        let body = from_template("Глава 1. Утро", "Суть 👍.");
        assert_eq!(body.text, "Глава 1. Утро\n\nСуть 👍.");
        assert_eq!(body.entities.len(), 1);
        assert_eq!((body.entities[0].offset, body.entities[0].length), (0, 13));
        assert_eq!(from_template("", "Only.").entities, vec![]);
    }
}
