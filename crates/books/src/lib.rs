//! Books to chapters and blocks: the first step of automation's content pipeline (a book becomes
//! summaries, then posts), and a summary of its own for when no AI model is set. Pure functions
//! over bytes, no I/O, so the service decides where the bytes come from and where the work runs.
//!
//! - `text.rs`: plain text in whatever encoding it came (UTF-8, UTF-16 with a BOM, or a legacy
//!   Russian or Western one, guessed), cleaned up;
//! - `fb2.rs`: FictionBook 2 (its sections are the chapters), zipped (`.fb2.zip`) or not;
//! - `epub.rs`: EPUB 2 and 3 (the spine in order, titled by the table of contents);
//! - `pdf.rs`: PDF (each page's text, without running headers, page numbers and hyphens);
//! - `archive.rs`: the zip both are read from, with caps against zip bombs;
//! - `chapters.rs`: chapters of plain text, by their heading lines;
//! - `blocks.rs`: a chapter cut into blocks of a few thousand characters at sentence ends;
//! - `summary.rs`: a block's gist as its weightiest sentences, for when no AI model is set.

mod archive;
mod blocks;
mod chapters;
mod epub;
mod fb2;
mod pdf;
mod summary;
mod text;
mod xml;

pub use blocks::{Block, Limits, blocks};
pub use chapters::is_heading;
pub use summary::summarise;
pub use text::decode;

/// A book's text as chapters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    /// The book's own title, when its format says (FB2 does).
    pub title: Option<String>,
    pub chapters: Vec<Chapter>,
}

/// A chapter: its title (empty for text before the first heading) and its paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// The formats read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Txt,
    Fb2,
    Epub,
    Pdf,
}

/// Why a book could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookError {
    /// Not a well-formed document of its format (what the parser said).
    Malformed(String),
    /// No text in it at all.
    Empty,
}

impl std::fmt::Display for BookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BookError::Malformed(why) => write!(f, "the book cannot be read: {why}"),
            BookError::Empty => f.write_str("the book has no text"),
        }
    }
}

impl std::error::Error for BookError {}

/// Drops a chapter's first paragraph when it only repeats the title (an EPUB chapter file
/// usually opens with the heading its table of contents names).
fn drop_repeated_title(chapter: &mut Chapter) {
    let same = |a: &str, b: &str| {
        let words = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
        words(a) == words(b)
    };
    if !chapter.title.is_empty() && chapter.paragraphs.first().is_some_and(|p| same(p, &chapter.title)) {
        chapter.paragraphs.remove(0);
    }
}

/// Reads a book's bytes as `format`.
pub fn read(bytes: &[u8], format: Format) -> Result<Book, BookError> {
    let mut book = match format {
        Format::Txt => Book {
            title: None,
            chapters: chapters::of_text(&decode(bytes)),
        },
        Format::Fb2 => fb2::read(bytes)?,
        Format::Epub => epub::read(bytes)?,
        Format::Pdf => pdf::read(bytes)?,
    };
    for chapter in &mut book.chapters {
        drop_repeated_title(chapter);
    }
    if book.chapters.iter().all(|c| c.paragraphs.is_empty()) {
        return Err(BookError::Empty);
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_repeating_the_title_is_not_text() {
        let mut chapter = Chapter {
            title: "Chapter  One".into(),
            paragraphs: vec!["CHAPTER ONE".into(), "Text.".into()],
        };
        drop_repeated_title(&mut chapter);
        assert_eq!(chapter.paragraphs, ["Text."]);
        drop_repeated_title(&mut chapter);
        assert_eq!(chapter.paragraphs, ["Text."], "other text stays");
    }
}
