//! The content pipeline: a book uploaded to the files service becomes chapters and blocks
//! (`sources.rs`), each block a summary (`summaries.rs`, by an AI provider or offline), and
//! summaries posts (`posts.rs`). Every long step is a job, so no request waits on a book or a
//! model, and a killed process goes on where it stopped.
//!
//! - `api.rs`: the contract; `routes.rs`: thin handlers; `store.rs`: the SQL;
//! - `provider.rs`: an owner's AI provider and prompts (the key sealed);
//! - `ai.rs`: the OpenAI-compatible client; `markup.rs`: Markdown ⇄ text and entities.

mod ai;
pub mod api;
mod markup;
mod posts;
mod provider;
mod routes;
mod sources;
mod store;
mod summaries;

use std::sync::Arc;

use hybrid_core::outbound::Outbound;
use hybrid_core::{ApiError, ApiResult, Secrets};
use hybrid_files_api::FileStore;
use hybrid_store::Db;

use crate::engine::Engine;
use crate::events::AutomationFrame;
use crate::settings::AutomationConfig;

pub use routes::routes;

/// Who owns book `id`, if it exists.
pub async fn source_owner(db: &Db, id: i64) -> ApiResult<Option<i64>> {
    Ok(store::source(&mut db.reads(), id).await?.map(|s| s.owner_id))
}

/// The pipeline's parts, shared by its handlers and jobs.
pub struct Content {
    pub db: Db,
    pub engine: Arc<Engine>,
    pub files: Arc<dyn FileStore>,
    /// For the AI provider (its own timeout: models take their time).
    pub ai: Outbound,
    pub config: AutomationConfig,
}

impl Content {
    /// Runs the pipeline's jobs.
    pub fn register(self: &Arc<Self>) {
        sources::register(self);
        summaries::register(self);
        posts::register(self);
    }

    fn secrets(&self) -> &Secrets {
        &self.engine.secrets
    }

    /// Tells the owner's sockets that a book (and maybe one of its posts) changed.
    fn tell(&self, owner: i64, source_id: i64, post_id: Option<i64>) {
        self.engine
            .tell_owner(owner, &AutomationFrame::ContentUpdated { source_id, post_id });
    }

    /// The caller's source `id` (404 for anyone else's).
    async fn own_source(&self, me: i64, id: i64) -> ApiResult<store::SourceRow> {
        store::source(&mut self.db.reads(), id)
            .await?
            .filter(|s| s.owner_id == me)
            .ok_or_else(|| ApiError::not_found("source"))
    }

    /// Reseals every owner's AI key under the current master key; how many changed.
    pub async fn reseal(db: &Db, secrets: &Secrets) -> anyhow::Result<usize> {
        provider::reseal(db, secrets).await
    }
}
