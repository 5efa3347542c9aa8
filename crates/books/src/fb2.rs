//! FictionBook 2: an XML book whose `<section>`s (nested: parts, then chapters) carry
//! `<title>`s; a section with a title starts a chapter named by the titles above it too
//! ("Часть 1 / Глава 3"). Only the main `<body>` is read (the one named `notes` holds
//! footnotes); pictures (`<binary>`) are skipped. The prolog's `encoding` is honoured (windows-1251
//! is common): the bytes are decoded first, then parsed. Books are often shared zipped
//! (`.fb2.zip`): a zip is unpacked first, its first `.fb2` file read.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::archive::{self, malformed};
use crate::text::{clean, decode_with};
use crate::xml::{reference, squeeze};
use crate::{Book, BookError, Chapter};

/// Elements whose text is a paragraph of its own.
const PARAGRAPHS: &[&[u8]] = &[b"p", b"v", b"subtitle", b"text-author"];

pub(crate) fn read(bytes: &[u8]) -> Result<Book, BookError> {
    if archive::is_zip(bytes) {
        return read_xml(&unzip(bytes)?);
    }
    read_xml(bytes)
}

/// The first `.fb2` file of a zip (any case: `BOOK.FB2` too), within the archive's caps.
fn unzip(bytes: &[u8]) -> Result<Vec<u8>, BookError> {
    let mut zip = archive::open(bytes, "an FB2")?;
    let index = archive::first_ending_with(&zip, ".fb2").ok_or_else(|| malformed("the zip holds no .fb2 file"))?;
    archive::indexed(&mut zip, index)
}

fn read_xml(bytes: &[u8]) -> Result<Book, BookError> {
    let text = clean(&decode_with(bytes, declared_encoding(bytes).as_deref()));
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = false;
    let mut state = State::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| BookError::Malformed(format!("at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Start(e) => state.open(
                e.local_name().as_ref(),
                e.try_get_attribute("name").ok().flatten().is_some(),
            ),
            Event::Empty(_) => {}
            Event::End(e) => state.close(e.local_name().as_ref()),
            Event::Text(e) => {
                let text = e.xml10_content().map_err(|e| BookError::Malformed(e.to_string()))?;
                state.text(&text);
            }
            Event::CData(e) => state.text(&String::from_utf8_lossy(&e)),
            Event::GeneralRef(e) => {
                // FB2 is plain XML: an entity it does not define is dropped
                if let Ok(resolved) = reference(&e) {
                    state.text(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(state.finish())
}

/// The encoding the XML prolog names, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    let prolog = &head[head.find("<?xml")?..];
    let prolog = &prolog[..prolog.find("?>")?];
    let at = prolog.find("encoding")? + "encoding".len();
    let rest = prolog[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_owned())
}

#[derive(Default)]
struct State {
    /// Open elements, innermost last.
    path: Vec<Vec<u8>>,
    /// Whether the main body is being read (and was: only the first is).
    in_body: bool,
    body_done: bool,
    /// The titles of the open sections (None: untitled so far).
    sections: Vec<Option<String>>,
    /// The title being read, and the paragraph being read.
    title: Option<String>,
    paragraph: Option<String>,
    book_title: Option<String>,
    reading_book_title: bool,
    chapters: Vec<Chapter>,
}

impl State {
    fn open(&mut self, name: &[u8], named: bool) {
        match name {
            b"body" if !self.in_body && !self.body_done && !named => self.in_body = true,
            b"book-title" if self.path.iter().any(|p| p == b"title-info") => self.reading_book_title = true,
            b"section" if self.in_body => self.sections.push(None),
            b"title" if self.in_body => self.title = Some(String::new()),
            name if self.in_body && PARAGRAPHS.contains(&name) => self.paragraph = Some(String::new()),
            _ => {}
        }
        self.path.push(name.to_vec());
    }

    fn close(&mut self, name: &[u8]) {
        self.path.pop();
        match name {
            b"body" if self.in_body => {
                self.in_body = false;
                self.body_done = true;
            }
            b"book-title" => self.reading_book_title = false,
            b"section" if self.in_body => {
                self.sections.pop();
            }
            b"title" if self.in_body => {
                let title = self.title.take().map(|t| squeeze(&t)).unwrap_or_default();
                if let Some(open) = self.sections.last_mut() {
                    *open = Some(title);
                    let path: Vec<&str> = self
                        .sections
                        .iter()
                        .flatten()
                        .map(String::as_str)
                        .filter(|t| !t.is_empty())
                        .collect();
                    self.chapters.push(Chapter {
                        title: path.join(" / "),
                        paragraphs: Vec::new(),
                    });
                }
                // a title of the body itself is the book's name: no chapter
            }
            name if self.in_body && PARAGRAPHS.contains(&name) => {
                let paragraph = self.paragraph.take().map(|p| squeeze(&p)).unwrap_or_default();
                if paragraph.is_empty() {
                    return;
                }
                if let Some(title) = &mut self.title {
                    // a title's lines, one sentence each
                    if !title.is_empty() {
                        title.push_str(if title.ends_with(['.', '!', '?', ':']) {
                            " "
                        } else {
                            ". "
                        });
                    }
                    title.push_str(&paragraph);
                    return;
                }
                if self.chapters.is_empty() {
                    self.chapters.push(Chapter {
                        title: String::new(),
                        paragraphs: Vec::new(),
                    });
                }
                self.chapters.last_mut().expect("made above").paragraphs.push(paragraph);
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.reading_book_title {
            self.book_title.get_or_insert_with(String::new).push_str(text);
        } else if let Some(paragraph) = &mut self.paragraph {
            paragraph.push_str(text);
        }
    }

    fn finish(self) -> Book {
        let mut chapters = self.chapters;
        // a part's title with its chapters under it leaves an empty chapter: gone
        chapters.retain(|c| !c.paragraphs.is_empty());
        Book {
            title: self.book_title.map(|t| squeeze(&t)).filter(|t| !t.is_empty()),
            chapters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOK: &str = r##"<?xml version="1.0" encoding="windows-1251"?>
<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">
 <description><title-info><book-title>Капитанская дочка</book-title><lang>ru</lang></title-info></description>
 <body>
  <title><p>А. С. Пушкин</p><p>Капитанская дочка</p></title>
  <epigraph><p>Береги честь смолоду.</p></epigraph>
  <section>
   <title><p>Часть первая</p></title>
   <section>
    <title><p>Глава I</p><p>Сержант гвардии</p></title>
    <p>Отец мой Андрей Петрович Гринёв в молодости своей служил при графе Минихе<a l:href="#n1" type="note">[1]</a>.</p>
    <p>Матушка была еще мною брюхата, как уже я был записан в Семеновский полк &amp; прочее &#8212; так.</p>
    <empty-line/>
    <poem><stanza><v>Ах ты, степь моя,</v><v>степь привольная.</v></stanza></poem>
   </section>
   <section>
    <title><p>Глава II. Вожатый</p></title>
    <p>Сторона мне незнакомая!</p>
   </section>
  </section>
 </body>
 <body name="notes"><section id="n1"><title><p>1</p></title><p>Сноска.</p></section></body>
 <binary id="cover.jpg" content-type="image/jpeg">/9j/4AAQSkZJRgABAQ==</binary>
</FictionBook>"##;

    fn cp1251(text: &str) -> Vec<u8> {
        encoding_rs::WINDOWS_1251.encode(text).0.into_owned()
    }

    #[test]
    fn sections_are_chapters_named_by_their_titles_path() {
        let book = read(&cp1251(BOOK)).unwrap();
        assert_eq!(book.title.as_deref(), Some("Капитанская дочка"));
        let titles: Vec<&str> = book.chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "",
                "Часть первая / Глава I. Сержант гвардии",
                "Часть первая / Глава II. Вожатый"
            ]
        );
        // the epigraph before any section: a chapter without a title
        assert_eq!(book.chapters[0].paragraphs, ["Береги честь смолоду."]);
        let first = &book.chapters[1].paragraphs;
        assert_eq!(first.len(), 4, "{first:?}");
        assert!(first[0].ends_with("при графе Минихе[1]."), "{}", first[0]);
        // entities and character references resolved
        assert!(first[1].ends_with("полк & прочее — так."), "{}", first[1]);
        assert_eq!(first[2..], ["Ах ты, степь моя,", "степь привольная."]);
        // footnotes and pictures are not text
        let all: Vec<&String> = book.chapters.iter().flat_map(|c| &c.paragraphs).collect();
        assert!(!all.iter().any(|p| p.contains("Сноска") || p.contains("9j")), "{all:?}");
    }

    #[test]
    fn utf8_books_and_single_quoted_prologs_read_too() {
        let utf8 = BOOK.replace(r#"encoding="windows-1251""#, "encoding='utf-8'");
        assert_eq!(read(utf8.as_bytes()).unwrap(), read(&cp1251(BOOK)).unwrap());
        assert_eq!(declared_encoding(br#"<?xml version="1.0"?><a/>"#), None);
    }

    /// A zip of `files` (name, bytes), deflated.
    fn zipped(files: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in files {
            zip.start_file(*name, deflated).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_zipped_book_reads_as_the_book_its_first_fb2_file_is() {
        let book = cp1251(BOOK);
        let other = BOOK.replace("Капитанская дочка", "Другая книга");
        let zip = zipped(&[
            ("readme.txt", "не книга".as_bytes()),
            ("books/Kapitanskaya_Dochka.FB2", book.as_slice()),
            ("books/other.fb2", other.as_bytes()),
        ]);
        assert_eq!(read(&zip).unwrap(), read(&book).unwrap());
        assert_eq!(
            crate::read(&zip, crate::Format::Fb2),
            crate::read(&book, crate::Format::Fb2)
        );
    }

    #[test]
    fn a_zip_without_an_fb2_file_or_a_broken_zip_is_said_to_be_so() {
        let zip = zipped(&[("book.txt", "text".as_bytes()), ("book.fb2.txt", "text".as_bytes())]);
        assert_eq!(
            read(&zip),
            Err(BookError::Malformed("the zip holds no .fb2 file".into()))
        );
        let mut truncated = zipped(&[("book.fb2", BOOK.as_bytes())]);
        truncated.truncate(truncated.len() / 2);
        assert!(
            matches!(read(&truncated), Err(BookError::Malformed(_))),
            "{:?}",
            read(&truncated)
        );
    }

    #[test]
    fn broken_xml_is_said_to_be_so() {
        let garbage = read(b"<FictionBook><body><p a=\"x>text</p></body></FictionBook>");
        assert!(matches!(garbage, Err(BookError::Malformed(_))), "{garbage:?}");
    }
}
