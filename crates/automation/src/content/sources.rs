//! Books: taken from an upload of the files service, read by a job (the request only checks
//! and queues), kept as chapters and blocks in the pipeline's tables so the upload may go.

use std::collections::HashMap;
use std::sync::Arc;

use hybrid_books::{Book, BookError, Format, Limits};
use hybrid_core::jobs::{Job, NewJob, Outcome};
use hybrid_core::{ApiError, ApiResult, Page, now_ms, page_limit, parse_cursor};
use hybrid_files_api::Reader;
use serde::{Deserialize, Serialize};

use super::Content;
use super::api::{Block, Chapter, NewSource, Source, SourceChange, Summary};
use super::store::{self, BlockRow, NewBlock, SourceCounts, SourceRow};
use crate::engine::lost;
use crate::service::clean_name;

/// The queue of book readings.
pub const EXTRACT: &str = "automation.content.extract";

/// Books one owner keeps.
const MAX_SOURCES: i64 = 100;
/// Blocks of one book (some 80 million characters): past it the book is refused.
const MAX_BLOCKS: usize = 20_000;

#[derive(Serialize, Deserialize)]
struct Extract {
    source: i64,
}

pub fn register(content: &Arc<Content>) {
    let content = content.clone();
    let jobs = content.engine.jobs.clone();
    jobs.handle(EXTRACT, move |job: Job| {
        let content = content.clone();
        async move {
            match content.extract(&job).await {
                Ok(()) => Outcome::Done,
                Err(err) if err.status.is_server_error() => Outcome::Retry(err.message.into_owned()),
                Err(err) => Outcome::Fail(err.message.into_owned()),
            }
        }
    });
}

/// The format of an upload named `name` whose bytes sniffed as `content_type`.
pub fn format_of(name: &str, content_type: &str) -> Option<Format> {
    let name = name.to_lowercase();
    if name.ends_with(".fb2") || name.ends_with(".fb2.zip") {
        Some(Format::Fb2)
    } else if name.ends_with(".epub") || content_type == "application/epub+zip" {
        Some(Format::Epub)
    } else if name.ends_with(".pdf") || content_type == "application/pdf" {
        Some(Format::Pdf)
    } else if name.ends_with(".txt") || content_type.starts_with("text/plain") {
        Some(Format::Txt)
    } else {
        None
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Txt => "txt",
        Format::Fb2 => "fb2",
        Format::Epub => "epub",
        Format::Pdf => "pdf",
    }
}

fn parse_format(name: &str) -> Format {
    match name {
        "fb2" => Format::Fb2,
        "epub" => Format::Epub,
        "pdf" => Format::Pdf,
        _ => Format::Txt,
    }
}

fn source_view(row: &SourceRow, counts: Option<&SourceCounts>) -> Source {
    let empty = SourceCounts::default();
    let counts = counts.unwrap_or(&empty);
    Source {
        id: row.id,
        name: row.name.clone(),
        format: row.format.clone(),
        state: row.state.clone(),
        error: row.error.clone(),
        title: row.title.clone(),
        chapters: counts.chapters,
        blocks: counts.blocks,
        chars: counts.chars,
        summaries: counts.progress(row),
        created_at: row.created_at,
    }
}

/// "<chapter> (part k)" for a chapter of several blocks (parts count from 1); the chapter
/// alone otherwise.
pub fn title(chapter_title: &str, part: i64, parts: i64) -> String {
    let chapter = if chapter_title.is_empty() { "—" } else { chapter_title };
    if parts > 1 {
        format!("{chapter} (part {part})")
    } else {
        chapter.to_owned()
    }
}

pub fn block_title(row: &BlockRow) -> String {
    title(&row.chapter_title, row.part, row.parts)
}

pub fn block_view(row: BlockRow) -> Block {
    let summary = (row.summary_state == "done").then(|| Summary {
        text: row.summary.clone(),
        by: row.summary_by.clone(),
        tokens_in: row.tokens_in,
        tokens_out: row.tokens_out,
    });
    Block {
        id: row.id,
        seq: row.seq,
        chapter: row.chapter,
        title: block_title(&row),
        chapter_title: row.chapter_title.clone(),
        part: row.part,
        parts: row.parts,
        chars: row.chars,
        summary_state: row.summary_state,
        summary,
        summary_error: row.summary_error,
        used: row.posts > 0,
        text: row.body,
    }
}

/// A book's blocks as stored, or why it cannot be read.
fn cut(bytes: &[u8], format: Format) -> Result<(String, Vec<NewBlock>), String> {
    let book: Book = hybrid_books::read(bytes, format).map_err(|err| match err {
        BookError::Empty => "the book has no text".to_owned(),
        err => err.to_string(),
    })?;
    let blocks = hybrid_books::blocks(&book, Limits::default());
    if blocks.len() > MAX_BLOCKS {
        return Err(format!(
            "the book is too long: {} blocks, at most {MAX_BLOCKS}",
            blocks.len()
        ));
    }
    let rows = blocks
        .into_iter()
        .map(|block| NewBlock {
            chapter: block.chapter as i64,
            chapter_title: book.chapters[block.chapter].title.clone(),
            part: block.part as i64,
            chars: block.text.chars().count() as i64,
            body: block.text,
        })
        .collect();
    Ok((book.title.unwrap_or_default(), rows))
}

impl Content {
    async fn sources_of(&self, rows: Vec<SourceRow>) -> ApiResult<Vec<Source>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let counts: HashMap<i64, SourceCounts> = store::counts(&mut self.db.reads(), &ids)
            .await?
            .into_iter()
            .map(|c| (c.source_id, c))
            .collect();
        Ok(rows.iter().map(|row| source_view(row, counts.get(&row.id))).collect())
    }

    pub async fn source_of(&self, row: SourceRow) -> ApiResult<Source> {
        Ok(self.sources_of(vec![row]).await?.remove(0))
    }

    /// Takes an uploaded book: checks it and queues its reading.
    pub async fn add_source(&self, me: i64, new: NewSource) -> ApiResult<Source> {
        let file = self
            .files
            .describe(Reader::owner(me), new.file_id)
            .await
            .map_err(|err| match err.status.as_u16() {
                404 => ApiError::validation("file_id", "no such file of yours"),
                _ => err,
            })?;
        let max = self.config.max_book_bytes;
        if file.size as u64 > max as u64 {
            return Err(ApiError::validation(
                "file_id",
                format!("the file is {} bytes; a book may be at most {max}", file.size),
            ));
        }
        let format = format_of(&file.name, &file.content_type).ok_or_else(|| {
            ApiError::validation(
                "file_id",
                format!(
                    "{} ({}) is not a book this server reads: TXT, FB2 (also zipped), EPUB or PDF",
                    file.name, file.content_type
                ),
            )
        })?;
        let name = match new.name {
            Some(name) => clean_name(&name)?,
            None => file.name.chars().take(64).collect::<String>().trim().to_owned(),
        };
        let (file_id, now) = (file.id, now_ms());
        let row = self
            .db
            .write(move |tx| {
                let name = name.clone();
                Box::pin(async move {
                    if store::count_sources(tx, me).await? >= MAX_SOURCES {
                        return Err(crate::service::too_many("books", MAX_SOURCES));
                    }
                    let row = store::insert_source(tx, me, file_id, &name, format_name(format), now).await?;
                    // no dedup key: the row and its job commit together, and SQLite may give a
                    // deleted source's id to the next one
                    let job = NewJob::new(EXTRACT, &Extract { source: row.id }).max_attempts(5);
                    hybrid_core::jobs::enqueue(tx, &job, now).await?;
                    Ok(row)
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.source_of(row).await
    }

    /// Reads a book into blocks (off the async threads: a book is megabytes of parsing).
    async fn extract(&self, job: &Job) -> ApiResult<()> {
        let Extract { source } = job
            .payload()
            .map_err(|e| ApiError::validation("payload", e.to_string()))?;
        let Some(row) = store::source(&mut self.db.reads(), source).await? else {
            return Ok(());
        };
        if row.state != "extracting" {
            return Ok(());
        }
        let read = self.files.read(Reader::owner(row.owner_id), row.file_id, None).await;
        let outcome = match read {
            Ok(file) => {
                let format = parse_format(&row.format);
                tokio::task::spawn_blocking(move || {
                    // a parser bug on a hostile book must fail that book, not the worker
                    std::panic::catch_unwind(|| cut(&file.data, format))
                        .unwrap_or_else(|_| Err("the book could not be read (the reader failed on it)".into()))
                })
                .await
                .map_err(|e| ApiError::internal(format!("reading the book: {e}")))?
            }
            Err(err) if err.status.is_server_error() => return Err(err),
            Err(err) => Err(format!("the upload cannot be read: {}", err.message)),
        };
        let (title, blocks, error) = match outcome {
            Ok((title, blocks)) => (title, blocks, String::new()),
            Err(why) => (String::new(), Vec::new(), why),
        };
        let job = job.clone();
        let blocks = Arc::new(blocks);
        self.db
            .write(move |tx| {
                let (job, blocks, title, error) = (job.clone(), blocks.clone(), title.clone(), error.clone());
                Box::pin(async move {
                    store::finish_extraction(tx, source, &title, &error, &blocks).await?;
                    job.complete_in(tx).await.map_err(lost)?;
                    Ok::<_, ApiError>(())
                })
            })
            .await?;
        self.tell(row.owner_id, source, None);
        Ok(())
    }

    pub async fn sources(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Source>> {
        let limit = page_limit(limit, 50, 200)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = store::sources_page(&mut self.db.reads(), me, before, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |s| s.id.to_string());
        Ok(Page {
            items: self.sources_of(page.items).await?,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn source(&self, me: i64, id: i64) -> ApiResult<Source> {
        let row = self.own_source(me, id).await?;
        self.source_of(row).await
    }

    /// Renames a book.
    pub async fn rename_source(&self, me: i64, id: i64, change: SourceChange) -> ApiResult<Source> {
        self.own_source(me, id).await?;
        let name = clean_name(&change.name)?;
        self.db
            .write(move |tx| {
                let name = name.clone();
                Box::pin(async move { store::rename_source(tx, id, &name).await })
            })
            .await?;
        self.tell(me, id, None);
        self.source(me, id).await
    }

    /// Forgets a book: its blocks, summaries and posts (queued summary jobs find it gone).
    pub async fn delete_source(&self, me: i64, id: i64) -> ApiResult<()> {
        self.own_source(me, id).await?;
        self.db
            .write(move |tx| Box::pin(async move { store::delete_source(tx, id).await }))
            .await?;
        self.tell(me, id, None);
        Ok(())
    }

    pub async fn chapters(&self, me: i64, id: i64) -> ApiResult<Vec<Chapter>> {
        self.own_source(me, id).await?;
        Ok(store::chapters(&mut self.db.reads(), id).await?)
    }

    pub async fn blocks(
        &self,
        me: i64,
        id: i64,
        chapter: Option<i64>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> ApiResult<Page<Block>> {
        self.own_source(me, id).await?;
        let limit = page_limit(limit, 20, 100)?;
        let after = parse_cursor::<1>(cursor)?.map_or(-1, |[seq]| seq);
        let rows = store::blocks_page(&mut self.db.reads(), id, chapter, after, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |b| b.seq.to_string());
        Ok(Page {
            items: page.items.into_iter().map(block_view).collect(),
            next_cursor: page.next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_name_and_the_sniffed_type() {
        assert_eq!(format_of("Книга.FB2", "application/xml"), Some(Format::Fb2));
        assert_eq!(format_of("book.fb2.zip", "application/zip"), Some(Format::Fb2));
        assert_eq!(format_of("book", "application/epub+zip"), Some(Format::Epub));
        assert_eq!(format_of("book.txt", "application/octet-stream"), Some(Format::Txt));
        assert_eq!(format_of("notes", "text/plain; charset=utf-8"), Some(Format::Txt));
        assert_eq!(format_of("scan", "application/pdf"), Some(Format::Pdf));
        assert_eq!(format_of("photo.png", "image/png"), None);
    }

    #[test]
    fn a_broken_book_says_why() {
        assert_eq!(cut(b"   ", Format::Txt).unwrap_err(), "the book has no text");
        assert!(
            cut(b"not a zip", Format::Epub)
                .unwrap_err()
                .starts_with("the book cannot be read")
        );
        let (title, blocks) = cut("Глава 1\n\nТекст главы.".as_bytes(), Format::Txt).unwrap();
        assert_eq!(title, "");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].chapter_title, "Глава 1");
    }
}
