//! Markdown and message bodies for automation's posts. AI models and people write CommonMark; a
//! message is plain text plus entities (UTF-16 offsets, as in Telegram). [`from_markdown`] reads
//! the one into the other and never fails, so whatever a model answers can be posted;
//! [`to_markdown`] goes back for the post editor, escaping whatever would otherwise read as
//! markup, so that a body survives the trip there and back.

use hybrid_chats_api::body::{Entity, EntityKind};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

/// A post's text and its formatting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Body {
    pub text: String,
    pub entities: Vec<Entity>,
}

/// Length of `s` in UTF-16 code units, what entities count in.
pub fn utf16_len(s: &str) -> i64 {
    s.chars().map(|c| c.len_utf16() as i64).sum()
}

/// The longest URL a text link may carry (what chats accepts).
const MAX_URL: usize = 2048;

// ---------------------------------------------------------------------------------------------
// Markdown to a body
// ---------------------------------------------------------------------------------------------

/// CommonMark (with `~~strikethrough~~`) as plain text and entities. Blocks are separated by a
/// blank line and every line break is kept: authors of posts mean theirs. Headings become a
/// bold line, list items lines starting "• " or "1. ", block quotes and code blocks their
/// entities, images their alt text, a rule "———"; HTML stays as it was written. Links become
/// text links only to http(s) and tg URLs; any other keeps its text without the link.
pub fn from_markdown(src: &str) -> Body {
    let mut out = Out::default();
    // one frame per element open, so an End needs no matching against its Start
    let mut open: Vec<Frame> = Vec::new();
    for event in Parser::new_ext(src, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => {
                let frame = out.start(&tag, &mut open);
                open.push(frame);
            }
            Event::End(_) => {
                if let Some(frame) = open.pop() {
                    out.end(frame, &open);
                }
            }
            Event::Text(text) => out.write(&text),
            Event::Code(code) => {
                let start = out.mark();
                out.write(&code);
                out.close(start, Entity::new(EntityKind::Code, 0, 0));
            }
            Event::Html(html) | Event::InlineHtml(html) => out.write(&html),
            Event::SoftBreak | Event::HardBreak => {
                let in_heading = open.iter().any(|f| matches!(f, Frame::Heading(_)));
                out.write(if in_heading { " " } else { "\n" });
            }
            Event::Rule => {
                out.write("———");
                out.need = 2;
            }
            _ => {}
        }
    }
    out.finish()
}

/// What an open element does when it ends (its entity starts at the offset it holds).
enum Frame {
    /// A paragraph: a blank line after it.
    Block,
    /// An HTML block, whose lines end with their line breaks.
    Html(i64),
    Heading(i64),
    Quote(i64),
    Code(i64, Option<String>),
    /// A list; its next item's number when ordered.
    List(Option<u64>),
    Item,
    /// An inline entity.
    Inline(i64, Entity),
    /// An element that only passes its text on (an image, a link to elsewhere).
    Plain,
}

/// The plain text written so far, its length in UTF-16 units, the entities closed so far, and
/// the line breaks owed before the next text (1 between list items, 2 between blocks): owed,
/// not written, so nothing trails the last block and an entity starts after them.
#[derive(Default)]
struct Out {
    text: String,
    units: i64,
    entities: Vec<Entity>,
    need: usize,
}

impl Out {
    fn start(&mut self, tag: &Tag<'_>, open: &mut [Frame]) -> Frame {
        match tag {
            Tag::Paragraph => {
                self.mark();
                Frame::Block
            }
            Tag::HtmlBlock => Frame::Html(self.mark()),
            Tag::Heading { .. } => Frame::Heading(self.mark()),
            Tag::BlockQuote(..) => Frame::Quote(self.mark()),
            Tag::CodeBlock(kind) => {
                let language = match kind {
                    CodeBlockKind::Fenced(info, ..) => language(info),
                    CodeBlockKind::Indented => None,
                };
                Frame::Code(self.mark(), language)
            }
            Tag::List(first) => {
                self.need = self.need.max(1);
                Frame::List(*first)
            }
            Tag::Item => {
                let depth = open.iter().filter(|f| matches!(f, Frame::List(_))).count();
                let number = open.iter_mut().rev().find_map(|f| match f {
                    Frame::List(number) => Some(number),
                    _ => None,
                });
                let marker = match number {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "• ".to_owned(),
                };
                self.write(&"  ".repeat(depth.saturating_sub(1)));
                self.write(&marker);
                Frame::Item
            }
            Tag::Emphasis => Frame::Inline(self.mark(), Entity::new(EntityKind::Italic, 0, 0)),
            Tag::Strong => Frame::Inline(self.mark(), Entity::new(EntityKind::Bold, 0, 0)),
            Tag::Strikethrough => Frame::Inline(self.mark(), Entity::new(EntityKind::Strikethrough, 0, 0)),
            Tag::Link { dest_url, .. } => match web_url(dest_url) {
                Some(url) => Frame::Inline(
                    self.mark(),
                    Entity {
                        url: Some(url),
                        ..Entity::new(EntityKind::TextLink, 0, 0)
                    },
                ),
                None => Frame::Plain,
            },
            _ => Frame::Plain,
        }
    }

    fn end(&mut self, frame: Frame, open: &[Frame]) {
        match frame {
            Frame::Block => self.need = 2,
            Frame::Html(start) => {
                self.trim_line_breaks(start);
                self.need = 2;
            }
            Frame::Heading(start) => {
                self.close(start, Entity::new(EntityKind::Bold, 0, 0));
                self.need = 2;
            }
            Frame::Quote(start) => {
                self.close(start, Entity::new(EntityKind::Blockquote, 0, 0));
                self.need = 2;
            }
            Frame::Code(start, language) => {
                // the block's last line break ends the block, not its code
                self.trim_line_breaks(start);
                self.close(
                    start,
                    Entity {
                        language,
                        ..Entity::new(EntityKind::Pre, 0, 0)
                    },
                );
                self.need = 2;
            }
            Frame::List(_) => {
                let nested = open.iter().any(|f| matches!(f, Frame::Item));
                self.need = if nested { 1 } else { 2 };
            }
            Frame::Item => self.need = self.need.max(1),
            Frame::Inline(start, entity) => self.close(start, entity),
            Frame::Plain => {}
        }
    }

    fn write(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        self.flush();
        self.text.push_str(s);
        self.units += utf16_len(s);
    }

    /// Writes the line breaks owed (fewer where the text already ends with some).
    fn flush(&mut self) {
        if !self.text.is_empty() {
            let have = self
                .text
                .chars()
                .rev()
                .take(self.need)
                .take_while(|&c| c == '\n')
                .count();
            for _ in have..self.need {
                self.text.push('\n');
                self.units += 1;
            }
        }
        self.need = 0;
    }

    /// Where an element's text starts: after the line breaks owed before it.
    fn mark(&mut self) -> i64 {
        self.flush();
        self.units
    }

    fn trim_line_breaks(&mut self, start: i64) {
        while self.units > start && self.text.ends_with('\n') {
            self.text.pop();
            self.units -= 1;
        }
    }

    /// Records `entity` from `start` to here; an empty one marks nothing and is dropped.
    fn close(&mut self, start: i64, mut entity: Entity) {
        if self.units > start {
            entity.offset = start;
            entity.length = self.units - start;
            self.entities.push(entity);
        }
    }

    /// The text trimmed (entities moved and cut with it), entities sorted by (offset, -length),
    /// an outer one before an inner one of the same range, twins (a heading's own bold) once.
    fn finish(self) -> Body {
        let trimmed = self.text.trim();
        let lead = utf16_len(&self.text[..self.text.len() - self.text.trim_start().len()]);
        let len = utf16_len(trimmed);
        let mut indexed: Vec<(usize, Entity)> = self
            .entities
            .into_iter()
            .enumerate()
            .filter_map(|(i, mut e)| {
                let start = (e.offset - lead).max(0);
                let end = (e.offset + e.length - lead).min(len);
                (end > start).then(|| {
                    e.offset = start;
                    e.length = end - start;
                    (i, e)
                })
            })
            .collect();
        // the outer of two on one range closed later: hence the reversed index
        indexed.sort_by_key(|(i, e)| (e.offset, -e.length, std::cmp::Reverse(*i)));
        let mut entities: Vec<Entity> = Vec::with_capacity(indexed.len());
        for (_, e) in indexed {
            let twin = entities
                .iter()
                .rev()
                .take_while(|x| x.offset == e.offset && x.length == e.length)
                .any(|x| *x == e);
            if !twin {
                entities.push(e);
            }
        }
        Body {
            text: trimmed.to_owned(),
            entities,
        }
    }
}

/// A link's target as a text link's URL: http(s) and tg only (what chats accepts), the scheme
/// lowercased; `None` for any other (`javascript:`, `mailto:`, a relative path).
fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    if url.len() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    ["https://", "http://", "tg://"].into_iter().find_map(|scheme| {
        let head = url.get(..scheme.len())?;
        let rest = &url[scheme.len()..];
        (head.eq_ignore_ascii_case(scheme) && !rest.is_empty()).then(|| format!("{scheme}{rest}"))
    })
}

/// A fenced block's language: its info string's first word, when chats would take it (up to 32
/// of a-z, 0-9, `+#-._`; `rust,ignore` gives `rust`).
fn language(info: &str) -> Option<String> {
    let word = info.split(|c: char| c.is_whitespace() || c == ',' || c == '{').next()?;
    let valid =
        !word.is_empty() && word.len() <= 32 && word.chars().all(|c| c.is_ascii_alphanumeric() || "+#-._".contains(c));
    valid.then(|| word.to_owned())
}

// ---------------------------------------------------------------------------------------------
// A body to Markdown
// ---------------------------------------------------------------------------------------------

/// Plain text and entities as CommonMark that [`from_markdown`] reads back: the text's markup
/// characters escaped, bold as `**…**`, italic `*…*` (`_…_` beside another `*`), strikethrough
/// `~~…~~`, code in backticks, pre as a fenced block, text links `[…](url)`, block quotes as
/// `> ` lines. What Markdown cannot say (underline, spoilers, mentions and the like) stays plain
/// text; of two entities that overlap without nesting only the outer one is kept.
pub fn to_markdown(text: &str, entities: &[Entity]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let spans = spans(&chars, entities);
    let mut w = Writer {
        chars: &chars,
        out: String::with_capacity(text.len() + 16),
        depth: 0,
        fresh: true,
        prefix_end: 0,
        link_starts: spans
            .iter()
            .filter(|s| s.kind == EntityKind::TextLink)
            .map(|s| s.start)
            .collect(),
    };
    // spans open around here, innermost last, with what closes them
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut next = 0;
    let mut i = 0;
    loop {
        while let Some((s, _)) = open.last() {
            if spans[*s].end != i {
                break;
            }
            let (s, closing) = open.pop().expect("looked at above");
            w.close(&spans[s], &closing);
        }
        if i == chars.len() {
            break;
        }
        let mut skip_to = None;
        while next < spans.len() && spans[next].start == i {
            let span = &spans[next];
            match span.kind {
                // nothing nests in code: it is written whole
                EntityKind::Code => {
                    w.code(&chars[span.start..span.end]);
                    skip_to = Some(span.end);
                }
                EntityKind::Pre => {
                    w.pre(span.start, span.end, span.language.as_deref().and_then(language));
                    skip_to = Some(span.end);
                }
                _ => open.push((next, w.open(next, &spans))),
            }
            next += 1;
            if skip_to.is_some() {
                break;
            }
        }
        match skip_to {
            Some(end) => i = end,
            None => {
                w.text(i);
                i += 1;
            }
        }
    }
    w.out
}

/// An entity as a range of characters (not UTF-16 units) of the text.
struct Span {
    kind: EntityKind,
    start: usize,
    end: usize,
    url: Option<String>,
    language: Option<String>,
}

/// The entities Markdown can say, as character ranges, outer first (by start, then longest),
/// nested properly: one overlapping another without nesting is dropped, and so is one that
/// cannot sit inside its outer one (anything in code, a block inside an inline entity, a link
/// in a link, bold in bold).
fn spans(chars: &[char], entities: &[Entity]) -> Vec<Span> {
    let mut bounds = Vec::with_capacity(chars.len() + 1);
    let mut units = 0i64;
    for c in chars {
        bounds.push(units);
        units += c.len_utf16() as i64;
    }
    bounds.push(units);
    let mut candidates = Vec::new();
    for e in entities {
        let inline = match e.kind {
            EntityKind::Bold | EntityKind::Italic | EntityKind::Strikethrough | EntityKind::Code => true,
            EntityKind::TextLink if e.url.is_some() => true,
            EntityKind::Pre | EntityKind::Blockquote => false,
            _ => continue,
        };
        let (Ok(start), Ok(end)) = (
            bounds.binary_search(&e.offset),
            bounds.binary_search(&e.offset.saturating_add(e.length)),
        ) else {
            continue;
        };
        if start >= end {
            continue;
        }
        let span = Span {
            kind: e.kind,
            start,
            end,
            url: e.url.clone(),
            language: e.language.clone(),
        };
        if inline {
            pieces(chars, span, &mut candidates);
        } else {
            candidates.push(span);
        }
    }
    candidates.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut accepted: Vec<Span> = Vec::new();
    for c in candidates {
        let fits = accepted.iter().all(|a| {
            a.end <= c.start || c.end <= a.start || (a.start <= c.start && c.end <= a.end && holds(a.kind, c.kind))
        });
        if fits {
            accepted.push(c);
        }
    }
    accepted
}

/// Whether Markdown can put an `inner` entity inside an `outer` one.
fn holds(outer: EntityKind, inner: EntityKind) -> bool {
    match (outer, inner) {
        (EntityKind::Code | EntityKind::Pre, _) => false,
        (EntityKind::Blockquote, _) => true,
        (_, EntityKind::Pre | EntityKind::Blockquote) => false,
        (outer, inner) => outer != inner,
    }
}

/// An inline entity's pieces between blank lines (inline markup cannot cross a paragraph's
/// end), without whitespace at their ends (`**word **` is not bold), code keeping its spaces.
fn pieces(chars: &[char], span: Span, into: &mut Vec<Span>) {
    let mut push = |mut start: usize, mut end: usize| {
        if span.kind != EntityKind::Code {
            while start < end && chars[start].is_whitespace() {
                start += 1;
            }
            while end > start && chars[end - 1].is_whitespace() {
                end -= 1;
            }
        }
        if start < end {
            into.push(Span {
                kind: span.kind,
                start,
                end,
                url: span.url.clone(),
                language: None,
            });
        }
    };
    let (mut from, mut k) = (span.start, span.start);
    while k < span.end {
        if chars[k] != '\n' {
            k += 1;
            continue;
        }
        let mut j = k;
        let mut breaks = 0;
        while j < span.end && chars[j].is_whitespace() {
            breaks += usize::from(chars[j] == '\n');
            j += 1;
        }
        if breaks >= 2 {
            push(from, k);
            from = j;
        }
        k = j;
    }
    push(from, span.end);
}

/// The Markdown written so far, and where it is in the text's lines.
struct Writer<'a> {
    chars: &'a [char],
    out: String,
    /// Block quotes open around the current line.
    depth: usize,
    /// Whether nothing but quote markers is on the current line yet.
    fresh: bool,
    /// Where the current line's quote markers end: a line left at that is blank, and its
    /// markers lose their trailing space.
    prefix_end: usize,
    /// Where text links start: a `!` just before one would make it an image.
    link_starts: Vec<usize>,
}

impl Writer<'_> {
    fn put(&mut self, s: &str) {
        self.out.push_str(s);
        self.fresh = false;
    }

    fn newline(&mut self) {
        if self.out.len() == self.prefix_end && self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("> ");
        }
        self.prefix_end = self.out.len();
        self.fresh = true;
    }

    /// Opens span `at`, returning what closes it.
    fn open(&mut self, at: usize, spans: &[Span]) -> String {
        let span = &spans[at];
        let marker = match span.kind {
            EntityKind::Bold => "**",
            EntityKind::Strikethrough => "~~",
            EntityKind::Italic => {
                // `***` would leave the reader to guess which run is which
                let beside_star = spans.iter().enumerate().any(|(k, o)| {
                    k != at
                        && matches!(o.kind, EntityKind::Bold | EntityKind::Italic)
                        && (o.start == span.start || o.end == span.end || o.end == span.start || o.start == span.end)
                });
                if beside_star { "_" } else { "*" }
            }
            EntityKind::TextLink => {
                self.put("[");
                return format!("]({})", escape_url(span.url.as_deref().unwrap_or_default()));
            }
            EntityKind::Blockquote => {
                if !self.fresh {
                    self.newline();
                }
                self.depth += 1;
                self.out.push_str("> ");
                self.prefix_end = self.out.len();
                return String::new();
            }
            _ => return String::new(),
        };
        self.put(marker);
        marker.to_owned()
    }

    fn close(&mut self, span: &Span, closing: &str) {
        if span.kind != EntityKind::Blockquote {
            self.put(closing);
            return;
        }
        self.depth -= 1;
        let chars = self.chars;
        // a line after a quote would continue it (a lazy line): a blank line ends it
        match (chars.get(span.end), chars.get(span.end + 1)) {
            (None, _) | (Some('\n'), Some('\n')) => {}
            (Some('\n'), _) => self.newline(),
            (Some(_), _) => {
                self.newline();
                self.newline();
            }
        }
    }

    /// A code span: a fence longer than any run of backticks inside.
    fn code(&mut self, content: &[char]) {
        let fence = "`".repeat(longest_run(content, '`') + 1);
        let first = content.first().copied();
        let last = content.last().copied();
        // a code span loses one space at each end when it has both, and a backtick there would
        // join the fence
        let pad = first == Some('`')
            || last == Some('`')
            || (first == Some(' ') && last == Some(' ') && content.iter().any(|&c| c != ' '));
        self.put(&fence);
        if pad {
            self.out.push(' ');
        }
        for &c in content {
            if c == '\n' {
                self.newline();
            } else {
                self.out.push(c);
            }
        }
        if pad {
            self.out.push(' ');
        }
        self.put(&fence);
    }

    /// A fenced block for the text's `start..end`, on lines of its own.
    fn pre(&mut self, start: usize, end: usize, language: Option<String>) {
        let chars = self.chars;
        let content = &chars[start..end];
        if !self.fresh {
            self.newline();
        }
        let fence = "`".repeat((longest_run(content, '`') + 1).max(3));
        self.put(&fence);
        self.out.push_str(language.as_deref().unwrap_or_default());
        self.newline();
        for &c in content {
            if c == '\n' {
                self.newline();
            } else {
                self.out.push(c);
            }
        }
        if content.last() != Some(&'\n') {
            self.newline();
        }
        self.put(&fence);
        // the closing fence stands alone on its line
        if self.chars.get(end).is_some_and(|&c| c != '\n') {
            self.newline();
        }
    }

    /// Writes character `i` of the text, escaped where Markdown would read it as markup.
    fn text(&mut self, i: usize) {
        let c = self.chars[i];
        if c == '\n' {
            self.newline();
            return;
        }
        let escape = match c {
            '\\' | '*' | '_' | '`' | '[' | ']' | '~' | '<' | '>' => true,
            // `&amp;` and `&#35;` would be read as the characters they name
            '&' => self
                .chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#'),
            '!' => self.link_starts.binary_search(&(i + 1)).is_ok(),
            // a heading
            '#' => {
                let run = self.chars[i..].iter().take_while(|&&c| c == '#').count();
                run <= 6 && self.ends_word(i + run) && self.starts_line(i)
            }
            // a list item
            '+' => self.ends_word(i + 1) && self.starts_line(i),
            // a list item, a rule or a heading's underline
            '-' => (self.ends_word(i + 1) || self.only_on_line(i, '-')) && self.starts_line(i),
            '=' => self.only_on_line(i, '=') && self.starts_line(i),
            // an ordered list item: "1." or "1)" with digits only before it on its line
            '.' | ')' => {
                let digits = self.chars[..i].iter().rev().take_while(|c| c.is_ascii_digit()).count();
                (1..=9).contains(&digits) && self.ends_word(i + 1) && self.starts_line(i - digits)
            }
            _ => false,
        };
        if escape {
            self.out.push('\\');
        }
        self.out.push(c);
        self.fresh = false;
    }

    /// Whether only spaces or tabs stand before `i` on its line.
    fn starts_line(&self, i: usize) -> bool {
        self.chars[..i]
            .iter()
            .rev()
            .find(|&&c| c != ' ' && c != '\t')
            .is_none_or(|&c| c == '\n')
    }

    /// Whether `i` is past the end of a word: the text's end, a space, a tab or a line break.
    fn ends_word(&self, i: usize) -> bool {
        self.chars.get(i).is_none_or(|&c| matches!(c, ' ' | '\t' | '\n'))
    }

    /// Whether the line from `i` on holds nothing but `c`, spaces and tabs.
    fn only_on_line(&self, i: usize, c: char) -> bool {
        self.chars[i..]
            .iter()
            .take_while(|&&x| x != '\n')
            .all(|&x| x == c || x == ' ' || x == '\t')
    }
}

/// The longest run of `c` in `chars`.
fn longest_run(chars: &[char], c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for &x in chars {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A URL as a link's destination: what would end it or read as markup escaped, whitespace and
/// control characters percent-encoded.
fn escape_url(url: &str) -> String {
    let chars: Vec<char> = url.chars().collect();
    let mut out = String::with_capacity(url.len());
    for (k, &c) in chars.iter().enumerate() {
        match c {
            '(' | ')' | '\\' | '<' | '>' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '&' if chars.get(k + 1).is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#') => out.push_str("\\&"),
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use hybrid_chats_api::body::EntityKind::{Blockquote, Bold, Code, Italic, Strikethrough};
    use proptest::prelude::*;

    use super::*;

    fn e(kind: EntityKind, offset: i64, length: i64) -> Entity {
        Entity::new(kind, offset, length)
    }

    fn link(offset: i64, length: i64, url: &str) -> Entity {
        Entity {
            url: Some(url.into()),
            ..e(EntityKind::TextLink, offset, length)
        }
    }

    fn pre(offset: i64, length: i64, language: Option<&str>) -> Entity {
        Entity {
            language: language.map(Into::into),
            ..e(EntityKind::Pre, offset, length)
        }
    }

    fn body(text: &str, entities: Vec<Entity>) -> Body {
        Body {
            text: text.into(),
            entities,
        }
    }

    #[test]
    fn inline_markup_becomes_entities() {
        assert_eq!(
            from_markdown("a **b** *c* ~~d~~ `e` __f__ _g_"),
            body(
                "a b c d e f g",
                vec![
                    e(Bold, 2, 1),
                    e(Italic, 4, 1),
                    e(Strikethrough, 6, 1),
                    e(Code, 8, 1),
                    e(Bold, 10, 1),
                    e(Italic, 12, 1)
                ]
            )
        );
        // nested: the outer first
        assert_eq!(
            from_markdown("**bold *both***"),
            body("bold both", vec![e(Bold, 0, 9), e(Italic, 5, 4)])
        );
    }

    #[test]
    fn code_blocks_are_pre_with_their_language() {
        assert_eq!(
            from_markdown("```rust\nfn main() {}\n```"),
            body("fn main() {}", vec![pre(0, 12, Some("rust"))])
        );
        assert_eq!(
            from_markdown("```\nx = 1\n```\n\n    indented"),
            body("x = 1\n\nindented", vec![pre(0, 5, None), pre(7, 8, None)])
        );
        assert_eq!(
            from_markdown("```rust,ignore\nx\n```"),
            body("x", vec![pre(0, 1, Some("rust"))])
        );
        // a language chats would refuse is no language
        assert_eq!(from_markdown("```{weird}\nx\n```"), body("x", vec![pre(0, 1, None)]));
    }

    #[test]
    fn web_and_telegram_links_are_text_links_others_keep_their_text() {
        assert_eq!(
            from_markdown(
                "[site](https://example.com) [mail](mailto:a@b.c) [rel](/x) [tg](TG://resolve?domain=x) \
                 ![a cat](https://example.com/cat.png) [js](javascript:alert(1))"
            ),
            body(
                "site mail rel tg a cat js",
                vec![link(0, 4, "https://example.com"), link(14, 2, "tg://resolve?domain=x")]
            )
        );
        assert_eq!(
            from_markdown("<https://example.com>"),
            body("https://example.com", vec![link(0, 19, "https://example.com")])
        );
    }

    #[test]
    fn blocks_are_separated_by_a_blank_line_and_line_breaks_stay() {
        assert_eq!(
            from_markdown("# Title\n\nText under it.\n\nSetext\nheading\n======="),
            body(
                "Title\n\nText under it.\n\nSetext heading",
                vec![e(Bold, 0, 5), e(Bold, 23, 14)]
            )
        );
        assert_eq!(
            from_markdown("> quoted\n> more\n\nafter"),
            body("quoted\nmore\n\nafter", vec![e(Blockquote, 0, 11)])
        );
        assert_eq!(
            from_markdown("1. one\n2. two\n\n- a\n  - b\n- c\n\n7) seven\n8) eight"),
            body("1. one\n2. two\n\n• a\n  • b\n• c\n\n7. seven\n8. eight", vec![])
        );
        assert_eq!(from_markdown("a\nb  \nc\\\nd"), body("a\nb\nc\nd", vec![]));
        assert_eq!(from_markdown("a\n\n\n\n---\n\nb"), body("a\n\n———\n\nb", vec![]));
        // a heading's own bold is said once
        assert_eq!(from_markdown("## **Bold**"), body("Bold", vec![e(Bold, 0, 4)]));
    }

    #[test]
    fn html_stays_as_written() {
        assert_eq!(
            from_markdown("x <b>y</b> &amp; &lt;3\n\n<div>\nblock\n</div>"),
            body("x <b>y</b> & <3\n\n<div>\nblock\n</div>", vec![])
        );
    }

    #[test]
    fn the_text_is_trimmed_and_its_entities_with_it() {
        assert_eq!(
            from_markdown("&#32;&#32;**x**&#32;\n\n"),
            body("x", vec![e(Bold, 0, 1)])
        );
        assert_eq!(from_markdown("  \n\n  "), Body::default());
        assert_eq!(from_markdown("a **"), body("a **", vec![]));
    }

    #[test]
    fn offsets_count_utf16_units() {
        assert_eq!(utf16_len("😀 жирный"), 9);
        assert_eq!(
            from_markdown("😀 **жирный** и `код` 👍🏽"),
            body("😀 жирный и код 👍🏽", vec![e(Bold, 3, 6), e(Code, 12, 3)])
        );
        assert_eq!(
            to_markdown("😀 жирный и код 👍🏽", &[e(Bold, 3, 6), e(Code, 12, 3)]),
            "😀 **жирный** и `код` 👍🏽"
        );
    }

    #[test]
    fn a_models_answer_reads_as_a_post() {
        let answer = "**Глава 1**\n\n- пункт\n- пункт с *курсивом*\n\n[link](https://example.com)";
        let post = body(
            "Глава 1\n\n• пункт\n• пункт с курсивом\n\nlink",
            vec![e(Bold, 0, 7), e(Italic, 27, 8), link(37, 4, "https://example.com")],
        );
        assert_eq!(from_markdown(answer), post);
        assert_eq!(from_markdown(&to_markdown(&post.text, &post.entities)), post);
    }

    #[test]
    fn hostile_input_keeps_its_text_and_never_panics() {
        for src in [
            "**unbalanced",
            "use snake_case_names and _snake_case_",
            "<script>alert(1)</script>",
            "*a **b* c**",
            "````",
            "> > > deep\n>\n> > back",
            "- \n-\n1.\n2)",
            "\\",
            "&#0; &bogus; &#x110000;",
            "[x]: https://example.com\n\n[x] [y][x] ![img]",
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "~~~\nunclosed",
            "<!-- comment",
            "\u{0}\u{feff}\r\n\r\n\t",
        ] {
            let got = from_markdown(src);
            let len = utf16_len(&got.text);
            assert!(
                got.entities
                    .iter()
                    .all(|e| e.offset >= 0 && e.length > 0 && e.offset + e.length <= len),
                "{src:?} -> {got:?}"
            );
            let _ = to_markdown(&got.text, &got.entities);
        }
        assert_eq!(from_markdown("**unbalanced"), body("**unbalanced", vec![]));
        assert!(
            from_markdown("use snake_case_names and _snake_case_")
                .text
                .starts_with("use snake_case_names and snake_case")
        );
        assert_eq!(
            from_markdown("<script>alert(1)</script>"),
            body("<script>alert(1)</script>", vec![])
        );
    }

    #[test]
    fn each_kind_is_written_as_markdown() {
        assert_eq!(
            to_markdown(
                "a b c d e",
                &[e(Bold, 2, 1), e(Italic, 4, 1), e(Strikethrough, 6, 1), e(Code, 8, 1)]
            ),
            "a **b** *c* ~~d~~ `e`"
        );
        assert_eq!(
            to_markdown("see\nfn x() {}", &[pre(4, 9, Some("rust"))]),
            "see\n```rust\nfn x() {}\n```"
        );
        assert_eq!(to_markdown("x```y", &[pre(0, 5, None)]), "````\nx```y\n````");
        assert_eq!(
            to_markdown("site and more", &[link(0, 4, "https://e.com/a(b)?q=1&x=2 z")]),
            "[site](https://e.com/a\\(b\\)?q=1\\&x=2%20z) and more"
        );
        assert_eq!(
            to_markdown("quoted\nmore\n\nafter", &[e(Blockquote, 0, 11)]),
            "> quoted\n> more\n\nafter"
        );
        // the line after a quote would join it: a blank line ends the quote
        assert_eq!(
            to_markdown("quoted\nafter", &[e(Blockquote, 0, 6)]),
            "> quoted\n\nafter"
        );
        // what Markdown cannot say stays plain
        let plain = [
            e(EntityKind::Mention, 0, 5),
            e(EntityKind::Hashtag, 6, 4),
            e(EntityKind::Underline, 11, 1),
            e(EntityKind::Spoiler, 11, 1),
            e(EntityKind::Url, 11, 1),
        ];
        assert_eq!(to_markdown("@user #tag x", &plain), "@user #tag x");
    }

    #[test]
    fn code_takes_a_fence_longer_than_its_backticks() {
        let (text, entities) = ("a`b and `x", vec![e(Code, 0, 3), e(Code, 8, 2)]);
        let markdown = to_markdown(text, &entities);
        assert_eq!(markdown, "``a`b`` and `` `x ``");
        assert_eq!(from_markdown(&markdown), body(text, entities));
    }

    #[test]
    fn markup_characters_in_the_text_are_escaped() {
        let text = "*not bold* _x_ [y] <z> a\\b `c` ~d~ &amp; 5 > 3! Look!";
        let markdown = to_markdown(text, &[]);
        assert_eq!(
            markdown,
            "\\*not bold\\* \\_x\\_ \\[y\\] \\<z\\> a\\\\b \\`c\\` \\~d\\~ \\&amp; 5 \\> 3! Look!"
        );
        assert_eq!(from_markdown(&markdown), body(text, vec![]));
        let lines = "# h\n## h2\n#tag\n- item\n-5 °C\n+ x\n1. one\n2) two\n1.5 litres\n> q\n---\n==";
        let markdown = to_markdown(lines, &[]);
        assert_eq!(
            markdown,
            "\\# h\n\\## h2\n#tag\n\\- item\n-5 °C\n\\+ x\n1\\. one\n2\\) two\n1.5 litres\n\\> q\n\\---\n\\=="
        );
        assert_eq!(from_markdown(&markdown), body(lines, vec![]));
        // a `!` before a link would make it an image
        let (text, entities) = ("Look!site", vec![link(5, 4, "https://e.com")]);
        assert_eq!(to_markdown(text, &entities), "Look\\![site](https://e.com)");
        assert_eq!(from_markdown(&to_markdown(text, &entities)), body(text, entities));
    }

    #[test]
    fn entities_are_fitted_to_what_markdown_can_say() {
        // overlapping without nesting: the outer (first) one only
        assert_eq!(
            to_markdown("hello world", &[e(Bold, 0, 5), e(Italic, 3, 5)]),
            "**hello** world"
        );
        // nested, ending together: the inner italic takes `_`
        let nested = [e(Bold, 0, 11), e(Italic, 6, 5)];
        assert_eq!(to_markdown("hello world", &nested), "**hello _world_**");
        assert_eq!(
            from_markdown(&to_markdown("hello world", &nested)),
            body("hello world", nested.to_vec())
        );
        // whitespace at an entity's ends is left out, a blank line splits it
        assert_eq!(to_markdown("bold text", &[e(Bold, 0, 5)]), "**bold** text");
        assert_eq!(to_markdown("a\n\nb", &[e(Bold, 0, 4)]), "**a**\n\n**b**");
        // ranges outside the text, splitting an emoji, empty or inside code: ignored
        let broken = [
            e(Bold, 1, 1),
            e(Bold, -1, 3),
            e(Bold, 0, 100),
            e(Italic, 3, 0),
            e(EntityKind::TextLink, 0, 2),
            e(Code, 3, 1),
            e(Bold, 3, 1),
        ];
        assert_eq!(to_markdown("😀 x", &broken), "😀 `x`");
    }

    /// Words, and what may stand between them: punctuation that means something in Markdown,
    /// line breaks (one, or a blank line) and a character outside the BMP. No whitespace next to
    /// a line break and never two blank lines: CommonMark drops the first and merges the second,
    /// so such texts cannot come back as they went.
    const SEPARATORS: &[&str] = &[
        " ", " ", " ", ", ", ". ", " * ", "*", " _ ", "_", " ` ", "`", " [", "] ", " # ", "\n", "\n\n", "\n# ", "\n- ",
        "\n1. ", "\n> ", " & ", " 😀 ", "!", " ~ ", "\\", " <b> ",
    ];
    const URLS: &[&str] = &[
        "https://example.com",
        "https://example.com/a_b(c)?q=1&x=2",
        "tg://resolve?domain=hybrid",
        "http://пример.рф/путь",
    ];

    /// A text of words and separators with bold, italic, code and text links on word ranges that
    /// do not overlap. An entity does not cross a blank line (Markdown's inline markup ends with
    /// its paragraph) and code crosses no line break (a code span reads one as a space).
    fn bodies() -> impl Strategy<Value = Body> {
        (
            prop::collection::vec(("[a-zA-Zа-яА-Я0-9]{1,8}", prop::sample::select(SEPARATORS)), 1..16),
            prop::collection::vec((0usize..16, 0usize..4, 0usize..4, prop::sample::select(URLS)), 0..6),
        )
            .prop_map(|(words, marks)| {
                let mut text = String::new();
                let mut ranges = Vec::new();
                for (k, (word, separator)) in words.iter().enumerate() {
                    let start = utf16_len(&text);
                    text.push_str(word);
                    ranges.push((start, utf16_len(&text)));
                    if k + 1 < words.len() {
                        text.push_str(separator);
                    }
                }
                let mut taken: Vec<(usize, usize)> = Vec::new();
                let mut entities = Vec::new();
                for (first, more, kind, url) in marks {
                    let i = first % words.len();
                    let j = (i + more).min(words.len() - 1);
                    let kind = [Bold, Italic, Code, EntityKind::TextLink][kind];
                    let between = || words[i..j].iter().map(|(_, separator)| *separator);
                    if between().any(|s| s.contains("\n\n"))
                        || (kind == Code && between().any(|s| s.contains('\n')))
                        || taken.iter().any(|&(a, b)| a <= j && i <= b)
                    {
                        continue;
                    }
                    taken.push((i, j));
                    entities.push(Entity {
                        url: (kind == EntityKind::TextLink).then(|| url.to_owned()),
                        ..e(kind, ranges[i].0, ranges[j].1 - ranges[i].0)
                    });
                }
                entities.sort_by_key(|e| (e.offset, -e.length));
                Body { text, entities }
            })
    }

    proptest! {
        #[test]
        fn a_body_comes_back_from_its_markdown(post in bodies()) {
            let markdown = to_markdown(&post.text, &post.entities);
            prop_assert_eq!(from_markdown(&markdown), post, "{}", markdown);
        }

        #[test]
        fn plain_text_comes_back_from_its_markdown(post in bodies()) {
            let markdown = to_markdown(&post.text, &[]);
            prop_assert_eq!(from_markdown(&markdown), body(&post.text, vec![]), "{}", markdown);
        }
    }
}
