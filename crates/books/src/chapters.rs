//! Chapters of plain text: a heading is a line of its own ("Глава 3", "ГЛАВА III. Буря",
//! "Chapter 12", "Часть первая", "Пролог"), never words inside a paragraph (the legacy system
//! split chapters at "в главе 3" in running text).

use crate::Chapter;

/// Words that open a numbered heading.
const NUMBERED: &[&str] = &["глава", "часть", "книга", "том", "chapter", "part", "book", "volume"];
/// Headings that are one word.
const ALONE: &[&str] = &[
    "пролог",
    "эпилог",
    "предисловие",
    "послесловие",
    "введение",
    "заключение",
    "prologue",
    "epilogue",
    "preface",
    "foreword",
    "afterword",
    "introduction",
    "conclusion",
];
/// Ordinals written as words.
const ORDINALS: &[&str] = &[
    "первая",
    "вторая",
    "третья",
    "четвертая",
    "четвёртая",
    "пятая",
    "шестая",
    "седьмая",
    "восьмая",
    "девятая",
    "десятая",
    "первый",
    "второй",
    "третий",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "first",
    "second",
    "third",
];
/// The longest line taken for a heading.
const MAX_HEADING_CHARS: usize = 100;

/// Whether `line` (one whole line) is a chapter heading.
pub fn is_heading(line: &str) -> bool {
    let line = line.trim();
    if line.is_empty() || line.chars().count() > MAX_HEADING_CHARS {
        return false;
    }
    let lower = line.to_lowercase();
    let mut words = lower.split(|c: char| c.is_whitespace() || matches!(c, '.' | ':' | ',' | '—' | '-'));
    let first = words.next().unwrap_or_default();
    if ALONE.contains(&first) {
        // "Пролог", "Пролог. Ночь": the word first, then at most a title
        return true;
    }
    if !NUMBERED.contains(&first) {
        return false;
    }
    let Some(number) = words.find(|w| !w.is_empty()) else {
        return false;
    };
    number.chars().all(|c| c.is_ascii_digit())
        || (number.chars().all(|c| matches!(c, 'i' | 'v' | 'x' | 'l' | 'c')))
        || ORDINALS.contains(&number)
}

/// The chapters of `text`: paragraphs are separated by blank lines (or are single lines, when the
/// text has no blank lines at all); a paragraph that is a heading, or a heading line with one
/// title line under it, starts a chapter. Text before the first heading is a chapter without a
/// title.
pub(crate) fn of_text(text: &str) -> Vec<Chapter> {
    let mut chapters = vec![Chapter {
        title: String::new(),
        paragraphs: Vec::new(),
    }];
    for paragraph in paragraphs(text) {
        let lines: Vec<&str> = paragraph.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let titled = match lines.as_slice() {
            [heading] if is_heading(heading) => Some(heading.to_string()),
            [heading, title] if is_heading(heading) && title.chars().count() <= MAX_HEADING_CHARS => {
                Some(format!("{heading}. {title}").replace(".. ", ". "))
            }
            _ => None,
        };
        match titled {
            Some(title) => chapters.push(Chapter {
                title,
                paragraphs: Vec::new(),
            }),
            None => chapters
                .last_mut()
                .expect("one at least")
                .paragraphs
                .push(lines.join(" ")),
        }
    }
    if chapters[0].paragraphs.is_empty() && chapters.len() > 1 {
        chapters.remove(0);
    }
    chapters
}

/// The text's paragraphs, trimmed, none empty.
fn paragraphs(text: &str) -> Vec<String> {
    if !text.trim().lines().any(|l| l.trim().is_empty()) {
        return text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current).trim().to_owned());
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_whole_lines_in_the_ways_books_write_them() {
        for heading in [
            "Глава 1",
            "ГЛАВА III. Буря",
            "Глава первая",
            "Часть 2: Возвращение",
            "Chapter 12",
            "CHAPTER IV — The Storm",
            "Пролог",
            "Эпилог. Десять лет спустя",
            "Prologue",
        ] {
            assert!(is_heading(heading), "{heading}");
        }
        for text in [
            "в главе 3 мы видели, как он ушёл",
            "Глава семьи вошёл в комнату.",
            "Chapter and verse, he said.",
            "Главы",
            "",
            &format!("Глава 1 {}", "очень ".repeat(30)),
        ] {
            assert!(!is_heading(text), "{text}");
        }
    }

    #[test]
    fn text_splits_at_heading_lines_and_keeps_what_came_before() {
        let text = "Посвящается другу.\n\nГлава 1\nНачало пути\n\nОн вышел из дома. В главе 3 он вернётся.\n\
                    Шёл снег.\n\nГЛАВА II\n\nДорога.\n\nЭпилог\n\nКонец.";
        let chapters = of_text(text);
        let titles: Vec<&str> = chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["", "Глава 1. Начало пути", "ГЛАВА II", "Эпилог"]);
        assert_eq!(chapters[0].paragraphs, ["Посвящается другу."]);
        // a paragraph's lines join; "в главе 3" stays inside it
        assert_eq!(
            chapters[1].paragraphs,
            ["Он вышел из дома. В главе 3 он вернётся. Шёл снег."]
        );
        assert_eq!(chapters[3].paragraphs, ["Конец."]);
    }

    #[test]
    fn text_without_blank_lines_has_a_paragraph_a_line() {
        let chapters = of_text("Глава 1\nПервая строка.\nВторая строка.\nГлава 2\nТретья.");
        assert_eq!(chapters.len(), 2);
        assert_eq!(chapters[0].title, "Глава 1");
        assert_eq!(chapters[0].paragraphs, ["Первая строка.", "Вторая строка."]);
        assert_eq!(chapters[1].paragraphs, ["Третья."]);
    }

    #[test]
    fn text_without_headings_is_one_untitled_chapter() {
        let chapters = of_text("Просто текст.\n\nЕщё абзац.");
        assert_eq!(chapters.len(), 1);
        assert_eq!(chapters[0].title, "");
        assert_eq!(chapters[0].paragraphs.len(), 2);
    }
}
