//! Books to chapters and blocks: the first step of automation's content pipeline (a book becomes
//! summaries, then posts). Pure functions over bytes, no I/O, so the service decides where the
//! bytes come from and where the work runs.
//!
//! - `text.rs`: plain text in whatever encoding it came (UTF-8, UTF-16 with a BOM, or a legacy
//!   Russian or Western one, guessed), cleaned up;
//! - `fb2.rs`: FictionBook 2 (its sections are the chapters);
//! - `epub.rs`: EPUB 2 and 3 (the spine in order, titled by the table of contents);
//! - `chapters.rs`: chapters of plain text, by their heading lines;
//! - `blocks.rs`: a chapter cut into blocks of a few thousand characters at sentence ends.

mod blocks;
mod chapters;
mod epub;
mod fb2;
mod text;
mod xml;

pub use blocks::{Block, Limits, blocks};
pub use chapters::is_heading;
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

/// Reads a book's bytes as `format`.
pub fn read(bytes: &[u8], format: Format) -> Result<Book, BookError> {
    let book = match format {
        Format::Txt => Book {
            title: None,
            chapters: chapters::of_text(&decode(bytes)),
        },
        Format::Fb2 => fb2::read(bytes)?,
        Format::Epub => epub::read(bytes)?,
    };
    if book.chapters.iter().all(|c| c.paragraphs.is_empty()) {
        return Err(BookError::Empty);
    }
    Ok(book)
}
