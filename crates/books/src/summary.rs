//! An extractive summary: a text's weightiest sentences, in their order. It is what the content
//! pipeline falls back on when no AI model is set, so it needs nothing from outside and gives the
//! same answer every time. A word weighs what TF-IDF says, with the sentences as the documents:
//! how often the whole text says it (what the text is about) times how few of its sentences do
//! (what tells one sentence from another); a sentence weighs its words, nudged up when it opens
//! the text and down when it is very short or very long. The best sentences are taken while
//! they fit.

use std::collections::{HashMap, HashSet};

/// Words too common to say what a text is about, in Russian (lowercase, "ё" as "е") and English,
/// separated by spaces.
const RUSSIAN_STOP_WORDS: &str = "\
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне \
    было вот от меня еще нет о из ему когда даже ну ли если уже или ни быть был была были до вас там \
    потом себя ей может они тут где есть для мы их чем сам без под будет тоже кто этот это эти того \
    этого при об про над через после такой который которые также";
const ENGLISH_STOP_WORDS: &str = "\
    a an the and or but if then so of to in on at by for with from as into about over is are was \
    were be been being am it its this that these those there he she they we you i his her their our \
    your my me him them us not no do does did have has had will would can could should which who \
    what when where how all any also than too very just only such";

/// Sentences of fewer words than this say too little to stand for a text; of more, too much.
const SHORT: usize = 5;
const LONG: usize = 40;

/// `text` summarised in at most `max_chars` characters (not bytes): its best sentence, then the
/// next best that still fit, joined by spaces in the text's order. When even the best sentence
/// is longer than `max_chars` it is cut at a word boundary and ends with "…". Nothing for a
/// blank text (or no room).
pub fn summarise(text: &str, max_chars: usize) -> String {
    let sentences: Vec<String> = text.lines().flat_map(crate::blocks::sentences).collect();
    if sentences.is_empty() || max_chars == 0 {
        return String::new();
    }
    let scores = scores(&sentences);
    let mut ranked: Vec<usize> = (0..sentences.len()).collect();
    // best first; of equal ones the earlier (total_cmp: no NaN can unsettle the order)
    ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let best = ranked[0];
    let mut used = sentences[best].chars().count();
    if used > max_chars {
        return shorten(&sentences[best], max_chars);
    }
    let mut picked = vec![best];
    for &i in &ranked[1..] {
        let cost = sentences[i].chars().count() + 1;
        // a sentence of nothing but stop words adds nothing a reader needs
        if used + cost <= max_chars && scores[i] > 0.0 {
            picked.push(i);
            used += cost;
        }
    }
    picked.sort_unstable();
    picked
        .iter()
        .map(|&i| sentences[i].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each sentence's weight: its distinct words' weights over the square root of their number (a
/// long sentence gains, but less than it adds), then the position and length nudges.
fn scores(sentences: &[String]) -> Vec<f64> {
    let words: Vec<Vec<String>> = sentences.iter().map(|s| terms(s)).collect();
    // how often the text says a term, and in how many sentences
    let mut said: HashMap<&str, f64> = HashMap::new();
    let mut spread: HashMap<&str, f64> = HashMap::new();
    let distinct: Vec<Vec<&str>> = words
        .iter()
        .map(|words| {
            let mut seen = HashSet::new();
            let mut distinct = Vec::new();
            for word in words {
                *said.entry(word.as_str()).or_default() += 1.0;
                if seen.insert(word.as_str()) {
                    *spread.entry(word.as_str()).or_default() += 1.0;
                    distinct.push(word.as_str());
                }
            }
            distinct
        })
        .collect();
    let n = sentences.len() as f64;
    let weight = |term: &str| said[term] * (1.0 + n / spread[term]).ln();
    distinct
        .iter()
        .zip(sentences)
        .enumerate()
        .map(|(i, (terms, sentence))| {
            if terms.is_empty() {
                return 0.0;
            }
            let sum: f64 = terms.iter().map(|&term| weight(term)).sum();
            let words = sentence.split_whitespace().count();
            let length = match words {
                w if w < SHORT => 0.5,
                w if w > LONG => 0.7,
                _ => 1.0,
            };
            // a text's opening often says what it is about
            let position = match i {
                0 => 1.25,
                1 => 1.1,
                _ => 1.0,
            };
            sum / (terms.len() as f64).sqrt() * length * position
        })
        .collect()
}

/// A sentence's words as terms: lowercased, stop words and single letters dropped, stemmed.
fn terms(sentence: &str) -> Vec<String> {
    sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().nth(1).is_some())
        .map(|word| word.to_lowercase().replace('ё', "е"))
        .filter(|word| !is_stop_word(word))
        .map(|word| stem(&word))
        .collect()
}

/// Whether `word` (lowercase) is one of the stop words.
fn is_stop_word(word: &str) -> bool {
    [RUSSIAN_STOP_WORDS, ENGLISH_STOP_WORDS]
        .iter()
        .any(|list| list.split(' ').any(|stop| stop == word))
}

/// A crude stem, enough to join a word's forms ("книга", "книги", "книгу"; "book", "books"):
/// a Cyrillic word without its closing vowels (and ь, й), cut to 5 letters (Russian endings
/// are long); any other without a plural "s", cut to 6.
fn stem(word: &str) -> String {
    let mut letters: Vec<char> = word.chars().collect();
    if letters.first().is_some_and(|c| ('\u{400}'..='\u{4ff}').contains(c)) {
        while letters.len() > 3 && letters.last().is_some_and(|c| "аеиоуыэюяьй".contains(*c)) {
            letters.pop();
        }
        letters.truncate(5);
    } else {
        if letters.len() > 3 && letters.last() == Some(&'s') {
            letters.pop();
        }
        letters.truncate(6);
    }
    letters.into_iter().collect()
}

/// `sentence` in at most `max` characters (at least 1): whole words while they fit, then "…".
/// A first word longer than that is cut inside.
fn shorten(sentence: &str, max: usize) -> String {
    let room = max - 1;
    let mut kept = String::new();
    let mut used = 0;
    for word in sentence.split_whitespace() {
        let cost = word.chars().count() + usize::from(!kept.is_empty());
        if used + cost > room {
            break;
        }
        if !kept.is_empty() {
            kept.push(' ');
        }
        kept.push_str(word);
        used += cost;
    }
    if kept.is_empty() {
        kept = sentence.chars().take(room).collect();
    }
    // "word,…" reads worse than "word…"
    let kept = kept.trim_end_matches(|c: char| c.is_whitespace() || ",;:—–-".contains(c));
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const RUSSIAN: &str = "В тот год осень выдалась ранняя и холодная.
Пушкин отправился в оренбургские степи собирать рассказы о Пугачёве.
Старые казаки помнили Пугачёва и охотно рассказывали о бунте.
Дороги были пыльными, а ямщики пели длинные песни.
Рассказы казаков о Пугачёве и бунте легли в основу «Капитанской дочки» Пушкина.
Жена писала ему письма из Петербурга.";

    const ENGLISH: &str = "The morning was cold and grey over the harbour. \
The old lighthouse keeper had watched the harbour lights for forty years. \
Every night the keeper climbed the tower and lit the great lamp. \
Gulls screamed above the fishing boats. \
The keeper kept the harbour lights burning through every storm, and the fishing boats came home safely. \
His daughter brought him bread on Sundays.";

    #[test]
    fn the_sentence_that_ties_the_text_together_is_picked() {
        // it names the threads the others share (the tales, the Cossacks, Pugachev, the revolt)
        assert_eq!(
            summarise(RUSSIAN, 100),
            "Рассказы казаков о Пугачёве и бунте легли в основу «Капитанской дочки» Пушкина."
        );
        assert_eq!(
            summarise(ENGLISH, 120),
            "The keeper kept the harbour lights burning through every storm, and the fishing boats came home safely."
        );
    }

    #[test]
    fn more_room_takes_the_next_best_and_keeps_the_texts_order() {
        assert_eq!(
            summarise(RUSSIAN, 160),
            "Пушкин отправился в оренбургские степи собирать рассказы о Пугачёве. \
             Рассказы казаков о Пугачёве и бунте легли в основу «Капитанской дочки» Пушкина."
        );
        // room for everything: the whole text, one line
        assert_eq!(summarise(RUSSIAN, 10_000), RUSSIAN.replace('\n', " "));
    }

    #[test]
    fn a_best_sentence_longer_than_the_room_is_cut_between_words() {
        let sentence = "Пушкин отправился в оренбургские степи собирать рассказы о Пугачёве.";
        assert_eq!(summarise(sentence, 30), "Пушкин отправился в…");
        assert_eq!(summarise("Достопримечательность.", 8), "Достопр…");
        assert_eq!(summarise("Слово, другое.", 7), "Слово…");
        assert_eq!(summarise("Слово.", 1), "…");
    }

    #[test]
    fn blank_text_or_no_room_is_no_summary() {
        assert_eq!(summarise("", 100), "");
        assert_eq!(summarise(" \n\t \n", 100), "");
        assert_eq!(summarise(RUSSIAN, 0), "");
    }

    #[test]
    fn word_forms_share_a_stem() {
        assert_eq!(stem("книга"), stem("книгу"));
        assert_eq!(stem("пугачёва".replace('ё', "е").as_str()), stem("пугачеве"));
        assert_eq!(stem("books"), stem("book"));
        assert_eq!(terms("И вот он пришёл, the Book!"), ["прише", "book"]);
    }

    proptest! {
        #[test]
        fn the_room_is_kept_the_words_are_the_texts_and_the_answer_is_the_same_each_time(
            text in "[а-яА-Яa-zA-Z ,.!?\n]{0,400}",
            max_chars in 0usize..300,
        ) {
            let summary = summarise(&text, max_chars);
            prop_assert!(summary.chars().count() <= max_chars, "{summary:?}");
            prop_assert_eq!(&summary, &summarise(&text, max_chars));
            prop_assert_eq!(summary.is_empty(), text.trim().is_empty() || max_chars == 0);
            if !summary.ends_with('…') {
                // whole sentences, in order: the summary's words are a subsequence of the text's
                let mut words = text.split_whitespace();
                for word in summary.split_whitespace() {
                    prop_assert!(words.any(|w| w == word), "{word:?} out of order in {summary:?}");
                }
            }
        }
    }
}
