//! The content pipeline's HTTP contract: books (sources), their chapters and blocks, summaries,
//! the AI provider's settings, and posts.

use hybrid_chats_api::body::Entity;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A book to read, uploaded to the files service first (`POST /files` or a resumable upload).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSource {
    /// The uploaded file: TXT (any Russian or Western encoding), FB2 (or `.fb2.zip`), EPUB or PDF.
    pub file_id: i64,
    /// 1 to 64 characters (default: the file's name).
    #[serde(default)]
    pub name: Option<String>,
}

/// A change to a book.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceChange {
    /// 1 to 64 characters.
    pub name: String,
}

/// A book and where its pipeline stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ContentSource)]
pub struct Source {
    pub id: i64,
    pub name: String,
    /// `txt`, `fb2`, `epub` or `pdf`.
    pub format: String,
    /// `extracting` (being read, in the background), `ready`, or `failed` (`error` says why).
    pub state: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// The book's own title, when its format gives one.
    pub title: String,
    pub chapters: i64,
    pub blocks: i64,
    pub chars: i64,
    pub summaries: SummaryProgress,
    pub created_at: i64,
}

/// How many of a book's blocks are summarised, and what it cost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SummaryProgress {
    /// Whether summary jobs run now (`stop` ends it).
    pub running: bool,
    pub done: i64,
    pub queued: i64,
    pub failed: i64,
    /// Tokens the provider counted so far.
    pub tokens_in: i64,
    pub tokens_out: i64,
    /// What stopped the run, when the provider refused it (a bad key, an unknown model).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// A chapter of a book, in reading order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ContentChapter)]
pub struct Chapter {
    /// From 0.
    pub index: i64,
    /// Empty for text before the first heading.
    pub title: String,
    pub blocks: i64,
    pub chars: i64,
    pub summarised: i64,
    /// Blocks a post was made from.
    pub used: i64,
}

/// A block of a book: a few thousand characters cut at sentence ends.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ContentBlock)]
pub struct Block {
    pub id: i64,
    /// Its place in the book, from 0.
    pub seq: i64,
    pub chapter: i64,
    /// "<chapter> (part k)" when the chapter has several blocks.
    pub title: String,
    /// Its chapter's title, and which of the chapter's `parts` blocks it is (from 1), for a
    /// client that writes the title in its own language.
    pub chapter_title: String,
    pub part: i64,
    pub parts: i64,
    pub text: String,
    pub chars: i64,
    /// `none`, `queued`, `done` or `failed`.
    pub summary_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    /// Why summarising it failed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub summary_error: String,
    /// A post was made from its summary.
    pub used: bool,
}

/// A block's summary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ContentSummary)]
pub struct Summary {
    pub text: String,
    /// The model that wrote it, or `offline` (the built-in extractive summariser).
    pub by: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BlockParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<i64>,
    /// Only this chapter's blocks.
    pub chapter: Option<i64>,
}

/// What summarising a book's remaining blocks will take, before it starts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummaryEstimate {
    /// Blocks without a summary yet.
    pub blocks: i64,
    /// The model, or `offline` (no model set: free, on this server).
    pub by: String,
    /// Estimated as characters / 4, prompt included.
    pub tokens_in: i64,
    /// At most `max_tokens` per block.
    pub tokens_out: i64,
    /// In US dollars, from the prices in the settings; absent when no price is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Calls the provider allows per minute (the settings'), so at least this many minutes.
    pub minutes: i64,
}

/// The AI provider and prompts, as shown: the key never is, only whether one is set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContentSettings {
    /// An OpenAI-compatible API's base URL (`…/v1`): OpenAI's, Together.ai's, a local server's.
    pub base_url: String,
    pub has_api_key: bool,
    /// The chat model; empty: summaries come from the offline summariser and posts are made
    /// from the summary without a model.
    pub model: String,
    /// Sent with each block; `{book}`, `{chapter}` and `{text}` are filled in.
    pub summary_prompt: String,
    /// Sent to make a post; `{book}`, `{chapter}` and `{summary}` are filled in.
    pub post_prompt: String,
    /// US dollars per million tokens in and out, for the estimate (0: unknown).
    pub price_in: f64,
    pub price_out: f64,
    /// Calls to the provider per minute, at most.
    pub requests_per_minute: i64,
}

/// A change to the settings: what is present is set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentSettingsChange {
    pub base_url: Option<String>,
    /// Kept sealed, never shown again; `""` removes it.
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub summary_prompt: Option<String>,
    pub post_prompt: Option<String>,
    pub price_in: Option<f64>,
    pub price_out: Option<f64>,
    pub requests_per_minute: Option<i64>,
}

/// A post to make from a summary.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContentPost {
    /// This block's summary (default: the next summarised block of the book no post was made
    /// from, in reading order).
    #[serde(default)]
    pub block_id: Option<i64>,
}

/// A post made from a summary: text with formatting entities, as a chat message carries it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContentPost {
    pub id: i64,
    pub source_id: i64,
    pub block_id: i64,
    /// The block's title ("<chapter> (part k)"), and its parts as a block has them.
    pub block_title: String,
    pub chapter_title: String,
    pub part: i64,
    pub parts: i64,
    /// `generating` (the model is writing it), `draft`, `approved`, `skipped`, `failed`
    /// (`error` says why; edit it or make another) or `published` (by an autopost schedule;
    /// approve it again to have it published again).
    pub state: String,
    pub text: String,
    pub entities: Vec<Entity>,
    /// The text and entities as Markdown, for an editor.
    pub markdown: String,
    /// The text's length in UTF-16 units, as chats and Telegram count it.
    pub length: i64,
    /// How each kind of target will take it.
    pub targets: Vec<TargetFit>,
    /// The model that wrote it, `template` (no model set), or `edited`.
    pub made_by: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Whether a post fits a kind of target as it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TargetFit {
    /// `hybrid` (a chat of this server) or `telegram` (a Telegram chat).
    pub target: String,
    /// The longest text it takes, in UTF-16 units.
    pub max_length: i64,
    pub fits: bool,
}

/// A change to a post: its text (Markdown, the editor's input) or its state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentPostChange {
    /// The post's text as Markdown (bold `**`, italic `*`, `~~`, `code`, links, quotes,
    /// lists), kept as text and entities.
    #[serde(default)]
    pub markdown: Option<String>,
    /// `draft`, `approved` or `skipped`.
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PostParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Only this book's posts.
    pub source_id: Option<i64>,
    /// Only posts in this state.
    pub state: Option<String>,
}
