//! A chapter cut into blocks for summarising: whole paragraphs while they fit, else whole
//! sentences, else (a sentence longer than a block) words. Sizes are counted in characters, not
//! bytes (Cyrillic takes two bytes a letter). Nothing is dropped: the legacy system silently
//! lost a chapter's tail shorter than its minimum; here a short tail takes sentences from the
//! block before it, or joins it when both fit in one.

use unicode_segmentation::UnicodeSegmentation;

use crate::Book;

/// A block's size range, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min: usize,
    pub max: usize,
}

impl Default for Limits {
    /// The legacy system's: 500 to 4000 characters.
    fn default() -> Self {
        Limits { min: 500, max: 4000 }
    }
}

/// One block: its chapter (an index into the book's), its place in it (from 1), its text
/// (paragraphs separated by a blank line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub chapter: usize,
    pub part: usize,
    pub text: String,
}

/// A piece a block is made of: a sentence (or a word run of an over-long one), and whether a
/// paragraph starts with it.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    chars: usize,
    opens_paragraph: bool,
}

/// Every chapter's blocks, in order. A chapter shorter than `limits.min` is one short block.
pub fn blocks(book: &Book, limits: Limits) -> Vec<Block> {
    assert!(limits.min <= limits.max / 2, "a short tail must fit beside a block");
    let mut out = Vec::new();
    for (chapter, content) in book.chapters.iter().enumerate() {
        let units: Vec<Unit> = content.paragraphs.iter().flat_map(|p| units(p, limits.max)).collect();
        for (part, range) in pack(&units, limits).into_iter().enumerate() {
            out.push(Block {
                chapter,
                part: part + 1,
                text: join(&units[range]),
            });
        }
    }
    out
}

/// The characters any run of units makes when joined (a paragraph break counts two, a space
/// one), in constant time: sums of each unit's characters with the separator before it.
struct Sizes {
    prefix: Vec<usize>,
    separator: Vec<usize>,
}

impl Sizes {
    fn of(units: &[Unit]) -> Sizes {
        let separator: Vec<usize> = units.iter().map(|u| if u.opens_paragraph { 2 } else { 1 }).collect();
        let mut prefix = Vec::with_capacity(units.len() + 1);
        prefix.push(0);
        for (unit, sep) in units.iter().zip(&separator) {
            prefix.push(prefix.last().copied().unwrap_or_default() + unit.chars + sep);
        }
        Sizes { prefix, separator }
    }

    /// `units[range]` joined: the first unit has no separator before it.
    fn of_range(&self, range: std::ops::Range<usize>) -> usize {
        if range.is_empty() {
            return 0;
        }
        self.prefix[range.end] - self.prefix[range.start] - self.separator[range.start]
    }
}

fn join(units: &[Unit]) -> String {
    let mut text = String::new();
    for (i, unit) in units.iter().enumerate() {
        if i > 0 {
            text.push_str(if unit.opens_paragraph { "\n\n" } else { " " });
        }
        text.push_str(&unit.text);
    }
    text
}

/// Greedy packing into ranges of units, then the tail evened out.
fn pack(units: &[Unit], limits: Limits) -> Vec<std::ops::Range<usize>> {
    let size = Sizes::of(units);
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut end = 1;
    while end <= units.len() {
        if end - 1 > start && size.of_range(start..end) > limits.max {
            // end the block at the last paragraph's end that leaves it big enough, else at
            // the last sentence that fits; the rest is looked at again
            let at = (start + 1..end - 1)
                .rev()
                .find(|&q| units[q].opens_paragraph && size.of_range(start..q) >= limits.min)
                .unwrap_or(end - 1);
            ranges.push(start..at);
            start = at;
            continue;
        }
        end += 1;
    }
    if start < units.len() {
        ranges.push(start..units.len());
    }
    let n = ranges.len();
    if n >= 2 && size.of_range(ranges[n - 1].clone()) < limits.min {
        let (before, last) = (ranges[n - 2].clone(), ranges[n - 1].clone());
        if size.of_range(before.start..last.end) <= limits.max {
            ranges.truncate(n - 2);
            ranges.push(before.start..last.end);
        } else {
            // move sentences from the block before while the tail is short and that one stays long
            let mut cut = before.end;
            while cut > before.start + 1
                && size.of_range(cut..last.end) < limits.min
                && size.of_range(before.start..cut - 1) >= limits.min
                && size.of_range(cut - 1..last.end) <= limits.max
            {
                cut -= 1;
            }
            ranges[n - 2] = before.start..cut;
            ranges[n - 1] = cut..last.end;
        }
    }
    ranges
}

/// A paragraph's sentences, each at most `max` characters (longer ones cut between words).
fn units(paragraph: &str, max: usize) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for sentence in sentences(paragraph) {
        for piece in cut(&sentence, max) {
            out.push(Unit {
                chars: piece.chars().count(),
                text: piece,
                opens_paragraph: out.is_empty(),
            });
        }
    }
    out
}

/// Russian and English abbreviations a sentence does not end at.
const ABBREVIATIONS: &[&str] = &[
    "т", "е", "д", "п", "г", "гг", "им", "ул", "стр", "см", "др", "проф", "акад", "тыс", "млн", "руб", "св", "mr",
    "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "jr", "no", "prof",
];

/// The sentences of a paragraph: Unicode's sentence bounds, joined again where they cut after
/// an abbreviation or an initial ("А. С. Пушкин", "Mr. Smith"), before a lowercase word or a
/// dash that goes on with the same sentence ("— Да! — сказал он."), or inside a word.
pub(crate) fn sentences(paragraph: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // whether the segment before ended with a space: one that did not ("?a") is the same word
    let mut spaced = true;
    for raw in paragraph.split_sentence_bounds() {
        let piece = raw.trim();
        let glue = !piece.is_empty() && out.last().is_some_and(|before| !spaced || goes_on(before, piece));
        match out.last_mut() {
            Some(before) if glue => {
                if spaced {
                    before.push(' ');
                }
                before.push_str(piece);
            }
            _ if piece.is_empty() => {}
            _ => out.push(piece.to_owned()),
        }
        if !raw.is_empty() {
            spaced = raw.ends_with(char::is_whitespace);
        }
    }
    out
}

/// Whether `next` continues the sentence `before` was cut from.
fn goes_on(before: &str, next: &str) -> bool {
    let Some(stem) = before.strip_suffix('.') else {
        return starts_lowercase(next);
    };
    let last_word = stem
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '«' || c == '"')
        .next()
        .unwrap_or_default();
    let initial = last_word.chars().count() == 1 && last_word.chars().all(char::is_uppercase);
    initial || ABBREVIATIONS.contains(&last_word.to_lowercase().as_str()) || starts_lowercase(next)
}

fn starts_lowercase(text: &str) -> bool {
    let text = text.trim_start_matches(['—', '–', '-', ' ', '«', '"']);
    text.chars().next().is_some_and(char::is_lowercase)
}

/// `sentence` in pieces of at most `max` characters, cut between words where it can be.
fn cut(sentence: &str, max: usize) -> Vec<String> {
    if sentence.chars().count() <= max {
        return vec![sentence.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_chars = 0;
    for word in sentence.split_whitespace() {
        let mut word = word.to_owned();
        // a "word" longer than a block (a URL, a run of characters) is cut anywhere
        while word.chars().count() > max {
            if !current.is_empty() {
                pieces.push(std::mem::take(&mut current));
                current_chars = 0;
            }
            let head: String = word.chars().take(max).collect();
            word = word.chars().skip(max).collect();
            pieces.push(head);
        }
        let chars = word.chars().count();
        if current_chars > 0 && current_chars + 1 + chars > max {
            pieces.push(std::mem::take(&mut current));
            current_chars = 0;
        }
        if current_chars > 0 {
            current.push(' ');
            current_chars += 1;
        }
        current.push_str(&word);
        current_chars += chars;
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::Chapter;

    fn book(paragraphs: &[String]) -> Book {
        Book {
            title: None,
            chapters: vec![Chapter {
                title: "Глава 1".into(),
                paragraphs: paragraphs.to_vec(),
            }],
        }
    }

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    #[test]
    fn sentences_end_where_they_end_not_at_abbreviations_or_initials() {
        let got = sentences("А. С. Пушкин родился в Москве, т. е. не в Петербурге. Mr. Smith agreed. Ушёл.");
        assert_eq!(
            got,
            [
                "А. С. Пушкин родился в Москве, т. е. не в Петербурге.",
                "Mr. Smith agreed.",
                "Ушёл."
            ]
        );
        assert_eq!(sentences("— Да! — сказал он. Пауза."), ["— Да! — сказал он.", "Пауза."]);
        assert_eq!(sentences("Как?Так."), ["Как?Так."]);
    }

    #[test]
    fn paragraphs_stay_whole_while_they_fit_and_blocks_keep_to_the_limits() {
        let paragraph = |n: usize| format!("Предложение номер {n} о степи и буране. ").repeat(20);
        let paragraphs: Vec<String> = (0..12).map(paragraph).map(|p| p.trim().to_owned()).collect();
        let limits = Limits { min: 500, max: 2000 };
        let blocks = blocks(&book(&paragraphs), limits);
        assert!(blocks.len() > 2);
        for (i, block) in blocks.iter().enumerate() {
            let chars = block.text.chars().count();
            assert!(chars <= limits.max, "{chars}");
            assert!(chars >= limits.min, "{chars}");
            assert_eq!(block.part, i + 1);
            // cut at paragraph ends: every block is whole paragraphs
            for part in block.text.split("\n\n") {
                assert!(paragraphs.iter().any(|p| p == part), "{part}");
            }
        }
    }

    #[test]
    fn a_short_tail_is_kept_joined_or_evened_out() {
        let long = "Длинное предложение о жизни в степи. ".repeat(60); // ~2200 chars
        let tail = "Короткий хвост.".to_owned();
        let limits = Limits { min: 500, max: 2000 };
        // joined: both fit
        let joined = blocks(&book(&["Начало. ".repeat(100).trim().to_owned(), tail.clone()]), limits);
        assert_eq!(joined.len(), 1);
        assert!(joined[0].text.ends_with("\n\nКороткий хвост."));
        // evened out: the tail takes sentences from the block before
        let evened = blocks(&book(&[long.trim().to_owned(), tail.clone()]), limits);
        assert_eq!(evened.len(), 2);
        assert!(
            evened.iter().all(|b| b.text.chars().count() >= limits.min),
            "{evened:?}"
        );
        assert!(evened[1].text.ends_with("Короткий хвост."));
        // a chapter shorter than the minimum is one short block, not dropped
        let short = blocks(&book(&[tail]), limits);
        assert_eq!(short.len(), 1);
    }

    #[test]
    fn a_sentence_longer_than_a_block_is_cut_between_words() {
        let sentence = format!("{}.", "слово ".repeat(1000).trim());
        let got = blocks(&book(std::slice::from_ref(&sentence)), Limits { min: 500, max: 2000 });
        assert!(got.len() >= 3);
        assert!(got.iter().all(|b| b.text.chars().count() <= 2000));
        assert_eq!(
            got.iter().flat_map(|b| words(&b.text)).collect::<Vec<_>>(),
            words(&sentence)
        );
    }

    proptest! {
        #[test]
        fn no_word_is_lost_and_no_block_is_too_long(
            paragraphs in prop::collection::vec("[а-яa-z ,.!?—]{0,900}", 0..20)
        ) {
            let paragraphs: Vec<String> = paragraphs.into_iter().filter(|p| !p.trim().is_empty()).collect();
            let limits = Limits { min: 300, max: 1200 };
            let got = blocks(&book(&paragraphs), limits);
            let original: Vec<&str> = paragraphs.iter().flat_map(|p| words(p)).collect();
            let kept: Vec<&str> = got.iter().flat_map(|b| words(&b.text)).collect();
            prop_assert_eq!(kept, original);
            for block in &got {
                prop_assert!(block.text.chars().count() <= limits.max);
            }
        }
    }
}
