//! PDF: each page's text as the page draws it (pdf-extract, which reads the fonts' ToUnicode
//! maps, so Cyrillic comes out as letters), cleaned of what the layout adds — running headers
//! and footers, page numbers, words hyphenated at line ends, lines broken mid-paragraph — then
//! cut into chapters by heading lines, as plain text is.

use crate::{Book, BookError, chapters};

/// Lines at each end of a page looked at for headers, footers and page numbers.
const EDGE_LINES: usize = 2;

pub(crate) fn read(bytes: &[u8]) -> Result<Book, BookError> {
    // pdf-extract panics on some malformed files: that is this book's failure, not the caller's
    let pages = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| BookError::Malformed("the PDF reader failed on this file".into()))?
        .map_err(|e| BookError::Malformed(format!("not a readable PDF: {e}")))?;
    Ok(Book {
        title: None,
        chapters: chapters::of_text(&clean(&pages)),
    })
}

/// A line of a page, and whether a blank line came before it.
struct Line {
    text: String,
    after_blank: bool,
}

fn lines_of(page: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut blank = false;
    for raw in page.lines() {
        let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            blank = true;
            continue;
        }
        lines.push(Line {
            text,
            after_blank: std::mem::take(&mut blank),
        });
    }
    lines
}

/// A line with its digits blurred, so "Книга — 12" and "Книга — 13" are the same header.
fn shape(line: &str) -> String {
    line.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// "12", "- 12 -", "— xii —", "Page 12", "Стр. 12", "12 / 300".
fn is_page_number(line: &str) -> bool {
    let lower = line.to_lowercase();
    let rest = ["page", "стр.", "стр", "страница", "с."]
        .iter()
        .find_map(|word| lower.strip_prefix(word))
        .unwrap_or(&lower);
    let mut numbers = rest
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | '.' | '/' | '|'))
        .filter(|w| !w.is_empty())
        .peekable();
    numbers.peek().is_some() && numbers.all(|w| w.chars().all(|c| c.is_ascii_digit()) || is_roman(w))
}

/// A roman numeral written the usual way ("xiv", not "civil").
fn is_roman(word: &str) -> bool {
    const NUMERALS: [(u32, &str); 9] = [
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let value = |c| match c {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        'c' => Some(100),
        _ => None,
    };
    let Some(values) = word.chars().map(value).collect::<Option<Vec<u32>>>() else {
        return false;
    };
    let total: u32 = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if values.get(i + 1).is_some_and(|next| next > v) {
                0u32.wrapping_sub(*v)
            } else {
                *v
            }
        })
        .fold(0u32, u32::wrapping_add);
    let (mut left, mut canonical) = (total, String::new());
    for (amount, numeral) in NUMERALS {
        while left >= amount {
            canonical.push_str(numeral);
            left -= amount;
        }
    }
    (1..400).contains(&total) && canonical == word
}

/// The shapes of lines at page edges that most pages share: running headers and footers.
fn furniture(pages: &[Vec<Line>]) -> std::collections::HashSet<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for page in pages {
        let edges = page.iter().take(EDGE_LINES).chain(page.iter().rev().take(EDGE_LINES));
        let mut shapes: Vec<String> = edges.map(|l| shape(&l.text)).collect();
        shapes.sort_unstable();
        shapes.dedup();
        for s in shapes {
            *seen.entry(s).or_default() += 1;
        }
    }
    let needed = (pages.len() / 2).max(2);
    seen.into_iter()
        .filter(|(_, n)| pages.len() >= 2 && *n >= needed)
        .map(|(s, _)| s)
        .collect()
}

/// The typical length of a full line (the median of lines of some length).
fn full_line(lines: &[&Line]) -> usize {
    let mut lengths: Vec<usize> = lines
        .iter()
        .map(|l| l.text.chars().count())
        .filter(|n| *n >= 20)
        .collect();
    lengths.sort_unstable();
    lengths.get(lengths.len() / 2).copied().unwrap_or(60)
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end_matches(['»', '"', '”', ')', '\''])
        .ends_with(['.', '!', '?', '…', ':'])
}

/// The pages' text as paragraphs separated by blank lines, headings alone on theirs.
fn clean(pages: &[String]) -> String {
    let pages: Vec<Vec<Line>> = pages.iter().map(|p| lines_of(p)).collect();
    let furniture = &furniture(&pages);
    let body: Vec<&Line> = pages
        .iter()
        .flat_map(|page| {
            let last = page.len().saturating_sub(1);
            page.iter().enumerate().filter(move |(i, line)| {
                let at_edge = *i < EDGE_LINES || *i + EDGE_LINES > last;
                !(at_edge && (is_page_number(&line.text) || furniture.contains(&shape(&line.text))))
            })
        })
        .map(|(_, line)| line)
        .collect();
    let full = full_line(&body);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut short_end = false;
    for line in body {
        let text = line.text.as_str();
        if chapters::is_heading(text) {
            flush(&mut paragraphs, &mut current);
            paragraphs.push(text.to_owned());
            short_end = false;
            continue;
        }
        if line.after_blank || short_end {
            flush(&mut paragraphs, &mut current);
        }
        join_line(&mut current, text);
        // a sentence ending well short of the margin ends its paragraph
        short_end = ends_sentence(text) && text.chars().count() * 10 < full * 8;
    }
    flush(&mut paragraphs, &mut current);
    paragraphs.join("\n\n")
}

fn flush(paragraphs: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        paragraphs.push(std::mem::take(current));
    }
}

/// Appends a line to a paragraph: a word hyphenated at the line's end ("сло-" + "во") is
/// joined again; otherwise a space goes between.
fn join_line(paragraph: &mut String, line: &str) {
    let hyphenated = paragraph.ends_with('-')
        && paragraph.chars().rev().nth(1).is_some_and(char::is_alphabetic)
        && line.chars().next().is_some_and(char::is_lowercase);
    if hyphenated {
        paragraph.pop();
    } else if !paragraph.is_empty() {
        paragraph.push(' ');
    }
    paragraph.push_str(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn headers_page_numbers_and_hyphens_go() {
        let text = clean(&pages(&[
            "Книга\nГлава 1\nПервая строка длинного абза-\nца продолжается здесь и дальше до самого края.\nКороткий конец.\n1",
            "Книга\nНовый абзац на второй странице, он тоже довольно длинный и идёт дальше.\n- 2 -",
            "Книга\nТретья страница.\nСтр. 3",
        ]));
        assert_eq!(
            text,
            "Глава 1\n\nПервая строка длинного абзаца продолжается здесь и дальше до самого края. Короткий конец.\n\n\
             Новый абзац на второй странице, он тоже довольно длинный и идёт дальше. Третья страница."
        );
    }

    #[test]
    fn page_numbers_are_told_from_text() {
        for number in ["12", "- 12 -", "— xii —", "Page 12", "Стр. 12", "12 / 300"] {
            assert!(is_page_number(number), "{number}");
        }
        for text in ["12 стульев", "Глава 12", "I think", "Civil", "ci vil", "1984 год"] {
            assert!(!is_page_number(text), "{text}");
        }
    }

    #[test]
    fn a_broken_pdf_is_refused() {
        assert!(matches!(read(b"%PDF-1.4 nothing more"), Err(BookError::Malformed(_))));
        assert!(matches!(read(b"not a pdf"), Err(BookError::Malformed(_))));
    }

    const RU: [&str; 5] = [
        "Герой выходит из дома рано утром и смотрит на небо.",
        "Город ещё спит, и только дворники метут улицы.",
        "Он думает о письме, которое получил вчера вечером.",
        "В письме была просьба о помощи от старого друга.",
        "Решение приходит не сразу, но оно окончательное.",
    ];

    /// The sentences `make_books.py` numbered `tag` 1..=count.
    fn sentences(tag: &str, count: usize) -> Vec<String> {
        (1..=count)
            .map(|n| {
                let sentence = RU[n % RU.len()];
                format!("{} ({tag}{n}).", &sentence[..sentence.len() - 1])
            })
            .collect()
    }

    #[test]
    fn the_fixture_reads_whole() {
        let bytes = include_bytes!("../tests/fixtures/book.pdf");
        let book = read(bytes).unwrap();
        let titles: Vec<&str> = book.chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Глава 1", "Глава 2"]);
        for (chapter, (tag, count)) in book.chapters.iter().zip([("п", 32), ("р", 40)]) {
            let text = chapter.paragraphs.join(" ");
            assert!(!text.contains("Тестовая книга"), "the running header is gone: {text}");
            let mut from = 0;
            for sentence in sentences(tag, count) {
                let at = text[from..]
                    .find(&sentence)
                    .unwrap_or_else(|| panic!("{sentence} missing after byte {from} of {text}"));
                from += at + sentence.len();
            }
        }
    }
}
